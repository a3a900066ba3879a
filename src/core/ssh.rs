//! The SSH route's plain data and rules: what a connection saves about its key and host, how
//! an SSH clone URL names its host, and the one ssh command line git is given (docs/
//! docs/bitbucket.md section 7). No IO: the key is made in `engine::ssh`, the files are the
//! store's.

use serde::{Deserialize, Serialize};

use super::model::Provider;

/// How git reaches the repository: over https with the credential, or over SSH with a
/// read-only key of the connection's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GitProtocol {
    #[default]
    Https,
    Ssh,
}

/// What a connection keeps about its SSH route. The key and known_hosts files are not named
/// here: they derive from the store's directory and the connection's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshRoute {
    /// The SSH clone URL the API returned for the repository.
    pub clone_url: String,
    /// The server's id of our key (DC access key id, Cloud deploy key id). `None` when an
    /// admin added the key by hand for a credential that cannot list keys: git over SSH
    /// proved it is there, but its id was never seen.
    #[serde(default)]
    pub key_id: Option<String>,
    pub host: String,
    pub port: u16,
    /// The host key fingerprint pinned at connect (`SHA256:...`), also the one the
    /// connection's known_hosts file holds.
    pub host_key_fingerprint: String,
}

/// The label every key of ours carries, on the server and in the public key's comment.
pub fn key_label(connection: &str) -> String {
    format!("bbconnect {connection}")
}

/// Atlassian's published host key fingerprints of bitbucket.org (docs/bitbucket.md section 7).
pub const CLOUD_HOST_KEY_FINGERPRINTS: &[&str] = &[
    "SHA256:ybgmFkzwOSotHTHLJgHO0QN8L0xErw6vd0VhFA9m3SM",
    "SHA256:FC73VB6C4OQLSCrjEayhMp9UMxS97caD/Yyi2bhW/J0",
    "SHA256:46OSHA1Rmj8E8ERTC6xkNcmGOw9oFxYr0WF6zWW8l1E",
];

/// The host Atlassian moves Cloud's SSH to; `bitbucket.org` then serves HTTPS only.
pub const CLOUD_SSH_HOST: &str = "ssh.bitbucket.org";

/// The host and port of an SSH clone URL: `ssh://git@host:7999/p/r.git` or scp-like
/// `git@host:ws/r.git` (port 22).
pub fn host_and_port(clone_url: &str) -> Option<(String, u16)> {
    let url = clone_url.trim();
    if let Some(rest) = url.strip_prefix("ssh://") {
        let authority = rest.split('/').next()?;
        let host_port = authority.rsplit('@').next()?;
        if let Some(inner) = host_port.strip_prefix('[') {
            let (host, after) = inner.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().ok()?,
                None => 22,
            };
            return (!host.is_empty()).then(|| (host.to_string(), port));
        }
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (host_port, 22),
        };
        return (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port));
    }
    if url.contains("://") {
        return None;
    }
    let (before, _path) = url.split_once(':')?;
    let host = before.rsplit('@').next()?;
    (!host.is_empty() && !host.contains('/')).then(|| (host.to_ascii_lowercase(), 22))
}

/// The host as a known_hosts line names it: `host`, or `[host]:port` off port 22.
pub fn known_hosts_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// A word for a POSIX shell (git runs `GIT_SSH_COMMAND` and `core.sshCommand` through one):
/// bare when it holds nothing special, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The ssh command git is given for this connection: only its key, only its pinned host key,
/// and none of the user's ssh config (`-F /dev/null`), so an alias or an agent's keys can
/// neither change the host nor offer another identity.
pub fn ssh_command(key_file: &str, known_hosts_file: &str) -> String {
    format!(
        "ssh -F /dev/null -i {} -o IdentitiesOnly=yes -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes",
        shell_word(key_file),
        shell_word(known_hosts_file)
    )
}

