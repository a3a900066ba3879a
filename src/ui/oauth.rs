//! Step 4 before the check, for OAuth2: waiting for the browser, or why the sign-in failed.
//! The authorize URL is printed in full because over SSH no browser opens: it is copied from
//! here into a browser elsewhere.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use super::widgets::spinner;
use crate::sanitize::clean;
use crate::wizard::Wizard;
use crate::wizard::oauth::OAuthState;

/// Draws the sign-in panel when a sign-in is in progress or failed; false otherwise.
pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) -> bool {
    let callback = clean(w.form.callback.value());
    let mut lines = vec![
        Line::styled("Sign in with OAuth2 (browser)", theme.title),
        Line::raw(""),
    ];
    match &w.oauth {
        OAuthState::Waiting { url, .. } => {
            match url {
                None => lines.push(Line::from(vec![
                    Span::styled(spinner(w.spinner), theme.focus),
                    Span::styled(format!(" Listening on {callback}…"), theme.text),
                ])),
                Some(url) => {
                    lines.push(Line::styled(
                        "A browser was opened at this address. If none opened (SSH), open it yourself:",
                        theme.text,
                    ));
                    lines.push(Line::styled(clean(url), theme.focus));
                    lines.push(Line::raw(""));
                    lines.push(Line::from(vec![
                        Span::styled(spinner(w.spinner), theme.focus),
                        Span::styled(
                            format!(" Waiting for the browser to come back to {callback}…"),
                            theme.text,
                        ),
                    ]));
                }
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Approve the consumer in the browser; the tab then says you can close it.",
                theme.dim,
            ));
            lines.push(Line::styled(
                "Esc cancels and goes back to the form.",
                theme.dim,
            ));
        }
        OAuthState::Failed(problem) => {
            lines.push(Line::styled(
                format!("✗ {}", clean(&problem.what)),
                theme.error,
            ));
            lines.push(Line::styled(
                format!("→ {}", clean(&problem.fix)),
                theme.error,
            ));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "r: sign in again · e: edit the consumer in the form (values kept).",
                theme.text,
            ));
        }
        OAuthState::Idle | OAuthState::Granted(_) => return false,
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    true
}
