//! The check step: the check running (spinner, progress notes) and its report.
//!
//! The verdict and the identity come first, the rows after: a long report scrolls, and what
//! to do next must stay on screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::widgets::{spinner, status_mark, wrap_indented};
use crate::core::model::{CheckReport, CheckStatus};
use crate::core::sanitize::clean;
use crate::tui::wizard::{CheckState, Wizard};

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    // OAuth2 signs in before anything can be checked.
    if super::oauth::draw(frame, area, w, theme) {
        return;
    }
    let width = area.width.max(1) as usize;
    let mut head: Vec<Line> = Vec::new();
    if let Some(creds) = &w.checked {
        let spec = &creds.spec;
        let mut who = format!(
            "Connection \"{}\" at {}",
            clean(&spec.name),
            clean(&spec.url)
        );
        // OAuth's "username" is the consumer key: the identity line below names the user.
        if let Some(user) = spec
            .username
            .as_ref()
            .filter(|_| spec.auth != crate::core::model::AuthKind::OAuth)
        {
            who.push_str(&format!(" as {}", clean(user)));
        }
        push_wrapped(&mut head, &who, width, 0, theme.dim);
    }
    let mut body: Vec<Line> = Vec::new();
    match &w.check {
        CheckState::Idle => {}
        CheckState::Running { notes, .. } => {
            head.push(Line::raw(""));
            head.push(Line::from(vec![
                Span::styled(spinner(w.spinner), theme.focus),
                Span::styled(" Checking the connection…", theme.text),
            ]));
            // The newest notes matter most ("retrying in 2 s…"): keep the tail that fits.
            // Each note wrapped, so the end of a long one ("(retry 1 of 4)") is never cut.
            let room = (area.height as usize).saturating_sub(head.len());
            let mut wrapped: Vec<Line> = Vec::new();
            for note in notes {
                for (i, chunk) in wrap_indented(&clean(note), width, 4)
                    .into_iter()
                    .enumerate()
                {
                    // "  · " on the first line, aligned continuation lines under it.
                    let text = if i == 0 {
                        format!("  · {}", chunk.trim_start())
                    } else {
                        chunk
                    };
                    wrapped.push(Line::styled(text, theme.dim));
                }
            }
            let skip = wrapped.len().saturating_sub(room);
            body.extend(wrapped.into_iter().skip(skip));
        }
        CheckState::Finished { report, .. } => {
            verdict_lines(&mut head, report, width, theme);
            head.push(Line::raw(""));
            report_lines(&mut body, report, width, theme);
        }
    }
    let head_height = (head.len() as u16).min(area.height);
    frame.render_widget(
        Paragraph::new(head),
        Rect {
            height: head_height,
            ..area
        },
    );
    let rows_area = Rect {
        y: area.y + head_height,
        height: area.height - head_height,
        ..area
    };
    if rows_area.height == 0 {
        return;
    }
    // Lines are pre-wrapped, so the count is exact; the offset is clamped here so the
    // wizard need not know the screen height.
    let total = body.len();
    let visible = rows_area.height as usize;
    let max = total.saturating_sub(visible);
    let scroll = w.check_scroll.min(max);
    let more_below = scroll < max;
    let shown = if more_below { visible - 1 } else { visible };
    let mut lines: Vec<Line> = body.into_iter().skip(scroll).take(shown).collect();
    if more_below {
        lines.push(Line::styled(
            format!("  ↓ {} more lines (↑↓ scroll)", max - scroll + 1),
            theme.key,
        ));
    }
    frame.render_widget(Paragraph::new(lines), rows_area);
}

fn push_wrapped(
    lines: &mut Vec<Line<'static>>,
    text: &str,
    width: usize,
    indent: usize,
    style: ratatui::style::Style,
) {
    for chunk in wrap_indented(text, width, indent) {
        lines.push(Line::styled(chunk, style));
    }
}

