//! The command line: clap definitions and the headless commands (scripts and CI).
//!
//! Secrets never come from arguments (they would show in `ps` and shell history): only from
//! standard input (`--token-stdin`) or `BBCONNECT_TOKEN`.

pub mod listing;
pub mod output;

use std::io::{IsTerminal, Read};

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;
use serde_json::json;

use crate::bitbucket::model::{
    AuthKind, CheckReport, CheckStatus, ConnectionSpec, Credentials, FailureClass, OAuthGrant,
    Problem, Provider, Webhook, WebhookChange, WebhookSpec,
};
use crate::bitbucket::oauth::OAuthConsumer;
use crate::bitbucket::{
    Client, ClientOptions, DEFAULT_MAX_PAGES, DEFAULT_MAX_REPOS, Endpoints, ListLimits,
    MAX_PAGES_ENV, MAX_REPOS_ENV,
};
use crate::engine;
use crate::oauth_flow;
use crate::sanitize::clean;
use crate::sim::{Scenario, SimConfig};
use crate::store::{SavedConnection, Store};
use crate::wizard::validate;
use crate::wizard::webhook as hook_rules;
use crate::{errln, outln};

#[derive(Debug, Parser)]
#[command(
    name = "bbconnect",
    version,
    about = "Connect a Bitbucket Cloud or Server / Data Center account, verified end to end.",
    long_about = "Without a command, bbconnect starts the interactive wizard.\n\
                  Exit codes: 0 success, 2 usage or invalid input, 3 credentials rejected,\n\
                  4 a required permission or server version missing, 5 server unreachable, 1 anything else."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check credentials and save a connection without the wizard.
    Connect(ConnectArgs),
    /// List saved connections (never the secret).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Re-run every check on saved connections.
    Check {
        names: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the repositories a saved connection can see.
    Repos {
        name: String,
        #[arg(long)]
        filter: Option<String>,
        #[arg(long)]
        json: bool,
        /// Requests in flight at once while listing (fewer after a 429).
        #[arg(long, env = CONCURRENCY_ENV, default_value_t = DEFAULT_CONCURRENCY,
              value_parser = clap::value_parser!(u16).range(1..=MAX_CONCURRENCY))]
        concurrency: u16,
        /// Stop with an error past this many repositories (a server whose pages never end).
        #[arg(long, env = MAX_REPOS_ENV, default_value_t = DEFAULT_MAX_REPOS,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        max_repos: usize,
        /// Stop with an error past this many pages.
        #[arg(long, env = MAX_PAGES_ENV, default_value_t = DEFAULT_MAX_PAGES,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        max_pages: usize,
    },
    /// Remove a saved connection and its secret.
    Remove {
        name: String,
        /// Also delete the webhook bbconnect created.
        #[arg(long)]
        delete_webhook: bool,
    },
    /// The wizard against the built-in simulator: no account, no network.
    Demo,
    /// Run the built-in simulator alone, for trying and testing.
    Sim(SimArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProviderArg {
    Cloud,
    Server,
}

impl From<ProviderArg> for Provider {
    fn from(p: ProviderArg) -> Self {
        match p {
            ProviderArg::Cloud => Provider::Cloud,
            ProviderArg::Server => Provider::Server,
        }
    }
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    #[arg(long, value_enum)]
    pub provider: ProviderArg,
    /// oauth, api-token, repo-token, app-password (Cloud); http-token-user, http-token-repo (Server/DC).
    #[arg(long)]
    pub auth: String,
    #[arg(long)]
    pub name: String,
    /// Server base URL; for Cloud defaults to https://bitbucket.org (or BBCONNECT_CLOUD_WEB_URL).
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long, conflicts_with = "email")]
    pub username: Option<String>,
    /// The Atlassian account email (Cloud API tokens).
    #[arg(long)]
    pub email: Option<String>,
    /// WORKSPACE/SLUG (Cloud) or KEY/SLUG (Server) to select.
    #[arg(long)]
    pub repo: Option<String>,
    #[arg(long)]
    pub webhook_url: Option<String>,
    #[arg(long, requires = "webhook_url")]
    pub webhook_secret_env: Option<String>,
    #[arg(long, value_delimiter = ',', requires = "webhook_url")]
    pub webhook_events: Vec<String>,
    /// Read the secret from standard input (otherwise from BBCONNECT_TOKEN).
    #[arg(long)]
    pub token_stdin: bool,
    /// Allow sending the secret over plain http to a host that is not loopback.
    #[arg(long)]
    pub allow_http: bool,
    /// Replace a saved connection of the same name.
    #[arg(long)]
    pub replace: bool,
    /// OAuth: the port of the loopback callback registered on the consumer
    /// (http://127.0.0.1:PORT/callback).
    #[arg(long, default_value_t = 8976)]
    pub callback_port: u16,
    /// OAuth: seconds to wait for the browser to come back.
    #[arg(long, default_value_t = 300)]
    pub oauth_timeout: u64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 7990)]
    pub port: u16,
    /// A failure to reproduce.
    #[arg(long, value_enum, default_value = "normal")]
    pub scenario: Scenario,
    /// Number of repositories per product.
    #[arg(long)]
    pub repos: Option<usize>,
    /// Latency added to every request.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
}

