//! Turning answers into check rows. Pure: no IO, so every wording and decision is unit-tested.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use crate::bitbucket::cloud::NEEDED_SCOPES;
use crate::bitbucket::explain;
use crate::bitbucket::http::{HttpError, JsonResponse, host_label};
use crate::bitbucket::server;
use crate::bitbucket::urls;
use crate::core::model::{
    AuthKind, CheckId, CheckItem, FailureClass, Identity, Problem, Provider, Repo,
};

pub(crate) fn host_of(base: &str) -> String {
    url::Url::parse(base)
        .map(|u| host_label(&u))
        .unwrap_or_else(|_| base.to_string())
}

/// The refusal used by the check row and by listings on an insecure transport.
pub fn http_refusal_problem(api: &str) -> Problem {
    Problem::new(
        FailureClass::Input,
        format!(
            "The credential would go over plain http to {}: anyone on the network path can read it.",
            host_of(api)
        ),
        "Use the https:// address; only if you accept the risk, allow plain http (--allow-http).",
    )
}

/// `tls` when https, `http` otherwise: loopback is fine, anything else is refused unless allowed.
pub fn eval_transport(api: &str, allow_http: bool) -> CheckItem {
    let host = host_of(api);
    if api.to_ascii_lowercase().starts_with("https://") {
        return CheckItem::passed(CheckId::Tls, format!("https to {host}"));
    }
    if !urls::is_insecure(api) {
        return CheckItem::passed(
            CheckId::Http,
            format!("Plain http to the loopback address {host}: nothing crosses the network."),
        );
    }
    let p = http_refusal_problem(api);
    if allow_http {
        CheckItem::warning(
            CheckId::Http,
            p.what,
            "Use the https:// address when the server offers it.",
        )
    } else {
        CheckItem::failed(CheckId::Http, p.class, p.what, p.fix)
    }
}

/// The row for a failed request: an HTML page and a retired endpoint get their own rows.
pub fn eval_failure(id: CheckId, err: &HttpError, auth: AuthKind, base: &str) -> CheckItem {
    let p = explain::problem(err, auth, base);
    match err {
        HttpError::Html { .. } => {
            CheckItem::failed(CheckId::HtmlLogin, FailureClass::Other, p.what, p.fix)
        }
        // An SSO gateway answers API calls by sending the browser to its login page.
        HttpError::Redirect { location, .. } if looks_like_login(location) => CheckItem::failed(
            CheckId::HtmlLogin,
            FailureClass::Other,
            format!(
                "{} (a login page: an SSO proxy is in front of the API)",
                p.what
            ),
            "Use the server's direct URL, or ask the admin to exempt the REST API from the SSO login.",
        ),
        HttpError::Status { status: 410, .. } => {
            CheckItem::failed(CheckId::Gone, FailureClass::Other, p.what, p.fix)
        }
        // A refused certificate carries the chain, for the screen to show and to trust.
        HttpError::Unreachable {
            kind,
            peer: Some(peer),
            ..
        } if kind.is_certificate() => {
            let mut item = CheckItem::failed(id, p.class, p.what, p.fix);
            item.cert = Some(peer.clone());
            item
        }
        _ => CheckItem::failed(id, p.class, p.what, p.fix),
    }
}

fn looks_like_login(location: &str) -> bool {
    let l = location.to_ascii_lowercase();
    [
        "login",
        "signin",
        "sign-in",
        "sso",
        "saml",
        "oauth2/authorize",
        "/auth/",
    ]
    .iter()
    .any(|k| l.contains(k))
}

/// Reachability from an unauthenticated request: any HTTP answer means the server is there.
pub fn eval_reach(
    result: &Result<JsonResponse, HttpError>,
    base: &str,
    auth: AuthKind,
) -> CheckItem {
    let host = host_of(base);
    match result {
        Ok(r) => CheckItem::passed(
            CheckId::Reach,
            format!("{host} answered (HTTP {}).", r.status),
        ),
        Err(HttpError::Status { status, .. })
            if *status != 404 || auth.provider() == Provider::Cloud =>
        {
            // A refusal of the anonymous probe is the expected answer: say what it means.
            let detail = if matches!(status, 401 | 403) {
                format!("{host} is there; it asks for credentials (HTTP {status}).")
            } else {
                format!("{host} answered (HTTP {status}).")
            };
            CheckItem::passed(CheckId::Reach, detail)
        }
        Err(HttpError::Status { status: 404, .. }) => CheckItem::failed(
            CheckId::Reach,
            FailureClass::Input,
            format!("{host} answered, but no Bitbucket REST API is at {base}/rest (HTTP 404)."),
            "Check the base URL, including any context path (e.g. https://host/bitbucket).",
        ),
        Err(e) => eval_failure(CheckId::Reach, e, auth, base),
    }
}

