//! The headless commands as a new user meets them: where each output goes, names
//! that may be left out, `status`, webhook flags checked before any call, shell completions.

use std::path::Path;

use bbconnect::sim::SimHandle;
use tokio::process::Command;

use crate::common::bin::{BIN, dc_connect_as, dc_user_connect, run, stderr, stdout, text};
use crate::common::creds::ALICE;
use crate::common::sim::default as start;

/// Saves the DC user-token connection `name` as alice.
async fn connect_dc(sim: &SimHandle, dir: &Path, name: &str) {
    let url = sim.server_url();
    let out = run(sim, dir, &dc_connect_as(&url, name, "alice"), Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn check_prints_its_report_on_stdout() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    connect_dc(&sim, dir.path(), "dc").await;
    let out = run(&sim, dir.path(), &["check", "dc"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // `check > report.txt` keeps the report.
    assert!(stdout(&out).contains("Checks for dc"), "{}", text(&out));
    assert!(stdout(&out).contains("[ok  ]"), "{}", text(&out));
    assert!(!stderr(&out).contains("Checks for dc"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn check_rejects_an_unknown_name_before_running_any_check() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    connect_dc(&sim, dir.path(), "dc").await;
    let out = run(&sim, dir.path(), &["check", "dc", "nosuch"], None).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("nosuch"), "{}", text(&out));
    assert!(
        !stdout(&out).contains("Checks for dc") && !stderr(&out).contains("Checks for dc"),
        "dc was checked before the typo was reported: {}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filter_matching_nothing_says_so() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    connect_dc(&sim, dir.path(), "dc").await;
    let out = run(
        &sim,
        dir.path(),
        &["repos", "dc", "--filter", "zzzqqqxxx"],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).is_empty(), "{}", text(&out));
    assert!(
        stderr(&out).contains("no repository matches"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_has_a_header_and_aligned_columns() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    connect_dc(&sim, dir.path(), "dc").await;
    connect_dc(&sim, dir.path(), "a-much-longer-name").await;
    let out = run(&sim, dir.path(), &["list"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{}", text(&out));
    assert!(lines[0].starts_with("NAME"), "{}", text(&out));
    // Every column starts at the same place on every line.
    let col = |line: &str, word: &str| {
        line.find(word)
            .unwrap_or_else(|| panic!("{word} in {line}"))
    };
    let product = col(&lines[0], "PRODUCT");
    assert_eq!(col(&lines[1], "server"), product, "{}", text(&out));
    assert_eq!(col(&lines[2], "server"), product, "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_speaks_json() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    connect_dc(&sim, dir.path(), "dc").await;
    let out = run(&sim, dir.path(), &["remove", "dc", "--json"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["name"], "dc", "{v}");
    assert_eq!(v["removed"], true, "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn repos_and_check_need_no_name_when_there_is_one_connection() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    connect_dc(&sim, dir.path(), "dc").await;
    let out = run(&sim, dir.path(), &["repos"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!stdout(&out).is_empty(), "{}", text(&out));
    let out = run(&sim, dir.path(), &["check"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    connect_dc(&sim, dir.path(), "second").await;
    let out = run(&sim, dir.path(), &["repos"], None).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("dc") && err.contains("second"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_is_one_line_per_connection_and_fails_when_one_does() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    connect_dc(&sim, dir.path(), "dc").await;
    connect_dc(&sim, dir.path(), "other").await;
    let out = run(&sim, dir.path(), &["status"], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{}", text(&out));
    assert!(
        lines.iter().all(|l| l.contains("alice") && l.contains('✓')),
        "{}",
        text(&out)
    );
    // A secret that no longer works: status says which and exits with the check's code.
    // Secrets live under a fresh key per save (`NAME#<id>`).
    let secret = std::fs::read_dir(dir.path().join("secrets"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("other#") && !n.starts_with("other#webhook"))
        })
        .expect("the secret file of `other`");
    std::fs::write(&secret, "test-token-revoked").unwrap();
    let out = run(&sim, dir.path(), &["status", "--json"], None).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let rows = v.as_array().expect("an array");
    assert_eq!(rows.len(), 2, "{v}");
    let other = rows.iter().find(|r| r["name"] == "other").expect("other");
    assert_eq!(other["ok"], false, "{v}");
    let dc = rows.iter().find(|r| r["name"] == "dc").expect("dc");
    assert_eq!(dc["ok"], true, "{v}");
    assert_eq!(dc["user"], "alice", "{v}");
}

fn hook_args<'a>(url: &'a str, hook: &'a str, events: &'a str) -> Vec<&'a str> {
    let mut args = dc_connect_as(url, "ci", "alice");
    args.extend([
        "--repo",
        "WEB/api-adapter",
        "--webhook-url",
        hook,
        "--webhook-events",
        events,
    ]);
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_webhook_events_are_refused_before_any_call() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = sim.server_url();
    let args = hook_args(
        &url,
        "https://ci.example.com/hook",
        "repo:refs_changed,bogus:event",
    );
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("bogus:event"), "{}", text(&out));
    // The valid events are listed, so the user can pick one.
    assert!(
        err.contains("pr:opened") && err.contains("repo:refs_changed"),
        "{}",
        text(&out)
    );
    assert!(
        !err.contains("Checks for"),
        "no call was made: {}",
        text(&out)
    );
    assert!(!dir.path().join("connections.toml").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_http_webhook_needs_allow_http_webhook() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = sim.server_url();
    let mut args = hook_args(&url, "http://ci.internal.example/hook", "repo:refs_changed");
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("--allow-http-webhook"),
        "{}",
        text(&out)
    );
    args.push("--allow-http-webhook");
    let out = run(&sim, dir.path(), &args, Some(ALICE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stderr(&out).contains("unencrypted"),
        "a warning: {}",
        text(&out)
    );
}

/// without a keychain the fallback is said once, in words, with no D-Bus
/// internals (they stay in the log).
#[tokio::test(flavor = "multi_thread")]
async fn the_keychain_fallback_is_said_once_without_internals() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = sim.server_url();
    let mut cmd = Command::new(BIN);
    cmd.args(dc_user_connect(&url))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("BBCONNECT_CONFIG_DIR", dir.path())
        .env("BBCONNECT_SECRET_STORE", "auto")
        .env("BBCONNECT_TOKEN", "test-token-alice")
        .stdin(std::process::Stdio::null());
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(all.matches("keychain").count(), 1, "{all}");
    let lower = all.to_lowercase();
    assert!(
        !lower.contains("d-bus") && !lower.contains("dbus") && !lower.contains("org.freedesktop"),
        "{all}"
    );
}

/// a server address typed without a scheme is taken as https, and said so.
#[tokio::test(flavor = "multi_thread")]
async fn a_url_without_a_scheme_is_taken_as_https_and_said_so() {
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens with TLS there: what matters is that the URL was accepted as https.
    let out = run(
        &sim,
        dir.path(),
        &dc_user_connect("bitbucket.example.invalid"),
        Some(ALICE),
    )
    .await;
    assert_ne!(
        out.status.code(),
        Some(2),
        "not refused as input: {}",
        text(&out)
    );
    assert!(
        stderr(&out).contains("https://bitbucket.example.invalid"),
        "{}",
        text(&out)
    );
}

/// `sim --help` tells which credentials the simulator accepts.
#[test]
fn sim_help_lists_the_demo_credentials() {
    let out = std::process::Command::new(BIN)
        .args(["sim", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("test-token-alice"), "{help}");
    assert!(help.contains("alice"), "{help}");
}

/// completion scripts for four shells and a man page, from the clap definitions.
#[test]
fn completions_and_man_page_come_from_the_command_definitions() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef bbconnect"),
        ("fish", "complete -c bbconnect"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = std::process::Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("status"),
            "{shell}: the subcommands are in it"
        );
    }
    let out = std::process::Command::new(BIN).arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH bbconnect"),
        "{page}"
    );
    assert!(page.contains("connect"), "{page}");
}
