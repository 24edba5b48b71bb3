//! The server's edges against hostile apps and clients: callbacks that cannot reach inside,
//! CSRF on the JSON API, slow and greedy clients, `next` after sign-in, answers no cache may
//! keep, private files, HSTS and `__Host-` cookies, case-insensitive auth schemes, and the
//! operator token from a file.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tessera_core::change::Change;
use tessera_core::ids::ClientId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

const CALLBACK: &str = "/api/v1/apps/suitedemo/ticket-callback";

/// Sets the suite's ticket callback as the operator.
async fn set_callback(app: &TestApp, url: &str) -> Reply {
    api(app, Some(OPERATOR), reqwest::Method::PUT, CALLBACK, Some(json!({"url": url}))).await
}

/// A receiver on 127.0.0.1 that records every request's path and answers with `answer`.
async fn receiver(
    answer: impl Fn() -> axum::response::Response + Clone + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let router = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let (record, answer) = (record.clone(), answer.clone());
        async move {
            record.lock().unwrap().push(uri.path().to_owned());
            answer()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, seen)
}

fn ok() -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::http::StatusCode::OK)
}

async fn wait_for(seen: &Arc<Mutex<Vec<String>>>, count: usize) -> bool {
    for _ in 0..100 {
        if seen.lock().unwrap().len() >= count {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn resend(app: &TestApp) -> Reply {
    app.send(
        app.http
            .post(app.url("/open-apis/auth/v3/app_ticket/resend"))
            .json(&json!({"app_id": "suitedemo", "app_secret": "suite-secret"})),
    )
    .await
}

async fn callback_registration_refuses_inside_addresses(setup: Setup) {
    let app = spawn_with(setup).await;
    for url in [
        "http://127.0.0.1:9000/tickets",
        "http://127.1.2.3/tickets",
        "http://[::1]:9000/tickets",
        "http://localhost:9000/tickets",
        "http://10.0.0.5/tickets",
        "http://172.16.3.4/tickets",
        "http://192.168.1.10/tickets",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/tickets",
        "http://[fd00::1]/tickets",
        "http://0.0.0.0:9000/tickets",
        "http://100.64.0.1/tickets",
        "http://224.0.0.1/tickets",
        "http://[::ffff:127.0.0.1]/tickets",
    ] {
        let r = set_callback(&app, url).await;
        assert_eq!(r.status, 400, "{url}: {}", r.text);
        assert_eq!(r.str("error"), "invalid_request", "{url}: {}", r.text);
        assert!(r.str("message").contains("non-public"), "{url}: {}", r.text);
    }
    // A public address is accepted (nothing is sent at registration).
    let r = set_callback(&app, "https://203.0.114.7/tickets").await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn callback_registration_refuses_inside_addresses_sqlite() {
    callback_registration_refuses_inside_addresses(Setup::sqlite()).await;
}

#[tokio::test]
async fn callback_registration_refuses_inside_addresses_postgres() {
    callback_registration_refuses_inside_addresses(Setup::postgres().await).await;
}

#[tokio::test]
async fn a_stored_inside_callback_gets_no_push() {
    // A URL stored before the rule (or by another path) is checked again at each push.
    let mut setup = Setup::sqlite().with_fake_clock(1_700_000_000);
    setup.config.suite_ticket_interval = 2;
    let clock = setup.clock.clone().unwrap();
    let app = spawn_with(setup).await;
    let (base, seen) = receiver(ok).await;
    let store = tessera::backend::open_store(&app.setup.database_url).await.unwrap();
    let suite = ClientId::parse("suitedemo").unwrap();
    let change =
        Change::SetTicketCallback { client_id: suite, url: Some(format!("{base}/tickets")), event: Default::default() };
    store.commit(&[change], tessera_core::time::UnixTime(1_700_000_000)).await.unwrap();

    let before = suite_ticket(&app, "suitedemo", "suite-secret").await;
    clock.advance(2);
    let outcomes = app.ticket_round().await;
    assert_eq!(outcomes, [tessera_service::ticket_push::Outcome::Refused], "the push to a loopback address");
    let after = suite_ticket(&app, "suitedemo", "suite-secret").await;
    assert_ne!(after, before, "a new ticket was issued (and its push attempted)");
    // A resend is refused the same way.
    assert_eq!(resend(&app).await.body["code"], 0);
    // A push to a reachable receiver lands within milliseconds; give it well over that.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(seen.lock().unwrap().is_empty(), "pushed to a loopback address: {:?}", seen.lock().unwrap());
}

#[tokio::test]
async fn ticket_pushes_do_not_follow_redirects() {
    let mut setup = Setup::sqlite();
    // Both receivers listen on 127.0.0.1.
    setup.config.allow_private_callbacks = true;
    let app = spawn_with(setup).await;
    let (inner, inner_seen) = receiver(ok).await;
    let target = format!("{inner}/internal");
    let (outer, outer_seen) = receiver(move || {
        axum::response::IntoResponse::into_response((
            axum::http::StatusCode::TEMPORARY_REDIRECT,
            [(axum::http::header::LOCATION, target.clone())],
        ))
    })
    .await;
    suite_ticket(&app, "suitedemo", "suite-secret").await;
    assert_eq!(set_callback(&app, &format!("{outer}/tickets")).await.status, 200);
    assert_eq!(resend(&app).await.body["code"], 0);
    // The 307 is a failed attempt: the push is retried (after 1 s) at the same URL.
    assert!(wait_for(&outer_seen, 2).await, "the push was retried after the redirect");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(outer_seen.lock().unwrap().iter().all(|p| p == "/tickets"));
    assert!(inner_seen.lock().unwrap().is_empty(), "the redirect was followed: {:?}", inner_seen.lock().unwrap());
}

#[tokio::test]
async fn ticket_resends_are_limited_per_app() {
    let mut setup = Setup::sqlite();
    setup.config.allow_private_callbacks = true;
    let app = spawn_with(setup).await;
    let (base, seen) = receiver(ok).await;
    // The first ticket is issued (and pushed) at start; register the callback after it.
    suite_ticket(&app, "suitedemo", "suite-secret").await;
    assert_eq!(set_callback(&app, &format!("{base}/tickets")).await.status, 200);
    let first = resend(&app).await;
    assert_eq!(first.body["code"], 0, "{}", first.text);
    assert!(wait_for(&seen, 1).await);
    for _ in 0..5 {
        let again = resend(&app).await;
        crate::feishu::assert_feishu_error(&again, 429, 99991400);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(seen.lock().unwrap().len(), 1, "only the first resend was pushed");
}

/// `POST /api/v1/apps/dingbasic/secret` with the session cookie and the given headers.
async fn rotate_with_cookie(app: &TestApp, session: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut req = app
        .http
        .post(app.url("/api/v1/apps/dingbasic/secret"))
        .header("cookie", format!("tessera_session={session}"))
        .body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app.send(req).await
}

#[tokio::test]
async fn cookie_authenticated_api_calls_need_json_from_tessera_itself() {
    let app = spawn_app().await;
    let alice = session(&app, "alice-union").await;
    let body = r#"{"overlap_seconds": 0}"#;
    // The attack: a cross-site "simple" request, no preflight.
    let r =
        rotate_with_cookie(&app, &alice, &[("content-type", "text/plain"), ("origin", "https://evil.example")], body)
            .await;
    assert_eq!((r.status, r.str("error")), (415, "unsupported_media_type"), "{}", r.text);
    let r = rotate_with_cookie(&app, &alice, &[("content-type", "application/x-www-form-urlencoded")], body).await;
    assert_eq!(r.status, 415, "{}", r.text);
    let r = rotate_with_cookie(&app, &alice, &[], body).await;
    assert_eq!(r.status, 415, "a body without a content type: {}", r.text);
    let json_type = ("content-type", "application/json");
    let r = rotate_with_cookie(&app, &alice, &[json_type, ("origin", "https://evil.example")], body).await;
    assert_eq!((r.status, r.str("error")), (403, "cross_site_request"), "{}", r.text);
    let r = rotate_with_cookie(&app, &alice, &[json_type, ("origin", "null")], body).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = rotate_with_cookie(&app, &alice, &[json_type, ("sec-fetch-site", "cross-site")], body).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = rotate_with_cookie(&app, &alice, &[json_type, ("sec-fetch-site", "same-site")], body).await;
    assert_eq!(r.status, 403, "{}", r.text);

    // From Tessera's own pages (or a client that sends no Origin) it works.
    let own = app.base.clone();
    let r =
        rotate_with_cookie(&app, &alice, &[json_type, ("origin", &own), ("sec-fetch-site", "same-origin")], body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = rotate_with_cookie(&app, &alice, &[("content-type", "application/json; charset=utf-8")], body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Reads are not affected.
    let r = app
        .send(
            app.http
                .get(app.url("/api/v1/apps/dingbasic/permissions"))
                .header("cookie", format!("tessera_session={alice}"))
                .header("origin", "https://evil.example"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // A Bearer call carries no ambient credential: unaffected.
    let r = app
        .send(
            app.http
                .post(app.url("/api/v1/apps/dingbasic/secret"))
                .bearer_auth(&alice)
                .header("content-type", "text/plain")
                .header("origin", "https://evil.example")
                .body(body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Opens a connection and sends `bytes`; returns the stream.
async fn connect_and_send(app: &TestApp, bytes: &[u8]) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Reads until the server closes the connection (or `within` passes: then `None`).
async fn read_until_closed(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    match tokio::time::timeout(within, stream.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed_after_the_header_timeout() {
    assert_eq!(tessera::boot::Limits::default().header_read_timeout, Duration::from_secs(10));
    let mut setup = Setup::sqlite();
    setup.limits.header_read_timeout = Duration::from_secs(1);
    let app = spawn_with(setup).await;
    // Half a request header, never finished.
    let mut slow = Vec::new();
    for _ in 0..20 {
        slow.push(connect_and_send(&app, b"GET /oauth2/token HTTP/1.1\r\nHost: tessera\r\nX-Slow: ").await);
    }
    for stream in &mut slow {
        assert!(read_until_closed(stream, Duration::from_secs(5)).await.is_some(), "a half header kept its connection");
    }
    // A connection that sends nothing at all.
    let mut silent = connect_and_send(&app, b"").await;
    assert!(read_until_closed(&mut silent, Duration::from_secs(5)).await.is_some());
    // A kept-alive connection that goes idle after its answer.
    let mut idle =
        connect_and_send(&app, b"GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: tessera\r\n\r\n").await;
    let answer = read_until_closed(&mut idle, Duration::from_secs(5)).await.expect("the idle connection was closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn oversized_headers_are_refused_with_431() {
    let app = spawn_app().await;
    let big = "a".repeat(20 * 1024);
    let request = format!("GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: t\r\nX-Big: {big}\r\n\r\n");
    let mut stream = connect_and_send(&app, request.as_bytes()).await;
    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    // A normal request still works.
    let ok =
        raw_http(&app, b"GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
}

#[tokio::test]
async fn open_connections_are_capped() {
    let mut setup = Setup::sqlite();
    setup.limits.max_connections = 2;
    setup.limits.header_read_timeout = Duration::from_secs(30);
    let app = spawn_with(setup).await;
    let hold_a = connect_and_send(&app, b"GET / HTTP/1.1\r\nHost: t\r\n").await;
    let _hold_b = connect_and_send(&app, b"GET / HTTP/1.1\r\nHost: t\r\n").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let request = b"GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    let mut third = connect_and_send(&app, request).await;
    assert!(
        read_until_closed(&mut third, Duration::from_millis(700)).await.is_none(),
        "a third connection was served while two were open"
    );
    drop(hold_a);
    let answer = read_until_closed(&mut third, Duration::from_secs(5)).await.expect("served once a slot was free");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Posts the sign-in form with `next` replaced; returns the redirect target.
async fn sign_in_with_next(app: &TestApp, next: &str) -> String {
    let browser = crate::browser::Browser::new(app);
    let login = browser.get("/login").await;
    let mut form: Vec<(String, String)> = login.hidden().into_iter().filter(|(k, _)| k != "next").collect();
    form.push(("next".into(), next.into()));
    form.push(("account".into(), "alice-union".into()));
    form.push(("password".into(), "alice-password".into()));
    let page = browser.post("/login", &form).await;
    assert_eq!(page.status, 303, "{}", page.html);
    page.location.unwrap()
}

#[tokio::test]
async fn next_after_sign_in_is_a_local_path_only() {
    let app = spawn_app().await;
    for evil in [
        "/\t/evil.example/x",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/ /evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "",
    ] {
        assert_eq!(sign_in_with_next(&app, evil).await, "/account", "next={evil:?}");
    }
    // NUL never reaches the sign-in at all: the form is refused at the edge (bad text), so
    // there is no redirect anywhere.
    let browser = crate::browser::Browser::new(&app);
    let login = browser.get("/login").await;
    let mut form: Vec<(String, String)> = login.hidden().into_iter().filter(|(k, _)| k != "next").collect();
    form.push(("next".into(), "/\u{0}x".into()));
    form.push(("account".into(), "alice-union".into()));
    form.push(("password".into(), "alice-password".into()));
    let page = browser.post("/login", &form).await;
    assert_eq!(page.status, 400, "{}", page.html);
    assert!(page.location.is_none(), "a refused sign-in redirected to {:?}", page.location);
    assert_eq!(sign_in_with_next(&app, "/console?x=1").await, "/console?x=1");
    // The reported link, through the page's own hidden field.
    let browser = crate::browser::Browser::new(&app);
    let login = browser.get("/login?next=%2F%09%2Fevil.example%2Fx").await;
    let next = login.hidden().into_iter().find(|(k, _)| k == "next").unwrap().1;
    assert_eq!(next, "/account");
    let page = browser.sign_in("alice-union", "alice-password", "/\t/evil.example/x").await;
    assert_eq!(page.location.as_deref(), Some("/account"));
}

fn assert_no_store(r: &Reply, what: &str) {
    assert!(r.status < 300, "{what}: {} {}", r.status, r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
    assert_eq!(r.header("pragma"), Some("no-cache"), "{what}");
}

#[tokio::test]
async fn every_answer_with_a_credential_is_no_store() {
    let app = spawn_app().await;
    let post_json = |path: &str, body: Value| app.send(app.http.post(app.url(path)).json(&body));
    let r = post_json("/api/v1/sessions", json!({"account": "alice-union", "password": "alice-password"})).await;
    assert_no_store(&r, "management sign-in");
    let r = app
        .get_token(
            DEMO_CORP,
            json!({"client_id": "dingdemoapp", "client_secret": "demo-secret", "grant_type": "client_credentials"}),
        )
        .await;
    assert_no_store(&r, "DingTalk GetToken");
    let r = app.get_access_token(json!({"appKey": "dingdemoapp", "appSecret": "demo-secret"})).await;
    assert_no_store(&r, "DingTalk accessToken");
    let r = app.send(app.http.get(app.url("/gettoken?appkey=dingdemoapp&appsecret=demo-secret"))).await;
    assert_no_store(&r, "/gettoken");
    let ticket = suite_ticket(&app, "suitedemo", "suite-secret").await;
    let r = post_json(
        "/v1.0/oauth2/suiteAccessToken",
        json!({"suiteKey": "suitedemo", "suiteSecret": "suite-secret", "suiteTicket": ticket}),
    )
    .await;
    assert_no_store(&r, "suite token");
    let r = post_json(
        "/v1.0/oauth2/corpAccessToken",
        json!({"authCorpId": DEMO_CORP, "suiteKey": "suitedemo", "suiteSecret": "suite-secret", "suiteTicket": ticket}),
    )
    .await;
    assert_no_store(&r, "corp token");
    let feishu = json!({"app_id": crate::feishu::FEISHU_APP, "app_secret": crate::feishu::FEISHU_SECRET});
    let r = post_json("/open-apis/auth/v3/tenant_access_token/internal", feishu.clone()).await;
    assert_no_store(&r, "Feishu tenant_access_token/internal");
    let r = post_json("/open-apis/auth/v3/app_access_token/internal", feishu).await;
    assert_no_store(&r, "Feishu app_access_token/internal");
    let r = post_json(
        "/open-apis/auth/v3/app_access_token",
        json!({"app_id": "suitedemo", "app_secret": "suite-secret", "app_ticket": ticket}),
    )
    .await;
    assert_no_store(&r, "Feishu store app_access_token");
    let app_token = r.str("app_access_token").to_owned();
    let r = post_json(
        "/open-apis/auth/v3/tenant_access_token",
        json!({"app_access_token": app_token, "tenant_key": DEMO_CORP}),
    )
    .await;
    assert_no_store(&r, "Feishu store tenant_access_token");
    let r = app.oauth_token(&[("grant_type", "client_credentials")], Some(("dingdemoapp", "demo-secret"))).await;
    assert_no_store(&r, "OAuth 2 token");
    let r = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth(crate::feishu::FEISHU_APP, Some(crate::feishu::FEISHU_SECRET))
                .form(&[("scope", "doc:readonly")]),
        )
        .await;
    assert_no_store(&r, "device authorization");
    let r = post_json(
        "/open-apis/authen/v2/oauth/device_authorization",
        json!({"client_id": crate::feishu::FEISHU_APP, "scope": "doc:readonly"}),
    )
    .await;
    assert_no_store(&r, "Feishu device authorization");
}

#[cfg(unix)]
#[tokio::test]
async fn database_and_key_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    // A write, so the WAL holds something.
    app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let dir = app.setup.data_dir.clone();
    for name in ["tessera.db", "tessera.db-wal", "tessera.db-shm", "secret.key"] {
        let mode = std::fs::metadata(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}")).permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{name} has mode {:o}", mode & 0o777);
    }
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// The `name=value` of the cookie called `name` in `cookies`.
fn cookie_pair(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .map(|c| c.split(';').next().unwrap().to_owned())
        .find(|pair| pair.split_once('=').unwrap().0 == name)
        .unwrap_or_else(|| panic!("no cookie {name} in {cookies:?}"))
}

#[tokio::test]
async fn an_https_public_url_adds_hsts_and_host_prefixed_cookies() {
    let mut setup = Setup::sqlite();
    setup.config.public_url = "https://tessera.example".into();
    let app = spawn_with(setup).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.headers()["strict-transport-security"], "max-age=31536000");
    let cookies = set_cookies(&login);
    let login_cookie = cookie_pair(&cookies, "__Host-tessera_login");
    assert!(cookies[0].contains("; Secure") && cookies[0].contains("Path=/") && !cookies[0].contains("Domain"));
    let page = crate::browser::Page { status: 200, location: None, html: login.text().await.unwrap() };
    let mut form = page.hidden();
    form.push(("account".into(), "alice-union".into()));
    form.push(("password".into(), "alice-password".into()));
    let signed = http.post(app.url("/login")).header("cookie", &login_cookie).form(&form).send().await.unwrap();
    assert_eq!(signed.status(), 303);
    let session = cookie_pair(&set_cookies(&signed), "__Host-tessera_session");
    let account = http.get(app.url("/account")).header("cookie", &session).send().await.unwrap();
    assert_eq!(account.status(), 200);
    assert!(account.text().await.unwrap().contains("Signed in as <strong>Alice</strong>"));
    // The same session without the prefix (as a sibling subdomain could set it) is ignored.
    let planted = session.trim_start_matches("__Host-").to_owned();
    let account = http.get(app.url("/account")).header("cookie", &planted).send().await.unwrap();
    assert_ne!(account.status(), 200, "an unprefixed session cookie was accepted");
    // The management API reads the prefixed cookie too.
    let api = app.send(app.http.get(app.url("/api/v1/apps/dingbasic/permissions")).header("cookie", &session)).await;
    assert_eq!(api.status, 200, "{}", api.text);

    // Under plain http: no HSTS, no prefix.
    let plain = spawn_app().await;
    let login = http.get(plain.url("/login")).send().await.unwrap();
    assert!(login.headers().get("strict-transport-security").is_none());
    assert!(set_cookies(&login)[0].starts_with("tessera_login="));
}

#[tokio::test]
async fn auth_scheme_names_are_case_insensitive() {
    let app = spawn_app().await;
    let basic = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "dingdemoapp:demo-secret");
    for scheme in ["Basic", "basic", "BASIC", "bAsIc"] {
        let r = app
            .send(
                app.http
                    .post(app.url("/oauth2/token"))
                    .header("authorization", format!("{scheme} {basic}"))
                    .form(&[("grant_type", "client_credentials")]),
            )
            .await;
        assert_eq!(r.status, 200, "{scheme}: {}", r.text);
    }
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let r = app
            .send(app.http.get(app.url("/api/v1/reviews")).header("authorization", format!("{scheme} {OPERATOR}")))
            .await;
        assert_eq!(r.status, 200, "{scheme}: {}", r.text);
    }
}

#[tokio::test]
async fn the_operator_token_can_come_from_a_file() {
    use tokio::io::AsyncBufReadExt;
    let dir = temp_dir();
    let token_file = dir.join("operator-token");
    std::fs::write(&token_file, "operator-token-from-a-file\n").unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--listen", "127.0.0.1:0", "--operator-token-file"])
        .arg(&token_file)
        .arg("--data-dir")
        .arg(&dir)
        .env_remove("TESSERA_DATABASE_URL")
        .env_remove("TESSERA_OPERATOR_TOKEN")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next_line().await.unwrap().expect("server exited before listening");
        if let Some(addr) = line.strip_prefix("tessera listening on ") {
            break addr.to_owned();
        }
    };
    let http = reqwest::Client::new();
    let reviews = |token: &'static str| http.get(format!("{base}/api/v1/reviews")).bearer_auth(token).send();
    assert_eq!(reviews("operator-token-from-a-file").await.unwrap().status(), 200);
    assert_eq!(reviews("operator-token-from-a-fil").await.unwrap().status(), 401);
    child.kill().await.unwrap();
    // Both ways at once is an error.
    let both = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--operator-token", "operator-token-on-the-line", "--operator-token-file"])
        .arg(&token_file)
        .arg("--data-dir")
        .arg(&dir)
        .output()
        .await
        .unwrap();
    assert!(!both.status.success());
}
