//! `bbconnect check`: every check again on saved connections, through the one re-check
//! (`engine::recheck`) that `status` and the wizard run too, with the delivery test.

use clap::Args;
use serde_json::json;

use super::{Ctx, limits_setting, print_report, report_json};
use crate::bitbucket::ClientOptions;
use crate::core::model::{FailureClass, Problem};
use crate::core::sanitize::clean;
use crate::engine;
use crate::engine::recheck::Recheck;
use crate::outln;

#[derive(Debug, Args)]
#[command(after_help = super::CHECK_EXIT_CODES)]
pub struct CheckArgs {
    /// The connections to check; all of them when none is named.
    pub names: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

/// `bbconnect check`: fails with the class (and so the exit code) of the worst result.
pub async fn run(ctx: &mut Ctx, args: CheckArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let names = if args.names.is_empty() {
        store
            .list()
            .map_err(Problem::from)?
            .into_iter()
            .map(|c| c.name)
            .collect()
    } else {
        args.names
    };
    if names.is_empty() {
        return Err(Problem::input(
            "No saved connections to check.",
            "Add one with `bbconnect` or `bbconnect connect`.",
        ));
    }
    // Every name is looked up before any check runs: a typo is reported at once, not after
    // minutes of checking the others.
    for name in &names {
        if store.get(name).map_err(Problem::from)?.is_none() {
            return Err(Problem::input(
                format!("No saved connection named `{}`.", clean(name)),
                "Run `bbconnect list` to see the saved ones.",
            ));
        }
    }
    let limits = limits_setting(&ctx.settings)?;
    let how = Recheck::at_system_time(
        ClientOptions {
            limits,
            sequential_check: ctx.settings.sequential_check,
            ..ClientOptions::default()
        },
        true,
    )
    .warning_days_ahead(ctx.settings.expiry_warn_days()?);
    let io = &mut ctx.io;
    let mut worst: Option<FailureClass> = None;
    let mut out = Vec::new();
    for name in &names {
        let report =
            match engine::recheck::recheck(store, &ctx.settings.endpoints, name, &how).await {
                Ok(done) => done.report,
                Err(problem) => engine::report_from_problem(&problem),
            };
        worst = FailureClass::worse(worst, report.failure_class());
        if args.json {
            out.push(json!({"name": name, "ok": report.passed(), "exit_code": report.exit_code(), "checks": report_json(&report)}));
        } else {
            print_report(&mut *io.out, &report, name);
        }
    }
    if args.json {
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
