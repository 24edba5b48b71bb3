//! The Feishu/Lark dialect: the `auth/v3` app and tenant token endpoints of self-built and
//! store apps (flat bodies, business errors with HTTP 200), the user-token endpoints of the
//! legacy `authen/v1`
//! (`data`-wrapped), OAuth v2 and v3 (flat, `{code, error, error_description}` errors),
//! revocation, and the plain-text 404 of unknown `/open-apis` paths. Bodies are parsed as
//! JSON whatever the content type says (and as a form where Feishu takes forms); unknown
//! fields are ignored. The authorization page is in `web`, the sample APIs in `gateway`.

use axum::Router;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use tessera_service::Tessera;

use crate::body::BodyError;
use crate::params::{self, Params};

pub mod error;
pub mod store_app;
pub mod token;
pub mod user_token;

pub fn routes() -> Router<Tessera> {
    Router::new()
        .route("/open-apis/auth/v3/tenant_access_token/internal", post(token::tenant_internal))
        .route("/open-apis/auth/v3/app_access_token/internal", post(token::app_internal))
        .route("/open-apis/auth/v3/app_access_token", post(store_app::app_access_token))
        .route("/open-apis/auth/v3/tenant_access_token", post(store_app::tenant_access_token))
        .route("/open-apis/auth/v3/app_ticket/resend", post(store_app::app_ticket_resend))
        .route("/open-apis/authen/v1/oidc/access_token", post(user_token::v1_access_token))
        .route("/open-apis/authen/v1/oidc/refresh_access_token", post(user_token::v1_refresh))
        .route("/open-apis/authen/v1/access_token", post(user_token::v1_access_token_with_user))
        .route("/open-apis/authen/v1/refresh_access_token", post(user_token::v1_refresh_with_user))
        .route("/open-apis/authen/v2/oauth/token", post(user_token::oauth_token))
        .route("/oauth/v3/token", post(user_token::oauth_v3_token))
        .route("/oauth/v1/revoke", post(user_token::revoke))
        .route("/oauth/v1/device_authorization", post(user_token::device_authorization))
        .route("/open-apis/authen/v2/oauth/device_authorization", post(user_token::device_authorization_v2))
}

/// Feishu answers unknown paths with a plain-text 404 (see [`crate::surface`]).
pub fn plain_not_found() -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "404 page not found").into_response()
}

/// The parameters of a Feishu body (JSON or form; empty values count as absent).
pub fn params(headers: &HeaderMap, raw: Result<Bytes, BytesRejection>) -> Result<Params, BodyError> {
    Params::read(headers, raw, params::FEISHU)
}
