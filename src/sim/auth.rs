//! Who is calling: the Authorization header resolved against the data set, per product,
//! following the vendor's rules (docs/bitbucket.md section 1).

use axum::http::HeaderMap;
use base64::Engine;

use super::SimState;

/// What the client presented, before it is checked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Presented {
    None,
    Bearer(String),
    Basic(String, String),
    /// A header that is neither Basic nor Bearer, or undecodable Basic.
    Malformed,
}

pub(crate) fn presented(headers: &HeaderMap) -> Presented {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Presented::None;
    };
    let Ok(value) = value.to_str() else {
        return Presented::Malformed;
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Presented::Bearer(rest.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok();
        let text = decoded.and_then(|d| String::from_utf8(d).ok());
        if let Some((user, pass)) = text.as_deref().and_then(|t| t.split_once(':')) {
            return Presented::Basic(user.to_string(), pass.to_string());
        }
    }
    Presented::Malformed
}

/// DC permission levels, ordered so that a higher one implies the lower ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum DcPerm {
    Read,
    Write,
    Admin,
}

impl DcPerm {
    /// `REPO_READ` / `PROJECT_READ` and friends; project levels apply to the project's repos.
    pub fn parse(name: &str) -> Option<DcPerm> {
        match name.to_ascii_uppercase().as_str() {
            "REPO_READ" | "PROJECT_READ" => Some(DcPerm::Read),
            "REPO_WRITE" | "PROJECT_WRITE" => Some(DcPerm::Write),
            "REPO_ADMIN" | "PROJECT_ADMIN" => Some(DcPerm::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum DcWho {
    Anonymous,
    /// A user's HTTP access token: `projects` None means every project.
    User {
        slug: String,
        perm: DcPerm,
        projects: Option<Vec<usize>>,
    },
    /// A repository or project token acts as a service user bound to its scope.
    RepoToken {
        username: String,
        repo: usize,
        perm: DcPerm,
    },
    ProjectToken {
        username: String,
        project: usize,
        perm: DcPerm,
    },
}

impl DcWho {
    /// The `X-AUSERNAME` value, `None` for anonymous.
    pub fn username(&self) -> Option<&str> {
        match self {
            DcWho::Anonymous => None,
            DcWho::User { slug, .. } => Some(slug),
            DcWho::RepoToken { username, .. } | DcWho::ProjectToken { username, .. } => {
                Some(username)
            }
        }
    }

    /// The caller's permission on repository `index`, public repositories being readable by all.
    pub fn perm_on(&self, state: &SimState, index: usize) -> Option<DcPerm> {
        let repo = state.data.dc_repos.get(index)?;
        let project = state.data.spec.dc.projects.get(repo.project)?;
        let public = (repo.public || project.public).then_some(DcPerm::Read);
        let granted = match self {
            DcWho::Anonymous => None,
            DcWho::User {
                slug,
                perm,
                projects,
            } => {
                let owns_personal = project.personal_owner.as_deref() == Some(slug.as_str());
                let personal = project.personal_owner.is_some();
                match projects {
                    // The token's permission caps its owner's rights there too.
                    _ if owns_personal => Some(*perm),
                    // Another user's personal project is private to its owner.
                    _ if personal => None,
                    None => Some(*perm),
                    Some(list) => list.contains(&repo.project).then_some(*perm),
                }
            }
            DcWho::RepoToken { repo, perm, .. } => (*repo == index).then_some(*perm),
            DcWho::ProjectToken { project, perm, .. } => {
                (*project == repo.project).then_some(*perm)
            }
        };
        granted.max(public)
    }
}

/// Why a DC credential was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadCredentials;

/// Whether the secret presented was revoked on the server (a test's drift).
pub(crate) fn is_revoked(state: &SimState, presented: &Presented) -> bool {
    match presented {
        Presented::Bearer(secret) | Presented::Basic(_, secret) => state.is_revoked(secret),
        Presented::None | Presented::Malformed => false,
    }
}

pub(crate) fn dc_who(state: &SimState, headers: &HeaderMap) -> Result<DcWho, BadCredentials> {
    let dc = &state.data.spec.dc;
    if is_revoked(state, &presented(headers)) {
        return Err(BadCredentials);
    }
    let user_token = |user: Option<&str>, secret: &str| {
        dc.user_tokens
            .iter()
            .find(|t| t.secret == secret && user.is_none_or(|u| u.eq_ignore_ascii_case(&t.user)))
    };
    let token = match presented(headers) {
        Presented::None => return Ok(DcWho::Anonymous),
        Presented::Malformed => return Err(BadCredentials),
        Presented::Basic(user, secret) => {
            // Basic works for user tokens only: repository and project tokens are Bearer-only.
            return user_token(Some(&user), &secret)
                .map(|t| user_who(state, t))
                .ok_or(BadCredentials);
        }
        Presented::Bearer(secret) => secret,
    };
    if let Some(t) = user_token(None, &token) {
        return Ok(user_who(state, t));
    }
    if let Some(t) = dc.repo_tokens.iter().find(|t| t.secret == token) {
        let repo = state
            .data
            .dc_repo_nth(&t.project, t.repo_index)
            .ok_or(BadCredentials)?;
        let perm = DcPerm::parse(&t.permission).ok_or(BadCredentials)?;
        return Ok(DcWho::RepoToken {
            username: format!("repo-token-{}", t.project.to_lowercase()),
            repo,
            perm,
        });
    }
    if let Some(t) = dc.project_tokens.iter().find(|t| t.secret == token) {
        let project = state
            .data
            .dc_project_index(&t.project)
            .ok_or(BadCredentials)?;
        let perm = DcPerm::parse(&t.permission).ok_or(BadCredentials)?;
        return Ok(DcWho::ProjectToken {
            username: format!("project-token-{}", t.project.to_lowercase()),
            project,
            perm,
        });
    }
    Err(BadCredentials)
}

fn user_who(state: &SimState, t: &super::data::DcUserToken) -> DcWho {
    let projects = if t.projects.iter().any(|k| k == "*") {
        None
    } else {
        Some(
            t.projects
                .iter()
                .filter_map(|k| state.data.dc_project_index(k))
                .collect(),
        )
    };
    DcWho::User {
        slug: t.user.clone(),
        perm: DcPerm::parse(&t.permission).unwrap_or(DcPerm::Read),
        projects,
    }
}

/// How a Cloud credential's scopes are read: API tokens name exact scopes that imply nothing;
/// OAuth-style scopes (`repository:admin`) imply their lower levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScopeKind {
    ApiToken,
    OAuthStyle,
}

#[derive(Debug, Clone)]
pub(crate) enum CloudWho {
    Anonymous,
    User {
        slug: String,
        kind: ScopeKind,
        scopes: Vec<String>,
        /// What the endpoint that let this caller in accepts (`x-accepted-oauth-scopes`),
        /// set by the endpoint's check; empty until then.
        accepted: &'static [&'static str],
    },
    RepoToken {
        repo: usize,
        scopes: Vec<String>,
        accepted: &'static [&'static str],
    },
}

/// Why a Cloud credential was refused: the 401 message to send.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CloudRefusal {
    /// A token Bitbucket knows of in the wrong shape (an API token with the username instead
    /// of the email, a bearer token it does not know): the JSON error envelope.
    Invalid,
    Expired,
    /// Basic credentials that match nothing: Bitbucket answers with a plain-text page, not
    /// the JSON envelope (as seen by public clients' bug reports), so clients must not
    /// assume every error body is JSON.
    LoginFailed,
}

