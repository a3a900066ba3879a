//! Real git through `bbconnect git-credential` against the simulator's smart HTTP, for every
//! credential type of both products: `connect`, `setup-git`, then plain `git clone`,
//! `git ls-remote`, `git push` with no prompt (GIT_TERMINAL_PROMPT=0, an empty HOME,
//! GIT_CONFIG_NOSYSTEM=1). The token must end up in none of `.git/config`, the remote URL or
//! git's environment.

use std::path::{Path, PathBuf};
use std::process::Output;

use bbconnect::core::model::OAuthGrant;
use bbconnect::sim::{self, SimConfig, SimHandle};
use bbconnect::store::{SavedConnection, SecretStoreMode, Store};
use secrecy::{ExposeSecret, SecretString};
use tokio::process::Command;

use crate::common::bin::{BIN, text};
use crate::common::creds::{saved_oauth, sign_in};
use crate::common::http::JsonBody;
use crate::common::sim::private_cloud_repo;
use crate::common::world::{Dirs, with_input};

/// The repository of the data set's demo credential of type `auth` (each type is one product's).
fn demo_repo(auth: &str) -> String {
    let product = if auth.starts_with("http-token") {
        "server"
    } else {
        "cloud"
    };
    crate::common::sim::demo_repo(product, auth)
}

/// One test's world: a simulator, an empty HOME, a config dir.
struct World {
    sim: SimHandle,
    dirs: Dirs,
}

impl std::ops::Deref for World {
    type Target = Dirs;
    fn deref(&self) -> &Dirs {
        &self.dirs
    }
}

impl World {
    async fn new() -> World {
        World::with(SimConfig::default()).await
    }

    async fn with(config: SimConfig) -> World {
        let sim = sim::start(config).await.expect("simulator starts");
        World {
            sim,
            dirs: Dirs::new(),
        }
    }

    fn env(&self, cmd: &mut Command) {
        self.dirs
            .env(cmd)
            .env("BBCONNECT_CLOUD_API_URL", self.sim.cloud_api_url())
            .env("BBCONNECT_CLOUD_WEB_URL", self.sim.cloud_web_url());
    }

    async fn bb(&self, args: &[&str], token: Option<&str>) -> Output {
        let mut cmd = self.bb_cmd();
        cmd.args(args);
        if let Some(t) = token {
            cmd.env("BBCONNECT_TOKEN", t);
        }
        cmd.output().await.expect("bbconnect runs")
    }

    /// bbconnect in this world, arguments and overrides still to add.
    fn bb_cmd(&self) -> Command {
        let mut cmd = Command::new(BIN);
        self.env(&mut cmd);
        cmd
    }

    async fn git(&self, args: &[&str]) -> Output {
        self.git_in(&self.work, args).await
    }

    async fn git_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        self.env(&mut cmd);
        cmd.current_dir(dir).args(args);
        cmd.output().await.expect("git runs")
    }

    /// `bbconnect git-credential get` with `input` on stdin.
    async fn helper(&self, input: &str) -> Output {
        let mut cmd = self.bb_cmd();
        cmd.args(["git-credential", "get"]);
        with_input(cmd, input).await
    }

    fn store(&self) -> Store {
        Store::open(Some(self.config.clone()), SecretStoreMode::File).expect("store")
    }

    fn saved(&self, name: &str) -> SavedConnection {
        self.store().get(name).expect("readable").expect("saved")
    }

    fn host(&self) -> String {
        self.sim
            .base_url()
            .trim_start_matches("http://")
            .to_string()
    }
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
}

/// Whether anonymous git is refused on `url`: then a working clone proves the helper answered.
async fn needs_credentials(w: &World, url: &str) -> bool {
    let anonymous = w.git(&["-c", "credential.helper=", "ls-remote", url]).await;
    !anonymous.status.success()
}

