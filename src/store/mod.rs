//! Saved connections and their secrets.
//!
//! Connections live in `<dir>/connections.toml` (versioned, written atomically, one writer at a
//! time under `<dir>/.lock`). Secrets never go in that file: they go to the OS keychain
//! (service `bbconnect`) or, where there is none, to `<dir>/secrets/` (0600 files in a 0700
//! directory), each under a fresh key per save (`generation.rs`): `secret_store` in each entry
//! records which backend, `secret_key` which key, so the file's atomic rename commits URL, user
//! and secret together. A webhook's signing secret, when there is one, goes to the same backend
//! (`webhook_secret.rs`). Secrets no entry points at (a killed save's) are swept under the lock;
//! `<dir>/keychain/` indexes the keychain accounts this directory wrote, to find them there.
//! Files and folders others could read or change are refused (`perms.rs`).
//!
//! Calls block (file IO, keychain calls of up to [`keychain::DEFAULT_TIMEOUT`] each): from async
//! code, run them in `tokio::task::spawn_blocking`.

// The secret slots of a store, and the sweep of the secrets nothing points at.
mod orphans;
mod slots;

mod cert;
mod error;
mod format;
pub(crate) mod fsutil;
mod generation;
pub mod keychain;
mod lock;
mod perms;
mod secret_file;
mod ssh_key;
mod webhook_secret;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::core::model::{AuthKind, ConnectionSpec, LastCheck, Provider, SavedInfo};

pub use error::StoreError;
pub use format::{FORMAT_VERSION, validate_name};
pub use keychain::{Keychain, KeychainFailure, MemoryKeychain, NoKeychain, OsKeychain};
pub use ssh_key::SshFiles;

use format::{Entry, STORE_FILE};
use generation::Role;
use keychain::{Bounded, bounded};
use perms::Kind;
use slots::Slot;

/// How long a writer waits for another one before giving up with [`StoreError::Locked`].
const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);

/// How long a run waits for another run working on the same connection (a connect that lists
/// thousands of repositories, an OAuth refresh) before giving up with [`StoreError::Locked`].
const DEFAULT_CONNECTION_LOCK_WAIT: Duration = Duration::from_secs(300);

/// The folder of the per-connection lock files.
const CONNECTION_LOCKS: &str = "locks";

/// One run at a time works on a connection (connect, `--replace`, rotate, an OAuth refresh):
/// held while it lives, across processes; the OS releases it when its holder dies. Take it
/// before reading what the connection holds, so the second run works on what the first left.
/// Never take it while holding the store's own lock (the order is connection, then store).
#[derive(Debug)]
pub struct ConnectionLock {
    _guard: lock::LockGuard,
}

/// Where secrets go, from `BBCONNECT_SECRET_STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretStoreMode {
    /// The OS keychain when there is one, else the 0600 file (and say so).
    #[default]
    Auto,
    /// The OS keychain or an error: never a file.
    Keyring,
    /// Always the 0600 file.
    File,
}

impl SecretStoreMode {
    /// Parses the value of `BBCONNECT_SECRET_STORE` (case-insensitive; empty means auto).
    pub fn parse(value: &str) -> Result<SecretStoreMode, StoreError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(SecretStoreMode::Auto),
            "keyring" | "keychain" => Ok(SecretStoreMode::Keyring),
            "file" => Ok(SecretStoreMode::File),
            _ => Err(StoreError::BadSecretStoreMode {
                value: value.to_string(),
            }),
        }
    }
}

