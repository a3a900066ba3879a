//! Git over HTTPS with a saved connection: which credential git must send for each credential
//! type (docs/bitbucket.md section 4), the credential-helper protocol (gitcredentials(7),
//! git-credential(1)), and which saved connection answers which request. Pure: no IO.

use crate::core::model::{AuthKind, FailureClass, Problem, Provider};

/// The fixed git username Atlassian documents for Cloud API tokens. The Bitbucket username
/// works too, but the email the REST API wants does not, and the username is not always known.
pub const API_TOKEN_USER: &str = "x-bitbucket-api-token-auth";
/// The git username for Cloud access tokens and OAuth access tokens.
pub const TOKEN_USER: &str = "x-token-auth";

/// How git must present the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitAuth {
    /// HTTP Basic with this username and the secret as password.
    Basic { username: String },
    /// `Authorization: Bearer <secret>`: through a helper only with git 2.46+
    /// (`capability[]=authtype`).
    Bearer,
}

/// The git credential for a saved connection's type. `typed` is the username or email given
/// at connect time, `reported` the identity the server reported. `None` when the type needs a
/// username that was never saved.
pub fn git_auth(auth: AuthKind, typed: Option<&str>, reported: Option<&str>) -> Option<GitAuth> {
    let name = |n: Option<&str>| {
        n.map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    };
    match auth {
        AuthKind::ApiToken => Some(GitAuth::Basic {
            username: API_TOKEN_USER.into(),
        }),
        AuthKind::RepoToken | AuthKind::OAuth => Some(GitAuth::Basic {
            username: TOKEN_USER.into(),
        }),
        // The username typed for an app password or a DC user token is the one git wants;
        // the reported one is the same account's slug, a fallback for hand-edited files.
        AuthKind::AppPassword | AuthKind::HttpTokenUser => name(typed)
            .or_else(|| name(reported))
            .map(|username| GitAuth::Basic { username }),
        // "Don't use this token with a username in Basic authentication."
        AuthKind::HttpTokenRepo => Some(GitAuth::Bearer),
    }
}

/// The username a CI script should give git, or `None` for Bearer-only credentials.
pub fn git_username(auth: AuthKind, typed: Option<&str>, reported: Option<&str>) -> Option<String> {
    match git_auth(auth, typed, reported)? {
        GitAuth::Basic { username } => Some(username),
        GitAuth::Bearer => None,
    }
}

/// What git sent to the helper.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialRequest {
    pub protocol: Option<String>,
    /// `host` or `host:port`, as git sends it.
    pub host: Option<String>,
    /// The repository path, only when `credential.useHttpPath` is set.
    pub path: Option<String>,
    pub username: Option<String>,
    pub capabilities: Vec<String>,
    pub wwwauth: Vec<String>,
}

impl CredentialRequest {
    /// Whether git can take `authtype=Bearer` from a helper (git 2.46+).
    pub fn can_authtype(&self) -> bool {
        self.capabilities.iter().any(|c| c == "authtype")
    }
}

/// Parses git's `key=value` lines up to the first blank line. Unknown keys are ignored, as
/// git-credential(1) asks of helpers; a `url=` is split into its parts.
pub fn parse_request(text: &str) -> CredentialRequest {
    let mut req = CredentialRequest::default();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.to_string();
        match key {
            "protocol" => req.protocol = Some(value),
            "host" => req.host = Some(value),
            "path" => req.path = Some(value),
            "username" => req.username = Some(value),
            "capability[]" => req.capabilities.push(value),
            "wwwauth[]" => req.wwwauth.push(value),
            "url" => {
                if let Ok(u) = url::Url::parse(&value) {
                    req.protocol = Some(u.scheme().to_string());
                    req.host = u.host_str().map(|h| match u.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_string(),
                    });
                    let path = u.path().trim_start_matches('/');
                    req.path = (!path.is_empty()).then(|| path.to_string());
                    if !u.username().is_empty() {
                        req.username = Some(u.username().to_string());
                    }
                }
            }
            _ => {}
        }
    }
    req
}

/// The helper's answer to `get`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Basic { username: String, password: String },
    Bearer { credential: String },
}

/// Why an answer cannot be written: git's protocol has no escaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeValue;

/// The lines to print for `answer`. A value with a newline or NUL would end the answer early
/// or inject a key, so it is refused rather than sent.
pub fn render_answer(answer: &Answer) -> Result<String, UnsafeValue> {
    let safe = |v: &str| !v.contains(['\n', '\r', '\0']);
    match answer {
        Answer::Basic { username, password } if safe(username) && safe(password) => {
            Ok(format!("username={username}\npassword={password}\n"))
        }
        Answer::Bearer { credential } if safe(credential) => Ok(format!(
            "capability[]=authtype\nauthtype=Bearer\ncredential={credential}\n"
        )),
        _ => Err(UnsafeValue),
    }
}

