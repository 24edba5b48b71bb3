//! The device flow's pages (RFC 8628): `GET /device` where the signed-in user enters or
//! confirms the user code and approves or denies (`POST /device`, CSRF-checked), the
//! authorization card `GET /device/card` a bot links to or embeds (the QR code of
//! `verification_uri_complete`, the code, the app), and `GET /device/qr.svg`. Look-ups of
//! codes that match nothing are limited per client address (then 429 with `Retry-After`).

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use qrcode::QrCode;
use tessera_core::secret::Secret;
use tessera_service::Tessera;
use tessera_service::device::{DeviceVerifyError, PendingDevice};

use super::html::{Markup, error_page, page};
use super::signed_form::signed_in;
use crate::body;
use crate::client_addr::ClientAddr;

fn query_param(query: &Option<String>, name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref()?).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v).filter(|v| !v.trim().is_empty())
}

/// A QR code drawn as SVG: one path of unit squares over a white quiet zone.
#[derive(Template)]
#[template(path = "qr.svg")]
struct QrSvg {
    size: usize,
    modules: usize,
    path: String,
}

/// Modules of white around the code, as the QR standard asks.
const QUIET_ZONE: usize = 4;

/// The QR code of `data` as an SVG element (no XML declaration, for inline use), at least
/// 240 px wide.
pub fn qr_svg(data: &str) -> Option<Markup> {
    let code = QrCode::new(data.as_bytes()).ok()?;
    let width = code.width();
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let modules = width + 2 * QUIET_ZONE;
    let scale = 240usize.div_ceil(modules).max(1);
    Some(Markup::of(&QrSvg { size: modules * scale, modules, path }))
}

fn verify_error(e: DeviceVerifyError) -> (StatusCode, String) {
    match e {
        DeviceVerifyError::Store(e) if e.is_unavailable() => {
            tracing::warn!(error = %e, "device verification failed: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, super::html::UNAVAILABLE.into())
        }
        DeviceVerifyError::Store(e) => {
            tracing::error!(error = %e, "device verification failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "The request could not be completed on our side.".into())
        }
        DeviceVerifyError::NotAllowed(why) => (StatusCode::FORBIDDEN, why),
        DeviceVerifyError::TooManyAttempts { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many codes that match no request came from your network. Try again in {} minute(s).",
                (retry_after + 59) / 60
            ),
        ),
        other => (StatusCode::BAD_REQUEST, other.to_string()),
    }
}

/// The answer to a refused look-up, drawn by `render`, with `Retry-After` when limited.
fn refused(e: DeviceVerifyError, render: impl FnOnce(StatusCode, &str) -> Response) -> Response {
    let retry_after = match e {
        DeviceVerifyError::TooManyAttempts { retry_after } => Some(retry_after),
        _ => None,
    };
    let (status, msg) = verify_error(e);
    let mut res = render(status, &msg);
    if let Some(secs) = retry_after {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// The form where the user types the code their device shows.
#[derive(Template)]
#[template(path = "device_code.html")]
struct CodeForm<'a> {
    message: Option<&'a str>,
    code: &'a str,
}

/// The form where the user types the code their device shows; after a refusal it keeps the
/// code typed.
fn code_form(message: Option<&str>, code: &str, status: StatusCode) -> Response {
    page(status, "Connect a device", &CodeForm { message, code }, "'self'")
}

/// `GET /device[?user_code=…]`.
pub async fn show(
    State(tessera): State<Tessera>,
    client: ClientAddr,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let user_code = query_param(&query, "user_code");
    let (cookie, session) = match signed_in(&tessera, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            let next = match &user_code {
                Some(c) => format!("/device?{}", serde_urlencoded::to_string([("user_code", c)]).unwrap_or_default()),
                None => "/device".into(),
            };
            let target = format!("/login?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default());
            return Redirect::to(&target).into_response();
        }
        Err(r) => return r,
    };
    let Some(user_code) = user_code else {
        return code_form(None, "", StatusCode::OK);
    };
    let pending = match tessera.pending_device(&user_code, client.as_str()).await {
        Ok(p) => p,
        Err(e) => return refused(e, |status, msg| code_form(Some(msg), &user_code, status)),
    };
    let prompt = match tessera.device_prompt(&session.union_id, &pending).await {
        Ok(p) => p,
        Err(e) => return code_form(Some(&verify_error(e.into()).1), &user_code, StatusCode::INTERNAL_SERVER_ERROR),
    };
    consent(&tessera, &cookie, &user_code, &pending, &prompt)
}

#[derive(Template)]
#[template(path = "device_consent.html")]
struct DeviceConsent<'a> {
    code: &'a str,
    app: &'a str,
    lines: Vec<(&'a str, &'a str)>,
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "device_done.html")]
struct Done<'a> {
    app: &'a str,
    approved: bool,
}

