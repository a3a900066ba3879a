//! The simulator's SSH server through the REAL OpenSSH client and the REAL git: keys
//! registered through the REST endpoints clone, read-only keys cannot push, unknown and
//! deleted keys are refused, and a wrong host key stops ssh before anything is sent.

use std::path::{Path, PathBuf};
use std::process::Output;

use bbconnect::sim::SimHandle;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::common::sim::{default as sim_default, demo_repo};

/// A private HOME (so ~/.ssh and ~/.gitconfig are never read), a key pair made by
/// `ssh-keygen`, and a known_hosts file.
struct SshClient {
    dir: tempfile::TempDir,
    key: PathBuf,
    known_hosts: PathBuf,
}

impl SshClient {
    /// A new key, trusting `host_line` (`[127.0.0.1]:PORT ssh-ed25519 AAAA...`).
    async fn new(host_line: &str) -> SshClient {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = dir.path().join("id_ed25519");
        let out = tokio::process::Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "bbconnect-test",
                "-f",
            ])
            .arg(&key)
            .env("HOME", dir.path())
            .output()
            .await
            .expect("ssh-keygen runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let known_hosts = dir.path().join("known_hosts");
        std::fs::write(&known_hosts, format!("{host_line}\n")).expect("known_hosts");
        SshClient {
            dir,
            key,
            known_hosts,
        }
    }

    fn public_key(&self) -> String {
        std::fs::read_to_string(self.key.with_extension("pub"))
            .expect("public key")
            .trim()
            .to_string()
    }

    fn ssh_command(&self) -> String {
        format!(
            "ssh -F /dev/null -i {} -o IdentitiesOnly=yes -o UserKnownHostsFile={} \
             -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes",
            self.key.display(),
            self.known_hosts.display()
        )
    }

    /// Real git with only this client's SSH set-up; run on tokio so the in-process simulator
    /// keeps serving meanwhile.
    async fn git(&self, cwd: &Path, args: &[&str]) -> Output {
        tokio::process::Command::new("git")
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_SSH_COMMAND", self.ssh_command())
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .await
            .expect("git runs")
    }

    /// Clones `url` into a fresh directory; the output and where it went.
    async fn clone(&self, url: &str) -> (Output, PathBuf) {
        let target = self.dir.path().join(format!(
            "clone-{}",
            std::fs::read_dir(self.dir.path())
                .map(|d| d.count())
                .unwrap_or(0)
        ));
        let out = self
            .git(
                self.dir.path(),
                &[
                    "clone",
                    "--quiet",
                    url,
                    target.to_str().expect("utf-8 path"),
                ],
            )
            .await;
        (out, target)
    }

    /// Commits a new file in `clone` and pushes it.
    async fn commit_and_push(&self, clone: &Path, name: &str) -> Output {
        std::fs::write(clone.join(name), "pushed over ssh\n").expect("write");
        let add = self.git(clone, &["add", name]).await;
        assert!(add.status.success());
        let commit = self.git(clone, &["commit", "--quiet", "-m", name]).await;
        assert!(commit.status.success(), "{}", text(&commit));
        self.git(clone, &["push", "--quiet", "origin", "HEAD"])
            .await
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn dc_url(sim: &SimHandle, repo: &str) -> String {
    let (key, slug) = repo.split_once('/').expect("KEY/slug");
    format!(
        "ssh://git@127.0.0.1:{}/{}/{slug}.git",
        sim.ssh_port(),
        key.to_lowercase()
    )
}

fn cloud_url(sim: &SimHandle, repo: &str) -> String {
    format!("ssh://git@127.0.0.1:{}/{repo}.git", sim.ssh_port())
}

/// Registers `key` as a DC access key on `repo`; its id.
async fn add_dc_key(sim: &SimHandle, repo: &str, key: &str, permission: &str) -> u64 {
    let (project, slug) = repo.split_once('/').expect("KEY/slug");
    let r = Client::new()
        .post(format!(
            "{}/rest/keys/latest/projects/{project}/repos/{slug}/ssh",
            sim.server_url()
        ))
        .bearer_auth("test-token-alice")
        .json(&json!({"key": {"text": key, "label": "test"}, "permission": permission}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.expect("json");
    body["key"]["id"].as_u64().expect("id")
}

async fn add_deploy_key(sim: &SimHandle, repo: &str, key: &str) -> u64 {
    let r = Client::new()
        .post(format!(
            "{}/repositories/{repo}/deploy-keys",
            sim.cloud_api_url()
        ))
        .basic_auth("alice@example.com", Some("test-token-alice"))
        .json(&json!({"key": key, "label": "test"}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    body["id"].as_u64().expect("id")
}

#[tokio::test]
async fn dc_access_key_clones_and_only_a_write_key_pushes() {
    let sim = sim_default().await;
    let repo = demo_repo("server", "http-token-repo");
    let client = SshClient::new(&sim.ssh_known_hosts_line()).await;
    let id = add_dc_key(&sim, &repo, &client.public_key(), "REPO_READ").await;

    let (out, clone) = client.clone(&dc_url(&sim, &repo)).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        clone.join("README.md").is_file(),
        "the repository's commit arrived"
    );

    let refused = client.commit_and_push(&clone, "read-only.txt").await;
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(stderr(&refused).contains("read-only"), "{}", text(&refused));

    // The same key raised to REPO_WRITE pushes, to the repository smart HTTP serves.
    let (project, slug) = repo.split_once('/').expect("KEY/slug");
    let r = Client::new()
        .put(format!(
            "{}/rest/keys/latest/projects/{project}/repos/{slug}/ssh/{id}/permission/REPO_WRITE",
            sim.server_url()
        ))
        .bearer_auth("test-token-alice")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let pushed = client
        .git(&clone, &["push", "--quiet", "origin", "HEAD"])
        .await;
    assert!(pushed.status.success(), "{}", text(&pushed));
    let head = client.git(&clone, &["rev-parse", "HEAD"]).await;
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let http = format!(
        "{}/scm/{}/{slug}.git",
        sim.server_url()
            .replace("http://", "http://alice:test-token-alice@"),
        project.to_lowercase()
    );
    let listed = client.git(&clone, &["ls-remote", &http]).await;
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(&head),
        "smart HTTP sees the commit pushed over SSH: {}",
        text(&listed)
    );
}

#[tokio::test]
async fn cloud_deploy_key_clones_but_cannot_push() {
    let sim = sim_default().await;
    let repo = demo_repo("cloud", "repo-token");
    let client = SshClient::new(&sim.ssh_known_hosts_line()).await;
    add_deploy_key(&sim, &repo, &client.public_key()).await;

    let (out, clone) = client.clone(&cloud_url(&sim, &repo)).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(clone.join("README.md").is_file());

    let refused = client.commit_and_push(&clone, "deploy.txt").await;
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(stderr(&refused).contains("read-only"), "{}", text(&refused));
}

#[tokio::test]
async fn unregistered_deleted_and_elsewhere_registered_keys_are_refused() {
    let sim = sim_default().await;
    let repo = demo_repo("cloud", "repo-token");
    let url = cloud_url(&sim, &repo);
    let client = SshClient::new(&sim.ssh_known_hosts_line()).await;
    let here = client.dir.path().to_path_buf();

    let out = client.git(&here, &["ls-remote", &url]).await;
    assert!(
        !out.status.success(),
        "an unknown key gets in: {}",
        text(&out)
    );
    assert!(stderr(&out).contains("Permission denied"), "{}", text(&out));

    // Registered on a DC repository only: signed in, but not for this repository.
    let dc = demo_repo("server", "http-token-repo");
    let dc_id = add_dc_key(&sim, &dc, &client.public_key(), "REPO_READ").await;
    let out = client.git(&here, &["ls-remote", &url]).await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains("Repository not found"),
        "{}",
        text(&out)
    );
    let out = client.git(&here, &["ls-remote", &dc_url(&sim, &dc)]).await;
    assert!(out.status.success(), "{}", text(&out));

    // Deleted through the REST API: refused from then on.
    let (project, slug) = dc.split_once('/').expect("KEY/slug");
    let r = Client::new()
        .delete(format!(
            "{}/rest/keys/latest/projects/{project}/repos/{slug}/ssh/{dc_id}",
            sim.server_url()
        ))
        .bearer_auth("test-token-alice")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let out = client.git(&here, &["ls-remote", &dc_url(&sim, &dc)]).await;
    assert!(
        !out.status.success(),
        "a deleted key still gets in: {}",
        text(&out)
    );
    assert!(stderr(&out).contains("Permission denied"), "{}", text(&out));
}

#[tokio::test]
async fn a_wrong_host_key_is_refused_by_ssh() {
    let sim = sim_default().await;
    let repo = demo_repo("cloud", "repo-token");
    // Another key in the simulator's place in known_hosts.
    let other = SshClient::new("").await;
    let impostor = format!("[127.0.0.1]:{} {}", sim.ssh_port(), other.public_key());
    let client = SshClient::new(&impostor).await;
    add_deploy_key(&sim, &repo, &client.public_key()).await;

    let here = client.dir.path().to_path_buf();
    let out = client
        .git(&here, &["ls-remote", &cloud_url(&sim, &repo)])
        .await;
    assert!(!out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
            || err.contains("Host key verification failed"),
        "{}",
        text(&out)
    );
    assert!(
        err.contains(&sim.ssh_host_key_fingerprint()),
        "ssh names the server's key: {err}"
    );
}
