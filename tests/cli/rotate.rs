//! `rotate` and the one-writer-per-connection rules of `connect`, through the real binary
//! against the simulator: a rotation keeps every saved field and the webhook secret, the old
//! secret leaves the store, another identity is refused with nothing changed, an app password
//! becomes an API token, `--replace` keeps what it does not name, and concurrent `--replace`
//! runs leave one hook whose secret is the stored one.

use std::path::Path;
use std::process::Output;

use bbconnect::sim::SimHandle;
use serde_json::Value;

use crate::common::bin::{self, json, text};
use crate::common::creds::ALICE;
use crate::common::sim::{dc_project_repo as dc_repo, first_cloud_repo};

const HOOK_URL: &str = "https://ci.example.com/bitbucket/hook";
const OTHER_HOOK_URL: &str = "https://ci2.example.com/bitbucket/hook";

async fn run(sim: &SimHandle, config: &Path, args: &[&str], token: Option<&str>) -> Output {
    bin::against(sim, config, args, token)
        .env("HOOK_A", "test-token-hook-a")
        .env("HOOK_B", "test-token-hook-b")
        .output()
        .await
        .expect("binary runs")
}

fn dc_connect<'a>(sim_url: &'a str, name: &'a str, repo: &'a str) -> Vec<&'a str> {
    let mut args = bin::dc_connect_as(sim_url, name, "alice");
    args.extend(["--repo", repo, "--webhook-url", HOOK_URL, "--json"]);
    args
}

