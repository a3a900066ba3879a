//! Git smart HTTP for the simulator's repositories, through the real `git http-backend` (CGI),
//! with Bitbucket's git authentication rules (docs/bitbucket.md section 4). These differ from
//! the REST rules for the same credential: a Cloud API token wants the Bitbucket username (or
//! `x-bitbucket-api-token-auth`), never the email; access and OAuth tokens go as `x-token-auth`;
//! DC repository and project tokens work as Bearer only.
//!
//! Cloud paths are `/{ws}/{slug}.git/...`, DC paths `/scm/{key}/{slug}.git/...`. Each
//! repository is created on first use as a small bare repository with one commit on its
//! default branch, in a temporary directory that lives as long as the simulator.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::SimState;
use super::auth::{
    DcPerm, DcWho, Presented, ScopeKind, dc_who, is_revoked, oauth_implies, presented,
};

/// The realm Bitbucket names in its 401, so git asks its credential helpers.
pub(crate) const REALM: &str = "Basic realm=\"Atlassian Bitbucket\"";

/// The fixed git username Atlassian documents for API tokens, next to the Bitbucket username.
const API_TOKEN_USER: &str = "x-bitbucket-api-token-auth";
/// The git username for Cloud access tokens and OAuth access tokens.
const TOKEN_USER: &str = "x-token-auth";

/// The bare repositories created so far, under one temporary directory.
#[derive(Default)]
pub(crate) struct GitRepos {
    root: OnceLock<Result<tempfile::TempDir, String>>,
    created: Mutex<HashSet<PathBuf>>,
}

impl GitRepos {
    pub(crate) fn root(&self) -> Result<&Path, String> {
        let made = self.root.get_or_init(|| {
            tempfile::Builder::new()
                .prefix("bbconnect-sim-git-")
                .tempdir()
                .map_err(|e| format!("cannot create the simulator's git directory: {e}"))
        });
        match made {
            Ok(dir) => Ok(dir.path()),
            Err(e) => Err(e.clone()),
        }
    }
}

/// Which repository a git request names, and what it asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct GitTarget {
    pub product: Product,
    /// Workspace slug or project key, as in the URL.
    pub owner: String,
    /// Repository slug, without `.git`.
    pub slug: String,
    /// `info/refs`, `git-upload-pack` or `git-receive-pack`.
    pub rest: String,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum Product {
    Cloud,
    Dc,
}

/// Parses a smart-HTTP path; `None` for anything that is not one.
pub(crate) fn parse_path(path: &str) -> Option<GitTarget> {
    let (repo, rest) = path.split_once(".git/")?;
    if !matches!(rest, "info/refs" | "git-upload-pack" | "git-receive-pack") {
        return None;
    }
    let parts: Vec<&str> = repo.trim_start_matches('/').split('/').collect();
    let (product, owner, slug) = match parts.as_slice() {
        ["scm", key, slug] => (Product::Dc, *key, *slug),
        [ws, slug] if *ws != "scm" => (Product::Cloud, *ws, *slug),
        _ => return None,
    };
    if owner.is_empty() || slug.is_empty() {
        return None;
    }
    Some(GitTarget {
        product,
        owner: owner.to_string(),
        slug: slug.to_string(),
        rest: rest.to_string(),
    })
}

/// What the caller may do with the repository.
#[derive(Debug, PartialEq, Eq)]
enum Access {
    /// Read and maybe write, as `user` (REMOTE_USER).
    Granted { user: String, write: bool },
    /// Nobody signed in: read public repositories only.
    Anonymous { public: bool },
    /// Known caller who may not see the repository: 404, as Bitbucket hides it.
    Hidden,
    /// Known caller who sees it but may not read the code (missing scope).
    NoRead,
    /// The credential is wrong for git (wrong username for the type, unknown, expired).
    Refused,
}

/// Serves the request if it is a git one; `None` lets the caller answer 404.
pub(crate) async fn handle(state: Arc<SimState>, req: Request) -> Option<Response> {
    let target = parse_path(req.uri().path())?;
    Some(serve(state, target, req).await)
}

