//! OAuth2 against the simulator: authorize, exchange the code, use the access token with the
//! check engine, refresh, and refusals for a wrong consumer secret or a forged state.

use bbconnect::bitbucket::oauth::{self, OAuthConsumer, OAuthTokens};
use bbconnect::bitbucket::{Client, ClientOptions};
use bbconnect::core::model::CheckId;
use bbconnect::core::model::{AuthKind, ConnectionSpec, Credentials, FailureClass, Provider};
use bbconnect::sim::{self, SimConfig, SimHandle};
use secrecy::SecretString;

use crate::common::creds::endpoints;

const CALLBACK: &str = "http://127.0.0.1:8976/callback";

fn consumer(secret: &str) -> OAuthConsumer {
    OAuthConsumer {
        key: "test-oauth-key".into(),
        secret: SecretString::from(secret.to_string()),
    }
}

/// What the browser does: open the authorize URL, follow the redirect to the callback.
async fn approve(sim: &SimHandle, state: &str) -> String {
    let url = oauth::authorize_url(
        &sim.cloud_web_url(),
        "test-oauth-key",
        state,
        Some(CALLBACK),
    );
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = browser.get(&url).send().await.unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(CALLBACK), "{location}");
    location
        .trim_start_matches("http://127.0.0.1:8976")
        .to_string()
}

fn oauth_client(sim: &SimHandle, tokens: &OAuthTokens) -> Client {
    let creds = Credentials {
        spec: ConnectionSpec {
            name: "oauth".into(),
            provider: Provider::Cloud,
            auth: AuthKind::OAuth,
            url: sim.cloud_web_url(),
            username: None,
            repo: None,
        },
        secret: tokens.access_token.clone(),
    };
    Client::new(creds, &endpoints(sim), ClientOptions::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_exchange_check_and_refresh() {
    let sim = sim::start(SimConfig {
        repos: Some(40),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let state = oauth::new_state().unwrap();
    let target = approve(&sim, &state).await;
    let code = oauth::callback_outcome(&target, &state).expect("state matches");
    let opts = ClientOptions::default();
    let tokens = oauth::exchange_code(
        &sim.cloud_web_url(),
        &consumer("test-oauth-secret"),
        &code,
        Some(CALLBACK),
        &opts,
    )
    .await
    .expect("code exchanged");
    assert!(tokens.refresh_token.is_some());
    assert!(!tokens.scopes.is_empty());

    let report = oauth_client(&sim, &tokens).check(None).await;
    assert!(report.passed(), "{:#?}", report.items);
    assert_eq!(report.identity.unwrap().username, "alice");

    let refresh = tokens.refresh_token.clone().unwrap();
    let renewed = oauth::refresh(
        &sim.cloud_web_url(),
        &consumer("test-oauth-secret"),
        &refresh,
        &opts,
        "cloud",
    )
    .await
    .expect("refreshed");
    assert!(
        oauth_client(&sim, &renewed)
            .list_all_repos()
            .await
            .is_ok_and(|r| !r.is_empty())
    );

    // A code is single-use, and a wrong consumer secret is refused.
    let again = oauth::exchange_code(
        &sim.cloud_web_url(),
        &consumer("test-oauth-secret"),
        &code,
        Some(CALLBACK),
        &opts,
    )
    .await;
    assert_eq!(again.unwrap_err().class, FailureClass::Rejected);
    let target = approve(&sim, &state).await;
    let code = oauth::callback_outcome(&target, &state).unwrap();
    let bad = oauth::exchange_code(
        &sim.cloud_web_url(),
        &consumer("test-oauth-wrong"),
        &code,
        Some(CALLBACK),
        &opts,
    )
    .await
    .unwrap_err();
    assert_eq!(bad.class, FailureClass::Rejected);
    assert!(!format!("{bad:?}").contains("test-oauth-wrong"));
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_access_token_is_rejected_with_sign_in_again() {
    let sim = sim::start(SimConfig {
        repos: Some(20),
        oauth_expires_in: 0,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let state = oauth::new_state().unwrap();
    let code = oauth::callback_outcome(&approve(&sim, &state).await, &state).unwrap();
    let tokens = oauth::exchange_code(
        &sim.cloud_web_url(),
        &consumer("test-oauth-secret"),
        &code,
        Some(CALLBACK),
        &ClientOptions::default(),
    )
    .await
    .unwrap();
    let report = oauth_client(&sim, &tokens).check(None).await;
    assert_eq!(report.exit_code(), 3, "{:#?}", report.items);
    let cred = report
        .items
        .iter()
        .find(|i| i.id == CheckId::Credential)
        .unwrap();
    assert!(
        cred.fix.as_deref().unwrap().contains("Sign in again"),
        "{cred:?}"
    );
}
