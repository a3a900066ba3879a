//! Plain data shared by the client, the wizard and the headless face.
//!
//! Nothing here does IO: the wizard may use these types (docs/architecture.md), so they
//! must stay free of tokio, reqwest and the terminal.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub use super::check_id::CheckId;

/// Every scope bbconnect's calls need from a Cloud API token (docs/bitbucket.md). One list for
/// the form's checklist and the check engine, so what we ask for is what we verify.
pub const CLOUD_API_TOKEN_SCOPES: [&str; 8] = [
    "read:user:bitbucket",
    "read:workspace:bitbucket",
    "read:repository:bitbucket",
    "read:project:bitbucket",
    "read:pullrequest:bitbucket",
    "read:webhook:bitbucket",
    "write:webhook:bitbucket",
    "delete:webhook:bitbucket",
];

/// Which Bitbucket product a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    Cloud,
    Server,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Cloud, Provider::Server];

    pub fn label(self) -> &'static str {
        match self {
            Provider::Cloud => "Bitbucket Cloud",
            Provider::Server => "Bitbucket Server / Data Center",
        }
    }

    pub fn blurb(self) -> &'static str {
        match self {
            Provider::Cloud => "bitbucket.org, hosted by Atlassian",
            Provider::Server => "self-hosted, version 7.14 or later",
        }
    }

    pub fn cli_name(self) -> &'static str {
        match self {
            Provider::Cloud => "cloud",
            Provider::Server => "server",
        }
    }

    /// The webhook events a CI needs on this product: pushes and pull-request changes.
    pub fn default_webhook_events(self) -> Vec<String> {
        let names: &[&str] = match self {
            Provider::Cloud => &[
                "repo:push",
                "pullrequest:created",
                "pullrequest:updated",
                "pullrequest:fulfilled",
            ],
            Provider::Server => &[
                "repo:refs_changed",
                "pr:opened",
                "pr:from_ref_updated",
                "pr:merged",
            ],
        };
        names.iter().map(|s| s.to_string()).collect()
    }

    /// Every repository webhook event the product accepts (Cloud: `GET /2.0/hook_events/
    /// repository`; Data Center: its webhook event reference), to refuse a typo locally.
    pub fn webhook_events(self) -> &'static [&'static str] {
        match self {
            Provider::Cloud => &[
                "repo:push",
                "repo:fork",
                "repo:updated",
                "repo:commit_comment_created",
                "repo:commit_status_created",
                "repo:commit_status_updated",
                "issue:created",
                "issue:updated",
                "issue:comment_created",
                "pullrequest:created",
                "pullrequest:updated",
                "pullrequest:changes_request_created",
                "pullrequest:changes_request_removed",
                "pullrequest:approved",
                "pullrequest:unapproved",
                "pullrequest:fulfilled",
                "pullrequest:rejected",
                "pullrequest:comment_created",
                "pullrequest:comment_updated",
                "pullrequest:comment_deleted",
            ],
            Provider::Server => &[
                "repo:refs_changed",
                "repo:modified",
                "repo:forked",
                "repo:comment:added",
                "repo:comment:edited",
                "repo:comment:deleted",
                "pr:opened",
                "pr:from_ref_updated",
                "pr:to_ref_updated",
                "pr:modified",
                "pr:merged",
                "pr:declined",
                "pr:deleted",
                "pr:reviewer:approved",
                "pr:reviewer:unapproved",
                "pr:reviewer:needs_work",
                "pr:reviewer:updated",
                "pr:comment:added",
                "pr:comment:edited",
                "pr:comment:deleted",
            ],
        }
    }

    pub fn auth_kinds(self) -> &'static [AuthKind] {
        match self {
            Provider::Cloud => &[
                AuthKind::OAuth,
                AuthKind::ApiToken,
                AuthKind::RepoToken,
                AuthKind::AppPassword,
            ],
            Provider::Server => &[AuthKind::HttpTokenUser, AuthKind::HttpTokenRepo],
        }
    }
}

/// The credential types of docs/usage.md, by product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    OAuth,
    ApiToken,
    RepoToken,
    AppPassword,
    HttpTokenUser,
    HttpTokenRepo,
}

