//! Certificates as plain data: what a saved connection trusts, and the chain a server
//! presented, so the store, the check report and the faces share them without TLS code.

use serde::{Deserialize, Serialize};

/// What a saved connection trusts beyond the platform's roots. Saved with the connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsTrust {
    /// A PEM file of CA certificates (or the server's own self-signed certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// `SHA256:HEX` of the one certificate the user compared and trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<String>,
}

impl TlsTrust {
    pub fn is_empty(&self) -> bool {
        self.ca_file.is_none() && self.pinned.is_none()
    }
}

/// One certificate of a presented chain, as a person compares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses of the subjectAltName extension.
    pub names: Vec<String>,
    pub not_before: String,
    pub not_after: String,
    /// `SHA256:HEX` of the DER.
    pub fingerprint: String,
    /// Issuer equals subject: nobody but the server vouches for it.
    pub self_signed: bool,
    pub is_ca: bool,
}

/// What the server presented when its certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerChain {
    /// End-entity first.
    pub chain: Vec<CertSummary>,
    /// The pin saved with the connection when the server now presents another certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted: Option<String>,
    /// The DER of each certificate, end-entity first: the one trusted is saved as PEM
    /// beside the connection. Not in JSON reports (the summaries say what matters).
    #[serde(skip)]
    pub ders: Vec<Vec<u8>>,
}

impl PeerChain {
    pub fn leaf(&self) -> Option<&CertSummary> {
        self.chain.first()
    }
}
