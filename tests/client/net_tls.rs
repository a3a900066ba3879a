//! Enterprise networks against real components on loopback: a rustls server with
//! certificates made here by rcgen (private CA + leaf, self-signed CA:TRUE, self-signed
//! end-entity, wrong name, expired, not yet valid) in front of the simulator, a port that
//! speaks plain http, a server that refuses with a `protocol_version` alert, and CONNECT
//! proxies (tunnel, 407, 403, credentials checked, TLS-inspecting). Each case runs the real
//! binary: the exact message and the exit code.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bbconnect::sim::SimHandle;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::bin::{self, stderr, text};
use crate::common::creds::{endpoints, file_store};
use crate::common::sim::addr as sim_addr;
use crate::common::tls::{Ca, ServerCert, TlsFront, self_signed, server_config};

/// `SHA256:HEX`, computed here (not with bbconnect's function) so the suite also builds
/// against code without this trust handling, to see each case fail there.
fn sha256(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    let hex: String = d.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    format!("SHA256:{hex}")
}

// ---------------------------------------------------------------- servers

/// A port that reads what a client sends first and answers `reply` on every connection; the
/// count of connections.
async fn answering(reply: &'static [u8]) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(reply).await;
            });
        }
    });
    (addr, count)
}

/// A port that answers anything with a plain http 400, as a web server's http port does.
async fn plain_http_port() -> (SocketAddr, Arc<AtomicUsize>) {
    answering(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request").await
}

/// A server that only speaks TLS 1.0: it answers a modern ClientHello with the
/// `protocol_version` alert (as an old server's TLS stack does).
async fn tls10_only_port() -> (SocketAddr, Arc<AtomicUsize>) {
    answering(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]).await
}

#[derive(Clone)]
enum ProxyMode {
    /// Tunnels; with `Some(header)`, only when `Proxy-Authorization` is exactly that.
    Tunnel(Option<String>),
    Deny403,
    /// Terminates TLS itself with a certificate of its own CA (a TLS-inspecting proxy) and
    /// forwards the plain requests to `upstream`.
    Inspect(Arc<rustls::ServerConfig>, SocketAddr),
}

/// A CONNECT proxy; records each CONNECT target it was asked for.
async fn proxy(mode: ProxyMode) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mode = mode.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    match s.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                seen.lock().unwrap().push(target.clone());
                let auth = head.lines().find_map(|l| {
                    l.to_ascii_lowercase()
                        .starts_with("proxy-authorization:")
                        .then(|| l.split_once(':').unwrap().1.trim().to_string())
                });
                match mode {
                    ProxyMode::Deny403 => {
                        let _ = s
                            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                            .await;
                    }
                    ProxyMode::Tunnel(Some(want)) if auth.as_deref() != Some(want.as_str()) => {
                        let _ = s
                            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n")
                            .await;
                    }
                    ProxyMode::Tunnel(_) => {
                        let Ok(mut up) = TcpStream::connect(target.as_str()).await else {
                            let _ = s.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                            return;
                        };
                        let _ = s
                            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                            .await;
                        let _ = tokio::io::copy_bidirectional(&mut s, &mut up).await;
                    }
                    ProxyMode::Inspect(cfg, upstream) => {
                        let _ = s
                            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                            .await;
                        let Ok(mut tls) = tokio_rustls::TlsAcceptor::from(cfg).accept(s).await
                        else {
                            return;
                        };
                        if let Ok(mut up) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                        }
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), log)
}

/// The simulator behind a TLS server presenting `cert`, and an empty config dir.
async fn serving(cert: &ServerCert) -> (SimHandle, TlsFront, tempfile::TempDir) {
    let sim = simulator().await;
    let front = TlsFront::start(cert, sim_addr(&sim)).await;
    (sim, front, tempfile::tempdir().unwrap())
}

async fn simulator() -> SimHandle {
    crate::common::sim::with_repos(30).await
}

// ---------------------------------------------------------------- the binary

