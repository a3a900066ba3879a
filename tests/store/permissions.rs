//! Secrets others could read, and files that decide where a token goes that others could
//! write, through the real binary: refused with exit 1, the path and the
//! exact `chmod` named, nothing sent anywhere and nothing silently repaired. And the log file
//! is created owner-only.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use bbconnect::sim::SimHandle;

use crate::common::bin::{self, dc_user_connect, text};
use crate::common::creds::ALICE;

async fn run(home: &Path, args: &[&str], token: Option<&str>, log: bool) -> Output {
    let mut cmd = bin::bbconnect(&home.join("config"), args);
    cmd.env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"));
    if let Some(t) = token {
        cmd.env("BBCONNECT_TOKEN", t);
    }
    if log {
        cmd.env("RUST_LOG", "debug");
    }
    cmd.output().await.expect("binary runs")
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

/// A saved Data Center connection `dc` (alice, file store) against a fresh simulator.
async fn saved(home: &Path) -> SimHandle {
    let sim = crate::common::sim::with_repos(20).await;
    let url = sim.server_url();
    let out = run(home, &dc_user_connect(&url), Some(ALICE), false).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    sim
}

fn secret_file(home: &Path) -> PathBuf {
    let dir = home.join("config/secrets");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("secrets dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.remove(0)
}

/// Runs `list`, `check dc` and `repos dc`: each must exit 1 naming `fix`, and the simulator
/// must not have been sent anything.
async fn all_refused(home: &Path, sim: &SimHandle, fix: &str, also: &str) {
    let before = sim.request_count();
    for args in [
        &["list"][..],
        &["check", "dc"],
        &["check"],
        &["repos", "dc"],
    ] {
        let out = run(home, args, None, false).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(
            err.contains(fix),
            "{args:?} does not say `{fix}`: {}",
            text(&out)
        );
        assert!(
            err.contains(also),
            "{args:?} does not say `{also}`: {}",
            text(&out)
        );
        assert!(!err.contains("test-token-alice"), "{}", text(&out));
    }
    assert_eq!(sim.request_count(), before, "the secret was used");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_others_can_read_is_refused_with_the_chmod_to_run() {
    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();
    let sim = saved(home).await;
    let secrets = home.join("config/secrets");
    let file = secret_file(home);

    // The case: the folder wide open and the file readable by all.
    chmod(&secrets, 0o777);
    chmod(&file, 0o644);
    all_refused(
        home,
        &sim,
        &format!("chmod 700 {}", secrets.display()),
        "secrets folder",
    )
    .await;
    assert_eq!(
        mode_of(&secrets),
        0o777,
        "not repaired behind the user's back"
    );

    chmod(&secrets, 0o700);
    all_refused(
        home,
        &sim,
        &format!("chmod 600 {}", file.display()),
        "revoking",
    )
    .await;
    assert_eq!(mode_of(&file), 0o644);

    // Writable by the group is as bad: someone else could swap the token.
    chmod(&file, 0o620);
    all_refused(
        home,
        &sim,
        &format!("chmod 600 {}", file.display()),
        "writable",
    )
    .await;

    // A save does not paper over it either.
    chmod(&secrets, 0o755);
    let url = sim.server_url();
    let out = run(
        home,
        &bin::dc_connect_as(&url, "dc2", "alice"),
        Some(ALICE),
        false,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("chmod 700 {}", secrets.display())),
        "{}",
        text(&out)
    );
    assert_eq!(mode_of(&secrets), 0o755);

    // Fixed as told, everything works again.
    chmod(&secrets, 0o700);
    chmod(&file, 0o600);
    let out = run(home, &["check", "dc"], None, false).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connections_file_or_config_folder_others_can_write_is_refused() {
    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();
    let sim = saved(home).await;
    let config = home.join("config");
    let file = config.join("connections.toml");

    // Anyone who can edit the URL can have the token sent to their host.
    chmod(&file, 0o666);
    all_refused(
        home,
        &sim,
        &format!("chmod go-w {}", file.display()),
        "connections file",
    )
    .await;
    chmod(&file, 0o644);
    let out = run(home, &["list"], None, false).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "readable by others is fine: {}",
        text(&out)
    );

    chmod(&config, 0o777);
    all_refused(
        home,
        &sim,
        &format!("chmod go-w {}", config.display()),
        "configuration folder",
    )
    .await;
    chmod(&config, 0o755);
    let out = run(home, &["check", "dc"], None, false).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_log_file_is_created_owner_only_and_tightened_if_found_open() {
    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();
    let out = run(home, &["list"], None, true).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = home.join("state/bbconnect");
    let log = dir.join("bbconnect.log");
    assert!(log.exists(), "RUST_LOG wrote no log under XDG_STATE_HOME");
    assert_eq!(mode_of(&log), 0o600, "log file");
    assert_eq!(mode_of(&dir), 0o700, "log folder");

    chmod(&log, 0o644);
    let out = run(home, &["list"], None, true).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(mode_of(&log), 0o600, "an open log is tightened");
}
