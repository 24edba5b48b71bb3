//! The gateway's route table through the management API (operators only):
//! `GET /api/v1/routes` lists it, `POST /api/v1/routes/reload` reads the route file again
//! (what SIGHUP and `tessera routes reload` do).

use axum::Extension;
use axum::Json;
use axum::extract::State;
use http::StatusCode;
use serde::Serialize;
use tessera_service::Tessera;
use tessera_service::management::Actor;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::gateway::Gateway;
use crate::gateway::table::Target;

fn operator_only(actor: &Actor) -> Result<(), ApiError> {
    match actor {
        Actor::Operator => Ok(()),
        _ => Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "only platform operators manage the route table")),
    }
}

/// The route table in force.
#[derive(Serialize, ToSchema)]
pub struct RouteTableView {
    /// The route file it was read from.
    file: String,
    routes: Vec<RouteView>,
}

/// One route of the gateway.
#[derive(Serialize, ToSchema)]
pub struct RouteView {
    methods: Vec<String>,
    /// The path template, e.g. `/v1.0/contact/users/{userId}`.
    path: String,
    dialect: String,
    scopes: Vec<String>,
    token_kinds: Vec<String>,
    /// The upstream's name.
    upstream: String,
    /// Answered by Tessera's own sample API.
    builtin: bool,
    /// The route's rate limit, requests per second.
    #[schema(required = true)]
    qps: Option<u32>,
}

/// What a reload did.
#[derive(Serialize, ToSchema)]
pub struct ReloadView {
    reloaded: bool,
    /// How many routes are in force.
    #[schema(minimum = 0)]
    routes: usize,
}

/// `GET /api/v1/routes`.
#[utoipa::path(get, path = "/api/v1/routes", operation_id = "list_routes",
    summary = "The gateway's route table in force: each route's methods, path template, dialect, scopes, token kinds, upstream and limit",
    description = "Who may call it: operators.",
    responses((status = 200, description = "done", body = RouteTableView)))]
pub async fn list(
    Extension(gateway): Extension<Gateway>,
    Caller(actor): Caller,
) -> Result<Json<RouteTableView>, ApiError> {
    operator_only(&actor)?;
    let table = gateway.table();
    let routes = table
        .routes
        .iter()
        .map(|r| RouteView {
            methods: r.methods.iter().map(|m| m.0.as_str().to_owned()).collect(),
            path: r.template.text().to_owned(),
            dialect: r.dialect.as_str().to_owned(),
            scopes: r.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            token_kinds: r.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
            upstream: r.upstream.name.clone(),
            builtin: r.upstream.target == Target::Builtin,
            qps: r.rate_limit.map(|q| q.per_second),
        })
        .collect();
    Ok(Json(RouteTableView { file: table.file.clone(), routes }))
}

/// `POST /api/v1/routes/reload`: 200 with the number of routes, or 422 naming the file, line
/// and reason (the previous table stays in force).
#[utoipa::path(post, path = "/api/v1/routes/reload", operation_id = "reload_routes",
    summary = "Read the route file again (what SIGHUP and `tessera routes reload` do)",
    description = "Who may call it: operators.",
    responses(
        (status = 200, description = "done", body = ReloadView),
        (status = 422, description = "`invalid_route_file`: the file, line and reason; the table in force stays", body = ErrorBody),
    ))]
pub async fn reload(
    State(t): State<Tessera>,
    Extension(gateway): Extension<Gateway>,
    Caller(actor): Caller,
) -> Result<Json<ReloadView>, ApiError> {
    operator_only(&actor)?;
    match gateway.reload(&t).await {
        Ok(count) => Ok(Json(ReloadView { reloaded: true, routes: count })),
        Err(e) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_route_file", e.to_string())),
    }
}
