//! DC fetch-ahead: once the first page proves the offsets linear, later pages are asked for
//! concurrently and delivered in order. Every repository must still arrive exactly once (at
//! sizes that end on a full page, a short page, and in one page), a server whose offsets stop
//! being linear must be followed page by page from there, 429s must only slow it down, and the
//! speculative requests past the end stay below `max_concurrency`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
use bbconnect::core::model::Repo;
use bbconnect::sim::{Scenario, SimConfig, SimHandle};
use serde_json::Value;

use crate::common::creds;
use crate::common::http::JsonBody;

const TOKEN: &str = "test-token-alice";
const CONCURRENCY: usize = 8;

fn dc_client(sim: &SimHandle, max_concurrency: usize) -> Client {
    let creds = creds::dc_alice(sim);
    let options = ClientOptions {
        max_concurrency,
        retry_base: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        ..ClientOptions::default()
    };
    Client::new(creds, &Endpoints::default(), options).expect("valid credentials")
}

async fn dc_sim(repos: usize, cap: usize, tweak: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut config = SimConfig {
        repos: Some(repos),
        dc_limit_cap: cap,
        ..SimConfig::default()
    };
    tweak(&mut config);
    crate::common::sim::start(config).await
}

/// What a plain one-page-at-a-time client following `nextPageStart` gets: the full names in
/// order, and how many pages that took. Independent of bbconnect's parser.
async fn sequential(sim: &SimHandle) -> (Vec<String>, usize) {
    let http = reqwest::Client::new();
    let (mut start, mut names, mut pages) = (0u64, Vec::new(), 0usize);
    loop {
        let url = format!(
            "{}/rest/api/1.0/repos?start={start}&limit=1000",
            sim.server_url()
        );
        let page: Value = http.get(&url).bearer_auth(TOKEN).json_body().await;
        pages += 1;
        for v in page["values"].as_array().expect("values") {
            let key = v["project"]["key"].as_str().expect("key");
            let slug = v["slug"].as_str().expect("slug");
            names.push(format!("{key}/{slug}"));
        }
        if page["isLastPage"].as_bool() != Some(false) {
            return (names, pages);
        }
        start = page["nextPageStart"].as_u64().expect("nextPageStart");
    }
}

/// The same repositories, each once, in the order the server pages them.
fn assert_same_listing(got: &[Repo], want: &[String], what: &str) {
    let names: Vec<&str> = got.iter().map(|r| r.full_name.as_str()).collect();
    let unique: HashSet<&str> = names.iter().copied().collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "{what}: a repository arrived twice"
    );
    assert_eq!(
        names.len(),
        want.len(),
        "{what}: repositories missing or extra"
    );
    assert!(
        names.iter().zip(want).all(|(a, b)| a == b),
        "{what}: pages delivered out of order"
    );
}

/// Lists through the client; returns the repositories and the requests it made.
async fn list(sim: &SimHandle, client: &Client) -> (Vec<Repo>, usize) {
    let before = sim.request_count();
    let repos = client
        .list_all_repos()
        .await
        .unwrap_or_else(|p| panic!("listing failed: {p:?}"));
    (repos, sim.request_count() - before)
}

