//! Unit tests of what the integration tests cannot reach: the file format's edge cases and the
//! rollback of a save whose config write fails after the secret was written.

use std::path::Path;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::bitbucket::model::{FailureClass, Problem};

fn conn(name: &str) -> SavedConnection {
    SavedConnection {
        name: name.into(),
        provider: Provider::Cloud,
        auth: AuthKind::OAuth,
        url: "https://bitbucket.org".into(),
        username: Some("dev@example.com".into()),
        user: None,
        repo: Some("ws/app".into()),
        clone_https: None,
        clone_ssh: None,
        webhook_id: None,
        webhook_url: None,
        secret_store: "file".into(),
        saved_at: "2026-01-02T03:04:05Z".into(),
        last_check: None,
    }
}

fn parse(text: &str) -> Result<Vec<SavedConnection>, StoreError> {
    format::parse(Path::new("/cfg/connections.toml"), text)
}

fn corrupt_detail(text: &str) -> String {
    match parse(text) {
        Err(StoreError::Corrupt { path, detail }) => {
            assert_eq!(path, Path::new("/cfg/connections.toml"));
            detail
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

const ONE: &str = r#"version = 1
[[connection]]
name = "work"
provider = "server"
auth = "http-token-user"
url = "https://git.example.com"
secret_store = "file"
saved_at = "2026-01-02T03:04:05Z"
"#;

#[test]
fn render_then_parse_gives_back_the_same_connections() {
    let all = vec![conn("a"), conn("b.c_d-1")];
    let text = format::render(&all).expect("render");
    assert!(text.contains("version = 1"), "{text}");
    assert!(text.contains("[[connection]]"), "{text}");
    // The file uses the CLI's names, not the enums' serde names (OAuth would be "o-auth").
    assert!(text.contains(r#"auth = "oauth""#), "{text}");
    assert!(text.contains(r#"provider = "cloud""#), "{text}");
    assert!(!text.contains("user ="), "None fields are left out: {text}");
    assert_eq!(parse(&text).expect("parse"), all);
}

#[test]
fn a_file_with_only_a_version_is_an_empty_list() {
    assert_eq!(parse("version = 1\n").expect("parse"), vec![]);
}

#[test]
fn unknown_keys_of_the_same_version_are_tolerated() {
    let text = format!("{ONE}colour = \"blue\"\n");
    assert_eq!(parse(&text).expect("parse")[0].name, "work");
}

#[test]
fn newer_version_is_reported_as_such_not_as_corrupt() {
    // Even with a shape this build cannot read: the user must hear "upgrade".
    let text = "version = 2\nconnection = \"something else\"\n";
    match parse(text) {
        Err(StoreError::NewerVersion {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (2, 1));
        }
        other => panic!("expected NewerVersion, got {other:?}"),
    }
}

#[test]
fn malformed_files_are_corrupt_with_a_reason() {
    assert!(corrupt_detail("version = 1\n[[connection]\n").contains("not valid TOML"));
    assert!(corrupt_detail("[[connection]]\nname = \"x\"\n").contains("no `version`"));
    assert!(corrupt_detail("version = \"1\"\n").contains("not a number"));
    assert!(corrupt_detail("version = 0\n").contains("unknown version"));
    assert!(corrupt_detail(&ONE.replace("http-token-user", "password")).contains("password"));
    assert!(corrupt_detail(&ONE.replace("\"server\"", "\"gitlab\"")).contains("gitlab"));
    assert!(corrupt_detail(&ONE.replace("saved_at", "# saved_at")).contains("saved_at"));
}

#[test]
fn names_that_are_not_safe_file_names_are_corrupt() {
    for bad in ["../../etc/passwd", ".hidden", "a/b", ""] {
        let text = ONE.replace("\"work\"", &format!("{bad:?}"));
        assert!(
            corrupt_detail(&text).contains("connection #1"),
            "name {bad:?} accepted"
        );
    }
}

#[test]
fn a_name_used_twice_is_corrupt() {
    let text = format!("{ONE}{}", ONE.replace("version = 1\n", ""));
    assert!(corrupt_detail(&text).contains("used twice"));
}

#[test]
fn an_auth_type_of_the_other_product_is_corrupt() {
    let text = ONE.replace("http-token-user", "api-token");
    assert!(corrupt_detail(&text).contains("does not belong"));
}

#[test]
fn an_unknown_secret_store_is_corrupt() {
    let text = ONE.replace("secret_store = \"file\"", "secret_store = \"cloud\"");
    assert!(corrupt_detail(&text).contains("secret_store"));
}

#[test]
fn name_validation() {
    for good in ["a", "work", "A-b_c.1", "0abc", &"x".repeat(64)] {
        assert!(validate_name(good).is_ok(), "{good} refused");
    }
    for bad in [
        "",
        ".a",
        "-a",
        "_a",
        "a b",
        "a/b",
        "a\\b",
        "é",
        "..",
        &"x".repeat(65),
    ] {
        let err = validate_name(bad).expect_err(bad);
        assert_eq!(err.class(), FailureClass::Input);
    }
}

#[test]
fn secret_store_mode_parses_env_values() {
    assert_eq!(SecretStoreMode::parse("").ok(), Some(SecretStoreMode::Auto));
    assert_eq!(
        SecretStoreMode::parse("AUTO").ok(),
        Some(SecretStoreMode::Auto)
    );
    assert_eq!(
        SecretStoreMode::parse("keyring").ok(),
        Some(SecretStoreMode::Keyring)
    );
    assert_eq!(
        SecretStoreMode::parse(" file ").ok(),
        Some(SecretStoreMode::File)
    );
    let err = SecretStoreMode::parse("vault").expect_err("vault");
    assert!(err.to_string().contains("vault"));
    assert_eq!(err.class(), FailureClass::Input);
}

#[test]
fn problem_classes() {
    let p = Problem::from(StoreError::NotFound {
        name: "x".into(),
        file: "/c/connections.toml".into(),
    });
    assert_eq!(p.class, FailureClass::Input);
    assert!(p.what.contains("/c/connections.toml"), "{}", p.what);
    assert!(!p.fix.is_empty());
    let p = Problem::from(StoreError::Corrupt {
        path: "/c/connections.toml".into(),
        detail: "bad".into(),
    });
    assert_eq!(p.class, FailureClass::Other);
    assert!(p.what.contains("/c/connections.toml") && p.what.contains("untouched"));
}

fn failing_writer(_: &Path, _: &[u8]) -> Result<(), StoreError> {
    Err(StoreError::Io {
        action: "replace",
        path: "connections.toml".into(),
        source: std::io::Error::other("disk full (simulated)"),
    })
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

#[test]
fn failed_config_write_removes_a_new_file_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_with_keychain(
        Some(dir.path().into()),
        SecretStoreMode::File,
        Arc::new(NoKeychain),
    )
    .expect("open");
    let err = store
        .save_with(conn("a"), &secret("test-token-new"), false, &failing_writer)
        .expect_err("must fail");
    assert!(err.to_string().contains("disk full"));
    assert!(!store.secret_file("a").exists(), "secret left behind");
    assert!(!store.config_file().exists());
}

#[test]
fn failed_config_write_restores_the_previous_file_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_with_keychain(
        Some(dir.path().into()),
        SecretStoreMode::File,
        Arc::new(NoKeychain),
    )
    .expect("open");
    store
        .save(conn("a"), &secret("test-token-old"), false)
        .expect("first save");
    let before = std::fs::read(store.config_file()).expect("read");
    store
        .save_with(conn("a"), &secret("test-token-new"), true, &failing_writer)
        .expect_err("must fail");
    assert_eq!(
        store.secret("a").expect("secret").expose_secret(),
        "test-token-old"
    );
    assert_eq!(std::fs::read(store.config_file()).expect("read"), before);
}

#[test]
fn failed_config_write_restores_or_removes_keychain_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = MemoryKeychain::new();
    let store = Store::open_with_keychain(
        Some(dir.path().into()),
        SecretStoreMode::Keyring,
        Arc::new(kc.clone()),
    )
    .expect("open");
    store
        .save_with(conn("new"), &secret("test-token-1"), false, &failing_writer)
        .expect_err("must fail");
    assert!(!kc.contains("new"), "new keychain entry left behind");

    store
        .save(conn("old"), &secret("test-token-old"), false)
        .expect("save");
    store
        .save_with(
            conn("old"),
            &secret("test-token-new"),
            true,
            &failing_writer,
        )
        .expect_err("must fail");
    assert_eq!(
        store.secret("old").expect("secret").expose_secret(),
        "test-token-old"
    );
}

#[test]
fn every_truncation_and_byte_flip_of_a_valid_file_is_handled_without_panic() {
    let full = format::render(&[conn("a"), conn("b")]).expect("render");
    let bytes = full.as_bytes();
    let check = |text: &str| match parse_connections(text) {
        Ok(list) => {
            for c in &list {
                assert!(
                    validate_name(&c.name).is_ok(),
                    "unsafe name accepted: {:?}",
                    c.name
                );
            }
        }
        Err(StoreError::Corrupt { .. } | StoreError::NewerVersion { .. }) => {}
        Err(other) => panic!("unexpected error kind: {other:?}"),
    };
    for cut in 0..bytes.len() {
        check(&String::from_utf8_lossy(&bytes[..cut]));
    }
    for i in 0..bytes.len() {
        for flip in [b'"', b'[', b'\n', b'=', b'/', b'.', 0u8, b'9'] {
            let mut b = bytes.to_vec();
            b[i] = flip;
            check(&String::from_utf8_lossy(&b));
        }
    }
}

#[test]
fn store_can_be_shared_with_worker_threads() {
    // The worker keeps an `Arc<Store>` and calls it from `spawn_blocking`.
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Store>();
    assert_send_sync::<StoreError>();
}

mod webhook_secrets {
    use super::*;

    fn saved(store: &Store, name: &str) {
        store
            .save(
                conn(name),
                &SecretString::from("test-token-main".to_string()),
                false,
            )
            .expect("saved");
    }

    #[test]
    fn file_mode_keeps_it_apart_from_every_connection_secret_and_remove_deletes_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with_keychain(
            Some(dir.path().to_path_buf()),
            SecretStoreMode::File,
            Arc::new(NoKeychain),
        )
        .unwrap();
        saved(&store, "ci");
        // A connection whose name looks like a suffixed file must not collide.
        saved(&store, "ci.webhook");
        assert!(store.webhook_secret("ci").unwrap().is_none());
        let where_ = store
            .save_webhook_secret("ci", &SecretString::from("test-token-hook".to_string()))
            .unwrap();
        assert!(where_.contains("0600"), "{where_}");
        assert!(!where_.contains("test-token-hook"));
        let path = store.webhook_secret_file("ci");
        assert!(path.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(
            store.webhook_secret("ci").unwrap().unwrap().expose_secret(),
            "test-token-hook"
        );
        assert_eq!(
            store.secret("ci").unwrap().expose_secret(),
            "test-token-main"
        );
        assert_eq!(
            store.secret("ci.webhook").unwrap().expose_secret(),
            "test-token-main"
        );
        store.remove("ci").unwrap();
        assert!(!path.exists(), "remove deletes the webhook secret too");
        assert!(store.get("ci.webhook").unwrap().is_some());
    }

    #[test]
    fn keychain_mode_uses_a_separate_account_and_remove_deletes_it() {
        let dir = tempfile::tempdir().unwrap();
        let kc = Arc::new(MemoryKeychain::new());
        let store = Store::open_with_keychain(
            Some(dir.path().to_path_buf()),
            SecretStoreMode::Keyring,
            kc.clone(),
        )
        .unwrap();
        saved(&store, "ci");
        let where_ = store
            .save_webhook_secret("ci", &SecretString::from("test-token-hook".to_string()))
            .unwrap();
        assert!(where_.contains("ci#webhook"), "{where_}");
        assert!(kc.contains("ci#webhook"));
        assert!(!store.webhook_secret_file("ci").exists());
        assert_eq!(
            store.webhook_secret("ci").unwrap().unwrap().expose_secret(),
            "test-token-hook"
        );
        assert_eq!(
            store.secret("ci").unwrap().expose_secret(),
            "test-token-main"
        );
        store.remove("ci").unwrap();
        assert!(!kc.contains("ci#webhook"));
        assert!(!kc.contains("ci"));
    }

    #[test]
    fn needs_a_saved_connection() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with_keychain(
            Some(dir.path().to_path_buf()),
            SecretStoreMode::File,
            Arc::new(NoKeychain),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path()).unwrap();
        assert!(matches!(
            store.save_webhook_secret("nope", &SecretString::from("test-token-x".to_string())),
            Err(StoreError::NotFound { .. })
        ));
    }
}
