//! The wizard's save, run by the worker: what the headless connect does after its webhook,
//! through the same engine steps. With SSH chosen the route is made and proven first
//! (`engine::ssh::prepare`), then the connection is saved, then `engine::ssh::after_save`
//! settles the keys; all under the connection's lock, so a concurrent `connect` or `rotate`
//! of the same name never runs between the read of the old route and the save.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::WorkerContext;
use crate::bitbucket::Client;
use crate::core::model::{Problem, SavedInfo};
use crate::core::ssh::GitProtocol;
use crate::engine;
use crate::tui::wizard::msg::{Effect, Msg};

/// Runs `Effect::Save` and answers with `Msg::Saved`; any other effect is not this job's.
pub async fn run(ctx: Arc<WorkerContext>, effect: Effect, replies: UnboundedSender<Msg>) {
    let Effect::Save {
        id,
        creds,
        repo,
        identity_username,
        oauth,
        webhook,
        replace,
        expires_on,
        git_protocol,
        allow_http,
    } = effect
    else {
        return;
    };
    let result: Result<SavedInfo, Problem> = async {
        // The check passed moments ago with the same options, so the client can be made.
        let client = Client::new(creds.clone(), &ctx.endpoints, ctx.options(allow_http))?;
        let _lock = engine::lock_connection(&ctx.store, &creds.spec.name).await?;
        // Nothing typed: DC's token list may say.
        let expires_on =
            engine::expiry::to_save(&client, expires_on, creds.spec.username.as_deref()).await;
        let prepared = match (git_protocol, &repo) {
            (GitProtocol::Ssh, Some(repo)) => {
                Some(engine::ssh::prepare(&client, &ctx.store, repo).await?)
            }
            _ => None,
        };
        let route = prepared.as_ref().map(|p| p.route.clone());
        let repo_name = repo.as_ref().map(|r| r.full_name.clone());
        let (previous, saved) = {
            let ctx = ctx.clone();
            tokio::task::spawn_blocking(move || {
                let previous = replace
                    .then(|| engine::ssh::saved_route(&ctx.store, &creds.spec.name))
                    .flatten();
                let trust = ctx.options(false).tls;
                let der = ctx.trusted_der();
                let request = engine::save::SaveRequest {
                    spec: &creds.spec,
                    secret: &creds.secret,
                    oauth: oauth.as_ref(),
                    user: identity_username.as_deref(),
                    repo: repo.as_ref(),
                    trust: &trust,
                    cert_der: der.as_deref(),
                    webhook: webhook.as_ref().map(|h| engine::save::HookToSave {
                        id: &h.id,
                        url: &h.url,
                        secret: h.secret.as_ref(),
                    }),
                    replace,
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
        if let Some(text) = warning {
            let _ = replies.send(Msg::SaveWarning { id, text });
        }
        Ok(super::saved_summary(saved))
    }
    .await;
    let _ = replies.send(Msg::Saved { id, result });
}
