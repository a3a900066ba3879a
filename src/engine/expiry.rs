//! A saved connection's expiry, as both faces use it: the date the connect flows save (typed,
//! else read from DC's token list), the one-line standing `list`, `status` and the wizard
//! show, and the check's Expiry row. The rules are `core::expiry`; this adds where the inputs
//! come from. "Today" is always a parameter (taken once by the face from [`super::today`]).

use jiff::civil::Date;

use crate::bitbucket::Client;
use crate::core::expiry::{self, ExpiryInput, Standing};
use crate::core::model::{AuthKind, CheckItem, OAuthGrant};
use crate::store::SavedConnection;

/// The expiry to save for a connection whose checks just passed: the typed one, else what
/// DC's token list says about the token in use (`identity` is the user the check saw), else
/// unknown.
pub async fn to_save(client: &Client, typed: Option<Date>, identity: Option<&str>) -> Option<Date> {
    if typed.is_some() {
        return typed;
    }
    client.dc_token_expiry(identity?).await
}

/// Where the connection's expiry stands on `today`.
pub fn standing(conn: &SavedConnection, today: Date, warn_days: i64) -> Standing {
    expiry::standing(today, conn.expires_on, conn.auth, warn_days)
}

/// The check's Expiry row for a saved connection. `secret` is its stored secret (an OAuth
/// grant tells when its access token ends), `read` an expiry just read from the server when
/// none was saved.
pub fn row(
    conn: &SavedConnection,
    secret: Option<&str>,
    read: Option<Date>,
    today: Date,
    warn_days: i64,
) -> CheckItem {
    let oauth_access_expires_at = match conn.auth {
        AuthKind::OAuth => secret
            .and_then(OAuthGrant::from_stored)
            .and_then(|g| g.expires_at),
        AuthKind::ApiToken
        | AuthKind::RepoToken
        | AuthKind::AppPassword
        | AuthKind::HttpTokenUser
        | AuthKind::HttpTokenRepo => None,
    };
    expiry::row(&ExpiryInput {
        today,
        expires_on: conn.expires_on.or(read),
        auth: conn.auth,
        oauth_access_expires_at,
        warn_days,
        name: &conn.name,
        url: &conn.url,
        repo: conn.repo.as_deref(),
    })
}
