//! The SSH route's files: each connection's private key, its public key and a known_hosts file
//! of its own, in `<dir>/ssh/<name>/` (a 0700 folder; the private key 0600 from the moment it
//! exists, and refused when found more open, as the secret files are: `perms.rs`).
//!
//! A connect writes the new key to `<dir>/ssh/<name>/next/` first and proves it there; only a
//! proven, saved route replaces the key in use, so a failed `--replace` leaves the old key
//! working.
//!
//! A key the server refused to register (the credential is no repository admin) waits in
//! `<dir>/ssh/<name>/pending/<slot>/`, one slot per target (server, SSH host, repository, as
//! the engine words it), so the next connect of that name and target offers the same key an
//! admin may have pasted meanwhile, and a refusal for another repository never replaces it.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use super::fsutil::{self, atomic_write, ensure_private_dir, io_err};
use super::perms::{self, Kind};
use super::{Store, StoreError, validate_name};

const PRIVATE: &str = "id_ed25519";
const PUBLIC: &str = "id_ed25519.pub";
const KNOWN_HOSTS: &str = "known_hosts";
const NEXT: &str = "next";
const PENDING: &str = "pending";
/// What a pending key was made for, as the engine words it; a key is offered only to that.
const PENDING_FOR: &str = "for";

/// Where one set of a connection's SSH files lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshFiles {
    pub key: PathBuf,
    pub public_key: PathBuf,
    pub known_hosts: PathBuf,
}

impl SshFiles {
    fn in_dir(dir: &Path) -> SshFiles {
        SshFiles {
            key: dir.join(PRIVATE),
            public_key: dir.join(PUBLIC),
            known_hosts: dir.join(KNOWN_HOSTS),
        }
    }
}

impl Store {
    fn ssh_dir(&self, name: &str) -> PathBuf {
        self.dir.join("ssh").join(name)
    }

    /// The folder of the key pair kept for `target`: named by a digest, since a target names
    /// URLs that are no file names.
    fn pending_dir(&self, name: &str, target: &str) -> PathBuf {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(target.as_bytes());
        let slot: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        self.ssh_dir(name).join(PENDING).join(slot)
    }

    /// The files of the key in use for connection `name`.
    pub fn ssh_files(&self, name: &str) -> SshFiles {
        SshFiles::in_dir(&self.ssh_dir(name))
    }

    /// Where a connect writes a new key before it is proven and saved.
    pub fn ssh_next_files(&self, name: &str) -> SshFiles {
        SshFiles::in_dir(&self.ssh_dir(name).join(NEXT))
    }

    /// Writes a new key set for `name` (the private key owner-only) in the `next` folder.
    pub fn write_next_ssh_files(
        &self,
        name: &str,
        private_key: &SecretString,
        public_key: &str,
        known_hosts: &str,
    ) -> Result<SshFiles, StoreError> {
        validate_name(name)?;
        let files = self.ssh_next_files(name);
        fsutil::ensure_dir(&self.dir, Kind::ConfigFolder)?;
        ensure_private_dir(&self.dir.join("ssh"))?;
        ensure_private_dir(&self.ssh_dir(name))?;
        ensure_private_dir(&self.ssh_dir(name).join(NEXT))?;
        atomic_write(&files.key, private_key.expose_secret().as_bytes())?;
        atomic_write(&files.public_key, format!("{public_key}\n").as_bytes())?;
        atomic_write(&files.known_hosts, known_hosts.as_bytes())?;
        Ok(files)
    }

    /// Makes the proven `next` key set the one in use (each file renamed over the old one).
    pub fn promote_next_ssh_files(&self, name: &str) -> Result<SshFiles, StoreError> {
        validate_name(name)?;
        let next = self.ssh_next_files(name);
        let now = self.ssh_files(name);
        // The private key last: until it moves, ssh keeps using the old pair and host key.
        for (from, to) in [
            (&next.known_hosts, &now.known_hosts),
            (&next.public_key, &now.public_key),
            (&next.key, &now.key),
        ] {
            fs::rename(from, to).map_err(|e| io_err("replace", to, e))?;
        }
        let _ = fs::remove_dir(self.ssh_dir(name).join(NEXT));
        Ok(now)
    }

