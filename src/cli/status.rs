//! `bbconnect status`: every saved connection in one line each, with a fast check (who the
//! credential signs in as, and whether it still has the permissions the connection needs),
//! like `gh auth status`. Exits with the worst check's code, so scripts can gate on it.

use crate::outln;
use clap::Args;
use serde_json::json;

use super::{Ctx, Io, credentials_of, fresh_credentials, report_json, table};
use crate::bitbucket::{ClientOptions, Endpoints};
use crate::core::model::{CheckReport, CheckStatus, FailureClass, Problem};
use crate::core::sanitize::clean;
use crate::engine;
use crate::store::{SavedConnection, Store};

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long)]
    pub json: bool,
}

/// One connection's result.
struct Row {
    conn: SavedConnection,
    report: CheckReport,
}

/// `bbconnect status`.
pub async fn run(ctx: &mut Ctx, args: StatusArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    status(&mut ctx.io, store, &ctx.settings.endpoints, &args).await
}

async fn status(
    io: &mut Io,
    store: &Store,
    endpoints: &Endpoints,
    args: &StatusArgs,
) -> Result<(), Problem> {
    let conns = store.list().map_err(Problem::from)?;
    if conns.is_empty() {
        if args.json {
            outln!(io, "[]");
        } else {
            outln!(
                io,
                "No saved connections in {}. Run `bbconnect` to add one.",
                store.config_file().display()
            );
        }
        return Ok(());
    }
    // The connections are checked at once: status is the quick look, not a queue.
    let rows = futures::future::join_all(
        conns
            .into_iter()
            .map(|conn| check_one(store, endpoints, conn)),
    )
    .await;
    let worst = rows.iter().fold(None, |w, r| {
        FailureClass::worse(w, r.report.failure_class())
    });
    let today = engine::today();
    let expiry = |conn: &SavedConnection| {
        engine::expiry::standing(conn, today, crate::core::expiry::DEFAULT_WARN_DAYS)
    };
    if args.json {
        let out: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "name": r.conn.name,
                    "provider": r.conn.provider.cli_name(),
                    "auth": r.conn.auth.cli_name(),
                    "url": r.conn.url,
                    "user": r.report.identity.as_ref().map(|i| i.username.clone()).or_else(|| r.conn.user.clone()),
                    "repo": r.conn.repo,
                    "expires_at": r.conn.expires_on.map(|d| d.to_string()),
                    "days_left": expiry(&r.conn).days_left(),
                    "ok": r.report.passed(),
                    "exit_code": r.report.exit_code(),
                    "checks": report_json(&r.report),
                })
            })
            .collect();
        outln!(io, "{}", serde_json::Value::Array(out));
    } else {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let mut cells = line(r);
                // Before RESULT, which may be long.
                cells.insert(cells.len() - 1, expiry(&r.conn).text());
                cells
            })
            .collect();
        io.out_fmt(format_args!(
            "{}",
            table(
                &[
                    "",
                    "NAME",
                    "PRODUCT",
                    "USER",
                    "HOST",
                    "REPOSITORY",
                    "EXPIRES",
                    "RESULT"
                ],
                &cells
            )
            .lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect::<String>()
        ));
    }
    match worst {
        None => Ok(()),
        Some(class) => Err(Problem::new(
            class,
            "Some connections failed their check.",
            "`bbconnect check NAME` shows the details and what to do.",
        )),
    }
}

async fn check_one(store: &Store, endpoints: &Endpoints, conn: SavedConnection) -> Row {
    let options = ClientOptions::default();
    let report = match credentials_of(store, &conn.name) {
        Err(problem) => engine::report_from_problem(&Problem::new(
            FailureClass::Other,
            format!("{} {}", problem.what, problem.fix),
            "Run `bbconnect connect --replace` to save the secret again.",
        )),
        Ok((saved, creds)) => match fresh_credentials(store, saved, creds, &options).await {
            Ok(creds) => {
                let report = engine::check(creds, endpoints, options, None).await;
                // Kept with the connection for the wizard's list; a failure to write it down
                // does not change what status reports.
                let last = engine::last_check_of(&report, engine::now_rfc3339());
                if let Err(e) = store.record_check(&conn.name, last) {
                    tracing::warn!(connection = %conn.name, error = %e, "last check not recorded");
                }
                report
            }
            Err(problem) => engine::report_from_problem(&problem),
        },
    };
    Row { conn, report }
}

/// `✓ dc  server  alice  bitbucket.example.com  WEB/api  ok` in the table's columns.
fn line(r: &Row) -> Vec<String> {
    let user = r
        .report
        .identity
        .as_ref()
        .map(|i| i.username.clone())
        .or_else(|| r.conn.user.clone())
        .unwrap_or_else(|| "-".into());
    let host = url::Url::parse(&r.conn.url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_string(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| r.conn.url.clone());
    let failed = r
        .report
        .items
        .iter()
        .find(|i| i.status == CheckStatus::Failed);
    let (mark, result) = match failed {
        Some(item) => (
            "✗",
            format!("{}: {}", clean(&item.title), clean(&item.detail)),
        ),
        None if r
            .report
            .items
            .iter()
            .any(|i| i.status == CheckStatus::Warning) =>
        {
            (
                "!",
                "ok, with a warning (`bbconnect check` for details)".to_string(),
            )
        }
        None => ("✓", "ok".to_string()),
    };
    vec![
        mark.to_string(),
        clean(&r.conn.name),
        r.conn.provider.cli_name().to_string(),
        clean(&user),
        clean(&host),
        clean(r.conn.repo.as_deref().unwrap_or("-")),
        result,
    ]
}
