//! bbconnect: connect a Bitbucket Cloud or Server / Data Center account, verified end to end.

pub mod app;
#[cfg(test)]
mod architecture;
pub mod bitbucket;
pub mod browser;
pub mod child;
pub mod cli;
pub mod crash;
pub mod engine;
pub mod git_jobs;
pub mod keys;
pub mod logging;
pub mod sanitize;
pub mod sim;
pub mod store;
pub mod ui;
pub mod wizard;
pub mod worker;

// The old paths of what moved into the engine (issue 12), so code written against them still
// builds; new code names `crate::engine::...`.
pub use engine::git_setup;
pub use engine::oauth as oauth_flow;
