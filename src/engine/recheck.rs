//! The one re-check of a saved connection, run by `check`, `status` and the wizard's re-check
//! alike: the connection's own trust, the credential refreshed when it is OAuth, the same rows,
//! then what may have drifted since it was saved (the repository, our webhook), and the outcome
//! recorded with the connection. Time comes in as a parameter; the verdicts are pure.

use secrecy::ExposeSecret;

use crate::bitbucket::{Client, ClientOptions, Endpoints};
use crate::core::expiry::Standing;
use crate::core::model::{
    AuthKind, CheckId, CheckItem, CheckReport, CheckStatus, FailureClass, LastCheck, Problem,
    Provider, Webhook,
};
use crate::core::sanitize::clean;
use crate::store::{SavedConnection, Store};

/// The day Bitbucket Cloud turned app passwords off (docs/bitbucket.md, "Credential lifetimes").
pub const APP_PASSWORDS_OFF: &str = "2026-07-28";

/// How one re-check runs.
#[derive(Debug, Clone)]
pub struct Recheck {
    /// The client options of the face (limits, concurrency); the connection's trust is added.
    pub base: ClientOptions,
    /// Ask the server to send a test request to the saved webhook URL (DC). `check` does;
    /// `status` does not: a cron job run every few minutes must not fire requests at the CI.
    pub delivery_test: bool,
    /// Today, for the dates a connection carries (its expiry).
    pub today: jiff::civil::Date,
    /// Now, in seconds since the epoch: OAuth expiry and the time recorded with the check.
    pub now: u64,
    /// Warn of the expiry this many days ahead.
    pub warn_days: i64,
}

impl Recheck {
    /// A re-check at the system clock's time.
    pub fn at_system_time(base: ClientOptions, delivery_test: bool) -> Recheck {
        let now = jiff::Timestamp::now();
        Recheck {
            base,
            delivery_test,
            today: now.to_zoned(jiff::tz::TimeZone::UTC).date(),
            now: u64::try_from(now.as_second()).unwrap_or(0),
            warn_days: crate::core::expiry::DEFAULT_WARN_DAYS,
        }
    }

    /// The same, warning of the expiry `days` ahead.
    pub fn warning_days_ahead(self, days: i64) -> Recheck {
        Recheck {
            warn_days: days,
            ..self
        }
    }
}

/// What a re-check found.
#[derive(Debug, Clone)]
pub struct Rechecked {
    /// The connection as it was read before the check.
    pub conn: SavedConnection,
    pub report: CheckReport,
    /// What was recorded with the connection.
    pub last: LastCheck,
    /// The day the credential stops working: the saved one, else what DC's token list said.
    pub expires_on: Option<jiff::civil::Date>,
    /// Where that day stands on `Recheck::today`.
    pub expiry: Standing,
}

