//! The form step: the fields, their messages, what the token needs and where to make it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::Theme;
use super::widgets::{visible_slice, wrap_indented};
use crate::core::fields::FieldId;
use crate::core::model::{AuthKind, Provider};
use crate::core::sanitize::clean;
use crate::tui::wizard::Wizard;
use crate::tui::wizard::form::{self, Form};

const LABEL_WIDTH: u16 = 18;

/// Wide enough for the longest label of this form ("Project key / repository slug"), and
/// never narrower than the usual column so the common forms keep their layout.
fn label_width(auth: AuthKind) -> u16 {
    let longest = crate::core::fields::fields(auth)
        .iter()
        .map(|f| form::label(*f, auth).chars().count() as u16)
        .max()
        .unwrap_or(0);
    LABEL_WIDTH.max(longest + 3)
}

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let list = crate::core::fields::fields(w.auth);
    // A field takes its row and a message row under it; an optional field with nothing to
    // say takes its row only, so the checklist below keeps its room on a 24-row terminal.
    let rows: Vec<u16> = list
        .iter()
        .map(|f| {
            let quiet = crate::core::fields::optional(*f)
                && w.form
                    .shown_error(*f, w.auth, &w.config.existing_names)
                    .is_none();
            if quiet { 1 } else { 2 }
        })
        .collect();
    let fields_height: u16 = rows.iter().sum();
    let notice = notice_lines(w, area.width, theme);
    let [fields_area, notice_area, info_area] = Layout::vertical([
        Constraint::Length(fields_height + 1),
        Constraint::Length(notice.len().max(1) as u16),
        Constraint::Min(0),
    ])
    .areas(area);

    let focused = w.form.focused(w.auth);
    let mut y = fields_area.y + 1;
    for (field, height) in list.iter().zip(&rows) {
        if y + height > fields_area.bottom() {
            break;
        }
        let row = Rect {
            y,
            height: 1,
            ..fields_area
        };
        let msg_row = Rect {
            y: y + 1,
            height: height - 1,
            ..row
        };
        draw_field(frame, row, msg_row, w, *field, *field == focused, theme);
        y += height;
    }

    frame.render_widget(Paragraph::new(notice), notice_area);
    draw_info(frame, info_area, w, theme);
}

/// The line under the fields, wrapped: a notice cut at the edge loses what to do next.
fn notice_lines(w: &Wizard, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let (text, style) = match (&w.notice, w.auth) {
        (Some(n), _) => (clean(n), theme.warn),
        (None, AuthKind::AppPassword) => (
            "⚠ No longer works on bitbucket.org (turned off 2026-07-28). Use an API token.".into(),
            theme.warn,
        ),
        (None, AuthKind::ApiToken) => (
            "REST signs in with your Atlassian email; git uses your Bitbucket username.".into(),
            theme.dim,
        ),
        (
            None,
            AuthKind::OAuth
            | AuthKind::RepoToken
            | AuthKind::HttpTokenUser
            | AuthKind::HttpTokenRepo,
        ) => return Vec::new(),
    };
    wrap_indented(&text, width as usize, 0)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

/// `text` cut into pieces of `width` columns with nothing added between them, so the pieces
/// put back together are the URL again (word wrapping would move or split it at a `-`).
fn hard_wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let cw = ch.width().unwrap_or(0);
        if used + cw > width && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            used = 0;
        }
        cur.push(ch);
        used += cw;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn draw_field(
    frame: &mut Frame,
    row: Rect,
    msg_row: Rect,
    w: &Wizard,
    field: FieldId,
    focused: bool,
    theme: &Theme,
) {
    let [label_area, input_area] =
        Layout::horizontal([Constraint::Length(label_width(w.auth)), Constraint::Min(1)])
            .areas(row);
    let marker = if focused { "▸ " } else { "  " };
    let label_style = if focused { theme.focus } else { theme.text };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(marker, theme.focus),
            Span::styled(form::label(field, w.auth), label_style),
        ])),
        label_area,
    );

    let width = input_area.width.saturating_sub(1) as usize;
    let (shown, cursor_col) = if let Some(secret) = w.form.secret_input(field) {
        // One mask character per typed character: the user sees progress, never the value.
        let mask_len = secret.len_chars();
        let scroll = secret.cursor().saturating_sub(width);
        let shown = "•".repeat(mask_len.saturating_sub(scroll).min(width));
        (shown, secret.cursor() - scroll)
    } else if let Some(input) = w.form.input(field) {
        let scroll = input.visual_scroll(width);
        (
            visible_slice(input.value(), scroll, width),
            input.visual_cursor().saturating_sub(scroll),
        )
    } else {
        (String::new(), 0)
    };
    let input_style = if focused { theme.selected } else { theme.text };
    let placeholder = form::placeholder(field, w.auth).filter(|_| !has_value(&w.form, field));
    let cell = match placeholder {
        Some(example) => Span::styled(format!("{example:<width$} "), input_style.patch(theme.dim)),
        None => Span::styled(format!("{shown:<width$} "), input_style),
    };
    frame.render_widget(Paragraph::new(cell), input_area);
    if focused {
        frame.set_cursor_position(Position {
            x: input_area.x + cursor_col as u16,
            y: input_area.y,
        });
    }

    let line = match w.form.shown_error(field, w.auth, &w.config.existing_names) {
        Some(err) => Line::styled(format!("  ✗ {err}"), theme.error),
        None if has_value(&w.form, field) => Line::from(vec![
            Span::raw(" ".repeat(label_width(w.auth) as usize)),
            Span::styled("✓", theme.ok),
        ]),
        None => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(line), msg_row);
}

