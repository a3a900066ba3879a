//! The OAuth2 sign-in and token upkeep both faces share (one engine, two faces): listen on
//! the registered loopback callback, send the browser to the authorize URL, exchange the code;
//! and for saved connections, refresh an expired access token and hand back the newest tokens.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};

use crate::bitbucket::ClientOptions;
use crate::bitbucket::model::{AuthKind, Credentials, FailureClass, OAuthGrant, Problem};
use crate::bitbucket::oauth::{self, CallbackServer, OAuthConsumer, OAuthTokens};

/// How a face shows a URL in a browser: the real one opens the system browser; tests pass
/// a stand-in that follows the redirect itself.
pub type Opener = Arc<dyn Fn(&str) + Send + Sync>;

/// How long to wait for the browser to come back, unless told otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(300);

/// The system browser. Failing to open one is normal over SSH: the URL is on screen too.
pub fn browser_opener() -> Opener {
    Arc::new(|url: &str| {
        if let Err(e) = open::that_detached(url) {
            tracing::info!("could not open a browser: {e}");
        }
    })
}

/// Seconds since the epoch (0 if the clock is before 1970, which only makes tokens look old).
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A sign-in whose listener is up: show `url`, then `finish`.
pub struct PendingSignIn {
    /// Where the browser must go.
    pub url: String,
    server: CallbackServer,
    state: String,
    redirect: String,
    web_base: String,
    consumer: OAuthConsumer,
    options: ClientOptions,
}

/// The port of a loopback callback URL (validated by the form and the CLI before).
fn callback_port(callback: &str) -> Result<u16, Problem> {
    url::Url::parse(callback)
        .ok()
        .and_then(|u| u.port_or_known_default())
        .ok_or_else(|| {
            Problem::new(
                FailureClass::Input,
                format!(
                    "The callback URL `{}` has no port to listen on.",
                    crate::sanitize::clean(callback)
                ),
                "Use http://127.0.0.1:PORT/callback, the same as registered on the OAuth consumer.",
            )
        })
}

/// Binds the callback listener and builds the authorize URL.
pub async fn start_sign_in(
    web_base: &str,
    consumer: OAuthConsumer,
    callback: &str,
    options: ClientOptions,
) -> Result<PendingSignIn, Problem> {
    let server = CallbackServer::bind(callback_port(callback)?).await?;
    let state = oauth::new_state()?;
    let url = oauth::authorize_url(web_base, &consumer.key, &state, Some(callback));
    Ok(PendingSignIn {
        url,
        server,
        state,
        redirect: callback.to_string(),
        web_base: web_base.to_string(),
        consumer,
        options,
    })
}

impl PendingSignIn {
    /// Waits for the browser (at most `limit`), checks the state, exchanges the code.
    pub async fn finish(self, limit: Duration) -> Result<OAuthGrant, Problem> {
        let code = self.server.wait(&self.state, limit).await?;
        let tokens = oauth::exchange_code(
            &self.web_base,
            &self.consumer,
            &code,
            Some(&self.redirect),
            &self.options,
        )
        .await?;
        Ok(grant_from(tokens, None, &self.consumer.secret, now_secs()))
    }
}

/// Tokens as saved; a refresh that returns no new refresh token keeps the previous one.
fn grant_from(
    tokens: OAuthTokens,
    previous_refresh: Option<&SecretString>,
    consumer_secret: &SecretString,
    now: u64,
) -> OAuthGrant {
    OAuthGrant {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token.or_else(|| previous_refresh.cloned()),
        expires_at: tokens.expires_in.map(|s| now.saturating_add(s)),
        consumer_secret: consumer_secret.clone(),
    }
}

