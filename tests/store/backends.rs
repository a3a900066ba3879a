//! Where secrets go under each BBCONNECT_SECRET_STORE mode, with stand-in keychains: one that
//! works (in memory), one that is absent, one that hangs, one that refuses. The real Secret
//! Service is exercised by tests/store/keychain.rs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bbconnect::core::model::{AuthKind, Provider};
use bbconnect::store::{
    Keychain, KeychainFailure, MemoryKeychain, NoKeychain, SavedConnection, SecretStoreMode, Store,
    StoreError,
};
use secrecy::{ExposeSecret, SecretString};

use crate::common::creds::{self, secret};

fn conn(name: &str) -> SavedConnection {
    SavedConnection {
        provider: Provider::Cloud,
        auth: AuthKind::ApiToken,
        url: "https://bitbucket.org".into(),
        username: Some("dev@example.com".into()),
        user: Some("dev".into()),
        ..creds::saved(name)
    }
}

/// Whether the keychain holds a secret of connection `name` (any generation).
fn in_keychain(kc: &MemoryKeychain, name: &str) -> bool {
    kc.accounts()
        .iter()
        .any(|a| a.split('#').next() == Some(name))
}

/// Whether a secret file of connection `name` exists (any generation).
fn in_file(store: &Store, name: &str) -> bool {
    std::fs::read_dir(store.dir().join("secrets")).is_ok_and(|d| {
        d.flatten().any(|e| {
            let f = e.file_name().to_string_lossy().into_owned();
            f.split('#').next() == Some(name)
        })
    })
}

fn open(dir: &tempfile::TempDir, mode: SecretStoreMode, kc: Arc<dyn Keychain>) -> Store {
    Store::open_with_keychain(Some(dir.path().to_path_buf()), mode, kc).expect("open")
}

/// A keychain whose calls never come back, like a Secret Service stuck on an unlock prompt.
struct HungKeychain {
    probe_hangs: bool,
}

impl Keychain for HungKeychain {
    fn kind(&self) -> &'static str {
        "Secret Service"
    }
    fn probe(&self) -> Result<(), KeychainFailure> {
        if self.probe_hangs {
            std::thread::sleep(Duration::from_secs(30));
        }
        Ok(())
    }
    fn set(&self, _: &str, _: &SecretString) -> Result<(), KeychainFailure> {
        std::thread::sleep(Duration::from_secs(30));
        Ok(())
    }
    fn get(&self, _: &str) -> Result<Option<SecretString>, KeychainFailure> {
        std::thread::sleep(Duration::from_secs(30));
        Ok(None)
    }
    fn delete(&self, _: &str) -> Result<(), KeychainFailure> {
        std::thread::sleep(Duration::from_secs(30));
        Ok(())
    }
}

/// A keychain that is there but refuses to store (locked, prompt dismissed).
struct RefusingKeychain;

impl Keychain for RefusingKeychain {
    fn kind(&self) -> &'static str {
        "Secret Service"
    }
    fn probe(&self) -> Result<(), KeychainFailure> {
        Ok(())
    }
    fn set(&self, _: &str, _: &SecretString) -> Result<(), KeychainFailure> {
        Err(KeychainFailure::Failed("the collection is locked".into()))
    }
    fn get(&self, _: &str) -> Result<Option<SecretString>, KeychainFailure> {
        Ok(None)
    }
    fn delete(&self, _: &str) -> Result<(), KeychainFailure> {
        Ok(())
    }
}

#[test]
fn auto_uses_the_keychain_when_there_is_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = MemoryKeychain::new();
    let store = open(&dir, SecretStoreMode::Auto, Arc::new(kc.clone()));
    assert_eq!(
        store.secret_backend_note(),
        "OS keychain (in-memory keychain)"
    );

    let info = store
        .save(conn("work"), &secret("test-token-kc"), false)
        .expect("save");
    assert!(in_keychain(&kc, "work"));
    assert!(!in_file(&store, "work"), "no file when the keychain works");
    assert!(
        info.secret_location.contains("OS keychain") && info.secret_location.contains("work"),
        "{}",
        info.secret_location
    );
    assert_eq!(
        store.get("work").expect("get").expect("some").secret_store,
        "keyring"
    );
    assert_eq!(
        store.secret("work").expect("secret").expose_secret(),
        "test-token-kc"
    );

    store.remove("work").expect("remove");
    assert!(
        !in_keychain(&kc, "work"),
        "remove must delete the keychain entry"
    );
}

