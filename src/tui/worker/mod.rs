//! The async side of the wizard: runs each `Effect` on a tokio task and answers with a `Msg`
//! carrying the effect's request id. At most one check, one listing, one sign-in and one
//! webhook run at a time, each in its `SingleJob`: a new one aborts the one it supersedes
//! (the wizard ignores stale ids anyway).

mod git;
mod job;
mod save;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::bitbucket::oauth::OAuthConsumer;
use crate::bitbucket::{Client, ClientOptions, Endpoints};
use crate::core::browser::BrowserOutcome;
use crate::core::model::{Credentials, FailureClass, LastCheck, Problem, RepoPage};
use crate::engine;
use crate::engine::oauth::{self as oauth_flow, Opener};
use crate::store::Store;
use crate::tui::wizard::msg::{Effect, Msg, RequestId, SignInForm};
use job::SingleJob;

use crate::engine::connect::generate_webhook_secret;

/// What the worker needs to do its job.
pub struct WorkerContext {
    pub endpoints: Endpoints,
    pub store: Arc<Store>,
    pub options: ClientOptions,
    /// Shows a URL in a browser (`oauth_flow::browser_opener()`; tests use a stand-in).
    pub opener: Opener,
    /// How long an OAuth sign-in waits for the browser to come back.
    pub oauth_wait: Duration,
    /// How many days ahead the re-check warns of an expiry (`BBCONNECT_EXPIRY_WARN_DAYS`, read
    /// by the app: the worker reads no environment).
    pub expiry_warn_days: i64,
    /// The certificate the user trusted on the check screen: every later client of the
    /// session pins it, and the saved connection keeps it.
    trusted_cert: std::sync::Mutex<Option<(String, Option<Vec<u8>>)>>,
}

impl WorkerContext {
    /// The product's context: the system browser, the default sign-in wait.
    pub fn new(endpoints: Endpoints, store: Arc<Store>, options: ClientOptions) -> WorkerContext {
        WorkerContext {
            endpoints,
            store,
            options,
            opener: oauth_flow::browser_opener(),
            oauth_wait: oauth_flow::DEFAULT_WAIT,
            expiry_warn_days: crate::core::expiry::DEFAULT_WARN_DAYS,
            trusted_cert: std::sync::Mutex::new(None),
        }
    }

    /// The client options of one effect: plain http only when the user confirmed it.
    fn options(&self, allow_http: bool) -> ClientOptions {
        let mut tls = self.options.tls.clone();
        if let Some(pin) = self.trusted() {
            tls.pinned = Some(pin);
        }
        ClientOptions {
            allow_http: self.options.allow_http || allow_http,
            tls,
            ..self.options.clone()
        }
    }

