//! The fallback secret store: one file per secret key in `<base>/secrets/`, the directory
//! owner-only (0700) and each file owner-only (0600) from the moment it exists. A file or
//! folder found more open than that is refused (`perms.rs`).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use super::error::StoreError;
use super::fsutil::{atomic_write, ensure_private_dir, io_err};
use super::perms::{self, Kind};

pub(crate) fn secrets_dir(base: &Path) -> PathBuf {
    base.join("secrets")
}

/// The file of secret `key`; `key` must already be validated (it is a path component).
pub(crate) fn secret_path(base: &Path, key: &str) -> PathBuf {
    secrets_dir(base).join(key)
}

pub(crate) fn write(base: &Path, key: &str, secret: &SecretString) -> Result<(), StoreError> {
    ensure_private_dir(&secrets_dir(base))?;
    atomic_write(&secret_path(base, key), secret.expose_secret().as_bytes())
}

/// `Ok(None)` when there is no file. A file or folder others could read or change is refused.
pub(crate) fn read(base: &Path, key: &str) -> Result<Option<SecretString>, StoreError> {
    let dir = secrets_dir(base);
    perms::check_if_present(&dir, Kind::SecretsFolder)?;
    let path = secret_path(base, key);
    let mut file = match fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("open the secret file", &path, e)),
    };
    // The mode of what was opened, not of a path that could be swapped after the check.
    let meta = file
        .metadata()
        .map_err(|e| io_err("read the mode of", &path, e))?;
    perms::check(&path, &meta, Kind::SecretFile)?;
    let mut text = String::new();
    if let Err(e) = file.read_to_string(&mut text) {
        // Say what is wrong without quoting any of it: the bytes are the secret.
        let source = if e.kind() == std::io::ErrorKind::InvalidData {
            std::io::Error::new(e.kind(), "the file is not UTF-8 text")
        } else {
            e
        };
        return Err(io_err("read the secret file", &path, source));
    }
    // A newline added by an editor or `echo` is not part of any token.
    let trimmed_len = text.trim_end_matches(['\r', '\n']).len();
    text.truncate(trimmed_len);
    Ok(Some(SecretString::from(text)))
}
