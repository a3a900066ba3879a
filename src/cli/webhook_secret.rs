//! `bbconnect webhook-secret NAME`: the secret the connection's webhook signs deliveries
//! with, for the CI's configuration. Shown only when asked for: `connect` never prints it.

use crate::errln;
use std::io::Write;

use clap::Args;
use secrecy::ExposeSecret;

use super::{Ctx, usage};
use crate::core::model::Problem;
use crate::core::sanitize::clean;

#[derive(Debug, Args)]
pub struct WebhookSecretArgs {
    pub name: String,
}

/// `bbconnect webhook-secret`.
pub fn run(ctx: &mut Ctx, args: WebhookSecretArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let io = &mut ctx.io;
    let name = args.name.as_str();
    if store.get(name).map_err(Problem::from)?.is_none() {
        return Err(usage(
            format!("No saved connection named `{}`.", clean(name)),
            "Run `bbconnect list` to see the saved ones.",
        ));
    }
    let Some(secret) = store.webhook_secret(name).map_err(Problem::from)? else {
        return Err(usage(
            format!("Connection `{}` has no stored webhook secret.", clean(name)),
            "Connect again with --webhook-url (a secret is generated) or --webhook-secret-env VAR, and --replace.",
        ));
    };
    if io.out_is_terminal {
        errln!(
            io,
            "bbconnect: this is a secret; give it to your CI and clear your screen."
        );
    }
    let out = &mut io.out;
    writeln!(out, "{}", secret.expose_secret())
        .and_then(|()| out.flush())
        // A closed pipe ends quietly (141) as every printer does; a full disk says so.
        .or_else(|e| crate::cli::output::fail(&e))
}
