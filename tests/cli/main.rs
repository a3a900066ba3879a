//! The headless face through the real binary, against the in-process simulator: every
//! command, each credential type, webhooks, webhook delivery to a CI, and real git through
//! `git-credential`.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod commands;
mod expiry;
mod first_use;
mod git_helper;
mod git_https;
mod oauth_lifecycle;
mod recheck;
mod rotate;
mod ssh;
mod webhook;
mod webhook_delivery;
