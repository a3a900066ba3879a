//! Bitbucket Server / Data Center: version, identity, listing. Parsing is pure; the async
//! functions only fetch.

use std::collections::VecDeque;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::http::{HttpError, JsonResponse};
use super::loose::{KeyName, Link, List, Loose, Obj, map_obj, page, parse_body, shape_problem};
use super::urls;
use super::{Budget, Client};
use crate::core::model::{Identity, Repo, RepoPage};
use crate::core::sanitize::clean;

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

/// A page as sent, read leniently (see `loose`): strings borrowed from the body. Its values
/// are read as `V`: repository objects, or (for [`LazyPage`]) just where each one lies.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "V: Deserialize<'de>"))]
struct RawPage<'a, V> {
    #[serde(default)]
    values: List<V>,
    #[serde(default, borrow, rename = "isLastPage")]
    is_last_page: Loose<'a>,
    #[serde(default, borrow, rename = "nextPageStart")]
    next_page_start: Loose<'a>,
    #[serde(default, borrow)]
    limit: Loose<'a>,
    #[serde(default, borrow)]
    start: Loose<'a>,
}

/// A repository page, every object mapped.
type RepoRawPage<'a> = RawPage<'a, Obj<RawRepo<'a>>>;

impl<V> RawPage<'_, V> {
    /// The values, once the paging fields are of their documented types.
    /// Where the page stands in the paging.
    fn paging(&self) -> Paging {
        Paging {
            // A page that does not say is treated as last: looping on a guess is worse.
            is_last: self.is_last_page.as_bool().unwrap_or(true),
            next_start: self.next_page_start.as_u64(),
            limit: self.limit.as_u64(),
            start: self.start.as_u64(),
        }
    }

    fn checked_values(&self) -> Result<&[V], String> {
        let values = self.values.page_values()?;
        if !matches!(self.is_last_page, Loose::Absent | Loose::Bool(_)) {
            return Err("`isLastPage` is not a boolean".into());
        }
        if !(self.next_page_start.is_missing() || self.next_page_start.as_u64().is_some()) {
            return Err("`nextPageStart` is not a number".into());
        }
        Ok(values)
    }
}

/// What a page with repository objects we cannot read is: an error, never a shorter list.
fn refuse_unreadable(unreadable: usize) -> Result<(), String> {
    if unreadable > 0 {
        return Err(format!(
            "{unreadable} repository objects lack a readable slug or project key"
        ));
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRepo<'a> {
    #[serde(borrow)]
    slug: Loose<'a>,
    #[serde(borrow)]
    name: Loose<'a>,
    #[serde(borrow)]
    public: Loose<'a>,
    #[serde(borrow)]
    archived: Loose<'a>,
    #[serde(borrow)]
    description: Loose<'a>,
    #[serde(borrow)]
    project: Obj<KeyName<'a>>,
    #[serde(borrow)]
    links: Obj<RawLinks<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawLinks<'a> {
    #[serde(borrow)]
    clone: List<Obj<Link<'a>>>,
    #[serde(borrow, rename = "self")]
    self_links: List<Obj<Link<'a>>>,
}

/// What a repository page says of the paging: paging decisions read only this and the
/// page's length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paging {
    pub is_last: bool,
    pub next_start: Option<u64>,
    /// The `limit` the server applied (it caps what we ask for).
    pub limit: Option<u64>,
    /// The `start` the server says this page begins at.
    pub start: Option<u64>,
}

/// One page of `/rest/api/1.0/repos`, checked and mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoPageRead {
    pub repos: Vec<Repo>,
    pub paging: Paging,
}

/// Reads a repository page straight from the body bytes, each repository mapped once. A page
/// we cannot read is an error naming what is wrong, never a silently shorter list.
pub fn read_repo_page(body: &[u8]) -> Result<RepoPageRead, String> {
    check_page(parse_body::<RepoRawPage>(body)?.0)
}

fn check_page(raw: Option<RepoRawPage<'_>>) -> Result<RepoPageRead, String> {
    let raw = page(raw)?;
    let values = raw.checked_values()?;
    let repos: Vec<Repo> = values
        .iter()
        .filter_map(|v| v.get().and_then(map_raw))
        .collect();
    refuse_unreadable(values.len() - repos.len())?;
    Ok(RepoPageRead {
        repos,
        paging: raw.paging(),
    })
}

/// Repositories handed on at once from one page: a page of 200,000 goes out in pieces, each
/// mapped to `Repo`s only when its turn comes.
pub const DELIVERY_CHUNK: usize = 1000;

