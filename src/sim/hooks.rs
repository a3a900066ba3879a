//! Repository webhooks for both products, kept in memory per simulator. Both need repository
//! admin rights; Cloud also checks the webhook scopes. Secrets are stored, never returned.

use std::collections::HashMap;
use std::sync::{Arc, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::SimState;
use super::auth::DcPerm;
use super::cloud::{Need, repo_admin_reply, single_page};
use super::data::{cloud_time, unix_now};
use super::dc::{caller, find_repo as dc_repo};
use super::reply::{cloud_error, dc_error, dc_invalid, json_reply, with_user};

/// Cloud's repository events: (event, category, label, description).
pub(crate) const HOOK_EVENTS: &[(&str, &str, &str, &str)] = &[
    (
        "repo:push",
        "Repository",
        "Push",
        "Whenever a repository push occurs",
    ),
    (
        "repo:fork",
        "Repository",
        "Fork",
        "Whenever a repository fork occurs",
    ),
    (
        "repo:updated",
        "Repository",
        "Updated",
        "Whenever a repository is updated",
    ),
    (
        "repo:commit_comment_created",
        "Repository",
        "Commit comment created",
        "Whenever a commit is commented on",
    ),
    (
        "repo:commit_status_created",
        "Repository",
        "Build status created",
        "Whenever a build status is created",
    ),
    (
        "repo:commit_status_updated",
        "Repository",
        "Build status updated",
        "Whenever a build status is updated",
    ),
    (
        "pullrequest:created",
        "Pull Request",
        "Created",
        "Whenever a pull request is created",
    ),
    (
        "pullrequest:updated",
        "Pull Request",
        "Updated",
        "Whenever a pull request is updated",
    ),
    (
        "pullrequest:approved",
        "Pull Request",
        "Approved",
        "Whenever a pull request is approved",
    ),
    (
        "pullrequest:unapproved",
        "Pull Request",
        "Approval removed",
        "Whenever an approval is removed",
    ),
    (
        "pullrequest:fulfilled",
        "Pull Request",
        "Merged",
        "Whenever a pull request is merged",
    ),
    (
        "pullrequest:rejected",
        "Pull Request",
        "Declined",
        "Whenever a pull request is declined",
    ),
    (
        "pullrequest:comment_created",
        "Pull Request",
        "Comment created",
        "Whenever a pull request comment is created",
    ),
    (
        "pullrequest:comment_updated",
        "Pull Request",
        "Comment updated",
        "Whenever a pull request comment is updated",
    ),
    (
        "pullrequest:comment_deleted",
        "Pull Request",
        "Comment deleted",
        "Whenever a pull request comment is deleted",
    ),
];

const DC_EVENTS: &[&str] = &[
    "repo:refs_changed",
    "repo:modified",
    "repo:forked",
    "repo:comment:added",
    "repo:comment:edited",
    "repo:comment:deleted",
    "pr:opened",
    "pr:from_ref_updated",
    "pr:to_ref_updated",
    "pr:modified",
    "pr:merged",
    "pr:declined",
    "pr:deleted",
    "pr:reviewer:approved",
    "pr:reviewer:unapproved",
    "pr:reviewer:needs_work",
    "pr:reviewer:updated",
    "pr:comment:added",
    "pr:comment:edited",
    "pr:comment:deleted",
    "mirror:repo_synchronized",
];

#[derive(Debug, Clone)]
struct Hook {
    id: u64,
    name: String,
    url: String,
    active: bool,
    events: Vec<String>,
    secret: Option<String>,
    ssl_verify: bool,
    created: i64,
    updated: i64,
}

#[derive(Default)]
pub(crate) struct HookStore {
    next_id: u64,
    cloud: HashMap<usize, Vec<Hook>>,
    dc: HashMap<usize, Vec<Hook>>,
}

impl HookStore {
    /// An empty, active hook under the next id, for a create to fill in from its input.
    fn fresh_hook(&mut self) -> Hook {
        self.next_id += 1;
        Hook {
            id: self.next_id,
            name: String::new(),
            url: String::new(),
            active: true,
            events: vec![],
            secret: None,
            ssl_verify: true,
            created: unix_now(),
            updated: unix_now(),
        }
    }
}

pub(crate) fn routes() -> Router<Arc<SimState>> {
    let dc = Router::new()
        .route(
            "/projects/{key}/repos/{slug}/webhooks",
            get(dc_list).post(dc_create),
        )
        // Before `{id}`: a static segment wins, so `test` is not taken for a hook id.
        .route(
            "/projects/{key}/repos/{slug}/webhooks/test",
            axum::routing::post(super::hook_test::dc_test),
        )
        .route(
            "/projects/{key}/repos/{slug}/webhooks/{id}",
            get(dc_get).put(dc_update).delete(dc_delete),
        );
    Router::new()
        .route(
            "/2.0/repositories/{ws}/{slug}/hooks",
            get(cloud_list).post(cloud_create),
        )
        .route(
            "/2.0/repositories/{ws}/{slug}/hooks/{uid}",
            get(cloud_get).put(cloud_update).delete(cloud_delete),
        )
        .nest("/rest/api/1.0", dc.clone())
        .nest("/rest/api/latest", dc)
}

/// Applies `change` to every hook of repository `owner/slug` (a Cloud workspace's, else a DC
/// project's), as someone in the repository's settings would. Returns how many changed.
pub(crate) fn change_all(state: &SimState, repo: &str, change: &super::HookChange) -> usize {
    let Some((owner, slug)) = repo.split_once('/') else {
        return 0;
    };
    let data = &state.data;
    let cloud = data
        .workspace_index(owner)
        .and_then(|ws| data.cloud_repo_index(ws, slug));
    let dc = data
        .dc_project_index(owner)
        .and_then(|p| data.dc_repo_index(p, slug));
    let mut hooks = store(state);
    let list = match (cloud, dc) {
        (Some(i), _) => hooks.cloud.entry(i).or_default(),
        (None, Some(i)) => hooks.dc.entry(i).or_default(),
        (None, None) => return 0,
    };
    let changed = list.len();
    match change {
        super::HookChange::Delete => list.clear(),
        super::HookChange::SwitchOff => list.iter_mut().for_each(|h| h.active = false),
        super::HookChange::Repoint(url) => list.iter_mut().for_each(|h| h.url = url.clone()),
    }
    changed
}

fn store(state: &SimState) -> MutexGuard<'_, HookStore> {
    match state.hooks.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn cloud_uuid(id: u64) -> String {
    format!("{{5e1f0000-0000-4000-8000-{id:012x}}}")
}

/// The fields a create or update may carry; absent ones keep their value on update.
#[derive(Default)]
struct HookInput {
    name: Option<String>,
    url: Option<String>,
    active: Option<bool>,
    events: Option<Vec<String>>,
    secret: Option<Option<String>>,
    ssl_verify: Option<bool>,
}

fn parse_input(body: &[u8], dc: bool) -> Result<HookInput, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("The request body is not valid JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or("The request body must be a JSON object.")?;
    let text = |k: &str| -> Result<Option<String>, String> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("'{k}' must be a string.")),
        }
    };
    let flag = |k: &str| -> Result<Option<bool>, String> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(format!("'{k}' must be true or false.")),
        }
    };
    let events = match obj.get("events") {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|e| {
                    e.as_str()
                        .map(str::to_string)
                        .ok_or("'events' must be a list of strings.")
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err("'events' must be a list of strings.".into()),
    };
    let secret = if dc {
        match obj.get("configuration").and_then(|c| c.get("secret")) {
            None => None,
            Some(Value::String(s)) => Some(Some(s.clone()).filter(|s| !s.is_empty())),
            Some(_) => return Err("'configuration.secret' must be a string.".into()),
        }
    } else {
        match obj.get("secret") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone()).filter(|s| !s.is_empty())),
            Some(_) => return Err("'secret' must be a string.".into()),
        }
    };
    let name = if dc {
        text("name")?
    } else {
        text("description")?
    };
    Ok(HookInput {
        name,
        url: text("url")?,
        active: flag("active")?,
        events,
        secret,
        ssl_verify: flag("sslVerificationRequired")?,
    })
}

