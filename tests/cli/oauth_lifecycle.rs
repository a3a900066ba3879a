//! A saved OAuth connection over months: single-use refresh tokens shared by many processes
//! (one refresh, under the connection's lock), access tokens the server ends before their
//! recorded expiry, git's `erase` after such a 401, and what a refused refresh says. The real
//! binary and real git against the simulator.

use std::process::Output;

use bbconnect::core::model::OAuthGrant;
use bbconnect::sim::{self, SimConfig, SimHandle};
use bbconnect::store::{SecretStoreMode, Store};
use secrecy::ExposeSecret;
use tokio::process::Command;

use crate::common::bin::{BIN, HELPER_BIN, text};
use crate::common::creds::{saved_oauth, sign_in};
use crate::common::sim::private_cloud_repo;
use crate::common::world::{Dirs, with_input};

/// A simulator, an empty HOME with git set up for the connection, a config dir.
struct World {
    sim: SimHandle,
    dirs: Dirs,
}

impl World {
    async fn new() -> World {
        let sim = sim::start(SimConfig::default())
            .await
            .expect("simulator starts");
        World {
            sim,
            dirs: Dirs::new(),
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        self.dirs
            .env(&mut cmd)
            .env("BBCONNECT_CLOUD_API_URL", self.sim.cloud_api_url())
            .env("BBCONNECT_CLOUD_WEB_URL", self.sim.cloud_web_url());
        cmd
    }

    async fn bb(&self, args: &[&str]) -> Output {
        let mut cmd = self.command(BIN);
        cmd.args(args);
        cmd.output().await.expect("bbconnect runs")
    }

    async fn git(&self, args: &[&str]) -> Output {
        let mut cmd = self.command("git");
        cmd.args(args);
        cmd.output().await.expect("git runs")
    }

    /// `bbconnect git-credential OP` with `input` on stdin.
    async fn helper(&self, op: &str, input: &str) -> Output {
        let mut cmd = self.command(BIN);
        cmd.args(["git-credential", op]);
        with_input(cmd, input).await
    }

    /// The helper binary at `program` (`git-credential-bbconnect OP`) with `input` on stdin.
    async fn helper_binary(&self, program: &str, op: &str, input: &str) -> Output {
        let mut cmd = self.command(program);
        cmd.arg(op);
        with_input(cmd, input).await
    }

    /// What git asks for this simulator's host.
    fn question(&self) -> String {
        let host = self
            .sim
            .base_url()
            .trim_start_matches("http://")
            .to_string();
        format!("protocol=http\nhost={host}\nusername=alice\n\n")
    }

    fn store(&self) -> Store {
        Store::open(Some(self.dirs.config.clone()), SecretStoreMode::File).expect("store")
    }

    fn grant(&self) -> OAuthGrant {
        let secret = self.store().secret("oa").expect("secret");
        OAuthGrant::from_stored(secret.expose_secret()).expect("grant")
    }

    fn clone_url(&self) -> String {
        self.store()
            .get("oa")
            .expect("readable")
            .expect("saved")
            .clone_https
            .expect("clone URL")
    }

    /// Signs in as a browser would and saves the grant as connection `oa` (for a private
    /// repository of alice's), with the recorded expiry `expires_at`; git is set up for it.
    async fn connected(&self, expires_at: u64) -> OAuthGrant {
        let mut grant = sign_in(&self.sim, None).await;
        grant.expires_at = Some(expires_at);
        let repo = private_cloud_repo(&self.sim).await;
        let base = self.sim.base_url();
        let conn = saved_oauth("oa", &base, &repo);
        self.store()
            .save(conn, &grant.to_stored(), true)
            .expect("saved");
        ok(&self.bb(&["setup-git"]).await);
        grant
    }
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
}

/// Seconds since the epoch, for recorded expiries in the future.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_concurrent_gits_with_an_expired_token_all_work_after_one_refresh() {
    let w = World::new().await;
    let first = w.connected(1).await;
    w.sim.expire_oauth_access_tokens();
    let url = w.clone_url();
    let gits: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            let w = &w;
            async move { w.git(&["ls-remote", &url]).await }
        })
        .collect();
    let outs = futures::future::join_all(gits).await;
    for out in &outs {
        ok(out);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("refs/heads/"),
            "{}",
            text(out)
        );
    }
    assert_eq!(
        w.sim.oauth_refresh_count(),
        1,
        "one refresh request for eight processes"
    );
    let saved = w.grant();
    assert_ne!(
        saved.access_token.expose_secret(),
        first.access_token.expose_secret()
    );
    assert_ne!(
        saved.refresh_token.expect("rotated").expose_secret(),
        first.refresh_token.expect("first").expose_secret()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_the_server_ended_early_is_refreshed_by_check_and_git_works() {
    let w = World::new().await;
    let first = w.connected(now() + 7200).await;
    w.sim.expire_oauth_access_tokens();
    let check = w.bb(&["check", "oa"]).await;
    ok(&check);
    assert_eq!(w.sim.oauth_refresh_count(), 1, "{}", text(&check));
    let saved = w.grant();
    assert_ne!(
        saved.access_token.expose_secret(),
        first.access_token.expose_secret(),
        "the renewed pair was saved"
    );
    ok(&w.git(&["ls-remote", &w.clone_url()]).await);
    ok(&w.bb(&["repos", "oa"]).await);
    assert_eq!(w.sim.oauth_refresh_count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn repos_renews_a_token_the_server_ended_early() {
    let w = World::new().await;
    w.connected(now() + 7200).await;
    w.sim.expire_oauth_access_tokens();
    let out = w.bb(&["repos", "oa"]).await;
    ok(&out);
    assert_eq!(w.sim.oauth_refresh_count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_gits_erase_the_next_get_refreshes_instead_of_repeating_the_token() {
    let w = World::new().await;
    let first = w.connected(now() + 7200).await;
    let url = w.clone_url();
    let host = w.sim.base_url().trim_start_matches("http://").to_string();
    let ask = format!("protocol=http\nhost={host}\nusername=alice\n\n");
    let got = w.helper("get", &ask).await;
    ok(&got);
    let password = format!("password={}", first.access_token.expose_secret());
    assert!(
        String::from_utf8_lossy(&got.stdout).contains(&password),
        "{}",
        text(&got)
    );
    // The server ends the token; git fails once and erases what it was given.
    w.sim.expire_oauth_access_tokens();
    let failed = w.git(&["ls-remote", &url]).await;
    assert_ne!(failed.status.code(), Some(0), "{}", text(&failed));
    assert!(w.grant().expired(now()), "erase saved the token as expired");
    assert_eq!(w.sim.oauth_refresh_count(), 0);
    // The next git gets a refreshed token.
    ok(&w.git(&["ls-remote", &url]).await);
    assert_eq!(w.sim.oauth_refresh_count(), 1);
    let again = w.helper("get", &ask).await;
    assert!(
        !String::from_utf8_lossy(&again.stdout).contains(&password),
        "{}",
        text(&again)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn erase_of_another_password_changes_nothing() {
    let w = World::new().await;
    let first = w.connected(now() + 7200).await;
    let host = w.sim.base_url().trim_start_matches("http://").to_string();
    let erase =
        format!("protocol=http\nhost={host}\nusername=alice\npassword=test-token-not-ours\n\n");
    ok(&w.helper("erase", &erase).await);
    let saved = w.grant();
    assert!(!saved.expired(now()));
    assert_eq!(
        saved.access_token.expose_secret(),
        first.access_token.expose_secret()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_refresh_token_says_the_sign_in_ended_and_names_rotate() {
    let w = World::new().await;
    let grant = w.connected(1).await;
    // Another client spent the refresh token (single-use) and kept the answer to itself.
    let spent = reqwest::Client::new()
        .post(format!("{}/site/oauth2/access_token", w.sim.base_url()))
        .basic_auth("test-oauth-key", Some("test-oauth-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                grant.refresh_token.expect("rt").expose_secret(),
            ),
        ])
        .send()
        .await
        .expect("token endpoint");
    assert!(spent.status().is_success());
    let check = w.bb(&["check", "oa"]).await;
    assert_eq!(check.status.code(), Some(3), "{}", text(&check));
    let shown = text(&check);
    assert!(shown.contains("revoked or has expired"), "{shown}");
    assert!(shown.contains("bbconnect rotate oa"), "{shown}");
    assert!(!shown.contains("callback URL"), "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_consumer_says_to_fix_it_in_the_workspace_settings() {
    let w = World::new().await;
    w.connected(1).await;
    w.sim.delete_oauth_consumer("test-oauth-key");
    let check = w.bb(&["check", "oa"]).await;
    assert_eq!(check.status.code(), Some(3), "{}", text(&check));
    let shown = text(&check);
    assert!(shown.contains("changed, or it was deleted"), "{shown}");
    assert!(shown.contains("OAuth consumers"), "{shown}");
    assert!(!shown.contains("revoked"), "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_git_installs_the_helper_binary_which_answers_as_bbconnect_does() {
    let w = World::new().await;
    let grant = w.connected(now() + 7200).await;
    let url = w.clone_url();
    let key = format!("credential.{}.helper", url.trim_end_matches(".git"));
    let set = w
        .git(&[
            "config",
            "--global",
            "--get-urlmatch",
            "credential.helper",
            &url,
        ])
        .await;
    let helper = String::from_utf8_lossy(&set.stdout).trim().to_string();
    assert!(
        helper.ends_with("git-credential-bbconnect"),
        "{key}: {}",
        text(&set)
    );
    let ask = w.question();
    let small = w.helper_binary(HELPER_BIN, "get", &ask).await;
    let full = w.helper("get", &ask).await;
    ok(&small);
    ok(&full);
    let password = format!("password={}", grant.access_token.expose_secret());
    assert!(
        String::from_utf8_lossy(&small.stdout).contains(&password),
        "{}",
        text(&small)
    );
    assert_eq!(small.stdout, full.stdout);
    // A host with no saved connection: nothing, so git asks the next helper.
    let other = w
        .helper_binary(HELPER_BIN, "get", "protocol=https\nhost=example.org\n\n")
        .await;
    ok(&other);
    assert!(other.stdout.is_empty(), "{}", text(&other));
    ok(&w.git(&["ls-remote", &url]).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_helper_binary_hands_an_expired_token_to_bbconnect_which_refreshes_it() {
    let w = World::new().await;
    let first = w.connected(1).await;
    let got = w.helper_binary(HELPER_BIN, "get", &w.question()).await;
    ok(&got);
    assert_eq!(w.sim.oauth_refresh_count(), 1, "{}", text(&got));
    let renewed = w.grant();
    assert_ne!(
        renewed.access_token.expose_secret(),
        first.access_token.expose_secret()
    );
    let password = format!("password={}", renewed.access_token.expose_secret());
    assert!(
        String::from_utf8_lossy(&got.stdout).contains(&password),
        "{}",
        text(&got)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_helper_binary_alone_answers_from_the_files_and_names_what_is_missing_otherwise() {
    let w = World::new().await;
    let grant = w.connected(now() + 7200).await;
    let alone = tempfile::tempdir().expect("temp dir");
    let copy = alone.path().join("git-credential-bbconnect");
    std::fs::copy(HELPER_BIN, &copy).expect("helper binary copied");
    let copy = copy.to_string_lossy().to_string();
    // A fresh token needs nothing but the saved files.
    let got = w.helper_binary(&copy, "get", &w.question()).await;
    ok(&got);
    let password = format!("password={}", grant.access_token.expose_secret());
    assert!(
        String::from_utf8_lossy(&got.stdout).contains(&password),
        "{}",
        text(&got)
    );
    // An expired one needs bbconnect, which is not beside this copy: said, with the fix.
    w.sim.expire_oauth_access_tokens();
    let mut expired = w.grant();
    expired.expires_at = Some(1);
    w.store()
        .swap_secret("oa", &expired.to_stored())
        .expect("saved as expired");
    let refused = w.helper_binary(&copy, "get", &w.question()).await;
    assert_ne!(refused.status.code(), Some(0), "{}", text(&refused));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("cannot run") && said.contains("bbconnect setup-git"),
        "{said}"
    );
    assert!(refused.stdout.is_empty(), "{}", text(&refused));
    assert_eq!(w.sim.oauth_refresh_count(), 0);
}
