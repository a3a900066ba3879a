//! Peak resident memory of the real `bbconnect` binary on big and endless listings.
//!
//! `cargo build --release && cargo run --release --example cli_memory`
//!
//! The simulator runs in this process; each measured command is the built binary
//! (`target/<profile>/bbconnect`, or `BBCONNECT_BIN`) started through `/usr/bin/time -f %M`,
//! whose figure is the child's own peak resident set (`ru_maxrss` from `wait4`), so neither
//! the simulator nor this program counts.

use std::path::Path;

use bbconnect::sim::{self, Scenario, SimConfig};

use common::{Res, binary};
use plain::{dc_user_connect, isolated};

mod common;
#[allow(dead_code)]
#[path = "../tests/common/plain.rs"]
mod plain;

struct Run {
    code: Option<i32>,
    peak_mb: f64,
    seconds: f64,
    stdout: Vec<u8>,
    stderr: String,
}

/// The `VmHWM` (peak resident set) of a running process, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A run that never ends (endless paging without a cap, in a build before the cap) is
/// stopped here; its peak is what it had reached.
const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs `bbconnect ARGS` with a private config dir; its peak resident set in MB (10^6 bytes).
/// The kernel's own peak counter (`VmHWM`) is read every 2 ms while it runs: it only grows,
/// so only growth in the last 2 ms before exit could be missed.
fn measure(bin: &Path, config: &Path, url: &str, args: &[&str], env: &[(&str, &str)]) -> Res<Run> {
    let out_file = config.join("stdout");
    let err_file = config.join("stderr");
    let mut cmd = isolated(bin, config, args);
    cmd.env("BBCONNECT_CLOUD_API_URL", format!("{url}/2.0"))
        .env("BBCONNECT_CLOUD_WEB_URL", url)
        .env("BBCONNECT_TOKEN", "test-token-alice")
        .stdout(std::fs::File::create(&out_file)?)
        .stderr(std::fs::File::create(&err_file)?);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = std::time::Instant::now();
    let mut child = cmd.spawn()?;
    let mut peak_kib = 0.0f64;
    let code = loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status.code();
        }
        if started.elapsed() > RUN_LIMIT {
            child.kill()?;
            child.wait()?;
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    Ok(Run {
        code,
        peak_mb: peak_kib * 1024.0 / 1e6,
        seconds: started.elapsed().as_secs_f64(),
        stdout: std::fs::read(&out_file)?,
        stderr: std::fs::read_to_string(&err_file)?,
    })
}

fn connect_args(url: &str) -> Vec<&str> {
    let mut args = dc_user_connect(url);
    args.push("--replace");
    args
}

fn report(what: &str, run: &Run, target: f64) {
    let status = if run.peak_mb <= target {
        "met"
    } else {
        "NOT met"
    };
    println!(
        "{what}: peak {:.1} MB (target <= {target} MB: {status}); exit {:?} after {:.1} s, {} bytes on stdout",
        run.peak_mb,
        run.code,
        run.seconds,
        run.stdout.len()
    );
    if run.code != Some(0) {
        let last = run.stderr.lines().rev().take(4).collect::<Vec<_>>();
        println!("    stderr ends: {:?}", last);
    }
}

fn main() -> Res<()> {
    let bin = binary()?;
    if !bin.exists() {
        return Err(format!(
            "{} is not built: cargo build --release first",
            bin.display()
        )
        .into());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let big = |repos: usize| SimConfig {
        repos: Some(repos),
        dc_page_len: Some(200_000),
        dc_small_repos: true,
        ..SimConfig::default()
    };
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    // `cli_memory [big] [full] [endless]`: which parts to run (all by default).
    let parts: Vec<String> = std::env::args().skip(1).collect();
    let wants = |p: &str| parts.is_empty() || parts.iter().any(|a| a == p);
    // One page of 200,000 repositories (12.8 MB), then three such pages.
    for (repos, label) in [(200_000, "one page"), (600_000, "three pages")] {
        if !wants("big") {
            break;
        }
        let sim = rt.block_on(sim::start(big(repos)))?;
        let url = sim.server_url();
        let r = measure(&bin, d, &url, &connect_args(&url), &[])?;
        report(
            &format!("connect, {repos} repositories in {label} of 200,000"),
            &r,
            150.0,
        );
        if repos == 200_000 {
            let r = measure(&bin, d, &url, &["check", "dc"], &[])?;
            report("check, 200,000 repositories", &r, 150.0);
            let r = measure(&bin, d, &url, &["repos", "dc", "--json"], &[])?;
            report("repos --json, 200,000 repositories", &r, 150.0);
            let r = measure(&bin, d, &url, &["repos", "dc"], &[])?;
            report("repos, 200,000 repositories", &r, 150.0);
            // The last repository by name: found only once the whole listing went by.
            let text = String::from_utf8_lossy(&r.stdout);
            let last = text
                .lines()
                .last()
                .and_then(|l| l.split('\t').next())
                .ok_or("repos printed nothing")?
                .to_string();
            let mut with_repo = connect_args(&url);
            with_repo.extend(["--repo", last.as_str()]);
            let r = measure(&bin, d, &url, &with_repo, &[])?;
            report("connect --repo, 200,000 repositories", &r, 150.0);
        }
        rt.block_on(sim.shutdown());
    }
    // 200,000 full repositories (clone links, descriptions) in the usual pages of 1,000.
    if wants("full") {
        let sim = rt.block_on(sim::start(SimConfig {
            repos: Some(200_000),
            ..SimConfig::default()
        }))?;
        let url = sim.server_url();
        let r = measure(&bin, d, &url, &connect_args(&url), &[])?;
        report(
            "connect, 200,000 full repositories in pages of 1,000",
            &r,
            150.0,
        );
        let r = measure(&bin, d, &url, &["repos", "dc", "--json"], &[])?;
        report(
            "repos --json, 200,000 full repositories in pages of 1,000",
            &r,
            150.0,
        );
        rt.block_on(sim.shutdown());
    }
    if !wants("endless") {
        return Ok(());
    }
    // Endless paging: pages of 1,000 forever, stopped by the default cap (1,000,000).
    let sim = rt.block_on(sim::start(SimConfig {
        scenario: Scenario::NeverLastPage,
        ..SimConfig::default()
    }))?;
    let url = sim.server_url();
    let r = measure(
        &bin,
        d,
        &url,
        &connect_args(&url),
        &[("BBCONNECT_MAX_REPOS", "200000")],
    )?;
    report("connect, endless paging to a cap of 200,000", &r, 200.0);
    let r = measure(&bin, d, &url, &connect_args(&url), &[])?;
    report(
        "connect, endless paging to the default cap (1,000,000)",
        &r,
        200.0,
    );
    rt.block_on(sim.shutdown());
    Ok(())
}
