//! The one save path both faces use: the connection, what it trusts (the pin and the
//! certificate's PEM), its secret (an OAuth grant as the stored secret) and its webhook's
//! signing secret. The connection and the webhook secret go in one store commit, so a failure
//! to store either leaves nothing half-saved and running the same command again starts clean.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::core::cert::TlsTrust;
use crate::core::model::{ConnectionSpec, OAuthGrant, Problem, Repo, SavedInfo};
use crate::store::Store;

/// The webhook a connection keeps: the hook made on the repository, and the secret it signs
/// deliveries with (none: keep the one stored before, if any).
#[derive(Debug, Clone, Copy)]
pub struct HookToSave<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub secret: Option<&'a SecretString>,
}

/// Everything a verified connection saves, as both faces hold it.
#[derive(Debug, Clone, Copy)]
pub struct SaveRequest<'a> {
    pub spec: &'a ConnectionSpec,
    /// The credential the checks passed with; replaced by the grant for OAuth.
    pub secret: &'a SecretString,
    /// OAuth keeps its tokens and consumer secret as the one secret, so `check` can refresh.
    pub oauth: Option<&'a OAuthGrant>,
    /// The identity the server reported.
    pub user: Option<&'a str>,
    pub repo: Option<&'a Repo>,
    /// The CA file and pin the checks trusted; saved when not empty.
    pub trust: &'a TlsTrust,
    /// The pinned certificate itself, when it is at hand: written as PEM for people to read.
    pub cert_der: Option<&'a [u8]>,
    pub webhook: Option<HookToSave<'a>>,
    pub replace: bool,
    /// The SSH route made and proven for this connection.
    pub ssh: Option<&'a crate::core::ssh::SshRoute>,
    /// The day the credential stops working, when known (typed, or read from the server).
    pub expires_on: Option<jiff::civil::Date>,
}

/// What was saved and where.
#[derive(Debug, Clone)]
pub struct Saved {
    pub info: SavedInfo,
    /// The PEM of the pinned certificate, when it was written.
    pub cert_file: Option<PathBuf>,
    /// Where the webhook secret given in the request went.
    pub webhook_secret_location: Option<String>,
}

/// Saves a verified connection. Blocks (file IO, keychain): from async code, run it in
/// `spawn_blocking`.
pub fn save(store: &Store, req: &SaveRequest<'_>) -> Result<Saved, Problem> {
    let mut conn = super::saved_connection(
        req.spec,
        req.user.map(str::to_string),
        req.repo,
        super::now_rfc3339(),
    );
    let mut ca_file = None;
    if !req.trust.is_empty() {
        let mut trust = req.trust.clone();
        if let Some(given) = &trust.ca_file {
            let kept = keep_ca_copy(store, &req.spec.name, given);
            ca_file = Some(PathBuf::from(&kept));
            trust.ca_file = Some(kept);
        }
        conn.tls = Some(trust);
    }
    conn.ssh = req.ssh.cloned();
    conn.expires_on = req.expires_on;
    if let Some(hook) = &req.webhook {
        conn.webhook_id = Some(hook.id.to_string());
        conn.webhook_url = Some(hook.url.to_string());
    }
    let secret = match req.oauth {
        Some(grant) => grant.to_stored(),
        None => req.secret.clone(),
    };
    let hook_secret = req.webhook.and_then(|h| h.secret);
    let (info, webhook_secret_location) = store
        .save_with_webhook_secret(conn, &secret, hook_secret, req.replace)
        .map_err(Problem::from)?;
    // The PEM is for people to inspect; the pin (saved above) is what is enforced, so a
    // failure to write it is logged, not fatal.
    let cert_file = match req.cert_der {
        None => None,
        Some(der) => match super::save_cert_pem(store, &info.name, der) {
            Ok(path) => Some(path),
            Err(e) => {
                tracing::warn!(
                    "the trusted certificate's PEM was not written: {}",
                    e.what()
                );
                None
            }
        },
    };
    if let (Some(pinned), Some(ca)) = (&cert_file, &ca_file) {
        write_bundle(store, &info.name, pinned, ca);
    }
    Ok(Saved {
        info,
        cert_file,
        webhook_secret_location,
    })
}

