//! The built-in Bitbucket simulator: Cloud (`/2.0`, `/site/oauth2`) and Data Center
//! (`/rest/api/1.0`) on one loopback port, in the vendor's shapes, with switches that
//! reproduce the failures bbconnect must explain. It never imports `crate::bitbucket`: its
//! JSON is built here, so a field-name mistake in the client cannot be mirrored.

// Handlers bail out early with a ready `Response` as the error; it is built once per request,
// so boxing it would add noise and buy nothing.
#![allow(clippy::result_large_err)]

mod auth;
mod cloud;
mod data;
mod dc;
mod drift;
mod faults;
mod git;
mod hook_test;
mod hooks;
mod keys;
pub use hooks::HookSeen;
mod oauth;
mod query;
mod render;
mod reply;
mod ssh;
mod timeline;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use drift::HookChange;
pub use keys::SimSshKey;
pub use timeline::RequestSpan;

/// How the simulator behaves. `..SimConfig::default()` keeps callers stable as fields are added.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Port on 127.0.0.1; 0 picks any free port.
    pub port: u16,
    /// The failure to reproduce; `Normal` serves everything correctly.
    pub scenario: Scenario,
    /// Repositories per product; `None` keeps the data set's figure (2,000).
    pub repos: Option<usize>,
    /// Latency added to every request, to measure paging strategies.
    pub latency_ms: u64,
    /// DC caps `limit` to this and echoes the applied value (default 1000).
    pub dc_limit_cap: usize,
    /// Cloud pages carry only `next` (no `size`/`page`), as some endpoints do.
    pub cloud_omit_size: bool,
    /// Lifetime of OAuth access tokens the simulator issues, in seconds (Bitbucket: 7200).
    /// 0 issues tokens that are already expired, to test refreshing.
    pub oauth_expires_in: u64,
    /// Cloud workspaces of equal size (the first ones from the data set, then numbered
    /// copies of the last); `None` keeps the data set's three, weighted.
    pub cloud_workspaces: Option<usize>,
    /// From this `start` offset on, DC pages (repositories, projects) hold half of `limit` (as a server that
    /// filters by permission after paging does), so `nextPageStart` stops being
    /// `start + limit`: pages still chain without gaps, but offsets are no longer linear.
    pub dc_short_pages_from: Option<usize>,
    /// DC pages hold this many items whatever `limit` asks (and echo it as the applied
    /// `limit`): a server that ignores the parameter, for one huge page (memory tests).
    pub dc_page_len: Option<usize>,
    /// DC repositories carry only slug, project key and `public` (about 64 bytes
    /// each), so that one page under the client's 16 MiB cap holds 200,000 of them.
    pub dc_small_repos: bool,
    /// Cloud still takes app passwords, as an old mirror would. Bitbucket Cloud turned them off
    /// on 2026-07-28 and answers every one with a 401, so by default the simulator does too.
    pub app_passwords_accepted: bool,
    /// DC's token list (`/rest/access-tokens/.../users/{slug}`) refuses every token with 401,
    /// as a server may where a token cannot read the token list.
    pub dc_token_list_refused: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            scenario: Scenario::Normal,
            repos: None,
            latency_ms: 0,
            dc_limit_cap: 1000,
            cloud_omit_size: false,
            oauth_expires_in: 7200,
            cloud_workspaces: None,
            dc_short_pages_from: None,
            dc_page_len: None,
            dc_small_repos: false,
            app_passwords_accepted: false,
            dc_token_list_refused: false,
        }
    }
}

