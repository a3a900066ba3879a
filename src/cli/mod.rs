//! The command line: clap definitions and the headless commands (scripts and CI).
//!
//! Secrets never come from arguments (they would show in `ps` and shell history): only from
//! standard input (`--token-stdin`) or `BBCONNECT_TOKEN`.

mod trust;

pub mod ctx;

use std::io::{IsTerminal, Write};

pub mod listing;
pub mod output;

pub mod completions;
pub mod status;

pub mod check;
pub mod clone;
pub mod connect;
pub mod env;
pub mod git_credential;
pub mod list;
pub mod remove;
pub mod repos;
pub mod setup_git;
pub mod token;
pub mod webhook_secret;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::bitbucket::{
    ClientOptions, DEFAULT_MAX_PAGES, DEFAULT_MAX_REPOS, ListLimits, MAX_PAGES_ENV, MAX_REPOS_ENV,
};
use crate::core::model::{
    AuthKind, CheckReport, CheckStatus, ConnectionSpec, Credentials, FailureClass, Problem,
    Provider,
};
use crate::core::sanitize::clean;
use crate::engine::oauth as oauth_flow;
use crate::outln;
use crate::settings::Settings;
use crate::sim::{Scenario, SimConfig};
use crate::store::{SavedConnection, Store};

pub use check::check;
pub use connect::{connect, spec_from_args};
pub use ctx::Ctx;
pub use output::Io;
pub use remove::remove;
pub use repos::repos;

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
    List(list::ListArgs),
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

/// `--auth`: the credential types by the names the connections file and `list` use, so clap
/// lists them on a wrong value and completions offer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    #[value(name = "oauth")]
    OAuth,
    ApiToken,
    RepoToken,
    AppPassword,
    HttpTokenUser,
    HttpTokenRepo,
}

impl From<AuthArg> for AuthKind {
    fn from(a: AuthArg) -> Self {
        match a {
            AuthArg::OAuth => AuthKind::OAuth,
            AuthArg::ApiToken => AuthKind::ApiToken,
            AuthArg::RepoToken => AuthKind::RepoToken,
            AuthArg::AppPassword => AuthKind::AppPassword,
            AuthArg::HttpTokenUser => AuthKind::HttpTokenUser,
            AuthArg::HttpTokenRepo => AuthKind::HttpTokenRepo,
        }
    }
}

// The other direction too, so a credential type added to core without a flag value is a
// compile error here rather than a type `connect` cannot be told.
impl From<AuthKind> for AuthArg {
    fn from(a: AuthKind) -> Self {
        match a {
            AuthKind::OAuth => AuthArg::OAuth,
            AuthKind::ApiToken => AuthArg::ApiToken,
            AuthKind::RepoToken => AuthArg::RepoToken,
            AuthKind::AppPassword => AuthArg::AppPassword,
            AuthKind::HttpTokenUser => AuthArg::HttpTokenUser,
            AuthKind::HttpTokenRepo => AuthArg::HttpTokenRepo,
        }
    }
}

#[cfg(test)]
mod auth_arg_tests {
    use super::*;

    #[test]
    fn every_credential_type_is_an_auth_value_by_its_file_name() {
        for kind in AuthKind::ALL {
            let arg = AuthArg::from_str(kind.cli_name(), false)
                .unwrap_or_else(|e| panic!("--auth {}: {e}", kind.cli_name()));
            assert_eq!(AuthKind::from(arg), kind);
            assert_eq!(AuthArg::from(kind), arg);
        }
        assert_eq!(AuthArg::value_variants().len(), AuthKind::ALL.len());
    }

    #[test]
    fn a_wrong_auth_value_is_a_usage_error_listing_the_types() {
        let err = Cli::try_parse_from([
            "bbconnect",
            "connect",
            "--provider",
            "cloud",
            "--auth",
            "password",
            "--name",
            "x",
        ])
        .expect_err("not a credential type");
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        for kind in AuthKind::ALL {
            assert!(text.contains(kind.cli_name()), "{text}");
        }
    }
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
    #[arg(long, value_enum)]
    pub auth: AuthArg,
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
    /// The day the credential stops working, as Bitbucket showed it when the token was made
    /// (YYYY-MM-DD, after today). `check` warns 14 days ahead (BBCONNECT_EXPIRY_WARN_DAYS) and
    /// fails from that day. Left out: read from Data Center's token list where the token may
    /// read it, else unknown.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<String>,
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
pub const CONCURRENCY_ENV: &str = crate::settings::CONCURRENCY;
pub const DEFAULT_CONCURRENCY: u16 = 8;
pub const MAX_CONCURRENCY: i64 = 32;

/// `BBCONNECT_CONCURRENCY` for the wizard (the `repos` command reads it through clap).
pub fn concurrency_setting(settings: &Settings) -> Result<usize, Failure> {
    let Some(raw) = settings.concurrency.as_deref() else {
        return Ok(usize::from(DEFAULT_CONCURRENCY));
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n as usize),
        _ => Err(usage(
            format!(
                "{CONCURRENCY_ENV} is {:?}, not a number of requests.",
                clean(raw)
            ),
            format!(
                "set it to a number from 1 to {MAX_CONCURRENCY}, or unset it for {DEFAULT_CONCURRENCY}."
            ),
        )),
    }
}

/// `BBCONNECT_MAX_REPOS` and `BBCONNECT_MAX_PAGES` for `connect`, `check` and the wizard (the
/// `repos` command reads them through clap, with its flags).
pub fn limits_setting(settings: &Settings) -> Result<ListLimits, Failure> {
    let read = |key: &str, raw: Option<&str>, default: usize| -> Result<usize, Failure> {
        let Some(raw) = raw else {
            return Ok(default);
        };
        match raw.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => Err(usage(
                format!("{key} is {:?}, not a positive whole number.", clean(raw)),
                format!("set it to a number such as {default}, or unset it for {default}."),
            )),
        }
    };
    Ok(ListLimits {
        max_repos: read(
            MAX_REPOS_ENV,
            settings.max_repos.as_deref(),
            DEFAULT_MAX_REPOS,
        )?,
        max_pages: read(
            MAX_PAGES_ENV,
            settings.max_pages.as_deref(),
            DEFAULT_MAX_PAGES,
        )?,
    })
}

fn usage(what: impl Into<String>, fix: impl Into<String>) -> Failure {
    Problem::new(FailureClass::Input, what, fix).into()
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

/// What was saved and where, for people (both faces print it).
pub fn print_saved(io: &mut Io, saved: &crate::core::model::SavedInfo) {
    outln!(
        io,
        "Saved connection `{}` in {}.",
        clean(&saved.name),
        saved.config_file
    );
    outln!(io, "Secret: {}", split_fallback(&saved.secret_location).0);
    if let Some(url) = &saved.clone_https {
        outln!(io, "Clone: git clone {}", clean(url));
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

/// Whether standard input is a terminal (the wizard needs one).
pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

#[cfg(test)]
mod tests;
