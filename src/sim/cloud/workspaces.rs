//! What Cloud objects link to, served: a workspace, its projects and members, a user by
//! uuid, one workspace access entry. Real clients follow `links.self` (atlassian-python-api's
//! `workspaces.get` does), so a link to a path the simulator does not serve is a trap.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};

use super::{
    Need, authorize, cloud_page, decorate, membership, no_workspace, page_reply, unauthenticated,
    urlencode, workspace_json,
};
use crate::sim::SimState;
use crate::sim::auth::CloudWho;
use crate::sim::reply::{cloud_error, json_reply};

type St = State<Arc<SimState>>;
type Params = Query<HashMap<String, String>>;

const NEED_WORKSPACE: Need = Need {
    api: &["read:workspace:bitbucket"],
    oauth: &["account"],
};
const NEED_PROJECT: Need = Need {
    api: &["read:project:bitbucket"],
    oauth: &["project"],
};
const NEED_USER: Need = Need {
    api: &["read:user:bitbucket"],
    oauth: &["account"],
};

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/2.0/workspaces/{ws}", get(workspace))
        .route(
            "/2.0/workspaces/{ws}/projects",
            workspace_pages(&NEED_PROJECT, |state, ws| {
                let count = state.data.spec.cloud.workspaces[ws].projects.len();
                (0..count).map(|p| project_json(state, ws, p)).collect()
            }),
        )
        .route("/2.0/workspaces/{ws}/projects/{key}", get(project))
        .route(
            "/2.0/workspaces/{ws}/members",
            workspace_pages(&NEED_WORKSPACE, |state, ws| {
                let slugs = member_slugs(state, ws);
                slugs
                    .iter()
                    .map(|m| membership_json(state, ws, m))
                    .collect()
            }),
        )
        .route("/2.0/workspaces/{ws}/members/{member}", get(member))
        .route("/2.0/user/workspaces/{ws}", get(workspace_access))
        .route("/2.0/users/{user}", get(user_by_id))
}

/// The workspace index for a member caller. Outsiders get the same 404 as an unknown slug:
/// Bitbucket does not reveal private workspaces.
fn member_workspace(
    state: &SimState,
    headers: &HeaderMap,
    need: &Need,
    ws: &str,
) -> Result<(CloudWho, usize), Response> {
    let who = authorize(state, headers, need)?;
    if matches!(who, CloudWho::Anonymous) {
        return Err(unauthenticated());
    }
    match state.data.workspace_index(ws) {
        Some(i) if membership(state, &who, i).is_some() => Ok((who, i)),
        _ => Err(decorate(&who, no_workspace(ws))),
    }
}

/// The handler of a paged list of a member workspace's things, all of them drawn by `list`.
fn workspace_pages(
    need: &'static Need,
    list: fn(&SimState, usize) -> Vec<Value>,
) -> MethodRouter<Arc<SimState>> {
    get(
        move |State(state): St,
              headers: HeaderMap,
              uri: Uri,
              Path(ws): Path<String>,
              Query(q): Params| async move {
            match member_workspace(&state, &headers, need, &ws) {
                Ok((who, i)) => {
                    let values = list(&state, i);
                    let page =
                        cloud_page(&state, &uri, &q, values.len(), false, |n| values[n].clone());
                    decorate(&who, page_reply(page))
                }
                Err(r) => r,
            }
        },
    )
}

async fn workspace(State(state): St, headers: HeaderMap, Path(ws): Path<String>) -> Response {
    match member_workspace(&state, &headers, &NEED_WORKSPACE, &ws) {
        Ok((who, i)) => decorate(&who, json_reply(StatusCode::OK, workspace_json(&state, i))),
        Err(r) => r,
    }
}

async fn workspace_access(
    State(state): St,
    headers: HeaderMap,
    Path(ws): Path<String>,
) -> Response {
    match member_workspace(&state, &headers, &NEED_WORKSPACE, &ws) {
        Ok((who, i)) => {
            let admin = membership(&state, &who, i) == Some(true);
            let body = json!({
                "type": "workspace_access",
                "administrator": admin,
                "workspace": workspace_json(&state, i),
                "links": {"self": {"href": format!("{}/2.0/user/workspaces/{ws}", state.link_base())}}
            });
            decorate(&who, json_reply(StatusCode::OK, body))
        }
        Err(r) => r,
    }
}

