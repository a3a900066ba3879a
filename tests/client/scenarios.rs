//! Each simulator failure scenario, and the row or error the client makes of it: retries with
//! backoff and Retry-After, timeouts, HTML login pages, retired endpoints, hostile bodies.

use std::time::{Duration, Instant};

use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
use bbconnect::core::model::CheckId;
use bbconnect::core::model::{
    AuthKind, CheckStatus, ConnectionSpec, Credentials, FailureClass, Provider,
};
use bbconnect::sim::{self, Scenario, SimConfig, SimHandle};
use secrecy::SecretString;

use crate::common::creds;
use crate::common::report::row;

async fn sim_in(scenario: Scenario) -> SimHandle {
    sim::start(SimConfig {
        scenario,
        repos: Some(60),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn options() -> ClientOptions {
    ClientOptions {
        retry_base: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    }
}

fn dc_client(sim: &SimHandle, options: ClientOptions) -> Client {
    Client::new(creds::dc_alice(sim), &Endpoints::default(), options).expect("valid")
}

fn cloud_client(sim: &SimHandle, options: ClientOptions) -> Client {
    Client::new(creds::cloud_alice(sim), &creds::endpoints(sim), options).expect("valid")
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_is_waited_out_as_retry_after_says() {
    let sim = sim_in(Scenario::RateLimited).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let report = dc_client(&sim, options()).check(Some(tx)).await;
    assert!(report.passed(), "{:#?}", report.items);
    // Retry-After: 1 is honoured, not the 10 ms backoff of these options.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let mut lines = Vec::new();
    while let Ok(l) = rx.try_recv() {
        lines.push(l);
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("rate limited: retrying in 1 s")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_with_backoff() {
    let sim = sim_in(Scenario::ServerErrors).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let report = cloud_client(&sim, options()).check(Some(tx)).await;
    assert!(report.passed(), "{:#?}", report.items);
    let mut lines = Vec::new();
    while let Ok(l) = rx.try_recv() {
        lines.push(l);
    }
    assert!(
        lines.iter().any(|l| l.contains("server error 502")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("server error 503")),
        "{lines:?}"
    );

    // Without retries the same server fails, as a server error (exit 1), not a rejection.
    let sim2 = sim_in(Scenario::ServerErrors).await;
    let report = dc_client(
        &sim2,
        ClientOptions {
            max_retries: 0,
            ..options()
        },
    )
    .check(None)
    .await;
    assert!(!report.passed());
    assert_eq!(report.exit_code(), 1, "{:#?}", report.items);
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_server_times_out_as_unreachable() {
    let sim = sim_in(Scenario::Slow).await;
    let opts = ClientOptions {
        timeout: Duration::from_millis(500),
        max_retries: 1,
        ..options()
    };
    let started = Instant::now();
    let report = dc_client(&sim, opts).check(None).await;
    let reach = row(&report, CheckId::Reach);
    assert_eq!(reach.class, Some(FailureClass::Unreachable), "{reach:?}");
    assert!(
        reach.detail.contains("did not answer in time"),
        "{}",
        reach.detail
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn html_login_page_gets_its_own_row_on_both_products() {
    let sim = sim_in(Scenario::HtmlLogin).await;
    for report in [
        dc_client(&sim, options()).check(None).await,
        cloud_client(&sim, options()).check(None).await,
    ] {
        let r = row(&report, CheckId::HtmlLogin);
        assert_eq!(r.status, CheckStatus::Failed);
        assert!(r.detail.contains("HTML"), "{}", r.detail);
        assert!(r.fix.as_deref().unwrap().contains("SSO"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gone_endpoints_are_named_retired() {
    let sim = sim_in(Scenario::Gone).await;
    let report = cloud_client(&sim, options()).check(None).await;
    let r = row(&report, CheckId::Gone);
    assert_eq!(r.status, CheckStatus::Failed);
    assert!(r.detail.contains("retired"), "{}", r.detail);
}

#[tokio::test(flavor = "multi_thread")]
async fn localhost_links_on_cloud_fail() {
    let sim = sim_in(Scenario::LocalhostLinks).await;
    // Reached under a name that is not loopback: only then are localhost links wrong.
    let (addr, named) = crate::common::sim::as_bitbucket_test(&sim);
    let creds = Credentials {
        spec: ConnectionSpec {
            name: "cloud".into(),
            provider: Provider::Cloud,
            auth: AuthKind::ApiToken,
            url: named.clone(),
            username: Some("alice@example.com".into()),
            repo: None,
        },
        secret: SecretString::from("test-token-alice".to_string()),
    };
    let ep = Endpoints {
        cloud_api: format!("{named}/2.0"),
        cloud_web: named,
    };
    let opts = ClientOptions {
        allow_http: true,
        resolve: vec![("bitbucket.test".into(), addr)],
        ..options()
    };
    let report = Client::new(creds, &ep, opts)
        .expect("valid")
        .check(None)
        .await;
    assert_eq!(
        row(&report, CheckId::LocalhostLinks).status,
        CheckStatus::Failed,
        "{:#?}",
        report.items
    );
}

/// Hostile listings end in a clear error (never a hang, a panic or a half list claimed complete).
#[tokio::test(flavor = "multi_thread")]
async fn hostile_listings_end_in_clear_errors() {
    let cases = [
        (Scenario::TruncatedJson, "unreadable JSON"),
        (Scenario::HugeBody, "MiB"),
        (Scenario::EndlessPaging, "does not advance"),
        (Scenario::RedirectLoop, "redirected"),
        (Scenario::HtmlError, "500"),
        (Scenario::Empty500, "500"),
    ];
    for (scenario, needle) in cases {
        let sim = sim_in(scenario).await;
        let opts = ClientOptions {
            max_retries: 1,
            timeout: Duration::from_secs(5),
            ..options()
        };
        for client in [
            dc_client(&sim, opts.clone()),
            cloud_client(&sim, opts.clone()),
        ] {
            let product = client.spec().provider;
            let result = tokio::time::timeout(Duration::from_secs(20), client.list_all_repos())
                .await
                .unwrap_or_else(|_| panic!("{scenario:?} {product:?}: listing hung"));
            match (scenario, result) {
                // Endless Cloud paging by `next` can still end cleanly: the loop guard stops it.
                (Scenario::EndlessPaging, Ok(repos)) => {
                    assert_eq!(
                        product,
                        Provider::Cloud,
                        "DC's stuck nextPageStart must be an error"
                    );
                    let unique: std::collections::HashSet<_> =
                        repos.iter().map(|r| &r.full_name).collect();
                    assert_eq!(unique.len(), repos.len(), "{product:?}: no duplicates");
                }
                (_, Ok(repos)) => panic!(
                    "{scenario:?} {product:?}: claimed success with {} repositories",
                    repos.len()
                ),
                (_, Err(p)) => {
                    assert!(
                        p.what.contains(needle),
                        "{scenario:?} {product:?}: {}",
                        p.what
                    );
                    assert!(!p.fix.is_empty());
                    assert!(!p.what.chars().any(char::is_control));
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_types_and_slow_drip_are_errors() {
    let sim = sim_in(Scenario::WrongTypes).await;
    for client in [dc_client(&sim, options()), cloud_client(&sim, options())] {
        let err = client
            .list_all_repos()
            .await
            .expect_err("an unreadable page is an error, not a shorter list");
        assert!(err.what.contains("unreadable JSON"), "{}", err.what);
    }
    drop(sim);

    let sim = sim_in(Scenario::SlowDrip).await;
    let opts = ClientOptions {
        timeout: Duration::from_millis(700),
        max_retries: 0,
        ..options()
    };
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        dc_client(&sim, opts).list_all_repos(),
    )
    .await
    .expect("the time limit applies to a dripping body")
    .unwrap_err();
    assert_eq!(err.class, FailureClass::Unreachable, "{err:?}");
}

/// A server that always answers `status` with the given headers, counting requests.
async fn stubborn_server(
    status: u16,
    retry_after: Option<&'static str>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut resp = axum::response::Response::new(axum::body::Body::from("{}"));
            *resp.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
            if let Some(ra) = retry_after {
                resp.headers_mut()
                    .insert("retry-after", ra.parse().unwrap());
            }
            resp
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), hits)
}

fn dc_at(url: &str, options: ClientOptions) -> Client {
    let creds = Credentials {
        spec: ConnectionSpec {
            name: "dc".into(),
            provider: Provider::Server,
            auth: AuthKind::HttpTokenUser,
            url: url.into(),
            username: None,
            repo: None,
        },
        secret: SecretString::from("test-token-alice".to_string()),
    };
    Client::new(creds, &Endpoints::default(), options).expect("valid")
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_stop_after_the_configured_number() {
    let (url, hits) = stubborn_server(503, None).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let err = dc_at(
        &url,
        ClientOptions {
            max_retries: 3,
            ..options()
        },
    )
    .list_all_repos()
    .await
    .expect_err("503 forever");
    assert_eq!(err.class, FailureClass::Other, "{err:?}");
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        4,
        "one try and three retries"
    );

    // The progress channel gets one line per wait. Asked one after another, the check stops
    // at its first probe: exactly its try and two retries reach the server.
    let before = hits.load(std::sync::atomic::Ordering::SeqCst);
    let report = dc_at(
        &url,
        ClientOptions {
            max_retries: 2,
            sequential_check: true,
            ..options()
        },
    )
    .check(Some(tx))
    .await;
    assert!(!report.passed());
    assert_two_waits_shown(&mut rx);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst) - before, 3);

    // Asked at once (the default), the probes that go out beside the first one retry within
    // the same budget, and only the judged probe's waits are shown: the report reads the same.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let before = hits.load(std::sync::atomic::Ordering::SeqCst);
    let at_once = dc_at(
        &url,
        ClientOptions {
            max_retries: 2,
            ..options()
        },
    )
    .check(Some(tx))
    .await;
    assert_eq!(at_once, report);
    assert_two_waits_shown(&mut rx);
    // Four probes (properties, credential, listing, admin), three tries each at most.
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) - before <= 4 * 3);
}

/// The progress lines sent so far: two of them are waits before a retry.
fn assert_two_waits_shown(rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>) {
    let mut lines = Vec::new();
    while let Ok(l) = rx.try_recv() {
        lines.push(l);
    }
    assert_eq!(
        lines.iter().filter(|l| l.contains("retrying in")).count(),
        2,
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_beyond_the_budget_is_reported_not_waited() {
    let (url, hits) = stubborn_server(429, Some("120")).await;
    let started = Instant::now();
    let err = dc_at(&url, options())
        .list_all_repos()
        .await
        .expect_err("rate limited");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(err.fix.contains("120 s"), "{err:?}");
}
