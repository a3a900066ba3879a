//! One semantic palette for every screen; with `NO_COLOR` only attributes remain.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub title: Style,
    pub text: Style,
    pub dim: Style,
    pub key: Style,
    pub selected: Style,
    pub focus: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    /// Matched characters in the repository filter.
    pub matched: Style,
    pub border: Style,
    pub disabled: Style,
}

impl Theme {
    pub fn new(no_color: bool) -> Theme {
        let plain = Style::default();
        let bold = plain.add_modifier(Modifier::BOLD);
        if no_color {
            return Theme {
                title: bold,
                text: plain,
                dim: plain.add_modifier(Modifier::DIM),
                key: bold,
                selected: plain.add_modifier(Modifier::REVERSED),
                focus: bold,
                ok: plain,
                warn: bold,
                error: bold,
                matched: plain.add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
                border: plain,
                disabled: plain.add_modifier(Modifier::DIM),
            };
        }
        Theme {
            title: bold.fg(Color::Cyan),
            text: plain,
            dim: plain.fg(Color::DarkGray),
            key: bold.fg(Color::Yellow),
            selected: plain.bg(Color::Blue).fg(Color::White),
            focus: bold.fg(Color::Cyan),
            ok: plain.fg(Color::Green),
            warn: plain.fg(Color::Yellow),
            error: plain.fg(Color::Red),
            matched: bold.fg(Color::Magenta),
            border: plain.fg(Color::DarkGray),
            disabled: plain.fg(Color::DarkGray),
        }
    }
}
