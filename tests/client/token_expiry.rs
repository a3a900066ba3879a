//! DC's token list as the source of a token's expiry: read where the token may read it, and
//! unknown (never guessed) where the server refuses or the credential has no such list.

use bbconnect::bitbucket::{Client, Endpoints};
use bbconnect::core::model::AuthKind;
use bbconnect::sim::SimConfig;

use crate::common::creds::{self, fast};
use crate::common::sim::start as sim_with;

fn client(creds: bbconnect::core::model::Credentials) -> Client {
    Client::new(creds, &Endpoints::default(), fast()).expect("valid credentials")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_list_gives_the_expiry_of_the_token_in_use() {
    let sim = sim_with(SimConfig::default()).await;
    let expiry = client(creds::dc_alice(&sim)).dc_token_expiry("alice").await;
    // alice's demo token expires 90 days after the simulator started.
    let in_90_days = bbconnect::engine::today()
        .checked_add(jiff::Span::new().days(90))
        .expect("in range");
    assert_eq!(expiry, Some(in_90_days));
    // bob's token has no expiry: unknown, not a made-up date.
    let bob = creds::with_secret(
        creds::spec(
            "dc",
            AuthKind::HttpTokenUser,
            &sim.server_url(),
            Some("bob"),
            None,
        ),
        "test-token-bob",
    );
    assert_eq!(client(bob).dc_token_expiry("bob").await, None);
    // Another user's list is refused: unknown.
    assert_eq!(
        client(creds::dc_alice(&sim)).dc_token_expiry("bob").await,
        None
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_list_leaves_the_expiry_unknown() {
    let sim = sim_with(SimConfig {
        dc_token_list_refused: true,
        ..SimConfig::default()
    })
    .await;
    let alice = client(creds::dc_alice(&sim));
    assert_eq!(alice.dc_token_expiry("alice").await, None);
    // The refusal is of the list only: the check itself still passes.
    assert!(alice.check(None).await.passed());
}

#[tokio::test(flavor = "multi_thread")]
async fn repository_tokens_have_no_user_list_to_read() {
    let sim = sim_with(SimConfig::default()).await;
    let repo = crate::common::sim::demo_repo("server", "http-token-repo");
    let token = creds::with_secret(
        creds::spec(
            "dc",
            AuthKind::HttpTokenRepo,
            &sim.server_url(),
            None,
            Some(&repo),
        ),
        "test-token-repo",
    );
    assert_eq!(client(token).dc_token_expiry("alice").await, None);
}
