//! A real TLS server on loopback in front of the simulator: rustls with certificates made
//! here by rcgen (self-signed, or a private CA and a leaf it signs). The certificate can be
//! swapped while it runs, as a server's is when it is renewed or intercepted.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

/// A certificate with its key, as the server presents it.
#[derive(Clone)]
pub struct ServerCert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key_der: Vec<u8>,
    /// PEM of the leaf.
    pub leaf_pem: String,
}

impl ServerCert {
    /// `SHA256:HEX` of the leaf, computed here rather than with bbconnect's function.
    pub fn fingerprint(&self) -> String {
        let d = ring::digest::digest(&ring::digest::SHA256, &self.chain[0]);
        let hex: String = d.as_ref().iter().map(|b| format!("{b:02X}")).collect();
        format!("SHA256:{hex}")
    }
}

/// `(year, month, day)` of not-before and not-after.
pub type Validity = ((i32, u8, u8), (i32, u8, u8));

/// A private certificate authority.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// The CA's own certificate, as a pin of the chain's root names it.
    pub fn der(&self) -> &CertificateDer<'static> {
        self.issuer.der()
    }

    /// A leaf for `names`, signed by this CA.
    pub fn leaf(&self, names: &[&str]) -> ServerCert {
        self.leaf_dated(names, None)
    }

    /// A leaf for `names` valid only between `dates` (rcgen's default span without).
    pub fn leaf_dated(&self, names: &[&str], dates: Option<Validity>) -> ServerCert {
        let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
        p.distinguished_name.push(DnType::CommonName, names[0]);
        if let Some(((y1, m1, d1), (y2, m2, d2))) = dates {
            p.not_before = date_time_ymd(y1, m1, d1);
            p.not_after = date_time_ymd(y2, m2, d2);
        }
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        ServerCert {
            chain: vec![cert.der().clone()],
            key_der: key.serialize_der(),
            leaf_pem: cert.pem(),
        }
    }
}

/// Self-signed for `names`: CA:TRUE (as `openssl req -x509` makes by default) or an
/// end-entity (no basicConstraints, rcgen's default).
pub fn self_signed(names: &[&str], ca: bool) -> ServerCert {
    let mut p =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name.push(DnType::CommonName, names[0]);
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    ServerCert {
        chain: vec![cert.der().clone()],
        key_der: key.serialize_der(),
        leaf_pem: cert.pem(),
    }
}

pub fn server_config(cert: &ServerCert) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            cert.chain.clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone())),
        )
        .unwrap();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

/// Terminates TLS with the current certificate and forwards the plain bytes to `upstream`.
pub struct TlsFront {
    pub addr: SocketAddr,
    cert: Arc<Mutex<Arc<rustls::ServerConfig>>>,
}

impl TlsFront {
    pub async fn start(cert: &ServerCert, upstream: SocketAddr) -> TlsFront {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let current = Arc::new(Mutex::new(server_config(cert)));
        let shared = current.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let cfg = shared.lock().unwrap().clone();
                tokio::spawn(async move {
                    let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    if let Ok(mut up) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                    }
                });
            }
        });
        TlsFront {
            addr,
            cert: current,
        }
    }

    /// The server presents `cert` from the next connection on.
    pub fn swap(&self, cert: &ServerCert) {
        *self.cert.lock().unwrap() = server_config(cert);
    }

    /// `https://localhost:PORT`: the name the test certificates are made for.
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }
}
