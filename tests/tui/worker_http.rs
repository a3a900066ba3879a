//! The wizard's plain-http confirmation reaches the client through the worker. The server
//! is a non-loopback name (`bitbucket.example.test`) reached through an http proxy that is
//! the simulator itself, so the request really leaves as plain http to a remote host.
//! It sets the proxy variables for the whole process, so it runs alone in a child process.

use std::sync::Arc;
use std::time::Duration;

use bbconnect::bitbucket::proxy::ProxyEnv;
use bbconnect::bitbucket::{ClientOptions, Endpoints};
use bbconnect::core::model::CheckId;
use bbconnect::core::model::{AuthKind, CheckStatus, ConnectionSpec, Credentials, Provider};
use bbconnect::sim::{self, SimConfig};
use bbconnect::store::{SecretStoreMode, Store};
use bbconnect::tui::wizard::msg::{Effect, Msg};
use bbconnect::tui::worker::{self, WorkerContext};
use secrecy::SecretString;
use tokio::sync::mpsc;

use crate::common::child;

fn creds(url: &str) -> Credentials {
    Credentials {
        spec: ConnectionSpec {
            name: "plain".into(),
            provider: Provider::Server,
            auth: AuthKind::HttpTokenUser,
            url: url.into(),
            username: Some("alice".into()),
            repo: None,
        },
        secret: SecretString::from("test-token-alice"),
    }
}

async fn check(
    worker: &worker::WorkerHandle,
    replies: &mut mpsc::UnboundedReceiver<Msg>,
    id: u64,
    url: &str,
    allow_http: bool,
) -> bbconnect::core::model::CheckReport {
    worker.send(Effect::CheckCredentials {
        id,
        creds: creds(url),
        allow_http,
    });
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), replies.recv())
            .await
            .expect("a reply in time")
            .expect("worker alive");
        if let Msg::CheckDone { id: got, report } = msg {
            assert_eq!(got, id);
            return report;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_check_sends_over_plain_http_only_when_confirmed() {
    if !child::is_alone() {
        child::run_alone(
            module_path!(),
            "the_check_sends_over_plain_http_only_when_confirmed",
        );
        return;
    }
    let sim = sim::start(SimConfig {
        repos: Some(20),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // The proxy as main hands it down from `Settings` (HTTP_PROXY) to every client.
    let proxies = ProxyEnv {
        http: Some(sim.base_url()),
        ..ProxyEnv::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).unwrap();
    let (tx, mut replies) = mpsc::unbounded_channel();
    let worker = worker::spawn(
        WorkerContext::new(
            Endpoints::default(),
            Arc::new(store),
            ClientOptions {
                proxies: Some(proxies),
                ..ClientOptions::default()
            },
        ),
        tx,
    );
    let remote = "http://bitbucket.example.test";

    let refused = check(&worker, &mut replies, 1, remote, false).await;
    assert_eq!(refused.worst(), CheckStatus::Failed, "{:#?}", refused.items);
    let before = sim.request_count();
    assert!(
        refused.items.iter().any(|i| i.detail.contains("http")),
        "{:#?}",
        refused.items
    );

    let sent = check(&worker, &mut replies, 2, remote, true).await;
    // The simulator's links name its loopback address, which the check rightly flags for a
    // server reached by another name; every other row must pass.
    let status = |id: CheckId| {
        sent.items
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.status)
            .unwrap_or_else(|| panic!("no {id} row: {:#?}", sent.items))
    };
    assert_eq!(status(CheckId::Credential), CheckStatus::Passed);
    assert_eq!(status(CheckId::Reach), CheckStatus::Passed);
    assert_eq!(status(CheckId::Http), CheckStatus::Warning);
    assert_eq!(sent.identity.as_ref().unwrap().username, "alice");
    assert!(sim.request_count() > before, "the requests went out");
    worker.shutdown();
    sim.shutdown().await;
}
