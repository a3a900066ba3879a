//! The connection form: which fields an auth type asks for, their values, their validation,
//! and what the screen tells about the token (permissions, where to create it).

use tui_input::{Input, InputRequest};

use super::msg::EditKey;
use super::secret_input::SecretInput;
use crate::core::model::{AuthKind, ConnectionSpec, Credentials, Provider};
use crate::core::validate;
// The field list is core's (the CLI checks a spec with the same list); named here as before.
use crate::core::fields::{DEFAULT_CALLBACK, FieldId, fields};

/// All form values. They belong to one (provider, auth type) at a time: choosing another
/// clears them (`reset_credentials`), so a token typed for one host is never offered to
/// another. Back and the same type again keeps them.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub name: Input,
    pub url: Input,
    pub username: Input,
    pub email: Input,
    pub secret: SecretInput,
    pub repo: Input,
    pub oauth_key: Input,
    pub oauth_secret: SecretInput,
    pub callback: Input,
    /// "Expires on": empty is unknown.
    pub expires: Input,
    /// Today (UTC), from the wizard's config: a typed expiry must come after it.
    pub today: jiff::civil::Date,
    /// Index into `fields(auth)`.
    pub focus: usize,
    /// Fields the user typed in or left: their errors are shown as they type.
    pub touched: Vec<FieldId>,
    /// Set by a submit attempt: every error is shown.
    pub show_all_errors: bool,
    /// The user was warned that the URL is plain http; the next Enter sends anyway.
    pub http_warned: bool,
}

pub fn label(field: FieldId, auth: AuthKind) -> &'static str {
    match field {
        FieldId::Name => "Connection name",
        FieldId::Url => match auth.provider() {
            Provider::Cloud => "Bitbucket URL",
            Provider::Server => "Server URL",
        },
        FieldId::Username => "Username",
        FieldId::Email => "Atlassian email",
        FieldId::Secret => match auth {
            AuthKind::AppPassword => "App password",
            AuthKind::ApiToken => "API token",
            AuthKind::OAuth
            | AuthKind::RepoToken
            | AuthKind::HttpTokenUser
            | AuthKind::HttpTokenRepo => "Access token",
        },
        FieldId::Repo => match auth.provider() {
            Provider::Cloud => "Workspace / repository",
            Provider::Server => "Project key / repository slug",
        },
        FieldId::OAuthKey => "Consumer key",
        FieldId::OAuthSecret => "Consumer secret",
        FieldId::Callback => "Callback URL",
        FieldId::Expires => "Expires on",
    }
}

impl Form {
    /// Everything but the connection name back to the defaults of a newly chosen
    /// (provider, auth type): the URL, user, email, secrets, repository and OAuth consumer.
    /// Dropped secret inputs are zeroized by `SecretInput`.
    pub fn reset_credentials(
        &mut self,
        url: &str,
        oauth_key: Option<&str>,
        oauth_secret: Option<&str>,
    ) {
        let name_touched = self.touched.contains(&FieldId::Name);
        let name = std::mem::take(&mut self.name);
        *self = Form {
            name,
            today: self.today,
            url: url.into(),
            callback: DEFAULT_CALLBACK.into(),
            oauth_key: oauth_key.unwrap_or_default().into(),
            ..Form::default()
        };
        if let Some(secret) = oauth_secret {
            for c in secret.chars() {
                self.oauth_secret.handle(EditKey::Char(c));
            }
        }
        if name_touched {
            self.touched.push(FieldId::Name);
        }
    }

    pub fn is_secret(field: FieldId) -> bool {
        matches!(field, FieldId::Secret | FieldId::OAuthSecret)
    }

    pub fn focused(&self, auth: AuthKind) -> FieldId {
        let list = fields(auth);
        list[self.focus.min(list.len() - 1)]
    }