impl CloudRefusal {
    pub fn message(&self) -> &'static str {
        match self {
            CloudRefusal::Invalid => {
                "Token is invalid, expired, or not supported for this endpoint."
            }
            CloudRefusal::Expired => {
                "Access token expired. Use your refresh token to obtain a new access token."
            }
            CloudRefusal::LoginFailed => {
                "Login failed: the credentials or the login method are wrong.\n\
                 Bitbucket Cloud APIs take an API token with the Atlassian account email, \
                 an app password with the username, or an OAuth or access token as a bearer token.\n"
            }
        }
    }

    /// The whole 401, in the shape Bitbucket Cloud gives each kind of refusal.
    pub fn response(&self) -> axum::response::Response {
        use axum::http::{HeaderValue, StatusCode, header};
        use axum::response::IntoResponse;
        match self {
            CloudRefusal::Invalid | CloudRefusal::Expired => {
                super::reply::cloud_error(StatusCode::UNAUTHORIZED, self.message())
            }
            CloudRefusal::LoginFailed => {
                let mut r = (StatusCode::UNAUTHORIZED, self.message()).into_response();
                let headers = r.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(super::reply::CLOUD_REALM),
                );
                r
            }
        }
    }
}

pub(crate) fn cloud_who(state: &SimState, headers: &HeaderMap) -> Result<CloudWho, CloudRefusal> {
    let cloud = &state.data.spec.cloud;
    let presented = presented(headers);
    if is_revoked(state, &presented) {
        return Err(match presented {
            Presented::Basic(..) => CloudRefusal::LoginFailed,
            _ => CloudRefusal::Invalid,
        });
    }
    match presented {
        Presented::None => Ok(CloudWho::Anonymous),
        Presented::Malformed => Err(CloudRefusal::Invalid),
        Presented::Basic(user, secret) => {
            // API tokens authenticate with the Atlassian email, app passwords with the username;
            // each fails with the other.
            if let Some(t) = cloud
                .api_tokens
                .iter()
                .find(|t| t.secret == secret && t.email.eq_ignore_ascii_case(&user))
            {
                return Ok(CloudWho::User {
                    slug: t.user.clone(),
                    kind: ScopeKind::ApiToken,
                    scopes: t.scopes.clone(),
                    accepted: &[],
                });
            }
            // Turned off on 2026-07-28: refused like any unknown Basic pair, unless this
            // simulator plays an old mirror.
            if let Some(p) = cloud
                .app_passwords
                .iter()
                .filter(|_| state.config.app_passwords_accepted)
                .find(|p| p.secret == secret && p.username == user)
            {
                return Ok(CloudWho::User {
                    slug: p.user.clone(),
                    kind: ScopeKind::OAuthStyle,
                    scopes: p.scopes.clone(),
                    accepted: &[],
                });
            }
            // A known API token sent with something other than its email is the one Basic
            // refusal Bitbucket words as a token problem.
            if cloud.api_tokens.iter().any(|t| t.secret == secret) {
                return Err(CloudRefusal::Invalid);
            }
            Err(CloudRefusal::LoginFailed)
        }
        Presented::Bearer(token) => {
            if let Some(t) = cloud.repo_tokens.iter().find(|t| t.secret == token) {
                let repo = state
                    .data
                    .cloud_repo_nth(&t.workspace, t.repo_index)
                    .ok_or(CloudRefusal::Invalid)?;
                return Ok(CloudWho::RepoToken {
                    repo,
                    scopes: t.scopes.clone(),
                    accepted: &[],
                });
            }
            match state.oauth_access(&token) {
                Some(Ok((slug, scopes))) => Ok(CloudWho::User {
                    slug,
                    kind: ScopeKind::OAuthStyle,
                    scopes,
                    accepted: &[],
                }),
                Some(Err(())) => Err(CloudRefusal::Expired),
                None => Err(CloudRefusal::Invalid),
            }
        }
    }
}

