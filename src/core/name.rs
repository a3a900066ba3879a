//! The one rule for a connection's name. The name becomes a file name and a keychain account
//! on every platform, so the store refuses anything else; the form and the command line check
//! the same rule before any request, so a name is never refused only at the end.

/// The longest name, in bytes (all allowed characters are ASCII).
pub const MAX_LEN: usize = 64;

/// Why a name cannot be a connection's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    Empty,
    /// A character outside letters, digits, `.`, `_` and `-`.
    Character(char),
    /// Allowed inside a name but not first (`.`, `_` or `-`): a hidden file, or a flag.
    Start(char),
    TooLong,
}

/// Letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most [`MAX_LEN`].
pub fn check(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(NameError::Character(bad));
    }
    if let Some(first) = name.chars().next().filter(|c| !c.is_ascii_alphanumeric()) {
        return Err(NameError::Start(first));
    }
    if name.len() > MAX_LEN {
        return Err(NameError::TooLong);
    }
    Ok(())
}

impl NameError {
    /// The reason as a clause, after "`NAME` cannot be a connection name: ".
    pub fn reason(self) -> &'static str {
        match self {
            NameError::Empty => "it is empty",
            NameError::Character(_) => "only letters, digits, `.`, `_` and `-` are allowed",
            NameError::Start(_) => "it must start with a letter or a digit",
            NameError::TooLong => "it is longer than 64 characters",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_digits_dot_underscore_dash_starting_with_a_letter_or_digit() {
        for ok in [
            "work",
            "w",
            "9",
            "my-conn_1.x",
            "A.b-C_d",
            &"x".repeat(MAX_LEN),
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        assert_eq!(check(""), Err(NameError::Empty));
        assert_eq!(check("-work"), Err(NameError::Start('-')));
        assert_eq!(check(".hidden"), Err(NameError::Start('.')));
        assert_eq!(check("_x"), Err(NameError::Start('_')));
        assert_eq!(check("a b"), Err(NameError::Character(' ')));
        assert_eq!(check("a/b"), Err(NameError::Character('/')));
        assert_eq!(check("é"), Err(NameError::Character('é')));
        assert_eq!(check("a\u{1b}"), Err(NameError::Character('\u{1b}')));
        assert_eq!(check(&"x".repeat(MAX_LEN + 1)), Err(NameError::TooLong));
    }

    #[test]
    fn every_refusal_has_a_reason() {
        for e in [
            NameError::Empty,
            NameError::Character('/'),
            NameError::Start('-'),
            NameError::TooLong,
        ] {
            assert!(!e.reason().is_empty(), "{e:?}");
        }
    }
}
