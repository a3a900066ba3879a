//! The Bitbucket API client: both products, the check engine, the listing engine.
//! Knows nothing of the wizard or the terminal.

pub mod check;
pub mod cloud;
pub mod errors;
pub mod explain;
pub mod git;
pub mod hook_delivery;
pub mod http;
pub mod loose;
// The domain types live in core; named here as `model` for brevity.
use crate::core::model;
pub mod oauth;
pub mod proxy;
pub mod saved;
pub mod server;
pub mod ssh_keys;
pub mod throttle;
pub mod tls;
pub mod token_expiry;
pub mod urls;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::mpsc;

use self::http::{Auth, Http, HttpError, JsonResponse, RetryPolicy};
use crate::core::model::{
    AuthKind, CheckReport, Credentials, FailureClass, Problem, Provider, Repo, RepoPage,
};

pub const DEFAULT_CLOUD_API: &str = "https://api.bitbucket.org/2.0";
pub const DEFAULT_CLOUD_WEB: &str = "https://bitbucket.org";

/// Where "Bitbucket Cloud" lives; overridable to point at the simulator or a proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub cloud_api: String,
    pub cloud_web: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            cloud_api: DEFAULT_CLOUD_API.into(),
            cloud_web: DEFAULT_CLOUD_WEB.into(),
        }
    }
}

/// Where a listing stops when a server's pages never end: without it, a server answering every
/// page with "more follow" kept bbconnect fetching (7,247 pages, 2.7 GB) until killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListLimits {
    pub max_repos: usize,
    pub max_pages: usize,
}

pub const MAX_REPOS_ENV: &str = "BBCONNECT_MAX_REPOS";
pub const MAX_PAGES_ENV: &str = "BBCONNECT_MAX_PAGES";
/// Far above any real account, small enough to stop a runaway listing in seconds.
pub const DEFAULT_MAX_REPOS: usize = 1_000_000;
pub const DEFAULT_MAX_PAGES: usize = 100_000;

impl Default for ListLimits {
    fn default() -> Self {
        ListLimits {
            max_repos: DEFAULT_MAX_REPOS,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }
}

/// Which cap a listing reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    Repos(usize),
    Pages(usize),
}

impl Cap {
    pub fn describe(&self) -> String {
        match self {
            Cap::Repos(n) => format!("{} repositories ({MAX_REPOS_ENV})", check::thousands(*n)),
            Cap::Pages(n) => format!("{} pages ({MAX_PAGES_ENV})", check::thousands(*n)),
        }
    }

    pub fn fix(&self) -> String {
        let (env, flag) = match self {
            Cap::Repos(_) => (MAX_REPOS_ENV, "--max-repos"),
            Cap::Pages(_) => (MAX_PAGES_ENV, "--max-pages"),
        };
        format!(
            "If the account really reaches more, raise the cap: set {env} to a larger number (`bbconnect repos` also takes {flag}); otherwise the server's paging is broken (its pages never say they are the last)."
        )
    }
}

/// Counts a listing's pages and repositories against its [`ListLimits`].
#[derive(Debug)]
pub(crate) struct Budget {
    limits: ListLimits,
    host: String,
    pages: usize,
    repos: usize,
    claimed_repos: u64,
    claimed_pages: u64,
}

impl Budget {
    pub(crate) fn new(client: &Client) -> Budget {
        let host = url::Url::parse(&client.inner.api)
            .map(|u| http::host_label(&u))
            .unwrap_or_else(|_| client.inner.api.clone());
        Budget {
            limits: client.inner.options.limits,
            host,
            pages: 0,
            repos: 0,
            claimed_repos: 0,
            claimed_pages: 0,
        }
    }

    /// One more page of `repos` repositories; an error once either cap is passed.
    pub(crate) fn page(&mut self, repos: usize) -> Result<(), HttpError> {
        self.pages += 1;
        self.repos = self.repos.saturating_add(repos);
        if self.pages > self.limits.max_pages {
            return Err(self.capped(Cap::Pages(self.limits.max_pages)));
        }
        if self.repos > self.limits.max_repos {
            return Err(self.capped(Cap::Repos(self.limits.max_repos)));
        }
        Ok(())
    }

