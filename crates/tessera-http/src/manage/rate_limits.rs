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

use super::apps::AppView;
use super::auth::Caller;
use super::error::ApiError;
use crate::body;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsBody {
    #[serde(default)]
    app_qps: Option<u32>,
    #[serde(default)]
    route_qps: Option<u32>,
}

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
