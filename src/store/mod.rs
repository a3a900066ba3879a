//! Saved connections and their secrets.
//!
//! Connections live in `<dir>/connections.toml` (versioned, written atomically, one writer at a
//! time under `<dir>/.lock`). Secrets never go in that file: they go to the OS keychain
//! (service `bbconnect`, account = connection name) or, where there is none, to
//! `<dir>/secrets/<name>` (0600 in a 0700 directory). `secret_store` in each entry records which.
//! A webhook's signing secret, when there is one, goes to the same backend (`webhook_secret.rs`).
//!
//! Calls block (file IO, keychain calls of up to [`keychain::DEFAULT_TIMEOUT`] each): from async
//! code, run them in `tokio::task::spawn_blocking`.

mod error;
mod format;
mod fsutil;
pub mod keychain;
mod lock;
mod secret_file;
mod webhook_secret;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::bitbucket::model::{AuthKind, Provider, SavedInfo};

pub use error::StoreError;
pub use format::{FORMAT_VERSION, validate_name};
pub use keychain::{Keychain, KeychainFailure, MemoryKeychain, NoKeychain, OsKeychain};

use format::{STORE_FILE, STORE_KEYRING};
use keychain::{Bounded, bounded};

/// How long a writer waits for another one before giving up with [`StoreError::Locked`].
const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The identity the server reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The chosen repository's full name (`ws/slug` or `KEY/slug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clone_https: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clone_ssh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// `keyring` or `file`: where the secret lives. Set by [`Store::save`].
    pub secret_store: String,
    /// RFC 3339 UTC, given by the caller.
    pub saved_at: String,
    /// The outcome of the last check (`status`, the wizard's re-check); absent in files
    /// written before it existed, and until a connection is checked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<LastCheck>,
}

/// What the last check of a saved connection found, for the list of saved connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCheck {
    pub ok: bool,
    /// RFC 3339 UTC.
    pub at: String,
    /// One line: "all checks passed" or the first failed check and what it found.
    pub summary: String,
}

