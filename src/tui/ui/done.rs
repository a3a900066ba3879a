//! The last step: saving (spinner or inline error with Retry) and the summary once saved.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use super::widgets::spinner;
use crate::core::expiry::Standing;
use crate::core::sanitize::clean;
use crate::core::ssh::GitProtocol;
use crate::tui::wizard::git::{self, GitPanel};
use crate::tui::wizard::{SaveState, Wizard};

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let lines = lines(w, theme, area.width);
    let lines = super::widgets::with_more_mark(
        lines,
        area.width,
        area.height,
        Some(w.text_scroll),
        theme.warn,
    );
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// Everything the step shows, before it is fitted to the screen.
pub(super) fn lines(w: &Wizard, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    match &w.save {
        SaveState::Idle => vec![],
        SaveState::Saving { .. } => vec![
            Line::raw(""),
            Line::from(vec![
                Span::styled(spinner(w.spinner), theme.focus),
                Span::styled(
                    match w.save_protocol() {
                        GitProtocol::Https => " Saving the connection…",
                        GitProtocol::Ssh => {
                            " Registering a read-only SSH key, pinning the host key, proving git over SSH, saving…"
                        }
                    },
                    theme.text,
                ),
            ]),
        ],
        SaveState::Failed(p) => {
            let mut lines = vec![
                Line::raw(""),
                Line::styled(format!("✗ Could not save: {}", clean(&p.what)), theme.error),
            ];
            let mut fix = p.fix.lines();
            if let Some(first) = fix.next() {
                lines.push(Line::styled(
                    format!("  → {}", clean(first.trim())),
                    theme.error,
                ));
            }
            // The manual path of a refused key gives the key on a line of its own: cut at the
            // screen's edge rather than at its spaces, it stays one block to copy.
            for part in fix {
                lines.extend(
                    hard_wrap(&clean(part.trim()), usize::from(width))
                        .into_iter()
                        .map(|l| Line::styled(l, theme.error)),
                );
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                if w.offers_https_instead() {
                    "h: save with git over HTTPS instead · r: retry · Esc: back."
                } else {
                    "r: retry · Esc: back to the webhook step."
                },
                theme.dim,
            ));
            lines
        }
        SaveState::Saved(info) => summary(w, info, theme),
    }
}

