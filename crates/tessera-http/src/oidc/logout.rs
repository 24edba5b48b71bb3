//! `GET` and `POST /oauth2/logout`, the `end_session_endpoint` (OpenID Connect RP-Initiated
//! Logout 1.0). With an `id_token_hint` naming the signed-in person the session ends at once;
//! otherwise the person is asked first (a page whose form carries the session's CSRF token),
//! so a cross-site link cannot sign anyone out silently. Afterwards the browser goes to the
//! `post_logout_redirect_uri` only when the client registered it (with `state`); else a plain
//! "signed out" page. Refusals are pages, never redirects.

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use tessera_core::secret::Secret;
use tessera_core::session::Session;
use tessera_service::Tessera;
use tessera_service::oidc::logout::{EndSession, EndSessionParams, LogoutError};

use crate::body;
use crate::web::cookies;
use crate::web::html::{error_page, page, store_error_page};
use crate::web::signed_form::signed_in;

/// The request parameters carried through the confirmation form.
const CARRIED: [&str; 5] = ["id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales"];

#[derive(Template)]
#[template(path = "logout_confirm.html")]
struct Confirm<'a> {
    app: Option<&'a str>,
    who: &'a str,
    csrf: &'a str,
    carried: Vec<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOut;

fn params(pairs: &[(String, String)]) -> EndSessionParams {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    EndSessionParams {
        id_token_hint: get("id_token_hint"),
        client_id: get("client_id"),
        post_logout_redirect_uri: get("post_logout_redirect_uri"),
        state: get("state"),
        ui_locales: get("ui_locales"),
    }
}

fn refusal(e: &LogoutError) -> Response {
    match e {
        LogoutError::Store(e) => store_error_page(e, "Signing out failed on our side. Please try again."),
        other => error_page(StatusCode::BAD_REQUEST, &format!("This sign-out request is not valid: {other}.")),
    }
}

pub async fn get_logout(State(tessera): State<Tessera>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let pairs = match serde_urlencoded::from_str::<Vec<(String, String)>>(query.as_deref().unwrap_or_default()) {
        Ok(p) if body::repeated(&p).is_none() => p,
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "The sign-out request could not be read or repeats a parameter.",
            );
        }
    };
    answer(&tessera, &headers, &pairs, false).await
}

pub async fn post_logout(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(pairs) = body::form_pairs(raw) else {
        return error_page(StatusCode::BAD_REQUEST, "The sign-out request could not be read or repeats a parameter.");
    };
    answer(&tessera, &headers, &pairs, true).await
}

async fn answer(tessera: &Tessera, headers: &HeaderMap, pairs: &[(String, String)], posted: bool) -> Response {
    let signed_in = match signed_in(tessera, headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let checked = match tessera.check_end_session(&params(pairs), signed_in.as_ref().map(|(_, s)| s)).await {
        Ok(c) => c,
        Err(e) => return refusal(&e),
    };
    let Some((cookie, session)) = signed_in else {
        // Nobody to sign out here: go on as if done.
        return finish(tessera, &checked);
    };
    // Our own confirmation form: a POST carrying this session's CSRF token.
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
    let confirmed = posted && csrf.is_some_and(|c| tessera.csrf_ok(&cookie, c));
    if !(checked.hint_matches_session || confirmed) {
        return confirm(tessera, &cookie, &session, &checked, pairs).await;
    }
    if let Err(e) = tessera.end_session(&cookie).await {
        return store_error_page(&e, "Signing out failed on our side. Please try again.");
    }
    finish(tessera, &checked)
}

async fn confirm(
    tessera: &Tessera,
    cookie: &Secret,
    session: &Session,
    checked: &EndSession,
    pairs: &[(String, String)],
) -> Response {
    let who = match tessera.user(&session.union_id).await {
        Ok(Some(u)) => u.user.name,
        Ok(None) => session.union_id.to_string(),
        Err(e) => return store_error_page(&e, "Your account could not be loaded."),
    };
    let carried =
        pairs.iter().filter(|(k, _)| CARRIED.contains(&k.as_str())).map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let csrf = tessera.csrf_token(cookie);
    let body = Confirm { app: checked.client_name.as_deref(), who: &who, csrf: &csrf, carried };
    // No form-action: after signing out the browser may be sent on to the app's registered URI.
    page(StatusCode::OK, "Sign out", &body, "")
}

/// The end of a logout: the registered redirect (303, so a POST becomes a GET), or the
/// "signed out" page; the session cookie is cleared either way.
fn finish(tessera: &Tessera, checked: &EndSession) -> Response {
    let mut res = match &checked.redirect {
        Some(uri) => {
            let mut r = Redirect::to(uri).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        None => page(StatusCode::OK, "Signed out", &SignedOut, "'none'"),
    };
    let secure = tessera.config().public_url.starts_with("https://");
    if let Some(v) = cookies::set(cookies::SESSION, "", 0, secure) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
