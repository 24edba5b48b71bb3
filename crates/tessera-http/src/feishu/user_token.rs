//! User tokens: the legacy `authen/v1` endpoints (the app authenticates with its
//! `app_access_token`; answers wrapped in `data`), OAuth v2 `/open-apis/authen/v2/oauth/token`
//! and v3 `/oauth/v3/token` (client id and secret in the body or HTTP Basic, never both;
//! flat answers), and `/oauth/v1/revoke`. Refresh tokens rotate: each is single use.

use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use serde::Serialize;
use serde_json::json;
use tessera_core::consent::parse_scope_string;
use tessera_core::ids::ScopeCode;
use tessera_core::secret::Secret;
use tessera_service::Tessera;
use tessera_service::device::DeviceClientAuth;
use tessera_service::user_tokens::{ClientAuth, UserTokenPair};

use super::error::{FeishuCode, FeishuError, Shape, grant_error, ok};
use super::{param, params};
use crate::client_addr::ClientAddr;
use crate::gateway::access_token;

fn scope_text(scopes: &[ScopeCode]) -> String {
    scopes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
}

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

/// The app behind the `Authorization: Bearer <app_access_token>` of the v1 endpoints.
async fn bearer_app(
    tessera: &Tessera,
    headers: &HeaderMap,
) -> Result<std::sync::Arc<tessera_core::app::App>, FeishuError> {
    let token = access_token(headers).ok_or_else(FeishuError::missing_token)?;
    tessera
        .app_for_token(token)
        .await
        .map_err(|_| FeishuError::api(FeishuCode::InvalidAppToken, "invalid app_access_token"))
}

async fn v1_pair(
    tessera: &Tessera,
    headers: &HeaderMap,
    raw: Result<Bytes, BytesRejection>,
    refresh: bool,
) -> Result<UserTokenPair, FeishuError> {
    let app = bearer_app(tessera, headers).await?;
    let pairs =
        params(headers, raw).map_err(|e| FeishuError::api(FeishuCode::InvalidParam, format!("invalid param: {e}")))?;
    let grant = param(&pairs, "grant_type");
    let missing = |name: &str| FeishuError::api(FeishuCode::InvalidParam, format!("invalid param: {name} is required"));
    let result = if refresh {
        if grant != Some("refresh_token") {
            return Err(FeishuError::api(FeishuCode::InvalidParam, "invalid param: grant_type must be refresh_token"));
        }
        let token = param(&pairs, "refresh_token").ok_or_else(|| missing("refresh_token"))?;
        tessera.refresh_as(&app, token, None).await
    } else {
        if grant != Some("authorization_code") {
            return Err(FeishuError::api(
                FeishuCode::InvalidParam,
                "invalid param: grant_type must be authorization_code",
            ));
        }
        let code = param(&pairs, "code").ok_or_else(|| missing("code"))?;
        tessera.exchange_code_as(&app, code, None, param(&pairs, "code_verifier")).await
    };
    result.map_err(|e| grant_error(e, Shape::Envelope))
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
    let store = tessera.store();
    let user = store.user(&pair.union_id).await.map_err(|e| grant_error(e.into(), Shape::Envelope))?;
    let member = match &pair.corp_id {
        Some(c) => {
            store.member_by_union(c, &pair.union_id).await.map_err(|e| grant_error(e.into(), Shape::Envelope))?
        }
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

/// Client credentials from the body (`client_id`/`client_secret`) or HTTP Basic; both at
/// once is 20070.
pub fn client_auth(headers: &HeaderMap, pairs: &[(String, String)]) -> Result<ClientAuth, FeishuError> {
    let basic = match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(v) if v.len() > 6 && v[..6].eq_ignore_ascii_case("basic ") => {
            let bad = || oauth_err(FeishuCode::OAuthInvalidClient, "malformed Basic authorization header");
            let decoded = STANDARD.decode(v[6..].trim()).map_err(|_| bad())?;
            let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
            let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
            Some((id.to_owned(), secret.to_owned()))
        }
        _ => None,
    };
    let posted_id = param(pairs, "client_id").or_else(|| param(pairs, "app_id"));
    let posted_secret = param(pairs, "client_secret").or_else(|| param(pairs, "app_secret"));
    match (basic, posted_secret) {
        (Some(_), Some(_)) => Err(oauth_err(
            FeishuCode::TwoClientAuthMethods,
            "the client authenticated with both HTTP Basic and client_secret; use one",
        )),
        (Some((id, _)), None) if posted_id.is_some_and(|p| p != id) => {
            Err(oauth_err(FeishuCode::OAuthInvalidRequest, "client_id does not match the authenticated client"))
        }
        (Some((id, secret)), None) => Ok(ClientAuth { client_id: id, secret: Some(Secret::new(secret)) }),
        (None, secret) => match posted_id {
            Some(id) => Ok(ClientAuth { client_id: id.to_owned(), secret: secret.map(Secret::new) }),
            None => Err(oauth_err(FeishuCode::OAuthInvalidClient, "client_id is required")),
        },
    }
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
    token_endpoint(tessera, headers, raw, false).await
}

/// `POST /oauth/v3/token`: as v2, with the stricter PKCE rule.
pub async fn oauth_v3_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    token_endpoint(tessera, headers, raw, true).await
}

