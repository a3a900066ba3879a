//! The SSH route (`connect --git-protocol ssh`, the wizard's SSH choice): a read-only Ed25519
//! key of the connection's own, registered on the repository, the server's host key pinned in
//! a known_hosts file of the connection's own, and a real `git ls-remote` over SSH proving both
//! before anything is saved (docs/bitbucket.md section 7). Also the route's check rows.

use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;
use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey};

use crate::bitbucket::Client;
use crate::core::model::{CheckId, CheckItem, FailureClass, Problem, Provider, Repo};
use crate::core::sanitize::clean;
use crate::core::ssh::{
    CLOUD_HOST_KEY_FINGERPRINTS, SshRoute, host_and_port, key_label, known_hosts_name,
    moved_host_note, ssh_command,
};
use crate::store::{SavedConnection, SshFiles, Store};

/// How long ssh-keyscan and the proving `git ls-remote` may take.
const NET_WAIT: Duration = Duration::from_secs(60);

/// A fresh key pair: the private key in OpenSSH's format, the public key's line.
pub struct NewKey {
    pub private: SecretString,
    pub public: String,
}

/// An Ed25519 key from 32 bytes of OS randomness, its comment `bbconnect NAME`.
pub fn generate_key(connection: &str) -> Result<NewKey, Problem> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| {
        Problem::new(
            FailureClass::Other,
            format!("Could not make an SSH key: the OS gave no random bytes ({e})."),
            "Run again; use --git-protocol https if it keeps failing.",
        )
    })?;
    let pair = ssh_key::private::Ed25519Keypair::from_seed(&seed);
    seed.fill(0);
    let mut key = PrivateKey::from(pair);
    key.set_comment(key_label(connection));
    let encoding = |e: ssh_key::Error| {
        Problem::new(
            FailureClass::Other,
            format!("Could not encode the SSH key: {e}."),
            "Run again; report a bug if it happens again.",
        )
    };
    let private = key.to_openssh(LineEnding::LF).map_err(encoding)?;
    let public = key.public_key().to_openssh().map_err(encoding)?;
    Ok(NewKey {
        private: SecretString::from(private.to_string()),
        public,
    })
}

/// One host key of a known_hosts text: the key (`TYPE BASE64`) and its SHA-256 fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKey {
    pub key: String,
    pub fingerprint: String,
}

/// The host keys a known_hosts-form text holds (ssh-keyscan's output, Cloud's `/site/ssh`);
/// lines that are no key are skipped.
pub fn parse_host_keys(text: &str) -> Vec<HostKey> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('@'))
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let _hosts = parts.next()?;
            let key = format!("{} {}", parts.next()?, parts.next()?);
            let parsed = PublicKey::from_openssh(&key).ok()?;
            Some(HostKey {
                fingerprint: parsed.fingerprint(HashAlg::Sha256).to_string(),
                key,
            })
        })
        .collect()
}

/// The known_hosts file of a connection: its keys, under the name ssh looks the host up by.
pub fn known_hosts_text(host: &str, port: u16, keys: &[HostKey]) -> String {
    let name = known_hosts_name(host, port);
    keys.iter().map(|k| format!("{name} {}\n", k.key)).collect()
}

/// The host keys to pin and the fingerprint saved with the route.
#[derive(Debug, Clone)]
pub struct PinnedHost {
    pub keys: Vec<HostKey>,
    pub fingerprint: String,
}

