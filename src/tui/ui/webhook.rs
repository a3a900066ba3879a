//! The webhook step (optional): URL, events (multi-select), secret (masked), and what
//! creating it did (created / already there / updated, or why it was refused).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::widgets::{spinner, visible_slice, wrap_indented};
use crate::core::model::WebhookChange;
use crate::core::sanitize::clean;
use crate::tui::wizard::Wizard;
use crate::tui::wizard::webhook::{HookFocus, HookState};

const LABEL_WIDTH: usize = 12;

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let hook = &w.webhook;
    let repo = w
        .chosen_repo
        .as_ref()
        .map(|r| clean(&r.full_name))
        .unwrap_or_default();
    let width = (area.width as usize).saturating_sub(LABEL_WIDTH + 3);
    let full = area.width as usize;
    // Lines are wrapped here rather than by the Paragraph, so the cursor's row is known.
    let wrapped = |text: String, indent: usize, style| -> Vec<Line<'static>> {
        wrap_indented(&text, full, indent)
            .into_iter()
            .map(|l| Line::styled(l, style))
            .collect()
    };
    let mut lines: Vec<Line> = wrapped(
        format!("Optional: a webhook on {repo}, so your CI hears of pushes and pull requests."),
        0,
        theme.text,
    );
    lines.push(Line::raw(""));
    let label = |text: &'static str, focused: bool| {
        let marker = if focused { "▸ " } else { "  " };
        vec![
            Span::styled(marker, theme.focus),
            Span::styled(
                format!("{text:<w$}", w = LABEL_WIDTH - 2),
                if focused { theme.focus } else { theme.text },
            ),
        ]
    };

    // URL
    let url_focused = hook.focus == HookFocus::Url;
    let scroll = hook.url.visual_scroll(width);
    let shown = visible_slice(&clean(hook.url.value()), scroll, width);
    let mut spans = label("URL", url_focused);
    if hook.url.value().is_empty() {
        spans.push(Span::styled(
            format!("{:<width$}", "e.g. https://ci.example.com/bitbucket/hook"),
            theme.dim,
        ));
    } else {
        let style = if url_focused {
            theme.selected
        } else {
            theme.text
        };
        spans.push(Span::styled(format!("{shown:<width$}"), style));
    }
    let url_row = lines.len() as u16;
    let url_cursor = hook.url.visual_cursor().saturating_sub(scroll);
    lines.push(Line::from(spans));
    match hook.shown_url_error() {
        Some(err) => lines.extend(wrapped(format!("✗ {err}"), 2, theme.error)),
        None => lines.push(Line::raw("")),
    }

    // Events
    let events_focused = hook.focus == HookFocus::Events;
    for (i, e) in hook.events.iter().enumerate() {
        let mut spans = if i == 0 {
            label("Events", events_focused)
        } else {
            vec![Span::raw(" ".repeat(LABEL_WIDTH))]
        };
        let mark = if e.on { "[x] " } else { "[ ] " };
        let style = if events_focused && i == hook.event_cursor {
            theme.selected
        } else {
            theme.text
        };
        spans.push(Span::styled(format!("{mark}{}", clean(&e.name)), style));
        lines.push(Line::from(spans));
    }
    if hook.show_errors
        && let Some(err) = hook.events_error()
    {
        lines.extend(wrapped(format!("✗ {err}"), 2, theme.error));
    }
    lines.push(Line::raw(""));

    // Secret: one mask character per character, never the value.
    let secret_focused = hook.focus == HookFocus::Secret;
    let mut spans = label("Secret", secret_focused);
    // Shown in clear only on request (`r`), for handing it to whoever configures the CI.
    let mask = if hook.reveal_secret {
        clean(hook.secret.expose())
    } else {
        "•".repeat(hook.secret.len_chars().min(width.min(32)))
    };
    let style = if secret_focused {
        theme.selected
    } else {
        theme.text
    };
    spans.push(Span::styled(mask, style));
    let note = if hook.secret.is_empty() {
        " (none: deliveries unsigned)"
    } else if hook.secret_generated {
        " (generated)"
    } else {
        " (typed)"
    };
    spans.push(Span::styled(note, theme.dim));
    let secret_row = lines.len() as u16;
    let secret_cursor = hook.secret.cursor().min(width.min(32));
    lines.push(Line::from(spans));
    lines.push(Line::styled(
        "  Give your CI this secret (Ctrl-R shows it): it signs every delivery.",
        theme.dim,
    ));
    lines.push(Line::raw(""));

    // Outcome
    match &hook.state {
        HookState::Idle => {
            if let Some(n) = &w.notice {
                lines.extend(wrapped(n.clone(), 0, theme.warn));
            }
        }
        HookState::Creating { .. } => lines.push(Line::from(vec![
            Span::styled(spinner(w.spinner), theme.focus),
            Span::styled(" Putting the webhook on the repository…", theme.text),
        ])),
        HookState::Done {
            hook: h, change, ..
        } => {
            let what = match change {
                WebhookChange::Created => "created",
                WebhookChange::Updated => "was already there: updated",
                WebhookChange::Kept => "was already there as asked: kept",
            };
            lines.push(Line::styled(
                format!("✓ Webhook {} {what}.", clean(&h.id)),
                theme.ok,
            ));
            lines.push(Line::styled(
                "  Enter saves the connection with it.",
                theme.dim,
            ));
        }
        HookState::Failed(p) => {
            lines.extend(wrapped(format!("✗ {}", clean(&p.what)), 0, theme.error));
            lines.extend(wrapped(format!("→ {}", clean(&p.fix)), 2, theme.error));
            lines.push(Line::styled(
                "  Enter: retry · Ctrl-S: skip and save without a webhook.",
                theme.dim,
            ));
        }
    }
    // Only when the screen is too short: PgUp/PgDn scroll (the arrows move between fields),
    // and the cursor rows, computed before the cut, move up with the text.
    let skip = if lines.len() > usize::from(area.height) {
        w.text_scroll
            .min(super::widgets::last_start(&lines, u16::MAX, area.height))
    } else {
        0
    };
    let lines = super::widgets::with_more_mark_saying(
        lines,
        u16::MAX,
        area.height,
        Some(w.text_scroll),
        "PgDn scroll",
        theme.warn,
    );
    let skip = u16::try_from(skip).unwrap_or(u16::MAX);
    let (url_row, secret_row) = (
        url_row.checked_sub(skip).unwrap_or(u16::MAX),
        secret_row.checked_sub(skip).unwrap_or(u16::MAX),
    );
    frame.render_widget(Paragraph::new(lines), area);

    let cursor = match hook.focus {
        HookFocus::Url if !w.show_help => Some((url_row, url_cursor)),
        HookFocus::Secret if !w.show_help => Some((secret_row, secret_cursor)),
        _ => None,
    };
    if let Some((row, col)) = cursor
        && row < area.height
    {
        frame.set_cursor_position(Position {
            x: area.x + (LABEL_WIDTH + col) as u16,
            y: area.y + row,
        });
    }
}
