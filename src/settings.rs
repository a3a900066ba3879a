//! Every environment variable bbconnect reads, read once by `main` ([`Settings::from_env`]) and
//! handed down; tests build a `Settings` directly (or from a map with [`Settings::from_lookup`])
//! instead of changing the process's environment, which other threads may be reading.
//!
//! Values are kept as given: a malformed one (`BBCONNECT_MAX_REPOS=lots`) is reported by the
//! command that uses it, so `bbconnect list` does not fail on a listing limit it never needs.
//!
//! Not here: `RUST_BACKTRACE` (the panic hook reads it when a panic happens), the display and
//! SSH variables the browser opener looks at (`os::browser::env`), and the variable named
//! by `connect --webhook-secret-env VAR` (a name the user picks at run time).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;

use crate::bitbucket::Endpoints;
use crate::bitbucket::proxy::ProxyEnv;
use crate::core::model::{FailureClass, Problem};
use crate::store::{NoKeychain, SecretStoreMode, Store, StoreError};

pub const CONFIG_DIR: &str = "BBCONNECT_CONFIG_DIR";
pub const SECRET_STORE: &str = "BBCONNECT_SECRET_STORE";
pub const CLOUD_API_URL: &str = "BBCONNECT_CLOUD_API_URL";
pub const CLOUD_WEB_URL: &str = "BBCONNECT_CLOUD_WEB_URL";
pub const TOKEN: &str = "BBCONNECT_TOKEN";
pub const OAUTH_KEY: &str = "BBCONNECT_OAUTH_KEY";
pub const OAUTH_SECRET: &str = "BBCONNECT_OAUTH_SECRET";
pub const CONCURRENCY: &str = "BBCONNECT_CONCURRENCY";
pub const MAX_REPOS: &str = crate::bitbucket::MAX_REPOS_ENV;
pub const MAX_PAGES: &str = crate::bitbucket::MAX_PAGES_ENV;
pub const CA_FILE: &str = "BBCONNECT_CA_FILE";
pub const GIT_CONNECTION: &str = "BBCONNECT_GIT_CONNECTION";
/// Days before a credential's expiry that `check` starts warning (default 14).
pub const EXPIRY_WARN_DAYS: &str = "BBCONNECT_EXPIRY_WARN_DAYS";
/// Set (to anything but `0` or `false`), `connect` and `check` ask the check's probes one
/// after another, as the check once did: for the round-trip bench's comparison.
pub const SEQUENTIAL_CHECK: &str = "BBCONNECT_SEQUENTIAL_CHECK";

