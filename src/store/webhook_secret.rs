//! The webhook's signing secret, kept where the connection's own secret is: in the keychain
//! under account `<name>#webhook` (`#` is not allowed in connection names, so it can never be
//! another connection's account), or in `<dir>/webhook/secrets/<name>` (0600 in a 0700
//! directory; a separate directory because `.` is allowed in names, so `<name>.webhook` could
//! be another connection's secret file).

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::error::StoreError;
use super::format::STORE_KEYRING;
use super::keychain::{Bounded, bounded};
use super::{SavedConnection, Store, fsutil, lock, secret_file, validate_name};

fn account(name: &str) -> String {
    format!("{name}#webhook")
}

/// The base directory `secret_file` appends `secrets/<name>` to.
fn file_base(dir: &Path) -> PathBuf {
    dir.join("webhook")
}

impl Store {
    /// The file a connection's webhook secret goes to when it is not in the keychain.
    pub fn webhook_secret_file(&self, name: &str) -> PathBuf {
        secret_file::secret_path(&file_base(&self.dir), name)
    }

    /// Stores the webhook secret of saved connection `name` next to its own secret (same
    /// backend) and says where it went. The connection must already be saved.
    pub fn save_webhook_secret(
        &self,
        name: &str,
        secret: &SecretString,
    ) -> Result<String, StoreError> {
        validate_name(name)?;
        let _lock = lock::acquire(&self.lock_file(), self.lock_wait)?;
        let conn = self.get(name)?.ok_or_else(|| StoreError::NotFound {
            name: name.to_string(),
            file: self.config_file(),
        })?;
        if conn.secret_store == STORE_KEYRING {
            let kc = self.keychain.clone();
            let acc = account(name);
            let secret = secret.clone();
            return match bounded(self.keychain_timeout, move || kc.set(&acc, &secret)) {
                Bounded::Done(Ok(())) => Ok(format!(
                    "OS keychain ({}), service \"{}\", account \"{}\"",
                    self.keychain.kind(),
                    super::keychain::SERVICE,
                    account(name)
                )),
                Bounded::Done(Err(f)) => Err(self.keychain_error("storing", name, &f)),
                Bounded::TimedOut => Err(self.keychain_timeout("storing a webhook secret")),
            };
        }
        secret_file::write(&file_base(&self.dir), name, secret)?;
        Ok(format!(
            "file {} (mode 0600)",
            self.webhook_secret_file(name).display()
        ))
    }

    /// The webhook secret of connection `name`; `Ok(None)` when none was stored.
    pub fn webhook_secret(&self, name: &str) -> Result<Option<SecretString>, StoreError> {
        let conn = self.get(name)?.ok_or_else(|| StoreError::NotFound {
            name: name.to_string(),
            file: self.config_file(),
        })?;
        if conn.secret_store == STORE_KEYRING {
            let kc = self.keychain.clone();
            let acc = account(name);
            return match bounded(self.keychain_timeout, move || kc.get(&acc)) {
                Bounded::Done(Ok(found)) => Ok(found),
                Bounded::Done(Err(f)) => Err(self.keychain_error("reading", name, &f)),
                Bounded::TimedOut => Err(self.keychain_timeout("reading a webhook secret")),
            };
        }
        secret_file::read(&file_base(&self.dir), name)
    }

    /// Deletes the webhook secret of a removed connection, wherever it is; absent is fine.
    pub(crate) fn delete_webhook_secret(&self, conn: &SavedConnection) -> Result<(), StoreError> {
        if conn.secret_store == STORE_KEYRING {
            let kc = self.keychain.clone();
            let acc = account(&conn.name);
            match bounded(self.keychain_timeout, move || kc.delete(&acc)) {
                Bounded::Done(Ok(())) => {}
                Bounded::Done(Err(f)) => {
                    return Err(StoreError::SecretNotRemoved {
                        name: conn.name.clone(),
                        location: format!("OS keychain, account \"{}\"", account(&conn.name)),
                        reason: f.reason().to_string(),
                        how: format!(
                            "secret-tool clear service {} username '{}'",
                            super::keychain::SERVICE,
                            account(&conn.name)
                        ),
                    });
                }
                Bounded::TimedOut => return Err(self.keychain_timeout("deleting a webhook secret")),
            }
        }
        // A file may be left from a save when the keychain was not usable: delete it too.
        let path = self.webhook_secret_file(&conn.name);
        fsutil::remove_file_durably(&path)
            .map(|_| ())
            .map_err(|e| StoreError::SecretNotRemoved {
                name: conn.name.clone(),
                location: format!("file {}", path.display()),
                reason: e.what(),
                how: format!("rm {}", path.display()),
            })
    }
}
