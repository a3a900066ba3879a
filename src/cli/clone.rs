//! `bbconnect clone [NAME] [REPO] [DIR]`: `git clone` over https with this binary as the
//! credential helper for that one command (`git -c credential.helper=...`). The URL carries
//! no userinfo and the token is in no argument, file or environment git sees: git asks the
//! helper, which reads the store.

use crate::{errln, outln};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Stdio;

use clap::Args;

use super::token::only_or_named;
use super::{Ctx, usage};
use crate::core::model::{Problem, Provider};
use crate::core::sanitize::clean;
use crate::core::ssh::SshRoute;
use crate::engine::clone::{
    clone_url, default_dir, git_clone_command, git_ssh_clone_command, ssh_route_for,
};
use crate::engine::git_trust;
use crate::store::{SavedConnection, Store};

#[derive(Debug, Args)]
pub struct CloneArgs {
    /// [NAME] [REPO] [DIR]; NAME may be left out when one connection is saved.
    #[arg(num_args = 0..=3)]
    pub args: Vec<String>,
}

fn clone_over_ssh(
    io: &mut super::Io,
    store: &Store,
    conn: &SavedConnection,
    route: &SshRoute,
    dir: Option<String>,
) -> Result<(), Problem> {
    let url = &route.clone_url;
    let dir = PathBuf::from(dir.unwrap_or_else(|| default_dir(url)));
    let ssh = crate::engine::ssh::ssh_command_for(store, &conn.name);
    errln!(io, "Cloning {} over SSH into {}", clean(url), dir.display());
    let status = git_ssh_clone_command(&ssh, url, &dir)
        .status()
        .map_err(|e| crate::engine::git_setup::git_missing(&e))?;
    if status.success() {
        outln!(io, "Cloned {} into {}.", clean(url), dir.display());
        Ok(())
    } else {
        Err(Problem::other(
            format!("git clone over SSH failed ({status}); git's message is above."),
            crate::engine::clone::SSH_CLONE_FIX,
        ))
    }
}

/// `bbconnect clone`.
pub fn run(ctx: &mut Ctx, args: CloneArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let io = &mut ctx.io;
    let args = args.args.as_slice();
    let all = store.list().map_err(Problem::from)?;
    // NAME may be left out when exactly one connection is saved: then the first argument
    // is the repository, unless it is that connection's name.
    let (name, rest) = match args.first() {
        Some(first) if all.iter().any(|c| &c.name == first) => (Some(first.as_str()), &args[1..]),
        _ => (None, args),
    };
    if rest.len() > 2 {
        return Err(usage(
            "Too many arguments.",
            "Use `bbconnect clone [NAME] [REPO] [DIR]`.",
        ));
    }
    let conn = only_or_named(store, name)?;
    let repo = rest.first().map(String::as_str);
    if let Some(route) = ssh_route_for(&conn, repo) {
        let dir = rest.get(1).cloned();
        return clone_over_ssh(io, store, &conn, route, dir);
    }
    let Some(url) = clone_url(&conn, repo) else {
        return Err(usage(
            match repo {
                Some(r) => format!("`{}` is not a repository name.", clean(r)),
                None => format!(
                    "Connection `{}` has no repository chosen.",
                    clean(&conn.name)
                ),
            },
            match conn.provider {
                Provider::Cloud => {
                    "Give it as WORKSPACE/SLUG: bbconnect clone NAME WORKSPACE/SLUG."
                }
                Provider::Server => "Give it as PROJECTKEY/SLUG: bbconnect clone NAME KEY/SLUG.",
            },
        ));
    };
    let dir = PathBuf::from(rest.get(1).cloned().unwrap_or_else(|| default_dir(&url)));
    let helper = crate::engine::git_setup::helper_value()?;
    let ca_info = git_trust::ca_info(store, &conn);
    errln!(io, "Cloning {} into {}", clean(&url), dir.display());
    let mut child = git_clone_command(&helper, &conn.name, &url, &dir, ca_info.as_deref())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| crate::engine::git_setup::git_missing(&e))?;
    let told = child
        .stderr
        .take()
        .map(|err| relay(err, &mut *io.err))
        .unwrap_or_default();
    let status = child
        .wait()
        .map_err(|e| crate::engine::git_setup::git_missing(&e))?;
    if status.success() {
        outln!(io, "Cloned {} into {}.", clean(&url), dir.display());
        Ok(())
    } else {
        Err(git_trust::git_failure(&told, &conn.name, ca_info.is_some()))
    }
}

/// How much of git's stderr is kept to read its failure: the end, where git says it.
const TOLD_KEPT: usize = 64 * 1024;

/// Copies git's stderr to ours as it comes (progress included) and returns its end.
fn relay(mut from: impl Read, to: &mut dyn Write) -> String {
    let mut told = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        let _ = to.write_all(&buf[..n]);
        let _ = to.flush();
        told.extend_from_slice(&buf[..n]);
        if told.len() > TOLD_KEPT {
            told.drain(..told.len() - TOLD_KEPT);
        }
    }
    String::from_utf8_lossy(&told).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gits_stderr_is_relayed_as_it_comes_and_its_end_kept() {
        let mut shown = Vec::new();
        let told = relay(
            &b"Cloning into 'a'...\nfatal: server certificate verification failed\n"[..],
            &mut shown,
        );
        assert_eq!(told.as_bytes(), &shown[..]);
        let long = "x".repeat(TOLD_KEPT * 2) + "fatal: end";
        let told = relay(long.as_bytes(), &mut Vec::new());
        assert_eq!(told.len(), TOLD_KEPT);
        assert!(told.ends_with("fatal: end"));
    }
}