/// Re-checks saved connection `name`. `Err` only when it cannot be read (gone, or its secret
/// missing); everything the server says is a row of the report.
pub async fn recheck(
    store: &Store,
    endpoints: &Endpoints,
    name: &str,
    how: &Recheck,
) -> Result<Rechecked, Problem> {
    let conn = store
        .get(name)
        .map_err(Problem::from)?
        .ok_or_else(|| not_saved(name))?;
    let options = super::options_with(&conn, &how.base);
    let fresh = super::oauth::fresh_credentials(store, name, &options, how.now).await;
    // An access token the server ends before its recorded expiry is renewed and the request
    // asked again, once.
    let options = super::oauth::renewing(options, store, name);
    // The OAuth grant as now stored (renewed or not) tells when its access token ends.
    let grant = match conn.auth {
        AuthKind::OAuth => store.secret(name).ok(),
        AuthKind::ApiToken
        | AuthKind::RepoToken
        | AuthKind::AppPassword
        | AuthKind::HttpTokenUser
        | AuthKind::HttpTokenRepo => None,
    };
    let mut read = None;
    let mut report = match fresh {
        Ok(creds) => match Client::new(creds, endpoints, options) {
            Ok(client) => {
                // The saved repository and hook, and an expiry nobody recorded (DC's token
                // list), are read while the check runs: they need no answer of it, and a
                // cron job's re-check costs no extra round trip.
                let user = conn.user.as_deref().or(conn.username.as_deref());
                let (checked, found, listed) = tokio::join!(
                    super::connect::check(&client, None, None),
                    saved_parts(&client, &conn),
                    async {
                        match (conn.expires_on, user) {
                            (None, Some(user)) => {
                                super::expiry::to_save(&client, None, Some(user)).await
                            }
                            _ => None,
                        }
                    }
                );
                let mut report = checked.report;
                drift_rows(&client, &conn, found, how.delivery_test, &mut report).await;
                // A key deleted behind our back, or a host key that changed, stops git over SSH.
                report
                    .items
                    .extend(super::ssh::check_rows(&client, store, &conn).await);
                read = listed;
                report
            }
            Err(problem) => super::report_from_problem(&problem),
        },
        Err(problem) => super::report_from_problem(&problem),
    };
    // Kept only from a credential the server accepted: a refused one proves nothing.
    if let Some(day) = read
        && report.passed()
        && let Err(e) = store.record_expiry(name, day)
    {
        tracing::warn!(connection = %name, error = %e, "expiry read but not recorded");
    }
    let expires_on = conn.expires_on.or(read);
    let expiry = crate::core::expiry::standing(how.today, expires_on, conn.auth, how.warn_days);
    reword_rejection(&conn, &mut report);
    // From one place for check, status and the wizard, so all three warn of the same date;
    // after the rewording, which speaks of a refusal by the server, not of a date.
    report.items.push(super::expiry::row(
        &conn,
        grant.as_ref().map(|g| g.expose_secret()),
        read,
        how.today,
        how.warn_days,
    ));
    let last = LastCheck::after(
        &report,
        super::rfc3339_utc(
            i64::try_from(how.now)
                .ok()
                .and_then(|secs| jiff::Timestamp::from_second(secs).ok())
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        ),
        conn.last_check.as_ref(),
    );
    // The outcome is shown even when it cannot be written down.
    if let Err(e) = store.record_check(name, last.clone()) {
        tracing::warn!(connection = %name, error = %e, "last check not recorded");
    }
    Ok(Rechecked {
        conn,
        report,
        last,
        expires_on,
        expiry,
    })
}

fn not_saved(name: &str) -> Problem {
    Problem::input(
        format!(
            "No saved connection named `{}`.",
            crate::core::sanitize::clean(name)
        ),
        "Run `bbconnect list` to see the saved ones.",
    )
}

/// What the server says of the saved repository and hook, each `None` when not saved.
struct Found {
    repo: Option<Result<Option<String>, Problem>>,
    hook: Option<Result<Option<Webhook>, Problem>>,
}

async fn saved_parts(client: &Client, conn: &SavedConnection) -> Found {
    let Some(repo) = &conn.repo else {
        return Found {
            repo: None,
            hook: None,
        };
    };
    let hook = async {
        match &conn.webhook_id {
            Some(id) => Some(client.find_webhook(repo, id).await),
            None => None,
        }
    };
    let (repo, hook) = tokio::join!(client.saved_repo(repo), hook);
    Found {
        repo: Some(repo),
        hook,
    }
}

/// The rows of what may have changed on the server since the connection was saved: its
/// repository, then our webhook on it, then (when asked) a test delivery to the saved URL.
/// None when the credential itself failed: every answer would have been a refusal.
async fn drift_rows(
    client: &Client,
    conn: &SavedConnection,
    found: Found,
    delivery_test: bool,
    report: &mut CheckReport,
) {
    if !report.passed() {
        return;
    }
    let (Some(repo), Some(repo_found)) = (&conn.repo, found.repo) else {
        return;
    };
    let row = repository_row(conn, repo, repo_found);
    let repo_in_place = row.status == CheckStatus::Passed;
    report.items.push(row);
    // A hook cannot be on a repository that is gone: its absence says nothing more.
    if !repo_in_place {
        return;
    }
    let (Some(id), Some(hook_found)) = (&conn.webhook_id, found.hook) else {
        return;
    };
    let row = webhook_row(
        id,
        conn.webhook_url.as_deref(),
        hook_found,
        webhook_seen(conn),
    );
    let hook_in_place = row.status == CheckStatus::Passed;
    report.items.push(row);
    // A test of the saved URL says nothing when the hook now points elsewhere or is off.
    if let (true, true, Some(url)) = (delivery_test, hook_in_place, &conn.webhook_url) {
        report
            .items
            .push(client.delivery_row(repo, Some(id), url).await);
    }
}

