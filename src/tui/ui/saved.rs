//! The list of saved connections: the first screen when there are any.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use super::widgets::{fit, spinner};
use crate::core::expiry::Standing;
use crate::core::sanitize::clean;
use crate::tui::wizard::Wizard;
use crate::tui::wizard::saved::{SavedAction, SavedRow};

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let list = &w.saved;
    let width = area.width as usize;
    let mut lines = vec![
        Line::raw(""),
        Line::styled("Your saved connections", theme.title),
        Line::raw(""),
    ];
    let cells: Vec<[String; 5]> = list.rows.iter().map(cells).collect();
    let mut widths = [0usize; 5];
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    for (i, (row, text)) in list.rows.iter().zip(&cells).enumerate() {
        let chosen = i == list.cursor;
        let style = if chosen { theme.selected } else { theme.text };
        let mut spans = vec![Span::styled(if chosen { "▸ " } else { "  " }, theme.focus)];
        let mut line = String::new();
        for (c, w) in text.iter().zip(widths) {
            line.push_str(&format!("{c:<w$}  "));
        }
        spans.push(Span::styled(
            fit(line.trim_end(), width.saturating_sub(2).max(1)),
            style,
        ));
        lines.push(Line::from(spans));
        let (mark, detail, mark_style) = match &row.last_check {
            Some(c) if c.ok => (
                "✓",
                format!("{} · {}", when(&c.at), clean(&c.summary)),
                theme.ok,
            ),
            Some(c) => (
                "✗",
                format!("{} · {}", when(&c.at), clean(&c.summary)),
                theme.error,
            ),
            None => ("·", "not checked yet".to_string(), theme.dim),
        };
        let expiry = w.expiry(row.expires_on, row.auth);
        // First: a long check summary is cut at the edge, and the expiry must not be.
        let detail = match expiry {
            Standing::Unknown => format!("expiry unknown · {detail}"),
            _ => format!("{} · {detail}", expiry.text()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("    {mark} "), mark_style),
            Span::styled(fit(&detail, width.saturating_sub(6).max(1)), theme.dim),
        ]));
    }
    let on_new = list.on_new();
    lines.push(Line::from(vec![
        Span::styled(if on_new { "▸ " } else { "  " }, theme.focus),
        Span::styled(
            "+ New connection",
            if on_new { theme.selected } else { theme.text },
        ),
    ]));
    lines.push(Line::raw(""));
    match &list.action {
        SavedAction::Checking { name, .. } => lines.push(Line::from(vec![
            Span::styled(spinner(w.spinner), theme.focus),
            Span::styled(format!(" Checking `{}`…", clean(name)), theme.text),
        ])),
        SavedAction::Removing { name, .. } => lines.push(Line::from(vec![
            Span::styled(spinner(w.spinner), theme.focus),
            Span::styled(format!(" Removing `{}`…", clean(name)), theme.text),
        ])),
        SavedAction::EnterSecret { name } => {
            lines.push(Line::styled(
                format!(
                    "New secret for `{}` (the same user, or the same repository for a repository token):",
                    clean(name)
                ),
                theme.text,
            ));
            // One mask character per typed character, never the value.
            let mask = "•".repeat(list.new_secret.len_chars().min(width.saturating_sub(4)));
            lines.push(Line::from(vec![
                Span::styled("  › ", theme.focus),
                Span::styled(mask, theme.selected),
            ]));
            lines.push(Line::styled(
                "Enter checks it against the saved host and saves it; the repository, webhook and trust are kept. Esc cancels.",
                theme.dim,
            ));
            if let Some(Err(m)) = &list.message {
                lines.push(Line::styled(format!("✗ {}", clean(m)), theme.error));
            }
        }
        SavedAction::Rotating { name, .. } => lines.push(Line::from(vec![
            Span::styled(spinner(w.spinner), theme.focus),
            Span::styled(
                format!(" Checking the new secret for `{}`…", clean(name)),
                theme.text,
            ),
        ])),
        SavedAction::ConfirmRemove { name } => lines.push(Line::styled(
            format!(
                "Remove `{}` and its secret? y: remove · n: keep it",
                clean(name)
            ),
            theme.warn,
        )),
        SavedAction::Idle => match &list.message {
            Some(Ok(m)) => lines.push(Line::styled(format!("✓ {}", clean(m)), theme.ok)),
            Some(Err(m)) => lines.push(Line::styled(format!("✗ {}", clean(m)), theme.error)),
            None => lines.push(Line::styled(
                "Enter checks the selected connection again; e edits it (the secret is kept \
                 unless you retype it); r replaces it; n adds another.",
                theme.dim,
            )),
        },
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// name, product, user, host, repository.
fn cells(r: &SavedRow) -> [String; 5] {
    let host = url::Url::parse(&r.url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_string(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| r.url.clone());
    [
        clean(&r.name),
        r.provider.cli_name().to_string(),
        clean(r.user.as_deref().or(r.username.as_deref()).unwrap_or("-")),
        clean(&host),
        clean(r.repo.as_deref().unwrap_or("-")),
    ]
}

/// `2026-12-01T21:00:05Z` as `2026-12-01 21:00 UTC`.
fn when(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => clean(at),
    }
}
