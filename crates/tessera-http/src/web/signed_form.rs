//! Who is signed in on the server-rendered pages: the session behind the session cookie, and
//! a form posted by a signed-in person (its fields, and their session once the CSRF token
//! checked out); or the error page to answer instead.

use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tessera_core::secret::Secret;
use tessera_core::session::Session;
use tessera_service::Tessera;

use super::cookies;
use super::html::error_page;
use crate::body;

pub struct SignedForm {
    pub pairs: Vec<(String, String)>,
    pub session: Session,
}

impl SignedForm {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The fields other than the form's own (`csrf` and `own`), i.e. the request's parameters.
    pub fn request_pairs(&self, own: &[&str]) -> Vec<(String, String)> {
        self.pairs.iter().filter(|(k, _)| k != "csrf" && !own.contains(&k.as_str())).cloned().collect()
    }
}

/// The session cookie and its live session, `None` when nobody is signed in.
pub async fn signed_in(tessera: &Tessera, headers: &HeaderMap) -> Result<Option<(Secret, Session)>, Response> {
    let Some(cookie) = cookies::get(headers, cookies::SESSION) else {
        return Ok(None);
    };
    match tessera.session(&cookie).await {
        Ok(Some(s)) => Ok(Some((cookie, s))),
        Ok(None) => Ok(None),
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            Err(error_page(StatusCode::INTERNAL_SERVER_ERROR, "Your session could not be loaded."))
        }
    }
}

pub async fn read(
    tessera: &Tessera,
    headers: &HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<SignedForm, Response> {
    let Ok(pairs) = body::form_pairs(raw) else {
        return Err(error_page(StatusCode::BAD_REQUEST, "The form could not be read or repeats a field."));
    };
    let Some((cookie, session)) = signed_in(tessera, headers).await? else {
        return Err(error_page(StatusCode::FORBIDDEN, "You are not signed in any more; start again from the app."));
    };
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
    if !csrf.is_some_and(|c| tessera.csrf_ok(&cookie, c)) {
        return Err(error_page(StatusCode::FORBIDDEN, "This form has expired or was not sent by this site."));
    }
    Ok(SignedForm { pairs, session })
}