/// The refusal when the server's host key is not the one expected, naming both.
pub fn host_key_mismatch(host: &str, port: u16, expected: &str, presented: &[HostKey]) -> Problem {
    let seen = if presented.is_empty() {
        "no host key".to_string()
    } else {
        presented
            .iter()
            .map(|k| k.fingerprint.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Problem::new(
        FailureClass::Permission,
        format!(
            "The SSH host key of {} is {seen}, not the pinned {expected}: this may be someone else's server.",
            clean(&known_hosts_name(host, port))
        ),
        "Compare the fingerprint with the server's admin (DC: Administration > Server settings > SSH); if the server's key really changed, run connect --replace --git-protocol ssh to pin the new one.",
    )
}

/// Asks the SSH server for its host keys (ssh-keyscan: no login, no config, no agent).
pub async fn scan_host_keys(host: &str, port: u16) -> Result<Vec<HostKey>, Problem> {
    let mut cmd = crate::os::child::tokio_command("ssh-keyscan");
    cmd.args(["-T", "10", "-p", &port.to_string(), "--", host])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(NET_WAIT, cmd.output())
        .await
        .map_err(|_| unreachable_ssh(host, port, "ssh-keyscan timed out"))?
        .map_err(|e| {
            Problem::new(
                FailureClass::Other,
                format!("Could not run ssh-keyscan: {e}."),
                "Install OpenSSH's client tools (ssh, ssh-keyscan), or use --git-protocol https.",
            )
        })?;
    let keys = parse_host_keys(&String::from_utf8_lossy(&out.stdout));
    if keys.is_empty() {
        return Err(unreachable_ssh(
            host,
            port,
            String::from_utf8_lossy(&out.stderr).trim(),
        ));
    }
    Ok(keys)
}

fn unreachable_ssh(host: &str, port: u16, why: &str) -> Problem {
    Problem::new(
        FailureClass::Unreachable,
        format!(
            "The SSH server {} gave no host key ({}).",
            clean(&known_hosts_name(host, port)),
            clean(why)
        ),
        "Check that SSH is on and reachable from here (a firewall may block its port), or use --git-protocol https.",
    )
}

/// The host keys to pin for `host:port`: DC's come from the server's settings (its
/// fingerprint) and the server itself (the key with that fingerprint); Cloud's from
/// `{web}/site/ssh`, kept only when Atlassian publishes their fingerprints for bitbucket.org.
pub async fn pin_host(client: &Client, host: &str, port: u16) -> Result<PinnedHost, Problem> {
    match client.spec().provider {
        Provider::Server => {
            let settings = client.dc_ssh_settings().await?;
            if !settings.enabled || !settings.access_keys_enabled {
                return Err(Problem::new(
                    FailureClass::Permission,
                    "SSH access (or SSH access keys) is turned off on this server.",
                    "Ask the server's admin to turn on SSH access (Administration > Server settings), or use --git-protocol https.",
                ));
            }
            let expected = settings.fingerprint.ok_or_else(|| {
                Problem::new(
                    FailureClass::Other,
                    "The server's SSH settings name no SHA-256 host key fingerprint to pin.",
                    "Use --git-protocol https, or ask the admin for the host key's SHA-256 fingerprint.",
                )
            })?;
            let presented = scan_host_keys(host, port).await?;
            let keys: Vec<HostKey> = presented
                .iter()
                .filter(|k| k.fingerprint == expected)
                .cloned()
                .collect();
            if keys.is_empty() {
                return Err(host_key_mismatch(host, port, &expected, &presented));
            }
            Ok(PinnedHost {
                keys,
                fingerprint: expected,
            })
        }
        Provider::Cloud => {
            let published = parse_host_keys(&client.cloud_host_keys().await?);
            let official = is_bitbucket_org(&client.inner().web);
            let keys: Vec<HostKey> = published
                .into_iter()
                .filter(|k| {
                    !official || CLOUD_HOST_KEY_FINGERPRINTS.contains(&k.fingerprint.as_str())
                })
                .collect();
            let first = keys
                .iter()
                .find(|k| k.key.starts_with("ssh-ed25519 "))
                .or(keys.first())
                .ok_or_else(|| {
                    Problem::new(
                        FailureClass::Other,
                        "Bitbucket Cloud's published host keys include none with a fingerprint Atlassian publishes.",
                        "Use --git-protocol https for now; compare https://bitbucket.org/site/ssh with Atlassian's documentation.",
                    )
                })?;
            Ok(PinnedHost {
                fingerprint: first.fingerprint.clone(),
                keys,
            })
        }
    }
}

fn is_bitbucket_org(web: &str) -> bool {
    url::Url::parse(web)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.eq_ignore_ascii_case("bitbucket.org"))
        })
        .unwrap_or(false)
}

/// The ssh command line for a connection's key files.
pub fn command_for(files: &SshFiles) -> String {
    ssh_command(
        &files.key.display().to_string(),
        &files.known_hosts.display().to_string(),
    )
}

