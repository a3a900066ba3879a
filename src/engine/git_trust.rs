//! What git trusts for a connection: the same certificates bbconnect trusts, as one PEM file
//! git reads through its own per-URL setting `http.<url>.sslCAInfo` (`setup-git` writes it,
//! `clone` passes it with `-c` for its run). Verification is never turned off: a connection
//! that trusts nothing of its own leaves git's trust as it is.
//!
//! git built on GnuTLS (Debian's and Ubuntu's) accepts the server's own self-signed
//! certificate as its CA file whether or not it says CA:TRUE, as OpenSSL builds do. A
//! `GIT_SSL_CAINFO` variable overrides every per-URL setting, so `clone` removes it from its
//! git's environment when it passes the connection's file, and `setup-git` says so.
//!
//! And how to read git's failure: its own words, so that a refused certificate leads to the
//! trust fix rather than to the credential.

use std::path::{Path, PathBuf};

use crate::bitbucket::git::parse_remote;
use crate::core::model::{FailureClass, Problem};
use crate::core::sanitize::clean;
use crate::store::{SavedConnection, Store};

/// The variable through which git takes one CA file for every URL, over its config.
pub const GIT_CA_VAR: &str = "GIT_SSL_CAINFO";

/// The PEM git should trust for `conn`'s server: the pinned certificate, the copy of its CA
/// file, or both in one file. `None` when the connection trusts nothing beyond the
/// platform's roots, or the file is not there (a pin saved without its certificate at hand).
pub fn ca_info(store: &Store, conn: &SavedConnection) -> Option<PathBuf> {
    let tls = conn.tls.as_ref()?;
    let path = match (&tls.pinned, &tls.ca_file) {
        (None, None) => return None,
        (Some(_), None) => store.cert_file(&conn.name),
        (None, Some(ca)) => PathBuf::from(ca),
        (Some(_), Some(ca)) => {
            let bundle = store.cert_bundle_file(&conn.name);
            if bundle.is_file() {
                bundle
            } else {
                PathBuf::from(ca)
            }
        }
    };
    path.is_file().then_some(path)
}

/// The `-c` arguments that make one git run trust `ca_info` for the server of `url`, an https
/// URL; none for any other.
pub fn ca_info_args(url: &str, ca_info: Option<&Path>) -> Vec<String> {
    let (Some(ca), Some((host, _))) = (ca_info, parse_remote(url)) else {
        return Vec::new();
    };
    if host.scheme != "https" {
        return Vec::new();
    }
    vec![
        "-c".to_string(),
        format!(
            "http.{}.sslCAInfo={}",
            host.config_url(),
            ca.to_string_lossy()
        ),
    ]
}

/// What git's failure was about, from its own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitFailure {
    /// The server's certificate was refused.
    Certificate,
    /// The server refused the credential (or git had none to give).
    Credential,
    /// The repository is not there, or not visible to the credential.
    NotFound,
    /// The server could not be reached.
    Unreachable,
    /// The directory to clone into is taken.
    DirectoryTaken,
    Other,
}

/// Reads git's stderr. GnuTLS builds say "server certificate verification failed", OpenSSL
/// builds "SSL certificate problem: ...".
pub fn read_git_failure(text: &str) -> GitFailure {
    let t = text.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if any(&[
        "certificate verification failed",
        "ssl certificate problem",
        "certificate verify failed",
        "certificate is not trusted",
        "self-signed certificate",
        "self signed certificate",
        "unable to get local issuer certificate",
        "no alternative certificate subject name",
        "ssl: certificate subject name",
        "certificate has expired",
    ]) {
        GitFailure::Certificate
    } else if any(&[
        "authentication failed",
        "could not read username",
        "could not read password",
        "the requested url returned error: 401",
        "the requested url returned error: 403",
    ]) {
        GitFailure::Credential
    } else if any(&[
        "repository not found",
        "not found",
        "the requested url returned error: 404",
        "does not appear to be a git repository",
    ]) {
        GitFailure::NotFound
    } else if any(&[
        "could not resolve host",
        "failed to connect",
        "connection refused",
        "connection timed out",
        "operation timed out",
        "couldn't connect to server",
        "could not connect to server",
    ]) {
        GitFailure::Unreachable
    } else if t.contains("already exists and is not an empty directory") {
        GitFailure::DirectoryTaken
    } else {
        GitFailure::Other
    }
}

