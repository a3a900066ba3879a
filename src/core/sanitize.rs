//! Server text is untrusted: strip anything that a terminal would interpret.

/// Replace control characters (C0, DEL, C1) with visible placeholders so that a repository
/// named `"\x1b]0;pwned\x07"` is shown as text and never reaches the terminal as an escape
/// sequence. Tabs and newlines become spaces: every caller draws one line.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            // Control Pictures block: U+2400 + code for C0, U+2421 for DEL.
            c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('\u{2421}'),
            c if ('\u{80}'..='\u{9f}').contains(&c) => out.push('\u{fffd}'),
            // Bidi overrides can make text lie about its order.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn escape_sequences_become_visible() {
        let hostile = "repo\x1b]0;pwned\x07name\u{9b}31m";
        let shown = clean(hostile);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(shown.starts_with("repo\u{241b}]0;pwned\u{2407}name"));
    }

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(clean("my-repo ünïcode 日本"), "my-repo ünïcode 日本");
    }
}
