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

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "common/runs.rs"]
mod runs;

use bbconnect::sim::SimHandle;

use common::sim::{first_dc_repo, last_cloud_repo};
use runs::{
    BenchResult, Figures, LATENCY_MS, Product, RUNS, columns, command, connect_args, main_with,
    measured, median, slow_sim,
};

/// Runs the binary once, in the check's sequential order if `sequential`.
async fn measured_in(
    sim: &SimHandle,
    dir: &std::path::Path,
    args: &[&str],
    sequential: bool,
) -> BenchResult<Figures> {
    let mut cmd = command(sim, dir, args);
    if sequential {
        cmd.env("BBCONNECT_SEQUENTIAL_CHECK", "1");
    }
    measured(sim, cmd, args).await
}

/// `connect --repo` then `check` of the saved connection, `RUNS` times each in a fresh
/// config directory.
async fn product_runs(
    sim: &SimHandle,
    product: Product,
    sequential: bool,
) -> BenchResult<(Figures, Figures)> {
    // A repository alice reads: DC's first, Cloud's in the last workspace (so the whole
    // listing is needed to see it).
    let repo = match product {
        Product::Dc => first_dc_repo(sim).await,
        Product::Cloud => last_cloud_repo(sim).await,
    };
    let url = sim.server_url();
    let connect = connect_args(&url, product, &repo);
    let (mut connects, mut checks) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let dir = tempfile::tempdir()?;
        connects.push(measured_in(sim, dir.path(), &connect, sequential).await?);
        let check = ["check", "it", "--json"];
        checks.push(measured_in(sim, dir.path(), &check, sequential).await?);
    }
    Ok((median(connects), median(checks)))
}

fn row(product: &str, command: &str, order: &str, f: Figures) {
    println!("{product:<6} {command:<15} {order:<11} {}", columns(f));
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
        let sim = slow_sim(repos).await?;
        let (connect, check) = product_runs(&sim, product, false).await?;
        let (seq_connect, seq_check) = product_runs(&sim, product, true).await?;
        row(name, "connect --repo", "concurrent", connect);
        row(name, "connect --repo", "sequential", seq_connect);
        row(name, "check", "concurrent", check);
        row(name, "check", "sequential", seq_check);
    }
    Ok(())
}

fn main() {
    // `cargo bench` passes `--bench`; nothing here takes arguments.
    println!("round trips at {LATENCY_MS} ms per request, median of {RUNS} runs");
    main_with("round_trips", run());
}
