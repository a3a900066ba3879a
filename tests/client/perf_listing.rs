//! Listing under pressure: completeness with 429s in between (both products, with and
//! without `size`, at full concurrency), a 429 holding back every other request of the
//! client, and cancellation (dropping the receiver or aborting the task stops requests).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use bbconnect::bitbucket::http::{Auth, Http, RetryPolicy};
use bbconnect::bitbucket::{Client, Endpoints};
use bbconnect::core::model::{Repo, RepoPage};
use bbconnect::sim::{self, Scenario, SimConfig, SimHandle};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::common::creds::{self, fast as options};

fn dc_client(sim: &SimHandle) -> Client {
    Client::new(creds::dc_alice(sim), &Endpoints::default(), options()).expect("valid credentials")
}

fn cloud_client(sim: &SimHandle) -> Client {
    Client::new(creds::cloud_alice(sim), &creds::endpoints(sim), options())
        .expect("valid credentials")
}

/// Every repository exactly once: no duplicate full name, and `expected` in all.
fn assert_complete(repos: &[Repo], expected: usize) {
    let names: HashSet<&str> = repos.iter().map(|r| r.full_name.as_str()).collect();
    assert_eq!(names.len(), repos.len(), "a repository arrived twice");
    assert_eq!(repos.len(), expected, "repositories missing or extra");
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_listing_is_complete_through_429s_at_full_concurrency() {
    for omit_size in [false, true] {
        let sim = sim::start(SimConfig {
            scenario: Scenario::RateLimited,
            repos: Some(1_200),
            cloud_workspaces: Some(4),
            cloud_omit_size: omit_size,
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let repos = cloud_client(&sim)
            .list_all_repos()
            .await
            .unwrap_or_else(|p| panic!("429s slow the listing down, never fail it: {p:?}"));
        assert_complete(&repos, 1_200);
        // 1 workspaces request + 4 x 3 pages, each answered 429 once before it succeeded.
        assert_eq!(sim.request_count(), 2 * 13, "omit_size={omit_size}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_listing_is_complete_through_429s() {
    let sim = sim::start(SimConfig {
        scenario: Scenario::RateLimited,
        repos: Some(2_500),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let repos = dc_client(&sim)
        .list_all_repos()
        .await
        .unwrap_or_else(|p| panic!("429s slow the listing down, never fail it: {p:?}"));
    // alice reads every project but the other users' personal ones.
    let expected = repos.len();
    assert!(expected > 2_000, "{expected}");
    assert_complete(&repos, expected);
    // Pages of 1,000: three pages, each answered 429 once; the pages fetched ahead past the
    // end (at most max_concurrency - 1) may be refused and retried too, never more.
    let pages = expected.div_ceil(1_000);
    let made = sim.request_count();
    assert!(
        made >= 2 * pages && made <= 2 * (pages + 7),
        "{made} requests for {pages} pages"
    );
}

/// A server whose first request answers 429 (`Retry-After: 1`); it records when each
/// request arrived.
async fn limited_server() -> (String, Arc<Mutex<Vec<(String, Instant)>>>) {
    let log: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let seen = log.clone();
    let app = Router::new().route(
        "/{n}",
        get(move |axum::extract::Path(n): axum::extract::Path<String>| {
            let seen = seen.clone();
            async move {
                let first = {
                    let mut log = seen.lock().expect("log lock");
                    log.push((n, Instant::now()));
                    log.len() == 1
                };
                if first {
                    let mut h = HeaderMap::new();
                    h.insert("retry-after", HeaderValue::from_static("1"));
                    (StatusCode::TOO_MANY_REQUESTS, h, "{}").into_response()
                } else {
                    (StatusCode::OK, "{\"ok\":true}").into_response()
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), log)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_holds_back_every_other_request_of_the_client() {
    let (base, log) = limited_server().await;
    let http = Http::new(
        Duration::from_secs(5),
        Duration::from_secs(5),
        8,
        RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(10),
        },
    )
    .expect("transport");
    let first = {
        let http = http.clone();
        let url = format!("{base}/a");
        tokio::spawn(async move { http.get_json(&url, &Auth::None, None).await })
    };
    // Let the 429 come back before the others start.
    while log.lock().expect("log lock").is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let others: Vec<_> = ["b", "c", "d"]
        .into_iter()
        .map(|n| {
            let http = http.clone();
            let url = format!("{base}/{n}");
            tokio::spawn(async move { http.get_json(&url, &Auth::None, None).await })
        })
        .collect();
    for task in std::iter::once(first).chain(others) {
        let resp = task
            .await
            .expect("task")
            .expect("every request succeeds in the end");
        assert_eq!(resp.status, 200);
    }
    assert!(
        http.concurrency() < 8,
        "after a 429 the client keeps fewer requests in flight ({})",
        http.concurrency()
    );
    let log = log.lock().expect("log lock");
    let limited_at = log[0].1;
    assert_eq!(log.len(), 5, "a retried once, b c d once each: {log:?}");
    for (n, at) in log.iter().skip(1) {
        assert!(
            at.duration_since(limited_at) >= Duration::from_millis(950),
            "{n} was sent {:?} after the 429, inside its Retry-After",
            at.duration_since(limited_at)
        );
    }
}

/// Receives the first page, then `stop` ends the listing; returns the requests made by
/// the time it ended and the requests after another pause (which must be the same).
async fn requests_after_stop(
    sim: &SimHandle,
    client: Client,
    stop: impl FnOnce(mpsc::Receiver<RepoPage>, tokio::task::JoinHandle<()>),
) -> (usize, usize) {
    let (tx, mut rx) = mpsc::channel::<RepoPage>(1);
    let task = tokio::spawn(async move {
        let _ = client.list_repos(tx).await;
    });
    let first = rx.recv().await.expect("a first page");
    assert!(!first.repos.is_empty());
    stop(rx, task);
    // In-flight requests end within the latency; nothing new may start after that.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let settled = sim.request_count();
    tokio::time::sleep(Duration::from_millis(400)).await;
    (settled, sim.request_count())
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_the_receiver_or_aborting_stops_the_requests() {
    // Cloud: 4 workspaces x 20 pages of 100 at 8 in flight; DC: 20 pages of 1,000.
    let cloud = sim::start(SimConfig {
        repos: Some(8_000),
        cloud_workspaces: Some(4),
        latency_ms: 40,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let dc = sim::start(SimConfig {
        repos: Some(20_000),
        latency_ms: 40,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let cases: [(&SimHandle, Client, usize, bool); 4] = [
        (&cloud, cloud_client(&cloud), 81, false),
        (&cloud, cloud_client(&cloud), 81, true),
        (&dc, dc_client(&dc), 20, false),
        (&dc, dc_client(&dc), 20, true),
    ];
    for (sim, client, full, abort) in cases {
        let before = sim.request_count();
        let (settled, later) = requests_after_stop(sim, client, |rx, task| {
            if abort {
                task.abort();
            } else {
                drop(rx);
            }
        })
        .await;
        assert_eq!(
            settled, later,
            "requests went on after the stop (abort={abort})"
        );
        let made = later - before;
        assert!(
            made < full / 2,
            "{made} of {full} requests made although the listing stopped after its first page (abort={abort})"
        );
    }
}
