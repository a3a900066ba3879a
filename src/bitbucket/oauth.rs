//! Cloud OAuth2, authorization-code grant (docs/bitbucket.md): the authorize URL, a loopback
//! callback that receives the code, the token exchange and the refresh. No device flow exists,
//! so a terminal tool listens on a fixed loopback callback the user registered.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::ClientOptions;
use super::errors::quote;
use super::http::{Auth, Http, HttpError, RetryPolicy};
use crate::core::model::{FailureClass, Problem};

/// The consumer (key + secret) the user created in workspace settings > OAuth consumers.
#[derive(Clone)]
pub struct OAuthConsumer {
    pub key: String,
    pub secret: SecretString,
}

impl std::fmt::Debug for OAuthConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OAuthConsumer({}, ***)", self.key)
    }
}

/// What the token endpoint gave. `SecretString`'s Debug prints no secret.
#[derive(Debug, Clone)]
pub struct OAuthTokens {
    pub access_token: SecretString,
    /// Bitbucket may rotate it: always keep the newest.
    pub refresh_token: Option<SecretString>,
    pub expires_in: Option<u64>,
    pub scopes: Vec<String>,
}

/// A random `state` that ties the callback to this sign-in (CSRF protection).
pub fn new_state() -> Result<String, Problem> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        Problem::new(
            FailureClass::Other,
            format!("No randomness available for the OAuth state ({e})."),
            "Retry; if it persists, the system's random source is broken.",
        )
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn site(web_base: &str, leaf: &str) -> String {
    super::urls::build(web_base, &["site", "oauth2", leaf], &[])
}

/// Where the user's browser goes to approve the consumer.
pub fn authorize_url(
    web_base: &str,
    client_id: &str,
    state: &str,
    redirect_uri: Option<&str>,
) -> String {
    let mut q: Vec<(&str, &str)> = vec![
        ("client_id", client_id),
        ("response_type", "code"),
        ("state", state),
    ];
    if let Some(r) = redirect_uri {
        q.push(("redirect_uri", r));
    }
    super::urls::build(web_base, &["site", "oauth2", "authorize"], &q)
}

/// The token response (`scopes` is plural and space separated).
pub fn parse_token_response(body: &Value) -> Result<OAuthTokens, String> {
    let access = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or("the answer carries no access_token")?;
    Ok(OAuthTokens {
        access_token: SecretString::from(access.to_string()),
        refresh_token: body
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| SecretString::from(s.to_string())),
        expires_in: body.get("expires_in").and_then(Value::as_u64),
        scopes: body
            .get("scopes")
            .and_then(Value::as_str)
            .map(super::errors::parse_scope_header)
            .unwrap_or_default(),
    })
}

/// Which grant a token call trades, for what its refusal means.
#[derive(Debug, Clone, Copy)]
enum Grant<'a> {
    /// The code from a sign-in's callback.
    Code,
    /// The refresh token of saved connection `connection`.
    Refresh { connection: &'a str },
}

