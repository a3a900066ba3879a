//! Crash-safe file writes: a reader (or a later run after a crash) sees the old file or the new
//! one, never a mix, and a secret file is never readable by others, not even for an instant.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::StoreError;
use super::perms::{self, Kind};

/// Temp files start with this; connection names cannot (they start with a letter or digit), so a
/// leftover temp file is never mistaken for a secret and can be swept away under the lock.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

pub(crate) fn io_err(action: &'static str, path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `dir` (and its parents) as owner-only when missing; an existing one is checked, never
/// repaired: a secrets folder others can enter is refused, a config folder others can write too
/// (`perms.rs` says why).
pub(crate) fn ensure_dir(dir: &Path, kind: Kind) -> Result<(), StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| io_err("create the directory", dir, e))?;
    let meta = fs::metadata(dir).map_err(|e| io_err("read the mode of", dir, e))?;
    perms::check(dir, &meta, kind)
}

/// [`ensure_dir`] for a folder that holds secrets.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), StoreError> {
    ensure_dir(dir, Kind::SecretsFolder)
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory (created owner-only,
/// so there is no window where it is world-readable), written, fsynced, renamed over `path`,
/// and the directory fsynced so the rename itself survives a power cut. On any error the temp
/// file is removed and `path` is untouched.
pub(crate) fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut pending = PendingWrite::begin(path)?;
    pending.write_all(bytes)?;
    pending.commit()
}

/// [`atomic_write`], but when `path` is a symlink (a dotfiles manager's link to a repository,
/// say) the file it points to is replaced, and the link is kept.
pub(crate) fn atomic_write_through_symlink(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return atomic_write(path, bytes);
    }
    let target = fs::canonicalize(path).map_err(|e| io_err("follow the symlink", path, e))?;
    atomic_write(&target, bytes)
}

/// A write in progress: until `commit`, `path` still holds its old content, whatever happens
/// to this process. Dropped without commit, the temp file is deleted; if the process dies
/// instead, the leftover is swept by [`sweep_temp_files`].
pub(crate) struct PendingWrite {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
    dir: PathBuf,
}

impl PendingWrite {
    pub(crate) fn begin(path: &Path) -> Result<PendingWrite, StoreError> {
        let dir = parent_of(path);
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o600));
        }
        let tmp = builder
            .tempfile_in(&dir)
            .map_err(|e| io_err("create a temporary file in", &dir, e))?;
        Ok(PendingWrite {
            tmp,
            path: path.to_path_buf(),
            dir,
        })
    }

    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.tmp
            .write_all(bytes)
            .map_err(|e| io_err("write a temporary file in", &self.dir, e))
    }

    pub(crate) fn commit(self) -> Result<(), StoreError> {
        let PendingWrite { tmp, path, dir } = self;
        tmp.as_file()
            .sync_all()
            .map_err(|e| io_err("flush a temporary file in", &dir, e))?;
        tmp.persist(&path)
            .map_err(|e| io_err("replace", &path, e.error))?;
        sync_dir(&dir)
    }
}

/// Removes `path` if present and makes the removal durable.
pub(crate) fn remove_file_durably(path: &Path) -> Result<bool, StoreError> {
    match fs::remove_file(path) {
        Ok(()) => {
            sync_dir(&parent_of(path))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err("remove", path, e)),
    }
}

/// Deletes temp files a killed writer left behind. Only call it while holding the store lock:
/// then no live writer owns any of them.
pub(crate) fn sweep_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_temp = name.to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX));
        if is_temp && entry.file_type().is_ok_and(|t| t.is_file()) {
            // Best effort: a leftover we cannot delete harms nobody, it is never read.
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err("flush the directory", dir, e))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), StoreError> {
    // Windows cannot open a directory as a file; its renames are journaled by NTFS.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_keeps_its_old_content_until_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("connections.toml");
        fs::write(&target, "old").expect("write");

        let mut pending = PendingWrite::begin(&target).expect("begin");
        pending.write_all(b"new, half").expect("write");
        assert_eq!(fs::read_to_string(&target).expect("read"), "old");
        // A process killed here runs no destructor: model that, the temp file stays behind.
        std::mem::forget(pending);
        assert_eq!(fs::read_to_string(&target).expect("read"), "old");
        let leftovers = || {
            fs::read_dir(dir.path())
                .expect("read_dir")
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
                .count()
        };
        assert_eq!(leftovers(), 1);
        sweep_temp_files(dir.path());
        assert_eq!(leftovers(), 0);

        atomic_write(&target, b"new").expect("write");
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
        assert_eq!(leftovers(), 0);
    }

    #[test]
    fn a_failed_rename_leaves_the_target_and_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A non-empty directory cannot be replaced by a file.
        let target = dir.path().join("taken");
        fs::create_dir(&target).expect("mkdir");
        fs::write(target.join("inside"), "x").expect("write");
        let err = atomic_write(&target, b"new").expect_err("rename must fail");
        assert!(err.to_string().contains("taken"), "{err}");
        assert!(target.join("inside").exists());
        assert_eq!(fs::read_dir(dir.path()).expect("read_dir").count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_file_is_written_through_and_the_link_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("dotfiles-connections.toml");
        fs::write(&real, "old").expect("write");
        let link = dir.path().join("connections.toml");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        atomic_write_through_symlink(&link, b"new").expect("write");
        assert!(
            fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).expect("read"), "new");
    }

    #[cfg(unix)]
    #[test]
    fn temp_files_are_created_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let pending = PendingWrite::begin(&dir.path().join("s")).expect("begin");
        let mode = pending
            .tmp
            .as_file()
            .metadata()
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
