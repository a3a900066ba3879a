//! Real git over real TLS with the connection's own trust: a rustls server (certificates
//! made here by rcgen) in front of the simulator's smart HTTP. A Data Center connection
//! pinned to a self-signed certificate (`--trust-cert`) and one whose server certificate
//! comes from a private CA (`--ca-file`): `setup-git` makes plain git trust exactly that
//! (`http.<url>.sslCAInfo`), `setup-git --remove` takes it out again, `bbconnect clone`
//! passes it for its own run, and a changed certificate is refused by git and named by
//! `check`.
//!
//! git's environment is emptied (no GIT_SSL_CAINFO, which would override any per-URL
//! setting), HOME is a temporary directory and GIT_CONFIG_GLOBAL a file in it.

use std::path::{Path, PathBuf};
use std::process::Output;

use bbconnect::sim::SimHandle;
use tokio::process::Command;

use crate::common::bin::{BIN, dc_user_connect, stderr, stdout, text};
use crate::common::creds::ALICE;
use crate::common::tls::{Ca, ServerCert, TlsFront, self_signed};
use crate::common::world::Dirs;

struct World {
    _sim: SimHandle,
    front: TlsFront,
    dirs: Dirs,
    global: PathBuf,
}

impl std::ops::Deref for World {
    type Target = Dirs;
    fn deref(&self) -> &Dirs {
        &self.dirs
    }
}

impl World {
    async fn new(cert: &ServerCert) -> World {
        let sim = crate::common::sim::default().await;
        let front = TlsFront::start(cert, crate::common::sim::addr(&sim)).await;
        let dirs = Dirs::new();
        let global = dirs.home.join("gitconfig");
        World {
            _sim: sim,
            front,
            dirs,
            global,
        }
    }

    fn env(&self, cmd: &mut Command) {
        self.dirs
            .env(cmd)
            .env("GIT_CONFIG_GLOBAL", &self.global)
            // No platform root may vouch for a test certificate.
            .env("SSL_CERT_FILE", self.home.join("no-roots.pem"));
    }

    async fn bb(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        self.env(&mut cmd);
        cmd.args(args).env("BBCONNECT_TOKEN", ALICE);
        cmd.output().await.expect("bbconnect runs")
    }

    async fn git(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        self.env(&mut cmd);
        cmd.args(args);
        cmd.output().await.expect("git runs")
    }

    async fn connect(&self, trust: &[&str]) -> Output {
        let url = self.front.url();
        let mut args = dc_user_connect(&url);
        args.extend_from_slice(trust);
        self.bb(&args).await
    }

    /// The https clone URL of `repo` (`KEY/slug`) through the TLS server.
    fn clone_url(&self, repo: &str) -> String {
        let (key, slug) = repo.split_once('/').expect("KEY/slug");
        format!("{}/scm/{}/{slug}.git", self.front.url(), key.to_lowercase())
    }

    /// The `sslCAInfo` git's global config holds for the server, if any.
    async fn ca_info(&self) -> Option<String> {
        let key = format!("http.{}.sslCAInfo", self.front.url());
        let out = self.git(&["config", "--global", "--get", &key]).await;
        out.status
            .success()
            .then(|| stdout(&out).trim().to_string())
    }
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
}

/// git refused the server's certificate (GnuTLS and OpenSSL builds word it differently).
fn refused_certificate(out: &Output) {
    assert_ne!(out.status.code(), Some(0), "{}", text(out));
    let err = stderr(out).to_lowercase();
    assert!(
        err.contains("certificate"),
        "not a certificate failure: {}",
        text(out)
    );
}

/// The demo user token's repository alice can read.
fn repo() -> String {
    crate::common::sim::demo_repo("server", "http-token-repo")
}