/// The row for the saved repository, from what the server said about its saved name. Pure.
pub fn repository_row(
    conn: &SavedConnection,
    saved: &str,
    found: Result<Option<String>, Problem>,
) -> CheckItem {
    let pick_again = format!(
        "Pick it again: `bbconnect connect {} --replace --repo {}` with its new name, or the wizard's saved list.",
        clean(&conn.name),
        match conn.provider {
            Provider::Cloud => "WORKSPACE/SLUG",
            Provider::Server => "PROJECTKEY/SLUG",
        }
    );
    match found {
        Ok(Some(now)) if now.eq_ignore_ascii_case(saved) => CheckItem::passed(
            CheckId::Repository,
            format!("Repository {} is in place.", clean(saved)),
        ),
        // A server that follows a rename to the new name says so.
        Ok(Some(now)) => CheckItem::failed(
            CheckId::Repository,
            FailureClass::Permission,
            format!(
                "Repository {} was renamed or moved: it is now {}; clones and the webhook still use the old name.",
                clean(saved),
                clean(&now)
            ),
            pick_again,
        ),
        Ok(None) => CheckItem::failed(
            CheckId::Repository,
            FailureClass::Permission,
            format!(
                "Repository {} is no longer there: it was renamed, moved or deleted, or this credential lost access to it.",
                clean(saved)
            ),
            pick_again,
        ),
        Err(p) => CheckItem::warning(CheckId::Repository, p.what, p.fix),
    }
}

/// When the saved webhook was last seen in place: by a check, else by the save that made or
/// kept it.
fn webhook_seen(conn: &SavedConnection) -> &str {
    conn.last_check
        .as_ref()
        .and_then(|l| l.webhook_seen_at.as_deref())
        .unwrap_or(&conn.saved_at)
}

/// The row for our saved webhook: any change that means the CI no longer hears of pushes is a
/// failure, and a hook pointing elsewhere names where, since someone else may be receiving
/// the pushes. One the credential may not read (lowered to read access) is a warning saying
/// when it was `last_seen`. Pure.
pub fn webhook_row(
    id: &str,
    saved_url: Option<&str>,
    found: Result<Option<Webhook>, Problem>,
    last_seen: &str,
) -> CheckItem {
    let fix = "Run `bbconnect connect NAME --replace --webhook-url URL` to put the hook back as saved, or fix it in the repository's webhook settings.";
    match found {
        Ok(Some(h))
            if saved_url.is_some_and(|u| !crate::bitbucket::webhooks::same_url(u, &h.url)) =>
        {
            CheckItem::failed(
                CheckId::Webhook,
                FailureClass::Other,
                format!(
                    "Webhook {} now points at {}, not at the saved {}: pushes go there, and the CI hears of none.",
                    clean(&h.id),
                    clean(&h.url),
                    clean(saved_url.unwrap_or_default())
                ),
                fix,
            )
        }
        Ok(Some(h)) if !h.active => CheckItem::failed(
            CheckId::Webhook,
            FailureClass::Other,
            format!(
                "Webhook {} is switched off ({}): the CI hears of no push.",
                clean(&h.id),
                clean(&h.url)
            ),
            "Switch it on in the repository's webhook settings, or run `bbconnect connect NAME --replace --webhook-url URL`.",
        ),
        other => crate::bitbucket::webhooks::webhook_row_seen(id, other, Some(last_seen)),
    }
}

