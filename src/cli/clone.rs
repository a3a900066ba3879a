//! `bbconnect clone [NAME] [REPO] [DIR]`: `git clone` over https with this binary as the
//! credential helper for that one command (`git -c credential.helper=...`). The URL carries
//! no userinfo and the token is in no argument, file or environment git sees: git asks the
//! helper, which reads the store.

use crate::{errln, outln};
use std::path::PathBuf;

use clap::Args;

use super::token::only_or_named;
use super::{Ctx, usage};
use crate::core::model::{Problem, Provider};
use crate::core::sanitize::clean;
use crate::engine::clone::{clone_url, default_dir, git_clone_command};

#[derive(Debug, Args)]
pub struct CloneArgs {
    /// [NAME] [REPO] [DIR]; NAME may be left out when one connection is saved.
    #[arg(num_args = 0..=3)]
    pub args: Vec<String>,
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
    errln!(io, "Cloning {} into {}", clean(&url), dir.display());
    let status = git_clone_command(&helper, &conn.name, &url, &dir)
        .status()
        .map_err(|e| crate::engine::git_setup::git_missing(&e))?;
    if status.success() {
        outln!(io, "Cloned {} into {}.", clean(&url), dir.display());
        Ok(())
    } else {
        Err(Problem::other(
            format!("git clone failed ({status}); git's message is above."),
            "If git says authentication failed, run `bbconnect check` on the connection.",
        ))
    }
}