/// A failure switch. Deterministic, so tests are stable: where a fault is "sometimes", it is
/// counted per request path and query (see each variant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Scenario {
    /// Everything answers as the vendor does.
    #[default]
    Normal,
    /// DC reports version 7.9.1 (bbconnect needs 7.14+).
    OldVersion,
    /// Every `links` href points at `http://localhost:7990/...` (a server whose base URL is unset).
    LocalhostLinks,
    /// Every API request answers 200 with an HTML login page (an SSO proxy in the way).
    HtmlLogin,
    /// The first request to each path+query answers 429 with `Retry-After: 1`; the next succeeds.
    RateLimited,
    /// The first request to each path+query answers 502, the second 503; the third succeeds.
    ServerErrors,
    /// Every API answer is delayed by 3 seconds.
    Slow,
    /// Every API request answers 410 Gone.
    Gone,
    /// Hostile: repository listings are cut off mid-JSON.
    TruncatedJson,
    /// Hostile: repository listings have strings where numbers belong and the other way round.
    WrongTypes,
    /// Hostile: repository listings are a valid start of JSON followed by more than 16 MiB.
    HugeBody,
    /// Hostile: DC `nextPageStart` never advances and Cloud `next` always points at page 2.
    EndlessPaging,
    /// Hostile: every listing page is full and says more follow, forever (DC `nextPageStart`
    /// is `start + limit`, the repositories repeating; Cloud `next` is the following page,
    /// with no `size`). Only a cap on the listing stops a client.
    NeverLastPage,
    /// Hostile: repository listings redirect to each other forever.
    RedirectLoop,
    /// Hostile: repository listings arrive one byte every 200 ms.
    SlowDrip,
    /// Hostile: repository listings answer 500 with an HTML error page.
    HtmlError,
    /// Hostile: repository listings answer 500 with an empty body.
    #[value(name = "empty-500")]
    Empty500,
}

/// Shared by every handler of one simulator.
pub(crate) struct SimState {
    pub config: SimConfig,
    pub base_url: String,
    pub data: data::Data,
    pub requests: AtomicUsize,
    /// When each request started and ended, to count round trips on the critical path.
    pub timeline: timeline::Timeline,
    /// How often each `Authorization` value was presented, so a test can tell which secret
    /// reached which simulator (a store test kills saves and checks where tokens went).
    pub authorizations: Mutex<std::collections::BTreeMap<String, usize>>,
    /// Hits per "path?query", for the deterministic "first N requests fail" scenarios.
    pub fault_hits: Mutex<std::collections::HashMap<String, u32>>,
    pub oauth: Mutex<oauth::OAuthStore>,
    pub hooks: Mutex<hooks::HookStore>,
    /// Repository JSON rendered once, reused by every page that lists it.
    pub render: render::RenderCache,
    /// Bare repositories served over smart HTTP and SSH, created on first use.
    pub git: git::GitRepos,
    /// What tests changed on the server after a connection was saved.
    pub drift: Mutex<drift::Drift>,
    /// When the simulator started, in milliseconds since the epoch: token expiries count
    /// from it.
    pub started_ms: u64,
    /// SSH keys registered on repositories (DC access keys, Cloud deploy keys).
    pub keys: Mutex<keys::KeyStore>,
    /// The SSH server's host key, made at start.
    pub host_key: ssh::HostKey,
    /// The SSH server's port on 127.0.0.1.
    pub ssh_port: u16,
}

impl SimState {
    /// Where `links` point: the simulator itself, or the misconfigured `localhost:7990`.
    pub fn link_base(&self) -> &str {
        if self.config.scenario == Scenario::LocalhostLinks {
            "http://localhost:7990"
        } else {
            &self.base_url
        }
    }

    /// `host[:port]` of [`Self::link_base`], for ssh and userinfo-bearing clone links.
    pub fn link_host(&self) -> &str {
        let base = self.link_base();
        base.split_once("://").map(|(_, h)| h).unwrap_or(base)
    }

    pub fn link_scheme(&self) -> &str {
        self.link_base()
            .split_once("://")
            .map(|(s, _)| s)
            .unwrap_or("http")
    }
}

