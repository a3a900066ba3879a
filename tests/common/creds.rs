//! Fake credentials, obviously fake (`test-token-...`): the simulator's data set accepts the
//! ones named here, and nothing resembling a real Atlassian token appears in the tests.

use std::time::Duration;

use bbconnect::bitbucket::{ClientOptions, Endpoints};
use bbconnect::core::model::{AuthKind, ConnectionSpec, Credentials, Provider};
use bbconnect::sim::SimHandle;
use bbconnect::store::SavedConnection;
use secrecy::SecretString;

/// Accepted by the simulator for `alice` (DC) and `alice@example.com` (Cloud).
pub const ALICE: &str = "test-token-alice";
/// Refused everywhere; a test that finds it anywhere but a secret file has found a leak.
pub const CANARY: &str = "test-token-canary-7f3a9c";

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

/// The connection `name` of `auth` (its provider follows from it) at `url`.
pub fn spec(
    name: &str,
    auth: AuthKind,
    url: &str,
    user: Option<&str>,
    repo: Option<&str>,
) -> ConnectionSpec {
    ConnectionSpec {
        name: name.into(),
        provider: auth.provider(),
        auth,
        url: url.into(),
        username: user.map(Into::into),
        repo: repo.map(Into::into),
    }
}

pub fn with_secret(spec: ConnectionSpec, secret: &str) -> Credentials {
    Credentials {
        spec,
        secret: SecretString::from(secret.to_string()),
    }
}

/// Data Center connection `dc`: alice's user token on the simulator.
pub fn dc_alice(sim: &SimHandle) -> Credentials {
    with_secret(
        spec(
            "dc",
            AuthKind::HttpTokenUser,
            &sim.server_url(),
            Some("alice"),
            None,
        ),
        ALICE,
    )
}

/// Cloud connection `cloud`: alice's API token (with her Atlassian email) on the simulator.
pub fn cloud_alice(sim: &SimHandle) -> Credentials {
    with_secret(
        spec(
            "cloud",
            AuthKind::ApiToken,
            &sim.cloud_web_url(),
            Some("alice@example.com"),
            None,
        ),
        ALICE,
    )
}

/// A saved Data Center connection `name` for alice at git.example.com, with no repository,
/// webhook or check recorded: what the store tests save and read back.
pub fn saved(name: &str) -> SavedConnection {
    SavedConnection {
        name: name.into(),
        provider: Provider::Server,
        auth: AuthKind::HttpTokenUser,
        url: "https://git.example.com".into(),
        username: Some("alice".into()),
        user: Some("alice".into()),
        repo: None,
        clone_https: None,
        clone_ssh: None,
        webhook_id: None,
        webhook_url: None,
        secret_store: String::new(),
        saved_at: "2026-11-29T06:00:00Z".into(),
        tls: None,
        expires_on: None,
        ssh: None,
        last_check: None,
    }
}

/// Where the client finds Cloud: the simulator's API and web addresses.
pub fn endpoints(sim: &SimHandle) -> Endpoints {
    Endpoints {
        cloud_api: sim.cloud_api_url(),
        cloud_web: sim.cloud_web_url(),
    }
}

/// Retries 10 ms apart and a 10 s timeout: failure scenarios end quickly, a loaded machine
/// still has time to answer.
pub fn fast() -> ClientOptions {
    ClientOptions {
        retry_base: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        ..ClientOptions::default()
    }
}
