//! DC's `POST .../webhooks/test?url=...[&webhookId=N]`: the server itself sends a test event
//! to the URL and answers with what happened, so a user learns that their CI is unreachable
//! from Bitbucket before a build silently never starts. Deliveries of a hook with a secret
//! are signed as DC signs them: `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;

use super::SimState;
use super::reply::{dc_error, json_reply, with_user};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The signature header value for `body` under `secret`.
pub(crate) fn signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The simulator delivers to loopback only: a demo must never send requests to the
/// internet on a user's behalf. Anything else is reported as unreachable, saying why.
fn loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

pub(crate) async fn dc_test(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((key, slug)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (user, repo) = match super::hooks::dc_admin(&state, &headers, &key, &slug) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(target) = q.get("url").filter(|u| !u.trim().is_empty()) else {
        let r = dc_error(
            StatusCode::BAD_REQUEST,
            "The url query parameter is required.",
            "com.atlassian.bitbucket.validation.ArgumentValidationException",
        );
        return with_user(r, user.as_deref());
    };
    let secret = match q.get("webhookId") {
        None => None,
        Some(id) => match super::hooks::dc_hook_secret(&state, repo, id) {
            Some(secret) => secret,
            None => {
                let r = dc_error(
                    StatusCode::NOT_FOUND,
                    &format!("No webhook with id {id} exists."),
                    "com.atlassian.webhooks.NoSuchWebhookException",
                );
                return with_user(r, user.as_deref());
            }
        },
    };
    let body = json!({"test": true, "eventKey": "diagnostics:ping"}).to_string();
    let result = deliver(target, secret.as_deref(), &body).await;
    let request = json!({"url": target, "method": "POST", "body": body});
    let answer = match result {
        Ok((status, text)) => json!({
            "request": request,
            "response": {"statusCode": status, "body": text, "headers": {}},
        }),
        Err(why) => json!({
            "request": request,
            "error": {"message": why},
        }),
    };
    with_user(json_reply(StatusCode::OK, answer), user.as_deref())
}

async fn deliver(target: &str, secret: Option<&str>, body: &str) -> Result<(u16, String), String> {
    let url = url::Url::parse(target).map_err(|e| format!("Invalid URL: {e}"))?;
    if !loopback(&url) {
        return Err(format!(
            "The simulator delivers test events to loopback addresses only; {} was not contacted.",
            url.host_str().unwrap_or("the host")
        ));
    }
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| format!("Cannot prepare the request: {e}"))?;
    let mut req = client
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-event-key", "diagnostics:ping")
        .header("x-request-id", "sim-test-delivery")
        .body(body.to_string());
    if let Some(secret) = secret {
        req = req.header("x-hub-signature", signature(secret, body.as_bytes()));
    }
    let resp = req.send().await.map_err(|e| {
        if e.is_timeout() {
            "Read timed out".to_string()
        } else if e.is_connect() {
            "Connection refused".to_string()
        } else {
            format!("The request failed: {e}")
        }
    })?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let text: String = text.chars().take(1024).collect();
    Ok((status, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_loopback_targets_are_contacted() {
        for u in [
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://[::1]/",
        ] {
            assert!(loopback(&url::Url::parse(u).unwrap()), "{u}");
        }
        assert!(!loopback(
            &url::Url::parse("https://ci.example.com/").unwrap()
        ));
    }
}
