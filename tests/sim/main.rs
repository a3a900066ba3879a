//! The built-in Bitbucket simulator seen through plain reqwest, never the crate's client:
//! Cloud, Data Center, OAuth and webhooks, and every failure scenario.

#[path = "../common/mod.rs"]
mod common;

mod sim_cloud;
mod sim_dc;
mod sim_oauth_hooks;
mod sim_scenarios;
mod ssh;
mod ssh_rest;
