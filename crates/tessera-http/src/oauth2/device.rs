//! `POST /oauth2/device_authorization` (RFC 8628 §3.1): form body, client authentication as
//! at the token endpoint (a confidential client sends its secret, a public one its id), at
//! most so many a minute per client address (then 429 `slow_down`).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use serde::Serialize;
use tessera_service::Tessera;
use tessera_service::device::{DeviceClientAuth, DeviceStart};

use super::error::OAuthError;
use crate::client_addr::ClientAddr;
use crate::client_auth::{self, OAUTH2_NAMES};
use crate::params::{self, Params};

/// The answer of RFC 8628 §3.2 (Feishu's device endpoints answer the same keys).
#[derive(Serialize)]
pub struct DeviceResponse {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: i64,
    interval: i64,
}

impl From<DeviceStart> for DeviceResponse {
    fn from(d: DeviceStart) -> Self {
        DeviceResponse {
            device_code: d.device_code.expose().to_owned(),
            user_code: d.user_code,
            verification_uri: d.verification_uri,
            verification_uri_complete: d.verification_uri_complete,
            expires_in: d.expires_in,
            interval: d.interval,
        }
    }
}

pub async fn device_authorization(
    State(tessera): State<Tessera>,
    client: ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let params = Params::read(&headers, raw, params::OAUTH2)?;
    let auth = client_auth::read(&headers, &params, OAUTH2_NAMES)?;
    let started = tessera
        .start_device_with_nonce(
            &auth.client_id,
            auth.secret.as_ref(),
            params.get("scope"),
            params.get("nonce"),
            client.as_str(),
            DeviceClientAuth::Required,
        )
        .await?;
    let mut res = Json(DeviceResponse::from(started)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
