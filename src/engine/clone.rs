//! One clone path for both faces: the URL of a connection's repository (never with
//! userinfo) and the `git clone` command that asks this binary for the credential. `bbconnect
//! clone` runs it in the foreground; the wizard's worker runs it with git's progress on screen.

use crate::core::model::Provider;
use crate::core::urls::strip_userinfo;
use crate::engine::git_trust;
use crate::store::SavedConnection;

/// Set for the helper git starts, so it answers for this connection whatever the path
/// (a global `useHttpPath` would otherwise limit it to the saved repository). A name, not a
/// secret.
pub const CONNECTION_VAR: &str = crate::settings::GIT_CONNECTION;

/// The https URL to clone `repo` (`WS/SLUG`, `KEY/SLUG`) of `conn`, without userinfo.
pub fn clone_url(conn: &SavedConnection, repo: Option<&str>) -> Option<String> {
    let saved = conn.clone_https.as_deref().map(strip_userinfo);
    let wanted = match repo {
        None => return saved,
        Some(r)
            if conn
                .repo
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(r)) =>
        {
            if saved.is_some() {
                return saved;
            }
            r
        }
        Some(r) => r,
    };
    let (owner, slug) = wanted.split_once('/')?;
    if owner.is_empty() || slug.is_empty() || slug.contains('/') {
        return None;
    }
    let base = conn.url.trim_end_matches('/');
    Some(match conn.provider {
        Provider::Cloud => format!("{base}/{owner}/{slug}.git"),
        Provider::Server => format!("{base}/scm/{}/{slug}.git", owner.to_lowercase()),
    })
}

/// The directory git would pick: the last path segment without `.git`.
pub use crate::core::urls::clone_dir as default_dir;

/// The git command (not yet run) that clones `url` into `dir` through our helper, trusting
/// `ca_info` (the connection's certificates, `engine::git_trust::ca_info`) for its server.
pub fn git_clone_command(
    helper: &str,
    connection: &str,
    url: &str,
    dir: &std::path::Path,
    ca_info: Option<&std::path::Path>,
) -> std::process::Command {
    let mut cmd = crate::os::child::command("git");
    let trust = git_trust::ca_info_args(url, ca_info);
    if !trust.is_empty() {
        // It would override the per-URL setting for this run.
        cmd.env_remove(git_trust::GIT_CA_VAR);
    }
    cmd.arg("-c")
        .arg("credential.helper=")
        .arg("-c")
        .arg(format!("credential.helper={helper}"))
        .args(trust)
        .arg("clone")
        .arg("--progress")
        .arg(url)
        .arg(dir)
        .env(CONNECTION_VAR, connection);
    cmd
}

/// The SSH route to clone over: a connection saved with one, for its own repository.
pub fn ssh_route_for<'a>(
    conn: &'a SavedConnection,
    repo: Option<&str>,
) -> Option<&'a crate::core::ssh::SshRoute> {
    let route = conn.ssh.as_ref()?;
    match repo {
        None => Some(route),
        Some(r)
            if conn
                .repo
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(r)) =>
        {
            Some(route)
        }
        Some(_) => None,
    }
}

/// What to do when a clone over SSH fails: the check tells a removed key from a changed host.
pub const SSH_CLONE_FIX: &str = "Run `bbconnect check` on the connection: it says whether the key is still registered and the host key unchanged.";

/// `git clone` over SSH with the connection's key and pinned host key only; the clone keeps
/// the same `core.sshCommand`, so its later fetches use them too.
pub fn git_ssh_clone_command(
    ssh_command: &str,
    url: &str,
    dir: &std::path::Path,
) -> std::process::Command {
    let mut cmd = crate::os::child::command("git");
    cmd.arg("clone")
        .arg("--progress")
        .arg("--config")
        .arg(format!("core.sshCommand={ssh_command}"))
        .arg("--")
        .arg(url)
        .arg(dir)
        .env("GIT_SSH_COMMAND", ssh_command);
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::AuthKind;

    fn conn(
        provider: Provider,
        url: &str,
        repo: Option<&str>,
        clone: Option<&str>,
    ) -> SavedConnection {
        SavedConnection {
            repo: repo.map(str::to_string),
            clone_https: clone.map(str::to_string),
            secret_store: "file".into(),
            ..SavedConnection::new("n", provider, AuthKind::HttpTokenUser, url)
        }
    }

    #[test]
    fn clone_urls_never_carry_userinfo() {
        let c = conn(
            Provider::Cloud,
            "https://bitbucket.org",
            Some("ws/app"),
            Some("https://alice@bitbucket.org/ws/app.git"),
        );
        assert_eq!(
            clone_url(&c, None).unwrap(),
            "https://bitbucket.org/ws/app.git"
        );
        assert_eq!(
            clone_url(&c, Some("WS/APP")).unwrap(),
            "https://bitbucket.org/ws/app.git"
        );
        assert_eq!(
            clone_url(&c, Some("ws/other")).unwrap(),
            "https://bitbucket.org/ws/other.git"
        );
        assert_eq!(clone_url(&c, Some("nonsense")), None);
        assert_eq!(clone_url(&c, Some("a/b/c")), None);
        let d = conn(Provider::Server, "https://dc.example/bb/", None, None);
        assert_eq!(
            clone_url(&d, Some("PLAT/api")).unwrap(),
            "https://dc.example/bb/scm/plat/api.git"
        );
        assert_eq!(clone_url(&d, None), None);
        assert_eq!(default_dir("https://h/scm/plat/api.git"), "api");
    }

    #[test]
    fn the_clone_trusts_the_connections_certificates_for_its_server() {
        let cmd = git_clone_command(
            "/bin/bbconnect git-credential",
            "dc",
            "https://bb.corp:8443/scm/plat/api.git",
            std::path::Path::new("api"),
            Some(std::path::Path::new("/cfg/certs/dc.pem")),
        );
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let at = args
            .iter()
            .position(|a| a == "http.https://bb.corp:8443.sslCAInfo=/cfg/certs/dc.pem")
            .expect("the per-URL CA file");
        assert_eq!(args[at - 1], "-c");
        assert!(at < args.iter().position(|a| a == "clone").expect("clone"));
        let removed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert!(
            removed.contains(&git_trust::GIT_CA_VAR.to_string()),
            "{removed:?}"
        );
    }

    #[test]
    fn the_clone_command_holds_no_secret_and_scrubs_ours() {
        let cmd = git_clone_command(
            "/bin/bbconnect git-credential",
            "n",
            "https://h/ws/app.git",
            std::path::Path::new("app"),
            None,
        );
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "-c",
                "credential.helper=",
                "-c",
                "credential.helper=/bin/bbconnect git-credential",
                "clone",
                "--progress",
                "https://h/ws/app.git",
                "app"
            ]
        );
    }
}
