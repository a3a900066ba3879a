//! What ssh does with a private key: a secret file or folder that others could read or change
//! is refused, with the exact `chmod` to run, never used silently and never repaired behind the
//! user's back. Repairing would hide that the token may already have been copied (a 0644 file
//! is readable by every account on the machine, and a warning on stderr is easy to miss in a
//! script); refusing makes the user look, decide whether to revoke it, and fix the mode.
//!
//! The same for what decides where a token goes: a connections file or config folder others
//! can write lets them point your token at their host, so it is refused too. Readable by others
//! is fine there (no secret lives in it; a user may share the folder on purpose).

use std::fs::Metadata;
use std::path::Path;

use super::error::StoreError;

/// What a checked path is, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    SecretFile,
    SecretsFolder,
    ConnectionsFile,
    ConfigFolder,
}

impl Kind {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::SecretFile => "secret file",
            Kind::SecretsFolder => "secrets folder",
            Kind::ConnectionsFile => "connections file",
            Kind::ConfigFolder => "configuration folder",
        }
    }

    /// Group/other bits that make it unsafe, and the mode to set instead.
    #[cfg(unix)]
    fn rule(self) -> (u32, &'static str) {
        match self {
            Kind::SecretFile => (0o077, "600"),
            Kind::SecretsFolder => (0o077, "700"),
            Kind::ConnectionsFile | Kind::ConfigFolder => (0o022, "go-w"),
        }
    }
}

/// Checks `meta` (of `path`, already opened or looked up: no second lookup to race with).
#[cfg(unix)]
pub(crate) fn check(path: &Path, meta: &Metadata, kind: Kind) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt;
    let (forbidden, fixed) = kind.rule();
    let mode = meta.mode() & 0o7777;
    if mode & forbidden != 0 {
        let open = mode & forbidden;
        let access = match (open & 0o044 != 0, open & 0o022 != 0) {
            (true, true) => "readable and writable",
            (true, false) => "readable",
            _ if open & 0o022 != 0 => "writable",
            _ => "accessible",
        };
        let whom = if open & 0o007 == 0 {
            "its group"
        } else {
            "other users"
        };
        return Err(StoreError::Exposed {
            kind: kind.label(),
            path: path.to_path_buf(),
            problem: format!("{access} by {whom} (mode {:04o})", mode & 0o777),
            fix: format!("chmod {fixed} {}", shell_quoted(path)),
            may_be_copied: kind == Kind::SecretFile && mode & 0o044 != 0,
        });
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let owner = meta.uid();
    // Root may own it (a system-wide config dir): root can change anything anyway.
    if owner != me && owner != 0 {
        return Err(StoreError::Exposed {
            kind: kind.label(),
            path: path.to_path_buf(),
            problem: format!("owned by another user (uid {owner})"),
            fix: format!("chown {me} {}", shell_quoted(path)),
            may_be_copied: kind == Kind::SecretFile,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn check(_path: &Path, _meta: &Metadata, _kind: Kind) -> Result<(), StoreError> {
    // Windows ACLs are not modes; the profile directory is private by default.
    Ok(())
}

/// Checks `path` when it exists; an absent path is fine (it is created private when needed).
pub(crate) fn check_if_present(path: &Path, kind: Kind) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) => check(path, &meta, kind),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(super::fsutil::io_err("read the mode of", path, e)),
    }
}

/// A path as the user would type it in a shell (quoted when it needs to be).
fn shell_quoted(path: &Path) -> String {
    let text = crate::core::sanitize::clean(&path.display().to_string());
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:@,#".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn verdict(mode: u32, kind: Kind) -> Result<(), StoreError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x y");
        std::fs::write(&p, "").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let meta = std::fs::metadata(&p).expect("meta");
        check(&p, &meta, kind)
    }

    #[test]
    fn secrets_must_be_owner_only_and_config_not_writable_by_others() {
        assert!(verdict(0o600, Kind::SecretFile).is_ok());
        assert!(verdict(0o400, Kind::SecretFile).is_ok());
        for bad in [0o640, 0o604, 0o620, 0o602, 0o644, 0o666] {
            assert!(verdict(bad, Kind::SecretFile).is_err(), "{bad:o}");
        }
        assert!(verdict(0o700, Kind::SecretsFolder).is_ok());
        assert!(verdict(0o750, Kind::SecretsFolder).is_err());
        assert!(verdict(0o644, Kind::ConnectionsFile).is_ok());
        assert!(verdict(0o664, Kind::ConnectionsFile).is_err());
        assert!(verdict(0o755, Kind::ConfigFolder).is_ok());
        assert!(verdict(0o777, Kind::ConfigFolder).is_err());
    }

    #[test]
    fn the_message_names_the_file_and_the_exact_chmod() {
        let err = verdict(0o644, Kind::SecretFile).expect_err("refused");
        let text = err.to_string();
        assert!(text.contains("secret file"), "{text}");
        assert!(
            text.contains("readable by other users (mode 0644)"),
            "{text}"
        );
        assert!(
            text.contains("chmod 600 '"),
            "quoted, the name has a space: {text}"
        );
        assert!(text.contains("revoking"), "{text}");
        let err = verdict(0o666, Kind::ConnectionsFile).expect_err("refused");
        assert!(err.to_string().contains("chmod go-w"), "{err}");
        assert!(!err.to_string().contains("revoking"), "{err}");
    }
}
