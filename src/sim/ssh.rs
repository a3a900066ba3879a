//! The simulator's SSH server: an Ed25519 host key made at start, public-key sign-in with the
//! keys registered through the REST endpoints (`keys.rs`) only, and git's `git-upload-pack`
//! / `git-receive-pack` exec requests served by the real git on the same bare repositories as
//! smart HTTP. Read-only keys (Cloud deploy keys, DC REPO_READ access keys) cannot push.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use base64::Engine;
use russh::server::{Auth, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, ChannelMsg};
use sha2::Digest;
use tokio::io::AsyncWriteExt;

use super::SimState;
use super::git::{GitTarget, Product};
use super::keys::{KeyAccess, Which};

/// The host key: the Ed25519 seed and its public half.
pub(crate) struct HostKey {
    seed: [u8; 32],
    public: [u8; 32],
}

impl HostKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> std::io::Result<HostKey> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            std::io::Error::other(format!(
                "the simulator cannot make its SSH host key (no random source: {e})"
            ))
        })?;
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| {
            std::io::Error::other("the simulator cannot make its SSH host key".to_string())
        })?;
        let mut public = [0u8; 32];
        public.copy_from_slice(ring::signature::KeyPair::public_key(&pair).as_ref());
        Ok(HostKey { seed, public })
    }

    /// The key as the SSH library takes it.
    fn private_key(&self) -> russh::keys::PrivateKey {
        russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&self.seed).into()
    }

    /// The public key in SSH wire form (`string "ssh-ed25519", string key`).
    pub fn blob(&self) -> Vec<u8> {
        ed25519_blob(&self.public)
    }

    /// `ssh-ed25519 AAAA...`, as in `known_hosts` and `authorized_keys`.
    pub fn line(&self) -> String {
        format!(
            "ssh-ed25519 {}",
            base64::engine::general_purpose::STANDARD.encode(self.blob())
        )
    }

    /// The SHA-256 fingerprint without its `SHA256:` prefix, as DC reports it.
    pub fn fingerprint_value(&self) -> String {
        fingerprint(&self.blob())
    }
}

pub(crate) fn ed25519_blob(public: &[u8]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(51);
    put_string(&mut blob, b"ssh-ed25519");
    put_string(&mut blob, public);
    blob
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// OpenSSH's SHA-256 fingerprint of a key blob: unpadded base64, without the `SHA256:` prefix.
pub(crate) fn fingerprint(blob: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(blob))
}