/// `git ls-remote` over SSH with only these files: the route works end to end.
pub async fn prove(clone_url: &str, files: &SshFiles) -> Result<(), Problem> {
    let mut cmd = crate::os::child::tokio_command("git");
    cmd.args(["ls-remote", "--heads", "--", clone_url])
        .env(
            "GIT_SSH_COMMAND",
            format!("{} -o BatchMode=yes", command_for(files)),
        )
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(NET_WAIT, cmd.output())
        .await
        .map_err(|_| {
            Problem::new(
                FailureClass::Unreachable,
                format!("git ls-remote {} over SSH timed out.", clean(clone_url)),
                "Check that the SSH port is reachable from here, or use --git-protocol https.",
            )
        })?
        .map_err(|e| {
            Problem::new(
                FailureClass::Other,
                format!("Could not run git: {e}."),
                "Install git, or put it on PATH.",
            )
        })?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    Err(Problem::new(
        FailureClass::Other,
        format!(
            "git ls-remote over SSH with the new key failed: {}",
            clean(said.trim())
        ),
        "Nothing was saved and the new key was removed from the repository; run again, or use --git-protocol https.",
    ))
}

/// A route made and proven but not yet saved: the new key files wait in the store's `next`
/// folder and the key is registered on the server (or, on the manual path, was added by an
/// admin and git over SSH proved it).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub route: SshRoute,
    pub public_key: String,
    /// Said once the route is saved (a Cloud link still naming bitbucket.org).
    pub note: Option<String>,
    /// The server, SSH host and repository a key kept for the manual path is filed under: once
    /// the route is saved, no key is kept for them any more.
    pub target: String,
}

/// Why no route was prepared. `manual_key` is the public key kept for the manual path (the
/// credential could not register it): the same key is offered again by the next connect of
/// this name, host and repository.
#[derive(Debug, Clone)]
pub struct NotPrepared {
    pub problem: Problem,
    pub manual_key: Option<String>,
}

impl From<Problem> for NotPrepared {
    fn from(problem: Problem) -> Self {
        NotPrepared {
            problem,
            manual_key: None,
        }
    }
}

impl From<NotPrepared> for Problem {
    fn from(n: NotPrepared) -> Self {
        n.problem
    }
}

/// What a pending key is kept for: a secret belongs to one server, SSH host and repository.
fn pending_target(client: &Client, host: &str, port: u16, repo: &str) -> String {
    format!(
        "api {}\nssh {}\nrepo {}\n",
        client.inner().api,
        known_hosts_name(host, port),
        repo
    )
}

/// Generates (or takes the key kept by a refused connect for the same target), pins and
/// registers (at once), writes and proves the route for `repo`. On failure nothing is left
/// behind (the new files are deleted, and the key too if it was registered) except, when the
/// credential cannot register keys, the key pair kept for the manual path: the refusal names
/// it and the page to add it on, and the next run proves it with git over SSH.
pub async fn prepare(client: &Client, store: &Store, repo: &Repo) -> Result<Prepared, NotPrepared> {
    let name = client.spec().name.clone();
    let clone_url = repo.clone_ssh.clone().ok_or_else(|| {
        Problem::new(
            FailureClass::Other,
            format!(
                "The server returned no SSH clone link for {}: SSH may be off on it.",
                clean(&repo.full_name)
            ),
            "Ask the server's admin to turn on SSH access, or use --git-protocol https.",
        )
    })?;
    let (host, port) = host_and_port(&clone_url).ok_or_else(|| {
        Problem::new(
            FailureClass::Other,
            format!("The SSH clone link `{}` names no host.", clean(&clone_url)),
            "Use --git-protocol https; report the link to the server's admin.",
        )
    })?;
    let target = pending_target(client, &host, port, &repo.full_name);
    let kept = store
        .pending_ssh_key(&name, &target)
        .map_err(Problem::from)?;
    let reused = kept.is_some();
    let key = match kept {
        Some((private, public)) => NewKey { private, public },
        None => generate_key(&name)?,
    };
    let label = key_label(&name);
    // Pinning and registering need nothing of each other: one round trip instead of two.
    let (pinned, registered) = tokio::join!(
        pin_host(client, &host, port),
        client.register_ssh_key(&repo.full_name, &key.public, &label)
    );
    let (key_id, refusal) = match registered {
        Ok(r) => (Some(r.id), None),
        Err(p) if p.class == FailureClass::Permission && !reused => {
            return Err(keep_for_manual_path(store, &name, &target, &key, p));
        }
        // A key kept from a refused run: an admin may have added it meanwhile (registering it
        // again is then refused, or turned down as a key the repository already has), and
        // only git over SSH can tell.
        Err(p) if reused => (None, Some(p)),
        Err(p) => return Err(p.into()),
    };
    let written = pinned.and_then(|pinned| {
        store
            .write_next_ssh_files(
                &name,
                &key.private,
                &key.public,
                &known_hosts_text(&host, port, &pinned.keys),
            )
            .map(|files| (pinned, files))
            .map_err(Problem::from)
    });
    let (pinned, files) = match written {
        Ok(done) => done,
        Err(p) => {
            undo(client, store, &repo.full_name, key_id.as_deref()).await;
            return Err(p.into());
        }
    };
    if let Err(p) = prove(&clone_url, &files).await {
        undo(client, store, &repo.full_name, key_id.as_deref()).await;
        return Err(match refusal {
            Some(refused) if refused.class == FailureClass::Permission => NotPrepared {
                problem: Problem::new(
                    refused.class,
                    format!(
                        "{} The key kept from the last attempt is not on the repository yet: git over SSH with it is refused.",
                        refused.what
                    ),
                    refused.fix,
                ),
                manual_key: Some(key.public),
            },
            Some(refused) => refused.into(),
            None => p.into(),
        });
    }
    Ok(Prepared {
        route: SshRoute {
            clone_url,
            key_id,
            host: host.clone(),
            port,
            host_key_fingerprint: pinned.fingerprint,
        },
        public_key: key.public,
        note: moved_host_note(client.spec().provider, &host),
        target,
    })
}