const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// A running simulator. Dropping it stops the server (its port is free again at once); tests
/// let it go out of scope instead of shutting it down by hand. [`SimHandle::shutdown`] also
/// waits a moment for requests in flight.
pub struct SimHandle {
    addr: SocketAddr,
    state: Arc<SimState>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    /// The SSH server's accept loop.
    ssh_task: JoinHandle<()>,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Where a Cloud API client points: `{base}/2.0`.
    pub fn cloud_api_url(&self) -> String {
        format!("{}/2.0", self.base_url())
    }
    /// Where Cloud's web pages and OAuth live: `{base}`.
    pub fn cloud_web_url(&self) -> String {
        self.base_url()
    }
    /// A Data Center base URL: `{base}`.
    pub fn server_url(&self) -> String {
        self.base_url()
    }
    /// The port of the simulator's SSH server on 127.0.0.1.
    pub fn ssh_port(&self) -> u16 {
        self.state.ssh_port
    }
    /// The SSH host key's fingerprint as OpenSSH prints it: `SHA256:...`.
    pub fn ssh_host_key_fingerprint(&self) -> String {
        format!("SHA256:{}", self.state.host_key.fingerprint_value())
    }
    /// The SSH host key: `ssh-ed25519 AAAA...`.
    pub fn ssh_host_key_line(&self) -> String {
        self.state.host_key.line()
    }
    /// The `known_hosts` line for the SSH server: `[127.0.0.1]:PORT ssh-ed25519 AAAA...`.
    pub fn ssh_known_hosts_line(&self) -> String {
        keys::known_hosts_line(&self.state)
    }
    /// The access keys registered on DC repository `KEY/slug`, oldest first.
    pub fn dc_access_keys(&self, full_name: &str) -> Vec<SimSshKey> {
        let Some((key, slug)) = full_name.split_once('/') else {
            return Vec::new();
        };
        let Some(repo) = self
            .state
            .data
            .dc_project_index(key)
            .and_then(|p| self.state.data.dc_repo_index(p, slug))
        else {
            return Vec::new();
        };
        keys::store(&self.state).listed(keys::Which::Dc, repo)
    }
    /// The deploy keys registered on Cloud repository `workspace/slug`, oldest first.
    pub fn cloud_deploy_keys(&self, full_name: &str) -> Vec<SimSshKey> {
        let Some((ws, slug)) = full_name.split_once('/') else {
            return Vec::new();
        };
        let Some(repo) = self
            .state
            .data
            .workspace_index(ws)
            .and_then(|w| self.state.data.cloud_repo_index(w, slug))
        else {
            return Vec::new();
        };
        keys::store(&self.state).listed(keys::Which::Cloud, repo)
    }
    /// The keys on a repository of either product (`KEY/slug` for DC, `workspace/slug` for
    /// Cloud), so a test can count ours.
    pub fn access_keys(&self, full_name: &str) -> Vec<SimSshKey> {
        let mut all = self.dc_access_keys(full_name);
        all.extend(self.cloud_deploy_keys(full_name));
        all
    }
    /// Requests served so far, faulted ones included.
    pub fn request_count(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }
    /// The requests recorded since the start (or the last [`Self::clear_request_log`]), in
    /// the order they started.
    pub fn request_log(&self) -> Vec<RequestSpan> {
        self.state.timeline.spans()
    }
    /// Forgets the recorded requests, so the next command is measured alone.
    pub fn clear_request_log(&self) {
        self.state.timeline.clear()
    }
    /// Round trips on the critical path of the recorded requests: the longest chain in which
    /// each request started after the previous one had been answered. Requests in flight
    /// together count once, so this is what latency multiplies.
    pub fn critical_path(&self) -> usize {
        timeline::critical_path(&self.request_log())
    }
    /// Each `Authorization` header value presented since the last call, with how many
    /// requests carried it; the record is emptied.
    pub fn take_authorizations(&self) -> std::collections::BTreeMap<String, usize> {
        self.state
            .authorizations
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
    /// The hooks on a Data Center repository (`KEY/slug`), secrets included.
    pub fn dc_hooks(&self, repo: &str) -> Vec<HookSeen> {
        hooks::hooks_of(&self.state, true, repo)
    }
    /// The hooks on a Cloud repository (`workspace/slug`), secrets included.
    pub fn cloud_hooks(&self, repo: &str) -> Vec<HookSeen> {
        hooks::hooks_of(&self.state, false, repo)
    }
    /// Renames repository `owner/slug` (a Cloud workspace or a DC project key) to `new_slug`:
    /// the old name answers 404 from then on, for the API and git alike.
    pub fn rename_repo(&self, repo: &str, new_slug: &str) {
        if let Some((owner, slug)) = repo.split_once('/') {
            self.state.change_drift(|d| d.rename(owner, slug, new_slug));
        }
    }
    /// Deletes repository `owner/slug`: it answers 404 from then on.
    pub fn delete_repo(&self, repo: &str) {
        if let Some((owner, slug)) = repo.split_once('/') {
            self.state.change_drift(|d| d.delete(owner, slug));
        }
    }
    /// Revokes a token, API token, app password or access token: refused with a 401 from then
    /// on, as Bitbucket refuses a revoked one.
    pub fn revoke_token(&self, secret: &str) {
        self.state.change_drift(|d| d.revoke(secret));
    }
    /// Changes every webhook on repository `owner/slug` behind the client's back (someone in
    /// the repository's settings). Returns how many hooks were changed.
    pub fn change_hooks(&self, repo: &str, change: HookChange) -> usize {
        hooks::change_all(&self.state, repo, &change)
    }
    /// Stops accepting and gives in-flight requests a moment to finish; a connection kept
    /// open by a hostile scenario (slow drip) must not hold the caller forever.
    pub async fn shutdown(mut self) {
        self.ssh_task.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

/// Starts the simulator on 127.0.0.1. Fails only when the port cannot be bound.
pub async fn start(config: SimConfig) -> std::io::Result<SimHandle> {
    let data = data::Data::load_with(config.repos, config.cloud_workspaces).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the simulator's built-in data set is invalid ({e}); rebuild bbconnect from a clean checkout"),
        )
    })?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    let addr = listener.local_addr()?;
    let ssh_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    let ssh_port = ssh_listener.local_addr()?.port();
    let host_key = ssh::HostKey::generate()?;
    let render = render::RenderCache::new(data.dc_repos.len(), data.cloud_repos.len());
    let state = Arc::new(SimState {
        render,
        config,
        base_url: format!("http://{addr}"),
        data,
        requests: AtomicUsize::new(0),
        timeline: timeline::Timeline::default(),
        authorizations: Mutex::new(Default::default()),
        fault_hits: Mutex::new(Default::default()),
        oauth: Mutex::new(Default::default()),
        hooks: Mutex::new(Default::default()),
        git: Default::default(),
        drift: Default::default(),
        started_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0),
        keys: Mutex::new(Default::default()),
        host_key,
        ssh_port,
    });
    let ssh_task = ssh::serve(state.clone(), ssh_listener)?;
    let app = router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::warn!("simulator stopped: {e}");
        }
    });
    Ok(SimHandle {
        addr,
        state,
        stop: Some(stop),
        task,
        ssh_task,
    })
}

fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .merge(dc::routes())
        .merge(cloud::routes())
        .merge(hooks::routes())
        .merge(keys::routes())
        .merge(oauth::routes())
        .fallback(git_or_not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            faults::layer,
        ))
        .with_state(state)
}

/// Git smart HTTP paths (`/{ws}/{slug}.git/...`, `/scm/{key}/{slug}.git/...`) overlap the
/// REST routes' shapes, so they are recognised here rather than in the route table.
async fn git_or_not_found(
    axum::extract::State(state): axum::extract::State<Arc<SimState>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let uri = req.uri().clone();
    match git::handle(state, req).await {
        Some(r) => r,
        None => not_found(uri).await,
    }
}

/// Unknown paths answer in the envelope of the product they belong to, so a client that
/// calls a wrong path gets a readable 404 rather than an empty body.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    let path = uri.path();
    if path.starts_with("/2.0") {
        reply::cloud_error(
            axum::http::StatusCode::NOT_FOUND,
            &format!("Resource not found: {path}"),
        )
    } else if path.starts_with("/rest/") {
        reply::dc_error(
            axum::http::StatusCode::NOT_FOUND,
            &format!("No resource at {path}"),
            "com.sun.jersey.api.NotFoundException",
        )
    } else {
        reply::html(
            axum::http::StatusCode::NOT_FOUND,
            "<!DOCTYPE html>\n<html><body><h1>Page not found</h1></body></html>\n",
        )
    }
}

