//! `bbconnect git-credential get|store|erase`: a git credential helper (gitcredentials(7)).
//! `get` answers only for a saved connection whose protocol, host, port (and, with
//! `credential.useHttpPath`, repository) match; otherwise it prints nothing so git asks the
//! next helper. `store` does nothing: the secret is bbconnect's to save. `erase`, which git
//! sends after a 401, is about OAuth: an access token the server ended early is saved as
//! expired, so the next `get` refreshes instead of handing out the same token. For every other
//! type it does nothing: only a person can make a new token, a saved connection is deleted
//! only by `bbconnect remove`, and the next `bbconnect check` says what is wrong; for an app
//! password it says why it was refused (Bitbucket Cloud turned them off) and the way off it.

use crate::errln;
use std::io::{Read, Write};

use clap::{Args, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

use super::Ctx;
use crate::bitbucket::git::{self, Answer, GitAuth, Pick};
use crate::core::model::{AuthKind, FailureClass, Problem};
use crate::core::sanitize::clean;
use crate::engine::oauth;
use crate::engine::recheck;
use crate::settings::Settings;
use crate::store::{SavedConnection, Store};

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
    if op == HelperOp::Store {
        return Ok(());
    }
    let store = ctx.store.get()?;
    let (io, settings) = (&mut ctx.io, &ctx.settings);
    if op == HelperOp::Erase {
        erase(io, settings, store, &input);
        return Ok(());
    }
    let Some(conn) = picked(io, settings, store, &input)? else {
        return Ok(());
    };
    let name = conn.name.clone();
    let request = git::parse_request(&input);
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
    let creds = oauth::fresh_credentials(store, &name, &options, oauth::now_secs()).await?;
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

/// The saved connection git's request is for, if any. Several matching, with nothing to
/// choose between them, is said on stderr.
fn picked(
    io: &mut super::Io,
    settings: &Settings,
    store: &Store,
    input: &str,
) -> Result<Option<SavedConnection>, Problem> {
    let mut request = git::parse_request(input);
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
    match git::pick(&targets, &request) {
        Pick::One(name) => Ok(conns.into_iter().find(|c| c.name == name)),
        Pick::None => Ok(None),
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
            Ok(None)
        }
    }
}

/// The secret git says was refused: `password` (Basic) or `credential` (Bearer, git 2.46+).
fn rejected_secret(input: &str) -> Option<SecretString> {
    input
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            l.strip_prefix("password=")
                .or_else(|| l.strip_prefix("credential="))
        })
        .filter(|v| !v.is_empty())
        .map(|v| SecretString::from(v.to_string()))
}

/// git's `erase` after a 401 (see the module's documentation). git ignores what an erase
/// answers: a failure is only said on stderr.
fn erase(io: &mut super::Io, settings: &Settings, store: &Store, input: &str) {
    let conn = match picked(io, settings, store, input) {
        Ok(Some(conn)) => conn,
        Ok(None) => return,
        Err(problem) => return say(io, &problem),
    };
    // An app password is refused since Bitbucket Cloud turned them off: say so where the user
    // sees git fail, with the way off it.
    if conn.auth == AuthKind::AppPassword {
        let problem = Problem::new(
            FailureClass::Rejected,
            recheck::app_password_off(&conn),
            recheck::migrate_line(&conn),
        );
        return say(io, &problem);
    }
    let Some(rejected) = rejected_secret(input) else {
        return;
    };
    if let Err(problem) = oauth::forget_access_token(store, &conn.name, rejected.expose_secret()) {
        say(io, &problem);
    }
}
