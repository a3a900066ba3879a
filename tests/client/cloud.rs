//! The client against the simulator's Cloud side: identity, workspaces, complete paging with
//! and without `size`, scopes named on 403, 401 hints, app passwords, repository tokens.

use std::collections::HashSet;

use bbconnect::bitbucket::{Client, ClientOptions};
use bbconnect::core::model::CheckId;
use bbconnect::core::model::{
    AuthKind, CheckStatus, ConnectionSpec, Credentials, FailureClass, Provider, Repo, RepoPage,
};
use bbconnect::sim::{SimConfig, SimHandle};
use secrecy::SecretString;

use crate::common::creds::{endpoints, sim_client};
use crate::common::report::{assert_hostile_name_defused, row, sorted_names};
use crate::common::sim::start as sim_with;
use crate::common::sim::with_repos;

/// alice's Cloud API token, for every workspace she reads.
fn alice_cloud(sim: &SimHandle) -> Client {
    sim_client(
        sim,
        AuthKind::ApiToken,
        Some("alice@example.com"),
        "test-token-alice",
        None,
    )
}

async fn pages_of(client: &Client) -> (Vec<RepoPage>, usize) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let c = client.clone();
    let lister = tokio::spawn(async move { c.list_repos(tx).await });
    let mut pages = Vec::new();
    while let Some(p) = rx.recv().await {
        pages.push(p);
    }
    let total = lister.await.unwrap().expect("listing succeeds");
    (pages, total)
}