impl AuthKind {
    pub const ALL: [AuthKind; 6] = [
        AuthKind::OAuth,
        AuthKind::ApiToken,
        AuthKind::RepoToken,
        AuthKind::AppPassword,
        AuthKind::HttpTokenUser,
        AuthKind::HttpTokenRepo,
    ];

    pub fn provider(self) -> Provider {
        match self {
            AuthKind::OAuth | AuthKind::ApiToken | AuthKind::RepoToken | AuthKind::AppPassword => {
                Provider::Cloud
            }
            AuthKind::HttpTokenUser | AuthKind::HttpTokenRepo => Provider::Server,
        }
    }

    /// The name used on the command line and in the connections file.
    pub fn cli_name(self) -> &'static str {
        match self {
            AuthKind::OAuth => "oauth",
            AuthKind::ApiToken => "api-token",
            AuthKind::RepoToken => "repo-token",
            AuthKind::AppPassword => "app-password",
            AuthKind::HttpTokenUser => "http-token-user",
            AuthKind::HttpTokenRepo => "http-token-repo",
        }
    }

    pub fn from_cli_name(name: &str) -> Option<AuthKind> {
        AuthKind::ALL.into_iter().find(|k| k.cli_name() == name)
    }

    pub fn label(self) -> &'static str {
        match self {
            AuthKind::OAuth => "OAuth2 (browser sign-in)",
            AuthKind::ApiToken => "API Token – User",
            AuthKind::RepoToken => "Access Token – Repository",
            AuthKind::AppPassword => "App Password – User (deprecated)",
            AuthKind::HttpTokenUser => "HTTP Access Token – User",
            AuthKind::HttpTokenRepo => "HTTP Access Token – Repository",
        }
    }

    /// One line on what it is and when to choose it.
    pub fn blurb(self) -> &'static str {
        match self {
            AuthKind::OAuth => {
                "Sign in through a browser with your workspace's OAuth consumer; tokens refresh themselves."
            }
            AuthKind::ApiToken => {
                "Recommended. A scoped token of your Atlassian account, used with your account email."
            }
            AuthKind::RepoToken => {
                "One repository only, no user attached: the least privilege when one repository is all you need."
            }
            AuthKind::AppPassword => {
                "Old setups only: Atlassian removed app passwords on 2026-07-28. Use an API token."
            }
            AuthKind::HttpTokenUser => {
                "A personal token: reaches every repository its owner can. Best on a dedicated bot user."
            }
            AuthKind::HttpTokenRepo => {
                "A token made in one repository's settings: reaches that repository only (Bearer only)."
            }
        }
    }

    /// Whether this build can complete the flow for this type. Every type can now; kept so a
    /// type can be switched off again without touching the screens that list them.
    pub fn available(self) -> bool {
        true
    }

    /// The type the wizard puts the cursor on first: the one docs/usage.md recommends.
    pub fn recommended(provider: Provider) -> AuthKind {
        match provider {
            Provider::Cloud => AuthKind::ApiToken,
            Provider::Server => AuthKind::HttpTokenUser,
        }
    }

    /// Whether the credential belongs to a user (and so reaches every repository the user can).
    pub fn is_user_level(self) -> bool {
        match self {
            AuthKind::OAuth
            | AuthKind::ApiToken
            | AuthKind::AppPassword
            | AuthKind::HttpTokenUser => true,
            AuthKind::RepoToken | AuthKind::HttpTokenRepo => false,
        }
    }
}

/// What the user asked to connect, minus the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSpec {
    pub name: String,
    pub provider: Provider,
    pub auth: AuthKind,
    /// Cloud: the web URL (`https://bitbucket.org` or an override). Server: the base URL.
    pub url: String,
    /// Username (Server, app password) or Atlassian account email (Cloud API token).
    pub username: Option<String>,
    /// `workspace/slug` (Cloud) or `KEY/slug` (Server) for repository-level tokens.
    pub repo: Option<String>,
}

/// A spec plus its secret: what the client needs to talk to the server.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub spec: ConnectionSpec,
    pub secret: SecretString,
}

/// The outcome of an OAuth sign-in, plus the consumer secret a later refresh needs. Saved as
/// the connection's one secret (a small JSON blob, see `to_stored`), so the store needs no
/// second secret slot. Debug prints no token (`SecretString`).
#[derive(Debug, Clone)]
pub struct OAuthGrant {
    pub access_token: SecretString,
    /// Bitbucket may rotate it on refresh: always keep the newest.
    pub refresh_token: Option<SecretString>,
    /// Unix seconds after which the access token no longer works; None when not told.
    pub expires_at: Option<u64>,
    pub consumer_secret: SecretString,
}

