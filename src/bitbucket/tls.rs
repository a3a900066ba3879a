//! TLS for self-hosted servers: which roots are trusted (the platform's, `SSL_CERT_FILE` /
//! `SSL_CERT_DIR`, CA files), which certificates the user pinned, and the chain each server
//! presented, recorded so that a refused certificate can be shown and trusted.
//!
//! There is no "skip verification": a pin accepts exactly one certificate (by SHA-256 of its
//! DER), everything else is verified by webpki as usual.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::http::NetKind;
use crate::core::sanitize::clean;

// Plain data of certificates, shared with the store and the faces, lives in core.
use crate::core::cert::{CertSummary, PeerChain, TlsTrust};

/// Why the TLS configuration could not be built.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read the CA file {path} ({source_var}): {cause}")]
    CaFile {
        path: String,
        source_var: &'static str,
        cause: String,
    },
    #[error("{0:?} is not a certificate fingerprint")]
    BadFingerprint(String),
    #[error("cannot set up TLS: {0}")]
    Rustls(String),
}

/// `SHA256:` and the upper-case hex of the SHA-256 of `der` (no colons: it fits a line).
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    format!("SHA256:{hex}")
}

/// Reads a fingerprint as users paste it: with or without `SHA256:`, with or without the
/// colons openssl prints, any case. Returns the canonical form of [`fingerprint`].
pub fn parse_fingerprint(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t
        .strip_prefix("SHA256:")
        .or_else(|| t.strip_prefix("sha256:"))
        .or_else(|| t.strip_prefix("sha256="))
        .or_else(|| t.strip_prefix("SHA256="))
        .unwrap_or(t);
    let hex: String = t.chars().filter(|c| *c != ':').collect();
    (hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("SHA256:{}", hex.to_ascii_uppercase()))
}

/// Certificates of a PEM file; `source_var` says where the path came from, for the message.
pub fn read_pem_certs(
    path: &str,
    source_var: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    use rustls::pki_types::pem::PemObject;
    let err = |cause: String| TlsSetupError::CaFile {
        path: clean(path),
        source_var,
        cause,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| err(format!("not a PEM certificate bundle ({e:?})")))?;
    if certs.is_empty() {
        return Err(err("no certificate in the file".into()));
    }
    Ok(certs)
}

/// PEM text of one DER certificate, for the file saved beside a trusted connection.
pub fn to_pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Subject, issuer, names, dates and fingerprint of a DER certificate. A certificate
/// x509-parser cannot read still gets its fingerprint: that is what the user compares.
pub fn summarize(der: &[u8]) -> CertSummary {
    use x509_parser::prelude::*;
    let fp = fingerprint(der);
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return CertSummary {
            subject: "(unreadable certificate)".into(),
            issuer: "?".into(),
            names: Vec::new(),
            not_before: "?".into(),
            not_after: "?".into(),
            fingerprint: fp,
            self_signed: false,
            is_ca: false,
        };
    };
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                GeneralName::DNSName(d) => names.push(clean(d)),
                GeneralName::IPAddress(b) => {
                    if let Ok(a) = <[u8; 4]>::try_from(*b) {
                        names.push(std::net::Ipv4Addr::from(a).to_string());
                    } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                        names.push(std::net::Ipv6Addr::from(a).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    CertSummary {
        subject: clean(&cert.subject().to_string()),
        issuer: clean(&cert.issuer().to_string()),
        names,
        not_before: day(&cert.validity().not_before),
        not_after: day(&cert.validity().not_after),
        fingerprint: fp,
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        is_ca: cert.is_ca(),
    }
}

fn day(t: &x509_parser::time::ASN1Time) -> String {
    let d = t.to_datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute()
    )
}

/// The chains servers presented, by server name: the last handshake's wins.
#[derive(Debug, Default)]
pub struct SeenChains(Mutex<HashMap<String, Vec<Vec<u8>>>>);

impl SeenChains {
    fn record(&self, name: &str, chain: Vec<Vec<u8>>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(name.to_ascii_lowercase(), chain);
    }

    /// The DER chain last presented by `host` (a name or an IP, no port).
    pub fn get(&self, host: &str) -> Option<Vec<Vec<u8>>> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&host.trim_matches(['[', ']']).to_ascii_lowercase())
            .cloned()
    }
}

