//! The check step before the check, for OAuth2: waiting for the browser, or why the sign-in failed.
//!
//! Our users are often on a remote machine over SSH, where no browser opens and the one they
//! use cannot reach our loopback callback. So the screen says whether a browser opened, shows
//! the authorize URL for copying, tells how to tunnel the callback, and takes the address the
//! browser ended on, pasted back.
//!
//! The URL is drawn from the left edge over the full width of the terminal, cut into rows of
//! exactly that width: row after row, its characters are contiguous with no padding, so after
//! the app has written it once more as one string (`copyable_url`, which lets the terminal's
//! own soft wrap join the rows) a mouse selection takes it whole.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use super::widgets::{spinner, visible_slice, wrap_indented};
use crate::core::browser::BrowserOutcome;
use crate::core::sanitize::clean;
use crate::tui::wizard::Wizard;
use crate::tui::wizard::oauth::{OAuthState, PasteState};

/// The authorize URL as the app must write it so that the terminal soft-wraps it: one string
/// from (`x`, `y`), over rows exactly `width` wide (the same rows `draw` put in the buffer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyableUrl {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub text: String,
}

/// Rows of the panel above the URL: title and the line that introduces it.
/// Always two rows, so that `copyable_url` knows where the URL starts.
fn top_lines(theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let intro = if width >= 62 {
        "Open this address in a browser, on this machine or any other:"
    } else {
        "Open in a browser, on any machine:"
    };
    vec![
        Line::styled("Sign in with OAuth2 (browser)", theme.title),
        Line::styled(intro, theme.text),
    ]
}

/// The URL cut into rows of `width` characters, or `None` when it cannot be drawn so that
/// the terminal would wrap it at the same places (characters of another width than one).
fn url_rows(url: &str, width: u16) -> Option<Vec<String>> {
    let width = usize::from(width);
    if width == 0 || !url.chars().all(|c| c.is_ascii_graphic()) {
        return None;
    }
    let chars: Vec<char> = url.chars().collect();
    Some(chars.chunks(width).map(|c| c.iter().collect()).collect())
}

/// Where the URL goes for the panel drawn in `area` of a terminal `full`; `None` when it is
/// not shown whole (the terminal is too short, or the URL not plain ASCII).
pub fn copyable_url(area: Rect, full: Rect, w: &Wizard) -> Option<CopyableUrl> {
    let text = clean(w.oauth.url()?);
    let rows = url_rows(&text, full.width)?;
    let y = area.y + top_lines(&Theme::new(true), area.width).len() as u16;
    (y + rows.len() as u16 <= area.bottom()).then_some(CopyableUrl {
        x: full.x,
        y,
        width: full.width,
        text,
    })
}

/// The port of the loopback callback, for the tunnel hint.
fn callback_port(callback: &str) -> u16 {
    url::Url::parse(callback)
        .ok()
        .and_then(|u| u.port_or_known_default())
        .unwrap_or(8976)
}

/// Draws the sign-in panel when a sign-in is in progress or failed; false otherwise.
pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) -> bool {
    let callback = clean(w.form.callback.value());
    match &w.oauth {
        OAuthState::Waiting { url: None, .. } => {
            let lines = vec![
                Line::styled("Sign in with OAuth2 (browser)", theme.title),
                Line::raw(""),
                Line::from(vec![
                    Span::styled(spinner(w.spinner), theme.focus),
                    Span::styled(format!(" Listening on {callback}…"), theme.text),
                ]),
                Line::raw(""),
                Line::styled("Esc cancels and goes back to the form.", theme.dim),
            ];
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        }
        OAuthState::Waiting {
            url: Some(url),
            browser,
            paste,
            paste_state,
            ..
        } => {
            let full = frame.area();
            let top = top_lines(theme, area.width);
            let top_height = (top.len() as u16).min(area.height);
            frame.render_widget(
                Paragraph::new(top),
                Rect {
                    height: top_height,
                    ..area
                },
            );
            let url = clean(url);
            // Full width from the left edge: see the module comment.
            let rows = url_rows(&url, full.width).unwrap_or_else(|| vec![url.clone()]);
            let url_area = Rect {
                x: full.x,
                y: area.y + top_height,
                width: full.width,
                height: (rows.len() as u16).min(area.bottom().saturating_sub(area.y + top_height)),
            };
            let url_lines: Vec<Line> = rows
                .into_iter()
                .map(|r| Line::styled(r, theme.text))
                .collect();
            frame.render_widget(Paragraph::new(url_lines), url_area);
            let rest = Rect {
                y: url_area.bottom(),
                height: area.bottom().saturating_sub(url_area.bottom()),
                ..area
            };
            draw_waiting(
                frame,
                rest,
                w,
                browser.as_ref(),
                paste,
                paste_state,
                &callback,
                theme,
            );
        }
        OAuthState::Failed(problem) => {
            let lines = vec![
                Line::styled("Sign in with OAuth2 (browser)", theme.title),
                Line::raw(""),
                Line::styled(format!("✗ {}", clean(&problem.what)), theme.error),
                Line::styled(format!("→ {}", clean(&problem.fix)), theme.error),
                Line::raw(""),
                Line::styled(
                    "r: sign in again · e: edit the consumer in the form (values kept).",
                    theme.text,
                ),
            ];
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        }
        OAuthState::Idle | OAuthState::Granted(_) => return false,
    }
    true
}

