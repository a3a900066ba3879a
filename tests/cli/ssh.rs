//! The SSH route through the real binary: what `env` exports and `ssh-key` prints for a
//! connection saved with one, and the key file's mode.

use std::path::{Path, PathBuf};

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
        key_id: Some("7".into()),
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

// ---- End to end: real OpenSSH and real git against the simulator's SSH server ----

use bbconnect::sim::SimHandle;

use crate::common::bin::{cloud_connect_as, dc_user_connect, run};
use crate::common::creds::ALICE;
use crate::common::sim::{dc_project_repo, default as sim_default, demo_repo};

fn dc_ssh_connect<'a>(url: &'a str, repo: &'a str) -> Vec<&'a str> {
    let mut args = dc_user_connect(url);
    args.extend(["--repo", repo, "--git-protocol", "ssh"]);
    args
}

fn cloud_ssh_connect(repo: &str) -> Vec<&str> {
    let mut args = cloud_connect_as("cl");
    args.extend(["--repo", repo, "--git-protocol", "ssh"]);
    args
}

/// The first repository of DC project WEB (alice is its admin).
async fn first_web_repo(sim: &SimHandle) -> String {
    dc_project_repo(sim, "WEB").await
}

/// `dc` connected over SSH to the first repository of WEB: the simulator, the config dir,
/// that repository, and what the connect printed.
async fn dc_over_ssh() -> (SimHandle, tempfile::TempDir, String, std::process::Output) {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sim.server_url();
    let repo = first_web_repo(&sim).await;
    let out = run(&sim, dir.path(), &dc_ssh_connect(&url, &repo), Some(ALICE)).await;
    ok(&out);
    (sim, dir, repo, out)
}

/// `bbconnect clone dc REPO config/work`, which must go over SSH: the clone's folder.
async fn clone_dc_over_ssh(sim: &SimHandle, config: &Path, repo: &str) -> PathBuf {
    let target = config.join("work");
    let out = run(
        sim,
        config,
        &["clone", "dc", repo, target.to_str().expect("utf-8")],
        None,
    )
    .await;
    ok(&out);
    assert!(stderr(&out).contains("over SSH"), "{}", text(&out));
    assert!(target.join(".git").is_dir(), "{}", text(&out));
    target
}

fn ok(out: &std::process::Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_connect_over_ssh_clones_replaces_its_one_key_checks_and_deletes_it() {
    let (sim, dir, repo, out) = dc_over_ssh().await;
    let url = sim.server_url();
    assert!(
        stdout(&out).contains("Clone over SSH: ssh://"),
        "{}",
        text(&out)
    );
    let keys = sim.dc_access_keys(&repo);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].label, "bbconnect dc");
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).expect("store");
    let conn = store.get("dc").expect("read").expect("saved");
    let route = conn.ssh.clone().expect("the route is saved");
    assert_eq!(route.key_id, Some(keys[0].id.to_string()));
    assert_eq!(route.host_key_fingerprint, sim.ssh_host_key_fingerprint());
    assert_eq!(route.port, sim.ssh_port());

    // bbconnect clone goes over SSH with that key, and the clone keeps fetching with it.
    let target = clone_dc_over_ssh(&sim, dir.path(), &repo).await;
    let fetched = tokio::process::Command::new("git")
        .args(["fetch", "--quiet"])
        .current_dir(&target)
        .env("HOME", dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .await
        .expect("git");
    assert!(fetched.status.success(), "{}", text(&fetched));

    // --replace: a new key, and the old one is gone: one key of ours on the repository.
    let out = run(
        &sim,
        dir.path(),
        &[&dc_ssh_connect(&url, &repo)[..], &["--replace"]].concat(),
        Some(ALICE),
    )
    .await;
    ok(&out);
    let keys = sim.dc_access_keys(&repo);
    assert_eq!(keys.len(), 1, "exactly one key after --replace: {keys:?}");
    let replaced = store
        .get("dc")
        .expect("read")
        .expect("saved")
        .ssh
        .expect("route");
    assert_ne!(replaced.key_id, route.key_id);
    assert_eq!(replaced.key_id, Some(keys[0].id.to_string()));

    // check: the key is registered and the host key is the pinned one.
    let out = run(&sim, dir.path(), &["check", "dc", "--json"], None).await;
    ok(&out);
    let rows = serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json");
    let rows = rows[0]["checks"].to_string();
    assert!(
        rows.contains("ssh_key") && rows.contains("ssh_host_key"),
        "{rows}"
    );

    // A server presenting another host key than the pinned one fails, naming both.
    let mut tampered = store.get("dc").expect("read").expect("saved");
    let pinned = "SHA256:ybgmFkzwOSotHTHLJgHO0QN8L0xErw6vd0VhFA9m3SM";
    if let Some(r) = tampered.ssh.as_mut() {
        r.host_key_fingerprint = pinned.into();
    }
    let secret = store.secret("dc").expect("secret");
    store.save(tampered, &secret, true).expect("save");
    let out = run(&sim, dir.path(), &["check", "dc"], None).await;
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let said = stdout(&out);
    assert!(
        said.contains(pinned) && said.contains(&sim.ssh_host_key_fingerprint()),
        "both fingerprints: {}",
        text(&out)
    );

    // remove --delete-key takes our key off the repository.
    let out = run(&sim, dir.path(), &["remove", "dc", "--delete-key"], None).await;
    ok(&out);
    assert!(sim.dc_access_keys(&repo).is_empty());
    assert!(!store.ssh_files("dc").key.exists());
}

