//! `GET`/`PUT /api/v1/apps/{client_id}/oidc`: an operator reads or changes an app's OpenID
//! Connect settings (`id_token_signed_response_alg`, `subject_type`, `access_token_format`,
//! `resources`); a field left out keeps its value.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use bytes::Bytes;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use tessera_core::ids::ClientId;
use tessera_core::oidc::{OidcClient, OidcSettingsPatch};
use tessera_service::Tessera;

use super::auth::Caller;
use super::error::ApiError;
use crate::body;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettingsBody {
    #[serde(default)]
    id_token_signed_response_alg: Option<String>,
    #[serde(default)]
    subject_type: Option<String>,
    #[serde(default)]
    access_token_format: Option<String>,
    #[serde(default)]
    resources: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct OidcSettingsView {
    client_id: String,
    id_token_signed_response_alg: &'static str,
    subject_type: &'static str,
    access_token_format: &'static str,
    resources: Vec<String>,
}

impl From<OidcClient> for OidcSettingsView {
    fn from(c: OidcClient) -> Self {
        OidcSettingsView {
            client_id: c.client_id.to_string(),
            id_token_signed_response_alg: c.id_token_alg.as_str(),
            subject_type: c.subject_type.as_str(),
            access_token_format: c.access_token_format.as_str(),
            resources: c.resources,
        }
    }
}

pub async fn get(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
) -> Result<Json<OidcSettingsView>, ApiError> {
    let client_id = ClientId::parse(client_id)?;
    Ok(Json(t.oidc_settings(&actor, &client_id).await?.into()))
}

pub async fn set(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<OidcSettingsView>, ApiError> {
    let req: OidcSettingsBody = body::json(&headers, raw)?;
    let client_id = ClientId::parse(client_id)?;
    let patch = OidcSettingsPatch {
        id_token_signed_response_alg: req.id_token_signed_response_alg,
        subject_type: req.subject_type,
        access_token_format: req.access_token_format,
        resources: req.resources,
    };
    Ok(Json(t.set_oidc_settings(&actor, &client_id, &patch).await?.into()))
}
