//! User tokens: the legacy `authen/v1` endpoints (the app authenticates with its
//! `app_access_token`; answers wrapped in `data`), OAuth v2 `/open-apis/authen/v2/oauth/token`
//! and v3 `/oauth/v3/token` (client id and secret in the body or HTTP Basic, never both;
//! flat answers), and `/oauth/v1/revoke`. Refresh tokens rotate: each is single use.

use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use serde::Serialize;
use serde_json::json;
use tessera_service::device::DeviceClientAuth;
use tessera_service::token_request::{AppTokens, Pkce, scope_text};
use tessera_service::{ClientProof, DialectRules, Grant, GrantError, Tessera, TokenRequest, UserTokenPair};

use super::error::{FeishuCode, FeishuError, Shape, grant_error, ok};
use super::params;
use crate::client_addr::ClientAddr;
use crate::client_auth::{self, ClientAuthError, FEISHU_NAMES};
use crate::gateway::access_token;
use crate::params::Params;

#[derive(Serialize)]
struct V1Data {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_expires_in: i64,
    scope: String,
}

fn v1_data(tessera: &Tessera, pair: &UserTokenPair) -> V1Data {
    V1Data {
        access_token: pair.access_token.expose().to_owned(),
        refresh_token: pair.refresh_token.expose().to_owned(),
        token_type: "Bearer",
        expires_in: pair.expires_in,
        refresh_expires_in: tessera.config().user_tokens.refresh_ttl,
        scope: scope_text(&pair.scopes),
    }
}

/// The legacy v1 token endpoints: the app authenticates with `Authorization: Bearer
/// <app_access_token>`; `refresh` picks the refresh endpoint's grant.
async fn v1_pair(
    tessera: &Tessera,
    headers: &HeaderMap,
    raw: Result<Bytes, BytesRejection>,
    refresh: bool,
) -> Result<UserTokenPair, FeishuError> {
    let app_token = access_token(headers).ok_or_else(FeishuError::missing_token)?;
    let params =
        params(headers, raw).map_err(|e| FeishuError::api(FeishuCode::InvalidParam, format!("invalid param: {e}")))?;
    let grant_type = params.get("grant_type");
    let missing = |name: &str| FeishuError::api(FeishuCode::InvalidParam, format!("invalid param: {name} is required"));
    let grant = if refresh {
        if grant_type != Some("refresh_token") {
            return Err(FeishuError::api(FeishuCode::InvalidParam, "invalid param: grant_type must be refresh_token"));
        }
        let refresh_token = params.get("refresh_token").ok_or_else(|| missing("refresh_token"))?.to_owned();
        Grant::RefreshToken { refresh_token, scopes: None }
    } else {
        if grant_type != Some("authorization_code") {
            return Err(FeishuError::api(
                FeishuCode::InvalidParam,
                "invalid param: grant_type must be authorization_code",
            ));
        }
        let code = params.get("code").ok_or_else(|| missing("code"))?.to_owned();
        Grant::AuthorizationCode {
            code,
            redirect_uri: None,
            code_verifier: params.get("code_verifier").map(str::to_owned),
        }
    };
    let client = ClientProof::AppToken(app_token.to_owned());
    user_pair(tessera, TokenRequest::new(client, grant, DialectRules::default()), Shape::Envelope).await
}

/// Runs a request that can only give a user token.
async fn user_pair(tessera: &Tessera, request: TokenRequest, shape: Shape) -> Result<UserTokenPair, FeishuError> {
    let answer = tessera.token(request).await.map_err(|e| grant_error(e, shape))?;
    answer.into_user().ok_or_else(|| grant_error(GrantError::unexpected_answer(), shape))
}

/// `POST /open-apis/authen/v1/oidc/access_token`.
pub async fn v1_access_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let pair = v1_pair(&tessera, &headers, raw, false).await?;
    Ok(ok(json!({"code": 0, "msg": "success", "data": v1_data(&tessera, &pair)})))
}

/// `POST /open-apis/authen/v1/oidc/refresh_access_token`.
pub async fn v1_refresh(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let pair = v1_pair(&tessera, &headers, raw, true).await?;
    Ok(ok(json!({"code": 0, "msg": "success", "data": v1_data(&tessera, &pair)})))
}

