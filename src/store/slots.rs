//! One stored secret (a slot): where it lives, reading, writing and deleting it, and placing a
//! new one in the backend the mode calls for.

use std::path::PathBuf;

use secrecy::SecretString;

use super::format::{Entry, STORE_FILE, STORE_KEYRING};
use super::generation::{self, Role};
use super::keychain::{self, Bounded, KeychainFailure, bounded};
use super::perms::{self, Kind};
use super::{SecretStoreMode, Store, StoreError, fsutil, secret_file};

/// One stored secret: which backend, which of the connection's two secrets, under which key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Slot {
    pub(super) store: &'static str,
    pub(super) role: Role,
    pub(super) key: String,
}

/// Where a save put the new secret.
pub(super) struct Placement {
    pub(super) slot: Slot,
    /// Set when Auto mode fell back to the file: the reason, for the user.
    pub(super) fallback_reason: Option<String>,
}

impl Store {
    /// The slot of an entry's own secret.
    pub(super) fn main_slot(&self, e: &Entry) -> Slot {
        Slot {
            store: self.store_name(&e.conn.secret_store),
            role: Role::Connection,
            key: e.secret_key.clone().unwrap_or_else(|| e.conn.name.clone()),
        }
    }

    /// The slot of an entry's webhook secret, when it may have one: the recorded key, or for
    /// an entry saved before keys existed, where that version kept it.
    pub(super) fn webhook_slot(&self, e: &Entry) -> Option<Slot> {
        let store = self.store_name(&e.conn.secret_store);
        let key = match (&e.webhook_secret_key, e.is_legacy()) {
            (Some(k), _) => k.clone(),
            (None, true) if store == STORE_KEYRING => generation::legacy_webhook_account(e.name()),
            (None, true) => e.conn.name.clone(),
            (None, false) => return None,
        };
        Some(Slot {
            store,
            role: Role::Webhook,
            key,
        })
    }

    /// The folder `secret_file` appends `secrets/<key>` to.
    pub(super) fn file_base(&self, role: Role) -> PathBuf {
        match role {
            Role::Connection => self.dir.clone(),
            // Apart from connection secrets: a legacy webhook file has the bare name.
            Role::Webhook => self.dir.join("webhook"),
        }
    }

    pub(super) fn file_of(&self, slot: &Slot) -> PathBuf {
        secret_file::secret_path(&self.file_base(slot.role), &slot.key)
    }

    pub(super) fn read_slot(&self, slot: &Slot) -> Result<Option<SecretString>, StoreError> {
        if slot.store == STORE_KEYRING {
            let kc = self.keychain.clone();
            let account = slot.key.clone();
            return match bounded(self.keychain_timeout, move || kc.get(&account)) {
                Bounded::Done(Ok(found)) => Ok(found),
                Bounded::Done(Err(f)) => Err(self.keychain_error("reading", &slot.key, &f)),
                Bounded::TimedOut => Err(self.keychain_timeout("reading a secret")),
            };
        }
        if slot.role == Role::Webhook {
            perms::check_if_present(&self.file_base(Role::Webhook), Kind::SecretsFolder)?;
        }
        secret_file::read(&self.file_base(slot.role), &slot.key)
    }

    /// Writes a secret under a fresh key. In the keychain, the key goes into the index first,
    /// so a kill after the keychain write leaves an orphan that can be found.
    pub(super) fn write_slot(&self, slot: &Slot, secret: &SecretString) -> Result<(), StoreError> {
        if slot.store != STORE_KEYRING {
            if slot.role == Role::Webhook {
                fsutil::ensure_private_dir(&self.file_base(Role::Webhook))?;
            }
            return secret_file::write(&self.file_base(slot.role), &slot.key, secret);
        }
        self.index_keychain_key(&slot.key)?;
        let kc = self.keychain.clone();
        let account = slot.key.clone();
        let secret = secret.clone();
        let outcome = bounded(self.keychain_timeout, move || kc.set(&account, &secret));
        let failed = match outcome {
            Bounded::Done(Ok(())) => return Ok(()),
            Bounded::Done(Err(f)) => self.keychain_error("storing", &slot.key, &f),
            Bounded::TimedOut => self.keychain_timeout("storing a secret"),
        };
        // Nothing was stored, or a hung call stores it later: the index keeps it either way.
        Err(failed)
    }

    /// Deletes secrets a failed save wrote; what cannot be deleted is swept later.
    pub(super) fn discard(&self, written: &[Slot]) {
        for slot in written {
            if let Err(reason) = self.delete_slot(slot) {
                tracing::warn!(key = %slot.key, %reason, "secret of a failed save left for the next sweep");
            }
        }
    }

