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
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::ApiError;
use super::openapi::{app_name_schema, overlap_schema, qps_schema, redirect_uris_schema};
use super::params::{AppPath, OrgPath};
use crate::body;

/// A registered app.
#[derive(Serialize, ToSchema)]
#[schema(as = App)]
pub struct AppView {
    client_id: String,
    name: String,
    kind: KindView,
    owner_corp_id: String,
    redirect_uris: Vec<String>,
    public_client: bool,
    resource_server: bool,
    rate_limits: RateLimitsView,
}

/// An app's own gateway rate limits (`null`: the route table's applies).
#[derive(Serialize, ToSchema)]
pub struct RateLimitsView {
    /// Requests per second over every route.
    #[schema(schema_with = qps_schema, required = true)]
    app_qps: Option<u32>,
    /// Requests per second on each route.
    #[schema(schema_with = qps_schema, required = true)]
    route_qps: Option<u32>,
}

/// Who uses an app.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum KindView {
    Internal,
    ThirdPartyEnterprise,
    ThirdPartyPersonal,
}

impl From<AppKind> for KindView {
    fn from(k: AppKind) -> Self {
        match k {
            AppKind::Internal => KindView::Internal,
            AppKind::ThirdPartyEnterprise => KindView::ThirdPartyEnterprise,
            AppKind::ThirdPartyPersonal => KindView::ThirdPartyPersonal,
        }
    }
}

impl From<KindView> for AppKind {
    fn from(k: KindView) -> Self {
        match k {
            KindView::Internal => AppKind::Internal,
            KindView::ThirdPartyEnterprise => AppKind::ThirdPartyEnterprise,
            KindView::ThirdPartyPersonal => AppKind::ThirdPartyPersonal,
        }
    }
}

impl From<&App> for AppView {
    fn from(a: &App) -> Self {
        AppView {
            client_id: a.client_id.to_string(),
            name: a.name.clone(),
            kind: a.kind.into(),
            owner_corp_id: a.owner_corp_id.to_string(),
            redirect_uris: a.redirect_uris.clone(),
            public_client: a.public_client,
            resource_server: a.resource_server,
            rate_limits: RateLimitsView { app_qps: a.rate_limits.app_qps, route_qps: a.rate_limits.route_qps },
        }
    }
}

/// A JSON answer that carries a secret: never cached.
fn secret_answer(status: StatusCode, body: impl Serialize) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[utoipa::path(get, path = "/api/v1/orgs/{corp_id}/apps", operation_id = "list_apps", params(OrgPath),
    summary = "The apps the org registered", description = "Who may call it: org-wide developers and org admins of the org, operators.",
    responses((status = 200, description = "done", body = Vec<AppView>)))]
pub async fn list(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(corp_id): Path<String>,
) -> Result<Json<Vec<AppView>>, ApiError> {
    let corp_id = CorpId::parse(corp_id)?;
    Ok(Json(t.org_apps(&actor, &corp_id).await?.iter().map(AppView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateBody {
    #[schema(schema_with = app_name_schema)]
    name: String,
    kind: KindView,
    #[serde(default)]
    #[schema(schema_with = redirect_uris_schema)]
    redirect_uris: Vec<String>,
}

/// A new app with its secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedAppView {
    #[serde(flatten)]
    app: AppView,
    client_secret: String,
}

#[utoipa::path(post, path = "/api/v1/orgs/{corp_id}/apps", operation_id = "create_app", params(OrgPath),
    summary = "Register an app: basic scopes from the start, an internal app activated in its org; the answer holds client_secret, shown this once",
    description = "Who may call it: org-wide developers and org admins of the org, operators.", request_body = CreateBody,
    responses((status = 201, description = "done", body = CreatedAppView)))]
pub async fn create(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(corp_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: CreateBody = body::json(&headers, raw)?;
    let corp_id = CorpId::parse(corp_id)?;
    let (app, secret) = t.create_app(&actor, &corp_id, &req.name, req.kind.into(), &req.redirect_uris).await?;
    let body = CreatedAppView { app: AppView::from(&app), client_secret: secret.expose().to_owned() };
    Ok(secret_answer(StatusCode::CREATED, body))
}

#[derive(Deserialize, ToSchema)]
pub struct RotateBody {
    /// Seconds the previous secret keeps working (0 stops every previous secret at once).
    #[serde(default)]
    #[schema(schema_with = overlap_schema)]
    overlap_seconds: i64,
}

/// A new client secret, in this answer only.
#[derive(Serialize, ToSchema)]
pub struct RotatedView {
    client_id: String,
    client_secret: String,
    /// Unix seconds until which the previous secret works.
    #[schema(required = true)]
    previous_valid_until: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/apps/{client_id}/secret", operation_id = "rotate_secret", params(AppPath),
    summary = "Rotate the client secret: the new one is in this answer only; the previous one keeps working for overlap_seconds (0 to 604800; 0 stops every previous secret at once)",
    description = "Who may call it: org-wide developers and org admins of the app's org, operators.", request_body = RotateBody,
    responses((status = 200, description = "done", body = RotatedView)))]
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
        RotatedView {
            client_id: client_id.into(),
            client_secret: r.secret.expose().to_owned(),
            previous_valid_until: r.previous_valid_until.map(|t| t.0),
        },
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct UrisBody {
    #[schema(schema_with = redirect_uris_schema)]
    redirect_uris: Vec<String>,
}

/// An app's redirect URIs.
#[derive(Serialize, ToSchema)]
pub struct UrisView {
    client_id: String,
    redirect_uris: Vec<String>,
}

#[utoipa::path(put, path = "/api/v1/apps/{client_id}/redirect_uris", operation_id = "set_redirect_uris", params(AppPath),
    summary = "Replace the app's redirect URIs (absolute http(s), no fragment, at most 10)",
    description = "Who may call it: org-wide developers and org admins of the app's org, operators.", request_body = UrisBody,
    responses((status = 200, description = "done", body = UrisView)))]
pub async fn set_redirect_uris(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<UrisView>, ApiError> {
    let req: UrisBody = body::json(&headers, raw)?;
    let client_id = ClientId::parse(client_id)?;
    let uris = t.set_redirect_uris(&actor, &client_id, &req.redirect_uris).await?;
    Ok(Json(UrisView { client_id: client_id.into(), redirect_uris: uris }))
}
