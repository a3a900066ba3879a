//! What changed on the server since a connection was saved, seen alike by `check` and
//! `status` (one re-check): the repository renamed or deleted, our webhook deleted, switched
//! off or repointed, an app password turned off, a credential revoked. Each case runs both
//! commands through the real binary and compares their exit codes.

use std::path::Path;
use std::process::Output;

use bbconnect::sim::{HookChange, SimHandle};

use crate::common::bin::{self, text};
use crate::common::creds::ALICE;
use crate::common::sim::dc_project_repo as dc_repo;

const HOOK_URL: &str = "https://ci.example.com/bitbucket/hook";

async fn run(sim: &SimHandle, config: &Path, args: &[&str], token: Option<&str>) -> Output {
    bin::run(sim, config, args, token).await
}

/// A DC connection `ci` to a repository with our webhook on it; returns the repository.
async fn saved_with_hook(sim: &SimHandle, config: &Path) -> String {
    let repo = dc_repo(sim, "WEB").await;
    let url = sim.server_url();
    let mut args = bin::dc_user_connect(&url);
    args[6] = "ci";
    args.extend(["--repo", &repo, "--webhook-url", HOOK_URL]);
    let out = run(sim, config, &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (check, status) = both(sim, config).await;
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    repo
}

/// `check` and `status`, one after the other.
async fn both(sim: &SimHandle, config: &Path) -> (Output, Output) {
    let check = run(sim, config, &["check"], None).await;
    let status = run(sim, config, &["status"], None).await;
    (check, status)
}

/// Both commands failed with `code`, and each says `said` (and `fix`, when given).
fn both_fail(check: &Output, status: &Output, code: i32, said: &[&str]) {
    for out in [check, status] {
        assert_eq!(out.status.code(), Some(code), "{}", text(out));
        for s in said {
            assert!(text(out).contains(s), "{s:?} missing:\n{}", text(out));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renamed_repository_fails_check_and_status_with_exit_4() {
    let sim = crate::common::sim::with_repos(30).await;
    let dir = tempfile::tempdir().unwrap();
    let repo = saved_with_hook(&sim, dir.path()).await;
    sim.rename_repo(&repo, "renamed-elsewhere");
    let (check, status) = both(&sim, dir.path()).await;
    both_fail(
        &check,
        &status,
        4,
        &[&repo, "bbconnect connect ci --replace --repo"],
    );
    // Not blamed on the webhook: a hook cannot be looked for on a repository that is gone.
    assert!(!text(&check).contains("is gone from"), "{}", text(&check));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_repository_fails_check_and_status_with_exit_4_not_blamed_on_the_hook() {
    let sim = crate::common::sim::with_repos(30).await;
    let dir = tempfile::tempdir().unwrap();
    let repo = saved_with_hook(&sim, dir.path()).await;
    sim.delete_repo(&repo);
    let (check, status) = both(&sim, dir.path()).await;
    both_fail(&check, &status, 4, &[&repo, "no longer there"]);
    for out in [&check, &status] {
        assert!(!text(out).contains("Webhook"), "{}", text(out));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_webhook_fails_check_and_status() {
    let sim = crate::common::sim::with_repos(30).await;
    let dir = tempfile::tempdir().unwrap();
    let repo = saved_with_hook(&sim, dir.path()).await;
    assert_eq!(sim.change_hooks(&repo, HookChange::Delete), 1);
    let (check, status) = both(&sim, dir.path()).await;
    both_fail(&check, &status, 1, &["is gone from the repository"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_switched_off_fails_check_and_status() {
    let sim = crate::common::sim::with_repos(30).await;
    let dir = tempfile::tempdir().unwrap();
    let repo = saved_with_hook(&sim, dir.path()).await;
    assert_eq!(sim.change_hooks(&repo, HookChange::SwitchOff), 1);
    let (check, status) = both(&sim, dir.path()).await;
    both_fail(&check, &status, 1, &["is switched off"]);
    assert!(text(&check).contains("[FAIL]"), "{}", text(&check));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repointed_webhook_fails_check_and_status_naming_where_it_points() {
    let sim = crate::common::sim::with_repos(30).await;
    let dir = tempfile::tempdir().unwrap();
    let repo = saved_with_hook(&sim, dir.path()).await;
    let elsewhere = "https://someone-else.example.net/collect";
    assert_eq!(
        sim.change_hooks(&repo, HookChange::Repoint(elsewhere.into())),
        1
    );
    let (check, status) = both(&sim, dir.path()).await;
    both_fail(&check, &status, 1, &[elsewhere, "now points at"]);
    // The delivery test of the saved URL would prove nothing: it is not run.
    assert!(
        !text(&check).contains("Webhook reaches the CI"),
        "{}",
        text(&check)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_token_is_revoked_not_wrong_in_check_and_status() {
    let sim = crate::common::sim::with_repos(30).await;
    let dir = tempfile::tempdir().unwrap();
    saved_with_hook(&sim, dir.path()).await;
    sim.revoke_token("test-token-alice");
    let (check, status) = both(&sim, dir.path()).await;
    both_fail(
        &check,
        &status,
        3,
        &["revoked or has expired", "bbconnect rotate ci"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_app_password_names_the_date_and_the_migration_in_check_status_and_git() {
    let dir = tempfile::tempdir().unwrap();
    // Saved while an old mirror still took it...
    let mirror = crate::common::sim::old_mirror().await;
    let args = bin::cloud_app_password_connect("ap");
    let out = run(&mirror, dir.path(), &args, Some("test-token-app-password")).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // ...where it works, status still marks it.
    let status = run(&mirror, dir.path(), &["status"], None).await;
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert!(
        text(&status).contains("app passwords were turned off on bitbucket.org on 2026-07-28"),
        "{}",
        text(&status)
    );
    assert!(
        text(&status).contains("bbconnect rotate ap --auth api-token --email EMAIL"),
        "{}",
        text(&status)
    );
    let port = mirror
        .base_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .expect("the mirror's port");
    mirror.shutdown().await;

    // ...then checked against a server at the same address that refuses app passwords, as
    // bitbucket.org does.
    let sim = crate::common::sim::start(bbconnect::sim::SimConfig {
        port,
        ..bbconnect::sim::SimConfig::default()
    })
    .await;
    let (check, status) = both(&sim, dir.path()).await;
    both_fail(
        &check,
        &status,
        3,
        &[
            "Bitbucket Cloud turned app passwords off on 2026-07-28",
            "bbconnect rotate ap --auth api-token --email EMAIL",
        ],
    );
    for out in [&check, &status] {
        assert!(
            !text(out).contains("Use your Bitbucket username"),
            "no day-one hint: {}",
            text(out)
        );
    }

    // git's helper, told the credential was refused (git runs `erase` after a 401).
    let list = run(&sim, dir.path(), &["list", "--json"], None).await;
    let clone = bin::json(&list)[0]["url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let host = url::Url::parse(&clone).expect("saved URL");
    let authority = match host.port() {
        Some(p) => format!("{}:{p}", host.host_str().unwrap_or_default()),
        None => host.host_str().unwrap_or_default().to_string(),
    };
    let input = format!(
        "protocol={}\nhost={authority}\nusername=alice\npassword=test-token-app-password\n\n",
        host.scheme()
    );
    let mut erase = bin::against(&sim, dir.path(), &["git-credential", "erase"], None);
    erase.stdin(std::process::Stdio::piped());
    erase.stdout(std::process::Stdio::piped());
    erase.stderr(std::process::Stdio::piped());
    let mut child = erase.spawn().expect("helper starts");
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).await.expect("written");
    }
    let out = child.wait_with_output().await.expect("helper ends");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = bin::stderr(&out);
    assert!(
        err.contains("turned app passwords off on 2026-07-28"),
        "{}",
        text(&out)
    );
    assert!(
        err.contains("bbconnect rotate ap --auth api-token --email EMAIL"),
        "{}",
        text(&out)
    );
}