    /// A workspace whose first page claims `size` repositories in `pages` pages: refused at
    /// once when the claims of the listing so far pass a cap.
    pub(crate) fn claim_size(&mut self, size: u64, pages: u64) -> Result<(), HttpError> {
        self.claimed_repos = self.claimed_repos.saturating_add(size);
        self.claimed_pages = self.claimed_pages.saturating_add(pages);
        if self.claimed_repos > self.limits.max_repos as u64 {
            return Err(self.capped(Cap::Repos(self.limits.max_repos)));
        }
        if self.claimed_pages > self.limits.max_pages as u64 {
            return Err(self.capped(Cap::Pages(self.limits.max_pages)));
        }
        Ok(())
    }

    pub(crate) fn capped(&self, cap: Cap) -> HttpError {
        HttpError::Capped {
            host: self.host.clone(),
            cap,
        }
    }
}

/// Transport knobs. `Default` is what the product uses.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Send the credential over plain http to a host that is not loopback.
    pub allow_http: bool,
    /// Requests in flight at once, across every workspace of a listing.
    pub max_concurrency: usize,
    /// Per-request time limit (and idle read limit).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Retries after the first try of a request.
    pub max_retries: u32,
    /// First backoff step; doubles on each retry.
    pub retry_base: Duration,
    /// What this connection trusts beyond the platform's roots (CA file, pinned certificate).
    pub tls: crate::core::cert::TlsTrust,
    /// Host names answered without DNS (as curl's `--resolve`): lets tests reach the
    /// simulator under a name that is not loopback.
    pub resolve: Vec<(String, std::net::SocketAddr)>,
    /// The proxy variables; `None` takes the process's (`http::install_process_network`).
    pub proxies: Option<proxy::ProxyEnv>,
    /// Where a listing stops (both products, both faces, the check's count too).
    pub limits: ListLimits,
    /// The check asks its probes one after another, in the report's order, instead of the
    /// independent ones at once: the order in the one-probe-at-a-time order, kept to compare round trips.
    pub sequential_check: bool,
    /// How an OAuth access token the server ended early gets replaced (the engine's refresh
    /// of a saved connection); `None` reports the 401 as it is.
    pub renewal: Option<Renewal>,
    /// The connection checked already has its webhook (a saved connection's re-check, a
    /// rotation): the webhook scopes and admin rights were needed to create it, not to keep
    /// using the connection, so a credential lowered to read access passes the check.
    pub saved_webhook: bool,
}

/// What [`Renewal`] gives back: the access token to retry with.
pub type RenewFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<SecretString, Problem>> + Send>>;

/// Replaces an OAuth access token Cloud refused with `401 Access token expired` (it may do so
/// before the recorded expiry: docs/bitbucket.md section 6). Called with the refused token;
/// the request is retried once with what it returns. The bitbucket room holds no saved state,
/// so whoever owns the refresh token (the engine) supplies this.
#[derive(Clone)]
pub struct Renewal(Arc<dyn Fn(SecretString) -> RenewFuture + Send + Sync>);

impl Renewal {
    pub fn new(renew: impl Fn(SecretString) -> RenewFuture + Send + Sync + 'static) -> Renewal {
        Renewal(Arc::new(renew))
    }
}

impl std::fmt::Debug for Renewal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renewal")
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            allow_http: false,
            max_concurrency: 8,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_retries: 4,
            retry_base: Duration::from_millis(500),
            tls: crate::core::cert::TlsTrust::default(),
            resolve: Vec::new(),
            proxies: None,
            limits: ListLimits::default(),
            sequential_check: false,
            renewal: None,
            saved_webhook: false,
        }
    }
}

/// A transport that cannot be built: a CA file that does not read, a fingerprint that is not one.
pub fn setup_problem(e: &http::SetupError) -> Problem {
    Problem::new(
        FailureClass::Input,
        e.to_string(),
        match e {
            http::SetupError::Tls(tls::TlsSetupError::BadFingerprint(_)) => {
                "Give the fingerprint as printed in the error: --trust-cert SHA256:<64 hex digits>."
            }
            _ => {
                "Fix or unset the CA file (BBCONNECT_CA_FILE or --ca-file: a PEM file with the CA certificate)."
            }
        },
    )
}

