//! `bbconnect git-credential get|store|erase`: a git credential helper (gitcredentials(7)).
//! `get` answers only for a saved connection whose protocol, host, port (and, with
//! `credential.useHttpPath`, repository) match; otherwise it prints nothing so git asks the
//! next helper. `store` does nothing: the secret is bbconnect's to save. `erase`, which git
//! sends after a 401, is about OAuth: an access token the server ended early is saved as
//! expired, so the next `get` refreshes instead of handing out the same token. For every other
//! type it does nothing: only a person can make a new token, a saved connection is deleted
//! only by `bbconnect remove`, and the next `bbconnect check` says what is wrong.

use crate::errln;
use std::io::{Read, Write};

use clap::ValueEnum;
use secrecy::{ExposeSecret, SecretString};

use super::{Failure, Io};
use crate::bitbucket::git::{self, Answer, GitAuth, Pick};
use crate::core::model::Problem;
use crate::core::sanitize::clean;
use crate::engine::oauth;
use crate::settings::Settings;
use crate::store::{SavedConnection, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HelperOp {
    Get,
    Store,
    Erase,
}

/// Input larger than this is not from git.
const MAX_INPUT: u64 = 64 * 1024;

pub async fn git_credential(
    io: &mut Io,
    settings: &Settings,
    store: &Store,
    op: HelperOp,
) -> Result<(), Failure> {
    let mut input = String::new();
    // Read everything git sends, so it never sees a closed pipe, whatever the operation.
    let _ = std::io::stdin().take(MAX_INPUT).read_to_string(&mut input);
    match op {
        HelperOp::Get => {}
        HelperOp::Store => return Ok(()),
        HelperOp::Erase => return erase(io, settings, store, &input),
    }
    let Some(conn) = picked(io, settings, store, &input)? else {
        return Ok(());
    };
    let name = conn.name.clone();
    let request = git::parse_request(&input);
    let Some(how) = git::git_auth(conn.auth, conn.username.as_deref(), conn.user.as_deref()) else {
        errln!(
            io,
            "bbconnect: connection `{}` has no saved username, which git needs for this credential type.\n  fix: connect again with --username and --replace.",
            clean(&name)
        );
        return Ok(());
    };
    if how == GitAuth::Bearer && !request.can_authtype() {
        errln!(
            io,
            "{}",
            git::bearer_needs_newer_git(&clean(&name), conn.provider)
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
        errln!(
            io,
            "bbconnect: the saved secret or username of `{}` holds a line break, which git's helper protocol cannot carry.\n  fix: connect again with the correct token (--replace).",
            clean(&name)
        );
        return Ok(());
    };
    let out = &mut io.out;
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure {
            message: format!("could not answer git: {e}"),
            code: 1,
        })
}

/// The saved connection git's request is for, if any. Several matching, with nothing to
/// choose between them, is said on stderr.
fn picked(
    io: &mut Io,
    settings: &Settings,
    store: &Store,
    input: &str,
) -> Result<Option<SavedConnection>, Failure> {
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
            errln!(
                io,
                "bbconnect: several connections use this host ({}) and git did not say which repository it wants.\n  fix: run `bbconnect setup-git`, which sets credential.useHttpPath for this host.",
                names
                    .iter()
                    .map(|n| clean(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
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

/// git's `erase` after a 401: see the module's documentation.
fn erase(io: &mut Io, settings: &Settings, store: &Store, input: &str) -> Result<(), Failure> {
    let Some(rejected) = rejected_secret(input) else {
        return Ok(());
    };
    let Some(conn) = picked(io, settings, store, input)? else {
        return Ok(());
    };
    let name = conn.name;
    if let Err(problem) =
        crate::engine::oauth::forget_access_token(store, &name, rejected.expose_secret())
    {
        errln!(
            io,
            "bbconnect: could not mark the refused OAuth token of `{}` for renewal: {}\n  fix: {}",
            clean(&name),
            problem.what,
            problem.fix
        );
    }
    Ok(())
}
