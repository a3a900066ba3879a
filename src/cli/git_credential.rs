//! `bbconnect git-credential get|store|erase`: a git credential helper (gitcredentials(7)).
//! `get` answers only for a saved connection whose protocol, host, port (and, with
//! `credential.useHttpPath`, repository) match; otherwise it prints nothing so git asks the
//! next helper. `store` and `erase` do nothing: git calls `erase` after any 401, and a saved
//! connection is deleted only by `bbconnect remove` (the next `bbconnect check` says what is
//! wrong).

use crate::errln;
use std::io::{Read, Write};

use clap::{Args, ValueEnum};
use secrecy::ExposeSecret;

use super::{Ctx, credentials_of, fresh_credentials};
use crate::bitbucket::git::{self, Answer, GitAuth, Pick};
use crate::core::model::Problem;
use crate::core::sanitize::clean;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HelperOp {
    Get,
    Store,
    Erase,
}

#[derive(Debug, Args)]
pub struct GitCredentialArgs {
    #[arg(value_enum)]
    pub op: HelperOp,
}

/// Input larger than this is not from git.
const MAX_INPUT: u64 = 64 * 1024;

/// `bbconnect git-credential`. A connection this helper cannot answer for is said on stderr
/// and answered with nothing, so git asks the next helper or the user instead of failing.
pub async fn run(ctx: &mut Ctx, args: GitCredentialArgs) -> Result<(), Problem> {
    let op = args.op;
    let mut input = String::new();
    // Read everything git sends, so it never sees a closed pipe, whatever the operation.
    let _ = std::io::stdin().take(MAX_INPUT).read_to_string(&mut input);
    if op != HelperOp::Get {
        return Ok(());
    }
    let store = ctx.store.get()?;
    let (io, settings) = (&mut ctx.io, &ctx.settings);
    let mut request = git::parse_request(&input);
    let conns = store.list().map_err(Problem::from)?;
    let mut targets: Vec<_> = conns
        .iter()
        .filter_map(|c| git::target_of(&c.name, &c.url, c.clone_https.as_deref()))
        .collect();
    // `bbconnect clone` names its connection: any repository of it on its host, then.
    if let Some(only) = &settings.git_connection {
        targets.retain(|t| &t.name == only);
        request.path = None;
    }
    let name = match git::pick(&targets, &request) {
        Pick::One(name) => name,
        Pick::None => return Ok(()),
        Pick::Ambiguous(names) => {
            let problem = Problem::other(
                format!(
                    "several connections use this host ({}) and git did not say which repository it wants.",
                    names
                        .iter()
                        .map(|n| clean(n))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "run `bbconnect setup-git`, which sets credential.useHttpPath for this host.",
            );
            say(io, &problem);
            return Ok(());
        }
    };
    let (conn, creds) = credentials_of(store, &name)?;
    let Some(how) = git::git_auth(conn.auth, conn.username.as_deref(), conn.user.as_deref()) else {
        let problem = Problem::other(
            format!(
                "connection `{}` has no saved username, which git needs for this credential type.",
                clean(&name)
            ),
            "connect again with --username and --replace.",
        );
        say(io, &problem);
        return Ok(());
    };
    if how == GitAuth::Bearer && !request.can_authtype() {
        say(
            io,
            &git::bearer_needs_newer_git(&clean(&name), conn.provider),
        );
        return Ok(());
    }
    // An expired OAuth access token is refreshed and the new tokens saved before answering.
    let options = crate::engine::options_for(&conn);
    let creds = fresh_credentials(store, conn, creds, &options).await?;
    let secret = creds.secret.expose_secret().to_string();
    let answer = match how {
        GitAuth::Basic { username } => Answer::Basic {
            username,
            password: secret,
        },
        GitAuth::Bearer => Answer::Bearer { credential: secret },
    };
    let Ok(text) = git::render_answer(&answer) else {
        let problem = Problem::other(
            format!(
                "the saved secret or username of `{}` holds a line break, which git's helper protocol cannot carry.",
                clean(&name)
            ),
            "connect again with the correct token (--replace).",
        );
        say(io, &problem);
        return Ok(());
    };
    let out = &mut io.out;
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| {
            Problem::other(
                format!("could not answer git: {e}"),
                "run the git command again; if it keeps failing, run it with GIT_TRACE=1 to see why git stopped reading.",
            )
        })
}

/// A problem said on stderr while the helper still exits 0 (see [`run`]).
fn say(io: &mut super::Io, problem: &Problem) {
    if let Some(message) = problem.message() {
        errln!(io, "{message}");
    }
}
