//! Turning transport and status errors into a `Problem`: what happened and what to do,
//! worded for the credential type in use. Pure.

use super::http::{HttpError, NetKind};
use crate::core::cert::PeerChain;
use crate::core::model::{AuthKind, FailureClass, Problem, Provider};

/// Where the user creates a new credential of this kind; `base` is the Server base URL.
pub fn token_page(auth: AuthKind, base: &str) -> String {
    match auth {
        AuthKind::ApiToken => "https://id.atlassian.com/manage-profile/security/api-tokens".into(),
        AuthKind::AppPassword => {
            "https://id.atlassian.com/manage-profile/security/api-tokens (app passwords are gone: use an API token)".into()
        }
        AuthKind::OAuth => "your workspace settings > OAuth consumers".into(),
        AuthKind::RepoToken => "the repository's Repository settings > Security > Access tokens".into(),
        AuthKind::HttpTokenUser => format!("{base}/plugins/servlet/access-tokens/manage"),
        AuthKind::HttpTokenRepo => "the repository's settings > HTTP access tokens".into(),
    }
}

/// What to tell the user when the server refused the credential (401 that is not a DC
/// permission refusal).
pub fn rejected_fix(auth: AuthKind, base: &str) -> String {
    match auth {
        AuthKind::ApiToken => format!(
            "Use your Atlassian account email (not the username) and a token created \"with scopes\" for Bitbucket; a wrong, expired or scope-less token is refused the same way. New token: {}",
            token_page(auth, base)
        ),
        AuthKind::AppPassword => "Use your Bitbucket username (not the email). App passwords were removed on 2026-07-28: switch to an API token.".into(),
        AuthKind::OAuth => "Sign in again: the access token expired or was revoked.".into(),
        AuthKind::RepoToken => format!(
            "Check the token belongs to this repository and is not expired or revoked ({}).",
            token_page(auth, base)
        ),
        AuthKind::HttpTokenUser => format!(
            "The token is wrong, expired or revoked: create a new one at {}",
            token_page(auth, base)
        ),
        AuthKind::HttpTokenRepo => format!(
            "The token is wrong, expired or revoked, or not a token of this repository: create one in {}",
            token_page(auth, base)
        ),
    }
}

/// The fix for a network failure, by what failed.
pub fn unreachable_fix(kind: NetKind, proxy: Option<&str>) -> String {
    let base = match kind {
        NetKind::Dns => "Check the host name in the URL, and your DNS or VPN.",
        NetKind::Tcp => "Check the URL and port, that the server is up, and any firewall.",
        NetKind::Tls => {
            "If the server uses a private CA, point BBCONNECT_CA_FILE at its PEM certificate; check the server's certificate and the URL's host."
        }
        NetKind::Timeout => "Retry later; check the network, VPN or proxy.",
        NetKind::Other => "Check the URL and the network, then retry.",
        // The precise kinds have their own words (`unreachable_fix_for`); a sensible
        // sentence still comes back if one is asked for here.
        _ => "Check the URL and the network.",
    };
    match proxy {
        Some(p) => {
            format!("{base} A proxy is set ({p}): check it, or exclude this host with NO_PROXY.")
        }
        None => base.into(),
    }
}

/// The fix for a network failure, with what the error knows: the host, the proxy it went
/// through and the certificate chain the server presented.
pub fn unreachable_fix_for(
    kind: NetKind,
    host: &str,
    proxy: Option<&str>,
    peer: Option<&PeerChain>,
) -> String {
    let fp = peer
        .and_then(|p| p.leaf())
        .map(|l| l.fingerprint.clone())
        .unwrap_or_else(|| "SHA256:<fingerprint>".into());
    let bare = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    match kind {
        NetKind::SelfSigned => format!(
            "If its fingerprint matches the one the server's admin gives you, trust it: press t on the Check screen, or run connect again with --trust-cert {fp} (or give the certificate with --ca-file PATH)."
        ),
        NetKind::UntrustedIssuer => format!(
            "Get your organisation's CA certificate (PEM) and give it with --ca-file PATH or BBCONNECT_CA_FILE=PATH (a TLS-inspecting proxy's CA works the same way); or, after comparing the fingerprint, trust this certificate alone with --trust-cert {fp} (t on the Check screen)."
        ),
        NetKind::WrongName => format!(
            "Use the URL with one of the certificate's names, or ask the server's admin for a certificate that names {bare}."
        ),
        NetKind::Expired => "The server's admin must renew its certificate; trusting it on this machine is not the fix (if the date looks wrong, check this machine's clock).".into(),
        NetKind::NotYetValid => "Check this machine's date and time; if they are right, the server's admin installed a certificate that is not valid yet.".into(),
        NetKind::CertChanged => format!(
            "If the server's admin replaced the certificate, check the new fingerprint with them and trust it (connect --replace ... --trust-cert {fp}); if nobody did, do not: the connection may be intercepted."
        ),
        NetKind::PlainHttp => format!(
            "Use http://{host} (plain http), or the port where the server speaks TLS."
        ),
        NetKind::OldTls => "The server needs TLS 1.2 or newer: ask its admin to enable TLS 1.2 or 1.3.".into(),
        NetKind::ProxyAuth => {
            let at = proxy
                .and_then(|p| url::Url::parse(p).ok())
                .map(|u| {
                    format!(
                        "{}:{}",
                        u.host_str().unwrap_or("HOST"),
                        u.port_or_known_default().unwrap_or(3128)
                    )
                })
                .unwrap_or_else(|| "HOST:PORT".into());
            format!(
                "Give the proxy your credentials in its URL: HTTPS_PROXY=http://USER:PASS@{at} (percent-encode special characters)."
            )
        }
        NetKind::ProxyRefused => format!(
            "Ask the proxy's admin to allow {bare}; if the server is reachable without the proxy, add it to NO_PROXY."
        ),
        NetKind::ProxyDown => format!(
            "Check HTTPS_PROXY{}: the proxy is down or its address is wrong.",
            proxy.map(|p| format!(" ({p})")).unwrap_or_default()
        ),
        other => unreachable_fix(other, proxy),
    }
}

