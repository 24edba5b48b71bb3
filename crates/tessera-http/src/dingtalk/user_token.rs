//! `POST /v1.0/oauth2/userAccessToken` (GetUserToken): `grantType` `authorization_code`
//! (with `code`, the `authCode` of `/oauth2/auth`) or `refresh_token` (with `refreshToken`).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tessera_core::consent::is_protocol_scope;
use tessera_core::secret::Secret;
use tessera_service::Tessera;
use tessera_service::user_tokens::{ClientAuth, GrantError};

use super::error::DingTalkError;
use crate::body;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUserTokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    grant_type: Option<String>,
    refresh_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUserTokenResponse {
    access_token: String,
    refresh_token: String,
    expire_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    corp_id: Option<String>,
}

fn grant_error(e: GrantError) -> DingTalkError {
    match e {
        GrantError::InvalidClient => DingTalkError::new(
            StatusCode::BAD_REQUEST,
            "invalidClientIdOrSecret",
            "无效的clientId或者clientSecret (invalid client id or secret)",
        ),
        GrantError::InvalidGrant(m) | GrantError::InvalidScope(m) | GrantError::InvalidRequest(m) => {
            DingTalkError::new(StatusCode::BAD_REQUEST, "invalid.grant", m)
        }
        GrantError::UnauthorizedClient(m) => DingTalkError::new(StatusCode::UNAUTHORIZED, "unauthorized.client", m),
        GrantError::Refresh(r) => DingTalkError::new(StatusCode::BAD_REQUEST, "invalid.grant", r.to_string()),
        GrantError::Device(d) => DingTalkError::new(StatusCode::BAD_REQUEST, "invalid.grant", d.to_string()),
        // DingTalk's own rate-limit answer (no DingTalk endpoint starts device flows today).
        e @ GrantError::TooManyRequests { .. } => {
            DingTalkError::new(StatusCode::FORBIDDEN, "Forbidden.AccessDenied.QpsLimitForApi", e.to_string())
        }
        GrantError::Store(e) => DingTalkError::store_failed(&e),
    }
}

pub async fn get_user_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<GetUserTokenResponse>, DingTalkError> {
    let req: GetUserTokenRequest = body::json(&headers, raw)?;
    let client_id = req.client_id.ok_or_else(|| grant_error(GrantError::InvalidClient))?;
    let auth = ClientAuth { client_id, secret: req.client_secret.map(Secret::new) };
    let missing =
        |what: &str| DingTalkError::new(StatusCode::BAD_REQUEST, "MissingParameter", format!("{what} is required"));
    let pair = match req.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = req.code.ok_or_else(|| missing("code"))?;
            tessera.exchange_code(&auth, &code, None, None).await.map_err(grant_error)?
        }
        Some("refresh_token") => {
            let refresh = req.refresh_token.ok_or_else(|| missing("refreshToken"))?;
            tessera.refresh(&auth, &refresh, None).await.map_err(grant_error)?
        }
        _ => {
            return Err(DingTalkError::new(
                StatusCode::BAD_REQUEST,
                "unsupported.grant.type",
                "grantType must be authorization_code or refresh_token",
            ));
        }
    };
    let wants_corp = pair.scopes.iter().any(|s| is_protocol_scope(s) && s.as_str() == "corpid");
    Ok(Json(GetUserTokenResponse {
        access_token: pair.access_token.expose().to_owned(),
        refresh_token: pair.refresh_token.expose().to_owned(),
        expire_in: pair.expires_in,
        corp_id: if wants_corp { pair.corp_id.map(String::from) } else { None },
    }))
}
