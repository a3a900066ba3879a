//! Fake credentials, obviously fake (`test-token-...`): the simulator's data set accepts the
//! ones named here, and nothing resembling a real Atlassian token appears in the tests.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
use bbconnect::core::model::{AuthKind, ConnectionSpec, Credentials, OAuthGrant, Provider};
use bbconnect::sim::SimHandle;
use bbconnect::store::{NoKeychain, SavedConnection, SecretStoreMode, Store};
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
/// webhook or check recorded: what the store tests save and read back. Read the way the store
/// reads `connections.toml`, so every field left out takes the file's default.
pub fn saved(name: &str) -> SavedConnection {
    serde_json::from_value(serde_json::json!({
        "name": name,
        "provider": "server",
        "auth": "http-token-user",
        "url": "https://git.example.com",
        "username": "alice",
        "user": "alice",
        "secret_store": "",
        "saved_at": "2026-11-29T06:00:00Z",
    }))
    .expect("a saved connection")
}

/// A saved Cloud OAuth connection `name` at `base` (consumer `test-oauth-key`, signed in as
/// alice) to `repo`, which git clones over HTTPS as alice.
pub fn saved_oauth(name: &str, base: &str, repo: &str) -> SavedConnection {
    SavedConnection {
        provider: Provider::Cloud,
        auth: AuthKind::OAuth,
        url: base.into(),
        username: Some("test-oauth-key".into()),
        repo: Some(repo.into()),
        clone_https: Some(format!("{}/{repo}.git", base.replace("://", "://alice@"))),
        ..saved(name)
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

/// A store in `dir` that keeps secrets in 0600 files and never touches the developer's
/// keychain.
pub fn file_store(dir: &Path) -> Store {
    Store::open_with_keychain(
        Some(dir.to_path_buf()),
        SecretStoreMode::File,
        Arc::new(NoKeychain),
    )
    .expect("the store opens")
}

/// The simulator's authorization-code flow for consumer `test-oauth-key`, as a browser and
/// `connect` run it: the grant, recorded as expiring at `expires_at`.
pub async fn sign_in(sim: &SimHandle, expires_at: Option<u64>) -> OAuthGrant {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let callback = "http://127.0.0.1:9/callback";
    let resp = client
        .get(format!(
            "{}/site/oauth2/authorize?client_id=test-oauth-key&response_type=code&redirect_uri={callback}",
            sim.base_url()
        ))
        .send()
        .await
        .expect("authorize");
    let location = resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let code = url::Url::parse(&location)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.to_string())
        .expect("code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", callback),
    ];
    let tokens: serde_json::Value = client
        .post(format!("{}/site/oauth2/access_token", sim.base_url()))
        .basic_auth("test-oauth-key", Some("test-oauth-secret"))
        .form(&form)
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    OAuthGrant {
        access_token: secret(tokens["access_token"].as_str().expect("at")),
        refresh_token: tokens["refresh_token"].as_str().map(secret),
        expires_at,
        consumer_secret: secret("test-oauth-secret"),
    }
}

/// A client of the simulator for `auth` (its provider follows from it): `user` with `secret`,
/// limited to `repo`, with [`fast`] retries.
pub fn sim_client(
    sim: &SimHandle,
    auth: AuthKind,
    user: Option<&str>,
    secret: &str,
    repo: Option<&str>,
) -> Client {
    let url = match auth.provider() {
        Provider::Cloud => sim.cloud_web_url(),
        Provider::Server => sim.server_url(),
    };
    let creds = with_secret(spec("test", auth, &url, user, repo), secret);
    Client::new(creds, &endpoints(sim), fast()).expect("valid credentials")
}