/// OAuth errors have their own shape: `{"error": "invalid_grant", "error_description": "..."}`,
/// and the code says who must act: `invalid_grant` is the sign-in (revoked, expired, or a
/// single-use refresh token already spent), `invalid_client` the consumer (changed or deleted).
fn token_problem(err: &HttpError, grant: Grant<'_>, consumer_key: &str) -> Problem {
    let HttpError::Status {
        status: 400 | 401,
        body,
        ..
    } = err
    else {
        return super::explain::problem(err, crate::core::model::AuthKind::OAuth, "");
    };
    let said = body
        .message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    let key = crate::core::sanitize::clean(consumer_key);
    let sign_in_again = |name: &str| {
        format!(
            "sign in again with `bbconnect rotate {}` or in the wizard (saved connections).",
            crate::core::sanitize::clean(name)
        )
    };
    match (body.oauth_error.as_deref(), grant) {
        (Some("invalid_grant"), Grant::Refresh { connection }) => Problem::new(
            FailureClass::Rejected,
            format!(
                "The OAuth sign-in of `{}` was revoked or has expired: Bitbucket refused its \
                 refresh token (invalid_grant{said}).",
                crate::core::sanitize::clean(connection)
            ),
            format!(
                "Nothing is wrong with the consumer: {}",
                sign_in_again(connection)
            ),
        ),
        (Some("invalid_grant"), Grant::Code) => Problem::new(
            FailureClass::Rejected,
            format!(
                "Bitbucket refused the sign-in's authorization code (invalid_grant{said}): \
                 it was already used or has expired."
            ),
            "Sign in again from the start and approve once.",
        ),
        (Some("invalid_client"), grant) => Problem::new(
            FailureClass::Rejected,
            format!(
                "Bitbucket no longer accepts the OAuth consumer `{key}`: its key or secret \
                 was changed, or it was deleted (invalid_client{said})."
            ),
            match grant {
                Grant::Refresh { connection } => format!(
                    "Fix it in the workspace settings > OAuth consumers (or make a new one), \
                     then {}",
                    sign_in_again(connection)
                ),
                Grant::Code => "Fix it in the workspace settings > OAuth consumers (the key \
                                and secret given here must be that consumer's), then sign in \
                                again."
                    .to_string(),
            },
        ),
        (code, grant) => Problem::new(
            FailureClass::Rejected,
            format!(
                "The OAuth token endpoint refused the {}{}{said}.",
                match grant {
                    Grant::Code => "authorization code",
                    Grant::Refresh { .. } => "refresh token",
                },
                code.map(|c| format!(" ({c})")).unwrap_or_default()
            ),
            "Check the consumer key and secret, and that its callback URL matches; then sign in again.",
        ),
    }
}

fn http(options: &ClientOptions) -> Result<Http, Problem> {
    Http::with_options(
        options,
        1,
        RetryPolicy {
            max_retries: 0,
            base: options.retry_base,
        },
    )
    .map_err(|e| super::setup_problem(&e))
}

async fn token_call(
    web_base: &str,
    consumer: &OAuthConsumer,
    form: &[(&str, &str)],
    options: &ClientOptions,
    grant: Grant<'_>,
) -> Result<OAuthTokens, Problem> {
    let url = site(web_base, "access_token");
    if super::urls::is_insecure(&url) && !options.allow_http {
        return Err(super::check::http_refusal_problem(&url));
    }
    let auth = Auth::Basic {
        user: consumer.key.clone(),
        secret: consumer.secret.clone(),
    };
    let resp = http(options)?
        .post_form(&url, &auth, form)
        .await
        .map_err(|e| token_problem(&e, grant, &consumer.key))?;
    parse_token_response(&resp.body).map_err(|why| {
        Problem::new(
            FailureClass::Other,
            format!("Unreadable OAuth token answer: {why}."),
            "Check the URL points at Bitbucket Cloud.",
        )
    })
}

/// Trades the code from the callback for tokens.
pub async fn exchange_code(
    web_base: &str,
    consumer: &OAuthConsumer,
    code: &str,
    redirect_uri: Option<&str>,
    options: &ClientOptions,
) -> Result<OAuthTokens, Problem> {
    let mut form = vec![("grant_type", "authorization_code"), ("code", code)];
    if let Some(r) = redirect_uri {
        form.push(("redirect_uri", r));
    }
    token_call(web_base, consumer, &form, options, Grant::Code).await
}

/// A new access token from the refresh token of saved connection `connection` (access
/// tokens live two hours; refresh tokens may be single-use: save what comes back at once).
pub async fn refresh(
    web_base: &str,
    consumer: &OAuthConsumer,
    refresh_token: &SecretString,
    options: &ClientOptions,
    connection: &str,
) -> Result<OAuthTokens, Problem> {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose_secret()),
    ];
    token_call(
        web_base,
        consumer,
        &form,
        options,
        Grant::Refresh { connection },
    )
    .await
}