/// A repository of project WEB, which bob reads but may not write.
async fn web_repo(w: &World) -> String {
    let v: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/rest/api/1.0/projects/WEB/repos?limit=1",
            w.sim.base_url()
        ))
        .basic_auth("bob", Some("test-token-bob"))
        .json_body()
        .await;
    format!("WEB/{}", v["values"][0]["slug"].as_str().expect("slug"))
}

struct Kind {
    provider: &'static str,
    auth: &'static str,
    user_flag: Option<(&'static str, &'static str)>,
    secret: &'static str,
    can_push: bool,
}

/// alice on Data Center with her user token; she may push.
const DC_ALICE: Kind = Kind {
    provider: "server",
    auth: "http-token-user",
    user_flag: Some(("--username", "alice")),
    secret: "test-token-alice",
    can_push: true,
};

/// bob on Data Center with his user token; he reads but may not push.
const DC_BOB: Kind = Kind {
    provider: "server",
    auth: "http-token-user",
    user_flag: Some(("--username", "bob")),
    secret: "test-token-bob",
    can_push: false,
};

/// Data Center's repository token (git sends it as Bearer).
const DC_REPO_TOKEN: Kind = Kind {
    provider: "server",
    auth: "http-token-repo",
    user_flag: None,
    secret: "test-token-repo",
    can_push: true,
};

/// alice's Cloud API token.
const CLOUD_API_TOKEN: Kind = Kind {
    provider: "cloud",
    auth: "api-token",
    user_flag: Some(("--email", "alice@example.com")),
    secret: "test-token-alice",
    can_push: true,
};

async fn connect(w: &World, name: &str, k: &Kind, repo: &str) {
    let mut args = vec![
        "connect",
        "--provider",
        k.provider,
        "--auth",
        k.auth,
        "--name",
        name,
        "--repo",
        repo,
    ];
    let url = w.sim.server_url();
    if k.provider == "server" {
        args.extend(["--url", &url]);
    }
    if let Some((flag, value)) = k.user_flag {
        args.extend([flag, value]);
    }
    ok(&w.bb(&args, Some(k.secret)).await);
}

