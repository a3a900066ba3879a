//! bbconnect: connect a Bitbucket Cloud or Server / Data Center account, verified end to end.

#[cfg(test)]
mod architecture;
pub mod bitbucket;
pub mod browser;
pub mod child;
pub mod cli;
pub mod core;
pub mod crash;
pub mod engine;
pub mod git_jobs;
pub mod logging;
pub mod settings;
pub mod sim;
pub mod store;
pub mod tui;

// The old paths of the interactive face, kept while the other branches of issue 12 still name
// them (`crate::wizard::...`, `bbconnect::ui::...` in tests/); removed in the final sweep.
pub use tui::{app, keys, ui, wizard, worker};
// Old paths of what moved to core (issue 12), for the same reason.
pub use crate::core::sanitize;
// The old paths of what moved into the engine (issue 12), so code written against them still
// builds; new code names `crate::engine::...`.
pub use engine::git_setup;
pub use engine::oauth as oauth_flow;
