//! The DingTalk dialect: the `/v1.0/oauth2/*` token operations with the official SDKs'
//! exact keys (internal apps, users, ISV suites), the legacy `oapi` token calls, and
//! DingTalk's error body.

use axum::Router;
use axum::routing::{get, post};
use tessera_service::Tessera;

pub mod error;
pub mod legacy;
pub mod suite;
pub mod token;
pub mod user_token;

pub fn routes() -> Router<Tessera> {
    Router::new()
        .route("/v1.0/oauth2/{corp_id}/token", post(token::get_token))
        .route("/v1.0/oauth2/accessToken", post(token::get_access_token))
        .route("/v1.0/oauth2/userAccessToken", post(user_token::get_user_token))
        .route("/v1.0/oauth2/suiteAccessToken", post(suite::suite_access_token))
        .route("/v1.0/oauth2/corpAccessToken", post(suite::corp_access_token))
        .route("/v1.0/oauth2/apps/authInfo", get(suite::auth_info))
        .route("/v1.0/oauth2/suiteTicket", post(suite::suite_ticket))
        .route("/gettoken", get(legacy::gettoken))
        .route("/service/get_suite_token", post(legacy::get_suite_token))
        .route("/service/get_corp_token", post(legacy::get_corp_token))
}
