//! The webhook's signing secret, kept where the connection's own secret is, under its own fresh
//! key per save (`NAME#webhook-<id>`, see `generation.rs`): in the keychain, or in
//! `<dir>/webhook/secrets/` (0600 in a 0700 directory; a folder apart from connection secrets,
//! where a webhook secret saved before keys existed has the bare connection name).

use std::path::PathBuf;

use secrecy::SecretString;

use super::Store;
use super::error::StoreError;
use super::generation::{self, Role};
use super::slots::Slot;

impl Store {
    /// The file holding connection `name`'s webhook secret now; `None` when there is none or
    /// it is in the keychain.
    pub fn webhook_secret_file(&self, name: &str) -> Result<Option<PathBuf>, StoreError> {
        let entry = self.entry(name)?;
        Ok(self
            .webhook_slot(&entry)
            .filter(|s| s.store == super::STORE_FILE)
            .map(|s| self.file_of(&s))
            .filter(|p| p.exists()))
    }

    /// Stores the webhook secret of saved connection `name` next to its own secret (same
    /// backend) and says where it went. The connection must already be saved. Like a save:
    /// fresh key, commit, then the previous one is deleted.
    pub fn save_webhook_secret(
        &self,
        name: &str,
        secret: &SecretString,
    ) -> Result<String, StoreError> {
        let (_lock, mut all, i) = self.begin_change(name)?;
        let before = all[i].clone();
        let slot = Slot {
            store: self.main_slot(&before).store,
            role: Role::Webhook,
            key: generation::new_key(name, Role::Webhook)?,
        };
        if let Err(e) = self.write_slot(&slot, secret) {
            self.discard(std::slice::from_ref(&slot));
            return Err(e);
        }
        // A connection saved before keys existed keeps its own secret under its bare name
        // until its next save.
        all[i].webhook_secret_key = Some(slot.key.clone());
        self.commit_change(&before, &all, std::slice::from_ref(&slot))?;
        self.sweep_orphans(&all);
        Ok(self.location(&slot))
    }

    /// The webhook secret of connection `name`; `Ok(None)` when none was stored.
    pub fn webhook_secret(&self, name: &str) -> Result<Option<SecretString>, StoreError> {
        let entry = self.entry(name)?;
        match self.webhook_slot(&entry) {
            Some(slot) => self.read_slot(&slot),
            None => Ok(None),
        }
    }
}
