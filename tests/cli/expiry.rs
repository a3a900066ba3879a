//! A credential's expiry through the real binary: typed with `connect --expires`, read from
//! DC's token list when nothing was typed, shown by `list` and `status`, and judged by the
//! Expiry row of `check` (a warning keeps exit 0; a day that has come fails with 3).

use std::path::Path;
use std::process::Output;

use bbconnect::sim::{SimConfig, SimHandle};
use jiff::civil::Date;

use crate::common::bin::{against, cloud_connect_as, json, run, save_dc, stdout, text};
use crate::common::creds::ALICE;
use crate::common::sim::start as sim_with;

fn in_days(n: i64) -> Date {
    bbconnect::engine::today()
        .checked_add(jiff::Span::new().days(n))
        .expect("in range")
}

async fn connect_cloud(sim: &SimHandle, dir: &Path, name: &str, expires: Option<Date>) -> Output {
    let day = expires.map(|d| d.to_string());
    let mut args = cloud_connect_as(name);
    if let Some(d) = &day {
        args.extend(["--expires", d.as_str()]);
    }
    run(sim, dir, &args, Some(ALICE)).await
}

/// The Expiry row of `check NAME --json`, and the exit code.
async fn expiry_row(
    sim: &SimHandle,
    dir: &Path,
    name: &str,
    warn_days: Option<&str>,
) -> (Option<i32>, serde_json::Value) {
    let mut cmd = against(sim, dir, &["check", name, "--json"], None);
    if let Some(days) = warn_days {
        cmd.env("BBCONNECT_EXPIRY_WARN_DAYS", days);
    }
    let out = cmd.output().await.expect("binary runs");
    let v = json(&out);
    let row = v[0]["checks"]["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == "expiry").cloned())
        .unwrap_or_else(|| panic!("no expiry row: {}", text(&out)));
    (out.status.code(), row)
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_expires_is_saved_and_shown_by_list_and_status() {
    let sim = sim_with(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let day = in_days(34);
    let out = connect_cloud(&sim, dir.path(), "ci", Some(day)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).contains(&format!("expires {day} (34 days)")),
        "{}",
        text(&out)
    );
    let out = connect_cloud(&sim, dir.path(), "other", None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = run(&sim, dir.path(), &["list"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listed = stdout(&out);
    assert!(
        listed.lines().next().is_some_and(|h| h.contains("EXPIRES")),
        "{listed}"
    );
    let line = |name: &str| {
        listed
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{listed}"))
            .to_string()
    };
    assert!(
        line("ci").contains(&format!("expires {day} (34 days)")),
        "{listed}"
    );
    assert!(line("other").contains("unknown"), "{listed}");
    let out = run(&sim, dir.path(), &["list", "--json"], None).await;
    let v = json(&out);
    assert_eq!(v[0]["expires_at"], day.to_string(), "{v}");

    let out = run(&sim, dir.path(), &["status", "--json"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json(&out);
    let by_name = |name: &str| {
        v.as_array()
            .and_then(|a| a.iter().find(|c| c["name"] == name).cloned())
            .unwrap_or_else(|| panic!("{v}"))
    };
    assert_eq!(by_name("ci")["expires_at"], day.to_string());
    assert_eq!(by_name("ci")["days_left"], 34);
    assert!(by_name("other")["expires_at"].is_null(), "{v}");
    assert!(by_name("other")["days_left"].is_null(), "{v}");
    let out = run(&sim, dir.path(), &["status"], None).await;
    assert!(
        stdout(&out).contains(&format!("expires {day} (34 days)")),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_warns_within_the_window_and_fails_once_the_day_has_come() {
    let sim = sim_with(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let day = in_days(5);
    let out = connect_cloud(&sim, dir.path(), "ci", Some(day)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let (code, row) = expiry_row(&sim, dir.path(), "ci", None).await;
    assert_eq!(code, Some(0), "a warning keeps exit 0: {row}");
    assert_eq!(row["status"], "warning", "{row}");
    assert!(
        row["detail"].as_str().unwrap().contains(&day.to_string()),
        "{row}"
    );
    let fix = row["fix"].as_str().unwrap();
    assert!(fix.contains("bbconnect rotate ci"), "{fix}");
    assert!(
        fix.contains("https://id.atlassian.com/manage-profile/security/api-tokens"),
        "{fix}"
    );
    // A shorter window: no warning yet.
    let (code, row) = expiry_row(&sim, dir.path(), "ci", Some("3")).await;
    assert_eq!(
        (code, row["status"].as_str()),
        (Some(0), Some("passed")),
        "{row}"
    );

    // The day has passed (written as a file from before that day would hold it).
    let file = dir.path().join("connections.toml");
    let toml = std::fs::read_to_string(&file).unwrap();
    let past = in_days(-1);
    assert!(toml.contains(&day.to_string()), "{toml}");
    std::fs::write(&file, toml.replace(&day.to_string(), &past.to_string())).unwrap();
    let (code, row) = expiry_row(&sim, dir.path(), "ci", None).await;
    assert_eq!(code, Some(3), "{row}");
    assert_eq!(row["status"], "failed", "{row}");
    assert!(
        row["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("expired on {past}")),
        "{row}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expiry_that_is_not_a_coming_day_is_refused_with_exit_2() {
    let sim = sim_with(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let yesterday = in_days(-1).to_string();
    for bad in [yesterday.as_str(), "2027-02-30", "10/01/2027"] {
        let out = run(
            &sim,
            dir.path(),
            &[cloud_connect_as("ci"), vec!["--expires", bad]].concat(),
            Some(ALICE),
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--expires"),
            "{}",
            text(&out)
        );
    }
    assert!(
        !dir.path().join("connections.toml").exists(),
        "nothing saved"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_help_shows_expires() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::bin::bbconnect(dir.path(), &["connect", "--help"])
        .output()
        .await
        .expect("binary runs");
    let help = stdout(&out);
    assert!(help.contains("--expires <YYYY-MM-DD>"), "{help}");
    assert!(help.contains("BBCONNECT_EXPIRY_WARN_DAYS"), "{help}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dc_token_expiry_is_read_from_the_token_list_else_unknown() {
    let sim = sim_with(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    save_dc(&sim, dir.path()).await;
    let v = json(&run(&sim, dir.path(), &["list", "--json"], None).await);
    assert_eq!(v[0]["expires_at"], in_days(90).to_string(), "{v}");
    let (code, row) = expiry_row(&sim, dir.path(), "dc", None).await;
    assert_eq!(
        (code, row["status"].as_str()),
        (Some(0), Some("passed")),
        "{row}"
    );
    drop(sim);

    // A server that does not let the token read its list: unknown, and check still passes.
    let sim = sim_with(SimConfig {
        dc_token_list_refused: true,
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    save_dc(&sim, dir.path()).await;
    let v = json(&run(&sim, dir.path(), &["list", "--json"], None).await);
    assert!(v[0]["expires_at"].is_null(), "{v}");
    let (code, row) = expiry_row(&sim, dir.path(), "dc", None).await;
    assert_eq!(code, Some(0), "{row}");
    assert_eq!(row["status"], "passed", "{row}");
    assert!(row["detail"].as_str().unwrap().contains("unknown"), "{row}");
}
