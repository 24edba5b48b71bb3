//! `PUT /api/v1/apps/{client_id}/resource_server`: an operator marks an app as a resource
//! server, whose client may introspect every app's tokens, or unmarks it.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use bytes::Bytes;
use http::HeaderMap;
use serde::Deserialize;
use tessera_core::ids::ClientId;
use tessera_service::Tessera;
use utoipa::ToSchema;

use super::apps::AppView;
use super::auth::Caller;
use super::error::ApiError;
use super::params::AppPath;
use crate::body;

#[derive(Deserialize, ToSchema)]
pub struct ResourceServerBody {
    resource_server: bool,
}

#[utoipa::path(put, path = "/api/v1/apps/{client_id}/resource_server", operation_id = "set_resource_server", params(AppPath),
    summary = "Mark the app as a resource server (its client may introspect every app's tokens at /oauth2/introspect) or unmark it",
    description = "Who may call it: operators.", request_body = ResourceServerBody,
    responses((status = 200, description = "done", body = AppView)))]

pub async fn set(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<AppView>, ApiError> {
    let req: ResourceServerBody = body::json(&headers, raw)?;
    let client_id = ClientId::parse(client_id)?;
    let app = t.set_resource_server(&actor, &client_id, req.resource_server).await?;
    Ok(Json(AppView::from(app.as_ref())))
}
