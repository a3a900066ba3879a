//! `bbconnect setup-git [NAME...] [--local] [--remove]`: git asks bbconnect for the
//! credential of each saved connection's host (see `crate::engine::git_setup`).

use clap::Args;

use super::{Ctx, usage};
use crate::core::model::Problem;
use crate::core::sanitize::clean;
use crate::engine::git_setup::{self, Scope};
use crate::outln;

#[derive(Debug, Args)]
pub struct SetupGitArgs {
    pub names: Vec<String>,
    /// The current repository's config instead of the global one.
    #[arg(long)]
    pub local: bool,
    /// Undo what setup-git set.
    #[arg(long)]
    pub remove: bool,
}

/// `bbconnect setup-git`.
pub fn run(ctx: &mut Ctx, args: SetupGitArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let io = &mut ctx.io;
    let SetupGitArgs {
        names,
        local,
        remove,
    } = args;
    let all = store.list().map_err(Problem::from)?;
    let chosen: Vec<_> = if names.is_empty() {
        all.clone()
    } else {
        let mut out = Vec::new();
        for n in &names {
            match all.iter().find(|c| &c.name == n) {
                Some(c) => out.push(c.clone()),
                None => {
                    return Err(usage(
                        format!("No saved connection named `{}`.", clean(n)),
                        "Run `bbconnect list` to see the saved ones.",
                    ));
                }
            }
        }
        out
    };
    if chosen.is_empty() {
        return Err(usage(
            "No saved connections: git has nothing to ask bbconnect for.",
            "Add one with `bbconnect` or `bbconnect connect`, then run setup-git.",
        ));
    }
    let scope = if local { Scope::Local } else { Scope::Global };
    let hosts = git_setup::hosts_for(&all, &chosen);
    let helper = git_setup::helper_value()?;
    let entries = git_setup::read_entries(scope, None)?;
    let changes = git_setup::plan(&entries, &hosts, &helper, remove);
    if changes.is_empty() {
        outln!(
            io,
            "git is already {} for {}: nothing to change.",
            if remove {
                "without bbconnect"
            } else {
                "set up"
            },
            hosts
                .iter()
                .map(|h| h.host.config_url())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(());
    }
    git_setup::apply(&changes, scope, None)?;
    outln!(io, "Changed git's config:");
    for c in &changes {
        outln!(io, "  {}", clean(&c.describe(scope)));
    }
    if !remove {
        outln!(
            io,
            "git now asks bbconnect for these hosts; undo with `bbconnect setup-git --remove`."
        );
    }
    Ok(())
}
