//! Everything that can go wrong while keeping connections, each saying what happened and what
//! to do. Messages name files and connections, never a secret: a keychain's own error text is
//! reduced to its reason before it gets here (see `keychain.rs`).

use std::path::PathBuf;
use std::time::Duration;

use crate::core::model::{FailureClass, Problem};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A connection name that cannot be used (it also names a secret file).
    InvalidName { name: String, reason: &'static str },
    /// `save` without `replace` on a name that is taken.
    Duplicate { name: String, file: PathBuf },
    /// No connection of that name in the file.
    NotFound { name: String, file: PathBuf },
    /// No config directory: `directories` found no home and BBCONNECT_CONFIG_DIR is unset.
    NoConfigDir,
    /// BBCONNECT_SECRET_STORE holds something else than auto, keyring or file.
    BadSecretStoreMode { value: String },
    /// A file operation failed.
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The connections file is not valid: it is left untouched.
    Corrupt { path: PathBuf, detail: String },
    /// The connections file was written by a newer bbconnect: it is left untouched.
    NewerVersion {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// Another process holds the lock for longer than we wait.
    Locked { path: PathBuf, waited: Duration },
    /// BBCONNECT_SECRET_STORE=keyring but there is no usable keychain.
    KeychainUnavailable { kind: &'static str, reason: String },
    /// The keychain did not answer in time (locked and waiting on a prompt, or hung).
    KeychainTimeout {
        kind: &'static str,
        action: &'static str,
        waited: Duration,
    },
    /// The keychain answered with an error.
    Keychain {
        kind: &'static str,
        action: &'static str,
        name: String,
        reason: String,
    },
    /// A secret file or folder others could read or change, or a connections file or config
    /// folder others could write: refused, never used (see `perms.rs`).
    Exposed {
        kind: &'static str,
        path: PathBuf,
        problem: String,
        fix: String,
        /// Others could read the secret: it may have been copied already.
        may_be_copied: bool,
    },
    /// The connection exists but its secret is gone from where the file says it lives.
    SecretMissing { name: String, location: String },
    /// `remove` took the connection out of the file but its secret stayed behind.
    SecretNotRemoved {
        name: String,
        location: String,
        reason: String,
        how: String,
    },
}

impl StoreError {
    /// What happened, one sentence.
    pub fn what(&self) -> String {
        match self {
            StoreError::InvalidName { name, reason } => {
                format!("`{}` cannot be a connection name: {reason}.", shown(name))
            }
            StoreError::Duplicate { name, file } => format!(
                "A connection named `{}` already exists in {}.",
                shown(name),
                file.display()
            ),
            StoreError::NotFound { name, file } => format!(
                "No saved connection named `{}` in {}.",
                shown(name),
                file.display()
            ),
            StoreError::NoConfigDir => {
                "No configuration directory could be found for this user (no home directory?)."
                    .into()
            }
            StoreError::BadSecretStoreMode { value } => format!(
                "BBCONNECT_SECRET_STORE=`{}` is not one of auto, keyring, file.",
                shown(value)
            ),
            StoreError::Io {
                action,
                path,
                source,
            } => format!("Could not {action} {}: {source}.", path.display()),
            StoreError::Corrupt { path, detail } => format!(
                "{} is not a valid bbconnect connections file ({detail}); it was left untouched.",
                path.display()
            ),
            StoreError::NewerVersion {
                path,
                found,
                supported,
            } => format!(
                "{} was written by a newer bbconnect (file version {found}, this one reads up to {supported}); it was left untouched.",
                path.display()
            ),
            StoreError::Locked { path, waited } => format!(
                "Another bbconnect is changing the saved connections: the lock {} stayed held for {} s.",
                path.display(),
                waited.as_secs_f32().round()
            ),
            StoreError::KeychainUnavailable { kind, reason } => format!(
                "The OS keychain ({kind}) is not available ({reason}) and BBCONNECT_SECRET_STORE=keyring forbids the file fallback."
            ),
            StoreError::KeychainTimeout {
                kind,
                action,
                waited,
            } => format!(
                "The OS keychain ({kind}) did not answer within {} s while {action}.",
                waited.as_secs_f32()
            ),
            StoreError::Keychain {
                kind,
                action,
                name,
                reason,
            } => format!(
                "The OS keychain ({kind}) failed while {action} the secret of `{}`: {reason}.",
                shown(name)
            ),
            StoreError::Exposed {
                kind,
                path,
                problem,
                ..
            } => format!(
                "Refusing to use the {kind} {}: it is {problem}.",
                shown(&path.display().to_string())
            ),
            StoreError::SecretMissing { name, location } => format!(
                "The secret of connection `{}` is missing from {location}.",
                shown(name)
            ),
            StoreError::SecretNotRemoved {
                name,
                location,
                reason,
                ..
            } => format!(
                "Connection `{}` was removed, but its secret in {location} could not be deleted ({reason}).",
                shown(name)
            ),
        }
    }

    /// What to do about it, one sentence.
    pub fn fix(&self) -> String {
        match self {
            StoreError::InvalidName { .. } => {
                "Use 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit."
                    .into()
            }
            StoreError::Duplicate { .. } => {
                "Choose another name, replace it (`--replace`), or remove it first (`bbconnect remove NAME`).".into()
            }
            StoreError::NotFound { .. } => "Run `bbconnect list` to see the saved ones.".into(),
            StoreError::NoConfigDir => {
                "Set BBCONNECT_CONFIG_DIR to the directory where bbconnect should keep connections."
                    .into()
            }
            StoreError::BadSecretStoreMode { .. } => {
                "Unset it (auto) or set it to keyring or file.".into()
            }
            StoreError::Io { .. } => {
                "Check that the directory exists, that you own it and that the disk is not full, then run again (or set BBCONNECT_CONFIG_DIR elsewhere).".into()
            }
            StoreError::Corrupt { .. } => {
                "Repair it by hand or move it aside (bbconnect then starts a new one), and run again."
                    .into()
            }
            StoreError::NewerVersion { .. } => {
                "Upgrade bbconnect, or point BBCONNECT_CONFIG_DIR at another directory.".into()
            }
            StoreError::Locked { .. } => {
                "Wait for the other bbconnect to finish (or stop it), then run again.".into()
            }
            StoreError::KeychainUnavailable { .. } => {
                "Start a Secret Service (e.g. gnome-keyring) in your D-Bus session and unlock it, or set BBCONNECT_SECRET_STORE=auto or file to keep the secret in a file only you can read.".into()
            }
            StoreError::KeychainTimeout { .. } => {
                "Unlock the keychain (it may be waiting on a prompt) and run again, or set BBCONNECT_SECRET_STORE=file.".into()
            }
            StoreError::Keychain { .. } => {
                "Check that the keychain is unlocked and run again, or set BBCONNECT_SECRET_STORE=file.".into()
            }
            StoreError::Exposed {
                fix, may_be_copied, ..
            } => {
                let revoke = if *may_be_copied {
                    " Anyone who could read it may have copied the token: consider revoking it and saving a new one (`bbconnect connect --replace ...`)."
                } else {
                    ""
                };
                format!("Restrict it to yourself: `{fix}`, then run again.{revoke}")
            }
            StoreError::SecretMissing { name, .. } => format!(
                "Store it again: `bbconnect connect --name {} --replace ...` (or the wizard).",
                shown(name)
            ),
            StoreError::SecretNotRemoved { how, .. } => format!("Delete it by hand: {how}."),
        }
    }

    /// How a caller should classify it (exit code 2 for what the user typed, 1 otherwise).
    pub fn class(&self) -> FailureClass {
        match self {
            StoreError::InvalidName { .. }
            | StoreError::Duplicate { .. }
            | StoreError::NotFound { .. }
            | StoreError::BadSecretStoreMode { .. } => FailureClass::Input,
            _ => FailureClass::Other,
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.what(), self.fix())
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        Problem::new(e.class(), e.what(), e.fix())
    }
}

/// Names and env values come from the user or a hand-edited file: keep their control characters
/// off the terminal.
fn shown(text: &str) -> String {
    crate::core::sanitize::clean(text)
}
