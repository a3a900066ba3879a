//! The wizard's re-check of a saved connection warns of an expiry as far ahead as `check` and
//! `status` do: `BBCONNECT_EXPIRY_WARN_DAYS`, handed down by the app (the worker reads no
//! environment), else 14 days.

use std::sync::Arc;
use std::time::Duration;

use bbconnect::bitbucket::ClientOptions;
use bbconnect::core::model::{AuthKind, LastCheck, Provider};
use bbconnect::sim::SimHandle;
use bbconnect::store::{SavedConnection, SecretStoreMode, Store};
use bbconnect::tui::wizard::msg::{Effect, Msg};
use bbconnect::tui::worker::{self, WorkerContext};
use secrecy::SecretString;
use tokio::sync::mpsc;

use crate::common::wait;

/// Alice's Cloud API token saved as `ci`, known to stop working in 20 days.
fn saved_expiring_in_20_days(sim: &SimHandle, store: &Store) {
    let today = bbconnect::engine::today();
    let conn = SavedConnection {
        provider: Provider::Cloud,
        auth: AuthKind::ApiToken,
        url: sim.cloud_web_url(),
        username: Some("alice@example.com".into()),
        expires_on: Some(today.checked_add(jiff::ToSpan::days(20)).expect("a date")),
        ..crate::common::creds::saved("ci")
    };
    store
        .save(conn, &SecretString::from("test-token-alice"), false)
        .expect("saved");
}

/// The wizard's re-check of `ci` with the worker warning `warn_days` ahead, if given.
async fn recheck(sim: &SimHandle, store: &Arc<Store>, warn_days: Option<i64>) -> LastCheck {
    let mut ctx = WorkerContext::new(
        crate::common::creds::endpoints(sim),
        store.clone(),
        ClientOptions::default(),
    );
    if let Some(days) = warn_days {
        ctx.expiry_warn_days = days;
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = worker::spawn(ctx, tx);
    handle.send(Effect::CheckSaved {
        id: 1,
        name: "ci".into(),
    });
    let last = match wait::next(&mut rx, Duration::from_secs(30)).await {
        Msg::SavedChecked { id: 1, result } => result.expect("re-checked"),
        other => panic!("{other:?}"),
    };
    handle.shutdown();
    last
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wizards_recheck_warns_of_an_expiry_within_the_configured_days() {
    let sim = crate::common::sim::with_repos(20).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(
        Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).expect("store"),
    );
    saved_expiring_in_20_days(&sim, &store);

    let default = recheck(&sim, &store, None).await;
    assert!(default.ok, "{default:?}");
    assert_eq!(
        default.summary, "all checks passed",
        "20 days out is not within 14"
    );

    let wide = recheck(&sim, &store, Some(30)).await;
    assert!(wide.ok, "a warning keeps the check passing: {wide:?}");
    assert_eq!(
        wide.summary, "passed, with warnings",
        "20 days out is within 30"
    );
}
