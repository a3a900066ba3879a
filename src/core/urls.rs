//! URLs as data: what is left of one once its userinfo is taken out.

/// Removes `user:pass@` from a URL, and a trailing `/`; text that is not a URL with a host is
/// cut at its last `@`. Clone links may name the caller (`https://alice@bitbucket.org/...`) and
/// proxy URLs may carry a password: neither is kept or shown.
pub fn strip_userinfo(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.has_host() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.as_str().trim_end_matches('/').to_string()
        }
        _ => raw.rsplit('@').next().unwrap_or(raw).to_string(),
    }
}

/// The directory `git clone URL` picks: the last path segment without `.git`.
pub fn clone_dir(url: &str) -> String {
    let last = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("repo");
    last.strip_suffix(".git").unwrap_or(last).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_never_survives() {
        assert_eq!(
            strip_userinfo("https://alice@bitbucket.org/ws/app.git"),
            "https://bitbucket.org/ws/app.git"
        );
        assert_eq!(
            strip_userinfo("http://user:test-token-pw@proxy.corp:3128"),
            "http://proxy.corp:3128"
        );
        assert_eq!(strip_userinfo("u:p@proxy:8080"), "proxy:8080");
        assert_eq!(strip_userinfo("https://h/x"), "https://h/x");
    }
}
