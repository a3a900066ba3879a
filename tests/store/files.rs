//! The connections file and the 0600 secret files, through the public API: round trip,
//! duplicates, modes, corrupt and newer files left untouched, the lock, removal, crash safety,
//! and that no secret ever lands anywhere but its own file.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bbconnect::core::model::{FailureClass, Problem, SavedInfo};
use bbconnect::store::{SavedConnection, Store, StoreError};
use secrecy::ExposeSecret;

use crate::common::child;
use crate::common::creds::{CANARY, file_store, saved, secret};

/// `name` with a repository, clone links and a webhook: every field a save must keep.
fn conn(name: &str) -> SavedConnection {
    SavedConnection {
        repo: Some("PROJ/app".into()),
        clone_https: Some("https://git.example.com/scm/proj/app.git".into()),
        clone_ssh: Some("ssh://git@git.example.com:7999/proj/app.git".into()),
        webhook_id: Some("42".into()),
        webhook_url: Some("https://ci.example.com/hook".into()),
        // Deliberately wrong: save must overwrite it with where the secret really went.
        secret_store: "caller-does-not-know".into(),
        ..saved(name)
    }
}

/// Saves `conn(name)` with `token` as a new connection.
fn put(store: &Store, name: &str, token: &str) -> SavedInfo {
    store
        .save(conn(name), &secret(token), false)
        .unwrap_or_else(|e| panic!("save {name}: {e}"))
}

/// [`store`] holding connection `a` with `test-token-1`.
fn store_with_a() -> (tempfile::TempDir, Store) {
    let (dir, store) = store();
    put(&store, "a", "test-token-1");
    (dir, store)
}

/// A file-mode store in a fresh temp dir (never the user's real config dir).
fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = file_store(dir.path());
    (dir, store)
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

/// The file holding `name`'s secret now.
fn current(store: &Store, name: &str) -> PathBuf {
    store
        .secret_file(name)
        .expect("read the connections")
        .expect("a secret file")
}

/// Every secret file of `name` on disk, whatever its generation.
fn on_disk(store: &Store, name: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(store.dir().join("secrets")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let f = e.file_name().to_string_lossy().into_owned();
            f == name || f.starts_with(&format!("{name}#"))
        })
        .map(|e| e.path())
        .collect()
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("read_dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn save_then_list_get_and_secret_round_trip() {
    let (_dir, store) = store();
    let info = put(&store, "work", "test-token-work");
    put(&store, "home", "test-token-home");

    assert_eq!(info.name, "work");
    assert_eq!(info.config_file, store.config_file().display().to_string());
    assert!(
        info.secret_location
            .contains(&current(&store, "work").display().to_string()),
        "{}",
        info.secret_location
    );
    assert_eq!(
        info.clone_https.as_deref(),
        Some("https://git.example.com/scm/proj/app.git")
    );

    let mut expected = conn("work");
    expected.secret_store = "file".into();
    let listed = store.list().expect("list");
    assert_eq!(
        listed.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["work", "home"]
    );
    assert_eq!(listed[0], expected);
    assert_eq!(store.get("work").expect("get"), Some(expected));
    assert_eq!(store.get("nope").expect("get"), None);
    assert_eq!(
        store.secret("work").expect("secret").expose_secret(),
        "test-token-work"
    );
    assert_eq!(
        store.secret("home").expect("secret").expose_secret(),
        "test-token-home"
    );
    // A second handle on the same dir reads the same thing: it is all on disk.
    assert_eq!(file_store(store.dir()).list().expect("list"), listed);
}

#[test]
fn an_empty_store_lists_nothing_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inner = dir.path().join("not-yet");
    let store = file_store(&inner);
    assert_eq!(store.list().expect("list"), vec![]);
    assert_eq!(store.config_file(), inner.join("connections.toml"));
    assert!(!inner.exists(), "list must not create the config dir");
}

