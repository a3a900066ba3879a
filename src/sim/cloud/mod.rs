//! Cloud REST (`/2.0/...`): the caller, their workspaces, repositories per workspace, the
//! retired cross-workspace listings (410), and the public list of webhook events.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::auth::{CloudWho, ScopeKind, cloud_who, oauth_implies};
use super::data::cloud_time;
use super::hooks::HOOK_EVENTS;
use super::reply::{cloud_error, cloud_scope_error, json_reply, json_text_reply};
use super::{Scenario, SimState};

mod repo_parts;
mod workspaces;

type St = State<Arc<SimState>>;
type Params = Query<HashMap<String, String>>;

pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/2.0/user", get(user))
        .route("/2.0/user/workspaces", get(user_workspaces))
        .route("/2.0/repositories/{ws}", get(repositories))
        .route("/2.0/repositories/{ws}/{slug}", get(repository))
        .route("/2.0/repositories", get(gone))
        .route("/2.0/workspaces", get(gone))
        .route("/2.0/user/permissions/workspaces", get(gone))
        .route("/2.0/user/permissions/repositories", get(gone))
        .route("/2.0/hook_events", get(hook_subjects))
        .route("/2.0/hook_events/repository", get(hook_events))
        .merge(workspaces::routes())
        .merge(repo_parts::routes())
}

/// What an endpoint needs: exact API-token scopes, and OAuth-style scopes (which imply lower
/// levels) for app passwords, OAuth and repository access tokens.
pub(crate) struct Need {
    pub api: &'static [&'static str],
    pub oauth: &'static [&'static str],
}

const NEED_USER: Need = Need {
    api: &["read:user:bitbucket"],
    oauth: &["account"],
};
const NEED_WORKSPACES: Need = Need {
    api: &["read:workspace:bitbucket", "read:user:bitbucket"],
    oauth: &["account"],
};
pub(crate) const NEED_REPO: Need = Need {
    api: &["read:repository:bitbucket"],
    oauth: &["repository"],
};

/// Checks the credential against `need`. Anonymous callers pass: each endpoint decides what
/// they may see.
pub(crate) fn authorize(
    state: &SimState,
    headers: &HeaderMap,
    need: &Need,
) -> Result<CloudWho, Response> {
    let mut who = cloud_who(state, headers).map_err(|e| e.response())?;
    let (kind, scopes) = match &who {
        CloudWho::Anonymous => return Ok(who),
        CloudWho::User { kind, scopes, .. } => (*kind, scopes),
        CloudWho::RepoToken { scopes, .. } => (ScopeKind::OAuthStyle, scopes),
    };
    let accepted_here = if kind == ScopeKind::ApiToken {
        need.api
    } else {
        need.oauth
    };
    let ok = match kind {
        ScopeKind::ApiToken => need.api.iter().all(|r| scopes.iter().any(|g| g == r)),
        ScopeKind::OAuthStyle => need
            .oauth
            .iter()
            .all(|r| scopes.iter().any(|g| oauth_implies(g, r))),
    };
    if ok {
        // Bitbucket names what the endpoint accepts on successful answers too.
        match &mut who {
            CloudWho::User { accepted, .. } | CloudWho::RepoToken { accepted, .. } => {
                *accepted = accepted_here
            }
            CloudWho::Anonymous => {}
        }
        Ok(who)
    } else {
        let required = if kind == ScopeKind::ApiToken {
            need.api
        } else {
            need.oauth
        };
        Err(decorate(&who, cloud_scope_error(required, scopes)))
    }
}

/// The headers Bitbucket adds for token credentials: granted scopes, and the credential type
/// of repository access tokens.
pub(crate) fn decorate(who: &CloudWho, mut r: Response) -> Response {
    if let CloudWho::User { accepted, .. } | CloudWho::RepoToken { accepted, .. } = who
        && !accepted.is_empty()
        && !r.headers().contains_key("x-accepted-oauth-scopes")
        && let Ok(v) = HeaderValue::from_str(&accepted.join(", "))
    {
        r.headers_mut().insert("x-accepted-oauth-scopes", v);
    }
    let (scopes, repo_token) = match who {
        CloudWho::RepoToken { scopes, .. } => (scopes, true),
        CloudWho::User {
            kind: ScopeKind::OAuthStyle,
            scopes,
            ..
        } => (scopes, false),
        _ => return r,
    };
    if let Ok(v) = HeaderValue::from_str(&scopes.join(", ")) {
        r.headers_mut().insert("x-oauth-scopes", v);
    }
    if repo_token {
        r.headers_mut().insert(
            "x-credential-type",
            HeaderValue::from_static("repo_access_token"),
        );
    }
    r
}