fn verdict_lines(
    lines: &mut Vec<Line<'static>>,
    report: &CheckReport,
    width: usize,
    theme: &Theme,
) {
    let count = |status| report.items.iter().filter(|i| i.status == status).count();
    let (failed, warned) = (count(CheckStatus::Failed), count(CheckStatus::Warning));
    let (text, style) = match (failed, warned) {
        (0, 0) => (
            "✓ All checks passed. Enter: choose a repository.".to_string(),
            theme.ok,
        ),
        (0, n) => (
            format!(
                "! Passed with {n} {} below. Enter: choose a repository.",
                plural(n, "warning", "warnings")
            ),
            theme.warn,
        ),
        (n, _) => (
            format!(
                "✗ {n} {} failed. r: retry · e: edit the form (values kept).",
                plural(n, "check", "checks")
            ),
            theme.error,
        ),
    };
    push_wrapped(lines, &text, width, 0, style);
    if let Some(id) = &report.identity {
        let mut who = format!("Signed in as {}", clean(&id.username));
        if let Some(name) = &id.display_name {
            who.push_str(&format!(" ({})", clean(name)));
        }
        if let Some(version) = &report.server_version {
            who.push_str(&format!(" · server {}", clean(version)));
        }
        push_wrapped(lines, &who, width, 0, theme.ok);
    }
}

fn report_lines(lines: &mut Vec<Line<'static>>, report: &CheckReport, width: usize, theme: &Theme) {
    let title_width = report
        .items
        .iter()
        .map(|i| i.title.chars().count())
        .max()
        .unwrap_or(0)
        .min(34)
        .min(width * 2 / 5);
    let prefix = 2 + title_width + 2;
    for item in &report.items {
        let title = clean(&item.title);
        let detail = wrap_indented(&clean(&item.detail), width, prefix);
        let mut rest = detail.iter().map(|l| l[prefix..].to_string());
        let mut first = vec![status_mark(item.status, theme), Span::raw(" ")];
        if title.chars().count() <= title_width {
            first.push(Span::styled(format!("{title:<title_width$}  "), theme.text));
            if let Some(chunk) = rest.next() {
                first.push(Span::styled(chunk, theme.dim));
            }
        } else {
            // Too long for the column: the title gets its own line, the detail goes under.
            first.push(Span::styled(title, theme.text));
        }
        lines.push(Line::from(first));
        for chunk in rest {
            lines.push(Line::styled(
                format!("{}{chunk}", " ".repeat(prefix)),
                theme.dim,
            ));
        }
        if let Some(fix) = item.fix.as_deref().filter(|f| !f.is_empty()) {
            let style = match item.status {
                CheckStatus::Failed => theme.error,
                _ => theme.warn,
            };
            push_wrapped(lines, &format!("→ {}", clean(fix)), width, 4, style);
        }
        if let Some(peer) = &item.cert {
            chain_lines(lines, peer, width, theme);
        }
    }
}

/// The chain a refused server presented: what the user compares before pressing `t`.
/// The fingerprint gets a line of its own so it is never wrapped at 80 columns.
fn chain_lines(
    lines: &mut Vec<Line<'static>>,
    peer: &crate::core::cert::PeerChain,
    width: usize,
    theme: &Theme,
) {
    for (i, c) in peer.chain.iter().enumerate() {
        let head = if i == 0 {
            "The server's certificate:"
        } else {
            "Issued by:"
        };
        push_wrapped(lines, head, width, 4, theme.text);
        let mut facts = vec![
            ("subject", clean(&c.subject)),
            (
                "issuer",
                if c.self_signed {
                    format!(
                        "{} (self-signed: nobody else vouches for it)",
                        clean(&c.issuer)
                    )
                } else {
                    clean(&c.issuer)
                },
            ),
        ];
        if !c.names.is_empty() {
            facts.push(("names", clean(&c.names.join(", "))));
        }
        facts.push(("valid", format!("{} to {}", c.not_before, c.not_after)));
        for (label, value) in facts {
            push_wrapped(lines, &format!("{label:<8} {value}"), width, 6, theme.dim);
        }
        push_wrapped(lines, "SHA-256 fingerprint:", width, 6, theme.dim);
        push_wrapped(lines, &c.fingerprint, width, 6, theme.text);
    }
    if let Some(old) = &peer.trusted {
        push_wrapped(lines, "Trusted before:", width, 4, theme.warn);
        push_wrapped(lines, old, width, 6, theme.warn);
    } else if peer.leaf().is_some() {
        push_wrapped(
            lines,
            "t: trust this certificate for this connection, once its fingerprint matches the one the server's admin gives you.",
            width,
            4,
            theme.key,
        );
    }
}

/// `one` for 1, `many` otherwise ("1 check failed", "2 checks failed").
pub fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
