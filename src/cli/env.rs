//! `bbconnect env NAME [--format sh|dotenv|json] [--with-token]`: what a CI script needs to
//! use a connection, quoted so that no value (a hostile repository name, a token) can run
//! code or end the assignment early when the output is sourced or parsed.

use clap::{Args, ValueEnum};
use secrecy::ExposeSecret;

use super::{Ctx, credentials_of};
use crate::bitbucket::Endpoints;
use crate::bitbucket::git;
use crate::core::model::{AuthKind, Problem, Provider};
use crate::store::SavedConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// `export KEY='value'` lines for `eval` or `.`.
    #[default]
    Sh,
    /// `KEY='value'` lines for .env files.
    Dotenv,
    Json,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    pub name: String,
    #[arg(long, value_enum, default_value = "sh")]
    pub format: Format,
    /// Include BITBUCKET_TOKEN.
    #[arg(long)]
    pub with_token: bool,
}

/// `url` without `user@`, which names whoever connected rather than whoever uses it.
fn without_userinfo(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The variables, in a stable order. The token only when asked for.
pub fn variables(
    conn: &SavedConnection,
    endpoints: &Endpoints,
    token: Option<&str>,
) -> Vec<(&'static str, String)> {
    let base = conn.url.trim_end_matches('/');
    let api = match conn.provider {
        Provider::Cloud => endpoints.cloud_api.clone(),
        Provider::Server => format!("{base}/rest/api/1.0"),
    };
    // As the REST client sends it (docs/bitbucket.md section 1).
    let (scheme, api_user) = match conn.auth {
        AuthKind::ApiToken | AuthKind::AppPassword => {
            ("basic", conn.username.clone().unwrap_or_default())
        }
        AuthKind::OAuth
        | AuthKind::RepoToken
        | AuthKind::HttpTokenUser
        | AuthKind::HttpTokenRepo => ("bearer", String::new()),
    };
    let git_user = git::git_username(conn.auth, conn.username.as_deref(), conn.user.as_deref());
    let git_auth = if git_user.is_some() {
        "basic"
    } else {
        "bearer"
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut vars = vec![
        ("BITBUCKET_CONNECTION", conn.name.clone()),
        ("BITBUCKET_PROVIDER", conn.provider.cli_name().to_string()),
        ("BITBUCKET_AUTH_TYPE", conn.auth.cli_name().to_string()),
        ("BITBUCKET_API_URL", api),
        ("BITBUCKET_WEB_URL", base.to_string()),
        ("BITBUCKET_AUTH_SCHEME", scheme.to_string()),
        ("BITBUCKET_API_USERNAME", api_user),
        ("BITBUCKET_GIT_AUTH", git_auth.to_string()),
        ("BITBUCKET_GIT_USERNAME", git_user.unwrap_or_default()),
        ("BITBUCKET_REPO", opt(&conn.repo)),
        (
            "BITBUCKET_CLONE_HTTPS",
            conn.clone_https
                .as_deref()
                .map(without_userinfo)
                .unwrap_or_default(),
        ),
        ("BITBUCKET_CLONE_SSH", opt(&conn.clone_ssh)),
    ];
    if let Some(t) = token {
        vars.push(("BITBUCKET_TOKEN", t.to_string()));
    }
    vars
}

/// A connection with an SSH route: git clones with its key and pinned host key only, so a
/// script that sources the output clones with `git clone "$BITBUCKET_CLONE_SSH"`.
pub fn with_ssh_route(
    mut vars: Vec<(&'static str, String)>,
    conn: &SavedConnection,
    ssh_command: &str,
) -> Vec<(&'static str, String)> {
    let Some(route) = &conn.ssh else {
        return vars;
    };
    for (k, v) in vars.iter_mut() {
        if *k == "BITBUCKET_CLONE_SSH" {
            *v = route.clone_url.clone();
        }
    }
    vars.push(("BITBUCKET_GIT_PROTOCOL", "ssh".into()));
    vars.push(("GIT_SSH_COMMAND", ssh_command.to_string()));
    vars
}

/// POSIX shell: inside single quotes nothing is special; a `'` is closed, escaped, reopened.
pub fn sh_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "'\\''"))
}

