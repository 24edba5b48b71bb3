//! `POST /oauth2/token`. Grants: `client_credentials` (app and corp tokens; `corp_id` names
//! the org, internal apps may leave it out; `scope` limits the token), `authorization_code`
//! (with PKCE; a code from the admin-consent flow gives the app's token in that org instead
//! of a user token), `refresh_token` (rotation: single use, reuse revokes the family) and the
//! device code (RFC 8628). The request is parsed here; the service answers.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use serde::Serialize;
use tessera_service::token_request::{AdminConsentCode, scope_text};
use tessera_service::{ClientProof, DialectRules, Grant, Tessera, TokenAnswer, TokenRequest};

use super::error::{OAuthError, OAuthErrorCode};
use crate::client_auth::{self, OAUTH2_NAMES};
use crate::params::{self, Params};

/// The device-code grant type of RFC 8628.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `/oauth2/token`'s rules: RFC 7636 PKCE; an admin-consent code gives the org's token.
const RULES: DialectRules = DialectRules {
    pkce: tessera_service::token_request::Pkce::Lenient,
    admin_consent_code: AdminConsentCode::OrgToken,
    app_tokens: tessera_service::token_request::AppTokens::AnyOrgApp,
};

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

fn no_store(body: TokenResponse) -> Response {
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn required(params: &Params, name: &str) -> Result<String, OAuthError> {
    params.get(name).map(str::to_owned).ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
}

/// The wire request as one typed grant.
fn grant(params: &Params) -> Result<Grant, OAuthError> {
    let scopes = || params.scopes().map_err(|e| OAuthError::new(OAuthErrorCode::InvalidScope, e.to_string()));
    let opt = |name: &str| params.get(name).map(str::to_owned);
    Ok(match required(params, "grant_type")?.as_str() {
        "client_credentials" => Grant::ClientCredentials { corp_id: opt("corp_id"), scopes: scopes()? },
        "authorization_code" => Grant::AuthorizationCode {
            code: required(params, "code")?,
            redirect_uri: opt("redirect_uri"),
            code_verifier: opt("code_verifier"),
        },
        "refresh_token" => Grant::RefreshToken { refresh_token: required(params, "refresh_token")?, scopes: scopes()? },
        DEVICE_CODE_GRANT => Grant::DeviceCode { device_code: required(params, "device_code")? },
        other => {
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                format!(
                    "grant_type {other:?} is not supported; use client_credentials, authorization_code, refresh_token or {DEVICE_CODE_GRANT}"
                ),
            ));
        }
    })
}

pub async fn token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let params = Params::read(&headers, raw, params::OAUTH2)?;
    required(&params, "grant_type")?;
    let client = ClientProof::Credentials(client_auth::read(&headers, &params, OAUTH2_NAMES)?);
    let grant = grant(&params)?;
    let answer = tessera.token(TokenRequest { client, grant, rules: RULES, resources: params.all("resource") }).await?;
    let id_token = match &answer {
        TokenAnswer::User(pair) => pair.id_token.clone(),
        _ => None,
    };
    let (access_token, expires_in, refresh_token, scope) = match answer {
        TokenAnswer::User(pair) => (
            pair.access_token.expose().to_owned(),
            pair.expires_in,
            Some(pair.refresh_token.expose().to_owned()),
            Some(scope_text(&pair.scopes)),
        ),
        TokenAnswer::App { token, scopes } => {
            (token.token.expose().to_owned(), token.expires_in, None, scopes.map(|s| scope_text(&s)))
        }
        TokenAnswer::Org { token, scopes } => {
            (token.token.expose().to_owned(), token.expires_in, None, Some(scope_text(&scopes)))
        }
    };
    Ok(no_store(TokenResponse { access_token, token_type: "Bearer", expires_in, refresh_token, scope, id_token }))
}
