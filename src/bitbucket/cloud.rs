//! Bitbucket Cloud: identity, workspaces, the per-workspace listing. Parsing is pure; the
//! listing fetches later pages by number, concurrently, when the first page gives `size`.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::http::{HttpError, JsonResponse};
use super::loose::{KeyName, Link, List, Loose, Obj, map_obj, page, parse_body, shape_problem};
use super::urls;
use super::{Budget, Client};
use crate::core::model::{Identity, Repo, RepoPage};
use crate::core::sanitize::clean;

/// More pages than any real workspace has (a million repositories at 100 a page).
const MAX_PAGES: usize = 10_000;
/// Bitbucket's maximum page length for these endpoints.
pub const PAGELEN: u32 = 100;
/// Only what `Repo` needs: smaller pages, faster listings.
pub const REPO_FIELDS: &str = "next,size,page,pagelen,values.full_name,values.name,values.slug,values.is_private,values.updated_on,values.description,values.mainbranch.name,values.project.key,values.project.name,values.workspace.slug,values.links.html.href,values.links.clone";

/// Every scope bbconnect's calls need from an API token.
pub const NEEDED_SCOPES: [&str; 8] = crate::core::model::CLOUD_API_TOKEN_SCOPES;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub slug: String,
    pub administrator: bool,
}

/// One page of a Cloud paged API.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudPage {
    pub values: Vec<Value>,
    pub next: Option<String>,
    pub size: Option<u64>,
    pub pagelen: Option<u64>,
}

pub fn parse_page(body: &Value) -> CloudPage {
    CloudPage {
        values: body
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        next: body.get("next").and_then(Value::as_str).map(str::to_string),
        size: body.get("size").and_then(Value::as_u64),
        pagelen: body.get("pagelen").and_then(Value::as_u64),
    }
}

/// A repository page as sent, read leniently (see `loose`): strings borrowed from the body.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawPage<'a> {
    #[serde(borrow)]
    values: List<Obj<RawRepo<'a>>>,
    #[serde(borrow)]
    next: Loose<'a>,
    #[serde(borrow)]
    size: Loose<'a>,
    #[serde(borrow)]
    page: Loose<'a>,
    #[serde(borrow)]
    pagelen: Loose<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRepo<'a> {
    #[serde(borrow)]
    full_name: Loose<'a>,
    #[serde(borrow)]
    name: Loose<'a>,
    #[serde(borrow)]
    slug: Loose<'a>,
    #[serde(borrow)]
    is_private: Loose<'a>,
    #[serde(borrow)]
    updated_on: Loose<'a>,
    #[serde(borrow)]
    description: Loose<'a>,
    #[serde(borrow)]
    project: Obj<KeyName<'a>>,
    #[serde(borrow)]
    workspace: Obj<RawSlug<'a>>,
    #[serde(borrow)]
    mainbranch: Obj<KeyName<'a>>,
    #[serde(borrow)]
    links: Obj<RawLinks<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawSlug<'a> {
    #[serde(borrow)]
    slug: Loose<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawLinks<'a> {
    #[serde(borrow)]
    html: Obj<Link<'a>>,
    #[serde(borrow)]
    clone: List<Obj<Link<'a>>>,
}

/// One repository page, checked and mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoPageRead {
    pub repos: Vec<Repo>,
    pub next: Option<String>,
    pub size: Option<u64>,
    pub pagelen: Option<u64>,
}

/// Reads a repository page straight from the body bytes, each repository mapped once. A page
/// we cannot read is an error naming what is wrong, never a silently shorter list.
pub fn read_repo_page(body: &[u8]) -> Result<RepoPageRead, String> {
    check_page(parse_body::<RawPage>(body)?.0)
}

