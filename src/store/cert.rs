//! The certificates a connection trusts, kept beside the config: the PEM of its pinned
//! certificate (`certs/NAME.pem`; the pin itself is the fingerprint saved with the
//! connection), a copy of the CA file it was given (`certs/ca/NAME.pem`, so the path saved
//! stays valid when the original moves), and, when it has both, the two in one file for git
//! (`certs/git/NAME.pem`: git reads one CA file per URL).

use std::path::PathBuf;

use super::error::StoreError;
use super::{Store, fsutil, validate_name};

impl Store {
    /// Where the PEM of connection `name`'s trusted certificate is kept.
    pub fn cert_file(&self, name: &str) -> PathBuf {
        self.dir.join("certs").join(format!("{name}.pem"))
    }

    /// Where the copy of connection `name`'s CA file is kept.
    pub fn ca_copy_file(&self, name: &str) -> PathBuf {
        self.dir
            .join("certs")
            .join("ca")
            .join(format!("{name}.pem"))
    }

    /// Where the pinned certificate and the CA file of connection `name` are kept together.
    pub fn cert_bundle_file(&self, name: &str) -> PathBuf {
        self.dir
            .join("certs")
            .join("git")
            .join(format!("{name}.pem"))
    }

    /// Writes the trusted certificate's PEM text for connection `name`, atomically.
    pub fn save_cert_pem(&self, name: &str, pem: &str) -> Result<PathBuf, StoreError> {
        validate_name(name)?;
        let path = self.cert_file(name);
        write_pem(&path, pem)?;
        Ok(path)
    }

    /// Writes the copy of connection `name`'s CA file, atomically.
    pub fn save_ca_copy(&self, name: &str, pem: &str) -> Result<PathBuf, StoreError> {
        validate_name(name)?;
        let path = self.ca_copy_file(name);
        write_pem(&path, pem)?;
        Ok(path)
    }

    /// Writes the pinned certificate and the CA file of connection `name` as one file.
    pub fn save_cert_bundle(&self, name: &str, pem: &str) -> Result<PathBuf, StoreError> {
        validate_name(name)?;
        let path = self.cert_bundle_file(name);
        write_pem(&path, pem)?;
        Ok(path)
    }

    /// Deletes connection `name`'s certificate files, if any: a connection removed and made
    /// again later must not inherit the old trust.
    pub(super) fn remove_cert_pem(&self, name: &str) {
        for path in [
            self.cert_file(name),
            self.ca_copy_file(name),
            self.cert_bundle_file(name),
        ] {
            if let Err(e) = fsutil::remove_file_durably(&path) {
                tracing::warn!(connection = %name, error = %e.what(), "trusted certificate's PEM not removed");
            }
        }
    }
}

fn write_pem(path: &std::path::Path, pem: &str) -> Result<(), StoreError> {
    if let Some(dir) = path.parent() {
        fsutil::ensure_private_dir(dir)?;
    }
    fsutil::atomic_write(path, pem.as_bytes())
}
