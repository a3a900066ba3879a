//! `bbconnect token [NAME]`: the secret on stdout, one line, for `$(bbconnect token ci)`.
//! For OAuth a fresh access token (refreshed and saved first when expired).

use crate::errln;
use std::io::Write;

use clap::Args;
use secrecy::ExposeSecret;

use super::{Ctx, credentials_of, usage};
use crate::core::model::Problem;
use crate::store::{SavedConnection, Store};

#[derive(Debug, Args)]
pub struct TokenArgs {
    pub name: Option<String>,
}

/// The connection a command names, or the only one saved when it names none.
pub fn only_or_named(store: &Store, name: Option<&str>) -> Result<SavedConnection, Problem> {
    let all = store.list().map_err(Problem::from)?;
    match name {
        Some(n) => all.into_iter().find(|c| c.name == n).ok_or_else(|| {
            usage(
                format!(
                    "No saved connection named `{}`.",
                    crate::core::sanitize::clean(n)
                ),
                "Run `bbconnect list` to see the saved ones.",
            )
        }),
        None if all.len() == 1 => Ok(all.into_iter().next().expect("one")),
        None if all.is_empty() => Err(usage(
            "No saved connections.",
            "Add one with `bbconnect` or `bbconnect connect`.",
        )),
        None => Err(usage(
            format!("{} connections are saved: say which one.", all.len()),
            "Give its NAME (see `bbconnect list`).",
        )),
    }
}

/// `bbconnect token`.
pub async fn run(ctx: &mut Ctx, args: TokenArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let io = &mut ctx.io;
    let conn = only_or_named(store, args.name.as_deref())?;
    let (conn, _) = credentials_of(store, &conn.name)?;
    let options = crate::engine::options_for(&conn);
    let creds = crate::engine::oauth::fresh_credentials(
        store,
        &conn.name,
        &options,
        crate::engine::oauth::now_secs(),
    )
    .await?;
    if io.out_is_terminal {
        errln!(
            io,
            "bbconnect: this is a secret, printed for scripts (`$(bbconnect token NAME)`); clear your screen if others can see it."
        );
    }
    let out = &mut io.out;
    writeln!(out, "{}", creds.secret.expose_secret())
        .and_then(|()| out.flush())
        // A closed pipe ends quietly (141) as every printer does; a full disk says so.
        .or_else(|e| crate::cli::output::fail(&e))
}
