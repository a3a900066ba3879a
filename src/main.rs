//! Thin entry point: parse the command line, pick a face, map failures to exit codes.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use secrecy::SecretString;
use tokio::sync::mpsc;

use bbconnect::app::{self, Outcome};
use bbconnect::bitbucket::{ClientOptions, Endpoints};
use bbconnect::cli::{self, Cli, Command, Failure};
use bbconnect::logging;
use bbconnect::sanitize::clean;
use bbconnect::sim::{self, SimConfig};
use bbconnect::store::{SecretStoreMode, Store};
use bbconnect::wizard::{Wizard, WizardConfig};
use bbconnect::worker::{self, WorkerContext};
use bbconnect::{errln, outln};

fn main() -> ExitCode {
    // Before anything can panic and before ratatui::init, which chains to this hook after
    // restoring the terminal.
    bbconnect::crash::install();
    let cli = Cli::parse();
    let _log_guard = logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("bbconnect: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !failure.message.is_empty() {
                errln!("bbconnect: {}", failure.message);
            }
            ExitCode::from(u8::try_from(failure.code).unwrap_or(1))
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let endpoints = Endpoints::from_env();
    match cli.command {
        None => {
            let store = open_store()?;
            interactive(store, endpoints, Vec::new(), None).await
        }
        Some(Command::Demo) => demo().await,
        Some(Command::Sim(args)) => sim::run_cli(args.config()).await.map_err(|e| if e.kind() == std::io::ErrorKind::BrokenPipe {
            cli::output::fail(&e)
        } else { Failure {
            message: format!("the simulator could not start: {e}\n  fix: pick another port with --port, or --port 0 for any free one."),
            code: 1,
        }}),
        Some(Command::Connect(args)) => cli::connect(args, &open_store()?, &endpoints).await,
        Some(Command::List { json }) => cli::list(&open_store()?, json),
        Some(Command::Check { names, json }) => cli::check(&open_store()?, &endpoints, names, json).await,
        Some(Command::Repos { name, filter, json, concurrency, max_repos, max_pages }) => {
            let limits = bbconnect::bitbucket::ListLimits { max_repos, max_pages };
            cli::repos(&open_store()?, &endpoints, &name, filter.as_deref(), json, usize::from(concurrency), limits).await
        }
        Some(Command::Remove { name, delete_webhook }) => cli::remove(&open_store()?, &endpoints, &name, delete_webhook).await,
    }
}

fn open_store() -> Result<Store, Failure> {
    Store::from_env().map_err(|e| Failure::from(bbconnect::bitbucket::model::Problem::from(e)))
}

/// The wizard against the built-in simulator, with connections kept in a temporary directory
/// that disappears afterwards: a demo never touches the user's real configuration.
async fn demo() -> Result<(), Failure> {
    let sim = sim::start(SimConfig { port: 0, ..SimConfig::default() }).await.map_err(|e| Failure {
        message: format!("the built-in simulator could not start on 127.0.0.1: {e}\n  fix: check that loopback networking works on this machine."),
        code: 1,
    })?;
    let dir = tempfile::Builder::new().prefix("bbconnect-demo-").tempdir().map_err(|e| Failure {
        message: format!("could not create a temporary directory for the demo: {e}\n  fix: set TMPDIR to a writable directory."),
        code: 1,
    })?;
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File)
        .map_err(|e| Failure::from(bbconnect::bitbucket::model::Problem::from(e)))?;
    let endpoints = Endpoints {
        cloud_api: sim.cloud_api_url(),
        cloud_web: sim.cloud_web_url(),
    };
    // One short line per credential, so the box stays readable at 80x24: the auth type's
    // command-line name tells which choice on the Auth screen it belongs to.
    let mut notes = vec![format!("Simulator: {}", sim.base_url())];
    for c in sim::demo_credentials() {
        let who = if c.username.is_empty() {
            String::new()
        } else {
            format!("{} / ", c.username)
        };
        let mut line = format!("{}: {who}{}", c.auth, c.secret);
        if let Some(repo) = &c.repo {
            line.push_str(&format!(" ({repo})"));
        }
        notes.push(line);
    }
    let result = interactive(store, endpoints, notes, Some(sim.server_url())).await;
    sim.shutdown().await;
    // Removed before printing: a closed stdout ends the process without running destructors.
    let kept_in = dir.path().display().to_string();
    drop(dir);
    if result.is_ok() {
        outln!("The demo connection was kept in a temporary directory, now removed: {kept_in}");
    }
    result
}

async fn interactive(
    store: Store,
    endpoints: Endpoints,
    demo_notes: Vec<String>,
    server_url: Option<String>,
) -> Result<(), Failure> {
    if !cli::stdin_is_tty() {
        return Err(Failure {
            message: "the wizard needs a terminal.\n  fix: run it in a terminal, or use `bbconnect connect` in scripts (see --help).".into(),
            code: 2,
        });
    }
    let existing_names = store
        .list()
        .map_err(|e| Failure::from(bbconnect::bitbucket::model::Problem::from(e)))?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let config = WizardConfig {
        cloud_web_url: endpoints.cloud_web.clone(),
        server_url,
        existing_names,
        demo_notes,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        // Read here so the wizard stays pure; the secret never leaves a SecretString.
        oauth_key: cli::env_value("BBCONNECT_OAUTH_KEY"),
        oauth_secret: cli::env_value("BBCONNECT_OAUTH_SECRET").map(SecretString::from),
    };
    let (reply_tx, reply_rx) = mpsc::unbounded_channel();
    let handle = worker::spawn(
        WorkerContext::new(
            endpoints,
            Arc::new(store),
            ClientOptions {
                max_concurrency: cli::concurrency_from_env()?,
                limits: cli::limits_from_env()?,
                ..ClientOptions::default()
            },
        ),
        reply_tx,
    );
    let outcome = app::run(Wizard::new(config), handle, reply_rx).await.map_err(|e| Failure {
        message: format!("the terminal failed: {e}\n  fix: run in a real terminal (TERM set, at least 80x24)."),
        code: 1,
    })?;
    match outcome {
        Outcome::Saved(saved) => {
            cli::print_saved(&saved);
            outln!(
                "Use it: bbconnect check {0} | bbconnect repos {0} | bbconnect list",
                clean(&saved.name)
            );
        }
        Outcome::Quit => {}
    }
    Ok(())
}
