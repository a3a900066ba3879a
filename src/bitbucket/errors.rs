//! Reading the two products' error bodies. Pure functions: the HTTP layer hands over the body,
//! these say what it means, so the wording a user sees is tested without a server.

use serde_json::Value;

use crate::core::sanitize::clean;

/// Longest server text we quote: an error page must not flood a one-line detail.
const MAX_QUOTE: usize = 200;

/// What an error body said, whichever product sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// Cloud `error.message` or DC `errors[0].message`, sanitised.
    pub message: Option<String>,
    /// Cloud `error.detail` when it is a string.
    pub detail: Option<String>,
    /// Cloud scope body: `error.detail.required`.
    pub required: Vec<String>,
    /// Cloud scope body: `error.detail.granted`.
    pub granted: Vec<String>,
    /// DC `errors[0].exceptionName` (full Java class name).
    pub exception: Option<String>,
    /// The OAuth token endpoint's error code (`invalid_grant`, `invalid_client`, ...): its
    /// body is `{"error": "<code>", "error_description": "..."}`, not Cloud's envelope.
    pub oauth_error: Option<String>,
}

impl ErrorBody {
    /// One line for a detail column: the message, and the string detail when there is one.
    pub fn summary(&self) -> Option<String> {
        match (&self.message, &self.detail) {
            (Some(m), Some(d)) => Some(format!("{m} ({d})")),
            (Some(m), None) => Some(m.clone()),
            (None, Some(d)) => Some(d.clone()),
            (None, None) => None,
        }
    }

    /// Required scopes the token lacks: `required` minus `granted` (an endpoint may require
    /// several and the token hold some), or all of `required` when nothing was granted.
    pub fn missing_scopes(&self) -> Vec<String> {
        let missing: Vec<String> = self
            .required
            .iter()
            .filter(|r| !self.granted.contains(r))
            .cloned()
            .collect();
        if missing.is_empty() {
            self.required.clone()
        } else {
            missing
        }
    }

    /// Cloud's 401 for an OAuth access token it ended (at its expiry or before): the
    /// refresh token gets a new one (docs/bitbucket.md section 6).
    pub fn is_access_token_expired(&self) -> bool {
        self.message
            .as_deref()
            .is_some_and(|m| m.trim_start().starts_with("Access token expired"))
    }

    /// DC says "you may not" with 401 too; only the exception name tells it from a bad password.
    pub fn is_dc_authorisation(&self) -> bool {
        self.exception
            .as_deref()
            .is_some_and(|e| e.ends_with("AuthorisationException"))
    }

    pub fn is_dc_bad_credentials(&self) -> bool {
        self.exception.as_deref().is_some_and(|e| {
            e.ends_with("IncorrectPasswordAuthenticationException")
                || e.ends_with("AuthenticationException") && !e.ends_with("AuthorisationException")
        })
    }

    /// Cloud's retired endpoints (410) carry this change number.
    pub fn is_change_2770(&self) -> bool {
        [&self.message, &self.detail]
            .into_iter()
            .flatten()
            .any(|t| t.contains("CHANGE-2770"))
    }
}

/// Parses a Cloud envelope or a DC `errors` array; anything else gives an empty body.
pub fn parse_error_body(body: &Value) -> ErrorBody {
    let mut out = ErrorBody::default();
    if let Some(code) = body.get("error").and_then(Value::as_str) {
        out.oauth_error = Some(quote(code));
        out.message = body
            .get("error_description")
            .and_then(Value::as_str)
            .map(quote);
    } else if let Some(err) = body.get("error") {
        out.message = err.get("message").and_then(Value::as_str).map(quote);
        match err.get("detail") {
            Some(Value::String(s)) => out.detail = Some(quote(s)),
            Some(obj @ Value::Object(_)) => {
                out.required = string_list(obj.get("required"));
                out.granted = string_list(obj.get("granted"));
            }
            _ => {}
        }
    } else if let Some(first) = body
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        out.message = first.get("message").and_then(Value::as_str).map(quote);
        out.exception = first
            .get("exceptionName")
            .and_then(Value::as_str)
            .map(quote);
    } else if let Some(msg) = body.get("message").and_then(Value::as_str) {
        out.message = Some(quote(msg));
    }
    out
}

/// Parses raw bytes; a body that is not JSON gives an empty body rather than an error,
/// because the status code alone still tells what happened.
pub fn parse_error_bytes(bytes: &[u8]) -> ErrorBody {
    serde_json::from_slice::<Value>(bytes)
        .map(|v| parse_error_body(&v))
        .unwrap_or_default()
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(quote).collect(),
        Some(Value::String(s)) => s
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(quote)
            .collect(),
        _ => Vec::new(),
    }
}

