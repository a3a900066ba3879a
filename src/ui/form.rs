//! Step 3: the fields, their messages, what the token needs and where to make it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use super::widgets::{visible_slice, wrap_indented};
use crate::bitbucket::model::{AuthKind, Provider};
use crate::sanitize::clean;
use crate::wizard::Wizard;
use crate::wizard::form::{self, FieldId, Form};

const LABEL_WIDTH: u16 = 18;

pub fn draw(frame: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let list = form::fields(w.auth);
    let fields_height = list.len() as u16 * 2;
    let [fields_area, notice_area, info_area] = Layout::vertical([
        Constraint::Length(fields_height + 1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);

    let focused = w.form.focused(w.auth);
    for (i, field) in list.iter().enumerate() {
        let y = fields_area.y + 1 + i as u16 * 2;
        if y + 1 >= fields_area.bottom() {
            break;
        }
        let row = Rect {
            y,
            height: 1,
            ..fields_area
        };
        let msg_row = Rect { y: y + 1, ..row };
        draw_field(frame, row, msg_row, w, *field, *field == focused, theme);
    }

    let notice = match (&w.notice, w.auth) {
        (Some(n), _) => Line::styled(n.clone(), theme.warn),
        (None, AuthKind::AppPassword) => Line::styled(
            "⚠ App passwords are retired on 2026-07-28: switch to an API token soon.",
            theme.warn,
        ),
        (None, AuthKind::ApiToken) => Line::styled(
            "REST signs in with your Atlassian email; git uses your Bitbucket username.",
            theme.dim,
        ),
        _ => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(notice), notice_area);
    draw_info(frame, info_area, w, theme);
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
        Layout::horizontal([Constraint::Length(LABEL_WIDTH), Constraint::Min(1)]).areas(row);
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
            Span::raw(" ".repeat(LABEL_WIDTH as usize)),
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
    // The token page gets a full-width line of its own: over SSH it is copied, not clicked,
    // and a wrapped URL cannot be copied in one go.
    let page = match (w.token_page(), form::token_hint(w.auth)) {
        (Some(url), _) => Line::from(vec![
            Span::styled("Token page: ", theme.text),
            Span::styled(url, theme.focus),
        ]),
        (None, Some(hint)) => Line::styled(hint, theme.text),
        (None, None) if w.provider == Provider::Server => Line::styled(
            "Type the Server URL to see where the token is created.",
            theme.dim,
        ),
        (None, None) => Line::raw(""),
    };
    let page_height = if page.width() > area.width as usize {
        2
    } else {
        1
    };
    let [page_row, boxes] =
        Layout::vertical([Constraint::Length(page_height), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(page).wrap(Wrap { trim: false }), page_row);
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
    let perms: Vec<Line> = form::permissions(w.auth)
        .iter()
        .map(|p| Line::from(vec![Span::styled("☐ ", theme.dim), Span::raw(*p)]))
        .collect();
    let title = match (w.auth, w.provider) {
        (AuthKind::OAuth, _) => " Permissions the consumer needs ",
        (AuthKind::ApiToken, _) => " Scopes the token needs ",
        (AuthKind::AppPassword, _) => " Permissions the app password needs ",
        _ => " Permissions the token needs ",
    };
    let perm_height = (perms.len() as u16 + 2).min(perm_area.height);
    frame.render_widget(
        Paragraph::new(perms).wrap(Wrap { trim: true }).block(
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
    use crate::bitbucket::model::AuthKind;

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