/// Server/DC version from `application-properties`.
pub fn eval_version(body: &Value) -> (CheckItem, Option<String>) {
    let Some(text) = body.get("version").and_then(Value::as_str) else {
        return (
            CheckItem::failed(
                CheckId::Version,
                FailureClass::Input,
                "application-properties carries no version: this does not look like Bitbucket Server / Data Center.",
                "Check the URL points at Bitbucket (not Jira or a proxy page).",
            ),
            None,
        );
    };
    let shown = crate::core::sanitize::clean(text);
    let item = match server::parse_version(text) {
        Some(parts) if server::version_supported(&parts) => {
            CheckItem::passed(CheckId::Version, format!("Bitbucket {shown}"))
        }
        Some(_) => CheckItem::failed(
            CheckId::Version,
            FailureClass::Permission,
            format!("Bitbucket {shown} is older than 7.14, the oldest version bbconnect supports."),
            "Ask the administrator to upgrade to 7.14 or later (HTTP access tokens need it).",
        ),
        None => CheckItem::failed(
            CheckId::Version,
            FailureClass::Other,
            format!("Unreadable version `{shown}`."),
            "Check the URL points at Bitbucket Server / Data Center.",
        ),
    };
    (item, Some(shown))
}

/// DC user token: whose is it, and is it the user that was typed?
pub fn eval_dc_owner(
    owner: Option<&str>,
    typed: Option<&str>,
    identity: Option<&Identity>,
    base: &str,
) -> CheckItem {
    let Some(owner) = owner else {
        return CheckItem::failed(
            CheckId::Credential,
            FailureClass::Rejected,
            "The server treated the request as anonymous: the token was not accepted.",
            explain::rejected_fix(AuthKind::HttpTokenUser, base),
        );
    };
    let who = match identity.and_then(|i| i.display_name.as_deref()) {
        Some(name) => format!("{owner} ({name})"),
        None => owner.to_string(),
    };
    match typed.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if !t.eq_ignore_ascii_case(owner) => CheckItem::warning(
            CheckId::Credential,
            format!("Accepted, but the token belongs to {who}, not {t}."),
            format!("Enter {owner} as the username, or use a token of {t}."),
        ),
        _ => CheckItem::passed(CheckId::Credential, format!("Token of {who}.")),
    }
}

/// Whether `scope` is one of the webhook scopes: needed to create and manage the hook only.
fn is_webhook_scope(scope: &str) -> bool {
    scope.contains(":webhook:")
}

/// Missing scopes named exactly, from 403 bodies and the granted-scopes header. With a
/// `saved_webhook`, the webhook scopes are not needed: a token lowered to read access once
/// its hook exists is the least privilege bbconnect itself advises.
pub fn eval_scopes(
    auth: AuthKind,
    missing_seen: &BTreeSet<String>,
    granted: Option<&[String]>,
    saved_webhook: bool,
) -> CheckItem {
    let mut missing = missing_seen.clone();
    let mut read_access = false;
    if auth == AuthKind::ApiToken
        && let Some(granted) = granted
    {
        for s in NEEDED_SCOPES {
            if !granted.iter().any(|g| g == s) {
                if saved_webhook && is_webhook_scope(s) {
                    read_access = true;
                } else {
                    missing.insert(s.to_string());
                }
            }
        }
    }
    if !missing.is_empty() {
        let list = missing.iter().cloned().collect::<Vec<_>>().join(", ");
        let fix = match auth {
            AuthKind::ApiToken => format!(
                "Create a new API token with these scopes too: {list} (scopes cannot be added to an existing token)."
            ),
            AuthKind::OAuth => {
                format!("Add {list} to the OAuth consumer's permissions, then sign in again.")
            }
            AuthKind::RepoToken
            | AuthKind::AppPassword
            | AuthKind::HttpTokenUser
            | AuthKind::HttpTokenRepo => format!("Use a credential that has {list}."),
        };
        return CheckItem::failed(
            CheckId::Permissions,
            FailureClass::Permission,
            format!("Missing: {list}."),
            fix,
        );
    }
    let detail = match (auth, granted) {
        (AuthKind::ApiToken, Some(_)) if read_access => "The read scopes are granted; the webhook scopes are not, which is enough now that the webhook exists (read access).".to_string(),
        (AuthKind::ApiToken, Some(_)) => format!("All {} scopes granted.", NEEDED_SCOPES.len()),
        (AuthKind::ApiToken, None) => "Reading the user, workspaces and repositories works; the webhook scopes are confirmed when the webhook is created.".to_string(),
        (
            AuthKind::OAuth
            | AuthKind::RepoToken
            | AuthKind::AppPassword
            | AuthKind::HttpTokenUser
            | AuthKind::HttpTokenRepo,
            _,
        ) => "Reading the user, workspaces and repositories works.".to_string(),
    };
    CheckItem::passed(CheckId::Permissions, detail)
}

