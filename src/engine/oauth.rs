//! The OAuth2 sign-in and token upkeep both faces share (one engine, two faces): listen on
//! the registered loopback callback, send the browser to the authorize URL, exchange the code;
//! and for saved connections, refresh an expired access token and hand back the newest tokens.
//!
//! A browser on another machine (the SSH case) cannot reach our loopback callback: the address
//! it lands on can be pasted back instead, and is checked exactly like a callback.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::mpsc;

use super::blocking;
use crate::bitbucket::oauth::{self, CallbackServer, OAuthConsumer, OAuthTokens};
use crate::bitbucket::{ClientOptions, Renewal};
use crate::core::browser::BrowserOutcome;
use crate::core::model::{AuthKind, Credentials, FailureClass, OAuthGrant, Problem};
use crate::store::{SavedConnection, Store};

/// How a face shows a URL in a browser: the real one opens the system browser; tests pass
/// a stand-in that follows the redirect itself. It blocks while an opener runs (the worker
/// calls it off the async threads) and says whether a browser showed the page.
pub type Opener = Arc<dyn Fn(&str) -> BrowserOutcome + Send + Sync>;

/// How long to wait for the browser to come back, unless told otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(300);

/// The system browser, when this session has one, started with none of our secret
/// variables. Failing to open one is normal over SSH: the URL is on screen too.
pub fn browser_opener() -> Opener {
    Arc::new(|url: &str| {
        let outcome = crate::os::browser::open(url);
        if !outcome.opened() {
            tracing::info!("no browser: {outcome:?}");
        }
        outcome
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
                    crate::core::sanitize::clean(callback)
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

/// One sign-in as a face asks for it.
pub struct SignInRequest {
    pub web_url: String,
    pub consumer: OAuthConsumer,
    /// The loopback callback registered on the consumer.
    pub callback: String,
    pub options: ClientOptions,
    /// The browser to show the authorize URL in; `None` when the user opens it themselves
    /// (`--no-browser`: the sign-in happens on another machine).
    pub opener: Option<Opener>,
    /// How long to wait for the browser to come back.
    pub wait: Duration,
}

/// What a sign-in has to show, as it happens.
pub enum SignInEvent {
    /// The listener is up: the address to sign in at (shown even when a browser opens it:
    /// over SSH there is often none).
    Url(String),
    /// What the opener did. May come after the sign-in ended (a quick browser).
    Browser(BrowserOutcome),
}

/// Where a face takes [`SignInEvent`]s; called from the opener's task too.
pub type SignInEvents = Arc<dyn Fn(SignInEvent) + Send + Sync>;

/// The whole sign-in both faces run: listen on the callback, announce the URL, open a
/// browser (if asked), wait for the callback or a pasted address, exchange the code. A
/// refused paste goes to `refused`, which says whether to keep waiting (`Ok`) or stop.
pub async fn sign_in(
    req: SignInRequest,
    pasted: mpsc::UnboundedReceiver<String>,
    events: SignInEvents,
    refused: impl FnMut(Problem) -> Result<(), Problem>,
) -> Result<OAuthGrant, Problem> {
    let pending = start_sign_in(&req.web_url, req.consumer, &req.callback, req.options).await?;
    events(SignInEvent::Url(pending.url.clone()));
    // The listener waits while the opener runs: a quick browser must not find it closed,
    // and an opener that blocks (xdg-open and the like) does not hold up the sign-in.
    if let Some(opener) = req.opener {
        let url = pending.url.clone();
        let events = events.clone();
        tokio::spawn(async move {
            let outcome = tokio::task::spawn_blocking(move || opener(&url))
                .await
                .unwrap_or_else(|_| {
                    BrowserOutcome::Failed("the opener stopped unexpectedly".into())
                });
            events(SignInEvent::Browser(outcome));
        });
    }
    pending.finish_or_pasted(req.wait, pasted, refused).await
}

impl PendingSignIn {
    /// The callback URL the consumer must have registered.
    pub fn callback(&self) -> &str {
        &self.redirect
    }

    /// Waits for the browser (at most `limit`), checks the state, exchanges the code.
    pub async fn finish(self, limit: Duration) -> Result<OAuthGrant, Problem> {
        let (_, none) = mpsc::unbounded_channel();
        self.finish_or_pasted(limit, none, Err).await
    }

    /// The same, with a second way in: addresses pasted back by the user (`pasted`). Each is
    /// checked like a callback; the first good one, or the listener's callback, wins. A
    /// refused paste goes to `refused`, which says whether to keep waiting (`Ok`) or stop.
    pub async fn finish_or_pasted(
        self,
        limit: Duration,
        mut pasted: mpsc::UnboundedReceiver<String>,
        mut refused: impl FnMut(Problem) -> Result<(), Problem>,
    ) -> Result<OAuthGrant, Problem> {
        let PendingSignIn {
            server,
            state,
            redirect,
            web_base,
            consumer,
            options,
            ..
        } = self;
        let listen = server.wait(&state, limit);
        tokio::pin!(listen);
        let mut more_pastes = true;
        let code = loop {
            tokio::select! {
                code = &mut listen => break code?,
                got = pasted.recv(), if more_pastes => match got {
                    None => more_pastes = false,
                    Some(text) => match pasted_code(&text, &state) {
                        Ok(code) => break code,
                        Err(problem) => refused(problem)?,
                    },
                },
            }
        };
        let tokens =
            oauth::exchange_code(&web_base, &consumer, &code, Some(&redirect), &options).await?;
        Ok(grant_from(tokens, None, &consumer.secret, now_secs()))
    }
}

/// The code in an address pasted back from the browser (`http://127.0.0.1:PORT/callback?
/// code=...&state=...`, with or without the scheme, or only its query), checked like the
/// listener checks a callback: the state must be this sign-in's.
pub fn pasted_code(pasted: &str, expected_state: &str) -> Result<String, Problem> {
    let text = pasted.trim();
    let not_a_redirect = |what: String| {
        Problem::new(
            FailureClass::Input,
            what,
            "Paste the whole address the browser ended on after you approved: it starts with \
             http://127.0.0.1: and has code= and state= in it.",
        )
    };
    let query = match url::Url::parse(text) {
        Ok(url) if url.path().contains("/oauth2/authorize") => {
            return Err(Problem::new(
                FailureClass::Input,
                "That is the sign-in address itself, not where the browser ended.",
                "Open it in a browser, approve, then paste the address the browser lands on \
                 (http://127.0.0.1:.../callback?code=...).",
            ));
        }
        Ok(url) => url.query().unwrap_or_default().to_string(),
        Err(_) => text.split_once('?').map_or(text, |(_, q)| q).to_string(),
    };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let has = |k: &str| pairs.iter().any(|(key, _)| key == k);
    // What was pasted is not repeated: it could be anything, a token pasted by mistake too.
    if !has("code") && !has("error") {
        return Err(not_a_redirect(
            "What was pasted is not the address of a sign-in coming back (no code in it)."
                .to_string(),
        ));
    }
    let state = pairs.iter().find(|(k, _)| k == "state").map(|(_, v)| v);
    if !has("error") && state.map(String::as_str) != Some(expected_state) {
        return Err(Problem::new(
            FailureClass::Input,
            "The pasted address belongs to another sign-in: its state does not match this one.",
            "Open the address shown now (an older one's answer does not count), approve, and \
             paste where the browser lands.",
        ));
    }
    // The same reading as a callback that reached the listener.
    oauth::callback_outcome(&format!("/callback?{query}"), expected_state)
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

/// The connection's spec and secret as the client takes them.
fn credentials_of(conn: &SavedConnection, secret: SecretString) -> Credentials {
    Credentials {
        spec: conn.spec(),
        secret,
    }
}

/// `creds` with the grant's access token as the secret.
fn with_access(creds: Credentials, grant: &OAuthGrant) -> Credentials {
    Credentials {
        secret: grant.access_token.clone(),
        ..creds
    }
}

/// The credentials to call Bitbucket with for saved connection `name`. Every face calls this
/// (check, status, repos, token, env, the git helper, the wizard's re-check).
///
/// For OAuth the saved secret is a grant: a fresh access token is used as it is, without the
/// connection's lock (git's helper runs on every fetch). An expired one is refreshed under
/// [`Store::lock_connection`]: the grant is read again once the lock is held, since another
/// process may have refreshed while this one waited (then its tokens are used and nothing is
/// sent); otherwise the refresh token is spent and the new pair saved before it is used, as
/// refresh tokens are single-use (docs/bitbucket.md section 6).
pub async fn fresh_credentials(
    store: &Store,
    name: &str,
    options: &ClientOptions,
    now: u64,
) -> Result<Credentials, Problem> {
    match saved_credentials(store, name, now)? {
        Some(creds) => Ok(creds),
        None => refresh_locked(store, name, None, options, now).await,
    }
}

/// The saved credentials of connection `name` when they can be used as they are at `now`;
/// `None` when its OAuth access token has expired and has to be refreshed first.
pub fn saved_credentials(
    store: &Store,
    name: &str,
    now: u64,
) -> Result<Option<Credentials>, Problem> {
    let (conn, secret) = store.connection_with_secret(name).map_err(Problem::from)?;
    let creds = credentials_of(&conn, secret);
    if conn.auth != AuthKind::OAuth {
        return Ok(Some(creds));
    }
    Ok(
        match OAuthGrant::from_stored(creds.secret.expose_secret()) {
            // A bare access token (saved by hand): used as it is.
            None => Some(creds),
            Some(grant) if !grant.expired(now) => Some(with_access(creds, &grant)),
            Some(_) => None,
        },
    )
}

/// A new access token for saved connection `name` after Bitbucket refused `rejected` as
/// expired (it may end a token before the recorded expiry). Under the connection's lock: a
/// token another process already put in its place is used as it is.
pub async fn renew_rejected(
    store: &Store,
    name: &str,
    rejected: &SecretString,
    options: &ClientOptions,
    now: u64,
) -> Result<SecretString, Problem> {
    let creds = refresh_locked(store, name, Some(rejected), options, now).await?;
    if creds.secret.expose_secret() == rejected.expose_secret() {
        // A bare access token: nothing to refresh it with.
        return Err(Problem::new(
            FailureClass::Rejected,
            format!(
                "Bitbucket says the OAuth access token of `{}` expired, and no refresh token \
                 is saved with it.",
                crate::core::sanitize::clean(name)
            ),
            sign_in_again(name),
        ));
    }
    Ok(creds.secret)
}

/// `options` that renew an OAuth access token the server ends early, for saved connection
/// `name` (see [`renew_rejected`]): a request refused with `401 Access token expired` is
/// retried once with the new token.
pub fn renewing(options: ClientOptions, store: &Store, name: &str) -> ClientOptions {
    let store = store.clone();
    let name = name.to_string();
    let plain = ClientOptions {
        renewal: None,
        ..options.clone()
    };
    ClientOptions {
        renewal: Some(Renewal::new(move |rejected: SecretString| {
            let (store, name, plain) = (store.clone(), name.clone(), plain.clone());
            Box::pin(
                async move { renew_rejected(&store, &name, &rejected, &plain, now_secs()).await },
            )
        })),
        ..options
    }
}

/// After git's `erase` (which follows a refused credential): when `rejected` is connection
/// `name`'s current OAuth access token, it is saved as expired, so the next `get` refreshes
/// instead of handing git the same token again. Says whether it did. Other credentials are
/// left alone: only a person can make a new token, and the next `check` says what is wrong.
pub fn forget_access_token(store: &Store, name: &str, rejected: &str) -> Result<bool, Problem> {
    let _lock = store.lock_connection(name).map_err(Problem::from)?;
    let (conn, secret) = store.connection_with_secret(name).map_err(Problem::from)?;
    if conn.auth != AuthKind::OAuth {
        return Ok(false);
    }
    let Some(mut grant) = OAuthGrant::from_stored(secret.expose_secret()) else {
        return Ok(false);
    };
    if grant.access_token.expose_secret() != rejected || grant.refresh_token.is_none() {
        return Ok(false);
    }
    grant.expires_at = Some(0);
    store
        .swap_secret(name, &grant.to_stored())
        .map_err(Problem::from)?;
    Ok(true)
}

fn sign_in_again(name: &str) -> String {
    format!(
        "Sign in again with `bbconnect rotate {}` or in the wizard (saved connections).",
        crate::core::sanitize::clean(name)
    )
}

/// The refresh of [`fresh_credentials`] and [`renew_rejected`], under the connection's lock.
async fn refresh_locked(
    store: &Store,
    name: &str,
    rejected: Option<&SecretString>,
    options: &ClientOptions,
    now: u64,
) -> Result<Credentials, Problem> {
    let key = name.to_string();
    let (lock, conn, secret) = blocking(store, {
        let key = key.clone();
        move |store| {
            let lock = store.lock_connection(&key)?;
            let (conn, secret) = store.connection_with_secret(&key)?;
            Ok((lock, conn, secret))
        }
    })
    .await?;
    let creds = credentials_of(&conn, secret);
    if conn.auth != AuthKind::OAuth {
        return Ok(creds);
    }
    let Some(grant) = OAuthGrant::from_stored(creds.secret.expose_secret()) else {
        return Ok(creds);
    };
    let replaced =
        rejected.is_some_and(|r| r.expose_secret() != grant.access_token.expose_secret());
    if !grant.expired(now) && (rejected.is_none() || replaced) {
        // Another run refreshed while this one waited for the lock.
        return Ok(with_access(creds, &grant));
    }
    let Some(refresh_token) = grant.refresh_token.clone() else {
        return Err(Problem::new(
            FailureClass::Rejected,
            format!(
                "The OAuth access token of `{}` expired and no refresh token was saved.",
                crate::core::sanitize::clean(name)
            ),
            sign_in_again(name),
        ));
    };
    let consumer = OAuthConsumer {
        key: creds.spec.username.clone().unwrap_or_default(),
        secret: grant.consumer_secret.clone(),
    };
    let tokens = oauth::refresh(&creds.spec.url, &consumer, &refresh_token, options, name).await?;
    let renewed = grant_from(tokens, Some(&refresh_token), &grant.consumer_secret, now);
    let stored = renewed.to_stored();
    // Only the secret: the entry read above may be stale by now (a `status` run records its
    // check without this lock).
    let saved = blocking(store, move |store| {
        store.swap_secret(&key, &stored).map(|_| ())
    })
    .await;
    drop(lock);
    if let Err(why) = saved {
        return Err(Problem::new(
            why.class,
            format!(
                "Bitbucket renewed the OAuth sign-in of `{}`, but the new tokens could not be \
                 saved: {} The saved refresh token was spent and no longer works.",
                crate::core::sanitize::clean(name),
                why.what
            ),
            format!(
                "{} Then sign in again: `bbconnect rotate {}` or the wizard.",
                why.fix,
                crate::core::sanitize::clean(name)
            ),
        ));
    }
    Ok(with_access(creds, &renewed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::Provider;

    fn sign_in_request(sim: &crate::sim::SimHandle, opener: Option<Opener>) -> SignInRequest {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        SignInRequest {
            web_url: sim.cloud_web_url(),
            consumer: OAuthConsumer {
                key: "test-oauth-key".into(),
                secret: SecretString::from("test-oauth-secret"),
            },
            callback: format!("http://127.0.0.1:{port}/callback"),
            options: ClientOptions::default(),
            opener,
            wait: Duration::from_secs(20),
        }
    }

    fn recorder() -> (SignInEvents, Arc<std::sync::Mutex<Vec<String>>>) {
        let seen: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let log = seen.clone();
        let events: SignInEvents = Arc::new(move |event| {
            let line = match event {
                SignInEvent::Url(url) => format!("url {url}"),
                SignInEvent::Browser(outcome) => format!("browser {}", outcome.opened()),
            };
            log.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        });
        (events, seen)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn sign_in_announces_the_url_opens_the_browser_and_exchanges_the_code() {
        let sim = crate::sim::start(crate::sim::SimConfig::default())
            .await
            .expect("sim");
        // A stand-in browser: follows the authorize URL's redirect to our callback.
        let opener: Opener = Arc::new(|url: &str| {
            let url = url.to_string();
            tokio::spawn(async move { reqwest::get(&url).await.map(|_| ()) });
            BrowserOutcome::Opened
        });
        let (events, seen) = recorder();
        let (_keep_open, pasted) = mpsc::unbounded_channel();
        let grant = sign_in(sign_in_request(&sim, Some(opener)), pasted, events, Err)
            .await
            .expect("signed in");
        assert!(
            grant
                .access_token
                .expose_secret()
                .starts_with("test-token-oauth-access-")
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while seen.lock().unwrap_or_else(|e| e.into_inner()).len() < 2
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(
            seen[0].starts_with("url ") && seen[0].contains("/site/oauth2/authorize"),
            "{seen:?}"
        );
        assert_eq!(seen[1], "browser true");
        sim.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn without_a_browser_a_pasted_address_signs_in() {
        let sim = crate::sim::start(crate::sim::SimConfig::default())
            .await
            .expect("sim");
        let (events, seen) = recorder();
        let (paste, pasted) = mpsc::unbounded_channel();
        let request = sign_in_request(&sim, None);
        let sign = tokio::spawn(sign_in(request, pasted, events, Err));
        // The browser is elsewhere: it signs in and lands on an address it cannot load.
        let url = loop {
            if let Some(url) = seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .first()
                .cloned()
            {
                break url;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let authorize = url.strip_prefix("url ").expect("the URL first").to_string();
        let landed = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(&authorize)
            .send()
            .await
            .expect("the simulator answers");
        let address = landed.headers()["location"]
            .to_str()
            .expect("text")
            .to_string();
        paste.send(address).expect("the sign-in listens");
        let grant = tokio::time::timeout(Duration::from_secs(20), sign)
            .await
            .expect("finished")
            .expect("joined")
            .expect("signed in with the pasted address");
        assert!(
            grant
                .access_token
                .expose_secret()
                .starts_with("test-token-oauth-access-")
        );
        assert_eq!(
            seen.lock().unwrap_or_else(|e| e.into_inner()).len(),
            1,
            "no browser event"
        );
        sim.shutdown().await;
    }

    /// A file store in a temporary folder holding connection `t` of type `auth`.
    fn store_with(auth: AuthKind, secret: SecretString) -> (tempfile::TempDir, Store) {
        // Nothing listens here: a refresh attempt would fail, proving none was made.
        store_at("http://127.0.0.1:9", auth, secret)
    }

    /// [`store_with`], the connection's host at `url`.
    fn store_at(url: &str, auth: AuthKind, secret: SecretString) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(
            Some(dir.path().to_path_buf()),
            crate::store::SecretStoreMode::File,
        )
        .expect("store");
        let conn = SavedConnection {
            username: Some("test-oauth-key".into()),
            saved_at: "2026-12-01T00:00:00Z".into(),
            ..SavedConnection::new("t", Provider::Cloud, auth, url)
        };
        store.save(conn, &secret, false).expect("saved");
        (dir, store)
    }

    fn grant(expires_at: u64) -> OAuthGrant {
        OAuthGrant {
            access_token: SecretString::from("test-token-access"),
            refresh_token: Some(SecretString::from("test-token-refresh")),
            expires_at: Some(expires_at),
            consumer_secret: SecretString::from("test-token-consumer"),
        }
    }

    fn stored_grant(store: &Store) -> OAuthGrant {
        let secret = store.secret("t").expect("secret");
        OAuthGrant::from_stored(secret.expose_secret()).expect("a grant")
    }

    #[tokio::test]
    async fn a_fresh_grant_gives_its_access_token_without_a_call_or_the_lock() {
        let (_dir, store) = store_with(AuthKind::OAuth, grant(10_000).to_stored());
        // Another run holds the connection: the fresh path must not wait for it.
        let _held = store.lock_connection("t").expect("lock");
        let store = store.with_connection_lock_wait(Duration::from_millis(50));
        let used = fresh_credentials(&store, "t", &ClientOptions::default(), 1_000)
            .await
            .unwrap();
        assert_eq!(used.secret.expose_secret(), "test-token-access");
    }

    #[tokio::test]
    async fn other_types_and_bare_tokens_pass_through() {
        let (_dir, store) = store_with(AuthKind::ApiToken, SecretString::from("test-token-x"));
        let used = fresh_credentials(&store, "t", &ClientOptions::default(), 0)
            .await
            .unwrap();
        assert_eq!(used.secret.expose_secret(), "test-token-x");
        let (_dir, store) = store_with(AuthKind::OAuth, SecretString::from("test-token-bare"));
        let used = fresh_credentials(&store, "t", &ClientOptions::default(), 0)
            .await
            .unwrap();
        assert_eq!(used.secret.expose_secret(), "test-token-bare");
    }

    #[tokio::test]
    async fn an_expired_grant_without_refresh_token_says_sign_in_again() {
        let mut g = grant(10);
        g.refresh_token = None;
        let (_dir, store) = store_with(AuthKind::OAuth, g.to_stored());
        let p = fresh_credentials(&store, "t", &ClientOptions::default(), 1_000)
            .await
            .unwrap_err();
        assert_eq!(p.class, FailureClass::Rejected);
        assert!(p.fix.contains("bbconnect rotate t"), "{p}");
    }

    #[tokio::test]
    async fn a_grant_refreshed_by_another_run_while_waiting_is_used_without_a_call() {
        // What the other run saved before this one got the lock: a fresh pair. The URL
        // reaches nothing, so a refresh attempt would fail.
        let (_dir, store) = store_with(AuthKind::OAuth, grant(10_000).to_stored());
        let rejected = SecretString::from("test-token-older-access");
        let used = renew_rejected(&store, "t", &rejected, &ClientOptions::default(), 1_000)
            .await
            .unwrap();
        assert_eq!(used.expose_secret(), "test-token-access");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_refresh_keeps_what_another_run_recorded_while_it_was_in_flight() {
        use crate::core::model::LastCheck;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (_dir, store) = store_at(&url, AuthKind::OAuth, grant(10).to_stored());
        let recorded = LastCheck {
            ok: true,
            at: "2026-12-02T00:00:00Z".into(),
            summary: "all checks passed".into(),
            accepted_at: None,
            webhook_seen_at: Some("2026-12-02T00:00:00Z".into()),
        };
        // The token endpoint: a `status` of another process records its check (it takes no
        // connection lock) before the new pair comes back.
        let other = (store.clone(), recorded.clone());
        let endpoint = axum::Router::new().route(
            "/site/oauth2/access_token",
            axum::routing::post(move || {
                let (store, recorded) = other.clone();
                async move {
                    store.record_check("t", recorded).expect("recorded");
                    axum::Json(serde_json::json!({
                        "access_token": "test-token-new-access",
                        "refresh_token": "test-token-new-refresh",
                        "expires_in": 7200,
                        "token_type": "bearer",
                    }))
                }
            }),
        );
        let server = tokio::spawn(async move { axum::serve(listener, endpoint).await });
        let used = fresh_credentials(&store, "t", &ClientOptions::default(), 1_000)
            .await
            .expect("refreshed");
        server.abort();
        assert_eq!(used.secret.expose_secret(), "test-token-new-access");
        let g = stored_grant(&store);
        assert_eq!(g.access_token.expose_secret(), "test-token-new-access");
        assert_eq!(g.expires_at, Some(8_200));
        let conn = store.get("t").expect("readable").expect("saved");
        assert_eq!(
            conn.last_check,
            Some(recorded),
            "the other run's record is kept"
        );
    }

    #[test]
    fn erase_of_the_current_access_token_saves_it_as_expired() {
        let (_dir, store) = store_with(AuthKind::OAuth, grant(10_000).to_stored());
        assert!(!forget_access_token(&store, "t", "test-token-other").unwrap());
        assert!(!stored_grant(&store).expired(1_000));
        assert!(forget_access_token(&store, "t", "test-token-access").unwrap());
        let g = stored_grant(&store);
        assert!(g.expired(1_000));
        assert_eq!(
            g.refresh_token.as_ref().map(|t| t.expose_secret()),
            Some("test-token-refresh"),
            "the refresh token is kept to renew with"
        );
        let (_dir, store) = store_with(AuthKind::ApiToken, SecretString::from("test-token-x"));
        assert!(!forget_access_token(&store, "t", "test-token-x").unwrap());
        assert_eq!(store.secret("t").unwrap().expose_secret(), "test-token-x");
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
    fn a_pasted_redirect_gives_its_code_when_the_state_matches() {
        for pasted in [
            "http://127.0.0.1:8976/callback?code=test-code-1&state=abc",
            "  127.0.0.1:8976/callback?code=test-code-1&state=abc\n",
            "/callback?state=abc&code=test-code-1",
            "code=test-code-1&state=abc",
        ] {
            assert_eq!(
                pasted_code(pasted, "abc").unwrap(),
                "test-code-1",
                "{pasted}"
            );
        }
    }

    #[test]
    fn a_pasted_redirect_of_another_sign_in_is_refused() {
        let p = pasted_code(
            "http://127.0.0.1:8976/callback?code=test-code-1&state=old",
            "abc",
        )
        .unwrap_err();
        assert_eq!(p.class, FailureClass::Input);
        assert!(p.what.contains("another sign-in"), "{p}");
        let p = pasted_code("http://127.0.0.1:8976/callback?code=test-code-1", "abc").unwrap_err();
        assert!(p.what.contains("state does not match"), "{p}");
    }

    #[test]
    fn pasting_the_wrong_thing_says_what_to_paste() {
        let p = pasted_code(
            "https://bitbucket.org/site/oauth2/authorize?client_id=k&state=abc",
            "abc",
        )
        .unwrap_err();
        assert!(p.what.contains("sign-in address itself"), "{p}");
        let p = pasted_code("test-token-pasted-by-mistake", "abc").unwrap_err();
        assert!(p.what.contains("no code"), "{p}");
        assert!(!p.to_string().contains("test-token-pasted"), "{p}");
        // Bitbucket's refusal comes back the same way and is reported as such.
        let p = pasted_code(
            "http://127.0.0.1:8976/callback?error=access_denied&state=abc",
            "abc",
        )
        .unwrap_err();
        assert_eq!(p.class, FailureClass::Rejected);
        assert!(p.what.contains("did not grant"), "{p}");
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