/// Server text made safe for a terminal and short enough for one line.
pub fn quote(text: &str) -> String {
    let cleaned = clean(text.trim());
    if cleaned.chars().count() > MAX_QUOTE {
        let cut: String = cleaned.chars().take(MAX_QUOTE).collect();
        format!("{cut}…")
    } else {
        cleaned
    }
}

/// Scopes from a header such as `x-oauth-scopes: read:user:bitbucket, read:repository:bitbucket`
/// (comma or space separated).
pub fn parse_scope_header(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(quote)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn oauth_token_errors_give_their_code_and_description() {
        let e = parse_error_body(
            &json!({"error":"invalid_grant","error_description":"Invalid refresh_token"}),
        );
        assert_eq!(e.oauth_error.as_deref(), Some("invalid_grant"));
        assert_eq!(e.message.as_deref(), Some("Invalid refresh_token"));
        assert!(!e.is_access_token_expired());
    }

    #[test]
    fn clouds_expired_access_token_is_recognised() {
        let e = parse_error_body(&json!({"type":"error","error":{"message":
            "Access token expired. Use your refresh token to obtain a new access token."}}));
        assert!(e.is_access_token_expired());
        assert!(e.oauth_error.is_none());
        let other = parse_error_body(&json!({"type":"error","error":{"message":
            "Token is invalid, expired, or not supported for this endpoint."}}));
        assert!(!other.is_access_token_expired());
    }

    #[test]
    fn cloud_scope_body_names_required_and_granted() {
        let body = json!({"type":"error","error":{"message":"Your credentials lack one or more required privilege scopes.","detail":{"required":["read:user:bitbucket"],"granted":["read:repository:bitbucket"]}}});
        let e = parse_error_body(&body);
        assert_eq!(e.required, vec!["read:user:bitbucket"]);
        assert_eq!(e.granted, vec!["read:repository:bitbucket"]);
        assert!(e.message.unwrap().contains("privilege scopes"));
        assert_eq!(e.detail, None);
    }

    #[test]
    fn missing_scopes_leave_out_the_granted_ones() {
        let body = json!({"type":"error","error":{"message":"x","detail":{"required":["read:user:bitbucket","read:workspace:bitbucket"],"granted":["read:workspace:bitbucket"]}}});
        assert_eq!(
            parse_error_body(&body).missing_scopes(),
            vec!["read:user:bitbucket"]
        );
    }

    #[test]
    fn cloud_string_detail_is_kept() {
        let body = json!({"type":"error","error":{"message":"Resource removed","detail":"CHANGE-2770 - Functionality has been deprecated"}});
        let e = parse_error_body(&body);
        assert!(e.is_change_2770());
        assert_eq!(
            e.summary().unwrap(),
            "Resource removed (CHANGE-2770 - Functionality has been deprecated)"
        );
    }

    #[test]
    fn dc_exceptions_tell_permission_from_bad_password() {
        let perm = parse_error_body(
            &json!({"errors":[{"context":null,"message":"You are not permitted to access this resource","exceptionName":"com.atlassian.bitbucket.AuthorisationException"}]}),
        );
        assert!(perm.is_dc_authorisation());
        assert!(!perm.is_dc_bad_credentials());
        let bad = parse_error_body(
            &json!({"errors":[{"context":null,"message":"Authentication failed. Please check your credentials and try again.","exceptionName":"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]}),
        );
        assert!(bad.is_dc_bad_credentials());
        assert!(!bad.is_dc_authorisation());
        assert!(bad.message.unwrap().starts_with("Authentication failed"));
    }

    #[test]
    fn hostile_and_huge_text_is_cleaned_and_cut() {
        let long = format!("\x1b]0;pwned\x07{}", "x".repeat(1000));
        let e = parse_error_body(&json!({"error":{"message": long}}));
        let m = e.message.unwrap();
        assert!(!m.chars().any(char::is_control));
        assert!(m.chars().count() <= MAX_QUOTE + 1);
    }

    #[test]
    fn non_json_gives_an_empty_body() {
        assert_eq!(
            parse_error_bytes(b"<html>login</html>"),
            ErrorBody::default()
        );
    }

    #[test]
    fn scope_headers_split_on_commas_and_spaces() {
        assert_eq!(
            parse_scope_header("read:user:bitbucket, read:repository:bitbucket  webhook"),
            vec![
                "read:user:bitbucket",
                "read:repository:bitbucket",
                "webhook"
            ]
        );
    }
}
