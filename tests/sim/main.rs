//! The built-in Bitbucket simulator seen through plain reqwest, never the crate's client:
//! Cloud, Data Center, OAuth and webhooks, and every failure scenario.

#[path = "../common/mod.rs"]
mod common;

mod cloud;
mod dc;
mod oauth_hooks;
mod scenarios;
mod ssh;
mod ssh_rest;
