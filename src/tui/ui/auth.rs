//! The auth type step: which kind of credential, with a line on when to choose each.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use super::widgets::wrap_indented;
use crate::core::model::AuthKind;
use crate::tui::wizard::Wizard;

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let mut lines = vec![
        Line::styled(
            format!("How will bbconnect sign in to {}?", w.provider.label()),
            theme.title,
        ),
        Line::raw(""),
    ];
    let kinds = w.provider.auth_kinds();
    for (i, kind) in kinds.iter().enumerate() {
        let chosen = i == w.auth_cursor;
        let available = kind.available();
        let marker = if chosen { "▸ " } else { "  " };
        let style = match (chosen, available) {
            (true, _) => theme.selected,
            (false, true) => theme.text,
            (false, false) => theme.disabled,
        };
        let mut spans = vec![
            Span::styled(marker, theme.focus),
            Span::styled(kind.label(), style),
        ];
        if !available {
            spans.push(Span::styled("  (coming soon)", theme.dim));
        }
        lines.push(Line::from(spans));
        for text in wrap_indented(kind.blurb(), area.width as usize, 4) {
            lines.push(Line::styled(
                text,
                if available { theme.dim } else { theme.disabled },
            ));
        }
    }
    lines.push(Line::raw(""));
    if kinds.get(w.auth_cursor) == Some(&AuthKind::AppPassword) {
        lines.push(Line::styled(
            "⚠ App passwords no longer work on bitbucket.org: Atlassian turned them off on \
             2026-07-28. Kept for old mirrors only; choose API Token – User.",
            theme.warn,
        ));
    }
    if let Some(notice) = &w.notice {
        lines.push(Line::styled(notice.clone(), theme.warn));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
