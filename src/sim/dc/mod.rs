//! Data Center REST (`/rest/api/1.0/...`): version, identity, repositories, default branch.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::auth::{DcPerm, DcWho, dc_who};
use super::render::splice_values;
use super::reply::{
    dc_bad_credentials, dc_error, dc_not_permitted, json_reply, json_text_reply, with_user,
};
use super::{Scenario, SimState};

mod projects;

type St = State<Arc<SimState>>;
type Params = Query<HashMap<String, String>>;

pub(crate) fn routes() -> Router<Arc<SimState>> {
    let api = Router::new()
        .route("/application-properties", get(application_properties))
        .route("/users/{slug}", get(user))
        .route("/admin/{*rest}", get(admin_only))
        .route("/repos", get(repos))
        .route("/projects", get(projects))
        .route("/projects/{key}/repos", get(project_repos))
        .route("/projects/{key}/repos/{slug}", get(repo))
        .route(
            "/projects/{key}/repos/{slug}/default-branch",
            get(default_branch),
        )
        .merge(projects::api_routes());
    // `latest` is an alias the vendor serves next to `1.0`.
    Router::new()
        .nest("/rest/api/1.0", api.clone())
        .nest("/rest/api/latest", api)
        .merge(projects::token_routes())
}

/// The caller, or the 401 to answer with.
pub(crate) fn caller(state: &SimState, headers: &HeaderMap) -> Result<DcWho, Response> {
    dc_who(state, headers).map_err(|_| dc_bad_credentials())
}

async fn application_properties(State(state): St, headers: HeaderMap) -> Response {
    let version = if state.config.scenario == Scenario::OldVersion {
        "7.9.1"
    } else {
        "8.19.1"
    };
    let build = version
        .split('.')
        .map(|p| format!("{:0>3}", p))
        .collect::<String>();
    let body = json!({
        "version": version,
        "buildNumber": build.trim_start_matches('0'),
        "buildDate": "1729555200000",
        "displayName": "Bitbucket"
    });
    // Answers even anonymously or with bad credentials; only the header tells them apart.
    let who = dc_who(&state, &headers).ok();
    with_user(
        json_reply(StatusCode::OK, body),
        who.as_ref().and_then(DcWho::username),
    )
}

