//! The wizard's save, run by the worker: what the headless connect does after its webhook,
//! through the same engine steps. With SSH chosen the route is made and proven first
//! (`engine::ssh::prepare`), then the connection is saved, then `engine::ssh::after_save`
//! settles the keys; all under the connection's lock, so a concurrent `connect` or `rotate`
//! of the same name never runs between the read of the old route and the save.

use std::sync::Arc;

use super::{WorkerContext, blocking};
use crate::bitbucket::Client;
use crate::core::model::{Credentials, OAuthGrant, Problem, Repo, SavedInfo};
use crate::core::ssh::GitProtocol;
use crate::engine;
use crate::tui::wizard::msg::SavedHook;

/// Everything `Effect::Save` carries but its id.
pub struct SaveJob {
    pub creds: Credentials,
    pub repo: Option<Repo>,
    pub identity_username: Option<String>,
    pub oauth: Option<OAuthGrant>,
    pub webhook: Option<SavedHook>,
    pub replace: bool,
    pub expires_on: Option<jiff::civil::Date>,
    pub git_protocol: GitProtocol,
    pub allow_http: bool,
}

pub async fn save(ctx: Arc<WorkerContext>, job: SaveJob) -> Result<SavedInfo, Problem> {
    // The check passed moments ago with the same options, so the client can be made.
    let client = Client::new(
        job.creds.clone(),
        &ctx.endpoints,
        ctx.options(job.allow_http),
    )?;
    let _lock = {
        let (store, name) = (ctx.store.clone(), job.creds.spec.name.clone());
        blocking(move || store.lock_connection(&name).map_err(Problem::from)).await?
    };
    // Nothing typed: DC's token list may say.
    let expires_on =
        engine::expiry::to_save(&client, job.expires_on, job.creds.spec.username.as_deref()).await;
    let prepared = match (job.git_protocol, &job.repo) {
        (GitProtocol::Ssh, Some(repo)) => {
            Some(engine::ssh::prepare(&client, &ctx.store, repo).await?)
        }
        _ => None,
    };
    let route = prepared.as_ref().map(|p| p.route.clone());
    let repo_name = job.repo.as_ref().map(|r| r.full_name.clone());
    let (previous, saved) = {
        let ctx = ctx.clone();
        tokio::task::spawn_blocking(move || {
            let previous = job
                .replace
                .then(|| engine::ssh::saved_route(&ctx.store, &job.creds.spec.name))
                .flatten();
            let trust = ctx.options(false).tls;
            let der = ctx.trusted_der();
            let request = engine::save::SaveRequest {
                spec: &job.creds.spec,
                secret: &job.creds.secret,
                oauth: job.oauth.as_ref(),
                user: job.identity_username.as_deref(),
                repo: job.repo.as_ref(),
                trust: &trust,
                cert_der: der.as_deref(),
                webhook: job.webhook.as_ref().map(|h| engine::save::HookToSave {
                    id: &h.id,
                    url: &h.url,
                    secret: h.secret.as_ref(),
                }),
                replace: job.replace,
                ssh: route.as_ref(),
                expires_on,
            };
            (previous, engine::save::save(&ctx.store, &request))
        })
        .await
        .unwrap_or_else(|_| (None, Err(super::stopped("Saving the connection"))))
    };
    let new = prepared
        .as_ref()
        .zip(repo_name.as_deref())
        .map(|(p, r)| (r, p));
    let previous = previous.as_ref().map(|(r, route)| (r.as_str(), route));
    let (saved, warning) =
        engine::ssh::after_save(&client, &ctx.store, saved, new, previous).await?;
    if let Some(warning) = warning {
        tracing::warn!("{warning}");
    }
    Ok(super::saved_summary(saved))
}