/// dotenv: single quotes are literal in the common parsers (no `$` expansion, no escapes);
/// a value that holds a `'` or a line break goes in double quotes with `\`, `"`, `$`, `` ` ``
/// and line breaks escaped.
pub fn dotenv_quote(v: &str) -> String {
    if !v.contains(['\'', '\n', '\r']) {
        return format!("'{v}'");
    }
    let mut out = String::from("\"");
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '`' => out.push_str("\\`"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn render(vars: &[(&'static str, String)], format: Format) -> String {
    match format {
        Format::Sh => vars
            .iter()
            .map(|(k, v)| format!("export {k}={}\n", sh_quote(v)))
            .collect(),
        Format::Dotenv => vars
            .iter()
            .map(|(k, v)| format!("{k}={}\n", dotenv_quote(v)))
            .collect(),
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                .collect();
            format!("{}\n", serde_json::Value::Object(map))
        }
    }
}

/// `bbconnect env`.
pub async fn run(ctx: &mut Ctx, args: EnvArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let (io, endpoints) = (&mut ctx.io, &ctx.settings.endpoints);
    let (name, format, with_token) = (args.name.as_str(), args.format, args.with_token);
    let (conn, _) = credentials_of(store, name)?;
    let token = if with_token {
        let creds = crate::engine::oauth::fresh_credentials(
            store,
            name,
            &crate::engine::options_for(&conn),
            crate::engine::oauth::now_secs(),
        )
        .await?;
        Some(creds.secret.expose_secret().to_string())
    } else {
        None
    };
    let conn = store.get(name).map_err(Problem::from)?.unwrap_or(conn);
    io.out_fmt(format_args!(
        "{}",
        render(
            &with_ssh_route(
                variables(&conn, endpoints, token.as_deref()),
                &conn,
                &crate::engine::ssh::ssh_command_for(store, &conn.name),
            ),
            format
        )
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "plain",
        "",
        "it's",
        "a\"b",
        "$HOME and ${PATH}",
        "`touch /tmp/bbconnect-pwned` $(touch /tmp/bbconnect-pwned)",
        "line one\nline two\r\n",
        "back\\slash\\n",
        "'; touch /tmp/bbconnect-pwned; '",
    ];

    #[test]
    fn sh_output_sourced_by_a_real_shell_gives_back_every_value() {
        for v in HOSTILE {
            let script = format!(
                "{}printf '%s' \"$BITBUCKET_REPO\"",
                render(&[("BITBUCKET_REPO", v.to_string())], Format::Sh)
            );
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(&script)
                .output()
                .expect("sh runs");
            assert_eq!(String::from_utf8_lossy(&out.stdout), *v, "{script}");
        }
        assert!(!std::path::Path::new("/tmp/bbconnect-pwned").exists());
    }

    /// The dotenv rules of python-dotenv and node's dotenv: single quotes literal, double
    /// quotes with backslash escapes.
    fn dotenv_unquote(s: &str) -> String {
        if let Some(inner) = s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
            return inner.to_string();
        }
        let inner = s
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .expect("quoted");
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some(o) => out.push(o),
                    None => {}
                }
            } else {
                assert!(c != '"' && c != '$' && c != '`', "unescaped {c} in {s}");
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn dotenv_values_stay_on_one_line_and_round_trip() {
        for v in HOSTILE {
            let line = render(&[("K", v.to_string())], Format::Dotenv);
            assert_eq!(line.matches('\n').count(), 1, "{line:?}");
            let value = line.trim_end_matches('\n').strip_prefix("K=").expect("key");
            assert_eq!(dotenv_unquote(value), *v, "{line:?}");
        }
    }

    #[test]
    fn json_is_one_object_of_strings() {
        let text = render(&[("K", "a\"\n$`".to_string())], Format::Json);
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["K"], "a\"\n$`");
    }

    #[test]
    fn the_token_only_with_token_and_git_usernames_per_type() {
        let conn = SavedConnection {
            user: Some("repo-token-plat".into()),
            repo: Some("PLAT/api".into()),
            clone_https: Some("https://me@dc.example/scm/plat/api.git".into()),
            secret_store: "file".into(),
            ..SavedConnection::new(
                "ci",
                Provider::Server,
                AuthKind::HttpTokenRepo,
                "https://dc.example/",
            )
        };
        let e = Endpoints::default();
        let vars = variables(&conn, &e, None);
        let get = |vs: &[(&str, String)], k: &str| {
            vs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        assert_eq!(get(&vars, "BITBUCKET_TOKEN"), None);
        assert_eq!(
            get(&vars, "BITBUCKET_API_URL").unwrap(),
            "https://dc.example/rest/api/1.0"
        );
        assert_eq!(get(&vars, "BITBUCKET_GIT_AUTH").unwrap(), "bearer");
        assert_eq!(get(&vars, "BITBUCKET_GIT_USERNAME").unwrap(), "");
        assert_eq!(
            get(&vars, "BITBUCKET_CLONE_HTTPS").unwrap(),
            "https://dc.example/scm/plat/api.git"
        );
        let vars = variables(&conn, &e, Some("test-token-x"));
        assert_eq!(get(&vars, "BITBUCKET_TOKEN").unwrap(), "test-token-x");
        let cloud = SavedConnection {
            provider: Provider::Cloud,
            auth: AuthKind::ApiToken,
            username: Some("alice@example.com".into()),
            url: "https://bitbucket.org".into(),
            ..conn
        };
        let vars = variables(&cloud, &e, None);
        assert_eq!(get(&vars, "BITBUCKET_API_URL").unwrap(), e.cloud_api);
        assert_eq!(get(&vars, "BITBUCKET_AUTH_SCHEME").unwrap(), "basic");
        assert_eq!(
            get(&vars, "BITBUCKET_API_USERNAME").unwrap(),
            "alice@example.com"
        );
        assert_eq!(
            get(&vars, "BITBUCKET_GIT_USERNAME").unwrap(),
            git::API_TOKEN_USER
        );
    }
}