/// A repository page as it arrived, kept as its body and where each repository object lies in
/// it. It was read in full when it came (a page we cannot read is an error before any of it is
/// delivered) but is mapped to `Repo`s a chunk at a time, so a 12.8 MB page of 200,000
/// repositories is never 200,000 `Repo`s and their parsed objects at once.
#[derive(Debug)]
pub struct LazyPage {
    body: Vec<u8>,
    spans: Vec<(u32, u32)>,
    pub paging: Paging,
}

/// Reads a page's shape and checks every repository object with the rules of
/// [`read_repo_page`], keeping only where each object lies in the body.
pub fn read_lazy_page(body: Vec<u8>) -> Result<LazyPage, String> {
    let (spans, paging) = {
        let raw = page(parse_body::<RawPage<&serde_json::value::RawValue>>(&body)?.0)?;
        let values = raw.checked_values()?;
        let base = body.as_ptr() as usize;
        let mut spans = Vec::with_capacity(values.len());
        let mut unreadable = 0usize;
        for v in values {
            let text = v.get();
            let readable = serde_json::from_str::<Obj<RawRepo>>(text)
                .ok()
                .and_then(|o| o.0)
                .is_some_and(|r| {
                    r.slug.as_str().is_some()
                        && r.project.get().and_then(|p| p.key.as_str()).is_some()
                });
            if !readable {
                unreadable += 1;
            }
            // The body is at most BODY_CAP (16 MiB), so offsets fit in u32.
            let from = text.as_ptr() as usize - base;
            spans.push((from as u32, text.len() as u32));
        }
        refuse_unreadable(unreadable)?;
        (spans, raw.paging())
    };
    Ok(LazyPage {
        body,
        spans,
        paging,
    })
}

impl LazyPage {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The repositories of the page, `n` at a time, mapped as each chunk is asked for.
    pub fn chunks(&self, n: usize) -> impl Iterator<Item = Vec<Repo>> + '_ {
        self.spans.chunks(n.max(1)).map(|chunk| {
            chunk
                .iter()
                .filter_map(|&(from, len)| {
                    let bytes = self.body.get(from as usize..(from + len) as usize)?;
                    let obj = serde_json::from_slice::<Obj<RawRepo>>(bytes).ok()?;
                    obj.0.as_ref().and_then(map_raw)
                })
                .collect()
        })
    }
}

/// Checks a repository page has the documented shape, so that a page we cannot read is an
/// error rather than a silently shorter list. The same rules as [`read_repo_page`].
pub fn page_shape_problem(body: &Value) -> Option<String> {
    shape_problem(body, check_page)
}

/// A DC repository object into a `Repo`; `None` without project key or slug.
pub fn map_repo(v: &Value) -> Option<Repo> {
    map_obj(v, map_raw)
}

fn map_raw(v: &RawRepo<'_>) -> Option<Repo> {
    let slug = v.slug.text()?;
    let project = v.project.get()?;
    let key = project.key.text()?;
    let mut repo = Repo {
        full_name: format!("{key}/{slug}"),
        name: v.name.text().unwrap_or_else(|| slug.clone()),
        slug,
        project_key: Some(key),
        project_name: project.name.text(),
        workspace: None,
        private: !v.public.as_bool().unwrap_or(false),
        archived: v.archived.as_bool().unwrap_or(false),
        default_branch: None,
        clone_https: None,
        clone_ssh: None,
        updated_on: None,
        description: v.description.text(),
        web_url: None,
    };
    let links = v.links.get();
    for link in links
        .map(|l| l.clone.items())
        .unwrap_or_default()
        .iter()
        .filter_map(Obj::get)
    {
        let href = link.href.text();
        match link.name.as_str() {
            // DC names its https clone link `http`.
            Some("http") | Some("https") => {
                repo.clone_https = href.map(|h| crate::core::urls::strip_userinfo(&h))
            }
            Some("ssh") => repo.clone_ssh = href,
            _ => {}
        }
    }
    repo.web_url = links
        .and_then(|l| l.self_links.items().first())
        .and_then(Obj::get)
        .and_then(|s| s.href.text());
    Some(repo)
}

fn rest(client: &Client, segments: &[&str], query: &[(&str, &str)]) -> String {
    let mut all = vec!["rest", "api", "1.0"];
    all.extend_from_slice(segments);
    urls::build(&client.inner().api, &all, query)
}

/// A signed-in GET of a REST resource, with no progress notes.
async fn get_rest(
    client: &Client,
    segments: &[&str],
    query: &[(&str, &str)],
) -> Result<JsonResponse, HttpError> {
    client.get(&rest(client, segments, query), true, None).await
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
    get_rest(client, &["users", slug], &[]).await
}

