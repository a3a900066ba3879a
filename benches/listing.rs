//! Listing speed against the simulator with 30 ms injected latency per request: 20,000 Data
//! Center repositories and 10 workspaces x 1,000 Cloud repositories, listed by the real client,
//! side by side with a sequential one-page-at-a-time baseline at the vendors' default page
//! sizes (DC `limit` 25, Cloud `pagelen` 10: what a client that sets nothing gets), and the
//! round-trip floor of the client's own request pattern. Target: within 1.5x of it.
//!
//! `cargo bench --bench listing`. A plain main rather than criterion: one listing takes
//! seconds, the baseline tens of seconds, so each is timed a few times and printed.

mod common;

use std::time::{Duration, Instant};

use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
use bbconnect::core::model::{AuthKind, ConnectionSpec, Credentials, Provider};
use bbconnect::sim::{self, SimConfig, SimHandle};
use secrecy::SecretString;
use serde_json::Value;

const USER: &str = "alice";
const EMAIL: &str = "alice@example.com";
const TOKEN: &str = "test-token-alice";
/// What the client asks for (`server::PAGE_LIMIT`, `cloud::PAGELEN`) and its default
/// concurrency (`ClientOptions::max_concurrency`).
const DC_LIMIT: usize = 1_000;
const CLOUD_PAGELEN: usize = 100;
const CONCURRENCY: usize = 8;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

struct Setup {
    latency_ms: u64,
    dc_repos: usize,
    cloud_workspaces: usize,
    cloud_per_workspace: usize,
    client_runs: usize,
}

fn dc_client(sim: &SimHandle) -> BenchResult<Client> {
    let creds = Credentials {
        spec: ConnectionSpec {
            name: "dc".into(),
            provider: Provider::Server,
            auth: AuthKind::HttpTokenUser,
            url: sim.server_url(),
            username: Some(USER.into()),
            repo: None,
        },
        secret: SecretString::from(TOKEN.to_string()),
    };
    Client::new(creds, &Endpoints::default(), ClientOptions::default())
        .map_err(|p| p.to_string().into())
}

fn cloud_client(sim: &SimHandle) -> BenchResult<Client> {
    let creds = Credentials {
        spec: ConnectionSpec {
            name: "cloud".into(),
            provider: Provider::Cloud,
            auth: AuthKind::ApiToken,
            url: sim.cloud_web_url(),
            username: Some(EMAIL.into()),
            repo: None,
        },
        secret: SecretString::from(TOKEN.to_string()),
    };
    let ep = Endpoints {
        cloud_api: sim.cloud_api_url(),
        cloud_web: sim.cloud_web_url(),
    };
    Client::new(creds, &ep, ClientOptions::default()).map_err(|p| p.to_string().into())
}

/// One timed listing by the real client: (elapsed, repositories, requests).
async fn timed_client(sim: &SimHandle, client: &Client) -> BenchResult<(Duration, usize, usize)> {
    let before = sim.request_count();
    let t = Instant::now();
    let repos = client.list_all_repos().await.map_err(|p| p.to_string())?;
    Ok((t.elapsed(), repos.len(), sim.request_count() - before))
}

async fn get(http: &reqwest::Client, url: &str, basic: Option<&str>) -> BenchResult<Value> {
    let req = http.get(url);
    let req = match basic {
        Some(user) => req.basic_auth(user, Some(TOKEN)),
        None => req.bearer_auth(TOKEN),
    };
    Ok(req.send().await?.error_for_status()?.json().await?)
}

/// A peer's DC listing: `/rest/api/1.0/repos` without `limit`, one page after another.
async fn dc_baseline(sim: &SimHandle) -> BenchResult<(Duration, usize, usize)> {
    let http = reqwest::Client::new();
    let before = sim.request_count();
    let t = Instant::now();
    let (mut start, mut n) = (0u64, 0usize);
    loop {
        let url = format!("{}/rest/api/1.0/repos?start={start}", sim.server_url());
        let page = get(&http, &url, None).await?;
        n += page["values"].as_array().map_or(0, Vec::len);
        if page["isLastPage"].as_bool() != Some(false) {
            break;
        }
        start = page["nextPageStart"].as_u64().ok_or("no nextPageStart")?;
    }
    Ok((t.elapsed(), n, sim.request_count() - before))
}

