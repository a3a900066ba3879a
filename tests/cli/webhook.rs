//! The real binary's webhook commands against the simulator: `connect --webhook-url` creates the
//! hook once (a second run keeps the same one), refuses without admin rights, `check` notices a
//! hook deleted behind our back, `remove --delete-webhook` deletes it. Hooks are counted through
//! the simulator's own API with plain reqwest, not through bbconnect's client.

use std::path::Path;
use std::process::Output;

use bbconnect::sim::SimHandle;
use serde_json::Value;

use crate::common::bin::{self, json, text};
use crate::common::creds::ALICE;
use crate::common::http::JsonBody;
use crate::common::sim::{dc_project_repo as dc_repo, first_cloud_repo};

async fn start() -> SimHandle {
    crate::common::sim::with_repos(60).await
}

const HOOK_URL: &str = "https://ci.example.com/bitbucket/hook";
const HOOK_SECRET: &str = "test-token-hook-signing-secret";

async fn run(sim: &SimHandle, config: &Path, args: &[&str], token: Option<&str>) -> Output {
    bin::against(sim, config, args, token)
        .env("HOOK_SECRET", HOOK_SECRET)
        .output()
        .await
        .expect("binary runs")
}

/// The hooks on a DC repository whose URL is ours.
async fn dc_hooks(sim: &SimHandle, repo: &str) -> Vec<Value> {
    let (key, slug) = repo.split_once('/').unwrap();
    let v: Value = reqwest::Client::new()
        .get(format!(
            "{}/rest/api/1.0/projects/{key}/repos/{slug}/webhooks?limit=100",
            sim.server_url()
        ))
        .bearer_auth("test-token-alice")
        .json_body()
        .await;
    v["values"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|h| h["url"] == HOOK_URL)
        .collect()
}

fn dc_connect_args<'a>(url: &'a str, name: &'a str, repo: &'a str, user: &'a str) -> Vec<&'a str> {
    let mut args = bin::dc_connect_as(url, name, user);
    args.extend(["--repo", repo, "--webhook-url", HOOK_URL, "--json"]);
    args
}

