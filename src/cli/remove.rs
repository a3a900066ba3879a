//! `bbconnect remove`: a saved connection and its secret, and optionally its webhook.

use clap::Args;
use serde_json::json;

use super::{Ctx, Io, credentials_of};
use crate::bitbucket::Client;
use crate::core::model::Problem;
use crate::core::sanitize::clean;
use crate::engine;
use crate::outln;

#[derive(Debug, Args)]
pub struct RemoveArgs {
    pub name: String,
    /// Also delete the webhook bbconnect created.
    #[arg(long)]
    pub delete_webhook: bool,
    /// Also delete the connection's SSH key from the repository (--git-protocol ssh).
    #[arg(long)]
    pub delete_key: bool,
    #[arg(long)]
    pub json: bool,
}

/// `bbconnect remove`.
pub async fn run(ctx: &mut Ctx, args: RemoveArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let (io, endpoints) = (&mut ctx.io, &ctx.settings.endpoints);
    let RemoveArgs {
        name,
        delete_webhook,
        delete_key,
        json: as_json,
    } = args;
    let name = name.as_str();
    // With --json the one document on stdout says everything; the sentences are for people.
    let say = |io: &mut Io, line: String| {
        if !as_json {
            outln!(io, "{line}");
        }
    };
    let mut webhook = serde_json::Value::Null;
    if delete_webhook {
        let (conn, creds) = credentials_of(store, name)?;
        match (&conn.webhook_id, &conn.repo) {
            (Some(id), Some(repo)) => {
                let client = Client::new(creds, endpoints, engine::options_for(&conn))?;
                // The connection is kept when the hook cannot be deleted: it is the only
                // record of which hook to delete on the next try.
                let deleted = client
                    .delete_webhook(repo, id)
                    .await
                    .map_err(|p| p.with_note("The connection was kept, so you can try again."))?;
                webhook =
                    json!({"id": id, "repo": repo, "deleted": deleted, "already_gone": !deleted});
                if deleted {
                    say(
                        io,
                        format!("Deleted webhook {} on {}.", clean(id), clean(repo)),
                    );
                } else {
                    say(
                        io,
                        format!("Webhook {} on {} was already gone.", clean(id), clean(repo)),
                    );
                }
            }
            _ => say(
                io,
                format!(
                    "Connection `{}` has no saved webhook: nothing to delete.",
                    clean(name)
                ),
            ),
        }
    }
    let mut key = serde_json::Value::Null;
    if delete_key {
        let (conn, creds) = credentials_of(store, name)?;
        match (&conn.ssh, &conn.repo) {
            (Some(route), Some(repo)) => {
                let client = Client::new(creds, endpoints, engine::options_for(&conn))?;
                // Kept on failure, as for the webhook: it records which key to delete.
                // An admin's key of unknown id is found by its public key.
                let public = store.ssh_public_key(name).ok().flatten();
                let deleted = engine::ssh::delete_key(&client, repo, route, public.as_deref())
                    .await
                    .map_err(|p| p.with_note("The connection was kept, so you can try again."))?;
                let id = &route.key_id;
                key = json!({"id": id, "repo": repo, "deleted": deleted, "already_gone": !deleted});
                let id = clean(id.as_deref().unwrap_or("(id unknown)"));
                say(
                    io,
                    if deleted {
                        format!("Deleted SSH key {id} on {}.", clean(repo))
                    } else {
                        format!("SSH key {id} on {} was already gone.", clean(repo))
                    },
                );
            }
            _ => say(
                io,
                format!(
                    "Connection `{}` has no SSH key: nothing to delete.",
                    clean(name)
                ),
            ),
        }
    }
    store.remove(name).map_err(Problem::from)?;
    say(
        io,
        format!("Removed connection `{}` and its secret.", clean(name)),
    );
    if as_json {
        outln!(
            io,
            "{}",
            json!({"ok": true, "name": name, "removed": true, "webhook": webhook, "ssh_key": key})
        );
    }
    Ok(())
}
