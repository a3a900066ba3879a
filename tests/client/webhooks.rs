//! Webhooks against the simulator: created once, kept or updated after, found, deleted,
//! and refused with the admin-rights wording when the credential is not an admin.

use bbconnect::bitbucket::Client;
use bbconnect::core::model::{AuthKind, CheckStatus, FailureClass, WebhookChange, WebhookSpec};
use bbconnect::sim::{self, SimConfig};
use secrecy::SecretString;

use crate::common::creds::sim_client;

fn hook(c: &Client, secret: Option<&str>) -> WebhookSpec {
    WebhookSpec {
        name: "CI".into(),
        url: "https://ci.example.com/bitbucket/hook".into(),
        events: c.default_webhook_events(),
        secret: secret.map(|s| SecretString::from(s.to_string())),
    }
}

async fn lifecycle(c: &Client, repo: &str) {
    let (first, change) = c
        .ensure_webhook(repo, &hook(c, None))
        .await
        .expect("created");
    assert_eq!(change, WebhookChange::Created);
    assert!(first.active);
    let (again, change) = c.ensure_webhook(repo, &hook(c, None)).await.expect("kept");
    assert_eq!(change, WebhookChange::Kept, "running twice adds nothing");
    assert_eq!(again.id, first.id);
    let (updated, change) = c
        .ensure_webhook(repo, &hook(c, Some("test-token-hook-secret")))
        .await
        .expect("updated");
    assert_eq!(change, WebhookChange::Updated);
    assert_eq!(updated.id, first.id, "the same hook, not a second one");
    assert_eq!(
        c.find_webhook(repo, &first.id).await.unwrap().map(|h| h.id),
        Some(first.id.clone())
    );
    assert_eq!(
        c.webhook_row(repo, &first.id).await.status,
        CheckStatus::Passed
    );
    assert!(c.delete_webhook(repo, &first.id).await.unwrap());
    assert_eq!(
        c.webhook_row(repo, &first.id).await.status,
        CheckStatus::Failed,
        "check notices the hook is gone"
    );
    assert_eq!(
        c.find_webhook(repo, &first.id).await.unwrap(),
        None,
        "a deleted hook is noticed"
    );
    assert!(
        !c.delete_webhook(repo, &first.id).await.unwrap(),
        "deleting twice is not an error"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_admin_hook_lifecycle_and_refusal_for_readers() {
    let sim = sim::start(SimConfig {
        repos: Some(60),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let alice = sim_client(
        &sim,
        AuthKind::HttpTokenUser,
        Some("alice"),
        "test-token-alice",
        None,
    );
    let bob = sim_client(
        &sim,
        AuthKind::HttpTokenUser,
        Some("bob"),
        "test-token-bob",
        None,
    );
    let web_repo = bob
        .list_all_repos()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.project_key.as_deref() == Some("WEB"))
        .expect("a WEB repository")
        .full_name;
    lifecycle(&alice, &web_repo).await;

    let err = bob
        .ensure_webhook(&web_repo, &hook(&bob, None))
        .await
        .unwrap_err();
    assert_eq!(err.class, FailureClass::Permission, "{err:?}");
    assert!(err.what.contains("admin"), "{}", err.what);
    assert!(err.fix.contains("REPO_ADMIN"), "{}", err.fix);
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_hook_lifecycle_with_api_and_repository_tokens() {
    let sim = sim::start(SimConfig {
        repos: Some(60),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let repo = crate::common::sim::demo_repo("cloud", "repo-token");
    let token = sim_client(
        &sim,
        AuthKind::RepoToken,
        None,
        "test-token-cloud-repo",
        Some(&repo),
    );
    lifecycle(&token, &repo).await;
    let alice = sim_client(
        &sim,
        AuthKind::ApiToken,
        Some("alice@example.com"),
        "test-token-alice",
        None,
    );
    lifecycle(&alice, &repo).await;
}