fn project_json(state: &SimState, ws: usize, p: usize) -> Value {
    let w = &state.data.spec.cloud.workspaces[ws];
    let (key, name) = &w.projects[p];
    let base = state.link_base();
    json!({
        "type": "project",
        "key": key,
        "uuid": state.data.cloud_project_uuids[ws][p],
        "name": name,
        "description": "",
        "is_private": true,
        "has_publicly_visible_repos": false,
        "created_on": "2020-01-06T09:00:00.000000+00:00",
        "updated_on": "2024-05-02T09:00:00.000000+00:00",
        "owner": {"type": "team", "uuid": w.uuid, "display_name": w.name, "username": w.slug},
        "workspace": {"type": "workspace", "uuid": w.uuid, "name": w.name, "slug": w.slug},
        "links": {
            "self": {"href": format!("{base}/2.0/workspaces/{}/projects/{key}", w.slug)},
            "html": {"href": format!("{base}/{}/workspace/projects/{key}", w.slug)}
        }
    })
}

async fn project(
    State(state): St,
    headers: HeaderMap,
    Path((ws, key)): Path<(String, String)>,
) -> Response {
    let (who, i) = match member_workspace(&state, &headers, &NEED_PROJECT, &ws) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let found = state.data.spec.cloud.workspaces[i]
        .projects
        .iter()
        .position(|(k, _)| k.eq_ignore_ascii_case(&key));
    let reply = match found {
        Some(p) => json_reply(StatusCode::OK, project_json(&state, i, p)),
        None => cloud_error(
            StatusCode::NOT_FOUND,
            &format!("No project with key '{key}' in workspace '{ws}'."),
        ),
    };
    decorate(&who, reply)
}

fn user_json(state: &SimState, slug: &str) -> Option<Value> {
    let u = state.data.user(slug)?;
    let base = state.link_base();
    Some(json!({
        "type": "user",
        "uuid": u.uuid,
        "account_id": u.account_id,
        "display_name": u.display_name,
        "nickname": u.slug,
        "links": {
            "self": {"href": format!("{base}/2.0/users/{}", urlencode(&u.uuid))},
            "html": {"href": format!("{base}/{}/", urlencode(&u.uuid))},
            "avatar": {"href": format!("{base}/account/{}/avatar/", u.slug)}
        }
    }))
}

/// Members in a stable order (the data set keeps them in a map).
fn member_slugs(state: &SimState, ws: usize) -> Vec<&str> {
    let mut slugs: Vec<&str> = state.data.spec.cloud.workspaces[ws]
        .members
        .keys()
        .map(String::as_str)
        .collect();
    slugs.sort_unstable();
    slugs
}

fn membership_json(state: &SimState, ws: usize, slug: &str) -> Value {
    let w = &state.data.spec.cloud.workspaces[ws];
    let user = user_json(state, slug).unwrap_or(Value::Null);
    let uuid = user["uuid"].as_str().unwrap_or_default().to_string();
    json!({
        "type": "workspace_membership",
        "user": user,
        "workspace": {"type": "workspace", "uuid": w.uuid, "name": w.name, "slug": w.slug},
        "links": {"self": {"href": format!("{}/2.0/workspaces/{}/members/{}", state.link_base(), w.slug, urlencode(&uuid))}}
    })
}

/// A user is named by uuid (with braces), account id or nickname, as Bitbucket accepts.
fn user_slug_for<'a>(state: &'a SimState, id: &str) -> Option<&'a str> {
    state
        .data
        .spec
        .users
        .iter()
        .find(|u| u.uuid == id || u.account_id == id || u.slug == id)
        .map(|u| u.slug.as_str())
}

async fn member(
    State(state): St,
    headers: HeaderMap,
    Path((ws, id)): Path<(String, String)>,
) -> Response {
    let (who, i) = match member_workspace(&state, &headers, &NEED_WORKSPACE, &ws) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let reply = match user_slug_for(&state, &id)
        .filter(|s| state.data.spec.cloud.workspaces[i].members.contains_key(*s))
    {
        Some(slug) => json_reply(StatusCode::OK, membership_json(&state, i, slug)),
        None => cloud_error(
            StatusCode::NOT_FOUND,
            &format!("{id} is not a member of {ws}"),
        ),
    };
    decorate(&who, reply)
}

async fn user_by_id(State(state): St, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let who = match authorize(&state, &headers, &NEED_USER) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match user_slug_for(&state, &id).and_then(|s| user_json(&state, s)) {
        Some(body) => json_reply(StatusCode::OK, body),
        None => cloud_error(StatusCode::NOT_FOUND, &format!("User {id} not found")),
    };
    decorate(&who, reply)
}