fn check_page(raw: Option<RawPage<'_>>) -> Result<RepoPageRead, String> {
    let raw = page(raw)?;
    let values = raw.values.page_values()?;
    for (key, v) in [
        ("size", &raw.size),
        ("page", &raw.page),
        ("pagelen", &raw.pagelen),
    ] {
        if !(v.is_missing() || v.as_u64().is_some()) {
            return Err(format!("`{key}` is not a number"));
        }
    }
    if !(raw.next.is_missing() || raw.next.as_str().is_some()) {
        return Err("`next` is not a URL".into());
    }
    let repos: Vec<Repo> = values
        .iter()
        .filter_map(|v| v.get().and_then(map_raw))
        .collect();
    let unreadable = values.len() - repos.len();
    if unreadable > 0 {
        return Err(format!(
            "{unreadable} repository objects lack a readable full_name"
        ));
    }
    Ok(RepoPageRead {
        repos,
        next: raw.next.as_str().map(str::to_string),
        size: raw.size.as_u64(),
        pagelen: raw.pagelen.as_u64(),
    })
}

/// Checks a repository page has the documented shape (see `server::page_shape_problem`).
pub fn page_shape_problem(body: &Value) -> Option<String> {
    shape_problem(body, check_page)
}

/// A repository page, fetched and read from its bytes.
async fn get_repo_page(client: &Client, url: &str) -> Result<RepoPageRead, HttpError> {
    let resp = client
        .authed(|auth| async move { client.inner().http.get_bytes(url, &auth, None).await })
        .await?;
    read_repo_page(&resp.body).map_err(|detail| resp.bad_json(detail))
}

/// Page numbers still to fetch after page 1, when the server told the size.
pub fn remaining_pages(size: u64, pagelen: u64) -> std::ops::RangeInclusive<u64> {
    remaining_pages_within(size, pagelen, MAX_PAGES)
}

/// [`remaining_pages`], at most `max_pages` in all. The listing checks the claimed size
/// against its caps first (an error, not a shorter list), so this bound only guards.
pub fn remaining_pages_within(
    size: u64,
    pagelen: u64,
    max_pages: usize,
) -> std::ops::RangeInclusive<u64> {
    let pages = if pagelen == 0 {
        1
    } else {
        size.div_ceil(pagelen).max(1)
    };
    // A hostile `size` (u64::MAX with pagelen 1) must not spawn a task per claimed page.
    2..=pages.min(max_pages as u64)
}

/// `/2.0/user` into an identity; the nickname is what Bitbucket shows people.
pub fn map_identity(user: &Value) -> Identity {
    let s = |k: &str| {
        user.get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(clean)
    };
    Identity {
        username: s("nickname")
            .or_else(|| s("username"))
            .or_else(|| s("display_name"))
            .or_else(|| s("account_id"))
            .unwrap_or_default(),
        display_name: s("display_name"),
        email: None,
        account_id: s("account_id").or_else(|| s("uuid")),
    }
}

