//! The wizard's git work, run by the worker: plan and apply `setup-git` for one connection,
//! and `git clone` its repository with git's progress reported line by line. git's own
//! messages are sanitised before they reach the screen.

use std::process::Stdio;

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use crate::core::model::{FailureClass, Problem};
use crate::core::sanitize::clean;
use crate::engine::git_setup::{self, Scope};
use crate::engine::git_trust;
use crate::store::{SecretStoreMode, Store};
use crate::tui::wizard::msg::{Msg, RequestId};

fn plan_for(store: &Store, name: &str) -> Result<Vec<git_setup::Change>, Problem> {
    let all = store.list().map_err(Problem::from)?;
    let chosen: Vec<_> = all.iter().filter(|c| c.name == name).cloned().collect();
    let hosts = git_setup::hosts_for(&all, &chosen, |c| git_trust::ca_info(store, c));
    if hosts.is_empty() {
        return Err(Problem::new(
            FailureClass::Input,
            "This connection has no https address git could use.",
            "Clone over ssh, or connect with an https server URL.",
        ));
    }
    let helper = git_setup::helper_value()?;
    let entries = git_setup::read_entries(Scope::Global, None)?;
    Ok(git_setup::plan(&entries, &hosts, &helper, false))
}

/// The exact `git config` lines `setup-git NAME` would run.
pub fn plan_lines(store: &Store, name: &str) -> Result<Vec<String>, Problem> {
    Ok(plan_for(store, name)?
        .iter()
        .map(|c| clean(&c.describe(Scope::Global)))
        .collect())
}

pub fn apply(store: &Store, name: &str) -> Result<String, Problem> {
    let changes = plan_for(store, name)?;
    git_setup::apply(&changes, Scope::Global, None)?;
    Ok(format!(
        "git is set up: {} line(s) of your global git config changed. Undo: bbconnect setup-git --remove",
        changes.len()
    ))
}

fn mode_name(mode: SecretStoreMode) -> &'static str {
    match mode {
        SecretStoreMode::Auto => "auto",
        SecretStoreMode::Keyring => "keyring",
        SecretStoreMode::File => "file",
    }
}

/// The last line git wrote, `\r`-separated progress included.
fn last_line(text: &str) -> Option<&str> {
    text.split(['\r', '\n'])
        .map(str::trim)
        .rfind(|l| !l.is_empty())
}

/// git's own explanation of a failure: its `fatal:`/`error:` lines, else its last line.
fn git_message(text: &str) -> String {
    let told: Vec<&str> = text
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| l.starts_with("fatal:") || l.starts_with("error:") || l.starts_with("remote:"))
        .collect();
    if told.is_empty() {
        last_line(text).unwrap_or("git gave no message").to_string()
    } else {
        told.join(" ")
    }
}

pub async fn clone(
    store: &Store,
    id: RequestId,
    name: &str,
    dir: &str,
    replies: &mpsc::UnboundedSender<Msg>,
) -> Result<String, Problem> {
    let conn = store.get(name).map_err(Problem::from)?.ok_or_else(|| {
        Problem::new(
            FailureClass::Other,
            format!("Connection `{}` is no longer saved.", clean(name)),
            "Connect again.",
        )
    })?;
    let over_ssh = crate::engine::clone::ssh_route_for(&conn, None);
    let (url, ca_info, mut cmd) = match over_ssh {
        // The one SSH clone `bbconnect clone` runs: the connection's key and pinned host only.
        Some(route) => {
            let ssh = crate::engine::ssh::ssh_command_for(store, name);
            let cmd = crate::engine::clone::git_ssh_clone_command(
                &ssh,
                &route.clone_url,
                std::path::Path::new(dir),
            );
            (route.clone_url.clone(), None, cmd)
        }
        None => {
            let url = crate::engine::clone::clone_url(&conn, None).ok_or_else(|| {
                Problem::new(
                    FailureClass::Input,
                    "This connection has no repository with an https clone URL.",
                    "Choose a repository when connecting, or use `bbconnect clone NAME REPO`.",
                )
            })?;
            let helper = git_setup::helper_value()?;
            let ca_info = git_trust::ca_info(store, &conn);
            let mut cmd = crate::engine::clone::git_clone_command(
                &helper,
                name,
                &url,
                std::path::Path::new(dir),
                ca_info.as_deref(),
            );
            // The helper git starts must read this store (the demo's is a temporary directory).
            cmd.env("BBCONNECT_CONFIG_DIR", store.dir())
                .env("BBCONNECT_SECRET_STORE", mode_name(store.mode()));
            (url, ca_info, cmd)
        }
    };
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = tokio::process::Command::from(cmd)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| git_setup::git_missing(&e))?;
    let mut all = String::new();
    if let Some(mut err) = child.stderr.take() {
        let mut buf = [0u8; 4096];
        while let Ok(n) = err.read(&mut buf).await {
            if n == 0 {
                break;
            }
            all.push_str(&String::from_utf8_lossy(&buf[..n]));
            if let Some(line) = last_line(&all) {
                let _ = replies.send(Msg::GitProgress {
                    id,
                    line: clean(line),
                });
            }
        }
    }
    let status = child.wait().await.map_err(|e| git_setup::git_missing(&e))?;
    if status.success() {
        Ok(format!("Cloned {} into ./{}", clean(&url), clean(dir)))
    } else {
        // git's own words are the message (the wizard shows no terminal), read for the fix.
        let (class, fix) = match over_ssh {
            Some(_) => (
                FailureClass::Other,
                crate::engine::clone::SSH_CLONE_FIX.to_string(),
            ),
            None => {
                let read = git_trust::git_failure(&all, name, ca_info.is_some());
                (read.class, read.fix)
            }
        };
        Err(Problem::new(class, clean(&git_message(&all)), fix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_and_failures_come_from_gits_own_lines() {
        assert_eq!(
            last_line("Cloning into 'a'...\nReceiving objects:  10%\rReceiving objects:  50%\r"),
            Some("Receiving objects:  50%")
        );
        assert_eq!(
            git_message("Cloning into 'a'...\nfatal: destination path 'a' already exists\n"),
            "fatal: destination path 'a' already exists"
        );
        assert_eq!(git_message("weird\n"), "weird");
    }
}
