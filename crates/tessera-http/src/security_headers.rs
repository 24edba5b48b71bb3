//! Headers every answer gets, whatever the dialect:
//! - `Cache-Control: no-store` and `Pragma: no-cache` unless the handler chose a cache
//!   policy itself: tokens, secrets, sessions and codes are in answers of every dialect, and
//!   no cache (browser, proxy) may keep one. `Pragma` is added to every `no-store` answer for
//!   HTTP/1.0 caches.
//! - With an https public URL: `Strict-Transport-Security`, and the cookies' `__Host-` name
//!   prefix (the browser then accepts the cookie only from this host, `Secure`, on path `/`,
//!   so a sibling subdomain cannot plant a session). The handlers name cookies without the
//!   prefix: it is added to `Set-Cookie` and removed from `Cookie` here, and an incoming
//!   Tessera cookie without the prefix is dropped.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};
use tessera_service::Tessera;

/// The prefix of cookie names under an https public URL.
pub const HOST_PREFIX: &str = "__Host-";
/// Tessera's cookies all start with this.
const OWN_COOKIE: &str = "tessera_";
/// One year, Keycloak's and most guides' default.
const HSTS: &str = "max-age=31536000";

/// The middleware: see the module documentation.
pub async fn apply(State(tessera): State<Tessera>, mut req: Request, next: Next) -> Response {
    let https = https(&tessera);
    on_request(https, req.headers_mut());
    let mut res = next.run(req).await;
    on_response(https, res.headers_mut());
    res
}

/// Whether Tessera's public URL is https (then HSTS and `__Host-` cookies apply).
pub fn https(tessera: &Tessera) -> bool {
    tessera.config().public_url.starts_with("https://")
}

/// What [`apply`] does to a request's headers before the handler sees them.
pub fn on_request(https: bool, headers: &mut HeaderMap) {
    if https {
        strip_cookie_prefix(headers);
    }
}

/// What [`apply`] does to an answer's headers.
pub fn on_response(https: bool, h: &mut HeaderMap) {
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let no_store = h.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("no-store"));
    if no_store && !h.contains_key(header::PRAGMA) {
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    if https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
        add_cookie_prefix(h);
    }
}

/// `Cookie`: keeps `__Host-tessera_*` under their plain names, drops plain `tessera_*`.
fn strip_cookie_prefix(headers: &mut HeaderMap) {
    if !headers.contains_key(header::COOKIE) {
        return;
    }
    let kept: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| match pair.strip_prefix(HOST_PREFIX) {
            Some(own) if own.starts_with(OWN_COOKIE) => Some(own.to_owned()),
            _ if pair.starts_with(OWN_COOKIE) => None,
            _ => Some(pair.to_owned()),
        })
        .collect();
    headers.remove(header::COOKIE);
    if let Ok(v) = HeaderValue::from_str(&kept.join("; "))
        && !kept.is_empty()
    {
        headers.insert(header::COOKIE, v);
    }
}

/// `Set-Cookie`: `tessera_*` becomes `__Host-tessera_*` (the handlers set `Secure` and
/// `Path=/` under https, and never `Domain`).
fn add_cookie_prefix(headers: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    if cookies.is_empty() {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for c in cookies {
        let renamed = match c.to_str() {
            Ok(s) if s.starts_with(OWN_COOKIE) => HeaderValue::from_str(&format!("{HOST_PREFIX}{s}")).unwrap_or(c),
            _ => c,
        };
        headers.append(header::SET_COOKIE, renamed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_cookies_are_read_only_with_the_prefix() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("tessera_session=planted; other=1"));
        h.append(header::COOKIE, HeaderValue::from_static("__Host-tessera_session=real; __Host-x=2"));
        strip_cookie_prefix(&mut h);
        assert_eq!(h.get_all(header::COOKIE).iter().count(), 1);
        assert_eq!(h[header::COOKIE], "other=1; tessera_session=real; __Host-x=2");
    }

    #[test]
    fn own_set_cookies_get_the_prefix() {
        let mut h = HeaderMap::new();
        h.append(header::SET_COOKIE, HeaderValue::from_static("tessera_session=s; Path=/; Secure"));
        h.append(header::SET_COOKIE, HeaderValue::from_static("other=1"));
        add_cookie_prefix(&mut h);
        let all: Vec<_> = h.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(all, ["__Host-tessera_session=s; Path=/; Secure", "other=1"]);
    }
}
