//! Forwarding an allowed request to its HTTP upstream: bodies stream both ways, hop-by-hop
//! headers are dropped, `X-Forwarded-*` set, the access token removed, every client-sent
//! `X-Tessera-*` header stripped and the gateway's identity headers added.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{PathAndQuery, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::TOKEN_HEADER;
use super::refusal::{GatewayError, gateway_error};
use super::table::{Route, Upstream};

/// A pooled HTTP/1 client for one upstream (keep-alive connections are reused).
pub type UpstreamClient = Client<HttpConnector, Body>;

pub fn client(upstream: &Upstream) -> UpstreamClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(upstream.connect_timeout));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).pool_max_idle_per_host(64).build(connector)
}

/// Headers that describe one connection, not the message (RFC 9110 7.6.1), as names made at
/// compile time (removing by `&str` would parse each name on every call, twice per request).
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Removes hop-by-hop headers, including those the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Removes every `X-Tessera-*` header: only the gateway sets them.
pub fn strip_tessera_headers(headers: &mut HeaderMap) {
    let ours: Vec<HeaderName> = headers.keys().filter(|k| k.as_str().starts_with("x-tessera-")).cloned().collect();
    for name in ours {
        headers.remove(name);
    }
}

/// Removes the access token the request carried (the upstream gets identity headers instead).
pub fn strip_access_token(headers: &mut HeaderMap) {
    headers.remove(TOKEN_HEADER);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    if bearer {
        headers.remove(header::AUTHORIZATION);
    }
}

/// The upstream URI: its base (with any path prefix) and the request's path and query.
fn upstream_uri(base: &Uri, original: &Uri) -> Result<Uri, http::Error> {
    let prefix = base.path().trim_end_matches('/');
    let tail = original.path_and_query().map(PathAndQuery::as_str).unwrap_or("/");
    let mut parts = base.clone().into_parts();
    parts.path_and_query = Some(format!("{prefix}{tail}").parse()?);
    Ok(Uri::from_parts(parts)?)
}

/// Forwards `req` (its headers already carrying the identity headers) to `base`.
pub async fn forward(
    client: &UpstreamClient,
    route: &Route,
    base: &Uri,
    peer: Option<SocketAddr>,
    proto: &'static str,
    mut req: Request,
) -> Response {
    let Ok(uri) = upstream_uri(base, req.uri()) else {
        return gateway_error(route.dialect, GatewayError::BadRequest("the request target cannot be forwarded"));
    };
    let headers = req.headers_mut();
    strip_hop_by_hop(headers);
    let original_host = headers.remove(header::HOST);
    if let Some(host) = original_host {
        headers.insert(X_FORWARDED_HOST, host);
    }
    if let Some(peer) = peer {
        let forwarded_for = match headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
            Some(earlier) => format!("{earlier}, {}", peer.ip()),
            None => peer.ip().to_string(),
        };
        if let Ok(v) = HeaderValue::from_str(&forwarded_for) {
            headers.insert(X_FORWARDED_FOR, v);
        }
    }
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(proto));
    if let Some(authority) = uri.authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()) {
        headers.insert(header::HOST, authority);
    }
    *req.uri_mut() = uri;
    *req.version_mut() = http::Version::HTTP_11;
    let timeout = route.upstream.timeout;
    match tokio::time::timeout(timeout, client.request(req)).await {
        Err(_) => gateway_error(route.dialect, GatewayError::Timeout),
        Ok(Err(e)) => {
            tracing::warn!(upstream = %route.upstream.name, error = %e, "the upstream cannot be reached");
            gateway_error(route.dialect, GatewayError::Unreachable)
        }
        Ok(Ok(res)) => {
            let (mut parts, body) = res.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, Body::new(body))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upstream_uri_keeps_the_base_prefix_and_the_query() {
        let base: Uri = "http://10.0.0.1:9000/api/".parse().unwrap();
        let original: Uri = "/v1/users/7?x=1".parse().unwrap();
        assert_eq!(upstream_uri(&base, &original).unwrap().to_string(), "http://10.0.0.1:9000/api/v1/users/7?x=1");
    }

    #[test]
    fn hop_by_hop_and_connection_named_headers_are_removed() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, x-secret-hop"));
        h.insert("x-secret-hop", HeaderValue::from_static("1"));
        h.insert("te", HeaderValue::from_static("trailers"));
        h.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.keys().map(|k| k.as_str()).collect::<Vec<_>>(), vec!["x-kept"]);
    }
}