#[test]
fn a_duplicate_name_is_refused_and_replace_overwrites_in_place() {
    let (_dir, store) = store_with_a();
    put(&store, "b", "test-token-2");
    let before = fs::read(store.config_file()).expect("read");

    let err = store
        .save(conn("a"), &secret("test-token-3"), false)
        .expect_err("duplicate");
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
    assert_eq!(Problem::from(err).class, FailureClass::Input);
    assert_eq!(fs::read(store.config_file()).expect("read"), before);
    assert_eq!(
        store.secret("a").expect("secret").expose_secret(),
        "test-token-1"
    );

    let mut changed = conn("a");
    changed.url = "https://other.example.com".into();
    store
        .save(changed, &secret("test-token-3"), true)
        .expect("replace");
    let listed = store.list().expect("list");
    assert_eq!(
        listed.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["a", "b"],
        "replace keeps the position"
    );
    assert_eq!(listed[0].url, "https://other.example.com");
    assert_eq!(
        store.secret("a").expect("secret").expose_secret(),
        "test-token-3"
    );
}

#[test]
fn an_invalid_name_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = file_store(&dir.path().join("cfg"));
    for bad in ["../escape", "a/b", ".hidden", ""] {
        let err = store
            .save(conn(bad), &secret("test-token-x"), false)
            .expect_err(bad);
        assert!(matches!(err, StoreError::InvalidName { .. }), "{err:?}");
    }
    assert!(!dir.path().join("cfg").exists());
    assert!(!dir.path().join("escape").exists());
}

#[cfg(unix)]
#[test]
fn files_and_directories_are_owner_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("bbconnect");
    let store = file_store(&cfg);
    put(&store, "a", "test-token-1");
    assert_eq!(mode_of(&cfg), 0o700, "config dir we created");
    assert_eq!(mode_of(&cfg.join("secrets")), 0o700, "secrets dir");
    assert_eq!(mode_of(&current(&store, "a")), 0o600, "secret file");
    assert_eq!(mode_of(&store.config_file()), 0o600, "connections file");
    assert_eq!(mode_of(&store.lock_file()), 0o600, "lock file");
}

#[cfg(unix)]
#[test]
fn a_too_open_secrets_dir_is_refused_on_save_and_left_for_the_user_to_fix() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, store) = store();
    let secrets = store.dir().join("secrets");
    fs::create_dir_all(&secrets).expect("mkdir");
    fs::set_permissions(&secrets, fs::Permissions::from_mode(0o755)).expect("chmod");
    let err = store
        .save(conn("a"), &secret("test-token-1"), false)
        .expect_err("refused");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Exposed { .. }), "{err:?}");
    assert!(
        text.contains(&format!("chmod 700 {}", secrets.display())),
        "{text}"
    );
    assert_eq!(Problem::from(err).class, FailureClass::Other, "exit 1");
    assert_eq!(mode_of(&secrets), 0o755, "not silently repaired");
    assert!(on_disk(&store, "a").is_empty() && !store.config_file().exists());

    fs::set_permissions(&secrets, fs::Permissions::from_mode(0o700)).expect("chmod");
    put(&store, "a", "test-token-1");
}

#[test]
fn the_secret_is_only_in_its_own_file() {
    let (_dir, store) = store();
    let info = store.save(conn("a"), &secret(CANARY), false).expect("save");
    put(&store, "b", "test-token-b");
    store.remove("b").expect("remove");

    let own = current(&store, "a");
    for path in all_files(store.dir()) {
        let bytes = fs::read(&path).expect("read");
        let has = bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes());
        assert_eq!(
            has,
            path == own,
            "canary presence wrong in {}",
            path.display()
        );
    }
    let text = fs::read_to_string(store.config_file()).expect("read");
    assert!(
        text.contains("version = 2") && text.contains("[[connection]]"),
        "{text}"
    );
    assert!(text.contains("secret_store = \"file\""), "{text}");

    // Nothing a caller may print carries it either.
    let printed = format!(
        "{info:?} {:?} {:?} {store:?} {}",
        store.list().expect("list"),
        store.secret("a").expect("secret"),
        store.secret_backend_note()
    );
    assert!(!printed.contains(CANARY), "{printed}");
}

