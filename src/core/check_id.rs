//! The rows a check report can hold, by name: one enum instead of string ids and titles
//! typed again wherever a row is made or looked for.

use serde::{Deserialize, Serialize};

/// Which check a report row is. Serialised as the machine names reports have always used
/// (`check --json`): kebab-case, except the three rows named with underscores before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// The connection could not even be prepared (bad input, TLS set-up).
    Setup,
    /// https to the server.
    Tls,
    /// Plain http: to loopback, or allowed by the user.
    Http,
    Reach,
    /// The server answered with an HTML (SSO) login page instead of JSON.
    #[serde(rename = "html_login")]
    HtmlLogin,
    /// HTTP 410: an endpoint the product removed.
    Gone,
    Version,
    Credential,
    Permissions,
    /// How many repositories the credential reaches.
    #[serde(rename = "reach_count")]
    ReachCount,
    /// Whether bbconnect may create webhooks.
    Webhooks,
    #[serde(rename = "localhost_links")]
    LocalhostLinks,
    /// The saved repository is still there under its saved name.
    Repository,
    /// The saved webhook is still on the repository.
    Webhook,
    /// Bitbucket's test delivery reached the CI.
    WebhookDelivery,
    #[serde(rename = "ssh_key")]
    SshKey,
    #[serde(rename = "ssh_host_key")]
    SshHostKey,
    /// When the saved credential stops working.
    Expiry,
}

impl CheckId {
    pub const ALL: [CheckId; 18] = [
        CheckId::Setup,
        CheckId::Tls,
        CheckId::Http,
        CheckId::Reach,
        CheckId::HtmlLogin,
        CheckId::Gone,
        CheckId::Version,
        CheckId::Credential,
        CheckId::Permissions,
        CheckId::ReachCount,
        CheckId::Webhooks,
        CheckId::LocalhostLinks,
        CheckId::Repository,
        CheckId::Webhook,
        CheckId::WebhookDelivery,
        CheckId::SshKey,
        CheckId::SshHostKey,
        CheckId::Expiry,
    ];

    /// The row's title as the report shows it.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::Setup => "Prepare the connection",
            CheckId::Tls | CheckId::Http => "Encrypted connection",
            CheckId::Reach => "Reach the server",
            CheckId::HtmlLogin => "JSON API, not a login page",
            CheckId::Gone => "Endpoint still exists",
            CheckId::Version => "Server version 7.14+",
            CheckId::Credential => "Credential accepted",
            CheckId::Permissions => "Permissions",
            CheckId::ReachCount => "What the credential reaches",
            CheckId::Webhooks => "Create webhooks automatically",
            CheckId::LocalhostLinks => "Server links use its real address",
            CheckId::Repository => "Saved repository in place",
            CheckId::Webhook => "Saved webhook in place",
            CheckId::WebhookDelivery => "Webhook reaches the CI",
            CheckId::SshKey => "SSH key still registered",
            CheckId::SshHostKey => "SSH host key unchanged",
            CheckId::Expiry => "Credential expiry",
        }
    }

    /// The machine name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Setup => "setup",
            CheckId::Tls => "tls",
            CheckId::Http => "http",
            CheckId::Reach => "reach",
            CheckId::HtmlLogin => "html_login",
            CheckId::Gone => "gone",
            CheckId::Version => "version",
            CheckId::Credential => "credential",
            CheckId::Permissions => "permissions",
            CheckId::ReachCount => "reach_count",
            CheckId::Webhooks => "webhooks",
            CheckId::LocalhostLinks => "localhost_links",
            CheckId::Repository => "repository",
            CheckId::Webhook => "webhook",
            CheckId::WebhookDelivery => "webhook-delivery",
            CheckId::SshKey => "ssh_key",
            CheckId::SshHostKey => "ssh_host_key",
            CheckId::Expiry => "expiry",
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::CheckId;

    #[test]
    fn json_keeps_the_ids_reports_always_had() {
        let today = [
            "setup",
            "tls",
            "http",
            "reach",
            "html_login",
            "gone",
            "version",
            "credential",
            "permissions",
            "reach_count",
            "webhooks",
            "localhost_links",
            "repository",
            "webhook",
            "webhook-delivery",
            "ssh_key",
            "ssh_host_key",
            "expiry",
        ];
        for (id, name) in CheckId::ALL.into_iter().zip(today) {
            assert_eq!(serde_json::to_value(id).unwrap(), name);
            assert_eq!(id.as_str(), name);
            let back: CheckId = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(back, id);
        }
    }

    #[test]
    fn titles_are_the_reports_titles() {
        assert_eq!(CheckId::Credential.title(), "Credential accepted");
        assert_eq!(CheckId::Tls.title(), CheckId::Http.title());
        assert!(CheckId::ALL.iter().all(|id| !id.title().is_empty()));
    }
}