/// Marks a stored secret as an OAuth blob (and its layout version).
const OAUTH_BLOB_TAG: &str = "bbconnect-oauth-v1";

/// Refresh this long before the stated expiry: a token that dies mid-check helps nobody.
pub const OAUTH_EXPIRY_MARGIN_SECS: u64 = 60;

impl OAuthGrant {
    /// The secret saved for an OAuth connection.
    pub fn to_stored(&self) -> SecretString {
        use secrecy::ExposeSecret;
        let blob = serde_json::json!({
            "kind": OAUTH_BLOB_TAG,
            "access_token": self.access_token.expose_secret(),
            "refresh_token": self.refresh_token.as_ref().map(|t| t.expose_secret().to_string()),
            "expires_at": self.expires_at,
            "consumer_secret": self.consumer_secret.expose_secret(),
        });
        SecretString::from(blob.to_string())
    }

    /// Reads a saved OAuth secret; None when `text` is not one (e.g. a bare access token).
    pub fn from_stored(text: &str) -> Option<OAuthGrant> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        if v.get("kind")?.as_str()? != OAUTH_BLOB_TAG {
            return None;
        }
        let s = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_str)
                .filter(|t| !t.is_empty())
                .map(|t| SecretString::from(t.to_string()))
        };
        Some(OAuthGrant {
            access_token: s("access_token")?,
            refresh_token: s("refresh_token"),
            expires_at: v.get("expires_at").and_then(serde_json::Value::as_u64),
            consumer_secret: s("consumer_secret")?,
        })
    }

    /// Whether the access token is past (or within a minute of) its expiry at `now`.
    pub fn expired(&self, now: u64) -> bool {
        self.expires_at
            .is_some_and(|at| now + OAUTH_EXPIRY_MARGIN_SECS >= at)
    }
}

/// Who a credential belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Identity {
    /// Login name: `X-AUSERNAME` on Server, `nickname`/`username` on Cloud.
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub account_id: Option<String>,
}

/// One repository as bbconnect shows it; both products map into this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Repo {
    /// `workspace/slug` (Cloud) or `KEY/slug` (Server).
    pub full_name: String,
    pub name: String,
    pub slug: String,
    pub project_key: Option<String>,
    pub project_name: Option<String>,
    /// Cloud only.
    pub workspace: Option<String>,
    pub private: bool,
    pub archived: bool,
    pub default_branch: Option<String>,
    /// Without any embedded userinfo.
    pub clone_https: Option<String>,
    pub clone_ssh: Option<String>,
    /// RFC 3339 as the server sent it (Cloud only).
    pub updated_on: Option<String>,
    pub description: Option<String>,
    pub web_url: Option<String>,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Passed,
    Warning,
    Failed,
}

/// Why a failed check failed, for exit codes (docs/usage.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureClass {
    /// DNS, TCP, TLS, timeout: exit 5.
    Unreachable,
    /// The server refused the credential: exit 3.
    Rejected,
    /// A permission or the server version is missing: exit 4.
    Permission,
    /// Input the user must correct: exit 2.
    Input,
    /// Anything else: exit 1.
    Other,
    /// The user pressed Ctrl-C: exit 130 (128 + SIGINT, as a shell shows it), nothing printed.
    Interrupted,
}

impl FailureClass {
    pub fn exit_code(self) -> i32 {
        match self {
            FailureClass::Unreachable => 5,
            FailureClass::Rejected => 3,
            FailureClass::Permission => 4,
            FailureClass::Input => 2,
            FailureClass::Other => 1,
            FailureClass::Interrupted => 130,
        }
    }

    /// The class whose exit code is higher. Exit codes are not ordered by severity, but any
    /// failure must win over none, and the result must not depend on the order things were
    /// checked in.
    pub fn worse(a: Option<FailureClass>, b: Option<FailureClass>) -> Option<FailureClass> {
        match (a, b) {
            (Some(x), Some(y)) => Some(if y.exit_code() > x.exit_code() { y } else { x }),
            (x, None) => x,
            (None, y) => y,
        }
    }
}

