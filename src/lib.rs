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
