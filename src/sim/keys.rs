//! SSH keys per repository, kept in memory per simulator: DC repository access keys
//! (`/rest/keys/latest/...`, REPO_READ or REPO_WRITE), Cloud deploy keys (always read-only),
//! DC's `/rest/ssh/latest/settings` and Cloud's published host keys (`/site/ssh`). The SSH
//! server admits exactly the keys registered here.

use std::collections::HashMap;
use std::sync::{Arc, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use base64::Engine;
use serde_json::{Value, json};

use super::SimState;
use super::cloud::{Need, repo_admin_reply, single_page};
use super::data::{cloud_time, unix_now};
use super::dc::caller;
use super::hooks::dc_admin_reply;
use super::reply::{cloud_error, dc_error, dc_invalid, json_reply, with_user};

/// Key types the servers accept, with the bit length DC reports for each.
const ALGORITHMS: &[(&str, &str, u32)] = &[
    ("ssh-ed25519", "ED25519", 256),
    ("ssh-rsa", "RSA", 0),
    ("ecdsa-sha2-nistp256", "ECDSA", 256),
    ("ecdsa-sha2-nistp384", "ECDSA", 384),
    ("ecdsa-sha2-nistp521", "ECDSA", 521),
];

/// A public key as pasted: `TYPE BASE64 [comment]`, its blob checked to name the same type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    pub algorithm: String,
    pub blob: Vec<u8>,
    pub comment: String,
}

impl PublicKey {
    pub fn parse(text: &str) -> Result<PublicKey, String> {
        let mut parts = text.split_whitespace();
        let (Some(algorithm), Some(b64)) = (parts.next(), parts.next()) else {
            return Err("The SSH key is invalid: expected 'TYPE BASE64 [comment]'.".into());
        };
        if !ALGORITHMS.iter().any(|a| a.0 == algorithm) {
            return Err(format!(
                "The SSH key is invalid: '{algorithm}' is not a supported key type."
            ));
        }
        let blob = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| "The SSH key is invalid: its key data is not base64.".to_string())?;
        let named = blob
            .get(..4)
            .map(|n| u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize)
            .and_then(|len| blob.get(4..4 + len));
        if named != Some(algorithm.as_bytes()) {
            return Err("The SSH key is invalid: its key data does not match its type.".into());
        }
        if algorithm == "ssh-ed25519" && blob.len() != 51 {
            return Err("The SSH key is invalid: an Ed25519 key holds 32 bytes.".into());
        }
        Ok(PublicKey {
            algorithm: algorithm.to_string(),
            blob,
            comment: parts.collect::<Vec<_>>().join(" "),
        })
    }

    /// `TYPE BASE64`, without the comment.
    pub fn openssh(&self) -> String {
        format!(
            "{} {}",
            self.algorithm,
            base64::engine::general_purpose::STANDARD.encode(&self.blob)
        )
    }

    pub fn fingerprint(&self) -> String {
        super::ssh::fingerprint(&self.blob)
    }
}

/// Whether a key may push as well as fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyAccess {
    Read,
    Write,
}

#[derive(Debug, Clone)]
pub(crate) struct StoredKey {
    pub id: u64,
    pub key: PublicKey,
    pub label: String,
    pub access: KeyAccess,
    pub expiry_days: Option<u32>,
    pub created: i64,
    pub last_used: Option<i64>,
}

#[derive(Default)]
pub(crate) struct KeyStore {
    next_id: u64,
    pub dc: HashMap<usize, Vec<StoredKey>>,
    pub cloud: HashMap<usize, Vec<StoredKey>>,
}

/// A key registered on a repository, as tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSshKey {
    pub id: u64,
    /// `TYPE BASE64`, without the comment.
    pub text: String,
    pub label: String,
    /// `REPO_READ` / `REPO_WRITE` for DC access keys; `REPO_READ` for Cloud deploy keys.
    pub permission: String,
}

impl KeyStore {
    fn add(&mut self, list: Which, repo: usize, mut key: StoredKey) -> StoredKey {
        self.next_id += 1;
        key.id = self.next_id;
        self.list_mut(list)
            .entry(repo)
            .or_default()
            .push(key.clone());
        key
    }

