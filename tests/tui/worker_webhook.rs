//! The worker's webhook effects against the simulator: a generated secret comes back, the hook
//! is created (or refused for a reader), and Save writes the hook's id, url and secret.

use std::sync::Arc;
use std::time::Duration;

use bbconnect::bitbucket::{ClientOptions, Endpoints};
use bbconnect::core::model::{
    AuthKind, ConnectionSpec, Credentials, FailureClass, Provider, WebhookChange, WebhookSpec,
};
use bbconnect::sim::SimHandle;
use bbconnect::store::Store;
use bbconnect::tui::wizard::msg::{Effect, Msg, SavedHook};
use bbconnect::tui::worker::{self, WorkerContext};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::mpsc;

use crate::common::creds::{endpoints, file_store};
use crate::common::sim::with_repos;
use crate::common::wait;

fn creds(sim: &SimHandle, user: &str) -> Credentials {
    Credentials {
        spec: ConnectionSpec {
            name: format!("w-{user}"),
            provider: Provider::Server,
            auth: AuthKind::HttpTokenUser,
            url: sim.server_url(),
            username: Some(user.into()),
            repo: None,
        },
        secret: SecretString::from(format!("test-token-{user}")),
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Msg>) -> Msg {
    wait::next(rx, Duration::from_secs(20)).await
}

/// A worker reaching Cloud at `endpoints`, saving to a file store in a fresh temp dir: the
/// dir, the store, the worker and its replies.
fn worker_on(
    endpoints: Endpoints,
) -> (
    tempfile::TempDir,
    Arc<Store>,
    worker::WorkerHandle,
    mpsc::UnboundedReceiver<Msg>,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(file_store(dir.path()));
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = worker::spawn(
        WorkerContext::new(endpoints, store.clone(), ClientOptions::default()),
        tx,
    );
    (dir, store, handle, rx)
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_generates_creates_refuses_and_saves_the_hook() {
    let sim = with_repos(60).await;
    let (_dir, store, handle, mut rx) = worker_on(endpoints(&sim));

    handle.send(Effect::GenerateWebhookSecret);
    let Msg::WebhookSecret { secret } = next(&mut rx).await else {
        panic!("expected a secret")
    };
    assert_eq!(secret.expose_secret().len(), 64);

    let spec = WebhookSpec {
        name: "bbconnect w".into(),
        url: "https://ci.example.com/worker-hook".into(),
        events: vec!["repo:refs_changed".into()],
        secret: Some(secret.clone()),
    };
    let repo = crate::common::sim::dc_project_repo(&sim, "WEB").await;

    handle.send(Effect::EnsureWebhook {
        id: 7,
        creds: creds(&sim, "bob"),
        repo: repo.clone(),
        spec: spec.clone(),
        allow_http: false,
    });
    match next(&mut rx).await {
        Msg::WebhookDone {
            id: 7,
            result: Err(p),
        } => {
            assert_eq!(p.class, FailureClass::Permission);
            assert!(p.what.contains("repository admin"), "{}", p.what);
        }
        other => panic!("{other:?}"),
    }

    let alice = creds(&sim, "alice");
    handle.send(Effect::EnsureWebhook {
        id: 8,
        creds: alice.clone(),
        repo: repo.clone(),
        spec,
        allow_http: false,
    });
    let hook = match next(&mut rx).await {
        Msg::WebhookDone {
            id: 8,
            result: Ok((hook, WebhookChange::Created)),
        } => hook,
        other => panic!("{other:?}"),
    };
    // Then the worker has DC test the hook; the simulator delivers to loopback only, so this
    // remote URL is reported as not reached.
    match next(&mut rx).await {
        Msg::WebhookDelivery { id: 8, row } => {
            assert!(row.detail.contains("could not reach"), "{row:?}")
        }
        other => panic!("{other:?}"),
    }

    handle.send(Effect::Save {
        id: 9,
        creds: alice,
        repo: None,
        identity_username: Some("alice".into()),
        oauth: None,
        webhook: Some(SavedHook {
            id: hook.id.clone(),
            url: hook.url.clone(),
            secret: Some(secret.clone()),
        }),
        replace: false,
        // Nothing typed: the worker asks alice's token list.
        expires_on: None,
    });
    match next(&mut rx).await {
        Msg::Saved {
            id: 9,
            result: Ok(info),
        } => {
            assert!(info.secret_location.contains("webhook secret"), "{info:?}");
            assert!(!info.secret_location.contains(secret.expose_secret()));
        }
        other => panic!("{other:?}"),
    }
    let saved = store.get("w-alice").unwrap().expect("saved");
    assert_eq!(saved.webhook_id.as_deref(), Some(hook.id.as_str()));
    let in_90_days = bbconnect::engine::today()
        .checked_add(jiff::Span::new().days(90))
        .expect("in range");
    assert_eq!(saved.expires_on, Some(in_90_days));
    assert_eq!(
        saved.webhook_url.as_deref(),
        Some("https://ci.example.com/worker-hook")
    );
    assert_eq!(
        store
            .webhook_secret("w-alice")
            .unwrap()
            .map(|s| s.expose_secret().to_string()),
        Some(secret.expose_secret().to_string())
    );
    handle.shutdown();
}

/// the wizard saves through the engine's one save path, so a webhook secret that
/// cannot be stored fails the save with nothing half-saved (it used to save the connection
/// and say "NOT stored" on the summary), and Retry then saves without "already exists".
#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_secret_that_cannot_be_stored_fails_the_save_and_retry_works() {
    let (dir, store, handle, mut rx) = worker_on(Endpoints {
        cloud_api: "http://127.0.0.1:9/2.0".into(),
        cloud_web: "http://127.0.0.1:9".into(),
    });
    let blocker = dir.path().join("webhook");
    std::fs::write(&blocker, "in the way").unwrap();
    let hook_secret = SecretString::from("test-token-hook-secret".to_string());
    let save = |id| Effect::Save {
        id,
        creds: Credentials {
            spec: ConnectionSpec {
                name: "w-alice".into(),
                provider: Provider::Server,
                auth: AuthKind::HttpTokenUser,
                url: "https://bitbucket.example.com".into(),
                username: Some("alice".into()),
                repo: None,
            },
            secret: SecretString::from("test-token-alice".to_string()),
        },
        repo: None,
        identity_username: Some("alice".into()),
        oauth: None,
        webhook: Some(SavedHook {
            id: "5".into(),
            url: "https://ci.example.com/worker-hook".into(),
            secret: Some(hook_secret.clone()),
        }),
        replace: false,
        // Typed: no server to ask here.
        expires_on: Some("2027-01-10".parse().expect("date")),
    };

    handle.send(save(1));
    match next(&mut rx).await {
        Msg::Saved {
            id: 1,
            result: Err(p),
        } => assert!(!p.what.contains("test-token"), "{p:?}"),
        other => panic!("{other:?}"),
    }
    assert!(store.list().unwrap().is_empty(), "nothing half-saved");

    std::fs::remove_file(&blocker).unwrap();
    handle.send(save(2));
    match next(&mut rx).await {
        Msg::Saved {
            id: 2,
            result: Ok(info),
        } => assert!(info.secret_location.contains("webhook secret"), "{info:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store
            .webhook_secret("w-alice")
            .unwrap()
            .map(|s| s.expose_secret().to_string()),
        Some(hook_secret.expose_secret().to_string())
    );
    handle.shutdown();
}

/// The wizard's "Rotate secret": the worker runs the engine's rotation, so another user's token
/// is refused (exit class 3, nothing changed) and the same user's is swapped in.
#[tokio::test(flavor = "multi_thread")]
async fn worker_rotates_a_saved_secret_only_for_the_same_user() {
    let sim = with_repos(60).await;
    let (_dir, store, handle, mut rx) = worker_on(endpoints(&sim));
    let alice = creds(&sim, "alice");
    let conn = bbconnect::engine::saved_connection(
        &alice.spec,
        Some("alice".into()),
        None,
        "2026-12-01T00:00:00Z".into(),
    );
    store
        .save(
            conn,
            &SecretString::from("test-token-old".to_string()),
            false,
        )
        .unwrap();

    handle.send(Effect::RotateSaved {
        id: 1,
        name: "w-alice".into(),
        secret: SecretString::from("test-token-bob".to_string()),
    });
    let Msg::SavedRotated { id: 1, result } = next(&mut rx).await else {
        panic!("expected the rotation's answer")
    };
    let problem = result.expect_err("bob is not alice");
    assert_eq!(problem.class, FailureClass::Rejected);
    assert!(
        problem.what.contains("`bob`") && problem.what.contains("`alice`"),
        "{problem:?}"
    );
    assert_eq!(
        store.secret("w-alice").unwrap().expose_secret(),
        "test-token-old"
    );

    handle.send(Effect::RotateSaved {
        id: 2,
        name: "w-alice".into(),
        secret: SecretString::from("test-token-alice".to_string()),
    });
    let Msg::SavedRotated { id: 2, result } = next(&mut rx).await else {
        panic!("expected the rotation's answer")
    };
    let done = result.expect("rotated");
    assert!(
        done.revoke_old
            .ends_with("/plugins/servlet/access-tokens/manage"),
        "{done:?}"
    );
    assert_eq!(
        store.secret("w-alice").unwrap().expose_secret(),
        "test-token-alice"
    );
}
