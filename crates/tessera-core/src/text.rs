//! Text from outside (request paths, query strings, bodies, fixtures) before it reaches the
//! domain or a store: no NUL or other control characters (PostgreSQL text cannot hold NUL,
//! and none of them belongs in an id, a name, a URL or a description), except tab and line
//! breaks, and a bounded length.

/// The longest single value accepted from a request, in characters: a backstop (bodies are
/// at most 64 KiB); the domain's own, tighter bounds (names, descriptions, URLs) give the
/// more precise message.
pub const MAX_VALUE: usize = 16 * 1024;
/// The longest request target (path and query, percent-encoded), in bytes.
pub const MAX_URI: usize = 8192;

/// Why a text value was refused. The value itself is never repeated (it may be a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} contains the control character U+{code:04X}")]
    Control { field: String, code: u32 },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: String, max: usize },
    #[error("{field} is not valid UTF-8")]
    NotUtf8 { field: String },
}

/// A field name fit for an error message: printable, short.
fn label(field: &str) -> String {
    let clean: String = field.chars().filter(|c| !c.is_control()).take(64).collect();
    if clean.is_empty() { "a parameter".to_owned() } else { clean }
}

/// Checks one value: no control character but tab, line feed and carriage return; at most
/// `max` characters.
pub fn check(field: &str, value: &str, max: usize) -> Result<(), TextError> {
    if let Some(c) = value.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(TextError::Control { field: label(field), code: u32::from(c) });
    }
    if value.len() > max && value.chars().count() > max {
        return Err(TextError::TooLong { field: label(field), max });
    }
    Ok(())
}

/// [`check`] as a domain error on `field` (for rules in the core: fixtures, descriptions).
pub fn field(field: &'static str, value: &str, max: usize) -> Result<(), crate::error::DomainError> {
    check(field, value, max).map_err(|e| crate::error::DomainError::InvalidField { field, reason: e.to_string() })
}

/// Checks raw bytes (a percent-decoded path or parameter): valid UTF-8, then [`check`].
pub fn check_bytes(field: &str, value: &[u8], max: usize) -> Result<(), TextError> {
    let text = std::str::from_utf8(value).map_err(|_| TextError::NotUtf8 { field: label(field) })?;
    check(field, text, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_tabs_and_line_breaks_pass() {
        assert_eq!(check("title", "CEO\u{0}", 10), Err(TextError::Control { field: "title".into(), code: 0 }));
        assert!(matches!(check("t", "a\u{1b}[31m", 10), Err(TextError::Control { code: 0x1b, .. })));
        assert!(matches!(check("t", "a\u{7f}", 10), Err(TextError::Control { code: 0x7f, .. })));
        assert!(matches!(check("t", "a\u{85}", 10), Err(TextError::Control { code: 0x85, .. })));
        assert_eq!(check("description", "line one\r\n\tline two", 100), Ok(()));
        assert_eq!(check("name", "Zoë 张三 🙂", 100), Ok(()));
    }

    #[test]
    fn lengths_count_characters() {
        assert_eq!(check("n", &"é".repeat(10), 10), Ok(()));
        assert_eq!(check("n", &"é".repeat(11), 10), Err(TextError::TooLong { field: "n".into(), max: 10 }));
    }

    #[test]
    fn bytes_must_be_utf8_and_field_names_are_cleaned() {
        assert_eq!(check_bytes("path", b"ab\xff", 10), Err(TextError::NotUtf8 { field: "path".into() }));
        assert_eq!(check_bytes("path", "ok".as_bytes(), 10), Ok(()));
        let err = check("bad\u{0}key", "\u{0}", 10).unwrap_err();
        assert_eq!(err.to_string(), "badkey contains the control character U+0000");
    }
}