/// A first refusal: the key pair is kept for the manual path, and the refusal (which names
/// the key and the page) is returned with it. When it cannot be kept, the manual path would
/// hand out a key nobody can use, so that is said instead.
fn keep_for_manual_path(
    store: &Store,
    name: &str,
    target: &str,
    key: &NewKey,
    refused: Problem,
) -> NotPrepared {
    match store.keep_pending_ssh_key(name, target, &key.private, &key.public) {
        Ok(()) => NotPrepared {
            problem: refused,
            manual_key: Some(key.public.clone()),
        },
        Err(e) => NotPrepared {
            problem: Problem::from(e).with_note(&refused.what),
            manual_key: None,
        },
    }
}

/// After the save: the new key files become the ones in use, and the key an earlier connect of
/// this name registered (on its repository) is deleted: one key of ours per connection.
/// Returns a warning to show when the old key could not be deleted.
pub async fn commit(
    client: &Client,
    store: &Store,
    route: &SshRoute,
    previous: Option<(&str, &SshRoute)>,
) -> Result<Option<String>, Problem> {
    let name = &client.spec().name;
    // Read before the promote replaces it: a key of unknown id is found by its public key.
    let old_public = store.ssh_public_key(name).ok().flatten();
    store.promote_next_ssh_files(name).map_err(Problem::from)?;
    match previous {
        Some((repo, old)) if old.key_id.is_none() || old.key_id != route.key_id => {
            Ok(delete_old(client, repo, old, old_public.as_deref()).await)
        }
        _ => Ok(None),
    }
}

/// The SSH route (and the repository it is on) that connection `name` has saved: the key a
/// replacing save makes obsolete. Read before the save, which overwrites it.
pub fn saved_route(store: &Store, name: &str) -> Option<(String, SshRoute)> {
    store
        .get(name)
        .ok()
        .flatten()
        .and_then(|c| Some((c.repo?, c.ssh?)))
}

