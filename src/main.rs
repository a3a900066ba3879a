//! Thin entry point: parse the command line, pick a face, map failures to exit codes.

use std::process::ExitCode;
use std::sync::Arc;

use tokio::sync::mpsc;

use bbconnect::bitbucket::http::ProcessNetwork;
use bbconnect::bitbucket::{ClientOptions, Endpoints};
use bbconnect::cli::{self, Cli, Command, Ctx, Failure, Io};
use bbconnect::core::sanitize::clean;
use bbconnect::logging;
use bbconnect::settings::Settings;
use bbconnect::sim::{self, SimConfig};
use bbconnect::store::{SecretStoreMode, Store};
use bbconnect::tui::app::{self, Outcome};
use bbconnect::tui::wizard::saved::{CheckSummary, SavedRow};
use bbconnect::tui::wizard::{Wizard, WizardConfig};
use bbconnect::tui::worker::{self, WorkerContext};
use bbconnect::{errln, outln};

fn main() -> ExitCode {
    // Before anything can panic and before ratatui::init, which chains to this hook after
    // restoring the terminal.
    bbconnect::crash::install();
    // Every variable of ours, read here once and handed down.
    let settings = Settings::from_env();
    bbconnect::bitbucket::http::install_process_network(ProcessNetwork {
        proxies: settings.proxies.clone(),
        ca_file: settings.ca_file.clone(),
    });
    let cli = cli::parse();
    let _log_guard = logging::init(settings.rust_log.as_deref());
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
    match runtime.block_on(run(cli, &settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !failure.message.is_empty() {
                errln!("bbconnect: {}", failure.message);
            }
            ExitCode::from(u8::try_from(failure.code).unwrap_or(1))
        }
    }
}

async fn run(cli: Cli, settings: &Settings) -> Result<(), Failure> {
    let endpoints = settings.endpoints.clone();
    let open_store = || open_store(settings);
    let ctx = &mut Ctx::new(Io::process(), settings.clone());
    let io = &mut Io::process();
    match cli.command {
        None => {
            let store = open_store()?;
            interactive(io, settings, store, endpoints, Vec::new(), None).await.map(|_| ())
        }
        Some(Command::Demo) => demo(io, settings).await,
        Some(Command::Sim(args)) => sim::run_cli(args.config()).await.map_err(|e| if e.kind() == std::io::ErrorKind::BrokenPipe {
            cli::output::fail(&e)
        } else { Failure {
            message: format!("the simulator could not start: {e}\n  fix: pick another port with --port, or --port 0 for any free one."),
            code: 1,
        }}),
        Some(Command::Connect(args)) => cli::connect(io, settings, args, &open_store()?, &endpoints).await,
        Some(Command::List(args)) => cli::list::run(ctx, args).map_err(Failure::from),
        Some(Command::Check { names, json }) => cli::check(io, settings, &open_store()?, &endpoints, names, json).await,
        Some(Command::Repos { name, filter, json, concurrency, max_repos, max_pages }) => {
            let limits = bbconnect::bitbucket::ListLimits { max_repos, max_pages };
            let opts = cli::repos::ReposOptions { name: name.as_deref(), filter: filter.as_deref(), json, concurrency: usize::from(concurrency), limits };
            cli::repos(io, &open_store()?, &endpoints, opts).await
        }
        Some(Command::GitCredential { op }) => cli::git_credential::git_credential(io, settings, &open_store()?, op).await,
        Some(Command::SetupGit { names, local, remove }) => cli::setup_git::setup_git(io, &open_store()?, &names, local, remove),
        Some(Command::Clone { args }) => cli::clone::clone(io, &open_store()?, &args),
        Some(Command::Token { name }) => cli::token::token(io, &open_store()?, name.as_deref()).await,
        Some(Command::Env { name, format, with_token }) => cli::env::env(io, &open_store()?, &endpoints, &name, format, with_token).await,
        Some(Command::WebhookSecret { name }) => cli::webhook_secret::webhook_secret(io, &open_store()?, &name),
        Some(Command::Remove { name, delete_webhook, json }) => {
            cli::remove(io, &open_store()?, &endpoints, &name, delete_webhook, json).await
        }
        Some(Command::Status(args)) => cli::status::run(io, &open_store()?, &endpoints, &args).await,
        Some(Command::Completions(args)) => cli::completions::completions(io, &args),
        Some(Command::Man) => cli::completions::man(io),
    }
}

