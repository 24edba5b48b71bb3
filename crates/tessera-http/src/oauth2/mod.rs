//! The OAuth 2.x dialect: `POST /oauth2/token` (RFC 6749) and its error body.

use axum::Router;
use axum::routing::post;
use tessera_service::Tessera;

pub mod error;
pub mod token;

pub fn routes() -> Router<Tessera> {
    Router::new().route("/oauth2/token", post(token::token))
}
