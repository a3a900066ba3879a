//! Field validation for the form: pure functions, each returning the message the user sees.
//!
//! The messages say what is wrong *and* what to type instead, because they are drawn right
//! under the field and are the only help a person gets while typing.

use super::fields::{self, FieldId};
use super::model::{AuthKind, ConnectionSpec, FailureClass, Problem, Provider};
use super::name::{self, NameError};

/// A connection name: the store's rule ([`name::check`]), and not one already saved.
pub fn connection_name(name: &str, existing: &[String]) -> Result<(), String> {
    match name::check(name) {
        Ok(()) => {}
        Err(NameError::Empty) => {
            return Err("Required: a short name for this connection, e.g. work-cloud.".into());
        }
        Err(NameError::Character(bad)) => {
            return Err(format!(
                "'{}' is not allowed: use letters, digits, '.', '_' or '-'.",
                shown_char(bad)
            ));
        }
        Err(NameError::Start(first)) => {
            return Err(format!(
                "Must not start with '{}': start with a letter or digit.",
                shown_char(first)
            ));
        }
        Err(NameError::TooLong) => {
            return Err(format!("Too long: {} characters at most.", name::MAX_LEN));
        }
    }
    // Case-insensitive because the name becomes a file name, and some file systems fold case.
    if existing.iter().any(|e| e.eq_ignore_ascii_case(name)) {
        return Err(format!(
            "A connection named '{name}' already exists: pick another name."
        ));
    }
    Ok(())
}

/// `https://` + `text` when `text` is a bare host (`bitbucket.example.com`, `host:7990/bb`):
/// people type addresses the way a browser accepts them. `None` when it has a scheme already
/// or is not a plausible host.
pub fn assume_https(text: &str) -> Option<String> {
    let text = text.trim();
    let host = text.split(['/', ':']).next().unwrap_or_default();
    let plausible = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !text.contains(char::is_whitespace);
    (!text.contains("://") && plausible).then(|| format!("https://{text}"))
}

/// A URL parser's error in the words of someone typing an address (not "relative URL without
/// a base"); `example` shows the expected shape.
pub fn url_problem(e: url::ParseError, example: &str) -> String {
    use url::ParseError as E;
    match e {
        E::EmptyHost => format!("The address has no host name: e.g. {example}."),
        E::InvalidPort => "The port is not a number from 1 to 65535.".into(),
        E::InvalidIpv4Address | E::InvalidIpv6Address => {
            "The host is not a valid IP address.".into()
        }
        E::IdnaError | E::InvalidDomainCharacter => {
            "The host name has characters a host name cannot have (spaces, '%', '<'...).".into()
        }
        _ => format!("This is not a web address: expected one like {example}."),
    }
}

/// An http(s) URL with a host; nothing after the base path that would confuse the client.
pub fn server_url(text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Required: the server's address, e.g. https://bitbucket.example.com.".into());
    }
    if !(text.starts_with("https://") || text.starts_with("http://")) {
        return Err("Start with https:// (or http:// for a local test server).".into());
    }
    let parsed =
        url::Url::parse(text).map_err(|e| url_problem(e, "https://bitbucket.example.com"))?;
    match parsed.host_str() {
        None | Some("") => return Err("The URL has no host name: add one after https://.".into()),
        Some(host) if host.contains('_') => {
            return Err(format!(
                "'{host}' is not a valid host name ('_' is not allowed)."
            ));
        }
        Some(_) => {}
    }
    if parsed.username() != "" || parsed.password().is_some() {
        return Err(
            "Remove the user name from the URL: it goes in its own field, the token too.".into(),
        );
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("Remove the '?...' or '#...' part: only the base address is needed.".into());
    }
    Ok(())
}

/// Cloud API tokens sign in to REST with the Atlassian account email, never the username.
pub fn email(text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Required: your Atlassian account email (REST needs the email).".into());
    }
    let (local, domain) = text.split_once('@').ok_or_else(|| {
        "Type the Atlassian account email, not the username: REST needs the email.".to_string()
    })?;
    if local.is_empty() || domain.is_empty() || !domain.contains('.') || domain.contains('@') {
        return Err("Not a complete email address: expected name@example.com.".into());
    }
    if text.contains(char::is_whitespace) {
        return Err("Email addresses contain no spaces.".into());
    }
    Ok(())
}

/// A username goes into HTTP Basic as `user:secret`, so a colon would split it wrongly.
pub fn username(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("Required: the username the token belongs to.".into());
    }
    if text.contains(':') {
        return Err("A username cannot contain ':'.".into());
    }
    if text.contains(char::is_whitespace) {
        return Err("A username contains no spaces.".into());
    }
    Ok(())
}

