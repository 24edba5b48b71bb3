//! `GET /account`: the apps the signed-in user authorized, each with a Withdraw button.

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use tessera_core::ids::ClientId;
use tessera_core::secret::Secret;
use tessera_core::session::Session;
use tessera_service::Tessera;

use super::html::{error_page, page};
use super::signed_form;
use crate::body;

async fn signed_in(tessera: &Tessera, headers: &HeaderMap) -> Result<(Secret, Session), Response> {
    signed_form::signed_in(tessera, headers).await?.ok_or_else(|| Redirect::to("/login?next=/account").into_response())
}

pub async fn show(State(tessera): State<Tessera>, headers: HeaderMap) -> Response {
    let (cookie, session) = match signed_in(&tessera, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let apps = match tessera.authorized_apps(&session.union_id).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "listing consents failed");
            return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Your authorized apps could not be loaded.");
        }
    };
    let csrf = tessera.csrf_token(&cookie);
    let apps = apps
        .iter()
        .map(|(consent, app)| AuthorizedApp {
            name: &app.name,
            client_id: app.client_id.as_str(),
            scopes: consent.scopes.iter().map(|s| s.as_str()).collect(),
        })
        .collect();
    // The person's name, as the console shows it (the account id only if there is none).
    let who = match tessera.user(&session.union_id).await {
        Ok(Some(u)) => u.user.name,
        Ok(None) => session.union_id.to_string(),
        Err(e) => return super::html::store_error_page(&e, "Your account could not be loaded."),
    };
    let body = AccountPage { who: &who, apps, csrf: &csrf };
    page(StatusCode::OK, "Your account", &body, "'self'")
}

struct AuthorizedApp<'a> {
    name: &'a str,
    client_id: &'a str,
    scopes: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    who: &'a str,
    apps: Vec<AuthorizedApp<'a>>,
    csrf: &'a str,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
    /// Where to go back to (a local path; the console sends its own).
    next: Option<String>,
}

pub async fn withdraw(
    State(tessera): State<Tessera>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let (cookie, session) = match signed_in(&tessera, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form: Option<CsrfForm> = body::form(raw).ok();
    let Some(form) = form.filter(|f| tessera.csrf_ok(&cookie, &f.csrf)) else {
        return error_page(StatusCode::FORBIDDEN, "This form has expired or was not sent by this site.");
    };
    let back = super::login::safe_next(form.next.as_deref());
    let Ok(client_id) = ClientId::parse(client_id) else {
        return error_page(StatusCode::NOT_FOUND, "No such app.");
    };
    match tessera.withdraw_consent(&session.union_id, &client_id).await {
        Ok(_) => {
            let mut res = Redirect::to(&back).into_response();
            *res.status_mut() = StatusCode::SEE_OTHER;
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "withdrawing consent failed");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "The app could not be withdrawn; please try again.")
        }
    }
}
