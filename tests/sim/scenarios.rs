//! Every failure switch of the simulator does exactly what its doc says, deterministically.

use std::time::{Duration, Instant};

use bbconnect::sim::{self, Scenario, SimConfig, SimHandle};
use reqwest::{Client, StatusCode, header};
use serde_json::Value;

use crate::common::http::JsonBody;
use crate::common::http::no_redirects;
use crate::common::sim::with_scenario as sim_with;

async fn dc(sim: &SimHandle, path: &str) -> reqwest::Response {
    no_redirects()
        .get(format!("{}/rest/api/1.0{path}", sim.server_url()))
        .bearer_auth("test-token-alice")
        .send()
        .await
        .expect("request reaches the simulator")
}

async fn cloud(sim: &SimHandle, path: &str) -> reqwest::Response {
    no_redirects()
        .get(format!("{}{path}", sim.cloud_api_url()))
        .basic_auth("alice@example.com", Some("test-token-alice"))
        .send()
        .await
        .expect("request reaches the simulator")
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn old_version_reports_7_9_1() {
    let sim = sim_with(Scenario::OldVersion).await;
    let v: Value = dc(&sim, "/application-properties")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["version"], "7.9.1");
}

#[tokio::test]
async fn localhost_links_point_every_href_at_localhost() {
    let sim = sim_with(Scenario::LocalhostLinks).await;
    let v: Value = dc(&sim, "/repos?limit=3").await.json().await.expect("json");
    let repo = &v["values"][0];
    assert!(
        repo["links"]["self"][0]["href"]
            .as_str()
            .is_some_and(|h| h.starts_with("http://localhost:7990/"))
    );
    assert!(
        repo["links"]["clone"]
            .as_array()
            .expect("clone")
            .iter()
            .all(|c| c["href"].as_str().is_some_and(|h| h.contains("localhost")))
    );
    let v: Value = cloud(&sim, "/repositories/acme-platform?pagelen=2")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        v["values"][0]["links"]["html"]["href"]
            .as_str()
            .is_some_and(|h| h.starts_with("http://localhost:7990/"))
    );
    // Paging itself still works: `next` is not a link the server's base URL shapes.
    assert!(
        v["next"]
            .as_str()
            .is_some_and(|n| n.starts_with(&sim.base_url()))
    );
}

#[tokio::test]
async fn html_login_answers_200_html_where_json_is_expected() {
    let sim = sim_with(Scenario::HtmlLogin).await;
    for r in [
        dc(&sim, "/application-properties").await,
        cloud(&sim, "/user").await,
    ] {
        assert_eq!(r.status(), StatusCode::OK);
        assert!(content_type(&r).starts_with("text/html"));
        let body = r.text().await.expect("text");
        assert!(body.contains("<html") && body.contains("password"));
    }
}

