//! Repository webhooks for both products: find, create or update (never twice), delete.
//! Body building and parsing are pure; the `Client` methods fetch.

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::Client;
use super::http::HttpError;
use super::urls;
use crate::core::model::{
    CheckId, CheckItem, FailureClass, Problem, Provider, Webhook, WebhookChange, WebhookSpec,
};
use crate::core::sanitize::clean;

/// Events a CI needs: pushes and pull-request changes. The list is plain data in `model`, so
/// the wizard can offer it without depending on the client.
pub fn default_events(provider: Provider) -> Vec<String> {
    provider.default_webhook_events()
}

/// The create/update body of each product (docs/bitbucket.md).
pub fn body(provider: Provider, spec: &WebhookSpec) -> Value {
    match provider {
        Provider::Cloud => {
            let mut b = json!({
                "description": spec.name,
                "url": spec.url,
                "active": true,
                "events": spec.events,
            });
            if let Some(secret) = &spec.secret {
                b["secret"] = Value::String(secret.expose_secret().to_string());
            }
            b
        }
        Provider::Server => {
            let mut b = json!({
                "name": spec.name,
                "url": spec.url,
                "active": true,
                "events": spec.events,
                "sslVerificationRequired": true,
            });
            if let Some(secret) = &spec.secret {
                b["configuration"] = json!({"secret": secret.expose_secret()});
            }
            b
        }
    }
}

