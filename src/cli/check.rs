//! `bbconnect check`: every check again on saved connections.

use clap::Args;
use secrecy::ExposeSecret;
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
    let warn_days = settings.expiry_warn_days()?;
    let today = engine::today();
    for (name, (conn, creds)) in names.iter().zip(found) {
        let options = ClientOptions {
            limits,
            sequential_check: settings.sequential_check,
            ..engine::options_for(&conn)
        };
        // Read before a refresh replaces it: an OAuth grant tells when its access token ends.
        let stored_secret = creds.secret.clone();
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
        let client = Client::new(creds.clone(), endpoints, options.clone()).ok();
        // An expiry nobody typed may be on DC's token list: asked beside the check (no round
        // trip added), and kept once read.
        let user = conn.user.as_deref().or(conn.username.as_deref());
        let (mut report, read) = tokio::join!(
            engine::check(creds.clone(), endpoints, options.clone(), None),
            async {
                match &client {
                    Some(client) if conn.expires_on.is_none() => {
                        engine::expiry::to_save(client, None, user).await
                    }
                    _ => None,
                }
            }
        );
        if let Some(day) = read
            && report.passed()
            && let Err(e) = store.record_expiry(name, day)
        {
            tracing::warn!(connection = %name, error = %e, "expiry read but not recorded");
        }
        report.items.push(engine::expiry::row(
            &conn,
            Some(stored_secret.expose_secret()),
            read,
            today,
            warn_days,
        ));
        // A hook deleted or switched off behind our back means CI silently stops building.
        if let (Some(id), Some(repo)) = (&conn.webhook_id, &conn.repo)
            && let Some(client) = &client
        {
            report.items.push(client.webhook_row(repo, id).await);
            if let Some(url) = &conn.webhook_url {
                report
                    .items
                    .push(client.delivery_row(repo, Some(id), url).await);
            }
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
