//! `bbconnect demo`: the wizard against the built-in simulator, with connections kept in a
//! temporary directory that disappears afterwards: a demo never touches the user's real
//! configuration.

use clap::Args;

use super::Ctx;
use super::wizard::{Launch, start};
use crate::bitbucket::Endpoints;
use crate::core::model::Problem;
use crate::outln;
use crate::sim::{self, SimConfig};
use crate::store::{SecretStoreMode, Store};

#[derive(Debug, Args)]
pub struct DemoArgs {}

/// `bbconnect demo`; `launch` is the wizard's entry point (see [`super::wizard`]).
pub async fn run(ctx: &mut Ctx, _args: DemoArgs, launch: Launch) -> Result<(), Problem> {
    let sim = sim::start(SimConfig {
        port: 0,
        ..SimConfig::default()
    })
    .await
    .map_err(|e| {
        Problem::other(
            format!("the built-in simulator could not start on 127.0.0.1: {e}"),
            "check that loopback networking works on this machine.",
        )
    })?;
    let dir = tempfile::Builder::new()
        .prefix("bbconnect-demo-")
        .tempdir()
        .map_err(|e| {
            Problem::other(
                format!("could not create a temporary directory for the demo: {e}"),
                "set TMPDIR to a writable directory.",
            )
        })?;
    let store = Store::open(Some(dir.path().to_path_buf()), SecretStoreMode::File)
        .map_err(Problem::from)?;
    let endpoints = Endpoints {
        cloud_api: sim.cloud_api_url(),
        cloud_web: sim.cloud_web_url(),
    };
    // One short line per credential, so the box stays readable at 80x24: the auth type's
    // command-line name tells which choice on the Auth screen it belongs to.
    let mut notes = vec![format!("Simulator: {}", sim.base_url())];
    for c in sim::demo_credentials() {
        let who = if c.username.is_empty() {
            String::new()
        } else {
            format!("{} / ", c.username)
        };
        let mut line = format!("{}: {who}{}", c.auth, c.secret);
        if let Some(repo) = &c.repo {
            line.push_str(&format!(" ({repo})"));
        }
        notes.push(line);
    }
    let result = start(ctx, store, endpoints, notes, Some(sim.server_url()), launch).await;
    sim.shutdown().await;
    // Only a saved connection was kept there; a quit before saving already said so.
    // Removed before printing: a closed stdout ends the process without running destructors.
    let kept_in = dir.path().display().to_string();
    drop(dir);
    if let Ok(true) = result {
        let io = &mut ctx.io;
        outln!(
            io,
            "The demo connection was kept in a temporary directory, now removed: {kept_in}"
        );
    }
    result.map(|_| ())
}
