//! `bbconnect completions SHELL`: shell completion scripts, generated from the same clap
//! definitions as the parser, so they cannot drift.

use clap::{Args, ValueEnum};
use clap_complete::Shell;

use super::Ctx;
use crate::core::model::Problem;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// Prints the completion script on stdout (see the README for where each shell loads it).
pub fn run(ctx: &mut Ctx, args: CompletionsArgs) -> Result<(), Problem> {
    let shell = match args.shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
        ShellArg::Powershell => Shell::PowerShell,
    };
    let mut cmd = super::command();
    clap_complete::generate(shell, &mut cmd, "bbconnect", &mut ctx.io.out);
    Ok(())
}