    fn list(&self, which: Which) -> &HashMap<usize, Vec<StoredKey>> {
        match which {
            Which::Dc => &self.dc,
            Which::Cloud => &self.cloud,
        }
    }

    fn list_mut(&mut self, which: Which) -> &mut HashMap<usize, Vec<StoredKey>> {
        match which {
            Which::Dc => &mut self.dc,
            Which::Cloud => &mut self.cloud,
        }
    }

    /// Key `id` (as the URL spells it) of one repository, when it has it.
    fn find(&mut self, which: Which, repo: usize, id: &str) -> Option<&mut StoredKey> {
        self.list_mut(which)
            .get_mut(&repo)?
            .iter_mut()
            .find(|k| k.id.to_string() == id)
    }

    /// Whether one repository already holds this key blob.
    fn holds(&self, which: Which, repo: usize, blob: &[u8]) -> bool {
        self.list(which)
            .get(&repo)
            .is_some_and(|l| l.iter().any(|k| k.key.blob == blob))
    }

    /// Whether any repository of either product holds this key blob.
    pub fn knows(&self, blob: &[u8]) -> bool {
        self.dc
            .values()
            .chain(self.cloud.values())
            .flatten()
            .any(|k| k.key.blob == blob)
    }

    /// The access `blob` has on a repository, noting the use.
    pub fn access(
        &mut self,
        which: Which,
        repo: usize,
        blob: &[u8],
        now: i64,
    ) -> Option<KeyAccess> {
        let key = self
            .list_mut(which)
            .get_mut(&repo)?
            .iter_mut()
            .find(|k| k.key.blob == blob)?;
        key.last_used = Some(now);
        Some(key.access)
    }