/// The verifier every connection uses: records the chain, accepts a pinned certificate or a
/// certificate given verbatim in a CA file, and otherwise verifies exactly as webpki does.
#[derive(Debug)]
struct PinningVerifier {
    /// `None` when no root at all could be loaded: then only pins are accepted.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// Fingerprints accepted as they are: the user's pin and every certificate of a CA file
    /// (a self-signed server certificate given "as the CA" is meant to be trusted as itself;
    /// webpki would refuse it as `CaUsedAsEndEntity`).
    exact: Vec<String>,
    /// The user's pin alone: a CA of the chain may be pinned too.
    pinned: Option<String>,
    provider: Arc<CryptoProvider>,
    seen: Arc<SeenChains>,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.as_ref().to_vec()];
        chain.extend(intermediates.iter().map(|c| c.as_ref().to_vec()));
        self.seen.record(&server_name.to_str(), chain);
        if self.exact.contains(&fingerprint(end_entity)) {
            return Ok(ServerCertVerified::assertion());
        }
        // A pinned CA of the chain becomes the only root for this handshake: names and
        // dates are still checked below it.
        if let Some(pin) = &self.pinned
            && let Some(ca) = intermediates.iter().find(|c| fingerprint(c) == *pin)
        {
            let mut roots = RootCertStore::empty();
            roots.add(ca.clone().into_owned()).map_err(|_| {
                rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
            })?;
            let v =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                    .build()
                    .map_err(|e| rustls::Error::General(e.to_string()))?;
            return v.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            );
        }
        match &self.webpki {
            Some(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The rustls configuration for a client, and the chains it will record.
pub struct BuiltTls {
    pub config: rustls::ClientConfig,
    pub seen: Arc<SeenChains>,
}

/// Builds the client TLS configuration: platform roots (rustls-native-certs reads
/// `SSL_CERT_FILE` and `SSL_CERT_DIR` when set), `BBCONNECT_CA_FILE` (`process_ca_file`), the
/// connection's own CA file, and its pin.
pub fn build(trust: &TlsTrust, process_ca_file: Option<&str>) -> Result<BuiltTls, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    let mut exact = Vec::new();
    let mut files: Vec<(String, &'static str)> = Vec::new();
    if let Some(p) = process_ca_file
        && !p.trim().is_empty()
    {
        files.push((p.to_string(), "BBCONNECT_CA_FILE"));
    }
    if let Some(p) = &trust.ca_file {
        files.push((p.clone(), "--ca-file"));
    }
    for (path, var) in &files {
        for cert in read_pem_certs(path, var)? {
            exact.push(fingerprint(&cert));
            // A leaf given as a "CA" may not parse as a trust anchor: the exact match above
            // still accepts it.
            let _ = roots.add(cert);
        }
    }
    let pinned = match &trust.pinned {
        Some(p) => {
            Some(parse_fingerprint(p).ok_or_else(|| TlsSetupError::BadFingerprint(clean(p)))?)
        }
        None => None,
    };
    exact.extend(pinned.clone());
    let webpki = if roots.is_empty() {
        None
    } else {
        Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| TlsSetupError::Rustls(e.to_string()))?,
        )
    };
    let seen = Arc::new(SeenChains::default());
    let verifier = PinningVerifier {
        webpki,
        exact,
        pinned,
        provider: provider.clone(),
        seen: seen.clone(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Rustls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(BuiltTls { config, seen })
}

/// What went wrong in the handshake, read from the typed rustls error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// webpki refused the certificate; the chain tells which way.
    UnknownIssuer,
    CaUsedAsEndEntity,
    WrongName {
        presented: Vec<String>,
    },
    Expired,
    NotYetValid,
    /// The port answered with something that is not TLS: plain http as a rule.
    NotTls,
    /// The server only speaks a version rustls refuses (TLS 1.0 / 1.1).
    OldProtocol,
    Other(String),
}

/// Finds the rustls error in an error chain. `io::Error` hides its payload from `source()`,
/// so each `io::Error` of the chain is opened with `get_ref`.
pub fn find_rustls<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur: Option<&'a (dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        // `io::Error::source` skips its payload; step into the payload itself instead.
        cur = match e.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => None,
            },
            None => e.source(),
        };
    }
    None
}

