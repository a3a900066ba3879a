//! Thin entry point: parse the command line, pick a face, turn a failure into its message and
//! exit code.

use std::process::ExitCode;

use bbconnect::bitbucket::http::ProcessNetwork;
use bbconnect::cli::{self, Cli, Command, Ctx, Io};
use bbconnect::core::model::Problem;
use bbconnect::errln;
use bbconnect::logging;
use bbconnect::settings::Settings;
use bbconnect::tui;

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
    let mut builder = if cli.runs_on_one_thread() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return exit(Problem::other(
                format!("could not start the async runtime: {e}"),
                "check the process's limits on threads and open files (ulimit -a).",
            ));
        }
    };
    let ctx = &mut Ctx::new(Io::process(), settings);
    match runtime.block_on(run(ctx, cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => exit(problem),
    }
}

/// One line per command; the wizard's entry point is handed to the commands that start it.
async fn run(ctx: &mut Ctx, cli: Cli) -> Result<(), Problem> {
    match cli.command {
        None => cli::wizard::run(ctx, tui::launch::run).await,
        Some(Command::Demo(args)) => cli::demo::run(ctx, args, tui::launch::run).await,
        Some(Command::Sim(args)) => cli::sim::run(ctx, args).await,
        Some(Command::Connect(args)) => cli::connect::run(ctx, args).await,
        Some(Command::List(args)) => cli::list::run(ctx, args),
        Some(Command::Rotate(args)) => cli::rotate::run(ctx, args).await,
        Some(Command::Check(args)) => cli::check::run(ctx, args).await,
        Some(Command::Repos(args)) => cli::repos::run(ctx, args).await,
        Some(Command::GitCredential(args)) => cli::git_credential::run(ctx, args).await,
        Some(Command::SetupGit(args)) => cli::setup_git::run(ctx, args),
        Some(Command::Clone(args)) => cli::clone::run(ctx, args),
        Some(Command::Token(args)) => cli::token::run(ctx, args).await,
        Some(Command::SshKey(args)) => cli::ssh_key::run(ctx, args),
        Some(Command::Env(args)) => cli::env::run(ctx, args).await,
        Some(Command::WebhookSecret(args)) => cli::webhook_secret::run(ctx, args),
        Some(Command::Remove(args)) => cli::remove::run(ctx, args).await,
        Some(Command::Status(args)) => cli::status::run(ctx, args).await,
        Some(Command::Completions(args)) => cli::completions::run(ctx, args),
        Some(Command::Man(args)) => cli::man::run(ctx, args),
    }
}

/// The one place a failure becomes what the user reads and the exit status.
fn exit(problem: Problem) -> ExitCode {
    if let Some(message) = problem.message() {
        errln!("{message}");
    }
    ExitCode::from(u8::try_from(problem.class.exit_code()).unwrap_or(1))
}