/// Whether the token holds REPO_ADMIN anywhere (webhooks need it).
pub(crate) async fn admin_probe(client: &Client) -> Result<bool, HttpError> {
    let url = rest(
        client,
        &["repos"],
        &[("permission", "REPO_ADMIN"), ("limit", "1")],
    );
    // Read from the bytes, not as a `Value`: a server that ignores `limit` answers with every
    // repository it has, and 12.8 MB of them as a `Value` tree took over 500 MB.
    let r = client
        .authed(|auth| {
            let url = &url;
            async move { client.inner().http.get_bytes(url, &auth, None).await }
        })
        .await?;
    has_values(&r.body).map_err(|detail| r.bad_json(detail))
}

/// Whether a DC page's `values` holds anything, without reading what it holds.
pub fn has_values(body: &[u8]) -> Result<bool, String> {
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Values<'a> {
        #[serde(borrow)]
        values: List<&'a serde_json::value::RawValue>,
    }
    Ok(parse_body::<Values>(body)?
        .0
        .is_some_and(|v| !v.values.items().is_empty()))
}

pub(crate) async fn repo(
    client: &Client,
    key: &str,
    slug: &str,
) -> Result<JsonResponse, HttpError> {
    get_rest(client, &["projects", key, "repos", slug], &[]).await
}

pub(crate) async fn webhooks(
    client: &Client,
    key: &str,
    slug: &str,
) -> Result<JsonResponse, HttpError> {
    let hooks = ["projects", key, "repos", slug, "webhooks"];
    get_rest(client, &hooks, &[("limit", "1")]).await
}

fn repos_url(client: &Client, start: u64) -> String {
    rest(
        client,
        &["repos"],
        &[
            ("start", &start.to_string()),
            ("limit", &PAGE_LIMIT.to_string()),
        ],
    )
}

/// One page of `/repos` from `start`, read straight from the body bytes.
async fn fetch_repo_page(
    client: &Client,
    start: u64,
    progress: Option<&mpsc::UnboundedSender<String>>,
) -> Result<LazyPage, HttpError> {
    let url = repos_url(client, start);
    let mut resp = client
        .authed(|auth| {
            let url = &url;
            async move { client.inner().http.get_bytes(url, &auth, progress).await }
        })
        .await?;
    let body = std::mem::take(&mut resp.body);
    read_lazy_page(body).map_err(|detail| resp.bad_json(detail))
}

/// The page stride when the page at `start` proves the offsets linear: the server applied
/// `limit`, the page is full, and `nextPageStart` is `start + limit`. Only then can later
/// pages be asked for before the previous ones answer.
pub fn linear_stride(start: u64, page: &RepoPageRead) -> Option<u64> {
    stride_of(start, page.repos.len(), &page.paging)
}

fn stride_of(start: u64, len: usize, page: &Paging) -> Option<u64> {
    let limit = page.limit.filter(|&l| l > 0)?;
    let full = u64::try_from(len).ok() == Some(limit);
    let starts_here = page.start.is_none_or(|s| s == start);
    (!page.is_last && full && starts_here && page.next_start == start.checked_add(limit))
        .then_some(limit)
}

/// Where paging goes after the page at `start`: `None` when it was the last, else its
/// `nextPageStart`, which must advance (a stuck one would loop forever).
fn follow(client: &Client, start: u64, page: &Paging) -> Result<Option<u64>, HttpError> {
    if page.is_last {
        return Ok(None);
    }
    match page.next_start {
        Some(next) if next > start => Ok(Some(next)),
        other => Err(super::http::bad_shape(
            &repos_url(client, start),
            format!(
                "the page at start={start} is not the last but its nextPageStart ({}) does not advance",
                other
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "missing".into())
            ),
        )),
    }
}

