//! The check engine. `eval_*` functions turn answers into report rows and are pure; the
//! `run_*` functions fetch, in order, and stop where later checks cannot run (a check that
//! did not run is left out, never shown as passed).

mod eval;

use std::collections::{BTreeSet, HashSet};

use tokio::sync::mpsc::UnboundedSender;

pub use self::eval::*;
use super::Client;
use super::cloud;
use super::explain;
use super::http::{HttpError, ScopeHeaders};
use super::model::{
    AuthKind, CheckId, CheckItem, CheckReport, CheckStatus, FailureClass, Problem, Provider, Repo,
};
use super::server;
use super::urls;

type Progress<'a> = Option<&'a UnboundedSender<String>>;

fn say(progress: Progress<'_>, line: impl Into<String>) {
    if let Some(tx) = progress {
        let _ = tx.send(line.into());
    }
}

struct Run {
    report: CheckReport,
}

impl Run {
    /// Adds the row; true when later checks can still run.
    fn push(&mut self, item: CheckItem) -> bool {
        let ok = item.status != CheckStatus::Failed;
        self.report.items.push(item);
        ok
    }
}

pub(crate) async fn run(client: &Client, progress: Progress<'_>) -> CheckReport {
    let mut run = Run {
        report: CheckReport::default(),
    };
    match client.spec().auth {
        AuthKind::HttpTokenUser | AuthKind::HttpTokenRepo => {
            run_server(client, progress, &mut run).await
        }
        AuthKind::RepoToken => run_cloud_repo(client, progress, &mut run).await,
        AuthKind::ApiToken | AuthKind::AppPassword | AuthKind::OAuth => {
            run_cloud_user(client, progress, &mut run).await
        }
    }
    run.report
}

/// The transport row; returns whether the credential may be sent at all.
fn transport_allows(client: &Client, run: &mut Run) -> bool {
    run.push(eval_transport(
        &client.inner().api,
        client.inner().options.allow_http,
    ))
}

async fn run_server(client: &Client, progress: Progress<'_>, run: &mut Run) {
    let inner = client.inner();
    let base = inner.api.as_str();
    let auth = inner.creds.spec.auth;
    let may_send = transport_allows(client, run);
    say(progress, format!("Reaching {}…", host_of(base)));
    let props = server::app_properties(client, false, progress).await;
    if !run.push(eval_reach(&props, base, auth)) {
        return;
    }
    let props = match props {
        Ok(p) => p,
        // Some servers refuse anonymous access even here: ask again with the credential.
        Err(HttpError::Status {
            status: 401 | 403, ..
        }) if may_send => match server::app_properties(client, true, progress).await {
            Ok(p) => p,
            Err(e) => {
                run.push(eval_failure(CheckId::Version, &e, auth, base));
                return;
            }
        },
        Err(e) => {
            // Reached, but no version could be read: the report must not end as passed.
            run.push(eval_failure(CheckId::Version, &e, auth, base));
            return;
        }
    };
    let (item, version) = eval_version(&props.body);
    run.report.server_version = version;
    if !run.push(item) || !may_send {
        return;
    }
    let mut hrefs = Vec::new();
    collect_hrefs(&props.body, &mut hrefs);
    say(progress, "Checking the credential…");
    let reach = if auth == AuthKind::HttpTokenRepo {
        match server_repo_credential(client, run, &mut hrefs).await {
            Some(r) => r,
            None => return,
        }
    } else {
        match server_user_credential(client, progress, run, &mut hrefs).await {
            Some(r) => r,
            None => return,
        }
    };
    say(progress, "Checking webhook rights…");
    let admin = if auth == AuthKind::HttpTokenRepo {
        match urls::split_repo(inner.creds.spec.repo.as_deref()) {
            Some((key, slug)) => match server::webhooks(client, &key, &slug).await {
                Ok(_) => Ok(Some(format!("REPO_ADMIN on {key}/{slug}"))),
                Err(HttpError::Status {
                    status: 401 | 403, ..
                }) => Ok(None),
                Err(e) => Err(client.problem(&e)),
            },
            None => Ok(None),
        }
    } else {
        match server::admin_probe(client).await {
            Ok(true) => Ok(Some("REPO_ADMIN on at least one repository".into())),
            Ok(false) => Ok(None),
            Err(e) => Err(client.problem(&e)),
        }
    };
    run.push(eval_webhooks(admin));
    let mut links = reach.links;
    links.add_first(&localhost_links(&hrefs, &[base]));
    run.push(eval_localhost_count(links.count(), links.first()));
}

