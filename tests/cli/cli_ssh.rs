//! The SSH route through the real binary: what `env` exports and `ssh-key` prints for a
//! connection saved with one, and the key file's mode.

use std::path::Path;

use bbconnect::core::ssh::SshRoute;
use bbconnect::engine::ssh::generate_key;
use bbconnect::store::{SecretStoreMode, Store};
use secrecy::{ExposeSecret, SecretString};

use crate::common::bin::{bbconnect, stderr, stdout, text};
use crate::common::creds::saved;

/// Saves `dc` with an SSH route and a real key, as a finished `connect --git-protocol ssh`
/// leaves it; returns the store and the public key.
fn saved_with_route(config: &Path) -> (Store, String) {
    let store = Store::open(Some(config.to_path_buf()), SecretStoreMode::File).expect("store");
    let mut conn = saved("dc");
    conn.repo = Some("WEB/site".into());
    conn.clone_ssh = Some("ssh://git@git.example.com:7999/web/site.git".into());
    conn.ssh = Some(SshRoute {
        clone_url: "ssh://git@git.example.com:7999/web/site.git".into(),
        key_id: "7".into(),
        host: "git.example.com".into(),
        port: 7999,
        host_key_fingerprint: "SHA256:ybgmFkzwOSotHTHLJgHO0QN8L0xErw6vd0VhFA9m3SM".into(),
    });
    store
        .save(conn, &SecretString::from("test-token-alice"), false)
        .expect("save");
    let key = generate_key("dc").expect("key");
    store
        .write_next_ssh_files(
            "dc",
            &key.private,
            &key.public,
            "[git.example.com]:7999 ssh-ed25519 AAAA\n",
        )
        .expect("write");
    store.promote_next_ssh_files("dc").expect("promote");
    (store, key.public)
}

#[tokio::test(flavor = "multi_thread")]
async fn env_exports_the_ssh_command_of_exactly_this_key_and_host_and_the_ssh_clone_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, _) = saved_with_route(dir.path());
    let files = store.ssh_files("dc");
    let want = format!(
        "ssh -F /dev/null -i {} -o IdentitiesOnly=yes -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes",
        files.key.display(),
        files.known_hosts.display()
    );
    let out = bbconnect(dir.path(), &["env", "dc", "--format", "json"])
        .output()
        .await
        .expect("runs");
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["GIT_SSH_COMMAND"], want.as_str(), "{}", text(&out));
    assert_eq!(
        v["BITBUCKET_CLONE_SSH"],
        "ssh://git@git.example.com:7999/web/site.git"
    );
    assert_eq!(v["BITBUCKET_GIT_PROTOCOL"], "ssh");
    assert!(!stdout(&out).contains("test-token-alice"));

    // Sourced by a real shell, the value is the command itself.
    let out = bbconnect(dir.path(), &["env", "dc"])
        .output()
        .await
        .expect("runs");
    let script = format!("{}printf '%s' \"$GIT_SSH_COMMAND\"", stdout(&out));
    let sourced = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("sh");
    assert_eq!(String::from_utf8_lossy(&sourced.stdout), want);
}

#[tokio::test(flavor = "multi_thread")]
async fn ssh_key_prints_the_public_key_and_the_private_one_only_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, public) = saved_with_route(dir.path());
    let out = bbconnect(dir.path(), &["ssh-key", "dc"])
        .output()
        .await
        .expect("runs");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(stdout(&out), format!("{public}\n"));
    assert!(public.starts_with("ssh-ed25519 ") && public.ends_with(" bbconnect dc"));
    assert!(out.stderr.is_empty(), "{}", text(&out));

    let out = bbconnect(dir.path(), &["ssh-key", "dc", "--private"])
        .output()
        .await
        .expect("runs");
    assert!(out.status.success(), "{}", text(&out));
    let private = store.ssh_private_key("dc").expect("read").expect("present");
    assert_eq!(
        stdout(&out),
        format!("{}\n", private.expose_secret().trim_end())
    );
    assert!(stdout(&out).starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    assert!(stderr(&out).contains("secret"), "{}", text(&out));

    // A connection without a route says so (usage), and prints no key.
    let out = bbconnect(dir.path(), &["ssh-key", "nope"])
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(out.stdout.is_empty());
}

#[cfg(unix)]
#[test]
fn the_private_key_is_owner_only_and_refused_when_opened_up() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, _) = saved_with_route(dir.path());
    let files = store.ssh_files("dc");
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&files.key), 0o600);
    assert_eq!(mode(files.key.parent().expect("dir")), 0o700);
    std::fs::set_permissions(&files.key, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let err = store.ssh_private_key("dc").expect_err("refused");
    assert!(err.to_string().contains("chmod 600"), "{err}");
    store.remove("dc").expect("remove");
    assert!(
        !files.key.exists(),
        "removing the connection removes its key"
    );
}