/// A rejected credential of a connection that worked is told for what it is: app passwords
/// were turned off; a credential that passed its last check was revoked or expired. Either
/// way the fix is `rotate`, not the day-one advice about which username or email to use.
/// Pure.
pub fn reword_rejection(conn: &SavedConnection, report: &mut CheckReport) {
    let Some(item) = report
        .items
        .iter_mut()
        .find(|i| i.status == CheckStatus::Failed && i.class == Some(FailureClass::Rejected))
    else {
        return;
    };
    if conn.auth == AuthKind::AppPassword {
        item.detail = app_password_off(conn);
        item.fix = Some(migrate_line(conn));
    } else if conn
        .last_check
        .as_ref()
        .is_some_and(|l| l.accepted_since().is_some())
    {
        item.detail = format!(
            "The credential of `{}` passed its last check and is now refused: it was revoked or has expired.",
            clean(&conn.name)
        );
        item.fix = Some(format!(
            "Make a new one and put it in with `bbconnect rotate {}` (the secret on stdin or in BBCONNECT_TOKEN).",
            clean(&conn.name)
        ));
    }
}

/// Why an app-password connection no longer signs in.
pub fn app_password_off(conn: &SavedConnection) -> String {
    format!(
        "`{}` uses an app password, and Bitbucket Cloud turned app passwords off on {APP_PASSWORDS_OFF}.",
        clean(&conn.name)
    )
}