/// The saved connections of one config directory.
pub struct Store {
    dir: PathBuf,
    mode: SecretStoreMode,
    keychain: Arc<dyn Keychain>,
    keychain_timeout: Duration,
    lock_wait: Duration,
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

/// Where a secret went during a save, and how to put things back if the save fails later.
struct Placement {
    store: &'static str,
    /// Set when Auto mode fell back to the file: the reason, for the user.
    fallback_reason: Option<String>,
    /// What the backend held for this name before, to restore on failure.
    previous: Option<SecretString>,
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
            keychain_probe: OnceLock::new(),
        })
    }

    /// The store of `BBCONNECT_CONFIG_DIR` (or the default dir) in the mode of
    /// `BBCONNECT_SECRET_STORE`.
    pub fn from_env() -> Result<Store, StoreError> {
        let mode = match std::env::var("BBCONNECT_SECRET_STORE") {
            Ok(v) => SecretStoreMode::parse(&v)?,
            Err(std::env::VarError::NotPresent) => SecretStoreMode::Auto,
            Err(std::env::VarError::NotUnicode(v)) => {
                return Err(StoreError::BadSecretStoreMode {
                    value: v.to_string_lossy().into_owned(),
                });
            }
        };
        Self::open(None, mode)
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

    /// The file a connection's secret goes to when it is not in the keychain.
    pub fn secret_file(&self, name: &str) -> PathBuf {
        secret_file::secret_path(&self.dir, name)
    }

    /// Every saved connection, in file order. A missing file is an empty list.
    pub fn list(&self) -> Result<Vec<SavedConnection>, StoreError> {
        self.load()
    }

    pub fn get(&self, name: &str) -> Result<Option<SavedConnection>, StoreError> {
        Ok(self.load()?.into_iter().find(|c| c.name == name))
    }

    /// Saves `conn` and its secret. The secret goes first, then the file; if the file cannot
    /// be written the secret is put back as it was, so a failed save leaves nothing behind.
    /// `conn.secret_store` is overwritten with where the secret really went.
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

    /// `save` with the config file writer passed in, so tests can make it fail after the
    /// secret is written.
    fn save_with(
        &self,
        mut conn: SavedConnection,
        secret: &SecretString,
        replace: bool,
        write_config: &ConfigWriter,
    ) -> Result<SavedInfo, StoreError> {
        validate_name(&conn.name)?;
        fsutil::ensure_private_dir(&self.dir, false)?;
        let _lock = lock::acquire(&self.lock_file(), self.lock_wait)?;
        self.sweep_temp_files();
        let mut all = self.load()?;
        let existing = all.iter().position(|c| c.name == conn.name);
        if existing.is_some() && !replace {
            return Err(StoreError::Duplicate {
                name: conn.name,
                file: self.config_file(),
            });
        }
        let before = existing.map(|i| all[i].clone());

        // The keychain is shared by every config dir; an entry we did not write is not ours
        // to overwrite.
        let ours_in_keychain = before
            .as_ref()
            .is_some_and(|b| b.secret_store == STORE_KEYRING);
        let placed = self.place_secret(&conn.name, secret, ours_in_keychain)?;
        conn.secret_store = placed.store.to_string();
        match existing {
            Some(i) => all[i] = conn.clone(),
            None => all.push(conn.clone()),
        }
        let written = format::render(&all)
            .and_then(|text| write_config(&self.config_file(), text.as_bytes()));
        if let Err(e) = written {
            self.undo_secret(&conn.name, placed);
            return Err(e);
        }

        // The old secret stays where it was when the new one went elsewhere; drop it now that
        // the file points at the new one.
        if let Some(before) = before
            && before.secret_store != conn.secret_store
            && let Err(e) = self.delete_secret(&before)
        {
            tracing::warn!(connection = %conn.name, error = %e, "old secret left behind");
        }

        let secret_location = match placed.fallback_reason.as_deref() {
            Some(reason) => format!(
                "{}: no usable OS keychain ({reason})",
                self.location(&conn.name, placed.store)
            ),
            None => self.location(&conn.name, placed.store),
        };
        Ok(SavedInfo {
            name: conn.name,
            config_file: self.config_file().display().to_string(),
            secret_location,
            clone_https: conn.clone_https,
        })
    }

    /// The secret of connection `name`, from wherever the file says it lives.
    pub fn secret(&self, name: &str) -> Result<SecretString, StoreError> {
        let conn = self.get(name)?.ok_or_else(|| StoreError::NotFound {
            name: name.to_string(),
            file: self.config_file(),
        })?;
        let found = if conn.secret_store == STORE_KEYRING {
            let kc = self.keychain.clone();
            let account = conn.name.clone();
            match bounded(self.keychain_timeout, move || kc.get(&account)) {
                Bounded::Done(Ok(found)) => found,
                Bounded::Done(Err(f)) => return Err(self.keychain_error("reading", name, &f)),
                Bounded::TimedOut => return Err(self.keychain_timeout("reading a secret")),
            }
        } else {
            secret_file::read(&self.dir, &conn.name)?
        };
        found.ok_or_else(|| StoreError::SecretMissing {
            name: conn.name.clone(),
            location: self.location(&conn.name, self.store_name(&conn.secret_store)),
        })
    }

    /// Removes connection `name` and its secret. The file is rewritten first: if the secret
    /// then cannot be deleted, the error says where it is and how to delete it by hand.
    /// Records a check's outcome on connection `name`, leaving everything else as it is.
    pub fn record_check(&self, name: &str, check: LastCheck) -> Result<(), StoreError> {
        fsutil::ensure_private_dir(&self.dir, false)?;
        let _lock = lock::acquire(&self.lock_file(), self.lock_wait)?;
        let mut all = self.load()?;
        let Some(conn) = all.iter_mut().find(|c| c.name == name) else {
            return Err(StoreError::NotFound {
                name: name.to_string(),
                file: self.config_file(),
            });
        };
        conn.last_check = Some(check);
        fsutil::atomic_write_through_symlink(&self.config_file(), format::render(&all)?.as_bytes())
    }

    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        fsutil::ensure_private_dir(&self.dir, false)?;
        let _lock = lock::acquire(&self.lock_file(), self.lock_wait)?;
        self.sweep_temp_files();
        let mut all = self.load()?;
        let Some(i) = all.iter().position(|c| c.name == name) else {
            return Err(StoreError::NotFound {
                name: name.to_string(),
                file: self.config_file(),
            });
        };
        let gone = all.remove(i);
        fsutil::atomic_write_through_symlink(
            &self.config_file(),
            format::render(&all)?.as_bytes(),
        )?;
        let own = self.delete_secret(&gone);
        let hook = self.delete_webhook_secret(&gone);
        own.and(hook)
    }

    /// Where secrets will go, for the Save screen before saving: e.g. "OS keychain (Secret
    /// Service)" or "file /home/u/.config/bbconnect/secrets/NAME (mode 0600): no OS keychain
    /// found (...)". May probe the keychain (bounded by the keychain timeout).
    pub fn secret_backend_note(&self) -> String {
        let kind = self.keychain.kind();
        let file = format!("file {} (mode 0600)", self.secret_file("NAME").display());
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

    fn load(&self) -> Result<Vec<SavedConnection>, StoreError> {
        let path = self.config_file();
        match std::fs::read_to_string(&path) {
            Ok(text) => format::parse(&path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(StoreError::Corrupt {
                path,
                detail: "not UTF-8 text".into(),
            }),
            Err(e) => Err(fsutil::io_err("read", &path, e)),
        }
    }

    fn sweep_temp_files(&self) {
        fsutil::sweep_temp_files(&self.dir);
        fsutil::sweep_temp_files(&secret_file::secrets_dir(&self.dir));
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

    /// Writes the secret to the backend the mode calls for, remembering what was there before.
    fn place_secret(
        &self,
        name: &str,
        secret: &SecretString,
        ours_in_keychain: bool,
    ) -> Result<Placement, StoreError> {
        let kind = self.keychain.kind();
        if self.mode == SecretStoreMode::File {
            return self.place_in_file(name, secret, None);
        }
        let failure = match self.probe_keychain() {
            Err(reason) => reason,
            Ok(()) => match self.place_in_keychain(name, secret, ours_in_keychain) {
                Ok(p) => return Ok(p),
                Err(e) if self.mode == SecretStoreMode::Keyring => return Err(e),
                Err(StoreError::Keychain { reason, .. }) => reason,
                Err(StoreError::KeychainNameTaken { .. }) => format!(
                    "it already holds a secret for `{name}` that another bbconnect config directory saved"
                ),
                Err(StoreError::KeychainTimeout { waited, .. }) => {
                    format!("it did not answer within {} s", waited.as_secs_f32())
                }
                Err(e) => e.what(),
            },
        };
        if self.mode == SecretStoreMode::Keyring {
            return Err(StoreError::KeychainUnavailable {
                kind,
                reason: failure,
            });
        }
        tracing::warn!(connection = %name, reason = %failure, "no usable OS keychain: secret goes to a 0600 file");
        self.place_in_file(name, secret, Some(failure))
    }

    fn place_in_file(
        &self,
        name: &str,
        secret: &SecretString,
        fallback_reason: Option<String>,
    ) -> Result<Placement, StoreError> {
        // An unreadable old secret is not worth failing the save for: it is being replaced.
        let previous = secret_file::read(&self.dir, name).ok().flatten();
        secret_file::write(&self.dir, name, secret)?;
        Ok(Placement {
            store: STORE_FILE,
            fallback_reason,
            previous,
        })
    }

    fn place_in_keychain(
        &self,
        name: &str,
        secret: &SecretString,
        ours_in_keychain: bool,
    ) -> Result<Placement, StoreError> {
        let kc = self.keychain.clone();
        let account = name.to_string();
        let secret = secret.clone();
        let outcome = bounded(self.keychain_timeout, move || {
            let previous = kc.get(&account).ok().flatten();
            if previous.is_some() && !ours_in_keychain {
                return Ok(Err(()));
            }
            kc.set(&account, &secret).map(|()| Ok(previous))
        });
        match outcome {
            Bounded::Done(Ok(Err(()))) => Err(StoreError::KeychainNameTaken {
                kind: self.keychain.kind(),
                name: name.to_string(),
                how: self.manual_delete(name, STORE_KEYRING),
            }),
            Bounded::Done(Ok(Ok(previous))) => Ok(Placement {
                store: STORE_KEYRING,
                fallback_reason: None,
                previous,
            }),
            Bounded::Done(Err(f)) => Err(self.keychain_error("storing", name, &f)),
            Bounded::TimedOut => Err(self.keychain_timeout("storing a secret")),
        }
    }

    /// Puts back what the backend held before a failed save (or deletes the new secret).
    fn undo_secret(&self, name: &str, placed: Placement) {
        let undone = if placed.store == STORE_KEYRING {
            let kc = self.keychain.clone();
            let account = name.to_string();
            match bounded(self.keychain_timeout, move || match placed.previous {
                Some(old) => kc.set(&account, &old),
                None => kc.delete(&account),
            }) {
                Bounded::Done(r) => r.map_err(|f| f.reason().to_string()),
                Bounded::TimedOut => Err("the keychain did not answer".into()),
            }
        } else {
            match placed.previous {
                Some(old) => secret_file::write(&self.dir, name, &old),
                None => secret_file::delete(&self.dir, name).map(|_| ()),
            }
            .map_err(|e| e.what())
        };
        if let Err(reason) = undone {
            tracing::error!(connection = %name, %reason, "could not roll back the secret of a failed save");
        }
    }

    fn delete_secret(&self, conn: &SavedConnection) -> Result<(), StoreError> {
        let store = self.store_name(&conn.secret_store);
        let failed = |reason: String| StoreError::SecretNotRemoved {
            name: conn.name.clone(),
            location: self.location(&conn.name, store),
            reason,
            how: self.manual_delete(&conn.name, store),
        };
        if store == STORE_KEYRING {
            let kc = self.keychain.clone();
            let account = conn.name.clone();
            match bounded(self.keychain_timeout, move || kc.delete(&account)) {
                Bounded::Done(Ok(())) => Ok(()),
                Bounded::Done(Err(f)) => Err(failed(f.reason().to_string())),
                Bounded::TimedOut => Err(failed(format!(
                    "the keychain did not answer within {} s",
                    self.keychain_timeout.as_secs_f32()
                ))),
            }
        } else {
            secret_file::delete(&self.dir, &conn.name)
                .map(|_| ())
                .map_err(|e| failed(e.what()))
        }
    }

    fn store_name(&self, secret_store: &str) -> &'static str {
        if secret_store == STORE_KEYRING {
            STORE_KEYRING
        } else {
            STORE_FILE
        }
    }

    fn location(&self, name: &str, store: &str) -> String {
        if store == STORE_KEYRING {
            format!(
                "OS keychain ({}), service \"{}\", account \"{name}\"",
                self.keychain.kind(),
                keychain::SERVICE
            )
        } else {
            format!("file {} (mode 0600)", self.secret_file(name).display())
        }
    }

    fn manual_delete(&self, name: &str, store: &str) -> String {
        if store != STORE_KEYRING {
            return format!("rm {}", self.secret_file(name).display());
        }
        if cfg!(target_os = "macos") {
            format!(
                "security delete-generic-password -s {} -a {name}",
                keychain::SERVICE
            )
        } else if cfg!(windows) {
            format!(
                "remove `{name}.{}` in Credential Manager",
                keychain::SERVICE
            )
        } else {
            format!(
                "secret-tool clear service {} username {name}",
                keychain::SERVICE
            )
        }
    }

    fn keychain_error(&self, action: &'static str, name: &str, f: &KeychainFailure) -> StoreError {
        StoreError::Keychain {
            kind: self.keychain.kind(),
            action,
            name: name.to_string(),
            reason: f.reason().to_string(),
        }
    }

    fn keychain_timeout(&self, action: &'static str) -> StoreError {
        StoreError::KeychainTimeout {
            kind: self.keychain.kind(),
            action,
            waited: self.keychain_timeout,
        }
    }
}

/// Parses the text of a connections file as [`Store::list`] does, without touching the disk:
/// the entry point for fuzzing the parser and for tools that validate a file.
pub fn parse_connections(text: &str) -> Result<Vec<SavedConnection>, StoreError> {
    format::parse(Path::new("connections.toml"), text)
}

/// `BBCONNECT_CONFIG_DIR` when set and not empty, else the platform's config dir.
fn default_dir() -> Result<PathBuf, StoreError> {
    if let Some(d) = std::env::var_os("BBCONNECT_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "bbconnect")
        .map(|p| p.config_dir().to_path_buf())
        .ok_or(StoreError::NoConfigDir)
}

#[cfg(test)]
mod tests;
