//! Printing as a Unix tool does. `println!` panics when the reader of a pipe has gone
//! (`bbconnect repos NAME | head -2`), which showed a crash report and exit 101; everything the
//! headless face prints goes through here instead, and a closed pipe ends the command quietly.
//!
//! Commands print through an [`Io`] handed to them, never to the process's streams directly:
//! `main` gives them stdout and stderr, a unit test gives them buffers and reads back what a
//! command said (gh's `IOStreams`).

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use crate::core::model::Problem;

/// Where a command writes: its output (`out`, what scripts read) and its messages (`err`).
pub struct Io {
    pub out: Box<dyn Write + Send>,
    pub err: Box<dyn Write + Send>,
    /// Whether `out` is a terminal a person watches (secrets printed there get a warning).
    pub out_is_terminal: bool,
}

impl Io {
    /// The process's stdout and stderr.
    pub fn process() -> Io {
        Io {
            out: Box::new(io::stdout()),
            err: Box::new(io::stderr()),
            out_is_terminal: io::stdout().is_terminal(),
        }
    }

    /// Buffers instead of the process's streams, and the handle that reads them back.
    pub fn memory() -> (Io, Captured) {
        let captured = Captured::default();
        let io = Io {
            out: Box::new(Shared(captured.out.clone())),
            err: Box::new(Shared(captured.err.clone())),
            out_is_terminal: false,
        };
        (io, captured)
    }

    /// Writes to `out`; a closed pipe ends the process quietly (see [`fail`]).
    pub fn out_fmt(&mut self, args: fmt::Arguments<'_>) {
        write_or_fail(&mut self.out, args);
    }

    /// Writes to `err`; a closed pipe ends the process quietly (see [`fail`]).
    pub fn err_fmt(&mut self, args: fmt::Arguments<'_>) {
        write_or_fail(&mut self.err, args);
    }
}

fn write_or_fail(w: &mut dyn Write, args: fmt::Arguments<'_>) {
    // Flushed at once: progress on stderr must show before the result on stdout.
    if let Err(e) = w.write_fmt(args).and_then(|()| w.flush()) {
        fail(&e);
    }
}

/// What a command wrote into an [`Io::memory`].
#[derive(Clone, Default)]
pub struct Captured {
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

impl Captured {
    pub fn out(&self) -> String {
        text(&self.out)
    }

    pub fn err(&self) -> String {
        text(&self.err)
    }
}

fn text(buf: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
}

struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

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

/// `println!` that ends the command quietly when stdout is a closed pipe. `outln!(io, ...)`
/// writes to an [`Io`]'s `out` instead of the process's stdout.
#[macro_export]
macro_rules! outln {
    () => { $crate::cli::output::out(format_args!("\n")) };
    ($io:ident, $($arg:tt)*) => { $io.out_fmt(format_args!("{}\n", format_args!($($arg)*))) };
    ($($arg:tt)*) => { $crate::cli::output::out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that ends the command quietly when stderr is a closed pipe. `errln!(io, ...)`
/// writes to an [`Io`]'s `err` instead of the process's stderr.
#[macro_export]
macro_rules! errln {
    () => { $crate::cli::output::err(format_args!("\n")) };
    ($io:ident, $($arg:tt)*) => { $io.err_fmt(format_args!("{}\n", format_args!($($arg)*))) };
    ($($arg:tt)*) => { $crate::cli::output::err(format_args!("{}\n", format_args!($($arg)*))) };
}

/// The one place a failure becomes what the user reads and the exit status, for both binaries.
pub fn exit(problem: Problem) -> ExitCode {
    if let Some(message) = problem.message() {
        crate::errln!("{message}");
    }
    ExitCode::from(u8::try_from(problem.class.exit_code()).unwrap_or(1))
}