/// DC user token: owner from `X-AUSERNAME`, profile, then what it can read.
async fn server_user_credential(
    client: &Client,
    progress: Progress<'_>,
    run: &mut Run,
    hrefs: &mut Vec<String>,
) -> Option<Reach> {
    let inner = client.inner();
    let base = inner.api.as_str();
    let authed = match server::app_properties(client, true, progress).await {
        Ok(r) => r,
        Err(e) => {
            run.push(eval_failure(
                CheckId::Credential,
                &e,
                AuthKind::HttpTokenUser,
                base,
            ));
            return None;
        }
    };
    let owner = server::owner_from_headers(&authed.headers);
    let identity = match &owner {
        Some(o) => {
            let profile = server::user(client, o).await.ok();
            if let Some(p) = &profile {
                collect_hrefs(&p.body, hrefs);
            }
            Some(server::map_identity(o, profile.as_ref().map(|p| &p.body)))
        }
        None => None,
    };
    let item = eval_dc_owner(
        owner.as_deref(),
        inner.creds.spec.username.as_deref(),
        identity.as_ref(),
        base,
    );
    run.report.identity = identity;
    if !run.push(item) {
        return None;
    }
    say(progress, "Counting what the token can read…");
    let reach = match tally(client, Provider::Server, &[base], |c, tx| {
        Box::pin(async move { server::list_all(&c, &tx, None).await })
    })
    .await
    {
        Ok(r) => r,
        Err(e) => {
            run.push(eval_failure(
                listing_row(&e),
                &e,
                AuthKind::HttpTokenUser,
                base,
            ));
            return None;
        }
    };
    run.push(CheckItem::passed(
        CheckId::Permissions,
        "The token may list repositories (REPO_READ or more where it has access).",
    ));
    run.push(reach.item(Provider::Server, true));
    Some(reach)
}

/// DC repository token: it must read its own repository, with Bearer.
async fn server_repo_credential(
    client: &Client,
    run: &mut Run,
    hrefs: &mut Vec<String>,
) -> Option<Reach> {
    let inner = client.inner();
    let base = inner.api.as_str();
    let (key, slug) = urls::split_repo(inner.creds.spec.repo.as_deref())?;
    match server::repo(client, &key, &slug).await {
        Ok(resp) => {
            collect_hrefs(&resp.body, hrefs);
            let anonymous = resp
                .headers
                .get("x-ausername")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("anonymous"));
            if anonymous {
                run.push(CheckItem::failed(CheckId::Credential,
                    FailureClass::Rejected,
                    format!("{key}/{slug} answered anonymously (a public repository): the token was not accepted."),
                    explain::rejected_fix(AuthKind::HttpTokenRepo, base),
                ));
                return None;
            }
            run.push(CheckItem::passed(
                CheckId::Credential,
                format!("Repository token for {key}/{slug}."),
            ));
            let repos: Vec<Repo> = server::map_repo(&resp.body).into_iter().collect();
            run.push(CheckItem::passed(
                CheckId::Permissions,
                format!("Can read {key}/{slug}."),
            ));
            let mut reach = Reach::default();
            reach.add(&repos, Provider::Server, &[base]);
            run.push(reach.item(Provider::Server, false));
            Some(reach)
        }
        Err(HttpError::Status { status: 404, .. }) => {
            run.push(CheckItem::failed(
                CheckId::Credential,
                FailureClass::Permission,
                format!("{key}/{slug} is not visible to this token (HTTP 404)."),
                "Check PROJECTKEY/SLUG: a repository token works for its own repository only.",
            ));
            None
        }
        Err(e) => {
            run.push(eval_failure(
                CheckId::Credential,
                &e,
                AuthKind::HttpTokenRepo,
                base,
            ));
            None
        }
    }
}