/// "This token can read 1,200 repositories in 7 projects", with least-privilege advice.
pub fn eval_reach_count(repos: &[Repo], provider: Provider, user_level: bool) -> CheckItem {
    let groups: HashSet<&str> = repos.iter().filter_map(|r| group_of(r, provider)).collect();
    eval_reach_figures(repos.len(), groups.len(), provider, user_level)
}

/// The project (Server) or workspace (Cloud) a repository is counted in.
pub fn group_of(repo: &Repo, provider: Provider) -> Option<&str> {
    match provider {
        Provider::Server => repo.project_key.as_deref(),
        Provider::Cloud => repo.workspace.as_deref(),
    }
}

/// [`eval_reach_count`] from the figures alone: the listing counts them page by page.
pub fn eval_reach_figures(
    n: usize,
    groups: usize,
    provider: Provider,
    user_level: bool,
) -> CheckItem {
    let unit = match provider {
        Provider::Server => "project",
        Provider::Cloud => "workspace",
    };
    if n == 0 {
        return CheckItem::warning(
            CheckId::ReachCount,
            "This credential can read no repository.",
            match provider {
                Provider::Server => {
                    "Grant the token's owner (or the token) REPO_READ on the repository you need."
                }
                Provider::Cloud => {
                    "Ask a workspace admin to give you access to the repository you need."
                }
            },
        );
    }
    let detail = format!(
        "This {} can read {} {} in {} {}{}.",
        if user_level { "token" } else { "credential" },
        thousands(n),
        if n == 1 { "repository" } else { "repositories" },
        thousands(groups),
        unit,
        if groups == 1 { "" } else { "s" },
    );
    let mut item = CheckItem::passed(CheckId::ReachCount, detail);
    if user_level && n > 1 {
        // Passed, with advice: Bitbucket cannot narrow a user token to one repository.
        item.fix = Some(
            "Least privilege: use a dedicated bot user with access to what CI needs, or a repository token when one repository is enough."
                .into(),
        );
    }
    item
}

/// Webhooks need admin rights: say whether bbconnect can create one, and what it costs if not.
/// With a `saved_webhook` none is to be created: lacking the rights is then no concern.
pub fn eval_webhooks(admin: Result<Option<String>, Problem>, saved_webhook: bool) -> CheckItem {
    let cost = "without a webhook, CI is not told about pushes and pull requests";
    match admin {
        Ok(Some(where_)) => CheckItem::passed(
            CheckId::Webhooks,
            format!("Admin rights found ({where_}): bbconnect can create the webhook."),
        ),
        _ if saved_webhook => CheckItem::passed(
            CheckId::Webhooks,
            "No admin rights needed: the webhook was created already (its own row says whether it is still in place), and reading is all this connection does now.",
        ),
        Ok(None) => CheckItem::warning(
            CheckId::Webhooks,
            format!(
                "No repository admin rights: the webhook cannot be created automatically, and {cost}."
            ),
            "Use a credential with repository admin rights (DC: REPO_ADMIN), or ask a repository admin to add the webhook by hand.",
        ),
        Err(p) => CheckItem::warning(
            CheckId::Webhooks,
            format!(
                "Cannot tell whether webhooks can be created: {} ({cost}).",
                p.what
            ),
            p.fix,
        ),
    }
}

/// Every `href` in a JSON document.
pub fn collect_hrefs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                match (k.as_str(), val) {
                    ("href", Value::String(s)) => out.push(s.clone()),
                    _ => collect_hrefs(val, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_hrefs(x, out)),
        _ => {}
    }
}

