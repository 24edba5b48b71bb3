//! Store (ISV) apps, Tessera's third-party enterprise apps: `POST /open-apis/auth/v3/app_access_token`
//! (`app_id`, `app_secret`, `app_ticket` → the app's suite token), `/tenant_access_token`
//! (`app_access_token`, `tenant_key` → the token in that tenant, i.e. org) and
//! `/app_ticket/resend` (the current ticket pushed again to the app's callback URL, at most
//! once per app every 10 s).

use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use serde_json::json;
use tessera_core::secret::Secret;
use tessera_service::resend_limit::RESEND_INTERVAL_SECS;
use tessera_service::suite::Resend;
use tessera_service::{ClientProof, GrantError, Tessera};

use super::error::{AuthV3, FeishuCode, FeishuError, app_token_error, ok};
use super::params;
use crate::app_token::suite_token;
use crate::params::Params;

fn store_app_error(e: GrantError) -> FeishuError {
    app_token_error(e, AuthV3::StoreApp)
}

fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, FeishuError> {
    params
        .get(name)
        .ok_or_else(|| FeishuError::token(FeishuCode::InvalidParam, format!("invalid param: {name} is required")))
}

/// A3: the store app's `app_access_token` from its credentials and current ticket.
pub async fn app_access_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let pairs = params(&headers, raw)?;
    let (app_id, secret, ticket) =
        (required(&pairs, "app_id")?, required(&pairs, "app_secret")?, required(&pairs, "app_ticket")?);
    let suite =
        ClientProof::SuiteTicket { client_id: app_id.into(), secret: Secret::new(secret), ticket: ticket.into() };
    let t = suite_token(&tessera, suite, None).await.map_err(store_app_error)?;
    Ok(ok(json!({"code": 0, "msg": "ok", "app_access_token": t.token.expose(), "expire": t.expires_in})))
}

/// A4: the tenant token of an org (`tenant_key`) that installed the app. Other fields the
/// SDK leaks into the body (app_id, app_ticket…) are ignored.
pub async fn tenant_access_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let pairs = params(&headers, raw)?;
    let (app_token, tenant_key) = (required(&pairs, "app_access_token")?, required(&pairs, "tenant_key")?);
    let suite = ClientProof::SuiteToken(app_token.to_owned());
    let t = suite_token(&tessera, suite, Some(tenant_key.to_owned())).await.map_err(store_app_error)?;
    Ok(ok(json!({"code": 0, "msg": "success", "tenant_access_token": t.token.expose(), "expire": t.expires_in})))
}

/// A5: pushes the current ticket again to the app's callback URL (when it registered one;
/// otherwise it polls for it as before).
pub async fn app_ticket_resend(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let pairs = params(&headers, raw)?;
    let (app_id, secret) = (required(&pairs, "app_id")?, required(&pairs, "app_secret")?);
    match tessera.resend_suite_ticket(app_id, &Secret::new(secret)).await.map_err(store_app_error)? {
        Resend::Push(delivery) => {
            tessera_service::ticket_push::spawn(tessera.callback_client().clone(), delivery);
        }
        Resend::NoCallback => {}
        Resend::Limited { retry_after } => {
            return Err(FeishuError::rate_limited(format!(
                "request trigger frequency limit: one resend per app every {RESEND_INTERVAL_SECS} s; retry in {retry_after} s"
            )));
        }
    }
    Ok(ok(json!({"code": 0, "msg": "ok"})))
}
