//! What `connect --git-protocol ssh` adds to `connect --repo`: the built binary against the
//! in-process simulator (100 ms per HTTP request, its SSH server on loopback), Data Center and
//! Cloud (the default data set), each connect in a fresh config directory. For each: HTTP round trips on the critical
//! path (`SimHandle::critical_path`), HTTP requests, and wall time (median of a few runs,
//! process start included). The SSH work (ssh-keyscan for DC, the proving `git ls-remote`)
//! is not HTTP: it shows in the wall time only.
//!
//! `cargo bench --bench ssh_route`.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "common/runs.rs"]
mod runs;

use bbconnect::sim::SimHandle;

use common::sim::{demo_repo, first_dc_repo};
use runs::{
    BenchResult, Figures, LATENCY_MS, Product, RUNS, columns, command, connect_args, main_with,
    measured, median, slow_sim,
};

async fn product_runs(sim: &SimHandle, product: Product, ssh: bool) -> BenchResult<Figures> {
    // A repository alice administers (deploy keys need repository admin): DC's first, Cloud's
    // of the data set's repository token.
    let repo = match product {
        Product::Dc => first_dc_repo(sim).await,
        Product::Cloud => demo_repo("cloud", "repo-token"),
    };
    let url = sim.server_url();
    let mut connect = connect_args(&url, product, &repo);
    if ssh {
        connect.extend(["--git-protocol", "ssh"]);
    }
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir()?;
        runs.push(measured(sim, command(sim, dir.path(), &connect), &connect).await?);
    }
    Ok(median(runs))
}

fn row(product: &str, protocol: &str, f: Figures) {
    println!("{product:<6} {protocol:<22} {}", columns(f));
}

async fn run() -> BenchResult<()> {
    println!(
        "{:<6} {:<22} {:>11} {:>9} {:>11}",
        "", "connect --repo", "round trips", "requests", "wall"
    );
    for (product, name) in [(Product::Dc, "DC"), (Product::Cloud, "Cloud")] {
        let sim = slow_sim(None).await?;
        let https = product_runs(&sim, product, false).await?;
        let ssh = product_runs(&sim, product, true).await?;
        row(name, "--git-protocol https", https);
        row(name, "--git-protocol ssh", ssh);
    }
    Ok(())
}

fn main() {
    println!("connect at {LATENCY_MS} ms per HTTP request, median of {RUNS} runs");
    main_with("ssh_route", run());
}