fn unauthenticated() -> Response {
    cloud_error(
        StatusCode::UNAUTHORIZED,
        "Authentication required: send an API token, app password or OAuth token.",
    )
}

async fn gone() -> Response {
    cloud_error(
        StatusCode::GONE,
        "CHANGE-2770 - Functionality has been deprecated",
    )
}

async fn user(State(state): St, headers: HeaderMap) -> Response {
    let who = match authorize(&state, &headers, &NEED_USER) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let CloudWho::User { slug, .. } = &who else {
        return unauthenticated();
    };
    let Some(u) = state.data.user(slug) else {
        return unauthenticated();
    };
    let api = format!("{}/2.0", state.link_base());
    let web = state.link_base();
    let body = json!({
        "type": "user",
        "uuid": u.uuid,
        "account_id": u.account_id,
        "display_name": u.display_name,
        "nickname": u.slug,
        "account_status": "active",
        "created_on": "2019-03-04T10:11:12.000000+00:00",
        "is_staff": false,
        "has_2fa_enabled": null,
        "location": null,
        "links": {
            "self": {"href": format!("{api}/users/{}", urlencode(&u.uuid))},
            "html": {"href": format!("{web}/{}/", urlencode(&u.uuid))},
            "avatar": {"href": format!("{web}/account/{}/avatar/", u.slug)}
        }
    });
    decorate(&who, json_reply(StatusCode::OK, body))
}

fn workspace_json(state: &SimState, ws: usize) -> Value {
    let w = &state.data.spec.cloud.workspaces[ws];
    let base = state.link_base();
    json!({
        "type": "workspace",
        "uuid": w.uuid,
        "name": w.name,
        "slug": w.slug,
        "links": {
            "self": {"href": format!("{base}/2.0/workspaces/{}", w.slug)},
            "html": {"href": format!("{base}/{}/", w.slug)},
            "avatar": {"href": format!("{base}/workspaces/{}/avatar/", w.slug)},
            "repositories": {"href": format!("{base}/2.0/repositories/{}", w.slug)},
            "projects": {"href": format!("{base}/2.0/workspaces/{}/projects", w.slug)},
            "members": {"href": format!("{base}/2.0/workspaces/{}/members", w.slug)}
        }
    })
}

async fn user_workspaces(
    State(state): St,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Params,
) -> Response {
    let who = match authorize(&state, &headers, &NEED_WORKSPACES) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let CloudWho::User { slug, .. } = &who else {
        return unauthenticated();
    };
    let member_of: Vec<(usize, bool)> = state
        .data
        .spec
        .cloud
        .workspaces
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.members.get(slug.as_str()).map(|admin| (i, *admin)))
        .collect();
    let body = cloud_page(&state, &uri, &q, member_of.len(), false, |i| {
        let (ws, admin) = member_of[i];
        json!({
            "type": "workspace_access",
            "administrator": admin,
            "workspace": workspace_json(&state, ws),
            "links": {"self": {"href": format!("{}/2.0/user/workspaces/{}", state.link_base(), state.data.spec.cloud.workspaces[ws].slug)}}
        })
    });
    match body {
        Ok(b) => decorate(&who, json_reply(StatusCode::OK, b)),
        Err(r) => r,
    }
}

/// A Cloud page: `pagelen` (max 100), 1-based `page`, absolute `next`/`previous`; `size` and
/// `page` left out when the simulator is told to. `hostile` lets the listing scenarios
/// (endless paging, wrong types) strike.
fn cloud_page(
    state: &SimState,
    uri: &Uri,
    q: &HashMap<String, String>,
    total: usize,
    hostile: bool,
    render: impl Fn(usize) -> Value,
) -> Result<Value, Response> {
    let (range, mut body) = cloud_envelope(state, uri, q, total, hostile)?;
    let values: Vec<Value> = range.map(render).collect();
    if hostile && state.config.scenario == Scenario::WrongTypes {
        return Ok(json!({
            "pagelen": "ten", "size": "many", "page": [1],
            "values": values.iter().map(wrong_types).collect::<Vec<_>>()
        }));
    }
    body["values"] = Value::Array(values);
    Ok(body)
}