    /// Deletes a `next` key set that was not kept (the proof or the save failed).
    pub fn discard_next_ssh_files(&self, name: &str) {
        let dir = self.ssh_dir(name).join(NEXT);
        if let Err(e) = fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(connection = %name, error = %e, "a new SSH key that was not kept was not removed");
        }
    }

    /// The public key in use (`ssh-ed25519 AAAA... bbconnect NAME`), if the connection has one.
    pub fn ssh_public_key(&self, name: &str) -> Result<Option<String>, StoreError> {
        validate_name(name)?;
        let path = self.ssh_files(name).public_key;
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text.trim().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("read the public key", &path, e)),
        }
    }

    /// The private key in use, refused when its file or folder is open to others (ssh itself
    /// would refuse the key, and it may already have been copied).
    pub fn ssh_private_key(&self, name: &str) -> Result<Option<SecretString>, StoreError> {
        validate_name(name)?;
        perms::check_if_present(&self.ssh_dir(name), Kind::SecretsFolder)?;
        read_private_key(&self.ssh_files(name).key)
    }

    /// Keeps a key pair the server refused to register, for `target` only (the private key
    /// owner-only, as the key in use): the manual path's key until a connect saves it.
    pub fn keep_pending_ssh_key(
        &self,
        name: &str,
        target: &str,
        private_key: &SecretString,
        public_key: &str,
    ) -> Result<(), StoreError> {
        validate_name(name)?;
        let dir = self.pending_dir(name, target);
        fsutil::ensure_dir(&self.dir, Kind::ConfigFolder)?;
        ensure_private_dir(&self.dir.join("ssh"))?;
        ensure_private_dir(&self.ssh_dir(name))?;
        ensure_private_dir(&self.ssh_dir(name).join(PENDING))?;
        ensure_private_dir(&dir)?;
        let files = SshFiles::in_dir(&dir);
        atomic_write(&files.key, private_key.expose_secret().as_bytes())?;
        atomic_write(&files.public_key, format!("{public_key}\n").as_bytes())?;
        // Written last: a half-kept pair is never offered.
        atomic_write(&dir.join(PENDING_FOR), target.as_bytes())
    }

    /// The pending key pair of `name` (private, public) when it was kept for exactly `target`.
    pub fn pending_ssh_key(
        &self,
        name: &str,
        target: &str,
    ) -> Result<Option<(SecretString, String)>, StoreError> {
        validate_name(name)?;
        let dir = self.pending_dir(name, target);
        let kept_for = match fs::read_to_string(dir.join(PENDING_FOR)) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("read", &dir.join(PENDING_FOR), e)),
        };
        if kept_for != target {
            return Ok(None);
        }
        for folder in [&self.ssh_dir(name), &self.ssh_dir(name).join(PENDING), &dir] {
            perms::check_if_present(folder, Kind::SecretsFolder)?;
        }
        let files = SshFiles::in_dir(&dir);
        let Some(private) = read_private_key(&files.key)? else {
            return Ok(None);
        };
        match fs::read_to_string(&files.public_key) {
            Ok(public) => Ok(Some((private, public.trim().to_string()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("read the public key", &files.public_key, e)),
        }
    }

    /// Deletes the key pair of `name` kept for `target` (its route was saved).
    pub fn discard_pending_ssh_key(&self, name: &str, target: &str) {
        let dir = self.pending_dir(name, target);
        if let Err(e) = fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(connection = %name, error = %e, "a pending SSH key that was saved was not removed");
        }
        // Gone only when no other target's key waits there.
        let _ = fs::remove_dir(self.ssh_dir(name).join(PENDING));
    }

    /// Deletes every SSH file of connection `name` (removing it, or its SSH route).
    pub fn remove_ssh_files(&self, name: &str) {
        let dir = self.ssh_dir(name);
        if let Err(e) = fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(connection = %name, error = %e, "the connection's SSH key was not removed");
        }
    }
}