/// `connect --git-protocol ssh` of Cloud connection `cl` on the repository token's repository,
/// then `bbconnect clone` of it into `config/work`: the repository and the clone.
async fn cloud_connect_and_clone_over_ssh(sim: &SimHandle, config: &Path) -> (String, PathBuf) {
    let repo = demo_repo("cloud", "repo-token");
    let out = run(sim, config, &cloud_ssh_connect(&repo), Some(ALICE)).await;
    ok(&out);
    let target = config.join("work");
    let out = run(
        sim,
        config,
        &["clone", "cl", &repo, target.to_str().expect("utf-8")],
        None,
    )
    .await;
    ok(&out);
    assert!(target.join(".git").is_dir(), "{}", text(&out));
    (repo, target)
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_connect_over_ssh_registers_a_deploy_key_and_clones_with_it() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (repo, _) = cloud_connect_and_clone_over_ssh(&sim, dir.path()).await;
    let keys = sim.cloud_deploy_keys(&repo);
    assert_eq!(keys.len(), 1, "{keys:?}");
    let out = run(
        &sim,
        dir.path(),
        &["remove", "cl", "--delete-key", "--json"],
        None,
    )
    .await;
    ok(&out);
    assert!(sim.cloud_deploy_keys(&repo).is_empty());
}

/// The public key a refused connect told the user to paste (the line of stderr that is one).
fn key_to_paste(out: &std::process::Output) -> String {
    stderr(out)
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("ssh-ed25519 AAAA"))
        .unwrap_or_else(|| panic!("no public key in {}", text(out)))
        .to_string()
}

/// What a repository admin pasting `public` on DC's access keys page does: alice registers it
/// read-only through the simulator's REST API.
async fn admin_adds_read_only(sim: &SimHandle, repo: &str, public: &str) {
    let (project, slug) = repo.split_once('/').expect("KEY/slug");
    let url = format!(
        "{}/rest/keys/latest/projects/{project}/repos/{slug}/ssh",
        sim.server_url()
    );
    let body = serde_json::json!({"key": {"text": public, "label": "pasted by an admin"}, "permission": "REPO_READ"});
    admin_posts(crate::common::http::DC_ALICE, &url, body).await;
}

/// What a repository admin adding `public` on Cloud's Access keys page does: alice, who
/// administers the workspace, registers it through the simulator's REST API.
async fn admin_adds_deploy_key(sim: &SimHandle, repo: &str, public: &str) {
    let url = format!("{}/repositories/{repo}/deploy-keys", sim.cloud_api_url());
    let body = serde_json::json!({"key": public, "label": "pasted by an admin"});
    admin_posts(crate::common::http::CLOUD_ALICE, &url, body).await;
}