fn service_of(target: &GitTarget, query: &str) -> Option<&'static str> {
    let named = match target.rest.as_str() {
        "info/refs" => query
            .split('&')
            .find_map(|kv| kv.strip_prefix("service="))
            .unwrap_or(""),
        other => other,
    };
    match named {
        "git-upload-pack" => Some("git-upload-pack"),
        "git-receive-pack" => Some("git-receive-pack"),
        _ => None,
    }
}

async fn serve(state: Arc<SimState>, target: GitTarget, req: Request) -> Response {
    let query = req.uri().query().unwrap_or("").to_string();
    let Some(service) = service_of(&target, &query) else {
        // Dumb HTTP is not served, as on Bitbucket.
        return plain(StatusCode::FORBIDDEN, "Only smart HTTP is supported.\n");
    };
    let push = service == "git-receive-pack";
    let located = match target.product {
        Product::Cloud => cloud_repo(&state, &target),
        Product::Dc => dc_repo(&state, &target),
    };
    let Some((index, dir, branch)) = located else {
        return not_found();
    };
    let access = match target.product {
        Product::Cloud => cloud_access(&state, req.headers(), index),
        Product::Dc => dc_access(&state, req.headers(), index),
    };
    let user = match access {
        Access::Refused => return unauthorized(),
        Access::Anonymous { public } if public && !push => String::new(),
        Access::Anonymous { .. } => return unauthorized(),
        Access::Hidden => return not_found(),
        Access::NoRead => return refusal(service, "You may not read this repository's code."),
        Access::Granted { write: false, .. } if push => {
            return refusal(
                service,
                "You are not permitted to push to this repository (read access only).",
            );
        }
        Access::Granted { user, .. } => user,
    };
    let root = match state.git.root() {
        Ok(r) => r.to_path_buf(),
        Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    };
    if let Err(e) = ensure_repo(&state.git, &root, &dir, &branch).await {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n"));
    }
    let path_info = format!("/{}/{}", dir.display(), target.rest);
    cgi(&root, &path_info, &query, &user, req).await
}

/// `(index, directory under the root, default branch)` of a Cloud repository.
pub(crate) fn cloud_repo(state: &SimState, t: &GitTarget) -> Option<(usize, PathBuf, String)> {
    let ws = state.data.workspace_index(&t.owner)?;
    let live = state.live_slug(&t.owner, &t.slug)?;
    let index = state.data.cloud_repo_index(ws, &live)?;
    let r = &state.data.cloud_repos[index];
    let ws_slug = &state.data.spec.cloud.workspaces[ws].slug;
    let dir = PathBuf::from("cloud")
        .join(ws_slug)
        .join(format!("{}.git", r.slug));
    Some((index, dir, r.mainbranch.clone()))
}

pub(crate) fn dc_repo(state: &SimState, t: &GitTarget) -> Option<(usize, PathBuf, String)> {
    // Clone links name the project key in lower case; Bitbucket accepts either.
    let project = state
        .data
        .spec
        .dc
        .projects
        .iter()
        .position(|p| p.key.eq_ignore_ascii_case(&t.owner))?;
    let live = state.live_slug(&t.owner, &t.slug)?;
    let index = state.data.dc_repo_index(project, &live)?;
    let r = &state.data.dc_repos[index];
    let key = &state.data.spec.dc.projects[project].key;
    let dir = PathBuf::from("dc")
        .join(key.to_lowercase())
        .join(format!("{}.git", r.slug));
    Some((index, dir, r.default_branch.clone()))
}

/// A Cloud caller, by git's rules rather than REST's.
enum CloudGitWho {
    User {
        slug: String,
        kind: ScopeKind,
        scopes: Vec<String>,
    },
    RepoToken {
        repo: usize,
        scopes: Vec<String>,
    },
}