async fn run_cloud_user(client: &Client, progress: Progress<'_>, run: &mut Run) {
    let inner = client.inner();
    let api = inner.api.as_str();
    let web = inner.web.as_str();
    let auth = inner.creds.spec.auth;
    let may_send = transport_allows(client, run);
    say(progress, format!("Reaching {}…", host_of(api)));
    let probe = cloud::probe(client, progress).await;
    if !run.push(eval_reach(&probe, api, auth)) || !may_send {
        return;
    }
    say(progress, "Checking the credential…");
    let mut missing: BTreeSet<String> = BTreeSet::new();
    let granted: Option<Vec<String>>;
    let mut hrefs = Vec::new();
    match cloud::user(client, progress).await {
        Ok(resp) => {
            collect_hrefs(&resp.body, &mut hrefs);
            granted = ScopeHeaders::from_headers(&resp.headers).granted;
            let identity = cloud::map_identity(&resp.body);
            let who = match &identity.display_name {
                Some(d) if *d != identity.username => format!("{} ({d})", identity.username),
                _ => identity.username.clone(),
            };
            let item = if auth == AuthKind::AppPassword {
                CheckItem::warning(
                    CheckId::Credential,
                    format!(
                        "App password of {who}; app passwords were removed by Atlassian on 2026-07-28."
                    ),
                    "Switch to an API token with scopes (https://id.atlassian.com/manage-profile/security/api-tokens).",
                )
            } else {
                CheckItem::passed(CheckId::Credential, format!("Signed in as {who}."))
            };
            run.report.identity = Some(identity);
            run.push(item);
        }
        Err(HttpError::Status {
            status: 403,
            body,
            headers,
            ..
        }) => {
            // 403, not 401: the credential is valid, it lacks a scope for this call.
            missing.extend(body.missing_scopes());
            if missing.is_empty() {
                missing.insert("read:user:bitbucket".into());
            }
            granted = headers.granted.clone();
            run.push(CheckItem::passed(
                CheckId::Credential,
                "Accepted, but who it belongs to cannot be read (see permissions).",
            ));
        }
        Err(e) => {
            run.push(eval_failure(CheckId::Credential, &e, auth, web));
            return;
        }
    }
    say(progress, "Listing workspaces and repositories…");
    let listing = tally(client, Provider::Cloud, &[api, web], |c, tx| {
        Box::pin(async move { cloud::list_all(&c, &tx, None).await })
    })
    .await;
    let repos = match listing {
        Ok(r) => Some(r),
        Err(HttpError::Status {
            status: 403,
            body,
            headers,
            ..
        }) => {
            missing.extend(body.missing_scopes());
            if body.required.is_empty() {
                match headers.accepted.as_deref().filter(|a| !a.is_empty()) {
                    Some(accepted) => missing.insert(accepted.join(" or ")),
                    None => missing
                        .insert("read:workspace:bitbucket or read:repository:bitbucket".into()),
                };
            }
            None
        }
        Err(e) => {
            run.push(eval_failure(listing_row(&e), &e, auth, web));
            return;
        }
    };
    if !run.push(eval_scopes(auth, &missing, granted.as_deref())) {
        return;
    }
    let Some(reach) = repos else { return };
    run.push(reach.item(Provider::Cloud, true));
    say(progress, "Checking webhook rights…");
    run.push(eval_webhooks(cloud_admin(client, &reach.spaces).await));
    let mut links = reach.links;
    links.add_first(&localhost_links(&hrefs, &[api, web]));
    run.push(eval_localhost_count(links.count(), links.first()));
}

/// Cloud admin rights: a repository listed with `role=admin`, and its hooks readable.
async fn cloud_admin(client: &Client, spaces: &[String]) -> Result<Option<String>, Problem> {
    // A few workspaces are enough to answer; thousands of calls are not worth it.
    for ws in spaces.iter().take(ADMIN_PROBE_SPACES) {
        let found = cloud::first_admin_repo(client, ws)
            .await
            .map_err(|e| client.problem(&e))?;
        if let Some(repo) = found {
            return hooks_readable(client, &repo.full_name).await;
        }
    }
    Ok(None)
}

async fn hooks_readable(client: &Client, full_name: &str) -> Result<Option<String>, Problem> {
    let Some((ws, slug)) = urls::split_repo(Some(full_name)) else {
        return Ok(None);
    };
    match cloud::hooks(client, &ws, &slug).await {
        Ok(_) => Ok(Some(format!("admin of {full_name}"))),
        Err(HttpError::Status {
            status: 403,
            ref body,
            ..
        }) if !body.required.is_empty() => Err(Problem::new(
            FailureClass::Permission,
            format!(
                "admin of {full_name}, but the token lacks {}",
                body.missing_scopes().join(", ")
            ),
            format!(
                "Create a token that adds {}.",
                body.missing_scopes().join(", ")
            ),
        )),
        Err(HttpError::Status { status: 403, .. }) => Ok(None),
        Err(e) => Err(client.problem(&e)),
    }
}

