//! The parts of a Cloud repository its links name: commits, pull requests, branches. The
//! simulator keeps no history, so the commit and pull-request pages are empty but valid
//! pages, and the one branch is the main branch.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};

use super::{NEED_REPO, Need, cloud_page, page_reply, repo_reply};
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
        .route(
            "/2.0/repositories/{ws}/{slug}/commits",
            empty_pages(&NEED_REPO),
        )
        .route(
            "/2.0/repositories/{ws}/{slug}/pullrequests",
            empty_pages(&NEED_PULLREQUEST),
        )
        .route("/2.0/repositories/{ws}/{slug}/refs/branches", get(branches))
        .route(
            "/2.0/repositories/{ws}/{slug}/refs/branches/{name}",
            get(branch),
        )
}

/// The handler of an always-empty page of a repository's parts that `need` lets read, after
/// the same checks as the repository itself.
fn empty_pages(need: &'static Need) -> MethodRouter<Arc<SimState>> {
    get(
        move |State(state): St,
              headers: HeaderMap,
              uri: Uri,
              Path((ws, slug)): Path<(String, String)>,
              Query(q): Params| async move {
            repo_reply(&state, &headers, need, &ws, &slug, |_, _| {
                page_reply(cloud_page(&state, &uri, &q, 0, false, |_| Value::Null))
            })
        },
    )
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
    repo_reply(&state, &headers, &NEED_REPO, &ws, &slug, |_, i| {
        page_reply(cloud_page(&state, &uri, &q, 1, false, |_| {
            branch_json(&state, i)
        }))
    })
}

async fn branch(
    State(state): St,
    headers: HeaderMap,
    Path((ws, slug, name)): Path<(String, String, String)>,
) -> Response {
    repo_reply(&state, &headers, &NEED_REPO, &ws, &slug, |_, i| {
        if state.data.cloud_repos[i].mainbranch == name {
            json_reply(StatusCode::OK, branch_json(&state, i))
        } else {
            cloud_error(
                StatusCode::NOT_FOUND,
                &format!("Branch \"{name}\" does not exist in {ws}/{slug}"),
            )
        }
    })
}
