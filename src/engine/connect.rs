//! The connect flow both faces run: check the credentials, select the repository,
//! ensure the webhook, save. [`connect`] runs every step and reports each as an [`Event`]
//! (the headless `connect`); the wizard is interactive, so its worker calls the same step
//! functions one Effect at a time.

use secrecy::SecretString;

use crate::bitbucket::check::{Checked, RepoSeen};
use crate::bitbucket::tls::fingerprint;
use crate::bitbucket::{Client, ClientOptions, Endpoints};
use crate::core::model::{
    CheckItem, CheckReport, Credentials, FailureClass, OAuthGrant, Problem, Repo, Webhook,
    WebhookChange, WebhookSpec,
};
use crate::core::sanitize::clean;
use crate::core::ssh::GitProtocol;
use crate::store::Store;

use super::save::{self, HookToSave, SaveRequest, Saved};

/// One headless connect, as the flags and secrets gave it.
pub struct ConnectRequest<'a> {
    pub creds: Credentials,
    /// The OAuth grant the access token in `creds` came from: saved as the secret.
    pub oauth: Option<OAuthGrant>,
    pub endpoints: &'a Endpoints,
    pub options: ClientOptions,
    pub webhook: Option<WebhookSpec>,
    /// The webhook secret stored by an earlier connect of this name, given to the hook again
    /// when it has to be created or updated (`webhook.secret` is then `None`).
    pub reused_webhook_secret: Option<SecretString>,
    /// The hook an earlier connect of this name made: a new webhook URL moves it rather than
    /// add a second hook; with no webhook asked, it is kept as saved (see [`KeptHook`]).
    pub previous_webhook: Option<KeptHook>,
    pub replace: bool,
    /// `Ssh`: a read-only key of the connection's own, proven before the save.
    pub git_protocol: GitProtocol,
    /// The expiry typed (`--expires`); when absent, DC's token list is asked.
    pub expires_on: Option<jiff::civil::Date>,
}

/// A webhook saved with the connection being replaced: kept when the replace names no new
/// webhook, its stored secret with it (the hook on the server still signs with that one).
#[derive(Debug, Clone)]
pub struct KeptHook {
    pub id: String,
    pub url: String,
    /// Whether the replace keeps the same repository (the hook lives on it).
    pub same_repo: bool,
}

/// What a finished connect made.
#[derive(Debug)]
pub struct Connected {
    pub report: CheckReport,
    pub repo: Option<Repo>,
    pub hook: Option<(Webhook, WebhookChange)>,
    /// The saved webhook kept as it was (a replace that named no webhook).
    pub kept_hook: Option<KeptHook>,
    pub saved: Saved,
    /// The SSH route saved with the connection, and what to tell about it.
    pub ssh: Option<super::ssh::Prepared>,
    /// The previous SSH key could not be deleted from the repository.
    pub ssh_warning: Option<String>,
    /// The expiry saved: typed, read from the server, or unknown.
    pub expires_on: Option<jiff::civil::Date>,
}

