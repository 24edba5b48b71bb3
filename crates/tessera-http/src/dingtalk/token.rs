//! `POST /v1.0/oauth2/{corpId}/token` (GetToken, snake_case) and
//! `POST /v1.0/oauth2/accessToken` (GetAccessToken, camelCase).

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tessera_service::Tessera;
use tessera_service::token_request::AppTokens;

use super::error::{DingTalkError, TokenOperation, grant_error};
use crate::app_token::app_token;
use crate::body;

#[derive(Deserialize)]
pub struct GetTokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
}

#[derive(Serialize)]
pub struct GetTokenResponse {
    access_token: String,
    expires_in: i64,
}

pub async fn get_token(
    State(tessera): State<Tessera>,
    Path(corp_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<GetTokenResponse>, DingTalkError> {
    let req: GetTokenRequest = body::json(&headers, raw)?;
    if req.grant_type.as_deref() != Some("client_credentials") {
        return Err(DingTalkError::new(StatusCode::BAD_REQUEST, "unsupported.grant.type", "unsupported.grant.type"));
    }
    let (Some(client_id), Some(secret)) = (req.client_id, req.client_secret) else {
        return Err(DingTalkError::new(StatusCode::BAD_REQUEST, "invalid.client", "invalid.client"));
    };
    let issued = app_token(&tessera, client_id, secret, Some(corp_id), AppTokens::AnyOrgApp)
        .await
        .map_err(|e| grant_error(e, TokenOperation::GetToken))?;
    Ok(Json(GetTokenResponse { access_token: issued.token.expose().to_owned(), expires_in: issued.expires_in }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetAccessTokenRequest {
    app_key: Option<String>,
    app_secret: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetAccessTokenResponse {
    access_token: String,
    expire_in: i64,
}

pub async fn get_access_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<GetAccessTokenResponse>, DingTalkError> {
    let req: GetAccessTokenRequest = body::json(&headers, raw)?;
    let (Some(key), Some(secret)) = (req.app_key, req.app_secret) else {
        return Err(grant_error(tessera_service::GrantError::SecretMissing, TokenOperation::CamelCase));
    };
    let issued = app_token(&tessera, key, secret, None, AppTokens::InternalOnly)
        .await
        .map_err(|e| grant_error(e, TokenOperation::CamelCase))?;
    Ok(Json(GetAccessTokenResponse { access_token: issued.token.expose().to_owned(), expire_in: issued.expires_in }))
}