/// The page object with an empty `values`, and which items of the `total` go into it.
fn cloud_envelope(
    state: &SimState,
    uri: &Uri,
    q: &HashMap<String, String>,
    total: usize,
    hostile: bool,
) -> Result<(std::ops::Range<usize>, Value), Response> {
    let pagelen: usize = match q.get("pagelen").map(|p| p.parse::<usize>()) {
        None => 10,
        Some(Ok(n)) if n >= 1 => n.min(100),
        Some(_) => {
            return Err(cloud_error(
                StatusCode::BAD_REQUEST,
                "Invalid pagelen: must be a number from 1 to 100.",
            ));
        }
    };
    let page: usize = match q.get("page").map(|p| p.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            return Err(cloud_error(
                StatusCode::BAD_REQUEST,
                "Invalid page: must be a number from 1.",
            ));
        }
    };
    let start = (page - 1).saturating_mul(pagelen).min(total);
    let end = start.saturating_add(pagelen).min(total);
    let mut body = json!({"pagelen": pagelen, "values": []});
    if hostile && state.config.scenario == Scenario::NeverLastPage && total > 0 {
        // Each page is the next one, round and round the data set, with no `size` to stop at.
        let start = (page - 1).wrapping_mul(pagelen) % total;
        body["next"] = json!(page_url(state, uri, page.saturating_add(1)));
        return Ok((start..start.saturating_add(pagelen).min(total), body));
    }
    if hostile && state.config.scenario == Scenario::EndlessPaging {
        body["next"] = json!(page_url(state, uri, 2));
        return Ok((start..end, body));
    }
    if end < total {
        body["next"] = json!(page_url(state, uri, page + 1));
    }
    if !state.config.cloud_omit_size {
        body["size"] = json!(total);
        body["page"] = json!(page);
        if page > 1 {
            body["previous"] = json!(page_url(state, uri, page - 1));
        }
    }
    Ok((start..end, body))
}

fn wrong_types(v: &Value) -> Value {
    json!({
        "type": 7, "uuid": 12345, "full_name": ["a", "b"], "name": 3.5, "slug": null,
        "is_private": "yes", "updated_on": 1700000000, "mainbranch": "main",
        "links": [v["links"]["html"]["href"].clone()]
    })
}

/// The same request with `page` replaced: Bitbucket's `next` is absolute and keeps the query.
fn page_url(state: &SimState, uri: &Uri, page: usize) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if k != "page" {
            query.append_pair(&k, &v);
        }
    }
    query.append_pair("page", &page.to_string());
    format!("{}{}?{}", state.base_url, uri.path(), query.finish())
}

pub(crate) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(crate) fn repo_json(state: &SimState, index: usize, caller: Option<&str>) -> Value {
    let r = &state.data.cloud_repos[index];
    let w = &state.data.spec.cloud.workspaces[r.ws];
    let (pkey, pname) = &w.projects[r.project];
    let puuid = &state.data.cloud_project_uuids[r.ws][r.project];
    let base = state.link_base();
    let api = format!("{base}/2.0/repositories/{}/{}", w.slug, r.slug);
    let userinfo = caller.map(|c| format!("{c}@")).unwrap_or_default();
    // The scp-like `git@host:path` form cannot carry a port, so the SSH link is a URL.
    let ssh_host = super::keys::ssh_host(state);
    let ssh_port = state.ssh_port;
    json!({
        "type": "repository",
        "uuid": r.uuid,
        "full_name": format!("{}/{}", w.slug, r.slug),
        "name": r.name,
        "slug": r.slug,
        "description": r.description,
        "scm": "git",
        "website": null,
        "is_private": r.is_private,
        "fork_policy": if r.is_private { "no_public_forks" } else { "allow_forks" },
        "created_on": cloud_time(r.created_on),
        "updated_on": cloud_time(r.updated_on),
        "size": 40_960 + (r.updated_on % 9_000_000),
        "language": "",
        "has_issues": false,
        "has_wiki": false,
        "mainbranch": {"name": r.mainbranch, "type": "branch"},
        "owner": {"type": "team", "uuid": w.uuid, "display_name": w.name, "username": w.slug},
        "workspace": {"type": "workspace", "uuid": w.uuid, "name": w.name, "slug": w.slug,
            "links": {"self": {"href": format!("{base}/2.0/workspaces/{}", w.slug)}}},
        "project": {"type": "project", "key": pkey, "uuid": puuid, "name": pname,
            "links": {"self": {"href": format!("{base}/2.0/workspaces/{}/projects/{pkey}", w.slug)}}},
        "links": {
            "self": {"href": api},
            "html": {"href": format!("{base}/{}/{}", w.slug, r.slug)},
            "avatar": {"href": format!("{base}/{}/{}/avatar/32/", w.slug, r.slug)},
            "hooks": {"href": format!("{api}/hooks")},
            "commits": {"href": format!("{api}/commits")},
            "pullrequests": {"href": format!("{api}/pullrequests")},
            "clone": [
                {"name": "https", "href": format!("{}://{userinfo}{}/{}/{}.git", state.link_scheme(), state.link_host(), w.slug, r.slug)},
                {"name": "ssh", "href": format!("ssh://git@{ssh_host}:{ssh_port}/{}/{}.git", w.slug, r.slug)}
            ]
        }
    })
}