    pub fn listed(&self, which: Which, repo: usize) -> Vec<SimSshKey> {
        self.list(which)
            .get(&repo)
            .into_iter()
            .flatten()
            .map(|k| SimSshKey {
                id: k.id,
                text: k.key.openssh(),
                label: k.label.clone(),
                permission: permission_name(k.access).to_string(),
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    Dc,
    Cloud,
}

fn permission_name(a: KeyAccess) -> &'static str {
    match a {
        KeyAccess::Read => "REPO_READ",
        KeyAccess::Write => "REPO_WRITE",
    }
}

pub(crate) fn store(state: &SimState) -> MutexGuard<'_, KeyStore> {
    match state.keys.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

pub(crate) fn routes() -> Router<Arc<SimState>> {
    let dc = Router::new()
        .route(
            "/projects/{key}/repos/{slug}/ssh",
            get(dc_list).post(dc_create),
        )
        .route(
            "/projects/{key}/repos/{slug}/ssh/{id}",
            get(dc_get).delete(dc_delete),
        )
        .route(
            "/projects/{key}/repos/{slug}/ssh/{id}/permission/{permission}",
            put(dc_set_permission),
        );
    Router::new()
        .nest("/rest/keys/latest", dc.clone())
        .nest("/rest/keys/1.0", dc)
        .route("/rest/ssh/latest/settings", get(dc_settings))
        .route("/rest/ssh/1.0/settings", get(dc_settings))
        .route(
            "/2.0/repositories/{ws}/{slug}/deploy-keys",
            get(cloud_list).post(cloud_create),
        )
        .route(
            "/2.0/repositories/{ws}/{slug}/deploy-keys/{id}",
            get(cloud_get).delete(cloud_delete),
        )
        .route("/site/ssh", get(site_ssh))
}

// ---------- Data Center ----------

fn dc_no_key(id: &str) -> Response {
    dc_error(
        StatusCode::NOT_FOUND,
        &format!("No access key with id {id} exists on this repository."),
        "com.atlassian.bitbucket.ssh.NoSuchSshKeyException",
    )
}

fn dc_json(state: &SimState, repo: usize, k: &StoredKey) -> Value {
    let (algorithm, bits) = ALGORITHMS
        .iter()
        .find(|a| a.0 == k.key.algorithm)
        .map(|a| (a.1, a.2))
        .unwrap_or(("UNKNOWN", 0));
    let mut key = json!({
        "id": k.id,
        "text": format!("{} {}", k.key.openssh(), k.key.comment).trim_end(),
        "label": k.label,
        "fingerprint": k.key.fingerprint(),
        "algorithmType": algorithm,
        "bitLength": if bits == 0 { (k.key.blob.len() as u32).saturating_sub(20) * 8 } else { bits },
        "createdDate": cloud_time(k.created),
    });
    if let Some(days) = k.expiry_days {
        key["expiryDays"] = json!(days);
    }
    if let Some(t) = k.last_used {
        key["lastAuthenticated"] = json!((t * 1000).to_string());
    }
    json!({
        "key": key,
        "repository": super::dc::repo_json(state, repo),
        "permission": permission_name(k.access),
    })
}

/// The body of a create: `{"key":{"text","label"?,"expiryDays"?},"permission"}`.
fn dc_input(body: &[u8]) -> Result<(PublicKey, String, KeyAccess, Option<u32>), String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("The request body is not valid JSON: {e}"))?;
    let key = v
        .get("key")
        .filter(|k| k.is_object())
        .ok_or("'key' is required: {\"key\":{\"text\":\"ssh-ed25519 AAAA...\"}}.")?;
    let text = key
        .get("text")
        .and_then(Value::as_str)
        .ok_or("'key.text' is required.")?;
    let parsed = PublicKey::parse(text)?;
    let label = match key.get("label") {
        None | Some(Value::Null) => parsed.comment.clone(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("'key.label' must be a string.".into()),
    };
    let expiry = match key.get("expiryDays") {
        None | Some(Value::Null) => None,
        Some(d) => Some(
            d.as_u64()
                .filter(|d| *d > 0 && *d <= u64::from(u32::MAX))
                .ok_or("'key.expiryDays' must be a positive number of days.")? as u32,
        ),
    };
    let access = match v.get("permission").and_then(Value::as_str) {
        Some(p) => parse_access(p)?,
        None => return Err("'permission' is required: REPO_READ or REPO_WRITE.".into()),
    };
    Ok((parsed, label, access, expiry))
}

fn parse_access(p: &str) -> Result<KeyAccess, String> {
    match p {
        "REPO_READ" => Ok(KeyAccess::Read),
        "REPO_WRITE" => Ok(KeyAccess::Write),
        other => Err(format!(
            "'{other}' is not a permission an access key can have on a repository: use REPO_READ or REPO_WRITE."
        )),
    }
}

async fn dc_list(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((key, slug)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    dc_admin_reply(&state, &headers, &key, &slug, |repo| {
        let all: Vec<StoredKey> = store(&state).dc.get(&repo).cloned().unwrap_or_default();
        let start = q
            .get("start")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0usize);
        let limit = q
            .get("limit")
            .and_then(|s| s.parse().ok())
            .filter(|l| *l > 0)
            .unwrap_or(25usize)
            .min(state.config.dc_limit_cap.max(1));
        let values: Vec<Value> = all
            .iter()
            .skip(start)
            .take(limit)
            .map(|k| dc_json(&state, repo, k))
            .collect();
        let last = start + values.len() >= all.len();
        let mut body = json!({"size": values.len(), "limit": limit, "isLastPage": last, "start": start, "values": values});
        if !last {
            body["nextPageStart"] = json!(start + limit);
        }
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
        let (parsed, label, access, expiry_days) = match dc_input(&body) {
            Ok(x) => x,
            Err(message) => return dc_invalid(&message),
        };
        let mut store = store(&state);
        if store.holds(Which::Dc, repo, &parsed.blob) {
            return dc_invalid("This SSH key is already an access key of this repository.");
        }
        let stored = store.add(
            Which::Dc,
            repo,
            StoredKey {
                id: 0,
                key: parsed,
                label,
                access,
                expiry_days,
                created: unix_now(),
                last_used: None,
            },
        );
        let body = dc_json(&state, repo, &stored);
        json_reply(StatusCode::CREATED, body)
    })
}

async fn dc_get(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((key, slug, id)): Path<(String, String, String)>,
) -> Response {
    dc_admin_reply(&state, &headers, &key, &slug, |repo| {
        let found = store(&state).find(Which::Dc, repo, &id).cloned();
        match found {
            Some(k) => json_reply(StatusCode::OK, dc_json(&state, repo, &k)),
            None => dc_no_key(&id),
        }
    })
}

/// 204 whether or not the key was there, as the vendor documents.
async fn dc_delete(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((key, slug, id)): Path<(String, String, String)>,
) -> Response {
    dc_admin_reply(&state, &headers, &key, &slug, |repo| {
        if let Some(list) = store(&state).dc.get_mut(&repo) {
            list.retain(|k| k.id.to_string() != id);
        }
        StatusCode::NO_CONTENT.into_response()
    })
}

async fn dc_set_permission(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((key, slug, id, permission)): Path<(String, String, String, String)>,
) -> Response {
    dc_admin_reply(&state, &headers, &key, &slug, |repo| {
        let access = match parse_access(&permission) {
            Ok(a) => a,
            Err(message) => return dc_invalid(&message),
        };
        let updated = {
            let mut store = store(&state);
            store.find(Which::Dc, repo, &id).map(|k| {
                k.access = access;
                k.clone()
            })
        };
        match updated {
            Some(k) => json_reply(StatusCode::OK, dc_json(&state, repo, &k)),
            None => dc_no_key(&id),
        }
    })
}

/// DC's SSH settings: any signed-in caller may read them; anonymous ones get 401.
async fn dc_settings(State(state): State<Arc<SimState>>, headers: HeaderMap) -> Response {
    let who = match caller(&state, &headers) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let Some(user) = who.username().map(str::to_string) else {
        return dc_error(
            StatusCode::UNAUTHORIZED,
            "Authentication required",
            "com.atlassian.bitbucket.auth.AuthenticationRequiredException",
        );
    };
    let host = ssh_host(&state);
    let port = state.ssh_port;
    let body = json!({
        "enabled": true,
        "accessKeysEnabled": true,
        "baseUrl": format!("ssh://{host}:{port}"),
        "port": port,
        "fingerprint": {"algorithm": "SHA256", "value": state.host_key.fingerprint_value()},
    });
    with_user(json_reply(StatusCode::OK, body), Some(&user))
}

/// The host clone links and settings name for SSH: the link host without its HTTP port.
pub(crate) fn ssh_host(state: &SimState) -> &str {
    state.link_host().split(':').next().unwrap_or("localhost")
}

// ---------- Cloud ----------

/// Deploy keys need repository admin: `admin:repository:bitbucket` on API tokens,
/// `repository:admin` on OAuth-style credentials.
const NEED_ADMIN: Need = Need {
    api: &["admin:repository:bitbucket"],
    oauth: &["repository:admin"],
};

/// The reply of `handle` for an admin of repository `ws/slug` (see [`repo_admin_reply`]).
fn deploy_key_admin(
    state: &SimState,
    headers: &HeaderMap,
    ws: &str,
    slug: &str,
    handle: impl FnOnce(usize) -> Response,
) -> Response {
    repo_admin_reply(state, headers, &NEED_ADMIN, ws, slug, "deploy keys", handle)
}

fn cloud_json(state: &SimState, repo: usize, k: &StoredKey) -> Value {
    let r = &state.data.cloud_repos[repo];
    let w = &state.data.spec.cloud.workspaces[r.ws];
    let api = format!(
        "{}/2.0/repositories/{}/{}",
        state.link_base(),
        w.slug,
        r.slug
    );
    json!({
        "type": "deploy_key",
        "id": k.id,
        "key": k.key.openssh(),
        "label": k.label,
        "comment": k.key.comment,
        "created_on": cloud_time(k.created),
        "added_on": cloud_time(k.created),
        "last_used": k.last_used.map(cloud_time),
        "repository": {
            "type": "repository",
            "full_name": format!("{}/{}", w.slug, r.slug),
            "name": r.name,
            "uuid": r.uuid,
            "links": {"self": {"href": api.clone()}}
        },
        "links": {"self": {"href": format!("{api}/deploy-keys/{}", k.id)}}
    })
}

fn cloud_input(body: &[u8]) -> Result<(PublicKey, String), String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("The request body is not valid JSON: {e}"))?;
    let text = v
        .get("key")
        .and_then(Value::as_str)
        .ok_or("'key' is required: the public key, 'ssh-ed25519 AAAA...'.")?;
    let parsed = PublicKey::parse(text)?;
    let label = match v.get("label") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("'label' must be a string.".into()),
    };
    Ok((parsed, label))
}

