//! The fallback secret store: one file per connection in `<dir>/secrets/`, the directory
//! owner-only (0700) and each file owner-only (0600) from the moment it exists.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use super::error::StoreError;
use super::fsutil::{atomic_write, ensure_private_dir, io_err, remove_file_durably};

pub(crate) fn secrets_dir(dir: &Path) -> PathBuf {
    dir.join("secrets")
}

/// The file of connection `name`; `name` must already be validated (it is a path component).
pub(crate) fn secret_path(dir: &Path, name: &str) -> PathBuf {
    secrets_dir(dir).join(name)
}

pub(crate) fn write(dir: &Path, name: &str, secret: &SecretString) -> Result<(), StoreError> {
    ensure_private_dir(&secrets_dir(dir), true)?;
    atomic_write(&secret_path(dir, name), secret.expose_secret().as_bytes())
}

/// `Ok(None)` when there is no file.
pub(crate) fn read(dir: &Path, name: &str) -> Result<Option<SecretString>, StoreError> {
    let path = secret_path(dir, name);
    let mut file = match fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("open the secret file", &path, e)),
    };
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

pub(crate) fn delete(dir: &Path, name: &str) -> Result<bool, StoreError> {
    remove_file_durably(&secret_path(dir, name))
}
