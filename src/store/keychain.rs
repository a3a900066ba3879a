//! The OS keychain behind a small trait, so the store's fallback and timeout logic can be tested
//! with stand-ins (a keychain that is absent, one that hangs, one in memory) on any machine,
//! while `tests/store/keychain.rs` exercises the real Secret Service.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// The keychain service every bbconnect secret is filed under; the account is the secret's key
/// (`NAME#<id>`, or the bare name for secrets saved before keys existed).
pub const SERVICE: &str = "bbconnect";

/// How long any single keychain call may take before we give up on it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a keychain call failed, in words safe to show: never the secret, never raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeychainFailure {
    /// No keychain to talk to (no D-Bus session, no Secret Service, unsupported platform).
    Unavailable(String),
    /// A keychain is there but refused or failed the call.
    Failed(String),
}

impl KeychainFailure {
    pub fn reason(&self) -> &str {
        match self {
            KeychainFailure::Unavailable(r) | KeychainFailure::Failed(r) => r,
        }
    }
}

/// A place to keep secrets by account name. Calls may block; the store bounds each one with a
/// timeout on its own thread, so implementations need not.
pub trait Keychain: Send + Sync + 'static {
    /// The product's name for messages: "Secret Service", "macOS Keychain", ...
    fn kind(&self) -> &'static str;
    /// Ok when the keychain can be used at all.
    fn probe(&self) -> Result<(), KeychainFailure>;
    fn set(&self, account: &str, secret: &SecretString) -> Result<(), KeychainFailure>;
    /// `Ok(None)` when there is no entry for `account`.
    fn get(&self, account: &str) -> Result<Option<SecretString>, KeychainFailure>;
    /// Deleting an absent entry is not an error.
    fn delete(&self, account: &str) -> Result<(), KeychainFailure>;
}

/// The platform keychain through the `keyring` crate (Secret Service over pure-Rust D-Bus on
/// Linux, Keychain on macOS, Credential Manager on Windows).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeychain;

impl OsKeychain {
    fn entry(account: &str) -> Result<keyring::Entry, KeychainFailure> {
        keyring::Entry::new(SERVICE, account).map_err(|e| describe(&e, true))
    }
}

impl Keychain for OsKeychain {
    fn kind(&self) -> &'static str {
        if cfg!(target_os = "macos") {
            "macOS Keychain"
        } else if cfg!(windows) {
            "Windows Credential Manager"
        } else {
            "Secret Service"
        }
    }

    fn probe(&self) -> Result<(), KeychainFailure> {
        // The crate connects once per process and keeps the outcome; its error says why.
        match keyring::Entry::store_status() {
            Ok(()) => Ok(()),
            Err(e) => Err(KeychainFailure::Unavailable(reason_of(e))),
        }
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<(), KeychainFailure> {
        Self::entry(account)?
            .set_password(secret.expose_secret())
            .map_err(|e| describe(&e, false))
    }

    fn get(&self, account: &str) -> Result<Option<SecretString>, KeychainFailure> {
        match Self::entry(account)?.get_password() {
            Ok(s) => Ok(Some(SecretString::from(s))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(describe(&e, false)),
        }
    }

    fn delete(&self, account: &str) -> Result<(), KeychainFailure> {
        match Self::entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(describe(&e, false)),
        }
    }
}

fn describe(e: &keyring::Error, creating: bool) -> KeychainFailure {
    match e {
        keyring::Error::NoDefaultStore => {
            let why = match keyring::Entry::store_status() {
                Err(inner) => reason_of(inner),
                Ok(()) => "no default credential store".into(),
            };
            KeychainFailure::Unavailable(why)
        }
        _ if creating => KeychainFailure::Unavailable(reason_of(e)),
        _ => KeychainFailure::Failed(reason_of(e)),
    }
}