/// One entry of `connections.toml`. It never holds the secret.
///
/// The optional fields carry no serde attributes: TOML has no null, so the encoder leaves a
/// `None` out, and a key missing from the file reads back as `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedConnection {
    pub name: String,
    #[serde(
        serialize_with = "format::cli_names::ser_provider",
        deserialize_with = "format::cli_names::de_provider"
    )]
    pub provider: Provider,
    #[serde(
        serialize_with = "format::cli_names::ser_auth",
        deserialize_with = "format::cli_names::de_auth"
    )]
    pub auth: AuthKind,
    pub url: String,
    /// The username or email that was typed.
    pub username: Option<String>,
    /// The identity the server reported.
    pub user: Option<String>,
    /// The chosen repository's full name (`ws/slug` or `KEY/slug`).
    pub repo: Option<String>,
    pub clone_https: Option<String>,
    pub clone_ssh: Option<String>,
    pub webhook_id: Option<String>,
    pub webhook_url: Option<String>,
    /// `keyring` or `file`: where the secret lives. Set by [`Store::save`].
    pub secret_store: String,
    /// RFC 3339 UTC, given by the caller.
    pub saved_at: String,
    /// The CA file and the pinned certificate this connection trusts.
    pub tls: Option<crate::core::cert::TlsTrust>,
    /// The day the credential stops working, when known: typed (`--expires`, the form), or
    /// read from the server (DC's token list). Absent means unknown, never guessed.
    pub expires_on: Option<jiff::civil::Date>,
    /// The SSH route (`connect --git-protocol ssh`): git then clones with the connection's
    /// own read-only key. Absent: git uses https with the credential.
    pub ssh: Option<crate::core::ssh::SshRoute>,
    /// The outcome of the last check (`status`, the wizard's re-check); absent in files
    /// written before it existed, and until a connection is checked again.
    pub last_check: Option<LastCheck>,
}

impl SavedConnection {
    /// A connection with just its name, type and server; everything learned later (the
    /// identity, the repository, the webhook, trust, expiry, the last check) is absent.
    pub fn new(name: &str, provider: Provider, auth: AuthKind, url: &str) -> SavedConnection {
        SavedConnection {
            name: name.to_string(),
            provider,
            auth,
            url: url.to_string(),
            username: None,
            user: None,
            repo: None,
            clone_https: None,
            clone_ssh: None,
            webhook_id: None,
            webhook_url: None,
            secret_store: String::new(),
            saved_at: String::new(),
            tls: None,
            expires_on: None,
            ssh: None,
            last_check: None,
        }
    }

    /// What a client needs to call Bitbucket as this connection (with its secret).
    pub fn spec(&self) -> ConnectionSpec {
        ConnectionSpec {
            name: self.name.clone(),
            provider: self.provider,
            auth: self.auth,
            url: self.url.clone(),
            username: self.username.clone(),
            repo: self.repo.clone(),
        }
    }
}

/// The saved connections of one config directory. A clone is the same store (what a task
/// that outlives its caller's borrow needs, such as an OAuth renewal).
#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
    mode: SecretStoreMode,
    keychain: Arc<dyn Keychain>,
    keychain_timeout: Duration,
    lock_wait: Duration,
    connection_lock_wait: Duration,
    /// Whether the keychain is usable, asked once: a probe may cost a D-Bus round trip.
    keychain_probe: OnceLock<Result<(), String>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("mode", &self.mode)
            .field("keychain", &self.keychain.kind())
            .finish_non_exhaustive()
    }
}

/// Writes the connections file; a parameter so tests can make it fail.
type ConfigWriter = dyn Fn(&Path, &[u8]) -> Result<(), StoreError>;

#[cfg(test)]
impl Store {
    /// A store of `dir` for unit tests: with a keychain, secrets go to it; without one, they
    /// go to the store's own file and no keychain is ever asked.
    pub(crate) fn for_tests(dir: &Path, keychain: Option<Arc<dyn Keychain>>) -> Store {
        let (mode, keychain) = match keychain {
            Some(keychain) => (SecretStoreMode::Keyring, keychain),
            None => (
                SecretStoreMode::File,
                Arc::new(NoKeychain) as Arc<dyn Keychain>,
            ),
        };
        Store::open_with_keychain(Some(dir.to_path_buf()), mode, keychain)
            .expect("a store in a fresh directory opens")
    }

    /// The webhook secret stored with `name`, as text; a test fails when there is none.
    pub(crate) fn webhook_secret_for_tests(&self, name: &str) -> String {
        use secrecy::ExposeSecret;
        self.webhook_secret(name)
            .expect("the webhook secret reads")
            .expect("a webhook secret is stored")
            .expose_secret()
            .to_string()
    }
}

impl Store {
    /// Opens the store in `dir`, or when `None` in `BBCONNECT_CONFIG_DIR` or the platform's
    /// config directory (`~/.config/bbconnect` on Linux). Nothing is created until a save.
    pub fn open(dir: Option<PathBuf>, mode: SecretStoreMode) -> Result<Store, StoreError> {
        Self::open_with_keychain(dir, mode, Arc::new(OsKeychain))
    }

