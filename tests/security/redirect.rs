//! Redirect safety: a server that redirects to another port, host or scheme never gets
//! the credential forwarded; the recorder on the far side sees nothing, and the user is told
//! what happened. Plain http to a host that is not loopback is refused before any request.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bbconnect::bitbucket::urls;
use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
use bbconnect::core::model::CheckId;
use bbconnect::core::model::{
    AuthKind, CheckStatus, ConnectionSpec, Credentials, FailureClass, Provider,
};
use secrecy::SecretString;

use crate::common::creds::CANARY;

/// What reached a server: path and whether an Authorization header came with it.
#[derive(Debug, Clone)]
#[allow(dead_code)] // `path` is read through Debug in failure messages.
struct Seen {
    path: String,
    authorization: Option<String>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

fn record(log: &Log, req: &Request<Body>) {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if let Ok(mut l) = log.lock() {
        l.push(Seen {
            path: req.uri().to_string(),
            authorization,
        });
    }
}

fn seen(log: &Log) -> Vec<Seen> {
    log.lock().map(|l| l.clone()).unwrap_or_default()
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// The far side of every redirect: records and answers something plausible.
async fn recorder() -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let app = Router::new()
        .fallback(|State(log): State<Log>, req: Request<Body>| async move {
            record(&log, &req);
            (
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"values":[],"isLastPage":true,"size":0}"#,
            )
        })
        .with_state(log.clone());
    (serve(app).await, log)
}

#[derive(Clone)]
struct Redirecting {
    log: Log,
    recorder: SocketAddr,
}

/// A "Bitbucket" that answers the anonymous version probe and redirects everything else:
/// the repository list with 307 to another port, everything else with 302 to another host
/// name (localhost instead of 127.0.0.1) on that port.
async fn redirecting_server(recorder: SocketAddr) -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let state = Redirecting {
        log: log.clone(),
        recorder,
    };
    let app = Router::new()
        .fallback(
            |State(s): State<Redirecting>, req: Request<Body>| async move {
                record(&s.log, &req);
                let path = req.uri().path().to_string();
                if path.ends_with("/application-properties") {
                    let mut h = HeaderMap::new();
                    h.insert(
                        header::CONTENT_TYPE,
                        "application/json".parse().expect("static"),
                    );
                    // As real DC does: the authenticated probe names the credential's owner.
                    if req.headers().contains_key(header::AUTHORIZATION) {
                        h.insert("x-ausername", "alice".parse().expect("static"));
                    }
                    return (
                        h,
                        r#"{"version":"8.19.1","buildNumber":"8019001","displayName":"Bitbucket"}"#,
                    )
                        .into_response();
                }
                let (status, target) = if path.contains("/repos") {
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        format!("http://127.0.0.1:{}/stolen{path}", s.recorder.port()),
                    )
                } else {
                    (
                        StatusCode::FOUND,
                        format!("http://localhost:{}/stolen{path}", s.recorder.port()),
                    )
                };
                Response::builder()
                    .status(status)
                    .header(header::LOCATION, target)
                    .body(Body::empty())
                    .expect("static response")
            },
        )
        .with_state(state);
    (serve(app).await, log)
}

fn creds(provider: Provider, auth: AuthKind, url: String, user: &str) -> Credentials {
    Credentials {
        spec: ConnectionSpec {
            name: "redirected".into(),
            provider,
            auth,
            url,
            username: Some(user.into()),
            repo: None,
        },
        secret: SecretString::from(CANARY),
    }
}