/// The oldest `authen/v1/access_token` answers the user's fields next to the tokens.
async fn with_user(tessera: &Tessera, pair: &UserTokenPair) -> Result<serde_json::Value, FeishuError> {
    let mut data = serde_json::to_value(v1_data(tessera, pair)).unwrap_or_default();
    let failed = |e: tessera_store::StoreError| FeishuError::store_failed(Shape::Envelope, &e);
    let user = tessera.user(&pair.union_id).await.map_err(failed)?;
    let member = match &pair.corp_id {
        Some(c) => tessera.member_by_union(c, &pair.union_id).await.map_err(failed)?,
        None => None,
    };
    if let Some(obj) = data.as_object_mut() {
        let name = member.as_ref().map(|m| m.name.clone()).or(user.map(|u| u.user.name)).unwrap_or_default();
        obj.insert("name".into(), json!(name));
        obj.insert("en_name".into(), json!(name));
        obj.insert("open_id".into(), json!(pair.union_id.as_str()));
        obj.insert("union_id".into(), json!(pair.union_id.as_str()));
        obj.insert("user_id".into(), json!(member.map(|m| m.user_id.to_string())));
        obj.insert("tenant_key".into(), json!(pair.corp_id.as_ref().map(|c| c.to_string())));
    }
    Ok(data)
}

/// `POST /open-apis/authen/v1/access_token`.
pub async fn v1_access_token_with_user(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let pair = v1_pair(&tessera, &headers, raw, false).await?;
    Ok(ok(json!({"code": 0, "msg": "success", "data": with_user(&tessera, &pair).await?})))
}

/// `POST /open-apis/authen/v1/refresh_access_token`.
pub async fn v1_refresh_with_user(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let pair = v1_pair(&tessera, &headers, raw, true).await?;
    Ok(ok(json!({"code": 0, "msg": "success", "data": with_user(&tessera, &pair).await?})))
}

fn oauth_err(code: FeishuCode, msg: impl Into<String>) -> FeishuError {
    FeishuError::oauth(code, msg)
}

#[derive(Serialize)]
struct OAuthToken {
    code: i64,
    access_token: String,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<i64>,
    token_type: &'static str,
    scope: String,
}

/// A user pair as OAuth v2/v3 answer it: the refresh token only with `offline_access`.
pub fn oauth_pair(tessera: &Tessera, pair: UserTokenPair) -> Response {
    let offline = pair.scopes.iter().any(|s| s.as_str() == "offline_access");
    let mut res = ok(OAuthToken {
        code: 0,
        access_token: pair.access_token.expose().to_owned(),
        expires_in: pair.expires_in,
        refresh_token: offline.then(|| pair.refresh_token.expose().to_owned()),
        refresh_token_expires_in: offline.then_some(tessera.config().user_tokens.refresh_ttl),
        token_type: "Bearer",
        scope: scope_text(&pair.scopes),
    });
    res.headers_mut().insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    res
}

/// `POST /open-apis/authen/v2/oauth/token`.
pub async fn oauth_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    token_endpoint(tessera, headers, raw, Pkce::Lenient).await
}

/// `POST /oauth/v3/token`: as v2, with the stricter PKCE rule.
pub async fn oauth_v3_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    token_endpoint(tessera, headers, raw, Pkce::Strict).await
}

/// The wire request of OAuth v2/v3 as one typed grant.
fn grant(params: &Params) -> Result<Grant, FeishuError> {
    let required = |name: &str| {
        params
            .get(name)
            .map(str::to_owned)
            .ok_or_else(|| oauth_err(FeishuCode::OAuthInvalidRequest, format!("{name} is required")))
    };
    let opt = |name: &str| params.get(name).map(str::to_owned);
    Ok(match params.get("grant_type") {
        Some("authorization_code") => Grant::AuthorizationCode {
            code: required("code")?,
            redirect_uri: opt("redirect_uri"),
            code_verifier: opt("code_verifier"),
        },
        Some("refresh_token") => {
            let refresh_token = required("refresh_token")?;
            let scopes = params.scopes().map_err(|e| oauth_err(FeishuCode::OAuthInvalidScope, e.to_string()))?;
            Grant::RefreshToken { refresh_token, scopes }
        }
        Some(crate::oauth2::token::DEVICE_CODE_GRANT) => Grant::DeviceCode { device_code: required("device_code")? },
        Some("client_credentials") => Grant::ClientCredentials { corp_id: None, scopes: None },
        Some(other) => {
            return Err(oauth_err(
                FeishuCode::OAuthUnsupportedGrantType,
                format!("grant_type {other:?} is not supported"),
            ));
        }
        None => return Err(oauth_err(FeishuCode::OAuthInvalidRequest, "grant_type is required")),
    })
}

