//! Logs go to a file in the state directory, never to the screen (the TUI owns it), and only
//! when RUST_LOG asks for them.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;

/// Where the log file lives: the platform state dir (Linux), else the cache dir.
pub fn log_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "bbconnect")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.cache_dir())
            .to_path_buf(),
    )
}

/// Starts file logging when RUST_LOG is set. Keep the guard alive until exit so the last lines
/// are flushed.
pub fn init() -> Option<WorkerGuard> {
    let filter = std::env::var("RUST_LOG").ok().filter(|v| !v.is_empty())?;
    let dir = log_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "bbconnect.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(writer)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some(guard)
}
