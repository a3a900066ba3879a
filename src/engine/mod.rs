//! The decisions both faces share (docs/architecture.md: one engine, two faces). The wizard's worker
//! and the headless commands build clients, turn setup failures into reports and shape saved
//! connections through these functions only: `connect` (check -> repository -> webhook -> save,
//! with progress events), `save` (the one save path), `oauth` (sign-in and token upkeep),
//! `git_setup` (git's credential helper config), `git_trust` (the certificates git is given for
//! a connection, and how git's failures read), `clone` (the one clone command).

pub mod clone;
pub mod connect;
pub mod expiry;
pub mod git_setup;
pub mod git_trust;
pub mod oauth;
pub mod recheck;
pub mod rotate;
pub mod save;
pub mod ssh;

use crate::bitbucket::{Client, ClientOptions, Endpoints};
use crate::core::model::{
    CheckId, CheckItem, CheckReport, ConnectionSpec, Credentials, FailureClass, LastCheck, Problem,
    Repo,
};
use crate::store::SavedConnection;

/// A report with one failed row, for failures that happen before any check can run
/// (an invalid URL, a TLS setup error).
pub fn report_from_problem(problem: &Problem) -> CheckReport {
    CheckReport {
        items: vec![CheckItem::failed(
            CheckId::Setup,
            problem.class,
            problem.what.clone(),
            problem.fix.clone(),
        )],
        identity: None,
        server_version: None,
    }
}

/// Runs the whole check engine for these credentials (the connect flow's first step), a
/// client that cannot be made reported as a failed row.
pub async fn check(
    creds: Credentials,
    endpoints: &Endpoints,
    options: ClientOptions,
    progress: Option<tokio::sync::mpsc::UnboundedSender<String>>,
) -> CheckReport {
    match Client::new(creds, endpoints, options) {
        Ok(client) => connect::check(&client, progress, None).await.report,
        Err(problem) => report_from_problem(&problem),
    }
}

/// The entry written to the connections file for a verified connection.
pub fn saved_connection(
    spec: &ConnectionSpec,
    user: Option<String>,
    repo: Option<&Repo>,
    saved_at: String,
) -> SavedConnection {
    SavedConnection {
        username: spec.username.clone(),
        user,
        repo: repo
            .map(|r| r.full_name.clone())
            .or_else(|| spec.repo.clone()),
        clone_https: repo.and_then(|r| r.clone_https.clone()),
        clone_ssh: repo.and_then(|r| r.clone_ssh.clone()),
        // Saved right after its checks passed.
        last_check: Some(LastCheck {
            ok: true,
            at: saved_at.clone(),
            summary: "all checks passed".into(),
            accepted_at: Some(saved_at.clone()),
            webhook_seen_at: None,
        }),
        saved_at,
        ..SavedConnection::new(&spec.name, spec.provider, spec.auth, &spec.url)
    }
}

/// The transport options every command uses for a saved connection: its CA file and its
/// pinned certificate. `check`, `repos`, `remove` and the wizard's later steps go through
/// here, so a trusted certificate is trusted everywhere.
pub fn options_for(conn: &SavedConnection) -> ClientOptions {
    options_with(conn, &ClientOptions::default())
}

/// A face's client options (limits, concurrency) with the connection's own trust: its CA
/// file and pinned certificate replace the face's. A saved webhook makes its scopes and
/// admin rights needless to the check (the credential may have been lowered to read access).
pub fn options_with(conn: &SavedConnection, base: &ClientOptions) -> ClientOptions {
    ClientOptions {
        tls: conn.tls.clone().unwrap_or_else(|| base.tls.clone()),
        saved_webhook: conn.webhook_id.is_some(),
        ..base.clone()
    }
}

/// Where the PEM of a connection's trusted certificate is kept, beside its config.
pub fn cert_file(store: &crate::store::Store, name: &str) -> std::path::PathBuf {
    store.cert_file(name)
}

/// Writes the trusted certificate's PEM (for the user to inspect; the pin itself is the
/// fingerprint saved with the connection).
pub fn save_cert_pem(
    store: &crate::store::Store,
    name: &str,
    der: &[u8],
) -> Result<std::path::PathBuf, crate::store::StoreError> {
    store.save_cert_pem(name, &crate::bitbucket::tls::to_pem(der))
}

/// Store work off the async threads: a lock may wait for another process, and a keychain
/// call may take seconds.
pub(crate) async fn blocking<T: Send + 'static>(
    store: &crate::store::Store,
    work: impl FnOnce(&crate::store::Store) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, Problem> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || work(&store))
        .await
        .map_err(|_| {
            Problem::new(
                FailureClass::Other,
                "Work on the saved connection stopped unexpectedly.",
                "Try again; if it keeps failing, run with RUST_LOG=debug and read the log.",
            )
        })?
        .map_err(Problem::from)
}

/// Takes connection `name`'s lock ([`crate::store::Store::lock_connection`]) for async code:
/// the wait for another run (up to minutes) blocks a thread of its own, not the runtime.
pub async fn lock_connection(
    store: &crate::store::Store,
    name: &str,
) -> Result<crate::store::ConnectionLock, Problem> {
    let name = name.to_string();
    blocking(store, move |store| store.lock_connection(&name)).await
}

/// Now, as RFC 3339 UTC with seconds.
pub fn now_rfc3339() -> String {
    rfc3339_utc(jiff::Timestamp::now())
}

/// Formats an instant as `YYYY-MM-DDTHH:MM:SSZ`, the form the connections file keeps.
pub fn rfc3339_utc(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Today's date in UTC: the one clock reading the faces take and pass down to the date rules
/// (`core::expiry`), which never read the clock themselves. UTC, like every date bbconnect
/// saves and reads from a server.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn waiting_for_a_connection_lock_leaves_the_runtime_free() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::Store::open(
            Some(dir.path().to_path_buf()),
            crate::store::SecretStoreMode::File,
        )
        .expect("store")
        .with_connection_lock_wait(std::time::Duration::from_secs(3));
        let held = store.lock_connection("t").expect("lock");
        let waiter = tokio::spawn({
            let store = store.clone();
            async move { lock_connection(&store, "t").await.map(drop) }
        });
        // On the runtime's only thread: this task wakes up, and lets the lock go, only if the
        // waiter does not hold the thread while it waits.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        drop(held);
        let got = waiter.await.expect("joined");
        assert!(got.is_ok(), "{got:?}");
    }

    #[test]
    fn formats_known_instants() {
        let at = |secs| jiff::Timestamp::from_second(secs).expect("in range");
        assert_eq!(rfc3339_utc(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(at(1_795_926_896)), "2026-11-29T04:34:56Z");
    }
}
