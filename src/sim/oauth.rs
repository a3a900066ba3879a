//! Cloud OAuth2, authorization-code grant: `/site/oauth2/authorize` approves at once and
//! redirects to the consumer's callback; `/site/oauth2/access_token` exchanges codes and
//! refresh tokens (HTTP Basic client auth, form body only).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::SimState;
use super::auth::{Presented, presented};
use super::reply::json_reply;

#[derive(Default)]
pub(crate) struct OAuthStore {
    issued: u64,
    /// code -> (consumer index, redirect_uri sent to authorize)
    codes: HashMap<String, (usize, Option<String>)>,
    access: HashMap<String, Access>,
    /// refresh token -> consumer index; a refresh rotates it, so only the newest works
    /// (single-use, as Atlassian's rotating refresh tokens: docs/bitbucket.md section 6).
    refresh: HashMap<String, usize>,
    /// `grant_type=refresh_token` requests received, refused ones included: two clients
    /// racing with one refresh token show up here even though only one wins.
    refresh_requests: usize,
    /// Consumers deleted from the workspace settings: their key and secret no longer count.
    deleted: std::collections::HashSet<usize>,
}

struct Access {
    consumer: usize,
    expires_at: Instant,
}

impl OAuthStore {
    fn next_id(&mut self) -> u64 {
        self.issued += 1;
        self.issued
    }
}

pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/site/oauth2/authorize", get(authorize))
        .route("/site/oauth2/access_token", post(access_token))
}

impl SimState {
    fn oauth_store(&self) -> std::sync::MutexGuard<'_, OAuthStore> {
        match self.oauth.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// An issued access token: `Some(Ok((user, scopes)))`, `Some(Err(()))` when expired,
    /// `None` when never issued.
    pub(crate) fn oauth_access(&self, token: &str) -> Option<Result<(String, Vec<String>), ()>> {
        let store = self.oauth_store();
        let access = store.access.get(token)?;
        if store.deleted.contains(&access.consumer) {
            return None;
        }
        if Instant::now() >= access.expires_at {
            return Some(Err(()));
        }
        let consumer = self.data.spec.cloud.oauth_consumers.get(access.consumer)?;
        Some(Ok((consumer.user.clone(), consumer.scopes.clone())))
    }
}

/// A redirect target is accepted when it starts with the consumer's registered callback, or
/// is any loopback http URL: tests and the demo listen on ports chosen at run time.
fn redirect_allowed(registered: &str, asked: &str) -> bool {
    if asked.starts_with(registered) {
        return true;
    }
    url::Url::parse(asked).is_ok_and(|u| {
        u.scheme() == "http"
            && matches!(
                u.host_str(),
                Some("127.0.0.1") | Some("localhost") | Some("[::1]")
            )
    })
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html><body><h1>OAuth error</h1><p>{message}</p></body></html>\n"
    );
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    r
}

fn redirect_to(target: &str, params: &[(&str, &str)]) -> Response {
    let mut url = match url::Url::parse(target) {
        Ok(u) => u,
        Err(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "The redirect_uri is not a valid URL.",
            );
        }
    };
    for (k, v) in params {
        url.query_pairs_mut().append_pair(k, v);
    }
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

async fn authorize(
    State(state): State<Arc<SimState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let consumers = &state.data.spec.cloud.oauth_consumers;
    let deleted = state.oauth_store().deleted.clone();
    let Some((index, consumer)) = consumers
        .iter()
        .enumerate()
        .filter(|(i, _)| !deleted.contains(i))
        .find(|(_, c)| q.get("client_id").is_some_and(|id| *id == c.key))
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid client_id: no OAuth consumer has this key.",
        );
    };
    let asked = q.get("redirect_uri").cloned();
    let target = asked.clone().unwrap_or_else(|| consumer.callback.clone());
    if !redirect_allowed(&consumer.callback, &target) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The redirect_uri does not match the consumer's callback URL.",
        );
    }
    let state_param = q.get("state").map(String::as_str);
    if q.get("response_type").map(String::as_str) != Some("code") {
        let mut params = vec![("error", "unsupported_response_type")];
        params.extend(state_param.map(|s| ("state", s)));
        return redirect_to(&target, &params);
    }
    let code = {
        let mut store = state.oauth_store();
        let code = format!("test-code-{}", store.next_id());
        store.codes.insert(code.clone(), (index, asked));
        code
    };
    let mut params = vec![("code", code.as_str())];
    params.extend(state_param.map(|s| ("state", s)));
    redirect_to(&target, &params)
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_reply(
        status,
        json!({"error": error, "error_description": description}),
    )
}

