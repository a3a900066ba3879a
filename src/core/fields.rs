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

/// Whether a field may be left empty. Enter on the last field that must be filled submits:
/// the optional ones after it are there to Tab to, not to walk through.
pub fn optional(field: FieldId) -> bool {
    match field {
        FieldId::Expires => true,
        FieldId::Name
        | FieldId::Url
        | FieldId::Username
        | FieldId::Email
        | FieldId::Secret
        | FieldId::Repo
        | FieldId::OAuthKey
        | FieldId::OAuthSecret
        | FieldId::Callback => false,
    }
}

/// The callback bbconnect listens on unless the user registered another port.
pub const DEFAULT_CALLBACK: &str = "http://127.0.0.1:8976/callback";

/// The fields of an auth type, in screen order.
pub fn fields(auth: AuthKind) -> &'static [FieldId] {
    use FieldId::*;
    match auth {
        AuthKind::OAuth => &[Name, Url, OAuthKey, OAuthSecret, Callback],
        AuthKind::ApiToken => &[Name, Url, Email, Secret, Expires],
        AuthKind::RepoToken => &[Name, Url, Repo, Secret, Expires],
        AuthKind::AppPassword => &[Name, Url, Username, Secret, Expires],
        AuthKind::HttpTokenUser => &[Name, Url, Username, Secret, Expires],
        AuthKind::HttpTokenRepo => &[Name, Url, Repo, Secret, Expires],
    }
}