/// Links that point at this machine (a loopback address) while the server was reached at
/// another host: the server's base URL is misconfigured and its clone/web links work for
/// nobody else. Reached at a loopback address itself, loopback links are the same machine
/// (`localhost` and `127.0.0.1`, any port: a TLS front and the server behind it) and pass.
pub fn localhost_links(hrefs: &[String], connected: &[&str]) -> Vec<String> {
    let reached_loopback = connected
        .iter()
        .filter_map(|c| url::Url::parse(c).ok())
        .any(|u| u.host_str().is_some_and(urls::is_loopback_host));
    if reached_loopback {
        return Vec::new();
    }
    let mut bad: Vec<String> = Vec::new();
    for h in hrefs {
        let host = match url::Url::parse(h) {
            Ok(u) => u.host_str().map(str::to_ascii_lowercase),
            // scp-like ssh: `git@host:path`.
            Err(_) => {
                let after_at = h.split_once('@').map(|(_, r)| r).unwrap_or(h);
                after_at
                    .split([':', '/'])
                    .next()
                    .map(str::to_ascii_lowercase)
            }
        };
        let Some(host) = host else { continue };
        if urls::is_loopback_host(&host) && !bad.contains(h) {
            bad.push(h.clone());
        }
    }
    bad
}

pub fn eval_localhost(bad: &[String]) -> CheckItem {
    eval_localhost_count(bad.len(), bad.first().map(String::as_str))
}

/// [`eval_localhost`] from how many distinct links point at localhost and the first one.
pub fn eval_localhost_count(count: usize, first: Option<&str>) -> CheckItem {
    match first.filter(|_| count > 0) {
        None => CheckItem::passed(CheckId::LocalhostLinks, "No link points at localhost."),
        Some(first) => CheckItem::failed(
            CheckId::LocalhostLinks,
            FailureClass::Other,
            format!(
                "{} link{} point{} at localhost (e.g. {}): the server's base URL is misconfigured.",
                thousands(count),
                if count == 1 { "" } else { "s" },
                if count == 1 { "s" } else { "" },
                crate::core::sanitize::clean(first)
            ),
            "Ask the Bitbucket admin to set the base URL (Administration > Server settings) to the address users reach.",
        ),
    }
}

pub(crate) fn repo_hrefs(repos: &[Repo], out: &mut Vec<String>) {
    for r in repos {
        out.extend(r.clone_https.iter().cloned());
        out.extend(r.clone_ssh.iter().cloned());
        out.extend(r.web_url.iter().cloned());
    }
}

