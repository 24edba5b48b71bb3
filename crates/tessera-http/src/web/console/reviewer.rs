//! `GET/POST /console/reviewer`: platform reviewers sign in with the operator token and get
//! a short-lived reviewer pass (a cookie); `POST /console/reviewer/signout` drops it. The
//! form is protected against login CSRF by the pre-sign-in cookie, as `/login` is.

use askama::Template;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use tessera_core::secret::Secret;
use tessera_service::Tessera;
use tessera_service::reviewer::{REVIEWER_PASS_TTL, ReviewerSignInError};

use super::{checked_form, field, layout, see_other, viewer};
use crate::body;
use crate::client_addr::ClientAddr;
use crate::web::cookies;

fn secure(t: &Tessera) -> bool {
    t.config().public_url.starts_with("https://")
}

#[derive(Template)]
#[template(path = "console/reviewer.html")]
struct SignInForm<'a> {
    message: Option<&'a str>,
    csrf: &'a str,
}

fn form(t: &Tessera, login_cookie: &Secret, message: Option<&str>, status: StatusCode) -> Response {
    let body = SignInForm { message, csrf: &t.csrf_token(login_cookie) };
    layout::page(None, "", status, "Reviewer sign-in", "", &body)
}

pub async fn show(State(t): State<Tessera>, headers: HeaderMap) -> Response {
    let (cookie, fresh) = match cookies::get(&headers, cookies::LOGIN) {
        Some(c) => (c, false),
        None => (Secret::generate("login-", &mut rand::rng()), true),
    };
    let mut res = form(&t, &cookie, None, StatusCode::OK);
    if fresh && let Some(v) = cookies::set(cookies::LOGIN, cookie.expose(), 3600, secure(&t)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn submit(
    State(t): State<Tessera>,
    client: ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(login_cookie) = cookies::get(&headers, cookies::LOGIN) else {
        return layout::error(
            None,
            StatusCode::FORBIDDEN,
            "Your browser did not send the sign-in cookie; open the reviewer sign-in page again.",
        );
    };
    let Ok(pairs) = body::form_pairs(raw) else {
        return layout::error(None, StatusCode::BAD_REQUEST, "The form could not be read or repeats a field.");
    };
    if !field(&pairs, "csrf").is_some_and(|c| t.csrf_ok(&login_cookie, c)) {
        return layout::error(
            None,
            StatusCode::FORBIDDEN,
            "This form has expired or was not sent by this site; open the reviewer sign-in page again.",
        );
    }
    let token = Secret::new(field(&pairs, "token").unwrap_or_default().trim());
    let pass = match t.reviewer_pass(&token, client.as_str()) {
        Ok(p) => p,
        Err(ReviewerSignInError::WrongToken) => {
            tracing::info!("reviewer sign-in refused");
            return form(&t, &login_cookie, Some("That is not the operator token."), StatusCode::UNAUTHORIZED);
        }
        Err(ReviewerSignInError::TooManyAttempts { retry_after }) => {
            let msg = format!("Too many wrong tokens. Try again in {} minute(s).", (retry_after + 59) / 60);
            let mut res = form(&t, &login_cookie, Some(&msg), StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = retry_after.to_string().parse() {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
    };
    let mut res = see_other("/console/reviews");
    if let Some(v) = cookies::set(cookies::REVIEWER, pass.expose(), REVIEWER_PASS_TTL, secure(&t)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn sign_out(State(t): State<Tessera>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Response {
    let v = match viewer(&t, &headers).await {
        Ok(Some(v)) => v,
        Ok(None) => return see_other("/console"),
        Err(r) => return r,
    };
    if let Err(r) = checked_form(&t, &v, raw) {
        return r;
    }
    let mut res = see_other("/console");
    if let Some(c) = cookies::set(cookies::REVIEWER, "", 0, secure(&t)) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}