/// Checks a complete hook: an absolute http(s) URL and at least one known event.
fn validate(hook: &Hook, known: &[&str]) -> Result<(), String> {
    let url_ok = url::Url::parse(&hook.url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !url_ok {
        return Err(format!("'{}' is not a valid http(s) URL.", hook.url));
    }
    if hook.events.is_empty() {
        return Err("At least one event is required.".into());
    }
    if let Some(bad) = hook.events.iter().find(|e| !known.contains(&e.as_str())) {
        return Err(format!("'{bad}' is not a valid event."));
    }
    Ok(())
}

fn apply(hook: &mut Hook, input: HookInput) {
    if let Some(n) = input.name {
        hook.name = n;
    }
    if let Some(u) = input.url {
        hook.url = u;
    }
    if let Some(a) = input.active {
        hook.active = a;
    }
    if let Some(mut e) = input.events {
        e.sort();
        e.dedup();
        hook.events = e;
    }
    if let Some(s) = input.secret {
        hook.secret = s;
    }
    if let Some(v) = input.ssl_verify {
        hook.ssl_verify = v;
    }
    hook.updated = unix_now();
}

// ---------- Cloud ----------

const NEED_READ: Need = Need {
    api: &["read:webhook:bitbucket"],
    oauth: &["webhook"],
};
const NEED_WRITE: Need = Need {
    api: &["read:webhook:bitbucket", "write:webhook:bitbucket"],
    oauth: &["webhook"],
};
const NEED_DELETE: Need = Need {
    api: &["delete:webhook:bitbucket"],
    oauth: &["webhook"],
};

/// What a caller who may not manage them is told it cannot manage.
const HOOKS: &str = "webhooks";

fn cloud_json(state: &SimState, repo: usize, h: &Hook) -> Value {
    let r = &state.data.cloud_repos[repo];
    let w = &state.data.spec.cloud.workspaces[r.ws];
    let uuid = cloud_uuid(h.id);
    let api = format!(
        "{}/2.0/repositories/{}/{}",
        state.link_base(),
        w.slug,
        r.slug
    );
    json!({
        "type": "webhook_subscription",
        "uuid": uuid,
        "url": h.url,
        "description": h.name,
        "subject_type": "repository",
        "subject": {"type": "repository", "full_name": format!("{}/{}", w.slug, r.slug), "name": r.name, "uuid": r.uuid},
        "active": h.active,
        "created_at": cloud_time(h.created),
        "events": h.events,
        "secret_set": h.secret.is_some(),
        "links": {"self": {"href": format!("{api}/hooks/{}", super::cloud::urlencode(&uuid))}}
    })
}

fn find_cloud<'a>(
    hooks: &'a mut HashMap<usize, Vec<Hook>>,
    repo: usize,
    uid: &str,
) -> Option<&'a mut Hook> {
    let wanted = uid
        .trim_matches(|c| c == '{' || c == '}')
        .to_ascii_lowercase();
    hooks
        .get_mut(&repo)?
        .iter_mut()
        .find(|h| cloud_uuid(h.id).trim_matches(|c| c == '{' || c == '}') == wanted)
}

