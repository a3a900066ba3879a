//! The simulator's SSH side: its Ed25519 host key, made at start, and the port its SSH
//! server listens on (reserved at start, so the clone links and `rest/ssh/latest/settings`
//! can name it before the server accepts anything).

use base64::Engine;
use sha2::Digest;

/// The host key: the Ed25519 seed and its public half.
pub(crate) struct HostKey {
    seed: [u8; 32],
    public: [u8; 32],
}

impl HostKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> std::io::Result<HostKey> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            std::io::Error::other(format!(
                "the simulator cannot make its SSH host key (no random source: {e})"
            ))
        })?;
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| {
            std::io::Error::other("the simulator cannot make its SSH host key".to_string())
        })?;
        let mut public = [0u8; 32];
        public.copy_from_slice(ring::signature::KeyPair::public_key(&pair).as_ref());
        Ok(HostKey { seed, public })
    }

    #[allow(dead_code)]
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The public key in SSH wire form (`string "ssh-ed25519", string key`).
    pub fn blob(&self) -> Vec<u8> {
        ed25519_blob(&self.public)
    }

    /// `ssh-ed25519 AAAA...`, as in `known_hosts` and `authorized_keys`.
    pub fn line(&self) -> String {
        format!(
            "ssh-ed25519 {}",
            base64::engine::general_purpose::STANDARD.encode(self.blob())
        )
    }

    /// The SHA-256 fingerprint without its `SHA256:` prefix, as DC reports it.
    pub fn fingerprint_value(&self) -> String {
        fingerprint(&self.blob())
    }
}

pub(crate) fn ed25519_blob(public: &[u8]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(51);
    put_string(&mut blob, b"ssh-ed25519");
    put_string(&mut blob, public);
    blob
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// OpenSSH's SHA-256 fingerprint of a key blob: unpadded base64, without the `SHA256:` prefix.
pub(crate) fn fingerprint(blob: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(blob))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_line_holds_its_own_blob() {
        let k = HostKey::generate().expect("key");
        let line = k.line();
        let b64 = line.strip_prefix("ssh-ed25519 ").expect("prefix");
        let blob = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        assert_eq!(blob.len(), 51);
        assert_eq!(fingerprint(&blob), k.fingerprint_value());
        assert!(!k.fingerprint_value().ends_with('='));
    }
}
