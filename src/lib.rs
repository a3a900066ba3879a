//! bbconnect: connect a Bitbucket Cloud or Server / Data Center account, verified end to end.

#[cfg(test)]
mod architecture;
pub mod bitbucket;
pub mod cli;
pub mod core;
pub mod crash;
pub mod engine;
pub mod logging;
pub mod os;
pub mod settings;
pub mod sim;
pub mod store;
pub mod tui;
