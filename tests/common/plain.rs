//! What the examples share with the tests (they include this file; it needs no test harness
//! and no simulator): the flags of the connects the tests run, and a clean environment.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// `program args` the way a user's shell would run it but with nothing of the developer's own
/// set-up: an empty environment but PATH, HOME and the config dir at `config`, secrets in
/// 0600 files (never the developer's keychain), stdin closed.
pub fn isolated(program: impl AsRef<OsStr>, config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", config)
        .env("BBCONNECT_CONFIG_DIR", config)
        .env("BBCONNECT_SECRET_STORE", "file")
        .stdin(Stdio::null());
    cmd
}

/// `connect --provider provider --auth auth --name name`: the opening every connect shares;
/// callers add the flags their credential type takes.
pub fn connect_as<'a>(provider: &'a str, auth: &'a str, name: &'a str) -> Vec<&'a str> {
    vec![
        "connect",
        "--provider",
        provider,
        "--auth",
        auth,
        "--name",
        name,
    ]
}

/// `connect` of the Data Center user token `dc` as alice at `url`: the flags many tests share
/// (the token goes in through BBCONNECT_TOKEN).
pub fn dc_user_connect(url: &str) -> Vec<&str> {
    dc_connect_as(url, "dc", "alice")
}

/// `connect` of a Data Center user token saved as `name`, signed in as `user`, at `url`.
pub fn dc_connect_as<'a>(url: &'a str, name: &'a str, user: &'a str) -> Vec<&'a str> {
    let mut args = connect_as("server", "http-token-user", name);
    args.extend(["--url", url, "--username", user]);
    args
}

/// `connect` of alice's Cloud API token `cloud`: the flags many tests share (the token goes in
/// through BBCONNECT_TOKEN).
pub fn cloud_api_connect() -> Vec<&'static str> {
    cloud_connect_as("cloud")
}

/// `connect` of alice's Cloud API token saved as `name`.
pub fn cloud_connect_as(name: &str) -> Vec<&str> {
    let mut args = connect_as("cloud", "api-token", name);
    args.extend(["--email", "alice@example.com"]);
    args
}

/// `connect` of alice's Cloud app password saved as `name` (the password goes in through
/// BBCONNECT_TOKEN).
pub fn cloud_app_password_connect(name: &str) -> Vec<&str> {
    let mut args = connect_as("cloud", "app-password", name);
    args.extend(["--username", "alice"]);
    args
}
