//! When a saved credential stops working, and what to say about it: the one line `list`,
//! `status` and the wizard show, and the Expiry row of a check. Pure: "today" is an argument,
//! so the rules are tested with fixed dates.
//!
//! `expires_on` is the day the credential stops working (the connections file's contract):
//! on that day it is already expired. A date that is not known is "unknown", never guessed.

use jiff::civil::Date;

use super::check_id::CheckId;
use super::model::{AuthKind, CheckItem, FailureClass};

/// Warn this many days before the expiry unless `BBCONNECT_EXPIRY_WARN_DAYS` says otherwise.
pub const DEFAULT_WARN_DAYS: i64 = 14;

/// The longest a warning window may be: a window of years warns about every token forever.
pub const MAX_WARN_DAYS: i64 = 3650;

/// Reads `BBCONNECT_EXPIRY_WARN_DAYS` as given (trimmed): whole days, 0 to [`MAX_WARN_DAYS`].
pub fn parse_warn_days(text: &str) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(days) if (0..=MAX_WARN_DAYS).contains(&days) => Ok(days),
        _ => Err(format!(
            "BBCONNECT_EXPIRY_WARN_DAYS is {text:?}, not a number of days from 0 to {MAX_WARN_DAYS}"
        )),
    }
}

/// Reads a typed expiry date (`--expires`, the form's "Expires on"): `YYYY-MM-DD`, a real day,
/// after `today` (the recorded day is the first one it no longer works). Empty is `Ok(None)`: unknown.
pub fn parse_expires(text: &str, today: Date) -> Result<Option<Date>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let well_formed = text.len() == 10
        && text.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            _ => c.is_ascii_digit(),
        });
    if !well_formed {
        return Err(format!("{text:?} is not a date: write it as YYYY-MM-DD"));
    }
    let date: Date = text
        .parse()
        .map_err(|_| format!("{text} is not a day of the calendar"))?;
    if date <= today {
        return Err(format!(
            "{date} is not after today ({today}): a credential that has expired cannot be saved"
        ));
    }
    Ok(Some(date))
}

