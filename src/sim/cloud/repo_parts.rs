//! The parts of a Cloud repository its links name: commits, pull requests, branches. The
//! simulator keeps no history, so the commit and pull-request pages are empty but valid
//! pages, and the one branch is the main branch.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::{NEED_REPO, Need, authorize, cloud_page, decorate, find_repo};
use crate::sim::SimState;
use crate::sim::data::cloud_time;
use crate::sim::reply::{cloud_error, json_reply};

type St = State<Arc<SimState>>;
type Params = Query<HashMap<String, String>>;

const NEED_PULLREQUEST: Need = Need {
    api: &["read:pullrequest:bitbucket"],
    oauth: &["pullrequest"],
};

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/2.0/repositories/{ws}/{slug}/commits", get(commits))
        .route(
            "/2.0/repositories/{ws}/{slug}/pullrequests",
            get(pullrequests),
        )
        .route("/2.0/repositories/{ws}/{slug}/refs/branches", get(branches))
        .route(
            "/2.0/repositories/{ws}/{slug}/refs/branches/{name}",
            get(branch),
        )
}

/// An empty page of the repository's `what`, after the same checks as the repository itself.
async fn empty_page(
    state: &SimState,
    headers: &HeaderMap,
    uri: &Uri,
    q: &HashMap<String, String>,
    need: &Need,
    ws: &str,
    slug: &str,
) -> Response {
    let who = match authorize(state, headers, need) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match find_repo(state, &who, ws, slug) {
        Ok(_) => match cloud_page(state, uri, q, 0, false, |_| Value::Null) {
            Ok(body) => json_reply(StatusCode::OK, body),
            Err(r) => r,
        },
        Err(r) => r,
    };
    decorate(&who, reply)
}

async fn commits(
    State(state): St,
    headers: HeaderMap,
    uri: Uri,
    Path((ws, slug)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    empty_page(&state, &headers, &uri, &q, &NEED_REPO, &ws, &slug).await
}

async fn pullrequests(
    State(state): St,
    headers: HeaderMap,
    uri: Uri,
    Path((ws, slug)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    empty_page(&state, &headers, &uri, &q, &NEED_PULLREQUEST, &ws, &slug).await
}

fn branch_json(state: &SimState, index: usize) -> Value {
    let r = &state.data.cloud_repos[index];
    let w = &state.data.spec.cloud.workspaces[r.ws];
    let base = state.link_base();
    let hash = format!(
        "{:016x}{:016x}{:08x}",
        (r.updated_on as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        index as u64,
        r.created_on as u32
    );
    json!({
        "type": "branch",
        "name": r.mainbranch,
        "target": {"type": "commit", "hash": hash, "date": cloud_time(r.updated_on)},
        "merge_strategies": ["merge_commit", "squash", "fast_forward"],
        "default_merge_strategy": "merge_commit",
        "links": {
            "self": {"href": format!("{base}/2.0/repositories/{}/{}/refs/branches/{}", w.slug, r.slug, r.mainbranch)},
            "html": {"href": format!("{base}/{}/{}/branch/{}", w.slug, r.slug, r.mainbranch)}
        }
    })
}

async fn branches(
    State(state): St,
    headers: HeaderMap,
    uri: Uri,
    Path((ws, slug)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    let who = match authorize(&state, &headers, &NEED_REPO) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match find_repo(&state, &who, &ws, &slug) {
        Ok(i) => match cloud_page(&state, &uri, &q, 1, false, |_| branch_json(&state, i)) {
            Ok(body) => json_reply(StatusCode::OK, body),
            Err(r) => r,
        },
        Err(r) => r,
    };
    decorate(&who, reply)
}

async fn branch(
    State(state): St,
    headers: HeaderMap,
    Path((ws, slug, name)): Path<(String, String, String)>,
) -> Response {
    let who = match authorize(&state, &headers, &NEED_REPO) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let reply = match find_repo(&state, &who, &ws, &slug) {
        Ok(i) if state.data.cloud_repos[i].mainbranch == name => {
            json_reply(StatusCode::OK, branch_json(&state, i))
        }
        Ok(_) => cloud_error(
            StatusCode::NOT_FOUND,
            &format!("Branch \"{name}\" does not exist in {ws}/{slug}"),
        ),
        Err(r) => r,
    };
    decorate(&who, reply)
}