fn no_deploy_key() -> Response {
    cloud_error(StatusCode::NOT_FOUND, "Deploy key not found.")
}

async fn cloud_list(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((ws, slug)): Path<(String, String)>,
) -> Response {
    deploy_key_admin(&state, &headers, &ws, &slug, |repo| {
        let keys = store(&state).cloud.get(&repo).cloned().unwrap_or_default();
        let values: Vec<Value> = keys.iter().map(|k| cloud_json(&state, repo, k)).collect();
        single_page(values)
    })
}

async fn cloud_create(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((ws, slug)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    deploy_key_admin(&state, &headers, &ws, &slug, |repo| {
        let (parsed, label) = match cloud_input(&body) {
            Ok(x) => x,
            Err(message) => return cloud_error(StatusCode::BAD_REQUEST, &message),
        };
        let mut store = store(&state);
        if store.holds(Which::Cloud, repo, &parsed.blob) {
            return cloud_error(
                StatusCode::BAD_REQUEST,
                "Someone has already added that access key to this repository.",
            );
        }
        let stored = store.add(
            Which::Cloud,
            repo,
            StoredKey {
                id: 0,
                key: parsed,
                label,
                access: KeyAccess::Read,
                expiry_days: None,
                created: unix_now(),
                last_used: None,
            },
        );
        json_reply(StatusCode::OK, cloud_json(&state, repo, &stored))
    })
}

async fn cloud_get(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((ws, slug, id)): Path<(String, String, String)>,
) -> Response {
    deploy_key_admin(&state, &headers, &ws, &slug, |repo| {
        let found = store(&state).find(Which::Cloud, repo, &id).cloned();
        match found {
            Some(k) => json_reply(StatusCode::OK, cloud_json(&state, repo, &k)),
            None => no_deploy_key(),
        }
    })
}

async fn cloud_delete(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((ws, slug, id)): Path<(String, String, String)>,
) -> Response {
    deploy_key_admin(&state, &headers, &ws, &slug, |repo| {
        let removed = {
            let mut store = store(&state);
            let list = store.cloud.entry(repo).or_default();
            let before = list.len();
            list.retain(|k| k.id.to_string() != id);
            list.len() < before
        };
        if removed {
            StatusCode::NO_CONTENT.into_response()
        } else {
            no_deploy_key()
        }
    })
}

/// The host keys in known_hosts form, as bitbucket.org/site/ssh publishes Cloud's.
async fn site_ssh(State(state): State<Arc<SimState>>) -> Response {
    let body = format!("{}\n", known_hosts_line(&state));
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// `[host]:port ssh-ed25519 AAAA...`: the bracketed form OpenSSH uses for a port other than 22.
pub(crate) fn known_hosts_line(state: &SimState) -> String {
    format!(
        "[{}]:{} {}",
        ssh_host(state),
        state.ssh_port,
        state.host_key.line()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ed25519_line(comment: &str) -> String {
        let blob = super::super::ssh::ed25519_blob(&[7u8; 32]);
        format!(
            "ssh-ed25519 {} {comment}",
            base64::engine::general_purpose::STANDARD.encode(blob)
        )
    }

    #[test]
    fn keys_parse_with_their_comment() {
        let k = PublicKey::parse(&ed25519_line("ci@example")).expect("parses");
        assert_eq!(k.algorithm, "ssh-ed25519");
        assert_eq!(k.comment, "ci@example");
        assert!(k.openssh().starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "ssh-ed25519",
            "ssh-ed25519 !!!notbase64",
            "ssh-dss AAAAB3NzaC1kc3M=",
            // An RSA blob labelled as Ed25519.
            "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB",
            // The right type name but a short key.
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAQc=",
        ] {
            assert!(PublicKey::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
