//! `bbconnect ssh-key NAME [--private]`: the public key of a connection's SSH route (to paste
//! where a repository admin adds it by hand), or its private key for a CI secret store.

use std::io::Write;

use clap::Args;
use secrecy::ExposeSecret;

use super::Ctx;
use crate::core::model::{FailureClass, Problem};
use crate::core::sanitize::clean;
use crate::errln;

#[derive(Debug, Args)]
pub struct SshKeyArgs {
    pub name: String,
    /// Print the private key instead (a secret: for a CI system's secret store).
    #[arg(long)]
    pub private: bool,
}

fn no_key(name: &str) -> Problem {
    Problem::new(
        FailureClass::Input,
        format!("Connection `{}` has no SSH key.", clean(name)),
        "Make one with `bbconnect connect --replace --git-protocol ssh ...` (see `bbconnect list`).",
    )
}

/// `bbconnect ssh-key`.
pub fn run(ctx: &mut Ctx, args: SshKeyArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let conn = store.get(&args.name)?.ok_or_else(|| {
        Problem::new(
            FailureClass::Input,
            format!("No saved connection named `{}`.", clean(&args.name)),
            "Run `bbconnect list` to see the saved ones.",
        )
    })?;
    if conn.ssh.is_none() {
        return Err(no_key(&args.name));
    }
    let io = &mut ctx.io;
    let text = if args.private {
        let key = store
            .ssh_private_key(&args.name)?
            .ok_or_else(|| no_key(&args.name))?;
        // Said on stderr, whatever stdout is: a CI log that captured it must be cleaned.
        errln!(
            io,
            "bbconnect: this is a secret (the private key of `{}`), printed for a CI secret store; anyone holding it can read the repository. Clear your screen if others can see it.",
            clean(&args.name)
        );
        key.expose_secret().trim_end().to_string()
    } else {
        store
            .ssh_public_key(&args.name)?
            .ok_or_else(|| no_key(&args.name))?
    };
    let out = &mut io.out;
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| {
            Problem::new(
                FailureClass::Other,
                format!("Could not write the key: {e}."),
                "Check where standard output goes.",
            )
        })
}
