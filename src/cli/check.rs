//! `bbconnect check`: every check again on saved connections.

use clap::Args;
use serde_json::json;

use super::{
    Ctx, Io, credentials_of, fresh_credentials, limits_setting, print_report, report_json, usage,
};
use crate::bitbucket::{Client, ClientOptions, Endpoints};
use crate::core::model::{FailureClass, Problem};
use crate::engine;
use crate::outln;
use crate::settings::Settings;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct CheckArgs {
    pub names: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

/// `bbconnect check`.
pub async fn run(ctx: &mut Ctx, args: CheckArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let settings = &ctx.settings;
    check(
        &mut ctx.io,
        settings,
        store,
        &settings.endpoints,
        args.names,
        args.json,
    )
    .await
}

/// `bbconnect check`: exits with the code of the worst result.
pub async fn check(
    io: &mut Io,
    settings: &Settings,
    store: &Store,
    endpoints: &Endpoints,
    names: Vec<String>,
    as_json: bool,
) -> Result<(), Problem> {
    let names = if names.is_empty() {
        store
            .list()
            .map_err(Problem::from)?
            .into_iter()
            .map(|c| c.name)
            .collect()
    } else {
        names
    };
    if names.is_empty() {
        return Err(usage(
            "No saved connections to check.",
            "Add one with `bbconnect` or `bbconnect connect`.",
        ));
    }
    // Every name is looked up before any check runs: a typo is reported at once, not after
    // minutes of checking the others.
    let mut found = Vec::new();
    for name in &names {
        found.push(credentials_of(store, name)?);
    }
    let mut worst: Option<FailureClass> = None;
    let mut out = Vec::new();
    let limits = limits_setting(settings)?;
    for (name, (conn, creds)) in names.iter().zip(found) {
        let options = ClientOptions {
            limits,
            sequential_check: settings.sequential_check,
            ..engine::options_for(&conn)
        };
        let creds = match fresh_credentials(store, conn.clone(), creds, &options).await {
            Ok(creds) => creds,
            Err(problem) => {
                let report = engine::report_from_problem(&problem);
                let code = report.exit_code();
                worst = FailureClass::worse(worst, report.failure_class());
                if as_json {
                    out.push(json!({"name": name, "ok": false, "exit_code": code, "checks": report_json(&report)}));
                } else {
                    print_report(&mut *io.out, &report, name);
                }
                continue;
            }
        };
        let mut report = engine::check(creds.clone(), endpoints, options.clone(), None).await;
        // A hook deleted or switched off behind our back means CI silently stops building.
        if let (Some(id), Some(repo)) = (&conn.webhook_id, &conn.repo)
            && let Ok(client) = Client::new(creds.clone(), endpoints, options.clone())
        {
            // Saved when connect made or kept the hook: the last time bbconnect surely saw it.
            report.items.push(
                client
                    .webhook_row_seen(repo, id, Some(&conn.saved_at))
                    .await,
            );
            if let Some(url) = &conn.webhook_url {
                report
                    .items
                    .push(client.delivery_row(repo, Some(id), url).await);
            }
        }
        // A key deleted behind our back, or a host key that changed, stops git over SSH.
        if conn.ssh.is_some()
            && let Ok(client) = Client::new(creds.clone(), endpoints, options.clone())
        {
            report
                .items
                .extend(engine::ssh::check_rows(&client, &conn).await);
        }
        let code = report.exit_code();
        worst = FailureClass::worse(worst, report.failure_class());
        if as_json {
            out.push(json!({"name": name, "ok": report.passed(), "exit_code": code, "checks": report_json(&report)}));
        } else {
            print_report(&mut *io.out, &report, name);
        }
    }
    if as_json {
        outln!(io, "{}", serde_json::Value::Array(out));
    }
    match worst {
        None => Ok(()),
        Some(class) => Err(Problem::new(
            class,
            "Some checks failed.",
            "Do what each failed check says, then run `bbconnect check` again.",
        )),
    }
}
