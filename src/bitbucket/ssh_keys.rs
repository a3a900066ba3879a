//! The SSH route's API calls (docs/bitbucket.md section 7): a read-only key on one repository
//! (DC repository access key with REPO_READ, Cloud deploy key), listed, found and deleted;
//! DC's SSH settings (host, port, host key fingerprint); Cloud's published host keys. Body
//! building and parsing are pure; the `Client` methods fetch.

use reqwest::Method;
use serde_json::{Value, json};

use super::Client;
use super::http::{Auth, HttpError};
use super::urls;
use crate::core::model::{FailureClass, Problem, Provider};
use crate::core::sanitize::clean;
use crate::core::ssh::manual_key_page;

/// A key registered on the repository, as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteKey {
    pub id: String,
    pub label: String,
    /// `TYPE BASE64 [comment]`.
    pub text: String,
}

impl RemoteKey {
    /// Whether this is `public_key` (the comment aside).
    pub fn is(&self, public_key: &str) -> bool {
        key_material(&self.text) == key_material(public_key)
    }
}

/// `TYPE BASE64` of a public key line, without its comment.
fn key_material(text: &str) -> String {
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// DC's `/rest/ssh/latest/settings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcSshSettings {
    pub enabled: bool,
    pub access_keys_enabled: bool,
    pub base_url: Option<String>,
    pub port: Option<u16>,
    /// `SHA256:...` when the server names a SHA-256 fingerprint.
    pub fingerprint: Option<String>,
}

/// The create body of each product: DC a REPO_READ access key, Cloud a deploy key (always
/// read-only).
pub fn key_body(provider: Provider, public_key: &str, label: &str) -> Value {
    match provider {
        Provider::Server => json!({
            "key": {"text": public_key, "label": label},
            "permission": "REPO_READ",
        }),
        Provider::Cloud => json!({"key": public_key, "label": label}),
    }
}

fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A key object of either product (DC: the access key, its key under `key`).
pub fn parse_key(provider: Provider, v: &Value) -> Option<RemoteKey> {
    let (id, label, text) = match provider {
        Provider::Server => {
            let k = v.get("key")?;
            (k.get("id")?, k.get("label"), k.get("text")?)
        }
        Provider::Cloud => (v.get("id")?, v.get("label"), v.get("key")?),
    };
    Some(RemoteKey {
        id: clean(&id_of(id)?),
        label: clean(label.and_then(Value::as_str).unwrap_or_default()),
        text: clean(text.as_str()?),
    })
}

/// `SHA256:value` from DC's `{algorithm, value}` (the value comes with or without the prefix,
/// and with or without base64 padding); `None` for another algorithm.
pub fn dc_fingerprint(v: &Value) -> Option<String> {
    let algorithm = v
        .get("algorithm")
        .and_then(Value::as_str)
        .unwrap_or("SHA256");
    let value = v.get("value")?.as_str()?.trim();
    let value = value.strip_prefix("SHA256:").unwrap_or(value);
    let normalized = algorithm.replace('-', "").eq_ignore_ascii_case("SHA256");
    (normalized && !value.is_empty())
        .then(|| format!("SHA256:{}", clean(value.trim_end_matches('='))))
}

pub fn parse_dc_settings(v: &Value) -> DcSshSettings {
    DcSshSettings {
        enabled: v.get("enabled").and_then(Value::as_bool).unwrap_or(false),
        access_keys_enabled: v
            .get("accessKeysEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        base_url: v.get("baseUrl").and_then(Value::as_str).map(clean),
        port: v
            .get("port")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok()),
        fingerprint: v.get("fingerprint").and_then(dc_fingerprint),
    }
}

/// Registering, listing or deleting keys needs repository admin on both products: said like
/// the webhook's admin check, with the manual path (the key to paste, the page to paste it on).
pub fn keys_problem(client: &Client, err: &HttpError, repo: &str, public_key: &str) -> Problem {
    let provider = client.spec().provider;
    let admin_refusal = match err {
        HttpError::Status {
            status: 403, body, ..
        } => provider == Provider::Cloud || body.required.is_empty(),
        HttpError::Status {
            status: 401, body, ..
        } => provider == Provider::Server && body.is_dc_authorisation(),
        _ => false,
    };
    let base = client.problem(err);
    if !admin_refusal && base.class != FailureClass::Permission {
        return base;
    }
    admin_needed(provider, &client.inner().web, repo, public_key)
}

