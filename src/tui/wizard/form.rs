//! The connection form: which fields an auth type asks for, their values, their validation,
//! and what the screen tells about the token (permissions, where to create it).

use tui_input::{Input, InputRequest};

use super::msg::EditKey;
use super::secret_input::SecretInput;
use super::validate;
use crate::bitbucket::model::{AuthKind, ConnectionSpec, Credentials, Provider};
// The field list is core's (the CLI checks a spec with the same list); named here as before.
pub use crate::core::fields::{DEFAULT_CALLBACK, FieldId, fields};

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
        AuthKind::ApiToken => &crate::bitbucket::model::CLOUD_API_TOKEN_SCOPES,
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