async fn admin_posts(admin: crate::common::http::Auth, url: &str, body: serde_json::Value) {
    let resp = admin
        .apply(reqwest::Client::new().post(url).json(&body))
        .send()
        .await
        .expect("request reaches the simulator");
    assert!(resp.status().is_success(), "{}", resp.status());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_without_repository_admin_finishes_through_the_key_an_admin_adds() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sim.server_url();
    let repo = first_web_repo(&sim).await;
    // bob reads WEB but administers nothing there.
    let args = bob_on(&url, &repo);
    let out = run(&sim, dir.path(), &args, Some("test-token-bob")).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let said = stderr(&out);
    assert!(said.contains("repository admin"), "{said}");
    assert!(
        said.contains(&format!(
            "{url}/projects/{}/repos/{}/settings/access-keys",
            repo.split('/').next().expect("key"),
            repo.split('/').nth(1).expect("slug")
        )),
        "the page to paste it on: {said}"
    );
    assert!(said.contains("read access only"), "{said}");
    assert!(said.contains("run this same command again"), "{said}");
    let public = key_to_paste(&out);
    assert!(public.ends_with(" bbconnect dc"), "{public}");
    assert!(
        !said.contains("PRIVATE KEY") && !stdout(&out).contains("PRIVATE KEY"),
        "{said}"
    );
    assert!(sim.dc_access_keys(&repo).is_empty());
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).expect("store");
    assert!(store.get("dc").expect("read").is_none(), "nothing saved");

    // Run again before anyone pasted it: the same key, so what was handed out stays valid.
    let out = run(&sim, dir.path(), &args, Some("test-token-bob")).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert_eq!(key_to_paste(&out), public, "the same key both times");
    assert!(
        stderr(&out).contains("not on the repository yet"),
        "{}",
        text(&out)
    );
    assert!(store.get("dc").expect("read").is_none(), "nothing saved");

    // An admin pastes it; the same command then proves it over ssh and saves the route.
    admin_adds_read_only(&sim, &repo, &public).await;
    let out = run(&sim, dir.path(), &args, Some("test-token-bob")).await;
    ok(&out);
    let keys = sim.dc_access_keys(&repo);
    assert_eq!(keys.len(), 1, "exactly the pasted key: {keys:?}");
    assert!(public.starts_with(&keys[0].text), "{keys:?} vs {public}");
    let route = store
        .get("dc")
        .expect("read")
        .expect("saved")
        .ssh
        .expect("with its SSH route");
    assert_eq!(route.key_id, None, "bob never saw the key's id");
    assert_eq!(
        store.ssh_public_key("dc").expect("read"),
        Some(public.clone())
    );

    // git over ssh with the saved key, through bbconnect clone.
    clone_dc_over_ssh(&sim, dir.path(), &repo).await;

    // check cannot list keys with bob's token: a warning that says so, not a failure.
    let out = run(&sim, dir.path(), &["check", "dc", "--json"], None).await;
    ok(&out);
    let rows = serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json");
    let key_row = rows[0]["checks"]["items"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["id"] == "ssh_key")
        .cloned()
        .unwrap_or_else(|| panic!("an ssh_key row: {}", text(&out)));
    assert_eq!(key_row["status"], "warning", "{key_row}");
    assert!(
        key_row.to_string().contains("cannot be listed"),
        "{key_row}"
    );
}

