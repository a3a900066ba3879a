//! The real OS keychain (Secret Service on Linux). Skips itself, saying why, when none is
//! reachable. To run it for real on Linux (Debian: gnome-keyring dbus libsecret-tools):
//!
//! ```sh
//! dbus-run-session -- sh -c '
//!   printf test-keyring-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
//!   cargo test --test store keychain:: -- --nocapture'
//! ```
//!
//! The no-keychain case needs no setup: a child process is started with an unusable D-Bus
//! address and must fall back to the 0600 file.

use std::path::Path;
use std::process::Command;

use bbconnect::store::{Keychain, OsKeychain, SecretStoreMode, Store};
use secrecy::{ExposeSecret, SecretString};

use crate::common::child;
use crate::common::creds::saved as conn;

/// A name no real connection has, so the user's own keychain entries are never touched.
fn unique_name(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("bbconnect-test-{tag}-{}-{nanos}", std::process::id())
}

/// Why the real keychain cannot be tested here, if it cannot.
fn skip_reason() -> Option<String> {
    if cfg!(target_os = "linux") && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return Some("no D-Bus session (DBUS_SESSION_BUS_ADDRESS unset)".into());
    }
    OsKeychain
        .probe()
        .err()
        .map(|f| format!("no usable Secret Service: {}", f.reason()))
}

/// The keychain account connections.toml names for connection `name` (its `secret_key`).
fn account_of(store: &Store, name: &str) -> String {
    let text = std::fs::read_to_string(store.config_file()).expect("read");
    let table = text
        .split("[[connection]]")
        .find(|t| t.contains(&format!("name = \"{name}\"")))
        .expect("the connection's table");
    let line = table
        .lines()
        .find(|l| l.starts_with("secret_key = "))
        .expect("a secret_key");
    line.trim_start_matches("secret_key = ")
        .trim_matches('"')
        .to_string()
}

/// What `secret-tool` (libsecret's CLI, independent of our code) finds for account `name`.
fn secret_tool_lookup(name: &str) -> Option<Option<String>> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "bbconnect", "username", name])
        .output()
        .ok()?;
    Some(
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned()),
    )
}

