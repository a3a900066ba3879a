//! The check engine. `eval_*` functions turn answers into report rows and are pure; the
//! `run_*` functions fetch and judge in the report's order, and stop where later checks
//! cannot run (a check that did not run is left out, never shown as passed). The independent
//! probes are asked at once when the check starts (see [`probe`]), so the check costs a few
//! round trips; judging still reads their answers one row after another.

mod eval;
mod probe;

use std::collections::{BTreeSet, HashSet};

use tokio::sync::mpsc::UnboundedSender;

pub use self::eval::*;
use self::probe::Probe;
use super::Client;
use super::cloud;
use super::explain;
use super::http::{HttpError, JsonResponse, ScopeHeaders};
use super::server;
use super::urls;
use crate::core::model::{
    AuthKind, CheckId, CheckItem, CheckReport, CheckStatus, FailureClass, Problem, Provider, Repo,
};

type Progress<'a> = Option<&'a UnboundedSender<String>>;

fn say(progress: Progress<'_>, line: impl Into<String>) {
    if let Some(tx) = progress {
        let _ = tx.send(line.into());
    }
}

/// What the check saw of the repository `connect --repo` names, so connecting does not list
/// every repository a second time.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum RepoSeen {
    /// In the check's listing, or the repository token's own repository.
    Found(Box<Repo>),
    /// Not among the `seen` repositories of a complete listing.
    Absent { seen: usize },
    /// The check did not list (no repository was asked for, or it stopped before).
    #[default]
    NotListed,
}

/// A check's report, and what it saw of the repository asked for.
#[derive(Debug, Clone)]
pub struct Checked {
    pub report: CheckReport,
    pub repo: RepoSeen,
}

struct Run {
    report: CheckReport,
    /// Ask the independent probes at once (false: each when its row is judged).
    at_once: bool,
    /// The repository to look for in the listing (case-insensitive full name).
    wanted: Option<String>,
    repo: RepoSeen,
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
    run_finding(client, progress, None).await.report
}

/// The check, looking for `wanted` among the repositories it lists.
pub(crate) async fn run_finding(
    client: &Client,
    progress: Progress<'_>,
    wanted: Option<&str>,
) -> Checked {
    let mut run = Run {
        report: CheckReport::default(),
        at_once: !client.inner().options.sequential_check,
        wanted: wanted.map(str::to_string),
        repo: RepoSeen::NotListed,
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
    Checked {
        report: run.report,
        repo: run.repo,
    }
}

/// The transport row; returns whether the credential may be sent at all.
fn transport_allows(client: &Client, run: &mut Run) -> bool {
    run.push(eval_transport(
        &client.inner().api,
        client.inner().options.allow_http,
    ))
}

type Answer = Result<JsonResponse, HttpError>;

/// The same GET as a probe: the client and progress are owned, so it may run on its own task.
fn probe_of<T, F>(
    at_once: bool,
    client: &Client,
    progress: Progress<'_>,
    ask: impl FnOnce(Client, Option<UnboundedSender<String>>) -> F,
) -> Probe<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    let client = client.clone();
    Probe::new(at_once, progress, move |lines| ask(client, lines))
}

/// The DC user token's credential answer (application properties, authenticated) and, when
/// it names its owner, the owner's profile: a chain of two, judged as one row.
type Credential = (Answer, Option<JsonResponse>);

async fn server_credential(
    client: Client,
    progress: Option<UnboundedSender<String>>,
) -> Credential {
    let authed = server::app_properties(&client, true, progress.as_ref()).await;
    let profile = match authed
        .as_ref()
        .ok()
        .and_then(|r| server::owner_from_headers(&r.headers))
    {
        Some(owner) => server::user(&client, &owner).await.ok(),
        None => None,
    };
    (authed, profile)
}

