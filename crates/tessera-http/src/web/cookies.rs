//! Cookies of the pages: the session (`tessera_session`), the pre-sign-in CSRF cookie
//! (`tessera_login`) and the console's reviewer pass (`tessera_reviewer`). HttpOnly,
//! SameSite=Lax, Secure when Tessera's public URL is https. Parsed and written with the
//! `cookie` crate (RFC 6265 syntax, quoting and attributes).

use cookie::time::Duration;
use cookie::{Cookie, SameSite};
use http::{HeaderMap, HeaderValue, header};
use tessera_core::secret::Secret;

pub const SESSION: &str = "tessera_session";
pub const LOGIN: &str = "tessera_login";
/// The console's reviewer pass (see `tessera_service::reviewer`).
pub const REVIEWER: &str = "tessera_reviewer";
/// What the next console page says about the action just done: a key of a fixed list of
/// messages (see `console::notice_text`), never text of its own.
pub const NOTICE: &str = "tessera_notice";

/// The value of cookie `name` in the request (the first one sent, as browsers send the most
/// specific path first). Pairs that do not parse are skipped.
pub fn get(headers: &HeaderMap, name: &str) -> Option<Secret> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| Secret::new(c.value()))
}

/// A `Set-Cookie` value; `max_age` 0 deletes the cookie.
pub fn set(name: &str, value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(max_age))
        .secure(secure)
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::COOKIE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn reads_a_cookie_among_others_and_across_headers() {
        let h = headers(&["a=1; tessera_session=s-abc", "tessera_login=l-1"]);
        assert_eq!(get(&h, SESSION).map(|s| s.expose().to_owned()), Some("s-abc".into()));
        assert_eq!(get(&h, LOGIN).map(|s| s.expose().to_owned()), Some("l-1".into()));
        assert!(get(&h, REVIEWER).is_none());
        assert!(get(&headers(&["tessera_sessionx=1; =2; junk"]), SESSION).is_none());
    }

    #[test]
    fn writes_the_attributes_every_cookie_gets() {
        let v = set(SESSION, "s-abc", 3600, true).unwrap();
        let v = v.to_str().unwrap();
        for part in ["tessera_session=s-abc", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=3600", "Secure"] {
            assert!(v.contains(part), "{v} lacks {part}");
        }
        let gone = set(SESSION, "", 0, false).unwrap();
        assert!(gone.to_str().unwrap().contains("Max-Age=0") && !gone.to_str().unwrap().contains("Secure"));
    }
}
