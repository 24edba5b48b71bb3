//! The ISV suite operations: `POST /v1.0/oauth2/suiteAccessToken` (GetSuiteAccessToken),
//! `POST /v1.0/oauth2/corpAccessToken` (GetCorpAccessToken), `GET /v1.0/oauth2/apps/authInfo`
//! (GetAuthInfo, with the suite token), and Tessera's `POST /v1.0/oauth2/suiteTicket` for
//! suites that poll for their ticket instead of receiving pushes.

use axum::Json;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tessera_core::secret::Secret;
use tessera_service::suite::AuthInfo;
use tessera_service::{ClientProof, Tessera};

use super::error::{DingTalkError, TokenOperation, grant_error};
use crate::app_token::suite_token;
use crate::body;
use crate::gateway::access_token;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuiteTokenRequest {
    suite_key: Option<String>,
    suite_secret: Option<String>,
    suite_ticket: Option<String>,
    auth_corp_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    access_token: String,
    expire_in: i64,
}

fn missing(name: &str) -> DingTalkError {
    DingTalkError::new(StatusCode::BAD_REQUEST, "MissingParameter", format!("缺少参数 (missing parameter): {name}"))
}

/// The suite's proof (key, secret, ticket) and the org asked for.
fn credentials(req: SuiteTokenRequest) -> Result<(ClientProof, Option<String>), DingTalkError> {
    let client_id = req.suite_key.ok_or_else(|| missing("suiteKey"))?;
    let secret = Secret::new(req.suite_secret.ok_or_else(|| missing("suiteSecret"))?);
    let ticket = req.suite_ticket.ok_or_else(|| missing("suiteTicket"))?;
    Ok((ClientProof::SuiteTicket { client_id, secret, ticket }, req.auth_corp_id))
}

fn suite_error(e: tessera_service::GrantError) -> DingTalkError {
    grant_error(e, TokenOperation::Suite)
}

pub async fn suite_access_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<TokenResponse>, DingTalkError> {
    let (suite, _) = credentials(body::json(&headers, raw)?)?;
    let issued = suite_token(&tessera, suite, None).await.map_err(suite_error)?;
    Ok(Json(TokenResponse { access_token: issued.token.expose().to_owned(), expire_in: issued.expires_in }))
}

pub async fn corp_access_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<TokenResponse>, DingTalkError> {
    let (suite, corp) = credentials(body::json(&headers, raw)?)?;
    let corp = corp.ok_or_else(|| missing("authCorpId"))?;
    let issued = suite_token(&tessera, suite, Some(corp)).await.map_err(suite_error)?;
    Ok(Json(TokenResponse { access_token: issued.token.expose().to_owned(), expire_in: issued.expires_in }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthInfoQuery {
    auth_corp_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthInfoResponse {
    auth_corp_info: AuthCorpInfo,
    auth_user_info: AuthUserInfo,
    auth_app_info: AuthAppInfo,
    /// Tessera's addition (the SDK drops unknown keys): the scopes the app holds in the org.
    auth_scopes: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthCorpInfo {
    auth_channel: String,
    auth_channel_type: String,
    /// 1 for a verified org, 0 otherwise.
    auth_level: i64,
    corp_logo_url: String,
    corp_name: String,
    industry: String,
    invite_code: String,
    invite_url: String,
    license_code: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthUserInfo {
    user_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthAppInfo {
    agent_list: Vec<Agent>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    admin_list: Vec<String>,
    agent_id: i64,
    agent_name: String,
    app_id: i64,
}

/// DingTalk's numeric app ids, derived stably from the client id (Tessera's apps have none).
fn numeric_id(client_id: &str) -> i64 {
    let digest = tessera_core::secret::sha256(client_id.as_bytes());
    let mut bytes = [0u8; 8];
    bytes[2..].copy_from_slice(&digest[..6]);
    i64::from_be_bytes(bytes)
}

fn auth_info_body(info: AuthInfo) -> AuthInfoResponse {
    let id = numeric_id(info.app.client_id.as_str());
    AuthInfoResponse {
        auth_corp_info: AuthCorpInfo {
            auth_channel: String::new(),
            auth_channel_type: String::new(),
            auth_level: i64::from(info.org.verified),
            corp_logo_url: String::new(),
            corp_name: info.org.name,
            industry: String::new(),
            invite_code: String::new(),
            invite_url: String::new(),
            license_code: String::new(),
        },
        auth_user_info: AuthUserInfo { user_id: info.activated_by.map(String::from).unwrap_or_default() },
        auth_app_info: AuthAppInfo {
            agent_list: vec![Agent {
                admin_list: info.admins.into_iter().map(String::from).collect(),
                agent_id: id,
                agent_name: info.app.name.clone(),
                app_id: id,
            }],
        },
        auth_scopes: info.scopes.into_iter().map(String::from).collect(),
    }
}

pub async fn auth_info(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    query: Result<Query<AuthInfoQuery>, QueryRejection>,
) -> Result<Json<AuthInfoResponse>, DingTalkError> {
    let token = access_token(&headers).ok_or_else(DingTalkError::missing_token)?;
    let Ok(Query(q)) = query else {
        return Err(DingTalkError::new(StatusCode::BAD_REQUEST, "InvalidParameter", "the query could not be read"));
    };
    let corp = q.auth_corp_id.ok_or_else(|| missing("authCorpId"))?;
    let info = tessera.auth_info(token, &corp).await.map_err(suite_error)?;
    Ok(Json(auth_info_body(info)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketRequest {
    suite_key: Option<String>,
    suite_secret: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketResponse {
    suite_ticket: String,
    /// Unix milliseconds.
    issued_at: i64,
}

pub async fn suite_ticket(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<TicketResponse>, DingTalkError> {
    let req: TicketRequest = body::json(&headers, raw)?;
    let key = req.suite_key.ok_or_else(|| missing("suiteKey"))?;
    let secret = Secret::new(req.suite_secret.ok_or_else(|| missing("suiteSecret"))?);
    let current = tessera.current_suite_ticket(&key, &secret).await.map_err(suite_error)?;
    Ok(Json(TicketResponse { suite_ticket: current.ticket.expose().to_owned(), issued_at: current.issued_at.0 * 1000 }))
}
