//! Whether the webhook reaches the CI. Data Center can send a test request itself
//! (`POST .../webhooks/test?url=...&webhookId=N`, REPO_ADMIN) and tell what happened; its
//! answer has no documented schema, so it is read leniently (docs/bitbucket.md section 5).
//! Cloud has no such endpoint: the repository's webhook settings page shows the request log.

use reqwest::Method;
use serde_json::Value;

use super::Client;
use super::urls;
use crate::core::model::{CheckId, CheckItem, Problem, Provider};
use crate::core::sanitize::clean;

/// What Bitbucket saw when it sent the test request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The CI endpoint answered with this HTTP status.
    Answered(u16),
    /// Bitbucket could not reach it (DNS, refused, TLS, timeout): its own description.
    Unreachable(String),
    /// Cloud: no API tests a hook; the request log is on this page.
    NotTestable { log_page: String },
}

/// Reads DC's answer: `response.statusCode` when the endpoint answered, else the first
/// failure text found (`error.message`, `exception.message`, `message`, `error`).
pub fn parse_test_answer(v: &Value) -> Delivery {
    let status = v
        .get("response")
        .and_then(|r| r.get("statusCode").or_else(|| r.get("status")))
        .and_then(|s| {
            s.as_u64()
                .or_else(|| s.as_str().and_then(|t| t.parse().ok()))
        })
        .and_then(|s| u16::try_from(s).ok());
    if let Some(s) = status {
        return Delivery::Answered(s);
    }
    let text = [
        v.pointer("/error/message"),
        v.pointer("/exception/message"),
        v.pointer("/response/error"),
        v.get("message"),
        v.get("error"),
    ]
    .into_iter()
    .flatten()
    .find_map(|x| x.as_str().map(str::to_string))
    .unwrap_or_else(|| "no answer from the endpoint was reported".to_string());
    Delivery::Unreachable(text)
}

/// Cloud's webhook settings page of `repo`, where each hook's "View requests" log is.
pub fn cloud_hooks_page(web: &str, repo: &str) -> String {
    match urls::split_repo(Some(repo)) {
        Some((ws, slug)) => urls::build(web, &[&ws, &slug, "admin", "webhooks"], &[]),
        None => web.to_string(),
    }
}

impl Client {
    /// Has Bitbucket send a test request for hook `hook_id` (its secret signs it) to `url`.
    pub async fn test_webhook(
        &self,
        repo: &str,
        hook_id: Option<&str>,
        url: &str,
    ) -> Result<Delivery, Problem> {
        if self.spec().provider == Provider::Cloud {
            return Ok(Delivery::NotTestable {
                log_page: cloud_hooks_page(&self.inner().web, repo),
            });
        }
        self.guard_transport()?;
        let Some((key, slug)) = urls::split_repo(Some(repo)) else {
            return Ok(Delivery::Unreachable(format!(
                "`{}` is not a repository name",
                clean(repo)
            )));
        };
        let mut query = vec![("url", url)];
        if let Some(id) = hook_id {
            query.push(("webhookId", id));
        }
        let endpoint = urls::build(
            &self.inner().api,
            &[
                "rest", "api", "1.0", "projects", &key, "repos", &slug, "webhooks", "test",
            ],
            &query,
        );
        let resp = self
            .send(Method::POST, &endpoint, None)
            .await
            .map_err(|e| self.problem(&e))?;
        Ok(parse_test_answer(&resp.body))
    }

    /// The check row for the hook's delivery.
    pub async fn delivery_row(&self, repo: &str, hook_id: Option<&str>, url: &str) -> CheckItem {
        delivery_row_from(url, self.test_webhook(repo, hook_id, url).await)
    }
}

pub fn delivery_row_from(url: &str, result: Result<Delivery, Problem>) -> CheckItem {
    let url = clean(url);
    match result {
        Ok(Delivery::Answered(s)) if (200..300).contains(&s) => CheckItem::passed(
            CheckId::WebhookDelivery,
            format!("Bitbucket sent a test request to {url}: it answered HTTP {s}."),
        ),
        Ok(Delivery::Answered(s)) => CheckItem::warning(
            CheckId::WebhookDelivery,
            format!(
                "Bitbucket reached {url}, but it answered HTTP {s}: the CI may not start builds."
            ),
            "Check the webhook URL's path and that the CI accepts Bitbucket's requests (and the webhook secret).",
        ),
        Ok(Delivery::Unreachable(why)) => CheckItem::warning(
            CheckId::WebhookDelivery,
            format!(
                "Bitbucket could not reach {url}: {}. The CI hears of no push.",
                clean(why.trim_end_matches('.'))
            ),
            "Make the URL reachable from the Bitbucket server itself (DNS, firewall, TLS certificate), then run `bbconnect check`.",
        ),
        Ok(Delivery::NotTestable { log_page }) => CheckItem::passed(
            CheckId::WebhookDelivery,
            format!(
                "Bitbucket Cloud has no API to test a webhook: after a push, its request log is at {}",
                clean(&log_page)
            ),
        ),
        Err(p) => CheckItem::warning(
            CheckId::WebhookDelivery,
            format!("The delivery test could not run: {}", p.what),
            p.fix,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_read_leniently() {
        let v = json!({"request": {"url": "x"}, "response": {"statusCode": 204, "headers": {}}});
        assert_eq!(parse_test_answer(&v), Delivery::Answered(204));
        let v = json!({"response": {"statusCode": "502"}});
        assert_eq!(parse_test_answer(&v), Delivery::Answered(502));
        let v = json!({"request": {}, "error": {"message": "Connection refused"}});
        assert_eq!(
            parse_test_answer(&v),
            Delivery::Unreachable("Connection refused".into())
        );
        let v = json!({"exception": {"message": "UnknownHostException: ci.example"}});
        assert_eq!(
            parse_test_answer(&v),
            Delivery::Unreachable("UnknownHostException: ci.example".into())
        );
        assert!(matches!(
            parse_test_answer(&json!([])),
            Delivery::Unreachable(_)
        ));
    }

    #[test]
    fn rows_say_what_the_ci_answered() {
        let row = delivery_row_from("http://ci/x", Ok(Delivery::Answered(200)));
        assert!(row.detail.contains("HTTP 200"), "{}", row.detail);
        let row = delivery_row_from("http://ci/x", Ok(Delivery::Answered(404)));
        assert!(row.detail.contains("HTTP 404") && row.fix.is_some());
        let row = delivery_row_from(
            "http://ci/x",
            Ok(Delivery::Unreachable("Read timed out".into())),
        );
        assert!(row.detail.contains("could not reach") && row.detail.contains("Read timed out"));
        let row = delivery_row_from(
            "h",
            Ok(Delivery::NotTestable {
                log_page: cloud_hooks_page("https://bitbucket.org", "ws/app"),
            }),
        );
        assert!(
            row.detail
                .contains("https://bitbucket.org/ws/app/admin/webhooks"),
            "{}",
            row.detail
        );
    }
}
