//! Cookies of the pages: the session (`tessera_session`), the pre-sign-in CSRF cookie
//! (`tessera_login`) and the console's reviewer pass (`tessera_reviewer`). HttpOnly,
//! SameSite=Lax, Secure when Tessera's public URL is https.

use http::{HeaderMap, HeaderValue, header};
use tessera_core::secret::Secret;

pub const SESSION: &str = "tessera_session";
pub const LOGIN: &str = "tessera_login";
/// The console's reviewer pass (see `tessera_service::reviewer`).
pub const REVIEWER: &str = "tessera_reviewer";

/// The value of cookie `name` in the request.
pub fn get(headers: &HeaderMap, name: &str) -> Option<Secret> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| Secret::new(v))
}

/// A `Set-Cookie` value; `max_age` 0 deletes the cookie.
pub fn set(name: &str, value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")).ok()
}