#[test]
fn a_corrupt_file_is_reported_by_name_and_never_overwritten() {
    let (_dir, store) = store_with_a();
    let garbage = b"version = 1\n[[connection]\nname = \"half";
    fs::write(store.config_file(), garbage).expect("write");

    let shown = store.config_file().display().to_string();
    let errors = [
        store.list().expect_err("list"),
        store.get("a").expect_err("get"),
        store.secret("a").expect_err("secret"),
        store
            .save(conn("b"), &secret("test-token-2"), false)
            .expect_err("save"),
        store.remove("a").expect_err("remove"),
    ];
    for err in errors {
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        let p = Problem::from(err);
        assert!(p.what.contains(&shown), "{}", p.what);
        assert!(!p.fix.is_empty());
    }
    assert_eq!(fs::read(store.config_file()).expect("read"), garbage);
    assert!(
        on_disk(&store, "b").is_empty(),
        "no secret for a failed save"
    );
    assert_eq!(on_disk(&store, "a").len(), 1, "remove must not touch it");
}

#[test]
fn a_file_from_a_newer_version_is_reported_and_left_alone() {
    let (_dir, store) = store();
    fs::create_dir_all(store.dir()).expect("mkdir");
    let newer = "version = 7\n[[profiles]]\nname = \"x\"\n";
    fs::write(store.config_file(), newer).expect("write");
    let err = store
        .save(conn("a"), &secret("test-token-1"), false)
        .expect_err("save");
    let text = err.to_string();
    assert!(
        matches!(err, StoreError::NewerVersion { found: 7, .. }),
        "{err:?}"
    );
    assert!(
        text.contains(&store.config_file().display().to_string()),
        "{text}"
    );
    assert!(text.contains("newer bbconnect"), "{text}");
    assert!(text.contains("Upgrade"), "{text}");
    assert_eq!(
        fs::read_to_string(store.config_file()).expect("read"),
        newer
    );
    assert!(on_disk(&store, "a").is_empty());
}

#[test]
fn remove_deletes_the_connection_and_its_secret() {
    let (_dir, store) = store_with_a();
    put(&store, "b", "test-token-2");
    store.remove("a").expect("remove");
    assert_eq!(
        store
            .list()
            .expect("list")
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["b"]
    );
    assert!(on_disk(&store, "a").is_empty());
    assert_eq!(on_disk(&store, "b").len(), 1);

    let err = store.remove("a").expect_err("again");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(Problem::from(err).class, FailureClass::Input);
    let err = store.secret("a").expect_err("secret");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

#[test]
fn a_missing_secret_file_says_how_to_store_it_again() {
    let (_dir, store) = store_with_a();
    let path = current(&store, "a");
    fs::remove_file(&path).expect("rm");
    let err = store.secret("a").expect_err("missing");
    assert!(matches!(err, StoreError::SecretMissing { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("--replace"), "{text}");
}

#[test]
fn a_trailing_newline_in_a_hand_written_secret_file_is_not_part_of_the_secret() {
    let (_dir, store) = store_with_a();
    fs::write(current(&store, "a"), "test-token-edited\n").expect("write");
    assert_eq!(
        store.secret("a").expect("secret").expose_secret(),
        "test-token-edited"
    );
}

#[test]
fn a_held_lock_makes_a_writer_wait_then_fail_clearly() {
    let (_dir, store) = store_with_a();
    let store = store.with_lock_wait(Duration::from_millis(300));
    let holder = fs::OpenOptions::new()
        .write(true)
        .open(store.lock_file())
        .expect("open lock");
    holder.lock().expect("lock");

    let start = Instant::now();
    let err = store
        .save(conn("b"), &secret("test-token-2"), false)
        .expect_err("locked");
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "did not wait"
    );
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains(".lock"), "{err}");
    let err = store.remove("a").expect_err("locked");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        on_disk(&store, "b").is_empty(),
        "nothing written while locked"
    );
    assert_eq!(store.list().expect("reads need no lock").len(), 1);

    drop(holder);
    put(&store, "b", "test-token-2");
}

