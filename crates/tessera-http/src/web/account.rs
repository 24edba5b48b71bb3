//! `GET /account`: the apps the signed-in user authorized, each with a Withdraw button.

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

use super::html::{error_page, esc, hidden, page};
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
    let list: String = if apps.is_empty() {
        "<p>You have not authorized any app yet. Apps you allow to act for you appear here.</p>".into()
    } else {
        apps.iter()
            .map(|(consent, app)| {
                let scopes: Vec<String> =
                    consent.scopes.iter().map(|s| format!("<code>{}</code>", esc(s.as_str()))).collect();
                format!(
                    r#"<div class="app"><strong>{name}</strong> ({id}): {scopes}
<form method="post" action="/account/apps/{id_path}/withdraw">{csrf}<button type="submit" class="secondary">Withdraw</button></form></div>"#,
                    name = esc(&app.name),
                    id = esc(app.client_id.as_str()),
                    id_path = esc(app.client_id.as_str()),
                    scopes = if scopes.is_empty() { "no scopes".into() } else { scopes.join(" ") },
                    csrf = hidden("csrf", &csrf),
                )
            })
            .collect()
    };
    let body = format!(
        r#"<p>Signed in as <strong>{who}</strong>.</p><h2>Apps you authorized</h2>{list}
<form method="post" action="/logout">{csrf}<button type="submit" class="secondary">Sign out</button></form>"#,
        who = esc(session.union_id.as_str()),
        csrf = hidden("csrf", &csrf),
    );
    page(StatusCode::OK, "Your account", &body, "'self'")
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
