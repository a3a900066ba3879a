//! Step 4: the check running (spinner, progress notes) and its report.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Theme;
use super::widgets::{spinner, status_mark, wrap_indented};
use crate::bitbucket::model::{CheckReport, CheckStatus};
use crate::sanitize::clean;
use crate::wizard::{CheckState, Wizard};

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let mut lines = Vec::new();
    if let Some(creds) = &w.checked {
        let spec = &creds.spec;
        let mut who = format!(
            "Connection \"{}\" at {}",
            clean(&spec.name),
            clean(&spec.url)
        );
        if let Some(user) = &spec.username {
            who.push_str(&format!(" as {}", clean(user)));
        }
        lines.push(Line::styled(who, theme.dim));
        lines.push(Line::raw(""));
    }
    match &w.check {
        CheckState::Idle => {}
        CheckState::Running { notes, .. } => {
            lines.push(Line::from(vec![
                Span::styled(spinner(w.spinner), theme.focus),
                Span::styled(" Checking the connection…", theme.text),
            ]));
            // The newest notes matter most ("retrying in 2 s…"): keep the tail that fits.
            let room = (area.height as usize).saturating_sub(lines.len() + 1);
            let skip = notes.len().saturating_sub(room);
            for note in &notes[skip..] {
                lines.push(Line::styled(format!("  · {}", clean(note)), theme.dim));
            }
        }
        CheckState::Finished { report, .. } => {
            report_lines(&mut lines, report, area.width as usize, theme)
        }
    }
    // Long reports scroll (Up/Down); the offset is clamped here so the wizard need not
    // know the screen height.
    let width = area.width.max(1) as usize;
    let total = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(width))
        .sum::<usize>() as u16;
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let max = total.saturating_sub(area.height);
    let scroll = (w.check_scroll as u16).min(max);
    frame.render_widget(paragraph.scroll((scroll, 0)), area);
}

fn report_lines(lines: &mut Vec<Line<'static>>, report: &CheckReport, width: usize, theme: &Theme) {
    let title_width = report
        .items
        .iter()
        .map(|i| i.title.chars().count())
        .max()
        .unwrap_or(0)
        .min(34)
        .min(width / 3);
    let prefix = 2 + title_width + 2;
    for item in &report.items {
        let detail = wrap_indented(&clean(&item.detail), width, prefix);
        let mut first = true;
        for chunk in detail.iter().map(|l| l[prefix..].to_string()) {
            if first {
                lines.push(Line::from(vec![
                    status_mark(item.status, theme),
                    Span::raw(" "),
                    Span::styled(
                        format!("{:<title_width$}  ", clean(&item.title)),
                        theme.text,
                    ),
                    Span::styled(chunk, theme.dim),
                ]));
                first = false;
            } else {
                lines.push(Line::styled(
                    format!("{}{chunk}", " ".repeat(prefix)),
                    theme.dim,
                ));
            }
        }
        if first {
            lines.push(Line::from(vec![
                status_mark(item.status, theme),
                Span::raw(" "),
                Span::styled(clean(&item.title), theme.text),
            ]));
        }
        if let Some(fix) = item.fix.as_deref().filter(|f| !f.is_empty()) {
            let style = match item.status {
                CheckStatus::Failed => theme.error,
                _ => theme.warn,
            };
            let text = format!("→ {}", clean(fix));
            for chunk in wrap_indented(&text, width, 4) {
                lines.push(Line::styled(chunk, style));
            }
        }
    }
    lines.push(Line::raw(""));
    if let Some(id) = &report.identity {
        let mut who = format!("Signed in as {}", clean(&id.username));
        if let Some(name) = &id.display_name {
            who.push_str(&format!(" ({})", clean(name)));
        }
        if let Some(version) = &report.server_version {
            who.push_str(&format!(" · server {}", clean(version)));
        }
        lines.push(Line::styled(who, theme.ok));
    }
    let failed = report
        .items
        .iter()
        .filter(|i| i.status == CheckStatus::Failed)
        .count();
    let warned = report
        .items
        .iter()
        .filter(|i| i.status == CheckStatus::Warning)
        .count();
    let summary = match (failed, warned) {
        (0, 0) => Line::styled("All checks passed. Enter: choose a repository.", theme.ok),
        (0, n) => Line::styled(
            format!("Passed with {n} warning(s). Enter: choose a repository."),
            theme.warn,
        ),
        (n, _) => Line::styled(
            format!("{n} check(s) failed. r: retry · e: edit the form (values kept)."),
            theme.error,
        ),
    };
    lines.push(summary);
}
