//! Set-up shared by every test binary (`#[path = "../common/mod.rs"] mod common;` in each
//! `tests/<room>/main.rs`): the simulator on loopback, fake credentials, the real binary run
//! with a private config dir and a clean environment, re-running one test alone in a child
//! process, and waiting.
//!
//! Each binary uses only part of it, so unused items are allowed here and nowhere else.
#![allow(dead_code)]

pub mod bin;
pub mod child;
pub mod creds;
pub mod files;
pub mod http;
pub mod opener;
pub mod plain;
pub mod report;
pub mod screen;
pub mod sim;
pub mod tls;
pub mod wait;
pub mod world;
