//! Unit tests of what the integration tests cannot reach: the file format's edge cases and the
//! rollback of a save whose config write fails after the secret was written.

use std::path::Path;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::core::model::{FailureClass, Problem};

fn conn(name: &str) -> SavedConnection {
    SavedConnection {
        username: Some("dev@example.com".into()),
        repo: Some("ws/app".into()),
        secret_store: "file".into(),
        saved_at: "2026-01-02T03:04:05Z".into(),
        ..SavedConnection::new(
            name,
            Provider::Cloud,
            AuthKind::OAuth,
            "https://bitbucket.org",
        )
    }
}

fn parse(text: &str) -> Result<Vec<SavedConnection>, StoreError> {
    format::parse(Path::new("/cfg/connections.toml"), text)
        .map(|v| v.into_iter().map(|e| e.conn).collect())
}

fn entry(name: &str) -> Entry {
    Entry {
        conn: conn(name),
        secret_key: Some(generation::new_key(name, Role::Connection).expect("key")),
        webhook_secret_key: None,
    }
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
    let all = vec![entry("a"), entry("b.c_d-1")];
    let text = format::render(&all).expect("render");
    assert!(text.contains("version = 2"), "{text}");
    assert!(text.contains("secret_key = \"a#"), "{text}");
    assert!(text.contains("[[connection]]"), "{text}");
    // The file uses the CLI's names, not the enums' serde names (OAuth would be "o-auth").
    assert!(text.contains(r#"auth = "oauth""#), "{text}");
    assert!(text.contains(r#"provider = "cloud""#), "{text}");
    for unset in [
        "user",
        "clone_https",
        "clone_ssh",
        "webhook_id",
        "webhook_url",
        "tls",
        "expires_on",
        "ssh",
        "last_check",
    ] {
        assert!(
            !text.contains(&format!("\n{unset} =")),
            "None fields are left out: {text}"
        );
    }
    assert_eq!(
        format::parse(Path::new("c.toml"), &text).expect("parse"),
        all
    );
}

#[test]
fn a_secret_key_that_is_not_one_of_this_connection_is_corrupt() {
    for bad in [
        "../../x",
        "other#0123456789abcdef",
        "work#",
        "work#webhook-0123456789abcdef",
    ] {
        let text = ONE.replace("saved_at", &format!("secret_key = {bad:?}\nsaved_at"));
        assert!(
            corrupt_detail(&text).contains("secret_key"),
            "{bad} accepted"
        );
    }
    let text = ONE.replace(
        "saved_at",
        "webhook_secret_key = \"work#0123456789abcdef\"\nsaved_at",
    );
    assert!(corrupt_detail(&text).contains("webhook_secret_key"));
    let good = ONE.replace(
        "saved_at",
        "secret_key = \"work#0123456789abcdef\"\nwebhook_secret_key = \"work#webhook-fedcba9876543210\"\nsaved_at",
    );
    assert_eq!(parse(&good).expect("parse")[0].name, "work");
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
    let text = "version = 3\nconnection = \"something else\"\n";
    match parse(text) {
        Err(StoreError::NewerVersion {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (3, 2));
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

/// File names in `dir`, sorted; none when it does not exist.
fn files_in(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn failed_config_write_removes_a_new_file_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::for_tests(dir.path(), None);
    let err = store
        .save_with(conn("a"), &secret("test-token-new"), false, &failing_writer)
        .expect_err("must fail");
    assert!(err.to_string().contains("disk full"));
    assert_eq!(
        files_in(&dir.path().join("secrets")),
        Vec::<String>::new(),
        "secret left behind"
    );
    assert!(!store.config_file().exists());
}

#[test]
fn failed_config_write_restores_the_previous_file_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::for_tests(dir.path(), None);
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
    let store = Store::for_tests(dir.path(), Some(Arc::new(kc.clone())));
    store
        .save_with(conn("new"), &secret("test-token-1"), false, &failing_writer)
        .expect_err("must fail");
    assert_eq!(
        kc.accounts(),
        Vec::<String>::new(),
        "new keychain entry left behind"
    );
    assert_eq!(files_in(&dir.path().join("keychain")), Vec::<String>::new());

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
    let full = format::render(&[entry("a"), entry("b")]).expect("render");
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
        let store = Store::for_tests(dir.path(), None);
        saved(&store, "ci");
        // A connection whose name looks like a suffixed file must not collide.
        saved(&store, "ci.webhook");
        assert!(store.webhook_secret("ci").unwrap().is_none());
        let where_ = store
            .save_webhook_secret("ci", &SecretString::from("test-token-hook".to_string()))
            .unwrap();
        assert!(where_.contains("0600"), "{where_}");
        assert!(!where_.contains("test-token-hook"));
        let path = store.webhook_secret_file("ci").unwrap().expect("in a file");
        assert!(path.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(store.webhook_secret_for_tests("ci"), "test-token-hook");
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
        let store = Store::for_tests(dir.path(), Some(kc.clone()));
        saved(&store, "ci");
        let where_ = store
            .save_webhook_secret("ci", &SecretString::from("test-token-hook".to_string()))
            .unwrap();
        assert!(where_.contains("ci#webhook-"), "{where_}");
        assert_eq!(kc.accounts().len(), 2, "{:?}", kc.accounts());
        assert!(store.webhook_secret_file("ci").unwrap().is_none());
        assert_eq!(store.webhook_secret_for_tests("ci"), "test-token-hook");
        assert_eq!(
            store.secret("ci").unwrap().expose_secret(),
            "test-token-main"
        );
        store.remove("ci").unwrap();
        assert_eq!(kc.accounts(), Vec::<String>::new());
    }

    #[test]
    fn needs_a_saved_connection() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::for_tests(dir.path(), None);
        std::fs::create_dir_all(dir.path()).unwrap();
        assert!(matches!(
            store.save_webhook_secret("nope", &SecretString::from("test-token-x".to_string())),
            Err(StoreError::NotFound { .. })
        ));
    }
}

mod generations {
    use super::*;
    use crate::store::format::STORE_KEYRING;

    /// A connections file as the previous version wrote it, with its secret under the bare name.
    fn legacy_dir(store_kind: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let text = ONE.replace("\"file\"", &format!("{store_kind:?}"));
        std::fs::write(dir.path().join("connections.toml"), text).unwrap();
        dir
    }

    fn write_private(path: &Path, text: &str) {
        fsutil::ensure_private_dir(path.parent().unwrap()).unwrap();
        fsutil::atomic_write(path, text.as_bytes()).unwrap();
    }

    #[test]
    fn a_file_of_the_previous_version_keeps_its_secrets_and_migrates_on_the_next_save() {
        let dir = legacy_dir("file");
        write_private(&dir.path().join("secrets/work"), "test-token-legacy");
        write_private(
            &dir.path().join("webhook/secrets/work"),
            "test-token-legacy-hook",
        );
        let store = Store::for_tests(dir.path(), None);
        assert_eq!(
            store.secret("work").unwrap().expose_secret(),
            "test-token-legacy"
        );
        assert_eq!(
            store.webhook_secret_for_tests("work"),
            "test-token-legacy-hook"
        );

        // Same host, webhook still recorded: the hook secret moves to a key of its own.
        let mut again = store.get("work").unwrap().unwrap();
        again.webhook_id = Some("7".into());
        store.save(again, &secret("test-token-new"), true).unwrap();
        let text = std::fs::read_to_string(store.config_file()).unwrap();
        assert!(
            text.contains("version = 2") && text.contains("secret_key = \"work#"),
            "{text}"
        );
        assert_eq!(
            store.secret("work").unwrap().expose_secret(),
            "test-token-new"
        );
        assert_eq!(
            store.webhook_secret_for_tests("work"),
            "test-token-legacy-hook"
        );
        let secrets = files_in(&dir.path().join("secrets"));
        let hooks = files_in(&dir.path().join("webhook/secrets"));
        assert!(
            secrets.len() == 1 && secrets[0].starts_with("work#"),
            "{secrets:?}"
        );
        assert!(
            hooks.len() == 1 && hooks[0].starts_with("work#webhook-"),
            "{hooks:?}"
        );
    }

    #[test]
    fn a_keychain_entry_of_the_previous_version_is_read_then_replaced_and_deleted() {
        let dir = legacy_dir("keyring");
        let kc = MemoryKeychain::new();
        kc.set("work", &secret("test-token-legacy")).unwrap();
        kc.set("work#webhook", &secret("test-token-legacy-hook"))
            .unwrap();
        let store = Store::for_tests(dir.path(), Some(Arc::new(kc.clone())));
        assert_eq!(
            store.secret("work").unwrap().expose_secret(),
            "test-token-legacy"
        );
        let mut moved = store.get("work").unwrap().unwrap();
        moved.url = "https://elsewhere.example.com".into();
        store.save(moved, &secret("test-token-new"), true).unwrap();
        let accounts = kc.accounts();
        assert!(
            accounts.len() == 1
                && accounts[0].starts_with("work#")
                && !accounts[0].contains("webhook"),
            "the old secret and the old host's hook secret are gone: {accounts:?}"
        );
        assert!(store.webhook_secret("work").unwrap().is_none());
        assert_eq!(files_in(&dir.path().join("keychain")), accounts, "indexed");
    }

    #[test]
    fn a_keychain_secret_of_a_killed_save_is_swept_by_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let kc = MemoryKeychain::new();
        let store = Store::for_tests(dir.path(), Some(Arc::new(kc.clone())));
        store
            .save(conn("a"), &secret("test-token-a"), false)
            .unwrap();
        let kept = kc.accounts();
        // What a save killed between its keychain write and its commit leaves: of a saved
        // name, and of a new one.
        for name in ["a", "b"] {
            let slot = Slot {
                store: STORE_KEYRING,
                role: Role::Connection,
                key: generation::new_key(name, Role::Connection).unwrap(),
            };
            store
                .write_slot(&slot, &secret("test-token-killed"))
                .unwrap();
        }
        assert_eq!(kc.accounts().len(), 3);
        assert_eq!(store.secret("a").unwrap().expose_secret(), "test-token-a");

        // `remove` of a name that was never saved is the next run here: it sweeps.
        assert!(matches!(
            store.remove("b"),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(kc.accounts(), kept);
        assert_eq!(files_in(&dir.path().join("keychain")), kept);
    }

    #[test]
    fn remove_deletes_every_generation_of_the_name_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::for_tests(dir.path(), None);
        store
            .save(conn("a"), &secret("test-token-a"), false)
            .unwrap();
        store
            .save(conn("a-b"), &secret("test-token-ab"), false)
            .unwrap();
        // Left by killed saves, as the sweep has not run since.
        for key in ["a", "a#0123456789abcdef", "a#fedcba9876543210"] {
            write_private(&dir.path().join("secrets").join(key), "test-token-old");
        }
        write_private(
            &dir.path()
                .join("webhook/secrets/a#webhook-0123456789abcdef"),
            "x",
        );
        store.remove("a").unwrap();
        let left = files_in(&dir.path().join("secrets"));
        assert!(left.len() == 1 && left[0].starts_with("a-b#"), "{left:?}");
        assert_eq!(
            files_in(&dir.path().join("webhook/secrets")),
            Vec::<String>::new()
        );
        assert_eq!(
            store.secret("a-b").unwrap().expose_secret(),
            "test-token-ab"
        );
    }
}

#[test]
fn a_connection_lock_is_held_until_dropped_and_names_are_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::for_tests(dir.path(), None)
        .with_connection_lock_wait(std::time::Duration::from_millis(100));
    let held = store.lock_connection("ci").expect("first holder");
    // A second open of the same lock file is refused while the first lives, in one process
    // as across processes (flock belongs to the open file, not the process).
    assert!(matches!(
        store.lock_connection("ci"),
        Err(StoreError::Locked { .. })
    ));
    // Another connection's lock is its own.
    let _other = store.lock_connection("other").expect("another name");
    drop(held);
    store.lock_connection("ci").expect("free again");
    // A name that could escape the folder is refused before any file is made.
    assert!(matches!(
        store.lock_connection("../x"),
        Err(StoreError::InvalidName { .. })
    ));
}

#[test]
fn a_saved_connection_calls_bitbucket_as_what_was_saved() {
    let mut c = conn("work");
    c.user = Some("reported-identity".into());
    let spec = c.spec();
    assert_eq!(spec.name, "work");
    assert_eq!(spec.provider, Provider::Cloud);
    assert_eq!(spec.auth, AuthKind::OAuth);
    assert_eq!(spec.url, "https://bitbucket.org");
    // The typed username signs in; the identity the server reported is only shown.
    assert_eq!(spec.username.as_deref(), Some("dev@example.com"));
    assert_eq!(spec.repo.as_deref(), Some("ws/app"));
}

mod rotate {
    use super::*;

    fn hooked(name: &str) -> SavedConnection {
        SavedConnection {
            auth: AuthKind::AppPassword,
            username: Some("alice".into()),
            user: Some("alice".into()),
            webhook_id: Some("{hook-1}".into()),
            webhook_url: Some("https://ci.example.com/hook".into()),
            tls: Some(crate::core::cert::TlsTrust {
                ca_file: None,
                pinned: Some(format!("SHA256:{}", "ab".repeat(32))),
            }),
            ..conn(name)
        }
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    /// Rotates `ci` to an API token and checks what every backend must hold afterwards.
    fn rotate_and_check(store: &Store) {
        let before = hooked("ci");
        store
            .save_with_webhook_secret(
                before.clone(),
                &secret("test-token-old"),
                Some(&secret("test-token-hook")),
                false,
            )
            .expect("first save");
        store
            .rotate_secret(
                "ci",
                |c| {
                    c.auth = AuthKind::ApiToken;
                    c.username = Some("alice@example.com".into());
                },
                &secret("test-token-new"),
            )
            .expect("rotated");
        let after = store.get("ci").expect("get").expect("kept");
        assert_eq!(after.auth, AuthKind::ApiToken);
        assert_eq!(after.username.as_deref(), Some("alice@example.com"));
        assert_eq!(after.repo, before.repo);
        assert_eq!(after.webhook_id, before.webhook_id);
        assert_eq!(after.webhook_url, before.webhook_url);
        assert_eq!(after.tls, before.tls);
        assert_eq!(after.user, before.user);
        assert_eq!(
            store.secret("ci").expect("new").expose_secret(),
            "test-token-new"
        );
        assert_eq!(
            store
                .webhook_secret("ci")
                .expect("read")
                .expect("the hook secret survives a change of credential type")
                .expose_secret(),
            "test-token-hook"
        );
    }

    #[test]
    fn the_old_secret_leaves_the_file_store_and_the_rest_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::for_tests(dir.path(), None);
        rotate_and_check(&store);
        let mut contents = Vec::new();
        for sub in ["secrets", "webhook/secrets"] {
            for e in std::fs::read_dir(dir.path().join(sub))
                .expect("dir")
                .flatten()
            {
                contents.push(std::fs::read_to_string(e.path()).expect("read"));
            }
        }
        contents.sort();
        assert_eq!(
            contents,
            ["test-token-hook", "test-token-new"],
            "nothing else"
        );
    }

    #[test]
    fn the_old_secret_leaves_the_keychain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keychain = MemoryKeychain::new();
        let store = Store::for_tests(dir.path(), Some(Arc::new(keychain.clone())));
        rotate_and_check(&store);
        let accounts = keychain.accounts();
        assert_eq!(
            accounts.len(),
            2,
            "the new secret and the hook's: {accounts:?}"
        );
        for account in &accounts {
            assert!(
                store.dir().join("keychain").join(account).exists(),
                "{account}"
            );
        }
    }

    #[test]
    fn an_unknown_name_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::for_tests(dir.path(), None);
        let err = store
            .rotate_secret("nope", |_| {}, &secret("test-token-new"))
            .expect_err("not saved");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
        assert!(
            !dir.path().join("secrets").exists()
                || std::fs::read_dir(dir.path().join("secrets"))
                    .expect("dir")
                    .count()
                    == 0
        );
    }
}

#[test]
fn a_read_expiry_fills_an_unknown_day_but_never_replaces_a_typed_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::for_tests(dir.path(), None);
    let typed = jiff::civil::date(2030, 1, 2);
    let read = jiff::civil::date(2031, 5, 6);
    let with_day = SavedConnection {
        expires_on: Some(typed),
        ..conn("typed")
    };
    store
        .save(with_day, &secret("test-token-a"), false)
        .expect("save");
    store
        .save(conn("unknown"), &secret("test-token-b"), false)
        .expect("save");
    let before = std::fs::read(store.config_file()).expect("read");
    store.record_expiry("typed", read).expect("record");
    assert_eq!(
        std::fs::read(store.config_file()).expect("read"),
        before,
        "nothing to change: the file is left as it was"
    );
    store.record_expiry("unknown", read).expect("record");
    let day = |name: &str| store.get(name).expect("get").expect("saved").expires_on;
    assert_eq!(day("typed"), Some(typed));
    assert_eq!(day("unknown"), Some(read));
    assert!(matches!(
        store.record_expiry("missing", read),
        Err(StoreError::NotFound { .. })
    ));
}
