//! What `connect --git-protocol ssh` adds to `connect --repo`: the built binary against the
//! in-process simulator (100 ms per HTTP request, its SSH server on loopback), Data Center and
//! Cloud (the default data set), each connect in a fresh config directory. For each: HTTP round trips on the critical
//! path (`SimHandle::critical_path`), HTTP requests, and wall time (median of a few runs,
//! process start included). The SSH work (ssh-keyscan for DC, the proving `git ls-remote`)
//! is not HTTP: it shows in the wall time only.
//!
//! `cargo bench --bench ssh_route`.

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

/// A repository alice administers: DC's first, Cloud's of the data set's repository token.
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
        // A repository alice administers (deploy keys need repository admin).
        Product::Cloud => sim::demo_credentials()
            .into_iter()
            .find(|c| c.product == "cloud" && c.auth == "repo-token")
            .and_then(|c| c.repo)
            .ok_or_else(|| "no Cloud repository token in the data set".into()),
    }
}

/// Runs the binary once with the simulator's log cleared first.
async fn measured(sim: &SimHandle, dir: &Path, args: &[&str]) -> BenchResult<Figures> {
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

async fn product_runs(sim: &SimHandle, product: Product, ssh: bool) -> BenchResult<Figures> {
    let repo = a_repo(sim, product).await?;
    let url = sim.server_url();
    let mut connect: Vec<&str> = match product {
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
    if ssh {
        connect.extend(["--git-protocol", "ssh"]);
    }
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir()?;
        runs.push(measured(sim, dir.path(), &connect).await?);
    }
    Ok(median(runs))
}

fn row(product: &str, protocol: &str, f: Figures) {
    println!(
        "{product:<6} {protocol:<22} {:>11} {:>9} {:>8.0} ms",
        f.trips,
        f.requests,
        f.wall.as_secs_f64() * 1e3
    );
}

async fn run() -> BenchResult<()> {
    println!(
        "{:<6} {:<22} {:>11} {:>9} {:>11}",
        "", "connect --repo", "round trips", "requests", "wall"
    );
    for (product, name, repos) in [(Product::Dc, "DC", None), (Product::Cloud, "Cloud", None)] {
        let sim = sim::start(SimConfig {
            repos,
            latency_ms: LATENCY_MS,
            ..SimConfig::default()
        })
        .await?;
        let https = product_runs(&sim, product, false).await?;
        let ssh = product_runs(&sim, product, true).await?;
        row(name, "--git-protocol https", https);
        row(name, "--git-protocol ssh", ssh);
        sim.shutdown().await;
    }
    Ok(())
}

fn main() {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ssh_route: no runtime: {e}");
            std::process::exit(1);
        }
    };
    println!("connect at {LATENCY_MS} ms per HTTP request, median of {RUNS} runs");
    if let Err(e) = rt.block_on(run()) {
        eprintln!("ssh_route: {e}");
        std::process::exit(1);
    }
}