/// The command that moves an app-password connection to an API token.
pub fn migrate_line(conn: &SavedConnection) -> String {
    let email = conn
        .username
        .as_deref()
        .filter(|u| u.contains('@'))
        .map(clean)
        .unwrap_or_else(|| "EMAIL".into());
    format!(
        "Make an API token at https://id.atlassian.com/manage-profile/security/api-tokens, then run `bbconnect rotate {} --auth api-token --email {email}` (EMAIL: your Atlassian account email; the token on stdin or in BBCONNECT_TOKEN).",
        clean(&conn.name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(auth: AuthKind, last_ok: Option<bool>) -> SavedConnection {
        SavedConnection {
            username: Some("alice".into()),
            user: Some("alice".into()),
            repo: Some("acme/api".into()),
            webhook_id: Some("{h}".into()),
            webhook_url: Some("https://ci.example/hook".into()),
            secret_store: "file".into(),
            saved_at: "2026-12-01T00:00:00Z".into(),
            last_check: last_ok.map(|ok| LastCheck {
                ok,
                at: "2026-12-01T00:00:00Z".into(),
                summary: String::new(),
                accepted_at: None,
                webhook_seen_at: None,
            }),
            ..SavedConnection::new("work", Provider::Cloud, auth, "https://bitbucket.org")
        }
    }

    fn c_last(ok: bool) -> Option<LastCheck> {
        conn(AuthKind::ApiToken, Some(ok)).last_check
    }

    fn rejected() -> CheckReport {
        CheckReport {
            items: vec![CheckItem::failed(
                CheckId::Credential,
                FailureClass::Rejected,
                "Bitbucket refused the credential.",
                "Use the Atlassian account email with an API token.",
            )],
            ..CheckReport::default()
        }
    }

    fn hook(url: &str, active: bool) -> Webhook {
        Webhook {
            id: "{h}".into(),
            url: url.into(),
            events: vec!["repo:push".into()],
            active,
        }
    }

    #[test]
    fn a_renamed_or_deleted_repository_fails_with_exit_4_and_how_to_pick_it_again() {
        let c = conn(AuthKind::ApiToken, Some(true));
        let gone = repository_row(&c, "acme/api", Ok(None));
        assert_eq!(gone.status, CheckStatus::Failed);
        assert_eq!(gone.class.map(FailureClass::exit_code), Some(4));
        assert!(gone.detail.contains("acme/api"), "{}", gone.detail);
        let fix = gone.fix.unwrap_or_default();
        assert!(
            fix.contains("bbconnect connect work --replace --repo"),
            "{fix}"
        );
        let moved = repository_row(&c, "acme/api", Ok(Some("acme/api-v2".into())));
        assert_eq!(moved.status, CheckStatus::Failed);
        assert!(moved.detail.contains("acme/api-v2"), "{}", moved.detail);
        let same = repository_row(&c, "acme/api", Ok(Some("ACME/api".into())));
        assert_eq!(same.status, CheckStatus::Passed);
    }

    #[test]
    fn a_hook_switched_off_or_pointing_elsewhere_fails_naming_the_url() {
        let saved = Some("https://ci.example/hook");
        let seen = "2026-12-01T00:00:00Z";
        let ok = webhook_row(
            "{h}",
            saved,
            Ok(Some(hook("https://ci.example/hook/", true))),
            seen,
        );
        assert_eq!(ok.status, CheckStatus::Passed);
        let off = webhook_row(
            "{h}",
            saved,
            Ok(Some(hook("https://ci.example/hook", false))),
            seen,
        );
        assert_eq!(off.status, CheckStatus::Failed);
        let elsewhere = webhook_row(
            "{h}",
            saved,
            Ok(Some(hook("https://evil.example/x", true))),
            seen,
        );
        assert_eq!(elsewhere.status, CheckStatus::Failed);
        assert!(
            elsewhere.detail.contains("https://evil.example/x"),
            "{}",
            elsewhere.detail
        );
        let gone = webhook_row("{h}", saved, Ok(None), seen);
        assert_eq!(gone.status, CheckStatus::Failed);
    }

    #[test]
    fn a_hook_the_credential_may_not_read_is_a_warning_saying_when_it_was_last_seen() {
        let refused = Problem::new(FailureClass::Permission, "needs admin", "x");
        let row = webhook_row("7", None, Err(refused), "2026-11-29T04:34:56Z");
        assert_eq!(row.status, CheckStatus::Warning);
        assert!(
            row.detail.contains("cannot be verified with read access")
                && row.detail.contains("last seen on 2026-11-29T04:34:56Z"),
            "{}",
            row.detail
        );
        // Last seen by a check, else by the save.
        let mut c = conn(AuthKind::HttpTokenUser, Some(true));
        assert_eq!(webhook_seen(&c), c.saved_at);
        let mut report = CheckReport::default();
        report
            .items
            .push(CheckItem::passed(CheckId::Webhook, "Webhook 7 is active."));
        let seen = LastCheck::after(&report, "2026-12-03T00:00:00Z".into(), None);
        // A check that could not read it keeps when it was seen.
        let later = LastCheck::after(
            &CheckReport::default(),
            "2026-12-04T00:00:00Z".into(),
            Some(&seen),
        );
        c.last_check = Some(later);
        assert_eq!(webhook_seen(&c), "2026-12-03T00:00:00Z");
    }

    #[test]
    fn a_rejected_app_password_is_told_the_date_and_the_migration_line() {
        let c = conn(AuthKind::AppPassword, Some(true));
        let mut r = rejected();
        reword_rejection(&c, &mut r);
        assert!(
            r.items[0]
                .detail
                .contains("turned app passwords off on 2026-07-28")
        );
        let fix = r.items[0].fix.clone().unwrap_or_default();
        assert!(
            fix.contains("bbconnect rotate work --auth api-token --email EMAIL"),
            "{fix}"
        );
        assert_eq!(r.exit_code(), 3);
    }

    #[test]
    fn a_credential_that_passed_before_is_revoked_not_wrong() {
        let mut r = rejected();
        reword_rejection(&conn(AuthKind::ApiToken, Some(true)), &mut r);
        assert!(r.items[0].detail.contains("revoked or has expired"));
        let fix = r.items[0].fix.clone().unwrap_or_default();
        assert!(fix.contains("bbconnect rotate work"), "{fix}");
        assert!(!fix.contains("email"), "{fix}");

        // Refused again: still revoked, not wrong, since it was accepted before.
        let first = LastCheck::after(&r, "2026-12-02T00:00:00Z".into(), c_last(true).as_ref());
        let mut c = conn(AuthKind::ApiToken, None);
        c.last_check = Some(first);
        let mut again = rejected();
        reword_rejection(&c, &mut again);
        assert!(again.items[0].detail.contains("revoked or has expired"));

        // Never checked, or failing before: the day-one advice stays.
        for last in [None, Some(false)] {
            let mut r = rejected();
            reword_rejection(&conn(AuthKind::ApiToken, last), &mut r);
            assert_eq!(r, rejected());
        }
    }
}