#[tokio::test(flavor = "multi_thread")]
async fn api_token_checks_clean_and_names_the_user() {
    let sim = with_repos(150).await;
    let report = alice_cloud(&sim).check(None).await;
    assert!(report.passed(), "{:#?}", report.items);
    let id = report.identity.clone().expect("identity");
    assert_eq!(id.username, "alice");
    assert_eq!(id.display_name.as_deref(), Some("Alice Example"));
    assert_eq!(
        row(&report, CheckId::Credential).status,
        CheckStatus::Passed
    );
    assert_eq!(
        row(&report, CheckId::Permissions).status,
        CheckStatus::Passed
    );
    let count = row(&report, CheckId::ReachCount);
    assert!(count.detail.contains("workspace"), "{}", count.detail);
    assert_eq!(
        row(&report, CheckId::Webhooks).status,
        CheckStatus::Passed,
        "{:?}",
        row(&report, CheckId::Webhooks)
    );
    assert_eq!(
        row(&report, CheckId::LocalhostLinks).status,
        CheckStatus::Passed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_with_size_fetches_every_page_exactly_once() {
    let sim = with_repos(700).await;
    let client = alice_cloud(&sim);
    let (pages, total) = pages_of(&client).await;
    let all: Vec<Repo> = pages.iter().flat_map(|p| p.repos.clone()).collect();
    assert_eq!(total, all.len());
    let unique: HashSet<&str> = all.iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(unique.len(), all.len(), "no repository twice");
    assert!(all.iter().all(|r| !r.name.chars().any(char::is_control)));
    assert_hostile_name_defused(&all);
    let hint = pages[0]
        .total_hint
        .expect("Cloud pages carry size, so a total is known");
    assert_eq!(
        hint,
        all.len(),
        "every repository the server counted arrived"
    );
    assert!(all.len() > 100, "more than one page: {}", all.len());
    let workspaces: HashSet<&str> = all.iter().filter_map(|r| r.workspace.as_deref()).collect();
    assert!(workspaces.len() >= 2, "{workspaces:?}");
    assert!(
        all.iter()
            .all(|r| r.clone_https.as_deref().is_none_or(|u| !u.contains('@'))),
        "clone URLs carry no userinfo"
    );

    // Without `size` the client follows `next`: the same repositories.
    let sim2 = sim_with(SimConfig {
        repos: Some(700),
        cloud_omit_size: true,
        ..SimConfig::default()
    })
    .await;
    let client2 = alice_cloud(&sim2);
    let (pages2, _) = pages_of(&client2).await;
    let all2: Vec<Repo> = pages2.iter().flat_map(|p| p.repos.clone()).collect();
    assert_eq!(sorted_names(&all), sorted_names(&all2));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_scope_is_named_and_exit_code_is_4() {
    let sim = with_repos(50).await;
    let report = sim_client(
        &sim,
        AuthKind::ApiToken,
        Some("carol@example.com"),
        "test-token-noscope",
        None,
    )
    .check(None)
    .await;
    let perms = row(&report, CheckId::Permissions);
    assert_eq!(perms.status, CheckStatus::Failed, "{:#?}", report.items);
    assert!(
        perms.detail.contains("read:user:bitbucket"),
        "{}",
        perms.detail
    );
    assert!(
        !perms.detail.contains("read:workspace:bitbucket"),
        "carol holds that one: {}",
        perms.detail
    );
    assert!(
        perms
            .fix
            .as_deref()
            .unwrap()
            .contains("read:user:bitbucket")
    );
    assert_eq!(report.exit_code(), 4);
    assert_eq!(
        row(&report, CheckId::Credential).status,
        CheckStatus::Passed,
        "a 403 means the token itself was accepted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_token_is_rejected_with_the_email_hint() {
    let sim = with_repos(20).await;
    let report = sim_client(
        &sim,
        AuthKind::ApiToken,
        Some("alice@example.com"),
        "test-token-wrong",
        None,
    )
    .check(None)
    .await;
    let cred = row(&report, CheckId::Credential);
    assert_eq!(cred.class, Some(FailureClass::Rejected));
    assert!(cred.fix.as_deref().unwrap().contains("email"));
    assert_eq!(report.exit_code(), 3);
    assert!(report.items.iter().all(|i| i.id != CheckId::ReachCount));
    let err = sim_client(
        &sim,
        AuthKind::ApiToken,
        Some("alice@example.com"),
        "test-token-wrong",
        None,
    )
    .list_all_repos()
    .await
    .unwrap_err();
    assert_eq!(err.class, FailureClass::Rejected);
    assert!(!format!("{err:?}").contains("test-token-wrong"));
}

#[tokio::test(flavor = "multi_thread")]
async fn app_password_works_with_a_loud_warning() {
    let sim = sim_with(SimConfig {
        repos: Some(40),
        app_passwords_accepted: true,
        ..SimConfig::default()
    })
    .await;
    let client = sim_client(
        &sim,
        AuthKind::AppPassword,
        Some("alice"),
        "test-token-app-password",
        None,
    );
    let report = client.check(None).await;
    assert!(report.passed(), "{:#?}", report.items);
    let cred = row(&report, CheckId::Credential);
    assert_eq!(cred.status, CheckStatus::Warning);
    assert!(cred.detail.contains("2026-07-28"), "{}", cred.detail);
    assert!(!client.list_all_repos().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn repository_token_validates_its_repository() {
    let sim = sim_with(SimConfig::default()).await;
    let repo = crate::common::sim::demo_repo("cloud", "repo-token");
    let client = sim_client(
        &sim,
        AuthKind::RepoToken,
        None,
        "test-token-cloud-repo",
        Some(&repo),
    );
    let report = client.check(None).await;
    assert!(report.passed(), "{:#?}", report.items);
    assert!(report.identity.is_none(), "a repository token has no user");
    assert!(row(&report, CheckId::Credential).detail.contains(&repo));
    assert_eq!(
        sorted_names(&client.list_all_repos().await.unwrap()),
        vec![repo.clone()]
    );

    let other = sim_client(
        &sim,
        AuthKind::RepoToken,
        None,
        "test-token-cloud-repo",
        Some("acme-mobile/not-mine"),
    )
    .check(None)
    .await;
    assert_eq!(
        row(&other, CheckId::Credential).status,
        CheckStatus::Failed,
        "{:#?}",
        other.items
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_bound_still_lists_everything() {
    let sim = sim_with(SimConfig {
        repos: Some(500),
        latency_ms: 20,
        ..SimConfig::default()
    })
    .await;
    let creds = Credentials {
        spec: ConnectionSpec {
            name: "c".into(),
            provider: Provider::Cloud,
            auth: AuthKind::ApiToken,
            url: sim.cloud_web_url(),
            username: Some("alice@example.com".into()),
            repo: None,
        },
        secret: SecretString::from("test-token-alice".to_string()),
    };
    let one = Client::new(
        creds.clone(),
        &endpoints(&sim),
        ClientOptions {
            max_concurrency: 1,
            ..ClientOptions::default()
        },
    )
    .unwrap()
    .list_all_repos()
    .await
    .unwrap();
    let eight = Client::new(creds, &endpoints(&sim), ClientOptions::default())
        .unwrap()
        .list_all_repos()
        .await
        .unwrap();
    assert_eq!(sorted_names(&one), sorted_names(&eight));
}
