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
use tessera_service::{ClientAuth, ClientProof, DialectRules, Grant, GrantError, Tessera, TokenRequest};

use super::error::{DingTalkError, TokenOperation, grant_error};
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

pub async fn get_user_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<GetUserTokenResponse>, DingTalkError> {
    let req: GetUserTokenRequest = body::json(&headers, raw)?;
    let fail = |e| grant_error(e, TokenOperation::CamelCase);
    let client_id = req.client_id.ok_or_else(|| fail(GrantError::UnknownClient))?;
    let client = ClientProof::Credentials(ClientAuth { client_id, secret: req.client_secret.map(Secret::new) });
    let missing =
        |what: &str| DingTalkError::new(StatusCode::BAD_REQUEST, "MissingParameter", format!("{what} is required"));
    let grant = match req.grant_type.as_deref() {
        Some("authorization_code") => Grant::AuthorizationCode {
            code: req.code.ok_or_else(|| missing("code"))?,
            redirect_uri: None,
            code_verifier: None,
        },
        Some("refresh_token") => Grant::RefreshToken {
            refresh_token: req.refresh_token.ok_or_else(|| missing("refreshToken"))?,
            scopes: None,
        },
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
