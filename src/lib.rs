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
pub mod git_setup;
pub mod keys;
pub mod logging;
pub mod oauth_flow;
pub mod sanitize;
pub mod settings;
pub mod sim;
pub mod store;
pub mod ui;
pub mod wizard;
pub mod worker;
