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
use crate::bitbucket::git::{self, Answer, CredentialRequest, GitAuth, Pick};
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
    let input = read_input();
    if op == HelperOp::Store {
        return Ok(());
    }
    let store = ctx.store.get()?;
    let (io, settings) = (&mut ctx.io, &ctx.settings);
    if op == HelperOp::Erase {
        erase(io, settings, store, &input);
        return Ok(());
    }
    let now = oauth::now_secs();
    let reply = match plan_get(settings, store, &input, now)? {
        // An expired OAuth access token is refreshed and the new tokens saved before answering.
        Reply::Refresh { conn, how } => {
            let options = crate::engine::options_for(&conn);
            let creds = oauth::fresh_credentials(store, &conn.name, &options, now).await?;
            answer(&conn.name, how, &creds.secret)
        }
        reply => reply,
    };
    match reply {
        Reply::Answer(text) => write_answer(&mut io.out, &text),
        Reply::Say(problem) => {
            say(io, &problem);
            Ok(())
        }
        Reply::Nothing | Reply::Refresh { .. } => Ok(()),
    }
}

/// What git sent, read to the end so git never sees a closed pipe, whatever the operation.
pub fn read_input() -> String {
    let mut input = String::new();
    let _ = std::io::stdin().take(MAX_INPUT).read_to_string(&mut input);
    input
}

/// What `get` does for a request, as far as the saved files decide it.
#[derive(Debug)]
pub enum Reply {
    /// The lines to print for git.
    Answer(String),
    /// Nothing: no saved connection is for this request, so git asks the next helper.
    Nothing,
    /// Nothing for git, and this said on stderr.
    Say(Problem),
    /// `conn`'s OAuth access token has expired: refresh it, then answer as `how`.
    Refresh {
        conn: Box<SavedConnection>,
        how: GitAuth,
    },
}

/// `get` up to the point where the network would be needed: the connection git's request is
/// for, the credential type's git username and the saved secret.
pub fn plan_get(
    settings: &Settings,
    store: &Store,
    input: &str,
    now: u64,
) -> Result<Reply, Problem> {
    let request = git::parse_request(input);
    let conn = match picked(settings, store, &request)? {
        Ok(conn) => conn,
        Err(reply) => return Ok(reply),
    };
    let name = &conn.name;
    let Some(how) = git::git_auth(conn.auth, conn.username.as_deref(), conn.user.as_deref()) else {
        return Ok(Reply::Say(Problem::other(
            format!(
                "connection `{}` has no saved username, which git needs for this credential type.",
                clean(name)
            ),
            "connect again with --username and --replace.",
        )));
    };
    if how == GitAuth::Bearer && !request.can_authtype() {
        return Ok(Reply::Say(git::bearer_needs_newer_git(
            &clean(name),
            conn.provider,
        )));
    }
    Ok(match oauth::saved_credentials(store, name, now)? {
        Some(creds) => answer(name, how, &creds.secret),
        None => Reply::Refresh {
            conn: Box::new(conn),
            how,
        },
    })
}

/// `get` for a process without the network client and the OS keychain (the
/// `git-credential-bbconnect` binary, which git starts before every fetch): the reply when the
/// saved files alone give the answer or say there is none, and `None` for everything else (a
/// refresh, a secret in the keychain, a problem to say), which `bbconnect git-credential` does.
pub fn answer_from_files(settings: &Settings, input: &str, now: u64) -> Option<Reply> {
    let store = settings.open_store_without_keychain().ok()?;
    match plan_get(settings, &store, input, now) {
        Ok(reply @ (Reply::Answer(_) | Reply::Nothing)) => Some(reply),
        _ => None,
    }
}

/// The answer giving git `secret` as `how` says.
fn answer(name: &str, how: GitAuth, secret: &SecretString) -> Reply {
    let secret = secret.expose_secret().to_string();
    let answer = match how {
        GitAuth::Basic { username } => Answer::Basic {
            username,
            password: secret,
        },
        GitAuth::Bearer => Answer::Bearer { credential: secret },
    };
    match git::render_answer(&answer) {
        Ok(text) => Reply::Answer(text),
        Err(_) => Reply::Say(Problem::other(
            format!(
                "the saved secret or username of `{}` holds a line break, which git's helper protocol cannot carry.",
                clean(name)
            ),
            "connect again with the correct token (--replace).",
        )),
    }
}