/// The whole route for a connected `w`: plain git refuses before setup-git, `bbconnect
/// clone` works on its own, setup-git makes plain git work, `--remove` undoes it.
async fn trusted_everywhere(w: &World, pem: &Path) {
    let repo = repo();
    let url = w.clone_url(&repo);

    // Plain git does not know the connection's trust yet.
    refused_certificate(&w.git(&["ls-remote", &url]).await);

    // bbconnect clone passes it for its own run, without touching git's config.
    let out = w.bb(&["clone", "dc", &repo, "by-bbconnect"]).await;
    ok(&out);
    assert!(w.work.join("by-bbconnect/.git").is_dir(), "{}", text(&out));
    assert_eq!(w.ca_info().await, None);

    // setup-git writes git's own per-URL setting, pointing at the saved PEM.
    let out = w.bb(&["setup-git"]).await;
    ok(&out);
    assert!(stdout(&out).contains("sslCAInfo"), "{}", text(&out));
    assert_eq!(w.ca_info().await.as_deref(), Some(&*pem.to_string_lossy()));
    let out = w.git(&["ls-remote", &url]).await;
    ok(&out);
    assert!(stdout(&out).contains("refs/heads/"), "{}", text(&out));
    ok(&w.git(&["clone", &url, "by-git"]).await);
    assert!(w.work.join("by-git/.git").is_dir());

    // Set up twice changes nothing.
    let out = w.bb(&["setup-git"]).await;
    ok(&out);
    assert!(stdout(&out).contains("nothing to change"), "{}", text(&out));

    // Removed: git refuses again, and nothing of ours is left in its config.
    ok(&w.bb(&["setup-git", "--remove"]).await);
    assert_eq!(w.ca_info().await, None);
    refused_certificate(&w.git(&["ls-remote", &url]).await);
    let left = std::fs::read_to_string(&w.global).unwrap_or_default();
    assert!(
        !left.contains("sslCAInfo") && !left.contains("[http"),
        "{left}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pinned_self_signed_certificate_is_trusted_by_git() {
    // An end-entity certificate (no basicConstraints), the kind git's GnuTLS is strictest on.
    let cert = self_signed(&["localhost"], false);
    let w = World::new(&cert).await;
    ok(&w.connect(&["--trust-cert", &cert.fingerprint()]).await);
    let pem = w.config.join("certs").join("dc.pem");
    trusted_everywhere(&w, &pem).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_ca_given_as_a_file_is_trusted_by_git() {
    let ca = Ca::new("Test Corp Root CA");
    let cert = ca.leaf(&["localhost"]);
    let w = World::new(&cert).await;
    let given = w.home.join("corp-ca.pem");
    std::fs::write(&given, ca.pem()).expect("write CA");
    ok(&w.connect(&["--ca-file", &given.to_string_lossy()]).await);
    // The connection keeps its own copy: the file given may go.
    std::fs::remove_file(&given).expect("remove the original");
    let copy = w.config.join("certs").join("ca").join("dc.pem");
    assert_eq!(
        std::fs::read_to_string(&copy).expect("copied").trim(),
        ca.pem().trim()
    );
    ok(&w.bb(&["check", "dc"]).await);
    trusted_everywhere(&w, &copy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_certificate_is_refused_by_git_and_named_by_check() {
    let cert = self_signed(&["localhost"], true);
    let w = World::new(&cert).await;
    ok(&w.connect(&["--trust-cert", &cert.fingerprint()]).await);
    ok(&w.bb(&["setup-git"]).await);
    let url = w.clone_url(&repo());
    ok(&w.git(&["ls-remote", &url]).await);

    let other = self_signed(&["localhost"], true);
    w.front.swap(&other);
    refused_certificate(&w.git(&["ls-remote", &url]).await);

    let out = w.bb(&["check", "dc"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains(&format!(
            "the server's certificate changed: it presents {}, the trusted one is {}",
            other.fingerprint(),
            cert.fingerprint()
        )),
        "{all}"
    );

    // bbconnect clone follows git's message: the certificate, not the credential.
    let out = w.bb(&["clone", "dc", &repo(), "after-change"]).await;
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("certificate"), "{err}");
    assert!(err.contains("bbconnect check dc"), "{err}");
    assert!(!err.contains("authentication failed"), "{err}");
}
