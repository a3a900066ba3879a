//! `bbconnect list`: the saved connections, never a secret.

use serde_json::json;

use clap::Args;

use super::{Ctx, table, trust};
use crate::core::model::Problem;
use crate::core::sanitize::clean;
use crate::engine;
use crate::outln;
use crate::store::SavedConnection;

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub json: bool,
}

fn connection_json(c: &SavedConnection) -> serde_json::Value {
    json!({
        "name": c.name,
        "provider": c.provider.cli_name(),
        "auth": c.auth.cli_name(),
        "url": c.url,
        "username": c.username,
        "user": c.user,
        "repo": c.repo,
        "clone_https": c.clone_https,
        "clone_ssh": c.clone_ssh,
        "webhook_id": c.webhook_id,
        "webhook_url": c.webhook_url,
        "secret_store": c.secret_store,
        "saved_at": c.saved_at,
        "tls": c.tls,
        "expires_at": c.expires_on.map(|d| d.to_string()),
    })
}

/// `bbconnect list`.
pub fn run(ctx: &mut Ctx, args: ListArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let io = &mut ctx.io;
    let as_json = args.json;
    let conns = store.list().map_err(Problem::from)?;
    if as_json {
        outln!(
            io,
            "{}",
            serde_json::Value::Array(conns.iter().map(connection_json).collect())
        );
        return Ok(());
    }
    if conns.is_empty() {
        outln!(
            io,
            "No saved connections in {}. Run `bbconnect` to add one.",
            store.config_file().display()
        );
        return Ok(());
    }
    let today = engine::today();
    let rows: Vec<Vec<String>> = conns
        .iter()
        .map(|c| {
            vec![
                clean(&c.name),
                c.provider.cli_name().to_string(),
                c.auth.cli_name().to_string(),
                clean(&c.url),
                clean(c.user.as_deref().or(c.username.as_deref()).unwrap_or("-")),
                clean(c.repo.as_deref().unwrap_or("-")),
                c.secret_store.to_string(),
                engine::expiry::standing(c, today, crate::core::expiry::DEFAULT_WARN_DAYS).text(),
                match trust::list_suffix(c).trim() {
                    "" => "-".to_string(),
                    t => t.to_string(),
                },
            ]
        })
        .collect();
    let header = [
        "NAME",
        "PRODUCT",
        "AUTH",
        "URL",
        "USER",
        "REPOSITORY",
        "SECRET",
        "EXPIRES",
        "TRUST",
    ];
    outln!(io, "{}", table(&header, &rows).trim_end_matches('\n'));
    Ok(())
}