fn summary(w: &Wizard, info: &crate::core::model::SavedInfo, theme: &Theme) -> Vec<Line<'static>> {
    let row = |label: &'static str, value: String| {
        Line::from(vec![
            Span::styled(format!("  {label:<14}"), theme.dim),
            Span::styled(value, theme.text),
        ])
    };
    let name = clean(&info.name);
    let mut lines = vec![
        Line::styled(format!("✓ Connection \"{name}\" saved."), theme.ok),
        Line::raw(""),
        row("Provider", w.provider.label().into()),
        row("Auth", w.auth.label().into()),
    ];
    if let Some(creds) = &w.checked {
        lines.push(row("URL", clean(&creds.spec.url)));
    }
    let identity = w.check_report().and_then(|r| r.identity.as_ref());
    let user = match (
        identity,
        w.checked.as_ref().and_then(|c| c.spec.username.as_ref()),
    ) {
        (Some(id), _) => match &id.display_name {
            Some(d) => format!("{} ({})", clean(&id.username), clean(d)),
            None => clean(&id.username),
        },
        (None, Some(u)) => clean(u),
        (None, None) => "—".into(),
    };
    lines.push(row("User", user));
    if let Some(repo) = &w.chosen_repo {
        lines.push(row("Repository", clean(&repo.full_name)));
    }
    let clone = git::clone_url(w, info);
    if let Some(url) = &clone {
        let label = match w.save_protocol() {
            GitProtocol::Https => "Clone",
            GitProtocol::Ssh => "Clone (SSH)",
        };
        lines.push(row(label, clean(url)));
    }
    if w.save_protocol() == GitProtocol::Ssh {
        lines.push(row(
            "SSH key",
            format!("read-only, this connection's own: bbconnect ssh-key {name}"),
        ));
    }
    if let Some(warning) = &w.save_warning {
        lines.push(Line::styled(format!("  ! {}", clean(warning)), theme.warn));
    }
    if let Some((hook, _)) = w.webhook.done() {
        lines.push(row(
            "Webhook",
            format!("{} → {}", clean(&hook.id), clean(&hook.url)),
        ));
        if let Some(d) = &w.hook_delivery {
            let style = match d.status {
                crate::core::model::CheckStatus::Passed => theme.ok,
                _ => theme.error,
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<14}", "Delivery"), theme.dim),
                Span::styled(clean(&d.detail), style),
            ]));
        }
        // Making the hook took admin rights; from here on a CI needs read access only.
        lines.push(Line::styled(
            crate::core::hook_rules::lower_to_read_note(w.provider, &info.name),
            theme.warn,
        ));
    }
    lines.push(row("Config", clean(&info.config_file)));
    let secret = match &info.keychain_fallback {
        Some(reason) => format!("{}: no usable OS keychain ({reason})", info.secret_location),
        None => info.secret_location.clone(),
    };
    lines.push(row("Secret", clean(&secret)));
    let expiry = w.expiry(info.expires_on, w.auth);
    let expiry_style = match expiry {
        Standing::Soon { .. } | Standing::Expired { .. } => theme.warn,
        Standing::Unknown | Standing::Renews | Standing::Valid { .. } => theme.text,
    };
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<14}", "Expiry"), theme.dim),
        Span::styled(expiry.text(), expiry_style),
    ]));
    lines.push(Line::raw(""));
    if w.git != GitPanel::Idle {
        lines.extend(git_panel(w, theme));
        return lines;
    }
    if let Some(url) = &clone {
        let over = match w.save_protocol() {
            GitProtocol::Https => "",
            GitProtocol::Ssh => " over SSH",
        };
        lines.push(Line::from(vec![
            Span::styled("  g", theme.key),
            Span::styled(" set up git for this host   ", theme.text),
            Span::styled("c", theme.key),
            Span::styled(
                format!(" clone into ./{}{over}", clean(&git::clone_dir(url))),
                theme.text,
            ),
        ]));
    }
    lines.push(Line::styled("Use it from scripts:", theme.text));
    for cmd in [
        format!("bbconnect check {name}"),
        format!("bbconnect repos {name}"),
        "bbconnect list".to_string(),
    ] {
        lines.push(Line::styled(format!("  {cmd}"), theme.key));
    }
    lines
}

/// The git action under way or its result. Everything shown is sanitised: git's messages
/// by the worker, the rest here.
fn git_panel(w: &Wizard, theme: &Theme) -> Vec<Line<'static>> {
    let working = |text: String| {
        Line::from(vec![
            Span::styled(spinner(w.spinner), theme.focus),
            Span::styled(format!(" {text}"), theme.text),
        ])
    };
    match &w.git {
        GitPanel::Idle => vec![],
        GitPanel::Planning { .. } => vec![working("Reading your git config…".into())],
        GitPanel::Confirm { lines } => {
            let mut out = vec![Line::styled(
                "Press g again to change your global git config:",
                theme.text,
            )];
            out.extend(
                lines
                    .iter()
                    .map(|l| Line::styled(format!("  {}", clean(l)), theme.key)),
            );
            out
        }
        GitPanel::Applying { .. } => vec![working("Setting up git…".into())],
        GitPanel::Cloning { dir, progress, .. } => vec![
            working(format!("Cloning into ./{}…", clean(dir))),
            Line::styled(format!("  {}", clean(progress)), theme.dim),
        ],
        GitPanel::Done(text) => vec![Line::styled(format!("✓ {}", clean(text)), theme.ok)],
        GitPanel::Failed { what, fix } => vec![
            Line::styled(format!("✗ {}", clean(what)), theme.error),
            Line::styled(format!("  → {}", clean(fix)), theme.error),
        ],
    }
}

/// `text` cut into pieces of `width` columns exactly (the last shorter).
fn hard_wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let mut out = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width.max(1) {
            out.push(String::new());
            used = 0;
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
        used += w;
    }
    out
}