/// Serves SSH on `listener` until the returned task is aborted.
pub(crate) fn serve(
    state: Arc<SimState>,
    listener: std::net::TcpListener,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let config = Arc::new(russh::server::Config {
        keys: vec![state.host_key.private_key()],
        // A refused key is answered at once: tests try wrong keys on purpose.
        auth_rejection_time: std::time::Duration::from_millis(0),
        auth_rejection_time_initial: Some(std::time::Duration::from_millis(0)),
        methods: russh::MethodSet::from(&[russh::MethodKind::PublicKey][..]),
        inactivity_timeout: Some(std::time::Duration::from_secs(600)),
        ..Default::default()
    });
    Ok(tokio::spawn(async move {
        loop {
            let socket = match listener.accept().await {
                Ok((socket, _)) => socket,
                Err(e) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    tracing::debug!("simulator ssh accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = socket.set_nodelay(true);
            let handler = Conn {
                state: state.clone(),
                key: None,
                channels: HashMap::new(),
            };
            let config = config.clone();
            tokio::spawn(async move {
                match russh::server::run_stream(config, socket, handler).await {
                    Ok(session) => {
                        if let Err(e) = session.await {
                            tracing::debug!("simulator ssh session ended: {e}");
                        }
                    }
                    Err(e) => tracing::debug!("simulator ssh handshake failed: {e}"),
                }
            });
        }
    }))
}

/// One SSH connection: the key it signed in with and its open session channels.
struct Conn {
    state: Arc<SimState>,
    key: Option<Vec<u8>>,
    channels: HashMap<ChannelId, Channel<Msg>>,
}

fn blob_of(key: &russh::keys::PublicKey) -> Option<Vec<u8>> {
    key.to_bytes().ok()
}

impl Conn {
    fn registered(&self, key: &russh::keys::PublicKey) -> Option<Vec<u8>> {
        let blob = blob_of(key)?;
        super::keys::store(&self.state).knows(&blob).then_some(blob)
    }
}

impl russh::server::Handler for Conn {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(match self.registered(offer.public_key) {
            Some(_) => Auth::Accept,
            None => Auth::reject(),
        })
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(match self.registered(key.public_key) {
            Some(blob) => {
                self.key = Some(blob);
                Auth::Accept
            }
            None => Auth::reject(),
        })
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let (Some(ch), Some(key)) = (self.channels.remove(&channel), self.key.clone()) else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        session.channel_success(channel)?;
        let command = String::from_utf8_lossy(data).into_owned();
        tokio::spawn(run_exec(self.state.clone(), key, command, ch));
        Ok(())
    }
}

/// `git-upload-pack '/owner/slug.git'` (or `git upload-pack ...`): the service and the path.
fn parse_command(command: &str) -> Option<(&'static str, String)> {
    let command = command.trim();
    let (service, rest) = [
        ("git-upload-pack", "git-upload-pack"),
        ("git upload-pack", "git-upload-pack"),
        ("git-receive-pack", "git-receive-pack"),
        ("git receive-pack", "git-receive-pack"),
    ]
    .into_iter()
    .find_map(|(prefix, service)| {
        command
            .strip_prefix(prefix)
            .filter(|r| r.starts_with(' '))
            .map(|r| (service, r.trim()))
    })?;
    let path = rest
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
        .unwrap_or(rest);
    if path.contains('\'') || path.contains("..") {
        return None;
    }
    let path = path.trim_start_matches('/').trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    Some((service, path.to_string()))
}

/// The repository a path names: DC paths are `key/slug` (the key in either case, as in the
/// clone links), Cloud paths `workspace/slug`.
fn locate(state: &SimState, path: &str) -> Option<(Which, usize, PathBuf, String)> {
    let (owner, slug) = path.split_once('/')?;
    if slug.contains('/') || owner.is_empty() || slug.is_empty() {
        return None;
    }
    let target = |product| GitTarget {
        product,
        owner: owner.to_string(),
        slug: slug.to_string(),
        rest: String::new(),
    };
    if let Some((i, dir, branch)) = super::git::dc_repo(state, &target(Product::Dc)) {
        return Some((Which::Dc, i, dir, branch));
    }
    super::git::cloud_repo(state, &target(Product::Cloud))
        .map(|(i, dir, branch)| (Which::Cloud, i, dir, branch))
}

const NOT_FOUND: &str = "Repository not found\nThe requested repository does not exist, or this key is not registered on it.\n";
const READ_ONLY: &str = "This key is read-only on this repository (a deploy key, or an access key with REPO_READ): it can clone and fetch but not push.\n";

async fn run_exec(state: Arc<SimState>, key: Vec<u8>, command: String, channel: Channel<Msg>) {
    let (mut read, write) = channel.split();
    let status = match admit(&state, &key, &command) {
        Err(message) => {
            let _ = write.extended_data_bytes(1, message.into_bytes()).await;
            1
        }
        Ok((service, dir, branch)) => {
            match pipe_git(&state, service, &dir, &branch, &mut read, &write).await {
                Ok(code) => code,
                Err(e) => {
                    let _ = write
                        .extended_data_bytes(1, format!("{e}\n").into_bytes())
                        .await;
                    1
                }
            }
        }
    };
    let _ = write.exit_status(status).await;
    let _ = write.eof().await;
    let _ = write.close().await;
}

/// The service to run and where, when `key` may do what `command` asks.
fn admit(
    state: &SimState,
    key: &[u8],
    command: &str,
) -> Result<(&'static str, PathBuf, String), String> {
    let Some((service, path)) = parse_command(command) else {
        return Err(format!(
            "This server only runs git-upload-pack and git-receive-pack, not '{}'.\n",
            crate::core::sanitize::clean(command)
        ));
    };
    let Some((which, index, dir, branch)) = locate(state, &path) else {
        return Err(NOT_FOUND.to_string());
    };
    let access = super::keys::store(state).access(which, index, key, super::data::unix_now());
    match access {
        None => Err(NOT_FOUND.to_string()),
        Some(KeyAccess::Read) if service == "git-receive-pack" => Err(READ_ONLY.to_string()),
        Some(_) => Ok((service, dir, branch)),
    }
}

/// Runs `git upload-pack|receive-pack DIR`, the channel's data to its stdin, its stdout to
/// the channel and its stderr to the channel's stderr; its exit code.
async fn pipe_git(
    state: &SimState,
    service: &str,
    dir: &std::path::Path,
    branch: &str,
    read: &mut russh::ChannelReadHalf,
    write: &russh::ChannelWriteHalf<Msg>,
) -> Result<u32, String> {
    let root = state.git.root()?.to_path_buf();
    super::git::ensure_repo(&state.git, &root, dir, branch).await?;
    let mut cmd = super::git::git(&root);
    cmd.arg(service.trim_start_matches("git-"))
        .arg(root.join(dir))
        .stdin(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start git (is it installed?): {e}"))?;
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err("cannot talk to git".to_string());
    };
    let input = async move {
        while let Some(msg) = read.wait().await {
            match msg {
                ChannelMsg::Data { data } => {
                    let written = stdin.write_all(&data).await;
                    if written.is_err() {
                        break;
                    }
                }
                ChannelMsg::Eof | ChannelMsg::Close => break,
                _ => {}
            }
        }
        drop(stdin);
        std::future::pending::<()>().await
    };
    let mut out = write.make_writer();
    let mut err = write.make_writer_ext(Some(1));
    let output = async {
        let (a, b) = tokio::join!(
            tokio::io::copy(&mut stdout, &mut out),
            tokio::io::copy(&mut stderr, &mut err)
        );
        let _ = out.flush().await;
        let _ = err.flush().await;
        a.and(b)
    };
    // Input stops mattering once git has written everything and exited.
    let copied = tokio::select! {
        r = output => r,
        () = input => Ok(0),
    };
    copied.map_err(|e| format!("the connection to git broke: {e}"))?;
    let status = child.wait().await.map_err(|e| format!("git failed: {e}"))?;
    Ok(status.code().map(|c| c as u32).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_line_holds_its_own_blob() {
        let k = HostKey::generate().expect("key");
        let line = k.line();
        let b64 = line.strip_prefix("ssh-ed25519 ").expect("prefix");
        let blob = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        assert_eq!(blob.len(), 51);
        assert_eq!(fingerprint(&blob), k.fingerprint_value());
        assert!(!k.fingerprint_value().ends_with('='));
        let again = k.private_key();
        assert_eq!(
            again.public_key().to_bytes().expect("blob"),
            k.blob(),
            "the library's key is the one the REST side publishes"
        );
    }

    #[test]
    fn commands_name_a_service_and_a_path() {
        assert_eq!(
            parse_command("git-upload-pack '/plat/api.git'"),
            Some(("git-upload-pack", "plat/api".to_string()))
        );
        assert_eq!(
            parse_command("git receive-pack 'acme/api.git/'"),
            Some(("git-receive-pack", "acme/api".to_string()))
        );
        assert_eq!(parse_command("rm -rf /"), None);
        assert_eq!(parse_command("git-upload-pack '../etc'"), None);
        assert_eq!(parse_command("git-upload-packx 'a/b'"), None);
    }
}