/// The repository-admin explanation with the manual path.
pub fn admin_needed(provider: Provider, web: &str, repo: &str, public_key: &str) -> Problem {
    let (what, who) = match provider {
        Provider::Server => (
            "Registering a repository access key needs repository admin rights (REPO_ADMIN), which this credential lacks.",
            "Use a token with REPO_ADMIN (it can be lowered to REPO_READ afterwards)",
        ),
        Provider::Cloud => (
            "Registering a deploy key needs repository admin rights, which this credential lacks.",
            "Use a credential of a repository admin (API token scope admin:repository:bitbucket, OAuth repository:admin)",
        ),
    };
    Problem::new(
        FailureClass::Permission,
        what,
        format!(
            "{who}, or ask a repository admin to add this key on {} with read access only:\n  {}\nthen retry with the same connection name and repository: the retry uses this same key and finishes once git over SSH works with it.",
            manual_key_page(provider, web, repo),
            public_key.trim()
        ),
    )
}

fn split(repo: &str) -> Result<(String, String), Problem> {
    urls::split_repo(Some(repo)).ok_or_else(|| {
        Problem::new(
            FailureClass::Input,
            format!("`{}` is not a repository name.", clean(repo)),
            "Give it as WORKSPACE/SLUG (Cloud) or PROJECTKEY/SLUG (Server).",
        )
    })
}

fn keys_url(client: &Client, owner: &str, slug: &str, id: Option<&str>) -> String {
    let api = &client.inner().api;
    let mut segs: Vec<&str> = match client.spec().provider {
        Provider::Cloud => vec!["repositories", owner, slug, "deploy-keys"],
        Provider::Server => vec![
            "rest", "keys", "latest", "projects", owner, "repos", slug, "ssh",
        ],
    };
    if let Some(id) = id {
        segs.push(id);
    }
    urls::build(api, &segs, &[])
}

impl Client {
    /// Registers `public_key` read-only on `repo` (`WS/SLUG` or `KEY/SLUG`).
    pub async fn register_ssh_key(
        &self,
        repo: &str,
        public_key: &str,
        label: &str,
    ) -> Result<RemoteKey, Problem> {
        self.guard_transport()?;
        let (owner, slug) = split(repo)?;
        let provider = self.spec().provider;
        let url = keys_url(self, &owner, &slug, None);
        let resp = self
            .send(
                Method::POST,
                &url,
                Some(&key_body(provider, public_key, label)),
            )
            .await
            .map_err(|e| keys_problem(self, &e, repo, public_key))?;
        parse_key(provider, &resp.body).ok_or_else(|| {
            Problem::new(
                FailureClass::Other,
                "The server accepted the SSH key but did not return it.",
                "Check the repository's access keys; running connect --replace removes a stray key of ours.",
            )
        })
    }

    /// Every key on the repository, across pages.
    pub async fn list_ssh_keys(&self, repo: &str) -> Result<Vec<RemoteKey>, Problem> {
        self.guard_transport()?;
        let (owner, slug) = split(repo)?;
        let provider = self.spec().provider;
        let base = keys_url(self, &owner, &slug, None);
        self.get_every_page(&base, |v| parse_key(provider, v))
            .await
            .map_err(|e| keys_problem(self, &e, repo, ""))
    }