async fn run(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = bin::bbconnect(config, args);
    cmd.env("BBCONNECT_TOKEN", "test-token-alice")
        // No platform root may vouch for a test certificate; each test adds its own trust.
        .env("SSL_CERT_FILE", config.join("no-roots.pem"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("binary runs")
}

fn connect_args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = bin::dc_user_connect(url);
    v.extend_from_slice(extra);
    v
}

/// `connect` to `url` with `extra` flags and `env`, which must end with exit `code`.
async fn connect_ends(
    config: &Path,
    url: &str,
    extra: &[&str],
    env: &[(&str, &str)],
    code: i32,
) -> Output {
    let out = run(config, &connect_args(url, extra), env).await;
    assert_eq!(out.status.code(), Some(code), "{}", text(&out));
    out
}

/// `connect` to `url` that must fail to reach the server (exit 5): the reach row's message
/// and fix.
async fn unreachable(config: &Path, url: &str, env: &[(&str, &str)]) -> (String, String) {
    reach_lines(&connect_ends(config, url, &[], env, 5).await)
}

/// As [`unreachable`], with the CA file at `pem` trusted.
async fn unreachable_trusting(config: &Path, url: &str, pem: &str) -> (String, String) {
    unreachable(config, url, &[("BBCONNECT_CA_FILE", pem)]).await
}

/// The reach row's message and fix, as `connect` prints them.
fn reach_lines(out: &Output) -> (String, String) {
    let err = stderr(out);
    let mut lines = err.lines();
    let what = lines
        .find(|l| l.contains("[FAIL] Reach the server:"))
        .unwrap_or_else(|| panic!("no failed reach row: {}", text(out)))
        .split_once("Reach the server: ")
        .unwrap()
        .1
        .to_string();
    let fix = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("fix: ").map(str::to_string))
        .unwrap_or_default();
    (what, fix)
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

// ---------------------------------------------------------------- the table of network failures

#[tokio::test(flavor = "multi_thread")]
async fn self_signed_ca_true_is_named_with_its_fingerprint_and_not_retried() {
    let cert = self_signed(&["localhost"], true);
    let (_sim, front, dir) = serving(&cert).await;
    let out = connect_ends(dir.path(), &front.url(), &[], &[], 5).await;
    let fp = sha256(&cert.chain[0]);
    let (what, fix) = reach_lines(&out);
    assert_eq!(
        what,
        format!(
            "cannot reach localhost:{}: the server's certificate is self-signed (CN=localhost, {fp})",
            front.addr.port()
        )
    );
    assert!(fix.contains(&format!("--trust-cert {fp}")), "{fix}");
    // The chain is printed for comparing.
    let err = stderr(&out);
    assert!(err.contains(&format!("fingerprint: {fp}")), "{err}");
    assert!(err.contains("self-signed: yes"), "{err}");
    assert!(!err.contains("CaUsedAsEndEntity"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn self_signed_end_entity_is_named_self_signed() {
    let cert = self_signed(&["localhost"], false);
    let (_sim, front, dir) = serving(&cert).await;
    let out = connect_ends(dir.path(), &front.url(), &[], &[], 5).await;
    let (what, _) = reach_lines(&out);
    assert!(
        what.contains("the server's certificate is self-signed (CN=localhost, SHA256:"),
        "{what}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_self_signed_certificate_given_as_ca_file_works() {
    let sim = simulator().await;
    for ca in [true, false] {
        let cert = self_signed(&["localhost"], ca);
        let front = TlsFront::start(&cert, sim_addr(&sim)).await;
        let dir = tempfile::tempdir().unwrap();
        let pem = write(dir.path(), "server.pem", &cert.leaf_pem);
        let out = run(
            dir.path(),
            &connect_args(&front.url(), &[]),
            &[("BBCONNECT_CA_FILE", &pem)],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "CA:{ca} {}", text(&out));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_ca_works_from_ca_file_flag_env_and_ssl_cert_file() {
    let ca = Ca::new("Test Corp Root CA");
    let (_sim, front, dir) = serving(&ca.leaf(&["localhost", "127.0.0.1"])).await;
    let pem = write(dir.path(), "corp-ca.pem", &ca.pem());

    // Not trusted: named by its issuer.
    let out = connect_ends(dir.path(), &front.url(), &[], &[], 5).await;
    let (what, fix) = reach_lines(&out);
    assert!(
        what.contains("the server's certificate is issued by CN=Test Corp Root CA, an authority this machine does not trust"),
        "{what}"
    );
    assert!(
        fix.contains("--ca-file PATH or BBCONNECT_CA_FILE=PATH"),
        "{fix}"
    );

    for env in [
        ("BBCONNECT_CA_FILE", pem.as_str()),
        ("SSL_CERT_FILE", pem.as_str()),
    ] {
        let d = tempfile::tempdir().unwrap();
        let out = run(d.path(), &connect_args(&front.url(), &[]), &[env]).await;
        assert_eq!(out.status.code(), Some(0), "{env:?} {}", text(&out));
    }

    // SSL_CERT_DIR: a folder of PEM files, as `openssl rehash` leaves them.
    let certs = dir.path().join("certs.d");
    std::fs::create_dir(&certs).unwrap();
    std::fs::write(certs.join("corp-ca.pem"), ca.pem()).unwrap();
    let d = tempfile::tempdir().unwrap();
    let out = run(
        d.path(),
        &connect_args(&front.url(), &[]),
        &[("SSL_CERT_DIR", certs.to_str().unwrap())],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "SSL_CERT_DIR {}", text(&out));

    // --ca-file is saved with the connection and used by later commands.
    let d = tempfile::tempdir().unwrap();
    connect_ends(d.path(), &front.url(), &["--ca-file", &pem], &[], 0).await;
    let out = run(d.path(), &["check", "dc"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(d.path(), &["repos", "dc"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!out.stdout.is_empty());
    let out = run(d.path(), &["list"], &[]).await;
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ca_file="),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_for_another_name_says_whose_it_is() {
    let sim = simulator().await;
    let ca = Ca::new("Test Corp Root CA");
    let front = TlsFront::start(
        &ca.leaf(&["other.example", "www.other.example"]),
        sim_addr(&sim),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pem = write(dir.path(), "corp-ca.pem", &ca.pem());
    let (what, fix) = unreachable_trusting(dir.path(), &front.url(), &pem).await;
    assert_eq!(
        what,
        format!(
            "cannot reach localhost:{}: the certificate is for other.example, www.other.example, not localhost",
            front.addr.port()
        )
    );
    assert!(
        !what.contains("DNS") && !fix.contains("DNS"),
        "{what} {fix}"
    );
    assert!(fix.contains("names localhost"), "{fix}");
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_and_not_yet_valid_give_the_date_and_the_admins_fix() {
    let sim = simulator().await;
    let ca = Ca::new("Test Corp Root CA");
    let dir = tempfile::tempdir().unwrap();
    let pem = write(dir.path(), "corp-ca.pem", &ca.pem());
    // A server whose certificate from `ca` is valid from one day to another only.
    let dated = async |valid| {
        let front =
            TlsFront::start(&ca.leaf_dated(&["localhost"], Some(valid)), sim_addr(&sim)).await;
        unreachable_trusting(dir.path(), &front.url(), &pem).await
    };
    let (what, fix) = dated(((2020, 1, 1), (2021, 3, 4))).await;
    assert!(
        what.ends_with("the server's certificate expired on 2021-03-04 00:00 UTC"),
        "{what}"
    );
    assert!(fix.starts_with("The server's admin must renew"), "{fix}");
    assert!(!fix.contains("CA_FILE"), "{fix}");

    let (what, fix) = dated(((2098, 1, 1), (2099, 1, 1))).await;
    assert!(
        what.ends_with("the server's certificate is not valid until 2098-01-01 00:00 UTC"),
        "{what}"
    );
    assert!(fix.contains("date and time"), "{fix}");
}

/// DC's first wave: anonymous and authenticated application-properties, the first listing
/// page, the admin probe, and (connect only, nothing typed for --expires) the token list.
const FIRST_WAVE_PROBES: usize = 5;

/// `connect` to https at `addr`, a server that answers nothing a TLS client takes: the reach
/// row's message and fix, once no probe was retried (`count`: connections made to it).
async fn refused_without_retry(addr: SocketAddr, count: &AtomicUsize) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("https://127.0.0.1:{}", addr.port());
    let lines = unreachable(dir.path(), &url, &[]).await;
    // The check's first wave asks its independent probes at once; each is tried
    // once and none is retried, so no more connections than the first wave's five probes.
    let tries = count.load(Ordering::SeqCst);
    assert!(
        (1..=FIRST_WAVE_PROBES).contains(&tries),
        "no retry: {tries} connections"
    );
    lines
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_on_an_https_url_is_named_and_not_retried() {
    let (addr, count) = plain_http_port().await;
    let (what, fix) = refused_without_retry(addr, &count).await;
    assert_eq!(
        what,
        format!(
            "cannot reach 127.0.0.1:{}: this port speaks plain http, not https",
            addr.port()
        )
    );
    assert_eq!(
        fix,
        format!(
            "Use http://127.0.0.1:{} (plain http), or the port where the server speaks TLS.",
            addr.port()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_1_0_only_server_is_named_and_not_retried() {
    let (addr, count) = tls10_only_port().await;
    let (what, fix) = refused_without_retry(addr, &count).await;
    assert_eq!(
        what,
        format!(
            "cannot reach 127.0.0.1:{}: the server offers only TLS 1.0/1.1, which bbconnect refuses",
            addr.port()
        )
    );
    assert!(
        fix.starts_with("The server needs TLS 1.2 or newer"),
        "{fix}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_asking_for_credentials_is_told_apart_from_one_refusing() {
    let ca = Ca::new("Test Corp Root CA");
    let (_sim, front, dir) = serving(&ca.leaf(&["localhost"])).await;
    let pem = write(dir.path(), "corp-ca.pem", &ca.pem());
    let port = front.addr.port();
    // `connect` through `proxy`, the server's CA trusted, in config dir `config`.
    let via = async |config: &Path, proxy: &str, code| {
        let env = [("BBCONNECT_CA_FILE", pem.as_str()), ("HTTPS_PROXY", proxy)];
        connect_ends(config, &front.url(), &[], &env, code).await
    };

    // 407.
    let (p407, _) = proxy(ProxyMode::Tunnel(Some(
        "Basic dXNlcjp0ZXN0LXRva2VuLXB3".into(),
    )))
    .await;
    let out = via(dir.path(), &p407, 5).await;
    let (what, fix) = reach_lines(&out);
    assert_eq!(
        what,
        format!(
            "cannot reach localhost:{port}: the proxy wants credentials (407 Proxy Authentication Required) via proxy {p407}"
        )
    );
    let at = p407.trim_start_matches("http://");
    assert!(
        fix.contains(&format!("HTTPS_PROXY=http://USER:PASS@{at}")),
        "{fix}"
    );

    // The right credentials in the URL: the tunnel opens and the check passes; the
    // password shows nowhere.
    let with_creds = p407.replace("http://", "http://user:test-token-pw@");
    let d = tempfile::tempdir().unwrap();
    let out = via(d.path(), &with_creds, 0).await;
    assert!(!text(&out).contains("test-token-pw"), "{}", text(&out));

    // Wrong credentials: 407 again, said so.
    let wrong = p407.replace("http://", "http://user:test-token-bad@");
    let d = tempfile::tempdir().unwrap();
    let out = via(d.path(), &wrong, 5).await;
    let (what, _) = reach_lines(&out);
    assert!(what.contains("the proxy refused the credentials"), "{what}");
    assert!(!stderr(&out).contains("test-token-bad"), "{}", text(&out));

    // 403.
    let (p403, _) = proxy(ProxyMode::Deny403).await;
    let out = via(dir.path(), &p403, 5).await;
    let (what, fix) = reach_lines(&out);
    assert_eq!(
        what,
        format!(
            "cannot reach localhost:{port}: the proxy refused the tunnel to localhost:{port} (403) via proxy {p403}"
        )
    );
    assert!(fix.contains("allow localhost"), "{fix}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_that_does_not_answer_is_named_without_its_password() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let proxy = format!("http://bob:test-token-pw@127.0.0.1:{port}");
    let out = connect_ends(
        dir.path(),
        "https://bb.example.test",
        &[],
        &[("HTTPS_PROXY", &proxy)],
        5,
    )
    .await;
    let (what, fix) = reach_lines(&out);
    assert_eq!(
        what,
        format!(
            "cannot reach bb.example.test: the proxy does not answer via proxy http://127.0.0.1:{port}"
        )
    );
    assert!(fix.starts_with("Check HTTPS_PROXY"), "{fix}");
    assert!(!text(&out).contains("test-token-pw"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_proxy_is_respected_and_no_proxy_is_named() {
    let cert = self_signed(&["localhost"], true);
    let (_sim, front, dir) = serving(&cert).await;
    let (p403, log) = proxy(ProxyMode::Deny403).await;
    let out = connect_ends(
        dir.path(),
        &front.url(),
        &[],
        &[
            ("HTTPS_PROXY", &p403),
            ("NO_PROXY", "example.org,localhost"),
        ],
        5,
    )
    .await;
    let (what, fix) = reach_lines(&out);
    assert!(
        what.contains("self-signed"),
        "the server itself answered: {what}"
    );
    assert!(
        !what.contains("proxy") && !fix.contains("proxy") && !fix.contains("NO_PROXY"),
        "{what} / {fix}"
    );
    assert!(log.lock().unwrap().is_empty(), "the proxy was not asked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_inspecting_proxy_works_with_its_ca_file() {
    let sim = simulator().await;
    let real_ca = Ca::new("Test Corp Root CA");
    let front = TlsFront::start(&real_ca.leaf(&["localhost"]), sim_addr(&sim)).await;
    let inspector = Ca::new("Test Inspecting Proxy CA");
    let forged = server_config(&inspector.leaf(&["localhost"]));
    let (p, log) = proxy(ProxyMode::Inspect(forged, sim_addr(&sim))).await;
    let dir = tempfile::tempdir().unwrap();
    // Without its CA, the proxy's certificate is named by its issuer.
    let out = connect_ends(dir.path(), &front.url(), &[], &[("HTTPS_PROXY", &p)], 5).await;
    let (what, _) = reach_lines(&out);
    assert!(what.contains("CN=Test Inspecting Proxy CA"), "{what}");
    let pem = write(dir.path(), "proxy-ca.pem", &inspector.pem());
    connect_ends(
        dir.path(),
        &front.url(),
        &["--ca-file", &pem],
        &[("HTTPS_PROXY", &p)],
        0,
    )
    .await;
    assert!(!log.lock().unwrap().is_empty(), "went through the proxy");
}

// ---------------------------------------------------------------- trust, end to end

#[tokio::test(flavor = "multi_thread")]
async fn trusting_a_certificate_end_to_end() {
    let cert = self_signed(&["localhost"], true);
    let (_sim, front, dir) = serving(&cert).await;
    let fp = sha256(&cert.chain[0]);

    // Refused, fingerprint shown.
    let out = connect_ends(dir.path(), &front.url(), &[], &[], 5).await;
    assert!(stderr(&out).contains(&fp), "{}", text(&out));

    // A fingerprint that is not one is a usage error, before any request.
    connect_ends(
        dir.path(),
        &front.url(),
        &["--trust-cert", "SHA256:abc"],
        &[],
        2,
    )
    .await;

    // Trusted (pasted as openssl prints it: lower case with colons is accepted too).
    let openssl_style: String = fp.as_bytes()[7..]
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join(":");
    connect_ends(
        dir.path(),
        &front.url(),
        &["--trust-cert", &openssl_style],
        &[],
        0,
    )
    .await;
    let pem_path = dir.path().join("certs").join("dc.pem");
    let saved_pem =
        std::fs::read_to_string(&pem_path).expect("the certificate is kept beside the config");
    assert_eq!(saved_pem.trim(), cert.leaf_pem.trim());

    // Later commands use it.
    let out = run(dir.path(), &["check", "dc"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(dir.path(), &["repos", "dc"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // list shows it.
    let out = run(dir.path(), &["list"], &[]).await;
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("cert={fp}")),
        "{}",
        text(&out)
    );
    let out = run(dir.path(), &["list", "--json"], &[]).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["tls"]["pinned"], fp.as_str());

    // Another certificate on the same host: refused, both fingerprints shown.
    let other = self_signed(&["localhost"], true);
    front.swap(&other);
    let new_fp = sha256(&other.chain[0]);
    let out = run(dir.path(), &["check", "dc"], &[]).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    let err = text(&out);
    assert!(
        err.contains(&format!(
            "the server's certificate changed: it presents {new_fp}, the trusted one is {fp}"
        )),
        "{err}"
    );
    assert!(err.contains("may be intercepted"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pinned_ca_of_the_chain_vouches_for_its_leaf() {
    let sim = simulator().await;
    let ca = Ca::new("Test Corp Root CA");
    let mut cert = ca.leaf(&["localhost"]);
    // The server sends its CA along, as many do.
    cert.chain.push(ca.der().clone());
    let front = TlsFront::start(&cert, sim_addr(&sim)).await;
    let ca_fp = sha256(ca.der());
    let dir = tempfile::tempdir().unwrap();
    connect_ends(dir.path(), &front.url(), &["--trust-cert", &ca_fp], &[], 0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_reached_at_localhost_whose_links_say_127_0_0_1_passes() {
    let cert = self_signed(&["localhost"], true);
    let (_sim, front, dir) = serving(&cert).await;
    let fp = sha256(&cert.chain[0]);
    let out = connect_ends(dir.path(), &front.url(), &["--trust-cert", &fp], &[], 0).await;
    let err = stderr(&out);
    assert!(
        err.contains("[ok  ] Server links use its real address"),
        "{err}"
    );
}

// ---------------------------------------------------------------- the Check screen

mod screen {
    use super::*;
    use bbconnect::bitbucket::proxy::ProxyEnv;
    use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
    use bbconnect::core::cert::TlsTrust;
    use bbconnect::core::model::{AuthKind, CheckReport, ConnectionSpec, Credentials, Provider};

    use bbconnect::tui::wizard::msg::{Effect, Msg};
    use bbconnect::tui::wizard::{CheckState, Step, Wizard, WizardConfig, update};

    use secrecy::SecretString;

    use crate::common::screen::draw;

    const SHOWN: &str = "https://localhost:8443";

    fn creds(url: &str) -> Credentials {
        Credentials {
            spec: ConnectionSpec {
                name: "work".into(),
                provider: Provider::Server,
                auth: AuthKind::HttpTokenUser,
                url: url.into(),
                username: Some("alice".into()),
                repo: None,
            },
            secret: SecretString::from("test-token-alice".to_string()),
        }
    }

    /// The engine's report against `url`, with what changes from run to run (ports, keys)
    /// made stable for the snapshot.
    async fn report(url: &str, options: ClientOptions, stable: &[(String, String)]) -> CheckReport {
        let r = Client::new(creds(url), &Endpoints::default(), options)
            .unwrap()
            .check(None)
            .await;
        if stable.is_empty() {
            // As the worker hands it over: with the DER of the chain (not in JSON).
            return r;
        }
        let mut text = serde_json::to_string(&r).unwrap();
        for (from, to) in stable {
            text = text.replace(from, to);
        }
        serde_json::from_str(&text).unwrap()
    }

    /// No proxy from this process's environment: each case says its own. (The platform's
    /// roots cannot vouch for certificates made here a moment ago.)
    fn no_roots(_dir: &Path) -> ClientOptions {
        ClientOptions {
            max_retries: 0,
            proxies: Some(ProxyEnv::default()),
            ..ClientOptions::default()
        }
    }

    fn on_check(report: CheckReport) -> Wizard {
        let mut w = Wizard::new(WizardConfig {
            server_url: Some(SHOWN.into()),
            ..WizardConfig::default()
        });
        w.provider = Provider::Server;
        w.auth = AuthKind::HttpTokenUser;
        w.step = Step::Form;
        w.history = vec![Step::Provider, Step::AuthType];
        w.form.name = "work".into();
        w.form.url = SHOWN.into();
        w.form.username = "alice".into();
        for c in "test-token-x".chars() {
            w.form
                .secret
                .handle(bbconnect::tui::wizard::msg::EditKey::Char(c));
        }
        w.form.focus = 3;
        let effects = update(&mut w, Msg::Confirm);
        let Some(Effect::CheckCredentials { id, .. }) = effects.first() else {
            panic!("no check started: {effects:?} notice={:?}", w.notice)
        };
        update(&mut w, Msg::CheckDone { id: *id, report });
        assert!(matches!(w.check, CheckState::Finished { .. }));
        w
    }

    fn port_of(url: &str) -> String {
        url.rsplit(':').next().unwrap().to_string()
    }

    /// Name, URL, options, and the replacements that make the report stable.
    type Case = (&'static str, String, ClientOptions, Vec<(String, String)>);

    const FP: &str = "SHA256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
    const FP_TRUSTED: &str =
        "SHA256:FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210";

    #[tokio::test(flavor = "multi_thread")]
    async fn every_refusal_on_the_check_screen() {
        let sim = simulator().await;
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::new("Test Corp Root CA");
        let ca_pem = write(dir.path(), "ca.pem", &ca.pem());
        let with_ca = || ClientOptions {
            tls: TlsTrust {
                ca_file: Some(ca_pem.clone()),
                pinned: None,
            },
            ..no_roots(dir.path())
        };
        let mut cases: Vec<Case> = Vec::new();
        let mut fronts = Vec::new();
        for (name, cert, opts) in [
            (
                "self_signed",
                self_signed(&["localhost"], true),
                no_roots(dir.path()),
            ),
            (
                "untrusted_issuer",
                ca.leaf(&["localhost"]),
                no_roots(dir.path()),
            ),
            (
                "wrong_name",
                ca.leaf(&["other.example", "www.other.example"]),
                with_ca(),
            ),
            (
                "expired",
                ca.leaf_dated(&["localhost"], Some(((2020, 1, 1), (2021, 3, 4)))),
                with_ca(),
            ),
            (
                "not_yet_valid",
                ca.leaf_dated(&["localhost"], Some(((2098, 1, 1), (2099, 1, 1)))),
                with_ca(),
            ),
        ] {
            let front = TlsFront::start(&cert, sim_addr(&sim)).await;
            let stable = vec![
                (sha256(&cert.chain[0]), FP.to_string()),
                (port_of(&front.url()), "8443".to_string()),
            ];
            cases.push((name, front.url(), opts, stable));
            fronts.push(front);
        }
        let (plain, _) = plain_http_port().await;
        cases.push((
            "plain_http",
            format!("https://localhost:{}", plain.port()),
            no_roots(dir.path()),
            vec![(plain.port().to_string(), "8443".into())],
        ));
        // The same host later presents another certificate than the one trusted.
        let trusted = self_signed(&["localhost"], true);
        let now = self_signed(&["localhost"], true);
        let front = TlsFront::start(&now, sim_addr(&sim)).await;
        cases.push((
            "cert_changed",
            front.url(),
            ClientOptions {
                tls: TlsTrust {
                    ca_file: None,
                    pinned: Some(sha256(&trusted.chain[0])),
                },
                ..no_roots(dir.path())
            },
            vec![
                (sha256(&now.chain[0]), FP.to_string()),
                (sha256(&trusted.chain[0]), FP_TRUSTED.to_string()),
                (port_of(&front.url()), "8443".to_string()),
            ],
        ));
        fronts.push(front);
        let ok_front = TlsFront::start(&ca.leaf(&["localhost"]), sim_addr(&sim)).await;
        for (name, mode) in [
            (
                "proxy_407",
                ProxyMode::Tunnel(Some("Basic dXNlcjpwdw==".into())),
            ),
            ("proxy_403", ProxyMode::Deny403),
        ] {
            let (p, _) = proxy(mode).await;
            let proxy_port = port_of(&p);
            cases.push((
                name,
                ok_front.url(),
                ClientOptions {
                    proxies: Some(ProxyEnv {
                        https: Some(p),
                        ..ProxyEnv::default()
                    }),
                    ..with_ca()
                },
                vec![
                    (proxy_port, "3128".into()),
                    (port_of(&ok_front.url()), "8443".to_string()),
                ],
            ));
        }
        fronts.push(ok_front);
        let (old, _) = tls10_only_port().await;
        cases.push((
            "tls_1_0_only",
            format!("https://localhost:{}", old.port()),
            no_roots(dir.path()),
            vec![(old.port().to_string(), "8443".into())],
        ));
        for (name, url, opts, stable) in cases {
            let r = report(&url, opts, &stable).await;
            assert!(!r.passed(), "{name}: {:#?}", r.items);
            let w = on_check(r);
            insta::assert_snapshot!(format!("check_screen_{name}_80x24"), draw(&w, 80, 24));
        }
        drop(fronts);
    }

    /// Refused → the chain on screen → `t` → the worker pins it → the check passes → the
    /// saved connection keeps the pin.
    #[tokio::test(flavor = "multi_thread")]
    async fn pressing_t_trusts_the_certificate_shown_and_the_check_passes() {
        use bbconnect::tui::worker::{self, WorkerContext};
        let sim = simulator().await;
        let cert = self_signed(&["localhost"], true);
        let fp = sha256(&cert.chain[0]);
        let front = TlsFront::start(&cert, sim_addr(&sim)).await;
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(file_store(dir.path()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let handle = worker::spawn(
            WorkerContext::new(Endpoints::default(), store.clone(), no_roots(dir.path())),
            tx,
        );
        let mut next_done = async || loop {
            let msg = tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
                .await
                .expect("a reply in time")
                .expect("worker alive");
            match msg {
                Msg::CheckDone { id, report } => return Msg::CheckDone { id, report },
                m @ Msg::Saved { .. } => return m,
                _ => {}
            }
        };

        let mut w = on_check(report(&front.url(), no_roots(dir.path()), &[]).await);
        assert!(w.check_failed());
        let shown = draw(&w, 80, 24);
        assert!(
            shown.contains(&fp),
            "the fingerprint is on screen to compare: {shown}"
        );
        assert!(shown.contains("t trust certificate"), "{shown}");

        // A failure that is not a certificate offers nothing to trust.
        let (plain, _) = plain_http_port().await;
        let mut other = on_check(
            report(
                &format!("https://localhost:{}", plain.port()),
                no_roots(dir.path()),
                &[],
            )
            .await,
        );
        assert!(other.check_failed() && other.refused_cert().is_none());
        assert!(update(&mut other, Msg::TrustCert).is_empty());
        assert!(!draw(&other, 80, 24).contains("trust certificate"));

        let effects = update(&mut w, Msg::TrustCert);
        let [
            Effect::TrustCert { fingerprint, der },
            Effect::CheckCredentials {
                id,
                creds,
                allow_http,
            },
        ] = effects.as_slice()
        else {
            panic!("expected trust then a new check: {effects:?}")
        };
        assert_eq!(fingerprint, &fp, "exactly the certificate shown is trusted");
        assert_eq!(w.trusted_cert.as_deref(), Some(fp.as_str()));
        handle.send(Effect::TrustCert {
            fingerprint: fingerprint.clone(),
            der: der.clone(),
        });
        // The wizard's form holds the shown URL and a placeholder token: the worker gets the
        // real ones.
        let mut creds = creds.clone();
        creds.spec.url = front.url();
        creds.secret = SecretString::from("test-token-alice".to_string());
        handle.send(Effect::CheckCredentials {
            id: *id,
            creds: creds.clone(),
            allow_http: *allow_http,
        });
        let Msg::CheckDone { id: got, report } = next_done().await else {
            panic!("no check reply")
        };
        assert!(report.passed(), "{:#?}", report.items);
        update(&mut w, Msg::CheckDone { id: got, report });
        assert!(w.check_passed());

        handle.send(Effect::Save {
            id: 77,
            creds,
            repo: None,
            identity_username: Some("alice".into()),
            oauth: None,
            webhook: None,
            replace: false,
            expires_on: None,
        });
        let Msg::Saved { result, .. } = next_done().await else {
            panic!("no save reply")
        };
        result.expect("saved");
        let saved = store.get("work").unwrap().expect("saved");
        assert_eq!(
            saved.tls.and_then(|t| t.pinned).as_deref(),
            Some(fp.as_str())
        );
        let pem = std::fs::read_to_string(dir.path().join("certs").join("work.pem"))
            .expect("the trusted certificate is kept beside the config");
        assert_eq!(pem.trim(), cert.leaf_pem.trim());
    }
}

// ---------------------------------------------------------------- one re-check for every face

/// `check`, `status` and the wizard's re-check of a connection saved with `--trust-cert` all
/// trust the pinned certificate: one re-check path, one trust.
#[tokio::test(flavor = "multi_thread")]
async fn check_status_and_the_wizard_recheck_agree_on_a_pinned_certificate() {
    use bbconnect::tui::wizard::msg::{Effect, Msg};
    use bbconnect::tui::worker::{self, WorkerContext};

    let cert = self_signed(&["localhost"], true);
    let (sim, front, dir) = serving(&cert).await;
    let fp = sha256(&cert.chain[0]);
    connect_ends(dir.path(), &front.url(), &["--trust-cert", &fp], &[], 0).await;

    let check = run(dir.path(), &["check", "dc"], &[]).await;
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let status = run(dir.path(), &["status"], &[]).await;
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert!(!text(&status).contains("self-signed"), "{}", text(&status));

    let store = file_store(dir.path());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = worker::spawn(
        WorkerContext::new(
            endpoints(&sim),
            std::sync::Arc::new(store),
            bbconnect::bitbucket::ClientOptions::default(),
        ),
        tx,
    );
    handle.send(Effect::CheckSaved {
        id: 1,
        name: "dc".into(),
    });
    match crate::common::wait::next(&mut rx, std::time::Duration::from_secs(30)).await {
        Msg::SavedChecked { id: 1, result } => {
            let last = result.expect("the re-check runs");
            assert!(last.ok, "{last:?}");
        }
        other => panic!("unexpected {other:?}"),
    }
}
