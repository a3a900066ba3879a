//! How long git waits for bbconnect's credential helper on the path every fetch takes (a
//! saved OAuth grant whose access token is still fresh: no request, no connection lock),
//! beside `git credential-store get` answering the same question from a plain file. Both of
//! bbconnect's ways are timed: `git-credential-bbconnect get`, which `setup-git` installs, and
//! `bbconnect git-credential get`, which older set-ups name. The target: within 1.5 times
//! git's own store (docs/performance.md).
//!
//! `cargo build --release && cargo run --release --example credential_speed [RUNS]`, or
//! `... --example credential_speed --fixture DIR` to set the question up for an outside timer.
//!
//! Each run is a whole process, started and reaped, timed from outside; the commands run in
//! turn (helper, bbconnect, git, helper, ...) so that a machine slowing down in the middle
//! weighs on all of them. Nothing leaves the machine: the saved connection's URL is never called.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bbconnect::bitbucket::git::helper_binary_beside;
use bbconnect::core::model::OAuthGrant;
use bbconnect::store::{SecretStoreMode, Store};
use secrecy::SecretString;

use common::{Res, binary};
use creds::saved_oauth;

mod common;
#[allow(dead_code)]
#[path = "../tests/common/creds.rs"]
mod creds;

const HOST: &str = "127.0.0.1:9";

/// A saved OAuth connection whose access token lives another hour, in a file store.
fn save_connection(config: &Path) -> Res<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let grant = OAuthGrant {
        access_token: SecretString::from("test-token-speed-access"),
        refresh_token: Some(SecretString::from("test-token-speed-refresh")),
        expires_at: Some(now + 3600),
        consumer_secret: SecretString::from("test-token-speed-consumer"),
    };
    let base = format!("http://{HOST}");
    let conn = saved_oauth("speed", &base, "acme/app");
    let store = Store::open(Some(config.to_path_buf()), SecretStoreMode::File)?;
    store.save(conn, &grant.to_stored(), true)?;
    Ok(())
}

/// One run of `cmd` with `input` on stdin; its wall time, after checking it answered.
fn time(mut cmd: Command, input: &str) -> Res<Duration> {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(input.as_bytes())?;
    let out = child.wait_with_output()?;
    let took = start.elapsed();
    if !out.status.success() || !String::from_utf8_lossy(&out.stdout).contains("password=") {
        return Err(format!(
            "no answer: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(took)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(times: &mut [Duration]) -> (f64, f64) {
    times.sort();
    (ms(times[0]), ms(times[times.len() / 2]))
}

fn main() -> Res<()> {
    let arg = std::env::args().nth(1);
    // `--fixture DIR` only writes the saved connection, git's store file and the question into
    // DIR, and prints the two commands, for an outside timer that pairs them
    // (docs/performance.md).
    if arg.as_deref() == Some("--fixture") {
        let dir = std::env::args()
            .nth(2)
            .ok_or("--fixture needs a directory")?;
        return fixture(Path::new(&dir));
    }
    let runs: usize = arg.map(|n| n.parse()).transpose()?.unwrap_or(50);
    let bin = binary()?;
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home)?;
    let Fixture {
        config,
        store_file,
        question: input,
    } = prepare(dir.path())?;
    let env = |cmd: &mut Command| {
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("BBCONNECT_CONFIG_DIR", &config)
            .env("BBCONNECT_SECRET_STORE", "file");
    };
    let helper_bin = helper_binary_beside(&bin);
    let helper = || {
        let mut c = Command::new(&helper_bin);
        env(&mut c);
        c.arg("get");
        c
    };
    let bbconnect = || {
        let mut c = Command::new(&bin);
        env(&mut c);
        c.args(["git-credential", "get"]);
        c
    };
    let git_store = || {
        let mut c = Command::new("git");
        env(&mut c);
        c.args(["credential-store", "--file"])
            .arg(&store_file)
            .arg("get");
        c
    };
    // Warm the page cache and the dynamic loader for all three.
    time(helper(), &input)?;
    time(bbconnect(), &input)?;
    time(git_store(), &input)?;
    let (mut small, mut ours, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        small.push(time(helper(), &input)?);
        ours.push(time(bbconnect(), &input)?);
        theirs.push(time(git_store(), &input)?);
    }
    let (their_min, their_median) = summary(&mut theirs);
    println!("{runs} runs each, in turn, wall time per process:");
    for (label, times, note) in [
        (
            "git-credential-bbconnect get",
            &mut small,
            "target at most 1.5: what git runs after setup-git",
        ),
        (
            "bbconnect git-credential get",
            &mut ours,
            "what set-ups written before the helper binary run",
        ),
    ] {
        let (min, median) = summary(times);
        println!(
            "  {label}  min {min:6.2} ms  median {median:6.2} ms  ratio {:.2} ({note})",
            median / their_median
        );
    }
    println!(
        "  git credential-store get      min {their_min:6.2} ms  median {their_median:6.2} ms"
    );
    Ok(())
}

/// What both ways of timing need: the saved connection, git's own store file holding the same
/// credential, and the question git asks both helpers.
struct Fixture {
    config: PathBuf,
    store_file: PathBuf,
    question: String,
}

fn prepare(dir: &Path) -> Res<Fixture> {
    let config = dir.join("config");
    save_connection(&config)?;
    let store_file = dir.join("git-credentials");
    std::fs::write(
        &store_file,
        format!("http://alice:test-token-speed-access@{HOST}\n"),
    )?;
    Ok(Fixture {
        config,
        store_file,
        question: format!("protocol=http\nhost={HOST}\nusername=alice\n\n"),
    })
}

fn fixture(dir: &Path) -> Res<()> {
    std::fs::create_dir_all(dir)?;
    let Fixture {
        config,
        store_file,
        question,
    } = prepare(dir)?;
    let question_file = dir.join("question");
    std::fs::write(&question_file, question)?;
    let question = question_file;
    let bin = binary()?;
    let vars = format!(
        "BBCONNECT_CONFIG_DIR={} BBCONNECT_SECRET_STORE=file",
        config.display()
    );
    println!(
        "sh -c '{vars} exec {} get < {}'",
        helper_binary_beside(&bin).display(),
        question.display()
    );
    println!(
        "sh -c '{vars} exec {} git-credential get < {}'",
        bin.display(),
        question.display()
    );
    println!(
        "sh -c 'exec git credential-store --file {} get < {}'",
        store_file.display(),
        question.display()
    );
    Ok(())
}
