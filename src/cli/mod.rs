//! The command line: clap definitions and the headless commands (scripts and CI).
//!
//! Secrets never come from arguments (they would show in `ps` and shell history): only from
//! standard input (`--token-stdin`) or `BBCONNECT_TOKEN`.

mod trust;

pub mod ctx;

use std::io::{IsTerminal, Write};

pub mod listing;
pub mod output;

pub mod check;
pub mod clone;
pub mod completions;
pub mod connect;
pub mod demo;
pub mod dispatch;
pub mod env;
pub mod git_credential;
pub mod list;
pub mod man;
pub mod remove;
pub mod repos;
pub mod rotate;
pub mod setup_git;
pub mod sim;
pub mod ssh_key;
pub mod status;
pub mod token;
pub mod webhook_secret;
pub mod wizard;

use clap::{Parser, Subcommand};

use crate::bitbucket::{
    DEFAULT_MAX_PAGES, DEFAULT_MAX_REPOS, ListLimits, MAX_PAGES_ENV, MAX_REPOS_ENV,
};
use crate::core::model::{CheckReport, CheckStatus, Credentials, Problem};
use crate::core::sanitize::clean;
use crate::outln;
use crate::settings::Settings;
use crate::store::{SavedConnection, Store};

pub use ctx::Ctx;
pub use output::Io;

/// The exit codes of `check` and `status`, in their help and the man page: scripts and cron
/// jobs act on them.
pub const CHECK_EXIT_CODES: &str = "\
Exit codes (the worst result among the connections looked at):
  0  every check passed; warnings keep 0 (an expiry within BBCONNECT_EXPIRY_WARN_DAYS, default 14,
     or a webhook a read-only credential cannot verify)
  2  usage or invalid input (an unknown name, a bad BBCONNECT_EXPIRY_WARN_DAYS)
  3  a credential rejected, revoked or expired (app passwords: turned off on 2026-07-28)
  4  a permission or the server version missing; the saved repository renamed or deleted
  5  a server unreachable (DNS, TCP, TLS, a changed pinned certificate, timeout)
  1  anything else (the webhook deleted, switched off or pointing at another URL)";

/// Keeping a connection working, for `bbconnect --help` and the man page.
const OVER_MONTHS: &str = "\
A connection over months:
  bbconnect status               every saved connection checked; exits with the worst code (cron)
  bbconnect rotate NAME --token-stdin [--expires YYYY-MM-DD]
                                 a new secret (same host, same identity), everything else kept
  bbconnect connect ... --expires YYYY-MM-DD
                                 the day the token stops working; `check` warns 14 days ahead
                                 (BBCONNECT_EXPIRY_WARN_DAYS) and fails from that day

Exit codes: 0 success (warnings too), 2 usage or invalid input, 3 credential rejected, revoked or
expired, 4 a required permission or server version missing (or the saved repository gone),
5 server unreachable, 1 anything else. `check` and `status` exit with the worst code among the
connections they looked at.";

#[derive(Debug, Parser)]
#[command(
    name = "bbconnect",
    version,
    about = "Connect a Bitbucket Cloud or Server / Data Center account, verified end to end.",
    long_about = "Without a command, bbconnect starts the interactive wizard.\n\
                  Exit codes: 0 success, 2 usage or invalid input, 3 credentials rejected,\n\
                  4 a required permission or server version missing, 5 server unreachable, 1 anything else.",
    after_long_help = OVER_MONTHS
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Whether this run is better served by a runtime without worker threads. git runs
    /// `git-credential` before every fetch and push, and starting and stopping worker threads
    /// costs more than its answer (docs/performance.md); the other commands talk to servers
    /// concurrently or host the wizard and the simulator, which want them.
    pub fn runs_on_one_thread(&self) -> bool {
        matches!(self.command, Some(Command::GitCredential(_)))
    }
}

