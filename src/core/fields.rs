//! Which fields each credential type asks for: one list for the wizard's form, the CLI's
//! checks of a spec and the client's refusal of an incomplete one.

use super::model::AuthKind;

/// Every field any auth type can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldId {
    Name,
    Url,
    Username,
    Email,
    Secret,
    Repo,
    OAuthKey,
    OAuthSecret,
    /// The loopback callback registered on the OAuth consumer.
    Callback,
    /// The day the credential stops working, optional (`YYYY-MM-DD`).
    Expires,
}

/// The callback bbconnect listens on unless the user registered another port.
pub const DEFAULT_CALLBACK: &str = "http://127.0.0.1:8976/callback";

/// The fields of an auth type, in screen order.
pub fn fields(auth: AuthKind) -> &'static [FieldId] {
    use FieldId::*;
    match auth {
        AuthKind::OAuth => &[Name, Url, OAuthKey, OAuthSecret, Callback],
        // The secret stays last: Enter on the last field starts the check.
        AuthKind::ApiToken => &[Name, Url, Email, Expires, Secret],
        AuthKind::RepoToken => &[Name, Url, Repo, Expires, Secret],
        AuthKind::AppPassword => &[Name, Url, Username, Expires, Secret],
        AuthKind::HttpTokenUser => &[Name, Url, Username, Expires, Secret],
        AuthKind::HttpTokenRepo => &[Name, Url, Repo, Expires, Secret],
    }
}