/// The problem to report when git failed on connection `name`, from git's stderr `text`;
/// `trusted` says whether git was given the connection's own certificates.
pub fn git_failure(text: &str, name: &str, trusted: bool) -> Problem {
    let name = clean(name);
    let check = format!("bbconnect check {name}");
    match read_git_failure(text) {
        GitFailure::Certificate if trusted => Problem::new(
            FailureClass::Unreachable,
            "git refused the server's certificate, although it was given the certificate this connection trusts: the server presents another one now.",
            format!(
                "Run `{check}`: it names the certificate the server presents and the one trusted. If the change is expected, trust the new one with `bbconnect connect ... --trust-cert SHA256:... --replace` (or --ca-file), then `bbconnect setup-git`."
            ),
        ),
        GitFailure::Certificate => Problem::new(
            FailureClass::Unreachable,
            "git refused the server's certificate.",
            format!(
                "Run `{check}`: it shows the certificate. If it is your server's (self-signed or from a private CA), connect again with --trust-cert SHA256:... or --ca-file FILE and --replace, then `bbconnect setup-git`."
            ),
        ),
        GitFailure::Credential => Problem::new(
            FailureClass::Rejected,
            "git's credential was refused by the server.",
            format!("Run `{check}`: it says whether the token still works and what it may read."),
        ),
        GitFailure::NotFound => Problem::new(
            FailureClass::Input,
            "git found no repository at that address.",
            format!(
                "Check the name: `bbconnect repos {name}` lists the repositories this credential sees."
            ),
        ),
        GitFailure::Unreachable => Problem::new(
            FailureClass::Unreachable,
            "git could not reach the server.",
            format!(
                "Check the network and any proxy; `{check}` tells whether bbconnect reaches it."
            ),
        ),
        GitFailure::DirectoryTaken => Problem::new(
            FailureClass::Input,
            "The directory to clone into already exists and is not empty.",
            "Give another directory as the last argument, or remove that one.",
        ),
        GitFailure::Other => Problem::new(
            FailureClass::Other,
            "git clone failed; git's message is above.",
            format!("`{check}` tells whether the connection itself still works."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_file_goes_to_the_https_server_of_the_url_only() {
        let pem = Path::new("/home/a b/.config/bbconnect/certs/dc.pem");
        assert_eq!(
            ca_info_args("https://bb.corp:8443/scm/plat/api.git", Some(pem)),
            [
                "-c",
                "http.https://bb.corp:8443.sslCAInfo=/home/a b/.config/bbconnect/certs/dc.pem"
            ]
        );
        assert_eq!(
            ca_info_args("https://bb.corp/scm/plat/api.git", Some(pem))[1],
            "http.https://bb.corp.sslCAInfo=/home/a b/.config/bbconnect/certs/dc.pem"
        );
        assert!(ca_info_args("http://127.0.0.1:7990/scm/p/r.git", Some(pem)).is_empty());
        assert!(ca_info_args("https://bb.corp/scm/p/r.git", None).is_empty());
    }

    #[test]
    fn gits_own_words_say_what_failed() {
        for (text, want) in [
            (
                "fatal: unable to access 'https://localhost:1/x.git/': server certificate verification failed. CAfile: none CRLfile: none",
                GitFailure::Certificate,
            ),
            (
                "fatal: unable to access 'https://h/x.git/': SSL certificate problem: self-signed certificate",
                GitFailure::Certificate,
            ),
            (
                "remote: Invalid credentials\nfatal: Authentication failed for 'https://h/x.git/'",
                GitFailure::Credential,
            ),
            (
                "fatal: could not read Username for 'https://h': terminal prompts disabled",
                GitFailure::Credential,
            ),
            (
                "remote: Repository not found\nfatal: repository 'https://h/x.git/' not found",
                GitFailure::NotFound,
            ),
            (
                "fatal: unable to access 'https://h/x.git/': Could not resolve host: h",
                GitFailure::Unreachable,
            ),
            (
                "fatal: destination path 'x' already exists and is not an empty directory.",
                GitFailure::DirectoryTaken,
            ),
            ("fatal: something else", GitFailure::Other),
        ] {
            assert_eq!(read_git_failure(text), want, "{text}");
        }
    }

    #[test]
    fn a_refused_certificate_leads_to_the_trust_fix_not_the_credential() {
        let text = "fatal: unable to access 'https://h/x.git/': server certificate verification failed. CAfile: /c/dc.pem CRLfile: none";
        let p = git_failure(text, "dc", true);
        assert_eq!(p.class, FailureClass::Unreachable);
        assert!(p.what.contains("presents another one"), "{p:?}");
        assert!(p.fix.contains("bbconnect check dc"), "{p:?}");
        assert!(!p.fix.to_lowercase().contains("authentication"), "{p:?}");
        let p = git_failure(text, "dc", false);
        assert!(p.fix.contains("--trust-cert"), "{p:?}");
        assert!(p.fix.contains("--ca-file"), "{p:?}");
        let p = git_failure("fatal: Authentication failed for 'https://h/'", "dc", true);
        assert_eq!(p.class, FailureClass::Rejected);
        assert!(!p.what.contains("certificate"), "{p:?}");
    }
}
