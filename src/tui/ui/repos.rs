//! The repository step: the repository browser. Only the rows on screen are built.

use nucleo_matcher::{Config, Matcher};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use super::widgets::{count, fit, spinner, visible_slice};
use crate::core::fuzzy::highlights;
use crate::core::model::Repo;
use crate::core::repo_row::PackedRepo;
use crate::core::sanitize::clean;
use crate::tui::wizard::Wizard;
use crate::tui::wizard::repos::{LoadState, RepoList, SortOrder};

/// Rows of repositories on a terminal `height` rows tall: the screen's header and footer,
/// the filter and status lines and the list's borders take six.
pub fn list_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(6)).max(1)
}

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let list = &w.repos;
    let [top, main] = Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
    draw_top(frame, top, w, theme);
    let wide = main.width >= 60;
    let (list_area, details_area) = if wide {
        let [l, d] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
            .areas(main);
        (l, Some(d))
    } else {
        (main, None)
    };
    draw_list(frame, list_area, list, theme);
    if let Some(d) = details_area {
        draw_details(frame, d, list.selected().as_ref(), theme);
    }
}

fn draw_top(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let list = &w.repos;
    let [filter_row, status_row] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let label = "Filter: ";
    let focused = list.filter_focused;
    let width = (filter_row.width as usize)
        .saturating_sub(label.len() + 1)
        .min(40);
    let scroll = list.filter.visual_scroll(width);
    let text = visible_slice(list.filter.value(), scroll, width);
    let shown = if text.is_empty() && !focused {
        Span::styled(format!("{:<width$}", "type to filter"), theme.dim)
    } else {
        Span::styled(
            format!("{text:<width$}"),
            if focused { theme.selected } else { theme.text },
        )
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(label, if focused { theme.focus } else { theme.text }),
            shown,
        ])),
        filter_row,
    );
    if focused {
        frame.set_cursor_position(Position {
            x: filter_row.x
                + label.len() as u16
                + list.filter.visual_cursor().saturating_sub(scroll) as u16,
            y: filter_row.y,
        });
    }

    let loaded = list.len();
    let mut spans = match &list.load {
        LoadState::Loading { .. } => {
            let progress = match list.total_hint {
                Some(total) => format!(" loading {} of {}", count(loaded), count(total)),
                None => format!(" loading, {} so far", count(loaded)),
            };
            vec![
                Span::styled(spinner(w.spinner), theme.focus),
                Span::styled(progress, theme.text),
            ]
        }
        LoadState::Done => vec![Span::styled(
            format!(
                "{} {}",
                count(loaded),
                super::check::plural(loaded, "repository", "repositories")
            ),
            theme.text,
        )],
        LoadState::Failed(p) => vec![Span::styled(
            format!("✗ {} {} (r: retry)", clean(&p.what), clean(&p.fix)),
            theme.error,
        )],
        LoadState::Idle => vec![],
    };
    if list.filtering() {
        spans.push(Span::styled(" · filtering…", theme.dim));
    } else if !list.query().is_empty() {
        spans.push(Span::styled(
            format!(" · {} shown", count(list.visible.len())),
            theme.dim,
        ));
    }
    // A filtered list is ranked by how well each row matches; the sort order only breaks ties.
    let order = if list.query().trim().is_empty() {
        format!(" · sorted by {}", list.sort.label())
    } else if list.sort == SortOrder::Name {
        " · ranked by match".to_string()
    } else {
        format!(" · ranked by match, then {}", list.sort.label())
    };
    spans.push(Span::styled(order, theme.dim));
    frame.render_widget(Paragraph::new(Line::from(spans)), status_row);
}

