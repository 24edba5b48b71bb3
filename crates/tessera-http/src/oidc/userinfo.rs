//! `GET` and `POST /oauth2/userinfo` (OIDC Core §5.3) with a Bearer token in the
//! `Authorization` header (RFC 6750 §2.1) or, for POST, the `access_token` form field (§2.2);
//! errors as RFC 6750 §3 says: 401 `invalid_token`/`invalid_request` or 403
//! `insufficient_scope`, with `WWW-Authenticate`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;
use tessera_service::Tessera;
use tessera_service::oidc::userinfo::UserInfoError;

fn refuse(status: StatusCode, error: &str, description: &str) -> Response {
    let mut res = (status, Json(json!({"error": error, "error_description": description}))).into_response();
    let challenge = format!(r#"Bearer realm="tessera", error="{error}", error_description="{description}""#);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

fn bearer(headers: &HeaderMap) -> Result<Option<String>, &'static str> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    match text.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err("the Authorization header must be Bearer <token>"),
    }
}

async fn answer(tessera: &Tessera, token: Option<String>) -> Response {
    let Some(token) = token else {
        // RFC 6750 §3.1: a request without credentials gets the bare challenge.
        let mut res = (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_request", "error_description": "a Bearer access token is required"})),
        )
            .into_response();
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Bearer realm="tessera""#));
        return res;
    };
    match tessera.userinfo(&token).await {
        Ok(claims) => Json(claims).into_response(),
        Err(UserInfoError::InvalidToken(why)) => refuse(StatusCode::UNAUTHORIZED, "invalid_token", why),
        Err(UserInfoError::InsufficientScope) => {
            let mut res =
                refuse(StatusCode::FORBIDDEN, "insufficient_scope", "the access token lacks the openid scope");
            if let Ok(v) =
                HeaderValue::from_str(r#"Bearer realm="tessera", error="insufficient_scope", scope="openid""#)
            {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            res
        }
        Err(UserInfoError::Store(e)) => {
            let status =
                if e.is_unavailable() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::INTERNAL_SERVER_ERROR };
            tracing::warn!(error = %e, "userinfo failed");
            (
                status,
                Json(
                    json!({"error": "server_error", "error_description": "the claims could not be read; retry later"}),
                ),
            )
                .into_response()
        }
    }
}

pub async fn get_userinfo(State(tessera): State<Tessera>, headers: HeaderMap) -> Response {
    match bearer(&headers) {
        Ok(token) => answer(&tessera, token).await,
        Err(why) => refuse(StatusCode::UNAUTHORIZED, "invalid_request", why),
    }
}

pub async fn post_userinfo(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let header_token = match bearer(&headers) {
        Ok(t) => t,
        Err(why) => return refuse(StatusCode::UNAUTHORIZED, "invalid_request", why),
    };
    let form_token = match crate::body::form_pairs(raw) {
        Ok(pairs) => pairs.into_iter().find(|(k, _)| k == "access_token").map(|(_, v)| v),
        Err(_) => None,
    };
    match (header_token, form_token) {
        // RFC 6750 §2: one method per request.
        (Some(_), Some(_)) => {
            refuse(StatusCode::BAD_REQUEST, "invalid_request", "send the access token in one place only")
        }
        (h, f) => answer(&tessera, h.or(f)).await,
    }
}
