//! RFC 7009 `POST /oauth2/revoke` (any client, for its own tokens; public clients by their
//! client id) and RFC 7662 `POST /oauth2/introspect` (confidential clients only).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Serialize;
use tessera_service::Tessera;
use tessera_service::token_request::scope_text;

use super::error::OAuthError;
use crate::client_auth::{self, OAUTH2_NAMES};
use crate::params::{self, Params};

pub async fn revoke(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let params = Params::read(&headers, raw, params::OAUTH2)?;
    let auth = client_auth::read(&headers, &params, OAUTH2_NAMES)?;
    let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    tessera.revoke(&auth, token).await?;
    let mut res = StatusCode::OK.into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Serialize, Default)]
struct IntrospectionResponse {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    /// Tessera's addition: which kind of token (user, app, corp, suite).
    #[serde(skip_serializing_if = "Option::is_none")]
    token_kind: Option<&'static str>,
    /// Tessera's addition: the org the token acts in.
    #[serde(skip_serializing_if = "Option::is_none")]
    corp_id: Option<String>,
}

pub async fn introspect(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let params = Params::read(&headers, raw, params::OAUTH2)?;
    let auth = client_auth::read(&headers, &params, OAUTH2_NAMES)?;
    let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let i = tessera.introspect(&auth, token).await?;
    let body = if i.active {
        IntrospectionResponse {
            active: true,
            scope: Some(scope_text(&i.scopes)),
            client_id: i.client_id.map(String::from),
            token_type: i.token_type,
            exp: i.expires_at.map(|t| t.0),
            iat: i.issued_at.map(|t| t.0),
            sub: i.union_id.map(String::from),
            token_kind: i.kind.map(|k| k.as_str()),
            corp_id: i.corp_id.map(String::from),
        }
    } else {
        IntrospectionResponse::default()
    };
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
