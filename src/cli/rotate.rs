//! `bbconnect rotate NAME`: a new secret on a saved connection, everything else kept.

use std::io::Read;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::connect::AuthArg;
use super::{Ctx, expires_arg, limits_setting, print_report, report_json};
use crate::bitbucket::ClientOptions;
use crate::core::model::{AuthKind, FailureClass, Problem};
use crate::core::sanitize::clean;
use crate::core::validate;
use crate::engine;
use crate::engine::rotate::{self as flow, RotateError, RotateRequest};
use crate::settings::Settings;
use crate::{errln, outln};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  printenv NEW_TOKEN | bbconnect rotate ci --token-stdin --expires 2027-06-30
  printenv NEW_TOKEN | bbconnect rotate ci --token-stdin --auth api-token --email you@example.com
                       (an app password becomes an API token)

Kept: the repository, the webhook (id, URL and secret), the trust and the git set-up; the expiry
too unless --expires gives the new one. Another user (or repository) is refused with exit 3 and
nothing changes. The old secret leaves the keychain or file; revoke it on the page printed.
Once the webhook exists, a read-only credential is accepted (least privilege): `check` then
warns that the webhook cannot be verified with read access, and exits 0.")]
pub struct RotateArgs {
    /// The saved connection to put the new secret on.
    pub name: String,
    /// A new credential type within the same product: app-password -> api-token (give
    /// --email), http-token-user -> http-token-repo.
    #[arg(long, value_enum)]
    pub auth: Option<AuthArg>,
    /// The Atlassian account email the new API token signs in with.
    #[arg(long, conflicts_with = "username")]
    pub email: Option<String>,
    /// The username the new credential signs in with.
    #[arg(long)]
    pub username: Option<String>,
    /// The day the new credential stops working (YYYY-MM-DD), as Bitbucket showed it.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<String>,
    /// Read the new secret from standard input (otherwise from BBCONNECT_TOKEN).
    #[arg(long)]
    pub token_stdin: bool,
    #[arg(long)]
    pub json: bool,
}

fn input(what: impl Into<String>, fix: impl Into<String>) -> Problem {
    Problem::new(FailureClass::Input, what, fix)
}

/// The new secret: stdin with --token-stdin, else BBCONNECT_TOKEN; never an argument.
fn new_secret(settings: &Settings, token_stdin: bool) -> Result<SecretString, Problem> {
    let raw = if token_stdin {
        let mut buf = String::new();
        std::io::stdin().read_to_string(&mut buf).map_err(|e| {
            input(
                format!("Could not read the new secret from standard input: {e}."),
                "Pipe the token in, e.g. `printenv NEW_TOKEN | bbconnect rotate NAME --token-stdin`.",
            )
        })?;
        SecretString::from(buf)
    } else {
        settings.token.clone().ok_or_else(|| {
            input(
                "No new secret given.",
                "Set BBCONNECT_TOKEN or pipe it with --token-stdin (never as an argument).",
            )
        })?
    };
    let trimmed = raw
        .expose_secret()
        .trim_end_matches(['\n', '\r'])
        .to_string();
    validate::secret(&trimmed, "token").map_err(|msg| {
        input(
            format!("The new secret is not usable. {msg}"),
            "Pass the token exactly as Bitbucket showed it.",
        )
    })?;
    Ok(SecretString::from(trimmed))
}

/// `bbconnect rotate`.
pub async fn run(ctx: &mut Ctx, args: RotateArgs) -> Result<(), Problem> {
    let auth = args.auth.map(AuthKind::from);
    if auth == Some(AuthKind::OAuth) {
        return Err(input(
            "An OAuth connection is not rotated with a token: it signs in again in the browser.",
            format!(
                "Run `bbconnect connect --replace --provider cloud --auth oauth --name {}`: the saved repository and webhook are kept.",
                clean(&args.name)
            ),
        ));
    }
    let expires_on = expires_arg(args.expires.as_deref(), engine::today())?;
    let secret = new_secret(&ctx.settings, args.token_stdin)?;
    let limits = limits_setting(&ctx.settings)?;
    let options = ClientOptions {
        limits,
        sequential_check: ctx.settings.sequential_check,
        ..ClientOptions::default()
    };
    let endpoints = ctx.settings.endpoints.clone();
    let store = ctx.store.get()?;
    let request = RotateRequest {
        name: &args.name,
        secret,
        auth,
        username: args.email.clone().or_else(|| args.username.clone()),
        expires_on,
        endpoints: &endpoints,
        options,
    };
    let io = &mut ctx.io;
    match flow::rotate(request, store).await {
        Ok(done) => {
            if args.json {
                outln!(
                    io,
                    "{}",
                    json!({
                        "ok": true,
                        "name": done.after.name,
                        "auth": done.after.auth.cli_name(),
                        "previous_auth": done.before.auth.cli_name(),
                        "user": done.after.user,
                        "repo": done.after.repo,
                        "webhook_id": done.after.webhook_id,
                        "webhook_url": done.after.webhook_url,
                        "expires_on": done.after.expires_on.map(|d| d.to_string()),
                        "secret_location": done.info.secret_location,
                        "revoke_old_at": done.revoke_old,
                        "checks": report_json(&done.report),
                    })
                );
            } else {
                print_report(&mut *io.err, &done.report, &args.name);
                let change = if done.before.auth == done.after.auth {
                    String::new()
                } else {
                    format!(
                        " ({} -> {})",
                        done.before.auth.cli_name(),
                        done.after.auth.cli_name()
                    )
                };
                outln!(
                    io,
                    "Rotated the secret of `{}`{change}: {}. The repository, webhook, trust and git set-up are unchanged.",
                    clean(&done.after.name),
                    done.info.secret_location
                );
                if let Some(date) = done.after.expires_on {
                    outln!(io, "The new credential expires on {date}.");
                }
                outln!(io, "Revoke the old secret now: {}", clean(&done.revoke_old));
            }
            Ok(())
        }
        Err(err) => {
            if let (
                true,
                RotateError::ChecksFailed(report) | RotateError::OtherIdentity { report, .. },
            ) = (args.json, &err)
            {
                outln!(
                    io,
                    "{}",
                    json!({"ok": false, "name": args.name, "error": err.problem(), "checks": report_json(report)})
                );
            } else if let RotateError::ChecksFailed(report) = &err {
                print_report(&mut *io.err, report, &args.name);
            }
            errln!(io, "bbconnect: the saved connection was not changed.");
            Err(err.problem())
        }
    }
}