async fn user(State(state): St, headers: HeaderMap, Path(slug): Path<String>) -> Response {
    let who = match caller(&state, &headers) {
        Ok(DcWho::Anonymous) => {
            return dc_error(
                StatusCode::UNAUTHORIZED,
                "Authentication required",
                "com.atlassian.bitbucket.auth.AuthenticationRequiredException",
            );
        }
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match state.data.user(&slug) {
        Some(u) => json_reply(
            StatusCode::OK,
            json!({
                "name": u.slug, "emailAddress": u.email, "active": true, "displayName": u.display_name,
                "id": u.id, "slug": u.slug, "type": "NORMAL",
                "links": {"self": [{"href": format!("{}/users/{}", state.link_base(), u.slug)}]}
            }),
        ),
        None => dc_error(
            StatusCode::NOT_FOUND,
            &format!("User {slug} does not exist."),
            "com.atlassian.bitbucket.user.NoSuchUserException",
        ),
    };
    with_user(reply, who.username())
}

/// Stands for every system-admin endpoint: nobody in the data set is a system admin.
async fn admin_only(State(state): St, headers: HeaderMap) -> Response {
    match caller(&state, &headers) {
        Ok(who) => with_user(dc_not_permitted(), who.username()),
        Err(r) => r,
    }
}

/// Filters of `GET /repos`, all optional, matched case-insensitively as the vendor does.
struct RepoFilter {
    name: Option<String>,
    project_name: Option<String>,
    project_key: Option<String>,
    permission: DcPerm,
    archived: Option<bool>,
    visibility: Option<bool>,
}

impl RepoFilter {
    fn parse(q: &HashMap<String, String>) -> Result<RepoFilter, Response> {
        let lower = |k: &str| {
            q.get(k)
                .map(|v| v.trim().to_lowercase())
                .filter(|v| !v.is_empty())
        };
        let permission = match q.get("permission") {
            None => DcPerm::Read,
            Some(p) => match p.to_ascii_uppercase().as_str() {
                "REPO_READ" | "REPO_WRITE" | "REPO_ADMIN" => {
                    DcPerm::parse(p).unwrap_or(DcPerm::Read)
                }
                _ => {
                    return Err(dc_error(
                        StatusCode::BAD_REQUEST,
                        &format!("{p} is not a valid repository permission"),
                        "com.atlassian.bitbucket.validation.ArgumentValidationException",
                    ));
                }
            },
        };
        let archived = match lower("archived").as_deref() {
            None | Some("active") => Some(false),
            Some("archived") => Some(true),
            _ => None,
        };
        let visibility = match lower("visibility").as_deref() {
            Some("public") => Some(true),
            Some("private") => Some(false),
            _ => None,
        };
        Ok(RepoFilter {
            name: lower("name"),
            project_name: lower("projectname"),
            project_key: lower("projectkey"),
            permission,
            archived,
            visibility,
        })
    }

    fn keeps(&self, state: &SimState, who: &DcWho, index: usize) -> bool {
        let r = &state.data.dc_repos[index];
        let p = &state.data.spec.dc.projects[r.project];
        who.perm_on(state, index)
            .is_some_and(|perm| perm >= self.permission)
            && self.archived.is_none_or(|a| a == r.archived)
            && self.visibility.is_none_or(|v| v == (r.public || p.public))
            && self
                .name
                .as_deref()
                .is_none_or(|n| r.name.to_lowercase().contains(n))
            && self
                .project_name
                .as_deref()
                .is_none_or(|n| p.name.to_lowercase().contains(n))
            && self
                .project_key
                .as_deref()
                .is_none_or(|k| p.key.to_lowercase() == k)
    }
}

async fn repos(State(state): St, headers: HeaderMap, Query(q): Params) -> Response {
    list_repos(&state, &headers, &q, None)
}

async fn project_repos(
    State(state): St,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(q): Params,
) -> Response {
    // Credentials first: a bad password on an unknown project is a 401, as the vendor answers,
    // not a 404 that would tell a stranger which projects exist.
    if let Err(r) = caller(&state, &headers) {
        return r;
    }
    let Some(project) = state.data.dc_project_index(&key) else {
        return no_such_project(&key);
    };
    list_repos(&state, &headers, &q, Some(project))
}

fn list_repos(
    state: &SimState,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    project: Option<usize>,
) -> Response {
    let who = match caller(state, headers) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let filter = match RepoFilter::parse(q) {
        Ok(f) => f,
        Err(r) => return with_user(r, who.username()),
    };
    let matching: Vec<usize> = (0..state.data.dc_repos.len())
        .filter(|&i| project.is_none_or(|p| state.data.dc_repos[i].project == p))
        .filter(|&i| filter.keeps(state, &who, i))
        .collect();
    let reply = if state.config.scenario == Scenario::WrongTypes {
        // The wrong-types rewrite works on the `Value` of each repository.
        json_reply(
            StatusCode::OK,
            page(state, q, &matching, true, |i| repo_json(state, i)),
        )
    } else {
        let (mut window, slice) = window(state, q, &matching);
        let endless: Vec<usize>;
        let slice = if state.config.scenario == Scenario::NeverLastPage && !matching.is_empty() {
            // A full page from `start` on, wrapping round the data set: the list never ends.
            endless = (0..window.limit)
                .map(|k| matching[window.start.wrapping_add(k) % matching.len()])
                .collect();
            window.end = window.start.saturating_add(window.limit);
            window.last = false;
            &endless[..]
        } else {
            slice
        };
        let body = envelope(state, &window, slice.len(), true, Vec::new());
        let fragments = &state.render.dc;
        let items = slice
            .iter()
            .map(|&i| fragments.get(i, || repo_json(state, i)));
        json_text_reply(StatusCode::OK, splice_values(&body, items))
    };
    with_user(reply, who.username())
}

/// Which items one DC page holds: `start`/`limit` from the query, `limit` capped.
struct Window {
    start: usize,
    limit: usize,
    end: usize,
    last: bool,
}

fn window<'a>(
    state: &SimState,
    q: &HashMap<String, String>,
    items: &'a [usize],
) -> (Window, &'a [usize]) {
    let start: usize = q.get("start").and_then(|s| s.parse().ok()).unwrap_or(0);
    let asked: usize = q.get("limit").and_then(|s| s.parse().ok()).unwrap_or(25);
    let limit = match state.config.dc_page_len {
        Some(n) => n.max(1),
        None => asked.clamp(1, state.config.dc_limit_cap.max(1)),
    };
    let take = match state.config.dc_short_pages_from {
        Some(from) if start >= from => (limit / 2).max(1),
        _ => limit,
    };
    let end = (start.saturating_add(take)).min(items.len());
    let slice = items.get(start.min(items.len())..end).unwrap_or(&[]);
    let last = end >= items.len();
    (
        Window {
            start,
            limit,
            end,
            last,
        },
        slice,
    )
}

