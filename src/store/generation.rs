//! Secret keys: every save writes each secret under a fresh key, `NAME#<16 hex>` for the
//! connection's secret and `NAME#webhook-<16 hex>` for its webhook's, the same string as the
//! keychain account and as the file name. The connections file names the key, so the rename
//! that commits the file is also what switches URL, user and secret together: a writer killed
//! before it leaves the old trio intact (the new secret is an orphan), killed after it leaves
//! the new trio (the old secret is an orphan), and orphans are swept under the next lock.
//!
//! Files written before keys existed keep their secrets under the bare name (`NAME`, and
//! `NAME#webhook` in the keychain); `#` is not allowed in names, so no shape can be mistaken
//! for another connection's.

use super::error::StoreError;
use super::format::validate_name;

/// Which of a connection's two secrets a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    Connection,
    Webhook,
}

const ID_HEX: usize = 16;
const WEBHOOK_TAG: &str = "webhook-";
/// The keychain account of a webhook secret saved before keys existed.
const LEGACY_WEBHOOK_SUFFIX: &str = "#webhook";

/// A fresh key for `name`'s secret of `role`: 64 random bits, so two saves never share one.
pub(crate) fn new_key(name: &str, role: Role) -> Result<String, StoreError> {
    let mut bytes = [0u8; ID_HEX / 2];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Io {
        action: "draw a random key for",
        path: format!("the secret of `{name}`").into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(match role {
        Role::Connection => format!("{name}#{id}"),
        Role::Webhook => format!("{name}#{WEBHOOK_TAG}{id}"),
    })
}

/// The keychain account of a webhook secret saved before keys existed.
pub(crate) fn legacy_webhook_account(name: &str) -> String {
    format!("{name}{LEGACY_WEBHOOK_SUFFIX}")
}

/// Whether `key` is a key this build writes for `name`'s secret of `role`.
pub(crate) fn is_generation_of(key: &str, name: &str, role: Role) -> bool {
    let Some(rest) = key.strip_prefix(name).and_then(|r| r.strip_prefix('#')) else {
        return false;
    };
    let id = match role {
        Role::Connection => rest,
        Role::Webhook => match rest.strip_prefix(WEBHOOK_TAG) {
            Some(id) => id,
            None => return false,
        },
    };
    id.len() == ID_HEX && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The connection a stored key (file name or keychain account) belongs to, when it has one of
/// the shapes bbconnect writes; anything else is not ours and is left alone.
pub(crate) fn owner_of(key: &str) -> Option<&str> {
    let name = key.split('#').next().unwrap_or(key);
    validate_name(name).ok()?;
    let ours = key == name
        || key == legacy_webhook_account(name)
        || is_generation_of(key, name, Role::Connection)
        || is_generation_of(key, name, Role::Webhook);
    ours.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_keys_are_distinct_and_recognised_for_their_name_and_role_only() {
        let a = new_key("work", Role::Connection).expect("key");
        let b = new_key("work", Role::Connection).expect("key");
        let h = new_key("work", Role::Webhook).expect("key");
        assert_ne!(a, b);
        assert!(
            a.starts_with("work#") && h.starts_with("work#webhook-"),
            "{a} {h}"
        );
        assert!(is_generation_of(&a, "work", Role::Connection));
        assert!(!is_generation_of(&a, "work", Role::Webhook));
        assert!(is_generation_of(&h, "work", Role::Webhook));
        assert!(!is_generation_of(&h, "work", Role::Connection));
        assert!(!is_generation_of(&a, "wor", Role::Connection));
        assert!(!is_generation_of(&a, "work2", Role::Connection));
        for k in [&a, &h] {
            assert_eq!(owner_of(k), Some("work"));
        }
    }

    #[test]
    fn only_our_shapes_have_an_owner() {
        assert_eq!(owner_of("work"), Some("work"));
        assert_eq!(owner_of("work#webhook"), Some("work"));
        for not_ours in [
            "",
            ".tmp-abc",
            "work#",
            "work#xyz",
            "work#0123456789ABCDEF",
            "work#0123456789abcdef0",
            "../x#0123456789abcdef",
            "work#webhook-123",
            "README",
        ] {
            let shape_ok = not_ours == "README";
            assert_eq!(owner_of(not_ours).is_some(), shape_ok, "{not_ours:?}");
        }
        assert!(!is_generation_of("work#../../x", "work", Role::Connection));
    }
}
