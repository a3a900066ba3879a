//! Every process bbconnect starts (the browser, git) is built here, so that none of them
//! inherits a secret from our environment. A browser helper or a git hook is someone else's
//! code: `BBCONNECT_TOKEN` in its environment would be a secret handed to whatever it runs.

use std::ffi::OsStr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The variables that carry secrets into bbconnect by convention. Any other `BBCONNECT_*`
/// variable whose name says it holds a secret is removed too (see [`is_secret_var`]).
pub const SECRET_VARS: &[&str] = &["BBCONNECT_TOKEN", "BBCONNECT_OAUTH_SECRET"];

/// Whether a variable of our own namespace carries a secret. Settings such as
/// `BBCONNECT_CONFIG_DIR` stay: a child git calls `bbconnect git-credential`, which needs them.
pub fn is_secret_var(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    let upper = name.to_ascii_uppercase();
    if SECRET_VARS.iter().any(|v| *v == upper) {
        return true;
    }
    upper.starts_with("BBCONNECT_")
        && ["TOKEN", "SECRET", "PASSWORD", "PASS"]
            .iter()
            .any(|w| upper.contains(w))
}

/// Removes from `cmd`'s environment every secret variable of ours.
pub fn scrub(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if is_secret_var(&name) {
            cmd.env_remove(&name);
        }
    }
}

/// A command for `program` whose environment holds none of our secrets.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    scrub(&mut cmd);
    cmd
}

/// The same for tokio.
pub fn tokio_command(program: impl AsRef<OsStr>) -> tokio::process::Command {
    tokio::process::Command::from(command(program))
}

/// How long an opener may run before it counts as having handed the page to a browser:
/// xdg-open waits for a browser it had to start until that browser quits.
const OPENER_WAIT: Duration = Duration::from_secs(5);

/// Opens `url` in the system browser with a scrubbed environment. `Ok` only when an opener
/// ran and said it succeeded (or was still running after a few seconds, i.e. a browser it
/// started is showing the page); the error says what was tried, for a face to tell the user.
/// Blocks while the opener runs.
pub fn open_url(url: &str) -> Result<(), String> {
    let mut last = String::from("no way to open a browser is known on this system");
    for mut cmd in open::commands(url) {
        scrub(&mut cmd);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let program = cmd.get_program().to_string_lossy().into_owned();
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                last = format!("{program} could not start: {e}");
                continue;
            }
        };
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if started.elapsed() < OPENER_WAIT => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Ok(None) => {
                    // Reaped in the background so it never lingers as a zombie.
                    std::thread::spawn(move || child.wait());
                    return Ok(());
                }
                Err(e) => break Err(e),
            }
        };
        match status {
            Ok(status) if status.success() => return Ok(()),
            Ok(status) => last = format!("{program} exited with {status}"),
            Err(e) => last = format!("{program} could not be waited for: {e}"),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_recognised_and_settings_are_kept() {
        for v in [
            "BBCONNECT_TOKEN",
            "BBCONNECT_OAUTH_SECRET",
            "bbconnect_token",
            "BBCONNECT_WEBHOOK_SECRET",
        ] {
            assert!(is_secret_var(OsStr::new(v)), "{v}");
        }
        for v in [
            "BBCONNECT_CONFIG_DIR",
            "BBCONNECT_CA_FILE",
            "BBCONNECT_OAUTH_KEY",
            "HOME",
        ] {
            assert!(!is_secret_var(OsStr::new(v)), "{v}");
        }
    }
}
