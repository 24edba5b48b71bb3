//! Forward-auth: the decision endpoints an existing proxy asks before it forwards a request,
//! each answering from the same route table as the gateway.
//!
//! - `/gateway/auth/nginx`: nginx `auth_request`; the original request in `X-Original-Method`
//!   and `X-Original-URI`. nginx takes 2xx as allow and only 401 and 403 as deny, so every
//!   other refusal status is answered as 401 (no or a bad token) or 403 (anything else).
//! - `/gateway/auth/forward`: Traefik ForwardAuth, Caddy `forward_auth`, APISIX `forward-auth`;
//!   the original request in `X-Forwarded-Method`, `X-Forwarded-Uri` (and `X-Forwarded-Host`).
//! - `/gateway/auth/envoy/…`: Envoy `ext_authz` over HTTP with `path_prefix: /gateway/auth/envoy`;
//!   the original method is the request's, the original path what follows the prefix.
//!
//! Allowed: 200 with the identity headers (every one of them, empty when it does not apply, so
//! a proxy copying them overwrites any the client sent). Refused: the route's dialect status
//! and body, with the missing scopes in `X-Tessera-Required-Scopes`.

use axum::Extension;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use tessera_service::Tessera;

use super::Gateway;
use super::dispatch::{Asker, Decision, decide};
use super::refusal::{GatewayError, gateway_error};

/// The path prefix Envoy's `ext_authz` is configured with.
pub const ENVOY_PREFIX: &str = "/gateway/auth/envoy";

/// The identity headers, in the order they are documented.
pub const IDENTITY_HEADERS: &[&str] = &[
    "x-tessera-client-id",
    "x-tessera-corp-id",
    "x-tessera-union-id",
    "x-tessera-user-id",
    "x-tessera-token-kind",
    "x-tessera-scopes",
    super::assertion::ASSERTION_HEADER,
];

/// [`IDENTITY_HEADERS`] as header names made at compile time: inserting by `&str` would
/// parse and copy each name on every answer.
const IDENTITY_HEADER_NAMES: [HeaderName; 7] = [
    HeaderName::from_static("x-tessera-client-id"),
    HeaderName::from_static("x-tessera-corp-id"),
    HeaderName::from_static("x-tessera-union-id"),
    HeaderName::from_static("x-tessera-user-id"),
    HeaderName::from_static("x-tessera-token-kind"),
    HeaderName::from_static("x-tessera-scopes"),
    HeaderName::from_static(super::assertion::ASSERTION_HEADER),
];

/// The path of an original URI (`/a/b?x=1` → `/a/b`), refusing anything but origin form.
fn original_path(uri: &str) -> Option<&str> {
    let path = uri.split(['?', '#']).next()?;
    path.starts_with('/').then_some(path)
}