#[test]
fn secrets_round_trip_through_the_real_keychain() {
    if let Some(reason) = skip_reason() {
        println!("SKIPPED secrets_round_trip_through_the_real_keychain: {reason}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let store =
        Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::Keyring).expect("open");
    assert!(
        store.secret_backend_note().starts_with("OS keychain"),
        "{}",
        store.secret_backend_note()
    );
    let name = unique_name("rt");
    let value = format!("test-token-keychain-{}", std::process::id());

    let info = store
        .save(conn(&name), &SecretString::from(value.clone()), false)
        .expect("save to the keychain");
    assert!(
        info.secret_location.starts_with("OS keychain"),
        "{}",
        info.secret_location
    );
    assert_eq!(
        store.get(&name).expect("get").expect("some").secret_store,
        "keyring"
    );
    assert_eq!(
        store.secret_file(&name).expect("read"),
        None,
        "no file copy"
    );
    assert!(!dir.path().join("secrets").exists(), "no file copy");
    let text = std::fs::read_to_string(store.config_file()).expect("read");
    assert!(!text.contains(&value), "secret in connections.toml");
    assert_eq!(
        store.secret(&name).expect("read back").expose_secret(),
        value
    );

    let first = account_of(&store, &name);
    assert!(first.starts_with(&format!("{name}#")), "{first}");
    assert_eq!(
        OsKeychain
            .get(&first)
            .expect("keychain get")
            .map(|s| s.expose_secret().to_string()),
        Some(value.clone())
    );

    // Replace: a new generation, and the old one deleted after the commit.
    let newer = format!("{value}-2");
    store
        .save(conn(&name), &SecretString::from(newer.clone()), true)
        .expect("replace");
    assert_eq!(
        store.secret(&name).expect("read back").expose_secret(),
        newer
    );
    let second = account_of(&store, &name);
    assert_ne!(first, second);
    assert!(
        OsKeychain.get(&first).expect("keychain get").is_none(),
        "the previous generation survived the replace"
    );
    match secret_tool_lookup(&second) {
        Some(found) => assert_eq!(found.as_deref(), Some(newer.as_str()), "secret-tool view"),
        None => println!("secret-tool not installed: cross-check skipped"),
    }
    if let Some(found) = secret_tool_lookup(&first) {
        assert_eq!(found, None, "secret-tool still finds the old generation");
    }

    // An orphan of that name (what a save killed after its keychain write leaves) and a
    // webhook secret: remove deletes every generation.
    store
        .save_webhook_secret(&name, &SecretString::from(format!("{value}-hook")))
        .expect("hook secret");
    let orphan = format!("{name}#0123456789abcdef");
    OsKeychain
        .set(&orphan, &SecretString::from(format!("{value}-orphan")))
        .expect("plant");
    std::fs::write(dir.path().join("keychain").join(&orphan), "").expect("index it");
    let accounts = std::fs::read_dir(dir.path().join("keychain"))
        .expect("index")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    assert_eq!(accounts.len(), 3, "{accounts:?}");

    store.remove(&name).expect("remove");
    assert!(store.get(&name).expect("get").is_none());
    for account in &accounts {
        assert!(
            OsKeychain.get(account).expect("keychain get").is_none(),
            "{account} survived remove"
        );
        if let Some(found) = secret_tool_lookup(account) {
            assert_eq!(found, None, "secret-tool still finds {account}");
        }
    }
}

#[test]
fn auto_mode_prefers_the_real_keychain() {
    if let Some(reason) = skip_reason() {
        println!("SKIPPED auto_mode_prefers_the_real_keychain: {reason}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::Auto).expect("open");
    let name = unique_name("auto");
    store
        .save(conn(&name), &SecretString::from("test-token-auto"), false)
        .expect("save");
    let saved = store.get(&name).expect("get").expect("some");
    store.remove(&name).expect("cleanup");
    assert_eq!(saved.secret_store, "keyring");
}

/// Child half of the test below: runs with an unusable D-Bus address.
#[test]
fn no_bus_child() {
    let Some(dir) = std::env::var_os("BBCONNECT_TEST_NO_BUS_DIR") else {
        return; // only runs when spawned by the test below
    };
    let dir = Path::new(&dir);
    let store = Store::open(Some(dir.to_path_buf()), SecretStoreMode::Auto).expect("open");
    let note = store.secret_backend_note();
    assert!(note.contains("no OS keychain found"), "{note}");
    let info = store
        .save(
            conn("nobus"),
            &SecretString::from("test-token-nobus"),
            false,
        )
        .expect("save falls back");
    assert!(
        info.secret_location.starts_with("file "),
        "{}",
        info.secret_location
    );
    assert!(
        store
            .secret_file("nobus")
            .expect("read")
            .is_some_and(|p| p.exists())
    );

    let strict = Store::open(Some(dir.to_path_buf()), SecretStoreMode::Keyring).expect("open");
    let err = strict
        .save(
            conn("strict"),
            &SecretString::from("test-token-strict"),
            false,
        )
        .expect_err("keyring mode must refuse");
    assert!(
        err.to_string().contains("BBCONNECT_SECRET_STORE=keyring"),
        "{err}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn without_a_session_bus_auto_falls_back_and_keyring_refuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = tempfile::tempdir().expect("tempdir");
    let out = child::this_test(module_path!(), "no_bus_child")
        .env("BBCONNECT_TEST_NO_BUS_DIR", dir.path())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}/no-bus-here", runtime.path().display()),
        )
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .expect("run child");
    assert!(
        out.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).expect("open");
    let saved = store
        .get("nobus")
        .expect("get")
        .expect("the child saved it");
    assert_eq!(saved.secret_store, "file");
    assert_eq!(
        store.secret("nobus").expect("secret").expose_secret(),
        "test-token-nobus"
    );
    assert!(store.get("strict").expect("get").is_none());
}