/// Clone, ls-remote and (when allowed) push through the helper with plain git, and look for
/// the secret where it must never be.
async fn clone_push_and_look(w: &World, name: &str, secret: &str, can_push: bool) {
    let conn = w.saved(name);
    let url = conn.clone_https.clone().expect("a clone URL was saved");
    // Private (the helper is what lets git read), or at least pushed to (anonymous pushes are
    // always refused).
    assert!(
        needs_credentials(w, &url).await || can_push,
        "{url} is readable without credentials: the test would prove nothing"
    );
    let listed = w.git(&["ls-remote", &url]).await;
    ok(&listed);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("refs/heads/"),
        "{}",
        text(&listed)
    );
    let dir = w.work.join(name);
    let dir_s = dir.to_string_lossy().to_string();
    ok(&w.git(&["clone", &url, &dir_s]).await);
    let config = std::fs::read_to_string(dir.join(".git/config")).expect(".git/config");
    assert!(!config.contains(secret), "{config}");
    let remote = w.git_in(&dir, &["remote", "get-url", "origin"]).await;
    assert!(!String::from_utf8_lossy(&remote.stdout).contains(secret));
    ok(&w
        .git_in(
            &dir,
            &[
                "-c",
                "user.name=Test",
                "-c",
                "user.email=test@example.com",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                "from the test",
            ],
        )
        .await);
    let pushed = w.git_in(&dir, &["push", "origin", "HEAD"]).await;
    if can_push {
        ok(&pushed);
        // The push really arrived: a fresh ls-remote shows the new commit.
        let head = w.git_in(&dir, &["rev-parse", "HEAD"]).await;
        let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
        let listed = w.git(&["ls-remote", &url]).await;
        assert!(String::from_utf8_lossy(&listed.stdout).contains(&head));
    } else {
        assert_ne!(pushed.status.code(), Some(0), "{}", text(&pushed));
    }
    // Nothing under the home or the clone holds the secret (git stored no credential).
    for f in walk(&w.home).into_iter().chain(walk(&dir.join(".git"))) {
        if let Ok(bytes) = std::fs::read(&f) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "secret in {}",
                f.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn full_cycle_cloud(k: Kind) {
    // Only an old mirror still takes app passwords; bitbucket.org refuses them.
    let w = World::with(SimConfig {
        app_passwords_accepted: k.auth == "app-password",
        ..SimConfig::default()
    })
    .await;
    let repo = private_cloud_repo(&w.sim).await;
    connect(&w, "conn", &k, &repo).await;
    ok(&w.bb(&["setup-git"], None).await);
    clone_push_and_look(&w, "conn", k.secret, k.can_push).await;
}

async fn full_cycle(k: Kind, repo: &str) {
    let w = World::new().await;
    connect(&w, "conn", &k, repo).await;
    ok(&w.bb(&["setup-git"], None).await);
    clone_push_and_look(&w, "conn", k.secret, k.can_push).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_api_token_clones_and_pushes_with_plain_git() {
    full_cycle_cloud(CLOUD_API_TOKEN).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_repo_token_clones_and_pushes_with_plain_git() {
    let k = Kind {
        provider: "cloud",
        auth: "repo-token",
        user_flag: None,
        secret: "test-token-cloud-repo",
        can_push: true,
    };
    // The token reaches one repository, public or not: its push proves the helper answered.
    full_cycle(k, &demo_repo("repo-token")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_app_password_clones_and_pushes_with_plain_git() {
    let k = Kind {
        provider: "cloud",
        auth: "app-password",
        user_flag: Some(("--username", "alice")),
        secret: "test-token-app-password",
        can_push: true,
    };
    full_cycle_cloud(k).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_user_token_clones_and_pushes_with_plain_git() {
    full_cycle(DC_ALICE, &demo_repo("http-token-repo")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dc_repo_token_goes_as_bearer_and_clones_and_pushes() {
    full_cycle(DC_REPO_TOKEN, &demo_repo("http-token-repo")).await;
}

/// Saves an OAuth connection as `connect --auth oauth` would, for `repo`.
fn save_oauth(w: &World, name: &str, repo: &str, grant: &OAuthGrant) {
    let base = w.sim.base_url();
    let conn = saved_oauth(name, &base, repo);
    w.store()
        .save(conn, &grant.to_stored(), true)
        .expect("saved");
}

fn saved_grant(w: &World, name: &str) -> OAuthGrant {
    let secret = w.store().secret(name).expect("secret");
    OAuthGrant::from_stored(secret.expose_secret()).expect("grant")
}

#[tokio::test(flavor = "multi_thread")]
async fn cloud_oauth_clones_and_its_read_only_scope_cannot_push() {
    let w = World::new().await;
    let grant = sign_in(&w.sim, Some(u64::MAX / 2)).await;
    let repo = private_cloud_repo(&w.sim).await;
    save_oauth(&w, "oa", &repo, &grant);
    ok(&w.bb(&["setup-git"], None).await);
    // The consumer's scopes are `repository` (read): clone works, push is refused.
    clone_push_and_look(&w, "oa", grant.access_token.expose_secret(), false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_oauth_token_is_refreshed_and_saved_before_git_gets_it() {
    let w = World::new().await;
    let mut grant = sign_in(&w.sim, Some(u64::MAX / 2)).await;
    let old_refresh = grant.refresh_token.clone().expect("refresh token");
    // Expired, and unknown to the server: git can only succeed with a refreshed token.
    grant.access_token = SecretString::from("test-token-stale-access");
    grant.expires_at = Some(1);
    let repo = private_cloud_repo(&w.sim).await;
    save_oauth(&w, "oa", &repo, &grant);
    ok(&w.bb(&["setup-git"], None).await);
    let url = w.saved("oa").clone_https.expect("url");
    assert!(needs_credentials(&w, &url).await);
    ok(&w.git(&["ls-remote", &url]).await);
    let renewed = saved_grant(&w, "oa");
    assert_ne!(
        renewed.access_token.expose_secret(),
        "test-token-stale-access"
    );
    assert_ne!(
        renewed.refresh_token.expect("kept").expose_secret(),
        old_refresh.expose_secret(),
        "the rotated refresh token was saved"
    );
    assert!(renewed.expires_at.expect("expiry") > 1_000_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_user_cannot_push_and_git_shows_why() {
    let w = World::new().await;
    let repo = web_repo(&w).await;
    connect(&w, "bob", &DC_BOB, &repo).await;
    ok(&w.bb(&["setup-git"], None).await);
    let url = w.saved("bob").clone_https.expect("url");
    let dir = w.work.join("b");
    ok(&w.git(&["clone", &url, &dir.to_string_lossy()]).await);
    let pushed = w
        .git_in(&dir, &["push", "origin", "HEAD:refs/heads/new"])
        .await;
    assert_ne!(pushed.status.code(), Some(0));
    let err = String::from_utf8_lossy(&pushed.stderr);
    assert!(
        err.contains("remote error: You are not permitted to push to this repository"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_helper_answers_only_its_scheme_host_port_and_path() {
    let w = World::new().await;
    let repo = demo_repo("http-token-repo");
    connect(&w, "dc", &DC_ALICE, &repo).await;
    let path = w
        .saved("dc")
        .clone_https
        .expect("url")
        .split_once(&w.host())
        .map(|(_, p)| p.trim_start_matches('/').to_string())
        .expect("path");
    let host = w.host();
    let (ip, port) = host.split_once(':').expect("port");
    let answer = w
        .helper(&format!("protocol=http\nhost={host}\npath={path}\n\n"))
        .await;
    ok(&answer);
    assert_eq!(
        String::from_utf8_lossy(&answer.stdout),
        "username=alice\npassword=test-token-alice\n"
    );
    let other_port = format!("{ip}:{}", port.parse::<u16>().unwrap().wrapping_add(1));
    for input in [
        format!("protocol=https\nhost={host}\n\n"),
        format!("protocol=http\nhost={other_port}\n\n"),
        format!("protocol=http\nhost=localhost:{port}\n\n"),
        format!("protocol=http\nhost={host}\npath=scm/plat/another.git\n\n"),
        "protocol=http\nhost=bitbucket.example\n\n".to_string(),
    ] {
        let out = w.helper(&input).await;
        ok(&out);
        assert!(out.stdout.is_empty(), "{input}: {}", text(&out));
    }
    // store and erase never remove a connection (git calls erase after any 401).
    for op in ["store", "erase"] {
        let mut cmd = w.bb_cmd();
        cmd.args(["git-credential", op]);
        ok(&cmd.output().await.expect("runs"));
    }
    assert_eq!(w.store().list().expect("list").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_only_tokens_wait_for_a_git_that_can_send_bearer() {
    let w = World::new().await;
    connect(&w, "dcr", &DC_REPO_TOKEN, &demo_repo("http-token-repo")).await;
    let host = w.host();
    let old_git = w.helper(&format!("protocol=http\nhost={host}\n\n")).await;
    ok(&old_git);
    assert!(old_git.stdout.is_empty(), "{}", text(&old_git));
    let err = String::from_utf8_lossy(&old_git.stderr);
    assert!(err.contains("git 2.46"), "{err}");
    assert!(!err.contains("test-token-repo"));
    let new_git = w
        .helper(&format!(
            "capability[]=authtype\nprotocol=http\nhost={host}\n\n"
        ))
        .await;
    assert_eq!(
        String::from_utf8_lossy(&new_git.stdout),
        "capability[]=authtype\nauthtype=Bearer\ncredential=test-token-repo\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_connections_on_one_host_each_get_their_own_repository() {
    let w = World::new().await;
    connect(&w, "alice", &DC_ALICE, &demo_repo("http-token-repo")).await;
    connect(&w, "bob", &DC_BOB, &web_repo(&w).await).await;
    let setup = w.bb(&["setup-git"], None).await;
    ok(&setup);
    assert!(
        String::from_utf8_lossy(&setup.stdout).contains("useHttpPath true"),
        "{}",
        text(&setup)
    );
    let gitconfig = std::fs::read_to_string(w.home.join(".gitconfig")).expect("written");
    assert!(gitconfig.contains("useHttpPath = true"), "{gitconfig}");
    // Each clone works, which needs each its own credential: bob's token cannot read PLAT,
    // and alice pushing proves her token (bob's would be refused).
    clone_push_and_look(&w, "alice", "test-token-alice", true).await;
    clone_push_and_look(&w, "bob", "test-token-bob", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_git_then_remove_leaves_the_config_byte_identical() {
    let w = World::new().await;
    let original = "[user]\n\tname = Someone\n[credential]\n\thelper = store\n\
                    [credential \"https://bitbucket.org\"]\n\tusername = me\n";
    std::fs::write(w.home.join(".gitconfig"), original).expect("write");
    connect(&w, "dc", &DC_ALICE, &demo_repo("http-token-repo")).await;
    ok(&w.bb(&["setup-git"], None).await);
    let set = std::fs::read_to_string(w.home.join(".gitconfig")).expect("read");
    assert!(set.contains("git-credential"), "{set}");
    // Idempotent: a second run changes nothing.
    let again = w.bb(&["setup-git"], None).await;
    ok(&again);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("nothing to change"),
        "{}",
        text(&again)
    );
    assert_eq!(
        std::fs::read_to_string(w.home.join(".gitconfig")).expect("read"),
        set
    );
    ok(&w.bb(&["setup-git", "--remove"], None).await);
    assert_eq!(
        std::fs::read_to_string(w.home.join(".gitconfig")).expect("read"),
        original
    );
}

/// A `git` first on PATH that records its arguments and environment, then runs the real git.
fn git_wrapper(w: &World) -> (PathBuf, PathBuf) {
    let real = std::process::Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .expect("sh");
    let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
    assert!(!real.is_empty(), "git on PATH");
    let bin = w.work.join("wrapper-bin");
    let dumps = w.work.join("dumps");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::create_dir_all(&dumps).expect("mkdir");
    let script = format!(
        "#!/bin/sh\nenv > '{d}/env.'$$\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{d}/argv.'$$\nexec '{real}' \"$@\"\n",
        d = dumps.display()
    );
    let path = bin.join("git");
    std::fs::write(&path, script).expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (bin, dumps)
}

async fn clone_through_bbconnect(k: Kind, repo: &str) {
    let w = World::new().await;
    connect(&w, "conn", &k, repo).await;
    let (bin, dumps) = git_wrapper(&w);
    let mut cmd = w.bb_cmd();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // A secret in our own environment must not reach git either.
    cmd.env("PATH", path)
        .env("BBCONNECT_TOKEN", "test-token-canary-env")
        .args(["clone", "conn", repo, "cloned"]);
    let out = cmd.output().await.expect("runs");
    ok(&out);
    // git's progress reaches the user (it is git's own stderr).
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Cloning into"),
        "{}",
        text(&out)
    );
    let dir = w.work.join("cloned");
    assert!(dir.join("README.md").exists(), "{}", text(&out));
    let config = std::fs::read_to_string(dir.join(".git/config")).expect("config");
    assert!(!config.contains(k.secret), "{config}");
    let remote = w.git_in(&dir, &["remote", "get-url", "origin"]).await;
    let remote = String::from_utf8_lossy(&remote.stdout).to_string();
    assert!(!remote.contains('@'), "userinfo in {remote}");
    let recorded = walk(&dumps);
    assert!(
        recorded
            .iter()
            .any(|p| p.to_string_lossy().contains("argv.")),
        "the wrapper ran"
    );
    for f in recorded {
        let body = std::fs::read_to_string(&f).expect("dump");
        assert!(!body.contains(k.secret), "secret in git's {}", f.display());
        assert!(!body.contains("test-token-canary-env"), "{}", f.display());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bbconnect_clone_keeps_the_token_out_of_gits_argv_env_and_config_dc() {
    clone_through_bbconnect(DC_ALICE, &demo_repo("http-token-repo")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bbconnect_clone_keeps_the_token_out_of_gits_argv_env_and_config_cloud() {
    let w = World::new().await;
    let repo = private_cloud_repo(&w.sim).await;
    drop(w);
    clone_through_bbconnect(CLOUD_API_TOKEN, &repo).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn token_and_env_print_what_scripts_need() {
    let w = World::new().await;
    connect(&w, "ci", &DC_REPO_TOKEN, &demo_repo("http-token-repo")).await;
    // NAME may be left out with one connection; one line, nothing on stderr off a terminal.
    let out = w.bb(&["token"], None).await;
    ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "test-token-repo\n");
    assert!(out.stderr.is_empty(), "{}", text(&out));
    let out = w.bb(&["env", "ci", "--format", "json"], None).await;
    ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["BITBUCKET_GIT_AUTH"], "bearer");
    assert_eq!(
        v["BITBUCKET_API_URL"],
        format!("{}/rest/api/1.0", w.sim.server_url())
    );
    assert!(
        v["BITBUCKET_CLONE_HTTPS"]
            .as_str()
            .unwrap()
            .ends_with(".git")
    );
    assert!(v.get("BITBUCKET_TOKEN").is_none());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("test-token-repo"));
    let out = w.bb(&["env", "ci", "--with-token"], None).await;
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("export BITBUCKET_TOKEN='test-token-repo'\n"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn token_gives_a_fresh_oauth_access_token() {
    let w = World::new().await;
    let mut grant = sign_in(&w.sim, Some(u64::MAX / 2)).await;
    grant.access_token = SecretString::from("test-token-stale-access");
    grant.expires_at = Some(1);
    save_oauth(&w, "oa", &private_cloud_repo(&w.sim).await, &grant);
    let out = w.bb(&["token", "oa"], None).await;
    ok(&out);
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_ne!(printed, "test-token-stale-access");
    assert_eq!(printed, saved_grant(&w, "oa").access_token.expose_secret());
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_git_local_writes_the_repository_config_only() {
    let w = World::new().await;
    connect(&w, "dc", &DC_ALICE, &demo_repo("http-token-repo")).await;
    // Outside a repository --local is a usage error that says what to do.
    let out = w.bb(&["setup-git", "--local"], None).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside a git repository"));
    let repo = w.work.join("local");
    ok(&w.git(&["init", "-q", &repo.to_string_lossy()]).await);
    let mut cmd = w.bb_cmd();
    cmd.current_dir(&repo).args(["setup-git", "--local"]);
    ok(&cmd.output().await.expect("runs"));
    let local = std::fs::read_to_string(repo.join(".git/config")).expect("config");
    assert!(local.contains("git-credential"), "{local}");
    assert!(
        !w.home.join(".gitconfig").exists(),
        "global config untouched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_git_is_explained() {
    let w = World::new().await;
    connect(&w, "dc", &DC_ALICE, &demo_repo("http-token-repo")).await;
    let empty = w.work.join("no-git-here");
    std::fs::create_dir_all(&empty).expect("mkdir");
    for args in [&["setup-git"][..], &["clone", "dc"][..]] {
        let mut cmd = w.bb_cmd();
        cmd.env("PATH", &empty).args(args);
        let out = cmd.output().await.expect("runs");
        assert_ne!(out.status.code(), Some(0));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("git could not be started") && err.contains("Install git"),
            "{err}"
        );
    }
}
