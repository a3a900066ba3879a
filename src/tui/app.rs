//! The interactive runtime: owns the terminal and one `select!` loop over key events,
//! worker replies, signals and a render tick. State changes only in `wizard::update`.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::core::model::SavedInfo;
use crate::tui::keys;
use crate::tui::ui;
use crate::tui::wizard::msg::{Effect, Msg};
use crate::tui::wizard::repos::SliceBudget;
use crate::tui::wizard::{self, Wizard};
use crate::tui::worker::WorkerHandle;

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
    // The URL last written as one string (and the screen size then): written again only when
    // it or the screen changed, so a selection in progress is not disturbed.
    let mut url_written: Option<(ui::oauth::CopyableUrl, ratatui::layout::Size)> = None;
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
            // Past the end of a cut box (keys held down): back to its end before drawing.
            if let Ok(size) = terminal.size() {
                let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
                if let Some(max) = ui::text_scroll_limit(area, &wizard)
                    && wizard.text_scroll > max
                {
                    wizard::update(&mut wizard, Msg::TextScrollLimit { max });
                }
            }
            terminal.draw(|frame| ui::draw(frame, &wizard))?;
            dirty = false;
            rewrite_url(terminal, &wizard, &mut url_written)?;
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
            match effect {
                Effect::Quit => worker.shutdown(),
                // The terminal owns the clipboard (over SSH, the one on the user's machine).
                Effect::CopyToClipboard(text) => {
                    crossterm::execute!(
                        io::stdout(),
                        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
                    )?;
                }
                effect => worker.send(effect),
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

/// Writes the OAuth URL once more as one string over the rows ratatui drew it on (the same
/// characters): the terminal wraps it itself and marks the rows as one line, which a mouse
/// selection (or tmux's copy mode) then takes whole. The URL is ASCII without controls
/// (`ui::oauth::copyable_url` gives none otherwise), so it cannot end the OSC 8 early.
fn rewrite_url(
    terminal: &mut ratatui::DefaultTerminal,
    wizard: &Wizard,
    written: &mut Option<(ui::oauth::CopyableUrl, ratatui::layout::Size)>,
) -> io::Result<()> {
    let size = terminal.size()?;
    let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
    let Some(url) = ui::copyable_url(area, wizard) else {
        *written = None;
        return Ok(());
    };
    if written.as_ref() == Some(&(url.clone(), size)) {
        return Ok(());
    }
    let mut out = io::stdout();
    crossterm::queue!(
        out,
        crossterm::cursor::SavePosition,
        crossterm::cursor::MoveTo(url.x, url.y),
        // Also an OSC 8 hyperlink: where the terminal knows them, a click opens the whole
        // URL whatever the wrapping; others ignore the sequence.
        crossterm::style::Print(format!("\x1b]8;;{0}\x1b\\{0}\x1b]8;;\x1b\\", url.text)),
        crossterm::cursor::RestorePosition,
    )?;
    out.flush()?;
    *written = Some((url, size));
    Ok(())
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
