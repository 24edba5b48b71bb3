//! Forward-auth by the documented contracts of Envoy's HTTP `ext_authz` and Traefik's
//! ForwardAuth (real nginx and Caddy are driven in `interop::forward_auth_proxies`).

use crate::gateway_upstream::*;
use crate::helpers::*;

/// Envoy `ext_authz` (HTTP service, `path_prefix: /gateway/auth/envoy`): Envoy sends the
/// original method, path and headers; only 200 allows, and on a denial Envoy hands the
/// status and body to the client.
#[tokio::test]
async fn envoy_ext_authz_contract() {
    let upstream = start_upstream().await;
    let app = spawn_with(Setup::sqlite().with_routes(routes_file(&upstream.base).await)).await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let r = app
        .send(app.http.put(app.url("/gateway/auth/envoy/api/echo/3")).header("x-acs-dingtalk-access-token", &token))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("x-tessera-client-id"), Some("dingdemoapp"));
    assert_eq!(r.header("x-tessera-scopes"), Some("qyapi_manage_addresslist"));
    assert!(r.header("x-tessera-assertion").is_some_and(|a| a.split('.').count() == 3));
    let readonly = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    let r = app
        .send(app.http.put(app.url("/gateway/auth/envoy/api/echo/3")).header("x-acs-dingtalk-access-token", &readonly))
        .await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert_eq!(r.header("x-tessera-required-scopes"), Some("qyapi_manage_addresslist"));
    let r = app.send(app.http.get(app.url("/gateway/auth/envoy/api/nowhere")).bearer_auth(&token)).await;
    assert_eq!(r.status, 404);
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 0, "forward-auth never calls the upstream");
}