    fn trusted(&self) -> Option<String> {
        self.trusted_cert
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(fp, _)| fp.clone())
    }

    fn trusted_der(&self) -> Option<Vec<u8>> {
        self.trusted_cert
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(|(_, der)| der.clone())
    }
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
    // Dropped when the worker ends, which aborts whatever of these still runs.
    let mut check_job = SingleJob::new();
    let mut repos_job = SingleJob::new();
    let mut oauth_job = SingleJob::new();
    // Where addresses pasted on the sign-in screen go: the sign-in of that id.
    let mut oauth_paste: Option<(RequestId, mpsc::UnboundedSender<String>)> = None;
    let mut hook_job = SingleJob::new();
    while let Some(effect) = effects.recv().await {
        match effect {
            Effect::CheckCredentials {
                id,
                creds,
                allow_http,
            } => {
                check_job.spawn(run_check(
                    ctx.clone(),
                    id,
                    creds,
                    ctx.options(allow_http),
                    replies.clone(),
                ));
            }
            Effect::LoadRepos {
                id,
                creds,
                allow_http,
            } => {
                repos_job.spawn(run_listing(
                    ctx.clone(),
                    id,
                    creds,
                    ctx.options(allow_http),
                    replies.clone(),
                ));
            }
            Effect::OAuthSignIn { id, form } => {
                let (paste_tx, pasted) = mpsc::unbounded_channel();
                oauth_paste = Some((id, paste_tx));
                oauth_job.spawn(run_sign_in(ctx.clone(), id, form, pasted, replies.clone()));
            }
            Effect::OAuthPaste { id, redirect } => match &oauth_paste {
                Some((current, tx)) if *current == id => {
                    // A send fails only once the sign-in ended, and its end was reported.
                    let _ = tx.send(redirect);
                }
                _ => {}
            },
            // Aborting drops the listener, so the port is free for the next sign-in at once.
            Effect::CancelOAuth => {
                oauth_job.cancel();
                oauth_paste = None;
            }
            Effect::CancelRepos => repos_job.cancel(),
            effect @ Effect::Save { .. } => {
                tokio::spawn(save::run(ctx.clone(), effect, replies.clone()));
            }
            Effect::EnsureWebhook {
                id,
                creds,
                repo,
                spec,
                allow_http,
            } => {
                let ctx = ctx.clone();
                let replies = replies.clone();
                hook_job.spawn(async move {
                    let options = ctx.options(allow_http);
                    let client = Client::new(creds, &ctx.endpoints, options);
                    let result = match &client {
                        Ok(client) => {
                            engine::connect::ensure_webhook(client, &repo, &spec, None, None).await
                        }
                        Err(problem) => Err(problem.clone()),
                    };
                    let made = result.as_ref().ok().map(|(h, _)| h.clone());
                    let _ = replies.send(Msg::WebhookDone { id, result });
                    // Then prove it reaches the CI (DC sends a test request; Cloud cannot).
                    if let (Ok(client), Some(hook)) = (&client, made) {
                        let row = engine::connect::delivery(client, &repo, &hook).await;
                        let _ = replies.send(Msg::WebhookDelivery { id, row });
                    }
                });
            }
            Effect::TrustCert { fingerprint, der } => {
                *ctx.trusted_cert.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((fingerprint, der));
            }
            Effect::GenerateWebhookSecret => match generate_webhook_secret() {
                Ok(secret) => {
                    let _ = replies.send(Msg::WebhookSecret { secret });
                }
                // The field stays empty: the user can type a secret or go without one.
                Err(e) => tracing::warn!("no randomness for a webhook secret: {e}"),
            },
            // The URL is on screen too: over SSH there is often no browser, and the reply
            // lets the screen say so.
            Effect::OpenUrl(url) => {
                let ctx = ctx.clone();
                let replies = replies.clone();
                tokio::spawn(async move {
                    let outcome = open_off_thread(&ctx, url.clone()).await;
                    let _ = replies.send(Msg::Opened { url, outcome });
                });
            }
            // The app writes it to the terminal; it never reaches the worker.
            Effect::CopyToClipboard(_) => {}
            Effect::PlanGitSetup { id, name } => {
                let (ctx, replies) = (ctx.clone(), replies.clone());
                tokio::spawn(async move {
                    let result = blocking(move || git::plan_lines(&ctx.store, &name)).await;
                    let _ = replies.send(Msg::GitPlan { id, result });
                });
            }
            Effect::ApplyGitSetup { id, name } => {
                let (ctx, replies) = (ctx.clone(), replies.clone());
                tokio::spawn(async move {
                    let result = blocking(move || git::apply(&ctx.store, &name)).await;
                    let _ = replies.send(Msg::GitDone { id, result });
                });
            }
            Effect::CloneRepo { id, name, dir } => {
                let (ctx, replies) = (ctx.clone(), replies.clone());
                tokio::spawn(async move {
                    let result = git::clone(&ctx.store, id, &name, &dir, &replies).await;
                    let _ = replies.send(Msg::GitDone { id, result });
                });
            }
            Effect::CheckSaved { id, name } => {
                let ctx = ctx.clone();
                let replies = replies.clone();
                tokio::spawn(async move {
                    let result = check_saved(&ctx, &name).await;
                    let _ = replies.send(Msg::SavedChecked { id, result });
                });
            }
            Effect::RotateSaved { id, name, secret } => {
                let ctx = ctx.clone();
                let replies = replies.clone();
                tokio::spawn(async move {
                    let request = engine::rotate::RotateRequest {
                        name: &name,
                        secret,
                        auth: None,
                        username: None,
                        expires_on: None,
                        endpoints: &ctx.endpoints,
                        options: ctx.options.clone(),
                    };
                    let result = engine::rotate::rotate(request, &ctx.store)
                        .await
                        .map(|done| crate::tui::wizard::saved::RotatedRow {
                            auth: done.after.auth,
                            user: done.after.user,
                            revoke_old: done.revoke_old,
                        })
                        .map_err(|e| e.problem());
                    let _ = replies.send(Msg::SavedRotated { id, result });
                });
            }
            Effect::RemoveSaved { id, name } => {
                let ctx = ctx.clone();
                let replies = replies.clone();
                tokio::spawn(async move {
                    let result = engine::blocking(&ctx.store, move |s| s.remove(&name)).await;
                    let _ = replies.send(Msg::SavedRemoved { id, result });
                });
            }
            Effect::LoadSavedSecret { name } => {
                let ctx = ctx.clone();
                let replies = replies.clone();
                tokio::spawn(async move {
                    let key = name.clone();
                    let secret = engine::blocking(&ctx.store, move |s| s.secret(&key)).await;
                    let _ = replies.send(Msg::SavedSecret { name, secret });
                });
            }
            Effect::Quit => break,
        }
    }
}

