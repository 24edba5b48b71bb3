//! The management API (`/api/v1`, JSON): the permission lifecycle for developers, platform
//! operators and org admins, the audit log and explain. Documented by `/api/v1/openapi.json`.
//! Operators authenticate with the operator token, people with their session (the
//! `tessera_session` cookie, or `Authorization: Bearer sess-…` from `POST /api/v1/sessions`).

use axum::Router;
use axum::routing::{get, post, put};
use tessera_service::Tessera;

pub mod apps;
pub mod auth;
pub mod error;
pub mod gateway_routes;
pub mod oidc_settings;
pub mod openapi;
pub mod rate_limits;
pub mod resource_server;
pub mod routes;

pub fn routes() -> Router<Tessera> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/sessions", post(routes::sign_in))
        .route("/api/v1/apps/{client_id}/permissions", get(routes::permissions).post(routes::request_permission))
        .route("/api/v1/apps/{client_id}/ticket-callback", axum::routing::put(routes::set_ticket_callback))
        .route("/api/v1/reviews", get(routes::review_queue))
        .route("/api/v1/reviews/{client_id}/{scope}", post(routes::review))
        .route("/api/v1/orgs/{corp_id}/installations", post(routes::activate))
        .route("/api/v1/orgs/{corp_id}/installations/{client_id}", axum::routing::delete(routes::uninstall))
        .route(
            "/api/v1/orgs/{corp_id}/installations/{client_id}/grants/{scope}",
            put(routes::authorize).delete(routes::recall),
        )
        .route("/api/v1/orgs/{corp_id}/audit", get(routes::audit))
        .route("/api/v1/explain", get(routes::explain))
        .route("/api/v1/routes", get(gateway_routes::list))
        .route("/api/v1/routes/reload", post(gateway_routes::reload))
        .route("/api/v1/orgs/{corp_id}/apps", get(apps::list).post(apps::create))
        .route("/api/v1/apps/{client_id}/secret", post(apps::rotate))
        .route("/api/v1/apps/{client_id}/redirect_uris", put(apps::set_redirect_uris))
        .route("/api/v1/apps/{client_id}/resource_server", put(resource_server::set))
        .route("/api/v1/apps/{client_id}/rate_limits", put(rate_limits::set))
        .route("/api/v1/apps/{client_id}/oidc", get(oidc_settings::get).put(oidc_settings::set))
}