    pub fn input(&self, field: FieldId) -> Option<&Input> {
        match field {
            FieldId::Name => Some(&self.name),
            FieldId::Url => Some(&self.url),
            FieldId::Username => Some(&self.username),
            FieldId::Email => Some(&self.email),
            FieldId::Repo => Some(&self.repo),
            FieldId::OAuthKey => Some(&self.oauth_key),
            FieldId::Callback => Some(&self.callback),
            FieldId::Expires => Some(&self.expires),
            FieldId::Secret | FieldId::OAuthSecret => None,
        }
    }

    pub fn secret_input(&self, field: FieldId) -> Option<&SecretInput> {
        match field {
            FieldId::Secret => Some(&self.secret),
            FieldId::OAuthSecret => Some(&self.oauth_secret),
            _ => None,
        }
    }

    pub fn edit(&mut self, auth: AuthKind, key: EditKey) {
        let field = self.focused(auth);
        if !self.touched.contains(&field) {
            self.touched.push(field);
        }
        let plain = match field {
            FieldId::Name => &mut self.name,
            FieldId::Url => &mut self.url,
            FieldId::Username => &mut self.username,
            FieldId::Email => &mut self.email,
            FieldId::Repo => &mut self.repo,
            FieldId::OAuthKey => &mut self.oauth_key,
            FieldId::Callback => &mut self.callback,
            FieldId::Expires => &mut self.expires,
            FieldId::Secret => return self.secret.handle(key),
            FieldId::OAuthSecret => return self.oauth_secret.handle(key),
        };
        edit_input(plain, key);
    }

    pub fn move_focus(&mut self, auth: AuthKind, forward: bool) {
        let left = self.focused(auth);
        if !self.touched.contains(&left) {
            self.touched.push(left);
        }
        let n = fields(auth).len();
        self.focus = if forward {
            (self.focus + 1) % n
        } else {
            (self.focus + n - 1) % n
        };
    }

    /// The validation message of one field, whether or not it is shown yet.
    pub fn error(&self, field: FieldId, auth: AuthKind, existing: &[String]) -> Option<String> {
        let provider = auth.provider();
        let result = match field {
            FieldId::Name => validate::connection_name(self.name.value(), existing),
            FieldId::Url => validate::server_url(self.url.value()),
            FieldId::Username => validate::username(self.username.value()),
            FieldId::Email => validate::email(self.email.value()),
            FieldId::Secret => validate::secret(self.secret.expose(), secret_noun(auth)),
            FieldId::Repo => validate::repo_path(self.repo.value(), provider),
            FieldId::OAuthKey => validate::required(self.oauth_key.value(), "the consumer key"),
            FieldId::OAuthSecret => validate::secret(self.oauth_secret.expose(), "consumer secret"),
            FieldId::Callback => validate::callback_url(self.callback.value()),
            FieldId::Expires => {
                crate::core::expiry::parse_expires(self.expires.value(), self.today).map(|_| ())
            }
        };
        result.err()
    }

    /// The message drawn under a field: only once the user has had a go at it.
    pub fn shown_error(
        &self,
        field: FieldId,
        auth: AuthKind,
        existing: &[String],
    ) -> Option<String> {
        if self.show_all_errors || self.touched.contains(&field) {
            self.error(field, auth, existing)
        } else {
            None
        }
    }

    pub fn first_invalid(&self, auth: AuthKind, existing: &[String]) -> Option<usize> {
        fields(auth)
            .iter()
            .position(|f| self.error(*f, auth, existing).is_some())
    }

    /// The typed expiry; None when empty (unknown) or not valid.
    pub fn expires_on(&self) -> Option<jiff::civil::Date> {
        crate::core::expiry::parse_expires(self.expires.value(), self.today)
            .ok()
            .flatten()
    }

