//! The HTTP layer: one reqwest client with timeouts, the auth header, a body cap, HTML
//! detection, no credential-carrying redirects, and bounded retries with backoff.

mod classify;
pub mod retry;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::proxy::ProxyEnv;
use super::throttle::Throttle;
use super::tls::SeenChains;
use crate::core::cert::PeerChain;
use classify::looks_like_html;
use retry::{MAX_TOTAL_WAIT, backoff, jitter_fraction, parse_retry_after, retry_limit, retry_line};

use super::errors::{ErrorBody, parse_error_bytes, quote};
use crate::core::model::Problem;

/// What every client of this process uses unless its options say otherwise: the proxy
/// variables and `BBCONNECT_CA_FILE`, installed once by `main` from its `Settings`. A program
/// (or test) that installs nothing gets no proxy and no extra CA.
#[derive(Debug, Clone, Default)]
pub struct ProcessNetwork {
    pub proxies: ProxyEnv,
    pub ca_file: Option<String>,
}

static PROCESS_NETWORK: OnceLock<ProcessNetwork> = OnceLock::new();

/// Sets [`ProcessNetwork`]; only the first call counts (main calls it before any client).
pub fn install_process_network(network: ProcessNetwork) {
    let _ = PROCESS_NETWORK.set(network);
}

fn process_network() -> &'static ProcessNetwork {
    PROCESS_NETWORK.get_or_init(ProcessNetwork::default)
}

/// Bodies larger than this are refused: no listing page comes near it, an attack could.
pub const BODY_CAP: usize = 16 * 1024 * 1024;
/// How a request authenticates. Its Debug never shows the secret.
#[derive(Clone)]
pub enum Auth {
    None,
    Basic { user: String, secret: SecretString },
    Bearer(SecretString),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => write!(f, "Auth::None"),
            Auth::Basic { user, .. } => write!(f, "Auth::Basic({user}:***)"),
            Auth::Bearer(_) => write!(f, "Auth::Bearer(***)"),
        }
    }
}

/// What broke at the network level, for the user's fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetKind {
    Dns,
    Tcp,
    Tls,
    Timeout,
    Other,
    /// The certificate vouches for itself (issuer = subject).
    SelfSigned,
    /// Signed by an authority this machine does not trust (a private CA).
    UntrustedIssuer,
    /// Issued for other names than the host in the URL.
    WrongName,
    Expired,
    NotYetValid,
    /// A pinned certificate was saved for this connection and the server presents another.
    CertChanged,
    /// The port answered in plain http.
    PlainHttp,
    /// The server offers only TLS 1.0 / 1.1.
    OldTls,
    /// The proxy answered 407.
    ProxyAuth,
    /// The proxy refused the tunnel (403 or another status).
    ProxyRefused,
    /// The proxy itself does not answer.
    ProxyDown,
}

impl NetKind {
    fn label(self) -> &'static str {
        match self {
            NetKind::Dns => "the name does not resolve (DNS)",
            NetKind::Tcp => "the connection was refused or dropped (TCP)",
            NetKind::Tls => "the TLS handshake failed (certificate?)",
            NetKind::Timeout => "it did not answer in time",
            NetKind::Other => "the request failed",
            NetKind::SelfSigned
            | NetKind::UntrustedIssuer
            | NetKind::WrongName
            | NetKind::Expired
            | NetKind::NotYetValid
            | NetKind::CertChanged => "the server's certificate was refused",
            NetKind::PlainHttp => "this port speaks plain http",
            NetKind::OldTls => "the server's TLS version is too old",
            NetKind::ProxyAuth => "the proxy wants credentials",
            NetKind::ProxyRefused => "the proxy refused the tunnel",
            NetKind::ProxyDown => "the proxy does not answer",
        }
    }

    /// Refused connections and timeouts may pass; a bad name or certificate will not, nor
    /// a proxy's refusal, nor a port that speaks another protocol.
    pub(crate) fn transient(self) -> bool {
        matches!(
            self,
            NetKind::Tcp | NetKind::Timeout | NetKind::Other | NetKind::ProxyDown
        )
    }

    /// The kinds whose `cause` is a whole sentence of its own: the label would repeat it.
    fn precise(self) -> bool {
        !matches!(
            self,
            NetKind::Dns | NetKind::Tcp | NetKind::Tls | NetKind::Timeout | NetKind::Other
        )
    }

    /// A certificate the user may look at and trust.
    pub fn is_certificate(self) -> bool {
        matches!(
            self,
            NetKind::SelfSigned
                | NetKind::UntrustedIssuer
                | NetKind::WrongName
                | NetKind::Expired
                | NetKind::NotYetValid
                | NetKind::CertChanged
        )
    }
}

