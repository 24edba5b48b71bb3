//! The DingTalk dialect: the `/v1.0/oauth2/*` token operations with the official SDKs'
//! exact keys, the legacy `/gettoken`, and DingTalk's error body.

use axum::Router;
use axum::routing::{get, post};
use tessera_service::Tessera;

pub mod error;
pub mod legacy;
pub mod token;
pub mod user_token;

pub fn routes() -> Router<Tessera> {
    Router::new()
        .route("/v1.0/oauth2/{corp_id}/token", post(token::get_token))
        .route("/v1.0/oauth2/accessToken", post(token::get_access_token))
        .route("/v1.0/oauth2/userAccessToken", post(user_token::get_user_token))
        .route("/gettoken", get(legacy::gettoken))
}