/// Tokens are pasted; stray whitespace from a copy is the usual mistake.
pub fn secret(text: &str, what: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("Required: paste the {what}."));
    }
    if text.contains(char::is_whitespace) {
        return Err(format!(
            "The {what} contains spaces or line breaks: paste it again without them."
        ));
    }
    // NUL, ESC, DEL...: no token has one, and none can travel in an HTTP header; said here,
    // not found out as a "network" failure after seconds of retries. The text is never quoted.
    if text.contains(char::is_control) {
        return Err(format!(
            "The {what} contains a control character (such as NUL, ESC or DEL), which no Bitbucket secret has: paste it again."
        ));
    }
    Ok(())
}

/// Every problem of a connection spec from the command line, as (field, message), checked
/// with the same rules as the wizard's form. Name uniqueness is the store's to check.
pub fn spec(spec: &ConnectionSpec) -> Vec<(&'static str, String)> {
    let auth = spec.auth;
    let fields = fields::fields(auth);
    let mut problems = Vec::new();
    let mut check = |field: &'static str, result: Result<(), String>| {
        if let Err(msg) = result {
            problems.push((field, bare(msg)));
        }
    };
    if auth.provider() != spec.provider {
        check(
            "auth",
            Err(format!(
                "{} is not a {} credential type",
                auth.cli_name(),
                spec.provider.cli_name()
            )),
        );
    }
    check("name", connection_name(&spec.name, &[]));
    check("url", server_url(&spec.url));
    let user = spec.username.as_deref().unwrap_or("");
    if fields.contains(&FieldId::Email) {
        check("email", email(user));
    } else if fields.contains(&FieldId::Username) {
        check("username", username(user));
    } else if fields.contains(&FieldId::OAuthKey) {
        check("oauth key", required(user, "the OAuth consumer key"));
    } else if spec.username.is_some() {
        check("username", username(user));
    }
    match spec.repo.as_deref() {
        Some(repo) => check("repo", repo_path(repo, spec.provider)),
        None if fields.contains(&FieldId::Repo) => {
            check("repo", repo_path("", spec.provider));
        }
        None => {}
    }
    problems
}

/// What the client refuses before it sends anything: the problems of [`spec`] (the same rules
/// and words as the form and the CLI) in the fields a request cannot do without. The name is
/// the store's, the URL is parsed by the client itself, a Bearer token needs no username and
/// an OAuth consumer key is only needed to refresh.
pub fn for_client(connection: &ConnectionSpec) -> Result<(), Problem> {
    let needed = |field: &str| match field {
        "auth" | "email" | "repo" => true,
        "username" => connection.auth == AuthKind::AppPassword,
        _ => false,
    };
    match spec(connection)
        .into_iter()
        .find(|(field, _)| needed(field))
    {
        None => Ok(()),
        Some((field, msg)) => Err(Problem::new(
            FailureClass::Input,
            format!("The connection's {field} is not usable: {msg}."),
            "Correct it (bbconnect connect --replace, or the wizard).",
        )),
    }
}

/// The CLI frames messages in its own sentence.
fn bare(msg: String) -> String {
    msg.trim_end_matches('.').to_string()
}

/// `workspace/slug` on Cloud, `KEY/slug` on Server (personal projects: `~user/slug`).
pub fn repo_path(text: &str, provider: Provider) -> Result<(), String> {
    let example = match provider {
        Provider::Cloud => "workspace/repo-slug",
        Provider::Server => "PROJECT/repo-slug",
    };
    let Some((owner, slug)) = text.split_once('/') else {
        return Err(format!("Expected {example}."));
    };
    let owner_ok = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, '.' | '_' | '-')
            || (provider == Provider::Server && c == '~')
    };
    let slug_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if owner.is_empty() || slug.is_empty() || slug.contains('/') {
        return Err(format!("Expected {example}."));
    }
    if !owner.chars().all(owner_ok) || !slug.chars().all(slug_ok) {
        return Err(format!(
            "Only letters, digits, '.', '_' and '-' are allowed: expected {example}."
        ));
    }
    Ok(())
}