/// Everything a request can end in other than a 2xx JSON answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    #[error("cannot reach {host}: {}{}", unreachable_text(*kind, cause), via(proxy))]
    Unreachable {
        host: String,
        kind: NetKind,
        cause: String,
        /// The proxy this request went through, without credentials; `None` when none was
        /// used (not set, or the host excluded by `NO_PROXY`).
        proxy: Option<String>,
        /// The chain the server presented, when its certificate was refused.
        peer: Option<Box<PeerChain>>,
    },
    #[error("{host} answered HTTP {status}{}", body.summary().map(|s| format!(": {s}")).unwrap_or_default())]
    Status {
        host: String,
        path: String,
        status: u16,
        // Boxed: keeps every Result<_, HttpError> small.
        body: Box<ErrorBody>,
        headers: Box<ScopeHeaders>,
        retry_after: Option<u64>,
    },
    #[error(
        "{host} answered {path} with an HTML page where JSON was expected (a login page or SSO proxy?)"
    )]
    Html { host: String, path: String },
    #[error("{host} redirected {path} to {location}; credentials are not sent across redirects")]
    Redirect {
        host: String,
        path: String,
        location: String,
    },
    #[error("{host} sent more than {} MiB for {path}", BODY_CAP / (1024 * 1024))]
    TooLarge { host: String, path: String },
    /// The request could not be built (a header value with a control byte): our input, never
    /// the network's, so never retried.
    #[error("could not build the request to {host}: {cause}")]
    BadRequest { host: String, cause: String },
    /// A listing went past its cap (`ListLimits`): a server whose pages never end.
    #[error("{host} kept sending pages: the listing stopped at the cap of {}", cap.describe())]
    Capped { host: String, cap: super::Cap },
    #[error("{host} sent unreadable JSON for {path}: {detail}")]
    BadJson {
        host: String,
        path: String,
        detail: String,
    },
    #[error("invalid URL {url}")]
    BadUrl { url: String },
    /// The server ended the OAuth access token and getting a new one failed: what the
    /// refresh said (the refusal itself only says to refresh).
    #[error("{}", .0.what)]
    Renewal(Box<Problem>),
}

fn unreachable_text(kind: NetKind, cause: &str) -> String {
    if kind.precise() {
        cause.to_string()
    } else {
        format!("{} ({cause})", kind.label())
    }
}

fn via(proxy: &Option<String>) -> String {
    proxy
        .as_ref()
        .map(|p| format!(" via proxy {p}"))
        .unwrap_or_default()
}

impl HttpError {
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A 403, not a 401: the credential was accepted but lacks a scope for this call. What
    /// the answer said of the scopes (its body and headers); `None` for any other error.
    pub fn scope_refusal(&self) -> Option<(&ErrorBody, &ScopeHeaders)> {
        match self {
            HttpError::Status {
                status: 403,
                body,
                headers,
                ..
            } => Some((body, headers)),
            _ => None,
        }
    }
}

/// Scope headers Cloud may send (docs/bitbucket.md: present for access tokens at least).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeHeaders {
    pub granted: Option<Vec<String>>,
    pub accepted: Option<Vec<String>>,
    pub credential_type: Option<String>,
}

impl ScopeHeaders {
    pub fn from_headers(h: &HeaderMap) -> ScopeHeaders {
        let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
        ScopeHeaders {
            granted: get("x-oauth-scopes").map(super::errors::parse_scope_header),
            accepted: get("x-accepted-oauth-scopes").map(super::errors::parse_scope_header),
            credential_type: get("x-credential-type").map(quote),
        }
    }
}

