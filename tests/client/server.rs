//! The client against the simulator's Data Center side: identity, version, paging with a
//! capped limit, rejected and under-privileged tokens, the check report.

use std::collections::HashSet;

use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
use bbconnect::core::model::CheckId;
use bbconnect::core::model::{
    AuthKind, CheckStatus, ConnectionSpec, Credentials, FailureClass, Provider,
};
use bbconnect::sim::{self, Scenario, SimConfig, SimHandle};
use secrecy::SecretString;

use crate::common::creds::{self, fast};
use crate::common::report::{assert_hostile_name_defused, row, sorted_names};
use crate::common::sim::start as sim_with;
use crate::common::sim::with_repos;

fn dc(
    sim: &SimHandle,
    auth: AuthKind,
    user: Option<&str>,
    secret: &str,
    repo: Option<&str>,
) -> Credentials {
    // The trailing slash a user may type: the client must not double it.
    let url = format!("{}/", sim.server_url());
    creds::with_secret(creds::spec("dc", auth, &url, user, repo), secret)
}

/// alice's Data Center user token, for every repository she reads.
fn alice_dc(sim: &SimHandle) -> Client {
    client(dc(
        sim,
        AuthKind::HttpTokenUser,
        Some("alice"),
        "test-token-alice",
        None,
    ))
}

fn client(creds: Credentials) -> Client {
    Client::new(creds, &Endpoints::default(), fast()).expect("valid credentials")
}