    /// Credentials from a valid form (the caller checks validity first).
    pub fn credentials(&self, auth: AuthKind) -> Credentials {
        let list = fields(auth);
        let username = if list.contains(&FieldId::Email) {
            Some(self.email.value().trim().to_string())
        } else if list.contains(&FieldId::Username) {
            Some(self.username.value().trim().to_string())
        } else if list.contains(&FieldId::OAuthKey) {
            // The OAuth consumer key travels as the "username" of the client credentials.
            Some(self.oauth_key.value().trim().to_string())
        } else {
            None
        };
        let repo = list
            .contains(&FieldId::Repo)
            .then(|| self.repo.value().trim().to_string());
        let secret = if list.contains(&FieldId::OAuthSecret) {
            self.oauth_secret.to_secret()
        } else {
            self.secret.to_secret()
        };
        Credentials {
            spec: ConnectionSpec {
                name: self.name.value().to_string(),
                provider: auth.provider(),
                auth,
                url: self.url.value().trim().trim_end_matches('/').to_string(),
                username,
                repo,
            },
            secret,
        }
    }
}

fn secret_noun(auth: AuthKind) -> &'static str {
    match auth {
        AuthKind::AppPassword => "app password",
        AuthKind::ApiToken => "API token",
        AuthKind::OAuth
        | AuthKind::RepoToken
        | AuthKind::HttpTokenUser
        | AuthKind::HttpTokenRepo => "access token",
    }
}

pub fn edit_input(input: &mut Input, key: EditKey) {
    let req = match key {
        EditKey::Char(c) => InputRequest::InsertChar(c),
        EditKey::Backspace => InputRequest::DeletePrevChar,
        EditKey::Delete => InputRequest::DeleteNextChar,
        EditKey::Left => InputRequest::GoToPrevChar,
        EditKey::Right => InputRequest::GoToNextChar,
        EditKey::Home => InputRequest::GoToStart,
        EditKey::End => InputRequest::GoToEnd,
        EditKey::ClearLine => InputRequest::DeleteFromStart,
    };
    input.handle(req);
}

/// What the token must be allowed to do, as the user will see it where the token is created.
pub fn permissions(auth: AuthKind) -> &'static [&'static str] {
    match auth {
        AuthKind::ApiToken => &crate::core::model::CLOUD_API_TOKEN_SCOPES,
        AuthKind::AppPassword => &[
            "Account: Read",
            "Workspace membership: Read",
            "Repositories: Read",
            "Pull requests: Read",
            "Webhooks: Read and write",
        ],
        AuthKind::RepoToken => &[
            "Repositories: Read",
            "Pull requests: Read",
            "Webhooks: Read and write",
        ],
        AuthKind::OAuth => &[
            "Account: Read",
            "Repositories: Read",
            "Pull requests: Read",
            "Webhooks: Read and write",
        ],
        AuthKind::HttpTokenUser | AuthKind::HttpTokenRepo => &[
            "Repository read (REPO_READ)",
            "Repository admin (REPO_ADMIN), to create webhooks",
        ],
    }
}

/// The page where this kind of credential is created, when it has a fixed address.
pub fn token_page(auth: AuthKind, url: &str, repo: &str) -> Option<String> {
    let base = url.trim().trim_end_matches('/');
    match auth {
        AuthKind::ApiToken => {
            Some("https://id.atlassian.com/manage-profile/security/api-tokens".into())
        }
        AuthKind::HttpTokenUser => {
            validate::server_url(base).ok()?;
            Some(format!("{base}/plugins/servlet/access-tokens/manage"))
        }
        AuthKind::RepoToken => {
            validate::server_url(base).ok()?;
            validate::repo_path(repo, Provider::Cloud).ok()?;
            Some(format!("{base}/{repo}/admin/access-tokens"))
        }
        AuthKind::OAuth | AuthKind::AppPassword | AuthKind::HttpTokenRepo => None,
    }
}

/// Example text drawn (dimmed) in an empty field.
pub fn placeholder(field: FieldId, auth: AuthKind) -> Option<&'static str> {
    match (field, auth.provider()) {
        (FieldId::Name, _) => Some("e.g. work"),
        (FieldId::Url, Provider::Server) => Some("https://bitbucket.example.com"),
        (FieldId::Email, _) => Some("name@example.com"),
        (FieldId::Repo, Provider::Cloud) => Some("workspace/repo-slug"),
        (FieldId::Repo, Provider::Server) => Some("PROJECT/repo-slug"),
        (FieldId::Expires, _) => Some("YYYY-MM-DD, optional"),
        (FieldId::Url, Provider::Cloud)
        | (
            FieldId::Username
            | FieldId::Secret
            | FieldId::OAuthKey
            | FieldId::OAuthSecret
            | FieldId::Callback,
            _,
        ) => None,
    }
}