fn fast() -> ClientOptions {
    ClientOptions {
        max_retries: 0,
        ..ClientOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_recorder_really_records() {
    // Without this, an empty recorder log below could mean a broken recorder.
    let (rec, log) = recorder().await;
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/probe", rec.port()))
        .bearer_auth("test-token-probe")
        .send()
        .await
        .expect("recorder answers");
    let s = seen(&log);
    assert_eq!(s.len(), 1);
    assert_eq!(
        s[0].authorization.as_deref(),
        Some("Bearer test-token-probe")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_redirects_never_carry_the_credential() {
    let (rec, rec_log) = recorder().await;
    let (srv, srv_log) = redirecting_server(rec).await;
    let client = Client::new(
        creds(
            Provider::Server,
            AuthKind::HttpTokenUser,
            format!("http://127.0.0.1:{}", srv.port()),
            "alice",
        ),
        &Endpoints::default(),
        fast(),
    )
    .expect("client");

    let report = client.check(None).await;
    assert_eq!(report.worst(), CheckStatus::Failed, "{report:?}");
    let failed: Vec<_> = report
        .items
        .iter()
        .filter(|i| i.status == CheckStatus::Failed)
        .collect();
    let said = format!("{failed:?}");
    assert!(
        said.contains("redirect"),
        "the user is told about the redirect: {said}"
    );

    let problem = client
        .list_all_repos()
        .await
        .expect_err("a redirected listing fails");
    assert!(
        problem.what.contains("redirect"),
        "clear message: {problem}"
    );
    assert!(
        problem.fix.contains(&format!("{}", rec.port())),
        "the fix names where it redirects: {problem}"
    );
    assert_eq!(problem.class, FailureClass::Input);

    // The server itself did get the credential (so it was sent at all)...
    let at_server = seen(&srv_log);
    assert!(
        at_server.iter().any(|s| s.authorization.is_some()),
        "the credential went to the configured server: {at_server:?}"
    );
    // ...and nothing whatsoever reached the other side.
    let at_recorder = seen(&rec_log);
    assert!(at_recorder.is_empty(), "requests leaked: {at_recorder:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_redirects_never_carry_the_credential() {
    let (rec, rec_log) = recorder().await;
    let (srv, srv_log) = redirecting_server(rec).await;
    let base = format!("http://127.0.0.1:{}", srv.port());
    let endpoints = Endpoints {
        cloud_api: format!("{base}/2.0"),
        cloud_web: base.clone(),
    };
    let client = Client::new(
        creds(
            Provider::Cloud,
            AuthKind::ApiToken,
            base,
            "alice@example.com",
        ),
        &endpoints,
        fast(),
    )
    .expect("client");
    let report = client.check(None).await;
    assert_eq!(report.worst(), CheckStatus::Failed, "{report:?}");
    assert!(format!("{report:?}").contains("redirect"), "{report:?}");
    let problem = client.list_all_repos().await.expect_err("redirected");
    assert!(problem.what.contains("redirect"), "{problem}");
    assert!(
        seen(&srv_log).iter().any(|s| s.authorization.is_some()),
        "the credential went to the configured server"
    );
    let at_recorder = seen(&rec_log);
    assert!(at_recorder.is_empty(), "requests leaked: {at_recorder:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_a_remote_host_is_refused_before_any_request() {
    // `.invalid` never resolves: had a request been tried, the error would be a DNS failure,
    // not the refusal.
    let url = "http://bitbucket.example.invalid".to_string();
    let client = Client::new(
        creds(
            Provider::Server,
            AuthKind::HttpTokenUser,
            url.clone(),
            "alice",
        ),
        &Endpoints::default(),
        fast(),
    )
    .expect("client");
    let problem = client.list_all_repos().await.expect_err("refused");
    assert!(problem.what.contains("plain http"), "{problem}");
    assert!(problem.fix.contains("--allow-http"), "{problem}");
    assert!(!format!("{problem:?}").contains(CANARY));

    let report = client.check(None).await;
    let tls = report
        .items
        .iter()
        .find(|i| i.id == CheckId::Tls || i.id == CheckId::Http)
        .unwrap_or_else(|| panic!("a transport row: {report:?}"));
    assert_eq!(tls.status, CheckStatus::Failed, "{report:?}");
    // Only the transport row and rows that never sent the credential may appear.
    assert!(
        !report
            .items
            .iter()
            .any(|i| i.id == CheckId::Credential && i.status == CheckStatus::Passed),
        "{report:?}"
    );
}

#[test]
fn loopback_decision_is_exact() {
    for ok in [
        "http://127.0.0.1:7990",
        "http://127.0.0.2:7990",
        "http://localhost",
        "http://[::1]:8080/bitbucket",
        "https://anything.example.com",
    ] {
        assert!(!urls::is_insecure(ok), "{ok} is safe");
    }
    for bad in [
        "http://bitbucket.example.com",
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
        "http://10.0.0.1",
        "http://192.168.1.10:7990",
        "http://[::ffff:10.0.0.1]",
        "http://0.0.0.0:7990",
        "HTTP://BITBUCKET.EXAMPLE.COM",
    ] {
        assert!(urls::is_insecure(bad), "{bad} must be refused");
    }
}
