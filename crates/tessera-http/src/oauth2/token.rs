//! `POST /oauth2/token`. Grants: `client_credentials`. Client authentication:
//! `client_secret_basic` or `client_secret_post` (one of them, never both). The org the
//! token acts in is the `corp_id` parameter; internal apps may leave it out and get their
//! own org. An optional `scope` is checked against what the app holds there.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use serde::Serialize;
use tessera_core::ids::ScopeCode;
use tessera_core::secret::Secret;
use tessera_service::Tessera;

use super::error::{OAuthError, OAuthErrorCode};
use crate::body;

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Client credentials from `Authorization: Basic` (RFC 6749 §2.3.1: each part form-urlencoded).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, Secret)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || OAuthError::new(OAuthErrorCode::InvalidClient, "malformed Basic authorization header");
    let value = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic ")) else {
        return Err(bad());
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| -> Result<String, OAuthError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).map_err(|_| bad())?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    Ok(Some((unescape(id)?, Secret::new(unescape(secret)?))))
}

pub async fn token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let pairs = body::form_pairs(raw)?;
    let grant = param(&pairs, "grant_type").ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    if grant != "client_credentials" {
        return Err(OAuthError::new(
            OAuthErrorCode::UnsupportedGrantType,
            format!("grant_type {grant:?} is not supported here; use client_credentials"),
        ));
    }
    let posted = match (param(&pairs, "client_id"), param(&pairs, "client_secret")) {
        (Some(id), Some(secret)) => Some((id.to_owned(), Secret::new(secret))),
        (_, Some(_)) => {
            return Err(OAuthError::invalid_request("client_secret without client_id"));
        }
        _ => None,
    };
    let (client_id, secret) = match (basic_credentials(&headers)?, posted) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request("use one client authentication method, not both"));
        }
        (Some(c), None) | (None, Some(c)) => c,
        (None, None) => {
            return Err(OAuthError::new(OAuthErrorCode::InvalidClient, "client authentication is required"));
        }
    };
    if let Some(id) = param(&pairs, "client_id")
        && id != client_id
    {
        return Err(OAuthError::invalid_request("client_id does not match the authenticated client"));
    }
    let requested: Option<Vec<ScopeCode>> = match param(&pairs, "scope") {
        None => None,
        Some(s) => Some(
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    ScopeCode::parse(s).map_err(|_| OAuthError::new(OAuthErrorCode::InvalidScope, "malformed scope"))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    let issued = tessera.issue_app_token(&client_id, &secret, param(&pairs, "corp_id")).await?;
    if let Some(scopes) = &requested {
        let missing = tessera.missing_scopes(&client_id, &issued.corp_id, scopes).await.map_err(|e| {
            tracing::error!(error = %e, "scope check failed");
            OAuthError::new(OAuthErrorCode::ServerError, "the server could not complete the request")
        })?;
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("{} ({})", m.scope, m.reason.as_str())).collect();
            return Err(OAuthError::new(
                OAuthErrorCode::InvalidScope,
                format!("the app does not hold these scopes in {}: {}", issued.corp_id, list.join(", ")),
            ));
        }
    }
    let body = TokenResponse {
        access_token: issued.token.expose().to_owned(),
        token_type: "Bearer",
        expires_in: issued.expires_in,
        scope: requested.map(|s| s.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")),
    };
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(res)
}