/// Webhook rights on DC: REPO_ADMIN on the token's repository, or anywhere for a user token.
async fn server_admin(client: Client) -> Result<Option<String>, Problem> {
    if client.spec().auth == AuthKind::HttpTokenRepo {
        match urls::split_repo(client.spec().repo.as_deref()) {
            Some((key, slug)) => match server::webhooks(&client, &key, &slug).await {
                Ok(_) => Ok(Some(format!("REPO_ADMIN on {key}/{slug}"))),
                Err(HttpError::Status {
                    status: 401 | 403, ..
                }) => Ok(None),
                Err(e) => Err(client.problem(&e)),
            },
            None => Ok(None),
        }
    } else {
        match server::admin_probe(&client).await {
            Ok(true) => Ok(Some("REPO_ADMIN on at least one repository".into())),
            Ok(false) => Ok(None),
            Err(e) => Err(client.problem(&e)),
        }
    }
}

async fn run_server(client: &Client, progress: Progress<'_>, run: &mut Run) {
    let inner = client.inner();
    let base = inner.api.as_str();
    let auth = inner.creds.spec.auth;
    let may_send = transport_allows(client, run);
    // Everything below that does not need an earlier answer goes out now, together.
    let send = run.at_once && may_send;
    let user_token = auth == AuthKind::HttpTokenUser;
    let props = probe_of(run.at_once, client, progress, |c, p| async move {
        server::app_properties(&c, false, p.as_ref()).await
    });
    let credential = probe_of(send && user_token, client, progress, server_credential);
    let repo = probe_of(send && !user_token, client, progress, |c, _| async move {
        match urls::split_repo(c.spec().repo.as_deref()) {
            Some((key, slug)) => Some(server::repo(&c, &key, &slug).await),
            None => None,
        }
    });
    let listing = {
        let (ours, wanted) = (base.to_string(), run.wanted.clone());
        probe_of(send && user_token, client, progress, |c, _| async move {
            tally(&c, Provider::Server, &[ours.as_str()], wanted, |c, tx| {
                Box::pin(async move { server::list_all(&c, &tx, None).await })
            })
            .await
        })
    };
    let admin = probe_of(send, client, progress, |c, _| server_admin(c));
    say(progress, format!("Reaching {}…", host_of(base)));
    let props = props.answer(progress).await;
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
        match server_repo_credential(client, progress, run, &mut hrefs, repo).await {
            Some(r) => r,
            None => return,
        }
    } else {
        match server_user_credential(client, progress, run, &mut hrefs, credential, listing).await {
            Some(r) => r,
            None => return,
        }
    };
    say(progress, "Checking webhook rights…");
    run.push(eval_webhooks(
        admin.answer(progress).await,
        client.inner().options.saved_webhook,
    ));
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
    credential: Probe<Credential>,
    listing: Probe<Result<Reach, HttpError>>,
) -> Option<Reach> {
    let inner = client.inner();
    let base = inner.api.as_str();
    let (authed, profile) = credential.answer(progress).await;
    let authed = match authed {
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
    let mut reach = match listing.answer(progress).await {
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
    run.repo = reach.seen();
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
    progress: Progress<'_>,
    run: &mut Run,
    hrefs: &mut Vec<String>,
    repo: Probe<Option<Answer>>,
) -> Option<Reach> {
    let inner = client.inner();
    let base = inner.api.as_str();
    let (key, slug) = urls::split_repo(inner.creds.spec.repo.as_deref())?;
    match repo.answer(progress).await? {
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
            let mut reach = Reach::looking_for(run.wanted.clone());
            reach.add(&repos, Provider::Server, &[base]);
            run.repo = reach.seen();
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

/// What the Cloud admin probe learnt while the listing ran: each of the first workspaces'
/// first administered repository, and whether the hooks of the first one found are
/// readable. Empty in the sequential order, where [`cloud_admin`] asks as it judges.
#[derive(Default)]
struct AdminEarly {
    repos: Vec<(String, Result<Option<Repo>, Problem>)>,
    hooks: Option<(String, Result<Option<String>, Problem>)>,
}

impl AdminEarly {
    async fn ask(client: &Client, spaces: &[String]) -> AdminEarly {
        let firsts =
            futures::future::join_all(spaces.iter().map(|ws| cloud::first_admin_repo(client, ws)))
                .await;
        let mut early = AdminEarly::default();
        let mut first_found = None;
        for (ws, found) in spaces.iter().zip(firsts) {
            let found = found.map_err(|e| client.problem(&e));
            if first_found.is_none()
                && let Ok(Some(repo)) = &found
            {
                first_found = Some(repo.full_name.clone());
            }
            early.repos.push((ws.clone(), found));
        }
        if let Some(name) = first_found {
            let hooks = hooks_readable(client, &name).await;
            early.hooks = Some((name, hooks));
        }
        early
    }

    fn take_repo(&mut self, ws: &str) -> Option<Result<Option<Repo>, Problem>> {
        let at = self.repos.iter().position(|(w, _)| w == ws)?;
        Some(self.repos.swap_remove(at).1)
    }
}

/// Cloud's listing, and (asked at once) the admin probe of its first workspaces meanwhile:
/// both start from the one workspace listing.
fn cloud_listing(
    client: &Client,
    progress: Progress<'_>,
    run: &Run,
    at_once: bool,
) -> Probe<(Result<Reach, HttpError>, AdminEarly)> {
    let inner = client.inner();
    let (api, web) = (inner.api.clone(), inner.web.clone());
    let wanted = run.wanted.clone();
    let sequential = !run.at_once;
    probe_of(at_once, client, progress, move |c, _| async move {
        let ours = [api.as_str(), web.as_str()];
        if sequential {
            let listing = tally(&c, Provider::Cloud, &ours, wanted, |c, tx| {
                Box::pin(async move { cloud::list_all(&c, &tx, None).await })
            })
            .await;
            return (listing, AdminEarly::default());
        }
        let spaces = match cloud::workspaces(&c, None).await {
            Ok(s) => s,
            Err(e) => return (Err(e), AdminEarly::default()),
        };
        let first: Vec<String> = spaces
            .iter()
            .take(ADMIN_PROBE_SPACES)
            .map(|w| w.slug.clone())
            .collect();
        tokio::join!(
            tally(&c, Provider::Cloud, &ours, wanted, move |c, tx| {
                Box::pin(async move { cloud::list_spaces(&c, &tx, &spaces).await })
            }),
            AdminEarly::ask(&c, &first),
        )
    })
}

async fn run_cloud_user(client: &Client, progress: Progress<'_>, run: &mut Run) {
    let inner = client.inner();
    let api = inner.api.as_str();
    let web = inner.web.as_str();
    let auth = inner.creds.spec.auth;
    let may_send = transport_allows(client, run);
    let send = run.at_once && may_send;
    let probe = probe_of(run.at_once, client, progress, |c, p| async move {
        cloud::probe(&c, p.as_ref()).await
    });
    let user = probe_of(send, client, progress, |c, p| async move {
        cloud::user(&c, p.as_ref()).await
    });
    let listing = cloud_listing(client, progress, run, send);
    say(progress, format!("Reaching {}…", host_of(api)));
    let probe = probe.answer(progress).await;
    if !run.push(eval_reach(&probe, api, auth)) || !may_send {
        return;
    }
    say(progress, "Checking the credential…");
    let mut missing: BTreeSet<String> = BTreeSet::new();
    let granted: Option<Vec<String>>;
    let mut hrefs = Vec::new();
    match user.answer(progress).await {
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
        Err(e) => {
            let Some((body, headers)) = e.scope_refusal() else {
                run.push(eval_failure(CheckId::Credential, &e, auth, web));
                return;
            };
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
    }
    say(progress, "Listing workspaces and repositories…");
    let (listing, early) = listing.answer(progress).await;
    let repos = match listing {
        Ok(mut r) => {
            run.repo = r.seen();
            Some(r)
        }
        Err(e) => {
            let Some((body, headers)) = e.scope_refusal() else {
                run.push(eval_failure(listing_row(&e), &e, auth, web));
                return;
            };
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
    };
    if !run.push(eval_scopes(
        auth,
        &missing,
        granted.as_deref(),
        client.inner().options.saved_webhook,
    )) {
        return;
    }
    let Some(reach) = repos else { return };
    run.push(reach.item(Provider::Cloud, true));
    say(progress, "Checking webhook rights…");
    run.push(eval_webhooks(
        cloud_admin(client, &reach.spaces, early).await,
        client.inner().options.saved_webhook,
    ));
    let mut links = reach.links;
    links.add_first(&localhost_links(&hrefs, &[api, web]));
    run.push(eval_localhost_count(links.count(), links.first()));
}

/// Cloud admin rights: a repository listed with `role=admin`, and its hooks readable. The
/// workspaces are judged in the listing's order, with what was learnt early where it was.
async fn cloud_admin(
    client: &Client,
    spaces: &[String],
    mut early: AdminEarly,
) -> Result<Option<String>, Problem> {
    // A few workspaces are enough to answer; thousands of calls are not worth it.
    for ws in spaces.iter().take(ADMIN_PROBE_SPACES) {
        let found = match early.take_repo(ws) {
            Some(found) => found?,
            None => cloud::first_admin_repo(client, ws)
                .await
                .map_err(|e| client.problem(&e))?,
        };
        if let Some(repo) = found {
            return match early.hooks.take() {
                Some((name, hooks)) if name == repo.full_name => hooks,
                _ => hooks_readable(client, &repo.full_name).await,
            };
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
    let send = run.at_once && may_send;
    let probe = probe_of(run.at_once, client, progress, |c, p| async move {
        cloud::probe(&c, p.as_ref()).await
    });
    let named = urls::split_repo(inner.creds.spec.repo.as_deref());
    let (repo, hooks) = {
        let full_name = named
            .as_ref()
            .map(|(ws, slug)| format!("{ws}/{slug}"))
            .unwrap_or_default();
        let named = named.clone();
        let repo = probe_of(send, client, progress, |c, _| async move {
            match named {
                Some((ws, slug)) => Some(cloud::repo(&c, &ws, &slug).await),
                None => None,
            }
        });
        let hooks = probe_of(send, client, progress, |c, _| async move {
            hooks_readable(&c, &full_name).await
        });
        (repo, hooks)
    };
    say(progress, format!("Reaching {}…", host_of(api)));
    let probe = probe.answer(progress).await;
    if !run.push(eval_reach(&probe, api, AuthKind::RepoToken)) || !may_send {
        return;
    }
    let Some((ws, slug)) = named else {
        return;
    };
    say(progress, "Checking the credential…");
    let Some(resp) = repo.answer(progress).await else {
        return;
    };
    let resp = match resp {
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
    let mut seen = Reach::looking_for(run.wanted.clone());
    seen.add(&repos, Provider::Cloud, &[]);
    run.repo = seen.seen();
    run.push(eval_reach_count(&repos, Provider::Cloud, false));
    let mut hrefs = Vec::new();
    collect_hrefs(&resp.body, &mut hrefs);
    run.push(eval_webhooks(
        hooks.answer(progress).await,
        client.inner().options.saved_webhook,
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
    /// The one repository kept, if asked for: what `connect --repo` names.
    wanted: Option<String>,
    found: Option<Repo>,
}

impl Reach {
    fn looking_for(wanted: Option<String>) -> Reach {
        Reach {
            wanted,
            ..Reach::default()
        }
    }

    /// What the listing saw of the wanted repository, once it is complete.
    fn seen(&mut self) -> RepoSeen {
        match (&self.wanted, self.found.take()) {
            (None, _) => RepoSeen::NotListed,
            (Some(_), Some(repo)) => RepoSeen::Found(Box::new(repo)),
            (Some(_), None) => RepoSeen::Absent { seen: self.count },
        }
    }

    fn add(&mut self, repos: &[Repo], provider: Provider, ours: &[&str]) {
        self.count += repos.len();
        if self.found.is_none()
            && let Some(wanted) = &self.wanted
        {
            self.found = repos
                .iter()
                .find(|r| r.full_name.eq_ignore_ascii_case(wanted))
                .cloned();
        }
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
    wanted: Option<String>,
    list: F,
) -> Result<Reach, HttpError>
where
    F: FnOnce(Client, tokio::sync::mpsc::Sender<crate::core::model::RepoPage>) -> ListFuture,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let producer = tokio::spawn(list(client.clone(), tx));
    let mut reach = Reach::looking_for(wanted);
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
