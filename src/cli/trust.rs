//! `connect --trust-cert / --ca-file`: what a connection trusts beyond the platform's roots,
//! and how a refused certificate is printed for the user to compare (`engine::save` saves it).

use super::usage;
use crate::bitbucket::tls::parse_fingerprint;
use crate::core::cert::{PeerChain, TlsTrust};
use crate::core::model::Problem;
use crate::core::sanitize::clean;
use crate::store::SavedConnection;

/// The trust the flags ask for, checked before anything is sent.
pub fn trust_from_args(
    trust_cert: Option<&str>,
    ca_file: Option<&str>,
) -> Result<TlsTrust, Problem> {
    let pinned = match trust_cert {
        None => None,
        Some(raw) => Some(parse_fingerprint(raw).ok_or_else(|| {
            usage(
                format!(
                    "--trust-cert: {:?} is not a SHA-256 fingerprint.",
                    clean(raw)
                ),
                "Pass it as printed in the refused check: --trust-cert SHA256:<64 hex digits>.",
            )
        })?),
    };
    let ca_file = match ca_file {
        None => None,
        // Saved as an absolute path: later commands run from anywhere.
        Some(p) => Some(
            std::fs::canonicalize(p)
                .map_err(|e| {
                    usage(
                        format!("--ca-file {}: {e}.", clean(p)),
                        "Give the path of a PEM file with the CA certificate(s).",
                    )
                })?
                .display()
                .to_string(),
        ),
    };
    Ok(TlsTrust { ca_file, pinned })
}

/// The presented chain, one fact a line, for the user to compare before trusting.
pub fn chain_lines(peer: &PeerChain) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in peer.chain.iter().enumerate() {
        let role = if i == 0 { "certificate" } else { "issued by" };
        out.push(format!("{role}: {}", clean(&c.subject)));
        out.push(format!("  issuer: {}", clean(&c.issuer)));
        if !c.names.is_empty() {
            out.push(format!("  names: {}", clean(&c.names.join(", "))));
        }
        out.push(format!("  valid: {} to {}", c.not_before, c.not_after));
        out.push(format!("  fingerprint: {}", c.fingerprint));
        if c.self_signed {
            out.push("  self-signed: yes (nobody else vouches for it)".into());
        }
    }
    if let Some(t) = &peer.trusted {
        out.push(format!("trusted before: {t}"));
    }
    out
}

/// ` cert=SHA256:… ca_file=…` for `list`.
pub fn list_suffix(c: &SavedConnection) -> String {
    let Some(t) = &c.tls else {
        return String::new();
    };
    let mut s = String::new();
    if let Some(p) = &t.pinned {
        s.push_str(&format!("  cert={p}"));
    }
    if let Some(f) = &t.ca_file {
        s.push_str(&format!("  ca_file={}", clean(f)));
    }
    s
}
