//! The async side of the wizard: runs each `Effect` on a tokio task and answers with a `Msg`
//! carrying the effect's request id. At most one check and one listing run at a time: a new
//! one aborts the one it supersedes (the wizard ignores stale ids anyway).

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::bitbucket::model::{Credentials, FailureClass, Problem, Repo, RepoPage};
use crate::bitbucket::{Client, ClientOptions, Endpoints};
use crate::engine;
use crate::store::Store;
use crate::wizard::msg::{Effect, Msg, RequestId, SavedHook};

/// What the worker needs to do its job.
pub struct WorkerContext {
    pub endpoints: Endpoints,
    pub store: Arc<Store>,
    pub options: ClientOptions,
}

/// The app's handle: send effects, shut down.
pub struct WorkerHandle {
    tx: mpsc::UnboundedSender<Effect>,
}

impl WorkerHandle {
    pub fn send(&self, effect: Effect) {
        // The worker only stops when the app shuts it down, so a failed send means we are
        // already on the way out; nothing to report.
        let _ = self.tx.send(effect);
    }

    pub fn shutdown(&self) {
        let _ = self.tx.send(Effect::Quit);
    }
}

/// Starts the worker task. Replies go to `replies`.
pub fn spawn(ctx: WorkerContext, replies: mpsc::UnboundedSender<Msg>) -> WorkerHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(Arc::new(ctx), rx, replies));
    WorkerHandle { tx }
}

async fn run(
    ctx: Arc<WorkerContext>,
    mut effects: mpsc::UnboundedReceiver<Effect>,
    replies: mpsc::UnboundedSender<Msg>,
) {
    let mut check_job: Option<JoinHandle<()>> = None;
    let mut repos_job: Option<JoinHandle<()>> = None;
    let mut hook_job: Option<JoinHandle<()>> = None;
    while let Some(effect) = effects.recv().await {
        match effect {
            Effect::CheckCredentials { id, creds } => {
                abort(&mut check_job);
                check_job = Some(tokio::spawn(run_check(
                    ctx.clone(),
                    id,
                    creds,
                    replies.clone(),
                )));
            }
            Effect::LoadRepos { id, creds } => {
                abort(&mut repos_job);
                repos_job = Some(tokio::spawn(run_listing(
                    ctx.clone(),
                    id,
                    creds,
                    replies.clone(),
                )));
            }
            Effect::CancelRepos => abort(&mut repos_job),
            Effect::Save {
                id,
                creds,
                repo,
                identity_username,
                webhook,
            } => {
                let ctx = ctx.clone();
                let replies = replies.clone();
                tokio::spawn(async move {
                    let result = tokio::task::spawn_blocking(move || {
                        save(
                            &ctx.store,
                            &creds,
                            repo.as_ref(),
                            identity_username,
                            webhook.as_ref(),
                        )
                    })
                    .await
                    .unwrap_or_else(|_| {
                        Err(Problem::new(
                            FailureClass::Other,
                            "Saving the connection stopped unexpectedly.",
                            "Try again; if it keeps failing, run with RUST_LOG=debug and read the log.",
                        ))
                    });
                    let _ = replies.send(Msg::Saved { id, result });
                });
            }
            Effect::EnsureWebhook {
                id,
                creds,
                repo,
                spec,
            } => {
                abort(&mut hook_job);
                let ctx = ctx.clone();
                let replies = replies.clone();
                hook_job = Some(tokio::spawn(async move {
                    let result = match Client::new(creds, &ctx.endpoints, ctx.options.clone()) {
                        Ok(client) => client.ensure_webhook(&repo, &spec).await,
                        Err(problem) => Err(problem),
                    };
                    let _ = replies.send(Msg::WebhookDone { id, result });
                }));
            }
            Effect::GenerateWebhookSecret => match generate_webhook_secret() {
                Ok(secret) => {
                    let _ = replies.send(Msg::WebhookSecret { secret });
                }
                // The field stays empty: the user can type a secret or go without one.
                Err(e) => tracing::warn!("no randomness for a webhook secret: {e}"),
            },
            Effect::OpenUrl(url) => {
                // The URL is on screen too: over SSH there is often no browser, and that is fine.
                if let Err(e) = open::that_detached(&url) {
                    tracing::info!("could not open a browser: {e}");
                }
            }
            Effect::Quit => break,
        }
    }
    abort(&mut check_job);
    abort(&mut repos_job);
    abort(&mut hook_job);
}

