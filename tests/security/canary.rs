//! a canary secret run through every face and code path must never show up anywhere
//! but the secret file. The simulator only accepts its own data-set tokens, so the accepted
//! paths use `test-token-alice` as their canary and the refused paths a token nobody knows.

use std::path::PathBuf;
use std::process::{Output, Stdio};

use base64::Engine;
use bbconnect::sim::{self, SimConfig, SimHandle};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::common::bin::{self, BIN};
use crate::common::creds::CANARY;
use crate::common::files::files_under;

/// Accepted by the simulator for `alice` (DC) and `alice@example.com` (Cloud).
const GOOD: &str = "test-token-alice";

/// Every form in which a secret could leak: raw, and inside a Basic header.
fn needles() -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut out = vec![GOOD.to_string(), CANARY.to_string()];
    for user in ["alice", "alice@example.com"] {
        for secret in [GOOD, CANARY] {
            out.push(b64(&format!("{user}:{secret}")));
        }
    }
    out
}

fn leaks(haystack: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(haystack);
    needles()
        .into_iter()
        .filter(|n| text.contains(n.as_str()))
        .collect()
}

struct Env {
    root: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            root: tempfile::tempdir().expect("temp dir"),
        }
    }
    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }
    fn state(&self) -> PathBuf {
        self.root.path().join("state")
    }
    fn config(&self) -> PathBuf {
        self.root.path().join("config")
    }
}

/// Runs the real binary with trace logging into the temp dir; the secret goes in through
/// BBCONNECT_TOKEN or, with `stdin_secret`, through --token-stdin.
async fn run(
    sim: &SimHandle,
    env: &Env,
    args: &[&str],
    secret: Option<&str>,
    stdin_secret: bool,
) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    if stdin_secret {
        cmd.arg("--token-stdin");
    }
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.home())
        .env("XDG_STATE_HOME", env.state())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .env("XDG_CACHE_HOME", env.home().join(".cache"))
        .env("BBCONNECT_CONFIG_DIR", env.config())
        .env("BBCONNECT_SECRET_STORE", "file")
        .env("BBCONNECT_CLOUD_API_URL", sim.cloud_api_url())
        .env("BBCONNECT_CLOUD_WEB_URL", sim.cloud_web_url())
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin_secret {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    if let (Some(s), false) = (secret, stdin_secret) {
        cmd.env("BBCONNECT_TOKEN", s);
    }
    let mut child = cmd.spawn().expect("binary starts");
    if let (Some(s), true) = (secret, stdin_secret) {
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(s.as_bytes()).await.expect("stdin write");
        stdin.write_all(b"\n").await.expect("stdin write");
        drop(stdin);
    }
    child.wait_with_output().await.expect("binary runs")
}

fn show(out: &Output) -> String {
    format!(
        "status={:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn canary_never_leaves_the_secret_file() {
    let sim = sim::start(SimConfig {
        port: 0,
        repos: Some(30),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let env = Env::new();
    let server = sim.server_url();
    let dc = |name: &'static str, json: bool| {
        let mut a = bin::dc_connect_as(server.as_str(), name, "alice");
        if json {
            a.push("--json");
        }
        a
    };
    let cloud = |name: &'static str, json: bool| {
        let mut a = bin::cloud_connect_as(name);
        if json {
            a.push("--json");
        }
        a
    };

    // (args, secret, via stdin, expected success)
    let mut runs: Vec<(Vec<&str>, Option<&str>, bool, bool)> = vec![
        (dc("dc-text", false), Some(GOOD), false, true),
        (dc("dc-json", true), Some(GOOD), true, true),
        (cloud("cloud-text", false), Some(GOOD), true, true),
        (cloud("cloud-json", true), Some(GOOD), false, true),
        (dc("dc-bad", false), Some(CANARY), false, false),
        (dc("dc-bad-json", true), Some(CANARY), true, false),
        (cloud("cloud-bad", false), Some(CANARY), true, false),
        (cloud("cloud-bad-json", true), Some(CANARY), false, false),
    ];
    // Plain http to a remote host: refused before any request, secret not echoed.
    let remote = bin::dc_connect_as("http://bitbucket.example.invalid", "remote", "alice");
    runs.push((remote, Some(CANARY), false, false));
    runs.extend([
        (vec!["list"], None, false, true),
        (vec!["list", "--json"], None, false, true),
        (vec!["check"], None, false, true),
        (vec!["check", "--json"], None, false, true),
        (vec!["check", "dc-text", "cloud-json"], None, false, true),
        (vec!["repos", "dc-text"], None, false, true),
        (vec!["repos", "dc-json", "--json"], None, false, true),
        (vec!["repos", "cloud-text"], None, false, true),
        (
            vec!["repos", "cloud-json", "--json", "--filter", "a"],
            None,
            false,
            true,
        ),
        (vec!["repos", "no-such-connection"], None, false, false),
    ]);

    for (args, secret, stdin, ok) in &runs {
        let out = run(&sim, &env, args, *secret, *stdin).await;
        assert_eq!(
            out.status.success(),
            *ok,
            "`bbconnect {}` success should be {ok}\n{}",
            args.join(" "),
            show(&out)
        );
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let found = leaks(bytes);
            assert!(
                found.is_empty(),
                "`bbconnect {}` printed a secret on {stream}: {found:?}\n{}",
                args.join(" "),
                show(&out)
            );
        }
    }

    // The refused connections left nothing behind; the accepted ones have their secret file.
    let secrets_dir = env.config().join("secrets");
    let mut secret_files: Vec<PathBuf> = Vec::new();
    // Each secret is under a fresh key per save: `secrets/NAME#<id>`.
    let of = |name: &str| -> Vec<PathBuf> {
        std::fs::read_dir(&secrets_dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|f| f.to_str())
                            .is_some_and(|f| f == name || f.starts_with(&format!("{name}#")))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for name in ["dc-text", "dc-json", "cloud-text", "cloud-json"] {
        let found = of(name);
        assert_eq!(found.len(), 1, "one secret file for {name}: {found:?}");
        let p = found[0].clone();
        let body = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("secret file {} missing: {e}", p.display()));
        assert!(
            body.contains(GOOD),
            "{} holds the saved secret",
            p.display()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} must be private", p.display());
        }
        secret_files.push(p);
    }
    for name in [
        "dc-bad",
        "dc-bad-json",
        "cloud-bad",
        "cloud-bad-json",
        "remote",
    ] {
        assert!(of(name).is_empty(), "refused {name} saved a secret");
    }

    // The log file exists and has real content, or this test would prove nothing about logs.
    let logs: Vec<PathBuf> = files_under(&env.state())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("bbconnect"))
        .collect();
    assert!(
        !logs.is_empty(),
        "RUST_LOG=trace wrote no log file under XDG_STATE_HOME"
    );
    let log_bytes: usize = logs
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len() as usize).unwrap_or(0))
        .sum();
    assert!(
        log_bytes > 1000,
        "the trace log is suspiciously small ({log_bytes} bytes)"
    );

    let all = files_under(env.root.path());
    assert!(all.iter().any(|p| p.ends_with("connections.toml")));
    for path in all {
        if secret_files.contains(&path) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        let found = leaks(&bytes);
        assert!(
            found.is_empty(),
            "{} holds a secret: {found:?}",
            path.display()
        );
    }
}
