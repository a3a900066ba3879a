//! `bbconnect` without a command: the wizard on the user's saved connections. The wizard is
//! the tui room's; `main` hands its entry point in (a [`Launch`]), since the command line
//! never imports the other face. What happens around it (a terminal is required, the list
//! settings, what is printed after) is decided here.

use std::future::Future;
use std::pin::Pin;

use super::{Ctx, concurrency_setting, limits_setting, print_saved, stdin_is_tty};
use crate::bitbucket::{ClientOptions, Endpoints};
use crate::core::model::{FailureClass, Problem, SavedInfo};
use crate::core::sanitize::clean;
use crate::settings::Settings;
use crate::store::Store;
use crate::{errln, outln};

/// The wizard's entry point (`tui::launch::start`): the settings, the store, the Cloud
/// endpoints, the demo's notes and server URL, the client options; what was saved, if anything.
/// A plain function returning a boxed future, not a generic: a generic entry point is compiled
/// again in the binary crate with every async body it reaches (see docs/performance.md).
pub type Launch = fn(
    Settings,
    Store,
    Endpoints,
    Vec<String>,
    Option<String>,
    ClientOptions,
) -> Pin<Box<dyn Future<Output = Result<Option<SavedInfo>, Problem>>>>;

/// `bbconnect`.
pub async fn run(ctx: &mut Ctx, launch: Launch) -> Result<(), Problem> {
    let store = ctx.store.take()?;
    let endpoints = ctx.settings.endpoints.clone();
    start(ctx, store, endpoints, Vec::new(), None, launch)
        .await
        .map(|_| ())
}

/// Runs the wizard on `store` and says what came of it; true when a connection was saved.
pub(super) async fn start(
    ctx: &mut Ctx,
    store: Store,
    endpoints: Endpoints,
    demo_notes: Vec<String>,
    server_url: Option<String>,
    launch: Launch,
) -> Result<bool, Problem> {
    if !stdin_is_tty() {
        return Err(Problem::input(
            "the wizard needs a terminal.",
            "run it in a terminal, or use `bbconnect connect` in scripts (see --help).",
        ));
    }
    let options = ClientOptions {
        max_concurrency: concurrency_setting(&ctx.settings)?,
        limits: limits_setting(&ctx.settings)?,
        ..ClientOptions::default()
    };
    let io = &mut ctx.io;
    let outcome = launch(
        ctx.settings.clone(),
        store,
        endpoints,
        demo_notes,
        server_url,
        options,
    )
    .await;
    match outcome {
        Ok(Some(saved)) => {
            print_saved(io, &saved);
            outln!(
                io,
                "Use it: bbconnect check {0} | bbconnect repos {0} | bbconnect list",
                clean(&saved.name)
            );
            Ok(true)
        }
        Ok(None) => {
            errln!(io, "bbconnect: nothing was saved.");
            Ok(false)
        }
        Err(p) if p.class == FailureClass::Interrupted => {
            errln!(io, "bbconnect: nothing was saved.");
            Err(p)
        }
        Err(p) => Err(p),
    }
}