/// One row of the check report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    /// Which check: its stable machine name in JSON (`reach`, `version`, `credential`, ...).
    pub id: CheckId,
    /// `id.title()` as made; kept in the row so JSON reports carry it.
    pub title: String,
    pub status: CheckStatus,
    /// What was found, one line.
    pub detail: String,
    /// What to do about it, one line; empty when passed.
    pub fix: Option<String>,
    /// Set on failed rows.
    pub class: Option<FailureClass>,
    /// The chain the server presented, on a row failed by its certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<Box<super::cert::PeerChain>>,
}

impl CheckItem {
    pub fn passed(id: CheckId, detail: impl Into<String>) -> Self {
        CheckItem {
            id,
            title: id.title().into(),
            status: CheckStatus::Passed,
            detail: detail.into(),
            fix: None,
            class: None,
            cert: None,
        }
    }

    pub fn warning(id: CheckId, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        CheckItem {
            id,
            title: id.title().into(),
            status: CheckStatus::Warning,
            detail: detail.into(),
            fix: Some(fix.into()),
            class: None,
            cert: None,
        }
    }

    pub fn failed(
        id: CheckId,
        class: FailureClass,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        CheckItem {
            id,
            title: id.title().into(),
            status: CheckStatus::Failed,
            detail: detail.into(),
            fix: Some(fix.into()),
            class: Some(class),
            cert: None,
        }
    }
}

/// The full report of a check run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CheckReport {
    pub items: Vec<CheckItem>,
    pub identity: Option<Identity>,
    pub server_version: Option<String>,
}

impl CheckReport {
    pub fn worst(&self) -> CheckStatus {
        self.items
            .iter()
            .map(|i| i.status)
            .max()
            .unwrap_or(CheckStatus::Passed)
    }

    pub fn passed(&self) -> bool {
        self.worst() != CheckStatus::Failed
    }

    /// The class of the first failed row, which decides the exit code; None when none failed.
    pub fn failure_class(&self) -> Option<FailureClass> {
        self.items
            .iter()
            .find(|i| i.status == CheckStatus::Failed)
            .map(|i| i.class.unwrap_or(FailureClass::Other))
    }

    /// The exit code of docs/usage.md for this report: the first failure decides.
    pub fn exit_code(&self) -> i32 {
        self.failure_class().map_or(0, FailureClass::exit_code)
    }
}

/// What the last check of a saved connection found: kept with the connection (the store),
/// shown on the wizard's list of saved connections, and read by the next re-check to tell a
/// credential that stopped working from one that never did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCheck {
    pub ok: bool,
    /// RFC 3339 UTC.
    pub at: String,
    /// One line: "all checks passed" or the first failed check and what it found.
    pub summary: String,
    /// When the credential was last accepted (RFC 3339 UTC), carried over by checks that
    /// could not tell: a refusal after this is a revocation or an expiry, not a typo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<String>,
    /// When a check last saw the saved webhook in place (RFC 3339 UTC), carried over by
    /// checks that could not read it: a credential lowered to read access cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_seen_at: Option<String>,
}

impl LastCheck {
    /// When the credential was last known to be accepted: the recorded time, or for records
    /// older than that field, the time of a check that passed.
    pub fn accepted_since(&self) -> Option<&str> {
        self.accepted_at
            .as_deref()
            .or(self.ok.then_some(self.at.as_str()))
    }

    /// The record of `report`, made at `at` (RFC 3339 UTC), after `before`: the credential's
    /// acceptance is now when the report's credential row did not fail, else carried over.
    pub fn after(report: &CheckReport, at: String, before: Option<&LastCheck>) -> LastCheck {
        let credential_failed = report.items.iter().any(|i| {
            i.status == CheckStatus::Failed
                && (i.id == CheckId::Credential || i.class == Some(FailureClass::Rejected))
        });
        let credential_seen = report
            .items
            .iter()
            .any(|i| i.id == CheckId::Credential && i.status != CheckStatus::Failed);
        let accepted_at = if credential_seen && !credential_failed {
            Some(at.clone())
        } else {
            before.and_then(|b| b.accepted_since().map(str::to_string))
        };
        let webhook_seen = report
            .items
            .iter()
            .any(|i| i.id == CheckId::Webhook && i.status == CheckStatus::Passed);
        let webhook_seen_at = if webhook_seen {
            Some(at.clone())
        } else {
            before.and_then(|b| b.webhook_seen_at.clone())
        };
        LastCheck {
            accepted_at,
            webhook_seen_at,
            ..LastCheck::of(report, at)
        }
    }