/// Below the URL: whether a browser opened, the two ways back from another machine (a
/// tunnel, or pasting the address), the paste field and the wait.
#[allow(clippy::too_many_arguments)]
fn draw_waiting(
    frame: &mut Frame,
    area: Rect,
    w: &Wizard,
    browser: Option<&BrowserOutcome>,
    paste: &tui_input::Input,
    paste_state: &PasteState,
    callback: &str,
    theme: &Theme,
) {
    let width = area.width.max(1) as usize;
    let wrapped = |lines: &mut Vec<Line>, text: &str, indent: usize, style| {
        for l in wrap_indented(text, width, indent) {
            lines.push(Line::styled(l, style));
        }
    };
    let port = callback_port(callback);
    // The explanation first goes where rows are short: the verdict and the field stay.
    let mut full: Vec<Line> = vec![Line::raw("")];
    match browser {
        None => full.push(Line::from(vec![
            Span::styled(spinner(w.spinner), theme.focus),
            Span::styled(" Opening a browser…", theme.text),
        ])),
        Some(outcome) if outcome.opened() => {
            wrapped(&mut full, &format!("✓ {}", outcome.message()), 0, theme.ok)
        }
        Some(outcome) => wrapped(
            &mut full,
            &format!("✗ {}", outcome.message()),
            0,
            theme.warn,
        ),
    }
    full.push(Line::raw(""));
    wrapped(
        &mut full,
        "A browser on another machine cannot reach this one's 127.0.0.1. Either forward the port first, from that machine:",
        0,
        theme.text,
    );
    full.push(Line::from(vec![
        Span::styled(
            format!("  ssh -L {port}:127.0.0.1:{port} HOST"),
            theme.focus,
        ),
        Span::styled("   (HOST: this machine, as you reach it)", theme.dim),
    ]));
    wrapped(
        &mut full,
        "or paste here the address the browser ends on (a page that fails to load):",
        0,
        theme.text,
    );
    let mut lines = full;
    let mut tail: Vec<Line> = Vec::new();
    // The field's row, then its message and the wait.
    tail.push(Line::raw(""));
    match paste_state {
        PasteState::Idle => tail.push(Line::raw("")),
        PasteState::Sent => tail.push(Line::from(vec![
            Span::styled(format!("  {}", spinner(w.spinner)), theme.focus),
            Span::styled(" Checking the pasted address…", theme.text),
        ])),
        PasteState::Refused(problem) => {
            wrapped(
                &mut tail,
                &format!("✗ {}", clean(&problem.what)),
                2,
                theme.error,
            );
            wrapped(
                &mut tail,
                &format!("→ {}", clean(&problem.fix)),
                2,
                theme.error,
            );
        }
    }
    tail.push(Line::from(vec![
        Span::styled(spinner(w.spinner), theme.focus),
        Span::styled(
            format!(" Waiting for the browser at {callback}…"),
            theme.dim,
        ),
    ]));
    if lines.len() + tail.len() > usize::from(area.height) {
        lines = Vec::new();
        let verdict = match browser {
            None => "Opening a browser…",
            Some(outcome) => outcome.short(),
        };
        wrapped(&mut lines, verdict, 0, theme.warn);
        wrapped(&mut lines, "Paste where the browser lands:", 0, theme.text);
    }
    let field_y = area.y + lines.len() as u16;
    lines.extend(tail);
    if let Some(notice) = &w.notice {
        wrapped(&mut lines, notice, 0, theme.warn);
    }
    frame.render_widget(Paragraph::new(lines), area);

    // The paste field, on its own row, with the cursor in it.
    if field_y < area.bottom() {
        let label = "▸ Paste: ";
        let label_width = label.chars().count() as u16;
        let input_width = area.width.saturating_sub(label_width + 1) as usize;
        let scroll = paste.visual_scroll(input_width);
        let shown = visible_slice(paste.value(), scroll, input_width);
        let row = Rect {
            y: field_y,
            height: 1,
            ..area
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(label, theme.focus),
                Span::styled(format!("{shown:<input_width$} "), theme.selected),
            ])),
            row,
        );
        if !w.show_help {
            frame.set_cursor_position(Position {
                x: row.x + label_width + paste.visual_cursor().saturating_sub(scroll) as u16,
                y: row.y,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rows_are_exactly_the_width() {
        let rows = url_rows("abcdefghij", 4).unwrap();
        assert_eq!(rows, ["abcd", "efgh", "ij"]);
        assert_eq!(rows.concat(), "abcdefghij");
        assert!(url_rows("https://bb.example/ü", 10).is_none());
        assert!(url_rows("x", 0).is_none());
    }

    #[test]
    fn the_tunnel_hint_uses_the_callbacks_port() {
        assert_eq!(callback_port("http://127.0.0.1:9123/callback"), 9123);
        assert_eq!(callback_port("nonsense"), 8976);
    }
}
