//! OpenID Connect endpoints: discovery (`/.well-known/openid-configuration`), UserInfo,
//! RP-initiated logout (`/oauth2/logout`).
//! The authorization endpoint's OIDC parameters are in `web::authorize`; ID tokens come from
//! the token endpoint; the keys are at `/.well-known/jwks.json`.

use axum::Router;
use axum::routing::get;
use tessera_service::Tessera;

pub mod discovery;
pub mod logout;
pub mod userinfo;

pub fn routes() -> Router<Tessera> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery::configuration))
        .route("/oauth2/userinfo", get(userinfo::get_userinfo).post(userinfo::post_userinfo))
        .route("/oauth2/logout", get(logout::get_logout).post(logout::post_logout))
}
