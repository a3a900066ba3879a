//! Secrets no entry points at (a killed save's), and the index that finds them in the keychain.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::format::{Entry, STORE_FILE, STORE_KEYRING};
use super::generation::{self, Role};
use super::slots::Slot;
use super::{Store, StoreError, fsutil, secret_file};

/// A secret nothing points at that could not be deleted (yet): it stays recorded and the next
/// run tries again.
pub(super) struct Leftover {
    pub(super) slot: Slot,
    pub(super) reason: String,
}

/// The folder of the keychain's index: one empty file per keychain account this config dir
/// may have written. The keychain is shared by every config dir and cannot be listed per dir,
/// so the index is how a killed save's keychain orphan is found again.
const KEYCHAIN_INDEX: &str = "keychain";

impl Store {
    pub(super) fn index_file(&self, key: &str) -> PathBuf {
        self.dir.join(KEYCHAIN_INDEX).join(key)
    }

    /// Records keychain `key` in the index, durably, before it can become an orphan.
    pub(super) fn index_keychain_key(&self, key: &str) -> Result<(), StoreError> {
        let dir = self.dir.join(KEYCHAIN_INDEX);
        fsutil::ensure_private_dir(&dir)?;
        let path = self.index_file(key);
        if path.exists() {
            return Ok(());
        }
        fsutil::atomic_write(&path, b"")
    }

    /// Indexes an entry's keychain secrets (those saved before keys existed have no index
    /// file yet), before a commit that stops pointing at them.
    pub(super) fn index_keychain_slots(&self, e: &Entry) -> Result<(), StoreError> {
        for slot in std::iter::once(self.main_slot(e)).chain(self.webhook_slot(e)) {
            if slot.store == STORE_KEYRING {
                self.index_keychain_key(&slot.key)?;
            }
        }
        Ok(())
    }

    /// Deletes every secret no entry points at: in the secret folders, what is there; in the
    /// keychain, what the index lists. Call it under the lock only: a live writer's new secret
    /// is an orphan until its commit. Returns what could not be deleted.
    pub(super) fn sweep_orphans(&self, entries: &[Entry]) -> Vec<Leftover> {
        let mut referenced = HashSet::new();
        for e in entries {
            referenced.insert(self.main_slot(e));
            referenced.extend(self.webhook_slot(e));
        }
        let mut orphans = Vec::new();
        for role in [Role::Connection, Role::Webhook] {
            let dir = secret_file::secrets_dir(&self.file_base(role));
            for key in our_keys_in(&dir) {
                let slot = Slot {
                    store: STORE_FILE,
                    role,
                    key,
                };
                if !referenced.contains(&slot) {
                    orphans.push(slot);
                }
            }
        }
        for key in our_keys_in(&self.dir.join(KEYCHAIN_INDEX)) {
            let used = [Role::Connection, Role::Webhook].into_iter().any(|role| {
                referenced.contains(&Slot {
                    store: STORE_KEYRING,
                    role,
                    key: key.clone(),
                })
            });
            if !used {
                orphans.push(Slot {
                    store: STORE_KEYRING,
                    role: Role::Connection,
                    key,
                });
            }
        }
        let mut left = Vec::new();
        let mut keychain_gave_up = None;
        for slot in orphans {
            if slot.store == STORE_KEYRING
                && let Some(reason) = &keychain_gave_up
            {
                left.push(Leftover {
                    slot,
                    reason: String::clone(reason),
                });
                continue;
            }
            if let Err(reason) = self.delete_slot(&slot) {
                tracing::warn!(key = %slot.key, %reason, "orphan secret left for the next run");
                if slot.store == STORE_KEYRING {
                    // One failure is enough to know: do not wait on a hung keychain per key.
                    keychain_gave_up = Some(reason.clone());
                }
                left.push(Leftover { slot, reason });
            }
        }
        left
    }
}

/// The keys in `dir` that have a shape bbconnect writes (temp files and strangers excluded).
fn our_keys_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|k| generation::owner_of(k).is_some())
        .collect()
}