/// A hook object of either product into a `Webhook`.
pub fn parse_hook(provider: Provider, v: &Value) -> Option<Webhook> {
    let id = match provider {
        Provider::Cloud => v.get("uuid")?.as_str()?.to_string(),
        Provider::Server => match v.get("id")? {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return None,
        },
    };
    Some(Webhook {
        id: clean(&id),
        url: clean(v.get("url")?.as_str()?),
        events: v
            .get("events")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(clean).collect())
            .unwrap_or_default(),
        active: v.get("active").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// Same endpoint, whatever the trailing slash or the case of scheme and host.
pub fn same_url(a: &str, b: &str) -> bool {
    let norm = |s: &str| match url::Url::parse(s.trim()) {
        Ok(u) => u.as_str().trim_end_matches('/').to_string(),
        Err(_) => s.trim().trim_end_matches('/').to_string(),
    };
    norm(a) == norm(b)
}

/// Whether an existing hook already is what was asked. A secret cannot be read back, so
/// asking for one always sends an update.
pub fn already_as_asked(hook: &Webhook, spec: &WebhookSpec) -> bool {
    let mut have = hook.events.clone();
    let mut want = spec.events.clone();
    have.sort();
    want.sort();
    hook.active && have == want && spec.secret.is_none()
}

/// Which existing hook a request updates: the one with the asked URL, else ours (moved to
/// the new URL), else none (one is created). Pure.
pub fn pick_hook(
    existing: Vec<Webhook>,
    spec: &WebhookSpec,
    ours: Option<&str>,
) -> Option<Webhook> {
    let mut by_id = None;
    for hook in existing {
        if same_url(&hook.url, &spec.url) {
            return Some(hook);
        }
        if ours.is_some_and(|id| id == hook.id) {
            by_id = Some(hook);
        }
    }
    by_id
}

/// Whether an existing hook already is what was asked, its URL included.
fn as_asked_at(hook: &Webhook, spec: &WebhookSpec) -> bool {
    same_url(&hook.url, &spec.url) && already_as_asked(hook, spec)
}

/// The row for a saved hook, from what the server said. Pure.
pub fn webhook_row_from(id: &str, found: Result<Option<Webhook>, Problem>) -> CheckItem {
    webhook_row_seen(id, found, None)
}

/// [`webhook_row_from`], knowing when bbconnect last saw the hook (RFC 3339; the save that
/// made or kept it): a credential lowered to read access cannot read hooks, and then the row
/// says when the hook was last seen, as a warning, never a failure. Pure.
pub fn webhook_row_seen(
    id: &str,
    found: Result<Option<Webhook>, Problem>,
    last_seen: Option<&str>,
) -> CheckItem {
    match found {
        Err(p) if p.class == FailureClass::Permission => CheckItem::warning(
            CheckId::Webhook,
            format!(
                "Webhook {} cannot be verified with read access: reading webhooks needs repository admin rights, which this credential does not have.{}",
                clean(id),
                match last_seen {
                    Some(at) => format!(" It was last seen on {}.", clean(at)),
                    None => String::new(),
                }
            ),
            "Fine if the credential was lowered to read access on purpose; check the hook in the repository's webhook settings.",
        ),
        found => webhook_row_unseen(id, found),
    }
}

fn webhook_row_unseen(id: &str, found: Result<Option<Webhook>, Problem>) -> CheckItem {
    match found {
        Ok(Some(h)) if h.active => CheckItem::passed(
            CheckId::Webhook,
            format!("Webhook {} is active ({}).", h.id, h.url),
        ),
        Ok(Some(h)) => CheckItem::warning(
            CheckId::Webhook,
            format!(
                "Webhook {} exists but is switched off: CI hears of no push.",
                h.id
            ),
            "Enable it in the repository's webhook settings, or run connect again with --webhook-url.",
        ),
        Ok(None) => CheckItem::failed(
            CheckId::Webhook,
            FailureClass::Other,
            format!(
                "Webhook {} is gone from the repository: CI hears of no push.",
                clean(id)
            ),
            "Run connect again with --webhook-url to recreate it.",
        ),
        Err(p) => CheckItem::warning(CheckId::Webhook, p.what, p.fix),
    }
}

/// Failures on hook calls, with the admin-rights wording the webhook step needs.
pub fn hook_problem(client: &Client, err: &HttpError) -> Problem {
    let provider = client.spec().provider;
    match err {
        HttpError::Status {
            status: 403, body, ..
        } if body.required.is_empty() => admin_needed(provider),
        HttpError::Status {
            status: 401, body, ..
        } if body.is_dc_authorisation() => admin_needed(provider),
        _ => client.problem(err),
    }
}

fn admin_needed(provider: Provider) -> Problem {
    Problem::new(
        FailureClass::Permission,
        "Creating a webhook needs repository admin rights, which this credential lacks.",
        match provider {
            Provider::Cloud => {
                "Use a credential of a repository admin (or ask one to add the hook); the token can be lowered to read access once the hook exists."
            }
            Provider::Server => {
                "Use a token with REPO_ADMIN (or ask an admin to add the hook); the token can be lowered to REPO_READ once the hook exists."
            }
        },
    )
}

fn split(client: &Client, repo: &str) -> Result<(String, String), Problem> {
    urls::split_repo(Some(repo)).ok_or_else(|| {
        Problem::new(
            FailureClass::Input,
            format!("`{}` is not a repository name.", clean(repo)),
            match client.spec().provider {
                Provider::Cloud => "Give it as WORKSPACE/SLUG.",
                Provider::Server => "Give it as PROJECTKEY/SLUG.",
            },
        )
    })
}

fn hooks_url(client: &Client, owner: &str, slug: &str, id: Option<&str>) -> String {
    let api = &client.inner().api;
    let mut segs: Vec<&str> = match client.spec().provider {
        Provider::Cloud => vec!["repositories", owner, slug, "hooks"],
        Provider::Server => vec![
            "rest", "api", "1.0", "projects", owner, "repos", slug, "webhooks",
        ],
    };
    if let Some(id) = id {
        segs.push(id);
    }
    urls::build(api, &segs, &[])
}

/// Every hook on the repository, across pages.
async fn list(client: &Client, owner: &str, slug: &str) -> Result<Vec<Webhook>, HttpError> {
    let provider = client.spec().provider;
    let base = hooks_url(client, owner, slug, None);
    client
        .get_every_page(&base, |v| parse_hook(provider, v))
        .await
}

impl Client {
    /// The events a CI needs on this product.
    pub fn default_webhook_events(&self) -> Vec<String> {
        default_events(self.spec().provider)
    }

    /// Puts the hook on `repo` (`WS/SLUG` or `KEY/SLUG`): created when absent, updated when a
    /// hook with the same URL differs, kept when it is already as asked. Never a duplicate.
    pub async fn ensure_webhook(
        &self,
        repo: &str,
        spec: &WebhookSpec,
    ) -> Result<(Webhook, WebhookChange), Problem> {
        self.ensure_webhook_for(repo, spec, None).await
    }

    /// [`Client::ensure_webhook`] for a connection that already made hook `ours`: when no
    /// hook has the asked URL, that one is updated to it (a new CI address moves our hook)
    /// rather than a second hook created beside it.
    pub async fn ensure_webhook_for(
        &self,
        repo: &str,
        spec: &WebhookSpec,
        ours: Option<&str>,
    ) -> Result<(Webhook, WebhookChange), Problem> {
        self.guard_transport()?;
        let (owner, slug) = split(self, repo)?;
        let provider = self.spec().provider;
        let existing = list(self, &owner, &slug)
            .await
            .map_err(|e| hook_problem(self, &e))?;
        let body = body(provider, spec);
        if let Some(hook) = pick_hook(existing, spec, ours) {
            if as_asked_at(&hook, spec) {
                return Ok((hook, WebhookChange::Kept));
            }
            let url = hooks_url(self, &owner, &slug, Some(&hook.id));
            let resp = self
                .send(Method::PUT, &url, Some(&body))
                .await
                .map_err(|e| hook_problem(self, &e))?;
            let updated = parse_hook(provider, &resp.body).unwrap_or(Webhook {
                url: spec.url.clone(),
                events: spec.events.clone(),
                active: true,
                ..hook
            });
            return Ok((updated, WebhookChange::Updated));
        }
        let url = hooks_url(self, &owner, &slug, None);
        let resp = self
            .send(Method::POST, &url, Some(&body))
            .await
            .map_err(|e| hook_problem(self, &e))?;
        let created = parse_hook(provider, &resp.body).ok_or_else(|| {
            Problem::new(
                FailureClass::Other,
                "The server accepted the webhook but did not return it.",
                "Check the repository's webhook settings; running again will not add a duplicate.",
            )
        })?;
        Ok((created, WebhookChange::Created))
    }

    /// The hook with this id, or `None` when it was deleted behind our back.
    pub async fn find_webhook(&self, repo: &str, id: &str) -> Result<Option<Webhook>, Problem> {
        self.guard_transport()?;
        let (owner, slug) = split(self, repo)?;
        match self
            .get(&hooks_url(self, &owner, &slug, Some(id)), true, None)
            .await
        {
            Ok(resp) => Ok(parse_hook(self.spec().provider, &resp.body)),
            Err(HttpError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(hook_problem(self, &e)),
        }
    }

    /// The `webhook` check row for a saved hook: it may have been deleted or switched off
    /// behind our back, and then CI silently stops hearing about pushes.
    pub async fn webhook_row(&self, repo: &str, id: &str) -> CheckItem {
        webhook_row_from(id, self.find_webhook(repo, id).await)
    }

    /// [`Client::webhook_row`], saying when the hook was last seen if it cannot be read.
    pub async fn webhook_row_seen(
        &self,
        repo: &str,
        id: &str,
        last_seen: Option<&str>,
    ) -> CheckItem {
        webhook_row_seen(id, self.find_webhook(repo, id).await, last_seen)
    }

    /// Deletes the hook; `Ok(false)` when it was already gone.
    pub async fn delete_webhook(&self, repo: &str, id: &str) -> Result<bool, Problem> {
        self.guard_transport()?;
        let (owner, slug) = split(self, repo)?;
        let url = hooks_url(self, &owner, &slug, Some(id));
        match self.send(Method::DELETE, &url, None).await {
            Ok(_) => Ok(true),
            Err(HttpError::Status { status: 404, .. }) => Ok(false),
            Err(e) => Err(hook_problem(self, &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn spec(secret: Option<&str>) -> WebhookSpec {
        WebhookSpec {
            name: "CI".into(),
            url: "https://ci.example.com/hook".into(),
            events: vec!["repo:push".into()],
            secret: secret.map(|s| SecretString::from(s.to_string())),
        }
    }

    #[test]
    fn bodies_follow_each_product() {
        let c = body(Provider::Cloud, &spec(Some("test-token-hook")));
        assert_eq!(c["description"], "CI");
        assert_eq!(c["secret"], "test-token-hook");
        assert_eq!(c["active"], true);
        let d = body(Provider::Server, &spec(Some("test-token-hook")));
        assert_eq!(d["name"], "CI");
        assert_eq!(d["configuration"]["secret"], "test-token-hook");
        assert!(
            body(Provider::Server, &spec(None))
                .get("configuration")
                .is_none()
        );
    }

    #[test]
    fn hooks_parse_on_both_products() {
        let c = parse_hook(Provider::Cloud, &json!({"uuid":"{abc}","url":"https://x/h","events":["repo:push"],"active":true,"secret_set":true})).unwrap();
        assert_eq!(c.id, "{abc}");
        let d = parse_hook(
            Provider::Server,
            &json!({"id":12,"name":"CI","url":"https://x/h","events":["pr:opened"],"active":false}),
        )
        .unwrap();
        assert_eq!((d.id.as_str(), d.active), ("12", false));
    }

    #[test]
    fn idempotency_rules() {
        assert!(same_url(
            "https://CI.example.com/hook/",
            "https://ci.example.com/hook"
        ));
        assert!(!same_url(
            "https://ci.example.com/hook",
            "https://ci.example.com/other"
        ));
        let hook = Webhook {
            id: "1".into(),
            url: "https://ci.example.com/hook".into(),
            events: vec!["repo:push".into()],
            active: true,
        };
        assert!(already_as_asked(&hook, &spec(None)));
        assert!(
            !already_as_asked(&hook, &spec(Some("test-token-s"))),
            "a secret is always sent"
        );
        let inactive = Webhook {
            active: false,
            ..hook
        };
        assert!(!already_as_asked(&inactive, &spec(None)));
    }

    #[test]
    fn saved_hook_rows() {
        use crate::core::model::CheckStatus;
        let h = Webhook {
            id: "7".into(),
            url: "https://ci/h".into(),
            events: vec![],
            active: true,
        };
        assert_eq!(
            webhook_row_from("7", Ok(Some(h.clone()))).status,
            CheckStatus::Passed
        );
        let off = Webhook { active: false, ..h };
        assert_eq!(
            webhook_row_from("7", Ok(Some(off))).status,
            CheckStatus::Warning
        );
        let unverifiable = webhook_row_from(
            "7",
            Err(Problem::new(FailureClass::Permission, "needs admin", "x")),
        );
        assert_eq!(unverifiable.status, CheckStatus::Warning);
        assert!(
            unverifiable
                .detail
                .contains("cannot be verified with read access")
        );
        let read_only = webhook_row_seen(
            "7",
            Err(Problem::new(FailureClass::Permission, "needs admin", "x")),
            Some("2026-11-29T04:34:56Z"),
        );
        assert_eq!(read_only.status, CheckStatus::Warning);
        assert!(
            read_only
                .detail
                .contains("cannot be verified with read access")
        );
        assert!(
            read_only
                .detail
                .contains("last seen on 2026-11-29T04:34:56Z")
        );
        let gone = webhook_row_from("7", Ok(None));
        assert_eq!(gone.status, CheckStatus::Failed);
        assert!(gone.detail.contains("gone"));
    }

    #[test]
    fn default_events_per_product() {
        assert!(default_events(Provider::Cloud).contains(&"repo:push".to_string()));
        assert!(default_events(Provider::Server).contains(&"repo:refs_changed".to_string()));
    }
}
