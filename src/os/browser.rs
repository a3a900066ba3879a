//! The browser, for real: what this process's environment says about opening one, and the
//! opener run with a clean environment. The decision itself is `core::browser`'s, pure.

use crate::core::browser::{BrowserEnv, BrowserOutcome, can_open, verdict};

/// The display and SSH variables of this process.
pub fn env() -> BrowserEnv {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    BrowserEnv {
        display: set("DISPLAY") || set("WAYLAND_DISPLAY"),
        ssh: set("SSH_CONNECTION") || set("SSH_CLIENT") || set("SSH_TTY"),
        needs_display: cfg!(all(unix, not(target_os = "macos"))),
    }
}

/// Opens `url` in the system browser when this environment has one, through
/// [`super::child::open_url`] (no secret of ours reaches the browser's environment).
/// Blocks for as long as the opener runs (a few seconds at most): call it off the async
/// threads.
pub fn open(url: &str) -> BrowserOutcome {
    let env = env();
    let tried = can_open(&env).ok().map(|()| super::child::open_url(url));
    verdict(&env, tried)
}
