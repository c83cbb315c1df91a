//! The parsers of text input, one per kind, each bounded: references,
//! e-mail addresses, names, one-line and multi-line text. Forms, the
//! platform API and import all use these, so a value refused in one place
//! is refused everywhere, with the same message.

/// Why a text was refused; the caller names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters or line breaks")]
    ControlCharacter,
    #[error("may hold only letters A–Z, digits and . _ : - (at most {0} characters)")]
    NotAReference(usize),
    #[error("is not an e-mail address")]
    NotAnEmail,
}

impl TextError {
    /// The problem in the reader's words.
    pub fn message(&self) -> crate::i18n::Message {
        use crate::i18n::Message;
        match self {
            TextError::Empty => Message::new("text-empty"),
            TextError::TooLong(max) => Message::new("text-too-long").with("max", max.to_string()),
            TextError::ControlCharacter => Message::new("text-control"),
            TextError::NotAReference(max) => {
                Message::new("text-not-reference").with("max", max.to_string())
            }
            TextError::NotAnEmail => Message::new("text-not-email"),
        }
    }
}

/// Longest reference (transaction reference, external reference).
pub const MAX_REFERENCE_CHARS: usize = 64;
/// Longest name of a person.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest short free text on a record (a counterparty, a failure reason).
pub const MAX_LINE_CHARS: usize = 500;

/// A reference the platform or a person gives a record: 1 to 64 of ASCII
/// letters, digits, `.`, `_`, `:` and `-`. Such a reference is safe in a
/// URL path, an e-mail subject and a log line as it is.
pub fn reference(text: &str) -> Result<String, TextError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-');
    if text.chars().count() > MAX_REFERENCE_CHARS || !text.chars().all(allowed) {
        return Err(TextError::NotAReference(MAX_REFERENCE_CHARS));
    }
    Ok(text.to_owned())
}

/// `reference` for an optional field: blank is None.
pub fn optional_reference(text: Option<&str>) -> Result<Option<String>, TextError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => reference(text).map(Some),
        None => Ok(None),
    }
}

/// One line of text, trimmed: no control characters at all (no NUL, no
/// line break), 1 to `max` characters.
pub fn single_line(text: &str, max: usize) -> Result<String, TextError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    Ok(text.to_owned())
}

/// `single_line` for an optional field: blank is None.
pub fn optional_line(text: Option<&str>, max: usize) -> Result<Option<String>, TextError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => single_line(text, max).map(Some),
        None => Ok(None),
    }
}

/// Text of several lines (a message, a note), trimmed, with CR LF made
/// LF: line breaks and tabs are kept, other control characters refused.
pub fn multi_line(text: &str, max: usize) -> Result<String, TextError> {
    let text = text.trim().replace("\r\n", "\n");
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(TextError::ControlCharacter);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    Ok(text)
}

/// Longest search text looked up.
pub const MAX_SEARCH_CHARS: usize = 200;

/// What a person typed into a search box: control characters dropped,
/// trimmed, at most 200 characters. Never refused: a search that cannot
/// match anything simply finds nothing.
pub fn search(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(MAX_SEARCH_CHARS)
        .collect()
}

/// A person's name as shown on pages and in e-mails.
pub fn person_name(text: &str) -> Result<String, TextError> {
    single_line(text, MAX_NAME_CHARS)
}

/// An e-mail address, lower-cased; the form every table stores.
pub fn email(text: &str) -> Result<String, TextError> {
    let text = single_line(text, MAX_EMAIL_CHARS)?.to_lowercase();
    text.parse::<lettre::Address>()
        .map(|address| address.to_string())
        .map_err(|_| TextError::NotAnEmail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_have_a_small_alphabet() {
        assert_eq!(reference(" TX2026-01_a:b.c "), Ok("TX2026-01_a:b.c".into()));
        for bad in [
            "TX1\r\nX",
            "a/b",
            "a?b",
            "a#b",
            "a<b",
            "订单1",
            "a b",
            "TX\0",
            &"x".repeat(65),
        ] {
            assert_eq!(reference(bad), Err(TextError::NotAReference(64)), "{bad:?}");
        }
        assert_eq!(reference("  "), Err(TextError::Empty));
    }

    #[test]
    fn lines_refuse_control_characters() {
        assert_eq!(single_line(" 李 明 ", 10), Ok("李 明".into()));
        assert_eq!(single_line("a\0b", 10), Err(TextError::ControlCharacter));
        assert_eq!(single_line("a\nb", 10), Err(TextError::ControlCharacter));
        assert_eq!(single_line("abc", 2), Err(TextError::TooLong(2)));
        assert_eq!(multi_line("a\r\nb\tc", 10), Ok("a\nb\tc".into()));
        assert_eq!(multi_line("a\0b", 10), Err(TextError::ControlCharacter));
        assert_eq!(optional_line(Some("  "), 10), Ok(None));
    }

    #[test]
    fn searches_drop_control_characters() {
        assert_eq!(search(" a\0b\r\n "), "ab");
        assert_eq!(search(&"x".repeat(300)).len(), 200);
    }

    #[test]
    fn e_mails_are_checked_and_lower_cased() {
        assert_eq!(
            email(" Li.Ming@Example.COM "),
            Ok("li.ming@example.com".into())
        );
        assert_eq!(email("not an address"), Err(TextError::NotAnEmail));
        assert_eq!(
            email("a@b.c\r\nBcc: x@y.z"),
            Err(TextError::ControlCharacter)
        );
        assert_eq!(
            email(&format!("{}@example.com", "a".repeat(250))),
            Err(TextError::TooLong(254))
        );
    }
}
