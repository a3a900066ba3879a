//! Git access: HTTPS with the credential, or SSH with a read-only key for this repository.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use super::widgets::wrap_indented;
use crate::core::sanitize::clean;
use crate::core::ssh::GitProtocol;
use crate::tui::wizard::Wizard;
use crate::tui::wizard::git_access::CHOICES;

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let lines = super::widgets::with_more_mark(
        lines(w, theme, usize::from(area.width)),
        area.width,
        area.height,
        None,
        theme.warn,
    );
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn lines(w: &Wizard, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    // Continuation lines keep the indent of the text they continue.
    let indented = |text: &str, style| {
        wrap_indented(text, width, 4)
            .into_iter()
            .map(move |l| Line::styled(l, style))
    };
    let repo = w
        .chosen_repo
        .as_ref()
        .map(|r| clean(&r.full_name))
        .unwrap_or_default();
    let mut lines = vec![
        Line::raw(""),
        Line::styled(format!("How should git reach {repo}?"), theme.title),
        Line::raw(""),
    ];
    for (i, choice) in CHOICES.iter().enumerate() {
        let chosen = i == w.git_cursor;
        let marker = if chosen { "▸ " } else { "  " };
        let style = if chosen { theme.selected } else { theme.text };
        let (label, blurb) = match choice {
            GitProtocol::Https => (
                "HTTPS with this connection's credential",
                "git asks bbconnect for the secret; nothing is added to the repository.",
            ),
            GitProtocol::Ssh => (
                "SSH with a read-only key for this repository",
                "A new Ed25519 key of this connection's own, registered read-only (needs repository admin), the server's host key pinned, proven with git ls-remote before saving.",
            ),
        };
        lines.push(Line::from(vec![
            Span::styled(marker, theme.focus),
            Span::styled(label, style),
        ]));
        lines.extend(indented(blurb, theme.dim));
        if *choice == GitProtocol::Ssh {
            let link = w.chosen_repo.as_ref().and_then(|r| r.clone_ssh.as_ref());
            match (link, w.ssh_unavailable()) {
                (Some(url), _) => lines.extend(indented(&clean(url), theme.dim)),
                (None, Some(why)) => lines.extend(indented(&why, theme.warn)),
                (None, None) => {}
            }
        }
        lines.push(Line::raw(""));
    }
    if let Some(n) = &w.notice {
        lines.extend(
            wrap_indented(&clean(n), width, 0)
                .into_iter()
                .map(|l| Line::styled(l, theme.warn)),
        );
    }
    lines
}