#[tokio::test(flavor = "multi_thread")]
async fn alice_checks_clean_with_identity_version_and_reach() {
    let sim = with_repos(120).await;
    let c = alice_dc(&sim);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let report = c.check(Some(tx)).await;
    assert!(report.passed(), "{:#?}", report.items);
    assert_eq!(report.exit_code(), 0);
    let id = report.identity.clone().expect("identity");
    assert_eq!(id.username, "alice");
    assert_eq!(id.display_name.as_deref(), Some("Alice Example"));
    assert_eq!(id.email.as_deref(), Some("alice@example.com"));
    assert!(report.server_version.is_some());
    // Every row of a DC check from plain http to the links, in the report's order, but the
    // HTML-login and retired-endpoint rows (shown only when those go wrong).
    let shown = CheckId::ALL
        .into_iter()
        .skip_while(|id| *id != CheckId::Http)
        .take_while(|id| *id != CheckId::Repository)
        .filter(|id| !matches!(id, CheckId::HtmlLogin | CheckId::Gone));
    for wanted in shown {
        assert_ne!(row(&report, wanted).status, CheckStatus::Failed, "{wanted}");
    }
    assert_eq!(
        row(&report, CheckId::Webhooks).status,
        CheckStatus::Passed,
        "alice has REPO_ADMIN"
    );
    let count = row(&report, CheckId::ReachCount);
    assert!(
        count.detail.starts_with("This token can read "),
        "{}",
        count.detail
    );
    assert!(count.detail.contains("projects"), "{}", count.detail);
    assert!(count.fix.as_deref().is_some_and(|f| f.contains("bot user")));
    let mut lines = Vec::new();
    while let Ok(l) = rx.try_recv() {
        lines.push(l);
    }
    assert!(lines.iter().any(|l| l.contains("credential")), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_username_differing_from_owner_warns() {
    let sim = with_repos(30).await;
    let report = client(dc(
        &sim,
        AuthKind::HttpTokenUser,
        Some("alice"),
        "test-token-bob",
        None,
    ))
    .check(None)
    .await;
    let cred = row(&report, CheckId::Credential);
    assert_eq!(cred.status, CheckStatus::Warning, "{cred:?}");
    assert!(cred.detail.contains("bob"), "{}", cred.detail);
    assert_eq!(report.identity.clone().unwrap().username, "bob");
    // bob has REPO_READ only: webhooks cannot be created automatically.
    assert_eq!(row(&report, CheckId::Webhooks).status, CheckStatus::Warning);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_token_is_rejected_and_later_checks_are_skipped() {
    let sim = sim_with(SimConfig::default()).await;
    let report = client(dc(
        &sim,
        AuthKind::HttpTokenUser,
        Some("alice"),
        "test-token-wrong",
        None,
    ))
    .check(None)
    .await;
    let cred = row(&report, CheckId::Credential);
    assert_eq!(cred.status, CheckStatus::Failed);
    assert_eq!(cred.class, Some(FailureClass::Rejected));
    assert_eq!(report.exit_code(), 3);
    assert!(
        report
            .items
            .iter()
            .all(|i| i.id != CheckId::ReachCount && i.id != CheckId::Webhooks),
        "{:#?}",
        report.items
    );
    let shown = format!("{report:?}");
    assert!(!shown.contains("test-token-wrong"));
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_pages_through_a_capped_limit_and_sees_each_repository_once() {
    let sim = sim_with(SimConfig {
        repos: Some(333),
        dc_limit_cap: 25,
        ..SimConfig::default()
    })
    .await;
    let c = client(dc(
        &sim,
        AuthKind::HttpTokenUser,
        None,
        "test-token-alice",
        None,
    ));
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let lister = tokio::spawn(async move { c.list_repos(tx).await });
    let mut pages = 0;
    let mut all = Vec::new();
    while let Some(p) = rx.recv().await {
        assert!(p.repos.len() <= 25, "the applied limit is followed");
        pages += 1;
        all.extend(p.repos);
    }
    let total = lister.await.unwrap().expect("listing succeeds");
    assert_eq!(total, all.len());
    assert!(
        pages >= all.len().div_ceil(25),
        "{pages} pages for {}",
        all.len()
    );
    let unique: HashSet<&str> = all.iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(unique.len(), all.len(), "no repository twice");
    assert!(
        all.iter().all(|r| !r.name.chars().any(char::is_control)),
        "server text reaches callers without control characters"
    );
    assert_hostile_name_defused(&all);

    // The same set with the server's default cap: paging changes nothing.
    let sim2 = with_repos(333).await;
    let again = client(dc(
        &sim2,
        AuthKind::HttpTokenUser,
        None,
        "test-token-alice",
        None,
    ))
    .list_all_repos()
    .await
    .unwrap();
    assert_eq!(sorted_names(&all), sorted_names(&again));
    assert!(
        all.len() > 300,
        "alice reads every shared project: {}",
        all.len()
    );
    let r = &all[0];
    assert!(
        r.clone_https
            .as_deref()
            .is_some_and(|u| u.starts_with("http") && !u.contains('@')),
        "{r:?}"
    );
    assert!(r.project_key.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn bob_sees_only_his_projects() {
    let sim = with_repos(200).await;
    let repos = client(dc(
        &sim,
        AuthKind::HttpTokenUser,
        Some("bob"),
        "test-token-bob",
        None,
    ))
    .list_all_repos()
    .await
    .unwrap();
    assert!(!repos.is_empty());
    assert!(
        repos
            .iter()
            .all(|r| matches!(r.project_key.as_deref(), Some("WEB") | Some("DOCS")) || !r.private),
        "outside bob's projects only public repositories: {:?}",
        repos
            .iter()
            .filter(|r| r.private)
            .map(|r| &r.full_name)
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn repository_token_reaches_its_repository_only() {
    let sim = sim_with(SimConfig::default()).await;
    let repo = sim::demo_credentials()
        .into_iter()
        .find(|c| c.auth == "http-token-repo")
        .and_then(|c| c.repo)
        .expect("a demo repository token");
    let c = client(dc(
        &sim,
        AuthKind::HttpTokenRepo,
        None,
        "test-token-repo",
        Some(&repo),
    ));
    let report = c.check(None).await;
    assert!(report.passed(), "{:#?}", report.items);
    assert!(
        row(&report, CheckId::ReachCount)
            .detail
            .contains("1 repository")
    );
    let repos = c.list_all_repos().await.unwrap();
    assert_eq!(sorted_names(&repos), vec![repo.clone()]);

    let wrong = client(dc(
        &sim,
        AuthKind::HttpTokenRepo,
        None,
        "test-token-wrong",
        Some(&repo),
    ))
    .check(None)
    .await;
    assert_eq!(row(&wrong, CheckId::Credential).status, CheckStatus::Failed);
}

#[tokio::test(flavor = "multi_thread")]
async fn old_version_fails_with_class_permission() {
    let sim = sim_with(SimConfig {
        scenario: Scenario::OldVersion,
        ..SimConfig::default()
    })
    .await;
    let report = alice_dc(&sim).check(None).await;
    let v = row(&report, CheckId::Version);
    assert_eq!(v.status, CheckStatus::Failed);
    assert!(
        v.detail.contains("7.9") && v.detail.contains("7.14"),
        "{}",
        v.detail
    );
    assert_eq!(report.exit_code(), 4);
    assert!(
        report.items.iter().all(|i| i.id != CheckId::Credential),
        "credential is skipped"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn localhost_links_fail_with_base_url_advice() {
    let sim = sim_with(SimConfig {
        scenario: Scenario::LocalhostLinks,
        repos: Some(40),
        ..SimConfig::default()
    })
    .await;
    // Links at localhost fail only when the server was reached elsewhere: reach
    // the simulator under a name that is not loopback.
    let addr: std::net::SocketAddr = sim
        .server_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let mut creds = dc(
        &sim,
        AuthKind::HttpTokenUser,
        Some("alice"),
        "test-token-alice",
        None,
    );
    creds.spec.url = format!("http://bitbucket.test:{}/", addr.port());
    let options = ClientOptions {
        allow_http: true,
        resolve: vec![("bitbucket.test".into(), addr)],
        ..fast()
    };
    let report = Client::new(creds, &Endpoints::default(), options)
        .expect("valid credentials")
        .check(None)
        .await;
    let l = row(&report, CheckId::LocalhostLinks);
    assert_eq!(l.status, CheckStatus::Failed, "{l:?}");
    assert!(l.detail.contains("localhost:7990"), "{}", l.detail);
    assert!(l.fix.as_deref().unwrap().contains("base URL"));
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_server_is_class_unreachable() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let creds = Credentials {
        spec: ConnectionSpec {
            name: "dc".into(),
            provider: Provider::Server,
            auth: AuthKind::HttpTokenUser,
            url: format!("http://127.0.0.1:{dead}"),
            username: None,
            repo: None,
        },
        secret: SecretString::from("test-token-alice".to_string()),
    };
    let report = client(creds).check(None).await;
    let reach = row(&report, CheckId::Reach);
    assert_eq!(reach.class, Some(FailureClass::Unreachable), "{reach:?}");
    assert_eq!(report.exit_code(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_a_remote_host_is_refused_before_sending_the_token() {
    // No server needed: the refusal happens before any authenticated request.
    let creds = Credentials {
        spec: ConnectionSpec {
            name: "dc".into(),
            provider: Provider::Server,
            auth: AuthKind::HttpTokenUser,
            url: "http://bitbucket.invalid".into(),
            username: None,
            repo: None,
        },
        secret: SecretString::from("test-token-alice".to_string()),
    };
    let c = client(creds);
    let err = c.list_all_repos().await.unwrap_err();
    assert_eq!(err.class, FailureClass::Input);
    assert!(err.what.contains("plain http"), "{}", err.what);
}
