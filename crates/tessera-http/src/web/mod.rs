//! Server-rendered pages: sign-in, the consent page of the authorization flow, the org
//! admin's consent page for an app's sensitive scopes, the device flow's verification page
//! and authorization card, the member's list of authorized apps, and the [`console`]. Every
//! form carries a CSRF token; every page is sent with a strict
//! Content-Security-Policy and no caching.

use axum::Router;
use axum::routing::{get, post};
use tessera_service::Tessera;

pub mod account;
pub mod admin_consent;
pub mod authorize;
pub mod console;
pub mod cookies;
pub mod device;
pub mod html;
pub mod login;
pub mod signed_form;

pub fn routes() -> Router<Tessera> {
    Router::new()
        .route("/login", get(login::show).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/oauth2/authorize", get(authorize::oauth2).post(authorize::decide))
        .route("/oauth2/auth", get(authorize::dingtalk))
        .route("/open-apis/authen/v1/authorize", get(authorize::feishu))
        .route("/open-apis/authen/v1/index", get(authorize::feishu))
        .route("/device", get(device::show).post(device::decide))
        .route("/device/card", get(device::card))
        .route("/device/qr.svg", get(device::qr))
        .route("/account", get(account::show))
        .route("/account/apps/{client_id}/withdraw", post(account::withdraw))
        .route("/static/tessera.css", get(html::stylesheet))
        .route("/{corp_id}/adminConsent", get(admin_consent::show).post(admin_consent::decide))
        // Browsers ask for it on every site; there is none, and saying so quietly beats a 404.
        .route("/favicon.ico", get(|| async { http::StatusCode::NO_CONTENT }))
        .merge(console::routes())
}