    /// Like [`Store::open`] with another keychain: tests use [`MemoryKeychain`] or
    /// [`NoKeychain`] so they never touch the user's real keychain.
    pub fn open_with_keychain(
        dir: Option<PathBuf>,
        mode: SecretStoreMode,
        keychain: Arc<dyn Keychain>,
    ) -> Result<Store, StoreError> {
        let dir = match dir {
            Some(d) => d,
            None => default_dir()?,
        };
        Ok(Store {
            dir,
            mode,
            keychain,
            keychain_timeout: keychain::DEFAULT_TIMEOUT,
            lock_wait: DEFAULT_LOCK_WAIT,
            connection_lock_wait: DEFAULT_CONNECTION_LOCK_WAIT,
            keychain_probe: OnceLock::new(),
        })
    }

    /// How long each keychain call may take (default 3 s).
    pub fn with_keychain_timeout(mut self, timeout: Duration) -> Store {
        self.keychain_timeout = timeout;
        self
    }

    /// How long a save or remove waits for another writer's lock (default 10 s).
    pub fn with_lock_wait(mut self, wait: Duration) -> Store {
        self.lock_wait = wait;
        self
    }

    /// How long [`Store::lock_connection`] waits for another run (default 300 s).
    pub fn with_connection_lock_wait(mut self, wait: Duration) -> Store {
        self.connection_lock_wait = wait;
        self
    }

