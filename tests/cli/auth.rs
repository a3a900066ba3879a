//! The real binary against the simulator for the credential types beyond the first two:
//! Cloud repository token, app password, DC repository token, and OAuth2 with a stand-in
//! browser (the test reads the URL the binary prints and follows it like a browser would),
//! plus `check` refreshing an expired OAuth token and keeping the newest refresh token.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use bbconnect::core::model::OAuthGrant;
use bbconnect::sim::SimHandle;
use bbconnect::store::{SecretStoreMode, Store};
use secrecy::ExposeSecret;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::common::bin::{self, connect_as, json as listed, text};
use crate::common::opener::{path_with, stand_in_openers};
use crate::common::sim::{default as sim_default, demo_repo};
use crate::common::wait::free_port;

fn command(sim: &SimHandle, config: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = bin::against(sim, config, args, None);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

async fn run(sim: &SimHandle, config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(sim, config, args, env)
        .output()
        .await
        .expect("binary runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_repository_token_connects_to_its_repository() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let repo = demo_repo("cloud", "repo-token");
    let token = [("BBCONNECT_TOKEN", "test-token-cloud-repo")];
    let args = [
        connect_as("cloud", "repo-token", "cr"),
        vec!["--repo", &repo],
    ]
    .concat();
    let out = run(&sim, dir.path(), &args, &token).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let list = listed(&run(&sim, dir.path(), &["list", "--json"], &[]).await);
    assert_eq!(list[0]["auth"], "repo-token");
    assert_eq!(list[0]["repo"], repo.as_str());
    assert_eq!(list[0]["username"], serde_json::Value::Null);
    let check = run(&sim, dir.path(), &["check", "cr"], &[]).await;
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));

    // The same token for another repository is refused before anything is saved.
    let args = connect_as("cloud", "repo-token", "cr2");
    let args = [args, vec!["--repo", "acme-mobile/not-this-one"]].concat();
    let other = run(&sim, dir.path(), &args, &token).await;
    assert_ne!(other.status.code(), Some(0), "{}", text(&other));
    let cr2_secrets = std::fs::read_dir(dir.path().join("secrets"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("cr2"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(cr2_secrets, 0, "no secret saved for cr2");
}

#[tokio::test(flavor = "multi_thread")]
async fn app_password_connects_with_the_deprecation_warning() {
    let sim = crate::common::sim::old_mirror().await;
    let dir = tempfile::tempdir().unwrap();
    let args = bin::cloud_app_password_connect("ap");
    let out = run(
        &sim,
        dir.path(),
        &args,
        &[("BBCONNECT_TOKEN", "test-token-app-password")],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[warn]"), "{stderr}");
    assert!(stderr.contains("2026-07-28"), "{stderr}");

    // The email does not work with an app password: rejected, exit 3.
    let args = bin::cloud_app_password_connect("ap2");
    let bad = run(
        &sim,
        dir.path(),
        &args,
        &[("BBCONNECT_TOKEN", "test-token-wrong")],
    )
    .await;
    assert_eq!(bad.status.code(), Some(3), "{}", text(&bad));
}

#[tokio::test(flavor = "multi_thread")]
async fn server_repository_token_connects_with_bearer_and_no_username() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let repo = demo_repo("server", "http-token-repo");
    let url = sim.server_url();
    let args = connect_as("server", "http-token-repo", "dr");
    let args = [args, vec!["--url", &url, "--repo", &repo, "--json"]].concat();
    let out = run(
        &sim,
        dir.path(),
        &args,
        &[("BBCONNECT_TOKEN", "test-token-repo")],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = listed(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(
        v["repo"].as_str().map(str::to_lowercase),
        Some(repo.to_lowercase())
    );
    let check = run(&sim, dir.path(), &["check", "dr", "--json"], &[]).await;
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
}

/// Runs `connect --auth oauth`, plays the browser with the URL it prints, waits for the end.
async fn connect_oauth(sim: &SimHandle, config: &Path, name: &str) -> (Output, String) {
    connect_oauth_with(sim, config, name, false).await
}

/// `secret_on_stdin`: the consumer secret comes piped with --token-stdin instead of the env.
async fn connect_oauth_with(
    sim: &SimHandle,
    config: &Path,
    name: &str,
    secret_on_stdin: bool,
) -> (Output, String) {
    let port = free_port().to_string();
    let mut args = bin::cloud_oauth_connect(name, &port, "30");
    let mut env = vec![("BBCONNECT_OAUTH_KEY", "test-oauth-key")];
    if secret_on_stdin {
        args.push("--token-stdin");
    } else {
        env.push(("BBCONNECT_OAUTH_SECRET", "test-oauth-secret"));
    }
    let mut cmd = command(sim, config, &args, &env);
    if secret_on_stdin {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        stdin.write_all(b"test-oauth-secret\n").await.unwrap();
        // Dropped here: the binary reads to end of input.
    }
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let url = loop {
        let line = next_line(&mut lines, &mut seen).await;
        if let Some(at) = line.find("http") {
            let candidate = line[at..].trim().to_string();
            if candidate.contains("/site/oauth2/authorize") {
                break candidate;
            }
        }
    };
    // The stand-in browser: follows the 302 to the binary's callback listener.
    let page = reqwest::get(&url)
        .await
        .expect("browser reaches the simulator")
        .text()
        .await
        .unwrap();
    let rest = drain(lines);
    let mut out = finish(child).await;
    seen.push_str(&rest.await.unwrap());
    out.stderr = seen.into_bytes();
    (out, page)
}

fn saved_grant(config: &Path, name: &str) -> OAuthGrant {
    let store = Store::open(Some(config.to_path_buf()), SecretStoreMode::File).unwrap();
    let secret = store.secret(name).unwrap();
    OAuthGrant::from_stored(secret.expose_secret()).expect("an OAuth blob is saved")
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_connect_prints_the_url_waits_and_saves_the_tokens() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let (out, page) = connect_oauth(&sim, dir.path(), "oa").await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(page.contains("close this tab"), "{page}");
    let grant = saved_grant(dir.path(), "oa");
    assert!(grant.refresh_token.is_some());
    assert_eq!(grant.consumer_secret.expose_secret(), "test-oauth-secret");
    // No token in what the binary printed.
    let shown = text(&out);
    assert!(
        !shown.contains(grant.access_token.expose_secret()),
        "{shown}"
    );
    assert!(!shown.contains("test-oauth-secret"), "{shown}");
    let list = listed(&run(&sim, dir.path(), &["list", "--json"], &[]).await);
    assert_eq!(list[0]["auth"], "oauth");
    assert_eq!(list[0]["username"], "test-oauth-key");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_refreshes_an_expired_oauth_token_and_keeps_the_newest_refresh_token() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = connect_oauth(&sim, dir.path(), "oa").await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Age the saved access token past its expiry, as two hours would.
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).unwrap();
    let mut grant = saved_grant(dir.path(), "oa");
    let old_refresh = grant.refresh_token.clone().unwrap();
    let old_access = grant.access_token.clone();
    grant.expires_at = Some(1);
    let conn = store.get("oa").unwrap().unwrap();
    store.save(conn, &grant.to_stored(), true).unwrap();

    let check = run(&sim, dir.path(), &["check", "oa"], &[]).await;
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let renewed = saved_grant(dir.path(), "oa");
    assert_ne!(
        renewed.access_token.expose_secret(),
        old_access.expose_secret()
    );
    let newest = renewed.refresh_token.clone().unwrap();
    assert_ne!(newest.expose_secret(), old_refresh.expose_secret());
    assert!(renewed.expires_at.unwrap() > 1_000_000);

    // The simulator rotates refresh tokens: a second check works only with the newest one,
    // so it passing after another ageing proves the newest was kept.
    let mut again = renewed;
    again.expires_at = Some(1);
    let conn = store.get("oa").unwrap().unwrap();
    store.save(conn, &again.to_stored(), true).unwrap();
    let check = run(&sim, dir.path(), &["check", "oa"], &[]).await;
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_consumer_secret_can_come_on_stdin() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let (out, page) = connect_oauth_with(&sim, dir.path(), "oa-stdin", true).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(page.contains("close this tab"), "{page}");
    let grant = saved_grant(dir.path(), "oa-stdin");
    assert_eq!(grant.consumer_secret.expose_secret(), "test-oauth-secret");
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_without_a_consumer_key_is_a_usage_error() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let args = connect_as("cloud", "oauth", "oa");
    let out = run(
        &sim,
        dir.path(),
        &args,
        &[("BBCONNECT_OAUTH_SECRET", "test-oauth-secret")],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BBCONNECT_OAUTH_KEY"));
}

// --- `connect --auth oauth --no-browser` for remote machines; the
// browser opened by `connect` gets none of our secrets

/// `connect --auth oauth --no-browser` on `port`, stdin and stderr piped.
fn spawn_no_browser(
    sim: &SimHandle,
    config: &Path,
    name: &str,
    port: &str,
) -> tokio::process::Child {
    let args = [
        bin::cloud_oauth_connect(name, port, "30"),
        vec!["--no-browser"],
    ]
    .concat();
    command(
        sim,
        config,
        &args,
        &[
            ("BBCONNECT_OAUTH_KEY", "test-oauth-key"),
            ("BBCONNECT_OAUTH_SECRET", "test-oauth-secret"),
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("binary starts")
}

type ErrLines = tokio::io::Lines<BufReader<tokio::process::ChildStderr>>;

/// The next line of stderr, within 20 s, added to `seen`; a panic showing `seen` if it ends.
async fn next_line(lines: &mut ErrLines, seen: &mut String) -> String {
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("stderr in time")
        .expect("stderr readable")
        .unwrap_or_else(|| panic!("stderr ended early:\n{seen}"));
    seen.push_str(&line);
    seen.push('\n');
    line
}

/// The rest of stderr, read on a task of its own so the child never blocks on a full pipe.
fn drain(mut lines: ErrLines) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        let mut more = String::new();
        while let Ok(Some(l)) = lines.next_line().await {
            more.push_str(&l);
            more.push('\n');
        }
        more
    })
}

/// The child's end, within 30 s.
async fn finish(child: tokio::process::Child) -> Output {
    tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("connect finishes")
        .expect("exit status")
}

/// Reads stderr up to the paste prompt; (the authorize URL, everything read).
async fn read_until_prompt(lines: &mut ErrLines) -> (String, String) {
    let mut seen = String::new();
    let mut url = None;
    loop {
        let line = next_line(lines, &mut seen).await;
        if let Some(at) = line.find("http")
            && line.contains("/site/oauth2/authorize")
        {
            url = Some(line[at..].trim().to_string());
        }
        if line.contains("press Enter") {
            return (url.expect("the URL comes first"), seen);
        }
    }
}

/// A browser on another machine: signs in and lands on the (unreachable) callback address.
async fn sign_in_elsewhere(url: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = browser.get(url).send().await.unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    resp.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_no_browser_reads_the_pasted_redirect_from_stdin() {
    use tokio::io::AsyncWriteExt;
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let mut child = spawn_no_browser(&sim, dir.path(), "oa-remote", &port);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (url, seen) = read_until_prompt(&mut lines).await;
    assert!(
        seen.contains(&format!("ssh -L {port}:127.0.0.1:{port} HOST")),
        "{seen}"
    );
    assert!(!seen.contains("A browser was opened"), "{seen}");
    let landed = sign_in_elsewhere(&url).await;
    assert!(landed.starts_with(&format!("http://127.0.0.1:{port}/callback?")));
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{landed}\n").as_bytes())
        .await
        .unwrap();
    let rest = drain(lines);
    let out = finish(child).await;
    let stderr = rest.await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Signed in"), "{stderr}");
    let grant = saved_grant(dir.path(), "oa-remote");
    assert!(grant.refresh_token.is_some());
    assert_eq!(grant.consumer_secret.expose_secret(), "test-oauth-secret");
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_no_browser_refuses_the_address_of_another_sign_in() {
    use tokio::io::AsyncWriteExt;
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let mut child = spawn_no_browser(&sim, dir.path(), "oa-forged", &port);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (url, _) = read_until_prompt(&mut lines).await;
    let landed = sign_in_elsewhere(&url).await;
    let forged = landed.replace("state=", "state=0000");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{forged}\n").as_bytes())
        .await
        .unwrap();
    let stderr = drain(lines).await.unwrap();
    let out = finish(child).await;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("another sign-in"), "{stderr}");
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File).unwrap();
    assert!(store.get("oa-forged").unwrap().is_none(), "nothing saved");
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_no_browser_wants_the_consumer_secret_from_the_environment() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        connect_as("cloud", "oauth", "oa"),
        vec!["--no-browser", "--token-stdin"],
    ]
    .concat();
    let out = run(
        &sim,
        dir.path(),
        &args,
        &[("BBCONNECT_OAUTH_KEY", "test-oauth-key")],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("BBCONNECT_OAUTH_SECRET"), "{stderr}");
    assert!(stderr.contains("--token-stdin"), "{stderr}");
}

/// `connect --auth oauth` with nobody signing in (a one-second wait): its stderr.
async fn oauth_attempt(sim: &SimHandle, config: &Path, env: &[(&str, &str)]) -> String {
    // The port is free when picked, but another test of this binary can bind it before the
    // child does: pick again then, rather than fail on a race that is not bbconnect's.
    for _ in 0..5 {
        let stderr = oauth_attempt_on(sim, config, env, &free_port().to_string()).await;
        if !stderr.contains("Address already in use") {
            return stderr;
        }
    }
    panic!("no free callback port in five tries");
}

async fn oauth_attempt_on(
    sim: &SimHandle,
    config: &Path,
    env: &[(&str, &str)],
    port: &str,
) -> String {
    let mut all = vec![
        ("BBCONNECT_OAUTH_KEY", "test-oauth-key"),
        ("BBCONNECT_OAUTH_SECRET", "test-token-consumer-env"),
        ("BBCONNECT_TOKEN", "test-token-env-value"),
    ];
    all.extend_from_slice(env);
    let out = run(
        sim,
        config,
        &bin::cloud_oauth_connect("oa", port, "1"),
        &all,
    )
    .await;
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn oauth_connect_opens_a_browser_that_gets_none_of_our_secrets() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    let openers = stand_in_openers();
    let path = path_with(openers.path());
    let stderr = oauth_attempt(&sim, dir.path(), &[("PATH", &path), ("DISPLAY", ":99")]).await;
    let env = std::fs::read_to_string(openers.path().join("env"))
        .unwrap_or_else(|e| panic!("no opener ran ({e}):\n{stderr}"));
    assert!(!env.contains("test-token-env-value"), "{env}");
    assert!(!env.contains("test-token-consumer-env"), "{env}");
    assert!(
        env.contains(&format!("BBCONNECT_CONFIG_DIR={}", dir.path().display())),
        "{env}"
    );
    let ran = std::fs::read_to_string(openers.path().join("ran")).unwrap();
    assert_eq!(ran.trim(), "xdg-open");
    assert!(stderr.contains("A browser was opened"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_connect_without_a_display_says_no_browser_opened() {
    let sim = sim_default().await;
    let dir = tempfile::tempdir().unwrap();
    // The test's command has a cleared environment: no DISPLAY, no SSH variables.
    let stderr = oauth_attempt(&sim, dir.path(), &[]).await;
    assert!(stderr.contains("No browser was opened"), "{stderr}");
    assert!(stderr.contains("no display"), "{stderr}");
    assert!(!stderr.contains("A browser was opened"), "{stderr}");
    let stderr = oauth_attempt(&sim, dir.path(), &[("SSH_TTY", "/dev/pts/9")]).await;
    assert!(stderr.contains("SSH session"), "{stderr}");
    assert!(stderr.contains("--no-browser"), "{stderr}");
}