/// Whether credentials to this URL would cross the network unencrypted: plain http to a host
/// that is not this machine. Loopback stays allowed silently (the simulator, SSH tunnels).
pub fn is_plain_http_remote(text: &str) -> bool {
    let Ok(parsed) = url::Url::parse(text.trim()) else {
        return false;
    };
    if parsed.scheme() != "http" {
        return false;
    }
    match parsed.host() {
        Some(url::Host::Ipv4(ip)) => !ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => !ip.is_loopback(),
        Some(url::Host::Domain(d)) => !d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The OAuth callback: bbconnect listens on this machine, so it must be plain http to a
/// loopback address with an explicit port and the `/callback` path it answers on.
pub fn callback_url(text: &str) -> Result<(), String> {
    let example = fields::DEFAULT_CALLBACK;
    let parsed =
        url::Url::parse(text.trim()).map_err(|_| format!("Not a URL: expected e.g. {example}."))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if parsed.scheme() != "http" || !loopback {
        return Err(format!(
            "bbconnect listens on this machine: use http://127.0.0.1:PORT/callback, e.g. {example}."
        ));
    }
    if parsed.port().is_none() {
        return Err(format!("Add the port, e.g. {example}."));
    }
    if parsed.path() != "/callback" {
        return Err(format!("The path must be /callback, e.g. {example}."));
    }
    Ok(())
}

/// A plain required field (OAuth consumer key).
pub fn required(text: &str, what: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        Err(format!("Required: {what}."))
    } else {
        Ok(())
    }
}

fn shown_char(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        let existing = vec!["work".to_string()];
        assert!(connection_name("my-conn_1.x", &existing).is_ok());
        assert!(
            connection_name("", &existing)
                .unwrap_err()
                .contains("Required")
        );
        assert!(
            connection_name("a b", &existing)
                .unwrap_err()
                .contains("' '")
        );
        assert!(
            connection_name("a/b", &existing)
                .unwrap_err()
                .contains("'/'")
        );
        assert!(connection_name(".hidden", &existing).is_err());
        assert!(
            connection_name("-work", &existing)
                .unwrap_err()
                .contains("start with a letter or digit")
        );
        assert!(
            connection_name("WORK", &existing)
                .unwrap_err()
                .contains("already exists")
        );
        assert!(connection_name(&"x".repeat(65), &existing).is_err());
        assert!(
            connection_name("a\u{1b}", &existing)
                .unwrap_err()
                .contains("U+001B")
        );
    }

    #[test]
    fn url_rules() {
        assert!(server_url("https://bitbucket.org").is_ok());
        assert!(server_url("http://127.0.0.1:7990/bitbucket").is_ok());
        assert!(server_url("").unwrap_err().contains("Required"));
        assert!(
            server_url("bitbucket.org")
                .unwrap_err()
                .contains("https://")
        );
        assert!(server_url("ftp://x.org").unwrap_err().contains("https://"));
        assert!(server_url("https://").is_err());
        assert!(
            server_url("https://bad_host.org")
                .unwrap_err()
                .contains("bad_host")
        );
        assert!(
            server_url("https://bob@x.org")
                .unwrap_err()
                .contains("user name")
        );
        assert!(server_url("https://x.org/?a=1").is_err());
        assert!(server_url("https://x.org:99999").is_err());
    }

    #[test]
    fn email_rules() {
        assert!(email("ana@example.com").is_ok());
        assert!(email("ana").unwrap_err().contains("REST needs the email"));
        assert!(email("").unwrap_err().contains("REST needs the email"));
        assert!(email("ana@").is_err());
        assert!(email("@example.com").is_err());
        assert!(email("ana@localhost").is_err());
    }

    #[test]
    fn username_rules() {
        assert!(username("ana").is_ok());
        assert!(username("").is_err());
        assert!(username("a:b").unwrap_err().contains("':'"));
        assert!(username("a b").is_err());
    }

    #[test]
    fn secret_rules() {
        assert!(secret("test-token-abc", "token").is_ok());
        let empty = secret("", "token").unwrap_err();
        assert!(empty.contains("paste the token"));
        let broken = secret("abc\n", "token").unwrap_err();
        assert!(broken.contains("line breaks"));
        for bad in [
            "test-token-\u{1}",
            "\u{0}test-token",
            "test-\u{7f}token",
            "a\u{1b}[0m",
        ] {
            let msg = secret(bad, "token").unwrap_err();
            assert!(msg.contains("control character"), "{bad:?}: {msg}");
            assert!(!msg.contains("test"), "never quotes the secret: {msg}");
        }
    }

    fn cli_spec(auth: AuthKind, user: Option<&str>, repo: Option<&str>) -> ConnectionSpec {
        ConnectionSpec {
            name: "work".into(),
            provider: auth.provider(),
            auth,
            url: "http://127.0.0.1:7990".into(),
            username: user.map(Into::into),
            repo: repo.map(Into::into),
        }
    }

    #[test]
    fn spec_uses_the_form_rules() {
        assert!(spec(&cli_spec(AuthKind::HttpTokenUser, Some("alice"), None)).is_empty());
        // A user token may still name the repository to select.
        let with_repo = cli_spec(AuthKind::ApiToken, Some("a@example.com"), Some("ws/r"));
        assert!(spec(&with_repo).is_empty());
        let p = spec(&cli_spec(AuthKind::ApiToken, Some("alice"), None));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, "email");
        assert!(p[0].1.contains("REST needs the email") && !p[0].1.ends_with('.'));
        let p = spec(&cli_spec(AuthKind::HttpTokenUser, None, None));
        assert_eq!(p[0].0, "username");
        let p = spec(&cli_spec(AuthKind::HttpTokenRepo, None, None));
        assert_eq!(p[0].0, "repo");
        let mut bad = cli_spec(AuthKind::HttpTokenUser, Some("alice"), Some("nope"));
        bad.name = "bad name!".into();
        bad.url = "not a url".into();
        let fields: Vec<_> = spec(&bad).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["name", "url", "repo"]);
        let mut mixed = cli_spec(AuthKind::ApiToken, Some("a@example.com"), None);
        mixed.provider = Provider::Server;
        assert_eq!(spec(&mixed)[0].0, "auth");
    }

    #[test]
    fn repo_rules() {
        assert!(repo_path("ws/repo", Provider::Cloud).is_ok());
        assert!(repo_path("~ana/repo", Provider::Server).is_ok());
        assert!(repo_path("~ana/repo", Provider::Cloud).is_err());
        assert!(
            repo_path("ws", Provider::Cloud)
                .unwrap_err()
                .contains("workspace/repo-slug")
        );
        assert!(
            repo_path("KEY/", Provider::Server)
                .unwrap_err()
                .contains("PROJECT/repo-slug")
        );
        assert!(repo_path("a/b/c", Provider::Cloud).is_err());
        assert!(repo_path("a/b c", Provider::Cloud).is_err());
    }

    #[test]
    fn plain_http_only_matters_off_this_machine() {
        assert!(is_plain_http_remote("http://bitbucket.example.com"));
        assert!(is_plain_http_remote("http://10.0.0.5:7990"));
        assert!(!is_plain_http_remote("http://127.0.0.1:7990"));
        assert!(!is_plain_http_remote("http://localhost:7990"));
        assert!(!is_plain_http_remote("http://[::1]:7990"));
        assert!(!is_plain_http_remote("https://bitbucket.example.com"));
        assert!(!is_plain_http_remote("nonsense"));
    }

    #[test]
    fn callback_rules() {
        assert!(callback_url("http://127.0.0.1:8976/callback").is_ok());
        assert!(callback_url("http://localhost:9000/callback").is_ok());
        assert!(
            callback_url("https://ci.example.com/callback")
                .unwrap_err()
                .contains("this machine")
        );
        assert!(
            callback_url("http://127.0.0.1/callback")
                .unwrap_err()
                .contains("port")
        );
        assert!(
            callback_url("http://127.0.0.1:8976/cb")
                .unwrap_err()
                .contains("/callback")
        );
        assert!(callback_url("").is_err());
    }

    #[test]
    fn required_rule() {
        assert!(
            required(" ", "the consumer key")
                .unwrap_err()
                .contains("consumer key")
        );
        assert!(required("k", "the consumer key").is_ok());
    }

    fn client_spec(auth: AuthKind, user: Option<&str>, repo: Option<&str>) -> ConnectionSpec {
        ConnectionSpec {
            name: "t".into(),
            provider: auth.provider(),
            auth,
            url: "https://bitbucket.example.com".into(),
            username: user.map(Into::into),
            repo: repo.map(Into::into),
        }
    }

    #[test]
    fn the_client_refuses_with_the_forms_rules_only_what_a_request_needs() {
        // The client's message is the form's and the CLI's message for the same field.
        let p = for_client(&client_spec(AuthKind::RepoToken, None, Some("no-slash"))).unwrap_err();
        assert_eq!(p.class, FailureClass::Input);
        let rule = repo_path("no-slash", Provider::Cloud).unwrap_err();
        assert!(p.what.contains(rule.trim_end_matches('.')), "{p}");
        let p = for_client(&client_spec(AuthKind::ApiToken, Some("alice"), None)).unwrap_err();
        assert!(p.what.contains("email"), "{p}");
        assert!(for_client(&client_spec(AuthKind::AppPassword, None, None)).is_err());
        let mut mixed = client_spec(AuthKind::HttpTokenUser, Some("bot"), None);
        mixed.provider = Provider::Cloud;
        assert!(for_client(&mixed).is_err());
        // A Bearer token needs no username, an OAuth key matters only to refresh, and the
        // name is the store's business.
        assert!(for_client(&client_spec(AuthKind::HttpTokenUser, None, None)).is_ok());
        assert!(for_client(&client_spec(AuthKind::OAuth, None, None)).is_ok());
        let mut odd = client_spec(AuthKind::ApiToken, Some("alice@example.com"), None);
        odd.name = "not a file name".into();
        assert!(for_client(&odd).is_ok());
    }
}