/// The note owed when a Cloud SSH link still names `bitbucket.org`: Atlassian moves SSH to
/// `ssh.bitbucket.org`, and the link the API returns is what bbconnect uses.
pub fn moved_host_note(provider: Provider, host: &str) -> Option<String> {
    match provider {
        Provider::Cloud if host.eq_ignore_ascii_case("bitbucket.org") => Some(format!(
            "The SSH clone link names bitbucket.org; Atlassian moves SSH to {CLOUD_SSH_HOST}, and bitbucket.org will serve HTTPS only. Run connect --replace --git-protocol ssh once the API's link names the new host."
        )),
        Provider::Cloud | Provider::Server => None,
    }
}

/// The page where a repository admin pastes a key by hand, when the credential cannot
/// register it (both products need repository admin for keys).
pub fn manual_key_page(provider: Provider, web_base: &str, repo: &str) -> String {
    let base = web_base.trim_end_matches('/');
    let (owner, slug) = repo.split_once('/').unwrap_or((repo, ""));
    match provider {
        Provider::Server => format!("{base}/projects/{owner}/repos/{slug}/settings/access-keys"),
        Provider::Cloud => format!("{base}/{owner}/{slug}/admin/access-keys/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_urls_name_their_host_and_port() {
        assert_eq!(
            host_and_port("ssh://git@bb.example.com:7999/web/site.git"),
            Some(("bb.example.com".into(), 7999))
        );
        assert_eq!(
            host_and_port("git@ssh.bitbucket.org:ws/repo.git"),
            Some(("ssh.bitbucket.org".into(), 22))
        );
        assert_eq!(
            host_and_port("ssh://git@127.0.0.1/ws/repo.git"),
            Some(("127.0.0.1".into(), 22))
        );
        assert_eq!(
            host_and_port("ssh://git@[::1]:2222/ws/repo.git"),
            Some(("::1".into(), 2222))
        );
        assert_eq!(host_and_port("https://bitbucket.org/ws/repo.git"), None);
        assert_eq!(host_and_port("ssh://git@host:notaport/x"), None);
    }

    #[test]
    fn known_hosts_names_bracket_other_ports() {
        assert_eq!(known_hosts_name("h", 22), "h");
        assert_eq!(known_hosts_name("127.0.0.1", 7999), "[127.0.0.1]:7999");
    }

    #[test]
    fn the_ssh_command_has_the_exact_form_and_quotes_odd_paths() {
        assert_eq!(
            ssh_command("/home/u/.config/bbconnect/ssh/ci", "/h/ci.known_hosts"),
            "ssh -F /dev/null -i /home/u/.config/bbconnect/ssh/ci -o IdentitiesOnly=yes -o UserKnownHostsFile=/h/ci.known_hosts -o StrictHostKeyChecking=yes"
        );
        let odd = ssh_command("/tmp/my dir/it's", "/k");
        assert!(odd.contains("-i '/tmp/my dir/it'\\''s'"), "{odd}");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "printf '%s' {}",
                shell_word("/tmp/my dir/it's $HOME")
            ))
            .output()
            .expect("sh runs");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "/tmp/my dir/it's $HOME"
        );
    }

    #[test]
    fn only_a_cloud_link_on_bitbucket_org_gets_the_move_note() {
        assert!(moved_host_note(Provider::Cloud, "bitbucket.org").is_some());
        assert!(moved_host_note(Provider::Cloud, "ssh.bitbucket.org").is_none());
        assert!(moved_host_note(Provider::Server, "bitbucket.org").is_none());
    }

    #[test]
    fn manual_pages_per_product() {
        assert_eq!(
            manual_key_page(Provider::Server, "https://bb.example.com/", "WEB/site"),
            "https://bb.example.com/projects/WEB/repos/site/settings/access-keys"
        );
        assert_eq!(
            manual_key_page(Provider::Cloud, "https://bitbucket.org", "ws/repo"),
            "https://bitbucket.org/ws/repo/admin/access-keys/"
        );
    }
}