/// Where to create the credential when there is no single page to open.
pub fn token_hint(auth: AuthKind) -> Option<&'static str> {
    match auth {
        AuthKind::OAuth => Some(
            "Create a consumer in workspace settings > OAuth consumers and register the \
             Callback URL above on it; Enter then opens the browser to sign in.",
        ),
        AuthKind::AppPassword => Some(
            "App passwords can no longer be created (since 2025-09-09): make an API token instead.",
        ),
        AuthKind::HttpTokenRepo => {
            Some("Create it in the repository's settings > HTTP access tokens.")
        }
        AuthKind::RepoToken => {
            Some("Create it in the repository's settings > Security > Access tokens.")
        }
        AuthKind::ApiToken | AuthKind::HttpTokenUser => None,
    }
}

// --- The form step's transitions. Imported here, apart from the field rules above, which
// are to move to `core`.

use secrecy::{ExposeSecret, SecretString};

use super::msg::{Effect, Msg};
use super::{Step, Wizard, back, go, saved};
use crate::core::browser::BrowserOutcome;

pub(super) fn step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    let auth = w.auth;
    // The http warning holds for the very next key only: any other key withdraws it.
    let http_warned = std::mem::take(&mut w.form.http_warned);
    match msg {
        Msg::Edit(key) => {
            // A kept secret that is edited is the user's own from now on.
            if fields(auth).get(w.form.focus) == Some(&FieldId::Secret)
                && let Some(r) = &mut w.replacing
            {
                r.secret_for = None;
            }
            w.form.edit(auth, key);
            Vec::new()
        }
        // A taken name: replace that connection instead of a dead end.
        Msg::Replace => {
            let name = w.form.name.value().trim().to_string();
            if w.config
                .existing_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&name))
            {
                w.config
                    .existing_names
                    .retain(|n| !n.eq_ignore_ascii_case(&name));
                w.replacing = Some(super::saved::Replacing {
                    name: name.clone(),
                    secret_for: None,
                });
                w.notice = Some(format!("Saving will replace the connection `{name}`."));
            }
            Vec::new()
        }
        Msg::NextField | Msg::Down => {
            w.form.move_focus(auth, true);
            Vec::new()
        }
        Msg::PrevField | Msg::Up => {
            w.form.move_focus(auth, false);
            Vec::new()
        }
        Msg::Confirm => {
            // A bare host is taken as https, and said so (people type addresses that way).
            let assumed = validate::assume_https(w.form.url.value());
            if let Some(with_scheme) = &assumed {
                w.form.url = with_scheme.as_str().into();
            }
            let list = fields(auth);
            let last = list
                .iter()
                .rposition(|f| !crate::core::fields::optional(*f))
                .unwrap_or(list.len() - 1);
            if w.form.focus < last {
                w.form.move_focus(auth, true);
                if let Some(u) = assumed {
                    w.notice = Some(format!("No scheme typed: using {u}."));
                }
                return Vec::new();
            }
            if drop_kept_secret_if_moved(w) {
                if let Some(i) = fields(auth).iter().position(|f| *f == FieldId::Secret) {
                    w.form.focus = i;
                }
                w.notice = Some(
                    "The saved secret belongs to the saved address and type: type the secret \
                     for this one."
                        .into(),
                );
                return Vec::new();
            }
            match w.form.first_invalid(auth, &w.config.existing_names) {
                Some(bad) => {
                    w.form.show_all_errors = true;
                    w.form.focus = bad;
                    let name = w.form.name.value().trim().to_string();
                    let taken = fields(auth).get(bad) == Some(&FieldId::Name)
                        && w.config
                            .existing_names
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(&name));
                    w.notice = Some(if taken {
                        format!(
                            "A connection named `{name}` exists: Ctrl-R replaces it, or type another name."
                        )
                    } else {
                        "Fix the fields marked ✗, then press Enter again.".into()
                    });
                    Vec::new()
                }
                None if validate::is_plain_http_remote(w.form.url.value()) && !http_warned => {
                    w.form.http_warned = true;
                    w.notice = Some(
                        // One line at 80 columns: a cut warning loses its point.
                        "⚠ http:// sends the token unencrypted: Enter again to send it anyway."
                            .into(),
                    );
                    Vec::new()
                }
                None => {
                    // Reaching here with a plain-http remote URL means the user confirmed it.
                    w.allow_http = validate::is_plain_http_remote(w.form.url.value());
                    go(w, Step::Check)
                }
            }
        }
        Msg::OpenTokenPage => w.token_page().map(Effect::OpenUrl).into_iter().collect(),
        Msg::Back => back(w),
        _ => Vec::new(),
    }
}

