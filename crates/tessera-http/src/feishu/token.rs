//! App and tenant tokens of self-built (internal) apps: `POST /open-apis/auth/v3/tenant_access_token/internal`
//! and `/app_access_token/internal`. Flat bodies; errors 10003 / 10014 with HTTP 200.

use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use serde::Serialize;
use tessera_service::token_request::AppTokens;
use tessera_service::{IssuedToken, Tessera};

use super::error::{AuthV3, FeishuCode, FeishuError, app_token_error, ok};
use super::params;
use crate::app_token::app_token;

#[derive(Serialize)]
struct TenantToken {
    code: i64,
    msg: &'static str,
    tenant_access_token: String,
    expire: i64,
}

#[derive(Serialize)]
struct AppToken {
    app_access_token: String,
    code: i64,
    expire: i64,
    msg: &'static str,
    tenant_access_token: String,
}

/// Issues the internal app's token from `{app_id, app_secret}` (other fields ignored).
async fn internal_token(
    tessera: &Tessera,
    headers: &HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<IssuedToken, FeishuError> {
    let params = params(headers, raw)?;
    let Some(app_id) = params.get("app_id") else {
        return Err(FeishuError::token(FeishuCode::InvalidParam, "invalid param: app_id is required"));
    };
    let Some(secret) = params.get("app_secret") else {
        return Err(FeishuError::token(FeishuCode::InvalidParam, "invalid param: app_secret is required"));
    };
    app_token(tessera, app_id.to_owned(), secret.to_owned(), None, AppTokens::InternalOnly)
        .await
        .map_err(|e| app_token_error(e, AuthV3::Internal))
}

pub async fn tenant_internal(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let t = internal_token(&tessera, &headers, raw).await?;
    Ok(ok(TenantToken { code: 0, msg: "ok", tenant_access_token: t.token.expose().to_owned(), expire: t.expires_in }))
}

/// A self-built app's app token is its tenant token (Feishu answers both keys).
pub async fn app_internal(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let t = internal_token(&tessera, &headers, raw).await?;
    let token = t.token.expose().to_owned();
    Ok(ok(AppToken {
        app_access_token: token.clone(),
        code: 0,
        expire: t.expires_in,
        msg: "ok",
        tenant_access_token: token,
    }))
}
