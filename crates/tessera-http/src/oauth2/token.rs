//! `POST /oauth2/token`. Grants: `client_credentials` (app and corp tokens; `corp_id` names
//! the org, internal apps may leave it out), `authorization_code` (with PKCE; a code from the
//! admin-consent flow gives the app's token in that org instead of a user token),
//! `refresh_token` (rotation: single use, reuse revokes the family) and the device code
//! (RFC 8628).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use serde::Serialize;
use tessera_core::consent::parse_scope_string;
use tessera_core::ids::ScopeCode;
use tessera_service::Tessera;
use tessera_service::user_tokens::{ClientAuth, CodeExchange, UserTokenPair};

use super::client_auth::{client_auth, param};
use super::error::{OAuthError, OAuthErrorCode};
use crate::body;

/// The device-code grant type of RFC 8628.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

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

fn scope_text(scopes: &[ScopeCode]) -> String {
    scopes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
}

fn no_store(body: TokenResponse) -> Response {
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn user_pair(pair: UserTokenPair) -> Response {
    no_store(TokenResponse {
        access_token: pair.access_token.expose().to_owned(),
        token_type: "Bearer",
        expires_in: pair.expires_in,
        refresh_token: Some(pair.refresh_token.expose().to_owned()),
        scope: Some(scope_text(&pair.scopes)),
        id_token: pair.id_token,
    })
}

fn scope_param(pairs: &[(String, String)]) -> Result<Option<Vec<ScopeCode>>, OAuthError> {
    param(pairs, "scope")
        .map(|s| parse_scope_string(s).map_err(|e| OAuthError::new(OAuthErrorCode::InvalidScope, e.to_string())))
        .transpose()
}

fn required<'a>(pairs: &'a [(String, String)], name: &str) -> Result<&'a str, OAuthError> {
    param(pairs, name).ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
}

pub async fn token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let pairs = body::form_pairs(raw)?;
    let grant = required(&pairs, "grant_type")?;
    let auth = client_auth(&headers, &pairs)?;
    match grant {
        "client_credentials" => client_credentials(&tessera, auth, &pairs).await,
        "authorization_code" => {
            let code = required(&pairs, "code")?;
            let exchanged = tessera
                .exchange_any_code(&auth, code, param(&pairs, "redirect_uri"), param(&pairs, "code_verifier"))
                .await?;
            Ok(match exchanged {
                CodeExchange::User(pair) => user_pair(pair),
                CodeExchange::Org { token, scopes } => no_store(TokenResponse {
                    access_token: token.token.expose().to_owned(),
                    token_type: "Bearer",
                    expires_in: token.expires_in,
                    refresh_token: None,
                    scope: Some(scope_text(&scopes)),
                    id_token: None,
                }),
            })
        }
        "refresh_token" => {
            let refresh = required(&pairs, "refresh_token")?;
            Ok(user_pair(tessera.refresh(&auth, refresh, scope_param(&pairs)?).await?))
        }
        DEVICE_CODE_GRANT => {
            let device_code = required(&pairs, "device_code")?;
            Ok(user_pair(tessera.poll_device(&auth, device_code).await?))
        }
        other => Err(OAuthError::new(
            OAuthErrorCode::UnsupportedGrantType,
            format!(
                "grant_type {other:?} is not supported; use client_credentials, authorization_code, refresh_token or {DEVICE_CODE_GRANT}"
            ),
        )),
    }
}

async fn client_credentials(
    tessera: &Tessera,
    auth: ClientAuth,
    pairs: &[(String, String)],
) -> Result<Response, OAuthError> {
    let Some(secret) = auth.secret else {
        return Err(OAuthError::new(OAuthErrorCode::InvalidClient, "client_credentials needs the client secret"));
    };
    let requested = scope_param(pairs)?;
    let issued = tessera
        .issue_app_token_for(&auth.client_id, &secret, param(pairs, "corp_id"), param(pairs, "resource"))
        .await?;
    if let Some(scopes) = &requested {
        let missing = tessera
            .missing_scopes(&auth.client_id, &issued.corp_id, scopes)
            .await
            .map_err(|e| OAuthError::store_failed(&e))?;
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("{} ({})", m.scope, m.reason.as_str())).collect();
            return Err(OAuthError::new(
                OAuthErrorCode::InvalidScope,
                format!("the app does not hold these scopes in {}: {}", issued.corp_id, list.join(", ")),
            ));
        }
    }
    Ok(no_store(TokenResponse {
        access_token: issued.token.expose().to_owned(),
        token_type: "Bearer",
        expires_in: issued.expires_in,
        refresh_token: None,
        scope: requested.map(|s| scope_text(&s)),
        id_token: None,
    }))
}