#[tokio::test]
async fn rate_limited_answers_429_once_per_request_then_ok() {
    let sim = sim_with(Scenario::RateLimited).await;
    let r = dc(&sim, "/repos?limit=10").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(dc(&sim, "/repos?limit=10").await.status(), StatusCode::OK);
    // Another query is another request: limited again, once.
    assert_eq!(
        dc(&sim, "/repos?limit=10&start=10").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let r = cloud(&sim, "/user").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        v["error"]["message"],
        "Rate limit for this resource has been exceeded."
    );
    assert_eq!(cloud(&sim, "/user").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn server_errors_answer_502_then_503_then_ok() {
    let sim = sim_with(Scenario::ServerErrors).await;
    assert_eq!(dc(&sim, "/repos").await.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        dc(&sim, "/repos").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(dc(&sim, "/repos").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn gone_answers_410_everywhere() {
    let sim = sim_with(Scenario::Gone).await;
    assert_eq!(
        dc(&sim, "/application-properties").await.status(),
        StatusCode::GONE
    );
    let r = cloud(&sim, "/user").await;
    assert_eq!(r.status(), StatusCode::GONE);
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        v["error"]["message"],
        "CHANGE-2770 - Functionality has been deprecated"
    );
}

#[tokio::test]
async fn slow_and_latency_delay_answers() {
    let sim = sim_with(Scenario::Slow).await;
    let t = Instant::now();
    assert_eq!(
        dc(&sim, "/application-properties").await.status(),
        StatusCode::OK
    );
    assert!(
        t.elapsed() >= Duration::from_millis(2900),
        "{:?}",
        t.elapsed()
    );
    drop(sim);

    let sim = sim::start(SimConfig {
        latency_ms: 300,
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let t = Instant::now();
    dc(&sim, "/application-properties").await;
    dc(&sim, "/application-properties").await;
    assert!(
        t.elapsed() >= Duration::from_millis(600),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn truncated_json_cuts_listings_but_not_identity() {
    let sim = sim_with(Scenario::TruncatedJson).await;
    let r = dc(&sim, "/application-properties").await;
    assert!(
        r.json::<Value>().await.is_ok(),
        "identity calls stay intact"
    );
    for r in [
        dc(&sim, "/repos?limit=50").await,
        cloud(&sim, "/repositories/acme-platform?pagelen=50").await,
    ] {
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.bytes().await.expect("body");
        assert!(body.len() > 100);
        assert!(
            serde_json::from_slice::<Value>(&body).is_err(),
            "the body must not parse"
        );
    }
}

#[tokio::test]
async fn wrong_types_swap_field_types_in_listings() {
    let sim = sim_with(Scenario::WrongTypes).await;
    let v: Value = dc(&sim, "/repos?limit=5")
        .await
        .json()
        .await
        .expect("still JSON");
    assert!(v["size"].is_string() && v["isLastPage"].is_string());
    assert!(v["values"][0]["slug"].is_number());
    let v: Value = cloud(&sim, "/repositories/acme-platform?pagelen=5")
        .await
        .json()
        .await
        .expect("still JSON");
    assert!(v["values"][0]["is_private"].is_string() && v["values"][0]["uuid"].is_number());
}

#[tokio::test]
async fn huge_body_is_larger_than_16_mib() {
    let sim = sim_with(Scenario::HugeBody).await;
    let mut r = dc(&sim, "/repos").await;
    assert!(
        r.content_length().is_none(),
        "no length announced: the client must count"
    );
    let mut total = 0usize;
    while let Some(chunk) = r.chunk().await.expect("chunk") {
        total += chunk.len();
    }
    assert!(total > 16 * 1024 * 1024, "{total}");
}

#[tokio::test]
async fn endless_paging_never_advances() {
    let sim = sim_with(Scenario::EndlessPaging).await;
    let v: Value = dc(&sim, "/repos?start=25&limit=25")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["isLastPage"], false);
    assert_eq!(v["nextPageStart"], 25);
    let first: Value = cloud(&sim, "/repositories/acme-platform?pagelen=100")
        .await
        .json()
        .await
        .expect("json");
    let next = first["next"].as_str().expect("next").to_string();
    let second: Value = no_redirects()
        .get(&next)
        .basic_auth("alice@example.com", Some("test-token-alice"))
        .json_body()
        .await;
    assert_eq!(
        second["next"].as_str(),
        Some(next.as_str()),
        "a next that repeats"
    );
}

#[tokio::test]
async fn redirect_loop_bounces_between_two_urls() {
    let sim = sim_with(Scenario::RedirectLoop).await;
    let r = dc(&sim, "/repos?limit=5").await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let a = r
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    assert_eq!(a, "/rest/api/1.0/repos?limit=5&loop=1");
    let r = no_redirects()
        .get(format!("{}{a}", sim.server_url()))
        .bearer_auth("test-token-alice")
        .send()
        .await
        .expect("send");
    assert_eq!(
        r.headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/rest/api/1.0/repos?limit=5")
    );
    // A following client gives up instead of spinning.
    let err = Client::new()
        .get(format!("{}/rest/api/1.0/repos", sim.server_url()))
        .send()
        .await;
    assert!(err.is_err_and(|e| e.is_redirect()));
}

#[tokio::test]
async fn slow_drip_sends_a_byte_at_a_time() {
    let sim = sim_with(Scenario::SlowDrip).await;
    let mut r = dc(&sim, "/repos?limit=1").await;
    assert_eq!(r.status(), StatusCode::OK);
    let t = Instant::now();
    let mut got = 0;
    while t.elapsed() < Duration::from_millis(700) {
        match tokio::time::timeout(Duration::from_millis(700), r.chunk()).await {
            Ok(Ok(Some(c))) => got += c.len(),
            _ => break,
        }
    }
    assert!(
        (1..=8).contains(&got),
        "about one byte per 200 ms, got {got}"
    );
}

#[tokio::test]
async fn html_error_and_empty_500() {
    let sim = sim_with(Scenario::HtmlError).await;
    let r = cloud(&sim, "/repositories/acme-platform").await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(content_type(&r).starts_with("text/html"));
    assert!(
        cloud(&sim, "/user").await.status().is_success(),
        "only listings fail"
    );
    drop(sim);

    let sim = sim_with(Scenario::Empty500).await;
    let r = dc(&sim, "/repos").await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.bytes().await.expect("body").is_empty());
}
