//! Small shared pieces: spinner, status marks, number formatting, horizontal scrolling.

use ratatui::text::Span;
use unicode_width::UnicodeWidthChar;

use super::Theme;
use crate::core::model::CheckStatus;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn spinner(frame: usize) -> &'static str {
    SPINNER[frame % SPINNER.len()]
}

pub fn status_mark(status: CheckStatus, theme: &Theme) -> Span<'static> {
    match status {
        CheckStatus::Passed => Span::styled("✓", theme.ok),
        CheckStatus::Warning => Span::styled("!", theme.warn),
        CheckStatus::Failed => Span::styled("✗", theme.error),
    }
}

/// `1200` -> `1,200`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The part of `text` visible in `width` columns after skipping `scroll` columns.
pub fn visible_slice(text: &str, scroll: usize, width: usize) -> String {
    let mut skipped = 0;
    let mut used = 0;
    let mut out = String::new();
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if skipped < scroll {
            skipped += w;
            continue;
        }
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

/// Cut to `width` columns with an ellipsis, for one-line cells.
pub fn fit(text: &str, width: usize) -> String {
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return text.to_string();
    }
    let mut out = visible_slice(text, 0, width.saturating_sub(1));
    out.push('…');
    out
}

/// Word-wrap `text` to `width` columns, every line indented by `indent` spaces (Paragraph's
/// own wrapping would start continuation lines at the left edge).
pub fn wrap_indented(text: &str, width: usize, indent: usize) -> Vec<String> {
    let room = width.saturating_sub(indent).max(10);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    // A word longer than the room (a fingerprint, a long URL) is cut into pieces that fit:
    // truncated at the screen's edge it would lose what the user must compare.
    let pieces: Vec<String> = text
        .split_whitespace()
        .flat_map(|word| {
            let mut out = Vec::new();
            let mut cur = String::new();
            let mut cur_w = 0;
            for ch in word.chars() {
                let cw = ch.width().unwrap_or(0);
                if cur_w + cw > room && !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    cur_w = 0;
                }
                cur.push(ch);
                cur_w += cw;
            }
            if !cur.is_empty() {
                out.push(cur);
            }
            out
        })
        .collect();
    for word in pieces.iter().map(String::as_str) {
        let w: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
        if used > 0 && used + 1 + w > room {
            lines.push(format!("{}{line}", " ".repeat(indent)));
            line.clear();
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += w;
    }
    if !line.is_empty() {
        lines.push(format!("{}{line}", " ".repeat(indent)));
    }
    lines
}

/// Rows a line takes in a wrapped paragraph `width` wide, counted by the same word wrapper
/// that draws it (an estimate was off by a row wherever a long path moves to the next line).
fn est_rows(l: &ratatui::text::Line, width: u16) -> usize {
    ratatui::widgets::Paragraph::new(l.clone())
        .wrap(ratatui::widgets::Wrap { trim: false })
        .line_count(width.max(1))
        .max(1)
}

/// The furthest first line of `lines` that still fills `width` x `height`: scrolling stops
/// with the end in view.
pub fn last_start(lines: &[ratatui::text::Line], width: u16, height: u16) -> usize {
    let height = usize::from(height);
    (0..lines.len())
        .find(|&i| lines[i..].iter().map(|l| est_rows(l, width)).sum::<usize>() <= height)
        .unwrap_or(lines.len())
}

/// `lines` cut to what fits `width` x `height` (rows estimated as a wrapped paragraph takes
/// them), with a last line saying how much is missing: a small terminal must not hide the end
/// of a screen without a hint. With `scroll` (the first line wanted, clamped here as only the
/// view knows the height) the box scrolls and the mark names the keys.
pub fn with_more_mark(
    lines: Vec<ratatui::text::Line<'static>>,
    width: u16,
    height: u16,
    scroll: Option<usize>,
    style: ratatui::style::Style,
) -> Vec<ratatui::text::Line<'static>> {
    with_more_mark_saying(lines, width, height, scroll, "↓/PgDn scroll", style)
}

/// [`with_more_mark`] for a screen whose arrows move between fields: the mark names the keys
/// that scroll there (`hint`).
pub fn with_more_mark_saying(
    lines: Vec<ratatui::text::Line<'static>>,
    width: u16,
    height: u16,
    scroll: Option<usize>,
    scroll_hint: &str,
    style: ratatui::style::Style,
) -> Vec<ratatui::text::Line<'static>> {
    let rows = |l: &ratatui::text::Line| est_rows(l, width);
    let height = usize::from(height);
    if height == 0 || lines.iter().map(rows).sum::<usize>() <= height {
        return lines;
    }
    let last_start = last_start(&lines, width, height as u16);
    let skip = scroll.unwrap_or(0).min(last_start);
    let mut lines: Vec<_> = lines.into_iter().skip(skip).collect();
    if skip == last_start && scroll.is_some() {
        return lines;
    }
    let mut used = 0;
    let mut keep = 0;
    for l in &lines {
        if used + rows(l) > height - 1 {
            break;
        }
        used += rows(l);
        keep += 1;
    }
    let hidden: usize = lines[keep..].iter().map(rows).sum();
    lines.truncate(keep);
    let hint = if scroll.is_some() {
        scroll_hint
    } else {
        "enlarge the terminal"
    };
    lines.push(ratatui::text::Line::styled(
        format!("… {hidden} more lines: {hint}"),
        style,
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_with_indent() {
        assert_eq!(
            wrap_indented("aaa bbb ccc ddd", 18, 4),
            vec!["    aaa bbb ccc", "    ddd"]
        );
        assert_eq!(wrap_indented("", 20, 2), Vec::<String>::new());
    }

    #[test]
    fn counts() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1200), "1,200");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn slices_by_columns() {
        assert_eq!(visible_slice("abcdef", 2, 3), "cde");
        assert_eq!(visible_slice("日本語", 2, 4), "本語");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