/// A DC page of `items`: `start`/`limit` from the query, `limit` capped and echoed back.
/// `hostile` lets the listing scenarios (endless paging, wrong types) strike this page.
fn page(
    state: &SimState,
    q: &HashMap<String, String>,
    items: &[usize],
    hostile: bool,
    render: impl Fn(usize) -> Value,
) -> Value {
    let (window, slice) = window(state, q, items);
    let values: Vec<Value> = slice.iter().map(|&i| render(i)).collect();
    envelope(state, &window, values.len(), hostile, values)
}

/// The page object around `values` (`count` of them; the text path passes none and splices
/// the rendered repositories in later). `limit` is echoed back as applied.
fn envelope(
    state: &SimState,
    w: &Window,
    count: usize,
    hostile: bool,
    values: Vec<Value>,
) -> Value {
    let (start, limit, end) = (w.start, w.limit, w.end);
    let scenario = if hostile {
        state.config.scenario
    } else {
        Scenario::Normal
    };
    match scenario {
        Scenario::EndlessPaging => json!({
            "size": count, "limit": limit, "isLastPage": false, "start": start,
            "nextPageStart": start, "values": values
        }),
        Scenario::WrongTypes => json!({
            "size": count.to_string(), "limit": "lots", "isLastPage": "no", "start": {},
            "values": values.iter().map(wrong_types).collect::<Vec<_>>()
        }),
        _ if w.last => {
            json!({"size": count, "limit": limit, "isLastPage": true, "start": start, "values": values})
        }
        _ => json!({
            "size": count, "limit": limit, "isLastPage": false, "start": start,
            "nextPageStart": end, "values": values
        }),
    }
}

/// The same repository with every field's type swapped, for the `wrong-types` scenario.
fn wrong_types(v: &Value) -> Value {
    json!({
        "slug": 42, "id": v["slug"], "name": ["not", "a", "string"], "state": false,
        "public": "yes", "archived": 0, "project": v["project"]["key"], "links": "none"
    })
}

fn project_json(state: &SimState, index: usize) -> Value {
    let p = &state.data.spec.dc.projects[index];
    let base = state.link_base();
    let mut v =
        json!({"key": p.key, "id": p.id, "name": p.name, "public": p.public, "type": "NORMAL"});
    if !p.description.is_empty() {
        v["description"] = json!(p.description);
    }
    if let Some(owner) = p.personal_owner.as_deref().and_then(|o| state.data.user(o)) {
        v["type"] = json!("PERSONAL");
        v["owner"] = json!({
            "name": owner.slug, "emailAddress": owner.email, "active": true, "displayName": owner.display_name,
            "id": owner.id, "slug": owner.slug, "type": "NORMAL"
        });
        v["links"] = json!({"self": [{"href": format!("{base}/users/{}", owner.slug)}]});
    } else {
        v["links"] = json!({"self": [{"href": format!("{base}/projects/{}", p.key)}]});
    }
    v
}