async fn token_endpoint(
    tessera: Tessera,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
    strict_pkce: bool,
) -> Result<Response, FeishuError> {
    let pairs = params(&headers, raw).map_err(|e| oauth_err(FeishuCode::OAuthInvalidRequest, e.to_string()))?;
    let auth = client_auth(&headers, &pairs)?;
    let required = |name: &str| {
        param(&pairs, name).ok_or_else(|| oauth_err(FeishuCode::OAuthInvalidRequest, format!("{name} is required")))
    };
    let shape = Shape::OAuth;
    match param(&pairs, "grant_type") {
        Some("authorization_code") => {
            let code = required("code")?;
            let (redirect_uri, verifier) = (param(&pairs, "redirect_uri"), param(&pairs, "code_verifier"));
            let pair = if strict_pkce {
                tessera.exchange_code_strict_pkce(&auth, code, redirect_uri, verifier).await
            } else {
                tessera.exchange_code(&auth, code, redirect_uri, verifier).await
            }
            .map_err(|e| grant_error(e, shape))?;
            Ok(oauth_pair(&tessera, pair))
        }
        Some("refresh_token") => {
            let token = required("refresh_token")?;
            let scope = param(&pairs, "scope")
                .map(|s| parse_scope_string(s).map_err(|e| oauth_err(FeishuCode::OAuthInvalidScope, e.to_string())))
                .transpose()?;
            let pair = tessera.refresh(&auth, token, scope).await.map_err(|e| grant_error(e, shape))?;
            Ok(oauth_pair(&tessera, pair))
        }
        Some(crate::oauth2::token::DEVICE_CODE_GRANT) => {
            let device_code = required("device_code")?;
            let pair = tessera.poll_device(&auth, device_code).await.map_err(|e| grant_error(e, shape))?;
            Ok(oauth_pair(&tessera, pair))
        }
        Some("client_credentials") => {
            let Some(secret) = auth.secret else {
                return Err(oauth_err(FeishuCode::OAuthInvalidClient, "client_credentials needs the client secret"));
            };
            let issued = tessera.issue_internal_token(&auth.client_id, &secret).await.map_err(|e| {
                let e = super::error::issue_error(e, true);
                match e.code() {
                    FeishuCode::AppSecretInvalid => {
                        oauth_err(FeishuCode::OAuthInvalidClient, "client authentication failed")
                    }
                    FeishuCode::ServerError | FeishuCode::Unavailable => e.in_shape(Shape::OAuth),
                    _ => oauth_err(FeishuCode::OAuthUnauthorizedClient, "the app may not use client_credentials here"),
                }
            })?;
            Ok(ok(json!({
                "code": 0,
                "access_token": issued.token.expose(),
                "expires_in": issued.expires_in,
                "token_type": "Bearer",
            })))
        }
        Some(other) => {
            Err(oauth_err(FeishuCode::OAuthUnsupportedGrantType, format!("grant_type {other:?} is not supported")))
        }
        None => Err(oauth_err(FeishuCode::OAuthInvalidRequest, "grant_type is required")),
    }
}

/// `POST /oauth/v1/revoke` (RFC 7009): `{}` on success, unknown tokens included.
pub async fn revoke(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let pairs = params(&headers, raw).map_err(|e| oauth_err(FeishuCode::OAuthInvalidRequest, e.to_string()))?;
    let auth = client_auth(&headers, &pairs)?;
    let token =
        param(&pairs, "token").ok_or_else(|| oauth_err(FeishuCode::OAuthInvalidRequest, "token is required"))?;
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
    let pairs = params(headers, raw).map_err(|e| oauth_err(FeishuCode::OAuthInvalidRequest, e.to_string()))?;
    // larksuite/cli sends the secret both in Basic and in the form: accept that here.
    let auth = match client_auth(headers, &pairs) {
        Err(e) if e.code() == FeishuCode::TwoClientAuthMethods => {
            let stripped: Vec<(String, String)> =
                pairs.iter().filter(|(k, _)| k != "client_secret" && k != "app_secret").cloned().collect();
            client_auth(headers, &stripped)?
        }
        other => other?,
    };
    let started = tessera
        .start_device(&auth.client_id, auth.secret.as_ref(), param(&pairs, "scope"), client.as_str(), rule)
        .await
        .map_err(|e| grant_error(e, Shape::OAuth))?;
    let mut res = ok(crate::oauth2::device::DeviceResponse::from(started));
    res.headers_mut().insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    Ok(res)
}