async fn answer(
    tessera: &Tessera,
    gateway: &Gateway,
    method: Option<&str>,
    uri: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    let bad = |why| gateway_error(Default::default(), GatewayError::BadRequest(why));
    let Some(method) = method.and_then(|m| Method::from_bytes(m.trim().as_bytes()).ok()) else {
        return bad("the original method is missing or malformed");
    };
    let Some(path) = uri.and_then(original_path) else {
        return bad("the original URI is missing or not a path");
    };
    match decide(tessera, gateway, &method, path, headers, Asker::ForwardAuth).await {
        Decision::Allowed(a) => {
            // The values are shared (reference-counted) with the identity cache's entry.
            let mut headers = HeaderMap::with_capacity(IDENTITY_HEADER_NAMES.len() + 4);
            for name in IDENTITY_HEADER_NAMES {
                let value = a.identity.get(&name).cloned().unwrap_or_else(|| HeaderValue::from_static(""));
                headers.insert(name, value);
            }
            // Made whole here: `(StatusCode::OK, headers).into_response()` would copy them into
            // a second map.
            let mut res = Response::new(axum::body::Body::empty());
            *res.headers_mut() = headers;
            res
        }
        Decision::Refused(res) => res,
        // The proxy asked about a path of its own: answered in the gateway's default dialect.
        Decision::NoRoute => crate::surface::not_found_in(crate::surface::Surface::DingTalk),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

const X_ORIGINAL_METHOD: HeaderName = HeaderName::from_static("x-original-method");
const X_ORIGINAL_URI: HeaderName = HeaderName::from_static("x-original-uri");
const X_FORWARDED_METHOD: HeaderName = HeaderName::from_static("x-forwarded-method");
const X_FORWARDED_URI: HeaderName = HeaderName::from_static("x-forwarded-uri");

/// One of the forward-auth endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/gateway/auth/nginx`
    Nginx,
    /// `/gateway/auth/forward`
    Forward,
    /// `/gateway/auth/envoy` and `/gateway/auth/envoy/…`
    Envoy,
}

impl Endpoint {
    /// The endpoint the server's router sends `path` to, for the paths it surely does (a
    /// path it may route otherwise, such as the Envoy prefix with a bare trailing slash,
    /// is `None`).
    pub fn of(path: &str) -> Option<Endpoint> {
        let rest = path.strip_prefix("/gateway/auth/")?;
        match rest {
            "nginx" => Some(Endpoint::Nginx),
            "forward" => Some(Endpoint::Forward),
            "envoy" => Some(Endpoint::Envoy),
            _ => rest.strip_prefix("envoy/").filter(|p| !p.is_empty()).map(|_| Endpoint::Envoy),
        }
    }

    /// The endpoint's answer to a request of `method` to `path` with `headers`.
    pub async fn answer(
        self,
        tessera: &Tessera,
        gateway: &Gateway,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Response {
        match self {
            Endpoint::Nginx => nginx_answer(tessera, gateway, headers).await,
            Endpoint::Forward => forwarded_answer(tessera, gateway, headers).await,
            Endpoint::Envoy => {
                let path = path.strip_prefix(ENVOY_PREFIX).unwrap_or("");
                let path = if path.is_empty() { "/" } else { path };
                answer(tessera, gateway, Some(method.as_str()), Some(path), headers).await
            }
        }
    }
}

async fn forwarded_answer(t: &Tessera, gateway: &Gateway, headers: &HeaderMap) -> Response {
    let (method, uri) = (header(headers, &X_FORWARDED_METHOD), header(headers, &X_FORWARDED_URI));
    answer(t, gateway, method, uri, headers).await
}

async fn nginx_answer(t: &Tessera, gateway: &Gateway, headers: &HeaderMap) -> Response {
    let (method, uri) = (header(headers, &X_ORIGINAL_METHOD), header(headers, &X_ORIGINAL_URI));
    let mut res = answer(t, gateway, method, uri, headers).await;
    let status = res.status();
    if !status.is_success() && status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN {
        let token_problem =
            status == StatusCode::BAD_REQUEST && !res.headers().contains_key(super::refusal::REQUIRED_SCOPES);
        *res.status_mut() = if token_problem { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN };
    }
    res
}

/// nginx `auth_request`.
pub async fn nginx(State(t): State<Tessera>, Extension(gateway): Extension<Gateway>, headers: HeaderMap) -> Response {
    nginx_answer(&t, &gateway, &headers).await
}

/// Traefik ForwardAuth, Caddy `forward_auth`, APISIX `forward-auth`.
pub async fn forwarded(
    State(t): State<Tessera>,
    Extension(gateway): Extension<Gateway>,
    headers: HeaderMap,
) -> Response {
    forwarded_answer(&t, &gateway, &headers).await
}

/// Envoy `ext_authz` (HTTP service): the original request, its path after [`ENVOY_PREFIX`].
pub async fn envoy(State(t): State<Tessera>, Extension(gateway): Extension<Gateway>, req: Request) -> Response {
    Endpoint::Envoy.answer(&t, &gateway, req.method(), req.uri().path(), req.headers()).await
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    #[test]
    fn only_the_paths_the_router_surely_sends_to_an_endpoint_are_one() {
        assert_eq!(Endpoint::of("/gateway/auth/nginx"), Some(Endpoint::Nginx));
        assert_eq!(Endpoint::of("/gateway/auth/forward"), Some(Endpoint::Forward));
        assert_eq!(Endpoint::of("/gateway/auth/envoy"), Some(Endpoint::Envoy));
        assert_eq!(Endpoint::of("/gateway/auth/envoy/v1.0/x"), Some(Endpoint::Envoy));
        for other in [
            "/gateway/auth/envoy/",
            "/gateway/auth/nginx/",
            "/gateway/auth/Forward",
            "/gateway/auth",
            "/gateway/auth/x",
            "/x",
        ] {
            assert_eq!(Endpoint::of(other), None, "{other}");
        }
    }
}