/// What the environment says, once. `Debug` is safe: the secrets are `SecretString`s and
/// the proxies' `Debug` hides their credentials.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `BBCONNECT_CONFIG_DIR`: where connections live (else the platform's config dir).
    pub config_dir: Option<PathBuf>,
    /// `BBCONNECT_SECRET_STORE`, as given (`auto`, `keychain`, `file`).
    pub secret_store: Option<String>,
    /// `BBCONNECT_CLOUD_API_URL` and `BBCONNECT_CLOUD_WEB_URL` (else bitbucket.org's).
    pub endpoints: Endpoints,
    /// `BBCONNECT_TOKEN`: the secret for `connect` when it is not piped in.
    pub token: Option<SecretString>,
    /// `BBCONNECT_OAUTH_KEY` / `BBCONNECT_OAUTH_SECRET`: the OAuth consumer, trimmed.
    pub oauth_key: Option<String>,
    pub oauth_secret: Option<SecretString>,
    /// `BBCONNECT_CONCURRENCY`, `BBCONNECT_MAX_REPOS`, `BBCONNECT_MAX_PAGES`, trimmed; checked
    /// where used (`cli::concurrency`, `cli::limits`).
    pub concurrency: Option<String>,
    pub max_repos: Option<String>,
    pub max_pages: Option<String>,
    /// `BBCONNECT_CA_FILE`: CA certificates every connection trusts.
    pub ca_file: Option<String>,
    /// `BBCONNECT_GIT_CONNECTION`: set by `bbconnect clone` for the helper it runs git with.
    pub git_connection: Option<String>,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` (either case).
    pub proxies: ProxyEnv,
    /// `NO_COLOR` set and not empty.
    pub no_color: bool,
    /// `RUST_LOG` set and not empty: log to the file at that level.
    pub rust_log: Option<String>,
    /// `BBCONNECT_SEQUENTIAL_CHECK`: today's one-probe-at-a-time order, kept for the round-trip
    /// bench's comparison.
    pub sequential_check: bool,
    /// `BBCONNECT_EXPIRY_WARN_DAYS`, trimmed; checked where used ([`Settings::expiry_warn_days`]).
    pub expiry_warn_days: Option<String>,
}

impl Settings {
    /// The process's environment. Call once, in `main`.
    pub fn from_env() -> Settings {
        Settings::from_lookup(|k| std::env::var_os(k))
    }

    /// The environment as `lookup` gives it (a test's map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Settings {
        let raw = |k: &str| lookup(k).map(|v| v.to_string_lossy().into_owned());
        // A set, non-empty value, trimmed (an empty variable is the same as none).
        let value = |k: &str| {
            raw(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let url = |k: &str, default: &str| {
            value(k)
                .map(|v| v.trim_end_matches('/').to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        let defaults = Endpoints::default();
        Settings {
            config_dir: lookup(CONFIG_DIR)
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            secret_store: raw(SECRET_STORE),
            endpoints: Endpoints {
                cloud_api: url(CLOUD_API_URL, &defaults.cloud_api),
                cloud_web: url(CLOUD_WEB_URL, &defaults.cloud_web),
            },
            // Not trimmed: `connect` strips only the line ending a pipe adds, as for stdin.
            token: lookup(TOKEN)
                .and_then(|v| v.into_string().ok())
                .map(SecretString::from),
            sequential_check: value(SEQUENTIAL_CHECK)
                .is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false")),
            oauth_key: value(OAUTH_KEY),
            oauth_secret: value(OAUTH_SECRET).map(SecretString::from),
            concurrency: value(CONCURRENCY),
            expiry_warn_days: value(EXPIRY_WARN_DAYS),
            max_repos: value(MAX_REPOS),
            max_pages: value(MAX_PAGES),
            ca_file: value(CA_FILE),
            git_connection: value(GIT_CONNECTION),
            proxies: ProxyEnv::from_lookup(|k| lookup(k).and_then(|v| v.into_string().ok())),
            no_color: lookup("NO_COLOR").is_some_and(|v| !v.is_empty()),
            rust_log: raw("RUST_LOG").filter(|v| !v.is_empty()),
        }
    }

    /// The expiry warning window in days: `BBCONNECT_EXPIRY_WARN_DAYS`, else 14. A value that
    /// is not a number of days is an input error, reported by the command that needs it.
    pub fn expiry_warn_days(&self) -> Result<i64, Problem> {
        match &self.expiry_warn_days {
            None => Ok(crate::core::expiry::DEFAULT_WARN_DAYS),
            Some(text) => crate::core::expiry::parse_warn_days(text).map_err(|what| {
                Problem::new(
                    FailureClass::Input,
                    format!("{what}."),
                    format!(
                        "Set {EXPIRY_WARN_DAYS} to a whole number of days, e.g. 14, or unset it."
                    ),
                )
            }),
        }
    }

    /// The store these settings name: `BBCONNECT_CONFIG_DIR` in the mode of
    /// `BBCONNECT_SECRET_STORE` (a mode that is not one is an input error).
    pub fn open_store(&self) -> Result<Store, StoreError> {
        Store::open(self.config_dir.clone(), self.secret_store_mode()?)
    }

    /// [`Settings::open_store`] for a process that never asks the OS keychain: a secret kept
    /// there reads as a keychain failure. The git helper's own binary opens the store so, and
    /// hands anything it cannot answer to `bbconnect git-credential`.
    pub fn open_store_without_keychain(&self) -> Result<Store, StoreError> {
        let mode = self.secret_store_mode()?;
        Store::open_with_keychain(self.config_dir.clone(), mode, Arc::new(NoKeychain))
    }

    fn secret_store_mode(&self) -> Result<SecretStoreMode, StoreError> {
        match &self.secret_store {
            Some(v) => SecretStoreMode::parse(v),
            None => Ok(SecretStoreMode::Auto),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn from(vars: &[(&str, &str)]) -> Settings {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Settings::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn nothing_set_means_the_defaults() {
        let s = from(&[]);
        assert_eq!(s.endpoints, Endpoints::default());
        assert!(s.config_dir.is_none() && s.secret_store.is_none() && s.token.is_none());
        assert!(s.oauth_key.is_none() && s.concurrency.is_none() && s.ca_file.is_none());
        assert!(!s.no_color);
        assert!(s.rust_log.is_none());
        assert_eq!(s.expiry_warn_days(), Ok(14));
        assert_eq!(s.proxies, ProxyEnv::default());
    }

    #[test]
    fn each_variable_lands_in_its_field() {
        let s = from(&[
            (CONFIG_DIR, "/tmp/bb"),
            (SECRET_STORE, "file"),
            (CLOUD_API_URL, " http://127.0.0.1:1/2.0/ "),
            (CLOUD_WEB_URL, "http://127.0.0.1:1/"),
            (TOKEN, "test-token-x\n"),
            (OAUTH_KEY, " key "),
            (OAUTH_SECRET, " test-secret "),
            (CONCURRENCY, " 4 "),
            (MAX_REPOS, "10"),
            (MAX_PAGES, "2"),
            (CA_FILE, "/tmp/ca.pem"),
            (EXPIRY_WARN_DAYS, " 30 "),
            (GIT_CONNECTION, "ci"),
            ("HTTPS_PROXY", "http://proxy.test:3128"),
            ("NO_COLOR", "1"),
            ("RUST_LOG", "debug"),
        ]);
        assert_eq!(s.config_dir, Some(PathBuf::from("/tmp/bb")));
        assert_eq!(s.secret_store.as_deref(), Some("file"));
        assert_eq!(s.endpoints.cloud_api, "http://127.0.0.1:1/2.0");
        assert_eq!(s.endpoints.cloud_web, "http://127.0.0.1:1");
        assert_eq!(
            s.token.as_ref().map(|t| t.expose_secret().to_string()),
            Some("test-token-x\n".to_string())
        );
        assert_eq!(s.oauth_key.as_deref(), Some("key"));
        assert_eq!(
            s.oauth_secret
                .as_ref()
                .map(|t| t.expose_secret().to_string()),
            Some("test-secret".to_string())
        );
        assert_eq!(s.concurrency.as_deref(), Some("4"));
        assert_eq!(s.max_repos.as_deref(), Some("10"));
        assert_eq!(s.max_pages.as_deref(), Some("2"));
        assert_eq!(s.ca_file.as_deref(), Some("/tmp/ca.pem"));
        assert_eq!(s.expiry_warn_days(), Ok(30));
        assert_eq!(s.git_connection.as_deref(), Some("ci"));
        assert_eq!(s.proxies.https.as_deref(), Some("http://proxy.test:3128"));
        assert!(s.no_color);
        assert_eq!(s.rust_log.as_deref(), Some("debug"));
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("test-token-x") && !shown.contains("test-secret"),
            "{shown}"
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let s = from(&[
            (CONFIG_DIR, ""),
            (CLOUD_API_URL, "  "),
            (OAUTH_KEY, " "),
            (CA_FILE, ""),
            ("NO_COLOR", ""),
            ("RUST_LOG", ""),
        ]);
        assert!(s.config_dir.is_none() && s.oauth_key.is_none() && s.ca_file.is_none());
        assert_eq!(s.endpoints, Endpoints::default());
        assert!(!s.no_color && s.rust_log.is_none());
    }

    #[test]
    fn a_warning_window_that_is_not_days_is_an_input_error() {
        let err = from(&[(EXPIRY_WARN_DAYS, "soon")])
            .expiry_warn_days()
            .expect_err("not days");
        assert_eq!(err.class, FailureClass::Input);
        assert!(err.what.contains("soon") && err.fix.contains(EXPIRY_WARN_DAYS));
    }

    // Here rather than in tests/store, which would have to set the process's variables: the store opens
    // the directory and mode the settings name, and a mode that is not one is an input error.
    #[test]
    fn the_store_is_the_one_the_settings_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dir_text = dir.path().to_string_lossy().into_owned();
        let store = from(&[(CONFIG_DIR, &dir_text), (SECRET_STORE, "file")])
            .open_store()
            .expect("opens");
        assert_eq!(store.dir(), dir.path());
        assert_eq!(store.mode(), SecretStoreMode::File);
        assert_eq!(store.config_file(), dir.path().join("connections.toml"));
        let err = from(&[(CONFIG_DIR, &dir_text), (SECRET_STORE, "vault")])
            .open_store()
            .expect_err("bad mode");
        assert_eq!(Problem::from(err).class, FailureClass::Input);
    }
}