/// A client for one connection. Cheap to clone: everything is behind one `Arc`.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) creds: Credentials,
    pub(crate) http: Http,
    /// Server: base URL without trailing `/`. Cloud: the API base (`.../2.0`).
    pub(crate) api: String,
    /// Cloud: the web URL the user typed; Server: same as `api`.
    pub(crate) web: String,
    pub(crate) options: ClientOptions,
    /// The access token that replaced `creds.secret` after a renewal.
    renewed: std::sync::Mutex<Option<SecretString>>,
    /// One renewal at a time: concurrent probes refused together renew once.
    renewing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The spec carries no secret; the secret itself is never printed.
        f.debug_struct("Client")
            .field("spec", &self.inner.creds.spec)
            .field("api", &self.inner.api)
            .field("secret", &"***")
            .finish()
    }
}

impl Client {
    pub fn new(
        creds: Credentials,
        endpoints: &Endpoints,
        options: ClientOptions,
    ) -> Result<Client, Problem> {
        let spec = &creds.spec;
        crate::core::validate::for_client(spec)?;
        if creds.secret.expose_secret().trim().is_empty() {
            return Err(Problem::new(
                FailureClass::Input,
                "The secret is empty.",
                "Paste the token (it is never shown).",
            ));
        }
        // A saved or refreshed secret is not typed through the form's rules: refuse here too
        // what no header can carry, before anything is sent.
        if creds.secret.expose_secret().contains(char::is_control) {
            return Err(Problem::new(
                FailureClass::Input,
                "The secret contains a control character (such as NUL, ESC or DEL), which no Bitbucket secret has.",
                "Enter the token again (bbconnect connect --replace, or the wizard).",
            ));
        }
        let typed = urls::parse_base(&spec.url)?;
        let (api, web) = match spec.provider {
            Provider::Server => (typed.clone(), typed),
            Provider::Cloud => (urls::cloud_api_for(&typed, endpoints), typed),
        };
        urls::parse_base(&api)?;
        let http = Http::with_options(
            &options,
            options.max_concurrency,
            RetryPolicy {
                max_retries: options.max_retries,
                base: options.retry_base,
            },
        )
        .map_err(|e| setup_problem(&e))?;
        Ok(Client {
            inner: Arc::new(Inner {
                creds,
                http,
                api,
                web,
                options,
                renewed: std::sync::Mutex::new(None),
                renewing: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The check engine: every check of this credential type, in order.
    pub async fn check(&self, progress: Option<mpsc::UnboundedSender<String>>) -> CheckReport {
        check::run(self, progress.as_ref()).await
    }

    /// The check, keeping what its listing saw of the repository `wanted` (case-insensitive
    /// full name), so connecting to it needs no second listing.
    pub async fn check_finding(
        &self,
        progress: Option<mpsc::UnboundedSender<String>>,
        wanted: Option<&str>,
    ) -> check::Checked {
        check::run_finding(self, progress.as_ref(), wanted).await
    }

    /// Streams repository pages as they arrive; returns how many repositories were sent.
    pub async fn list_repos(&self, pages: mpsc::Sender<RepoPage>) -> Result<usize, Problem> {
        self.guard_transport()?;
        let result = match self.inner.creds.spec.auth {
            AuthKind::HttpTokenUser => server::list_all(self, &pages, None).await,
            AuthKind::HttpTokenRepo => server::list_single(self, &pages, None).await,
            AuthKind::RepoToken => cloud::list_single(self, &pages, None).await,
            AuthKind::ApiToken | AuthKind::AppPassword | AuthKind::OAuth => {
                cloud::list_all(self, &pages, None).await
            }
        };
        result.map_err(|e| self.problem(&e))
    }

    /// Runs the listing, handing each page to `each` as it arrives and keeping nothing.
    pub async fn for_each_page(&self, mut each: impl FnMut(RepoPage)) -> Result<usize, Problem> {
        let (tx, mut rx) = mpsc::channel::<RepoPage>(16);
        let this = self.clone();
        let producer = tokio::spawn(async move { this.list_repos(tx).await });
        while let Some(page) = rx.recv().await {
            each(page);
        }
        match producer.await {
            Ok(result) => result,
            Err(e) => Err(Problem::new(
                FailureClass::Other,
                format!("The listing task stopped unexpectedly: {e}"),
                "Retry; report a bug if it happens again.",
            )),
        }
    }

    /// The repository named `wanted` (case-insensitive full name), looked up while the pages
    /// stream by, and how many repositories the listing held.
    pub async fn find_repo(&self, wanted: &str) -> Result<(Option<Repo>, usize), Problem> {
        let mut found = None;
        let mut seen = 0usize;
        self.for_each_page(|page| {
            seen += page.repos.len();
            if found.is_none() {
                found = page
                    .repos
                    .into_iter()
                    .find(|r| r.full_name.eq_ignore_ascii_case(wanted));
            }
        })
        .await?;
        Ok((found, seen))
    }

    pub async fn list_all_repos(&self) -> Result<Vec<Repo>, Problem> {
        let (tx, mut rx) = mpsc::channel::<RepoPage>(16);
        let this = self.clone();
        let producer = tokio::spawn(async move { this.list_repos(tx).await });
        let mut all = Vec::new();
        while let Some(page) = rx.recv().await {
            all.extend(page.repos);
        }
        match producer.await {
            Ok(Ok(_)) => Ok(all),
            Ok(Err(p)) => Err(p),
            Err(e) => Err(Problem::new(
                FailureClass::Other,
                format!("The listing task stopped unexpectedly: {e}"),
                "Retry; report a bug if it happens again.",
            )),
        }
    }

    pub fn spec(&self) -> &model::ConnectionSpec {
        &self.inner.creds.spec
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The secret requests carry now: the saved one, or the access token that renewed it.
    fn secret(&self) -> SecretString {
        self.inner
            .renewed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| self.inner.creds.secret.clone())
    }

    /// The auth header of this credential type (docs/bitbucket.md §1).
    pub(crate) fn auth(&self) -> Auth {
        let c = &self.inner.creds;
        let secret = self.secret();
        match c.spec.auth {
            AuthKind::ApiToken | AuthKind::AppPassword => Auth::Basic {
                user: c.spec.username.clone().unwrap_or_default(),
                secret,
            },
            // DC user tokens take Basic too, but Bearer needs no username, so a mistyped
            // username cannot cause a refusal; the check compares it to the owner instead.
            AuthKind::OAuth
            | AuthKind::RepoToken
            | AuthKind::HttpTokenUser
            | AuthKind::HttpTokenRepo => Auth::Bearer(secret),
        }
    }

    /// Runs `call` with this credential's auth; when Cloud answers that the OAuth access
    /// token expired, renews it (once for every request refused together) and retries once.
    pub(crate) async fn authed<T, F, Fut>(&self, call: F) -> Result<T, HttpError>
    where
        F: Fn(Auth) -> Fut,
        Fut: std::future::Future<Output = Result<T, HttpError>>,
    {
        let used = self.secret();
        let first = call(self.auth()).await;
        let expired = matches!(&first, Err(HttpError::Status { status: 401, body, .. })
            if body.is_access_token_expired());
        let renewal = match &self.inner.options.renewal {
            Some(r) if expired && self.inner.creds.spec.auth == AuthKind::OAuth => r.clone(),
            _ => return first,
        };
        {
            let _one = self.inner.renewing.lock().await;
            // Another request renewed while this one waited: its token is the new one.
            if self.secret().expose_secret() == used.expose_secret() {
                match (renewal.0)(used).await {
                    Ok(fresh) => {
                        *self.inner.renewed.lock().unwrap_or_else(|e| e.into_inner()) = Some(fresh);
                    }
                    Err(problem) => return Err(HttpError::Renewal(Box::new(problem))),
                }
            }
        }
        call(self.auth()).await
    }

    /// Whether the credential would travel over plain http to a host that is not loopback.
    pub(crate) fn insecure_transport(&self) -> bool {
        urls::is_insecure(&self.inner.api)
    }

    pub(crate) fn guard_transport(&self) -> Result<(), Problem> {
        if self.insecure_transport() && !self.inner.options.allow_http {
            return Err(check::http_refusal_problem(&self.inner.api));
        }
        Ok(())
    }

    pub(crate) async fn get(
        &self,
        url: &str,
        authenticated: bool,
        progress: Option<&mpsc::UnboundedSender<String>>,
    ) -> Result<JsonResponse, HttpError> {
        if !authenticated {
            return self.inner.http.get_json(url, &Auth::None, progress).await;
        }
        self.authed(|auth| async move { self.inner.http.get_json(url, &auth, progress).await })
            .await
    }

    /// Every value of the small paged collection at `base` (a repository's keys or hooks),
    /// read by `parse`, which skips what it cannot read. Cloud follows `next` only on `base`'s
    /// origin, DC `nextPageStart` only forwards; 100 pages of 100 at the most.
    pub(crate) async fn get_every_page<T>(
        &self,
        base: &str,
        parse: impl Fn(&serde_json::Value) -> Option<T>,
    ) -> Result<Vec<T>, HttpError> {
        let mut out = Vec::new();
        match self.spec().provider {
            Provider::Cloud => {
                let mut url = urls::with_query(base, "pagelen", "100");
                for _ in 0..100 {
                    let resp = self.get(&url, true, None).await?;
                    let page = cloud::parse_page(&resp.body);
                    out.extend(page.values.iter().filter_map(&parse));
                    match page.next {
                        Some(next) if next != url && urls::same_origin(base, &next) => url = next,
                        _ => break,
                    }
                }
            }
            Provider::Server => {
                let mut start = 0u64;
                for _ in 0..100 {
                    let url = urls::with_query(
                        &urls::with_query(base, "limit", "100"),
                        "start",
                        &start.to_string(),
                    );
                    let resp = self.get(&url, true, None).await?;
                    let page = server::parse_page(&resp.body);
                    out.extend(page.values.iter().filter_map(&parse));
                    match page.next_start {
                        Some(n) if !page.is_last && n > start => start = n,
                        _ => break,
                    }
                }
            }
        }
        Ok(out)
    }

    /// A state-changing request, refused before sending over an insecure transport.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<JsonResponse, HttpError> {
        if self.insecure_transport() && !self.inner.options.allow_http {
            return Err(HttpError::BadUrl {
                url: format!("{url} (plain http refused)"),
            });
        }
        self.authed(|auth| {
            let method = method.clone();
            async move { self.inner.http.send_json(method, url, &auth, body).await }
        })
        .await
    }

    pub(crate) fn problem(&self, err: &HttpError) -> Problem {
        explain::problem(err, self.inner.creds.spec.auth, &self.inner.web)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::ConnectionSpec;
    use secrecy::SecretString;

    pub(crate) fn creds(
        auth: AuthKind,
        url: &str,
        user: Option<&str>,
        repo: Option<&str>,
    ) -> Credentials {
        Credentials {
            spec: ConnectionSpec {
                name: "t".into(),
                provider: auth.provider(),
                auth,
                url: url.into(),
                username: user.map(Into::into),
                repo: repo.map(Into::into),
            },
            secret: SecretString::from("test-token-unit"),
        }
    }

    #[test]
    fn a_listing_may_reach_its_caps_but_not_pass_them() {
        let options = ClientOptions {
            limits: ListLimits {
                max_repos: 2_000,
                max_pages: 3,
            },
            ..ClientOptions::default()
        };
        let c = Client::new(
            creds(
                AuthKind::HttpTokenUser,
                "https://bb.example.com",
                None,
                None,
            ),
            &Endpoints::default(),
            options,
        )
        .unwrap();
        let mut b = Budget::new(&c);
        assert!(
            b.page(1_000).is_ok() && b.page(1_000).is_ok(),
            "exactly the cap"
        );
        let e = b.page(1).unwrap_err();
        assert!(
            matches!(
                e,
                HttpError::Capped {
                    cap: Cap::Repos(2_000),
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("2,000 repositories (BBCONNECT_MAX_REPOS)"),
            "{e}"
        );
        let mut b = Budget::new(&c);
        for _ in 0..3 {
            b.page(0).unwrap();
        }
        assert!(matches!(
            b.page(0),
            Err(HttpError::Capped {
                cap: Cap::Pages(3),
                ..
            })
        ));
        let mut b = Budget::new(&c);
        assert!(b.claim_size(1_500, 2).is_ok());
        assert!(
            b.claim_size(600, 1).is_err(),
            "claims add up across workspaces"
        );
        let p = c.problem(&b.capped(Cap::Pages(3)));
        assert_eq!(p.class, FailureClass::Other);
        assert!(p.fix.contains("BBCONNECT_MAX_PAGES") && p.fix.contains("--max-pages"));
    }

    #[test]
    fn a_secret_with_a_control_character_is_refused_before_any_request() {
        let mut c = creds(
            AuthKind::HttpTokenUser,
            "https://bb.example.com",
            None,
            None,
        );
        c.secret = SecretString::from("test-token-\u{1}x");
        let p = Client::new(c, &Endpoints::default(), ClientOptions::default()).unwrap_err();
        assert_eq!(p.class, FailureClass::Input);
        assert!(p.what.contains("control character") && !p.what.contains("test-token"));
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let c = Client::new(
            creds(
                AuthKind::HttpTokenUser,
                "https://bb.example.com/",
                Some("alice"),
                None,
            ),
            &Endpoints::default(),
            ClientOptions::default(),
        )
        .unwrap();
        let shown = format!("{c:?} {:?}", c.auth());
        assert!(!shown.contains("test-token-unit"), "{shown}");
        assert_eq!(c.inner().api, "https://bb.example.com");
    }

    #[test]
    fn cloud_api_base_follows_the_typed_web_url() {
        let ep = Endpoints {
            cloud_api: "http://127.0.0.1:9/2.0".into(),
            cloud_web: "http://127.0.0.1:9".into(),
        };
        let c = Client::new(
            creds(
                AuthKind::ApiToken,
                "http://127.0.0.1:9/",
                Some("a@example.com"),
                None,
            ),
            &ep,
            ClientOptions::default(),
        )
        .unwrap();
        assert_eq!(c.inner().api, "http://127.0.0.1:9/2.0");
        let c = Client::new(
            creds(
                AuthKind::ApiToken,
                "https://bitbucket.org",
                Some("a@example.com"),
                None,
            ),
            &ep,
            ClientOptions::default(),
        )
        .unwrap();
        assert_eq!(c.inner().api, DEFAULT_CLOUD_API);
    }

    #[test]
    fn invalid_inputs_are_refused_with_class_input() {
        let ep = Endpoints::default();
        let cases = [
            creds(
                AuthKind::ApiToken,
                "https://bitbucket.org",
                Some("alice"),
                None,
            ),
            creds(
                AuthKind::RepoToken,
                "https://bitbucket.org",
                None,
                Some("no-slash"),
            ),
            creds(AuthKind::HttpTokenRepo, "https://bb", None, None),
            creds(AuthKind::HttpTokenUser, "not a url", None, None),
            creds(AuthKind::HttpTokenUser, "ftp://bb", None, None),
        ];
        for c in cases {
            let p = Client::new(c.clone(), &ep, ClientOptions::default()).unwrap_err();
            assert_eq!(p.class, FailureClass::Input, "{:?}: {p}", c.spec);
        }
    }

    #[test]
    fn auth_header_kind_follows_the_table() {
        let ep = Endpoints::default();
        let kind = |c: Credentials| match Client::new(c, &ep, ClientOptions::default())
            .unwrap()
            .auth()
        {
            Auth::Basic { user, .. } => format!("basic:{user}"),
            Auth::Bearer(_) => "bearer".into(),
            Auth::None => "none".into(),
        };
        assert_eq!(
            kind(creds(
                AuthKind::ApiToken,
                DEFAULT_CLOUD_WEB,
                Some("a@x.io"),
                None
            )),
            "basic:a@x.io"
        );
        assert_eq!(
            kind(creds(
                AuthKind::AppPassword,
                DEFAULT_CLOUD_WEB,
                Some("alice"),
                None
            )),
            "basic:alice"
        );
        assert_eq!(
            kind(creds(
                AuthKind::RepoToken,
                DEFAULT_CLOUD_WEB,
                None,
                Some("ws/r")
            )),
            "bearer"
        );
        assert_eq!(
            kind(creds(AuthKind::OAuth, DEFAULT_CLOUD_WEB, None, None)),
            "bearer"
        );
        assert_eq!(
            kind(creds(
                AuthKind::HttpTokenUser,
                "https://bb",
                Some("alice"),
                None
            )),
            "bearer"
        );
        assert_eq!(
            kind(creds(
                AuthKind::HttpTokenRepo,
                "https://bb",
                None,
                Some("P/r")
            )),
            "bearer"
        );
    }
}
