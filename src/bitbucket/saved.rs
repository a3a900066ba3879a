//! What the server says now about the repository a connection saved: it may have been renamed
//! or deleted since (a drift the re-check reports).

use serde_json::Value;

use super::http::HttpError;
use super::{Client, cloud, server, urls};
use crate::core::model::{Problem, Provider};
use crate::core::sanitize::clean;

impl Client {
    /// The repository's full name as the server gives it (`WS/SLUG`, `KEY/SLUG`), or `None`
    /// when the saved name leads nowhere (renamed, moved or deleted: the server answers 404
    /// for all three). An unparsable saved name is `None` too: it cannot be reached either.
    pub async fn saved_repo(&self, repo: &str) -> Result<Option<String>, Problem> {
        self.guard_transport()?;
        let Some((owner, slug)) = urls::split_repo(Some(repo)) else {
            return Ok(None);
        };
        let provider = self.spec().provider;
        let answer = match provider {
            Provider::Cloud => cloud::repo(self, &owner, &slug).await,
            Provider::Server => server::repo(self, &owner, &slug).await,
        };
        match answer {
            Ok(resp) => Ok(Some(
                full_name(provider, &resp.body).unwrap_or_else(|| format!("{owner}/{slug}")),
            )),
            Err(HttpError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(self.problem(&e)),
        }
    }
}

/// The full name in a repository object of either product, cleaned for the terminal.
fn full_name(provider: Provider, v: &Value) -> Option<String> {
    match provider {
        Provider::Cloud => v.get("full_name")?.as_str().map(clean),
        Provider::Server => {
            let key = v.get("project")?.get("key")?.as_str()?;
            let slug = v.get("slug")?.as_str()?;
            Some(clean(&format!("{key}/{slug}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn full_names_of_both_products() {
        assert_eq!(
            full_name(Provider::Cloud, &json!({"full_name": "acme/api"})).as_deref(),
            Some("acme/api")
        );
        assert_eq!(
            full_name(
                Provider::Server,
                &json!({"slug": "api", "project": {"key": "WEB"}})
            )
            .as_deref(),
            Some("WEB/api")
        );
        assert_eq!(full_name(Provider::Server, &json!({"slug": "api"})), None);
    }
}
