//! The OAuth 2.x dialect: the token endpoint (RFC 6749, 7636), revocation (RFC 7009),
//! introspection (RFC 7662), device authorization (RFC 8628) and metadata (RFC 8414). The authorization endpoint's pages are
//! in `web`.

use axum::Router;
use axum::routing::{get, post};
use tessera_service::Tessera;

pub mod device;
pub mod discovery;
pub mod error;
pub mod revoke;
pub mod token;

pub fn routes() -> Router<Tessera> {
    Router::new()
        .route("/oauth2/token", post(token::token))
        .route("/oauth2/revoke", post(revoke::revoke))
        .route("/oauth2/device_authorization", post(device::device_authorization))
        .route("/oauth2/introspect", post(revoke::introspect))
        .route("/.well-known/oauth-authorization-server", get(discovery::metadata))
}
