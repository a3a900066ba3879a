//! Round trips of `connect --repo` and `check`: the built binary against the
//! in-process simulator with 100 ms injected latency per request, Data Center (2,000
//! repositories) and Cloud (300 repositories in three workspaces, so the pages after the
//! first ones fit in one wave), in the check's concurrent order and in the sequential one
//! (`BBCONNECT_SEQUENTIAL_CHECK=1`). For each: round trips on the critical path (the
//! simulator's timeline: the longest chain of requests each sent after the previous one was
//! answered), requests, and wall time (the median of a few runs; it includes starting the
//! process).
//!
//! `cargo bench --bench round_trips`. A plain main rather than criterion: one run takes about
//! a second and the round trips are the figure that matters.

use std::path::Path;
use std::time::{Duration, Instant};

use bbconnect::sim::{self, SimConfig, SimHandle};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_bbconnect");
const LATENCY_MS: u64 = 100;
const RUNS: usize = 3;
const EMAIL: &str = "alice@example.com";
const TOKEN: &str = "test-token-alice";

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Clone, Copy)]
struct Figures {
    trips: usize,
    requests: usize,
    wall: Duration,
}

#[derive(Clone, Copy, PartialEq)]
enum Product {
    Dc,
    Cloud,
}

async fn get(url: String, product: Product) -> BenchResult<Value> {
    let req = reqwest::Client::new().get(url);
    let req = match product {
        Product::Dc => req.bearer_auth(TOKEN),
        Product::Cloud => req.basic_auth(EMAIL, Some(TOKEN)),
    };
    Ok(req.send().await?.error_for_status()?.json().await?)
}

/// A repository alice reads, asked of the simulator itself: DC's first, Cloud's in the last
/// workspace (so the whole listing is needed to see it).
async fn a_repo(sim: &SimHandle, product: Product) -> BenchResult<String> {
    match product {
        Product::Dc => {
            let v = get(
                format!("{}/rest/api/1.0/repos?limit=1", sim.server_url()),
                product,
            )
            .await?;
            let r = &v["values"][0];
            Ok(format!(
                "{}/{}",
                r["project"]["key"].as_str().ok_or("no project key")?,
                r["slug"].as_str().ok_or("no slug")?
            ))
        }
        Product::Cloud => {
            let spaces = get(
                format!("{}/user/workspaces?pagelen=100", sim.cloud_api_url()),
                product,
            )
            .await?;
            let last = spaces["values"]
                .as_array()
                .and_then(|v| v.last())
                .ok_or("no workspace")?;
            let ws = last["workspace"]["slug"].as_str().ok_or("no slug")?;
            let repos = get(
                format!(
                    "{}/repositories/{ws}?role=member&pagelen=10",
                    sim.cloud_api_url()
                ),
                product,
            )
            .await?;
            Ok(repos["values"][0]["full_name"]
                .as_str()
                .ok_or("no repository")?
                .to_string())
        }
    }
}

/// Runs the binary once with the simulator's log cleared first.
async fn measured(
    sim: &SimHandle,
    dir: &Path,
    args: &[&str],
    sequential: bool,
) -> BenchResult<Figures> {
    sim.clear_request_log();
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("BBCONNECT_CONFIG_DIR", dir)
        .env("BBCONNECT_SECRET_STORE", "file")
        .env("BBCONNECT_CLOUD_API_URL", sim.cloud_api_url())
        .env("BBCONNECT_CLOUD_WEB_URL", sim.cloud_web_url())
        .env("BBCONNECT_TOKEN", TOKEN)
        .stdin(std::process::Stdio::null());
    if sequential {
        cmd.env("BBCONNECT_SEQUENTIAL_CHECK", "1");
    }
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

fn median(mut runs: Vec<Figures>) -> Figures {
    runs.sort_by_key(|f| f.wall);
    runs[runs.len() / 2]
}

/// `connect --repo` then `check` of the saved connection, `RUNS` times each in a fresh
/// config directory.
async fn product_runs(
    sim: &SimHandle,
    product: Product,
    sequential: bool,
) -> BenchResult<(Figures, Figures)> {
    let repo = a_repo(sim, product).await?;
    let url = sim.server_url();
    let connect: Vec<&str> = match product {
        Product::Dc => vec![
            "connect",
            "--provider",
            "server",
            "--auth",
            "http-token-user",
            "--name",
            "it",
            "--url",
            &url,
            "--username",
            "alice",
            "--repo",
            &repo,
            "--json",
        ],
        Product::Cloud => vec![
            "connect",
            "--provider",
            "cloud",
            "--auth",
            "api-token",
            "--name",
            "it",
            "--email",
            EMAIL,
            "--repo",
            &repo,
            "--json",
        ],
    };
    let (mut connects, mut checks) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let dir = tempfile::tempdir()?;
        connects.push(measured(sim, dir.path(), &connect, sequential).await?);
        checks.push(measured(sim, dir.path(), &["check", "it", "--json"], sequential).await?);
    }
    Ok((median(connects), median(checks)))
}

fn row(product: &str, command: &str, order: &str, f: Figures) {
    println!(
        "{product:<6} {command:<15} {order:<11} {:>11} {:>9} {:>8.0} ms",
        f.trips,
        f.requests,
        f.wall.as_secs_f64() * 1e3
    );
}

async fn run() -> BenchResult<()> {
    println!(
        "{:<6} {:<15} {:<11} {:>11} {:>9} {:>11}",
        "", "command", "order", "round trips", "requests", "wall"
    );
    for (product, name, repos) in [
        (Product::Dc, "DC", None),
        (Product::Cloud, "Cloud", Some(300)),
    ] {
        let sim = sim::start(SimConfig {
            repos,
            latency_ms: LATENCY_MS,
            ..SimConfig::default()
        })
        .await?;
        let (connect, check) = product_runs(&sim, product, false).await?;
        let (seq_connect, seq_check) = product_runs(&sim, product, true).await?;
        row(name, "connect --repo", "concurrent", connect);
        row(name, "connect --repo", "sequential", seq_connect);
        row(name, "check", "concurrent", check);
        row(name, "check", "sequential", seq_check);
        sim.shutdown().await;
    }
    Ok(())
}

fn main() {
    // `cargo bench` passes `--bench`; nothing here takes arguments.
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("round_trips: no runtime: {e}");
            std::process::exit(1);
        }
    };
    println!("round trips at {LATENCY_MS} ms per request, median of {RUNS} runs");
    if let Err(e) = rt.block_on(run()) {
        eprintln!("round_trips: {e}");
        std::process::exit(1);
    }
}