/// A peer's Cloud listing: workspaces, then each workspace's repositories following `next`
/// with the default `pagelen` (10), one workspace after another.
async fn cloud_baseline(sim: &SimHandle) -> BenchResult<(Duration, usize, usize)> {
    let http = reqwest::Client::new();
    let before = sim.request_count();
    let t = Instant::now();
    let mut slugs = Vec::new();
    let mut next = Some(format!("{}/user/workspaces", sim.cloud_api_url()));
    while let Some(url) = next {
        let page = get(&http, &url, Some(EMAIL)).await?;
        for v in page["values"].as_array().into_iter().flatten() {
            if let Some(s) = v["workspace"]["slug"].as_str() {
                slugs.push(s.to_string());
            }
        }
        next = page["next"].as_str().map(str::to_string);
    }
    let mut n = 0;
    for ws in slugs {
        let mut next = Some(format!(
            "{}/repositories/{ws}?role=member",
            sim.cloud_api_url()
        ));
        while let Some(url) = next {
            let page = get(&http, &url, Some(EMAIL)).await?;
            n += page["values"].as_array().map_or(0, Vec::len);
            next = page["next"].as_str().map(str::to_string);
        }
    }
    Ok((t.elapsed(), n, sim.request_count() - before))
}

fn median(mut runs: Vec<(Duration, usize, usize)>) -> (Duration, usize, usize) {
    runs.sort_by_key(|r| r.0);
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn row(what: &str, (t, n, reqs): (Duration, usize, usize), floor: Duration) {
    println!(
        "{what:<34} {:>10} {:>8} repos {:>6} requests {:>7.2}x floor",
        ms(t),
        n,
        reqs,
        t.as_secs_f64() / floor.as_secs_f64().max(1e-9)
    );
}

async fn run(s: &Setup) -> BenchResult<()> {
    let latency = Duration::from_millis(s.latency_ms);

    // Data Center: pages of 1,000 follow each other (nextPageStart), so the floor is one
    // round trip per page.
    let dc = sim::start(SimConfig {
        repos: Some(s.dc_repos),
        latency_ms: s.latency_ms,
        ..SimConfig::default()
    })
    .await?;
    let client = dc_client(&dc)?;
    let mut runs = Vec::new();
    for _ in 0..s.client_runs {
        runs.push(timed_client(&dc, &client).await?);
    }
    let dc_client_run = median(runs);
    let dc_rounds = s.dc_repos.div_ceil(DC_LIMIT).max(1);
    let dc_floor = latency * dc_rounds as u32;
    let dc_base = dc_baseline(&dc).await?;
    dc.shutdown().await;

    // Cloud: one request for the workspaces, then every repository page (the first pages of
    // all workspaces and the numbered rest) at 8 in flight.
    let total = s.cloud_workspaces * s.cloud_per_workspace;
    let cloud = sim::start(SimConfig {
        repos: Some(total),
        cloud_workspaces: Some(s.cloud_workspaces),
        latency_ms: s.latency_ms,
        ..SimConfig::default()
    })
    .await?;
    let client = cloud_client(&cloud)?;
    let mut runs = Vec::new();
    for _ in 0..s.client_runs {
        runs.push(timed_client(&cloud, &client).await?);
    }
    let cloud_client_run = median(runs);
    let pages = s.cloud_workspaces * s.cloud_per_workspace.div_ceil(CLOUD_PAGELEN).max(1);
    let cloud_rounds = 1 + pages.div_ceil(CONCURRENCY);
    let cloud_floor = latency * cloud_rounds as u32;
    let cloud_base = cloud_baseline(&cloud).await?;
    cloud.shutdown().await;

    println!("latency {} per request", ms(latency));
    println!(
        "DC {} repos ({} readable by the token): floor {} ({dc_rounds} sequential pages of {DC_LIMIT})",
        s.dc_repos,
        dc_base.1,
        ms(dc_floor)
    );
    row("  bbconnect (median)", dc_client_run, dc_floor);
    row("  baseline: sequential, limit 25", dc_base, dc_floor);
    println!(
        "Cloud {} x {} repos: floor {} (1 workspaces request + {pages} pages of {CLOUD_PAGELEN} at {CONCURRENCY} in flight = {cloud_rounds} round trips)",
        s.cloud_workspaces,
        s.cloud_per_workspace,
        ms(cloud_floor)
    );
    row("  bbconnect (median)", cloud_client_run, cloud_floor);
    row(
        "  baseline: sequential, pagelen 10",
        cloud_base,
        cloud_floor,
    );

    for (what, got, want) in [
        // alice cannot read other users' personal projects: the baseline sets the count.
        ("DC client", dc_client_run.1, dc_base.1),
        ("Cloud client", cloud_client_run.1, total),
        ("Cloud baseline", cloud_base.1, total),
    ] {
        if got != want {
            return Err(format!("{what} listed {got} repositories, expected {want}").into());
        }
    }
    Ok(())
}

fn main() -> BenchResult<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let setup = if common::benchmarking() {
        Setup {
            latency_ms: 30,
            dc_repos: 20_000,
            cloud_workspaces: 10,
            cloud_per_workspace: 1_000,
            client_runs: 3,
        }
    } else {
        // Test mode (`cargo test --all-targets`): the same code on a small, fast setup.
        Setup {
            latency_ms: 1,
            dc_repos: 2_500,
            cloud_workspaces: 3,
            cloud_per_workspace: 120,
            client_runs: 1,
        }
    };
    rt.block_on(run(&setup))
}