async fn run_cloud_repo(client: &Client, progress: Progress<'_>, run: &mut Run) {
    let inner = client.inner();
    let api = inner.api.as_str();
    let web = inner.web.as_str();
    let may_send = transport_allows(client, run);
    say(progress, format!("Reaching {}…", host_of(api)));
    let probe = cloud::probe(client, progress).await;
    if !run.push(eval_reach(&probe, api, AuthKind::RepoToken)) || !may_send {
        return;
    }
    let Some((ws, slug)) = urls::split_repo(inner.creds.spec.repo.as_deref()) else {
        return;
    };
    say(progress, "Checking the credential…");
    let resp = match cloud::repo(client, &ws, &slug).await {
        Ok(r) => r,
        Err(HttpError::Status {
            status: 403 | 404, ..
        }) => {
            run.push(CheckItem::failed(CheckId::Credential,
                FailureClass::Permission,
                format!("{ws}/{slug} is not readable with this token."),
                "Check WORKSPACE/SLUG: a repository access token works for its own repository only.",
            ));
            return;
        }
        Err(e) => {
            run.push(eval_failure(
                CheckId::Credential,
                &e,
                AuthKind::RepoToken,
                web,
            ));
            return;
        }
    };
    let kind = ScopeHeaders::from_headers(&resp.headers).credential_type;
    run.push(CheckItem::passed(
        CheckId::Credential,
        match kind {
            Some(k) => format!("Repository access token for {ws}/{slug} ({k})."),
            None => format!("Repository access token for {ws}/{slug}."),
        },
    ));
    let repos: Vec<Repo> = cloud::map_repo(&resp.body).into_iter().collect();
    run.push(eval_reach_count(&repos, Provider::Cloud, false));
    let mut hrefs = Vec::new();
    collect_hrefs(&resp.body, &mut hrefs);
    run.push(eval_webhooks(
        hooks_readable(client, &format!("{ws}/{slug}")).await,
    ));
    run.push(eval_localhost(&localhost_links(&hrefs, &[api, web])));
}

type ListFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<usize, HttpError>> + Send>>;

/// The row a failed listing is reported on: a listing stopped at its cap says nothing about
/// permissions (every page was readable), only that it reached too far.
fn listing_row(e: &HttpError) -> CheckId {
    match e {
        HttpError::Capped { .. } => CheckId::ReachCount,
        _ => CheckId::Permissions,
    }
}

/// Workspaces the Cloud admin probe asks about, at most.
const ADMIN_PROBE_SPACES: usize = 5;

/// What a listing reached, counted page by page without keeping the repositories: an
/// account of 200,000 repositories must not be held in memory to say how many there are.
#[derive(Default)]
pub(crate) struct Reach {
    count: usize,
    groups: HashSet<String>,
    /// The first workspaces met, in order, for the admin probe.
    spaces: Vec<String>,
    links: LinkTally,
}

impl Reach {
    fn add(&mut self, repos: &[Repo], provider: Provider, ours: &[&str]) {
        self.count += repos.len();
        for r in repos {
            if let Some(g) = group_of(r, provider)
                && !self.groups.contains(g)
            {
                self.groups.insert(g.to_string());
            }
            if let Some(w) = r.workspace.as_deref()
                && self.spaces.len() < ADMIN_PROBE_SPACES
                && !self.spaces.iter().any(|s| s == w)
            {
                self.spaces.push(w.to_string());
            }
        }
        let mut hrefs = Vec::new();
        repo_hrefs(repos, &mut hrefs);
        self.links.add(&localhost_links(&hrefs, ours));
    }

    fn item(&self, provider: Provider, user_level: bool) -> CheckItem {
        eval_reach_figures(self.count, self.groups.len(), provider, user_level)
    }
}

/// Distinct links pointing at localhost: counted by keyed hash, the first one kept to show.
/// A server with a misconfigured base URL sends three per repository.
#[derive(Default)]
pub(crate) struct LinkTally {
    keys: std::hash::RandomState,
    seen: HashSet<u64>,
    first: Option<String>,
}

impl LinkTally {
    fn add(&mut self, bad: &[String]) {
        use std::hash::BuildHasher;
        for h in bad {
            if self.seen.insert(self.keys.hash_one(h)) && self.first.is_none() {
                self.first = Some(h.clone());
            }
        }
    }

    /// Links met before the listing (the server's own answers): shown first, as they come
    /// first in the report's reading order.
    fn add_first(&mut self, bad: &[String]) {
        self.add(bad);
        if let Some(f) = bad.first() {
            self.first = Some(f.clone());
        }
    }

    fn count(&self) -> usize {
        self.seen.len()
    }

    fn first(&self) -> Option<&str> {
        self.first.as_deref()
    }
}

/// Runs a listing function to completion, counting what it reaches, with the raw error.
async fn tally<F>(
    client: &Client,
    provider: Provider,
    ours: &[&str],
    list: F,
) -> Result<Reach, HttpError>
where
    F: FnOnce(Client, tokio::sync::mpsc::Sender<super::model::RepoPage>) -> ListFuture,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let producer = tokio::spawn(list(client.clone(), tx));
    let mut reach = Reach::default();
    while let Some(page) = rx.recv().await {
        reach.add(&page.repos, provider, ours);
    }
    match producer.await {
        Ok(Ok(_)) => Ok(reach),
        Ok(Err(e)) => Err(e),
        Err(e) => Err(HttpError::BadJson {
            host: host_of(&client.inner().api),
            path: "(listing)".into(),
            detail: format!("the listing task stopped: {e}"),
        }),
    }
}