    /// The record of `report`, made at `at` (RFC 3339 UTC).
    pub fn of(report: &CheckReport, at: String) -> LastCheck {
        let summary = match report
            .items
            .iter()
            .find(|i| i.status == CheckStatus::Failed)
        {
            Some(item) => format!("{}: {}", item.title, item.detail),
            None if report
                .items
                .iter()
                .any(|i| i.status == CheckStatus::Warning) =>
            {
                "passed, with warnings".into()
            }
            None => "all checks passed".into(),
        };
        LastCheck {
            ok: report.passed(),
            at,
            summary,
            accepted_at: None,
            webhook_seen_at: None,
        }
    }
}

/// A failure a user can meet, as plain data: what happened and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub what: String,
    pub fix: String,
    pub class: FailureClass,
}

impl Problem {
    pub fn new(class: FailureClass, what: impl Into<String>, fix: impl Into<String>) -> Self {
        Problem {
            what: what.into(),
            fix: fix.into(),
            class,
        }
    }

    /// Input the user must correct (exit 2).
    pub fn input(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Problem::new(FailureClass::Input, what, fix)
    }

    /// Anything else (exit 1).
    pub fn other(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Problem::new(FailureClass::Other, what, fix)
    }

    /// The user pressed Ctrl-C: the process ends with 130 and says nothing more.
    pub fn interrupted() -> Self {
        Problem::new(FailureClass::Interrupted, "", "")
    }

    /// The same problem with a sentence added to what to do.
    pub fn with_note(mut self, more: &str) -> Self {
        self.fix = format!("{} {more}", self.fix);
        self
    }

    /// What a person reads on stderr: the problem, then what to do on a line of its own.
    /// Nothing for an interrupt, which the user caused and already knows about.
    pub fn message(&self) -> Option<String> {
        (self.class != FailureClass::Interrupted)
            .then(|| format!("bbconnect: {}\n  fix: {}", self.what, self.fix))
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.what, self.fix)
    }
}

/// Progress of repository loading.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepoPage {
    pub repos: Vec<Repo>,
    /// Total across the listing when the server told it (summed over workspaces when known).
    pub total_hint: Option<usize>,
}

/// What was saved, for the Done screen and the headless output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedInfo {
    pub name: String,
    pub config_file: String,
    /// Human description of where the secret lives ("file ~/.config/.../secrets/x (0600)").
    pub secret_location: String,
    /// Why the OS keychain could not take the secret, when it was asked to and the secret
    /// went to a file instead (the keychain's own words, for the log and for JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keychain_fallback: Option<String>,
    pub clone_https: Option<String>,
    /// The day the saved credential stops working, when known.
    pub expires_on: Option<jiff::civil::Date>,
}

/// A webhook to put on a repository (the CI's endpoint). Added by the client room for the
/// webhook step; plain data so the wizard can hold it.
#[derive(Debug, Clone)]
pub struct WebhookSpec {
    /// Shown in the repository's settings (DC `name`, Cloud `description`).
    pub name: String,
    pub url: String,
    /// Product event names, e.g. `repo:push` (Cloud) or `repo:refs_changed` (DC).
    pub events: Vec<String>,
    /// Signs deliveries; never read back from the server.
    pub secret: Option<SecretString>,
}

/// A webhook as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// DC: the numeric id; Cloud: the uuid with braces.
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
}

