//! Printing as a Unix tool does. `println!` panics when the reader of a pipe has gone
//! (`bbconnect repos NAME | head -2`), which showed a crash report and exit 101; everything the
//! headless face prints goes through here instead, and a closed pipe ends the command quietly.

use std::fmt;
use std::io::{self, Write};

/// The exit status when the reader of our output went away: 128 + SIGPIPE, what a shell shows
/// for `seq 1000000 | head -2` and for git, grep or cat in the same place. Not 0 on purpose:
/// the command did not finish saying what it had to say, and for `check` a 0 would turn failed
/// checks whose report was cut off into a success under `set -o pipefail`.
pub const BROKEN_PIPE_EXIT: i32 = 141;

/// Writes to stdout; a closed pipe exits quietly (see [`fail`]).
pub fn out(args: fmt::Arguments<'_>) {
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        fail(&e);
    }
}

/// Writes to stderr; a closed pipe exits quietly (see [`fail`]).
pub fn err(args: fmt::Arguments<'_>) {
    let mut stderr = io::stderr().lock();
    if let Err(e) = stderr.write_fmt(args).and_then(|()| stderr.flush()) {
        fail(&e);
    }
}

/// Ends the process after output could not be written. Exiting here rather than returning an
/// error keeps every printing function as simple as `println!`; nothing is left half-done by
/// it, since connections are saved (atomically) before anything is printed about them.
pub fn fail(e: &io::Error) -> ! {
    if e.kind() != io::ErrorKind::BrokenPipe {
        // A full disk behind a redirect, say: worth a word, if stderr still takes one.
        let _ = writeln!(io::stderr(), "bbconnect: could not write the output: {e}");
        std::process::exit(1);
    }
    std::process::exit(BROKEN_PIPE_EXIT)
}

/// `println!` that ends the command quietly when stdout is a closed pipe.
#[macro_export]
macro_rules! outln {
    () => { $crate::cli::output::out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::output::out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that ends the command quietly when stderr is a closed pipe.
#[macro_export]
macro_rules! errln {
    () => { $crate::cli::output::err(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::output::err(format_args!("{}\n", format_args!($($arg)*))) };
}
