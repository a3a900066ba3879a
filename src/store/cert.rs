//! The PEM of a connection's pinned certificate, kept beside the config for people to inspect
//! (`certs/NAME.pem`); the pin itself is the fingerprint saved with the connection.

use std::path::PathBuf;

use super::error::StoreError;
use super::{Store, fsutil, validate_name};

impl Store {
    /// Where the PEM of connection `name`'s trusted certificate is kept.
    pub fn cert_file(&self, name: &str) -> PathBuf {
        self.dir.join("certs").join(format!("{name}.pem"))
    }

    /// Writes the trusted certificate's PEM text for connection `name`, atomically.
    pub fn save_cert_pem(&self, name: &str, pem: &str) -> Result<PathBuf, StoreError> {
        validate_name(name)?;
        let path = self.cert_file(name);
        if let Some(dir) = path.parent() {
            fsutil::ensure_private_dir(dir)?;
        }
        fsutil::atomic_write(&path, pem.as_bytes())?;
        Ok(path)
    }

    /// Deletes connection `name`'s PEM, if any: a connection removed and made again later must
    /// not inherit the old pin's certificate.
    pub(super) fn remove_cert_pem(&self, name: &str) {
        if let Err(e) = fsutil::remove_file_durably(&self.cert_file(name)) {
            tracing::warn!(connection = %name, error = %e.what(), "trusted certificate's PEM not removed");
        }
    }
}
