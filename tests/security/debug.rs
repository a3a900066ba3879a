//! `{:?}` and `{}` of every value that holds or touched a secret never print it.
//! A stray debug print in a log line or a panic message is the most likely leak.

use std::sync::Arc;

use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
use bbconnect::core::model::{AuthKind, ConnectionSpec, Credentials, Provider};
use bbconnect::sim::{self, SimConfig};
use bbconnect::store::{MemoryKeychain, SecretStoreMode, Store};
use bbconnect::tui::wizard::msg::{EditKey, Effect, Msg};
use bbconnect::tui::wizard::{Step, Wizard, WizardConfig, update};
use secrecy::{ExposeSecret, SecretString};

use crate::common::creds::{self, CANARY};

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(CANARY), "{what} printed the secret: {text}");
}

fn creds(url: &str) -> Credentials {
    Credentials {
        spec: ConnectionSpec {
            name: "canary".into(),
            provider: Provider::Server,
            auth: AuthKind::HttpTokenUser,
            url: url.into(),
            username: Some("alice".into()),
            repo: None,
        },
        secret: SecretString::from(CANARY),
    }
}

#[test]
fn credentials_and_client_debug_hide_the_secret() {
    let c = creds("https://git.example.com");
    assert_clean("Credentials", &format!("{c:?}"));
    assert_clean("Credentials (pretty)", &format!("{c:#?}"));
    let client = Client::new(c, &Endpoints::default(), ClientOptions::default())
        .expect("valid credentials build a client");
    let shown = format!("{client:?} {client:#?}");
    assert_clean("Client", &shown);
    assert!(
        shown.contains("git.example.com"),
        "Client debug still says where it talks: {shown}"
    );
}

#[test]
fn store_and_saved_info_debug_hide_the_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    for mode in [SecretStoreMode::File, SecretStoreMode::Keyring] {
        let store = Store::open_with_keychain(
            Some(dir.path().to_path_buf()),
            mode,
            Arc::new(MemoryKeychain::default()),
        )
        .expect("store opens");
        let name = format!(
            "canary-{}",
            if mode == SecretStoreMode::File {
                "f"
            } else {
                "k"
            }
        );
        let conn = creds::saved(&name);
        let info = store
            .save(conn, &SecretString::from(CANARY), false)
            .expect("save works");
        assert_clean("SavedInfo", &format!("{info:?}"));
        assert_clean("Store", &format!("{store:?}"));
        assert_clean("list", &format!("{:?}", store.list().expect("list")));
        let back = store.secret(&name).expect("secret reads back");
        assert_eq!(back.expose_secret(), CANARY, "the round trip is real");
        assert_clean("SecretString", &format!("{back:?}"));
        // Errors about a stored connection name it, never its secret.
        let dup = store
            .save(
                store.get(&name).expect("get").expect("saved"),
                &SecretString::from(CANARY),
                false,
            )
            .expect_err("a duplicate name is refused");
        assert_clean("StoreError", &format!("{dup} {dup:?}"));
    }
}

#[test]
fn wizard_and_its_effects_hide_the_typed_secret() {
    let mut w = Wizard::new(WizardConfig {
        cloud_web_url: "https://bitbucket.org".into(),
        server_url: None,
        existing_names: vec![],
        demo_notes: vec![],
        no_color: true,
        ..WizardConfig::default()
    });
    update(&mut w, Msg::Confirm); // Cloud
    update(&mut w, Msg::Confirm); // API token
    assert_eq!(w.step, Step::Form);
    let typed = |w: &mut Wizard, text: &str| {
        for c in text.chars() {
            update(w, Msg::Edit(EditKey::Char(c)));
        }
    };
    typed(&mut w, "work");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "ana@example.com");
    update(&mut w, Msg::NextField);
    typed(&mut w, CANARY);
    assert_clean("Wizard on the form", &format!("{w:?} {w:#?}"));
    let effects = update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Check, "the form was complete");
    let carried = effects.iter().any(|e| match e {
        Effect::CheckCredentials { creds, .. } => creds.secret.expose_secret() == CANARY,
        _ => false,
    });
    assert!(carried, "the check effect carries the typed secret");
    assert_clean("Effects", &format!("{effects:?}"));
    assert_clean("Wizard on the check step", &format!("{w:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_check_and_listing_errors_hide_the_secret() {
    let sim = sim::start(SimConfig {
        port: 0,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let client = Client::new(
        creds(&sim.server_url()),
        &Endpoints::default(),
        ClientOptions::default(),
    )
    .expect("client");
    let report = client.check(None).await;
    let shown = format!("{report:?}");
    assert_clean("CheckReport", &shown);
    let problem = client
        .list_all_repos()
        .await
        .expect_err("a refused token cannot list");
    assert_clean("Problem", &format!("{problem:?} {problem}"));
}