/// Sends a page on in chunks, counted against the listing's caps; `Ok(false)` when nobody
/// listens any more (the user went back). The page goes when the last chunk is out.
async fn deliver(
    tx: &mpsc::Sender<RepoPage>,
    page: LazyPage,
    budget: &mut Budget,
    sent: &mut usize,
) -> Result<bool, HttpError> {
    budget.page(page.len())?;
    if page.is_empty() {
        return Ok(!tx.is_closed());
    }
    for repos in page.chunks(DELIVERY_CHUNK) {
        *sent += repos.len();
        let chunk = RepoPage {
            repos,
            total_hint: None,
        };
        if tx.send(chunk).await.is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A page fetch running on its own task (pages parse in parallel); dropping it aborts it,
/// so a cancelled or finished listing leaves nothing in flight.
struct Fetch(tokio::task::JoinHandle<Result<LazyPage, HttpError>>);

impl Drop for Fetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Fetch {
    fn spawn(
        client: &Client,
        start: u64,
        progress: Option<&mpsc::UnboundedSender<String>>,
    ) -> Fetch {
        let client = client.clone();
        let progress = progress.cloned();
        Fetch(tokio::spawn(async move {
            fetch_repo_page(&client, start, progress.as_ref()).await
        }))
    }

    async fn page(mut self, client: &Client) -> Result<LazyPage, HttpError> {
        (&mut self.0).await.map_err(|e| {
            super::http::bad_shape(
                &client.inner().api,
                format!("a page fetch stopped unexpectedly ({e}); the list would be incomplete"),
            )
        })?
    }
}

/// How a fetch-ahead run ended.
enum Ahead {
    /// The last page was delivered, or nobody listens any more.
    Done,
    /// A page broke the linear pattern; paging goes on one page at a time from this start.
    Broken(u64),
}

/// Asks for the pages at `from`, `from + stride`, ... up to `max_concurrency` at once, and
/// delivers them in order. Each page is checked before the next is delivered: as long as it
/// is full and its `nextPageStart` is its start plus `stride`, the page fetched ahead at
/// that offset is exactly what following `nextPageStart` would have fetched. At the last
/// page the speculative fetches beyond it (at most `max_concurrency - 1`) are dropped.
async fn fetch_ahead(
    client: &Client,
    tx: &mpsc::Sender<RepoPage>,
    progress: Option<&mpsc::UnboundedSender<String>>,
    from: u64,
    stride: u64,
    budget: &mut Budget,
    sent: &mut usize,
) -> Result<Ahead, HttpError> {
    let width = client.inner().options.max_concurrency.max(1);
    let mut window: VecDeque<(u64, Fetch)> = VecDeque::with_capacity(width);
    let mut to_ask = Some(from);
    let mut expected = from;
    loop {
        while window.len() < width
            && let Some(start) = to_ask
        {
            window.push_back((start, Fetch::spawn(client, start, progress)));
            to_ask = start.checked_add(stride);
        }
        let Some((start, fetch)) = window.pop_front() else {
            return Ok(Ahead::Broken(expected));
        };
        let page = fetch.page(client).await?;
        let linear = stride_of(start, page.len(), &page.paging) == Some(stride);
        let after = follow(client, start, &page.paging);
        if !deliver(tx, page, budget, sent).await? {
            return Ok(Ahead::Done);
        }
        match after? {
            None => return Ok(Ahead::Done),
            Some(next) if linear => expected = next,
            Some(next) => return Ok(Ahead::Broken(next)),
        }
    }
}

/// Every repository the token can read. The first page tells whether the offsets are linear;
/// if so the following pages are fetched ahead concurrently, otherwise (or from the first
/// page that breaks the pattern) `nextPageStart` is followed one page at a time.
pub(crate) async fn list_all(
    client: &Client,
    tx: &mpsc::Sender<RepoPage>,
    progress: Option<&mpsc::UnboundedSender<String>>,
) -> Result<usize, HttpError> {
    let mut sent = 0usize;
    let mut budget = Budget::new(client);
    let mut start: u64 = 0;
    let mut ahead = true;
    loop {
        let page = fetch_repo_page(client, start, progress).await?;
        let stride = stride_of(start, page.len(), &page.paging).filter(|_| ahead);
        let after = follow(client, start, &page.paging);
        if !deliver(tx, page, &mut budget, &mut sent).await? {
            return Ok(sent);
        }
        let Some(next) = after? else {
            return Ok(sent);
        };
        start = next;
        if let Some(stride) = stride {
            match fetch_ahead(client, tx, progress, next, stride, &mut budget, &mut sent).await? {
                Ahead::Done => return Ok(sent),
                // Once broken, the offsets are not trusted again for this listing.
                Ahead::Broken(from) => {
                    start = from;
                    ahead = false;
                }
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

    fn page(n: usize, is_last: bool, start: Option<u64>, next: Option<u64>) -> RepoPageRead {
        let repo = map_repo(&json!({"slug":"s","project":{"key":"K"}})).unwrap();
        RepoPageRead {
            repos: vec![repo; n],
            paging: Paging {
                is_last,
                next_start: next,
                limit: Some(100),
                start,
            },
        }
    }

    #[test]
    fn only_full_pages_that_advance_by_limit_are_linear() {
        assert_eq!(
            linear_stride(200, &page(100, false, Some(200), Some(300))),
            Some(100)
        );
        assert_eq!(
            linear_stride(200, &page(100, false, None, Some(300))),
            Some(100)
        );
        // Short page, jump, last page, a start other than asked, no limit: not linear.
        assert_eq!(
            linear_stride(200, &page(99, false, Some(200), Some(299))),
            None
        );
        assert_eq!(
            linear_stride(200, &page(100, false, Some(200), Some(350))),
            None
        );
        assert_eq!(linear_stride(200, &page(100, true, Some(200), None)), None);
        assert_eq!(
            linear_stride(200, &page(100, false, Some(0), Some(300))),
            None
        );
        let mut no_limit = page(100, false, Some(200), Some(300));
        no_limit.paging.limit = None;
        assert_eq!(linear_stride(200, &no_limit), None);
        let mut huge = page(100, false, Some(u64::MAX - 1), Some(u64::MAX));
        huge.paging.limit = Some(100);
        assert_eq!(linear_stride(u64::MAX - 1, &huge), None, "no overflow");
    }

    #[test]
    fn pages_are_read_from_bytes_with_the_same_rules() {
        let body = br#"{"size":1,"limit":25,"isLastPage":false,"start":0,"nextPageStart":1,
            "values":[{"slug":"api","name":7,"public":"yes","project":{"key":"PRJ","name":["x"]},
            "links":"none","extra":{"deep":[1,{"a":null}]}}]}"#;
        let p = read_repo_page(body).unwrap();
        assert_eq!(
            p.paging,
            Paging {
                is_last: false,
                next_start: Some(1),
                limit: Some(25),
                start: Some(0)
            }
        );
        let r = &p.repos[0];
        // Wrong types in optional fields read as absent, as before.
        assert_eq!((r.full_name.as_str(), r.name.as_str()), ("PRJ/api", "api"));
        assert!(r.private && r.project_name.is_none() && r.clone_https.is_none());
        let err = |b: &[u8]| read_repo_page(b).unwrap_err();
        assert!(err(b"").contains("no `values` array"));
        assert!(err(b"[1,2]").contains("no `values` array"));
        assert!(err(br#"{"values":[],"isLastPage":null}"#).contains("isLastPage"));
        assert!(err(br#"{"values":[],"nextPageStart":-1}"#).contains("nextPageStart"));
        assert!(err(br#"{"values":[{"slug":"a"},3]}"#).starts_with("2 repository objects"));
        assert!(
            err(br#"{"values":[{"slug":"a""#).contains("EOF"),
            "truncated"
        );
    }

    #[test]
    fn lazy_pages_read_the_same_repositories_in_chunks_with_the_same_rules() {
        let values: Vec<serde_json::Value> = (0..2500)
            .map(|i| json!({"slug": format!("r{i}"), "name": "\u{1b}]0;x\u{7}", "project": {"key": "K"},
                "links": {"clone": [{"name": "http", "href": format!("https://u@bb/scm/k/r{i}.git")}]}}))
            .collect();
        let body = json!({"values": values, "isLastPage": false, "nextPageStart": 2500, "limit": 2500, "start": 0})
            .to_string()
            .into_bytes();
        let whole = read_repo_page(&body).unwrap();
        let lazy = read_lazy_page(body).unwrap();
        assert_eq!(lazy.len(), 2500);
        assert_eq!(lazy.paging, whole.paging);
        assert_eq!(
            (lazy.paging.next_start, lazy.paging.limit),
            (Some(2500), Some(2500))
        );
        let chunks: Vec<Vec<Repo>> = lazy.chunks(1000).collect();
        assert_eq!(
            chunks.iter().map(Vec::len).collect::<Vec<_>>(),
            [1000, 1000, 500]
        );
        assert_eq!(chunks.concat(), whole.repos);
        let err = |b: &[u8]| read_lazy_page(b.to_vec()).unwrap_err();
        assert!(err(b"").contains("no `values` array"));
        assert!(err(br#"{"values":{}}"#).contains("no `values` array"));
        assert!(err(br#"{"values":[],"isLastPage":null}"#).contains("isLastPage"));
        assert!(err(br#"{"values":[],"nextPageStart":"9"}"#).contains("nextPageStart"));
        assert!(err(br#"{"values":[{"slug":"a"},3]}"#).starts_with("2 repository objects"));
        assert!(err(br#"{"values":[{"slug":"a""#).contains("EOF"));
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