/// The loopback listener the browser is sent back to.
pub struct CallbackServer {
    listener: TcpListener,
    port: u16,
}

impl CallbackServer {
    /// Binds 127.0.0.1:`port` (the port of the consumer's registered callback; 0 for any).
    pub async fn bind(port: u16) -> Result<CallbackServer, Problem> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            Problem::new(
                FailureClass::Input,
                format!("Cannot listen on 127.0.0.1:{port} for the OAuth callback ({e})."),
                "Close what uses that port, or register another callback port in the OAuth consumer.",
            )
        })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        Ok(CallbackServer { listener, port })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// Waits for the browser's `GET /callback?code=...&state=...`; returns the code.
    pub async fn wait(self, expected_state: &str, limit: Duration) -> Result<String, Problem> {
        let timed_out = || {
            Problem::new(
                FailureClass::Other,
                "No sign-in arrived before the time limit.",
                "Open the sign-in link again and approve the consumer in the browser.",
            )
        };
        tokio::time::timeout(limit, self.accept_until_callback(expected_state))
            .await
            .map_err(|_| timed_out())?
    }

    async fn accept_until_callback(&self, expected_state: &str) -> Result<String, Problem> {
        loop {
            let Ok((mut stream, _)) = self.listener.accept().await else {
                continue;
            };
            let target = read_request_target(&mut stream).await;
            let outcome = target
                .as_deref()
                .map(|t| callback_outcome(t, expected_state));
            let (status, page) = match &outcome {
                Some(Ok(_)) => (
                    "200 OK",
                    "Signed in: you can close this tab and return to the terminal.",
                ),
                Some(Err(_)) => ("400 Bad Request", "Sign-in failed: see the terminal."),
                None => ("404 Not Found", "Not found."),
            };
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
            match outcome {
                Some(result) => return result,
                // A favicon or another stray request: keep waiting for the callback.
                None => continue,
            }
        }
    }
}

/// The request target of one HTTP request (`/callback?...`), read with a size cap.
async fn read_request_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = vec![0u8; 8192];
    let mut len = 0;
    while len < buf.len() {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf[len..]))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            break;
        }
        len += n;
        if buf[..len].windows(2).any(|w| w == b"\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf[..len]);
    let line = text.lines().next()?;
    let mut parts = line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    (method == "GET" && target.starts_with("/callback")).then(|| target.to_string())
}