/// Copies the CA file `given` into the store, so the path saved stays valid when the
/// original moves (and git, told the path by `setup-git`, keeps working). The path to save:
/// the copy, or `given` itself when the copy could not be made (what bbconnect enforces is
/// the same either way, so that is logged, not fatal).
fn keep_ca_copy(store: &Store, name: &str, given: &str) -> String {
    if Path::new(given) == store.ca_copy_file(name) {
        return given.to_string();
    }
    let copied = std::fs::read_to_string(given)
        .map_err(|e| e.to_string())
        .and_then(|pem| {
            store
                .save_ca_copy(name, &pem)
                .map_err(|e| e.what().to_string())
        });
    match copied {
        Ok(path) => path.display().to_string(),
        Err(e) => {
            tracing::warn!("the CA file was not copied beside the config: {e}");
            given.to_string()
        }
    }
}

/// The pinned certificate and the CA file as one PEM, for git (one CA file per URL).
fn write_bundle(store: &Store, name: &str, pinned: &Path, ca: &Path) {
    let bundle = std::fs::read_to_string(pinned).and_then(|p| {
        let c = std::fs::read_to_string(ca)?;
        Ok(format!("{}\n{}", p.trim_end(), c))
    });
    let written = bundle.map_err(|e| e.to_string()).and_then(|pem| {
        store
            .save_cert_bundle(name, &pem)
            .map_err(|e| e.what().to_string())
    });
    if let Err(e) = written {
        tracing::warn!("the certificates for git were not written together: {e}");
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::core::model::{AuthKind, Provider};

    fn spec() -> ConnectionSpec {
        ConnectionSpec {
            name: "ci".into(),
            provider: Provider::Server,
            auth: AuthKind::HttpTokenUser,
            url: "https://bitbucket.example.com".into(),
            username: Some("alice".into()),
            repo: Some("WEB/site".into()),
        }
    }

    fn request<'a>(
        spec: &'a ConnectionSpec,
        secret: &'a SecretString,
        trust: &'a TlsTrust,
        hook_secret: Option<&'a SecretString>,
        replace: bool,
    ) -> SaveRequest<'a> {
        SaveRequest {
            spec,
            secret,
            oauth: None,
            user: Some("alice"),
            repo: None,
            trust,
            cert_der: None,
            webhook: Some(HookToSave {
                id: "7",
                url: "https://ci.example.com/hook",
                secret: hook_secret,
            }),
            replace,
            ssh: None,
            expires_on: None,
        }
    }

    #[test]
    fn the_expiry_given_is_saved() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::for_tests(dir.path(), None);
        let (spec, trust) = (spec(), TlsTrust::default());
        let token = SecretString::from("test-token-alice".to_string());
        let mut req = request(&spec, &token, &trust, None, false);
        let day: jiff::civil::Date = "2027-01-10".parse().expect("date");
        req.expires_on = Some(day);
        save(&store, &req).expect("save");
        let conn = store.get("ci").expect("get").expect("saved");
        assert_eq!(conn.expires_on, Some(day));
    }

    #[test]
    fn a_webhook_secret_that_cannot_be_stored_saves_nothing_and_a_retry_works() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::for_tests(dir.path(), None);
        // A plain file where the webhook secrets' folder goes: that write fails.
        std::fs::write(dir.path().join("webhook"), "in the way").expect("blocker");
        let (spec, trust) = (spec(), TlsTrust::default());
        let token = SecretString::from("test-token-alice".to_string());
        let hook = SecretString::from("test-token-hook".to_string());

        let problem = save(&store, &request(&spec, &token, &trust, Some(&hook), false))
            .expect_err("the hook secret cannot be stored");
        assert!(problem.what.contains("webhook"), "{problem:?}");
        assert!(store.list().expect("list").is_empty(), "nothing half-saved");
        let secrets = std::fs::read_dir(dir.path().join("secrets"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(
            secrets, 0,
            "the connection's secret of the failed save is gone"
        );

        std::fs::remove_file(dir.path().join("webhook")).expect("unblock");
        let saved = save(&store, &request(&spec, &token, &trust, Some(&hook), false))
            .expect("the retry is not refused as a duplicate");
        assert!(
            saved
                .webhook_secret_location
                .as_deref()
                .is_some_and(|l| l.contains("webhook")),
            "{saved:?}"
        );
        let conn = store.get("ci").expect("get").expect("saved");
        assert_eq!(conn.webhook_id.as_deref(), Some("7"));
        assert_eq!(conn.user.as_deref(), Some("alice"));
        assert_eq!(store.webhook_secret_for_tests("ci"), "test-token-hook");
        assert_eq!(
            store.secret("ci").expect("read").expose_secret(),
            "test-token-alice"
        );
    }

    #[test]
    fn without_a_new_hook_secret_a_replace_keeps_the_stored_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::for_tests(dir.path(), None);
        let (spec, trust) = (spec(), TlsTrust::default());
        let token = SecretString::from("test-token-alice".to_string());
        let hook = SecretString::from("test-token-hook".to_string());
        save(&store, &request(&spec, &token, &trust, Some(&hook), false)).expect("first");
        let again = save(&store, &request(&spec, &token, &trust, None, true)).expect("replace");
        assert_eq!(again.webhook_secret_location, None);
        assert_eq!(store.webhook_secret_for_tests("ci"), "test-token-hook");
    }

    #[test]
    fn the_ca_file_is_copied_into_the_store_and_the_copy_is_what_is_saved() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::for_tests(&dir.path().join("config"), None);
        let given = dir.path().join("corp-ca.pem");
        std::fs::write(
            &given,
            "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let spec = spec();
        let trust = TlsTrust {
            ca_file: Some(given.display().to_string()),
            pinned: Some(format!("SHA256:{}", "ab".repeat(32))),
        };
        let token = SecretString::from("test-token-alice".to_string());
        let mut req = request(&spec, &token, &trust, None, false);
        req.cert_der = Some(b"not really DER");
        save(&store, &req).expect("save");
        std::fs::remove_file(&given).expect("the original goes");

        let saved = store.get("ci").expect("get").expect("saved");
        let copy = store.ca_copy_file("ci");
        assert_eq!(
            saved.tls.and_then(|t| t.ca_file).as_deref(),
            Some(&*copy.to_string_lossy())
        );
        assert!(
            std::fs::read_to_string(&copy)
                .expect("copy")
                .contains("Q0E=")
        );
        // Pinned and CA together, in the one file git reads for the host.
        let bundle = std::fs::read_to_string(store.cert_bundle_file("ci")).expect("bundle");
        assert_eq!(bundle.matches("BEGIN CERTIFICATE").count(), 2, "{bundle}");
        assert_eq!(
            crate::engine::git_trust::ca_info(&store, &store.get("ci").unwrap().unwrap()),
            Some(store.cert_bundle_file("ci"))
        );

        // Saving again from the copy keeps it.
        let again = TlsTrust {
            ca_file: Some(copy.display().to_string()),
            pinned: None,
        };
        save(&store, &request(&spec, &token, &again, None, true)).expect("replace");
        assert!(
            std::fs::read_to_string(&copy)
                .expect("kept")
                .contains("Q0E=")
        );

        store.remove("ci").expect("remove");
        assert!(!copy.exists() && !store.cert_bundle_file("ci").exists());
    }

    #[test]
    fn the_pin_is_saved_and_its_pem_written_beside_the_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::for_tests(dir.path(), None);
        let spec = spec();
        let trust = TlsTrust {
            ca_file: None,
            pinned: Some(format!("SHA256:{}", "ab".repeat(32))),
        };
        let token = SecretString::from("test-token-alice".to_string());
        let mut req = request(&spec, &token, &trust, None, false);
        req.cert_der = Some(b"not really DER");
        let saved = save(&store, &req).expect("save");
        let pem = saved.cert_file.expect("written");
        assert_eq!(pem, store.cert_file("ci"));
        assert!(
            std::fs::read_to_string(&pem)
                .expect("read")
                .contains("BEGIN CERTIFICATE")
        );
        assert_eq!(
            store.get("ci").expect("get").expect("saved").tls,
            Some(trust)
        );
        store.remove("ci").expect("remove");
        assert!(!pem.exists(), "removing the connection removes its PEM");
    }
}
