//! `GET/POST /login` and `POST /logout`. The sign-in form is protected against login CSRF
//! by a pre-sign-in cookie whose derived token the form must echo.

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use tessera_core::secret::Secret;
use tessera_service::Tessera;
use tessera_service::signin::SignInError;

use super::cookies;
use super::html::{error_page, page};
use crate::body;
use crate::client_addr::ClientAddr;

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only local paths are followed after sign-in (no open redirect): a path that starts with
/// one `/` and holds no backslash, control character or whitespace (browsers drop tabs and
/// newlines, so `/\t/evil.example` would become `//evil.example`, another host). Anything
/// else leads to the account page.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_owned(),
        _ => "/account".to_owned(),
    }
}

fn is_local_path(n: &str) -> bool {
    n.starts_with('/') && !n.starts_with("//") && !n.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

fn secure(tessera: &Tessera) -> bool {
    tessera.config().public_url.starts_with("https://")
}

/// The sign-in form; after a refusal it keeps the account typed (never the password).
#[derive(Template)]
#[template(path = "login.html")]
struct LoginForm<'a> {
    message: Option<&'a str>,
    csrf: &'a str,
    next: &'a str,
    account: &'a str,
}

fn form(
    tessera: &Tessera,
    login_cookie: &Secret,
    next: &str,
    account: &str,
    message: Option<&str>,
    status: StatusCode,
) -> Response {
    let body = LoginForm { message, csrf: &tessera.csrf_token(login_cookie), next, account };
    // No form-action here: after sign-in the browser follows `next`, which may redirect on to
    // the app's registered redirect URI, and Chromium applies form-action to that whole chain.
    page(status, "Sign in", &body, "")
}

pub async fn show(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let next = safe_next(query.as_ref().ok().and_then(|q| q.next.as_deref()));
    let (cookie, fresh) = match cookies::get(&headers, cookies::LOGIN) {
        Some(c) => (c, false),
        None => (Secret::generate("login-", &mut rand::rng()), true),
    };
    let mut res = form(&tessera, &cookie, &next, "", None, StatusCode::OK);
    if fresh && let Some(v) = cookies::set(cookies::LOGIN, cookie.expose(), 3600, secure(&tessera)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct LoginFields {
    account: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn submit(
    State(tessera): State<Tessera>,
    client: ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(f) = body::form::<LoginFields>(raw) else {
        return error_page(StatusCode::BAD_REQUEST, "The sign-in form is incomplete or repeats a field.");
    };
    let Some(login_cookie) = cookies::get(&headers, cookies::LOGIN) else {
        return error_page(
            StatusCode::FORBIDDEN,
            "Your browser did not send the sign-in cookie; open the sign-in page again.",
        );
    };
    if !tessera.csrf_ok(&login_cookie, &f.csrf) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form has expired or was not sent by this site; open the sign-in page again.",
        );
    }
    let next = safe_next(f.next.as_deref());
    match tessera.sign_in(&f.account, &f.password, client.as_str()).await {
        Ok(session) => {
            let mut res = Redirect::to(&next).into_response();
            *res.status_mut() = StatusCode::SEE_OTHER;
            let secure = secure(&tessera);
            if let Some(v) =
                cookies::set(cookies::SESSION, session.expose(), tessera_core::session::SESSION_TTL, secure)
            {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(SignInError::BadCredentials) => form(
            &tessera,
            &login_cookie,
            &next,
            &f.account,
            Some("The account or the password is wrong."),
            StatusCode::UNAUTHORIZED,
        ),
        Err(SignInError::TooManyAttempts { retry_after }) => {
            let msg = format!("Too many failed attempts. Try again in {} minute(s).", (retry_after + 59) / 60);
            let mut res = form(&tessera, &login_cookie, &next, &f.account, Some(&msg), StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = retry_after.to_string().parse() {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(SignInError::Busy { retry_after }) => {
            let msg = "The server is busy. Please try again in a moment.";
            let mut res = form(&tessera, &login_cookie, &next, &f.account, Some(msg), StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = retry_after.to_string().parse() {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "Signing in failed on our side. Please try again.")
        }
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

pub async fn logout(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(session) = cookies::get(&headers, cookies::SESSION) else {
        return Redirect::to("/login").into_response();
    };
    let form: Option<LogoutForm> = body::form(raw).ok();
    if !form.is_some_and(|f| tessera.csrf_ok(&session, &f.csrf)) {
        return error_page(StatusCode::FORBIDDEN, "This form has expired or was not sent by this site.");
    }
    // Ends the session and tells the user's apps that listen (back-channel logout).
    if let Err(e) = tessera.end_session(&session).await {
        tracing::error!(error = %e, "sign-out failed");
    }
    let mut res = Redirect::to("/login").into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    if let Some(v) = cookies::set(cookies::SESSION, "", 0, secure(&tessera)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