/// `bbconnect sim`: serve until Ctrl-C, telling a person where to point the client and what
/// to type.
pub async fn run_cli(config: SimConfig) -> std::io::Result<()> {
    let scenario = config.scenario;
    let sim = start(config).await?;
    // An error, not print!'s panic, when stdout is a closed pipe: the caller ends quietly.
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(banner(&sim, scenario).as_bytes())?;
        stdout.flush()?;
    }
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}

/// What `bbconnect sim` prints: the URLs and the demo credentials.
fn banner(sim: &SimHandle, scenario: Scenario) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let name = clap::ValueEnum::to_possible_value(&scenario)
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    let _ = writeln!(out, "Bitbucket simulator running (scenario: {name})");
    let _ = writeln!(out, "  Cloud API:   {}", sim.cloud_api_url());
    let _ = writeln!(out, "  Cloud web:   {}", sim.cloud_web_url());
    let _ = writeln!(out, "  Server/DC:   {}", sim.server_url());
    let _ = writeln!(
        out,
        "  SSH (git):   ssh://git@127.0.0.1:{}  host key {}",
        sim.ssh_port(),
        sim.ssh_host_key_fingerprint()
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "Point bbconnect's Cloud at it with:");
    let _ = writeln!(
        out,
        "  BBCONNECT_CLOUD_API_URL={} BBCONNECT_CLOUD_WEB_URL={}",
        sim.cloud_api_url(),
        sim.cloud_web_url()
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "Demo credentials (all fake):");
    for c in demo_credentials() {
        let user = if c.username.is_empty() {
            "-"
        } else {
            c.username.as_str()
        };
        let repo = c
            .repo
            .as_deref()
            .map(|r| format!("  repo {r}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<6} {:<16} {:<20} {}{repo}",
            c.product, c.auth, user, c.secret
        );
        let _ = writeln!(out, "         {}", c.note);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Press Ctrl-C to stop.");
    out
}

/// A credential the demo screen shows, so a person can type it.
#[derive(Debug, Clone)]
pub struct DemoCredential {
    /// `"cloud"` or `"server"`.
    pub product: &'static str,
    /// The CLI's auth type name: `api-token`, `http-token-user`, ...
    pub auth: &'static str,
    /// Email for Cloud API tokens, username otherwise; empty when the type takes none.
    pub username: String,
    pub secret: String,
    /// `WS/SLUG` or `KEY/SLUG` for repository tokens.
    pub repo: Option<String>,
    pub note: String,
}

/// The demo credentials, the recommended ones first. Derived from the data set so they always
/// work against [`start`] with the default configuration.
pub fn demo_credentials() -> Vec<DemoCredential> {
    // Token-bound repositories are named by the generated set, so generate it as `start` does.
    let Ok(data) = data::Data::load(None) else {
        return Vec::new();
    };
    let spec = &data.spec;
    let mut out = Vec::new();
    for t in &spec.dc.user_tokens {
        let reach = if t.projects.iter().any(|k| k == "*") {
            "every project".to_string()
        } else {
            t.projects.join(", ")
        };
        out.push(DemoCredential {
            product: "server",
            auth: "http-token-user",
            username: t.user.clone(),
            secret: t.secret.clone(),
            repo: None,
            note: match t.expiry_days {
                Some(days) => format!(
                    "Data Center user token, {} on {reach}, expires {days} days after the simulator starts",
                    t.permission
                ),
                None => format!("Data Center user token, {} on {reach}", t.permission),
            },
        });
    }
    for t in &spec.cloud.api_tokens {
        let note = if t.scopes.iter().any(|s| s == "write:webhook:bitbucket") {
            "Cloud API token with every scope bbconnect needs".to_string()
        } else if t.scopes.iter().any(|s| s == "read:user:bitbucket") {
            "Cloud API token with read scopes only: what a connection can be lowered to once its webhook exists"
                .to_string()
        } else {
            "Cloud API token lacking read:user:bitbucket (shows the missing-scope failure)"
                .to_string()
        };
        out.push(DemoCredential {
            product: "cloud",
            auth: "api-token",
            username: t.email.clone(),
            secret: t.secret.clone(),
            repo: None,
            note,
        });
    }
    for t in &spec.dc.repo_tokens {
        let repo = data
            .dc_repo_nth(&t.project, t.repo_index)
            .map(|i| format!("{}/{}", t.project, data.dc_repos[i].slug));
        out.push(DemoCredential {
            product: "server",
            auth: "http-token-repo",
            username: String::new(),
            secret: t.secret.clone(),
            repo,
            note: format!(
                "Data Center repository token ({}), Bearer only",
                t.permission
            ),
        });
    }
    for t in &spec.cloud.repo_tokens {
        let repo = data
            .cloud_repo_nth(&t.workspace, t.repo_index)
            .map(|i| format!("{}/{}", t.workspace, data.cloud_repos[i].slug));
        out.push(DemoCredential {
            product: "cloud",
            auth: "repo-token",
            username: String::new(),
            secret: t.secret.clone(),
            repo,
            note: "Cloud repository access token".to_string(),
        });
    }
    for c in &spec.cloud.oauth_consumers {
        out.push(DemoCredential {
            product: "cloud",
            auth: "oauth",
            username: c.key.clone(),
            secret: c.secret.clone(),
            repo: None,
            note: "Cloud OAuth consumer key / secret; the simulator approves sign-in at once"
                .to_string(),
        });
    }
    for p in &spec.cloud.app_passwords {
        out.push(DemoCredential {
            product: "cloud",
            auth: "app-password",
            username: p.username.clone(),
            secret: p.secret.clone(),
            repo: None,
            note: "Cloud app password (deprecated by Atlassian; removed 2026-07-28)".to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn banner_names_the_urls_and_every_credential() {
        let sim = start(SimConfig::default()).await.expect("sim starts");
        let text = banner(&sim, Scenario::RateLimited);
        assert!(text.contains("scenario: rate-limited"), "{text}");
        assert!(text.contains(&format!("Cloud API:   {}/2.0", sim.base_url())));
        assert!(text.contains(&format!("Server/DC:   {}", sim.base_url())));
        assert!(text.contains(&format!("ssh://git@127.0.0.1:{}", sim.ssh_port())));
        assert!(text.contains(&sim.ssh_host_key_fingerprint()));
        for c in demo_credentials() {
            assert!(text.contains(&c.secret), "{} missing", c.secret);
        }
        sim.shutdown().await;
    }

    #[test]
    fn scenario_names_are_the_documented_ones() {
        use clap::ValueEnum;
        let names: Vec<String> = Scenario::value_variants()
            .iter()
            .filter_map(|s| s.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        let documented = [
            "normal",
            "old-version",
            "localhost-links",
            "html-login",
            "rate-limited",
            "server-errors",
            "slow",
            "gone",
            "truncated-json",
            "wrong-types",
            "huge-body",
            "endless-paging",
            "never-last-page",
            "redirect-loop",
            "slow-drip",
            "html-error",
            "empty-500",
        ];
        assert_eq!(names, documented);
        assert_eq!(
            Scenario::from_str("empty-500", false),
            Ok(Scenario::Empty500)
        );
    }

    #[test]
    fn demo_credentials_start_with_the_recommended_ones() {
        let creds = demo_credentials();
        assert_eq!(creds[0].product, "server");
        assert_eq!(creds[0].auth, "http-token-user");
        assert_eq!(creds[0].username, "alice");
        assert!(
            creds
                .iter()
                .any(|c| c.auth == "api-token" && c.username == "alice@example.com")
        );
        assert!(
            creds.iter().all(|c| c.secret.starts_with("test-")),
            "fake secrets only"
        );
        let repo = creds
            .iter()
            .find(|c| c.auth == "http-token-repo")
            .and_then(|c| c.repo.clone());
        assert!(repo.is_some_and(|r| r.starts_with("PLAT/")));
    }
}