/// What a state-changing request carries.
#[derive(Clone, Copy)]
enum Payload<'a> {
    Json(&'a Value),
    Form(&'a [(&'a str, &'a str)]),
}

/// A 2xx JSON answer.
#[derive(Debug, Clone)]
pub struct JsonResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A 2xx answer before any JSON parsing; `host`/`path` name it in a parse error.
#[derive(Debug, Clone)]
pub struct BytesResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub host: String,
    pub path: String,
    pub body: Vec<u8>,
}

impl BytesResponse {
    /// A body that does not parse is `BadJson`; an empty one is `null` (204s, some DELETEs).
    pub fn into_json(self) -> Result<JsonResponse, HttpError> {
        let body: Value = if self.body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&self.body).map_err(|e| self.bad_json(e.to_string()))?
        };
        Ok(JsonResponse {
            status: self.status,
            headers: self.headers,
            body,
        })
    }

    /// The error for a body that is JSON but not the documented shape (or not JSON at all).
    pub fn bad_json(&self, detail: impl Into<String>) -> HttpError {
        HttpError::BadJson {
            host: self.host.clone(),
            path: self.path.clone(),
            detail: detail.into(),
        }
    }
}

/// Retry policy; small values in tests keep them fast.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base: Duration,
}

/// The shared transport. Cheap to clone.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    /// In-flight requests: up to the configured concurrency, fewer after a 429.
    limit: Arc<Throttle>,
    /// Set by a 429: until then no clone of this transport starts a GET, so a rate-limited
    /// listing stops sending (nothing new in flight) instead of each page tripping the
    /// limit in turn.
    pause_until: Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
    retry: RetryPolicy,
    /// The proxy variables as they were when the client was built: reqwest asks them per
    /// URL, and so do the messages.
    proxies: Arc<ProxyEnv>,
    /// The chains servers presented, for a refused certificate's details.
    seen: Arc<SeenChains>,
    /// The pin saved with the connection, to tell "changed" from "never trusted".
    pinned: Option<String>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The proxy URL may hold credentials: never printed.
        f.debug_struct("Http")
            .field("retry", &self.retry)
            .field("pinned", &self.pinned)
            .finish()
    }
}

/// Why the transport could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error(transparent)]
    Tls(#[from] super::tls::TlsSetupError),
}

impl Http {
    /// Requests this transport allows in flight now (fewer than configured after a 429).
    pub fn concurrency(&self) -> usize {
        self.limit.width()
    }

    pub fn new(
        timeout: Duration,
        connect_timeout: Duration,
        max_concurrency: usize,
        retry: RetryPolicy,
    ) -> Result<Http, SetupError> {
        let options = super::ClientOptions {
            timeout,
            connect_timeout,
            ..super::ClientOptions::default()
        };
        Http::with_options(&options, max_concurrency, retry)
    }