    pub(super) fn delete_slot(&self, slot: &Slot) -> Result<(), String> {
        if slot.store != STORE_KEYRING {
            return fsutil::remove_file_durably(&self.file_of(slot))
                .map(|_| ())
                .map_err(|e| e.what());
        }
        let kc = self.keychain.clone();
        let account = slot.key.clone();
        match bounded(self.keychain_timeout, move || kc.delete(&account)) {
            Bounded::Done(Ok(())) => {}
            Bounded::Done(Err(f)) => return Err(f.reason().to_string()),
            Bounded::TimedOut => {
                return Err(format!(
                    "the keychain did not answer within {} s",
                    self.keychain_timeout.as_secs_f32()
                ));
            }
        }
        fsutil::remove_file_durably(&self.index_file(&slot.key))
            .map(|_| ())
            .map_err(|e| e.what())
    }

    /// Writes connection `name`'s webhook secret, when it has one, under a fresh key in the
    /// backend `placed` chose: an entry's two secrets live in one backend. A failed write
    /// discards everything `written` so far; the new slot joins `written`.
    pub(super) fn place_hook_secret(
        &self,
        name: &str,
        placed: &Placement,
        hook: Option<&SecretString>,
        written: &mut Vec<Slot>,
    ) -> Result<Option<Slot>, StoreError> {
        let Some(hook) = hook else {
            return Ok(None);
        };
        let slot = Slot {
            store: placed.slot.store,
            role: Role::Webhook,
            key: generation::new_key(name, Role::Webhook)?,
        };
        if let Err(e) = self.write_slot(&slot, hook) {
            self.discard(written);
            return Err(e);
        }
        written.push(slot.clone());
        Ok(Some(slot))
    }

    /// Writes the secret to the backend the mode calls for, under a fresh key.
    pub(super) fn place_secret(
        &self,
        name: &str,
        secret: &SecretString,
    ) -> Result<Placement, StoreError> {
        let kind = self.keychain.kind();
        let file_slot = |key: String| Slot {
            store: STORE_FILE,
            role: Role::Connection,
            key,
        };
        let key = generation::new_key(name, Role::Connection)?;
        if self.mode == SecretStoreMode::File {
            self.write_slot(&file_slot(key.clone()), secret)?;
            return Ok(Placement {
                slot: file_slot(key),
                fallback_reason: None,
            });
        }
        let failure = match self.probe_keychain() {
            Err(reason) => reason,
            Ok(()) => {
                let slot = Slot {
                    store: STORE_KEYRING,
                    role: Role::Connection,
                    key: key.clone(),
                };
                match self.write_slot(&slot, secret) {
                    Ok(()) => {
                        return Ok(Placement {
                            slot,
                            fallback_reason: None,
                        });
                    }
                    Err(e) if self.mode == SecretStoreMode::Keyring => return Err(e),
                    Err(StoreError::Keychain { reason, .. }) => reason,
                    Err(StoreError::KeychainTimeout { waited, .. }) => {
                        format!("it did not answer within {} s", waited.as_secs_f32())
                    }
                    Err(e) => e.what(),
                }
            }
        };
        if self.mode == SecretStoreMode::Keyring {
            return Err(StoreError::KeychainUnavailable {
                kind,
                reason: failure,
            });
        }
        tracing::warn!(connection = %name, reason = %failure, "no usable OS keychain: secret goes to a 0600 file");
        self.write_slot(&file_slot(key.clone()), secret)?;
        Ok(Placement {
            slot: file_slot(key),
            fallback_reason: Some(failure),
        })
    }

    pub(super) fn store_name(&self, secret_store: &str) -> &'static str {
        if secret_store == STORE_KEYRING {
            STORE_KEYRING
        } else {
            STORE_FILE
        }
    }

    pub(super) fn location(&self, slot: &Slot) -> String {
        if slot.store == STORE_KEYRING {
            format!(
                "OS keychain ({}), service \"{}\", account \"{}\"",
                self.keychain.kind(),
                keychain::SERVICE,
                slot.key
            )
        } else {
            format!("file {} (mode 0600)", self.file_of(slot).display())
        }
    }

    pub(super) fn manual_delete(&self, slot: &Slot) -> String {
        let key = &slot.key;
        if slot.store != STORE_KEYRING {
            return format!("rm '{}'", self.file_of(slot).display());
        }
        if cfg!(target_os = "macos") {
            format!(
                "security delete-generic-password -s {} -a '{key}'",
                keychain::SERVICE
            )
        } else if cfg!(windows) {
            format!("remove `{key}.{}` in Credential Manager", keychain::SERVICE)
        } else {
            format!(
                "secret-tool clear service {} username '{key}'",
                keychain::SERVICE
            )
        }
    }

    pub(super) fn keychain_error(
        &self,
        action: &'static str,
        key: &str,
        f: &KeychainFailure,
    ) -> StoreError {
        StoreError::Keychain {
            kind: self.keychain.kind(),
            action,
            name: generation::owner_of(key).unwrap_or(key).to_string(),
            reason: f.reason().to_string(),
        }
    }

    pub(super) fn keychain_timeout(&self, action: &'static str) -> StoreError {
        StoreError::KeychainTimeout {
            kind: self.keychain.kind(),
            action,
            waited: self.keychain_timeout,
        }
    }
}
