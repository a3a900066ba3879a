//! Thin entry point: parse the command line, hand it to `cli::dispatch` with the wizard's
//! entry point, turn a failure into its message and exit code.

use std::process::ExitCode;

use bbconnect::bitbucket::http::ProcessNetwork;
use bbconnect::cli;
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
    match cli::dispatch::run(cli, settings, tui::launch::start) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => cli::output::exit(problem),
    }
}
