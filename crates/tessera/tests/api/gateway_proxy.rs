//! The gateway as a reverse proxy in front of an HTTP upstream started by the test.

use serde_json::Value;

use crate::gateway_upstream::*;
use crate::helpers::*;

pub async fn proxied_app() -> (TestApp, Upstream) {
    let upstream = start_upstream().await;
    let routes = routes_file(&upstream.base).await;
    (spawn_with(Setup::sqlite().with_routes(routes)).await, upstream)
}

pub fn echoed<'a>(r: &'a Reply, header: &str) -> Option<&'a str> {
    r.body["headers"][header].as_str()
}

#[tokio::test]
async fn an_allowed_call_reaches_the_upstream_with_identity_headers_and_without_the_token() {
    let (app, upstream) = proxied_app().await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let r = app
        .send(
            app.http
                .post(app.url("/api/echo/42?x=1&y=two"))
                .header("x-acs-dingtalk-access-token", &token)
                .header("x-tessera-client-id", "forged-app")
                .header("X-Tessera-Corp-Id", "forged-corp")
                .header("x-tessera-admin", "yes")
                .header("connection", "x-hop")
                .header("x-hop", "hop-by-hop")
                .header("x-forwarded-for", "10.9.8.7")
                .body("hello upstream"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["method"], "POST");
    assert_eq!(r.body["uri"], "/api/echo/42?x=1&y=two");
    assert_eq!(r.body["body"], "hello upstream");
    assert_eq!(echoed(&r, "x-tessera-client-id"), Some("dingdemoapp"));
    assert_eq!(echoed(&r, "x-tessera-corp-id"), Some(DEMO_CORP));
    assert_eq!(echoed(&r, "x-tessera-token-kind"), Some("app"));
    assert_eq!(echoed(&r, "x-tessera-scopes"), Some("qyapi_get_member"));
    assert_eq!(echoed(&r, "x-tessera-union-id"), None, "an app token acts for no user");
    assert_eq!(echoed(&r, "x-tessera-admin"), None, "client-sent X-Tessera-* never passes");
    assert!(echoed(&r, "x-tessera-assertion").is_some_and(|a| a.split('.').count() == 3));
    assert_eq!(echoed(&r, "x-acs-dingtalk-access-token"), None, "the token stays at the gateway");
    assert!(!r.text.contains(&token));
    assert_eq!(echoed(&r, "x-hop"), None, "headers named by Connection are hop-by-hop");
    assert_eq!(echoed(&r, "x-forwarded-for"), Some("10.9.8.7, 127.0.0.1"));
    assert_eq!(echoed(&r, "x-forwarded-proto"), Some("http"));
    assert_eq!(echoed(&r, "x-forwarded-host"), Some(app.base.trim_start_matches("http://")));
    assert_eq!(echoed(&r, "host"), Some(upstream.base.trim_start_matches("http://")));

    // A Bearer token is removed the same way.
    let r = app.send(app.http.get(app.url("/api/echo/1")).bearer_auth(&token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(echoed(&r, "authorization"), None);
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 2);
}

#[tokio::test]
async fn a_refused_call_never_reaches_the_upstream_and_answers_in_the_routes_dialect() {
    let (app, upstream) = proxied_app().await;
    let readonly = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    let r = app
        .send(app.http.put(app.url("/api/echo/7")).header("x-acs-dingtalk-access-token", &readonly).body("{}"))
        .await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert_eq!(r.body["accessdenieddetail"]["requiredScopes"][0], "qyapi_manage_addresslist");
    assert_eq!(r.header("x-tessera-required-scopes"), Some("qyapi_manage_addresslist"));
    let r = app.send(app.http.get(app.url("/api/echo/7"))).await;
    assert_dingtalk_error(&r, 400, "AuthenticationFailed.MissingParameter");
    let r = app.send(app.http.get(app.url("/api/echo/7")).header("x-acs-dingtalk-access-token", "t-nope")).await;
    assert_dingtalk_error(&r, 400, "InvalidAuthentication");
    // Feishu's dialect.
    let basic = app.app_token(DEMO_CORP, "dingbasic", "basic-secret").await;
    let r = app.send(app.http.get(app.url("/api/feishu/7")).bearer_auth(&basic)).await;
    assert_eq!((r.status, r.body["code"].as_i64()), (400, Some(99991672)), "{}", r.text);
    // RFC 6750: no token is a bare challenge; an app token on a user route is invalid_token.
    let r = app.send(app.http.get(app.url("/api/oauth/7"))).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"tessera\""));
    let r = app.send(app.http.get(app.url("/api/oauth/7")).bearer_auth(&basic)).await;
    assert_eq!((r.status, r.str("error")), (401, "invalid_token"), "{}", r.text);
    assert!(r.header("www-authenticate").unwrap().contains("error=\"invalid_token\""));
    // Not a route of the table: 404, and a method the template does not take: 405.
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let r = app.send(app.http.get(app.url("/api/nowhere")).header("x-acs-dingtalk-access-token", &token)).await;
    assert_dingtalk_error(&r, 404, "NotFound");
    let r = app.send(app.http.delete(app.url("/api/echo/7")).header("x-acs-dingtalk-access-token", &token)).await;
    assert_eq!(r.status, 405, "{}", r.text);
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_recall_takes_effect_on_the_next_proxied_call() {
    let (app, _upstream) = proxied_app().await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let put = || app.http.put(app.url("/api/echo/7")).header("x-acs-dingtalk-access-token", &token).body("{}");
    assert_eq!(app.send(put()).await.status, 200);
    let alice = session(&app, "alice-union").await;
    assert_eq!(grant(&app, &alice, DEMO_CORP, "dingdemoapp", "qyapi_manage_addresslist", false).await.status, 204);
    let r = app.send(put()).await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
}

#[tokio::test]
async fn the_upstreams_own_refusal_passes_through_unchanged() {
    let (app, _upstream) = proxied_app().await;
    let token = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    let r = app.send(app.http.get(app.url("/api/forbid")).header("x-acs-dingtalk-access-token", &token)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.text, r#"{"code":"Upstream.Forbidden","message":"the user may not read this"}"#);
}

#[tokio::test]
async fn an_unreachable_upstream_is_502_and_a_slow_one_504_in_the_routes_dialect() {
    let (app, _upstream) = proxied_app().await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let get = |path: &str| app.send(app.http.get(app.url(path)).header("x-acs-dingtalk-access-token", &token));
    // DingTalk: {code, message}.
    assert_dingtalk_error(&get("/api/down").await, 502, "BadGateway");
    assert_dingtalk_error(&get("/api/slow/dingtalk").await, 504, "GatewayTimeout");
    // Feishu: {code: 20050, msg}.
    for (path, status) in [("/api/down/feishu", 502), ("/api/slow", 504)] {
        let r = get(path).await;
        assert_eq!((r.status, r.body["code"].as_i64()), (status, Some(20050)), "{path}: {}", r.text);
        assert!(!r.str("msg").is_empty(), "{}", r.text);
    }
    assert!(get("/api/slow").await.str("msg").contains("did not answer in time"));
    // OAuth 2: {error, error_description}.
    for (path, status, error) in
        [("/api/down/oauth2", 502, "bad_gateway"), ("/api/slow/oauth2", 504, "gateway_timeout")]
    {
        let r = get(path).await;
        assert_eq!((r.status, r.str("error")), (status, error), "{path}: {}", r.text);
        assert!(!r.str("error_description").is_empty(), "{}", r.text);
        assert!(r.body.get("code").is_none(), "{}", r.text);
    }
}

#[tokio::test]
async fn connections_to_the_upstream_are_kept_alive_and_reused() {
    let (app, upstream) = proxied_app().await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    for i in 0..20 {
        let r = app
            .send(app.http.get(app.url(&format!("/api/echo/{i}"))).header("x-acs-dingtalk-access-token", &token))
            .await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 20);
    assert_eq!(upstream.seen.connections.lock().unwrap().len(), 1, "one kept-alive connection for 20 calls");
}

#[tokio::test]
async fn paths_that_could_reach_another_route_and_double_framing_are_400_and_never_forwarded() {
    let (app, upstream) = proxied_app().await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let host = app.base.trim_start_matches("http://").to_owned();
    for target in
        ["/api/echo/..%2Fforbid", "/api/echo/%2e%2e", "/api/echo/x%2Fy", "/api/x/../forbid", "/api/echo/a%5Cb"]
    {
        let req = format!(
            "GET {target} HTTP/1.1\r\nHost: {host}\r\nx-acs-dingtalk-access-token: {token}\r\nConnection: close\r\n\r\n"
        );
        let answer = raw_http(&app, req.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{target}: {answer}");
    }
    let absolute = format!(
        "GET http://{host}/api/echo/1 HTTP/1.1\r\nHost: {host}\r\nx-acs-dingtalk-access-token: {token}\r\nConnection: close\r\n\r\n"
    );
    let answer = raw_http(&app, absolute.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 0);
    // Content-Length with Transfer-Encoding (either order): refused with 400 in the route's
    // dialect, never forwarded, and the connection closed after the answer (the request says
    // nothing about closing, so reading to the end ends only if the server does).
    for framing in
        ["Content-Length: 4\r\nTransfer-Encoding: chunked", "Transfer-Encoding: chunked\r\nContent-Length: 4"]
    {
        let both = format!(
            "POST /api/echo/1 HTTP/1.1\r\nHost: {host}\r\nx-acs-dingtalk-access-token: {token}\r\n{framing}\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        );
        let answer = tokio::time::timeout(std::time::Duration::from_secs(10), raw_http(&app, both.as_bytes()))
            .await
            .expect("the connection must be closed after a request with both framings");
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["code"], "InvalidParameter", "{answer}");
        assert!(body["message"].as_str().unwrap().contains("Transfer-Encoding"), "{answer}");
    }
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 0, "nothing was forwarded");
    // On one kept-alive connection, requests with a body framed once (by length, then
    // chunked, holding bytes that look like a head framed twice) are forwarded; only the
    // one framed twice after them is refused.
    let fake = "GET /api/echo/9 HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
    let auth = format!("Host: {host}\r\nx-acs-dingtalk-access-token: {token}");
    let pipelined = format!(
        "POST /api/echo/1 HTTP/1.1\r\n{auth}\r\nContent-Length: {}\r\n\r\n{fake}\
         POST /api/echo/2 HTTP/1.1\r\n{auth}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{fake}\r\n0\r\n\r\n\
         POST /api/echo/3 HTTP/1.1\r\n{auth}\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        fake.len(),
        fake.len()
    );
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), raw_http(&app, pipelined.as_bytes()))
        .await
        .expect("the connection must be closed after the request with both framings");
    let statuses: Vec<&str> = answer.match_indices("HTTP/1.1 ").map(|(i, _)| &answer[i + 9..i + 12]).collect();
    assert_eq!(statuses, ["200", "200", "400"], "{answer}");
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 2);
}

