//! `PUT /api/v1/apps/{client_id}/rate_limits`: an operator sets an app's gateway rate limits
//! (requests per second over every route, `app_qps`, and on each route, `route_qps`); a
//! limit left out or `null` falls back to the route table's.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use bytes::Bytes;
use http::HeaderMap;
use serde::Deserialize;
use tessera_core::app::RateLimits;
use tessera_core::ids::ClientId;
use tessera_service::Tessera;
use utoipa::ToSchema;

use super::apps::AppView;
use super::auth::Caller;
use super::error::ApiError;
use super::openapi::qps_schema;
use super::params::AppPath;
use crate::body;

/// An app's own rate limits; a limit left out or `null` falls back to the route table's.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsBody {
    /// Requests per second over every route.
    #[serde(default)]
    #[schema(schema_with = qps_schema)]
    app_qps: Option<u32>,
    /// Requests per second on each route.
    #[serde(default)]
    #[schema(schema_with = qps_schema)]
    route_qps: Option<u32>,
}

#[utoipa::path(put, path = "/api/v1/apps/{client_id}/rate_limits", operation_id = "set_rate_limits", params(AppPath),
    summary = "Set the app's own gateway rate limits, in requests per second over every route (app_qps) and on each route (route_qps); each replaces the route table's for this app, null restores it",
    description = "Who may call it: operators.", request_body = RateLimitsBody,
    responses((status = 200, description = "done", body = AppView)))]

pub async fn set(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<AppView>, ApiError> {
    let req: RateLimitsBody = body::json(&headers, raw)?;
    let client_id = ClientId::parse(client_id)?;
    let limits = RateLimits { app_qps: req.app_qps, route_qps: req.route_qps };
    let app = t.set_rate_limits(&actor, &client_id, limits).await?;
    Ok(Json(AppView::from(app.as_ref())))
}