#[test]
fn auto_falls_back_to_the_file_without_a_keychain_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir, SecretStoreMode::Auto, Arc::new(NoKeychain));
    let note = store.secret_backend_note();
    assert!(note.starts_with("file "), "{note}");
    assert!(note.contains("no OS keychain found"), "{note}");
    assert!(note.contains("no D-Bus session bus"), "{note}");

    let info = store
        .save(conn("work"), &secret("test-token-file"), false)
        .expect("save");
    assert!(in_file(&store, "work"));
    // The reason is its own field: the location stays a place, for both faces to show.
    assert!(
        info.secret_location.starts_with("file "),
        "{}",
        info.secret_location
    );
    assert!(
        info.keychain_fallback
            .as_deref()
            .is_some_and(|r| r.contains("D-Bus")),
        "{:?}",
        info.keychain_fallback
    );
    assert_eq!(
        store.get("work").expect("get").expect("some").secret_store,
        "file"
    );
    assert_eq!(
        store.secret("work").expect("secret").expose_secret(),
        "test-token-file"
    );
}

#[test]
fn keyring_mode_refuses_the_fallback_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir, SecretStoreMode::Keyring, Arc::new(NoKeychain));
    assert!(store.secret_backend_note().contains("not available"));
    let err = store
        .save(conn("work"), &secret("test-token-x"), false)
        .expect_err("must refuse");
    assert!(
        matches!(err, StoreError::KeychainUnavailable { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("BBCONNECT_SECRET_STORE"), "{text}");
    assert!(!in_file(&store, "work"));
    assert!(!store.config_file().exists());
}

#[test]
fn file_mode_never_touches_the_keychain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = MemoryKeychain::new();
    let store = open(&dir, SecretStoreMode::File, Arc::new(kc.clone()));
    assert!(
        store
            .secret_backend_note()
            .contains("BBCONNECT_SECRET_STORE=file")
    );
    store
        .save(conn("work"), &secret("test-token-f"), false)
        .expect("save");
    assert!(!in_keychain(&kc, "work"));
    assert!(in_file(&store, "work"));
}

#[test]
fn a_hung_keychain_is_given_up_on_in_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let timeout = Duration::from_millis(200);

    let store = open(
        &dir,
        SecretStoreMode::Keyring,
        Arc::new(HungKeychain { probe_hangs: false }),
    )
    .with_keychain_timeout(timeout);
    let start = Instant::now();
    let err = store
        .save(conn("work"), &secret("test-token-h"), false)
        .expect_err("timeout");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(err, StoreError::KeychainTimeout { .. }), "{err:?}");
    assert!(
        !store.config_file().exists(),
        "nothing saved after a timeout"
    );

    // Auto mode does not give up on saving: the file takes the secret.
    let store = open(
        &dir,
        SecretStoreMode::Auto,
        Arc::new(HungKeychain { probe_hangs: true }),
    )
    .with_keychain_timeout(timeout);
    let start = Instant::now();
    let info = store
        .save(conn("work"), &secret("test-token-h"), false)
        .expect("falls back");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(
        info.keychain_fallback
            .as_deref()
            .is_some_and(|r| r.contains("did not answer")),
        "{:?}",
        info.keychain_fallback
    );
    assert_eq!(
        store.secret("work").expect("secret").expose_secret(),
        "test-token-h"
    );
}

#[test]
fn reading_from_a_hung_keychain_times_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = MemoryKeychain::new();
    open(&dir, SecretStoreMode::Keyring, Arc::new(kc))
        .save(conn("work"), &secret("test-token-r"), false)
        .expect("save");
    let store = open(
        &dir,
        SecretStoreMode::Keyring,
        Arc::new(HungKeychain { probe_hangs: false }),
    )
    .with_keychain_timeout(Duration::from_millis(200));
    let start = Instant::now();
    let err = store.secret("work").expect_err("timeout");
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(matches!(err, StoreError::KeychainTimeout { .. }), "{err:?}");
    assert!(
        err.to_string().contains("BBCONNECT_SECRET_STORE=file"),
        "{err}"
    );
}

#[test]
fn a_refusing_keychain_fails_keyring_mode_and_falls_back_in_auto() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = open(&dir, SecretStoreMode::Keyring, Arc::new(RefusingKeychain))
        .save(conn("work"), &secret("test-token-r"), false)
        .expect_err("refused");
    assert!(matches!(err, StoreError::Keychain { .. }), "{err:?}");
    assert!(err.to_string().contains("locked"), "{err}");

    let info = open(&dir, SecretStoreMode::Auto, Arc::new(RefusingKeychain))
        .save(conn("work"), &secret("test-token-r"), false)
        .expect("fallback");
    assert!(
        info.keychain_fallback
            .as_deref()
            .is_some_and(|r| r.contains("the collection is locked")),
        "{:?}",
        info.keychain_fallback
    );
}