/// Where git talks to a connection: scheme, host and port (the default one filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHost {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl GitHost {
    /// `scheme://host[:port]`, the key of a `credential.<url>.*` setting. The default port is
    /// left out, as git matches it either way and people write it so.
    pub fn config_url(&self) -> String {
        if Some(self.port) == default_port(&self.scheme) {
            format!("{}://{}", self.scheme, self.host)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

/// A saved connection as the helper sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitTarget {
    pub name: String,
    pub host: GitHost,
    /// The chosen repository's path on that host (`ws/slug`, `scm/key/slug`), normalised.
    pub repo_path: Option<String>,
}

/// Host and path of an https/http clone or base URL; `None` for ssh and anything else.
pub fn parse_remote(url: &str) -> Option<(GitHost, String)> {
    let u = url::Url::parse(url.trim()).ok()?;
    let scheme = u.scheme().to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = u.host_str()?.to_ascii_lowercase();
    let port = u.port_or_known_default()?;
    Some((GitHost { scheme, host, port }, normal_path(u.path())))
}

/// Repository paths compare without slashes at the ends, without `.git`, in lower case
/// (slugs are lower case on Cloud; DC accepts the project key in either case).
pub fn normal_path(path: &str) -> String {
    let p = path.trim_matches('/');
    let p = p.strip_suffix(".git").unwrap_or(p);
    p.trim_end_matches('/').to_ascii_lowercase()
}

/// The target for a saved connection: the host of its clone URL, else of its base URL.
pub fn target_of(name: &str, url: &str, clone_https: Option<&str>) -> Option<GitTarget> {
    if let Some((host, path)) = clone_https.and_then(parse_remote) {
        return Some(GitTarget {
            name: name.to_string(),
            host,
            repo_path: (!path.is_empty()).then_some(path),
        });
    }
    let (host, _) = parse_remote(url)?;
    Some(GitTarget {
        name: name.to_string(),
        host,
        repo_path: None,
    })
}

/// The host and port git named, with the scheme's default port filled in.
fn requested_host(req: &CredentialRequest) -> Option<GitHost> {
    let scheme = req.protocol.as_deref()?.to_ascii_lowercase();
    let raw = req.host.as_deref()?.to_ascii_lowercase();
    let (host, port) = match raw.rsplit_once(':') {
        // `[::1]:8080`, `host:8080`; a bare IPv6 literal has no port.
        Some((h, p)) if !h.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => {
            (h.to_string(), p.parse().ok()?)
        }
        _ => (raw.clone(), default_port(&scheme)?),
    };
    Some(GitHost { scheme, host, port })
}

/// Which connection answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    One(String),
    /// No connection for this scheme, host, port (and path): print nothing.
    None,
    /// Several connections share the host and git sent no path to tell them apart.
    Ambiguous(Vec<String>),
}

/// The connection for git's request: protocol, host and port must match; with a path
/// (`credential.useHttpPath`), it must be the connection's repository.
pub fn pick(targets: &[GitTarget], req: &CredentialRequest) -> Pick {
    let Some(wanted) = requested_host(req) else {
        return Pick::None;
    };
    let on_host: Vec<&GitTarget> = targets.iter().filter(|t| t.host == wanted).collect();
    match req.path.as_deref().map(normal_path) {
        Some(path) => on_host
            .iter()
            .find(|t| t.repo_path.as_deref() == Some(path.as_str()))
            .map_or(Pick::None, |t| Pick::One(t.name.clone())),
        None => match on_host.as_slice() {
            [] => Pick::None,
            [one] => Pick::One(one.name.clone()),
            many => Pick::Ambiguous(many.iter().map(|t| t.name.clone()).collect()),
        },
    }
}

/// The hosts of `targets` and whether several connections share each (they then need
/// `useHttpPath`), in first-seen order.
pub fn hosts(targets: &[GitTarget]) -> Vec<(GitHost, bool)> {
    let mut out: Vec<(GitHost, usize)> = Vec::new();
    for t in targets {
        match out.iter_mut().find(|(h, _)| *h == t.host) {
            Some((_, n)) => *n += 1,
            None => out.push((t.host.clone(), 1)),
        }
    }
    out.into_iter().map(|(h, n)| (h, n > 1)).collect()
}

/// The message for a Bearer-only credential when git cannot take Bearer from a helper.
pub fn bearer_needs_newer_git(name: &str, provider: Provider) -> Problem {
    let product = match provider {
        Provider::Server => "Bitbucket Data Center accepts this repository/project token",
        Provider::Cloud => "Bitbucket accepts this token",
    };
    Problem::new(
        FailureClass::Permission,
        format!(
            "connection `{name}`: {product} only as Bearer, and this git does not let a \
             credential helper send Bearer (it did not announce capability[]=authtype)."
        ),
        "use git 2.46 or newer, or a personal HTTP access token (Basic works with any git).",
    )
}

