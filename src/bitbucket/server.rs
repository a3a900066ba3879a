//! Bitbucket Server / Data Center: version, identity, listing. Parsing is pure; the async
//! functions only fetch.

use reqwest::header::HeaderMap;
use serde_json::Value;
use tokio::sync::mpsc;

use super::Client;
use super::http::{HttpError, JsonResponse};
use super::model::{Identity, Repo, RepoPage};
use super::urls;
use crate::sanitize::clean;

/// The oldest Server/DC release bbconnect supports.
pub const MIN_VERSION: [u64; 2] = [7, 14];
/// What we ask for; the server caps it and says what it applied.
pub const PAGE_LIMIT: u64 = 1000;

/// `"8.19.1"` into `[8, 19, 1]`; suffixes such as `-rc1` end the number.
pub fn parse_version(text: &str) -> Option<Vec<u64>> {
    let parts: Vec<u64> = text
        .trim()
        .split('.')
        .map_while(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect();
    (!parts.is_empty()).then_some(parts)
}

/// Numeric comparison, so that 7.9 < 7.14 < 10.2.
pub fn version_supported(parts: &[u64]) -> bool {
    let major = parts.first().copied().unwrap_or(0);
    let minor = parts.get(1).copied().unwrap_or(0);
    (major, minor) >= (MIN_VERSION[0], MIN_VERSION[1])
}

/// The credential's owner from `X-AUSERNAME`; absent or `anonymous` means not accepted.
pub fn owner_from_headers(headers: &HeaderMap) -> Option<String> {
    let v = headers.get("x-ausername")?.to_str().ok()?.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("anonymous") {
        None
    } else {
        Some(clean(v))
    }
}

/// `users/{slug}` into an identity for `username`.
pub fn map_identity(username: &str, user: Option<&Value>) -> Identity {
    let text = |k: &str| {
        user.and_then(|u| u.get(k))
            .and_then(Value::as_str)
            .map(clean)
    };
    Identity {
        username: username.to_string(),
        display_name: text("displayName"),
        email: text("emailAddress"),
        account_id: user
            .and_then(|u| u.get("id"))
            .and_then(Value::as_u64)
            .map(|id| id.to_string()),
    }
}

/// One page of a DC paged API.
#[derive(Debug, Clone, PartialEq)]
pub struct DcPage {
    pub values: Vec<Value>,
    pub is_last: bool,
    pub next_start: Option<u64>,
    pub limit: Option<u64>,
}

pub fn parse_page(body: &Value) -> DcPage {
    DcPage {
        values: body
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        // A page that does not say is treated as last: looping on a guess is worse.
        is_last: body
            .get("isLastPage")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        next_start: body.get("nextPageStart").and_then(Value::as_u64),
        limit: body.get("limit").and_then(Value::as_u64),
    }
}

/// Checks a repository page has the documented shape, so that a page we cannot read is an
/// error rather than a silently shorter list.
pub fn page_shape_problem(body: &Value) -> Option<String> {
    let values = body.get("values").and_then(Value::as_array);
    let Some(values) = values else {
        return Some("the page has no `values` array".into());
    };
    if body.get("isLastPage").is_some_and(|v| !v.is_boolean()) {
        return Some("`isLastPage` is not a boolean".into());
    }
    if body
        .get("nextPageStart")
        .is_some_and(|v| !v.is_u64() && !v.is_null())
    {
        return Some("`nextPageStart` is not a number".into());
    }
    let unreadable = values.iter().filter(|v| map_repo(v).is_none()).count();
    (unreadable > 0)
        .then(|| format!("{unreadable} repository objects lack a readable slug or project key"))
}

/// A DC repository object into a `Repo`; `None` without project key or slug.
pub fn map_repo(v: &Value) -> Option<Repo> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(clean);
    let slug = s(v, "slug")?;
    let project = v.get("project")?;
    let key = s(project, "key")?;
    let mut repo = Repo {
        full_name: format!("{key}/{slug}"),
        name: s(v, "name").unwrap_or_else(|| slug.clone()),
        slug,
        project_key: Some(key),
        project_name: s(project, "name"),
        workspace: None,
        private: !v.get("public").and_then(Value::as_bool).unwrap_or(false),
        archived: v.get("archived").and_then(Value::as_bool).unwrap_or(false),
        default_branch: None,
        clone_https: None,
        clone_ssh: None,
        updated_on: None,
        description: s(v, "description"),
        web_url: None,
    };
    let links = v.get("links");
    for link in links
        .and_then(|l| l.get("clone"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let href = link.get("href").and_then(Value::as_str).map(clean);
        match link.get("name").and_then(Value::as_str) {
            // DC names its https clone link `http`.
            Some("http") | Some("https") => {
                repo.clone_https = href.map(|h| super::http::strip_userinfo(&h))
            }
            Some("ssh") => repo.clone_ssh = href,
            _ => {}
        }
    }
    repo.web_url = links
        .and_then(|l| l.get("self"))
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|s| s.get("href"))
        .and_then(Value::as_str)
        .map(clean);
    Some(repo)
}