/// A webhook signing secret: 32 bytes from the OS, hex (any CI's config accepts it).
pub fn generate_webhook_secret() -> Result<secrecy::SecretString, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let mut hex = String::with_capacity(64);
    for b in bytes {
        hex.push_str(&format!("{b:02x}"));
    }
    bytes.fill(0);
    Ok(secrecy::SecretString::from(hex))
}

fn abort(job: &mut Option<JoinHandle<()>>) {
    if let Some(handle) = job.take() {
        handle.abort();
    }
}

async fn run_check(
    ctx: Arc<WorkerContext>,
    id: RequestId,
    creds: Credentials,
    replies: mpsc::UnboundedSender<Msg>,
) {
    let (ptx, mut prx) = mpsc::unbounded_channel::<String>();
    let forward = {
        let replies = replies.clone();
        tokio::spawn(async move {
            while let Some(note) = prx.recv().await {
                let _ = replies.send(Msg::CheckProgress { id, note });
            }
        })
    };
    let report = engine::check(creds, &ctx.endpoints, ctx.options.clone(), Some(ptx)).await;
    // The progress sender was moved into the check and is dropped with it, so the forwarder
    // drains what is left and ends; wait for it so notes never arrive after the report.
    let _ = forward.await;
    let _ = replies.send(Msg::CheckDone { id, report });
}

async fn run_listing(
    ctx: Arc<WorkerContext>,
    id: RequestId,
    creds: Credentials,
    replies: mpsc::UnboundedSender<Msg>,
) {
    let client = match Client::new(creds, &ctx.endpoints, ctx.options.clone()) {
        Ok(client) => client,
        Err(problem) => {
            let _ = replies.send(Msg::ReposDone {
                id,
                result: Err(problem),
            });
            return;
        }
    };
    let (ptx, mut prx) = mpsc::channel::<RepoPage>(16);
    let forward = {
        let replies = replies.clone();
        tokio::spawn(async move {
            while let Some(page) = prx.recv().await {
                let _ = replies.send(Msg::ReposPage { id, page });
            }
        })
    };
    let result = client.list_repos(ptx).await.map(|_| ());
    let _ = forward.await;
    let _ = replies.send(Msg::ReposDone { id, result });
}

fn save(
    store: &Store,
    creds: &Credentials,
    repo: Option<&Repo>,
    user: Option<String>,
    webhook: Option<&SavedHook>,
) -> Result<crate::bitbucket::model::SavedInfo, Problem> {
    let mut conn = engine::saved_connection(&creds.spec, user, repo, engine::now_rfc3339());
    if let Some(hook) = webhook {
        conn.webhook_id = Some(hook.id.clone());
        conn.webhook_url = Some(hook.url.clone());
    }
    let mut info = store
        .save(conn, &creds.secret, false)
        .map_err(Problem::from)?;
    if let Some(secret) = webhook.and_then(|h| h.secret.as_ref()) {
        // The connection is saved already: a failure here must not make a retry hit "already
        // exists", so it is reported on the summary instead.
        let location = match store.save_webhook_secret(&info.name, secret) {
            Ok(location) => location,
            Err(e) => format!("NOT stored ({}): keep it in your CI's settings", e.what()),
        };
        info.secret_location = format!("{}; webhook secret: {location}", info.secret_location);
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

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
