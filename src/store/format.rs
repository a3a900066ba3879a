//! The connections file, `connections.toml`: a `version` key and one `[[connection]]` table per
//! saved connection. Reading is strict about what it must trust (the version, names and secret
//! keys that become file names, known providers and auth types) and lenient about extra keys, so
//! a file from a later bbconnect of the same version still loads.
//!
//! Version 2 adds, per connection, the key its secret (and webhook secret) is stored under
//! (`generation.rs`). A version-1 file, or an entry without a key, is read as before: the secret
//! under the connection's name.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SavedConnection;
use super::error::StoreError;
use super::generation::{self, Role};

/// The schema version this build writes and the highest it reads. Version 2 records secret keys:
/// a version-1 bbconnect would look for the secret under the bare name and not find it, so it is
/// told to upgrade instead.
pub const FORMAT_VERSION: i64 = 2;

/// Where a secret can live, as written in `secret_store`.
pub(crate) const STORE_KEYRING: &str = "keyring";
pub(crate) const STORE_FILE: &str = "file";

const HEADER: &str = "# bbconnect saved connections. Secrets are never kept in this file:\n\
# each connection's `secret_store` says where its secret lives (OS keychain or a file in secrets/)\n\
# and `secret_key` under which key.\n";

/// Checks that `name` is safe as a file name and as a keychain account on every platform.
/// The rule is core's ([`crate::core::name::check`]), which the form and the CLI apply first.
pub fn validate_name(name: &str) -> Result<(), StoreError> {
    crate::core::name::check(name).map_err(|e| StoreError::InvalidName {
        name: name.to_string(),
        reason: e.reason(),
    })
}

#[derive(Deserialize)]
struct VersionProbe {
    version: Option<toml::Value>,
}

/// One `[[connection]]` table: the public fields, plus where its secrets are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    #[serde(flatten)]
    pub conn: SavedConnection,
    /// The key (keychain account and file name) of the connection's secret; `None` in files of
    /// the previous version: the secret is under the bare name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
    /// The key of the webhook's signing secret, when one is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret_key: Option<String>,
}

impl Entry {
    pub fn name(&self) -> &str {
        &self.conn.name
    }

    /// Saved before secret keys existed: secrets under the bare name (and `NAME#webhook`).
    pub fn is_legacy(&self) -> bool {
        self.secret_key.is_none()
    }
}

#[derive(Serialize, Deserialize)]
struct FileV2 {
    version: i64,
    #[serde(default, rename = "connection")]
    connections: Vec<Entry>,
}

/// Parses the text of `path`. Nothing here writes: a bad file is reported and left as it is.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Vec<Entry>, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    // The version is read on its own first: a newer file may not fit today's schema, and its
    // user must hear "upgrade", not "corrupt".
    let probe: VersionProbe =
        toml::from_str(text).map_err(|e| corrupt(format!("not valid TOML: {}", one_line(&e))))?;
    let version = match probe.version {
        None => return Err(corrupt("no `version` key".into())),
        Some(toml::Value::Integer(v)) => v,
        Some(other) => {
            return Err(corrupt(format!(
                "`version` is a {}, not a number",
                other.type_str()
            )));
        }
    };
    if version > FORMAT_VERSION {
        return Err(StoreError::NewerVersion {
            path: path.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version < 1 {
        return Err(corrupt(format!("unknown version {version}")));
    }
    let file: FileV2 = toml::from_str(text).map_err(|e| corrupt(one_line(&e)))?;
    let mut seen = HashSet::new();
    for (i, e) in file.connections.iter().enumerate() {
        let c = &e.conn;
        let at = format!("connection #{}", i + 1);
        validate_name(&c.name).map_err(|e| corrupt(format!("{at}: {}", e.what())))?;
        if !seen.insert(c.name.as_str()) {
            return Err(corrupt(format!(
                "{at}: the name `{}` is used twice",
                c.name
            )));
        }
        if c.auth.provider() != c.provider {
            return Err(corrupt(format!(
                "{at}: auth `{}` does not belong to provider `{}`",
                c.auth.cli_name(),
                c.provider.cli_name()
            )));
        }
        if c.secret_store != STORE_KEYRING && c.secret_store != STORE_FILE {
            return Err(corrupt(format!(
                "{at}: secret_store must be `keyring` or `file`, not `{}`",
                crate::core::sanitize::clean(&c.secret_store)
            )));
        }
        // Keys become file names: only the exact shape this build writes, for this name.
        for (key, role, field) in [
            (&e.secret_key, Role::Connection, "secret_key"),
            (&e.webhook_secret_key, Role::Webhook, "webhook_secret_key"),
        ] {
            if let Some(key) = key
                && !generation::is_generation_of(key, &c.name, role)
            {
                return Err(corrupt(format!(
                    "{at}: {field} `{}` is not a key of `{}`",
                    crate::core::sanitize::clean(key),
                    c.name
                )));
            }
        }
    }
    Ok(file.connections)
}

/// The text of a connections file holding `connections`.
pub(crate) fn render(connections: &[Entry]) -> Result<String, StoreError> {
    let file = FileV2 {
        version: FORMAT_VERSION,
        connections: connections.to_vec(),
    };
    // Serialising plain strings and enums cannot fail; if it ever does, say so rather than
    // write a partial file.
    let body = toml::to_string(&file).map_err(|e| StoreError::Corrupt {
        path: "connections.toml".into(),
        detail: format!("could not encode the connections: {e}"),
    })?;
    Ok(format!("{HEADER}{body}"))
}

/// toml's messages span several lines with a caret diagram; an error line needs one.
fn one_line(e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => format!("{msg} at byte {}", span.start),
        None => msg,
    }
}

/// serde for `Provider` and `AuthKind` by their command-line names, so the file reads like the
/// CLI (`auth = "api-token"`), whatever the enums' own serde names are.
pub(crate) mod cli_names {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::core::model::{AuthKind, Provider};

    pub fn ser_provider<S: Serializer>(p: &Provider, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(p.cli_name())
    }

    pub fn de_provider<'de, D: Deserializer<'de>>(d: D) -> Result<Provider, D::Error> {
        let name = String::deserialize(d)?;
        Provider::ALL
            .into_iter()
            .find(|p| p.cli_name() == name)
            .ok_or_else(|| D::Error::custom(format!("unknown provider `{name}`")))
    }

    pub fn ser_auth<S: Serializer>(a: &AuthKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(a.cli_name())
    }

    pub fn de_auth<'de, D: Deserializer<'de>>(d: D) -> Result<AuthKind, D::Error> {
        let name = String::deserialize(d)?;
        AuthKind::from_cli_name(&name)
            .ok_or_else(|| D::Error::custom(format!("unknown auth type `{name}`")))
    }
}