/// The failure a rustls error stands for.
pub fn tls_failure(e: &rustls::Error) -> TlsFailure {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => TlsFailure::UnknownIssuer,
            C::NotValidForName => TlsFailure::WrongName {
                presented: Vec::new(),
            },
            C::NotValidForNameContext { presented, .. } => TlsFailure::WrongName {
                presented: presented.iter().map(|p| clean(p)).collect(),
            },
            C::Expired | C::ExpiredContext { .. } => TlsFailure::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsFailure::NotYetValid,
            C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
                Some(webpki::Error::CaUsedAsEndEntity) => TlsFailure::CaUsedAsEndEntity,
                Some(webpki::Error::UnknownIssuer) => TlsFailure::UnknownIssuer,
                _ => TlsFailure::Other(clean(&e.to_string())),
            },
            _ => TlsFailure::Other(clean(&e.to_string())),
        },
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)
        | rustls::Error::InvalidMessage(rustls::InvalidMessage::UnknownProtocolVersion) => {
            TlsFailure::NotTls
        }
        rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
        | rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13,
        )
        | rustls::Error::PeerIncompatible(rustls::PeerIncompatible::Tls12NotOffered) => {
            TlsFailure::OldProtocol
        }
        other => TlsFailure::Other(clean(&other.to_string())),
    }
}