fn rest(client: &Client, segments: &[&str], query: &[(&str, &str)]) -> String {
    let mut all = vec!["rest", "api", "1.0"];
    all.extend_from_slice(segments);
    urls::build(&client.inner().api, &all, query)
}

pub(crate) async fn app_properties(
    client: &Client,
    authenticated: bool,
    progress: Option<&mpsc::UnboundedSender<String>>,
) -> Result<JsonResponse, HttpError> {
    client
        .get(
            &rest(client, &["application-properties"], &[]),
            authenticated,
            progress,
        )
        .await
}

pub(crate) async fn user(client: &Client, slug: &str) -> Result<JsonResponse, HttpError> {
    client
        .get(&rest(client, &["users", slug], &[]), true, None)
        .await
}

/// Whether the token holds REPO_ADMIN anywhere (webhooks need it).
pub(crate) async fn admin_probe(client: &Client) -> Result<bool, HttpError> {
    let r = client
        .get(
            &rest(
                client,
                &["repos"],
                &[("permission", "REPO_ADMIN"), ("limit", "1")],
            ),
            true,
            None,
        )
        .await?;
    Ok(!parse_page(&r.body).values.is_empty())
}

pub(crate) async fn repo(
    client: &Client,
    key: &str,
    slug: &str,
) -> Result<JsonResponse, HttpError> {
    client
        .get(
            &rest(client, &["projects", key, "repos", slug], &[]),
            true,
            None,
        )
        .await
}

pub(crate) async fn webhooks(
    client: &Client,
    key: &str,
    slug: &str,
) -> Result<JsonResponse, HttpError> {
    client
        .get(
            &rest(
                client,
                &["projects", key, "repos", slug, "webhooks"],
                &[("limit", "1")],
            ),
            true,
            None,
        )
        .await
}

/// Every repository the token can read, page by page, following `nextPageStart`.
pub(crate) async fn list_all(
    client: &Client,
    tx: &mpsc::Sender<RepoPage>,
    progress: Option<&mpsc::UnboundedSender<String>>,
) -> Result<usize, HttpError> {
    let mut start: u64 = 0;
    let mut sent = 0usize;
    loop {
        let url = rest(
            client,
            &["repos"],
            &[
                ("start", &start.to_string()),
                ("limit", &PAGE_LIMIT.to_string()),
            ],
        );
        let resp = client.get(&url, true, progress).await?;
        if let Some(problem) = page_shape_problem(&resp.body) {
            return Err(super::http::bad_shape(&url, problem));
        }
        let page = parse_page(&resp.body);
        let repos: Vec<Repo> = page.values.iter().filter_map(map_repo).collect();
        sent += repos.len();
        if tx
            .send(RepoPage {
                repos,
                total_hint: None,
            })
            .await
            .is_err()
        {
            // Nobody listens any more (the user went back): stop quietly.
            return Ok(sent);
        }
        if page.is_last {
            return Ok(sent);
        }
        match page.next_start {
            Some(next) if next > start => start = next,
            other => {
                return Err(HttpError::BadJson {
                    host: super::http::host_label(
                        &url::Url::parse(&url)
                            .map_err(|_| HttpError::BadUrl { url: url.clone() })?,
                    ),
                    path: "/rest/api/1.0/repos".into(),
                    detail: format!(
                        "the page at start={start} is not the last but its nextPageStart ({}) does not advance",
                        other
                            .map(|n| n.to_string())
                            .unwrap_or_else(|| "missing".into())
                    ),
                });
            }
        }
    }
}