/// Runs blocking git/store work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| {
        Err(Problem::new(
            FailureClass::Other,
            "The git task stopped unexpectedly.",
            "Try again; if it keeps failing, run with RUST_LOG=debug and read the log.",
        ))
    })
}

/// Runs the opener on a blocking thread (it waits for xdg-open and the like).
async fn open_off_thread(ctx: &Arc<WorkerContext>, url: String) -> BrowserOutcome {
    let opener = ctx.opener.clone();
    tokio::task::spawn_blocking(move || opener(&url))
        .await
        .unwrap_or_else(|_| BrowserOutcome::Failed("the opener stopped unexpectedly".into()))
}

async fn run_sign_in(
    ctx: Arc<WorkerContext>,
    id: RequestId,
    form: SignInForm,
    pasted: mpsc::UnboundedReceiver<String>,
    replies: mpsc::UnboundedSender<Msg>,
) {
    let events: oauth_flow::SignInEvents = {
        let replies = replies.clone();
        Arc::new(move |event| {
            let _ = replies.send(match event {
                oauth_flow::SignInEvent::Url(url) => Msg::OAuthUrl { id, url },
                oauth_flow::SignInEvent::Browser(outcome) => Msg::OAuthBrowser { id, outcome },
            });
        })
    };
    let request = oauth_flow::SignInRequest {
        options: ctx.options(form.allow_http),
        web_url: form.web_url,
        consumer: OAuthConsumer {
            key: form.key,
            secret: form.secret,
        },
        callback: form.callback,
        opener: Some(ctx.opener.clone()),
        wait: ctx.oauth_wait,
    };
    let refused = |problem| {
        let _ = replies.send(Msg::PasteRefused { id, problem });
        Ok(())
    };
    let result = oauth_flow::sign_in(request, pasted, events, refused).await;
    let _ = replies.send(Msg::OAuthDone { id, result });
}

async fn run_check(
    ctx: Arc<WorkerContext>,
    id: RequestId,
    creds: Credentials,
    options: ClientOptions,
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
    let report = engine::check(creds, &ctx.endpoints, options, Some(ptx)).await;
    // The progress sender was moved into the check and is dropped with it, so the forwarder
    // drains what is left and ends; wait for it so notes never arrive after the report.
    let _ = forward.await;
    let _ = replies.send(Msg::CheckDone { id, report });
}

async fn run_listing(
    ctx: Arc<WorkerContext>,
    id: RequestId,
    creds: Credentials,
    options: ClientOptions,
    replies: mpsc::UnboundedSender<Msg>,
) {
    let client = match Client::new(creds, &ctx.endpoints, options) {
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

/// The Done screen's summary: the webhook secret's place follows the connection secret's.
fn saved_summary(saved: engine::save::Saved) -> crate::core::model::SavedInfo {
    let mut info = saved.info;
    if let Some(location) = saved.webhook_secret_location {
        info.secret_location = format!("{}; webhook secret: {location}", info.secret_location);
    }
    info
}

fn stopped(what: &str) -> Problem {
    Problem::new(
        FailureClass::Other,
        format!("{what} stopped unexpectedly."),
        "Try again; if it keeps failing, run with RUST_LOG=debug and read the log.",
    )
}

/// Re-checks a saved connection through the one re-check `check` and `status` run (its own
/// trust, an expired OAuth token refreshed, drift of its repository and webhook), recorded
/// with it. The delivery test is left out: the list shows the saved state, not the CI's.
async fn check_saved(ctx: &WorkerContext, name: &str) -> Result<LastCheck, Problem> {
    let how = engine::recheck::Recheck::at_system_time(ctx.options(false), false)
        .warning_days_ahead(ctx.expiry_warn_days);
    engine::recheck::recheck(&ctx.store, &ctx.endpoints, name, &how)
        .await
        .map(|done| done.last)
}
