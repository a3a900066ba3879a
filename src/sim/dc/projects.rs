//! The DC resources around a repository that clients ask for next: a project by key, a
//! repository's branches and default branch, and a user's HTTP access tokens (with their
//! permissions; never their secrets), which is where a token's expiry is read.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::{branch_json, caller, find_repo, no_such_project, page, project_json};
use crate::sim::SimState;
use crate::sim::auth::{DcPerm, DcWho};
use crate::sim::reply::{dc_error, dc_not_permitted, json_reply, with_user};

type St = State<Arc<SimState>>;
type Params = Query<HashMap<String, String>>;

/// Routes under `/rest/api/{1.0,latest}`.
pub(super) fn api_routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/projects/{key}", get(project))
        .route("/projects/{key}/repos/{slug}/branches", get(branches))
        .route(
            "/projects/{key}/repos/{slug}/branches/default",
            get(default_branch),
        )
}

/// Routes of the access-tokens plugin, `/rest/access-tokens/{1.0,latest}`.
pub(super) fn token_routes() -> Router<Arc<SimState>> {
    let api = Router::new().route("/users/{user}", get(user_tokens));
    Router::new()
        .nest("/rest/access-tokens/1.0", api.clone())
        .nest("/rest/access-tokens/latest", api)
}

/// A project is visible when the caller can read one of its repositories (public ones count).
fn sees_project(state: &SimState, who: &DcWho, project: usize) -> bool {
    state.data.spec.dc.projects[project].public
        || state
            .data
            .dc_repos
            .iter()
            .enumerate()
            .any(|(i, r)| r.project == project && who.perm_on(state, i).is_some())
}

async fn project(State(state): St, headers: HeaderMap, Path(key): Path<String>) -> Response {
    let who = match caller(&state, &headers) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match state.data.dc_project_index(&key) {
        Some(p) if sees_project(&state, &who, p) => {
            json_reply(StatusCode::OK, project_json(&state, p))
        }
        Some(_) if matches!(who, DcWho::Anonymous) => dc_not_permitted(),
        // Invisible and unknown projects look the same to a caller who cannot see them.
        _ => no_such_project(&key),
    };
    with_user(reply, who.username())
}

async fn branches(
    State(state): St,
    headers: HeaderMap,
    Path((key, slug)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    let who = match caller(&state, &headers) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match find_repo(&state, &who, &key, &slug, DcPerm::Read) {
        Ok(i) => json_reply(
            StatusCode::OK,
            page(&state, &q, &[i], false, |i| branch_json(&state, i)),
        ),
        Err(r) => r,
    };
    with_user(reply, who.username())
}

async fn default_branch(
    State(state): St,
    headers: HeaderMap,
    Path((key, slug)): Path<(String, String)>,
) -> Response {
    let who = match caller(&state, &headers) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match find_repo(&state, &who, &key, &slug, DcPerm::Read) {
        Ok(i) => json_reply(StatusCode::OK, branch_json(&state, i)),
        Err(r) => r,
    };
    with_user(reply, who.username())
}

fn token_json(state: &SimState, index: usize) -> Value {
    let t = &state.data.spec.dc.user_tokens[index];
    let user = state.data.user(&t.user);
    // The simulator's tokens were made on 2026-01-05; an expiry counts from the simulator's
    // start, so a demo token never ages into "expired" however long after this was written.
    let created: u64 = 1_767_600_000_000;
    let mut token = json!({
        "id": format!("{:012}", 100_000 + index),
        "createdDate": created,
        "lastAuthenticated": created + 86_400_000,
        "name": format!("bbconnect-{}-{}", t.user, index + 1),
        "permissions": [t.permission, "PROJECT_READ"],
        "user": user.map(|u| json!({
            "name": u.slug, "emailAddress": u.email, "active": true,
            "displayName": u.display_name, "id": u.id, "slug": u.slug, "type": "NORMAL"
        })).unwrap_or(Value::Null)
    });
    if let Some(days) = t.expiry_days {
        token["expiryDays"] = json!(days);
        token["expiryDate"] = json!(state.started_ms + u64::from(days) * 86_400_000);
    }
    token
}

/// A user's tokens: for that user only (nobody in the data set is an admin).
async fn user_tokens(
    State(state): St,
    headers: HeaderMap,
    Path(user): Path<String>,
    Query(q): Params,
) -> Response {
    let who = match caller(&state, &headers) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match &who {
        // Whether a token may read its own list is not documented: a server may refuse.
        DcWho::User { .. } if state.config.dc_token_list_refused => dc_error(
            StatusCode::UNAUTHORIZED,
            "You are not permitted to access this resource",
            "com.atlassian.bitbucket.AuthorisationException",
        ),
        DcWho::User { slug, .. } if slug.eq_ignore_ascii_case(&user) => {
            let mine: Vec<usize> = (0..state.data.spec.dc.user_tokens.len())
                .filter(|&i| {
                    state.data.spec.dc.user_tokens[i]
                        .user
                        .eq_ignore_ascii_case(slug)
                })
                .collect();
            json_reply(
                StatusCode::OK,
                page(&state, &q, &mine, false, |i| token_json(&state, i)),
            )
        }
        DcWho::Anonymous => dc_error(
            StatusCode::UNAUTHORIZED,
            "Authentication required",
            "com.atlassian.bitbucket.auth.AuthenticationRequiredException",
        ),
        _ => dc_not_permitted(),
    };
    with_user(reply, who.username())
}