fn has_value(form: &Form, field: FieldId) -> bool {
    match (form.input(field), form.secret_input(field)) {
        (Some(i), _) => !i.value().is_empty(),
        (_, Some(s)) => !s.is_empty(),
        _ => false,
    }
}

fn draw_info(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    if area.height < 2 {
        return;
    }
    // The token page gets full-width lines of its own: over SSH it is copied, not clicked.
    // Too long for the line, it starts a line of its own after the label and is cut only at
    // the edge, so a selection of its lines is the URL.
    let width = area.width as usize;
    let page: Vec<Line> = match (w.token_page(), form::token_hint(w.auth)) {
        (Some(url), _) => {
            let label = "Token page: ";
            if label.len() + url.width() <= width {
                vec![Line::from(vec![
                    Span::styled(label, theme.text),
                    Span::styled(url, theme.focus),
                ])]
            } else {
                std::iter::once(Line::styled(label.trim_end(), theme.text))
                    .chain(
                        hard_wrap(&url, width)
                            .into_iter()
                            .map(|l| Line::styled(l, theme.focus)),
                    )
                    .collect()
            }
        }
        (None, Some(hint)) => wrap_indented(hint, width, 0)
            .into_iter()
            .map(|l| Line::styled(l, theme.text))
            .collect(),
        (None, None) if w.provider == Provider::Server => wrap_indented(
            "Type the Server URL to see where the token is created.",
            width,
            0,
        )
        .into_iter()
        .map(|l| Line::styled(l, theme.dim))
        .collect(),
        (None, None) => vec![Line::raw("")],
    };
    let [page_row, boxes] =
        Layout::vertical([Constraint::Length(page.len() as u16), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(page), page_row);
    if boxes.height < 3 {
        return;
    }

    let notes = &w.config.demo_notes;
    let (perm_area, demo_area) = if notes.is_empty() {
        (boxes, None)
    } else {
        let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(boxes);
        (l, Some(r))
    };
    // Pre-wrapped under their box (hanging indent past the ☐) so the box is as tall as its
    // text: in a half-width box "REPO_ADMIN, to create webhooks" is two lines.
    let inner_width = perm_area.width.saturating_sub(2) as usize;
    let perms: Vec<Line> = form::permissions(w.auth)
        .iter()
        .flat_map(|p| {
            wrap_indented(p, inner_width, 2)
                .into_iter()
                .enumerate()
                .map(|(i, l)| {
                    if i == 0 {
                        Line::from(vec![
                            Span::styled("☐ ", theme.dim),
                            Span::raw(l.trim_start().to_string()),
                        ])
                    } else {
                        Line::raw(l)
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let title = match (w.auth, w.provider) {
        (AuthKind::OAuth, _) => " Permissions the consumer needs ",
        (AuthKind::ApiToken, _) => " Scopes the token needs ",
        (AuthKind::AppPassword, _) => " Permissions the app password needs ",
        (AuthKind::RepoToken | AuthKind::HttpTokenUser | AuthKind::HttpTokenRepo, _) => {
            " Permissions the token needs "
        }
    };
    let perm_height = (perms.len() as u16 + 2).min(perm_area.height);
    frame.render_widget(
        Paragraph::new(perms).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(Span::styled(title, theme.title)),
        ),
        Rect {
            height: perm_height,
            ..perm_area
        },
    );
    if let Some(demo_area) = demo_area {
        // Credential lines for other auth types only take room here.
        let relevant: Vec<String> = notes
            .iter()
            .filter(|n| note_kind(n).is_none_or(|k| k == w.auth))
            .cloned()
            .collect();
        draw_demo(frame, demo_area, &relevant, theme);
    }
}

/// Which auth type a demo line is about: lines read `api-token: ...` or
/// `cloud api-token: ...` (the app writes them; anything else is shown everywhere).
fn note_kind(note: &str) -> Option<AuthKind> {
    let lower = note.trim_start().to_lowercase();
    let rest = ["cloud ", "server "]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower);
    AuthKind::ALL
        .into_iter()
        .find(|k| rest.starts_with(&format!("{}:", k.cli_name())))
}

/// The demo credentials, pre-wrapped so the box is as tall as its text.
pub(super) fn draw_demo(frame: &mut Frame, area: Rect, notes: &[String], theme: &Theme) {
    let inner_width = area.width.saturating_sub(2) as usize;
    let demo: Vec<Line> = notes
        .iter()
        .flat_map(|n| wrap_indented(&clean(n), inner_width, 0))
        .map(|l| Line::styled(l, theme.text))
        .collect();
    let height = (demo.len() as u16 + 2).min(area.height);
    frame.render_widget(
        Paragraph::new(demo).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.warn)
                .title(Span::styled(" Demo ", theme.warn)),
        ),
        Rect { height, ..area },
    );
}

#[cfg(test)]
mod tests {
    use super::note_kind;
    use crate::core::model::AuthKind;

    #[test]
    fn demo_lines_are_matched_to_their_auth_type() {
        assert_eq!(
            note_kind("api-token: a@x.org / t"),
            Some(AuthKind::ApiToken)
        );
        assert_eq!(
            note_kind("server http-token-repo: / t (P/r)"),
            Some(AuthKind::HttpTokenRepo)
        );
        assert_eq!(
            note_kind("http-token-user: bob / t"),
            Some(AuthKind::HttpTokenUser)
        );
        assert_eq!(note_kind("Simulator: http://127.0.0.1:1"), None);
    }
}