// Parsed once per run: the size of the `connect` flags does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check credentials and save a connection without the wizard.
    Connect(connect::ConnectArgs),
    /// List saved connections (never the secret).
    List(list::ListArgs),
    /// Re-run every check on saved connections (all of them when no NAME is given).
    Check(check::CheckArgs),
    /// List the repositories a saved connection can see.
    Repos(repos::ReposArgs),
    /// Put a new secret on a saved connection, keeping its repository, webhook and trust: the
    /// new credential must be the same user (or repository) on the same host. The secret comes
    /// from BBCONNECT_TOKEN or --token-stdin.
    Rotate(rotate::RotateArgs),
    /// Remove a saved connection and its secret.
    Remove(remove::RemoveArgs),
    /// One line per saved connection, checked as `check` does (without the delivery test);
    /// exits with the worst check's code, so cron can alert on it.
    Status(status::StatusArgs),
    /// Print a shell completion script: bash, zsh, fish or powershell.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff): `bbconnect man > bbconnect.1`.
    Man(man::ManArgs),
    /// The wizard against the built-in simulator: no account, no network.
    Demo(demo::DemoArgs),
    /// Run the built-in simulator alone, for trying and testing.
    Sim(sim::SimArgs),
    /// Git credential helper: answers git with a saved connection's credential.
    #[command(name = "git-credential")]
    GitCredential(git_credential::GitCredentialArgs),
    /// Make git use saved connections for their hosts (credential.<url>.helper).
    #[command(name = "setup-git")]
    SetupGit(setup_git::SetupGitArgs),
    /// git clone a connection's repository over https, the helper given for that one command.
    Clone(clone::CloneArgs),
    /// Reveal the webhook secret stored for a connection (for the CI's configuration).
    #[command(name = "webhook-secret")]
    WebhookSecret(webhook_secret::WebhookSecretArgs),
    /// Print a connection's token on stdout (OAuth: a fresh access token), for scripts.
    Token(token::TokenArgs),
    /// Print the public key of a connection's SSH route (--private: its private key, for a
    /// CI secret store).
    #[command(name = "ssh-key")]
    SshKey(ssh_key::SshKeyArgs),
    /// What a CI script needs: URLs, auth scheme, git username, clone URLs.
    Env(env::EnvArgs),
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

/// Requests a listing keeps in flight: the default, and a ceiling that stays polite
/// to a shared server.
pub const CONCURRENCY_ENV: &str = crate::settings::CONCURRENCY;
pub const DEFAULT_CONCURRENCY: u16 = 8;
pub const MAX_CONCURRENCY: i64 = 32;

/// `BBCONNECT_CONCURRENCY` for the wizard (the `repos` command reads it through clap).
pub fn concurrency_setting(settings: &Settings) -> Result<usize, Problem> {
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
pub fn limits_setting(settings: &Settings) -> Result<ListLimits, Problem> {
    let read = |key: &str, raw: Option<&str>, default: usize| -> Result<usize, Problem> {
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

fn usage(what: impl Into<String>, fix: impl Into<String>) -> Problem {
    Problem::input(what, fix)
}

/// `--expires` of `connect` and `rotate`, read by one rule (`core::expiry::parse_expires`: a
/// real day after `today`) so the two commands accept the same days. Absent or empty: unknown.
fn expires_arg(
    text: Option<&str>,
    today: jiff::civil::Date,
) -> Result<Option<jiff::civil::Date>, Problem> {
    crate::core::expiry::parse_expires(text.unwrap_or(""), today).map_err(|what| {
        usage(
            format!("--expires: {what}."),
            "Pass the day Bitbucket showed when the token was made, e.g. --expires 2027-01-10, or leave it out.",
        )
    })
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
    outln!(io, "Secret: {}", clean(&saved.secret_location));
    if let Some(url) = &saved.clone_https {
        outln!(io, "Clone: git clone {}", clean(url));
    }
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
pub fn the_one_name(store: &Store, name: Option<&str>, command: &str) -> Result<String, Problem> {
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
) -> Result<(SavedConnection, Credentials), Problem> {
    if store.get(name).map_err(Problem::from)?.is_none() {
        return Err(usage(
            format!("No saved connection named `{}`.", clean(name)),
            "Run `bbconnect list` to see the saved ones.",
        ));
    }
    // One read of the file for both: the secret is the one saved beside this URL and user.
    let (conn, secret) = store.connection_with_secret(name).map_err(Problem::from)?;
    let spec = conn.spec();
    Ok((conn, Credentials { spec, secret }))
}

/// Whether standard input is a terminal (the wizard needs one).
pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

#[cfg(test)]
mod tests;
