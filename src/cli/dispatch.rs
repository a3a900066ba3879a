//! From a parsed command line to its command: the runtime it runs on and one line per command.
//! This lives in the library, not in `main`: a binary crate compiles again every async body it
//! polls, so a `block_on` in `main` doubled the release build's largest step (see
//! docs/performance.md).

use super::wizard::Launch;
use super::{Cli, Ctx, Io};
use crate::core::model::Problem;
use crate::settings::Settings;

/// Runs `cli` to the end; `launch` is the wizard's entry point, handed in by `main` since the
/// command line never imports the other face.
pub fn run(cli: Cli, settings: Settings, launch: Launch) -> Result<(), Problem> {
    let mut builder = if cli.runs_on_one_thread() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = builder.enable_all().build().map_err(|e| {
        Problem::other(
            format!("could not start the async runtime: {e}"),
            "check the process's limits on threads and open files (ulimit -a).",
        )
    })?;
    let ctx = &mut Ctx::new(Io::process(), settings);
    runtime.block_on(command(ctx, cli, launch))
}

/// One line per command.
async fn command(ctx: &mut Ctx, cli: Cli, launch: Launch) -> Result<(), Problem> {
    use super::*;
    match cli.command {
        None => wizard::run(ctx, launch).await,
        Some(Command::Demo(args)) => demo::run(ctx, args, launch).await,
        Some(Command::Sim(args)) => sim::run(ctx, args).await,
        Some(Command::Connect(args)) => connect::run(ctx, args).await,
        Some(Command::List(args)) => list::run(ctx, args),
        Some(Command::Rotate(args)) => rotate::run(ctx, args).await,
        Some(Command::Check(args)) => check::run(ctx, args).await,
        Some(Command::Repos(args)) => repos::run(ctx, args).await,
        Some(Command::GitCredential(args)) => git_credential::run(ctx, args).await,
        Some(Command::SetupGit(args)) => setup_git::run(ctx, args),
        Some(Command::Clone(args)) => clone::run(ctx, args),
        Some(Command::Token(args)) => token::run(ctx, args).await,
        Some(Command::SshKey(args)) => ssh_key::run(ctx, args),
        Some(Command::Env(args)) => env::run(ctx, args).await,
        Some(Command::WebhookSecret(args)) => webhook_secret::run(ctx, args),
        Some(Command::Remove(args)) => remove::run(ctx, args).await,
        Some(Command::Status(args)) => status::run(ctx, args).await,
        Some(Command::Completions(args)) => completions::run(ctx, args),
        Some(Command::Man(args)) => man::run(ctx, args),
    }
}
