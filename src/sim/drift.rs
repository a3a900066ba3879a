//! What changes on a server after a connection was saved, made on purpose by a test: a
//! repository renamed or deleted, a token revoked, our webhook deleted, switched off or
//! repointed. Real servers answer the old name of a renamed repository with 404 (DC does;
//! Cloud's API as well), so renamed and deleted look alike from the saved name.

use std::collections::{HashMap, HashSet};

use super::SimState;

#[derive(Default)]
pub(crate) struct Drift {
    /// `owner/slug` (lower case) of repositories no longer under that name.
    gone: HashSet<String>,
    /// New `owner/slug` (lower case) -> the data set's slug it stands for.
    renamed: HashMap<String, String>,
    /// Secrets the server no longer accepts.
    revoked: HashSet<String>,
}

/// What to do to the webhooks of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookChange {
    Delete,
    SwitchOff,
    /// Point every hook at this URL.
    Repoint(String),
}

fn key(owner: &str, slug: &str) -> String {
    format!("{owner}/{slug}").to_ascii_lowercase()
}

impl Drift {
    pub fn rename(&mut self, owner: &str, slug: &str, new_slug: &str) {
        let data_slug = self
            .renamed
            .remove(&key(owner, slug))
            .unwrap_or_else(|| slug.to_string());
        self.gone.insert(key(owner, slug));
        self.gone.remove(&key(owner, new_slug));
        self.renamed.insert(key(owner, new_slug), data_slug);
    }

    pub fn delete(&mut self, owner: &str, slug: &str) {
        self.renamed.remove(&key(owner, slug));
        self.gone.insert(key(owner, slug));
    }

    pub fn revoke(&mut self, secret: &str) {
        self.revoked.insert(secret.to_string());
    }
}

impl SimState {
    fn drift(&self) -> std::sync::MutexGuard<'_, Drift> {
        self.drift.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The data set's slug that `owner/slug` stands for now: `None` once it was renamed away
    /// or deleted.
    pub fn live_slug(&self, owner: &str, slug: &str) -> Option<String> {
        let drift = self.drift();
        if let Some(original) = drift.renamed.get(&key(owner, slug)) {
            return Some(original.clone());
        }
        (!drift.gone.contains(&key(owner, slug))).then(|| slug.to_string())
    }

    pub fn is_revoked(&self, secret: &str) -> bool {
        self.drift().revoked.contains(secret)
    }

    pub fn change_drift(&self, change: impl FnOnce(&mut Drift)) {
        change(&mut self.drift());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_repository_answers_under_its_new_name_only() {
        let mut d = Drift::default();
        d.rename("acme", "api", "api-v2");
        assert!(d.gone.contains("acme/api"));
        assert_eq!(
            d.renamed.get("acme/api-v2").map(String::as_str),
            Some("api")
        );
        d.rename("acme", "api-v2", "api-v3");
        assert_eq!(
            d.renamed.get("acme/api-v3").map(String::as_str),
            Some("api")
        );
        d.delete("acme", "api-v3");
        assert!(d.gone.contains("acme/api-v3"));
        assert!(d.renamed.is_empty());
    }
}