fn cloud_token(state: &SimState, token: &str) -> Option<CloudGitWho> {
    let cloud = &state.data.spec.cloud;
    if let Some(t) = cloud.repo_tokens.iter().find(|t| t.secret == token) {
        let repo = state.data.cloud_repo_nth(&t.workspace, t.repo_index)?;
        return Some(CloudGitWho::RepoToken {
            repo,
            scopes: t.scopes.clone(),
        });
    }
    match state.oauth_access(token) {
        Some(Ok((slug, scopes))) => Some(CloudGitWho::User {
            slug,
            kind: ScopeKind::OAuthStyle,
            scopes,
        }),
        // An expired access token is refused like an unknown one: git asks again.
        _ => None,
    }
}

fn cloud_git_who(state: &SimState, headers: &HeaderMap) -> Result<Option<CloudGitWho>, ()> {
    let cloud = &state.data.spec.cloud;
    let presented = presented(headers);
    if is_revoked(state, &presented) {
        return Err(());
    }
    match presented {
        Presented::None => Ok(None),
        Presented::Malformed => Err(()),
        Presented::Bearer(token) => cloud_token(state, &token).map(Some).ok_or(()),
        Presented::Basic(user, secret) => {
            if user == TOKEN_USER {
                return cloud_token(state, &secret).map(Some).ok_or(());
            }
            // The email the REST API wants is refused here: the username or the fixed name.
            if let Some(t) = cloud
                .api_tokens
                .iter()
                .find(|t| t.secret == secret && (user == t.user || user == API_TOKEN_USER))
            {
                return Ok(Some(CloudGitWho::User {
                    slug: t.user.clone(),
                    kind: ScopeKind::ApiToken,
                    scopes: t.scopes.clone(),
                }));
            }
            if let Some(p) = cloud
                .app_passwords
                .iter()
                .filter(|_| state.config.app_passwords_accepted)
                .find(|p| p.secret == secret && p.username == user)
            {
                return Ok(Some(CloudGitWho::User {
                    slug: p.user.clone(),
                    kind: ScopeKind::OAuthStyle,
                    scopes: p.scopes.clone(),
                }));
            }
            Err(())
        }
    }
}

/// Whether `scopes` allow reading (`write` false) or pushing (`write` true) code.
fn code_scope(kind: ScopeKind, scopes: &[String], write: bool) -> bool {
    match kind {
        ScopeKind::ApiToken => {
            let need = if write {
                "write:repository:bitbucket"
            } else {
                "read:repository:bitbucket"
            };
            scopes.iter().any(|s| s == need)
        }
        ScopeKind::OAuthStyle => {
            let need = if write {
                "repository:write"
            } else {
                "repository"
            };
            scopes.iter().any(|s| oauth_implies(s, need))
        }
    }
}

fn cloud_access(state: &SimState, headers: &HeaderMap, index: usize) -> Access {
    let repo = &state.data.cloud_repos[index];
    let who = match cloud_git_who(state, headers) {
        Err(()) => return Access::Refused,
        Ok(None) => {
            return Access::Anonymous {
                public: !repo.is_private,
            };
        }
        Ok(Some(who)) => who,
    };
    match who {
        CloudGitWho::RepoToken { repo: r, scopes } => {
            if r != index {
                return Access::Hidden;
            }
            if !code_scope(ScopeKind::OAuthStyle, &scopes, false) {
                return Access::NoRead;
            }
            Access::Granted {
                user: TOKEN_USER.to_string(),
                write: code_scope(ScopeKind::OAuthStyle, &scopes, true),
            }
        }
        CloudGitWho::User { slug, kind, scopes } => {
            let member = state.data.spec.cloud.workspaces[repo.ws]
                .members
                .contains_key(slug.as_str());
            if repo.is_private && !member {
                return Access::Hidden;
            }
            if !code_scope(kind, &scopes, false) {
                return Access::NoRead;
            }
            Access::Granted {
                write: member && code_scope(kind, &scopes, true),
                user: slug,
            }
        }
    }
}

