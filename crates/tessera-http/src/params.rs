//! The one reader of token-endpoint parameters for every dialect: a form body, or (where
//! the dialect takes it) a JSON object whatever the content type says, with string values
//! only (numbers and booleans as text; objects, arrays and nulls ignored). Repeated
//! parameters are refused (RFC 6749 §3.2) and every value is checked for control characters.

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

/// The parameters of one request.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
    empty: Option<Empty>,
}

impl Params {
    pub fn read(headers: &HeaderMap, raw: Result<Bytes, BytesRejection>, rules: ParamRules) -> Result<Self, BodyError> {
        let bytes = raw?;
        let pairs = match rules.accept {
            Accept::Form => body::form_pairs(Ok(bytes))?,
            Accept::FormOrJson if bytes.iter().all(|b| b.is_ascii_whitespace()) => Vec::new(),
            Accept::FormOrJson if body::is_form(headers) && !bytes.starts_with(b"{") => body::form_pairs(Ok(bytes))?,
            Accept::FormOrJson => json_pairs(&bytes)?,
        };
        Ok(Params { pairs, empty: Some(rules.empty) })
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
        Params { pairs, empty: self.empty }
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
