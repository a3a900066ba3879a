//! `bbconnect status`: every saved connection in one line each, checked through the one
//! re-check (`engine::recheck`) that `check` and the wizard run: the same trust, rows,
//! repository and webhook checks, so a cron job sees what `check` sees. Only the delivery test
//! is left out: a job run every few minutes must not fire test requests at the CI. Exits with
//! the worst check's code, so scripts and cron can alert on it.

use crate::outln;
use clap::Args;
use serde_json::json;

use super::{Ctx, report_json, table};
use crate::bitbucket::ClientOptions;
use crate::core::expiry::{Standing, standing};
use crate::core::model::{AuthKind, CheckReport, CheckStatus, FailureClass, Problem};
use crate::core::sanitize::clean;
use crate::engine;
use crate::engine::recheck::Recheck;
use crate::store::SavedConnection;

#[derive(Debug, Args)]
#[command(after_help = super::CHECK_EXIT_CODES)]
pub struct StatusArgs {
    #[arg(long)]
    pub json: bool,
}

/// One connection's result.
struct Row {
    conn: SavedConnection,
    report: CheckReport,
    /// The credential's expiry as the re-check found it (saved, or read from DC's token list).
    expires_on: Option<jiff::civil::Date>,
    expiry: Standing,
}

pub async fn run(ctx: &mut Ctx, args: StatusArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let io = &mut ctx.io;
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
    let how = Recheck::at_system_time(ClientOptions::default(), false)
        .warning_days_ahead(ctx.settings.expiry_warn_days()?);
    let endpoints = &ctx.settings.endpoints;
    // The connections are checked at once: status is the quick look, not a queue.
    let rows = futures::future::join_all(conns.into_iter().map(|conn| {
        let how = &how;
        async move {
            match engine::recheck::recheck(store, endpoints, &conn.name, how).await {
                Ok(done) => Row {
                    conn,
                    report: done.report,
                    expires_on: done.expires_on,
                    expiry: done.expiry,
                },
                Err(problem) => Row {
                    report: engine::report_from_problem(&problem),
                    expires_on: conn.expires_on,
                    expiry: standing(how.today, conn.expires_on, conn.auth, how.warn_days),
                    conn,
                },
            }
        }
    }))
    .await;
    let worst = rows.iter().fold(None, |w, r| {
        FailureClass::worse(w, r.report.failure_class())
    });
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
                    "expires_at": r.expires_on.map(|d| d.to_string()),
                    "days_left": r.expiry.days_left(),
                    "ok": r.report.passed(),
                    "exit_code": r.report.exit_code(),
                    "app_password_off": r.conn.auth == AuthKind::AppPassword,
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
                cells.insert(cells.len() - 1, r.expiry.text());
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
        // What to do, under the table: the line a cron mail needs.
        for r in &rows {
            for fix in advice(r) {
                outln!(io, "  {}: {}", clean(&r.conn.name), clean(&fix));
            }
        }
    }
    match worst {
        None => Ok(()),
        Some(class) => Err(Problem::new(
            class,
            "Some connections failed their check.",
            "`bbconnect check NAME` shows the details.",
        )),
    }
}

/// The fix of the row that failed, and for every app-password connection the way off it.
fn advice(r: &Row) -> Vec<String> {
    let mut out: Vec<String> = r
        .report
        .items
        .iter()
        .filter(|i| i.status == CheckStatus::Failed)
        .filter_map(|i| i.fix.clone())
        .take(1)
        .collect();
    let migrate = engine::recheck::migrate_line(&r.conn);
    if r.conn.auth == AuthKind::AppPassword && !out.contains(&migrate) {
        out.push(migrate);
    }
    out
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
        // Marked even while an old mirror still accepts it: bitbucket.org no longer does.
        None if r.conn.auth == AuthKind::AppPassword => (
            "!",
            format!(
                "ok, but app passwords were turned off on bitbucket.org on {}",
                engine::recheck::APP_PASSWORDS_OFF
            ),
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
