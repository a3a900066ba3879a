//! A private HOME, config dir and working dir for runs of bbconnect and git that read nothing
//! of the developer's own set-up.

use std::path::PathBuf;
use std::process::{Output, Stdio};

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

pub struct Dirs {
    _root: tempfile::TempDir,
    pub home: PathBuf,
    pub config: PathBuf,
    pub work: PathBuf,
}

impl Dirs {
    pub fn new() -> Dirs {
        let root = tempfile::tempdir().expect("tempdir");
        let home = root.path().join("home");
        let config = root.path().join("config");
        let work = root.path().join("work");
        for d in [&home, &config, &work] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        Dirs {
            _root: root,
            home,
            config,
            work,
        }
    }

    /// Empties `cmd`'s environment but PATH and points it here: HOME, the config dir (secrets
    /// in files), the working dir; git never prompts and reads no system config.
    pub fn env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("BBCONNECT_CONFIG_DIR", &self.config)
            .env("BBCONNECT_SECRET_STORE", "file")
            .current_dir(&self.work)
            .stdin(Stdio::null())
    }
}

/// Runs `cmd` with `input` on its stdin, to the end.
pub async fn with_input(mut cmd: Command, input: &str) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the command starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).await.expect("write");
    drop(stdin);
    child.wait_with_output().await.expect("the command ends")
}