fn dc_access(state: &SimState, headers: &HeaderMap, index: usize) -> Access {
    // DC's git rules are its REST rules: Basic for user tokens only, Bearer for every token.
    let who = match dc_who(state, headers) {
        Ok(w) => w,
        Err(_) => return Access::Refused,
    };
    let perm = who.perm_on(state, index);
    match (&who, perm) {
        (DcWho::Anonymous, p) => Access::Anonymous {
            public: p.is_some(),
        },
        (_, None) => Access::Hidden,
        (w, Some(p)) => Access::Granted {
            user: w.username().unwrap_or_default().to_string(),
            write: p >= DcPerm::Write,
        },
    }
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.to_string(),
    )
        .into_response()
}

fn unauthorized() -> Response {
    let mut r = plain(StatusCode::UNAUTHORIZED, "Authentication failed.\n");
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
    r
}

fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "Repository not found\n")
}

/// A refusal git prints as it is: on the advertisement, an `ERR` packet git shows as
/// `remote error: ...`; on the pack request itself, a 403 with the text.
fn refusal(service: &str, message: &str) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            format!("application/x-{service}-advertisement"),
        )],
        refusal_body(service, message),
    )
        .into_response()
}

fn refusal_body(service: &str, message: &str) -> Vec<u8> {
    let mut body = Vec::new();
    push_pkt(&mut body, format!("# service={service}\n").as_bytes());
    body.extend_from_slice(b"0000");
    push_pkt(&mut body, format!("ERR {message}").as_bytes());
    body
}

fn push_pkt(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(format!("{:04x}", data.len() + 4).as_bytes());
    out.extend_from_slice(data);
}

/// A git command whose environment holds nothing of the caller's git setup (a test's HOME,
/// GIT_DIR) and none of our secrets.
pub(crate) fn git(root: &Path) -> tokio::process::Command {
    let mut cmd = crate::os::child::tokio_command("git");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", root)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn run(mut cmd: tokio::process::Command, input: Option<&[u8]>) -> Result<String, String> {
    if input.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start git (is it installed?): {e}"))?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(input)
            .await
            .map_err(|e| format!("cannot write to git: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| format!("git failed: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Creates the bare repository with one commit on `branch` the first time it is asked for.
pub(crate) async fn ensure_repo(
    repos: &GitRepos,
    root: &Path,
    dir: &Path,
    branch: &str,
) -> Result<(), String> {
    let full = root.join(dir);
    {
        let created = repos.created.lock().unwrap_or_else(|p| p.into_inner());
        if created.contains(&full) {
            return Ok(());
        }
    }
    // Two first requests may race: the loser's `init` fails on an existing directory, so
    // build in a private directory and rename it into place.
    let staging = root.join(format!(".staging-{}", std::process::id()));
    let staging = staging.with_extension(format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let mut init = git(root);
    init.args(["init", "--quiet", "--bare", "--initial-branch"])
        .arg(branch)
        .arg(&staging);
    run(init, None).await?;
    let in_repo = |args: &[&str]| {
        let mut c = git(root);
        c.arg("--git-dir").arg(&staging).args(args);
        c
    };
    let readme = format!(
        "# {}\n\nA repository served by the bbconnect simulator.\n",
        dir.file_stem().and_then(|s| s.to_str()).unwrap_or("repo")
    );
    let blob = run(
        in_repo(&["hash-object", "-w", "--stdin"]),
        Some(readme.as_bytes()),
    )
    .await?;
    let tree = run(
        in_repo(&["mktree"]),
        Some(format!("100644 blob {blob}\tREADME.md\n").as_bytes()),
    )
    .await?;
    let mut commit = in_repo(&["commit-tree", &tree, "-m", "Initial commit"]);
    for (k, v) in [
        ("GIT_AUTHOR_NAME", "Simulator"),
        ("GIT_AUTHOR_EMAIL", "sim@example.com"),
        ("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z"),
        ("GIT_COMMITTER_NAME", "Simulator"),
        ("GIT_COMMITTER_EMAIL", "sim@example.com"),
        ("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z"),
    ] {
        commit.env(k, v);
    }
    let sha = run(commit, None).await?;
    run(
        in_repo(&["update-ref", &format!("refs/heads/{branch}"), &sha]),
        None,
    )
    .await?;
    let mut created = repos.created.lock().unwrap_or_else(|p| p.into_inner());
    if !full.exists() {
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {e}"))?;
        }
        std::fs::rename(&staging, &full).map_err(|e| format!("cannot place repository: {e}"))?;
    } else {
        let _ = std::fs::remove_dir_all(&staging);
    }
    created.insert(full);
    Ok(())
}

/// Runs `git http-backend` for one request: the body streams to its stdin, its output is
/// read as a CGI answer (headers, blank line, body).
async fn cgi(root: &Path, path_info: &str, query: &str, user: &str, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let mut cmd = git(root);
    cmd.arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", path_info)
        .env("QUERY_STRING", query)
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("CONTENT_TYPE", header(header::CONTENT_TYPE))
        .env("HTTP_CONTENT_ENCODING", header(header::CONTENT_ENCODING))
        .env(
            "GIT_PROTOCOL",
            header(header::HeaderName::from_static("git-protocol")),
        )
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped());
    if !user.is_empty() {
        cmd.env("REMOTE_USER", user);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot start git http-backend: {e}\n"),
            );
        }
    };
    let stdin = child.stdin.take();
    let feed = async move {
        let Some(mut stdin) = stdin else { return };
        let mut stream = body.into_data_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            if stdin.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = stdin.shutdown().await;
    };
    let mut stdout = child.stdout.take();
    let read = async move {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut out).await;
        }
        out
    };
    let ((), out) = tokio::join!(feed, read);
    let _ = child.wait().await;
    parse_cgi(&out)
}