/// The caller's relation to a workspace: None (outsider), Some(false) member, Some(true) admin.
pub(crate) fn membership(state: &SimState, who: &CloudWho, ws: usize) -> Option<bool> {
    match who {
        CloudWho::User { slug, .. } => state.data.spec.cloud.workspaces[ws]
            .members
            .get(slug.as_str())
            .copied(),
        _ => None,
    }
}

/// Whether `who` may see repository `index` (of workspace `ws`).
fn can_see(state: &SimState, who: &CloudWho, ws: usize, index: usize) -> bool {
    match who {
        CloudWho::RepoToken { repo, .. } => *repo == index,
        _ => !state.data.cloud_repos[index].is_private || membership(state, who, ws).is_some(),
    }
}

fn caller_name(who: &CloudWho) -> Option<&str> {
    match who {
        CloudWho::User { slug, .. } => Some(slug),
        _ => None,
    }
}

fn no_workspace(ws: &str) -> Response {
    cloud_error(
        StatusCode::NOT_FOUND,
        &format!("No workspace with identifier '{ws}'."),
    )
}

async fn repositories(
    State(state): St,
    headers: HeaderMap,
    uri: Uri,
    Path(ws): Path<String>,
    Query(q): Params,
) -> Response {
    let who = match authorize(&state, &headers, &NEED_REPO) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let Some(wi) = state.data.workspace_index(&ws) else {
        return decorate(&who, no_workspace(&ws));
    };
    let role_ok = match q.get("role").map(String::as_str) {
        None => true,
        Some("member") | Some("contributor") => membership(&state, &who, wi).is_some(),
        Some("admin") | Some("owner") => membership(&state, &who, wi) == Some(true),
        Some(other) => {
            return cloud_error(
                StatusCode::BAD_REQUEST,
                &format!("'{other}' is not a valid role: use member, contributor, admin or owner."),
            );
        }
    };
    let filter = match q.get("q").map(|text| super::query::parse(text)).transpose() {
        Ok(f) => f,
        Err(message) => return decorate(&who, cloud_error(StatusCode::BAD_REQUEST, &message)),
    };
    let range = state.data.cloud_ranges[wi].clone();
    let mut matching: Vec<usize> = if role_ok {
        range
            .filter(|&i| can_see(&state, &who, wi, i))
            .filter(|&i| filter.as_ref().is_none_or(|f| f.matches(&state, i)))
            .collect()
    } else {
        Vec::new()
    };
    if let Some(sort) = q.get("sort")
        && let Err(message) = super::query::sort(&state, &mut matching, sort)
    {
        return decorate(&who, cloud_error(StatusCode::BAD_REQUEST, &message));
    }
    let caller = caller_name(&who);
    let fields = q.get("fields").map(String::as_str);
    let with_fields = |body: Value| match fields {
        Some(fields) => super::query::apply_fields(body, fields),
        None => body,
    };
    if state.config.scenario == Scenario::WrongTypes {
        // The wrong-types rewrite works on the `Value` of each repository.
        let page = cloud_page(&state, &uri, &q, matching.len(), true, |i| {
            repo_json(&state, matching[i], caller)
        });
        return match page {
            Ok(body) => decorate(&who, json_reply(StatusCode::OK, with_fields(body))),
            Err(r) => decorate(&who, r),
        };
    }
    let (range, body) = match cloud_envelope(&state, &uri, &q, matching.len(), true) {
        Ok(page) => page,
        Err(r) => return decorate(&who, r),
    };
    let body = with_fields(body);
    // Fields apply to each repository on its own, so a repository's filtered text is the
    // same on every page: render it once per caller and `fields=`.
    let fragments = state.render.cloud(caller, fields);
    let items = range.map(|i| {
        let index = matching[i];
        fragments.get(index, || {
            let one = with_fields(json!({ "values": [repo_json(&state, index, caller)] }));
            one.get("values")
                .and_then(|v| v.get(0))
                .cloned()
                .unwrap_or(Value::Null)
        })
    });
    let text = super::render::splice_values(&body, items);
    decorate(&who, json_text_reply(StatusCode::OK, text))
}

