//! `POST /v1.0/oauth2/userAccessToken` (GetUserToken): `grantType` `authorization_code`
//! (with `code`, the `authCode` of `/oauth2/auth`) or `refresh_token` (with `refreshToken`).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use tessera_core::consent::is_protocol_scope;
use tessera_core::secret::Secret;
use tessera_service::{ClientAuth, ClientProof, DialectRules, Grant, GrantError, Tessera, TokenRequest};

use super::error::{DingTalkError, TokenOperation, grant_error};
use crate::params::{self, Params};

/// The fields of a GetUserToken body (camelCase JSON).
const FIELDS: [&str; 5] = ["clientId", "clientSecret", "code", "grantType", "refreshToken"];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUserTokenResponse {
    access_token: String,
    refresh_token: String,
    expire_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    corp_id: Option<String>,
}

pub async fn get_user_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<GetUserTokenResponse>, DingTalkError> {
    let req = Params::read(&headers, raw, params::DINGTALK)?;
    req.require_strings(&FIELDS)?;
    let fail = |e| grant_error(e, TokenOperation::CamelCase);
    let client_id = req.get("clientId").ok_or_else(|| fail(GrantError::UnknownClient))?.to_owned();
    let client = ClientProof::Credentials(ClientAuth { client_id, secret: req.get("clientSecret").map(Secret::new) });
    let required = |name: &str| {
        let missing = || DingTalkError::new(StatusCode::BAD_REQUEST, "MissingParameter", format!("{name} is required"));
        req.get(name).map(str::to_owned).ok_or_else(missing)
    };
    let grant = match req.get("grantType") {
        Some("authorization_code") => {
            Grant::AuthorizationCode { code: required("code")?, redirect_uri: None, code_verifier: None }
        }
        Some("refresh_token") => Grant::RefreshToken { refresh_token: required("refreshToken")?, scopes: None },
        _ => {
            return Err(DingTalkError::new(
                StatusCode::BAD_REQUEST,
                "unsupported.grant.type",
                "grantType must be authorization_code or refresh_token",
            ));
        }
    };
    // An admin-consent code gives the approving admin's delegated user token here.
    let answer = tessera.token(TokenRequest::new(client, grant, DialectRules::default())).await.map_err(fail)?;
    let pair = answer.into_user().ok_or_else(|| fail(GrantError::unexpected_answer()))?;
    let wants_corp = pair.scopes.iter().any(|s| is_protocol_scope(s) && s.as_str() == "corpid");
    Ok(Json(GetUserTokenResponse {
        access_token: pair.access_token.expose().to_owned(),
        refresh_token: pair.refresh_token.expose().to_owned(),
        expire_in: pair.expires_in,
        corp_id: if wants_corp { pair.corp_id.map(String::from) } else { None },
    }))
}
