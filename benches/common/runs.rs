//! Shared by the benches that time the built binary against the simulator (`round_trips`,
//! `ssh_route`): the connect each runs, the repository it names, one measured run, the median.
//! The binary is run as the tests run it (`tests/common`, included by each of these benches).

use std::path::Path;
use std::time::{Duration, Instant};

use bbconnect::sim::{SimConfig, SimHandle};
use tokio::process::Command;

use crate::common::bin::{against, cloud_connect_as, dc_connect_as};
use crate::common::creds::ALICE;

pub const LATENCY_MS: u64 = 100;
pub const RUNS: usize = 3;

pub type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Clone, Copy)]
pub struct Figures {
    pub trips: usize,
    pub requests: usize,
    pub wall: Duration,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Product {
    Dc,
    Cloud,
}

/// The simulator with `repos` repositories (None: the default data set) at `LATENCY_MS` per
/// request.
pub async fn slow_sim(repos: Option<usize>) -> BenchResult<SimHandle> {
    Ok(bbconnect::sim::start(SimConfig {
        repos,
        latency_ms: LATENCY_MS,
        ..SimConfig::default()
    })
    .await?)
}

/// `connect` of alice's credential for `product` saved as `it`, to `repo`, printing JSON.
pub fn connect_args<'a>(sim_url: &'a str, product: Product, repo: &'a str) -> Vec<&'a str> {
    let mut args = match product {
        Product::Dc => dc_connect_as(sim_url, "it", "alice"),
        Product::Cloud => cloud_connect_as("it"),
    };
    args.extend(["--repo", repo, "--json"]);
    args
}

/// The binary with `args` in config dir `dir`, alice's token in its environment.
pub fn command(sim: &SimHandle, dir: &Path, args: &[&str]) -> Command {
    against(sim, dir, args, Some(ALICE))
}

/// Runs `cmd` once with the simulator's log cleared first.
pub async fn measured(sim: &SimHandle, mut cmd: Command, args: &[&str]) -> BenchResult<Figures> {
    sim.clear_request_log();
    let t = Instant::now();
    let out = cmd.output().await?;
    let wall = t.elapsed();
    if !out.status.success() {
        return Err(format!("{args:?} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(Figures {
        trips: sim.critical_path(),
        requests: sim.request_log().len(),
        wall,
    })
}

pub fn median(mut runs: Vec<Figures>) -> Figures {
    runs.sort_by_key(|f| f.wall);
    runs[runs.len() / 2]
}

/// The figures' columns after the row's own labels.
pub fn columns(f: Figures) -> String {
    format!(
        "{:>11} {:>9} {:>8.0} ms",
        f.trips,
        f.requests,
        f.wall.as_secs_f64() * 1e3
    )
}

/// Runs `body` on a multi-threaded runtime; a failure is printed under `name` and exits 1.
pub fn main_with<F: std::future::Future<Output = BenchResult<()>>>(name: &str, body: F) {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: no runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(body) {
        eprintln!("{name}: {e}");
        std::process::exit(1);
    }
}