#[derive(Template)]
#[template(path = "device_card.html")]
struct Card<'a> {
    app: &'a str,
    svg: Markup,
    href: &'a str,
    text: &'a str,
    code: &'a str,
    minutes: i64,
}

fn consent(
    tessera: &Tessera,
    cookie: &Secret,
    user_code: &str,
    pending: &PendingDevice,
    prompt: &[tessera_core::scope::Scope],
) -> Response {
    let body = DeviceConsent {
        code: user_code,
        app: &pending.app.name,
        lines: prompt.iter().map(|s| (s.description.as_str(), s.code.as_str())).collect(),
        csrf: &tessera.csrf_token(cookie),
    };
    page(StatusCode::OK, "Connect a device", &body, "'self'")
}

/// `POST /device`: approve or deny.
pub async fn decide(
    State(tessera): State<Tessera>,
    client: ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(pairs) = body::form_pairs(raw) else {
        return error_page(StatusCode::BAD_REQUEST, "The form could not be read or repeats a field.");
    };
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let (cookie, session) = match signed_in(&tessera, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return error_page(StatusCode::FORBIDDEN, "You are not signed in any more; open the link again."),
        Err(r) => return r,
    };
    if !get("csrf").is_some_and(|c| tessera.csrf_ok(&cookie, c)) {
        return error_page(StatusCode::FORBIDDEN, "This form has expired or was not sent by this site.");
    }
    let Some(user_code) = get("user_code") else {
        return code_form(Some("The code is missing."), "", StatusCode::BAD_REQUEST);
    };
    let approve = get("decision") == Some("approve");
    match tessera.decide_device(&session.union_id, user_code, approve, client.as_str()).await {
        Ok(p) if approve => page(StatusCode::OK, "Device connected", &Done { app: &p.app.name, approved: true }, ""),
        Ok(p) => page(StatusCode::OK, "Request denied", &Done { app: &p.app.name, approved: false }, ""),
        Err(e) => refused(e, |status, msg| code_form(Some(msg), user_code, status)),
    }
}

/// The card's and the QR code's answer to a code they cannot show.
fn not_shown(e: DeviceVerifyError) -> Response {
    refused(e, |status, msg| {
        error_page(if status == StatusCode::BAD_REQUEST { StatusCode::NOT_FOUND } else { status }, msg)
    })
}

/// `GET /device/card?user_code=…`: the authorization card with the QR code.
pub async fn card(State(tessera): State<Tessera>, client: ClientAddr, RawQuery(query): RawQuery) -> Response {
    let Some(user_code) = query_param(&query, "user_code") else {
        return error_page(StatusCode::BAD_REQUEST, "user_code is missing.");
    };
    let pending = match tessera.pending_device(&user_code, client.as_str()).await {
        Ok(p) => p,
        Err(e) => return not_shown(e),
    };
    let link = complete_uri(&tessera, &user_code);
    let Some(svg) = qr_svg(&link) else {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "The QR code could not be drawn.");
    };
    let minutes = tessera.now().secs_until(pending.record.expires_at).max(0) / 60;
    let body = Card {
        app: &pending.app.name,
        svg,
        href: &link,
        text: &tessera.verification_uri(),
        code: &user_code.to_uppercase(),
        minutes,
    };
    page(StatusCode::OK, "Authorization card", &body, "'none'")
}

fn complete_uri(tessera: &Tessera, user_code: &str) -> String {
    let code = tessera_core::device::normalize_user_code(user_code)
        .map(|c| format!("{}-{}", &c[..4], &c[4..]))
        .unwrap_or_else(|| user_code.to_owned());
    format!("{}?{}", tessera.verification_uri(), serde_urlencoded::to_string([("user_code", code)]).unwrap_or_default())
}

/// `GET /device/qr.svg?user_code=…`: the card's QR code alone, for embedding.
pub async fn qr(State(tessera): State<Tessera>, client: ClientAddr, RawQuery(query): RawQuery) -> Response {
    let Some(user_code) = query_param(&query, "user_code") else {
        return error_page(StatusCode::BAD_REQUEST, "user_code is missing.");
    };
    if let Err(e) = tessera.pending_device(&user_code, client.as_str()).await {
        return not_shown(e);
    }
    let Some(svg) = qr_svg(&complete_uri(&tessera, &user_code)) else {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "The QR code could not be drawn.");
    };
    let mut res = svg.into_string().into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}
