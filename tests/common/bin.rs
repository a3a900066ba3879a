//! The real `bbconnect` binary, run the way a user's shell would but with nothing of the
//! developer's own set-up: an empty environment but PATH, HOME and the config dir in a
//! temporary directory, secrets in 0600 files (never the developer's keychain), stdin closed.

use std::path::Path;
use std::process::{Output, Stdio};

use bbconnect::sim::SimHandle;
use tokio::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_bbconnect");

/// `bbconnect args` with HOME and BBCONNECT_CONFIG_DIR at `config`.
pub fn bbconnect(config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", config)
        .env("BBCONNECT_CONFIG_DIR", config)
        .env("BBCONNECT_SECRET_STORE", "file")
        .stdin(Stdio::null());
    cmd
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

/// `connect` of the Data Center user token `dc` as alice at `url`: the flags many tests share
/// (the token goes in through BBCONNECT_TOKEN).
pub fn dc_user_connect(url: &str) -> Vec<&str> {
    dc_connect_as(url, "dc", "alice")
}

/// `connect` of a Data Center user token saved as `name`, signed in as `user`, at `url`.
pub fn dc_connect_as<'a>(url: &'a str, name: &'a str, user: &'a str) -> Vec<&'a str> {
    vec![
        "connect",
        "--provider",
        "server",
        "--auth",
        "http-token-user",
        "--name",
        name,
        "--url",
        url,
        "--username",
        user,
    ]
}

/// `connect` of alice's Cloud API token `cloud`: the flags many tests share (the token goes in
/// through BBCONNECT_TOKEN).
pub fn cloud_api_connect() -> Vec<&'static str> {
    cloud_connect_as("cloud")
}

/// `connect` of alice's Cloud API token saved as `name`.
pub fn cloud_connect_as(name: &str) -> Vec<&str> {
    vec![
        "connect",
        "--provider",
        "cloud",
        "--auth",
        "api-token",
        "--name",
        name,
        "--email",
        "alice@example.com",
    ]
}

/// `connect` of alice's Cloud app password saved as `name` (the password goes in through
/// BBCONNECT_TOKEN).
pub fn cloud_app_password_connect(name: &str) -> Vec<&str> {
    vec![
        "connect",
        "--provider",
        "cloud",
        "--auth",
        "app-password",
        "--name",
        name,
        "--username",
        "alice",
    ]
}