/// The UTC day of an instant given in milliseconds since the epoch, as DC's token list gives
/// `expiryDate`; None when out of range.
pub fn date_of_epoch_ms(ms: i64) -> Option<Date> {
    let at = jiff::Timestamp::from_millisecond(ms).ok()?;
    Some(at.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// Whole days from `today` to `on`: negative once the day has passed.
pub fn days_left(today: Date, on: Date) -> i64 {
    today
        .until(on)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or(0)
}

/// Where the credential's expiry stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// No date is known.
    Unknown,
    /// OAuth: the access token is renewed with the saved refresh token.
    Renews,
    /// Still works; `days_left` is more than the warning window.
    Valid { on: Date, days_left: i64 },
    /// Still works, within the warning window.
    Soon { on: Date, days_left: i64 },
    /// Stopped working on `on`; `days_left` is 0 or less (days since, negated).
    Expired { on: Date, days_left: i64 },
}

/// The standing of a connection with `auth` that stops working on `expires_on`.
pub fn standing(today: Date, expires_on: Option<Date>, auth: AuthKind, warn_days: i64) -> Standing {
    match auth {
        AuthKind::OAuth => return Standing::Renews,
        AuthKind::ApiToken
        | AuthKind::RepoToken
        | AuthKind::AppPassword
        | AuthKind::HttpTokenUser
        | AuthKind::HttpTokenRepo => {}
    }
    let Some(on) = expires_on else {
        return Standing::Unknown;
    };
    let days_left = days_left(today, on);
    if days_left <= 0 {
        Standing::Expired { on, days_left }
    } else if days_left <= warn_days {
        Standing::Soon { on, days_left }
    } else {
        Standing::Valid { on, days_left }
    }
}

impl Standing {
    /// Days until the credential stops working (0 or less once it has); None when unknown
    /// or renewing itself. For `status --json`.
    pub fn days_left(self) -> Option<i64> {
        match self {
            Standing::Valid { days_left, .. }
            | Standing::Soon { days_left, .. }
            | Standing::Expired { days_left, .. } => Some(days_left),
            Standing::Unknown | Standing::Renews => None,
        }
    }

    /// One line for `list`, `status` and the wizard: "expires 2027-01-10 (34 days)",
    /// "expired on 2026-12-01", "unknown", "renews itself".
    pub fn text(self) -> String {
        match self {
            Standing::Unknown => "unknown".into(),
            Standing::Renews => "renews itself".into(),
            Standing::Valid { on, days_left } | Standing::Soon { on, days_left } => {
                format!("expires {on} ({})", days(days_left))
            }
            Standing::Expired { on, .. } => format!("expired on {on}"),
        }
    }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// Where a new credential of this kind is made: `url` is the connection's (Cloud web or DC
/// base) URL, `repo` its saved repository (`ws/slug` or `KEY/slug`).
pub fn new_token_page(auth: AuthKind, url: &str, repo: Option<&str>) -> String {
    let base = url.trim().trim_end_matches('/');
    match auth {
        AuthKind::ApiToken | AuthKind::AppPassword => {
            "https://id.atlassian.com/manage-profile/security/api-tokens".into()
        }
        AuthKind::OAuth => "your workspace settings > OAuth consumers".into(),
        AuthKind::HttpTokenUser => format!("{base}/plugins/servlet/access-tokens/manage"),
        AuthKind::RepoToken => match repo {
            Some(repo) => format!("{base}/{repo}/admin/access-tokens (the repository's settings)"),
            None => "the repository's settings > Security > Access tokens".into(),
        },
        AuthKind::HttpTokenRepo => match repo.and_then(|r| r.split_once('/')) {
            Some((key, slug)) => format!(
                "{base}/projects/{key}/repos/{slug}/settings (the repository's settings > HTTP access tokens)"
            ),
            None => "the repository's settings > HTTP access tokens".into(),
        },
    }
}

/// What the Expiry row is made from.
#[derive(Debug, Clone, Copy)]
pub struct ExpiryInput<'a> {
    pub today: Date,
    /// The connection's `expires_on`.
    pub expires_on: Option<Date>,
    pub auth: AuthKind,
    /// OAuth: when the current access token ends (Unix seconds), if the grant says.
    pub oauth_access_expires_at: Option<u64>,
    /// Warn this many days ahead ([`DEFAULT_WARN_DAYS`] unless configured).
    pub warn_days: i64,
    /// The connection's name, for the `rotate` command the row names.
    pub name: &'a str,
    /// The connection's URL and repository, for the page where a new token is made.
    pub url: &'a str,
    pub repo: Option<&'a str>,
}

/// The check report's Expiry row: passed, a warning within the window (the exit code stays 0),
/// a credential failure once the day has come, and never a failure for an unknown date.
pub fn row(input: &ExpiryInput<'_>) -> CheckItem {
    let renew = || {
        format!(
            "Make a new one at {} and run `bbconnect rotate {}`.",
            new_token_page(input.auth, input.url, input.repo),
            input.name
        )
    };
    match standing(input.today, input.expires_on, input.auth, input.warn_days) {
        Standing::Renews => {
            let current = input
                .oauth_access_expires_at
                .and_then(|secs| jiff::Timestamp::from_second(i64::try_from(secs).ok()?).ok())
                .map(|ts| {
                    format!(
                        " (the current one until {})",
                        ts.strftime("%Y-%m-%d %H:%M UTC")
                    )
                })
                .unwrap_or_default();
            CheckItem::passed(
                CheckId::Expiry,
                format!(
                    "OAuth access tokens renew themselves with the saved refresh token{current}."
                ),
            )
        }
        Standing::Unknown => CheckItem::passed(
            CheckId::Expiry,
            format!(
                "Expiry unknown: record it with `bbconnect rotate {} --expires YYYY-MM-DD` to be warned in time.",
                input.name
            ),
        ),
        Standing::Valid { on, days_left } => CheckItem::passed(
            CheckId::Expiry,
            format!("The credential expires on {on}, in {}.", days(days_left)),
        ),
        Standing::Soon { on, days_left } => CheckItem::warning(
            CheckId::Expiry,
            format!(
                "The credential expires on {on}, in {}: it stops working then.",
                days(days_left)
            ),
            renew(),
        ),
        Standing::Expired { on, .. } => CheckItem::failed(
            CheckId::Expiry,
            FailureClass::Rejected,
            format!("The credential expired on {on}: Bitbucket no longer accepts it."),
            renew(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::CheckStatus;

    fn d(text: &str) -> Date {
        text.parse().expect("test date")
    }

    fn input(expires_on: Option<&str>, auth: AuthKind, warn_days: i64) -> ExpiryInput<'static> {
        ExpiryInput {
            today: d("2026-12-07"),
            expires_on: expires_on.map(d),
            auth,
            oauth_access_expires_at: None,
            warn_days,
            name: "ci",
            url: "https://bb.example.com",
            repo: Some("WEB/api"),
        }
    }

    #[test]
    fn far_ahead_passes_and_names_the_date() {
        let row = row(&input(Some("2027-01-10"), AuthKind::HttpTokenUser, 14));
        assert_eq!(row.status, CheckStatus::Passed);
        assert_eq!(row.id, CheckId::Expiry);
        assert!(row.detail.contains("2027-01-10") && row.detail.contains("34 days"));
        assert_eq!(
            standing(
                d("2026-12-07"),
                Some(d("2027-01-10")),
                AuthKind::ApiToken,
                14
            )
            .text(),
            "expires 2027-01-10 (34 days)"
        );
    }

    #[test]
    fn within_the_window_is_a_warning_naming_the_page_and_rotate() {
        let row = row(&input(Some("2026-12-12"), AuthKind::HttpTokenUser, 14));
        assert_eq!(row.status, CheckStatus::Warning);
        assert_eq!(row.class, None, "a warning keeps exit 0");
        assert!(row.detail.contains("2026-12-12") && row.detail.contains("5 days"));
        let fix = row.fix.expect("fix");
        assert!(
            fix.contains("https://bb.example.com/plugins/servlet/access-tokens/manage"),
            "{fix}"
        );
        assert!(fix.contains("bbconnect rotate ci"), "{fix}");
        // The window's last day warns, the day after does not.
        let edge = input(Some("2026-12-21"), AuthKind::ApiToken, 14);
        assert_eq!(super::row(&edge).status, CheckStatus::Warning);
        let outside = input(Some("2026-12-22"), AuthKind::ApiToken, 14);
        assert_eq!(super::row(&outside).status, CheckStatus::Passed);
    }

    #[test]
    fn a_custom_window_moves_the_warning() {
        let ahead = Some("2026-12-27"); // 20 days
        assert_eq!(
            row(&input(ahead, AuthKind::ApiToken, 14)).status,
            CheckStatus::Passed
        );
        assert_eq!(
            row(&input(ahead, AuthKind::ApiToken, 30)).status,
            CheckStatus::Warning
        );
        assert_eq!(
            row(&input(Some("2026-12-08"), AuthKind::ApiToken, 0)).status,
            CheckStatus::Passed
        );
    }

    #[test]
    fn after_the_date_is_a_credential_failure() {
        let row = row(&input(Some("2026-12-01"), AuthKind::ApiToken, 14));
        assert_eq!(row.status, CheckStatus::Failed);
        assert_eq!(row.class, Some(FailureClass::Rejected));
        assert_eq!(FailureClass::Rejected.exit_code(), 3);
        assert!(row.detail.contains("2026-12-01"));
        let fix = row.fix.expect("fix");
        assert!(fix.contains("https://id.atlassian.com/manage-profile/security/api-tokens"));
        assert!(fix.contains("bbconnect rotate ci"));
        assert_eq!(
            standing(
                d("2026-12-07"),
                Some(d("2026-12-01")),
                AuthKind::ApiToken,
                14
            )
            .text(),
            "expired on 2026-12-01"
        );
        // The recorded day is the first day it no longer works.
        assert_eq!(
            super::row(&input(Some("2026-12-07"), AuthKind::ApiToken, 14)).status,
            CheckStatus::Failed
        );
    }

    #[test]
    fn unknown_never_fails_and_says_unknown() {
        let row = row(&input(None, AuthKind::HttpTokenRepo, 14));
        assert_eq!(row.status, CheckStatus::Passed);
        assert!(row.detail.contains("unknown"), "{}", row.detail);
        let s = standing(d("2026-12-07"), None, AuthKind::ApiToken, 14);
        assert_eq!(s.text(), "unknown");
        assert_eq!(s.days_left(), None);
    }

    #[test]
    fn oauth_passes_and_says_it_renews() {
        let mut i = input(Some("2026-12-01"), AuthKind::OAuth, 14);
        i.oauth_access_expires_at = Some(1_796_623_200); // 2026-12-07 06:00 UTC
        let row = row(&i);
        assert_eq!(row.status, CheckStatus::Passed);
        assert!(row.detail.contains("renew themselves"), "{}", row.detail);
        assert!(
            row.detail.contains("2026-12-07 06:00 UTC"),
            "{}",
            row.detail
        );
    }

    #[test]
    fn days_left_counts_whole_days() {
        let s = standing(
            d("2026-12-07"),
            Some(d("2026-12-12")),
            AuthKind::ApiToken,
            14,
        );
        assert_eq!(s.days_left(), Some(5));
        assert_eq!(days_left(d("2026-12-31"), d("2027-01-01")), 1);
        assert_eq!(days_left(d("2026-12-07"), d("2026-12-01")), -6);
        let gone = standing(
            d("2026-12-07"),
            Some(d("2026-12-01")),
            AuthKind::ApiToken,
            14,
        );
        assert_eq!(gone.days_left(), Some(-6));
        assert_eq!(
            standing(
                d("2026-12-31"),
                Some(d("2027-01-01")),
                AuthKind::ApiToken,
                0
            )
            .text(),
            "expires 2027-01-01 (1 day)"
        );
    }

    #[test]
    fn epoch_milliseconds_become_utc_days() {
        assert_eq!(date_of_epoch_ms(0), Some(d("1970-01-01")));
        // 2027-01-10T23:59:59.999Z is still the 10th in UTC.
        assert_eq!(date_of_epoch_ms(1_799_625_599_999), Some(d("2027-01-10")));
        assert_eq!(date_of_epoch_ms(i64::MAX), None);
    }

    #[test]
    fn typed_dates_are_checked() {
        let today = d("2026-12-07");
        assert_eq!(parse_expires("", today), Ok(None));
        assert_eq!(
            parse_expires(" 2027-01-10 ", today),
            Ok(Some(d("2027-01-10")))
        );
        assert!(parse_expires("2026-12-07", today).is_err());
        assert!(parse_expires("2027-02-30", today).is_err());
        assert!(parse_expires("2027-1-10", today).is_err());
        assert!(parse_expires("10/01/2027", today).is_err());
        assert!(
            parse_expires("2026-12-06", today)
                .unwrap_err()
                .contains("not after today")
        );
    }

    #[test]
    fn warn_days_are_whole_days_in_range() {
        assert_eq!(parse_warn_days(" 30 "), Ok(30));
        assert_eq!(parse_warn_days("0"), Ok(0));
        assert!(parse_warn_days("-1").is_err());
        assert!(parse_warn_days("two weeks").is_err());
    }

    #[test]
    fn the_page_follows_the_type() {
        assert_eq!(
            new_token_page(AuthKind::HttpTokenUser, "https://bb.example.com/", None),
            "https://bb.example.com/plugins/servlet/access-tokens/manage"
        );
        assert!(
            new_token_page(
                AuthKind::RepoToken,
                "https://bitbucket.org",
                Some("acme/api")
            )
            .starts_with("https://bitbucket.org/acme/api/admin/access-tokens")
        );
        assert!(
            new_token_page(
                AuthKind::HttpTokenRepo,
                "https://bb.example.com",
                Some("WEB/api")
            )
            .contains("/projects/WEB/repos/api/settings")
        );
    }
}