fn open_store(settings: &Settings) -> Result<Store, Failure> {
    settings
        .open_store()
        .map_err(|e| Failure::from(bbconnect::core::model::Problem::from(e)))
}

/// The wizard against the built-in simulator, with connections kept in a temporary directory
/// that disappears afterwards: a demo never touches the user's real configuration.
async fn demo(io: &mut Io, settings: &Settings) -> Result<(), Failure> {
    let sim = sim::start(SimConfig { port: 0, ..SimConfig::default() }).await.map_err(|e| Failure {
        message: format!("the built-in simulator could not start on 127.0.0.1: {e}\n  fix: check that loopback networking works on this machine."),
        code: 1,
    })?;
    let dir = tempfile::Builder::new().prefix("bbconnect-demo-").tempdir().map_err(|e| Failure {
        message: format!("could not create a temporary directory for the demo: {e}\n  fix: set TMPDIR to a writable directory."),
        code: 1,
    })?;
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File)
        .map_err(|e| Failure::from(bbconnect::core::model::Problem::from(e)))?;
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
    let result = interactive(
        io,
        settings,
        store,
        endpoints,
        notes,
        Some(sim.server_url()),
    )
    .await;
    sim.shutdown().await;
    // Only a saved connection was kept there; a quit before saving already said so.
    // Removed before printing: a closed stdout ends the process without running destructors.
    let kept_in = dir.path().display().to_string();
    drop(dir);
    if let Ok(true) = result {
        outln!(
            io,
            "The demo connection was kept in a temporary directory, now removed: {kept_in}"
        );
    }
    result.map(|_| ())
}

async fn interactive(
    io: &mut Io,
    settings: &Settings,
    store: Store,
    endpoints: Endpoints,
    demo_notes: Vec<String>,
    server_url: Option<String>,
) -> Result<bool, Failure> {
    if !cli::stdin_is_tty() {
        return Err(Failure {
            message: "the wizard needs a terminal.\n  fix: run it in a terminal, or use `bbconnect connect` in scripts (see --help).".into(),
            code: 2,
        });
    }
    let saved_conns = store
        .list()
        .map_err(|e| Failure::from(bbconnect::core::model::Problem::from(e)))?;
    let existing_names = saved_conns.iter().map(|c| c.name.clone()).collect();
    let saved = saved_conns
        .into_iter()
        .map(|c| SavedRow {
            name: c.name,
            provider: c.provider,
            auth: c.auth,
            url: c.url,
            username: c.username,
            user: c.user,
            repo: c.repo,
            last_check: c.last_check.map(|l| CheckSummary {
                ok: l.ok,
                at: l.at,
                summary: l.summary,
            }),
            expires_on: c.expires_on,
        })
        .collect();
    let config = WizardConfig {
        cloud_web_url: endpoints.cloud_web.clone(),
        server_url,
        existing_names,
        saved,
        demo_notes,
        no_color: settings.no_color,
        // Read here so the wizard stays pure; the secret never leaves a SecretString.
        oauth_key: settings.oauth_key.clone(),
        oauth_secret: settings.oauth_secret.clone(),
        today: bbconnect::engine::today(),
    };
    let (reply_tx, reply_rx) = mpsc::unbounded_channel();
    let handle = worker::spawn(
        WorkerContext::new(
            endpoints,
            Arc::new(store),
            ClientOptions {
                max_concurrency: cli::concurrency_setting(settings)?,
                limits: cli::limits_setting(settings)?,
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
            cli::print_saved(io, &saved);
            outln!(
                io,
                "Use it: bbconnect check {0} | bbconnect repos {0} | bbconnect list",
                clean(&saved.name)
            );
            Ok(true)
        }
        Outcome::Quit { interrupted } => {
            errln!(io, "bbconnect: nothing was saved.");
            if interrupted {
                // The shell's convention for a command ended by Ctrl-C (128 + SIGINT).
                return Err(Failure {
                    message: String::new(),
                    code: 130,
                });
            }
            Ok(false)
        }
    }
}