/// Each step's result as it happens, for the face to show.
pub enum Event<'a> {
    /// Every check ran (passed or not).
    Checked(&'a CheckReport),
    /// `--repo` was found among the repositories the credential sees.
    RepoSelected(&'a Repo),
    /// The webhook is on the repository.
    WebhookEnsured(&'a Webhook, WebhookChange),
    /// The SSH key is registered read-only and `git ls-remote` over SSH worked with it.
    SshProven(&'a super::ssh::Prepared),
    /// The connection and its secrets are saved.
    Saved(&'a Connected),
    /// The webhook's test delivery, after the save (DC sends one; Cloud cannot).
    Delivery(&'a CheckItem),
}

/// Why a connect stopped; nothing is saved in any of these.
#[derive(Debug)]
pub enum ConnectError {
    /// The client could not be made (an invalid URL, a TLS setup error).
    Setup(Problem),
    /// A check failed: the report says which.
    ChecksFailed(CheckReport),
    /// The repository asked for could not be listed or is not visible.
    Repo(Problem),
    /// The webhook could not be created or updated.
    Webhook {
        problem: Problem,
        report: CheckReport,
    },
    /// The SSH route could not be made or proven.
    Ssh {
        problem: Problem,
        report: CheckReport,
        /// The public key kept for the manual path, when the credential could not register it.
        manual_key: Option<String>,
    },
    /// The store refused the connection or one of its secrets.
    Save(Problem),
}

/// Runs the whole flow: check -> select the repository -> ensure the webhook -> save, then the
/// webhook's test delivery. Stops at the first failure, before anything is saved.
pub async fn connect(
    req: ConnectRequest<'_>,
    store: &Store,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Connected, ConnectError> {
    let client = Client::new(req.creds.clone(), req.endpoints, req.options.clone())
        .map_err(ConnectError::Setup)?;
    // The token list is asked beside the check, not after it: no round trip is added.
    let (checked, expires_on) = tokio::join!(
        check(&client, None, req.creds.spec.repo.as_deref()),
        super::expiry::to_save(&client, req.expires_on, req.creds.spec.username.as_deref()),
    );
    let report = checked.report;
    on(Event::Checked(&report));
    if !report.passed() {
        return Err(ConnectError::ChecksFailed(report));
    }
    let repo = match &req.creds.spec.repo {
        None => None,
        Some(wanted) => Some(
            select_repo(&client, wanted, checked.repo)
                .await
                .map_err(ConnectError::Repo)?,
        ),
    };
    if let Some(r) = &repo {
        on(Event::RepoSelected(r));
    }
    let hook = match (&req.webhook, &repo) {
        (Some(spec), Some(r)) => {
            let ours = req
                .previous_webhook
                .as_ref()
                .filter(|k| k.same_repo)
                .map(|k| k.id.as_str());
            match ensure_webhook(
                &client,
                &r.full_name,
                spec,
                req.reused_webhook_secret.as_ref(),
                ours,
            )
            .await
            {
                Ok(done) => Some(done),
                Err(problem) => return Err(ConnectError::Webhook { problem, report }),
            }
        }
        _ => None,
    };
    if let Some((h, change)) = &hook {
        on(Event::WebhookEnsured(h, *change));
    }
    let ssh = match (req.git_protocol, &repo) {
        (GitProtocol::Https, _) => None,
        (GitProtocol::Ssh, None) => {
            return Err(ConnectError::Ssh {
                problem: ssh_needs_repo(req.creds.spec.provider),
                report,
                manual_key: None,
            });
        }
        (GitProtocol::Ssh, Some(r)) => match super::ssh::prepare(&client, store, r).await {
            Ok(prepared) => Some(prepared),
            Err(n) => {
                return Err(ConnectError::Ssh {
                    problem: n.problem,
                    report,
                    manual_key: n.manual_key,
                });
            }
        },
    };
    if let Some(prepared) = &ssh {
        on(Event::SshProven(prepared));
    }
    // The key an earlier connect of this name registered, replaced once this one is saved.
    let previous_ssh = if req.replace {
        super::ssh::saved_route(store, &req.creds.spec.name)
    } else {
        None
    };
    // No webhook asked for on the same repository: the saved one stays, untouched on the
    // server, and so does its secret.
    let kept = match (&req.webhook, &req.previous_webhook) {
        (None, Some(k)) if k.same_repo => Some(k),
        _ => None,
    };
    let trust = client.inner().options.tls.clone();
    let der = pinned_der(&client);
    let hook_secret = req
        .webhook
        .as_ref()
        .and_then(|h| h.secret.as_ref())
        .or(req.reused_webhook_secret.as_ref());
    let request = SaveRequest {
        spec: &req.creds.spec,
        secret: &req.creds.secret,
        oauth: req.oauth.as_ref(),
        user: report.identity.as_ref().map(|i| i.username.as_str()),
        repo: repo.as_ref(),
        trust: &trust,
        cert_der: der.as_deref(),
        webhook: match (&hook, kept) {
            (Some((h, _)), _) => Some(HookToSave {
                id: &h.id,
                url: &h.url,
                secret: hook_secret,
            }),
            (None, Some(k)) => Some(HookToSave {
                id: &k.id,
                url: &k.url,
                secret: hook_secret,
            }),
            (None, None) => None,
        },
        replace: req.replace,
        ssh: ssh.as_ref().map(|p| &p.route),
        expires_on,
    };
    // Blocking on this task is fine: the headless connect runs nothing beside it.
    let saved = save::save(store, &request);
    let new = ssh
        .as_ref()
        .zip(repo.as_ref())
        .map(|(p, r)| (r.full_name.as_str(), p));
    let previous = previous_ssh.as_ref().map(|(r, route)| (r.as_str(), route));
    let (saved, ssh_warning) = super::ssh::after_save(&client, store, saved, new, previous)
        .await
        .map_err(ConnectError::Save)?;
    let kept_hook = kept.cloned();
    let done = Connected {
        report,
        repo,
        hook,
        kept_hook,
        saved,
        ssh,
        ssh_warning,
        expires_on,
    };
    on(Event::Saved(&done));
    if let (Some((h, _)), Some(r)) = (&done.hook, &done.repo) {
        let row = delivery(&client, &r.full_name, h).await;
        on(Event::Delivery(&row));
    }
    Ok(done)
}

/// Step 1: every check, for these credentials, looking for the repository `wanted` among
/// those its listing sees; `progress` hears a note as each runs (the wizard's check screen).
pub async fn check(
    client: &Client,
    progress: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    wanted: Option<&str>,
) -> Checked {
    client.check_finding(progress, wanted).await
}

/// Step 2, `--repo`: the repository named, among those the credential sees: as the check's
/// listing saw it, so every repository is fetched once. Listed again (looked up while the
/// pages stream by, the listing not kept) only if the check did not list.
pub async fn select_repo(client: &Client, wanted: &str, seen: RepoSeen) -> Result<Repo, Problem> {
    let (found, seen) = match seen {
        RepoSeen::Found(repo) => (Some(*repo), 1),
        RepoSeen::Absent { seen } => (None, seen),
        RepoSeen::NotListed => client.find_repo(wanted).await?,
    };
    found.ok_or_else(|| not_visible(wanted, seen))
}

/// `--git-protocol ssh` registers the key on one repository: it needs `--repo`.
pub fn ssh_needs_repo(provider: crate::core::model::Provider) -> Problem {
    Problem::new(
        FailureClass::Input,
        "--git-protocol ssh needs the repository to register the key on.",
        match provider {
            crate::core::model::Provider::Cloud => "Add --repo WORKSPACE/SLUG.",
            crate::core::model::Provider::Server => "Add --repo PROJECTKEY/SLUG.",
        },
    )
}

/// A repository the credential does not see, `seen` being how many it does.
pub fn not_visible(wanted: &str, seen: usize) -> Problem {
    Problem::new(
        FailureClass::Permission,
        format!(
            "Repository `{}` is not visible to this credential ({} repositories are).",
            clean(wanted),
            seen
        ),
        "Check the spelling (WORKSPACE/SLUG on Cloud, KEY/SLUG on Server), or grant the credential read access to it.",
    )
}

/// Step 3: the webhook on the repository. When a stored secret is being reused and the hook
/// had to be created or updated, it is ensured once more with that secret so the hook signs
/// with it (an unchanged hook is kept as it is).
pub async fn ensure_webhook(
    client: &Client,
    repo: &str,
    spec: &WebhookSpec,
    reused: Option<&SecretString>,
    ours: Option<&str>,
) -> Result<(Webhook, WebhookChange), Problem> {
    let (hook, change) = client.ensure_webhook_for(repo, spec, ours).await?;
    match reused {
        Some(secret) if change != WebhookChange::Kept => {
            let with_secret = WebhookSpec {
                secret: Some(secret.clone()),
                ..spec.clone()
            };
            let (hook, _) = client
                .ensure_webhook_for(repo, &with_secret, Some(&hook.id))
                .await?;
            Ok((hook, change))
        }
        _ => Ok((hook, change)),
    }
}

/// After the webhook step: whether a test delivery reaches the CI.
pub async fn delivery(client: &Client, repo: &str, hook: &Webhook) -> CheckItem {
    client.delivery_row(repo, Some(&hook.id), &hook.url).await
}

/// The pinned certificate as the server just presented it, to keep its PEM with the
/// connection; `None` without a pin or when the chain is not at hand.
pub fn pinned_der(client: &Client) -> Option<Vec<u8>> {
    let pin = client.inner().options.tls.pinned.as_ref()?;
    let host = url::Url::parse(&client.inner().api)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    client
        .inner()
        .http
        .presented_chain(&host)
        .and_then(|chain| chain.into_iter().find(|d| fingerprint(d) == *pin))
}

/// A webhook signing secret: 32 bytes from the OS, hex (any CI's config accepts it).
pub fn generate_webhook_secret() -> Result<SecretString, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let mut hex = String::with_capacity(64);
    for b in bytes {
        hex.push_str(&format!("{b:02x}"));
    }
    bytes.fill(0);
    Ok(SecretString::from(hex))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::core::model::{AuthKind, ConnectionSpec, Provider};
    use crate::sim::{self, SimConfig, SimHandle};

    async fn dc() -> SimHandle {
        sim::start(SimConfig {
            port: 0,
            repos: Some(30),
            ..SimConfig::default()
        })
        .await
        .expect("simulator on loopback")
    }

    /// The first repository of the DC project WEB, through the flow's own step.
    async fn first_repo(sim: &SimHandle, endpoints: &Endpoints) -> String {
        let client = Client::new(
            creds(sim, "test-token-alice", None),
            endpoints,
            ClientOptions::default(),
        )
        .expect("client");
        let mut first = None;
        client
            .for_each_page(|page| {
                if first.is_none() {
                    first = page.repos.first().map(|r| r.full_name.clone());
                }
            })
            .await
            .expect("listing");
        first.expect("a repository")
    }

    fn creds(sim: &SimHandle, token: &str, repo: Option<String>) -> Credentials {
        Credentials {
            spec: ConnectionSpec {
                name: "ci".into(),
                provider: Provider::Server,
                auth: AuthKind::HttpTokenUser,
                url: sim.server_url(),
                username: Some("alice".into()),
                repo,
            },
            secret: SecretString::from(token.to_string()),
        }
    }

    fn endpoints(sim: &SimHandle) -> Endpoints {
        Endpoints {
            cloud_api: sim.cloud_api_url(),
            cloud_web: sim.cloud_web_url(),
        }
    }

    fn hook(secret: &str) -> WebhookSpec {
        WebhookSpec {
            name: "bbconnect ci".into(),
            url: "https://ci.example.com/hook".into(),
            events: crate::bitbucket::webhooks::default_events(Provider::Server),
            secret: Some(SecretString::from(secret.to_string())),
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_flow_checks_selects_ensures_saves_then_tests_the_delivery_in_order() {
        let sim = dc().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::for_tests(dir.path(), None);
        let endpoints = endpoints(&sim);
        let repo = first_repo(&sim, &endpoints).await;
        let mut seen = Vec::new();
        let done = connect(
            ConnectRequest {
                creds: creds(&sim, "test-token-alice", Some(repo.clone())),
                oauth: None,
                endpoints: &endpoints,
                options: ClientOptions::default(),
                webhook: Some(hook("test-token-hook")),
                reused_webhook_secret: None,
                previous_webhook: None,
                replace: false,
                git_protocol: GitProtocol::Https,
                expires_on: None,
            },
            &store,
            &mut |event| {
                seen.push(match event {
                    Event::Checked(report) => format!("checked {}", report.passed()),
                    Event::RepoSelected(r) => format!("repo {}", r.full_name),
                    Event::WebhookEnsured(_, change) => format!("hook {change:?}"),
                    Event::SshProven(_) => "ssh".into(),
                    Event::Saved(done) => format!("saved {}", done.saved.info.name),
                    Event::Delivery(_) => "delivery".into(),
                })
            },
        )
        .await
        .expect("connected");
        assert_eq!(
            seen,
            [
                "checked true".to_string(),
                format!("repo {repo}"),
                "hook Created".into(),
                "saved ci".into(),
                "delivery".into()
            ]
        );
        let conn = store.get("ci").expect("get").expect("saved");
        assert_eq!(conn.repo.as_deref(), Some(repo.as_str()));
        // Nothing typed: alice's token list says (90 days from the simulator's start).
        let in_90_days = crate::engine::today()
            .checked_add(jiff::Span::new().days(90))
            .expect("in range");
        assert_eq!(conn.expires_on, Some(in_90_days));
        assert_eq!(done.expires_on, Some(in_90_days));
        assert_eq!(conn.webhook_id, done.hook.map(|(h, _)| h.id));
        assert_eq!(store.webhook_secret_for_tests("ci"), "test-token-hook");
        assert!(done.saved.webhook_secret_location.is_some());
        sim.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_check_or_an_unseen_repository_saves_nothing() {
        let sim = dc().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::for_tests(dir.path(), None);
        let endpoints = endpoints(&sim);
        let request = |token: &str, repo: Option<String>| ConnectRequest {
            creds: creds(&sim, token, repo),
            oauth: None,
            endpoints: &endpoints,
            options: ClientOptions::default(),
            webhook: None,
            reused_webhook_secret: None,
            previous_webhook: None,
            replace: false,
            git_protocol: GitProtocol::Https,
            expires_on: None,
        };
        let mut events = 0;
        let failed = connect(request("test-token-wrong", None), &store, &mut |_| {
            events += 1
        })
        .await;
        assert!(
            matches!(failed, Err(ConnectError::ChecksFailed(ref r)) if !r.passed()),
            "{failed:?}"
        );
        assert_eq!(events, 1, "only the report");
        let unseen = connect(
            request("test-token-alice", Some("WEB/no-such-repo".into())),
            &store,
            &mut |_| {},
        )
        .await;
        match unseen {
            Err(ConnectError::Repo(p)) => {
                assert_eq!(p.class, FailureClass::Permission);
                assert!(p.what.contains("WEB/no-such-repo"), "{p:?}");
            }
            other => panic!("{:?}", other.err()),
        }
        assert!(store.list().expect("list").is_empty());
        sim.shutdown().await;
    }

    #[test]
    fn generated_webhook_secrets_are_long_random_hex() {
        let a = super::generate_webhook_secret().expect("OS randomness");
        let b = super::generate_webhook_secret().expect("OS randomness");
        assert_eq!(a.expose_secret().len(), 64);
        assert!(a.expose_secret().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(!format!("{a:?}").contains(a.expose_secret()));
    }
}
