//! The expiry of the DC token in use, read from its owner's token list
//! (`GET /rest/access-tokens/latest/users/{userSlug}`, docs/bitbucket.md section 6). The list
//! never holds secrets, so which entry is ours is matched as far as it can be; anything less
//! than a sure match is "unknown" (None), never a guess.

use base64::Engine;
use jiff::civil::Date;
use secrecy::ExposeSecret;
use serde_json::Value;

use super::{Client, urls};
use crate::core::expiry::date_of_epoch_ms;
use crate::core::model::{AuthKind, Provider};

impl Client {
    /// DC user tokens: the day the token in use stops working, when the server lets the token
    /// read its owner's token list and the entry can be told apart. None otherwise (refused,
    /// another credential type, no expiry, several tokens that differ).
    pub async fn dc_token_expiry(&self, user_slug: &str) -> Option<Date> {
        let spec = self.spec();
        if spec.provider != Provider::Server || spec.auth != AuthKind::HttpTokenUser {
            return None;
        }
        let url = urls::build(
            &self.inner().api,
            &["rest", "access-tokens", "latest", "users", user_slug],
            &[("limit", "100")],
        );
        let page = match self.get(&url, true, None).await {
            Ok(page) => page.body,
            Err(e) => {
                tracing::debug!(error = %e, "the token list could not be read: expiry unknown");
                return None;
            }
        };
        let secret = self.inner().creds.secret.expose_secret().to_string();
        ours(&page, &secret)
    }
}

/// The expiry of our entry in one page of the token list.
fn ours(page: &Value, secret: &str) -> Option<Date> {
    let tokens = page.get("values")?.as_array()?;
    let whole = page.get("isLastPage").and_then(Value::as_bool) != Some(false);
    let expiry = |t: &Value| t.get("expiryDate").and_then(Value::as_i64);
    let id_of = |t: &Value| t.get("id").and_then(Value::as_str).map(str::to_string);
    if let Some(id) = embedded_id(secret)
        && let Some(t) = tokens.iter().find(|t| id_of(t).as_deref() == Some(&id))
    {
        return expiry(t).and_then(date_of_epoch_ms);
    }
    if !whole {
        return None;
    }
    // The token in use is on its owner's list: one entry is ours, and entries that all expire
    // the same day tell ours' day without telling which it is.
    let first = expiry(tokens.first()?)?;
    tokens
        .iter()
        .all(|t| expiry(t) == Some(first))
        .then(|| date_of_epoch_ms(first))
        .flatten()
}

/// The 12-digit id some DC tokens carry inside (`<id>:<secret>` in base64, with or without the
/// `BBDC-` prefix); None when the secret does not have that shape.
fn embedded_id(secret: &str) -> Option<String> {
    let body = secret.strip_prefix("BBDC-").unwrap_or(secret);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body))
        .ok()?;
    let (id, _) = bytes.split_at_checked(13)?;
    let (digits, colon) = id.split_at(12);
    (colon == b":" && digits.iter().all(u8::is_ascii_digit))
        .then(|| String::from_utf8_lossy(digits).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(text: &str) -> Date {
        text.parse().expect("date")
    }

    // 2027-01-10T12:00:00Z and 2027-03-01T00:00:00Z.
    const JAN_10: i64 = 1_799_582_400_000;
    const MAR_1: i64 = 1_803_859_200_000;

    #[test]
    fn the_only_token_is_ours() {
        let page =
            json!({"values": [{"id": "100000000001", "expiryDate": JAN_10}], "isLastPage": true});
        assert_eq!(ours(&page, "test-token-x"), Some(d("2027-01-10")));
    }

    #[test]
    fn several_tokens_that_differ_are_unknown_unless_the_secret_names_one() {
        let page = json!({"values": [
            {"id": "100000000001", "expiryDate": JAN_10},
            {"id": "100000000002", "expiryDate": MAR_1},
        ], "isLastPage": true});
        assert_eq!(ours(&page, "test-token-x"), None);
        let named = base64::engine::general_purpose::STANDARD.encode("100000000002:test-token-x");
        assert_eq!(ours(&page, &named), Some(d("2027-03-01")));
        assert_eq!(ours(&page, &format!("BBDC-{named}")), Some(d("2027-03-01")));
    }

    #[test]
    fn the_same_day_for_all_is_that_day() {
        let page = json!({"values": [
            {"id": "100000000001", "expiryDate": JAN_10},
            {"id": "100000000002", "expiryDate": JAN_10},
        ], "isLastPage": true});
        assert_eq!(ours(&page, "test-token-x"), Some(d("2027-01-10")));
    }

    #[test]
    fn no_expiry_or_a_partial_list_is_unknown() {
        let none = json!({"values": [{"id": "100000000001"}], "isLastPage": true});
        assert_eq!(ours(&none, "test-token-x"), None);
        let partial =
            json!({"values": [{"id": "100000000001", "expiryDate": JAN_10}], "isLastPage": false});
        assert_eq!(ours(&partial, "test-token-x"), None);
        assert_eq!(ours(&json!({"errors": []}), "test-token-x"), None);
    }
}
