//! `connect --replace` SIGKILLed at spread moments of its save: after every
//! kill, the saved URL, user and secret must be all old or all new, so `check` sends a secret
//! only to the host it was typed for; and no secret without a connection survives a later run.
//!
//! Two simulators on two loopback ports, each recording the `Authorization` values it was sent:
//! what reached which host is read there, not inferred.
//! Connection `dc` alternates between (A, alice, alice's token) and (B, bob, bob's token); some
//! rounds save a new name instead, which is where a killed save used to leave an orphan secret.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use bbconnect::sim::SimHandle;
use tokio::process::Command;

use crate::common::bin;

/// Killed runs; every tenth round is left to finish, to measure the save window again and to
/// be the "later run" that must sweep what the kills left.
// 150 rather than 100: on a loaded machine nearly half the runs finish before their kill, and
// at least 50 kills must land around the save.
const ROUNDS: usize = 150;

/// One host: a simulator, its URL and the one credential typed for it.
struct Host {
    sim: SimHandle,
    url: String,
    user: &'static str,
    token: &'static str,
}

async fn host(user: &'static str, token: &'static str) -> Host {
    // Few repositories: each run lists them, and the kills are aimed at the save.
    let sim = crate::common::sim::with_repos(20).await;
    let url = sim.server_url();
    Host {
        sim,
        url,
        user,
        token,
    }
}

/// Whether an `Authorization` value carries this host's own credential (Basic user:token, or
/// Bearer token), and nothing else.
fn is_own(h: &Host, authorization: &str) -> bool {
    let (scheme, rest) = authorization.split_once(' ').unwrap_or((authorization, ""));
    if scheme.eq_ignore_ascii_case("bearer") {
        return rest == h.token;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .ok()
        .and_then(|d| String::from_utf8(d).ok());
    decoded.as_deref() == Some(&format!("{}:{}", h.user, h.token))
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = bin::bbconnect(dir, args);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd
}

fn connect(dir: &Path, name: &str, h: &Host) -> Command {
    let mut cmd = command(
        dir,
        &[bin::dc_connect_as(&h.url, name, h.user), vec!["--replace"]].concat(),
    );
    cmd.env("BBCONNECT_TOKEN", h.token);
    cmd
}

/// Seconds since `since` at which `path` was last written.
fn written_at(path: &Path, since: SystemTime) -> Option<Duration> {
    let m = std::fs::metadata(path).ok()?.modified().ok()?;
    m.duration_since(since).ok()
}

/// When the first file of a save of `name` started after `since` was written: a secret file
/// of that name or the connections file.
fn written_since(dir: &Path, name: &str, since: SystemTime) -> Option<Duration> {
    let mut times: Vec<Duration> = secret_files(dir)
        .iter()
        .filter(|f| {
            let base = f.rsplit('/').next().unwrap_or(f);
            base.split('#').next() == Some(name)
        })
        .filter_map(|f| written_at(&dir.join(f), since))
        .collect();
    times.extend(written_at(&dir.join("connections.toml"), since));
    times.into_iter().min()
}

/// Secret files on disk (connection secrets and webhook secrets), by file name.
fn secret_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["secrets", "webhook/secrets"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_file()) {
                    out.push(format!("{sub}/{}", e.file_name().to_string_lossy()));
                }
            }
        }
    }
    out.sort();
    out
}

/// The saved connections as (name, url, user typed).
async fn listed(dir: &Path) -> Vec<(String, String, String)> {
    let out = command(dir, &["list", "--json"])
        .stdout(std::process::Stdio::piped())
        .output()
        .await
        .expect("list runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "list: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list --json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("name"), s("url"), s("username"))
        })
        .collect()
}

