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
    let used = lines.len() as u16 + 2;
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    // In demo mode the credentials to type are shown from the first screen on.
    if !w.config.demo_notes.is_empty() && area.height > used + 3 {
        let demo_area = Rect {
            y: area.y + used,
            height: area.height - used,
            ..area
        };
        super::form::draw_demo(frame, demo_area, &w.config.demo_notes, theme);
    } else if !w.config.demo_notes.is_empty() && area.height > 0 {
        // Too small for the box: say where the credentials are rather than hide them.
        let last = Rect {
            y: area.y + area.height - 1,
            height: 1,
            ..area
        };
        frame.render_widget(ratatui::widgets::Clear, last);
        frame.render_widget(
            Paragraph::new(Line::styled(
                "… demo credentials: enlarge the terminal, or `bbconnect sim --help`",
                theme.warn,
            )),
            last,
        );
    }
}
