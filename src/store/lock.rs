//! One writer at a time: every read-modify-write of the store holds an exclusive lock on
//! `<dir>/.lock`. The OS drops the lock when its holder dies, so a crashed run never leaves a
//! stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::StoreError;
use super::fsutil::io_err;

/// How often a waiting run looks at the lock again.
const POLL: Duration = Duration::from_millis(25);

/// Held while it lives; dropping it closes the file, which releases the lock.
#[derive(Debug)]
pub(crate) struct LockGuard {
    _file: File,
}

/// Takes the lock, waiting up to `wait` for another holder to finish.
pub(crate) fn acquire(path: &Path, wait: Duration) -> Result<LockGuard, StoreError> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(path)
        .map_err(|e| io_err("open the lock file", path, e))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(LockGuard { _file: file }),
            Err(TryLockError::WouldBlock) => {
                if start.elapsed() >= wait {
                    return Err(StoreError::Locked {
                        path: PathBuf::from(path),
                        waited: wait,
                    });
                }
                std::thread::sleep(POLL);
            }
            Err(TryLockError::Error(e)) => return Err(io_err("lock", path, e)),
        }
    }
}