/// bob's `connect --git-protocol ssh` of `dc` on `repo`: he reads WEB but administers nothing.
fn bob_on<'a>(url: &'a str, repo: &'a str) -> Vec<&'a str> {
    let mut args = dc_ssh_connect(url, repo);
    args[10] = "bob";
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kept_key_is_offered_only_to_its_own_repository() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sim.server_url();
    let listed = crate::common::http::get_json(
        &format!("{url}/rest/api/1.0/projects/WEB/repos?limit=2"),
        crate::common::http::DC_ALICE,
    )
    .await;
    let repos: Vec<String> = listed["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|r| format!("WEB/{}", r["slug"].as_str().expect("slug")))
        .collect();
    assert_eq!(repos.len(), 2, "{listed}");
    let refused_key = |out: std::process::Output| {
        assert_eq!(out.status.code(), Some(4), "{}", text(&out));
        key_to_paste(&out)
    };
    let token = Some("test-token-bob");
    let (first, second) = (bob_on(&url, &repos[0]), bob_on(&url, &repos[1]));
    let a = refused_key(run(&sim, dir.path(), &first, token).await);
    let b = refused_key(run(&sim, dir.path(), &second, token).await);
    assert_ne!(a, b, "another repository gets a key of its own");
    let again = refused_key(run(&sim, dir.path(), &first, token).await);
    assert_eq!(
        again, a,
        "the first repository's key is still the one to paste"
    );

    // An admin adds it, and a credential that is repository admin connects as `dc` on that
    // repository: registering it again is turned down (the repository has it), and git over
    // SSH proves it: the route is saved with that one key.
    admin_adds_read_only(&sim, &repos[0], &a).await;
    let out = run(
        &sim,
        dir.path(),
        &dc_ssh_connect(&url, &repos[0]),
        Some(ALICE),
    )
    .await;
    ok(&out);
    let keys = sim.dc_access_keys(&repos[0]);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(a.starts_with(&keys[0].text), "{keys:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connecting_again_over_https_takes_the_ssh_key_off_the_repository() {
    let (sim, dir, repo, _) = dc_over_ssh().await;
    let url = sim.server_url();
    assert_eq!(sim.dc_access_keys(&repo).len(), 1);
    let https: Vec<&str> = dc_ssh_connect(&url, &repo)
        .into_iter()
        .filter(|a| *a != "--git-protocol" && *a != "ssh")
        .chain(["--replace"])
        .collect();
    let out = run(&sim, dir.path(), &https, Some(ALICE)).await;
    ok(&out);
    assert!(sim.dc_access_keys(&repo).is_empty(), "{}", text(&out));
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).expect("store");
    assert!(store.get("dc").expect("read").expect("saved").ssh.is_none());
    assert!(!store.ssh_files("dc").key.exists());
}

/// `git config --local --get core.sshCommand` in `clone`: `None` when unset.
async fn local_ssh_command(clone: &Path) -> Option<String> {
    let out = tokio::process::Command::new("git")
        .args(["config", "--local", "--get", "core.sshCommand"])
        .current_dir(clone)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .await
        .expect("git");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_git_local_writes_the_ssh_command_of_the_clones_connection_and_removes_it() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, target) = cloud_connect_and_clone_over_ssh(&sim, dir.path()).await;
    // A clone made some other way has no core.sshCommand of ours.
    let unset = tokio::process::Command::new("git")
        .args(["config", "--local", "--unset", "core.sshCommand"])
        .current_dir(&target)
        .status()
        .await
        .expect("git");
    assert!(unset.success());
    assert_eq!(local_ssh_command(&target).await, None);

    let setup = |extra: &'static [&'static str]| {
        let mut args = vec!["setup-git", "cl", "--local"];
        args.extend(extra);
        let mut cmd = crate::common::bin::against(&sim, dir.path(), &args, None);
        cmd.current_dir(&target);
        cmd
    };
    let out = setup(&[]).output().await.expect("runs");
    ok(&out);
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).expect("store");
    let files = store.ssh_files("cl");
    let written = local_ssh_command(&target)
        .await
        .expect("core.sshCommand set");
    assert_eq!(
        written,
        format!(
            "ssh -F /dev/null -i {} -o IdentitiesOnly=yes -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes",
            files.key.display(),
            files.known_hosts.display()
        ),
        "{}",
        text(&out)
    );
    // A plain git fetch in the clone now goes over real ssh with that key and host key only.
    let fetched = tokio::process::Command::new("git")
        .args(["fetch", "--quiet"])
        .current_dir(&target)
        .env("HOME", dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_SSH_COMMAND")
        .env_remove("GIT_SSH")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("git");
    assert!(fetched.status.success(), "{}", text(&fetched));

    let out = setup(&["--remove"]).output().await.expect("runs");
    ok(&out);
    assert_eq!(local_ssh_command(&target).await, None, "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cloud_token_without_admin_scope_finishes_through_the_deploy_key_an_admin_adds() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo_repo("cloud", "repo-token");
    let args = cloud_ssh_connect(&repo);
    // alice's read-only API token: it reads the repository but cannot add a deploy key.
    let read_only = Some("test-token-alice-read");
    let out = run(&sim, dir.path(), &args, read_only).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("{repo}/admin/access-keys")),
        "the page: {said}"
    );
    assert!(said.contains("read access only"), "{said}");
    assert!(said.contains("run this same command again"), "{said}");
    let public = key_to_paste(&out);
    assert!(public.ends_with(" bbconnect cl"), "{public}");
    assert!(!said.contains("PRIVATE KEY"), "{said}");
    assert!(sim.cloud_deploy_keys(&repo).is_empty());
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).expect("store");
    assert!(store.get("cl").expect("read").is_none(), "nothing saved");

    // An admin adds it; the same command then proves it over ssh and saves the route.
    admin_adds_deploy_key(&sim, &repo, &public).await;
    let out = run(&sim, dir.path(), &args, read_only).await;
    ok(&out);
    assert_eq!(sim.cloud_deploy_keys(&repo).len(), 1, "only the added key");
    assert_eq!(
        store.ssh_public_key("cl").expect("read"),
        Some(public.clone())
    );
    let target = dir.path().join("work");
    let out = run(
        &sim,
        dir.path(),
        &["clone", "cl", &repo, target.to_str().expect("utf-8")],
        None,
    )
    .await;
    ok(&out);
    assert!(stderr(&out).contains("over SSH"), "{}", text(&out));
    assert!(target.join(".git").is_dir(), "{}", text(&out));
}
