//! `bbconnect completions SHELL` and `bbconnect man`: shell completion scripts and a roff man
//! page, both generated from the same clap definitions as the parser, so they cannot drift.

use clap::{Args, ValueEnum};
use clap_complete::Shell;

use super::{Failure, Io};

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
pub fn completions(io: &mut Io, args: &CompletionsArgs) -> Result<(), Failure> {
    let shell = match args.shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
        ShellArg::Powershell => Shell::PowerShell,
    };
    let mut cmd = super::command();
    clap_complete::generate(shell, &mut cmd, "bbconnect", &mut io.out);
    Ok(())
}

/// Prints the man page (roff) on stdout: `bbconnect man > bbconnect.1`.
pub fn man(io: &mut Io) -> Result<(), Failure> {
    let page = clap_mangen::Man::new(super::command());
    page.render(&mut io.out).map_err(|e| Failure {
        message: format!("could not write the man page: {e}\n  fix: redirect it to a writable file, e.g. `bbconnect man > bbconnect.1`."),
        code: 1,
    })
}