impl SimArgs {
    pub fn config(&self) -> SimConfig {
        SimConfig {
            port: self.port,
            scenario: self.scenario,
            repos: self.repos,
            latency_ms: self.latency_ms,
            ..SimConfig::default()
        }
    }
}

/// A headless command's failure: the message for stderr and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl From<Problem> for Failure {
    fn from(p: Problem) -> Self {
        Failure {
            message: format!("{}\n  fix: {}", p.what, p.fix),
            code: p.class.exit_code(),
        }
    }
}

/// Requests a listing keeps in flight: the default, and a ceiling that stays polite
/// to a shared server.
pub const CONCURRENCY_ENV: &str = "BBCONNECT_CONCURRENCY";
pub const DEFAULT_CONCURRENCY: u16 = 8;
pub const MAX_CONCURRENCY: i64 = 32;

/// `BBCONNECT_CONCURRENCY` for the wizard (the `repos` command reads it through clap).
pub fn concurrency_from_env() -> Result<usize, Failure> {
    let Some(raw) = env_value(CONCURRENCY_ENV) else {
        return Ok(usize::from(DEFAULT_CONCURRENCY));
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n as usize),
        _ => Err(usage(
            format!(
                "{CONCURRENCY_ENV} is {:?}, not a number of requests.",
                clean(&raw)
            ),
            format!(
                "set it to a number from 1 to {MAX_CONCURRENCY}, or unset it for {DEFAULT_CONCURRENCY}."
            ),
        )),
    }
}

/// `BBCONNECT_MAX_REPOS` and `BBCONNECT_MAX_PAGES` for `connect`, `check` and the wizard (the
/// `repos` command reads them through clap, with its flags).
pub fn limits_from_env() -> Result<ListLimits, Failure> {
    let read = |key: &str, default: usize| -> Result<usize, Failure> {
        let Some(raw) = env_value(key) else {
            return Ok(default);
        };
        match raw.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => Err(usage(
                format!("{key} is {:?}, not a positive whole number.", clean(&raw)),
                format!("set it to a number such as {default}, or unset it for {default}."),
            )),
        }
    };
    Ok(ListLimits {
        max_repos: read(MAX_REPOS_ENV, DEFAULT_MAX_REPOS)?,
        max_pages: read(MAX_PAGES_ENV, DEFAULT_MAX_PAGES)?,
    })
}

fn usage(what: impl Into<String>, fix: impl Into<String>) -> Failure {
    Problem::new(FailureClass::Input, what, fix).into()
}

/// Reads the secret for `connect`: stdin with --token-stdin, else BBCONNECT_TOKEN.
fn read_secret(token_stdin: bool) -> Result<SecretString, Failure> {
    let raw = if token_stdin {
        let mut buf = String::new();
        std::io::stdin().read_to_string(&mut buf).map_err(|e| {
            usage(
                format!("Could not read the secret from standard input: {e}."),
                "Pipe the token in, e.g. `printenv MY_TOKEN | bbconnect connect ... --token-stdin`.",
            )
        })?;
        buf
    } else {
        match std::env::var("BBCONNECT_TOKEN") {
            Ok(v) => v,
            Err(_) => {
                return Err(usage(
                    "No secret given.",
                    "Set BBCONNECT_TOKEN or pipe it with --token-stdin (never as an argument).",
                ));
            }
        }
    };
    let trimmed = raw.trim_end_matches(['\n', '\r']).to_string();
    if let Err(msg) = validate::secret(&trimmed, "token") {
        return Err(usage(
            format!("The secret is not usable. {msg}"),
            "Pass the token exactly as Bitbucket showed it.",
        ));
    }
    Ok(SecretString::from(trimmed))
}