/// The credentials to call Bitbucket with for a saved connection. For OAuth the saved secret
/// is a blob of tokens: an expired access token is refreshed first, and the renewed grant is
/// returned so the caller saves it (Bitbucket rotates refresh tokens: only the newest works).
pub async fn usable_credentials(
    creds: Credentials,
    options: &ClientOptions,
    now: u64,
) -> Result<(Credentials, Option<OAuthGrant>), Problem> {
    if creds.spec.auth != AuthKind::OAuth {
        return Ok((creds, None));
    }
    let Some(grant) = OAuthGrant::from_stored(creds.secret.expose_secret()) else {
        // A bare access token (saved by hand): use it as it is.
        return Ok((creds, None));
    };
    if !grant.expired(now) {
        let access = grant.access_token.clone();
        return Ok((
            Credentials {
                secret: access,
                ..creds
            },
            None,
        ));
    }
    let Some(refresh_token) = grant.refresh_token.clone() else {
        return Err(Problem::new(
            FailureClass::Rejected,
            format!(
                "The OAuth access token of `{}` expired and no refresh token was saved.",
                crate::sanitize::clean(&creds.spec.name)
            ),
            "Connect again with `bbconnect connect --auth oauth --replace`.",
        ));
    };
    let consumer = OAuthConsumer {
        key: creds.spec.username.clone().unwrap_or_default(),
        secret: grant.consumer_secret.clone(),
    };
    let tokens = oauth::refresh(&creds.spec.url, &consumer, &refresh_token, options).await?;
    let renewed = grant_from(tokens, Some(&refresh_token), &grant.consumer_secret, now);
    let access = renewed.access_token.clone();
    Ok((
        Credentials {
            secret: access,
            ..creds
        },
        Some(renewed),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitbucket::model::{ConnectionSpec, Provider};

    fn creds(auth: AuthKind, secret: SecretString) -> Credentials {
        Credentials {
            spec: ConnectionSpec {
                name: "t".into(),
                provider: Provider::Cloud,
                auth,
                // Nothing listens here: a refresh attempt would fail, proving none was made.
                url: "http://127.0.0.1:9".into(),
                username: Some("test-oauth-key".into()),
                repo: None,
            },
            secret,
        }
    }

    fn grant(expires_at: u64) -> OAuthGrant {
        OAuthGrant {
            access_token: SecretString::from("test-token-access"),
            refresh_token: Some(SecretString::from("test-token-refresh")),
            expires_at: Some(expires_at),
            consumer_secret: SecretString::from("test-token-consumer"),
        }
    }

    #[tokio::test]
    async fn a_fresh_grant_gives_its_access_token_without_a_call() {
        let c = creds(AuthKind::OAuth, grant(10_000).to_stored());
        let (used, renewed) = usable_credentials(c, &ClientOptions::default(), 1_000)
            .await
            .unwrap();
        assert_eq!(used.secret.expose_secret(), "test-token-access");
        assert!(renewed.is_none());
    }

    #[tokio::test]
    async fn other_types_and_bare_tokens_pass_through() {
        let c = creds(AuthKind::ApiToken, SecretString::from("test-token-x"));
        let (used, _) = usable_credentials(c, &ClientOptions::default(), 0)
            .await
            .unwrap();
        assert_eq!(used.secret.expose_secret(), "test-token-x");
        let c = creds(AuthKind::OAuth, SecretString::from("test-token-bare"));
        let (used, _) = usable_credentials(c, &ClientOptions::default(), 0)
            .await
            .unwrap();
        assert_eq!(used.secret.expose_secret(), "test-token-bare");
    }

    #[tokio::test]
    async fn an_expired_grant_without_refresh_token_says_connect_again() {
        let mut g = grant(10);
        g.refresh_token = None;
        let c = creds(AuthKind::OAuth, g.to_stored());
        let p = usable_credentials(c, &ClientOptions::default(), 1_000)
            .await
            .unwrap_err();
        assert_eq!(p.class, FailureClass::Rejected);
        assert!(p.fix.contains("--replace"), "{p}");
    }

    #[test]
    fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
        let tokens = OAuthTokens {
            access_token: SecretString::from("test-token-new"),
            refresh_token: None,
            expires_in: Some(7200),
            scopes: vec![],
        };
        let old = SecretString::from("test-token-old-refresh");
        let g = grant_from(tokens, Some(&old), &SecretString::from("c"), 100);
        assert_eq!(g.expires_at, Some(7300));
        assert_eq!(
            g.refresh_token.as_ref().map(|t| t.expose_secret()),
            Some("test-token-old-refresh")
        );
    }

    #[test]
    fn the_callback_port_comes_from_the_url() {
        assert_eq!(
            callback_port("http://127.0.0.1:8976/callback").unwrap(),
            8976
        );
        assert_eq!(
            callback_port("nonsense").unwrap_err().class,
            FailureClass::Input
        );
    }
}
