//! A text input for secrets: the value lives in a zeroizing box and never prints.
//!
//! `tui_input::Input` derives `Debug` with its value, so a stray `{:?}` of the wizard would
//! leak the token; this type prints `***` instead and only exposes the value on purpose.

use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox, SecretString};

use super::msg::EditKey;

/// Reserved up front so that typing rarely reallocates (each reallocation would leave an
/// unzeroized copy of the prefix behind in freed memory).
const RESERVE: usize = 512;

pub struct SecretInput {
    value: SecretBox<String>,
    /// Cursor position in chars.
    cursor: usize,
}

impl Default for SecretInput {
    fn default() -> Self {
        SecretInput {
            value: SecretBox::new(Box::new(String::with_capacity(RESERVE))),
            cursor: 0,
        }
    }
}

impl Clone for SecretInput {
    fn clone(&self) -> Self {
        let mut copy = SecretInput::default();
        copy.value
            .expose_secret_mut()
            .push_str(self.value.expose_secret());
        copy.cursor = self.cursor;
        copy
    }
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretInput(***)")
    }
}

impl SecretInput {
    pub fn is_empty(&self) -> bool {
        self.value.expose_secret().is_empty()
    }

    /// Number of characters, for drawing the mask.
    pub fn len_chars(&self) -> usize {
        self.value.expose_secret().chars().count()
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Only for validation and for building credentials.
    pub fn expose(&self) -> &str {
        self.value.expose_secret()
    }

    pub fn to_secret(&self) -> SecretString {
        SecretString::from(self.value.expose_secret().to_owned())
    }

    pub fn handle(&mut self, key: EditKey) {
        let len = self.len_chars();
        let text = self.value.expose_secret_mut();
        match key {
            EditKey::Char(c) => {
                let at = byte_index(text, self.cursor);
                text.insert(at, c);
                self.cursor += 1;
            }
            EditKey::Backspace => {
                if self.cursor > 0 {
                    let at = byte_index(text, self.cursor - 1);
                    text.remove(at);
                    self.cursor -= 1;
                }
            }
            EditKey::Delete => {
                if self.cursor < len {
                    let at = byte_index(text, self.cursor);
                    text.remove(at);
                }
            }
            EditKey::Left => self.cursor = self.cursor.saturating_sub(1),
            EditKey::Right => self.cursor = (self.cursor + 1).min(len),
            EditKey::Home => self.cursor = 0,
            EditKey::End => self.cursor = len,
            EditKey::ClearLine => {
                let at = byte_index(text, self.cursor);
                text.replace_range(..at, "");
                self.cursor = 0;
            }
        }
    }
}

fn byte_index(s: &str, chars: usize) -> usize {
    s.char_indices()
        .nth(chars)
        .map(|(i, _)| i)
        .unwrap_or(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(s: &str) -> SecretInput {
        let mut input = SecretInput::default();
        for c in s.chars() {
            input.handle(EditKey::Char(c));
        }
        input
    }

    #[test]
    fn debug_never_prints_the_value() {
        let input = typed("test-token-sekrit");
        let shown = format!("{input:?} {:?}", input.clone());
        assert!(!shown.contains("sekrit"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn editing_keys() {
        let mut input = typed("abcd");
        input.handle(EditKey::Left);
        input.handle(EditKey::Backspace);
        assert_eq!(input.expose(), "abd");
        input.handle(EditKey::Home);
        input.handle(EditKey::Delete);
        assert_eq!(input.expose(), "bd");
        input.handle(EditKey::End);
        input.handle(EditKey::Char('é'));
        assert_eq!(input.expose(), "bdé");
        assert_eq!(input.len_chars(), 3);
        input.handle(EditKey::Left);
        input.handle(EditKey::ClearLine);
        assert_eq!(input.expose(), "é");
        assert_eq!(input.cursor(), 0);
        use secrecy::ExposeSecret;
        assert_eq!(input.to_secret().expose_secret(), "é");
    }
}