/// The general translation of any request failure.
pub fn problem(err: &HttpError, auth: AuthKind, base: &str) -> Problem {
    let what = err.to_string();
    match err {
        HttpError::Unreachable {
            kind,
            proxy,
            host,
            peer,
            ..
        } => Problem::new(
            FailureClass::Unreachable,
            what,
            unreachable_fix_for(*kind, host, proxy.as_deref(), peer.as_deref()),
        ),
        HttpError::Status {
            status,
            body,
            path,
            retry_after,
            headers,
            ..
        } => match *status {
            401 if auth.provider() == Provider::Server && body.is_dc_authorisation() => {
                Problem::new(
                    FailureClass::Permission,
                    format!("The token is valid but not permitted to read {path}."),
                    "Create a token with at least REPO_READ (PROJECT_READ for project listings).",
                )
            }
            401 => Problem::new(
                FailureClass::Rejected,
                format!("The server did not accept the credential ({what})."),
                rejected_fix(auth, base),
            ),
            403 if !body.required.is_empty() => Problem::new(
                FailureClass::Permission,
                format!(
                    "The token lacks the scope{} {}.",
                    if body.missing_scopes().len() > 1 {
                        "s"
                    } else {
                        ""
                    },
                    body.missing_scopes().join(", ")
                ),
                format!(
                    "Create a new API token that adds {} (scopes cannot be added to an existing token).",
                    body.missing_scopes().join(", ")
                ),
            ),
            403 => match headers.accepted.as_deref().filter(|a| !a.is_empty()) {
                // No scope body, but the endpoint said which scopes it takes.
                Some(accepted) => Problem::new(
                    FailureClass::Permission,
                    format!(
                        "Not permitted: {what}; this call takes one of: {}.",
                        accepted.join(", ")
                    ),
                    format!("Use a credential with {}.", accepted.join(" or ")),
                ),
                None => Problem::new(
                    FailureClass::Permission,
                    format!("Not permitted: {what}."),
                    "Use a credential with access to this resource.",
                ),
            },
            // A plain-http request forwarded by a proxy gets the proxy's 407 as its answer.
            407 => Problem::new(
                FailureClass::Unreachable,
                format!("The proxy wants credentials ({what})."),
                unreachable_fix_for(NetKind::ProxyAuth, "", None, None),
            ),
            404 => Problem::new(
                FailureClass::Input,
                format!("Not found: {what}."),
                "Check the URL (Server: include any context path such as /bitbucket) and the repository name.",
            ),
            410 => Problem::new(
                FailureClass::Other,
                format!(
                    "{path} was retired by Atlassian{} ({what}).",
                    if body.is_change_2770() {
                        " (CHANGE-2770)"
                    } else {
                        ""
                    }
                ),
                "Update bbconnect: this endpoint no longer exists.",
            ),
            429 => Problem::new(
                FailureClass::Other,
                format!("Rate limited: {what}."),
                match retry_after {
                    Some(s) => format!("Wait {s} s and retry."),
                    None => "Wait a few minutes and retry (Bitbucket's limits are hourly).".into(),
                },
            ),
            _ => Problem::new(
                FailureClass::Other,
                format!("Server error: {what}."),
                "Retry later; if it persists, the server's administrator should look at its logs.",
            ),
        },
        HttpError::Html { .. } => Problem::new(
            FailureClass::Other,
            what,
            "Use the server's direct URL, or ask the admin to exempt the REST API (/rest, api host) from the SSO login page.",
        ),
        HttpError::Redirect { location, .. } => Problem::new(
            FailureClass::Input,
            what,
            format!("Use the address it redirects to ({location}) as the URL, if you trust it."),
        ),
        HttpError::BadUrl { .. } => Problem::new(FailureClass::Input, what, "Check the URL."),
        HttpError::BadRequest { .. } => Problem::new(
            FailureClass::Input,
            what,
            "A value sent in a header has a character HTTP cannot carry (a control character in the secret or username?): enter it again.",
        ),
        HttpError::Capped { cap, .. } => Problem::new(FailureClass::Other, what, cap.fix()),
        HttpError::Renewal(problem) => (**problem).clone(),
        HttpError::TooLarge { .. } | HttpError::BadJson { .. } => Problem::new(
            FailureClass::Other,
            what,
            "Check that the URL points at Bitbucket itself and not a proxy or another service.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitbucket::errors::{ErrorBody, parse_error_body};
    use serde_json::json;

    fn status(code: u16, body: ErrorBody) -> HttpError {
        HttpError::Status {
            host: "h".into(),
            path: "/rest/api/1.0/repos".into(),
            status: code,
            body: Box::new(body),
            headers: Box::default(),
            retry_after: None,
        }
    }

    #[test]
    fn dc_401_authorisation_is_a_permission_problem() {
        let body = parse_error_body(
            &json!({"errors":[{"message":"You are not permitted to access this resource","exceptionName":"com.atlassian.bitbucket.AuthorisationException"}]}),
        );
        let p = problem(&status(401, body), AuthKind::HttpTokenUser, "https://bb");
        assert_eq!(p.class, FailureClass::Permission);
        assert!(p.fix.contains("REPO_READ"));
    }

    #[test]
    fn dc_401_bad_password_is_rejected_with_token_page() {
        let body = parse_error_body(
            &json!({"errors":[{"message":"Authentication failed","exceptionName":"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]}),
        );
        let p = problem(&status(401, body), AuthKind::HttpTokenUser, "https://bb");
        assert_eq!(p.class, FailureClass::Rejected);
        assert!(
            p.fix
                .contains("https://bb/plugins/servlet/access-tokens/manage")
        );
    }

    #[test]
    fn cloud_401_hint_depends_on_the_credential() {
        let p = problem(&status(401, ErrorBody::default()), AuthKind::ApiToken, "");
        assert_eq!(p.class, FailureClass::Rejected);
        assert!(p.fix.contains("email"));
        let p = problem(
            &status(401, ErrorBody::default()),
            AuthKind::AppPassword,
            "",
        );
        assert!(p.fix.contains("username (not the email)"));
    }

    #[test]
    fn cloud_403_names_the_missing_scope() {
        let body = parse_error_body(
            &json!({"type":"error","error":{"message":"Your credentials lack one or more required privilege scopes.","detail":{"required":["read:user:bitbucket"],"granted":[]}}}),
        );
        let p = problem(&status(403, body), AuthKind::ApiToken, "");
        assert_eq!(p.class, FailureClass::Permission);
        assert!(p.what.contains("read:user:bitbucket"), "{}", p.what);
    }

    #[test]
    fn accepted_scopes_header_is_used_without_a_scope_body() {
        let e = HttpError::Status {
            host: "h".into(),
            path: "/2.0/user".into(),
            status: 403,
            body: Box::default(),
            headers: Box::new(crate::bitbucket::http::ScopeHeaders {
                accepted: Some(vec!["account".into()]),
                ..Default::default()
            }),
            retry_after: None,
        };
        let p = problem(&e, AuthKind::OAuth, "");
        assert!(
            p.what.contains("account") && p.fix.contains("account"),
            "{p:?}"
        );
    }

    #[test]
    fn gone_is_named_as_retired() {
        let body = parse_error_body(
            &json!({"type":"error","error":{"message":"CHANGE-2770 - Functionality has been deprecated"}}),
        );
        let p = problem(&status(410, body), AuthKind::ApiToken, "");
        assert!(
            p.what.contains("retired") && p.what.contains("CHANGE-2770"),
            "{}",
            p.what
        );
    }

    #[test]
    fn a_forwarding_proxys_407_is_a_proxy_problem() {
        let p = problem(
            &status(407, ErrorBody::default()),
            AuthKind::HttpTokenUser,
            "",
        );
        assert_eq!(p.class, FailureClass::Unreachable);
        assert!(
            p.what.starts_with("The proxy wants credentials"),
            "{}",
            p.what
        );
        assert!(p.fix.contains("HTTPS_PROXY=http://USER:PASS@"), "{}", p.fix);
    }

    #[test]
    fn unreachable_names_the_proxy_and_is_class_unreachable() {
        let e = HttpError::Unreachable {
            host: "bb.corp:443".into(),
            kind: NetKind::Tls,
            cause: "invalid peer certificate".into(),
            proxy: Some("http://proxy.corp:3128".into()),
            peer: None,
        };
        let p = problem(&e, AuthKind::HttpTokenUser, "");
        assert_eq!(p.class, FailureClass::Unreachable);
        assert!(p.what.contains("proxy.corp:3128"));
        assert!(p.fix.contains("BBCONNECT_CA_FILE"));
    }
}
