//! Rotate: a new secret on a saved connection, everything else kept (both faces run this).
//!
//! The new credential is checked against the host the connection already trusts and must be
//! the same identity: the same user for a user's credential, the same repository for a
//! repository token. Only then does one store commit swap the secret; the repository, the
//! webhook and its secret, the trust and the git set-up stay as they are.

use jiff::civil::Date;
use secrecy::SecretString;

use crate::bitbucket::check::RepoSeen;
use crate::bitbucket::{Client, ClientOptions, Endpoints};
use crate::core::fields::{self, FieldId};
use crate::core::model::{
    AuthKind, CheckReport, ConnectionSpec, Credentials, FailureClass, Problem, SavedInfo,
};
use crate::core::sanitize::clean;
use crate::core::validate;
use crate::store::{SavedConnection, Store};

/// What to put on connection `name`.
pub struct RotateRequest<'a> {
    pub name: &'a str,
    /// The new credential (never the OAuth kind: that signs in again instead).
    pub secret: SecretString,
    /// A new credential type within the same product; `None` keeps the saved one.
    pub auth: Option<AuthKind>,
    /// The email or username the new credential signs in with; `None` keeps the saved one
    /// where the type still takes one.
    pub username: Option<String>,
    /// The day the new credential stops working; `None` keeps the saved date.
    pub expires_on: Option<Date>,
    pub endpoints: &'a Endpoints,
    /// Limits and the like; the trust always comes from the saved connection.
    pub options: ClientOptions,
}

/// A rotation that was saved.
#[derive(Debug)]
pub struct Rotated {
    pub before: SavedConnection,
    pub after: SavedConnection,
    pub info: SavedInfo,
    pub report: CheckReport,
    /// Where the old secret is revoked, for the user to do it now.
    pub revoke_old: String,
}

/// Why a rotation stopped; nothing was changed in any of these.
#[derive(Debug)]
pub enum RotateError {
    /// The request cannot be carried out as given (unknown name, a wrong type, a missing
    /// email), or the store failed.
    Problem(Problem),
    /// The new credential failed a check: the report says which.
    ChecksFailed(Box<CheckReport>),
    /// The new credential works but is somebody (or something) else.
    OtherIdentity {
        problem: Problem,
        report: Box<CheckReport>,
    },
}

impl RotateError {
    pub fn problem(&self) -> Problem {
        match self {
            RotateError::Problem(p) | RotateError::OtherIdentity { problem: p, .. } => p.clone(),
            RotateError::ChecksFailed(report) => {
                let failed = report
                    .items
                    .iter()
                    .find(|i| i.status == crate::core::model::CheckStatus::Failed);
                Problem::new(
                    failed.and_then(|i| i.class).unwrap_or(FailureClass::Other),
                    match failed {
                        Some(i) => format!(
                            "The new credential failed a check ({}): {} Nothing was changed.",
                            i.title, i.detail
                        ),
                        None => "The new credential failed a check. Nothing was changed.".into(),
                    },
                    failed
                        .and_then(|i| i.fix.clone())
                        .unwrap_or_else(|| "Check the token and run rotate again.".into()),
                )
            }
        }
    }
}

fn input(what: impl Into<String>, fix: impl Into<String>) -> RotateError {
    RotateError::Problem(Problem::new(FailureClass::Input, what, fix))
}

/// Checks the new credential and, when it is the same identity on the same host, swaps it in.
/// Holds the connection's lock from before it reads the saved connection until the commit,
/// so a concurrent connect or rotate of the same name waits (and then sees this result).
pub async fn rotate(req: RotateRequest<'_>, store: &Store) -> Result<Rotated, RotateError> {
    let _lock = super::lock_connection(store, req.name)
        .await
        .map_err(RotateError::Problem)?;
    let before = store
        .get(req.name)
        .map_err(|e| RotateError::Problem(e.into()))?
        .ok_or_else(|| {
            input(
                format!("No saved connection is named `{}`.", clean(req.name)),
                "See `bbconnect list` for the saved names.",
            )
        })?;
    let spec = new_spec(&before, req.auth, req.username.clone())?;
    let creds = Credentials {
        spec: spec.clone(),
        secret: req.secret.clone(),
    };
    let saved = super::options_for(&before);
    let options = ClientOptions {
        tls: saved.tls,
        saved_webhook: saved.saved_webhook,
        ..req.options
    };
    let client = Client::new(creds, req.endpoints, options).map_err(RotateError::Problem)?;
    let checked = super::connect::check(&client, None, before.repo.as_deref()).await;
    let report = checked.report;
    if !report.passed() {
        return Err(RotateError::ChecksFailed(Box::new(report)));
    }
    if let Err(problem) = same_identity(&before, &spec, &report, &checked.repo) {
        return Err(RotateError::OtherIdentity {
            problem,
            report: Box::new(report),
        });
    }
    let identity = report.identity.as_ref().map(|i| i.username.clone());
    // After the saved record: when the hook was last seen stays known, since a credential
    // lowered to read access cannot see it again.
    let check = crate::core::model::LastCheck::after(
        &report,
        super::now_rfc3339(),
        before.last_check.as_ref(),
    );
    let expires_on = req.expires_on;
    let (name, secret) = (req.name.to_string(), req.secret);
    // Off the async threads: the store's own lock may wait, a keychain call take seconds.
    let (info, after) = super::blocking(store, move |store| {
        let info = store.rotate_secret(
            &name,
            |c| {
                c.auth = spec.auth;
                c.username = spec.username;
                if identity.is_some() {
                    c.user = identity;
                }
                if expires_on.is_some() {
                    c.expires_on = expires_on;
                }
                c.last_check = Some(check);
            },
            &secret,
        )?;
        Ok((info, store.get(&name)?))
    })
    .await
    .map_err(RotateError::Problem)?;
    let after = after.unwrap_or_else(|| before.clone());
    Ok(Rotated {
        revoke_old: revoke_page(&before),
        before,
        after,
        info,
        report,
    })
}