/// The words for a refused handshake, from the typed failure and the chain that was shown.
pub fn describe_tls(
    failure: &TlsFailure,
    chain: Option<PeerChain>,
    pinned: Option<&str>,
    url: &url::Url,
    host: &str,
) -> (NetKind, String, Option<PeerChain>) {
    let bare = url.host_str().unwrap_or(host).to_string();
    let leaf = chain.as_ref().and_then(|c| c.leaf().cloned());
    let cert_failure = matches!(
        failure,
        TlsFailure::UnknownIssuer
            | TlsFailure::CaUsedAsEndEntity
            | TlsFailure::WrongName { .. }
            | TlsFailure::Expired
            | TlsFailure::NotYetValid
    );
    // A pin was saved and the server shows another certificate: that first, whatever else.
    if cert_failure
        && let (Some(pin), Some(l)) = (pinned, leaf.as_ref())
        && l.fingerprint != pin
    {
        let mut chain = chain.clone();
        if let Some(c) = chain.as_mut() {
            c.trusted = Some(pin.to_string());
        }
        return (
            NetKind::CertChanged,
            format!(
                "the server's certificate changed: it presents {}, the trusted one is {pin}",
                l.fingerprint
            ),
            chain,
        );
    }
    let fp = leaf
        .as_ref()
        .map(|l| format!(", {}", l.fingerprint))
        .unwrap_or_default();
    match failure {
        TlsFailure::CaUsedAsEndEntity => (
            NetKind::SelfSigned,
            format!(
                "the server's certificate is self-signed ({}{fp})",
                leaf.as_ref().map_or("?".into(), |l| l.subject.clone())
            ),
            chain,
        ),
        TlsFailure::UnknownIssuer => match leaf.as_ref() {
            Some(l) if l.self_signed => (
                NetKind::SelfSigned,
                format!(
                    "the server's certificate is self-signed ({}{fp})",
                    l.subject
                ),
                chain,
            ),
            Some(l) => (
                NetKind::UntrustedIssuer,
                format!(
                    "the server's certificate is issued by {}, an authority this machine does not trust ({}{fp})",
                    l.issuer, l.subject
                ),
                chain,
            ),
            None => (
                NetKind::UntrustedIssuer,
                "the server's certificate is issued by an authority this machine does not trust"
                    .into(),
                chain,
            ),
        },
        TlsFailure::WrongName { presented } => {
            let names = match leaf.as_ref() {
                Some(l) if !l.names.is_empty() => l.names.clone(),
                _ => presented.clone(),
            };
            (
                NetKind::WrongName,
                format!(
                    "the certificate is for {}, not {bare}",
                    if names.is_empty() {
                        "other names".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
                chain,
            )
        }
        TlsFailure::Expired => (
            NetKind::Expired,
            format!(
                "the server's certificate expired on {}",
                leaf.as_ref().map_or("?".into(), |l| l.not_after.clone())
            ),
            chain,
        ),
        TlsFailure::NotYetValid => (
            NetKind::NotYetValid,
            format!(
                "the server's certificate is not valid until {}",
                leaf.as_ref().map_or("?".into(), |l| l.not_before.clone())
            ),
            chain,
        ),
        TlsFailure::NotTls => (
            NetKind::PlainHttp,
            "this port speaks plain http, not https".into(),
            None,
        ),
        TlsFailure::OldProtocol => (
            NetKind::OldTls,
            "the server offers only TLS 1.0/1.1, which bbconnect refuses".into(),
            None,
        ),
        TlsFailure::Other(text) => (NetKind::Tls, text.clone(), chain),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_read_as_users_paste_them() {
        let fp = fingerprint(b"x");
        assert!(fp.starts_with("SHA256:") && fp.len() == 7 + 64, "{fp}");
        assert_eq!(parse_fingerprint(&fp), Some(fp.clone()));
        let colons: String = fp.as_bytes()[7..]
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).to_lowercase())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(parse_fingerprint(&colons), Some(fp.clone()));
        assert_eq!(parse_fingerprint(&format!("sha256={colons}")), Some(fp));
        assert_eq!(parse_fingerprint("SHA256:abc"), None);
        assert_eq!(parse_fingerprint(&"Z".repeat(64)), None);
    }

    #[test]
    fn unreadable_ca_files_name_the_file_and_the_flag() {
        let e = read_pem_certs("/nonexistent/ca.pem", "--ca-file").unwrap_err();
        assert!(
            e.to_string().contains("/nonexistent/ca.pem") && e.to_string().contains("--ca-file"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let e = read_pem_certs(junk.to_str().unwrap(), "BBCONNECT_CA_FILE").unwrap_err();
        assert!(e.to_string().contains("no certificate"), "{e}");
    }

    #[test]
    fn rustls_errors_are_found_inside_io_errors() {
        let inner = rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let found = find_rustls(&io).map(tls_failure);
        assert_eq!(found, Some(TlsFailure::OldProtocol));
    }

    #[test]
    fn a_wrong_name_keeps_the_presented_names() {
        let e =
            rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("bb.corp").unwrap().to_owned(),
                presented: vec!["DnsName(\"other.corp\")".into()],
            });
        // "DnsName" in a certificate error is a certificate's name, not a DNS failure.
        assert!(matches!(tls_failure(&e), TlsFailure::WrongName { .. }));
    }

    #[test]
    fn http_bytes_where_tls_was_expected_are_not_tls() {
        let e = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        assert_eq!(tls_failure(&e), TlsFailure::NotTls);
    }

    fn leaf(fp: &str, self_signed: bool) -> crate::core::cert::CertSummary {
        crate::core::cert::CertSummary {
            subject: "CN=bb.corp".into(),
            issuer: if self_signed {
                "CN=bb.corp"
            } else {
                "CN=Corp CA"
            }
            .into(),
            names: vec!["bb.corp".into(), "git.corp".into()],
            not_before: "2020-01-01 00:00 UTC".into(),
            not_after: "2021-01-01 00:00 UTC".into(),
            fingerprint: fp.into(),
            self_signed,
            is_ca: false,
        }
    }

    #[test]
    fn handshake_failures_are_worded_from_the_typed_failure_and_the_chain() {
        let url = url::Url::parse("https://bb.example:8443/rest").unwrap();
        let chain = |ss| {
            Some(PeerChain {
                chain: vec![leaf("SHA256:AA", ss)],
                trusted: None,
                ders: Vec::new(),
            })
        };
        let d = |f: TlsFailure, ss: bool, pin: Option<&str>| {
            let (kind, text, _) = describe_tls(&f, chain(ss), pin, &url, "bb.example:8443");
            (kind, text)
        };
        assert_eq!(
            d(TlsFailure::UnknownIssuer, true, None),
            (
                NetKind::SelfSigned,
                "the server's certificate is self-signed (CN=bb.corp, SHA256:AA)".into()
            )
        );
        assert_eq!(
            d(TlsFailure::UnknownIssuer, false, None).0,
            NetKind::UntrustedIssuer
        );
        assert_eq!(
            d(TlsFailure::WrongName { presented: vec![] }, false, None).1,
            "the certificate is for bb.corp, git.corp, not bb.example"
        );
        assert_eq!(
            d(TlsFailure::Expired, false, None).1,
            "the server's certificate expired on 2021-01-01 00:00 UTC"
        );
        // A saved pin that no longer matches wins over every other reason.
        let (kind, text) = d(TlsFailure::Expired, false, Some("SHA256:BB"));
        assert_eq!(kind, NetKind::CertChanged);
        assert!(
            text.contains("SHA256:AA") && text.contains("SHA256:BB"),
            "{text}"
        );
        // Not certificate problems: never retried, and named for what they are.
        for (f, k) in [
            (TlsFailure::NotTls, NetKind::PlainHttp),
            (TlsFailure::OldProtocol, NetKind::OldTls),
        ] {
            let (kind, _) = d(f, false, Some("SHA256:BB"));
            assert_eq!(kind, k);
            assert!(!kind.transient());
        }
        for k in [
            NetKind::ProxyAuth,
            NetKind::ProxyRefused,
            NetKind::SelfSigned,
        ] {
            assert!(!k.transient(), "{k:?}");
        }
    }
}
