//! Rendering: one view per step, shared chrome (header, footer, help overlay), one theme.
//! Pure: reads the wizard, draws the frame, nothing else.

mod auth;
mod check;
mod done;
mod form;
mod git_access;
pub mod oauth;
mod provider;
mod repos;
pub use repos::list_rows;
mod saved;
pub mod theme;
mod webhook;
mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::core::model::Provider;
use crate::tui::keys;
use crate::tui::wizard::{Step, Wizard};
pub use theme::Theme;

/// Header, body and footer rows of the screen.
fn chrome(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The body less a one-column margin each side: where a step draws.
fn inner(body: Rect) -> Rect {
    Rect {
        x: body.x + 1,
        width: body.width.saturating_sub(2),
        ..body
    }
}

/// The OAuth authorize URL as the app writes it once more after a frame, so the terminal's
/// own soft wrap makes it one selectable line (ratatui positions every row by itself, which
/// a terminal reads as separate lines). `None` when no such URL is fully on screen.
pub fn copyable_url(area: Rect, w: &Wizard) -> Option<oauth::CopyableUrl> {
    if w.step != Step::Check || w.show_help {
        return None;
    }
    let [_, body, _] = chrome(area);
    oauth::copyable_url(inner(body), area, w)
}

pub fn draw(frame: &mut Frame, w: &Wizard) {
    let theme = Theme::new(w.config.no_color);
    let area = frame.area();
    let [header, body, footer] = chrome(area);
    draw_header(frame, header, w, &theme);
    let inner = inner(body);
    match w.step {
        Step::Saved => saved::draw(frame, inner, w, &theme),
        Step::Provider => provider::draw(frame, inner, w, &theme),
        Step::AuthType => auth::draw(frame, inner, w, &theme),
        Step::Form => form::draw(frame, inner, w, &theme),
        Step::Check => check::draw(frame, inner, w, &theme),
        Step::Repos => repos::draw(frame, inner, w, &theme),
        Step::GitAccess => git_access::draw(frame, inner, w, &theme),
        Step::Webhook => webhook::draw(frame, inner, w, &theme),
        Step::Save | Step::Done => done::draw(frame, inner, w, &theme),
    }
    draw_footer(frame, footer, w, &theme);
    if w.show_help {
        draw_help(frame, body, w, &theme);
    }
}

fn draw_header(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let title = w.step.title();
    let step = match w.step.number() {
        Some((n, total)) => format!(" Step {n}/{total} · {title}"),
        None => format!(" {title}"),
    };
    let mut spans = vec![
        Span::styled(" bbconnect ", theme.title),
        Span::styled(step, theme.text),
    ];
    // What was chosen on the steps before this one.
    let past = |step: Step| {
        w.step
            .number()
            .zip(step.number())
            .is_some_and(|((now, _), (then, _))| now > then)
    };
    if past(Step::Provider) {
        let mut chosen = match w.provider {
            Provider::Cloud => "Cloud",
            Provider::Server => "Server/DC",
        }
        .to_string();
        if past(Step::AuthType) {
            chosen = format!("{chosen} · {}", w.auth.label());
        }
        spans.push(Span::styled(format!("  [{chosen}]"), theme.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let mut spans = vec![Span::raw(" ")];
    if w.confirm_quit {
        spans.push(Span::styled("Quit without saving? ", theme.warn));
    }
    for (i, (key, label)) in keys::hints(w).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("  ", theme.dim));
        }
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::styled(format!(" {label}"), theme.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The furthest a cut box on screen can scroll (`None`: nothing on screen scrolls that way).
/// The app clamps the wizard's offset to it, as only the view knows the box's length.
pub fn text_scroll_limit(area: Rect, w: &Wizard) -> Option<usize> {
    let theme = Theme::new(w.config.no_color);
    let [_, body, _] = chrome(area);
    if w.show_help {
        let room = usize::from(body.height.saturating_sub(2));
        return Some(help_lines(body, w, &theme).len().saturating_sub(room));
    }
    let inner = inner(body);
    (w.step == Step::Done).then(|| {
        widgets::last_start(
            &done::lines(w, &theme, inner.width),
            inner.width,
            inner.height,
        )
    })
}

fn draw_help(frame: &mut Frame, body: Rect, w: &Wizard, theme: &Theme) {
    let mut lines = help_lines(body, w, theme);
    // A terminal too small for the box: it scrolls, and says that rows are missing rather
    // than cut them silently.
    let room = usize::from(body.height.saturating_sub(2));
    if lines.len() > room && room > 0 {
        let last_start = lines.len() - room;
        let skip = w.text_scroll.min(last_start);
        lines.drain(..skip);
        if skip < last_start {
            let hidden = lines.len() - room + 1;
            lines.truncate(room - 1);
            lines.push(Line::styled(
                format!(" … {hidden} more lines: ↓/PgDn scroll"),
                theme.warn,
            ));
        }
    }
    let height = (lines.len() as u16 + 2).min(body.height);
    let width = 56.min(body.width);
    let area = Rect {
        x: body.x + (body.width - width) / 2,
        y: body.y + (body.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, area);
    let title = match w.step.number() {
        Some((n, _)) => format!(" Keys · step {n}: {} ", w.step.title()),
        None => format!(" Keys · {} ", w.step.title()),
    };
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(Span::styled(title, theme.title)),
        ),
        area,
    );
}

fn help_lines(body: Rect, w: &Wizard, theme: &Theme) -> Vec<Line<'static>> {
    let rows = keys::help(w);
    let key_width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line<'static>> = rows
        .iter()
        .map(|(k, label)| {
            Line::from(vec![
                Span::styled(format!(" {k:<key_width$}  "), theme.key),
                Span::styled(*label, theme.text),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    let inner_width = usize::from(56.min(body.width).saturating_sub(2));
    let mut prose = |text: &str| {
        for l in widgets::wrap_indented(text, inner_width, 1) {
            lines.push(Line::styled(l, theme.dim));
        }
    };
    // Only where Esc does go back (on the first and the last screen it does not).
    if rows
        .iter()
        .any(|(k, label)| *k == "Esc" && *label == "back")
    {
        prose("Esc goes back one step; what you typed is kept.");
    }
    prose("Esc, ? or F1 closes this help.");
    lines
}
