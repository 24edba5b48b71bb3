//! The management API's app registration: an org's apps, registering one (the secret is in
//! that one answer only), its redirect URIs, and rotating its secret with an overlap.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use tessera_core::app::{App, AppKind};
use tessera_core::ids::{ClientId, CorpId};
use tessera_service::Tessera;

use super::auth::Caller;
use super::error::ApiError;
use crate::body;

#[derive(Serialize)]
pub struct AppView {
    client_id: String,
    name: String,
    kind: &'static str,
    owner_corp_id: String,
    redirect_uris: Vec<String>,
    public_client: bool,
    resource_server: bool,
    rate_limits: RateLimitsView,
}

/// An app's own gateway rate limits (`null`: the route table's applies).
#[derive(Serialize)]
pub struct RateLimitsView {
    app_qps: Option<u32>,
    route_qps: Option<u32>,
}

impl From<&App> for AppView {
    fn from(a: &App) -> Self {
        AppView {
            client_id: a.client_id.to_string(),
            name: a.name.clone(),
            kind: a.kind.as_str(),
            owner_corp_id: a.owner_corp_id.to_string(),
            redirect_uris: a.redirect_uris.clone(),
            public_client: a.public_client,
            resource_server: a.resource_server,
            rate_limits: RateLimitsView { app_qps: a.rate_limits.app_qps, route_qps: a.rate_limits.route_qps },
        }
    }
}

/// A JSON answer that carries a secret: never cached.
fn secret_answer(status: StatusCode, body: serde_json::Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn list(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(corp_id): Path<String>,
) -> Result<Json<Vec<AppView>>, ApiError> {
    let corp_id = CorpId::parse(corp_id)?;
    Ok(Json(t.org_apps(&actor, &corp_id).await?.iter().map(AppView::from).collect()))
}

#[derive(Deserialize)]
pub struct CreateBody {
    name: String,
    kind: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

pub async fn create(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(corp_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: CreateBody = body::json(&headers, raw)?;
    let corp_id = CorpId::parse(corp_id)?;
    let kind = AppKind::parse(&req.kind)?;
    let (app, secret) = t.create_app(&actor, &corp_id, &req.name, kind, &req.redirect_uris).await?;
    let mut body = serde_json::to_value(AppView::from(&app)).unwrap_or_default();
    body["client_secret"] = serde_json::Value::String(secret.expose().to_owned());
    Ok(secret_answer(StatusCode::CREATED, body))
}

#[derive(Deserialize)]
pub struct RotateBody {
    #[serde(default)]
    overlap_seconds: i64,
}

pub async fn rotate(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: RotateBody = body::json(&headers, raw)?;
    let client_id = ClientId::parse(client_id)?;
    let r = t.rotate_secret(&actor, &client_id, req.overlap_seconds).await?;
    Ok(secret_answer(
        StatusCode::OK,
        serde_json::json!({
            "client_id": client_id,
            "client_secret": r.secret.expose(),
            "previous_valid_until": r.previous_valid_until.map(|t| t.0),
        }),
    ))
}

#[derive(Deserialize)]
pub struct UrisBody {
    redirect_uris: Vec<String>,
}

pub async fn set_redirect_uris(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let req: UrisBody = body::json(&headers, raw)?;
    let client_id = ClientId::parse(client_id)?;
    let uris = t.set_redirect_uris(&actor, &client_id, &req.redirect_uris).await?;
    Ok(Json(serde_json::json!({"client_id": client_id, "redirect_uris": uris})))
}