/// What follows a save, the same in both faces. A failed save leaves nothing behind: the new
/// key leaves the repository `repo` and its files the store. A good one makes the new key
/// files the ones in use and deletes the key of `previous` (the route the save replaced), or,
/// saved without a route, retires `previous`. Gives the save's outcome and a warning when an
/// old key could not be deleted.
pub async fn after_save<T>(
    client: &Client,
    store: &Store,
    saved: Result<T, Problem>,
    new: Option<(&str, &Prepared)>,
    previous: Option<(&str, &SshRoute)>,
) -> Result<(T, Option<String>), Problem> {
    let saved = match saved {
        Ok(saved) => saved,
        Err(p) => {
            if let Some((repo, prepared)) = new {
                abandon(client, store, repo, prepared).await;
            }
            return Err(p);
        }
    };
    let warning = match new {
        Some((_, prepared)) => {
            let warning = commit(client, store, &prepared.route, previous).await?;
            store.discard_pending_ssh_key(&client.spec().name, &prepared.target);
            warning
        }
        None => match previous {
            Some((old_repo, old)) => retire(client, store, old_repo, old).await,
            None => None,
        },
    };
    Ok((saved, warning))
}

/// A connection saved again without its SSH route: its key leaves the repository and its
/// files the store. A warning when the key could not be deleted.
pub async fn retire(client: &Client, store: &Store, repo: &str, old: &SshRoute) -> Option<String> {
    let name = &client.spec().name;
    let old_public = store.ssh_public_key(name).ok().flatten();
    store.remove_ssh_files(name);
    delete_old(client, repo, old, old_public.as_deref()).await
}

async fn delete_old(
    client: &Client,
    repo: &str,
    old: &SshRoute,
    public: Option<&str>,
) -> Option<String> {
    match delete_key(client, repo, old, public).await {
        Ok(_) => None,
        Err(p) => Some(format!(
            "The previous SSH key ({}) could not be deleted from {}: {} Delete it in the repository's access keys.",
            key_name(old),
            clean(repo),
            p.what
        )),
    }
}

/// Deletes the route's key from `repo`: by its id, or, when the id was never seen, the key
/// whose text is `public` (listing keys needs repository admin). `Ok(false)` when it was
/// already gone.
pub async fn delete_key(
    client: &Client,
    repo: &str,
    route: &SshRoute,
    public: Option<&str>,
) -> Result<bool, Problem> {
    let id = match (&route.key_id, public) {
        (Some(id), _) => id.clone(),
        (None, Some(public)) => match find_by_text(client, repo, public).await? {
            Some(k) => k.id,
            None => return Ok(false),
        },
        (None, None) => return Ok(false),
    };
    client.delete_ssh_key(repo, &id).await
}

async fn find_by_text(
    client: &Client,
    repo: &str,
    public: &str,
) -> Result<Option<crate::bitbucket::ssh_keys::RemoteKey>, Problem> {
    Ok(client
        .list_ssh_keys(repo)
        .await?
        .into_iter()
        .find(|k| k.is(public)))
}

/// How messages name a route's key: its id, or that an admin added it.
fn key_name(route: &SshRoute) -> String {
    match &route.key_id {
        Some(id) => format!("id {}", clean(id)),
        None => "added by an admin, id unknown".to_string(),
    }
}

/// Undoes a prepared route whose connection could not be saved. A key an admin added by hand
/// stays: it is theirs, and the next connect finds it again.
pub async fn abandon(client: &Client, store: &Store, repo: &str, prepared: &Prepared) {
    undo(client, store, repo, prepared.route.key_id.as_deref()).await;
}

async fn undo(client: &Client, store: &Store, repo: &str, key_id: Option<&str>) {
    if let Some(id) = key_id {
        let _ = client.delete_ssh_key(repo, id).await;
    }
    store.discard_next_ssh_files(&client.spec().name);
}

/// The SSH rows of a saved connection's check: the key still registered, the server's host key
/// still the pinned one (a different one fails, naming both), and the Cloud host move.
pub async fn check_rows(client: &Client, store: &Store, conn: &SavedConnection) -> Vec<CheckItem> {
    let Some(route) = &conn.ssh else {
        return Vec::new();
    };
    let repo = conn.repo.clone().unwrap_or_default();
    let found = async {
        match &route.key_id {
            Some(id) => client.find_ssh_key(&repo, id).await,
            None => match store.ssh_public_key(&conn.name) {
                Ok(Some(public)) => find_by_text(client, &repo, &public).await,
                Ok(None) => Ok(None),
                Err(e) => Err(Problem::from(e)),
            },
        }
    };
    let (registered, scanned) = tokio::join!(found, scan_host_keys(&route.host, route.port));
    let mut rows = vec![key_row(route, &repo, registered), host_row(route, scanned)];
    if let Some(note) = moved_host_note(conn.provider, &route.host) {
        rows.push(CheckItem::warning(
            CheckId::SshHostKey,
            note,
            "Run connect --replace --git-protocol ssh once the repository's SSH link names ssh.bitbucket.org.",
        ));
    }
    rows
}

