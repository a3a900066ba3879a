//! The webhook is proven to reach the CI: Data Center's `webhooks/test`, performed for real
//! by the simulator, delivers a signed request to a receiver on loopback; `connect` and
//! `check` report what the CI answered, or that it could not be reached. Cloud has no such
//! endpoint and says where the request log is. Headless `connect --webhook-url` generates a
//! secret, revealed only by `webhook-secret`.

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use bbconnect::sim::{self, SimConfig, SimHandle};
use hmac::{Hmac, KeyInit, Mac};

use crate::common::bin::{cloud_api_connect, dc_user_connect, run, text};
use crate::common::creds::ALICE;

type Seen = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A CI endpoint on loopback that records each delivery and answers 202.
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push((headers, body));
                StatusCode::ACCEPTED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), seen)
}

fn dc_repo() -> String {
    sim::demo_credentials()
        .into_iter()
        .find(|c| c.auth == "http-token-repo")
        .and_then(|c| c.repo)
        .expect("demo repo")
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn dc_connect(sim: &SimHandle, dir: &Path, hook: &str) -> Output {
    let url = sim.server_url();
    let repo = dc_repo();
    run(
        sim,
        dir,
        &[
            dc_user_connect(&url),
            vec!["--repo", &repo, "--webhook-url", hook],
        ]
        .concat(),
        Some(ALICE),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_connect_tests_the_hook_and_the_signed_delivery_verifies() {
    let sim = sim::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (hook, seen) = receiver().await;
    let out = dc_connect(&sim, dir.path(), &hook).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Webhook delivery test: Bitbucket sent a test request")
            && stdout.contains("answered HTTP 202"),
        "{}",
        text(&out)
    );
    // A secret was generated and stored, and never printed by connect.
    let secret = run(&sim, dir.path(), &["webhook-secret", "dc"], None).await;
    assert_eq!(secret.status.code(), Some(0), "{}", text(&secret));
    let secret = String::from_utf8_lossy(&secret.stdout).trim().to_string();
    assert_eq!(secret.len(), 64, "{secret}");
    assert!(!text(&out).contains(&secret));
    let deliveries = seen.lock().unwrap().clone();
    assert_eq!(deliveries.len(), 1);
    let (headers, body) = &deliveries[0];
    let signature = headers["x-hub-signature"].to_str().unwrap();
    assert_eq!(signature, format!("sha256={}", hmac_hex(&secret, body)));
    assert_ne!(
        signature,
        format!("sha256={}", hmac_hex("another-secret", body))
    );

    // `check` tests it again and says so.
    let check = run(&sim, dir.path(), &["check", "dc"], None).await;
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    // The report is check's output: stdout.
    assert!(
        String::from_utf8_lossy(&check.stdout)
            .contains("Webhook reaches the CI: Bitbucket sent a test request"),
        "{}",
        text(&check)
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_ci_is_reported_not_hidden() {
    let sim = sim::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bound, then closed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let hook = format!("http://127.0.0.1:{closed}/hook");
    let out = dc_connect(&sim, dir.path(), &hook).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Bitbucket could not reach") && stdout.contains("Connection refused"),
        "{}",
        text(&out)
    );
    assert!(stdout.contains("fix: Make the URL reachable"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_test_route_is_not_taken_for_a_hook_id() {
    // It answered 405 when `/webhooks/{id}` caught `/webhooks/test`.
    let sim = sim::start(SimConfig::default()).await.unwrap();
    let (hook, seen) = receiver().await;
    let (key, slug) = dc_repo()
        .split_once('/')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap();
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/rest/api/1.0/projects/{key}/repos/{slug}/webhooks/test",
            sim.server_url()
        ))
        .query(&[("url", hook.as_str())])
        .bearer_auth("test-token-alice")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["response"]["statusCode"], 202, "{v}");
    // No hook named: no secret, so no signature.
    let deliveries = seen.lock().unwrap().clone();
    assert!(deliveries[0].0.get("x-hub-signature").is_none());
    // A read-only user may not make the server send requests.
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/rest/api/1.0/projects/{key}/repos/{slug}/webhooks/test",
            sim.server_url()
        ))
        .query(&[("url", hook.as_str())])
        .bearer_auth("test-token-bob")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_says_there_is_no_test_endpoint_and_where_the_log_is() {
    let sim = sim::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let repo = crate::common::sim::demo_repo("cloud", "repo-token");
    let (hook, seen) = receiver().await;
    let out = run(
        &sim,
        dir.path(),
        &[
            cloud_api_connect(),
            vec!["--repo", &repo, "--webhook-url", &hook],
        ]
        .concat(),
        Some(ALICE),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("has no API to test a webhook"), "{stdout}");
    assert!(
        stdout.contains(&format!("{}/{repo}/admin/webhooks", sim.cloud_web_url())),
        "{stdout}"
    );
    assert!(seen.lock().unwrap().is_empty());
    // The generated secret was stored for Cloud too.
    let secret = run(&sim, dir.path(), &["webhook-secret", "cloud"], None).await;
    assert_eq!(secret.status.code(), Some(0), "{}", text(&secret));
}