async fn access_token(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !form_encoded {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request must be application/x-www-form-urlencoded.",
        );
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let (key, secret) = match presented(&headers) {
        Presented::Basic(k, s) => (k, s),
        _ => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    let consumers = &state.data.spec.cloud.oauth_consumers;
    let mut store = state.oauth_store();
    if form.get("grant_type").map(String::as_str) == Some("refresh_token") {
        store.refresh_requests += 1;
    }
    let Some(consumer) = consumers
        .iter()
        .position(|c| c.key == key && c.secret == secret)
        .filter(|i| !store.deleted.contains(i))
    else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid OAuth client credentials",
        );
    };
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            match store.codes.get(&code) {
                // A redirect_uri sent here must match the one authorized; leaving it out is
                // tolerated, as Bitbucket does not insist on it.
                Some((c, asked))
                    if *c == consumer
                        && form
                            .get("redirect_uri")
                            .is_none_or(|r| asked.as_ref().is_none_or(|a| a == r)) =>
                {
                    store.codes.remove(&code);
                }
                _ => {
                    return token_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "The authorization code is invalid or was already used.",
                    );
                }
            }
        }
        Some("refresh_token") => {
            let token = form.get("refresh_token").cloned().unwrap_or_default();
            if store.refresh.get(&token) != Some(&consumer) {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid refresh_token",
                );
            }
            store.refresh.remove(&token);
        }
        _ => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token.",
            );
        }
    }
    let id = store.next_id();
    let access = format!("test-token-oauth-access-{id}");
    let refresh = format!("test-token-oauth-refresh-{id}");
    let lifetime = state.config.oauth_expires_in;
    store.access.insert(
        access.clone(),
        Access {
            consumer,
            expires_at: Instant::now() + Duration::from_secs(lifetime),
        },
    );
    store.refresh.insert(refresh.clone(), consumer);
    json_reply(
        StatusCode::OK,
        json!({
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": lifetime,
            "token_type": "bearer",
            "scopes": consumers[consumer].scopes.join(" ")
        }),
    )
}

impl super::SimHandle {
    /// `grant_type=refresh_token` requests received so far, refused ones included.
    pub fn oauth_refresh_count(&self) -> usize {
        self.state.oauth_store().refresh_requests
    }

    /// Ends every access token issued so far before its stated expiry, as Bitbucket may:
    /// they are answered with 401 `Access token expired. Use your refresh token...`.
    /// Tokens issued later live their full lifetime.
    pub fn expire_oauth_access_tokens(&self) {
        let now = Instant::now();
        for access in self.state.oauth_store().access.values_mut() {
            access.expires_at = access.expires_at.min(now);
        }
    }

    /// Deletes the OAuth consumer with `key` (workspace settings > OAuth consumers): the
    /// token endpoint answers `invalid_client` and its access tokens stop working.
    pub fn delete_oauth_consumer(&self, key: &str) {
        let consumers = &self.state.data.spec.cloud.oauth_consumers;
        let mut store = self.state.oauth_store();
        for (i, _) in consumers.iter().enumerate().filter(|(_, c)| c.key == key) {
            store.deleted.insert(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redirect_allowed;

    #[test]
    fn only_registered_or_loopback_callbacks_are_allowed() {
        let reg = "https://ci.example.com/callback";
        assert!(redirect_allowed(reg, "https://ci.example.com/callback?x=1"));
        assert!(redirect_allowed(reg, "http://127.0.0.1:5555/callback"));
        assert!(!redirect_allowed(reg, "https://evil.example.net/callback"));
    }
}