pub(crate) fn repo_json(state: &SimState, index: usize) -> Value {
    let r = &state.data.dc_repos[index];
    let p = &state.data.spec.dc.projects[r.project];
    if state.config.dc_small_repos {
        return json!({"slug": r.slug, "project": {"key": p.key}, "public": r.public});
    }
    let base = state.link_base();
    let host = super::keys::ssh_host(state);
    let ssh_port = state.ssh_port;
    let scm_path = p.key.to_lowercase();
    let browse = match &p.personal_owner {
        Some(owner) => format!("{base}/users/{owner}/repos/{}/browse", r.slug),
        None => format!("{base}/projects/{}/repos/{}/browse", p.key, r.slug),
    };
    let mut v = json!({
        "slug": r.slug,
        "id": r.id,
        "name": r.name,
        "hierarchyId": format!("{:020x}", r.id.wrapping_mul(0x9e37_79b9)),
        "scmId": "git",
        "state": "AVAILABLE",
        "statusMessage": "Available",
        "forkable": r.forkable,
        "project": project_json(state, r.project),
        "public": r.public,
        "archived": r.archived,
        "links": {
            "clone": [
                {"href": format!("{base}/scm/{scm_path}/{}.git", r.slug), "name": "http"},
                {"href": format!("ssh://git@{host}:{ssh_port}/{scm_path}/{}.git", r.slug), "name": "ssh"}
            ],
            "self": [{"href": browse}]
        }
    });
    if !r.description.is_empty() {
        v["description"] = json!(r.description);
    }
    v
}

fn no_such_project(key: &str) -> Response {
    dc_error(
        StatusCode::NOT_FOUND,
        &format!("Project {key} does not exist."),
        "com.atlassian.bitbucket.project.NoSuchProjectException",
    )
}

/// Resolves `{key}/{slug}` for a caller who needs `need` on it: 404 when absent, 401
/// AuthorisationException when the caller lacks the permission (DC answers 401, not 403).
pub(crate) fn find_repo(
    state: &SimState,
    who: &DcWho,
    key: &str,
    slug: &str,
    need: DcPerm,
) -> Result<usize, Response> {
    let project = state
        .data
        .dc_project_index(key)
        .ok_or_else(|| no_such_project(key))?;
    let index = state
        .live_slug(key, slug)
        .and_then(|live| state.data.dc_repo_index(project, &live))
        .ok_or_else(|| {
            dc_error(
                StatusCode::NOT_FOUND,
                &format!("Repository {key}/{slug} does not exist."),
                "com.atlassian.bitbucket.repository.NoSuchRepositoryException",
            )
        })?;
    match who.perm_on(state, index) {
        Some(p) if p >= need => Ok(index),
        _ => Err(dc_not_permitted()),
    }
}

async fn repo(
    State(state): St,
    headers: HeaderMap,
    Path((key, slug)): Path<(String, String)>,
) -> Response {
    readable_repo(&state, &headers, &key, &slug, repo_json)
}

async fn default_branch(
    State(state): St,
    headers: HeaderMap,
    Path((key, slug)): Path<(String, String)>,
) -> Response {
    readable_repo(&state, &headers, &key, &slug, branch_json)
}

/// `body` of the repository `key`/`slug`, for a caller who may read it.
fn readable_repo(
    state: &SimState,
    headers: &HeaderMap,
    key: &str,
    slug: &str,
    body: fn(&SimState, usize) -> Value,
) -> Response {
    let who = match caller(state, headers) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match find_repo(state, &who, key, slug, DcPerm::Read) {
        Ok(i) => json_reply(StatusCode::OK, body(state, i)),
        Err(r) => r,
    };
    with_user(reply, who.username())
}

/// A repository's default branch as a `RestBranch`; the simulator keeps no other branch.
pub(crate) fn branch_json(state: &SimState, index: usize) -> Value {
    let r = &state.data.dc_repos[index];
    let commit = format!(
        "{:016x}{:016x}{:08x}",
        r.id.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        r.id,
        r.id
    );
    json!({
        "id": format!("refs/heads/{}", r.default_branch),
        "displayId": r.default_branch,
        "type": "BRANCH",
        "latestCommit": commit,
        "latestChangeset": commit,
        "isDefault": true
    })
}

async fn projects(State(state): St, headers: HeaderMap, Query(q): Params) -> Response {
    let who = match caller(&state, &headers) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let visible: Vec<usize> = (0..state.data.spec.dc.projects.len())
        .filter(|&p| {
            state
                .data
                .dc_repos
                .iter()
                .enumerate()
                .any(|(i, r)| r.project == p && who.perm_on(&state, i).is_some())
        })
        .collect();
    let body = page(&state, &q, &visible, false, |p| project_json(&state, p));
    with_user(json_reply(StatusCode::OK, body), who.username())
}
