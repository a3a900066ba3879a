//! The real `bbconnect` binary, run the way a user's shell would but with nothing of the
//! developer's own set-up: an empty environment but PATH, HOME and the config dir in a
//! temporary directory, secrets in 0600 files (never the developer's keychain), stdin closed.

use std::path::Path;
use std::process::Output;

use bbconnect::sim::SimHandle;
use tokio::process::Command;

pub use super::plain::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_bbconnect");
/// The credential helper binary `setup-git` installs beside `bbconnect`.
pub const HELPER_BIN: &str = env!("CARGO_BIN_EXE_git-credential-bbconnect");

/// `bbconnect args` with HOME and BBCONNECT_CONFIG_DIR at `config`.
pub fn bbconnect(config: &Path, args: &[&str]) -> Command {
    Command::from(isolated(BIN, config, args))
}

/// [`bbconnect`] with Cloud pointed at `sim` and `token` (if any) in BBCONNECT_TOKEN.
pub fn against(sim: &SimHandle, config: &Path, args: &[&str], token: Option<&str>) -> Command {
    let mut cmd = bbconnect(config, args);
    cmd.env("BBCONNECT_CLOUD_API_URL", sim.cloud_api_url())
        .env("BBCONNECT_CLOUD_WEB_URL", sim.cloud_web_url());
    if let Some(t) = token {
        cmd.env("BBCONNECT_TOKEN", t);
    }
    cmd
}

/// Runs [`against`] to the end.
pub async fn run(sim: &SimHandle, config: &Path, args: &[&str], token: Option<&str>) -> Output {
    against(sim, config, args, token)
        .output()
        .await
        .expect("binary runs")
}

/// Saves `dc` (alice's Data Center user token at `sim`) in `config`, or panics with the run.
pub async fn save_dc(sim: &SimHandle, config: &Path) {
    let out = run(
        sim,
        config,
        &dc_user_connect(&sim.server_url()),
        Some(super::creds::ALICE),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Exit status and both streams, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status={:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Stdout parsed as JSON (`--json`), or a panic that shows the whole run.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

/// `connect` of an OAuth consumer saved as `name`, waiting at most `timeout` seconds for the
/// browser's callback on `port` (key and secret go in through the environment).
pub fn cloud_oauth_connect<'a>(name: &'a str, port: &'a str, timeout: &'a str) -> Vec<&'a str> {
    let mut args = connect_as("cloud", "oauth", name);
    args.extend(["--callback-port", port, "--oauth-timeout", timeout]);
    args
}