/// The connection as the new credential will sign in: the saved host, name and repository,
/// the type and sign-in name asked for.
fn new_spec(
    before: &SavedConnection,
    auth: Option<AuthKind>,
    username: Option<String>,
) -> Result<ConnectionSpec, RotateError> {
    let auth = auth.unwrap_or(before.auth);
    if auth == AuthKind::OAuth || before.auth == AuthKind::OAuth {
        return Err(input(
            "An OAuth sign-in is not rotated with a token: it signs in again in the browser.",
            format!(
                "Run `bbconnect connect --replace --provider cloud --auth oauth --name {}`: the saved repository and webhook are kept.",
                clean(&before.name)
            ),
        ));
    }
    if auth.provider() != before.provider {
        return Err(input(
            format!(
                "`{}` is not a {} credential type, and `{}` is a {} connection.",
                auth.cli_name(),
                before.provider.label(),
                clean(&before.name),
                before.provider.label()
            ),
            format!(
                "Rotate within the product: one of {}.",
                before
                    .provider
                    .auth_kinds()
                    .iter()
                    .filter(|k| **k != AuthKind::OAuth)
                    .map(|k| k.cli_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let takes_name = fields::fields(auth)
        .iter()
        .any(|f| matches!(f, FieldId::Email | FieldId::Username));
    let username = match username {
        Some(u) => Some(u.trim().to_string()),
        None if takes_name => before.username.clone(),
        None => None,
    };
    let spec = ConnectionSpec {
        name: before.name.clone(),
        provider: before.provider,
        auth,
        url: before.url.clone(),
        username,
        repo: before.repo.clone(),
    };
    if let Some((field, msg)) = validate::spec(&spec).into_iter().next() {
        let fix = match field {
            "email" => format!(
                "An {} signs in with the Atlassian account's email: give it (`--email` on the command line).",
                auth.label()
            ),
            "username" => "Give the username the credential belongs to (`--username`).".into(),
            "repo" => "A repository token needs the connection's repository: connect again with --repo first.".into(),
            _ => "Correct it and run rotate again.".into(),
        };
        return Err(input(format!("{field}: {msg}"), fix));
    }
    Ok(spec)
}

/// Whether the checked credential is the saved identity: the saved user for a user's
/// credential, the saved repository for a repository token.
fn same_identity(
    before: &SavedConnection,
    spec: &ConnectionSpec,
    report: &CheckReport,
    repo: &RepoSeen,
) -> Result<(), Problem> {
    if spec.auth.is_user_level() {
        let saved = before
            .user
            .as_deref()
            .or(match before.auth.is_user_level() {
                true => before.username.as_deref(),
                false => None,
            });
        let (Some(saved), Some(id)) = (saved, report.identity.as_ref()) else {
            return Ok(());
        };
        let same = [Some(id.username.as_str()), id.email.as_deref()]
            .into_iter()
            .flatten()
            .any(|seen| seen.eq_ignore_ascii_case(saved));
        if same {
            return Ok(());
        }
        return Err(Problem::new(
            FailureClass::Rejected,
            format!(
                "The new credential belongs to `{}`, but connection `{}` is `{}`'s. Nothing was changed.",
                clean(&id.username),
                clean(&before.name),
                clean(saved)
            ),
            format!(
                "Make the token as `{}`, or connect `{}` as a new connection with `bbconnect connect`.",
                clean(saved),
                clean(&id.username)
            ),
        ));
    }
    let Some(saved) = before.repo.as_deref() else {
        return Err(Problem::new(
            FailureClass::Input,
            format!(
                "Connection `{}` has no saved repository, so a repository token cannot be matched to it.",
                clean(&before.name)
            ),
            "Connect again with --repo first, then rotate.",
        ));
    };
    match repo {
        RepoSeen::Found(r) if r.full_name.eq_ignore_ascii_case(saved) => Ok(()),
        other => {
            let reaches = match other {
                RepoSeen::Found(r) => format!("`{}`", clean(&r.full_name)),
                RepoSeen::Absent { seen } => format!("{seen} other repositories"),
                RepoSeen::NotListed => "another repository".into(),
            };
            Err(Problem::new(
                FailureClass::Rejected,
                format!(
                    "The new token reaches {reaches}, not `{}`, the repository of connection `{}`. Nothing was changed.",
                    clean(saved),
                    clean(&before.name)
                ),
                format!("Make the token in the settings of `{}`.", clean(saved)),
            ))
        }
    }
}

/// Where the old secret of `conn` is revoked, now that a new one is in.
pub fn revoke_page(conn: &SavedConnection) -> String {
    let base = conn.url.trim_end_matches('/');
    let repo = conn.repo.as_deref().map(clean);
    match conn.auth {
        AuthKind::ApiToken => {
            "https://id.atlassian.com/manage-profile/security/api-tokens".to_string()
        }
        AuthKind::AppPassword => format!(
            "Bitbucket personal settings > App passwords ({base}/account/settings/app-passwords/)"
        ),
        AuthKind::RepoToken => match repo {
            Some(r) => format!(
                "the repository's settings > Access tokens ({base}/{r}/admin/access-tokens)"
            ),
            None => "the repository's settings > Access tokens".to_string(),
        },
        AuthKind::OAuth => format!(
            "the workspace's settings > OAuth consumers, or your account's Bitbucket settings > App authorizations ({base}/account/settings/)"
        ),
        AuthKind::HttpTokenUser => format!("{base}/plugins/servlet/access-tokens/manage"),
        AuthKind::HttpTokenRepo => match repo.as_deref().and_then(|r| r.split_once('/')) {
            Some((key, slug)) => format!(
                "the repository's settings > HTTP access tokens ({base}/plugins/servlet/access-tokens/project-repos/{key}/repos/{slug}/manage)"
            ),
            None => "the repository's settings > HTTP access tokens".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(auth: AuthKind) -> SavedConnection {
        SavedConnection {
            username: Some("alice".into()),
            user: Some("alice".into()),
            repo: Some("WEB/site".into()),
            secret_store: "file".into(),
            saved_at: "2026-01-02T03:04:05Z".into(),
            ..SavedConnection::new("ci", auth.provider(), auth, "https://git.example.com/")
        }
    }

    #[test]
    fn the_revoke_page_follows_the_old_credential_type() {
        assert_eq!(
            revoke_page(&saved(AuthKind::ApiToken)),
            "https://id.atlassian.com/manage-profile/security/api-tokens"
        );
        assert_eq!(
            revoke_page(&saved(AuthKind::HttpTokenUser)),
            "https://git.example.com/plugins/servlet/access-tokens/manage"
        );
        assert!(revoke_page(&saved(AuthKind::HttpTokenRepo)).contains("HTTP access tokens"));
        assert!(revoke_page(&saved(AuthKind::RepoToken)).contains("Access tokens"));
        assert!(revoke_page(&saved(AuthKind::AppPassword)).contains("personal settings"));
    }

    #[test]
    fn an_app_password_becomes_an_api_token_only_with_an_email() {
        let before = saved(AuthKind::AppPassword);
        let missing = new_spec(&before, Some(AuthKind::ApiToken), None);
        match missing {
            Err(RotateError::Problem(p)) => {
                assert_eq!(p.class, FailureClass::Input);
                assert!(p.fix.contains("email"), "{p:?}");
            }
            other => panic!("{other:?}"),
        }
        let spec = new_spec(
            &before,
            Some(AuthKind::ApiToken),
            Some("alice@example.com".into()),
        )
        .expect("valid");
        assert_eq!(spec.auth, AuthKind::ApiToken);
        assert_eq!(spec.username.as_deref(), Some("alice@example.com"));
        assert_eq!(spec.url, before.url);
    }

    #[test]
    fn another_product_and_oauth_are_refused() {
        let before = saved(AuthKind::HttpTokenUser);
        assert!(new_spec(&before, Some(AuthKind::ApiToken), None).is_err());
        assert!(new_spec(&saved(AuthKind::ApiToken), Some(AuthKind::OAuth), None).is_err());
        let repo = new_spec(&before, Some(AuthKind::HttpTokenRepo), None).expect("valid");
        assert_eq!(repo.username, None);
        assert_eq!(repo.repo.as_deref(), Some("WEB/site"));
    }

    #[test]
    fn another_user_is_refused_naming_both() {
        let before = saved(AuthKind::HttpTokenUser);
        let spec = new_spec(&before, None, None).expect("valid");
        let report = CheckReport {
            items: Vec::new(),
            identity: Some(crate::core::model::Identity {
                username: "bob".into(),
                display_name: None,
                email: None,
                account_id: None,
            }),
            server_version: None,
        };
        let p = same_identity(&before, &spec, &report, &RepoSeen::NotListed)
            .expect_err("bob is not alice");
        assert_eq!(p.class.exit_code(), 3);
        assert!(
            p.what.contains("`bob`") && p.what.contains("`alice`"),
            "{p:?}"
        );
    }
}