    /// Takes connection `name`'s lock, waiting for another run that holds it. The name need
    /// not be saved yet: two first-time connects of one name are serialised too.
    pub fn lock_connection(&self, name: &str) -> Result<ConnectionLock, StoreError> {
        validate_name(name)?;
        fsutil::ensure_dir(&self.dir, Kind::ConfigFolder)?;
        let dir = self.dir.join(CONNECTION_LOCKS);
        fsutil::ensure_private_dir(&dir)?;
        let guard = lock::acquire(&dir.join(format!("{name}.lock")), self.connection_lock_wait)?;
        Ok(ConnectionLock { _guard: guard })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn mode(&self) -> SecretStoreMode {
        self.mode
    }

    pub fn config_file(&self) -> PathBuf {
        self.dir.join("connections.toml")
    }

    /// The lock file every writer holds.
    pub fn lock_file(&self) -> PathBuf {
        self.dir.join(".lock")
    }

    /// The file holding connection `name`'s secret now; `None` when there is no such
    /// connection or its secret is in the keychain.
    pub fn secret_file(&self, name: &str) -> Result<Option<PathBuf>, StoreError> {
        Ok(self
            .load()?
            .iter()
            .find(|e| e.name() == name)
            .map(|e| self.main_slot(e))
            .filter(|s| s.store == STORE_FILE)
            .map(|s| self.file_of(&s)))
    }

    /// Every saved connection, in file order. A missing file is an empty list.
    /// A secret file or folder others could read or change is refused here too, although
    /// listing reads no secret: a user must hear about it on the first command they run.
    pub fn list(&self) -> Result<Vec<SavedConnection>, StoreError> {
        let entries = self.load()?;
        self.check_secret_modes(&entries)?;
        Ok(entries.into_iter().map(|e| e.conn).collect())
    }

    pub fn get(&self, name: &str) -> Result<Option<SavedConnection>, StoreError> {
        Ok(self.list()?.into_iter().find(|c| c.name == name))
    }

    /// Saves `conn` and its secret. The secret goes under a fresh key first, then the file
    /// that names that key is committed by an atomic rename, then the previous generation is
    /// deleted: killed at any instant, the saved URL, user and secret are all old or all new.
    /// A failed save deletes what it wrote. `conn.secret_store` is overwritten with where the
    /// secret really went. A webhook secret stays with the connection while provider, auth
    /// type and URL stay the same and a webhook is still recorded; otherwise it is dropped.
    pub fn save(
        &self,
        conn: SavedConnection,
        secret: &SecretString,
        replace: bool,
    ) -> Result<SavedInfo, StoreError> {
        self.save_with(conn, secret, replace, &|path, bytes| {
            fsutil::atomic_write_through_symlink(path, bytes)
        })
    }

    /// [`Store::save`] with the webhook's signing secret in the same commit: both are written
    /// under fresh keys before the one rename, so a failure to store either leaves the previous
    /// state (or nothing) and a re-run starts clean. `Some` replaces the hook secret; `None`
    /// keeps the previous one as [`Store::save`] does. Returns where the new hook secret went.
    pub fn save_with_webhook_secret(
        &self,
        conn: SavedConnection,
        secret: &SecretString,
        webhook_secret: Option<&SecretString>,
        replace: bool,
    ) -> Result<(SavedInfo, Option<String>), StoreError> {
        self.commit_with(conn, secret, webhook_secret, replace, &|path, bytes| {
            fsutil::atomic_write_through_symlink(path, bytes)
        })
    }

    /// `save` with the config file writer passed in, so tests can make it fail after the
    /// secret is written.
    fn save_with(
        &self,
        conn: SavedConnection,
        secret: &SecretString,
        replace: bool,
        write_config: &ConfigWriter,
    ) -> Result<SavedInfo, StoreError> {
        self.commit_with(conn, secret, None, replace, write_config)
            .map(|(info, _)| info)
    }

    fn commit_with(
        &self,
        mut conn: SavedConnection,
        secret: &SecretString,
        new_hook_secret: Option<&SecretString>,
        replace: bool,
        write_config: &ConfigWriter,
    ) -> Result<(SavedInfo, Option<String>), StoreError> {
        let (_lock, mut all) = self.begin_write(&conn.name)?;
        let existing = all.iter().position(|e| e.name() == conn.name);
        if existing.is_some() && !replace {
            return Err(StoreError::Duplicate {
                name: conn.name,
                file: self.config_file(),
            });
        }
        let before = existing.map(|i| all[i].clone());
        // Read before anything is written: a hook secret that cannot be read fails the save
        // rather than vanish.
        let hook_secret = match &before {
            _ if new_hook_secret.is_some() => new_hook_secret.cloned(),
            Some(b)
                if b.conn.provider == conn.provider
                    && b.conn.auth == conn.auth
                    && b.conn.url == conn.url
                    && conn.webhook_id.is_some() =>
            {
                match self.webhook_slot(b) {
                    Some(slot) => self.read_slot(&slot)?,
                    None => None,
                }
            }
            _ => None,
        };

        let placed = self.place_secret(&conn.name, secret)?;
        let mut written = vec![placed.slot.clone()];
        let hook_key =
            self.place_hook_secret(&conn.name, &placed, hook_secret.as_ref(), &mut written)?;
        conn.secret_store = placed.slot.store.to_string();
        let entry = Entry {
            conn,
            secret_key: Some(placed.slot.key.clone()),
            webhook_secret_key: hook_key.as_ref().map(|slot| slot.key.clone()),
        };
        match existing {
            Some(i) => all[i] = entry.clone(),
            None => all.push(entry.clone()),
        }
        // Once the rename lands, the old keychain secrets are orphans: they must be findable
        // even if this process dies right after it.
        let committed = before
            .as_ref()
            .map_or(Ok(()), |b| self.index_keychain_slots(b))
            .and_then(|()| format::render(&all))
            .and_then(|text| write_config(&self.config_file(), text.as_bytes()));
        if let Err(e) = committed {
            self.discard(&written);
            return Err(e);
        }
        // The previous generation, and anything else no entry points at.
        self.sweep_orphans(&all);

        let secret_location = self.location(&placed.slot);
        let hook_location = hook_key
            .filter(|_| new_hook_secret.is_some())
            .map(|slot| self.location(&slot));
        let info = SavedInfo {
            name: entry.conn.name,
            config_file: self.config_file().display().to_string(),
            secret_location,
            keychain_fallback: placed.fallback_reason,
            clone_https: entry.conn.clone_https,
            expires_on: entry.conn.expires_on,
        };
        Ok((info, hook_location))
    }

    /// Puts a new secret on saved connection `name` and keeps everything else it holds: one
    /// commit swaps the secret, applies `update` to the entry (a new credential type, user or
    /// expiry) and carries the webhook secret over whatever the credential type becomes (the
    /// hook on the server still signs with it). The old secret then leaves its keychain or
    /// file. Call it holding [`Store::lock_connection`], having checked the new secret.
    pub fn rotate_secret(
        &self,
        name: &str,
        update: impl FnOnce(&mut SavedConnection),
        secret: &SecretString,
    ) -> Result<SavedInfo, StoreError> {
        let (_lock, mut all, i) = self.begin_change(name)?;
        let before = all[i].clone();
        // Read before anything is written: a hook secret that cannot be read fails the
        // rotation rather than vanish.
        let hook_secret = match self.webhook_slot(&before) {
            Some(slot) => self.read_slot(&slot)?,
            None => None,
        };
        let mut conn = before.conn.clone();
        update(&mut conn);
        conn.name = before.conn.name.clone();

        let placed = self.place_secret(name, secret)?;
        let mut written = vec![placed.slot.clone()];
        // Rewritten under a fresh key beside the new secret: the backend may have changed
        // (keychain then file).
        let hook_key = self
            .place_hook_secret(name, &placed, hook_secret.as_ref(), &mut written)?
            .map(|slot| slot.key);
        conn.secret_store = placed.slot.store.to_string();
        let entry = Entry {
            conn,
            secret_key: Some(placed.slot.key.clone()),
            webhook_secret_key: hook_key,
        };
        all[i] = entry.clone();
        self.commit_change(&before, &all, &written)?;
        // The old secret and the old copy of the hook secret: nothing points at them now.
        let left = self.sweep_orphans(&all);
        if let Some(l) = left
            .into_iter()
            .find(|l| generation::owner_of(&l.slot.key) == Some(name))
        {
            tracing::warn!(key = %l.slot.key, reason = %l.reason, "the old secret is left for the next run to delete");
        }
        Ok(SavedInfo {
            name: entry.conn.name,
            config_file: self.config_file().display().to_string(),
            secret_location: self.location(&placed.slot),
            keychain_fallback: placed.fallback_reason,
            clone_https: entry.conn.clone_https,
            expires_on: entry.conn.expires_on,
        })
    }

    /// Puts a new secret on saved connection `name` and nothing else (a refreshed OAuth pair):
    /// the entry is taken as it is under the store's lock, so what another run wrote since the
    /// caller read it (a check's outcome, an expiry, a webhook) is kept. Call it holding
    /// [`Store::lock_connection`].
    pub fn swap_secret(&self, name: &str, secret: &SecretString) -> Result<SavedInfo, StoreError> {
        self.rotate_secret(name, |_| {}, secret)
    }

    /// The secret of connection `name`, from wherever the file says it lives.
    pub fn secret(&self, name: &str) -> Result<SecretString, StoreError> {
        self.connection_with_secret(name).map(|(_, s)| s)
    }

    /// Connection `name` and its secret, read from one version of the connections file: the
    /// secret is the one saved beside this URL and user, even while another run replaces it.
    pub fn connection_with_secret(
        &self,
        name: &str,
    ) -> Result<(SavedConnection, SecretString), StoreError> {
        // A writer deletes the previous generation right after its commit: a reader that
        // loaded the file just before finds its key gone, and reads the new file again.
        let mut last_key = None;
        loop {
            let entry = self.entry(name)?;
            let slot = self.main_slot(&entry);
            if let Some(found) = self.read_slot(&slot)? {
                return Ok((entry.conn, found));
            }
            if last_key.as_ref() == Some(&slot.key) {
                return Err(StoreError::SecretMissing {
                    name: name.to_string(),
                    location: self.location(&slot),
                });
            }
            last_key = Some(slot.key);
        }
    }

    /// Records a check's outcome on connection `name`, leaving everything else as it is.
    pub fn record_check(&self, name: &str, check: LastCheck) -> Result<(), StoreError> {
        self.edit_entry(name, |conn| {
            conn.last_check = Some(check);
            true
        })
    }

    /// Records the expiry read from the server for connection `name`, when none is saved: a
    /// date the user typed is never overwritten by one read later.
    pub fn record_expiry(&self, name: &str, on: jiff::civil::Date) -> Result<(), StoreError> {
        self.edit_entry(name, |conn| {
            if conn.expires_on.is_some() {
                return false;
            }
            conn.expires_on = Some(on);
            true
        })
    }

    /// Applies `edit` to connection `name` under the store's lock; the file is rewritten only
    /// when `edit` says it changed something.
    fn edit_entry(
        &self,
        name: &str,
        edit: impl FnOnce(&mut SavedConnection) -> bool,
    ) -> Result<(), StoreError> {
        fsutil::ensure_dir(&self.dir, Kind::ConfigFolder)?;
        let _lock = lock::acquire(&self.lock_file(), self.lock_wait)?;
        let mut all = self.load()?;
        let Some(entry) = all.iter_mut().find(|e| e.name() == name) else {
            return Err(StoreError::NotFound {
                name: name.to_string(),
                file: self.config_file(),
            });
        };
        if !edit(&mut entry.conn) {
            return Ok(());
        }
        fsutil::atomic_write_through_symlink(&self.config_file(), format::render(&all)?.as_bytes())
    }

    /// Removes connection `name` and every generation of its secrets. The file is rewritten
    /// first: if a secret then cannot be deleted, the error says where it is and how to delete
    /// it by hand (and the next run tries again).
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        fsutil::ensure_dir(&self.dir, Kind::ConfigFolder)?;
        let _lock = lock::acquire(&self.lock_file(), self.lock_wait)?;
        self.sweep_temp_files();
        let mut all = self.load()?;
        let Some(i) = all.iter().position(|e| e.name() == name) else {
            // Orphans of that name (a killed first save) go anyway.
            self.sweep_orphans(&all);
            return Err(StoreError::NotFound {
                name: name.to_string(),
                file: self.config_file(),
            });
        };
        let gone = all.remove(i);
        self.index_keychain_slots(&gone)?;
        fsutil::atomic_write_through_symlink(
            &self.config_file(),
            format::render(&all)?.as_bytes(),
        )?;
        self.remove_cert_pem(name);
        self.remove_ssh_files(name);
        let left = self.sweep_orphans(&all);
        match left
            .into_iter()
            .find(|l| generation::owner_of(&l.slot.key) == Some(name))
        {
            None => Ok(()),
            Some(l) => Err(StoreError::SecretNotRemoved {
                name: name.to_string(),
                location: self.location(&l.slot),
                reason: l.reason,
                how: self.manual_delete(&l.slot),
            }),
        }
    }

