//! `bbconnect sim`: the built-in simulator alone, for trying and testing.

use clap::Args;

use super::Ctx;
use crate::core::model::Problem;
use crate::sim::{Scenario, SimConfig};

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 7990)]
    pub port: u16,
    /// A failure to reproduce.
    #[arg(long, value_enum, default_value = "normal")]
    pub scenario: Scenario,
    /// Number of repositories per product.
    #[arg(long)]
    pub repos: Option<usize>,
    /// Latency added to every request.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
}

impl SimArgs {
    pub fn config(&self) -> SimConfig {
        SimConfig {
            port: self.port,
            scenario: self.scenario,
            repos: self.repos,
            latency_ms: self.latency_ms,
            ..SimConfig::default()
        }
    }
}

/// `bbconnect sim`: runs until Ctrl-C.
pub async fn run(_ctx: &mut Ctx, args: SimArgs) -> Result<(), Problem> {
    crate::sim::run_cli(args.config()).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            super::output::fail(&e)
        }
        Problem::other(
            format!("the simulator could not start: {e}"),
            "pick another port with --port, or --port 0 for any free one.",
        )
    })
}