/// A CGI answer: `Name: value` lines (a `Status:` line sets the status), a blank line, the body.
pub(crate) fn parse_cgi(out: &[u8]) -> Response {
    let split = find(out, b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| find(out, b"\n\n").map(|i| (i, 2)));
    let Some((end, sep)) = split else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "git http-backend gave no answer\n",
        );
    };
    let head = String::from_utf8_lossy(&out[..end]);
    let mut status = StatusCode::OK;
    let mut builder = Response::builder();
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split(' ').next().and_then(|c| c.parse::<u16>().ok());
            status = code
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        } else {
            builder = builder.header(name.trim(), value);
        }
    }
    builder
        .status(status)
        .body(Body::from(out[end + sep..].to_vec()))
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "bad CGI headers\n"))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_product_owner_and_slug() {
        let t = parse_path("/acme/app.git/info/refs").expect("cloud");
        assert_eq!(
            (
                t.product,
                t.owner.as_str(),
                t.slug.as_str(),
                t.rest.as_str()
            ),
            (Product::Cloud, "acme", "app", "info/refs")
        );
        let t = parse_path("/scm/plat/api.git/git-receive-pack").expect("dc");
        assert_eq!(
            (t.product, t.owner.as_str(), t.slug.as_str()),
            (Product::Dc, "plat", "api")
        );
        assert!(parse_path("/scm/x.git/info/refs").is_none());
        assert!(parse_path("/a/b.git/HEAD").is_none());
        assert!(parse_path("/2.0/repositories/a/b").is_none());
        assert!(parse_path("/a/b/c.git/info/refs").is_none());
    }

    #[test]
    fn cgi_status_headers_and_body() {
        let r = parse_cgi(b"Status: 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nno");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/plain");
        let r = parse_cgi(b"Content-Type: x\n\nbody");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            parse_cgi(b"garbage").status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn refusals_are_err_packets_after_the_service_line() {
        assert_eq!(
            refusal_body("git-receive-pack", "no"),
            b"001f# service=git-receive-pack\n0000000aERR no".to_vec()
        );
    }
}