/// The small credential helper binary installed beside `bbconnect` (`src/bin`).
pub const HELPER_BINARY: &str = "git-credential-bbconnect";

/// Where [`HELPER_BINARY`] is installed: beside the `bbconnect` binary at `bbconnect`.
pub fn helper_binary_beside(bbconnect: &std::path::Path) -> std::path::PathBuf {
    bbconnect.with_file_name(format!("{HELPER_BINARY}{}", std::env::consts::EXE_SUFFIX))
}

/// A helper value for git config: the program, and `git-credential` when it is `bbconnect`
/// itself rather than [`HELPER_BINARY`]. An absolute path is run by the shell as it is; a path
/// the shell would split is quoted, and then needs `!`, since git takes a value that starts
/// with neither `/` nor `!` as the name of `git credential-<name>`.
pub fn helper_command(exe: &str) -> String {
    let program = exe.rsplit(['/', '\\']).next().unwrap_or(exe);
    let program = program.strip_suffix(".exe").unwrap_or(program);
    let arg = if program == HELPER_BINARY {
        ""
    } else {
        " git-credential"
    };
    let plain = exe
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c));
    if plain {
        format!("{exe}{arg}")
    } else {
        format!("!'{}'{arg}", exe.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, clone: &str) -> GitTarget {
        target_of(name, "https://unused.example", Some(clone)).expect("target")
    }

    fn req(text: &str) -> CredentialRequest {
        parse_request(text)
    }

    #[test]
    fn each_type_gets_the_username_bitbucket_wants_for_git() {
        let basic = |u: &str| Some(GitAuth::Basic { username: u.into() });
        // The email typed for the REST API is never the git username.
        assert_eq!(
            git_auth(AuthKind::ApiToken, Some("alice@example.com"), Some("alice")),
            basic(API_TOKEN_USER)
        );
        assert_eq!(
            git_auth(AuthKind::RepoToken, None, None),
            basic("x-token-auth")
        );
        assert_eq!(
            git_auth(AuthKind::OAuth, Some("test-oauth-key"), Some("alice")),
            basic("x-token-auth")
        );
        assert_eq!(
            git_auth(AuthKind::AppPassword, Some("alice"), None),
            basic("alice")
        );
        assert_eq!(
            git_auth(AuthKind::HttpTokenUser, Some(" "), Some("bob")),
            basic("bob")
        );
        assert_eq!(git_auth(AuthKind::HttpTokenUser, None, None), None);
        assert_eq!(
            git_auth(AuthKind::HttpTokenRepo, Some("x"), Some("y")),
            Some(GitAuth::Bearer)
        );
        assert_eq!(git_username(AuthKind::HttpTokenRepo, None, None), None);
    }

    #[test]
    fn requests_are_parsed_up_to_the_blank_line() {
        let r = req(
            "protocol=https\nhost=h.example:8443\npath=a/b.git\nusername=u\n\
                     capability[]=authtype\ncapability[]=state\nwwwauth[]=Basic realm=\"x\"\n\n\
                     host=ignored\n",
        );
        assert_eq!(r.protocol.as_deref(), Some("https"));
        assert_eq!(r.host.as_deref(), Some("h.example:8443"));
        assert_eq!(r.path.as_deref(), Some("a/b.git"));
        assert_eq!(r.username.as_deref(), Some("u"));
        assert!(r.can_authtype());
        assert_eq!(r.wwwauth, vec!["Basic realm=\"x\"".to_string()]);
        let r = req("protocol=https\r\nhost=h\r\nnonsense\nfuture-key=1\n");
        assert_eq!(r.host.as_deref(), Some("h"));
        assert!(!r.can_authtype());
        let r = req("url=https://me@h.example:99/x/y.git\n");
        assert_eq!(r.host.as_deref(), Some("h.example:99"));
        assert_eq!(r.path.as_deref(), Some("x/y.git"));
        assert_eq!(r.username.as_deref(), Some("me"));
    }

    #[test]
    fn answers_are_rendered_and_never_carry_a_newline() {
        let a = Answer::Basic {
            username: "x-token-auth".into(),
            password: "test-token-a".into(),
        };
        assert_eq!(
            render_answer(&a).unwrap(),
            "username=x-token-auth\npassword=test-token-a\n"
        );
        let b = Answer::Bearer {
            credential: "test-token-b".into(),
        };
        assert_eq!(
            render_answer(&b).unwrap(),
            "capability[]=authtype\nauthtype=Bearer\ncredential=test-token-b\n"
        );
        let evil = Answer::Basic {
            username: "u".into(),
            password: "test\nhost=evil".into(),
        };
        assert_eq!(render_answer(&evil), Err(UnsafeValue));
        let evil = Answer::Bearer {
            credential: "a\0b".into(),
        };
        assert_eq!(render_answer(&evil), Err(UnsafeValue));
    }

    #[test]
    fn protocol_host_and_port_must_all_match() {
        let ts = vec![target("c", "https://git.example/acme/app.git")];
        let base = "protocol=https\nhost=git.example\n";
        assert_eq!(pick(&ts, &req(base)), Pick::One("c".into()));
        // The default port, written or not, is the same port.
        assert_eq!(
            pick(&ts, &req("protocol=https\nhost=git.example:443\n")),
            Pick::One("c".into())
        );
        assert_eq!(
            pick(&ts, &req("protocol=http\nhost=git.example\n")),
            Pick::None
        );
        assert_eq!(
            pick(&ts, &req("protocol=https\nhost=git.example:8443\n")),
            Pick::None
        );
        assert_eq!(
            pick(&ts, &req("protocol=https\nhost=other.example\n")),
            Pick::None
        );
        assert_eq!(
            pick(&ts, &req("protocol=https\nhost=git.example.evil\n")),
            Pick::None
        );
        assert_eq!(pick(&ts, &req("host=git.example\n")), Pick::None);
        assert_eq!(pick(&ts, &req("protocol=https\n")), Pick::None);
        assert_eq!(
            pick(&ts, &req("protocol=HTTPS\nhost=GIT.example\n")),
            Pick::One("c".into())
        );
    }

    #[test]
    fn with_a_path_only_the_connections_repository_answers() {
        let ts = vec![
            target("cloud", "http://127.0.0.1:7990/acme/app.git"),
            target("dc", "http://127.0.0.1:7990/scm/plat/api.git"),
        ];
        let on = |path: &str| format!("protocol=http\nhost=127.0.0.1:7990\npath={path}\n");
        assert_eq!(
            pick(&ts, &req(&on("acme/app.git"))),
            Pick::One("cloud".into())
        );
        assert_eq!(
            pick(&ts, &req(&on("scm/PLAT/api.git"))),
            Pick::One("dc".into())
        );
        assert_eq!(pick(&ts, &req(&on("scm/plat/api"))), Pick::One("dc".into()));
        assert_eq!(pick(&ts, &req(&on("acme/other.git"))), Pick::None);
        assert_eq!(pick(&ts, &req(&on("acme/app.git/extra"))), Pick::None);
        assert_eq!(
            pick(&ts, &req("protocol=http\nhost=127.0.0.1:7990\n")),
            Pick::Ambiguous(vec!["cloud".into(), "dc".into()])
        );
    }

    #[test]
    fn targets_come_from_the_clone_url_without_userinfo_else_the_base_url() {
        let t = target_of(
            "n",
            "https://bitbucket.org",
            Some("https://alice@bitbucket.org/ws/r.git"),
        )
        .unwrap();
        assert_eq!(t.host.config_url(), "https://bitbucket.org");
        assert_eq!(t.repo_path.as_deref(), Some("ws/r"));
        let t = target_of("n", "https://dc.example:8443/bitbucket", None).unwrap();
        assert_eq!(t.host.config_url(), "https://dc.example:8443");
        assert_eq!(t.repo_path, None);
        assert!(target_of("n", "ssh://git@x/y", Some("ssh://git@x/y.git")).is_none());
        let hs = hosts(&[
            target("a", "https://h/x/a.git"),
            target("b", "https://h/x/b.git"),
            target("c", "http://127.0.0.1:9/x/c.git"),
        ]);
        assert_eq!(hs.len(), 2);
        assert!(hs[0].1 && !hs[1].1);
        assert_eq!(hs[1].0.config_url(), "http://127.0.0.1:9");
    }

    #[test]
    fn helper_paths_are_quoted_when_the_shell_would_split_them() {
        assert_eq!(
            helper_command("/usr/local/bin/bbconnect"),
            "/usr/local/bin/bbconnect git-credential"
        );
        assert_eq!(
            helper_command("/home/a b/bbconnect"),
            "!'/home/a b/bbconnect' git-credential"
        );
        assert_eq!(
            helper_command("/tmp/it's/bbconnect"),
            "!'/tmp/it'\\''s/bbconnect' git-credential"
        );
        // The small helper binary takes git's operation as its only argument.
        assert_eq!(
            helper_command("/usr/local/bin/git-credential-bbconnect"),
            "/usr/local/bin/git-credential-bbconnect"
        );
        assert_eq!(
            helper_command("/home/a b/git-credential-bbconnect"),
            "!'/home/a b/git-credential-bbconnect'"
        );
    }
}