/// A repository token reaches one repository: list just that one.
pub(crate) async fn list_single(
    client: &Client,
    tx: &mpsc::Sender<RepoPage>,
    _progress: Option<&mpsc::UnboundedSender<String>>,
) -> Result<usize, HttpError> {
    let Some((key, slug)) = urls::split_repo(client.spec().repo.as_deref()) else {
        return Ok(0);
    };
    let resp = repo(client, &key, &slug).await?;
    let repos: Vec<Repo> = map_repo(&resp.body).into_iter().collect();
    let n = repos.len();
    let _ = tx
        .send(RepoPage {
            repos,
            total_hint: Some(n),
        })
        .await;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    #[test]
    fn versions_compare_numerically() {
        let ok = |s: &str| version_supported(&parse_version(s).unwrap());
        assert!(!ok("7.9.0"));
        assert!(!ok("7.13.99"));
        assert!(ok("7.14"));
        assert!(ok("7.21.0"));
        assert!(ok("8.19.1"));
        assert!(ok("10.2.0-rc1"));
        assert!(!ok("6.10.17"));
        assert_eq!(parse_version("nonsense"), None);
    }

    #[test]
    fn owner_header_rules() {
        let mut h = HeaderMap::new();
        assert_eq!(owner_from_headers(&h), None);
        h.insert("x-ausername", HeaderValue::from_static("anonymous"));
        assert_eq!(owner_from_headers(&h), None);
        h.insert("X-AUSERNAME", HeaderValue::from_static("alice"));
        assert_eq!(owner_from_headers(&h).as_deref(), Some("alice"));
    }

    #[test]
    fn page_shapes_are_checked() {
        assert_eq!(
            page_shape_problem(&json!({"values":[],"isLastPage":true})),
            None
        );
        assert!(page_shape_problem(&json!({"isLastPage":true})).is_some());
        assert!(page_shape_problem(&json!({"values":[],"isLastPage":"false"})).is_some());
        assert!(page_shape_problem(&json!({"values":[],"nextPageStart":"25"})).is_some());
        assert!(
            page_shape_problem(&json!({"values":[{"slug":7,"project":{"key":"K"}}]})).is_some()
        );
    }

    #[test]
    fn page_fields_are_read() {
        let p = parse_page(
            &json!({"size":2,"limit":500,"isLastPage":false,"start":0,"nextPageStart":500,"values":[{},{}]}),
        );
        assert_eq!(p.values.len(), 2);
        assert!(!p.is_last);
        assert_eq!(p.next_start, Some(500));
        assert_eq!(p.limit, Some(500));
        assert!(parse_page(&json!({"values":[]})).is_last);
    }

    #[test]
    fn repo_maps_http_clone_link_and_strips_userinfo() {
        let r = map_repo(&json!({
            "slug":"api","id":1,"name":"API","public":false,"archived":true,
            "project":{"key":"PRJ","name":"Project"},
            "links":{"clone":[{"name":"http","href":"https://alice@bb.corp/scm/prj/api.git"},{"name":"ssh","href":"ssh://git@bb.corp:7999/prj/api.git"}],
                     "self":[{"href":"https://bb.corp/projects/PRJ/repos/api/browse"}]}
        }))
        .unwrap();
        assert_eq!(r.full_name, "PRJ/api");
        assert_eq!(
            r.clone_https.as_deref(),
            Some("https://bb.corp/scm/prj/api.git")
        );
        assert_eq!(
            r.clone_ssh.as_deref(),
            Some("ssh://git@bb.corp:7999/prj/api.git")
        );
        assert_eq!(
            r.web_url.as_deref(),
            Some("https://bb.corp/projects/PRJ/repos/api/browse")
        );
        assert!(r.private && r.archived);
        assert_eq!(r.project_name.as_deref(), Some("Project"));
    }

    #[test]
    fn hostile_names_are_cleaned() {
        let r = map_repo(&json!({"slug":"x","name":"\u{1b}]0;pwned\u{7}","project":{"key":"K"}}))
            .unwrap();
        assert!(!r.name.chars().any(char::is_control));
    }

    #[test]
    fn identity_from_user_object() {
        let id = map_identity(
            "alice",
            Some(
                &json!({"name":"alice","displayName":"Alice A","emailAddress":"alice@example.com","id":3}),
            ),
        );
        assert_eq!(id.display_name.as_deref(), Some("Alice A"));
        assert_eq!(id.email.as_deref(), Some("alice@example.com"));
        assert_eq!(id.account_id.as_deref(), Some("3"));
    }
}