/// A simulator and a config dir with `ci` saved, its webhook on the first repository of DC
/// project `project`; the DC URL and that repository.
async fn ci_with_hook(project: &str) -> (SimHandle, tempfile::TempDir, String, String) {
    let sim = crate::common::sim::with_repos(60).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sim.server_url();
    let repo = dc_repo(&sim, project).await;
    let out = run(
        &sim,
        dir.path(),
        &dc_connect(&url, "ci", &repo),
        Some(ALICE),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (sim, dir, url, repo)
}

/// Every secret file's content under the config dir (connection and webhook secrets).
fn stored_secrets(config: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["secrets", "webhook/secrets"] {
        if let Ok(dir) = std::fs::read_dir(config.join(sub)) {
            for e in dir.flatten() {
                if e.file_type().is_ok_and(|t| t.is_file()) {
                    out.push(std::fs::read_to_string(e.path()).expect("secret file"));
                }
            }
        }
    }
    out.sort();
    out
}

/// `connect` flags `args` with our webhook on `repo`, signing with HOOK_A, answering in JSON.
fn with_hook<'a>(mut args: Vec<&'a str>, repo: &'a str) -> Vec<&'a str> {
    args.extend([
        "--repo",
        repo,
        "--webhook-url",
        HOOK_URL,
        "--webhook-secret-env",
        "HOOK_A",
        "--json",
    ]);
    args
}

async fn webhook_secret(sim: &SimHandle, config: &Path, name: &str) -> String {
    let out = run(sim, config, &["webhook-secret", name], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    bin::stdout(&out).trim().to_string()
}

async fn saved(sim: &SimHandle, config: &Path, name: &str) -> Value {
    let out = run(sim, config, &["list", "--json"], None).await;
    json(&out)
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == name).cloned())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_rotate_to_a_repository_token_keeps_every_field_and_drops_the_old_secret() {
    let sim = crate::common::sim::with_repos(60).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sim.server_url();
    // The simulator's repository token belongs to the first repository of PLAT.
    let repo = dc_repo(&sim, "PLAT").await;
    let mut args = dc_connect(&url, "ci", &repo);
    args.extend(["--webhook-secret-env", "HOOK_A"]);
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        json(&out)["lower_to_read"]
            .as_str()
            .is_some_and(|s| s.contains("read") && s.contains("bbconnect rotate ci")),
        "{}",
        text(&out)
    );
    let before = saved(&sim, dir.path(), "ci").await;

    // Another user: refused, naming both, and nothing changes.
    let toml_before = std::fs::read_to_string(dir.path().join("connections.toml")).unwrap();
    let secrets_before = stored_secrets(dir.path());
    let out = run(&sim, dir.path(), &["rotate", "ci"], Some("test-token-bob")).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = bin::stderr(&out);
    assert!(
        err.contains("`bob`") && err.contains("`alice`"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("connections.toml")).unwrap(),
        toml_before
    );
    assert_eq!(stored_secrets(dir.path()), secrets_before);

    // The user token becomes the repository's own token.
    let out = run(
        &sim,
        dir.path(),
        &[
            "rotate",
            "ci",
            "--auth",
            "http-token-repo",
            "--expires",
            "2027-03-01",
            "--json",
        ],
        Some("test-token-repo"),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["auth"], "http-token-repo", "{v}");
    assert!(
        v["revoke_old_at"]
            .as_str()
            .is_some_and(|s| s.ends_with("/plugins/servlet/access-tokens/manage")),
        "{v}"
    );
    let after = saved(&sim, dir.path(), "ci").await;
    for field in [
        "repo",
        "webhook_id",
        "webhook_url",
        "url",
        "tls",
        "clone_https",
    ] {
        assert_eq!(after[field], before[field], "{field}: {after}");
    }
    assert_eq!(after["auth"], "http-token-repo");
    let toml = std::fs::read_to_string(dir.path().join("connections.toml")).unwrap();
    assert!(toml.contains("2027-03-01"), "{toml}");
    assert_eq!(
        stored_secrets(dir.path()),
        ["test-token-hook-a", "test-token-repo"],
        "the old token is gone, the hook secret kept"
    );
    assert_eq!(
        webhook_secret(&sim, dir.path(), "ci").await,
        "test-token-hook-a"
    );
    let hooks = sim.dc_hooks(&repo);
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0].secret.as_deref(), Some("test-token-hook-a"));

    // The new secret works for the next command.
    let out = run(&sim, dir.path(), &["check", "ci"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_password_connection_migrates_to_an_api_token() {
    // An old mirror that still takes app passwords: bitbucket.org refuses them.
    let sim = crate::common::sim::start(bbconnect::sim::SimConfig {
        repos: Some(60),
        app_passwords_accepted: true,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = first_cloud_repo(&sim, "acme-platform").await;
    let args = with_hook(bin::cloud_app_password_connect("cloud"), &repo);
    let out = run(&sim, dir.path(), &args, Some("test-token-app-password")).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = saved(&sim, dir.path(), "cloud").await;

    // An API token needs the email: a usage error, nothing changed.
    let out = run(
        &sim,
        dir.path(),
        &["rotate", "cloud", "--auth", "api-token"],
        Some(ALICE),
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(bin::stderr(&out).contains("email"), "{}", text(&out));

    let out = run(
        &sim,
        dir.path(),
        &[
            "rotate",
            "cloud",
            "--auth",
            "api-token",
            "--email",
            "alice@example.com",
        ],
        Some(ALICE),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = bin::stdout(&out);
    assert!(said.contains("app-password -> api-token"), "{said}");
    assert!(
        said.contains("App passwords"),
        "names where the old one is revoked: {said}"
    );
    let after = saved(&sim, dir.path(), "cloud").await;
    assert_eq!(after["auth"], "api-token");
    assert_eq!(after["username"], "alice@example.com");
    for field in ["repo", "webhook_id", "webhook_url", "url", "user"] {
        assert_eq!(after[field], before[field], "{field}: {after}");
    }
    assert_eq!(
        stored_secrets(dir.path()),
        ["test-token-alice", "test-token-hook-a"],
        "the app password is gone"
    );
    let hooks = sim.cloud_hooks(&repo);
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0].secret.as_deref(), Some("test-token-hook-a"));
    let out = run(&sim, dir.path(), &["check", "cloud"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn replace_keeps_the_repository_and_webhook_it_does_not_name_and_moves_the_hook() {
    let (sim, dir, url, repo) = ci_with_hook("WEB").await;
    let before = saved(&sim, dir.path(), "ci").await;
    let secret = webhook_secret(&sim, dir.path(), "ci").await;

    // No --repo, no --webhook-url: both kept, the hook secret too.
    let mut args = bin::dc_connect_as(&url, "ci", "alice");
    args.extend(["--replace", "--json"]);
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after = saved(&sim, dir.path(), "ci").await;
    for field in ["repo", "webhook_id", "webhook_url"] {
        assert!(!after[field].is_null(), "{field}: {after}");
        assert_eq!(after[field], before[field], "{field}: {after}");
    }
    assert_eq!(webhook_secret(&sim, dir.path(), "ci").await, secret);

    // A new URL moves our hook: still one hook, the same id, the same secret.
    let mut args = bin::dc_connect_as(&url, "ci", "alice");
    args.extend(["--replace", "--webhook-url", OTHER_HOOK_URL, "--json"]);
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let hooks = sim.dc_hooks(&repo);
    assert_eq!(hooks.len(), 1, "no second hook: {hooks:?}");
    assert_eq!(hooks[0].url, OTHER_HOOK_URL);
    assert_eq!(Value::String(hooks[0].id.clone()), before["webhook_id"]);
    assert_eq!(hooks[0].secret.as_deref(), Some(secret.as_str()));
    let after = saved(&sim, dir.path(), "ci").await;
    assert_eq!(after["webhook_url"], OTHER_HOOK_URL);
    assert_eq!(after["repo"], before["repo"]);
    assert_eq!(webhook_secret(&sim, dir.path(), "ci").await, secret);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_replace_runs_leave_one_hook_signing_with_the_stored_secret() {
    let sim = crate::common::sim::with_repos(60).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sim.server_url();
    let repo = dc_repo(&sim, "WEB").await;

    // Two first-time connects at once: one saves, the other is told the name is taken.
    let first = dc_connect(&url, "ci", &repo);
    let (a, b) = tokio::join!(
        run(&sim, dir.path(), &first, Some(ALICE)),
        run(&sim, dir.path(), &first, Some(ALICE)),
    );
    let mut codes = [a.status.code(), b.status.code()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(2)], "{}\n{}", text(&a), text(&b));
    assert_eq!(sim.dc_hooks(&repo).len(), 1);

    for round in 0..4 {
        let mut with_a = dc_connect(&url, "ci", &repo);
        with_a.extend(["--replace", "--webhook-secret-env", "HOOK_A"]);
        let mut with_b = dc_connect(&url, "ci", &repo);
        with_b.extend(["--replace", "--webhook-secret-env", "HOOK_B"]);
        let (a, b) = tokio::join!(
            run(&sim, dir.path(), &with_a, Some(ALICE)),
            run(&sim, dir.path(), &with_b, Some(ALICE)),
        );
        assert_eq!(a.status.code(), Some(0), "round {round}: {}", text(&a));
        assert_eq!(b.status.code(), Some(0), "round {round}: {}", text(&b));
        let hooks = sim.dc_hooks(&repo);
        assert_eq!(hooks.len(), 1, "round {round}: {hooks:?}");
        let stored = webhook_secret(&sim, dir.path(), "ci").await;
        assert_eq!(
            hooks[0].secret.as_deref(),
            Some(stored.as_str()),
            "round {round}: the stored secret is the server's"
        );
        let after = saved(&sim, dir.path(), "ci").await;
        assert_eq!(after["webhook_id"], Value::String(hooks[0].id.clone()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rotate_expires_follows_connects_rule_and_a_refused_day_changes_nothing() {
    let (sim, dir, _, _) = ci_with_hook("PLAT").await;
    let toml_before = std::fs::read_to_string(dir.path().join("connections.toml")).unwrap();
    let secrets_before = stored_secrets(dir.path());
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let yesterday = today.yesterday().expect("a day before today").to_string();
    let today = today.to_string();
    for (day, says) in [
        (today.as_str(), "is not after today"),
        (yesterday.as_str(), "is not after today"),
        ("2027-02-30", "is not a day of the calendar"),
        ("2027-1-10", "is not a date"),
    ] {
        let out = run(
            &sim,
            dir.path(),
            &["rotate", "ci", "--expires", day],
            Some(ALICE),
        )
        .await;
        assert_eq!(out.status.code(), Some(2), "{day}: {}", text(&out));
        let err = bin::stderr(&out);
        assert!(
            err.contains("--expires") && err.contains(says),
            "{day}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("connections.toml")).unwrap(),
            toml_before,
            "{day}"
        );
        assert_eq!(stored_secrets(dir.path()), secrets_before, "{day}");
    }
}

/// `rotate NAME --token-stdin` with `secret` piped in.
async fn rotate_from_stdin(sim: &SimHandle, config: &Path, name: &str, secret: &str) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut child = bin::against(sim, config, &["rotate", name, "--token-stdin"], None)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{secret}\n").as_bytes())
        .await
        .expect("secret written");
    drop(stdin);
    child.wait_with_output().await.expect("binary ends")
}

/// When the saved connection's last check saw its webhook in place.
fn webhook_seen_at(config: &Path, name: &str) -> Option<String> {
    let store = bbconnect::store::Store::open(
        Some(config.to_path_buf()),
        bbconnect::store::SecretStoreMode::File,
    )
    .expect("store");
    store
        .get(name)
        .expect("readable")
        .and_then(|c| c.last_check)
        .and_then(|l| l.webhook_seen_at)
}

/// The `webhook` row of a `status --json` connection or a `check --json` entry.
fn webhook_row(entry: &Value) -> Value {
    entry["checks"]["items"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == "webhook").cloned())
        .unwrap_or_else(|| panic!("no webhook row: {entry}"))
}

/// A connection made with an admin-capable credential and its webhook, lowered to alice's
/// read-only credential: rotate accepts it (same identity), then `check` and `status` pass
/// with the webhook a warning saying it cannot be verified with read access and when it was
/// last seen, and the saved webhook and its secret are unchanged.
async fn lowered_to_read_access(sim: &SimHandle, config: &Path, connect: Vec<&str>) {
    let out = run(sim, config, &connect, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A check with the admin credential sees the hook.
    let out = run(sim, config, &["check", "ci"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let seen = webhook_seen_at(config, "ci").expect("the check saw the hook");
    let before = saved(sim, config, "ci").await;
    let hook_secret = webhook_secret(sim, config, "ci").await;

    let out = rotate_from_stdin(sim, config, "ci", "test-token-alice-read").await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let last_seen = format!("last seen on {seen}");
    let out = run(sim, config, &["check", "ci", "--json"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let checked = json(&out)[0].clone();
    let row = webhook_row(&checked);
    assert_eq!(row["status"], "warning", "{row}");
    // Lowered on purpose: the missing webhook scopes and admin rights are no other warning.
    let warned: Vec<&Value> = checked["checks"]["items"]
        .as_array()
        .map(|rows| rows.iter().filter(|r| r["status"] != "passed").collect())
        .unwrap_or_default();
    assert_eq!(warned, [&row], "{checked}");
    let detail = row["detail"].as_str().unwrap_or_default().to_string();
    assert!(
        detail.contains("cannot be verified with read access") && detail.contains(&last_seen),
        "{row}"
    );
    let out = run(sim, config, &["status", "--json"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let entry = json(&out)[0].clone();
    assert_eq!(entry["exit_code"], 0, "{entry}");
    assert_eq!(webhook_row(&entry)["detail"], detail.as_str(), "{entry}");

    let after = saved(sim, config, "ci").await;
    for field in ["repo", "webhook_id", "webhook_url", "user", "auth"] {
        assert_eq!(after[field], before[field], "{field}: {after}");
    }
    assert_eq!(webhook_secret(sim, config, "ci").await, hook_secret);
    assert!(
        stored_secrets(config).contains(&"test-token-alice-read".to_string()),
        "the read-only credential is the one saved"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_rotate_to_a_read_only_token_keeps_the_webhook_and_check_passes() {
    let sim = crate::common::sim::with_repos(30).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sim.server_url();
    let repo = dc_repo(&sim, "WEB").await;
    let mut args = dc_connect(&url, "ci", &repo);
    args.extend(["--webhook-secret-env", "HOOK_A"]);
    lowered_to_read_access(&sim, dir.path(), args).await;
    let hooks = sim.dc_hooks(&repo);
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0].secret.as_deref(), Some("test-token-hook-a"));
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_rotate_to_a_read_only_api_token_keeps_the_webhook_and_check_passes() {
    let sim = crate::common::sim::with_repos(30).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = first_cloud_repo(&sim, "acme-platform").await;
    let args = with_hook(bin::cloud_connect_as("ci"), &repo);
    lowered_to_read_access(&sim, dir.path(), args).await;
    let hooks = sim.cloud_hooks(&repo);
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0].secret.as_deref(), Some("test-token-hook-a"));
}
