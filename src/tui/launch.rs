//! Starting the wizard: its configuration from the settings and the saved connections, the
//! worker, and the terminal loop. The command line decides when (and prints the outcome);
//! `main` hands it this entry point, since neither face imports the other.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::app::{self, Outcome};
use super::wizard::saved::SavedRow;
use super::wizard::{Wizard, WizardConfig};
use super::worker::{self, WorkerContext};
use crate::bitbucket::{ClientOptions, Endpoints};
use crate::core::model::{Problem, SavedInfo};
use crate::core::ssh::GitProtocol;
use crate::settings::Settings;
use crate::store::Store;

/// Runs the wizard until it quits: what was saved, or None when the user left before saving
/// (an interrupt is [`Problem::interrupted`]). `demo_notes` and `server_url` are the demo's.
/// Boxed, as the command line's wizard entry point (`cli::wizard::Launch`).
pub fn start(
    settings: Settings,
    store: Store,
    endpoints: Endpoints,
    demo_notes: Vec<String>,
    server_url: Option<String>,
    options: ClientOptions,
) -> Pin<Box<dyn Future<Output = Result<Option<SavedInfo>, Problem>>>> {
    Box::pin(async move {
        // Refused before the screen opens, as `check` and `status` refuse it.
        let warn_days = settings.expiry_warn_days()?;
        let saved_conns = store.list().map_err(Problem::from)?;
        let existing_names = saved_conns.iter().map(|c| c.name.clone()).collect();
        let saved = saved_conns
            .into_iter()
            .map(|c| SavedRow {
                name: c.name,
                provider: c.provider,
                auth: c.auth,
                url: c.url,
                username: c.username,
                user: c.user,
                repo: c.repo,
                last_check: c.last_check,
                git_protocol: match c.ssh {
                    Some(_) => GitProtocol::Ssh,
                    None => GitProtocol::Https,
                },
                expires_on: c.expires_on,
            })
            .collect();
        let config = WizardConfig {
            cloud_web_url: endpoints.cloud_web.clone(),
            server_url,
            existing_names,
            saved,
            demo_notes,
            no_color: settings.no_color,
            // Read here so the wizard stays pure; the secret never leaves a SecretString.
            oauth_key: settings.oauth_key.clone(),
            oauth_secret: settings.oauth_secret.clone(),
            today: crate::engine::today(),
            expiry_warn_days: Some(warn_days),
        };
        let (reply_tx, reply_rx) = mpsc::unbounded_channel();
        let mut worker_ctx = WorkerContext::new(endpoints, Arc::new(store), options);
        worker_ctx.expiry_warn_days = warn_days;
        let handle = worker::spawn(worker_ctx, reply_tx);
        let outcome = app::run(Wizard::new(config), handle, reply_rx)
            .await
            .map_err(|e| {
                Problem::other(
                    format!("the terminal failed: {e}"),
                    "run in a real terminal (TERM set, at least 80x24).",
                )
            })?;
        match outcome {
            Outcome::Saved(saved) => Ok(Some(saved)),
            Outcome::Quit { interrupted: false } => Ok(None),
            Outcome::Quit { interrupted: true } => Err(Problem::interrupted()),
        }
    })
}