    /// Where secrets will go, for the Save screen before saving: e.g. "OS keychain (Secret
    /// Service)" or "file /home/u/.config/bbconnect/secrets/NAME#<id> (mode 0600): no OS
    /// keychain found (...)". May probe the keychain (bounded by the keychain timeout).
    pub fn secret_backend_note(&self) -> String {
        let kind = self.keychain.kind();
        let file = format!(
            "file {} (mode 0600)",
            secret_file::secret_path(&self.dir, "NAME#<id>").display()
        );
        match (self.mode, self.probe_keychain()) {
            (SecretStoreMode::File, _) => format!("{file}: BBCONNECT_SECRET_STORE=file"),
            (_, Ok(())) => format!("OS keychain ({kind})"),
            (SecretStoreMode::Auto, Err(reason)) => {
                format!("{file}: no OS keychain found ({reason})")
            }
            (SecretStoreMode::Keyring, Err(reason)) => format!(
                "none: BBCONNECT_SECRET_STORE=keyring requires the OS keychain ({kind}), which is not available ({reason})"
            ),
        }
    }

    /// Writes `all` over the connections file in place of `before`; when that fails the
    /// secrets `written` for it are deleted again, so nothing points at them nor they linger.
    fn commit_change(
        &self,
        before: &Entry,
        all: &[Entry],
        written: &[Slot],
    ) -> Result<(), StoreError> {
        let committed = self
            .index_keychain_slots(before)
            .and_then(|()| format::render(all))
            .and_then(|text| {
                fsutil::atomic_write_through_symlink(&self.config_file(), text.as_bytes())
            });
        if let Err(e) = committed {
            self.discard(written);
            return Err(e);
        }
        Ok(())
    }