/// The file holding connection `name`'s webhook secret (`webhook/secrets/NAME#webhook-<id>`).
fn hook_secret_file(config: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    std::fs::read_dir(config.join("webhook/secrets"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with(&format!("{name}#")))
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_create_idempotent_check_and_delete() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = sim.server_url();
    let repo = dc_repo(&sim, "WEB").await;

    // First run: created, with the secret stored next to the connection's.
    let mut args = dc_connect_args(&url, "ci", &repo, "alice");
    args.extend(["--webhook-secret-env", "HOOK_SECRET"]);
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["webhook"]["change"], "created", "{v}");
    let id = v["webhook"]["id"].as_str().expect("hook id").to_string();
    assert_eq!(dc_hooks(&sim, &repo).await.len(), 1);
    let toml = std::fs::read_to_string(dir.path().join("connections.toml")).unwrap();
    assert!(toml.contains(&format!("webhook_id = \"{id}\"")), "{toml}");
    assert!(toml.contains(HOOK_URL), "{toml}");
    assert!(
        !toml.contains(HOOK_SECRET),
        "the hook secret stays out of the file"
    );
    let stored =
        std::fs::read_to_string(hook_secret_file(dir.path(), "ci").expect("stored")).unwrap();
    assert_eq!(stored, HOOK_SECRET);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(HOOK_SECRET));

    // Second run: the same hook, no duplicate.
    let mut args = dc_connect_args(&url, "ci", &repo, "alice");
    args.push("--replace");
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["webhook"]["change"], "kept", "{v}");
    assert_eq!(v["webhook"]["id"], id.as_str());
    assert_eq!(dc_hooks(&sim, &repo).await.len(), 1, "never a duplicate");

    // check: the hook is in place.
    let out = run(&sim, dir.path(), &["check", "ci", "--json"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rows = json(&out)[0]["checks"]["items"].clone();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "webhook")
        .cloned()
        .expect("a webhook row");
    assert_eq!(row["status"], "passed", "{row}");

    // Deleted behind our back: check fails and says so.
    let (key, slug) = repo.split_once('/').unwrap();
    let status = reqwest::Client::new()
        .delete(format!(
            "{}/rest/api/1.0/projects/{key}/repos/{slug}/webhooks/{id}",
            sim.server_url()
        ))
        .bearer_auth("test-token-alice")
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
    let out = run(&sim, dir.path(), &["check", "ci"], None).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The report is `check`'s output: stdout.
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("gone"),
        "{}",
        text(&out)
    );

    // Recreated, then removed with the connection.
    let mut args = dc_connect_args(&url, "ci", &repo, "alice");
    args.push("--replace");
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(json(&out)["webhook"]["change"], "created", "{}", text(&out));
    assert_eq!(dc_hooks(&sim, &repo).await.len(), 1);
    let out = run(
        &sim,
        dir.path(),
        &["remove", "ci", "--delete-webhook"],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Deleted webhook"));
    assert!(
        dc_hooks(&sim, &repo).await.is_empty(),
        "the hook is deleted"
    );
    let out = run(&sim, dir.path(), &["list", "--json"], None).await;
    assert_eq!(json(&out), serde_json::json!([]));
    assert!(
        hook_secret_file(dir.path(), "ci").is_none(),
        "the hook secret goes with the connection"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_reader_is_refused_with_the_admin_hint_and_nothing_is_saved() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = sim.server_url();
    let repo = dc_repo(&sim, "WEB").await;
    let out = run(
        &sim,
        dir.path(),
        &dc_connect_args(&url, "bob", &repo, "bob"),
        Some("test-token-bob"),
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("repository admin"), "{err}");
    assert!(err.contains("REPO_READ once the hook exists"), "{err}");
    let v = json(&out);
    assert_eq!(v["ok"], false);
    assert_eq!(v["webhook_error"]["class"], "permission", "{v}");
    assert!(dc_hooks(&sim, &repo).await.is_empty());
    assert!(
        !dir.path().join("connections.toml").exists(),
        "nothing saved"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_webhook_flags_are_usage_errors_before_any_request() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = sim.server_url();
    let before = sim.request_count();
    let mut args = dc_connect_args(&url, "x", "WEB/site", "alice");
    let i = args.iter().position(|a| *a == HOOK_URL).unwrap();
    args[i] = "http://ci.example.com/hook";
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https"));

    let mut args = bin::dc_connect_as(&url, "x", "alice");
    args.extend(["--webhook-url", HOOK_URL]);
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--repo"));

    let mut args = dc_connect_args(&url, "x", "WEB/site", "alice");
    args.extend(["--webhook-secret-env", "NOT_SET_ANYWHERE"]);
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(sim.request_count(), before, "refused before any request");
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_create_with_chosen_events_then_kept() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let repo = first_cloud_repo(&sim, "acme-platform").await;
    let mut args = bin::cloud_connect_as("cloud-ci");
    args.extend([
        "--repo",
        &repo,
        "--webhook-url",
        HOOK_URL,
        "--webhook-events",
        "repo:push,pullrequest:created",
        "--json",
    ]);
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["webhook"]["change"], "created", "{v}");
    let mut args2 = args.to_vec();
    args2.push("--replace");
    let out = run(&sim, dir.path(), &args2, Some(ALICE)).await;
    let again = json(&out);
    assert_eq!(again["webhook"]["change"], "kept", "{again}");
    assert_eq!(again["webhook"]["id"], v["webhook"]["id"]);
    let hooks: Value = reqwest::Client::new()
        .get(format!("{}/repositories/{repo}/hooks", sim.cloud_api_url()))
        .basic_auth("alice@example.com", Some(ALICE))
        .json_body()
        .await;
    let ours: Vec<&Value> = hooks["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["url"] == HOOK_URL)
        .collect();
    assert_eq!(ours.len(), 1, "{hooks}");
    let mut events: Vec<&str> = ours[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    events.sort();
    assert_eq!(events, vec!["pullrequest:created", "repo:push"]);
}

/// a webhook secret that cannot be stored must not leave the connection saved
/// without it (the old CLI saved the connection, then stopped, so the re-run hit "already
/// exists"). The secret's folder is blocked by a plain file, the first run fails with nothing
/// saved, and once it is unblocked the same command (no --replace) succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_secret_that_cannot_be_stored_saves_nothing_and_the_rerun_works() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = sim.server_url();
    let repo = dc_repo(&sim, "WEB").await;
    let blocker = dir.path().join("webhook");
    std::fs::write(&blocker, "not a folder").unwrap();
    let mut args = dc_connect_args(&url, "ci", &repo, "alice");
    args.extend(["--webhook-secret-env", "HOOK_SECRET"]);

    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let listed = run(&sim, dir.path(), &["list", "--json"], None).await;
    assert_eq!(json(&listed), serde_json::json!([]), "nothing half-saved");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not saved"), "{}", text(&out));
    assert!(
        !err.contains(HOOK_SECRET) && !String::from_utf8_lossy(&out.stdout).contains(HOOK_SECRET)
    );

    std::fs::remove_file(&blocker).unwrap();
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "the re-run: {}", text(&out));
    let stored =
        std::fs::read_to_string(hook_secret_file(dir.path(), "ci").expect("stored")).unwrap();
    assert_eq!(stored, HOOK_SECRET);
    assert_eq!(dc_hooks(&sim, &repo).await.len(), 1, "never a duplicate");
}
