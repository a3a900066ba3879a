//! The interactive face: screen snapshots (insta, in `snapshots/` beside this file), the check
//! screen with real engine reports, OAuth sign-in through the wizard and the worker, and the
//! real `bbconnect demo` in a pseudo-terminal, and the worker that runs the wizard's requests.

#[path = "../common/mod.rs"]
mod common;

mod pty_demo;
mod ui_check_reports;
mod ui_snapshots;
mod wizard_oauth;
mod worker_http;
mod worker_recheck;
mod worker_webhook;
