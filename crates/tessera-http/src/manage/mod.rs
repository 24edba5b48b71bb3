//! The management API (`/api/v1`, JSON): the permission lifecycle for developers, platform
//! operators and org admins, the audit log and explain. Documented by `/api/v1/openapi.json`.
//! Operators authenticate with the operator token, people with their session (the
//! `tessera_session` cookie, or `Authorization: Bearer sess-…` from `POST /api/v1/sessions`).

use axum::Router;
use tessera_service::Tessera;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod apps;
pub mod auth;
pub mod error;
pub mod gateway_routes;
pub mod openapi;
pub mod params;
pub mod rate_limits;
pub mod resource_server;
pub mod routes;

/// Every route of the management API, each mounted from its handler's `#[utoipa::path]`:
/// the one declaration both routes requests and documents them. Mount routes here only with
/// `.routes(routes!(…))` (a plain `.route` would be served but not documented; the test
/// `every_mounted_management_route_is_documented_and_back` catches one).
pub fn api() -> OpenApiRouter<Tessera> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(openapi::document))
        .routes(routes!(routes::sign_in))
        .routes(routes!(routes::permissions, routes::request_permission))
        .routes(routes!(routes::set_ticket_callback))
        .routes(routes!(routes::review_queue))
        .routes(routes!(routes::review))
        .routes(routes!(routes::activate))
        .routes(routes!(routes::uninstall))
        .routes(routes!(routes::authorize, routes::recall))
        .routes(routes!(routes::audit))
        .routes(routes!(routes::explain))
        .routes(routes!(gateway_routes::list))
        .routes(routes!(gateway_routes::reload))
        .routes(routes!(apps::list, apps::create))
        .routes(routes!(apps::rotate))
        .routes(routes!(apps::set_redirect_uris))
        .routes(routes!(resource_server::set))
        .routes(routes!(rate_limits::set))
}

pub fn routes() -> Router<Tessera> {
    api().split_for_parts().0
}