/// Reads the callback's query: the code when the state matches, else what went wrong.
pub fn callback_outcome(target: &str, expected_state: &str) -> Result<String, Problem> {
    let url = url::Url::parse(&format!("http://127.0.0.1{target}")).map_err(|_| {
        Problem::new(
            FailureClass::Other,
            "The OAuth callback was malformed.",
            "Sign in again.",
        )
    })?;
    let get = |k: &str| {
        url.query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = get("error") {
        return Err(Problem::new(
            FailureClass::Rejected,
            format!(
                "Bitbucket did not grant access: {}{}.",
                quote(&error),
                get("error_description")
                    .map(|d| format!(" ({})", quote(&d)))
                    .unwrap_or_default()
            ),
            "Approve the consumer in the browser, or check the consumer's permissions.",
        ));
    }
    if get("state").as_deref() != Some(expected_state) {
        return Err(Problem::new(
            FailureClass::Rejected,
            "The OAuth callback's state does not match this sign-in (a stale or forged link).",
            "Start the sign-in again from bbconnect and use the link it shows.",
        ));
    }
    get("code").filter(|c| !c.is_empty()).ok_or_else(|| {
        Problem::new(
            FailureClass::Rejected,
            "The OAuth callback carried no code.",
            "Sign in again.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn authorize_url_has_the_documented_parameters() {
        let u = authorize_url(
            "https://bitbucket.org",
            "key1",
            "st4te",
            Some("http://127.0.0.1:8976/callback"),
        );
        assert!(u.starts_with("https://bitbucket.org/site/oauth2/authorize?client_id=key1&response_type=code&state=st4te"), "{u}");
        assert!(
            u.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback"),
            "{u}"
        );
    }

    #[test]
    fn token_response_reads_plural_scopes_and_hides_tokens() {
        let t = parse_token_response(&json!({"access_token":"test-token-a","refresh_token":"test-token-r","expires_in":7200,"token_type":"bearer","scopes":"account repository webhook"})).unwrap();
        assert_eq!(t.scopes, vec!["account", "repository", "webhook"]);
        assert_eq!(t.expires_in, Some(7200));
        assert!(!format!("{t:?}").contains("test-token"));
        assert!(parse_token_response(&json!({"token_type":"bearer"})).is_err());
    }

    #[test]
    fn callback_checks_state_and_errors() {
        assert_eq!(
            callback_outcome("/callback?code=abc&state=s1", "s1").unwrap(),
            "abc"
        );
        assert_eq!(
            callback_outcome("/callback?code=abc&state=evil", "s1")
                .unwrap_err()
                .class,
            FailureClass::Rejected
        );
        let denied = callback_outcome("/callback?error=access_denied&state=s1", "s1").unwrap_err();
        assert!(denied.what.contains("access_denied"));
    }

    fn refused(body: serde_json::Value) -> HttpError {
        HttpError::Status {
            host: "bitbucket.org".into(),
            path: "/site/oauth2/access_token".into(),
            status: 400,
            body: Box::new(super::super::errors::parse_error_body(&body)),
            headers: Box::default(),
            retry_after: None,
        }
    }

    #[test]
    fn invalid_grant_on_refresh_says_the_sign_in_ended_and_names_rotate() {
        let e =
            refused(json!({"error":"invalid_grant","error_description":"Invalid refresh_token"}));
        let p = token_problem(&e, Grant::Refresh { connection: "ci" }, "test-oauth-key");
        assert_eq!(p.class, FailureClass::Rejected);
        assert_eq!(p.class.exit_code(), 3);
        assert!(p.what.contains("revoked or has expired"), "{p}");
        assert!(p.fix.contains("bbconnect rotate ci"), "{p}");
        assert!(p.fix.contains("wizard"), "{p}");
        assert!(!p.fix.contains("callback"), "{p}");
        assert!(!p.fix.contains("OAuth consumers"), "{p}");
    }

    #[test]
    fn invalid_client_says_the_consumer_changed_and_where_to_fix_it() {
        let e = refused(
            json!({"error":"invalid_client","error_description":"Invalid OAuth client credentials"}),
        );
        let p = token_problem(&e, Grant::Refresh { connection: "ci" }, "test-oauth-key");
        assert_eq!(p.class.exit_code(), 3);
        assert!(p.what.contains("changed, or it was deleted"), "{p}");
        assert!(p.what.contains("test-oauth-key"), "{p}");
        assert!(
            p.fix.contains("workspace settings > OAuth consumers"),
            "{p}"
        );
        assert!(p.fix.contains("bbconnect rotate ci"), "{p}");
        assert!(!p.what.contains("revoked"), "{p}");
        let p = token_problem(&e, Grant::Code, "test-oauth-key");
        assert!(p.fix.contains("OAuth consumers"), "{p}");
    }

    #[test]
    fn states_are_random_hex() {
        let a = new_state().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_state().unwrap());
    }

    #[tokio::test]
    async fn callback_server_returns_the_code_and_ignores_strays() {
        let server = CallbackServer::bind(0).await.unwrap();
        let uri = server.redirect_uri();
        let base = uri.trim_end_matches("/callback").to_string();
        let waiter = tokio::spawn(async move { server.wait("s1", Duration::from_secs(10)).await });
        let stray = reqwest::get(format!("{base}/favicon.ico")).await.unwrap();
        assert_eq!(stray.status().as_u16(), 404);
        let ok = reqwest::get(format!("{uri}?code=the-code&state=s1"))
            .await
            .unwrap();
        assert_eq!(ok.status().as_u16(), 200);
        assert_eq!(waiter.await.unwrap().unwrap(), "the-code");
    }
}