#[test]
fn a_writer_waits_for_a_lock_released_in_time() {
    let (_dir, store) = store_with_a();
    let holder = fs::OpenOptions::new()
        .write(true)
        .open(store.lock_file())
        .expect("open lock");
    holder.lock().expect("lock");
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        drop(holder);
    });
    let start = Instant::now();
    put(&store, "b", "test-token-2");
    assert!(
        start.elapsed() >= Duration::from_millis(150),
        "did not wait for the holder"
    );
    releaser.join().expect("join");
    assert_eq!(store.list().expect("list").len(), 2);
}

#[test]
fn concurrent_writers_lose_no_update() {
    let (dir, _store) = store();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let store = file_store(&path);
                for i in 0..5 {
                    store
                        .save(conn(&format!("c{t}-{i}")), &secret("test-token-x"), false)
                        .expect("save");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("join");
    }
    assert_eq!(file_store(dir.path()).list().expect("list").len(), 40);
}

#[test]
fn temp_files_left_by_a_killed_writer_leave_the_previous_file_intact() {
    let (_dir, store) = store_with_a();
    let before = fs::read(store.config_file()).expect("read");
    // What a writer killed between creating its temp files and the rename leaves behind.
    let stale_config = store.dir().join(".tmp-XYZ123");
    let stale_secret = store.dir().join("secrets").join(".tmp-ABC456");
    fs::write(&stale_config, "version = 1\n[[connection]]\nname = \"hal").expect("write");
    fs::write(&stale_secret, "test-token-half").expect("write");

    assert_eq!(fs::read(store.config_file()).expect("read"), before);
    assert_eq!(store.list().expect("list").len(), 1);
    put(&store, "b", "test-token-2");
    assert!(
        !stale_config.exists() && !stale_secret.exists(),
        "swept under the lock"
    );
    assert_eq!(store.list().expect("list").len(), 2);
}

const KILLED_WRITER_CONNECTIONS: u64 = 20;

/// The child half of the killed-writer test: saves (replace) in a loop until killed.
#[test]
fn killed_writer_child() {
    let Some(dir) = std::env::var_os("BBCONNECT_TEST_KILLED_WRITER_DIR") else {
        return; // only runs when spawned by the test below
    };
    let store = file_store(Path::new(&dir));
    for i in 0u64.. {
        let mut c = conn(&format!("c{}", i % KILLED_WRITER_CONNECTIONS));
        c.saved_at = format!("round {i}");
        // Big entries make each write long, so the kill often lands mid-write.
        c.webhook_url = Some("x".repeat(20_000));
        if store.save(c, &secret("test-token-loop"), true).is_err() {
            std::process::exit(3);
        }
    }
}

/// Real SIGKILLs at varying moments of a writer busy replacing entries. The kill lands in the
/// write itself only now and then (parsing dominates each loop), so this is the end-to-end
/// check; `fsutil`'s unit tests pin down deterministically that the target is untouched until
/// the rename.
#[test]
fn a_writer_killed_mid_write_leaves_a_readable_file() {
    let (dir, store) = store();
    for i in 0..KILLED_WRITER_CONNECTIONS {
        let mut c = conn(&format!("c{i}"));
        c.webhook_url = Some("x".repeat(20_000));
        store
            .save(c, &secret("test-token-first"), false)
            .expect("seed");
    }
    for round in 0..6u64 {
        let mut child = child::this_test(module_path!(), "killed_writer_child")
            .env("BBCONNECT_TEST_KILLED_WRITER_DIR", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn child");
        std::thread::sleep(Duration::from_millis(150 + 37 * round));
        child.kill().expect("kill"); // SIGKILL: no destructor, no cleanup runs
        let _ = child.wait();

        let listed = store
            .list()
            .unwrap_or_else(|e| panic!("round {round}: file damaged by the kill: {e}"));
        assert_eq!(
            listed.len(),
            KILLED_WRITER_CONNECTIONS as usize,
            "round {round}"
        );
        // Read the files directly: `secret()` re-parses the whole file per call.
        for c in &listed {
            let s = fs::read_to_string(current(&store, &c.name)).expect("secret file");
            assert!(
                s == "test-token-first" || s == "test-token-loop",
                "round {round}: secret of {} damaged",
                c.name
            );
        }
    }
}
