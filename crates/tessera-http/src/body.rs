//! Request bodies: read with a size limit, parsed as JSON whatever the content type says
//! (the DingTalk SDKs send `application/json; charset=utf-8`, chunked or not), or as a form.

use axum::extract::rejection::BytesRejection;
use bytes::Bytes;
use http::HeaderMap;
use serde::de::DeserializeOwned;
use tessera_core::text::{self, TextError};

/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("request body larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("request body could not be read")]
    Unreadable,
    #[error("request body is required")]
    Missing,
    #[error("form-encoded body where JSON is required")]
    FormNotJson,
    #[error("invalid JSON body: {0}")]
    Json(String),
    #[error("invalid form body: {0}")]
    Form(String),
    /// A value with a control character (NUL, say), or too long.
    #[error("{0}")]
    Text(#[from] TextError),
}

impl From<BytesRejection> for BodyError {
    fn from(r: BytesRejection) -> Self {
        if r.status() == http::StatusCode::PAYLOAD_TOO_LARGE { BodyError::TooLarge } else { BodyError::Unreadable }
    }
}

/// Whether the content type says the body is a form (the one form-body detection).
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

/// Parses a JSON object body into `T`; unknown fields are ignored by `T`'s derive.
pub fn json<T: DeserializeOwned>(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<T, BodyError> {
    let body = body?;
    if body.is_empty() {
        return Err(BodyError::Missing);
    }
    // A JSON body is taken whatever the content type says; a form body is refused as
    // DingTalk does (`Missingbody`).
    let parsed = serde_json::from_slice(&body).map_err(|e| {
        if is_form(headers) && !body.starts_with(b"{") {
            BodyError::FormNotJson
        } else {
            BodyError::Json(e.to_string())
        }
    })?;
    check_json(&body)?;
    Ok(parsed)
}

/// Checks every string (and key) of a JSON body with [`text::check`].
pub fn check_json(body: &[u8]) -> Result<(), BodyError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| BodyError::Json(e.to_string()))?;
    check_value("body", &value)
}

fn check_value(field: &str, value: &serde_json::Value) -> Result<(), BodyError> {
    match value {
        serde_json::Value::String(s) => text::check(field, s, text::MAX_VALUE)?,
        serde_json::Value::Array(items) => {
            for item in items {
                check_value(field, item)?;
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                text::check("a field name", key, text::MAX_VALUE)?;
                check_value(key, item)?;
            }
        }
        serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {}
    }
    Ok(())
}

/// Checks every name and value of form or query pairs with [`text::check`].
pub fn check_pairs(pairs: &[(String, String)]) -> Result<(), BodyError> {
    for (key, value) in pairs {
        text::check("a parameter name", key, text::MAX_VALUE)?;
        text::check(key, value, text::MAX_VALUE)?;
    }
    Ok(())
}

/// Parses a form body into its pairs, refusing repeated parameters (RFC 6749 §3.2).
pub fn form_pairs(body: Result<Bytes, BytesRejection>) -> Result<Vec<(String, String)>, BodyError> {
    let body = body?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| BodyError::Form(e.to_string()))?;
    if let Some(k) = repeated(&pairs) {
        return Err(BodyError::Form(format!("parameter {k} appears more than once")));
    }
    check_pairs(&pairs)?;
    Ok(pairs)
}

/// Parses a form body into `T`, refusing repeated parameters.
pub fn form<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, BodyError> {
    let body = body?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| BodyError::Form(e.to_string()))?;
    if let Some(k) = repeated(&pairs) {
        return Err(BodyError::Form(format!("parameter {k} appears more than once")));
    }
    check_pairs(&pairs)?;
    serde_urlencoded::from_bytes(&body).map_err(|e| BodyError::Form(e.to_string()))
}

/// The first parameter name that appears twice. `resource` may (RFC 8707 §2).
pub fn repeated(pairs: &[(String, String)]) -> Option<&str> {
    pairs
        .iter()
        .enumerate()
        .find(|(i, (k, _))| k != "resource" && pairs[..*i].iter().any(|(seen, _)| seen == k))
        .map(|(_, (k, _))| k.as_str())
}