/// What breaks "no secret file without a connection, and one per connection".
fn orphans(dir: &Path, names: &BTreeSet<String>, when: &str) -> Vec<String> {
    let files = secret_files(dir);
    let mut problems = Vec::new();
    let mut per_name = std::collections::BTreeMap::<String, usize>::new();
    for f in &files {
        let base = f.rsplit('/').next().unwrap_or(f);
        let name = base.split('#').next().unwrap_or(base).to_string();
        if !names.contains(&name) {
            problems.push(format!("{when}: orphan secret {f} (saved: {names:?})"));
        }
        *per_name.entry(name).or_default() += 1;
    }
    for (name, n) in per_name {
        if n != 1 {
            problems.push(format!("{when}: {n} secrets of {name} on disk: {files:?}"));
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_killed_at_any_moment_never_sends_a_secret_to_another_host() {
    let hosts = [
        host("alice", "test-token-alice").await,
        host("bob", "test-token-bob").await,
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();

    // Where the save happens, relative to the spawn: measured on finished runs (from the
    // file times of the secret and the connections file), then steered by each kill: a run
    // that had written nothing means too early, one that had written or exited too late.
    let mut aim = Duration::from_millis(60);
    let (mut before_save, mut during_or_after_save, mut too_late) = (0, 0, 0);
    // Collected rather than asserted at once, so a failing run says how many kills it caught.
    let mut failures: Vec<String> = Vec::new();
    let mut extra = 0;
    let mut left_orphans = 0;
    for round in 0..ROUNDS {
        let h = &hosts[round % 2];
        let finish = round % 10 == 0 || round == ROUNDS - 1;
        // Every fourth killed round saves a new name: a killed first save must not leave a
        // secret behind that no connection points at.
        let name = if !finish && round % 4 == 3 {
            extra += 1;
            format!("extra{round}")
        } else {
            "dc".to_string()
        };
        let spawned = SystemTime::now();
        let start = Instant::now();
        let mut child = connect(dir, &name, h).spawn().expect("spawn bbconnect");
        if finish {
            let out = child.wait_with_output().await.expect("wait");
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let took = start.elapsed();
            let first_write = written_since(dir, &name, spawned);
            if let Some(w) = first_write {
                aim = (aim + w) / 2;
            }
            println!(
                "round {round}: full run {took:?}, first write of the save at {first_write:?}"
            );
            let names: BTreeSet<String> =
                listed(dir).await.into_iter().map(|(n, _, _)| n).collect();
            failures.extend(orphans(
                dir,
                &names,
                &format!("after the finished round {round}"),
            ));
        } else {
            // Spread around the aim, in a low-discrepancy order.
            let frac = (round as f64 * 0.618_033_988_75).fract();
            let delay = aim.saturating_sub(Duration::from_millis(6))
                + Duration::from_millis(10).mul_f64(frac);
            tokio::time::sleep(delay.saturating_sub(start.elapsed())).await;
            let _ = child.start_kill(); // SIGKILL
            let status = child.wait().await.expect("wait");
            // Symmetric steps: half the kills land before the save's first write, half after,
            // so the aim sits where a torn save would start.
            let step = Duration::from_millis(2);
            if status.code().is_some() {
                too_late += 1;
                aim = aim.saturating_sub(step);
            } else if written_since(dir, &name, spawned).is_none() {
                before_save += 1;
                aim += step;
            } else {
                during_or_after_save += 1;
                aim = aim.saturating_sub(step);
            }
        }

        // Whatever the kill left, every saved connection's secret goes to its own host only.
        for h in &hosts {
            h.sim.take_authorizations();
        }
        let saved = listed(dir).await;
        if !finish {
            let names: BTreeSet<String> = saved.iter().map(|(n, _, _)| n.clone()).collect();
            if !orphans(dir, &names, "").is_empty() {
                // Killed between writing a secret and committing, or before deleting the old
                // one: the next finished run must sweep it (checked there).
                left_orphans += 1;
            }
        }
        for (name, url, user) in &saved {
            let home = hosts
                .iter()
                .find(|h| &h.url == url)
                .unwrap_or_else(|| panic!("round {round}: {name} saved with unknown url {url}"));
            assert_eq!(
                user, home.user,
                "round {round}: {name} has {url} with {user}"
            );
        }
        // A killed run touches only its own name (and the file they share, read back whole by
        // `listed` above): checking just those keeps each round's cost flat as names pile up;
        // the finished rounds check everything.
        let checked: Vec<&(String, String, String)> = saved
            .iter()
            .filter(|(n, _, _)| finish || n == "dc" || *n == name)
            .collect();
        if checked.is_empty() {
            continue;
        }
        let mut args = vec!["check"];
        if !finish {
            args.extend(checked.iter().map(|(n, _, _)| n.as_str()));
        }
        let before: Vec<usize> = hosts.iter().map(|h| h.sim.request_count()).collect();
        let out = command(dir, &args).output().await.expect("check runs");
        for (i, h) in hosts.iter().enumerate() {
            let seen = h.sim.take_authorizations();
            let wrong: usize = seen
                .iter()
                .filter(|(a, _)| !is_own(h, a))
                .map(|(_, n)| n)
                .sum();
            if wrong > 0 {
                failures.push(format!(
                    "round {round}: host {} ({}) received {wrong} request(s) with another host's secret; saved: {saved:?}",
                    h.url, h.user
                ));
            }
            let served = h.sim.request_count() - before[i];
            let expected = checked.iter().any(|(_, url, _)| url == &h.url);
            assert_eq!(
                served > 0,
                expected,
                "round {round}: host {} served {served} requests; saved: {saved:?}",
                h.url
            );
        }
        if out.status.code() != Some(0) {
            failures.push(format!(
                "round {round}: check exited {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    println!(
        "{ROUNDS} rounds: killed {before_save} times before the save wrote anything, {during_or_after_save} times once it had; {too_late} runs had already exited; {extra} rounds were first saves of a new name; {left_orphans} kills left a secret no connection pointed at"
    );
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        before_save + during_or_after_save >= 50 && during_or_after_save >= 5,
        "too few kills landed in the save ({before_save} before it, {during_or_after_save} in or after it, {too_late} too late): the aim is off"
    );
}