/// The key row, from what the server said. Pure.
pub fn key_row(
    route: &SshRoute,
    repo: &str,
    found: Result<Option<crate::bitbucket::ssh_keys::RemoteKey>, Problem>,
) -> CheckItem {
    match found {
        Ok(Some(k)) => CheckItem::passed(
            CheckId::SshKey,
            format!(
                "SSH key {} is registered read-only on {} ({}).",
                clean(&k.id),
                clean(repo),
                clean(&k.label)
            ),
        ),
        Ok(None) => CheckItem::failed(
            CheckId::SshKey,
            FailureClass::Permission,
            format!(
                "SSH key ({}) is gone from {}: git over SSH is refused.",
                key_name(route),
                clean(repo)
            ),
            "Run connect --replace --git-protocol ssh to register a new key.",
        ),
        // The manual path: an admin added the key for a credential that cannot list keys.
        Err(p) if p.class == FailureClass::Permission && route.key_id.is_none() => {
            CheckItem::warning(
                CheckId::SshKey,
                format!(
                    "The SSH key on {} cannot be listed with this credential (listing keys needs repository admin); git over SSH with it was proven when the connection was saved.",
                    clean(repo)
                ),
                "Nothing to do while git over SSH works; a repository admin sees the key in the repository's access keys.",
            )
        }
        // A credential lowered to read access after the key was made can no longer list keys.
        Err(p) if p.class == FailureClass::Permission => CheckItem::warning(
            CheckId::SshKey,
            format!(
                "SSH key ({}) could not be verified: reading keys needs repository admin rights, which this credential no longer has.",
                key_name(route)
            ),
            "Fine if the token was lowered on purpose; check the key in the repository's access keys.",
        ),
        Err(p) => CheckItem::warning(CheckId::SshKey, p.what, p.fix),
    }
}

/// The host key row. Pure.
pub fn host_row(route: &SshRoute, scanned: Result<Vec<HostKey>, Problem>) -> CheckItem {
    match scanned {
        Ok(keys)
            if keys
                .iter()
                .any(|k| k.fingerprint == route.host_key_fingerprint) =>
        {
            CheckItem::passed(
                CheckId::SshHostKey,
                format!(
                    "The SSH host key of {} is the pinned {}.",
                    clean(&known_hosts_name(&route.host, route.port)),
                    route.host_key_fingerprint
                ),
            )
        }
        Ok(keys) => {
            let p = host_key_mismatch(&route.host, route.port, &route.host_key_fingerprint, &keys);
            CheckItem::failed(CheckId::SshHostKey, p.class, p.what, p.fix)
        }
        Err(p) => CheckItem::warning(CheckId::SshHostKey, p.what, p.fix),
    }
}

/// `GIT_SSH_COMMAND` for a saved connection's key (for `env`, `clone`, `setup-git`).
pub fn ssh_command_for(store: &Store, name: &str) -> String {
    command_for(&store.ssh_files(name))
}