    /// The key with this id, or `None` when it is gone from the repository.
    pub async fn find_ssh_key(&self, repo: &str, id: &str) -> Result<Option<RemoteKey>, Problem> {
        self.guard_transport()?;
        let (owner, slug) = split(repo)?;
        match self
            .get(&keys_url(self, &owner, &slug, Some(id)), true, None)
            .await
        {
            Ok(resp) => Ok(parse_key(self.spec().provider, &resp.body)),
            Err(HttpError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(keys_problem(self, &e, repo, "")),
        }
    }

    /// Deletes the key; `Ok(false)` when it was already gone.
    pub async fn delete_ssh_key(&self, repo: &str, id: &str) -> Result<bool, Problem> {
        self.guard_transport()?;
        let (owner, slug) = split(repo)?;
        let url = keys_url(self, &owner, &slug, Some(id));
        match self.send(Method::DELETE, &url, None).await {
            Ok(_) => Ok(true),
            Err(HttpError::Status { status: 404, .. }) => Ok(false),
            Err(e) => Err(keys_problem(self, &e, repo, "")),
        }
    }

    /// DC's SSH settings: whether SSH and access keys are on, and the host key to pin.
    pub async fn dc_ssh_settings(&self) -> Result<DcSshSettings, Problem> {
        self.guard_transport()?;
        let url = urls::build(
            &self.inner().api,
            &["rest", "ssh", "latest", "settings"],
            &[],
        );
        let resp = self
            .get(&url, true, None)
            .await
            .map_err(|e| self.problem(&e))?;
        Ok(parse_dc_settings(&resp.body))
    }

    /// Cloud's host keys in known_hosts form, from `{web}/site/ssh`. For bitbucket.org the
    /// caller keeps only the keys whose fingerprints Atlassian publishes; for an overridden
    /// Cloud URL (the user's own trust decision) what it serves.
    pub async fn cloud_host_keys(&self) -> Result<String, Problem> {
        let url = urls::build(&self.inner().web, &["site", "ssh"], &[]);
        let resp = self
            .inner()
            .http
            .get_bytes(&url, &Auth::None, None)
            .await
            .map_err(|e| self.problem(&e))?;
        String::from_utf8(resp.body).map_err(|_| {
            Problem::new(
                FailureClass::Other,
                format!("{url} did not answer with host keys (not text)."),
                "Check the Cloud URL; bitbucket.org/site/ssh lists the host keys in known_hosts form.",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOvvTn8v4tXfyJmJ7kK6pFfvM3o7bR9Sx0rWq6qz2Ylm bbconnect ci";

    #[test]
    fn bodies_ask_for_read_only_on_each_product() {
        let d = key_body(Provider::Server, KEY, "bbconnect ci");
        assert_eq!(d["permission"], "REPO_READ");
        assert_eq!(d["key"]["text"], KEY);
        assert_eq!(d["key"]["label"], "bbconnect ci");
        let c = key_body(Provider::Cloud, KEY, "bbconnect ci");
        assert_eq!(c["key"], KEY);
        assert_eq!(c["label"], "bbconnect ci");
        assert!(c.get("permission").is_none());
    }

    #[test]
    fn keys_parse_on_both_products_and_compare_without_comment() {
        let d = parse_key(
            Provider::Server,
            &json!({"key": {"id": 7, "text": KEY, "label": "bbconnect ci"}, "permission": "REPO_READ"}),
        )
        .expect("dc");
        assert_eq!(d.id, "7");
        let c = parse_key(
            Provider::Cloud,
            &json!({"type":"deploy_key","id": 12, "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOvvTn8v4tXfyJmJ7kK6pFfvM3o7bR9Sx0rWq6qz2Ylm", "label": "x"}),
        )
        .expect("cloud");
        assert_eq!(c.id, "12");
        assert!(c.is(KEY), "the comment is not part of the key");
        assert!(parse_key(Provider::Cloud, &json!({"key": KEY})).is_none());
    }

    #[test]
    fn dc_settings_fingerprints_normalise() {
        let s = parse_dc_settings(&json!({
            "enabled": true, "accessKeysEnabled": true, "baseUrl": "ssh://bb:7999", "port": 7999,
            "fingerprint": {"algorithm": "SHA256", "value": "abcDEF+/x="}
        }));
        assert_eq!(s.fingerprint.as_deref(), Some("SHA256:abcDEF+/x"));
        assert_eq!(s.port, Some(7999));
        assert!(s.enabled && s.access_keys_enabled);
        assert_eq!(
            dc_fingerprint(&json!({"algorithm":"SHA-256","value":"SHA256:q"})).as_deref(),
            Some("SHA256:q")
        );
        assert_eq!(
            dc_fingerprint(&json!({"algorithm":"MD5","value":"aa:bb"})),
            None
        );
    }

    #[test]
    fn the_admin_explanation_gives_the_key_and_the_page() {
        let p = admin_needed(Provider::Server, "https://bb.example.com", "WEB/site", KEY);
        assert_eq!(p.class, FailureClass::Permission);
        assert!(p.what.contains("repository admin"), "{p:?}");
        assert!(
            p.fix
                .contains("https://bb.example.com/projects/WEB/repos/site/settings/access-keys")
        );
        assert!(p.fix.contains(KEY));
        let c = admin_needed(Provider::Cloud, "https://bitbucket.org", "ws/r", KEY);
        assert!(
            c.fix
                .contains("https://bitbucket.org/ws/r/admin/access-keys/")
        );
    }
}