/// What `ensure_webhook` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookChange {
    Created,
    Updated,
    /// Already there as asked: nothing sent.
    Kept,
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn grant(expires_at: Option<u64>) -> OAuthGrant {
        OAuthGrant {
            access_token: SecretString::from("test-token-access"),
            refresh_token: Some(SecretString::from("test-token-refresh")),
            expires_at,
            consumer_secret: SecretString::from("test-token-consumer"),
        }
    }

    #[test]
    fn oauth_blob_round_trips_and_hides_tokens() {
        let stored = grant(Some(1_000)).to_stored();
        let back = OAuthGrant::from_stored(stored.expose_secret()).expect("a blob");
        assert_eq!(back.access_token.expose_secret(), "test-token-access");
        assert_eq!(
            back.refresh_token.as_ref().map(|t| t.expose_secret()),
            Some("test-token-refresh")
        );
        assert_eq!(back.expires_at, Some(1_000));
        assert_eq!(back.consumer_secret.expose_secret(), "test-token-consumer");
        assert!(!format!("{back:?}").contains("test-token"));
        assert!(OAuthGrant::from_stored("test-token-plain").is_none());
        assert!(OAuthGrant::from_stored(r#"{"kind":"other","access_token":"a"}"#).is_none());
    }

    #[test]
    fn oauth_expiry_has_a_margin() {
        assert!(!grant(None).expired(u64::MAX - 100));
        assert!(!grant(Some(1_000)).expired(939));
        assert!(grant(Some(1_000)).expired(940));
        assert!(grant(Some(1_000)).expired(2_000));
    }

    #[test]
    fn every_type_is_available_and_the_recommended_one_is_first_choice() {
        assert!(AuthKind::ALL.iter().all(|k| k.available()));
        assert_eq!(AuthKind::recommended(Provider::Cloud), AuthKind::ApiToken);
        assert_eq!(
            AuthKind::recommended(Provider::Server),
            AuthKind::HttpTokenUser
        );
    }
}

#[cfg(test)]
mod problem_tests {
    use super::*;

    const EVERY_CLASS: [FailureClass; 6] = [
        FailureClass::Unreachable,
        FailureClass::Rejected,
        FailureClass::Permission,
        FailureClass::Input,
        FailureClass::Other,
        FailureClass::Interrupted,
    ];

    #[test]
    fn each_class_has_its_exit_code() {
        let codes: Vec<i32> = EVERY_CLASS.iter().map(|c| c.exit_code()).collect();
        assert_eq!(codes, [5, 3, 4, 2, 1, 130]);
    }

    #[test]
    fn a_problem_reads_as_what_then_one_fix_line_and_an_interrupt_as_nothing() {
        for class in EVERY_CLASS {
            let p = Problem::new(class, "The server said no.", "Ask its admin.");
            match p.message() {
                None => assert_eq!(class, FailureClass::Interrupted),
                Some(text) => {
                    let lines: Vec<&str> = text.lines().collect();
                    assert_eq!(
                        lines,
                        ["bbconnect: The server said no.", "  fix: Ask its admin."]
                    );
                }
            }
        }
        assert_eq!(Problem::interrupted().message(), None);
        assert_eq!(Problem::interrupted().class.exit_code(), 130);
    }

    #[test]
    fn a_note_joins_the_fix_line() {
        let p = Problem::input("Bad.", "Do this.").with_note("Nothing was saved.");
        let text = p.message().unwrap_or_default();
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            ["bbconnect: Bad.", "  fix: Do this. Nothing was saved."]
        );
        assert_eq!(p.class, FailureClass::Input);
    }

    #[test]
    fn the_worse_class_has_the_higher_exit_code_in_either_order() {
        use FailureClass::*;
        assert_eq!(FailureClass::worse(None, None), None);
        assert_eq!(FailureClass::worse(Some(Input), None), Some(Input));
        assert_eq!(FailureClass::worse(None, Some(Rejected)), Some(Rejected));
        assert_eq!(
            FailureClass::worse(Some(Rejected), Some(Unreachable)),
            Some(Unreachable)
        );
        assert_eq!(
            FailureClass::worse(Some(Unreachable), Some(Rejected)),
            Some(Unreachable)
        );
        assert_eq!(FailureClass::worse(Some(Other), Some(Input)), Some(Input));
    }

    #[test]
    fn a_report_fails_with_its_first_failed_rows_class() {
        let id = CheckId::Credential;
        let mut report = CheckReport::default();
        report.items.push(CheckItem::passed(id, "ok"));
        assert_eq!(report.failure_class(), None);
        assert_eq!(report.exit_code(), 0);
        report
            .items
            .push(CheckItem::failed(id, FailureClass::Rejected, "no", "fix"));
        report.items.push(CheckItem::failed(
            id,
            FailureClass::Unreachable,
            "no",
            "fix",
        ));
        assert_eq!(report.failure_class(), Some(FailureClass::Rejected));
        assert_eq!(report.exit_code(), 3);
    }
}