/// Resolves `{ws}/{slug}` for the caller: 404 for unknown or invisible ones, as Bitbucket
/// does not reveal private repositories.
pub(crate) fn find_repo(
    state: &SimState,
    who: &CloudWho,
    ws: &str,
    slug: &str,
) -> Result<usize, Response> {
    let not_found = || {
        cloud_error(
            StatusCode::NOT_FOUND,
            &format!("Repository {ws}/{slug} not found"),
        )
    };
    let wi = state
        .data
        .workspace_index(ws)
        .ok_or_else(|| no_workspace(ws))?;
    let live = state.live_slug(ws, slug).ok_or_else(not_found)?;
    let index = state
        .data
        .cloud_repo_index(wi, &live)
        .ok_or_else(not_found)?;
    if can_see(state, who, wi, index) {
        Ok(index)
    } else if matches!(who, CloudWho::Anonymous) {
        Err(unauthenticated())
    } else {
        Err(not_found())
    }
}

/// What a caller with the scopes of `need` is told about repository `ws/slug`: `answer`
/// gets the caller and the repository's index when it may see it. The reply, refusals
/// included, carries the caller's headers.
pub(super) fn repo_reply(
    state: &SimState,
    headers: &HeaderMap,
    need: &Need,
    ws: &str,
    slug: &str,
    answer: impl FnOnce(&CloudWho, usize) -> Response,
) -> Response {
    let who = match authorize(state, headers, need) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match find_repo(state, &who, ws, slug) {
        Ok(i) => answer(&who, i),
        Err(r) => r,
    };
    decorate(&who, reply)
}

/// The reply of `handle`, given the repository's index, when the caller has the scopes of
/// `need` and admin rights on `ws/slug`; else refused as Bitbucket refuses one who may not
/// manage its `what`. Every reply after the caller is known carries their scope headers.
pub(crate) fn repo_admin_reply(
    state: &SimState,
    headers: &HeaderMap,
    need: &Need,
    ws: &str,
    slug: &str,
    what: &str,
    handle: impl FnOnce(usize) -> Response,
) -> Response {
    let who = match authorize(state, headers, need) {
        Ok(who) => who,
        Err(r) => return r,
    };
    let reply = find_repo(state, &who, ws, slug).and_then(|index| {
        let admin = match &who {
            CloudWho::RepoToken { scopes, .. } => {
                scopes.iter().any(|s| oauth_implies(s, "repository:admin"))
            }
            CloudWho::User { .. } => {
                membership(state, &who, state.data.cloud_repos[index].ws) == Some(true)
            }
            CloudWho::Anonymous => false,
        };
        if !admin {
            return Err(cloud_error(
                StatusCode::FORBIDDEN,
                &format!("You must be an administrator of this repository to manage its {what}."),
            ));
        }
        Ok(handle(index))
    });
    decorate(&who, reply.unwrap_or_else(|refused| refused))
}

/// One page holding every value, as Cloud answers a short list.
pub(crate) fn single_page(values: Vec<Value>) -> Response {
    json_reply(
        StatusCode::OK,
        json!({"pagelen": 10, "size": values.len(), "page": 1, "values": values}),
    )
}

/// A page as a 200, or the refusal of a page that cannot be given.
pub(super) fn page_reply(page: Result<Value, Response>) -> Response {
    page.map_or_else(|refused| refused, |body| json_reply(StatusCode::OK, body))
}

async fn repository(
    State(state): St,
    headers: HeaderMap,
    Path((ws, slug)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    repo_reply(&state, &headers, &NEED_REPO, &ws, &slug, |who, i| {
        let body = repo_json(&state, i, caller_name(who));
        let body = match q.get("fields") {
            Some(fields) => super::query::apply_fields(body, fields),
            None => body,
        };
        json_reply(StatusCode::OK, body)
    })
}

/// The subject types hooks can be registered on; the simulator serves the repository's events.
async fn hook_subjects(State(state): St) -> Response {
    let base = state.link_base();
    json_reply(
        StatusCode::OK,
        json!({"repository": {"links": {"events": {"href": format!("{base}/2.0/hook_events/repository")}}}}),
    )
}

async fn hook_events(State(state): St, uri: Uri, Query(q): Params) -> Response {
    page_reply(cloud_page(
        &state,
        &uri,
        &q,
        HOOK_EVENTS.len(),
        false,
        |i| {
            let (event, category, label, description) = HOOK_EVENTS[i];
            json!({"event": event, "category": category, "label": label, "description": description})
        },
    ))
}