/// A private key file, refused when others can read it; `None` when there is none.
fn read_private_key(path: &Path) -> Result<Option<SecretString>, StoreError> {
    let mut file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("open the private key", path, e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| io_err("read the mode of", path, e))?;
    perms::check(path, &meta, Kind::SecretFile)?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(|e| {
        io_err(
            "read the private key",
            path,
            std::io::Error::new(e.kind(), "the file is not UTF-8 text"),
        )
    })?;
    Ok(Some(SecretString::from(text)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{NoKeychain, SecretStoreMode};

    fn store(dir: &Path) -> Store {
        Store::open_with_keychain(
            Some(dir.into()),
            SecretStoreMode::File,
            Arc::new(NoKeychain),
        )
        .expect("open")
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).expect("meta").permissions().mode() & 0o777
    }

    #[test]
    fn a_new_key_is_owner_only_and_replaces_the_old_only_when_promoted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(dir.path());
        let key = SecretString::from("-----BEGIN OPENSSH PRIVATE KEY-----\nold\n".to_string());
        s.write_next_ssh_files("ci", &key, "ssh-ed25519 AAAAold bbconnect ci", "h k\n")
            .expect("write");
        assert_eq!(
            s.ssh_public_key("ci").expect("read"),
            None,
            "not in use yet"
        );
        let files = s.promote_next_ssh_files("ci").expect("promote");
        #[cfg(unix)]
        {
            assert_eq!(mode(&files.key), 0o600);
            assert_eq!(mode(files.key.parent().expect("dir")), 0o700);
        }
        let newer = SecretString::from("-----BEGIN OPENSSH PRIVATE KEY-----\nnew\n".to_string());
        s.write_next_ssh_files("ci", &newer, "ssh-ed25519 AAAAnew bbconnect ci", "h k2\n")
            .expect("write");
        s.discard_next_ssh_files("ci");
        assert_eq!(
            s.ssh_public_key("ci").expect("read").as_deref(),
            Some("ssh-ed25519 AAAAold bbconnect ci"),
            "a discarded key leaves the one in use"
        );
        assert!(
            s.ssh_private_key("ci")
                .expect("read")
                .expect("present")
                .expose_secret()
                .contains("old")
        );
        s.remove_ssh_files("ci");
        assert_eq!(s.ssh_public_key("ci").expect("read"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_private_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(dir.path());
        let key = SecretString::from("k".to_string());
        s.write_next_ssh_files("ci", &key, "p", "h").expect("write");
        let files = s.promote_next_ssh_files("ci").expect("promote");
        fs::set_permissions(&files.key, fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = s.ssh_private_key("ci").expect_err("exposed");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn a_pending_key_is_offered_only_for_what_it_was_kept_for_and_owner_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(dir.path());
        let key = SecretString::from("-----BEGIN OPENSSH PRIVATE KEY-----\np\n".to_string());
        s.keep_pending_ssh_key(
            "ci",
            "server a\nrepo r",
            &key,
            "ssh-ed25519 AAAAp bbconnect ci",
        )
        .expect("keep");
        assert!(
            s.pending_ssh_key("ci", "server b\nrepo r")
                .expect("read")
                .is_none(),
            "another server's key is never offered"
        );
        let other = SecretString::from("-----BEGIN OPENSSH PRIVATE KEY-----\nq\n".to_string());
        s.keep_pending_ssh_key(
            "ci",
            "server a\nrepo q",
            &other,
            "ssh-ed25519 AAAAq bbconnect ci",
        )
        .expect("keep another repository's");
        let (private, public) = s
            .pending_ssh_key("ci", "server a\nrepo r")
            .expect("read")
            .expect("kept");
        assert_eq!(public, "ssh-ed25519 AAAAp bbconnect ci");
        assert!(private.expose_secret().contains("\np\n"));
        assert_eq!(s.ssh_public_key("ci").expect("read"), None, "not in use");
        #[cfg(unix)]
        assert_eq!(
            mode(&s.pending_dir("ci", "server a\nrepo r").join(PRIVATE)),
            0o600,
            "owner-only as the key in use"
        );
        s.discard_pending_ssh_key("ci", "server a\nrepo r");
        assert!(
            s.pending_ssh_key("ci", "server a\nrepo r")
                .expect("read")
                .is_none()
        );
        assert_eq!(
            s.pending_ssh_key("ci", "server a\nrepo q")
                .expect("read")
                .map(|(_, public)| public)
                .as_deref(),
            Some("ssh-ed25519 AAAAq bbconnect ci"),
            "another repository's key stays kept"
        );
    }
}