async fn token_endpoint(
    tessera: Tessera,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
    pkce: Pkce,
) -> Result<Response, FeishuError> {
    let params = params(&headers, raw).map_err(|e| oauth_err(FeishuCode::OAuthInvalidRequest, e.to_string()))?;
    let client = ClientProof::Credentials(client_auth::read(&headers, &params, FEISHU_NAMES)?);
    let grant = grant(&params)?;
    let rules = DialectRules { pkce, app_tokens: AppTokens::InternalOnly, ..DialectRules::default() };
    let answer =
        tessera.token(TokenRequest::new(client, grant, rules)).await.map_err(|e| grant_error(e, Shape::OAuth))?;
    match answer {
        tessera_service::TokenAnswer::User(pair) => Ok(oauth_pair(&tessera, pair)),
        tessera_service::TokenAnswer::App { token, .. } | tessera_service::TokenAnswer::Org { token, .. } => {
            Ok(ok(json!({
                "code": 0,
                "access_token": token.token.expose(),
                "expires_in": token.expires_in,
                "token_type": "Bearer",
            })))
        }
    }
}

/// `POST /oauth/v1/revoke` (RFC 7009): `{}` on success, unknown tokens included.
pub async fn revoke(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let params = params(&headers, raw).map_err(|e| oauth_err(FeishuCode::OAuthInvalidRequest, e.to_string()))?;
    let auth = client_auth::read(&headers, &params, FEISHU_NAMES)?;
    let token = params.get("token").ok_or_else(|| oauth_err(FeishuCode::OAuthInvalidRequest, "token is required"))?;
    tessera.revoke(&auth, token).await.map_err(|e| grant_error(e, Shape::OAuth))?;
    let mut res = ok(json!({}));
    *res.status_mut() = StatusCode::OK;
    Ok(res)
}

/// `POST /oauth/v1/device_authorization` (form, HTTP Basic; larksuite/cli): the RFC 8628
/// answer, flat. A confidential app authenticates with its secret.
pub async fn device_authorization(
    State(tessera): State<Tessera>,
    client: ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    start_device(&tessera, &client, &headers, raw, DeviceClientAuth::Required).await
}

/// `POST /open-apis/authen/v2/oauth/device_authorization` (JSON): as above, but lark-oapi's
/// `DeviceFlowClient` sends the app id alone, so the secret is checked only when sent (the
/// tokens still go only to a poll with the secret).
pub async fn device_authorization_v2(
    State(tessera): State<Tessera>,
    client: ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    start_device(&tessera, &client, &headers, raw, DeviceClientAuth::WhenSent).await
}

async fn start_device(
    tessera: &Tessera,
    client: &ClientAddr,
    headers: &HeaderMap,
    raw: Result<Bytes, BytesRejection>,
    rule: DeviceClientAuth,
) -> Result<Response, FeishuError> {
    let params = params(headers, raw).map_err(|e| oauth_err(FeishuCode::OAuthInvalidRequest, e.to_string()))?;
    // larksuite/cli sends the secret both in Basic and in the form: accept that here.
    let auth = match client_auth::read(headers, &params, FEISHU_NAMES) {
        Err(ClientAuthError::BothMethods) => {
            client_auth::read(headers, &params.without(FEISHU_NAMES.secret), FEISHU_NAMES)?
        }
        other => other?,
    };
    let started = tessera
        .start_device(&auth.client_id, auth.secret.as_ref(), params.get("scope"), client.as_str(), rule)
        .await
        .map_err(|e| grant_error(e, Shape::OAuth))?;
    let mut res = ok(crate::oauth2::device::DeviceResponse::from(started));
    res.headers_mut().insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    Ok(res)
}