    /// The transport for a connection's options: its own trust (CA file, pinned
    /// certificate), proxies and timeouts.
    pub fn with_options(
        options: &super::ClientOptions,
        max_concurrency: usize,
        retry: RetryPolicy,
    ) -> Result<Http, SetupError> {
        let (timeout, connect_timeout) = (options.timeout, options.connect_timeout);
        let trust = &options.tls;
        let process = process_network();
        let tls = super::tls::build(trust, process.ca_file.as_deref())?;
        let proxies = Arc::new(
            options
                .proxies
                .clone()
                .unwrap_or_else(|| process.proxies.clone()),
        );
        let chooser = proxies.clone();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("bbconnect/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(connect_timeout)
            .read_timeout(timeout)
            .timeout(timeout)
            // A redirect could carry the Authorization header to another host: never follow.
            .redirect(reqwest::redirect::Policy::none())
            .use_preconfigured_tls(tls.config)
            // Our own choice of proxy replaces reqwest's, so that the message about a
            // failure names exactly the proxy the request used.
            .no_proxy()
            .proxy(reqwest::Proxy::custom(move |url| chooser.proxy_for(url)));
        for (name, addr) in &options.resolve {
            builder = builder.resolve(name, *addr);
        }
        let client = builder
            .build()
            .map_err(|e| SetupError::Client(e.to_string()))?;
        Ok(Http {
            client,
            limit: Arc::new(Throttle::new(max_concurrency)),
            pause_until: Arc::new(std::sync::Mutex::new(None)),
            retry,
            proxies,
            seen: tls.seen,
            pinned: trust
                .pinned
                .as_deref()
                .and_then(super::tls::parse_fingerprint),
        })
    }

    /// The DER chain `host` presented in its last handshake on this transport.
    pub fn presented_chain(&self, host: &str) -> Option<Vec<Vec<u8>>> {
        self.seen.get(host)
    }

    /// GET a JSON document, retrying transient failures; each wait goes to `progress`.
    pub async fn get_json(
        &self,
        url: &str,
        auth: &Auth,
        progress: Option<&UnboundedSender<String>>,
    ) -> Result<JsonResponse, HttpError> {
        self.get_bytes(url, auth, progress).await?.into_json()
    }

    /// GET a 2xx body as raw bytes, with everything `get_json` applies (retries, 429 pause,
    /// no redirects, HTML detection, size cap) but no JSON parsing: large listing pages are
    /// parsed by the caller straight into typed structs, without a `Value` tree in between.
    pub async fn get_bytes(
        &self,
        url: &str,
        auth: &Auth,
        progress: Option<&UnboundedSender<String>>,
    ) -> Result<BytesResponse, HttpError> {
        let parsed = url::Url::parse(url).map_err(|_| HttpError::BadUrl { url: quote(url) })?;
        let host = host_label(&parsed);
        let started = tokio::time::Instant::now();
        let mut attempt: u32 = 0;
        loop {
            self.wait_out_pause().await;
            let result = self.once(&parsed, &host, auth).await;
            let err = match result {
                Ok(r) => {
                    self.limit.widen();
                    return Ok(r);
                }
                Err(e) => e,
            };
            let Some(retry_after) = err.retry_hint() else {
                return Err(err);
            };
            if attempt >= retry_limit(&err, self.retry.max_retries) {
                return Err(err);
            }
            let wait = match retry_after {
                Some(secs) => Duration::from_secs(secs),
                None => backoff(self.retry.base, attempt, jitter_fraction()),
            };
            // The budget counts the tries too: five 30 s timeouts must not become minutes.
            if started.elapsed() + wait > MAX_TOTAL_WAIT {
                return Err(err);
            }
            if err.status() == Some(429) {
                self.pause_for(wait);
                self.limit.narrow();
            }
            attempt += 1;
            if let Some(tx) = progress {
                let _ = tx.send(retry_line(&err, wait, attempt, self.retry.max_retries));
            }
            tracing::debug!(%host, attempt, ?wait, "retrying after: {err}");
            tokio::time::sleep(wait).await;
        }
    }

    /// A request that changes something (POST, PUT, DELETE). Never retried: a lost answer
    /// does not mean the change did not happen, and the callers re-read state instead.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        url: &str,
        auth: &Auth,
        body: Option<&Value>,
    ) -> Result<JsonResponse, HttpError> {
        let parsed = url::Url::parse(url).map_err(|_| HttpError::BadUrl { url: quote(url) })?;
        let host = host_label(&parsed);
        self.once_with(method, &parsed, &host, auth, body.map(Payload::Json))
            .await?
            .into_json()
    }

    /// POST a form (OAuth's token endpoint takes nothing else). Not retried, like `send_json`.
    pub async fn post_form(
        &self,
        url: &str,
        auth: &Auth,
        form: &[(&str, &str)],
    ) -> Result<JsonResponse, HttpError> {
        let parsed = url::Url::parse(url).map_err(|_| HttpError::BadUrl { url: quote(url) })?;
        let host = host_label(&parsed);
        self.once_with(
            reqwest::Method::POST,
            &parsed,
            &host,
            auth,
            Some(Payload::Form(form)),
        )
        .await?
        .into_json()
    }