#[test]
fn a_secret_moved_between_backends_leaves_no_copy_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = MemoryKeychain::new();

    // First in the file, then replaced while a keychain is available: the file goes.
    open(&dir, SecretStoreMode::File, Arc::new(kc.clone()))
        .save(conn("work"), &secret("test-token-1"), false)
        .expect("file");
    let store = open(&dir, SecretStoreMode::Auto, Arc::new(kc.clone()));
    store
        .save(conn("work"), &secret("test-token-2"), true)
        .expect("kc");
    assert!(in_keychain(&kc, "work"));
    assert!(!in_file(&store, "work"), "old file copy left behind");

    // And back: the keychain entry goes.
    let store = open(&dir, SecretStoreMode::File, Arc::new(kc.clone()));
    store
        .save(conn("work"), &secret("test-token-3"), true)
        .expect("file");
    assert!(!in_keychain(&kc, "work"), "old keychain copy left behind");
    assert_eq!(
        store.secret("work").expect("secret").expose_secret(),
        "test-token-3"
    );
}

#[test]
fn a_keychain_secret_is_read_from_the_keychain_whatever_the_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = MemoryKeychain::new();
    open(&dir, SecretStoreMode::Keyring, Arc::new(kc.clone()))
        .save(conn("work"), &secret("test-token-k"), false)
        .expect("save");
    let store = open(&dir, SecretStoreMode::File, Arc::new(kc.clone()));
    assert_eq!(
        store.secret("work").expect("secret").expose_secret(),
        "test-token-k"
    );
}

#[test]
fn a_keychain_secret_that_vanished_is_reported_with_its_location() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = MemoryKeychain::new();
    let store = open(&dir, SecretStoreMode::Keyring, Arc::new(kc.clone()));
    store
        .save(conn("work"), &secret("test-token-k"), false)
        .expect("save");
    for account in kc.accounts() {
        kc.delete(&account).expect("delete");
    }
    let err = store.secret("work").expect_err("missing");
    assert!(matches!(err, StoreError::SecretMissing { .. }), "{err:?}");
    assert!(err.to_string().contains("service \"bbconnect\""), "{err}");
}

#[test]
fn remove_with_an_unreachable_keychain_says_how_to_finish_by_hand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = MemoryKeychain::new();
    open(&dir, SecretStoreMode::Keyring, Arc::new(kc.clone()))
        .save(conn("work"), &secret("test-token-k"), false)
        .expect("save");
    let store = open(&dir, SecretStoreMode::Auto, Arc::new(NoKeychain));
    let err = store.remove("work").expect_err("secret stays");
    assert!(
        matches!(err, StoreError::SecretNotRemoved { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("was removed"), "{text}");
    if cfg!(target_os = "linux") {
        assert!(
            text.contains("secret-tool clear service bbconnect username 'work#"),
            "{text}"
        );
    }
    assert!(
        store.get("work").expect("get").is_none(),
        "the connection is gone"
    );
    // The index still lists it: a later run with the keychain back deletes it.
    let back = open(&dir, SecretStoreMode::Auto, Arc::new(kc.clone()));
    assert!(matches!(
        back.remove("work"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(!in_keychain(&kc, "work"), "swept once the keychain is back");
}

#[test]
fn two_config_dirs_with_the_same_name_never_touch_each_others_keychain_secret() {
    // The keychain is shared by every config dir: each save's fresh key keeps them apart.
    let kc = MemoryKeychain::new();
    let other = tempfile::tempdir().expect("tempdir");
    let theirs = open(&other, SecretStoreMode::Keyring, Arc::new(kc.clone()));
    theirs
        .save(conn("work"), &secret("test-token-other-dir"), false)
        .expect("save");

    let here = tempfile::tempdir().expect("tempdir");
    let ours = open(&here, SecretStoreMode::Keyring, Arc::new(kc.clone()));
    ours.save(conn("work"), &secret("test-token-here"), false)
        .expect("save");
    ours.save(conn("work"), &secret("test-token-here-2"), true)
        .expect("replace");
    assert_eq!(kc.accounts().len(), 2, "{:?}", kc.accounts());
    assert_eq!(
        theirs.secret("work").expect("secret").expose_secret(),
        "test-token-other-dir",
        "the other dir's secret was overwritten"
    );
    ours.remove("work").expect("remove");
    assert_eq!(
        theirs.secret("work").expect("secret").expose_secret(),
        "test-token-other-dir",
        "the other dir's secret was deleted"
    );
    assert_eq!(kc.accounts().len(), 1);
}
