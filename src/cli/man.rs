//! `bbconnect man`: the roff man page, generated from the same clap definitions as the
//! parser, so it cannot drift.

use clap::Args;

use super::Ctx;
use crate::core::model::Problem;

#[derive(Debug, Args)]
pub struct ManArgs {}

/// Prints the man page (roff) on stdout: `bbconnect man > bbconnect.1`.
pub fn run(ctx: &mut Ctx, _args: ManArgs) -> Result<(), Problem> {
    let page = clap_mangen::Man::new(super::command());
    page.render(&mut ctx.io.out).map_err(|e| {
        Problem::other(
            format!("could not write the man page: {e}"),
            "redirect it to a writable file, e.g. `bbconnect man > bbconnect.1`.",
        )
    })
}
