//! The one reader of token-endpoint parameters for every dialect: a form body, or (where
//! the dialect takes it) a JSON object whatever the content type says, with string values
//! only (numbers and booleans as text; objects, arrays and nulls ignored). Repeated
//! parameters are refused (RFC 6749 §3.2) and every value is checked for control characters.
//! DingTalk's camelCase endpoints take JSON only, and a field they read must be a string
//! given once ([`Params::require_strings`]), as a typed body would have it.

use axum::extract::rejection::BytesRejection;
use bytes::Bytes;
use http::HeaderMap;
use tessera_core::DomainError;
use tessera_core::consent::parse_scope_string;
use tessera_core::ids::ScopeCode;

use crate::body::{self, BodyError};

/// Which bodies the endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// A form only (RFC 6749).
    Form,
    /// A JSON object, or a form when the content type says so (Feishu's clients send both).
    FormOrJson,
    /// A JSON object only, whatever the content type says (DingTalk): an empty body is
    /// missing, a form is refused.
    Json,
}

/// Whether an empty value counts as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Empty {
    /// `scope=` is an (empty, refused) scope, as RFC 6749 reads it.
    Keep,
    /// `"code_verifier": ""` is no verifier (Feishu's SDKs send empty fields).
    Absent,
}

/// A dialect's reading rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamRules {
    pub accept: Accept,
    pub empty: Empty,
}

/// RFC 6749's rules: forms, empty values kept.
pub const OAUTH2: ParamRules = ParamRules { accept: Accept::Form, empty: Empty::Keep };
/// Feishu's rules: JSON or forms, empty values absent.
pub const FEISHU: ParamRules = ParamRules { accept: Accept::FormOrJson, empty: Empty::Absent };
/// DingTalk's rules (camelCase JSON bodies): JSON only, empty values kept.
pub const DINGTALK: ParamRules = ParamRules { accept: Accept::Json, empty: Empty::Keep };

/// The parameters of one request.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
    empty: Option<Empty>,
    /// JSON fields whose value is neither a string nor null ([`Accept::Json`] only).
    not_strings: Vec<String>,
}

impl Params {
    pub fn read(headers: &HeaderMap, raw: Result<Bytes, BytesRejection>, rules: ParamRules) -> Result<Self, BodyError> {
        let bytes = raw?;
        let pairs = match rules.accept {
            Accept::Form => body::form_pairs(Ok(bytes))?,
            Accept::FormOrJson if bytes.iter().all(|b| b.is_ascii_whitespace()) => Vec::new(),
            Accept::FormOrJson if body::is_form(headers) && !bytes.starts_with(b"{") => body::form_pairs(Ok(bytes))?,
            Accept::FormOrJson => json_pairs(&bytes)?,
            Accept::Json => return json_only(headers, &bytes, rules.empty),
        };
        Ok(Params { pairs, empty: Some(rules.empty), not_strings: Vec::new() })
    }

    /// Refuses the body when one of `names` was sent as something else than a string (or
    /// null), or more than once.
    pub fn require_strings(&self, names: &[&str]) -> Result<(), BodyError> {
        for name in names {
            if self.not_strings.iter().any(|n| n == name) {
                return Err(BodyError::Json(format!("invalid type: {name} must be a string")));
            }
            let sent = self.pairs.iter().filter(|(k, _)| k == name).count()
                + self.not_strings.iter().filter(|n| n == name).count();
            if sent > 1 {
                return Err(BodyError::Json(format!("duplicate field `{name}`")));
            }
        }
        Ok(())
    }

    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let value = self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        match self.empty {
            Some(Empty::Absent) => value.filter(|v| !v.is_empty()),
            _ => value,
        }
    }

    /// Every value of `name` (only RFC 8707's `resource` may be repeated).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs.iter().filter(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone()).collect()
    }

    /// The first of `names` that was sent.
    pub fn first_of(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.get(n))
    }

    /// `scope`, parsed, if sent.
    pub fn scopes(&self) -> Result<Option<Vec<ScopeCode>>, DomainError> {
        self.get("scope").map(parse_scope_string).transpose()
    }

    /// The same parameters without `names`.
    pub fn without(&self, names: &[&str]) -> Params {
        let pairs = self.pairs.iter().filter(|(k, _)| !names.contains(&k.as_str())).cloned().collect();
        Params { pairs, empty: self.empty, not_strings: self.not_strings.clone() }
    }
}

/// A JSON-only body: strings as pairs, nulls absent, other values noted as not strings.
fn json_only(headers: &HeaderMap, bytes: &[u8], empty: Empty) -> Result<Params, BodyError> {
    if bytes.is_empty() {
        return Err(BodyError::Missing);
    }
    let Entries(entries) = serde_json::from_slice(bytes).map_err(|e| {
        if body::is_form(headers) && !bytes.starts_with(b"{") {
            BodyError::FormNotJson
        } else {
            BodyError::Json(e.to_string())
        }
    })?;
    body::check_json(bytes)?;
    let mut params = Params { pairs: Vec::new(), empty: Some(empty), not_strings: Vec::new() };
    for (k, v) in entries {
        match v {
            serde_json::Value::String(s) => params.pairs.push((k, s)),
            serde_json::Value::Null => {}
            _ => params.not_strings.push(k),
        }
    }
    Ok(params)
}

/// A JSON object's members in order, repeated names kept (the body is at most
/// [`body::MAX_BODY`] bytes, which bounds them).
struct Entries(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, serde_json::Value>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(Members)
    }
}

fn json_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, BodyError> {
    let value: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|e| BodyError::Json(e.to_string()))?;
    body::check_json(bytes)?;
    Ok(value
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Number(n) => Some((k, n.to_string())),
            serde_json::Value::Bool(b) => Some((k, b.to_string())),
            _ => None,
        })
        .collect())
}