    /// Starts a write of the connections file for connection `name`: the store's lock held,
    /// leftovers of killed runs swept, and the entries as they are under the lock.
    fn begin_write(&self, name: &str) -> Result<(lock::LockGuard, Vec<Entry>), StoreError> {
        validate_name(name)?;
        fsutil::ensure_dir(&self.dir, Kind::ConfigFolder)?;
        let guard = lock::acquire(&self.lock_file(), self.lock_wait)?;
        self.sweep_temp_files();
        let all = self.load()?;
        self.sweep_orphans(&all);
        Ok((guard, all))
    }

    /// [`Store::begin_write`] for a connection that must already be saved, with its index.
    fn begin_change(&self, name: &str) -> Result<(lock::LockGuard, Vec<Entry>, usize), StoreError> {
        let (guard, all) = self.begin_write(name)?;
        let Some(i) = all.iter().position(|e| e.name() == name) else {
            return Err(StoreError::NotFound {
                name: name.to_string(),
                file: self.config_file(),
            });
        };
        Ok((guard, all, i))
    }

    /// The entries of the connections file. The file and its folder are refused when others
    /// could write them: whoever can edit the URL can have your token sent to their host.
    fn load(&self) -> Result<Vec<Entry>, StoreError> {
        let path = self.config_file();
        perms::check_if_present(&self.dir, Kind::ConfigFolder)?;
        let text = match std::fs::File::open(&path) {
            Ok(mut file) => {
                let meta = file
                    .metadata()
                    .map_err(|e| fsutil::io_err("read the mode of", &path, e))?;
                perms::check(&path, &meta, Kind::ConnectionsFile)?;
                let mut text = String::new();
                match std::io::Read::read_to_string(&mut file, &mut text) {
                    Ok(_) => text,
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                        return Err(StoreError::Corrupt {
                            path,
                            detail: "not UTF-8 text".into(),
                        });
                    }
                    Err(e) => return Err(fsutil::io_err("read", &path, e)),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(fsutil::io_err("read", &path, e)),
        };
        format::parse(&path, &text)
    }

    /// The modes of every secret file (and its folders) the entries point at.
    fn check_secret_modes(&self, entries: &[Entry]) -> Result<(), StoreError> {
        for e in entries {
            for slot in std::iter::once(self.main_slot(e)).chain(self.webhook_slot(e)) {
                if slot.store != STORE_FILE {
                    continue;
                }
                let base = self.file_base(slot.role);
                if slot.role == Role::Webhook {
                    perms::check_if_present(&base, Kind::SecretsFolder)?;
                }
                perms::check_if_present(&secret_file::secrets_dir(&base), Kind::SecretsFolder)?;
                perms::check_if_present(&self.file_of(&slot), Kind::SecretFile)?;
            }
        }
        Ok(())
    }

    fn entry(&self, name: &str) -> Result<Entry, StoreError> {
        self.load()?
            .into_iter()
            .find(|e| e.name() == name)
            .ok_or_else(|| StoreError::NotFound {
                name: name.to_string(),
                file: self.config_file(),
            })
    }

    fn sweep_temp_files(&self) {
        fsutil::sweep_temp_files(&self.dir);
        for role in [Role::Connection, Role::Webhook] {
            fsutil::sweep_temp_files(&secret_file::secrets_dir(&self.file_base(role)));
        }
    }

    fn probe_keychain(&self) -> Result<(), String> {
        self.keychain_probe
            .get_or_init(|| {
                let kc = self.keychain.clone();
                match bounded(self.keychain_timeout, move || kc.probe()) {
                    Bounded::Done(r) => r.map_err(|f| f.reason().to_string()),
                    Bounded::TimedOut => Err(format!(
                        "it did not answer within {} s",
                        self.keychain_timeout.as_secs_f32()
                    )),
                }
            })
            .clone()
    }
}

/// Parses the text of a connections file as [`Store::list`] does, without touching the disk:
/// the entry point for fuzzing the parser and for tools that validate a file.
pub fn parse_connections(text: &str) -> Result<Vec<SavedConnection>, StoreError> {
    format::parse(Path::new("connections.toml"), text)
        .map(|v| v.into_iter().map(|e| e.conn).collect())
}

/// The platform's config dir (`BBCONNECT_CONFIG_DIR` is given to [`Store::open`] by `main`'s
/// `Settings`).
fn default_dir() -> Result<PathBuf, StoreError> {
    directories::ProjectDirs::from("", "", "bbconnect")
        .map(|p| p.config_dir().to_path_buf())
        .ok_or(StoreError::NoConfigDir)
}

#[cfg(test)]
mod tests;
