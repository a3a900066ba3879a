//! The headless face through the real binary, against the in-process simulator: every
//! command, each credential type, webhooks, webhook delivery to a CI, and real git through
//! `git-credential`.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod cli_auth;
mod cli_first_use;
mod cli_rotate;
mod cli_webhook;
mod git_helper;
mod git_https;
mod oauth_lifecycle;
mod recheck;
mod webhook_delivery;
