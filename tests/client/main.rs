//! The API client and the worker that drives it, against the simulator and real network
//! components on loopback: both products, failure scenarios, paging and fetch-ahead, OAuth,
//! webhooks, TLS and proxies, redirects that must not carry the credential.

#[path = "../common/mod.rs"]
mod common;

mod client_cloud;
mod client_fetch_ahead;
mod client_oauth;
mod client_scenarios;
mod client_server;
mod client_token_expiry;
mod client_webhooks;
mod net_tls;
mod perf_listing;
mod security_redirect;
mod ssh_spec;
mod worker_http;
mod worker_webhook;
