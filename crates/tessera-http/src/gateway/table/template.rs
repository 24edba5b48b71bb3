//! Path templates: `/v1.0/contact/users/{userId}`. A segment is literal text or a whole
//! `{name}` placeholder that matches any one non-empty segment.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    segments: Vec<Segment>,
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Characters a literal segment may hold: RFC 3986 `pchar` without percent-encoding.
fn valid_literal(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c))
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, String> {
        let rest = text.strip_prefix('/').ok_or_else(|| format!("the path {text:?} must start with /"))?;
        let mut segments = Vec::new();
        let mut names = Vec::new();
        if !rest.is_empty() {
            for seg in rest.split('/') {
                if let Some(inner) = seg.strip_prefix('{') {
                    let name = inner.strip_suffix('}').filter(|n| valid_name(n)).ok_or_else(|| {
                        format!(
                            "bad placeholder {seg:?} in {text:?}: a whole segment {{name}} with a letter, digits or _"
                        )
                    })?;
                    if names.contains(&name) {
                        return Err(format!("the placeholder {{{name}}} appears twice in {text:?}"));
                    }
                    names.push(name);
                    segments.push(Segment::Param(name.to_owned()));
                } else if seg.contains(['{', '}']) {
                    return Err(format!(
                        "bad placeholder in segment {seg:?} of {text:?}: a placeholder is a whole segment"
                    ));
                } else if valid_literal(seg) {
                    segments.push(Segment::Literal(seg.to_owned()));
                } else {
                    return Err(format!("bad segment {seg:?} in {text:?}"));
                }
            }
        }
        Ok(Template { text: text.to_owned(), segments })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the raw path `path` (no query) matches.
    pub fn matches(&self, path: &str) -> bool {
        let Some(rest) = path.strip_prefix('/') else { return false };
        if rest.is_empty() {
            return self.segments.is_empty();
        }
        let mut parts = rest.split('/');
        for seg in &self.segments {
            match (seg, parts.next()) {
                (Segment::Literal(l), Some(p)) if l == p => {}
                (Segment::Param(_), Some(p)) if !p.is_empty() => {}
                _ => return false,
            }
        }
        parts.next().is_none()
    }

    /// Literal segments first, left to right: compares so the more specific is greater.
    pub fn specificity(&self) -> Vec<bool> {
        self.segments.iter().map(|s| matches!(s, Segment::Literal(_))).collect()
    }

    /// Whether both match exactly the same paths (placeholder names aside).
    pub fn same_shape(&self, other: &Template) -> bool {
        self.segments.len() == other.segments.len()
            && self.segments.iter().zip(&other.segments).all(|(a, b)| match (a, b) {
                (Segment::Literal(x), Segment::Literal(y)) => x == y,
                (Segment::Param(_), Segment::Param(_)) => true,
                _ => false,
            })
    }
}
