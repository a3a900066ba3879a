//! What a user sees after a panic: a short report, printed after ratatui's hook has restored the
//! terminal (ratatui chains to the hook installed here). The panic message itself is left out
//! unless RUST_BACKTRACE asks for details: it may quote server text or, through a bug, a secret.

use std::io::Write;
use std::panic::PanicHookInfo;

/// The report for a panic at `location` (`file:line`).
pub fn report(location: Option<&str>) -> String {
    format!(
        "bbconnect stopped on an internal error (a bug) at {}.\n  \
         Saved connections are written atomically: none is left half-written.\n  \
         fix: run the command again; if it repeats, report it with this message \
         (set RUST_BACKTRACE=1 to add details, and check them for secrets before sharing).",
        location.unwrap_or("an unknown place")
    )
}

/// Installs the report as the panic hook. Call before `ratatui::init()`, which wraps it.
pub fn install() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
        let details = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
        if details {
            previous(info);
        }
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        // Not eprintln!: with stderr a closed pipe it would panic inside the hook and abort.
        let _ = writeln!(std::io::stderr(), "{}", report(location.as_deref()));
    }));
}