/// The token page's opening, said where it was asked for; elsewhere the user has moved on.
pub(super) fn on_opened(w: &mut Wizard, url: &str, outcome: &BrowserOutcome) {
    if w.step == Step::Form && w.token_page().as_deref() == Some(url) {
        // One line at 80 columns: the short form of what happened.
        w.notice = Some(if outcome.opened() {
            "The token page was opened in a browser.".into()
        } else {
            format!("{} Open the token page below yourself.", outcome.short())
        });
    }
}

/// The form filled from a saved connection (editing it). The secret comes separately.
pub(crate) fn prefill_form(w: &mut Wizard, row: &saved::SavedRow) {
    w.form.name = row.name.as_str().into();
    w.form.url = row.url.as_str().into();
    let who = row.username.as_deref().unwrap_or_default();
    match row.auth {
        AuthKind::ApiToken => w.form.email = who.into(),
        AuthKind::OAuth => w.form.oauth_key = who.into(),
        AuthKind::AppPassword
        | AuthKind::HttpTokenUser
        | AuthKind::RepoToken
        | AuthKind::HttpTokenRepo => w.form.username = who.into(),
    }
    w.form.repo = row.repo.as_deref().unwrap_or_default().into();
    w.form.focus = 0;
    // Its own name is not "taken": saving replaces it.
    w.config.existing_names.retain(|n| n != &row.name);
}

/// The kept secret in the (masked) secret field.
pub(crate) fn fill_secret(w: &mut Wizard, secret: &SecretString) {
    w.form.secret = SecretInput::default();
    for c in secret.expose_secret().chars() {
        w.form.secret.handle(EditKey::Char(c));
    }
}

/// A kept secret belongs to the (provider, auth type, URL) it was saved for: when the form now
/// points elsewhere it is dropped, never sent to another host.
fn drop_kept_secret_if_moved(w: &mut Wizard) -> bool {
    let Some(r) = &mut w.replacing else {
        return false;
    };
    let Some(bound) = &r.secret_for else {
        return false;
    };
    let now = (w.provider, w.auth, w.form.url.value().trim().to_string());
    if *bound == now {
        return false;
    }
    r.secret_for = None;
    w.form.secret = SecretInput::default();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_pages() {
        assert_eq!(
            token_page(AuthKind::ApiToken, "", "").as_deref(),
            Some("https://id.atlassian.com/manage-profile/security/api-tokens")
        );
        assert_eq!(
            token_page(AuthKind::HttpTokenUser, "https://bb.example.com/", "").as_deref(),
            Some("https://bb.example.com/plugins/servlet/access-tokens/manage")
        );
        assert_eq!(token_page(AuthKind::HttpTokenUser, "nope", ""), None);
    }

    #[test]
    fn api_token_checklist_names_what_the_calls_need() {
        let p = permissions(AuthKind::ApiToken);
        assert!(p.contains(&"read:user:bitbucket"));
        assert!(p.contains(&"read:workspace:bitbucket"));
        assert!(!p.iter().any(|s| s.contains("read:account")));
        assert!(permissions(AuthKind::HttpTokenUser)[1].contains("REPO_ADMIN"));
    }
}