/// The keychain's reason in words. Variants carrying stored bytes are described, never printed:
/// those bytes are the secret.
fn reason_of(e: &keyring::Error) -> String {
    use keyring::Error as E;
    match e {
        E::PlatformFailure(inner) => format!("platform failure: {}", one_line(&inner.to_string())),
        E::NoStorageAccess(inner) => {
            format!("no access to the store: {}", one_line(&inner.to_string()))
        }
        E::NoEntry => "no such entry".into(),
        E::BadEncoding(_) => "the stored value is not UTF-8 text".into(),
        E::BadDataFormat(_, _) => "the stored value is not in the expected format".into(),
        E::BadStoreFormat(d) => format!("the store is malformed: {}", one_line(d)),
        E::TooLong(attr, limit) => format!("{attr} is longer than the store allows ({limit})"),
        E::Invalid(attr, why) => format!("{attr} is invalid: {}", one_line(why)),
        E::Ambiguous(found) => format!("{} matching entries", found.len()),
        E::NoDefaultStore => "no default credential store".into(),
        E::NotSupportedByStore(what) => format!("not supported: {}", one_line(what)),
        _ => "unknown keychain error".into(),
    }
}

fn one_line(text: &str) -> String {
    crate::core::sanitize::clean(text.trim())
}

/// Outcome of a call run under [`bounded`].
pub(crate) enum Bounded<T> {
    Done(T),
    TimedOut,
}

/// Runs `f` on its own thread and waits at most `timeout`. A hung keychain then costs us a
/// parked thread, not a hung program; the thread also keeps blocking D-Bus calls away from any
/// async runtime the caller is on.
pub(crate) fn bounded<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Bounded<T> {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("bbconnect-keychain".into())
        .spawn(move || {
            // The receiver may be gone after a timeout; nothing to do then.
            let _ = tx.send(f());
        });
    if spawned.is_err() {
        // No thread, no bounded call: treat it as a keychain that did not answer.
        return Bounded::TimedOut;
    }
    match rx.recv_timeout(timeout) {
        Ok(v) => Bounded::Done(v),
        Err(_) => Bounded::TimedOut,
    }
}

/// A keychain in memory, for tests of code that uses a [`crate::store::Store`].
#[derive(Debug, Default, Clone)]
pub struct MemoryKeychain {
    entries: Arc<Mutex<HashMap<String, String>>>,
}

impl MemoryKeychain {
    pub fn new() -> Self {
        Self::default()
    }

    /// The accounts it holds, sorted (tests look without exposing the values).
    pub fn accounts(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .entries
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Whether an entry exists for `account` (tests look without exposing the value).
    pub fn contains(&self, account: &str) -> bool {
        self.entries
            .lock()
            .map(|m| m.contains_key(account))
            .unwrap_or(false)
    }
}

impl Keychain for MemoryKeychain {
    fn kind(&self) -> &'static str {
        "in-memory keychain"
    }

    fn probe(&self) -> Result<(), KeychainFailure> {
        Ok(())
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<(), KeychainFailure> {
        let mut m = self
            .entries
            .lock()
            .map_err(|_| KeychainFailure::Failed("poisoned".into()))?;
        m.insert(account.to_string(), secret.expose_secret().to_string());
        Ok(())
    }

    fn get(&self, account: &str) -> Result<Option<SecretString>, KeychainFailure> {
        let m = self
            .entries
            .lock()
            .map_err(|_| KeychainFailure::Failed("poisoned".into()))?;
        Ok(m.get(account).map(|s| SecretString::from(s.clone())))
    }

    fn delete(&self, account: &str) -> Result<(), KeychainFailure> {
        let mut m = self
            .entries
            .lock()
            .map_err(|_| KeychainFailure::Failed("poisoned".into()))?;
        m.remove(account);
        Ok(())
    }
}

/// A keychain that is not there, like a headless Linux box without a D-Bus session.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoKeychain;

impl Keychain for NoKeychain {
    fn kind(&self) -> &'static str {
        "Secret Service"
    }

    fn probe(&self) -> Result<(), KeychainFailure> {
        Err(KeychainFailure::Unavailable("no D-Bus session bus".into()))
    }

    fn set(&self, _: &str, _: &SecretString) -> Result<(), KeychainFailure> {
        self.probe()
    }

    fn get(&self, _: &str) -> Result<Option<SecretString>, KeychainFailure> {
        Err(KeychainFailure::Unavailable("no D-Bus session bus".into()))
    }

    fn delete(&self, _: &str) -> Result<(), KeychainFailure> {
        self.probe()
    }
}