/// The real binary in front of the upstream: 50 MB each way streams through with the
/// server's peak memory well below the size of the body.
#[tokio::test]
async fn fifty_megabytes_stream_both_ways_with_flat_memory() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let upstream = start_upstream().await;
    let routes = routes_file(&upstream.base).await;
    let dir = temp_dir();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--listen", "127.0.0.1:0", "--fixture"])
        .env("TESSERA_PASSWORD_MEMORY_KIB", "1024")
        .arg(demo_fixture_path())
        .arg("--routes")
        .arg(&routes)
        .arg("--data-dir")
        .arg(&dir)
        .env("TESSERA_LOG", "warn")
        .env_remove("TESSERA_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next_line().await.unwrap().expect("server exited before listening");
        if let Some(addr) = line.strip_prefix("tessera listening on ") {
            break addr.to_owned();
        }
    };
    let app = TestApp::remote(&base, Setup::sqlite());
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let peak = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap().to_owned();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
    };
    // Warm up (allocator, pools), then note the peak before the large bodies.
    assert_eq!(app.send(app.http.get(format!("{base}/api/echo/1")).bearer_auth(&token)).await.status, 200);
    let before = peak();
    const BLOCKS: usize = 800; // 800 × 64 KiB = 50 MiB

    // Upload, chunked, written block by block.
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut expected = sha2::Sha256::new();
    use sha2::Digest;
    for i in 0..BLOCKS {
        let b = block(i);
        expected.update(&b);
        stream.write_all(format!("{:x}\r\n", b.len()).as_bytes()).await.unwrap();
        stream.write_all(&b).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["size"], 65_536 * BLOCKS);
    assert_eq!(body["sha256"], hex(&expected.finalize()));

    // Download, read chunk by chunk.
    let mut res = app.http.get(format!("{base}/api/download/{BLOCKS}")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (mut size, mut got, mut want) = (0usize, sha2::Sha256::new(), sha2::Sha256::new());
    for i in 0..BLOCKS {
        want.update(block(i));
    }
    while let Some(chunk) = res.chunk().await.unwrap() {
        size += chunk.len();
        got.update(&chunk);
    }
    assert_eq!(size, 65_536 * BLOCKS);
    assert_eq!(got.finalize(), want.finalize());
    let grown = peak().saturating_sub(before);
    assert!(grown < 16 * 1024 * 1024, "the server's peak memory grew by {grown} bytes for 50 MiB each way");
    child.kill().await.unwrap();
}

/// A control character in the target of a gateway route is refused before the token check,
/// in the dialect the route table declares (the routes live under `/api/`, which is the
/// management API's prefix among Tessera's own endpoints), and never reaches the upstream.
#[tokio::test]
async fn bad_text_in_the_target_of_a_gateway_route_is_refused_in_the_route_dialect() {
    let (app, upstream) = proxied_app().await;
    let r = app.send(app.http.get(app.url("/api/echo/a%00b"))).await;
    assert_eq!((r.status, r.str("code")), (400, "InvalidParameter"), "{}", r.text);
    assert!(!r.str("message").is_empty(), "{}", r.text);
    let r = app.send(app.http.get(app.url("/api/feishu/x?q=a%07b"))).await;
    assert_eq!((r.status, r.body["code"].as_i64()), (400, Some(10003)), "{}", r.text);
    assert!(r.str("msg").starts_with("invalid param"), "{}", r.text);
    let r = app.send(app.http.get(app.url("/api/oauth/a%01b"))).await;
    assert_eq!((r.status, r.str("error")), (400, "invalid_request"), "{}", r.text);
    assert!(!r.str("error_description").is_empty(), "{}", r.text);
    assert!(r.body.get("message").is_none(), "{}", r.text);
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 0);
}
