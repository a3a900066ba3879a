//! URL rules: base URLs, API URLs with encoded path segments, loopback and origin tests.

use url::Url;

use super::Endpoints;
use super::errors::quote;
use crate::core::model::{FailureClass, Problem};

/// Validates a typed base URL and returns it without trailing `/`.
pub fn parse_base(raw: &str) -> Result<String, Problem> {
    // Slashes and spaces may alternate (`http://h/x/ /`): strip both, or a second pass would
    // change the result and a saved URL would keep a trailing space.
    let trimmed = raw
        .trim()
        .trim_end_matches(|c: char| c == '/' || c.is_whitespace());
    let url = Url::parse(trimmed).map_err(|e| {
        Problem::new(
            FailureClass::Input,
            format!("`{}` is not a URL ({e}).", quote(trimmed)),
            "Enter the full address, e.g. https://bitbucket.example.com",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(Problem::new(
            FailureClass::Input,
            format!("`{}` is not an http(s) address.", quote(trimmed)),
            "Enter an address starting with https://",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(Problem::new(
            FailureClass::Input,
            format!(
                "`{}` carries a user, query or fragment.",
                quote(&strip(&url))
            ),
            "Enter only the base address; the user name goes in its own field.",
        ));
    }
    Ok(trimmed.to_string())
}

fn strip(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// The Cloud API base for the web URL the user typed (see docs/bitbucket.md).
pub fn cloud_api_for(typed_web: &str, endpoints: &Endpoints) -> String {
    let norm = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
    let typed = norm(typed_web);
    if typed == norm(&endpoints.cloud_web) {
        endpoints.cloud_api.trim_end_matches('/').to_string()
    } else if typed == "https://bitbucket.org" || typed == "https://www.bitbucket.org" {
        super::DEFAULT_CLOUD_API.to_string()
    } else {
        // Another address typed on purpose (a proxy, a mirror): its API lives below it.
        format!("{}/2.0", typed_web.trim().trim_end_matches('/'))
    }
}

/// `A/b` into its two non-empty parts.
pub fn split_repo(repo: Option<&str>) -> Option<(String, String)> {
    let (a, b) = repo?.trim().split_once('/')?;
    if a.is_empty() || b.is_empty() || b.contains('/') {
        return None;
    }
    Some((a.to_string(), b.to_string()))
}

pub fn is_loopback_host(host: &str) -> bool {
    let h = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Plain http to a host that is not loopback: the credential would cross the network in clear.
pub fn is_insecure(base: &str) -> bool {
    Url::parse(base)
        .is_ok_and(|u| u.scheme() == "http" && !u.host_str().is_some_and(is_loopback_host))
}

/// `base` + encoded path segments + query. `base` may carry a path (`/2.0`, `/bitbucket`).
pub fn build(base: &str, segments: &[&str], query: &[(&str, &str)]) -> String {
    let Ok(mut url) = Url::parse(base) else {
        return base.to_string();
    };
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        for s in segments {
            path.push(s);
        }
    }
    if !query.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, v) in query {
            q.append_pair(k, v);
        }
    }
    url.to_string()
}

/// Same scheme, host and port: a `next` link elsewhere must not receive the credential.
pub fn same_origin(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// The URL with `key=value` set (replacing any previous value).
pub fn with_query(url: &str, key: &str, value: &str) -> String {
    let Ok(mut u) = Url::parse(url) else {
        return url.to_string();
    };
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != key)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = u.query_pairs_mut();
        q.clear();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair(key, value);
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_lose_trailing_slash_and_reject_junk() {
        assert_eq!(
            parse_base(" https://bb.corp/bitbucket/ ").unwrap(),
            "https://bb.corp/bitbucket"
        );
        assert!(parse_base("bb.corp").is_err());
        assert!(parse_base("https://alice:pw@bb.corp").is_err());
        assert!(parse_base("https://bb.corp?x=1").is_err());
    }

    #[test]
    fn base_urls_normalise_in_one_pass() {
        // Found by tests/security/prop_parsers.rs: slashes and spaces mixed at the end.
        assert_eq!(parse_base("http://a/b/ /").unwrap(), "http://a/b");
        assert_eq!(parse_base("https://h/x/\t/ ").unwrap(), "https://h/x");
    }

    #[test]
    fn build_encodes_segments_below_a_base_path() {
        assert_eq!(
            build(
                "http://127.0.0.1:5/2.0",
                &["repositories", "my ws"],
                &[("role", "member")]
            ),
            "http://127.0.0.1:5/2.0/repositories/my%20ws?role=member"
        );
        assert_eq!(
            build(
                "https://bb/ctx",
                &["rest", "api", "1.0", "users", "a/b"],
                &[]
            ),
            "https://bb/ctx/rest/api/1.0/users/a%2Fb"
        );
    }

    #[test]
    fn loopback_and_insecure() {
        assert!(is_loopback_host("localhost"));
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("[::1]"));
        assert!(!is_loopback_host("bb.corp"));
        assert!(is_insecure("http://bb.corp"));
        assert!(!is_insecure("http://127.0.0.1:7990"));
        assert!(!is_insecure("https://bb.corp"));
    }

    #[test]
    fn origins_compare_scheme_host_port() {
        assert!(same_origin(
            "https://api.bitbucket.org/2.0",
            "https://api.bitbucket.org/2.0/x?page=2"
        ));
        assert!(!same_origin(
            "https://api.bitbucket.org/2.0",
            "https://evil.example/2.0/x"
        ));
        assert!(!same_origin(
            "http://127.0.0.1:1/2.0",
            "http://127.0.0.1:2/2.0"
        ));
    }

    #[test]
    fn with_query_replaces() {
        assert_eq!(
            with_query("http://h/x?a=1&page=1", "page", "3"),
            "http://h/x?a=1&page=3"
        );
    }

    #[test]
    fn repo_split() {
        assert_eq!(split_repo(Some("ws/r")), Some(("ws".into(), "r".into())));
        assert_eq!(split_repo(Some("ws/")), None);
        assert_eq!(split_repo(Some("a/b/c")), None);
    }
}