/// The page sizes (the simulator's `limit` cap) to try for `readable` repositories: one page
/// exactly full, one page with room to spare, a ragged last page, and (when the count has a
/// small divisor) several pages of which the last is exactly full.
fn caps_for(readable: usize) -> Vec<usize> {
    let mut caps = vec![readable, readable + 7, 97];
    if let Some(k) = (3..=40).find(|k| readable.is_multiple_of(*k)) {
        caps.push(readable / k);
    }
    caps
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_ahead_lists_every_repository_once_at_many_sizes() {
    // A repository count whose readable part divides into several full pages.
    let mut exact_multiple_seen = false;
    for repos in [600, 601, 602, 603] {
        let probe = dc_sim(repos, 1000, |_| {}).await;
        let (want, _) = sequential(&probe).await;
        drop(probe);
        let readable = want.len();
        for cap in caps_for(readable) {
            let sim = dc_sim(repos, cap, |_| {}).await;
            let (got, requests) = list(&sim, &dc_client(&sim, CONCURRENCY)).await;
            let what = format!("{readable} repositories in pages of {cap}");
            assert_same_listing(&got, &want, &what);
            let pages = readable.div_ceil(cap).max(1);
            assert!(
                requests >= pages && requests < pages + CONCURRENCY,
                "{what}: {requests} requests for {pages} pages (at most {} speculative)",
                CONCURRENCY - 1
            );
            if pages > 2 && readable.is_multiple_of(cap) {
                exact_multiple_seen = true;
            }
        }
    }
    assert!(
        exact_multiple_seen,
        "no size ending on a full page was tried"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_that_stop_being_linear_are_followed_one_by_one() {
    // Pages of 100 until offset 300, then pages of 50: the page at 300 breaks the pattern
    // while pages at 400.. are already in flight.
    let sim = dc_sim(2_000, 100, |c| c.dc_short_pages_from = Some(300)).await;
    let (want, sequential_pages) = sequential(&sim).await;
    let (got, requests) = list(&sim, &dc_client(&sim, CONCURRENCY)).await;
    assert_same_listing(&got, &want, "offsets broken at 300");
    assert!(
        requests >= sequential_pages && requests < sequential_pages + CONCURRENCY,
        "{requests} requests where following nextPageStart takes {sequential_pages}"
    );
    drop(sim);

    // Not linear from the first page: no fetch-ahead at all, exactly the sequential requests.
    let sim = dc_sim(1_000, 100, |c| c.dc_short_pages_from = Some(0)).await;
    let (want, sequential_pages) = sequential(&sim).await;
    let (got, requests) = list(&sim, &dc_client(&sim, CONCURRENCY)).await;
    assert_same_listing(&got, &want, "short pages from the start");
    assert_eq!(requests, sequential_pages);
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_during_fetch_ahead_only_slow_it_down() {
    let probe = dc_sim(1_500, 200, |_| {}).await;
    let (want, pages) = sequential(&probe).await;
    drop(probe);
    // Every path+query answers 429 (Retry-After: 1) once, speculative pages included.
    let sim = dc_sim(1_500, 200, |c| c.scenario = Scenario::RateLimited).await;
    let before = sim.request_count();
    let repos = dc_client(&sim, CONCURRENCY)
        .list_all_repos()
        .await
        .unwrap_or_else(|p| panic!("429s slow the listing down, never fail it: {p:?}"));
    let requests = sim.request_count() - before;
    assert_same_listing(&repos, &want, "through 429s");
    // Each page (and each speculative one) at most twice: once refused, once served.
    assert!(
        requests < 2 * (pages + CONCURRENCY),
        "{requests} requests for {pages} pages"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn linear_pages_are_fetched_concurrently() {
    // 16 pages at 100 ms each: one after another that is at least 1.6 s.
    let sim = dc_sim(2_000, 100, |c| c.latency_ms = 100).await;
    let (want, pages) = sequential(&sim).await;
    assert!(pages >= 16, "{pages}");
    let client = dc_client(&sim, CONCURRENCY);
    let t = Instant::now();
    let (got, _) = list(&sim, &client).await;
    let elapsed = t.elapsed();
    assert_same_listing(&got, &want, "concurrent");
    assert!(
        elapsed < Duration::from_millis(100) * (pages as u32) / 2,
        "{elapsed:?} for {pages} pages of 100 ms: not fetched ahead"
    );
    // With one request at a time the same listing is sequential and complete too.
    let (got, requests) = list(&sim, &dc_client(&sim, 1)).await;
    assert_same_listing(&got, &want, "concurrency 1");
    assert_eq!(requests, pages);
}