fn no_hook() -> Response {
    cloud_error(StatusCode::NOT_FOUND, "Webhook not found.")
}

async fn cloud_list(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((ws, slug)): Path<(String, String)>,
) -> Response {
    repo_admin_reply(&state, &headers, &NEED_READ, &ws, &slug, HOOKS, |repo| {
        let values: Vec<Value> = store(&state)
            .cloud
            .get(&repo)
            .into_iter()
            .flatten()
            .map(|h| cloud_json(&state, repo, h))
            .collect();
        single_page(values)
    })
}

async fn cloud_create(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((ws, slug)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    repo_admin_reply(&state, &headers, &NEED_WRITE, &ws, &slug, HOOKS, |repo| {
        let known: Vec<&str> = HOOK_EVENTS.iter().map(|e| e.0).collect();
        let mut store = store(&state);
        let mut hook = store.fresh_hook();
        let checked = parse_input(&body, false).and_then(|input| {
            apply(&mut hook, input);
            validate(&hook, &known)
        });
        if let Err(message) = checked {
            return cloud_error(StatusCode::BAD_REQUEST, &message);
        }
        let body = cloud_json(&state, repo, &hook);
        store.cloud.entry(repo).or_default().push(hook);
        let mut r = json_reply(StatusCode::CREATED, body.clone());
        if let Some(v) = body["links"]["self"]["href"]
            .as_str()
            .and_then(|h| h.parse().ok())
        {
            r.headers_mut().insert(axum::http::header::LOCATION, v);
        }
        r
    })
}

async fn cloud_get(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((ws, slug, uid)): Path<(String, String, String)>,
) -> Response {
    repo_admin_reply(&state, &headers, &NEED_READ, &ws, &slug, HOOKS, |repo| {
        let mut store = store(&state);
        match find_cloud(&mut store.cloud, repo, &uid) {
            Some(h) => json_reply(StatusCode::OK, cloud_json(&state, repo, h)),
            None => no_hook(),
        }
    })
}

async fn cloud_update(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((ws, slug, uid)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    repo_admin_reply(&state, &headers, &NEED_WRITE, &ws, &slug, HOOKS, |repo| {
        let known: Vec<&str> = HOOK_EVENTS.iter().map(|e| e.0).collect();
        let mut store = store(&state);
        let Some(hook) = find_cloud(&mut store.cloud, repo, &uid) else {
            return no_hook();
        };
        let mut updated = hook.clone();
        let checked = parse_input(&body, false).and_then(|input| {
            apply(&mut updated, input);
            validate(&updated, &known)
        });
        match checked {
            Ok(()) => {
                *hook = updated;
                json_reply(StatusCode::OK, cloud_json(&state, repo, hook))
            }
            Err(message) => cloud_error(StatusCode::BAD_REQUEST, &message),
        }
    })
}

async fn cloud_delete(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((ws, slug, uid)): Path<(String, String, String)>,
) -> Response {
    repo_admin_reply(&state, &headers, &NEED_DELETE, &ws, &slug, HOOKS, |repo| {
        let mut store = store(&state);
        let found = find_cloud(&mut store.cloud, repo, &uid).map(|h| h.id);
        match found {
            Some(id) => {
                if let Some(list) = store.cloud.get_mut(&repo) {
                    list.retain(|h| h.id != id);
                }
                StatusCode::NO_CONTENT.into_response()
            }
            None => no_hook(),
        }
    })
}

// ---------- Data Center ----------

pub(crate) fn dc_admin(
    state: &SimState,
    headers: &HeaderMap,
    key: &str,
    slug: &str,
) -> Result<(Option<String>, usize), Response> {
    let who = caller(state, headers)?;
    let user = who.username().map(str::to_string);
    let index = dc_repo(state, &who, key, slug, DcPerm::Admin)
        .map_err(|r| with_user(r, user.as_deref()))?;
    Ok((user, index))
}

/// The reply of `handle`, given the index of DC repository `key/slug`, when the caller
/// administers it; every reply after the caller is known names them (`X-AUSERNAME`).
pub(crate) fn dc_admin_reply(
    state: &SimState,
    headers: &HeaderMap,
    key: &str,
    slug: &str,
    handle: impl FnOnce(usize) -> Response,
) -> Response {
    match dc_admin(state, headers, key, slug) {
        Ok((user, repo)) => with_user(handle(repo), user.as_deref()),
        Err(r) => r,
    }
}

/// The secret of hook `id` on repository `repo`: `None` when there is no such hook.
pub(crate) fn dc_hook_secret(state: &SimState, repo: usize, id: &str) -> Option<Option<String>> {
    store(state)
        .dc
        .get(&repo)
        .and_then(|l| l.iter().find(|h| h.id.to_string() == id))
        .map(|h| h.secret.clone())
}

fn dc_json(h: &Hook) -> Value {
    json!({
        "id": h.id,
        "name": h.name,
        "createdDate": h.created * 1000,
        "updatedDate": h.updated * 1000,
        "events": h.events,
        "configuration": {},
        "url": h.url,
        "active": h.active,
        "scopeType": "repository",
        "sslVerificationRequired": h.ssl_verify
    })
}

fn dc_no_hook(id: &str) -> Response {
    dc_error(
        StatusCode::NOT_FOUND,
        &format!("No webhook with id {id} exists."),
        "com.atlassian.webhooks.NoSuchWebhookException",
    )
}

async fn dc_list(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((key, slug)): Path<(String, String)>,
    Query(_q): Query<HashMap<String, String>>,
) -> Response {
    dc_admin_reply(&state, &headers, &key, &slug, |repo| {
        let values: Vec<Value> = store(&state)
            .dc
            .get(&repo)
            .into_iter()
            .flatten()
            .map(dc_json)
            .collect();
        let body = json!({"size": values.len(), "limit": 25, "isLastPage": true, "start": 0, "values": values});
        json_reply(StatusCode::OK, body)
    })
}

async fn dc_create(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((key, slug)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    dc_admin_reply(&state, &headers, &key, &slug, |repo| {
        let mut store = store(&state);
        let mut hook = store.fresh_hook();
        let checked = parse_input(&body, true).and_then(|input| {
            apply(&mut hook, input);
            if hook.name.trim().is_empty() {
                return Err("A webhook needs a name.".to_string());
            }
            validate(&hook, DC_EVENTS)
        });
        match checked {
            Ok(()) => {
                let body = dc_json(&hook);
                store.dc.entry(repo).or_default().push(hook);
                json_reply(StatusCode::OK, body)
            }
            Err(message) => dc_invalid(&message),
        }
    })
}

async fn dc_get(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((key, slug, id)): Path<(String, String, String)>,
) -> Response {
    dc_admin_reply(&state, &headers, &key, &slug, |repo| {
        let store = store(&state);
        let found = store
            .dc
            .get(&repo)
            .and_then(|l| l.iter().find(|h| h.id.to_string() == id));
        match found {
            Some(h) => json_reply(StatusCode::OK, dc_json(h)),
            None => dc_no_hook(&id),
        }
    })
}

async fn dc_update(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((key, slug, id)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    dc_admin_reply(&state, &headers, &key, &slug, |repo| {
        let mut store = store(&state);
        let Some(hook) = store
            .dc
            .get_mut(&repo)
            .and_then(|l| l.iter_mut().find(|h| h.id.to_string() == id))
        else {
            return dc_no_hook(&id);
        };
        let mut updated = hook.clone();
        let checked = parse_input(&body, true).and_then(|input| {
            apply(&mut updated, input);
            validate(&updated, DC_EVENTS)
        });
        match checked {
            Ok(()) => {
                *hook = updated;
                json_reply(StatusCode::OK, dc_json(hook))
            }
            Err(message) => dc_invalid(&message),
        }
    })
}

async fn dc_delete(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((key, slug, id)): Path<(String, String, String)>,
) -> Response {
    dc_admin_reply(&state, &headers, &key, &slug, |repo| {
        let mut store = store(&state);
        let list = store.dc.entry(repo).or_default();
        let before = list.len();
        list.retain(|h| h.id.to_string() != id);
        if list.len() < before {
            StatusCode::NO_CONTENT.into_response()
        } else {
            dc_no_hook(&id)
        }
    })
}

/// One hook as the simulator keeps it, for tests that compare it with what a client saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSeen {
    pub id: String,
    pub url: String,
    pub active: bool,
    /// The signing secret the hook holds (fake values only).
    pub secret: Option<String>,
}

/// The hooks of repository `repo` (`KEY/slug` on DC when `dc`, `workspace/slug` on Cloud).
pub(crate) fn hooks_of(state: &SimState, dc: bool, repo: &str) -> Vec<HookSeen> {
    let Some((owner, slug)) = repo.split_once('/') else {
        return Vec::new();
    };
    let data = &state.data;
    let index = if dc {
        data.dc_project_index(owner)
            .and_then(|p| data.dc_repo_index(p, slug))
    } else {
        data.workspace_index(owner)
            .and_then(|w| data.cloud_repo_index(w, slug))
    };
    let Some(index) = index else {
        return Vec::new();
    };
    let hooks = store(state);
    let list = if dc { &hooks.dc } else { &hooks.cloud };
    list.get(&index)
        .map(|l| {
            l.iter()
                .map(|h| HookSeen {
                    id: if dc {
                        h.id.to_string()
                    } else {
                        cloud_uuid(h.id)
                    },
                    url: h.url.clone(),
                    active: h.active,
                    secret: h.secret.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}
