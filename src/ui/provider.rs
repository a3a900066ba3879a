//! Step 1: which product.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use crate::bitbucket::model::Provider;
use crate::wizard::Wizard;

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
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
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
