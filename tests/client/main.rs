//! The API client, against the simulator and real network
//! components on loopback: both products, failure scenarios, paging and fetch-ahead, OAuth,
//! webhooks, TLS and proxies.

#[path = "../common/mod.rs"]
mod common;

mod cloud;
mod fetch_ahead;
mod net_tls;
mod oauth;
mod perf_listing;
mod scenarios;
mod server;
mod ssh_spec;
mod token_expiry;
mod webhooks;