/// Prints git's answer.
pub fn write_answer(out: &mut impl Write, text: &str) -> Result<(), Problem> {
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

/// The saved connection git's request is for, or what to reply when there is none: nothing,
/// or, when several match with nothing to choose between them, a problem to say.
fn picked(
    settings: &Settings,
    store: &Store,
    request: &CredentialRequest,
) -> Result<Result<SavedConnection, Reply>, Problem> {
    let mut request = request.clone();
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
        Pick::One(name) => Ok(conns
            .into_iter()
            .find(|c| c.name == name)
            .ok_or(Reply::Nothing)),
        Pick::None => Ok(Err(Reply::Nothing)),
        Pick::Ambiguous(names) => Ok(Err(Reply::Say(Problem::other(
            format!(
                "several connections use this host ({}) and git did not say which repository it wants.",
                names
                    .iter()
                    .map(|n| clean(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "run `bbconnect setup-git`, which sets credential.useHttpPath for this host.",
        )))),
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
    let conn = match picked(settings, store, &git::parse_request(input)) {
        Ok(Ok(conn)) => conn,
        Ok(Err(Reply::Say(problem))) | Err(problem) => return say(io, &problem),
        Ok(Err(_)) => return,
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::core::model::{OAuthGrant, Provider};
    use crate::store::{MemoryKeychain, SecretStoreMode};

    const NOW: u64 = 1_800_000_000;
    const ASK: &str = "protocol=https\nhost=bitbucket.example\nusername=alice\n\n";

    fn oauth(name: &str) -> SavedConnection {
        SavedConnection {
            username: Some("test-oauth-key".into()),
            clone_https: Some(format!("https://alice@bitbucket.example/ws/{name}.git")),
            ..SavedConnection::new(
                name,
                Provider::Cloud,
                AuthKind::OAuth,
                "https://bitbucket.example",
            )
        }
    }

    fn grant(expires_at: u64) -> SecretString {
        OAuthGrant {
            access_token: SecretString::from("test-token-access"),
            refresh_token: Some(SecretString::from("test-token-refresh")),
            expires_at: Some(expires_at),
            consumer_secret: SecretString::from("test-token-consumer"),
        }
        .to_stored()
    }

    /// Settings naming `dir` in `mode`, as `BBCONNECT_CONFIG_DIR` and `BBCONNECT_SECRET_STORE`.
    fn settings(dir: &tempfile::TempDir, mode: &str) -> Settings {
        Settings {
            config_dir: Some(dir.path().to_path_buf()),
            secret_store: Some(mode.to_string()),
            ..Settings::default()
        }
    }

    fn file_store(dir: &tempfile::TempDir) -> Store {
        Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).expect("store")
    }

    #[test]
    fn a_fresh_token_in_the_files_is_answered_without_bbconnect() {
        let dir = tempfile::tempdir().expect("temp dir");
        file_store(&dir)
            .save(oauth("oa"), &grant(NOW + 3600), true)
            .expect("saved");
        let Some(Reply::Answer(text)) = answer_from_files(&settings(&dir, "file"), ASK, NOW) else {
            panic!("a fresh token in a file is answered from the files");
        };
        assert!(text.contains("password=test-token-access"), "{text}");
    }

    #[test]
    fn an_expired_token_is_handed_over_for_a_refresh() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = file_store(&dir);
        store
            .save(oauth("oa"), &grant(NOW - 1), true)
            .expect("saved");
        assert!(answer_from_files(&settings(&dir, "file"), ASK, NOW).is_none());
        let reply = plan_get(&settings(&dir, "file"), &store, ASK, NOW).expect("planned");
        assert!(
            matches!(reply, Reply::Refresh { ref conn, .. } if conn.name == "oa"),
            "{reply:?}"
        );
    }

    #[test]
    fn a_secret_in_the_keychain_is_handed_over() {
        let dir = tempfile::tempdir().expect("temp dir");
        let keychain = Arc::new(MemoryKeychain::default());
        let store = Store::open_with_keychain(
            Some(dir.path().to_path_buf()),
            SecretStoreMode::Keyring,
            keychain,
        )
        .expect("store");
        store
            .save(oauth("oa"), &grant(NOW + 3600), true)
            .expect("saved");
        let keyring = settings(&dir, "keyring");
        assert!(answer_from_files(&keyring, ASK, NOW).is_none());
        // bbconnect itself, with the keychain, answers.
        let reply = plan_get(&keyring, &store, ASK, NOW).expect("planned");
        assert!(
            matches!(reply, Reply::Answer(ref t) if t.contains("test-token-access")),
            "{reply:?}"
        );
    }

    #[test]
    fn no_saved_connection_for_the_host_is_nothing_and_two_of_them_are_handed_over() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = file_store(&dir);
        store
            .save(oauth("one"), &grant(NOW + 3600), true)
            .expect("saved");
        let files = settings(&dir, "file");
        let elsewhere = "protocol=https\nhost=example.org\n\n";
        assert!(matches!(
            answer_from_files(&files, elsewhere, NOW),
            Some(Reply::Nothing)
        ));
        store
            .save(oauth("two"), &grant(NOW + 3600), true)
            .expect("saved");
        // Which of the two git wants is said by bbconnect, not guessed here.
        assert!(answer_from_files(&files, ASK, NOW).is_none());
        assert!(matches!(
            plan_get(&files, &store, ASK, NOW),
            Ok(Reply::Say(_))
        ));
    }
}