/// Traefik ForwardAuth (and APISIX `forward-auth`): the original request in
/// `X-Forwarded-Method` / `X-Forwarded-Uri`; 2xx allows and `authResponseHeaders` are copied.
#[tokio::test]
async fn traefik_forward_auth_contract() {
    let upstream = start_upstream().await;
    let app = spawn_with(Setup::sqlite().with_routes(routes_file(&upstream.base).await)).await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let ask = |method: &str, uri: &str, token: &str| {
        app.http
            .get(app.url("/gateway/auth/forward"))
            .header("x-forwarded-method", method)
            .header("x-forwarded-uri", uri)
            .header("x-forwarded-host", "api.example.com")
            .header("x-forwarded-proto", "https")
            .bearer_auth(token)
    };
    let r = app.send(ask("GET", "/api/echo/1?x=2", &token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("x-tessera-corp-id"), Some(DEMO_CORP));
    assert_eq!(r.header("x-tessera-union-id"), Some(""), "every identity header is answered, empty when absent");
    let r = app.send(ask("DELETE", "/api/echo/1", &token)).await;
    assert_eq!(r.status, 405);
    let r = app.send(ask("GET", "/api/echo/..%2Fforbid", &token)).await;
    assert_eq!(r.status, 400);
    let r = app.send(app.http.get(app.url("/gateway/auth/forward")).bearer_auth(&token)).await;
    assert_dingtalk_error(&r, 400, "InvalidParameter");
    // nginx's endpoint takes the same decision from its own headers.
    let r = app
        .send(
            app.http
                .get(app.url("/gateway/auth/nginx"))
                .header("x-original-method", "GET")
                .header("x-original-uri", "/api/echo/1")
                .header("x-acs-dingtalk-access-token", "t-not-a-token"),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
}

/// The decision endpoints are the server's busiest and are answered ahead of its router;
/// every check the router's layers make still applies: the security headers on the answer,
/// the text guard on the request target, and the refusal of a request framed twice (with the
/// connection closed after it).
#[tokio::test]
async fn the_decision_endpoints_keep_the_checks_of_every_route() {
    let upstream = start_upstream().await;
    let app = spawn_with(Setup::sqlite().with_routes(routes_file(&upstream.base).await)).await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    for path in ["/gateway/auth/forward", "/gateway/auth/nginx", "/gateway/auth/envoy/api/echo/1"] {
        let r = app
            .send(
                app.http
                    .get(app.url(path))
                    .header("x-forwarded-method", "GET")
                    .header("x-forwarded-uri", "/api/echo/1")
                    .header("x-original-method", "GET")
                    .header("x-original-uri", "/api/echo/1")
                    .bearer_auth(&token),
            )
            .await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        assert_eq!(r.header("pragma"), Some("no-cache"), "{path}");
        let r = app.send(app.http.get(app.url(&format!("{path}?x=%00"))).bearer_auth(&token)).await;
        assert_dingtalk_error(&r, 400, "InvalidParameter");
    }
    let host = app.base.trim_start_matches("http://").to_owned();
    let ask = format!(
        "Host: {host}\r\nAuthorization: Bearer {token}\r\nX-Forwarded-Method: GET\r\nX-Forwarded-Uri: /api/echo/1"
    );
    for framing in
        ["Content-Length: 4\r\nTransfer-Encoding: chunked", "Transfer-Encoding: chunked\r\nContent-Length: 4"]
    {
        // A request framed once first, on the same connection: answered; then the one
        // framed twice: refused, and the connection closed (reading to its end ends).
        let both = format!(
            "POST /gateway/auth/forward HTTP/1.1\r\n{ask}\r\nContent-Length: 3\r\n\r\nabc\
             POST /gateway/auth/forward HTTP/1.1\r\n{ask}\r\n{framing}\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        );
        let answer = tokio::time::timeout(std::time::Duration::from_secs(10), raw_http(&app, both.as_bytes()))
            .await
            .expect("the connection must be closed after a request with both framings");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let second = answer.split("HTTP/1.1 ").nth(2).expect("a second answer");
        assert!(second.starts_with("400"), "{answer}");
        assert!(second.contains("Transfer-Encoding"), "{answer}");
    }
}

/// The claims of a signed assertion (its payload, not verified here: the interop tier
/// verifies it with jwcrypto against the JWKS).
fn assertion_claims(assertion: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = assertion.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The identity headers and the signed assertion are made once per token and route and
/// reused while young (the caches' 5 s re-validation period): a busy caller is not signed
/// for on every call. A committed grant change makes them again at once, and the token is
/// still checked on every call.
#[tokio::test]
async fn the_assertion_is_reused_for_a_few_seconds_and_made_again_after_a_change() {
    let t0 = 1_700_000_000;
    let upstream = start_upstream().await;
    let app = spawn_with(Setup::sqlite().with_fake_clock(t0).with_routes(routes_file(&upstream.base).await)).await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let ask = || async {
        let r = app
            .send(
                app.http
                    .get(app.url("/gateway/auth/forward"))
                    .header("x-forwarded-method", "GET")
                    .header("x-forwarded-uri", "/api/echo/1")
                    .bearer_auth(&token),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("x-tessera-client-id"), Some("dingdemoapp"));
        r.header("x-tessera-assertion").unwrap().to_owned()
    };
    let first = ask().await;
    assert_eq!(assertion_claims(&first)["iat"], t0);
    app.advance(2);
    assert_eq!(ask().await, first, "reused within the period");
    app.advance(3);
    let later = ask().await;
    assert_eq!(assertion_claims(&later)["iat"], t0 + 5, "made again once 5 s old");
    app.advance(1);
    let r = api(
        &app,
        Some(OPERATOR),
        reqwest::Method::PUT,
        "/api/v1/apps/dingdemoapp/rate_limits",
        Some(serde_json::json!({"app_qps": 1000, "route_qps": 1000})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after_change = ask().await;
    assert_eq!(assertion_claims(&after_change)["iat"], t0 + 6, "a committed grant change makes it again");
    assert_eq!(assertion_claims(&after_change)["exp"], t0 + 6 + 60);
}