/// The saved connection whose SSH route the clone in `dir` (the current directory when
/// `None`) uses: the one whose clone URL is the `origin` remote, else the only one with a
/// route among `chosen`.
pub fn route_for_clone<'a>(
    chosen: &'a [SavedConnection],
    dir: Option<&Path>,
) -> Option<&'a SavedConnection> {
    let with_route: Vec<&SavedConnection> = chosen.iter().filter(|c| c.ssh.is_some()).collect();
    let mut cmd = crate::os::child::command("git");
    if let Some(d) = dir {
        cmd.arg("-C").arg(d);
    }
    let origin = cmd
        .args(["remote", "get-url", "origin"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if let Some(url) = origin
        && let Some(c) = with_route
            .iter()
            .find(|c| c.ssh.as_ref().is_some_and(|r| r.clone_url == url))
    {
        return Some(c);
    }
    match with_route.as_slice() {
        [only] => Some(only),
        _ => None,
    }
}

/// Sets (or with `None` unsets) `core.sshCommand` in one clone's config; `Ok(false)` when
/// there was nothing to change.
pub fn set_local_ssh_command(dir: Option<&Path>, command: Option<&str>) -> Result<bool, Problem> {
    let git = |args: &[&str]| {
        let mut cmd = crate::os::child::command("git");
        if let Some(d) = dir {
            cmd.arg("-C").arg(d);
        }
        cmd.args(args)
            .output()
            .map_err(|e| super::git_setup::git_missing(&e))
    };
    let now = git(&["config", "--local", "--get", "core.sshCommand"])?;
    let current = String::from_utf8_lossy(&now.stdout).trim().to_string();
    let out = match command {
        Some(c) if current == c => return Ok(false),
        None if current.is_empty() => return Ok(false),
        Some(c) => git(&["config", "--local", "core.sshCommand", c])?,
        None => git(&["config", "--local", "--unset", "core.sshCommand"])?,
    };
    if out.status.success() {
        Ok(true)
    } else {
        Err(Problem::new(
            FailureClass::Other,
            format!(
                "git config core.sshCommand failed: {}",
                clean(String::from_utf8_lossy(&out.stderr).trim())
            ),
            "Run it inside the clone (setup-git --local writes that clone's config).",
        ))
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn generated_keys_are_ed25519_openssh_with_our_label_and_differ() {
        let a = generate_key("ci").expect("key");
        let b = generate_key("ci").expect("key");
        assert!(a.public.starts_with("ssh-ed25519 AAAA"), "{}", a.public);
        assert!(a.public.ends_with(" bbconnect ci"), "{}", a.public);
        assert!(
            a.private
                .expose_secret()
                .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
        );
        assert_ne!(a.public, b.public);
        let back = PrivateKey::from_openssh(a.private.expose_secret()).expect("parses");
        assert_eq!(back.public_key().to_openssh().expect("encode"), a.public);
    }

    #[test]
    fn host_keys_parse_from_known_hosts_text_with_fingerprints() {
        let key = generate_key("h").expect("key");
        let material = key
            .public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let fp = PublicKey::from_openssh(&material)
            .expect("parse")
            .fingerprint(HashAlg::Sha256)
            .to_string();
        let text = format!("# comment\n[127.0.0.1]:2222 {material}\nbad line\n");
        let keys = parse_host_keys(&text);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].fingerprint, fp);
        assert!(fp.starts_with("SHA256:"));
        assert_eq!(
            known_hosts_text("ssh.bitbucket.org", 22, &keys),
            format!("ssh.bitbucket.org {material}\n")
        );
        let p = host_key_mismatch("h", 7999, "SHA256:pinned", &keys);
        assert!(
            p.what.contains("SHA256:pinned") && p.what.contains(&fp),
            "{p:?}"
        );
    }

    #[test]
    fn host_rows_pass_only_on_the_pinned_key() {
        let route = SshRoute {
            clone_url: "ssh://git@h:7999/p/r.git".into(),
            key_id: Some("1".into()),
            host: "h".into(),
            port: 7999,
            host_key_fingerprint: "SHA256:pinned".into(),
        };
        let other = HostKey {
            key: "ssh-ed25519 X".into(),
            fingerprint: "SHA256:other".into(),
        };
        let failed = host_row(&route, Ok(vec![other]));
        assert_eq!(failed.status, crate::core::model::CheckStatus::Failed);
        assert!(failed.detail.contains("SHA256:pinned") && failed.detail.contains("SHA256:other"));
        let same = HostKey {
            key: "ssh-ed25519 Y".into(),
            fingerprint: "SHA256:pinned".into(),
        };
        assert_eq!(
            host_row(&route, Ok(vec![same])).status,
            crate::core::model::CheckStatus::Passed
        );
        assert_eq!(
            key_row(&route, "p/r", Ok(None)).status,
            crate::core::model::CheckStatus::Failed
        );
        // A key an admin added for a credential that cannot list keys: a warning, not a failure.
        let manual = SshRoute {
            key_id: None,
            ..route
        };
        let refused = Problem::new(FailureClass::Permission, "no admin", "ask one");
        let row = key_row(&manual, "p/r", Err(refused));
        assert_eq!(row.status, crate::core::model::CheckStatus::Warning);
        assert!(row.detail.contains("cannot be listed"), "{row:?}");
    }
}
