//! The command line: clap definitions and the headless commands (scripts and CI).
//!
//! Secrets never come from arguments (they would show in `ps` and shell history): only from
//! standard input (`--token-stdin`) or `BBCONNECT_TOKEN`.

mod trust;

use std::io::{IsTerminal, Read, Write};

pub mod listing;
pub mod output;

pub mod completions;
pub mod status;

pub mod clone;
pub mod env;
pub mod git_credential;
pub mod setup_git;
pub mod token;
pub mod webhook_secret;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;
use serde_json::json;

use crate::bitbucket::model::{
    AuthKind, CheckReport, CheckStatus, ConnectionSpec, Credentials, FailureClass, OAuthGrant,
    Problem, Provider, Webhook, WebhookChange, WebhookSpec,
};
use crate::bitbucket::check::RepoSeen;
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

// Parsed once per run: the size of the `connect` flags does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check credentials and save a connection without the wizard.
    Connect(ConnectArgs),
    /// List saved connections (never the secret).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Re-run every check on saved connections (all of them when no NAME is given).
    Check {
        names: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the repositories a saved connection can see.
    Repos {
        /// May be left out when only one connection is saved.
        name: Option<String>,
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
        #[arg(long)]
        json: bool,
    },
    /// One line per saved connection with the result of a fast check (who, and whether the
    /// credential still has what it needs); exits non-zero when any fails.
    Status(status::StatusArgs),
    /// Print a shell completion script: bash, zsh, fish or powershell.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff): `bbconnect man > bbconnect.1`.
    Man,
    /// The wizard against the built-in simulator: no account, no network.
    Demo,
    /// Run the built-in simulator alone, for trying and testing.
    Sim(SimArgs),
    /// Git credential helper: answers git with a saved connection's credential.
    #[command(name = "git-credential")]
    GitCredential {
        #[arg(value_enum)]
        op: git_credential::HelperOp,
    },
    /// Make git use saved connections for their hosts (credential.<url>.helper).
    #[command(name = "setup-git")]
    SetupGit {
        names: Vec<String>,
        /// The current repository's config instead of the global one.
        #[arg(long)]
        local: bool,
        /// Undo what setup-git set.
        #[arg(long)]
        remove: bool,
    },
    /// git clone a connection's repository over https, the helper given for that one command.
    Clone {
        /// [NAME] [REPO] [DIR]; NAME may be left out when one connection is saved.
        #[arg(num_args = 0..=3)]
        args: Vec<String>,
    },
    /// Reveal the webhook secret stored for a connection (for the CI's configuration).
    #[command(name = "webhook-secret")]
    WebhookSecret { name: String },
    /// Print a connection's token on stdout (OAuth: a fresh access token), for scripts.
    Token { name: Option<String> },
    /// What a CI script needs: URLs, auth scheme, git username, clone URLs.
    Env {
        name: String,
        #[arg(long, value_enum, default_value = "sh")]
        format: env::Format,
        /// Include BITBUCKET_TOKEN.
        #[arg(long)]
        with_token: bool,
    },
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
    /// Allow a plain http:// webhook URL to a host that is not loopback (internal CI servers);
    /// deliveries and their signature then travel unencrypted.
    #[arg(long, requires = "webhook_url")]
    pub allow_http_webhook: bool,
    /// Read the secret from standard input (otherwise from BBCONNECT_TOKEN).
    #[arg(long)]
    pub token_stdin: bool,
    /// Allow sending the secret over plain http to a host that is not loopback.
    #[arg(long)]
    pub allow_http: bool,
    /// Replace a saved connection of the same name.
    #[arg(long)]
    pub replace: bool,
    /// Trust exactly this server certificate (the fingerprint a refused check printed,
    /// compared with the server's admin first); saved with the connection.
    #[arg(long, value_name = "SHA256:FINGERPRINT")]
    pub trust_cert: Option<String>,
    /// A PEM file of CA certificates (or the server's self-signed certificate) to trust for
    /// this connection; saved with it.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<String>,
    /// OAuth: the port of the loopback callback registered on the consumer
    /// (http://127.0.0.1:PORT/callback).
    #[arg(long, default_value_t = 8976)]
    pub callback_port: u16,
    /// OAuth: seconds to wait for the browser to come back.
    #[arg(long, default_value_t = 300)]
    pub oauth_timeout: u64,
    /// OAuth on a remote machine: open no browser; sign in with the printed address on any
    /// machine, then paste the address the browser ends on
    /// (http://127.0.0.1:PORT/callback?code=...) on standard input, one line. The consumer
    /// secret then comes from BBCONNECT_OAUTH_SECRET (stdin holds the address, so not with
    /// --token-stdin).
    #[arg(long)]
    pub no_browser: bool,
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

/// The clap definition with what is only known at run time: the simulator's demo
/// credentials in `sim --help`. `main`, the completions and the man page all use this one.
pub fn command() -> clap::Command {
    command_with_sim_help(true)
}

/// [`command`], with the demo credentials only when asked: listing them generates the
/// simulator's data set, which no other command should pay for.
fn command_with_sim_help(sim_help: bool) -> clap::Command {
    use clap::CommandFactory;
    if !sim_help {
        return Cli::command();
    }
    let mut creds = String::from("Credentials the simulator accepts (all fake):\n");
    for c in crate::sim::demo_credentials() {
        let who = if c.username.is_empty() {
            String::new()
        } else {
            format!("user {}, ", c.username)
        };
        creds.push_str(&format!(
            "  {} {}: {who}secret {}\n      {}\n",
            c.product, c.auth, c.secret, c.note
        ));
    }
    Cli::command().mut_subcommand("sim", |sim| sim.after_help(creds))
}

/// Parses the process's arguments against [`command`].
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let sim = std::env::args_os().skip(1).any(|a| a == "sim");
    let matches = command_with_sim_help(sim).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
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

/// Set (to anything but `0` or `false`), `connect` and `check` ask the check's probes one
/// after another, as before issue 12: for the round-trip bench's comparison.
pub const SEQUENTIAL_CHECK_ENV: &str = "BBCONNECT_SEQUENTIAL_CHECK";

pub fn sequential_check_from_env() -> bool {
    env_value(SEQUENTIAL_CHECK_ENV).is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
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
        (Some(u), _) => match validate::assume_https(u) {
            Some(with_scheme) => {
                errln!("bbconnect: note: no scheme in --url: using {with_scheme}.");
                with_scheme
            }
            None => u.trim().to_string(),
        },
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

/// The check report for people. `check` writes it to stdout (it is that command's output);
/// `connect` to stderr, as progress before its own result.
fn print_report(out: &mut dyn Write, report: &CheckReport, name: &str) {
    // A closed pipe (`check | head`) ends the command quietly, as every printer does.
    if let Err(e) = write_report(out, report, name) {
        output::fail(&e);
    }
}

fn write_report(out: &mut dyn Write, report: &CheckReport, name: &str) -> std::io::Result<()> {
    writeln!(out, "Checks for {}:", clean(name))?;
    for item in &report.items {
        let mark = match item.status {
            CheckStatus::Passed => "ok  ",
            CheckStatus::Warning => "warn",
            CheckStatus::Failed => "FAIL",
        };
        writeln!(
            out,
            "  [{mark}] {}: {}",
            clean(&item.title),
            clean(&item.detail)
        )?;
        if let Some(peer) = &item.cert {
            for line in trust::chain_lines(peer) {
                writeln!(out, "         {line}")?;
            }
        }
        // A passed row may still carry advice (least privilege): shown as a tip.
        if let Some(fix) = &item.fix {
            let label = if item.status == CheckStatus::Passed {
                "tip"
            } else {
                "fix"
            };
            writeln!(out, "         {label}: {}", clean(fix))?;
        }
    }
    Ok(())
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
    let mut hook_spec = webhook_spec_from_args(&args, &spec)?;
    // Connecting again keeps the generated secret the CI was given, rather than a new one:
    // the hook is first ensured without touching its secret (so an unchanged hook is kept),
    // and given the stored secret again only when it had to be created or updated.
    let mut reused_secret = None;
    if args.replace
        && args.webhook_secret_env.is_none()
        && let Some(hs) = hook_spec.as_mut()
        && let Ok(Some(previous)) = store.webhook_secret(&spec.name)
    {
        hs.secret = None;
        reused_secret = Some(previous);
    }
    let options = ClientOptions {
        allow_http: args.allow_http,
        tls: trust::trust_from_args(args.trust_cert.as_deref(), args.ca_file.as_deref())?,
        limits: limits_from_env()?,
        sequential_check: sequential_check_from_env(),
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
    let checked = client.check_finding(None, spec.repo.as_deref()).await;
    let report = checked.report;
    if !args.json {
        print_report(&mut std::io::stderr(), &report, &spec.name);
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
            // Found in the check's listing; listed again only if the check did not list.
            let (found, seen) = match checked.repo {
                RepoSeen::Found(r) => (Some(r), 1),
                RepoSeen::Absent { seen } => (None, seen),
                RepoSeen::NotListed => client.find_repo(wanted).await?,
            };
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
        (Some(hs), Some(r)) => match ensure_hook(&client, &r.full_name, hs, &reused_secret).await {
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
    let cert_file = trust::keep_trust(store, &client, &mut conn)?;
    // OAuth keeps its tokens and consumer secret as the one secret, so `check` can refresh.
    let secret = match &oauth {
        Some(grant) => grant.to_stored(),
        None => creds.secret.clone(),
    };
    let saved = store
        .save(conn, &secret, args.replace)
        .map_err(Problem::from)?;
    let hook_secret = hook_spec
        .as_ref()
        .and_then(|h| h.secret.as_ref())
        .or(reused_secret.as_ref());
    let hook_secret_location = match hook_secret {
        Some(hs) if hook.is_some() => Some(
            store
                .save_webhook_secret(&saved.name, hs)
                .map_err(Problem::from)?,
        ),
        _ => None,
    };
    if split_fallback(&saved.secret_location).1 {
        // Scripts read stdout; the one-line notice goes to stderr even with --json. The
        // keychain's own error (D-Bus details) is for the log, not for people.
        errln!(
            "bbconnect: note: no OS keychain is available here, so the secret is in a file only \
             you can read (RUST_LOG=debug logs why)."
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
        if let Some(path) = &cert_file {
            outln!("Trusted certificate: {}", path.display());
        }
        if let (Some((h, change)), Some(r)) = (&hook, &repo) {
            outln!("{}", hook_summary(h, *change, &r.full_name));
            if let Some(loc) = &hook_secret_location {
                outln!("Webhook secret: {loc}");
            }
        }
    }
    if let (Some((h, _)), Some(r)) = (&hook, &repo) {
        let row = client.delivery_row(&r.full_name, Some(&h.id), &h.url).await;
        if args.json {
            // Scripts read one JSON document on stdout; the delivery goes to stderr.
            errln!("{}", json!({"webhook_delivery": row}));
        } else {
            outln!("Webhook delivery test: {}", clean(&row.detail));
            if let (Some(fix), false) = (&row.fix, row.status == CheckStatus::Passed) {
                outln!("  fix: {}", clean(fix));
            }
        }
    }
    Ok(())
}

/// `ensure_webhook`, then, when a stored secret is being reused and the hook had to be
/// created or updated, once more with that secret so the hook signs with it.
async fn ensure_hook(
    client: &Client,
    repo: &str,
    spec: &WebhookSpec,
    reused: &Option<SecretString>,
) -> Result<(Webhook, WebhookChange), Problem> {
    let (hook, change) = client.ensure_webhook(repo, spec).await?;
    match reused {
        Some(secret) if change != WebhookChange::Kept => {
            let with_secret = WebhookSpec {
                secret: Some(secret.clone()),
                ..spec.clone()
            };
            let (hook, _) = client.ensure_webhook(repo, &with_secret).await?;
            Ok((hook, change))
        }
        _ => Ok((hook, change)),
    }
}

/// What was saved and where, for people (both faces print it).
pub fn print_saved(saved: &crate::bitbucket::model::SavedInfo) {
    outln!(
        "Saved connection `{}` in {}.",
        clean(&saved.name),
        saved.config_file
    );
    outln!("Secret: {}", split_fallback(&saved.secret_location).0);
    if let Some(url) = &saved.clone_https {
        outln!("Clone: git clone {}", clean(url));
    }
}

/// The secret's location without the keychain's failure appended by the store, and whether
/// there was one (the fallback is said once, in words, by the caller).
fn split_fallback(location: &str) -> (&str, bool) {
    match location.split_once(": no usable OS keychain") {
        Some((place, _)) => (place, true),
        None => (location, false),
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

/// `connect --auth oauth`: listen on the callback, print the authorize URL, open a browser
/// where this session has one (or, with --no-browser, read the address the browser ended on
/// from stdin: the sign-in then happens on any machine), wait, exchange.
async fn oauth_sign_in(
    args: &ConnectArgs,
    spec: &ConnectionSpec,
    options: &ClientOptions,
) -> Result<OAuthGrant, Failure> {
    if args.no_browser && args.token_stdin {
        return Err(usage(
            "--no-browser reads the address the browser ended on from standard input, so the consumer secret cannot come from it too.",
            "Set BBCONNECT_OAUTH_SECRET and leave out --token-stdin.",
        ));
    }
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
    let port = args.callback_port;
    let (paste_tx, pasted) = tokio::sync::mpsc::unbounded_channel();
    if args.no_browser {
        errln!(
            "On another machine, either forward the port first (ssh -L {port}:127.0.0.1:{port} HOST, HOST being this machine), or paste here the address the browser ends on (http://127.0.0.1:{port}/callback?code=...) and press Enter:"
        );
        // A plain thread: a tokio stdin read would keep the runtime from ending when the
        // listener wins first.
        std::thread::spawn(move || {
            let mut line = String::new();
            if std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
                let _ = paste_tx.send(line);
            }
        });
    } else {
        drop(paste_tx);
        let url = pending.url.clone();
        let outcome = tokio::task::spawn_blocking(move || crate::browser::open(&url))
            .await
            .unwrap_or_else(|_| {
                crate::browser::BrowserOutcome::Failed("the opener stopped unexpectedly".into())
            });
        errln!("{}", outcome.message());
        if !outcome.opened() {
            errln!(
                "Open it on any machine; from another one, forward the port first (ssh -L {port}:127.0.0.1:{port} HOST), or run again with --no-browser to paste the address the browser ends on."
            );
        }
    }
    errln!(
        "Waiting up to {} s for the browser to come back...",
        args.oauth_timeout
    );
    let grant = pending
        .finish_or_pasted(
            std::time::Duration::from_secs(args.oauth_timeout),
            pasted,
            Err,
        )
        .await?;
    errln!("Signed in; checking the connection.");
    Ok(grant)
}

/// The credentials a saved connection calls Bitbucket with. An expired OAuth access token is
/// refreshed here and the newest tokens saved at once: the old refresh token no longer works.
pub(crate) async fn fresh_credentials(
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
    if let Err(msg) = hook_rules::validate_url_allowing_http(url, args.allow_http_webhook) {
        let fix = if hook_rules::is_plain_http_remote(url) {
            "Use https://, or pass --allow-http-webhook for an internal CI server you trust."
        } else {
            "Correct --webhook-url and run again."
        };
        return Err(usage(format!("--webhook-url: {msg}"), fix));
    }
    if hook_rules::is_plain_http_remote(url) {
        errln!(
            "bbconnect: warning: {} is plain http: deliveries and their signature travel unencrypted.",
            clean(url.trim())
        );
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
    if let Err(msg) = hook_rules::validate_events_for(spec.provider, &events) {
        return Err(usage(
            format!("--webhook-events: {msg}"),
            match spec.provider {
                Provider::Cloud => "For example --webhook-events repo:push,pullrequest:created.",
                Provider::Server => "For example --webhook-events repo:refs_changed,pr:opened.",
            },
        ));
    }
    let secret = match &args.webhook_secret_env {
        // As the wizard does: a hook without a secret lets anyone trigger builds.
        None => Some(crate::worker::generate_webhook_secret().map_err(|e| Failure {
            message: format!("could not generate a webhook secret: the OS gave no random bytes ({e}).\n  fix: pass your own with --webhook-secret-env VAR."),
            code: 1,
        })?),
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
        "tls": c.tls,
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
    let rows: Vec<Vec<String>> = conns
        .iter()
        .map(|c| {
            vec![
                clean(&c.name),
                c.provider.cli_name().to_string(),
                c.auth.cli_name().to_string(),
                clean(&c.url),
                clean(c.user.as_deref().or(c.username.as_deref()).unwrap_or("-")),
                clean(c.repo.as_deref().unwrap_or("-")),
                c.secret_store.to_string(),
                match trust::list_suffix(c).trim() {
                    "" => "-".to_string(),
                    t => t.to_string(),
                },
            ]
        })
        .collect();
    let header = [
        "NAME",
        "PRODUCT",
        "AUTH",
        "URL",
        "USER",
        "REPOSITORY",
        "SECRET",
        "TRUST",
    ];
    outln!("{}", table(&header, &rows).trim_end_matches('\n'));
    Ok(())
}

/// Rows under a header, each column as wide as its widest cell (two spaces between).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}  "));
            }
        }
        text.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// The connection a command is about: the one named, or the only one saved.
pub fn the_one_name(store: &Store, name: Option<&str>, command: &str) -> Result<String, Failure> {
    if let Some(n) = name {
        return Ok(n.to_string());
    }
    let names: Vec<String> = store
        .list()
        .map_err(Problem::from)?
        .into_iter()
        .map(|c| c.name)
        .collect();
    match names.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(usage(
            "No saved connections.",
            "Add one with `bbconnect` or `bbconnect connect`.",
        )),
        several => Err(usage(
            format!(
                "Which connection? {} are saved: {}.",
                several.len(),
                several
                    .iter()
                    .map(|n| clean(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "Name one, e.g. `bbconnect {command} {}`.",
                clean(&several[0])
            ),
        )),
    }
}

pub(crate) fn credentials_of(
    store: &Store,
    name: &str,
) -> Result<(SavedConnection, Credentials), Failure> {
    if store.get(name).map_err(Problem::from)?.is_none() {
        return Err(usage(
            format!("No saved connection named `{}`.", clean(name)),
            "Run `bbconnect list` to see the saved ones.",
        ));
    }
    // One read of the file for both: the secret is the one saved beside this URL and user.
    let (conn, secret) = store.connection_with_secret(name).map_err(Problem::from)?;
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
    // Every name is looked up before any check runs: a typo is reported at once, not after
    // minutes of checking the others.
    let mut found = Vec::new();
    for name in &names {
        found.push(credentials_of(store, name)?);
    }
    let mut worst = 0;
    let mut out = Vec::new();
    let limits = limits_from_env()?;
    for (name, (conn, creds)) in names.iter().zip(found) {
        let options = ClientOptions {
            limits,
            sequential_check: sequential_check_from_env(),
            ..engine::options_for(&conn)
        };
        let creds = match fresh_credentials(store, conn.clone(), creds, &options).await {
            Ok(creds) => creds,
            Err(problem) => {
                let report = engine::report_from_problem(&problem);
                let code = report.exit_code();
                worst = worst.max(code);
                if as_json {
                    out.push(json!({"name": name, "ok": false, "exit_code": code, "checks": report_json(&report)}));
                } else {
                    print_report(&mut std::io::stdout(), &report, name);
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
            if let Some(url) = &conn.webhook_url {
                report
                    .items
                    .push(client.delivery_row(repo, Some(id), url).await);
            }
        }
        let code = report.exit_code();
        // Exit codes are not ordered by severity, but any failure must win over success and
        // the result must not depend on the order of names: take the highest.
        worst = worst.max(code);
        if as_json {
            out.push(json!({"name": name, "ok": report.passed(), "exit_code": code, "checks": report_json(&report)}));
        } else {
            print_report(&mut std::io::stdout(), &report, name);
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
    name: Option<&str>,
    filter: Option<&str>,
    as_json: bool,
    concurrency: usize,
    limits: ListLimits,
) -> Result<(), Failure> {
    let name = the_one_name(store, name, "repos")?;
    let (conn, creds) = credentials_of(store, &name)?;
    let options = ClientOptions {
        max_concurrency: concurrency,
        limits,
        ..engine::options_for(&conn)
    };
    let creds = fresh_credentials(store, conn, creds, &options).await?;
    let client = Client::new(creds, endpoints, options)?;
    // Each page becomes its output rows as it arrives and is dropped (see `listing`); the
    // sort (by name, or the screen's fuzzy filter best match first) needs every row, so
    // nothing prints before the listing is complete and a failed listing prints nothing.
    let mut rows = listing::rows(filter, as_json);
    client.for_each_page(|page| rows.add(&page.repos)).await?;
    if let Some(f) = filter
        && rows.is_empty()
    {
        // An empty stdout alone looks like a connection that sees nothing.
        errln!("bbconnect: no repository matches `{}`.", clean(f));
    }
    rows.print();
    Ok(())
}

/// `bbconnect remove`.
pub async fn remove(
    store: &Store,
    endpoints: &Endpoints,
    name: &str,
    delete_webhook: bool,
    as_json: bool,
) -> Result<(), Failure> {
    // With --json the one document on stdout says everything; the sentences are for people.
    let say = |line: String| {
        if !as_json {
            outln!("{line}");
        }
    };
    let mut webhook = serde_json::Value::Null;
    if delete_webhook {
        let (conn, creds) = credentials_of(store, name)?;
        match (&conn.webhook_id, &conn.repo) {
            (Some(id), Some(repo)) => {
                let client = Client::new(creds, endpoints, engine::options_for(&conn))?;
                // The connection is kept when the hook cannot be deleted: it is the only
                // record of which hook to delete on the next try.
                let deleted = client.delete_webhook(repo, id).await.map_err(|p| Failure {
                    message: format!(
                        "{}\n  fix: {}\nThe connection was kept, so you can try again.",
                        p.what, p.fix
                    ),
                    code: p.class.exit_code(),
                })?;
                webhook =
                    json!({"id": id, "repo": repo, "deleted": deleted, "already_gone": !deleted});
                if deleted {
                    say(format!("Deleted webhook {} on {}.", clean(id), clean(repo)));
                } else {
                    say(format!(
                        "Webhook {} on {} was already gone.",
                        clean(id),
                        clean(repo)
                    ));
                }
            }
            _ => say(format!(
                "Connection `{}` has no saved webhook: nothing to delete.",
                clean(name)
            )),
        }
    }
    store.remove(name).map_err(Problem::from)?;
    // A connection removed and made again later must not inherit the old pin's PEM.
    let _ = std::fs::remove_file(engine::cert_file(store, name));
    say(format!(
        "Removed connection `{}` and its secret.",
        clean(name)
    ));
    if as_json {
        outln!(
            "{}",
            json!({"ok": true, "name": name, "removed": true, "webhook": webhook})
        );
    }
    Ok(())
}

/// Whether standard input is a terminal (the wizard needs one).
pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}
