//! Who calls the management API: the operator (by the operator token) or a signed-in person.
//! Bearer tokens that are neither count against the client's address, like wrong tokens on
//! the console's reviewer sign-in, and are answered 429 past the limit.
//! A call authenticated by the session cookie (which a browser attaches to any site's
//! request) must prove it comes from Tessera's own pages when it changes something: a JSON
//! body (a cross-site form or `text/plain` fetch cannot send one without a preflight), and
//! no `Origin` or `Sec-Fetch-Site` naming another site. Bearer calls are not affected.

use axum::extract::FromRequestParts;
use http::request::Parts;
use http::{StatusCode, header};
use tessera_core::secret::Secret;
use tessera_service::Tessera;
use tessera_service::management::Actor;
use tessera_service::reviewer::BearerError;

use super::error::ApiError;
use crate::client_addr::ClientAddr;
use crate::web::cookies;

/// The authenticated actor of a management request.
pub struct Caller(pub Actor);

impl FromRequestParts<Tessera> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, tessera: &Tessera) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| Secret::new(t.trim()));
        if let Some(token) = &bearer {
            let Ok(client) = ClientAddr::from_request_parts(parts, tessera).await;
            return match tessera.bearer_actor(token, client.as_str()).await {
                Ok(actor) => Ok(Caller(actor)),
                Err(BearerError::Unknown) => Err(ApiError::unauthenticated()),
                Err(e @ BearerError::TooManyAttempts { retry_after }) => {
                    Err(ApiError::too_many(retry_after, "too_many_attempts", e.to_string()))
                }
                Err(BearerError::Store(e)) => Err(e.into()),
            };
        }
        let session = cookies::get(&parts.headers, cookies::SESSION).ok_or_else(ApiError::unauthenticated)?;
        same_site_only(parts, tessera)?;
        match tessera.session(&session).await? {
            Some(s) => Ok(Caller(Actor::Person(s.union_id))),
            None => Err(ApiError::unauthenticated()),
        }
    }
}

/// The CSRF rule for calls authenticated by the session cookie: an unsafe method carries a
/// body only as `application/json`, and its `Origin` (if sent) is Tessera's own, as is its
/// `Sec-Fetch-Site` (if sent).
fn same_site_only(parts: &Parts, tessera: &Tessera) -> Result<(), ApiError> {
    if parts.method.is_safe() {
        return Ok(());
    }
    let h = &parts.headers;
    let text =
        |name: header::HeaderName| h.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}").trim().to_ascii_lowercase());
    let has_body = h.contains_key(header::TRANSFER_ENCODING)
        || text(header::CONTENT_LENGTH).is_some_and(|l| l != "0")
        || h.contains_key(header::CONTENT_TYPE);
    let json =
        text(header::CONTENT_TYPE).is_some_and(|t| t.split(';').next().is_some_and(|m| m.trim() == "application/json"));
    if has_body && !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "a request authenticated by the session cookie must send its body as Content-Type: application/json",
        ));
    }
    let cross_site = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "a request authenticated by the session cookie must come from Tessera's own pages",
        )
    };
    if let Some(site) = text(http::HeaderName::from_static("sec-fetch-site"))
        && site != "same-origin"
        && site != "none"
    {
        return Err(cross_site());
    }
    if let Some(origin) = text(header::ORIGIN)
        && !is_own_origin(&origin, tessera, h)
    {
        return Err(cross_site());
    }
    Ok(())
}

/// Whether `origin` (lowercase) is Tessera's: its public URL's origin, or the host the
/// request was sent to (a browser sets both; another site cannot set either).
fn is_own_origin(origin: &str, tessera: &Tessera, headers: &http::HeaderMap) -> bool {
    let public = tessera.config().public_url.trim_end_matches('/').to_ascii_lowercase();
    let public_origin = match public.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or_default()),
        None => public,
    };
    if origin == public_origin {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    match (origin.split_once("://"), host) {
        (Some(("http" | "https", authority)), Some(host)) => authority == host,
        _ => false,
    }
}