/// `repository:admin` implies `repository:write` implies `repository`; `account:write` implies
/// `account`. Anything else must match exactly.
pub(crate) fn oauth_implies(granted: &str, required: &str) -> bool {
    fn rank(level: Option<&str>) -> u8 {
        match level {
            None => 0,
            Some("write") => 1,
            Some("admin") => 2,
            Some("delete") => 3,
            Some(_) => 4,
        }
    }
    let (gb, gl) = split_scope(granted);
    let (rb, rl) = split_scope(required);
    gb == rb && (gl == rl || rank(gl) >= rank(rl) && rank(gl) < 4)
}

fn split_scope(s: &str) -> (&str, Option<&str>) {
    match s.split_once(':') {
        Some((b, l)) => (b, Some(l)),
        None => (s, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::AUTHORIZATION,
            HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn basic_and_bearer_are_parsed() {
        let b64 = base64::engine::general_purpose::STANDARD.encode("alice:test-token-x:y");
        assert_eq!(
            presented(&with(&format!("Basic {b64}"))),
            Presented::Basic("alice".into(), "test-token-x:y".into())
        );
        assert_eq!(
            presented(&with("Bearer test-token-a")),
            Presented::Bearer("test-token-a".into())
        );
        assert_eq!(presented(&with("Basic !!!")), Presented::Malformed);
        assert_eq!(presented(&HeaderMap::new()), Presented::None);
    }

    #[test]
    fn oauth_scopes_imply_lower_levels_only() {
        assert!(oauth_implies("repository:admin", "repository"));
        assert!(oauth_implies("repository:write", "repository:write"));
        assert!(!oauth_implies("repository", "repository:write"));
        assert!(!oauth_implies("account", "repository"));
    }
}
