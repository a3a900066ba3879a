//! The provider step: which product.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use crate::core::model::Provider;
use crate::tui::wizard::Wizard;

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let lines = choice_lines(w, theme);
    let used = lines.len() as u16 + 2;
    if w.config.demo_notes.is_empty() {
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    } else if area.height > used + 3 {
        // In demo mode the credentials to type are shown from the first screen on.
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        let demo_area = Rect {
            y: area.y + used,
            height: area.height - used,
            ..area
        };
        super::form::draw_demo(frame, demo_area, &w.config.demo_notes, theme);
    } else if area.height > 0 {
        // Too small for the box: the credentials follow the text and the screen scrolls to
        // them (PgDn), with a mark saying how much is below rather than hiding it.
        let mut all = lines;
        all.push(Line::raw(""));
        all.push(Line::styled("Demo credentials (all fake):", theme.title));
        all.extend(
            w.config
                .demo_notes
                .iter()
                .map(|n| Line::styled(n.clone(), theme.text)),
        );
        let all = super::widgets::with_more_mark_saying(
            all,
            area.width,
            area.height,
            Some(w.text_scroll),
            "PgDn scroll",
            theme.warn,
        );
        frame.render_widget(Paragraph::new(all).wrap(Wrap { trim: false }), area);
    }
}

/// The question and the two products, with the cursor.
fn choice_lines(w: &Wizard, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::raw(""),
        Line::styled("Where does your Bitbucket live?", theme.title),
        Line::raw(""),
    ];
    for (i, p) in Provider::ALL.iter().enumerate() {
        let chosen = i == w.provider_cursor;
        let marker = if chosen { "▸ " } else { "  " };
        let style = if chosen { theme.selected } else { theme.text };
        lines.push(Line::from(vec![
            Span::styled(marker, theme.focus),
            Span::styled(p.label(), style),
        ]));
        lines.push(Line::styled(format!("    {}", p.blurb()), theme.dim));
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "bbconnect checks the credentials, lists the repositories and saves the connection \
         for scripts (bbconnect check / repos / list).",
        theme.dim,
    ));
    lines
}