pub fn map_workspace(access: &Value) -> Option<Workspace> {
    let slug = access
        .get("workspace")
        .and_then(|w| w.get("slug"))
        .and_then(Value::as_str)?;
    Some(Workspace {
        slug: slug.to_string(),
        administrator: access
            .get("administrator")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// A Cloud repository object into a `Repo`; `None` without `full_name`.
pub fn map_repo(v: &Value) -> Option<Repo> {
    map_obj(v, map_raw)
}

fn map_raw(v: &RawRepo<'_>) -> Option<Repo> {
    let full_name = v.full_name.text()?;
    let (ws_from_name, slug_from_name) = full_name.split_once('/').unwrap_or(("", &full_name));
    let project = v.project.get();
    let links = v.links.get();
    let mut repo = Repo {
        name: v.name.text().unwrap_or_else(|| slug_from_name.to_string()),
        slug: v.slug.text().unwrap_or_else(|| slug_from_name.to_string()),
        project_key: project.and_then(|p| p.key.text()),
        project_name: project.and_then(|p| p.name.text()),
        workspace: v
            .workspace
            .get()
            .and_then(|w| w.slug.text())
            .or_else(|| (!ws_from_name.is_empty()).then(|| ws_from_name.to_string())),
        private: v.is_private.as_bool().unwrap_or(true),
        archived: false,
        default_branch: v.mainbranch.get().and_then(|b| b.name.text()),
        clone_https: None,
        clone_ssh: None,
        updated_on: v.updated_on.text(),
        description: v.description.text().filter(|d| !d.is_empty()),
        web_url: links.and_then(|l| l.html.get()).and_then(|h| h.href.text()),
        full_name,
    };
    for link in links
        .map(|l| l.clone.items())
        .unwrap_or_default()
        .iter()
        .filter_map(Obj::get)
    {
        let href = link.href.text();
        match link.name.as_str() {
            // Cloud embeds the caller's name (`https://alice@bitbucket.org/...`): strip it.
            Some("https") => repo.clone_https = href.map(|h| crate::core::urls::strip_userinfo(&h)),
            Some("ssh") => repo.clone_ssh = href,
            _ => {}
        }
    }
    Some(repo)
}

fn api(client: &Client, segments: &[&str], query: &[(&str, &str)]) -> String {
    urls::build(&client.inner().api, segments, query)
}

/// Follows a `next` link only to the API's own origin: elsewhere would get the credential.
fn checked_next(client: &Client, next: &str) -> Result<String, HttpError> {
    if urls::same_origin(&client.inner().api, next) {
        Ok(next.to_string())
    } else {
        Err(HttpError::Redirect {
            host: super::http::host_label(&url::Url::parse(&client.inner().api).map_err(|_| {
                HttpError::BadUrl {
                    url: client.inner().api.clone(),
                }
            })?),
            path: "(pagination)".into(),
            location: super::errors::quote(next),
        })
    }
}

pub(crate) async fn user(
    client: &Client,
    progress: Option<&mpsc::UnboundedSender<String>>,
) -> Result<JsonResponse, HttpError> {
    client
        .get(&api(client, &["user"], &[]), true, progress)
        .await
}

/// Unauthenticated reachability probe: any HTTP answer proves the server is there.
pub(crate) async fn probe(
    client: &Client,
    progress: Option<&mpsc::UnboundedSender<String>>,
) -> Result<JsonResponse, HttpError> {
    client
        .get(&api(client, &["user"], &[]), false, progress)
        .await
}

pub(crate) async fn workspaces(
    client: &Client,
    progress: Option<&mpsc::UnboundedSender<String>>,
) -> Result<Vec<Workspace>, HttpError> {
    // Workspace pages count against the listing's page cap: their `next` can be endless too.
    let mut budget = Budget::new(client);
    let mut url = api(
        client,
        &["user", "workspaces"],
        &[("pagelen", &PAGELEN.to_string())],
    );
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    loop {
        let resp = client.get(&url, true, progress).await?;
        let page = parse_page(&resp.body);
        budget.page(0)?;
        for w in page.values.iter().filter_map(map_workspace) {
            if seen.insert(w.slug.clone()) {
                out.push(w);
            }
        }
        match page.next {
            Some(next) if next != url => url = checked_next(client, &next)?,
            _ => return Ok(out),
        }
    }
}

pub(crate) async fn repo(client: &Client, ws: &str, slug: &str) -> Result<JsonResponse, HttpError> {
    client
        .get(&api(client, &["repositories", ws, slug], &[]), true, None)
        .await
}

pub(crate) async fn hooks(
    client: &Client,
    ws: &str,
    slug: &str,
) -> Result<JsonResponse, HttpError> {
    client
        .get(
            &api(
                client,
                &["repositories", ws, slug, "hooks"],
                &[("pagelen", "1")],
            ),
            true,
            None,
        )
        .await
}

/// The first repository of `ws` the caller administers, if any.
pub(crate) async fn first_admin_repo(client: &Client, ws: &str) -> Result<Option<Repo>, HttpError> {
    let url = api(
        client,
        &["repositories", ws],
        &[("role", "admin"), ("pagelen", "1"), ("fields", REPO_FIELDS)],
    );
    let resp = client.get(&url, true, None).await?;
    Ok(parse_page(&resp.body).values.iter().find_map(map_repo))
}

fn first_repo_page_url(client: &Client, ws: &str) -> String {
    api(
        client,
        &["repositories", ws],
        &[
            ("role", "member"),
            ("pagelen", &PAGELEN.to_string()),
            ("fields", REPO_FIELDS),
        ],
    )
}

/// Every repository of every workspace of the caller, streamed as pages arrive.
pub(crate) async fn list_all(
    client: &Client,
    tx: &mpsc::Sender<RepoPage>,
    progress: Option<&mpsc::UnboundedSender<String>>,
) -> Result<usize, HttpError> {
    let spaces = workspaces(client, progress).await?;
    list_spaces(client, tx, &spaces).await
}

/// Every repository of these workspaces, streamed as pages arrive. Apart from [`list_all`] so
/// the check can ask for the workspaces once and probe their admin rights meanwhile.
pub(crate) async fn list_spaces(
    client: &Client,
    tx: &mpsc::Sender<RepoPage>,
    spaces: &[Workspace],
) -> Result<usize, HttpError> {
    // First pages of all workspaces together: their sizes give the total before the rest.
    let mut firsts = JoinSet::new();
    for (i, w) in spaces.iter().enumerate() {
        let c = client.clone();
        let url = first_repo_page_url(client, &w.slug);
        firsts.spawn(async move { (i, url.clone(), get_repo_page(&c, &url).await) });
    }
    let (itx, mut irx) = mpsc::unbounded_channel::<Result<Vec<Repo>, HttpError>>();
    let mut rest = JoinSet::new();
    let mut budget = Budget::new(client);
    let mut sizes: Vec<Option<u64>> = vec![None; spaces.len()];
    let mut first_batches: Vec<Vec<Repo>> = vec![Vec::new(); spaces.len()];
    while let Some(joined) = firsts.join_next().await {
        let (i, url, result) = joined.map_err(|e| task_failed(client, &e))?;
        let page = result?;
        // The rest of this workspace starts now, not when every first page is in: with more
        // workspaces than requests in flight, waiting would leave a round half empty.
        spawn_rest(client, &url, &page, &itx, &mut rest, &mut budget)?;
        sizes[i] = page.size;
        first_batches[i] = page.repos;
    }
    let total_hint = sizes
        .iter()
        // Saturating: sizes are server text and a plain sum overflows (a panic in debug).
        .try_fold(0u64, |acc, s| s.map(|s| acc.saturating_add(s)))
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));

    let mut seen = Seen::default();
    let mut sent = 0usize;
    drop(itx);
    for batch in first_batches {
        let repos = fresh(batch, &mut seen);
        budget.page(repos.len())?;
        sent += repos.len();
        if tx.send(RepoPage { repos, total_hint }).await.is_err() {
            return Ok(sent);
        }
    }
    while let Some(result) = irx.recv().await {
        // Dropping the JoinSet on return aborts the other fetches.
        let repos = fresh(result?, &mut seen);
        budget.page(repos.len())?;
        sent += repos.len();
        if tx.send(RepoPage { repos, total_hint }).await.is_err() {
            return Ok(sent);
        }
    }
    // Every sender is gone, so every task has ended; a panicked one would mean missing pages.
    while let Some(joined) = rest.join_next().await {
        joined.map_err(|e| task_failed(client, &e))?;
    }
    Ok(sent)
}

/// Fetches the rest of a workspace after its first page: by page number when the page told
/// its `size`, else following `next` one page at a time.
fn spawn_rest(
    client: &Client,
    url: &str,
    page: &RepoPageRead,
    itx: &mpsc::UnboundedSender<Result<Vec<Repo>, HttpError>>,
    rest: &mut JoinSet<()>,
    budget: &mut Budget,
) -> Result<(), HttpError> {
    match (page.size, page.pagelen) {
        (Some(size), Some(pagelen)) if pagelen > 0 => {
            // A size past the caps is refused before any of its pages is asked for.
            budget.claim_size(size, size.div_ceil(pagelen))?;
            let max_pages = client.inner().options.limits.max_pages;
            for n in remaining_pages_within(size, pagelen, max_pages) {
                let c = client.clone();
                let itx = itx.clone();
                let page_url = urls::with_query(url, "page", &n.to_string());
                rest.spawn(async move {
                    let r = get_repo_page(&c, &page_url).await.map(|p| p.repos);
                    let _ = itx.send(r);
                });
            }
        }
        _ => {
            if let Some(next) = page.next.as_deref() {
                let next = checked_next(client, next)?;
                let c = client.clone();
                let itx = itx.clone();
                rest.spawn(async move { follow_next(c, next, itx).await });
            }
        }
    }
    Ok(())
}

fn task_failed(client: &Client, e: &tokio::task::JoinError) -> HttpError {
    super::http::bad_shape(
        &client.inner().api,
        format!("a page fetch stopped unexpectedly ({e}); the list would be incomplete"),
    )
}

/// Without `size`, the only way on is `next`, one page after another.
async fn follow_next(
    client: Client,
    mut url: String,
    itx: mpsc::UnboundedSender<Result<Vec<Repo>, HttpError>>,
) {
    // A server whose `next` never ends must not keep us forever; the listing's page cap
    // normally stops it first, where the pages are counted.
    let max_pages = client.inner().options.limits.max_pages;
    for _ in 0..max_pages {
        match get_repo_page(&client, &url).await {
            Ok(page) => {
                if itx.send(Ok(page.repos)).is_err() {
                    return;
                }
                match page.next {
                    Some(next) if next != url => match checked_next(&client, &next) {
                        Ok(n) => url = n,
                        Err(e) => {
                            let _ = itx.send(Err(e));
                            return;
                        }
                    },
                    _ => return,
                }
            }
            Err(e) => {
                let _ = itx.send(Err(e));
                return;
            }
        }
    }
    let _ = itx.send(Err(super::http::bad_shape(
        &url,
        format!("more than {max_pages} pages: the `next` links do not end"),
    )));
}

/// The names a listing has sent, as 64-bit hashes keyed at random for each listing (so a
/// server cannot aim for a collision): a million names as Strings would be tens of MB.
#[derive(Default)]
pub(crate) struct Seen {
    keys: std::hash::RandomState,
    hashes: HashSet<u64>,
}

/// Repositories of `values` not sent before: page-number fetches can overlap when
/// repositories are created while we list.
fn fresh(mut repos: Vec<Repo>, seen: &mut Seen) -> Vec<Repo> {
    use std::hash::BuildHasher;
    repos.retain(|r| seen.hashes.insert(seen.keys.hash_one(&r.full_name)));
    repos
}

/// A repository access token reaches one repository: list just that one.
pub(crate) async fn list_single(
    client: &Client,
    tx: &mpsc::Sender<RepoPage>,
    _progress: Option<&mpsc::UnboundedSender<String>>,
) -> Result<usize, HttpError> {
    let Some((ws, slug)) = urls::split_repo(client.spec().repo.as_deref()) else {
        return Ok(0);
    };
    let resp = repo(client, &ws, &slug).await?;
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
    use serde_json::json;

    #[test]
    fn identity_prefers_nickname() {
        let id = map_identity(
            &json!({"type":"user","uuid":"{u}","account_id":"557058:1","display_name":"Alice A","nickname":"alice","username":"alice-old"}),
        );
        assert_eq!(id.username, "alice");
        assert_eq!(id.display_name.as_deref(), Some("Alice A"));
        assert_eq!(id.account_id.as_deref(), Some("557058:1"));
        let id = map_identity(&json!({"display_name":"Bob"}));
        assert_eq!(id.username, "Bob");
    }

    #[test]
    fn page_shapes_are_checked() {
        assert_eq!(
            page_shape_problem(&json!({"values":[],"pagelen":100})),
            None
        );
        assert!(page_shape_problem(&json!({"pagelen":100})).is_some());
        assert!(page_shape_problem(&json!({"values":[],"size":"12"})).is_some());
        assert!(page_shape_problem(&json!({"values":[{"full_name":3}]})).is_some());
    }

    #[test]
    fn pages_are_read_from_bytes_with_the_same_rules() {
        let body = br#"{"pagelen":100,"size":2,"page":1,"next":"https://x/2.0/r?page=2",
            "values":[{"full_name":"acme/a\u001b","is_private":false,"links":{"html":{"href":"h"}}},
                      {"full_name":"acme/b","name":3,"mainbranch":"main"}]}"#;
        let p = read_repo_page(body).unwrap();
        assert_eq!((p.size, p.pagelen), (Some(2), Some(100)));
        assert_eq!(p.next.as_deref(), Some("https://x/2.0/r?page=2"));
        assert_eq!(p.repos[0].full_name, "acme/a\u{241b}");
        assert_eq!(p.repos[0].web_url.as_deref(), Some("h"));
        assert!(!p.repos[0].private && p.repos[1].private);
        assert_eq!(p.repos[1].name, "b");
        assert_eq!(p.repos[1].default_branch, None);
        let err = |b: &[u8]| read_repo_page(b).unwrap_err();
        assert!(err(b" ").contains("no `values` array"));
        assert!(err(br#"{"values":[],"size":"12"}"#).contains("`size`"));
        assert!(err(br#"{"values":[],"next":5}"#).contains("`next`"));
        assert!(err(br#"{"values":[{"full_name":["a"]}]}"#).starts_with("1 repository objects"));
    }

    #[test]
    fn remaining_pages_cover_exactly_the_rest() {
        assert_eq!(remaining_pages(250, 100).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(remaining_pages(200, 100).collect::<Vec<_>>(), vec![2]);
        assert!(remaining_pages(100, 100).next().is_none());
        assert!(remaining_pages(0, 100).next().is_none());
    }

    #[test]
    fn remaining_pages_are_bounded_whatever_the_server_claims() {
        // Found while writing the page fuzz target: size u64::MAX, pagelen 1 meant 2^64 fetches.
        let r = remaining_pages(u64::MAX, 1);
        assert_eq!(*r.end(), MAX_PAGES as u64);
    }

    #[test]
    fn repo_maps_links_and_strips_userinfo() {
        let r = map_repo(&json!({
            "full_name":"acme/api","name":"API","slug":"api","is_private":false,
            "updated_on":"2026-01-01T00:00:00+00:00","description":"",
            "mainbranch":{"name":"main"},"project":{"key":"PRJ","name":"Project"},
            "workspace":{"slug":"acme"},
            "links":{"html":{"href":"https://bitbucket.org/acme/api"},
                     "clone":[{"name":"https","href":"https://alice@bitbucket.org/acme/api.git"},{"name":"ssh","href":"git@bitbucket.org:acme/api.git"}]}
        }))
        .unwrap();
        assert_eq!(
            r.clone_https.as_deref(),
            Some("https://bitbucket.org/acme/api.git")
        );
        assert_eq!(
            r.clone_ssh.as_deref(),
            Some("git@bitbucket.org:acme/api.git")
        );
        assert_eq!(r.workspace.as_deref(), Some("acme"));
        assert_eq!(r.default_branch.as_deref(), Some("main"));
        assert_eq!(r.description, None);
        assert!(!r.private);
        assert_eq!(r.web_url.as_deref(), Some("https://bitbucket.org/acme/api"));
    }

    #[test]
    fn workspace_access_objects() {
        let w = map_workspace(&json!({"type":"workspace_access","administrator":true,"workspace":{"slug":"acme","name":"Acme"}})).unwrap();
        assert_eq!(
            w,
            Workspace {
                slug: "acme".into(),
                administrator: true
            }
        );
    }

    #[test]
    fn duplicates_across_pages_are_dropped() {
        let mut seen = Seen::default();
        let repos = |names: &[&str]| -> Vec<Repo> {
            names
                .iter()
                .filter_map(|n| map_repo(&json!({ "full_name": n })))
                .collect()
        };
        let a = fresh(repos(&["w/a", "w/b"]), &mut seen);
        let b = fresh(repos(&["w/b", "w/c"]), &mut seen);
        assert_eq!(a.len(), 2);
        assert_eq!(
            b.iter().map(|r| r.full_name.as_str()).collect::<Vec<_>>(),
            vec!["w/c"]
        );
    }
}
