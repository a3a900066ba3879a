//! The interactive runtime: owns the terminal and one `select!` loop over key events,
//! worker replies, signals and a render tick. State changes only in `wizard::update`.

use std::io;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::bitbucket::model::SavedInfo;
use crate::keys;
use crate::ui;
use crate::wizard::msg::{Effect, Msg};
use crate::wizard::repos::SliceBudget;
use crate::wizard::{self, Wizard};
use crate::worker::WorkerHandle;

/// How often the screen may be redrawn (≈30 fps); a frame is drawn only when something changed.
const FRAME: Duration = Duration::from_millis(33);
/// How often spinners advance while something is in flight.
const SPINNER_TICK: Duration = Duration::from_millis(100);

/// What the interactive session ended with, printed by `main` after the terminal is restored.
pub enum Outcome {
    Saved(SavedInfo),
    /// Left before saving; `interrupted` on Ctrl-C or a signal (the process exits 130).
    Quit {
        interrupted: bool,
    },
}

/// Runs the wizard until it quits. The terminal is restored on every path out of here,
/// including a panic (ratatui's hook) and SIGTERM/SIGHUP (handled in the loop).
pub async fn run(
    wizard: Wizard,
    worker: WorkerHandle,
    replies: mpsc::UnboundedReceiver<Msg>,
) -> io::Result<Outcome> {
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, wizard, worker, replies).await;
    ratatui::restore();
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    mut wizard: Wizard,
    worker: WorkerHandle,
    mut replies: mpsc::UnboundedReceiver<Msg>,
) -> io::Result<Outcome> {
    // Filtering 100,000 repositories is cut into slices of about SLICE_TIME, keys in
    // between; the budget learns from the slices' measured time (the wizard has no clock).
    let mut budget = SliceBudget::default();
    let mut events = EventStream::new();
    let mut frame_tick = tokio::time::interval(FRAME);
    frame_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut spinner_tick = tokio::time::interval(SPINNER_TICK);
    spinner_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = Signals::new()?;
    let mut dirty = true;
    if let Ok(size) = terminal.size() {
        wizard::update(
            &mut wizard,
            Msg::Viewport {
                list_rows: ui::list_rows(size.height),
            },
        );
    }
    // With no filter in progress this only sets the slice size, so that the first
    // keystroke's slice is already the app's size (state changes only through `update`).
    wizard::update(
        &mut wizard,
        Msg::Work {
            rows: budget.rows(),
        },
    );

    loop {
        if dirty {
            terminal.draw(|frame| ui::draw(frame, &wizard))?;
            dirty = false;
        }
        let msg = tokio::select! {
            // Keys, replies and signals first: a filter slice runs only when nothing waits.
            biased;
            maybe_event = events.next() => match maybe_event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => keys::map(&wizard, key),
                Some(Ok(Event::Resize(_, rows))) => Some(Msg::Viewport { list_rows: ui::list_rows(rows) }),
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e),
                None => Some(Msg::Terminate),
            },
            Some(reply) = replies.recv() => Some(reply),
            _ = spinner_tick.tick(), if wizard.busy() => Some(Msg::Tick),
            _ = frame_tick.tick() => None,
            _ = signals.recv() => Some(Msg::Terminate),
            () = std::future::ready(()), if wizard.has_work() => Some(Msg::Work { rows: budget.rows() }),
        };
        let Some(msg) = msg else { continue };
        let slice = match msg {
            Msg::Work { rows } => Some((rows, Instant::now())),
            _ => None,
        };
        for effect in wizard::update(&mut wizard, msg) {
            if let Effect::Quit = effect {
                worker.shutdown();
            } else {
                worker.send(effect);
            }
        }
        if let Some((rows, started)) = slice {
            budget.observe(rows, started.elapsed(), !wizard.has_work());
        }
        // A filter slice changes the screen only when it completes the result.
        dirty |= slice.is_none() || !wizard.has_work();
        if wizard.should_quit() {
            worker.shutdown();
            return Ok(match wizard.outcome() {
                Some(saved) => Outcome::Saved(saved.clone()),
                None => Outcome::Quit {
                    interrupted: wizard.interrupted(),
                },
            });
        }
    }
}

/// SIGTERM, SIGHUP and an external SIGINT end the session like `q` does, so the terminal is
/// restored. (Ctrl-C typed in raw mode arrives as a key, not a signal.)
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> io::Result<Self> {
        Ok(Signals {})
    }

    #[cfg(unix)]
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
            _ = self.int.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
