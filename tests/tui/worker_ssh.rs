//! The wizard's SSH route through the worker against the simulator: the save registers
//! exactly one read-only key on the repository, proves it over real ssh, and saves the
//! connection with its route; a credential without repository admin is told the manual path
//! (the same key on every retry) and saves nothing.

use std::sync::Arc;
use std::time::Duration;

use bbconnect::bitbucket::{Client, ClientOptions};
use bbconnect::core::model::{AuthKind, Credentials, FailureClass, Repo};
use bbconnect::core::ssh::GitProtocol;
use bbconnect::sim::{self, SimConfig, SimHandle};
use bbconnect::store::{NoKeychain, SecretStoreMode, Store};
use bbconnect::tui::wizard::msg::{Effect, Msg};
use bbconnect::tui::worker::{self, WorkerContext, WorkerHandle};
use tokio::sync::mpsc;

use crate::common::creds::{endpoints, spec, with_secret};
use crate::common::wait;

/// DC connection `ssh-USER` with USER's token.
fn creds(sim: &SimHandle, user: &str) -> Credentials {
    let name = format!("ssh-{user}");
    let spec = spec(
        &name,
        AuthKind::HttpTokenUser,
        &sim.server_url(),
        Some(user),
        None,
    );
    with_secret(spec, &format!("test-token-{user}"))
}

/// The repository as the wizard's list holds it (its SSH clone link included).
async fn listed(sim: &SimHandle, creds: &Credentials, full_name: &str) -> Repo {
    let client =
        Client::new(creds.clone(), &endpoints(sim), ClientOptions::default()).expect("client");
    let (found, _) = client.find_repo(full_name).await.expect("listed");
    found.expect("the repository is visible")
}

fn save(id: u64, creds: Credentials, repo: Repo) -> Effect {
    Effect::Save {
        id,
        creds,
        repo: Some(repo),
        identity_username: None,
        oauth: None,
        webhook: None,
        replace: false,
        expires_on: Some("2027-01-10".parse().expect("date")),
        git_protocol: GitProtocol::Ssh,
        allow_http: false,
    }
}

async fn saved_reply(rx: &mut mpsc::UnboundedReceiver<Msg>, want: u64) -> Msg {
    match wait::next(rx, Duration::from_secs(60)).await {
        m @ Msg::Saved { id, .. } if id == want => m,
        other => panic!("expected Saved {want}, got {other:?}"),
    }
}

fn start(sim: &SimHandle, store: &Arc<Store>) -> (WorkerHandle, mpsc::UnboundedReceiver<Msg>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = worker::spawn(
        WorkerContext::new(endpoints(sim), store.clone(), ClientOptions::default()),
        tx,
    );
    (handle, rx)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ssh_save_registers_one_read_only_key_and_saves_the_route() {
    let sim = sim::start(SimConfig {
        port: 0,
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(
        Store::open_with_keychain(
            Some(dir.path().to_path_buf()),
            SecretStoreMode::File,
            Arc::new(NoKeychain),
        )
        .expect("store"),
    );
    let (handle, mut rx) = start(&sim, &store);
    let full_name = crate::common::sim::dc_project_repo(&sim, "WEB").await;

    // bob reads WEB but administers nothing there: the manual path, and nothing left behind.
    let bob = creds(&sim, "bob");
    handle.send(save(1, bob.clone(), listed(&sim, &bob, &full_name).await));
    let Msg::Saved { result, .. } = saved_reply(&mut rx, 1).await else {
        unreachable!()
    };
    let refused = result.expect_err("bob cannot register keys");
    assert_eq!(refused.class, FailureClass::Permission);
    assert!(refused.what.contains("repository admin"), "{refused:?}");
    assert!(
        refused.fix.contains("ssh-ed25519 ") && refused.fix.contains("/settings/access-keys"),
        "the key to paste and the page: {refused:?}"
    );
    assert!(sim.dc_access_keys(&full_name).is_empty());
    assert!(store.get("ssh-bob").expect("read").is_none());
    assert!(!store.ssh_files("ssh-bob").key.exists());
    // r: retry offers the same key again, so the one handed out stays the one to paste.
    let key_line = |fix: &str| {
        fix.lines()
            .map(str::trim)
            .find(|l| l.starts_with("ssh-ed25519 "))
            .map(String::from)
    };
    handle.send(save(3, bob.clone(), listed(&sim, &bob, &full_name).await));
    let Msg::Saved { result, .. } = saved_reply(&mut rx, 3).await else {
        unreachable!()
    };
    let again = result.expect_err("still refused");
    assert_eq!(key_line(&again.fix), key_line(&refused.fix), "{again:?}");

    let alice = creds(&sim, "alice");
    let repo = listed(&sim, &alice, &full_name).await;
    let link = repo.clone_ssh.clone().expect("an SSH clone link");
    handle.send(save(2, alice, repo));
    let Msg::Saved { result, .. } = saved_reply(&mut rx, 2).await else {
        unreachable!()
    };
    let info = result.expect("saved over SSH");
    assert_eq!(info.name, "ssh-alice");
    let keys = sim.dc_access_keys(&full_name);
    assert_eq!(keys.len(), 1, "exactly one key: {keys:?}");
    assert_eq!(keys[0].permission, "REPO_READ");
    assert_eq!(keys[0].label, "bbconnect ssh-alice");
    let conn = store.get("ssh-alice").expect("read").expect("saved");
    let route = conn.ssh.expect("saved with git over SSH");
    assert_eq!(route.key_id, Some(keys[0].id.to_string()));
    assert_eq!(route.clone_url, link);
    assert_eq!(route.host_key_fingerprint, sim.ssh_host_key_fingerprint());
    let files = store.ssh_files("ssh-alice");
    assert!(files.key.is_file() && files.known_hosts.is_file());
    handle.shutdown();
}
