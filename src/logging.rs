//! Logs go to a file in the state directory, never to the screen (the TUI owns it), and only
//! when RUST_LOG asks for them.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;

/// Where the log file lives: the platform state dir (Linux), else the cache dir.
pub fn log_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "bbconnect")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.cache_dir())
            .to_path_buf(),
    )
}

const LOG_FILE: &str = "bbconnect.log";

/// Opens the log for appending, owner-only (0600 in a 0700 folder when we create them): logs
/// name hosts, users and connections, which are nobody else's business. An existing log of
/// ours found more open is tightened: it holds no secret, so there is nothing to revoke.
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut dir = std::fs::DirBuilder::new();
    dir.recursive(true);
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        dir.mode(0o700);
        options.mode(0o600);
    }
    if let Some(parent) = path.parent() {
        dir.create(parent)?;
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

/// Starts file logging when RUST_LOG is set (`filter`, from `Settings`). Keep the guard alive
/// until exit so the last lines are flushed.
pub fn init(filter: Option<&str>) -> Option<WorkerGuard> {
    let filter = filter.filter(|v| !v.is_empty())?;
    let dir = log_dir()?;
    let file = open_private(&dir.join(LOG_FILE)).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    // `target=level` directives (`debug`, `bbconnect=trace,hyper=debug`); a value that is not
    // one logs bbconnect at debug rather than nothing.
    let targets = filter
        .parse::<Targets>()
        .unwrap_or_else(|_| Targets::new().with_target("bbconnect", LevelFilter::DEBUG));
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_writer(writer)
        .with_ansi(false)
        .finish()
        .with(targets);
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some(guard)
}