fn draw_list(frame: &mut Frame, area: Rect, list: &RepoList, theme: &Theme) {
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" Repositories ", theme.title));
    if !list.visible.is_empty() {
        // Where the cursor is in the list: the pane shows only a window of it.
        block = block.title_bottom(
            Line::styled(
                format!(" {}/{} ", count(list.cursor + 1), count(list.visible.len())),
                theme.dim,
            )
            .right_aligned(),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    if height == 0 {
        return;
    }
    if list.visible.is_empty() {
        let msg = match (&list.load, list.query().is_empty()) {
            (_, false) => format!("No repository matches \"{}\".", clean(list.query())),
            (LoadState::Loading { .. }, true) => "Loading the first page…".to_string(),
            (LoadState::Done, true) => {
                "This credential sees no repository. Enter: save the connection without one."
                    .to_string()
            }
            _ => String::new(),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(msg, theme.dim)).wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    // Page-aligned scrolling: stable without remembering an offset between frames. The last
    // page ends at the last row, so End or PgDn never leave the pane mostly empty.
    let offset = ((list.cursor / height) * height).min(list.visible.len().saturating_sub(height));
    let mut matcher = Matcher::new(Config::DEFAULT);
    let query = list.query();
    let width = inner.width as usize;
    let lines: Vec<Line> = list.visible[offset..(offset + height).min(list.visible.len())]
        .iter()
        .enumerate()
        .filter_map(|(k, &row)| {
            let repo = list.row(row)?;
            let selected = offset + k == list.cursor;
            Some(row_line(repo, selected, query, width, &mut matcher, theme))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn row_line(
    repo: &PackedRepo,
    selected: bool,
    query: &str,
    width: usize,
    matcher: &mut Matcher,
    theme: &Theme,
) -> Line<'static> {
    let name = clean(repo.name());
    let owner = clean(repo.workspace().or(repo.project_key()).unwrap_or(""));
    let name_width = width.saturating_sub(2).min(name.chars().count());
    let name = fit(&name, name_width.max(1));
    // Matched on what the row shows: a row found by its workspace or project highlights the
    // letters there (the name alone would show none).
    let shown = format!("{name} {owner}");
    let name_len = name.chars().count();
    let mut hits = highlights(query, &shown, matcher);
    if hits.is_empty() {
        hits = highlights(query, &name, matcher);
    }
    let owner_hits: Vec<usize> = hits
        .iter()
        .filter(|&&i| i > name_len)
        .map(|&i| i - name_len - 1)
        .collect();
    let base = if selected { theme.selected } else { theme.text };
    let mut spans = vec![Span::styled(
        if selected { "▸ " } else { "  " },
        theme.focus,
    )];
    for (i, c) in name.chars().enumerate() {
        let style = if hits.contains(&i) {
            base.patch(theme.matched)
        } else {
            base
        };
        spans.push(Span::styled(c.to_string(), style));
    }
    let used = 2 + name.chars().count();
    let room = width.saturating_sub(used + 2);
    if room > 3 && !owner.is_empty() {
        let mut tag = fit(&owner, room);
        if repo.archived() {
            tag = fit(&format!("{owner} · archived"), room);
        }
        spans.push(Span::styled("  ", theme.dim));
        for (i, c) in tag.chars().enumerate() {
            let style = if owner_hits.contains(&i) {
                theme.dim.patch(theme.matched)
            } else {
                theme.dim
            };
            spans.push(Span::styled(c.to_string(), style));
        }
    }
    Line::from(spans)
}

fn draw_details(frame: &mut Frame, area: Rect, repo: Option<&Repo>, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" Details ", theme.title));
    let Some(r) = repo else {
        frame.render_widget(block, area);
        return;
    };
    let field = |label: &'static str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<10}"), theme.dim),
            Span::styled(value, theme.text),
        ])
    };
    let opt = |v: &Option<String>| v.as_deref().map(clean).unwrap_or_else(|| "—".into());
    let mut lines = vec![
        Line::styled(clean(&r.full_name), theme.title),
        field("Name", clean(&r.name)),
    ];
    if let Some(ws) = &r.workspace {
        lines.push(field("Workspace", clean(ws)));
    }
    let project = match (&r.project_key, &r.project_name) {
        (Some(k), Some(n)) => format!("{} ({})", clean(n), clean(k)),
        (Some(k), None) => clean(k),
        (None, Some(n)) => clean(n),
        (None, None) => "—".into(),
    };
    lines.push(field("Project", project));
    lines.push(field(
        "Access",
        if r.private { "private" } else { "public" }.into(),
    ));
    if r.archived {
        lines.push(field("Archived", "yes (read-only)".into()));
    }
    lines.push(field("Branch", opt(&r.default_branch)));
    lines.push(field(
        "Updated",
        r.updated_on
            .as_deref()
            .map(|t| short_time(&clean(t)))
            .unwrap_or_else(|| "—".into()),
    ));
    lines.push(Line::styled("Clone (https)", theme.dim));
    lines.push(Line::styled(opt(&r.clone_https), theme.text));
    lines.push(Line::styled("Clone (ssh)", theme.dim));
    lines.push(Line::styled(opt(&r.clone_ssh), theme.text));
    if let Some(d) = r.description.as_deref().filter(|d| !d.is_empty()) {
        lines.push(Line::styled(clean(d), theme.dim));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// `2023-12-07T21:51:57.000000+00:00` -> `2023-12-07 21:51`: the minute is enough to tell
/// recent from stale, and the full form wraps in a narrow pane.
fn short_time(t: &str) -> String {
    let b = t.as_bytes();
    if b.len() >= 16 && b[10] == b'T' && t.is_char_boundary(16) {
        format!("{} {}", &t[..10], &t[11..16])
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::short_time;

    #[test]
    fn times_are_shortened_to_the_minute() {
        assert_eq!(
            short_time("2023-12-07T21:51:57.000000+00:00"),
            "2023-12-07 21:51"
        );
        assert_eq!(short_time("2026-01-01T10:00:00Z"), "2026-01-01 10:00");
        assert_eq!(short_time("yesterday"), "yesterday");
        assert_eq!(short_time("2023-12-07X21:51:57"), "2023-12-07X21:51:57");
    }
}
