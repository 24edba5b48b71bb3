//! `GET`/`PUT /api/v1/apps/{client_id}/oidc`: an operator reads or changes an app's OpenID
//! Connect settings (`id_token_signed_response_alg`, `subject_type`, `access_token_format`,
//! `resources`, `post_logout_redirect_uris`, `backchannel_logout_uri`); a field left out keeps
//! its value.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use bytes::Bytes;
use http::HeaderMap;
use serde::{Deserialize, Deserializer, Serialize};
use tessera_core::ids::ClientId;
use tessera_core::oidc::{OidcClient, OidcSettingsPatch};
use tessera_service::Tessera;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::ApiError;
use super::params::AppPath;
use crate::body;

/// A change to an app's OpenID Connect settings; a field left out keeps its value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcSettingsBody {
    /// `RS256`, `ES256` or `EdDSA`.
    #[serde(default)]
    id_token_signed_response_alg: Option<String>,
    /// `public` or `pairwise`.
    #[serde(default)]
    subject_type: Option<String>,
    /// `opaque` or `jwt` (RFC 9068).
    #[serde(default)]
    access_token_format: Option<String>,
    /// RFC 8707 resource indicators: absolute http(s) URIs without a fragment, at most 32.
    #[serde(default)]
    resources: Option<Vec<String>>,
    /// Where RP-initiated logout may send the browser afterwards: the whole list (`[]` removes
    /// them all); absolute http(s) URIs without a fragment, at most 10.
    #[serde(default)]
    post_logout_redirect_uris: Option<Vec<String>>,
    /// Where back-channel logout tokens are posted: an absolute http(s) URI without a
    /// fragment, not a non-public address (as ticket callbacks); `null` removes it. Delivered
    /// with the protections of callback pushes.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    backchannel_logout_uri: Option<Option<String>>,
}

/// A field given (even as `null`) is `Some`; a field left out stays `None` (its default).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// An app's OpenID Connect settings.
#[derive(Serialize, ToSchema)]
pub struct OidcSettingsView {
    client_id: String,
    /// `RS256`, `ES256` or `EdDSA`.
    id_token_signed_response_alg: String,
    /// `public` or `pairwise`.
    subject_type: String,
    /// `opaque` or `jwt`.
    access_token_format: String,
    resources: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    /// `null` when none is registered.
    backchannel_logout_uri: Option<String>,
}

impl From<OidcClient> for OidcSettingsView {
    fn from(c: OidcClient) -> Self {
        OidcSettingsView {
            client_id: c.client_id.to_string(),
            id_token_signed_response_alg: c.id_token_alg.as_str().to_owned(),
            subject_type: c.subject_type.as_str().to_owned(),
            access_token_format: c.access_token_format.as_str().to_owned(),
            resources: c.resources,
            post_logout_redirect_uris: c.post_logout_redirect_uris,
            backchannel_logout_uri: c.backchannel_logout_uri,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/apps/{client_id}/oidc", operation_id = "get_oidc_settings", params(AppPath),
    summary = "The app's OpenID Connect settings",
    description = "Who may call it: operators.",
    responses((status = 200, description = "done", body = OidcSettingsView)))]
pub async fn get(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
) -> Result<Json<OidcSettingsView>, ApiError> {
    let client_id = ClientId::parse(client_id)?;
    Ok(Json(t.oidc_settings(&actor, &client_id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/apps/{client_id}/oidc", operation_id = "set_oidc_settings", params(AppPath),
    summary = "Change the app's OpenID Connect settings (ID token algorithm, subject type, access token format, RFC 8707 resources, logout URIs); fields left out keep their values; an unknown algorithm is refused by name",
    description = "Who may call it: operators.", request_body = OidcSettingsBody,
    responses((status = 200, description = "done", body = OidcSettingsView)))]
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
        post_logout_redirect_uris: req.post_logout_redirect_uris,
        backchannel_logout_uri: req.backchannel_logout_uri,
    };
    Ok(Json(t.set_oidc_settings(&actor, &client_id, &patch).await?.into()))
}