/// Builds the connection spec from the flags, with the same validation as the wizard's form.
pub fn spec_from_args(
    args: &ConnectArgs,
    endpoints: &Endpoints,
) -> Result<ConnectionSpec, Failure> {
    let provider = Provider::from(args.provider);
    let auth = AuthKind::from_cli_name(&args.auth).ok_or_else(|| {
        usage(
            format!("Unknown auth type `{}`.", clean(&args.auth)),
            "Use one of: oauth, api-token, repo-token, app-password (cloud); http-token-user, http-token-repo (server).",
        )
    })?;
    if auth.provider() != provider {
        return Err(usage(
            format!(
                "`{}` is not a {} credential type.",
                auth.cli_name(),
                provider.label()
            ),
            format!(
                "For {} use one of: {}.",
                provider.cli_name(),
                provider
                    .auth_kinds()
                    .iter()
                    .map(|k| k.cli_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if !auth.available() {
        return Err(Failure {
            message: format!(
                "`{}` is not available yet in this version of bbconnect.\n  fix: use {} for now.",
                auth.cli_name(),
                AuthKind::ALL
                    .iter()
                    .filter(|k| k.available() && k.provider() == provider)
                    .map(|k| k.cli_name())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            code: 1,
        });
    }
    let url = match (&args.url, provider) {
        (Some(u), _) => u.trim().to_string(),
        (None, Provider::Cloud) => endpoints.cloud_web.clone(),
        (None, Provider::Server) => {
            return Err(usage(
                "--url is required for Bitbucket Server / Data Center.",
                "Pass the server's base URL, e.g. --url https://bitbucket.example.com.",
            ));
        }
    };
    let username = if auth == AuthKind::OAuth {
        // The consumer key plays the username's part (the form does the same).
        env_value("BBCONNECT_OAUTH_KEY").or_else(|| args.username.clone())
    } else {
        args.email.clone().or_else(|| args.username.clone())
    };
    let spec = ConnectionSpec {
        name: args.name.clone(),
        provider,
        auth,
        url,
        username,
        repo: args.repo.clone(),
    };
    if let Some((flag, msg)) = spec_errors(&spec).into_iter().next() {
        return Err(usage(
            format!("{flag}: {msg}"),
            format!("Correct {flag} and run again."),
        ));
    }
    Ok(spec)
}

/// The wizard form's field rules (`validate::spec`), named by the flag that sets each field.
fn spec_errors(spec: &ConnectionSpec) -> Vec<(&'static str, String)> {
    validate::spec(spec)
        .into_iter()
        .map(|(field, msg)| {
            let flag = match field {
                "name" => "--name",
                "url" => "--url",
                "email" => "--email",
                "username" => "--username",
                "repo" => "--repo",
                "auth" => "--auth",
                "oauth key" => "BBCONNECT_OAUTH_KEY (or --username)",
                other => other,
            };
            (flag, msg)
        })
        .collect()
}

fn print_report(report: &CheckReport, name: &str) {
    errln!("Checks for {}:", clean(name));
    for item in &report.items {
        let mark = match item.status {
            CheckStatus::Passed => "ok  ",
            CheckStatus::Warning => "warn",
            CheckStatus::Failed => "FAIL",
        };
        errln!("  [{mark}] {}: {}", clean(&item.title), clean(&item.detail));
        // A passed row may still carry advice (least privilege): shown as a tip.
        if let Some(fix) = &item.fix {
            let label = if item.status == CheckStatus::Passed {
                "tip"
            } else {
                "fix"
            };
            errln!("         {label}: {}", clean(fix));
        }
    }
}

fn report_json(report: &CheckReport) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or(serde_json::Value::Null)
}

/// `bbconnect connect`.
pub async fn connect(
    args: ConnectArgs,
    store: &Store,
    endpoints: &Endpoints,
) -> Result<(), Failure> {
    let spec = spec_from_args(&args, endpoints)?;
    if !args.replace && store.get(&spec.name).map_err(Problem::from)?.is_some() {
        return Err(usage(
            format!("A connection named `{}` already exists.", spec.name),
            "Choose another --name, pass --replace, or `bbconnect remove` it first.",
        ));
    }
    let hook_spec = webhook_spec_from_args(&args, &spec)?;
    let options = ClientOptions {
        allow_http: args.allow_http,
        limits: limits_from_env()?,
        ..ClientOptions::default()
    };
    let (creds, oauth) = if spec.auth == AuthKind::OAuth {
        let grant = oauth_sign_in(&args, &spec, &options).await?;
        let creds = Credentials {
            spec: spec.clone(),
            secret: grant.access_token.clone(),
        };
        (creds, Some(grant))
    } else {
        let secret = read_secret(args.token_stdin)?;
        let creds = Credentials {
            spec: spec.clone(),
            secret,
        };
        (creds, None)
    };
    let client = Client::new(creds.clone(), endpoints, options)?;
    let report = client.check(None).await;
    if !args.json {
        print_report(&report, &spec.name);
    }
    if !report.passed() {
        if args.json {
            outln!(
                "{}",
                json!({"ok": false, "name": spec.name, "checks": report_json(&report)})
            );
        }
        return Err(Failure {
            message: "The connection was not saved: fix the failed checks above and run again."
                .into(),
            code: report.exit_code(),
        });
    }
    let repo = match &spec.repo {
        None => None,
        Some(wanted) => {
            // Looked up while the pages stream by: the listing is not kept.
            let (found, seen) = client.find_repo(wanted).await?;
            match found {
                Some(r) => Some(r),
                None => {
                    return Err(Problem::new(
                        FailureClass::Permission,
                        format!("Repository `{}` is not visible to this credential ({} repositories are).", clean(wanted), seen),
                        "Check the spelling (WORKSPACE/SLUG on Cloud, KEY/SLUG on Server), or grant the credential read access to it.",
                    )
                    .into());
                }
            }
        }
    };
    let hook = match (&hook_spec, &repo) {
        (Some(hs), Some(r)) => match client.ensure_webhook(&r.full_name, hs).await {
            Ok(done) => Some(done),
            Err(p) => {
                if args.json {
                    outln!(
                        "{}",
                        json!({"ok": false, "name": spec.name, "webhook_error": p, "checks": report_json(&report)})
                    );
                }
                return Err(Failure {
                    message: format!(
                        "{}\n  fix: {}\nThe connection was not saved (run again without --webhook-url to save it without a webhook).",
                        p.what, p.fix
                    ),
                    code: p.class.exit_code(),
                });
            }
        },
        _ => None,
    };
    let user = report.identity.as_ref().map(|i| i.username.clone());
    let mut conn =
        engine::saved_connection(&spec, user.clone(), repo.as_ref(), engine::now_rfc3339());
    if let Some((h, _)) = &hook {
        conn.webhook_id = Some(h.id.clone());
        conn.webhook_url = Some(h.url.clone());
    }
    // OAuth keeps its tokens and consumer secret as the one secret, so `check` can refresh.
    let secret = match &oauth {
        Some(grant) => grant.to_stored(),
        None => creds.secret.clone(),
    };
    let saved = store
        .save(conn, &secret, args.replace)
        .map_err(Problem::from)?;
    let hook_secret_location = match hook_spec.as_ref().and_then(|h| h.secret.as_ref()) {
        Some(hs) if hook.is_some() => Some(
            store
                .save_webhook_secret(&saved.name, hs)
                .map_err(Problem::from)?,
        ),
        _ => None,
    };
    if saved.secret_location.contains("no usable OS keychain") {
        // Scripts read stdout; the one-line notice goes to stderr even with --json.
        errln!(
            "bbconnect: warning: the secret went to a file, not the OS keychain: {}",
            saved.secret_location
        );
    }
    if args.json {
        outln!(
            "{}",
            json!({
                "ok": true,
                "name": saved.name,
                "provider": spec.provider.cli_name(),
                "auth": spec.auth.cli_name(),
                "url": spec.url,
                "user": user,
                "repo": repo.as_ref().map(|r| r.full_name.clone()),
                "clone_https": saved.clone_https,
                "config_file": saved.config_file,
                "secret_location": saved.secret_location,
                "webhook": hook.as_ref().map(|(h, change)| json!({
                    "id": h.id, "url": h.url, "events": h.events, "change": change,
                    "secret_location": hook_secret_location,
                })),
                "checks": report_json(&report),
            })
        );
    } else {
        print_saved(&saved);
        if let (Some((h, change)), Some(r)) = (&hook, &repo) {
            outln!("{}", hook_summary(h, *change, &r.full_name));
            if let Some(loc) = &hook_secret_location {
                outln!("Webhook secret: {loc}");
            }
        }
    }
    Ok(())
}

/// What was saved and where, for people (both faces print it).
pub fn print_saved(saved: &crate::bitbucket::model::SavedInfo) {
    outln!(
        "Saved connection `{}` in {}.",
        clean(&saved.name),
        saved.config_file
    );
    outln!("Secret: {}", saved.secret_location);
    if let Some(url) = &saved.clone_https {
        outln!("Clone: git clone {}", clean(url));
    }
}

/// A set, non-empty environment variable, trimmed.
pub fn env_value(key: &str) -> Option<String> {
    std::env::var(key)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The OAuth consumer secret: stdin with --token-stdin, else BBCONNECT_OAUTH_SECRET.
fn consumer_secret(token_stdin: bool) -> Result<SecretString, Failure> {
    if token_stdin {
        return read_secret(true);
    }
    let secret = env_value("BBCONNECT_OAUTH_SECRET").ok_or_else(|| {
        usage(
            "No OAuth consumer secret given.",
            "Set BBCONNECT_OAUTH_SECRET or pipe it with --token-stdin (never as an argument).",
        )
    })?;
    Ok(SecretString::from(secret))
}

/// `connect --auth oauth`: listen on the callback, print the authorize URL (headless machines
/// have no browser: the user opens it anywhere that reaches this port), wait, exchange.
async fn oauth_sign_in(
    args: &ConnectArgs,
    spec: &ConnectionSpec,
    options: &ClientOptions,
) -> Result<OAuthGrant, Failure> {
    let consumer = OAuthConsumer {
        key: spec.username.clone().unwrap_or_default(),
        secret: consumer_secret(args.token_stdin)?,
    };
    let callback = format!("http://127.0.0.1:{}/callback", args.callback_port);
    let pending =
        oauth_flow::start_sign_in(&spec.url, consumer, &callback, options.clone()).await?;
    errln!(
        "Sign in to Bitbucket: open this address in a browser (the consumer's callback must be {callback}):"
    );
    errln!("  {}", pending.url);
    errln!(
        "Waiting up to {} s for the browser to come back...",
        args.oauth_timeout
    );
    let grant = pending
        .finish(std::time::Duration::from_secs(args.oauth_timeout))
        .await?;
    errln!("Signed in; checking the connection.");
    Ok(grant)
}

/// The credentials a saved connection calls Bitbucket with. An expired OAuth access token is
/// refreshed here and the newest tokens saved at once: the old refresh token no longer works.
async fn fresh_credentials(
    store: &Store,
    conn: SavedConnection,
    creds: Credentials,
    options: &ClientOptions,
) -> Result<Credentials, Problem> {
    let (creds, renewed) =
        oauth_flow::usable_credentials(creds, options, oauth_flow::now_secs()).await?;
    if let Some(grant) = renewed {
        store
            .save(conn, &grant.to_stored(), true)
            .map_err(Problem::from)?;
    }
    Ok(creds)
}

fn hook_summary(h: &Webhook, change: WebhookChange, repo: &str) -> String {
    let what = match change {
        WebhookChange::Created => "created",
        WebhookChange::Updated => "already there: updated",
        WebhookChange::Kept => "already there as asked: kept",
    };
    format!(
        "Webhook {} on {} ({}): {what}.",
        clean(&h.id),
        clean(repo),
        clean(&h.url)
    )
}

/// The hook asked for by `--webhook-*`, validated by the wizard's rules before any network
/// call or secret is read.
fn webhook_spec_from_args(
    args: &ConnectArgs,
    spec: &ConnectionSpec,
) -> Result<Option<WebhookSpec>, Failure> {
    let Some(url) = &args.webhook_url else {
        return Ok(None);
    };
    if let Err(msg) = hook_rules::validate_url(url) {
        return Err(usage(
            format!("--webhook-url: {msg}"),
            "Correct --webhook-url and run again.",
        ));
    }
    if spec.repo.is_none() {
        return Err(usage(
            "--webhook-url needs the repository to put the hook on.",
            match spec.provider {
                Provider::Cloud => "Add --repo WORKSPACE/SLUG.",
                Provider::Server => "Add --repo PROJECTKEY/SLUG.",
            },
        ));
    }
    let events = if args.webhook_events.is_empty() {
        crate::bitbucket::webhooks::default_events(spec.provider)
    } else {
        args.webhook_events
            .iter()
            .map(|e| e.trim().to_string())
            .collect()
    };
    if let Err(msg) = hook_rules::validate_events(&events) {
        return Err(usage(
            format!("--webhook-events: {msg}"),
            match spec.provider {
                Provider::Cloud => "For example --webhook-events repo:push,pullrequest:created.",
                Provider::Server => "For example --webhook-events repo:refs_changed,pr:opened.",
            },
        ));
    }
    let secret = match &args.webhook_secret_env {
        None => None,
        Some(var) => {
            let value = std::env::var(var).unwrap_or_default();
            let value = value.trim_end_matches(['\n', '\r']);
            if let Err(msg) = validate::secret(value, "webhook secret") {
                return Err(usage(
                    format!("--webhook-secret-env {}: {msg}", clean(var)),
                    format!(
                        "Set the environment variable {} to the secret your CI checks deliveries with.",
                        clean(var)
                    ),
                ));
            }
            Some(SecretString::from(value.to_string()))
        }
    };
    Ok(Some(WebhookSpec {
        name: hook_rules::hook_name(&spec.name),
        url: url.trim().to_string(),
        events,
        secret,
    }))
}

fn connection_json(c: &SavedConnection) -> serde_json::Value {
    json!({
        "name": c.name,
        "provider": c.provider.cli_name(),
        "auth": c.auth.cli_name(),
        "url": c.url,
        "username": c.username,
        "user": c.user,
        "repo": c.repo,
        "clone_https": c.clone_https,
        "clone_ssh": c.clone_ssh,
        "webhook_id": c.webhook_id,
        "webhook_url": c.webhook_url,
        "secret_store": c.secret_store,
        "saved_at": c.saved_at,
    })
}

/// `bbconnect list`.
pub fn list(store: &Store, as_json: bool) -> Result<(), Failure> {
    let conns = store.list().map_err(Problem::from)?;
    if as_json {
        outln!(
            "{}",
            serde_json::Value::Array(conns.iter().map(connection_json).collect())
        );
        return Ok(());
    }
    if conns.is_empty() {
        outln!(
            "No saved connections in {}. Run `bbconnect` to add one.",
            store.config_file().display()
        );
        return Ok(());
    }
    for c in &conns {
        outln!(
            "{}  {} {}  {}  user={}  repo={}  secret={}",
            clean(&c.name),
            c.provider.cli_name(),
            c.auth.cli_name(),
            clean(&c.url),
            clean(c.user.as_deref().or(c.username.as_deref()).unwrap_or("-")),
            clean(c.repo.as_deref().unwrap_or("-")),
            c.secret_store
        );
    }
    Ok(())
}

fn credentials_of(store: &Store, name: &str) -> Result<(SavedConnection, Credentials), Failure> {
    let conn = store.get(name).map_err(Problem::from)?.ok_or_else(|| {
        usage(
            format!("No saved connection named `{}`.", clean(name)),
            "Run `bbconnect list` to see the saved ones.",
        )
    })?;
    let secret = store.secret(name).map_err(Problem::from)?;
    let spec = ConnectionSpec {
        name: conn.name.clone(),
        provider: conn.provider,
        auth: conn.auth,
        url: conn.url.clone(),
        username: conn.username.clone(),
        repo: conn.repo.clone(),
    };
    Ok((conn, Credentials { spec, secret }))
}

/// `bbconnect check`: exits with the code of the worst result.
pub async fn check(
    store: &Store,
    endpoints: &Endpoints,
    names: Vec<String>,
    as_json: bool,
) -> Result<(), Failure> {
    let names = if names.is_empty() {
        store
            .list()
            .map_err(Problem::from)?
            .into_iter()
            .map(|c| c.name)
            .collect()
    } else {
        names
    };
    if names.is_empty() {
        return Err(usage(
            "No saved connections to check.",
            "Add one with `bbconnect` or `bbconnect connect`.",
        ));
    }
    let mut worst = 0;
    let mut out = Vec::new();
    let options = ClientOptions {
        limits: limits_from_env()?,
        ..ClientOptions::default()
    };
    for name in &names {
        let (conn, creds) = credentials_of(store, name)?;
        let creds = match fresh_credentials(store, conn.clone(), creds, &options).await {
            Ok(creds) => creds,
            Err(problem) => {
                let report = engine::report_from_problem(&problem);
                let code = report.exit_code();
                worst = worst.max(code);
                if as_json {
                    out.push(json!({"name": name, "ok": false, "exit_code": code, "checks": report_json(&report)}));
                } else {
                    print_report(&report, name);
                }
                continue;
            }
        };
        let mut report = engine::check(creds.clone(), endpoints, options.clone(), None).await;
        // A hook deleted or switched off behind our back means CI silently stops building.
        if let (Some(id), Some(repo)) = (&conn.webhook_id, &conn.repo)
            && let Ok(client) = Client::new(creds, endpoints, options.clone())
        {
            report.items.push(client.webhook_row(repo, id).await);
        }
        let code = report.exit_code();
        // Exit codes are not ordered by severity, but any failure must win over success and
        // the result must not depend on the order of names: take the highest.
        worst = worst.max(code);
        if as_json {
            out.push(json!({"name": name, "ok": report.passed(), "exit_code": code, "checks": report_json(&report)}));
        } else {
            print_report(&report, name);
        }
    }
    if as_json {
        outln!("{}", serde_json::Value::Array(out));
    }
    if worst == 0 {
        Ok(())
    } else {
        Err(Failure {
            message: "Some checks failed.".into(),
            code: worst,
        })
    }
}

/// `bbconnect repos`.
pub async fn repos(
    store: &Store,
    endpoints: &Endpoints,
    name: &str,
    filter: Option<&str>,
    as_json: bool,
    concurrency: usize,
    limits: ListLimits,
) -> Result<(), Failure> {
    let (conn, creds) = credentials_of(store, name)?;
    let options = ClientOptions {
        max_concurrency: concurrency,
        limits,
        ..ClientOptions::default()
    };
    let creds = fresh_credentials(store, conn, creds, &options).await?;
    let client = Client::new(creds, endpoints, options)?;
    // Each page becomes its output rows as it arrives and is dropped (see `listing`); the
    // sort (by name, or the screen's fuzzy filter best match first) needs every row, so
    // nothing prints before the listing is complete and a failed listing prints nothing.
    let mut rows = listing::rows(filter, as_json);
    client.for_each_page(|page| rows.add(&page.repos)).await?;
    rows.print();
    Ok(())
}

/// `bbconnect remove`.
pub async fn remove(
    store: &Store,
    endpoints: &Endpoints,
    name: &str,
    delete_webhook: bool,
) -> Result<(), Failure> {
    if delete_webhook {
        let (conn, creds) = credentials_of(store, name)?;
        match (&conn.webhook_id, &conn.repo) {
            (Some(id), Some(repo)) => {
                let client = Client::new(creds, endpoints, ClientOptions::default())?;
                // The connection is kept when the hook cannot be deleted: it is the only
                // record of which hook to delete on the next try.
                let deleted = client.delete_webhook(repo, id).await.map_err(|p| Failure {
                    message: format!(
                        "{}\n  fix: {}\nThe connection was kept, so you can try again.",
                        p.what, p.fix
                    ),
                    code: p.class.exit_code(),
                })?;
                if deleted {
                    outln!("Deleted webhook {} on {}.", clean(id), clean(repo));
                } else {
                    outln!("Webhook {} on {} was already gone.", clean(id), clean(repo));
                }
            }
            _ => outln!(
                "Connection `{}` has no saved webhook: nothing to delete.",
                clean(name)
            ),
        }
    }
    store.remove(name).map_err(Problem::from)?;
    outln!("Removed connection `{}` and its secret.", clean(name));
    Ok(())
}

/// Whether standard input is a terminal (the wizard needs one).
pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}