    /// Sleeps while a 429 asked every request of this transport to hold back.
    async fn wait_out_pause(&self) {
        loop {
            let until = *self.pause_until.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(t) if t > tokio::time::Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    /// Holds back every request for `wait`; a later end already set is kept.
    fn pause_for(&self, wait: Duration) {
        let until = tokio::time::Instant::now() + wait;
        let mut slot = self.pause_until.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none_or(|t| t < until) {
            *slot = Some(until);
        }
    }

    async fn once(
        &self,
        url: &url::Url,
        host: &str,
        auth: &Auth,
    ) -> Result<BytesResponse, HttpError> {
        self.once_with(reqwest::Method::GET, url, host, auth, None)
            .await
    }

    async fn once_with(
        &self,
        method: reqwest::Method,
        url: &url::Url,
        host: &str,
        auth: &Auth,
        body: Option<Payload<'_>>,
    ) -> Result<BytesResponse, HttpError> {
        let path = url.path().to_string();
        let _slot = self.limit.acquire().await;
        let mut req = self
            .client
            .request(method, url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        req = match body {
            Some(Payload::Json(v)) => req.json(v),
            Some(Payload::Form(f)) => req.form(f),
            None => req,
        };
        req = match auth {
            Auth::None => req,
            Auth::Basic { user, secret } => req.basic_auth(user, Some(secret.expose_secret())),
            Auth::Bearer(secret) => req.bearer_auth(secret.expose_secret()),
        };
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.net_error(url, host, &e).await),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if resp.status().is_redirection() {
            let location = headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(quote)
                .unwrap_or_else(|| "(no Location)".into());
            return Err(HttpError::Redirect {
                host: host.into(),
                path,
                location,
            });
        }
        if let Some(len) = resp.content_length()
            && len > BODY_CAP as u64
        {
            return Err(HttpError::TooLarge {
                host: host.into(),
                path,
            });
        }
        // Sized once from Content-Length (already checked against the cap): a 1 MB listing
        // page would otherwise be copied through a dozen reallocations.
        let expected = resp.content_length().map_or(0, |n| n as usize);
        let mut buf: Vec<u8> = Vec::with_capacity(expected.min(BODY_CAP));
        loop {
            let chunk = match resp.chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => return Err(self.net_error(url, host, &e).await),
            };
            if buf.len() + chunk.len() > BODY_CAP {
                return Err(HttpError::TooLarge {
                    host: host.into(),
                    path,
                });
            }
            buf.extend_from_slice(&chunk);
        }
        // A 5xx or 429 from a proxy often comes as an HTML page: it is still a transient
        // server error to retry, not a login page.
        let transient = status == 429 || status >= 500;
        if !transient && looks_like_html(&headers, &buf) {
            return Err(HttpError::Html {
                host: host.into(),
                path,
            });
        }
        if !(200..300).contains(&status) {
            return Err(HttpError::Status {
                host: host.into(),
                path,
                status,
                body: Box::new(parse_error_bytes(&buf)),
                headers: Box::new(ScopeHeaders::from_headers(&headers)),
                retry_after: parse_retry_after(&headers),
            });
        }
        Ok(BytesResponse {
            status,
            headers,
            host: host.to_string(),
            path,
            body: buf,
        })
    }
}

/// A JSON answer whose shape is not what the API documents.
pub fn bad_shape(url: &str, detail: impl Into<String>) -> HttpError {
    match url::Url::parse(url) {
        Ok(u) => HttpError::BadJson {
            host: host_label(&u),
            path: u.path().to_string(),
            detail: detail.into(),
        },
        Err(_) => HttpError::BadUrl { url: quote(url) },
    }
}

/// `host:port` as the user would recognise it.
pub fn host_label(url: &url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => quote(url.as_str()),
    }
}

/// A proxy or server URL as an error message may show it: no userinfo, terminal-safe.
pub fn shown_url(raw: &str) -> String {
    quote(&crate::core::urls::strip_userinfo(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_auth_hides_the_secret() {
        let basic = Auth::Basic {
            user: "alice".into(),
            secret: SecretString::from("test-token-secret-1"),
        };
        let bearer = Auth::Bearer(SecretString::from("test-token-secret-2"));
        let shown = format!("{basic:?} {bearer:?}");
        assert!(!shown.contains("test-token-secret"), "{shown}");
        assert!(shown.contains("alice"));
    }

    #[test]
    fn proxy_names_lose_their_password() {
        assert_eq!(
            shown_url("http://user:test-token-pw@proxy.corp:3128"),
            "http://proxy.corp:3128"
        );
        assert_eq!(shown_url("u:p@proxy:8080"), "proxy:8080");
    }
}