/// `1200` as `1,200`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::CheckStatus;

    fn status(code: u16) -> HttpError {
        HttpError::Status {
            host: "h".into(),
            path: "/p".into(),
            status: code,
            body: Box::default(),
            headers: Box::default(),
            retry_after: None,
        }
    }

    #[test]
    fn transport_rules() {
        assert_eq!(
            eval_transport("https://bb.corp", false).status,
            CheckStatus::Passed
        );
        assert_eq!(
            eval_transport("http://127.0.0.1:7990", false).status,
            CheckStatus::Passed
        );
        let refused = eval_transport("http://bb.corp", false);
        assert_eq!(
            (refused.id, refused.status),
            (CheckId::Http, CheckStatus::Failed)
        );
        assert_eq!(refused.class, Some(FailureClass::Input));
        assert_eq!(
            eval_transport("http://bb.corp", true).status,
            CheckStatus::Warning
        );
    }

    /// a ✓ beside "answered (HTTP 401)" reads as a failure; the row says
    /// why a refusal of an anonymous request means the server is there.
    #[test]
    fn a_401_on_the_anonymous_probe_reads_as_reached() {
        let r = eval_reach(
            &Err(status(401)),
            "https://bb.corp",
            AuthKind::HttpTokenUser,
        );
        assert_eq!(r.status, CheckStatus::Passed);
        assert!(!r.detail.contains("answered (HTTP 401)"), "{}", r.detail);
        assert!(r.detail.contains("bb.corp is there"), "{}", r.detail);
    }

    #[test]
    fn reach_counts_any_http_answer_but_not_dc_404() {
        let r = eval_reach(
            &Err(status(401)),
            "https://api.bitbucket.org/2.0",
            AuthKind::ApiToken,
        );
        assert_eq!(r.status, CheckStatus::Passed);
        let r = eval_reach(
            &Err(status(404)),
            "https://bb.corp",
            AuthKind::HttpTokenUser,
        );
        assert_eq!(r.status, CheckStatus::Failed);
        assert!(r.fix.unwrap().contains("context path"));
        let html = HttpError::Html {
            host: "h".into(),
            path: "/rest".into(),
        };
        let r = eval_reach(&Err(html), "https://bb.corp", AuthKind::HttpTokenUser);
        assert_eq!(r.id, CheckId::HtmlLogin);
        let down = HttpError::Unreachable {
            host: "h".into(),
            kind: crate::bitbucket::http::NetKind::Tcp,
            cause: "refused".into(),
            proxy: None,
            peer: None,
        };
        let r = eval_reach(&Err(down), "https://bb.corp", AuthKind::HttpTokenUser);
        assert_eq!(r.class, Some(FailureClass::Unreachable));
    }

    #[test]
    fn redirect_to_a_login_page_is_html_login() {
        let sso = HttpError::Redirect {
            host: "h".into(),
            path: "/rest/api/1.0/repos".into(),
            location: "https://sso.corp/saml/login?next=x".into(),
        };
        assert_eq!(
            eval_failure(CheckId::Reach, &sso, AuthKind::HttpTokenUser, "").id,
            CheckId::HtmlLogin
        );
        let moved = HttpError::Redirect {
            host: "h".into(),
            path: "/".into(),
            location: "https://bb.corp/".into(),
        };
        let row = eval_failure(CheckId::Reach, &moved, AuthKind::HttpTokenUser, "");
        assert_eq!(
            (row.id, row.class),
            (CheckId::Reach, Some(FailureClass::Input))
        );
    }

    #[test]
    fn gone_gets_its_own_row() {
        let r = eval_failure(CheckId::Credential, &status(410), AuthKind::ApiToken, "");
        assert_eq!(r.id, CheckId::Gone);
    }

    #[test]
    fn version_gate_is_numeric() {
        let (row, v) = eval_version(&serde_json::json!({"version":"7.9.1"}));
        assert_eq!(row.status, CheckStatus::Failed);
        assert_eq!(row.class, Some(FailureClass::Permission));
        assert!(row.detail.contains("7.14"));
        assert_eq!(v.as_deref(), Some("7.9.1"));
        assert_eq!(
            eval_version(&serde_json::json!({"version":"7.14.0"}))
                .0
                .status,
            CheckStatus::Passed
        );
        assert_eq!(
            eval_version(&serde_json::json!({"version":"10.2.1"}))
                .0
                .status,
            CheckStatus::Passed
        );
        assert_eq!(
            eval_version(&serde_json::json!({"displayName":"x"}))
                .0
                .status,
            CheckStatus::Failed
        );
    }

    #[test]
    fn dc_owner_missing_is_rejected_and_mismatch_warns() {
        let r = eval_dc_owner(None, Some("alice"), None, "https://bb");
        assert_eq!(r.class, Some(FailureClass::Rejected));
        let r = eval_dc_owner(Some("bob"), Some("alice"), None, "https://bb");
        assert_eq!(r.status, CheckStatus::Warning);
        assert!(r.detail.contains("bob") && r.detail.contains("alice"));
        let r = eval_dc_owner(Some("alice"), Some("Alice"), None, "https://bb");
        assert_eq!(r.status, CheckStatus::Passed);
    }

    #[test]
    fn scopes_are_named_from_bodies_and_headers() {
        let mut seen = BTreeSet::new();
        seen.insert("read:user:bitbucket".to_string());
        let r = eval_scopes(AuthKind::ApiToken, &seen, None, false);
        assert_eq!(r.class, Some(FailureClass::Permission));
        assert!(r.detail.contains("read:user:bitbucket"));
        let granted: Vec<String> = NEEDED_SCOPES
            .iter()
            .filter(|s| !s.starts_with("delete"))
            .map(|s| s.to_string())
            .collect();
        let r = eval_scopes(AuthKind::ApiToken, &BTreeSet::new(), Some(&granted), false);
        assert_eq!(r.detail, "Missing: delete:webhook:bitbucket.");
        let all: Vec<String> = NEEDED_SCOPES.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            eval_scopes(AuthKind::ApiToken, &BTreeSet::new(), Some(&all), false).status,
            CheckStatus::Passed
        );
    }

    #[test]
    fn a_read_only_token_passes_once_its_webhook_is_saved_and_not_before() {
        let read: Vec<String> = NEEDED_SCOPES
            .iter()
            .filter(|s| !s.contains(":webhook:"))
            .map(|s| s.to_string())
            .collect();
        let none = BTreeSet::new();
        let r = eval_scopes(AuthKind::ApiToken, &none, Some(&read), true);
        assert_eq!(r.status, CheckStatus::Passed, "{r:?}");
        assert!(r.detail.contains("read access"), "{r:?}");
        let r = eval_scopes(AuthKind::ApiToken, &none, Some(&read), false);
        assert_eq!(r.status, CheckStatus::Failed, "{r:?}");
        // Only the webhook scopes are forgiven.
        let r = eval_scopes(AuthKind::ApiToken, &none, Some(&read[1..]), true);
        assert_eq!(r.status, CheckStatus::Failed, "{r:?}");
        assert!(r.detail.contains(NEEDED_SCOPES[0]), "{r:?}");
    }

    #[test]
    fn reach_count_wording_and_advice() {
        let repo = |p: &str, s: &str| Repo {
            full_name: format!("{p}/{s}"),
            project_key: Some(p.into()),
            ..Repo::default()
        };
        let mut repos: Vec<Repo> = (0..1200)
            .map(|i| repo(&format!("P{}", i % 7), &format!("r{i}")))
            .collect();
        let r = eval_reach_count(&repos, Provider::Server, true);
        assert_eq!(
            r.detail,
            "This token can read 1,200 repositories in 7 projects."
        );
        assert!(r.fix.unwrap().contains("repository token"));
        repos.truncate(1);
        let r = eval_reach_count(&repos, Provider::Server, false);
        assert_eq!(
            r.detail,
            "This credential can read 1 repository in 1 project."
        );
        assert!(r.fix.is_none());
        assert_eq!(
            eval_reach_count(&[], Provider::Cloud, true).status,
            CheckStatus::Warning
        );
    }

    #[test]
    fn webhook_rows() {
        assert_eq!(
            eval_webhooks(Ok(Some("x".into())), false).status,
            CheckStatus::Passed
        );
        let r = eval_webhooks(Ok(None), false);
        assert_eq!(r.status, CheckStatus::Warning);
        assert!(r.detail.contains("pushes"));
        // The hook exists: no rights are missing for what the connection does.
        let r = eval_webhooks(Ok(None), true);
        assert_eq!(r.status, CheckStatus::Passed);
        assert!(r.detail.contains("created already"), "{r:?}");
    }

    #[test]
    fn localhost_links_fail_only_when_the_server_was_reached_elsewhere() {
        let hrefs = vec![
            "http://127.0.0.1:5555/projects/P/repos/r/browse".to_string(),
            "ssh://git@127.0.0.1:7999/p/r.git".to_string(),
            "http://localhost:7990/scm/p/r.git".to_string(),
            "git@localhost:p/r.git".to_string(),
            "https://bb.corp/scm/p/r.git".to_string(),
        ];
        // Reached at loopback (any name, any port): links at loopback are this machine too.
        assert!(localhost_links(&hrefs, &["https://localhost:8443"]).is_empty());
        assert!(localhost_links(&hrefs, &["http://127.0.0.1:5555"]).is_empty());
        assert!(localhost_links(&hrefs, &["https://[::1]:1"]).is_empty());
        // Reached at a real host: every loopback link is wrong, the real one is fine.
        let bad = localhost_links(&hrefs, &["https://bb.corp"]);
        assert_eq!(bad.len(), 4, "{bad:?}");
        assert!(!bad.iter().any(|b| b.contains("bb.corp")));
        let row = eval_localhost(&bad);
        assert_eq!(row.status, CheckStatus::Failed);
        assert!(
            row.detail.starts_with("4 links point at localhost"),
            "{}",
            row.detail
        );
        assert_eq!(eval_localhost(&[]).status, CheckStatus::Passed);
    }

    #[test]
    fn hrefs_are_found_at_any_depth() {
        let v = serde_json::json!({"links":{"self":[{"href":"a"}],"clone":[{"name":"ssh","href":"b"}]},"values":[{"links":{"html":{"href":"c"}}}]});
        let mut out = Vec::new();
        collect_hrefs(&v, &mut out);
        out.sort();
        assert_eq!(out, vec!["a", "b", "c"]);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
