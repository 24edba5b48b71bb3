//! The Feishu/Lark dialect over HTTP: token endpoints, the envelope and its headers, the
//! error codes of docs/feishu-protocol.md, user tokens through the authorization page, v2/v3 token
//! endpoints with rotation, revocation, and the sample APIs' scope errors.

use serde_json::{Value, json};

use crate::browser::{Browser, urlencode};
use crate::helpers::*;

pub const FEISHU_APP: &str = "cli_feishudemo";
pub const FEISHU_SECRET: &str = "feishu-secret";
pub const FEISHU_REDIRECT: &str = "http://127.0.0.1:8905/callback";

/// POSTs raw bytes (no content type) the way the Python SDK sends token requests.
async fn post_raw(app: &TestApp, path: &str, body: &str) -> Reply {
    app.send(app.http.post(app.url(path)).body(body.to_owned())).await
}

pub async fn tenant_token(app: &TestApp, app_id: &str, secret: &str) -> String {
    let r = post_raw(
        app,
        "/open-apis/auth/v3/tenant_access_token/internal",
        &json!({"app_id": app_id, "app_secret": secret}).to_string(),
    )
    .await;
    assert_eq!(r.body["code"], 0, "{}", r.text);
    r.str("tenant_access_token").to_owned()
}

/// Asserts Feishu's envelope error: status, code, `msg`, `error.log_id` equal to `X-Tt-Logid`.
pub fn assert_feishu_error(r: &Reply, status: u16, code: i64) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.body["code"], code, "{}", r.text);
    assert!(!r.str("msg").is_empty());
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    let log_id = r.header("x-tt-logid").expect("X-Tt-Logid");
    assert_eq!(r.body["error"]["log_id"], log_id, "{}", r.text);
}

/// Asserts Feishu's OAuth error: HTTP 400 with `code`, `error`, `error_description`.
pub fn assert_feishu_oauth_error(r: &Reply, code: i64, error: &str) {
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["code"], code, "{}", r.text);
    assert_eq!(r.str("error"), error, "{}", r.text);
    assert!(!r.str("error_description").is_empty());
    assert!(r.header("x-tt-logid").is_some());
}

/// An authorization code for the Feishu bot, from Feishu's authorization page.
pub async fn feishu_code(app: &TestApp, account: &str, password: &str, scope: &str) -> String {
    let browser = Browser::new(app);
    let path = format!(
        "/open-apis/authen/v1/authorize?app_id={FEISHU_APP}&redirect_uri={}&scope={}&state=s1",
        urlencode(FEISHU_REDIRECT),
        urlencode(scope)
    );
    let page = browser.authorize(&path, account, password).await;
    assert!(page.location.as_deref().unwrap().starts_with(FEISHU_REDIRECT), "{:?}", page.location);
    assert_eq!(page.location_param("state").as_deref(), Some("s1"));
    page.location_param("code").unwrap()
}

async fn v2_token(app: &TestApp, body: Value) -> Reply {
    app.send(app.http.post(app.url("/open-apis/authen/v2/oauth/token")).json(&body)).await
}

async fn v3_form(app: &TestApp, form: &[(&str, &str)]) -> Reply {
    app.send(
        app.http
            .post(app.url("/oauth/v3/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap()),
    )
    .await
}

async fn send_message(app: &TestApp, token: &str) -> Reply {
    app.send(
        app.http
            .post(app.url("/open-apis/im/v1/messages?receive_id_type=open_id"))
            .bearer_auth(token)
            .json(&json!({"receive_id": "bob-union", "msg_type": "text", "content": "{\"text\":\"hi\"}"})),
    )
    .await
}

async fn user_info(app: &TestApp, token: &str) -> Reply {
    app.send(app.http.get(app.url("/open-apis/authen/v1/user_info")).bearer_auth(token)).await
}

#[tokio::test]
async fn tenant_and_app_tokens_are_flat_reused_and_ignore_extra_fields() {
    let app = spawn_app().await;
    // The Python SDK's shared body leaks other apps' fields; no content type either.
    let body = r#"{"app_id": "cli_feishudemo", "app_secret": "feishu-secret", "app_ticket": "t", "tenant_key": "k"}"#;
    let r = post_raw(&app, "/open-apis/auth/v3/tenant_access_token/internal", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["code"], 0);
    assert_eq!(r.body["msg"], "ok");
    assert_eq!(r.body["expire"], 7200);
    assert!(r.body.get("data").is_none(), "auth/v3 answers flat: {}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    assert!(r.header("x-tt-logid").is_some_and(|l| l.len() >= 16));
    let token = r.str("tenant_access_token").to_owned();
    assert!(token.starts_with("t-"));

    let again = post_raw(&app, "/open-apis/auth/v3/tenant_access_token/internal", body).await;
    assert_eq!(again.str("tenant_access_token"), token, "same token while 30 min or more remain");

    let a = post_raw(&app, "/open-apis/auth/v3/app_access_token/internal", body).await;
    assert_eq!(a.body["code"], 0, "{}", a.text);
    assert_eq!(a.str("app_access_token"), token);
    assert_eq!(a.str("tenant_access_token"), token);
}

#[tokio::test]
async fn token_endpoint_errors_are_http_200_with_feishu_codes() {
    let app = spawn_app().await;
    let path = "/open-apis/auth/v3/tenant_access_token/internal";
    let unknown = post_raw(&app, path, r#"{"app_id":"test","app_secret":"x"}"#).await;
    assert_feishu_error(&unknown, 200, 10003);
    let wrong = post_raw(&app, path, r#"{"app_id":"cli_feishudemo","app_secret":"nope"}"#).await;
    assert_feishu_error(&wrong, 200, 10014);
    assert_eq!(wrong.str("msg"), "app secret invalid");
    assert!(!wrong.text.contains("nope"), "the secret is never echoed");
    for body in ["", "not json", "[1,2]", r#"{"app_id":""}"#] {
        let r = post_raw(&app, path, body).await;
        assert_feishu_error(&r, 200, 10003);
    }
    // A third-party enterprise app has no self-built token.
    let isv = post_raw(&app, path, r#"{"app_id":"suitedemo","app_secret":"suite-secret"}"#).await;
    assert_feishu_error(&isv, 200, 99991662);
}

#[tokio::test]
async fn business_api_token_errors_are_http_400() {
    let app = spawn_app().await;
    let r = app.send(app.http.get(app.url("/open-apis/contact/v3/users/alice?user_id_type=user_id"))).await;
    assert_feishu_error(&r, 400, 99991661);
    let r = app
        .send(app.http.get(app.url("/open-apis/contact/v3/users/alice?user_id_type=user_id")).bearer_auth("t-unknown"))
        .await;
    assert_feishu_error(&r, 400, 99991663);
    let r = app
        .send(app.http.get(app.url("/open-apis/contact/v3/users/alice?user_id_type=user_id")).bearer_auth("garbage"))
        .await;
    assert_feishu_error(&r, 400, 99991671);
    assert_feishu_error(&user_info(&app, "u-unknown").await, 400, 99991668);
    // user_info takes user tokens only.
    let tenant = tenant_token(&app, FEISHU_APP, FEISHU_SECRET).await;
    assert_feishu_error(&user_info(&app, &tenant).await, 400, 99991668);

    // With a good token the same call works, in the data envelope.
    let r = app
        .send(app.http.get(app.url("/open-apis/contact/v3/users/alice?user_id_type=user_id")).bearer_auth(&tenant))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["code"], 0);
    assert_eq!(r.body["data"]["user"]["open_id"], "alice-union");
    assert!(r.header("x-tt-logid").is_some());

    // Unknown Open API paths: plain-text 404 as Feishu answers.
    let r = app.send(app.http.get(app.url("/open-apis/nothing/v9/here"))).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.text, "404 page not found");
}

#[tokio::test]
async fn an_app_without_the_scope_gets_99991672_with_permission_violations() {
    let app = spawn_app().await;
    let token = tenant_token(&app, "dingreadonly", "readonly-secret").await;
    let r = send_message(&app, &token).await;
    assert_feishu_error(&r, 400, 99991672);
    assert!(r.str("msg").contains("[im:message:send_as]"), "{}", r.text);
    assert_eq!(
        r.body["error"]["permission_violations"],
        json!([{"type": "action_scope_required", "subject": "im:message:send_as"}])
    );
    // The bot holds it.
    let bot = tenant_token(&app, FEISHU_APP, FEISHU_SECRET).await;
    let ok = send_message(&app, &bot).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["data"]["sender"]["sender_type"], "app");
    assert!(ok.body["data"]["message_id"].as_str().unwrap().starts_with("om_"));
    // Bad input is a clear 400, not a crash.
    let bad = app
        .send(
            app.http
                .post(app.url("/open-apis/im/v1/messages?receive_id_type=open_id"))
                .bearer_auth(&bot)
                .json(&json!({"receive_id": "bob-union", "msg_type": "text", "content": "not json"})),
        )
        .await;
    assert_feishu_error(&bad, 400, 10003);
}

#[tokio::test]
async fn user_tokens_through_the_authorization_page_v2_and_v3_with_rotation_and_revocation() {
    let app = spawn_app().await;
    let code = feishu_code(&app, "alice-union", "alice-password", "doc:readonly offline_access").await;
    // v2: JSON, client credentials in the body.
    let r = v2_token(
        &app,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": FEISHU_REDIRECT,
               "client_id": FEISHU_APP, "client_secret": FEISHU_SECRET}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["code"], 0);
    assert_eq!(r.body["token_type"], "Bearer");
    let uat = r.str("access_token").to_owned();
    assert!(uat.starts_with("u-"));
    let refresh1 = r.str("refresh_token").to_owned();
    assert!(r.body["refresh_token_expires_in"].as_i64().unwrap() > 0);
    assert!(r.str("scope").contains("doc:readonly"));

    let me = user_info(&app, &uat).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["data"]["open_id"], "alice-union");
    assert_eq!(me.body["data"]["user_id"], "alice");
    assert_eq!(me.body["data"]["tenant_key"], DEMO_CORP);

    // The user did not grant messaging: 99991679, the user's privilege is missing.
    let r = send_message(&app, &uat).await;
    assert_feishu_error(&r, 400, 99991679);
    assert_eq!(
        r.body["error"]["permission_violations"],
        json!([{"type": "action_privilege_required", "subject": "im:message:send_as"}])
    );
    assert!(r.str("msg").contains("[im:message:send_as]"));

    // v3: form, HTTP Basic. The refresh token rotates.
    let mut req =
        app.http.post(app.url("/oauth/v3/token")).header("content-type", "application/x-www-form-urlencoded").body(
            serde_urlencoded::to_string([("grant_type", "refresh_token"), ("refresh_token", &refresh1)]).unwrap(),
        );
    req = req.basic_auth(FEISHU_APP, Some(FEISHU_SECRET));
    let r = app.send(req).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let refresh2 = r.str("refresh_token").to_owned();
    assert_ne!(refresh2, refresh1);
    // The consumed one: 20073-style answer, and the family is revoked.
    let reused = v3_form(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh1),
            ("client_id", FEISHU_APP),
            ("client_secret", FEISHU_SECRET),
        ],
    )
    .await;
    assert_feishu_oauth_error(&reused, 20073, "invalid_grant");
    assert!(!reused.text.contains(&refresh1));
    let unknown = v3_form(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "r-nope"),
            ("client_id", FEISHU_APP),
            ("client_secret", FEISHU_SECRET),
        ],
    )
    .await;
    assert_feishu_oauth_error(&unknown, 20026, "invalid_grant");

    // Both Basic and client_secret: 20070.
    let both = app
        .send(
            app.http.post(app.url("/oauth/v3/token")).basic_auth(FEISHU_APP, Some(FEISHU_SECRET)).json(
                &json!({"grant_type": "refresh_token", "refresh_token": refresh2, "client_secret": FEISHU_SECRET}),
            ),
        )
        .await;
    assert_feishu_oauth_error(&both, 20070, "invalid_request");
    let bad_client = v2_token(
        &app,
        json!({"grant_type": "authorization_code", "code": "x", "client_id": FEISHU_APP, "client_secret": "no"}),
    )
    .await;
    assert_feishu_oauth_error(&bad_client, 20002, "invalid_client");
    let bad_code = v2_token(
        &app,
        json!({"grant_type": "authorization_code", "code": "ac-nope", "client_id": FEISHU_APP, "client_secret": FEISHU_SECRET}),
    )
    .await;
    assert_feishu_oauth_error(&bad_code, 20003, "invalid_grant");
    let grant =
        v2_token(&app, json!({"grant_type": "password", "client_id": FEISHU_APP, "client_secret": FEISHU_SECRET}))
            .await;
    assert_feishu_oauth_error(&grant, 20004, "unsupported_grant_type");
}

#[tokio::test]
async fn revoke_ends_the_user_token_and_a_code_without_offline_access_gives_no_refresh_token() {
    let app = spawn_app().await;
    let code = feishu_code(&app, "bob-union", "bob-password", "doc:readonly").await;
    let r = v3_form(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", FEISHU_APP),
            ("client_secret", FEISHU_SECRET),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body.get("refresh_token").is_none(), "no offline_access, no refresh token: {}", r.text);
    let uat = r.str("access_token").to_owned();
    assert_eq!(user_info(&app, &uat).await.status, 200);

    let rv = app
        .send(app.http.post(app.url("/oauth/v1/revoke")).form(&[
            ("client_id", FEISHU_APP),
            ("client_secret", FEISHU_SECRET),
            ("token", &uat),
            ("token_type_hint", "access_token"),
        ]))
        .await;
    assert_eq!(rv.status, 200, "{}", rv.text);
    assert_eq!(rv.body, json!({}));
    assert_feishu_error(&user_info(&app, &uat).await, 400, 99991668);
}

#[tokio::test]
async fn legacy_v1_endpoints_take_the_app_access_token_and_wrap_data() {
    let app = spawn_app().await;
    let code = feishu_code(&app, "alice-union", "alice-password", "doc:readonly").await;
    let app_token = tenant_token(&app, FEISHU_APP, FEISHU_SECRET).await;
    let missing = app
        .send(
            app.http
                .post(app.url("/open-apis/authen/v1/oidc/access_token"))
                .json(&json!({"grant_type": "authorization_code", "code": code})),
        )
        .await;
    assert_feishu_error(&missing, 400, 99991661);
    let bad_app = app
        .send(
            app.http
                .post(app.url("/open-apis/authen/v1/oidc/access_token"))
                .bearer_auth("t-forged")
                .json(&json!({"grant_type": "authorization_code", "code": code})),
        )
        .await;
    assert_feishu_error(&bad_app, 400, 99991664);
    let r = app
        .send(
            app.http
                .post(app.url("/open-apis/authen/v1/access_token"))
                .bearer_auth(&app_token)
                .json(&json!({"grant_type": "authorization_code", "code": code})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["code"], 0);
    let data = &r.body["data"];
    assert!(data["access_token"].as_str().unwrap().starts_with("u-"));
    assert_eq!(data["open_id"], "alice-union");
    assert_eq!(data["name"], "Alice");
    assert_eq!(data["token_type"], "Bearer");
    // Used twice: an invalid grant in the envelope.
    let again = app
        .send(
            app.http
                .post(app.url("/open-apis/authen/v1/oidc/access_token"))
                .bearer_auth(&app_token)
                .json(&json!({"grant_type": "authorization_code", "code": code})),
        )
        .await;
    assert_feishu_error(&again, 400, 20003);
}

#[tokio::test]
async fn store_apps_get_app_and_tenant_tokens_with_their_ticket() {
    let app = spawn_app().await;
    let ticket = suite_ticket(&app, "suitedemo", "suite-secret").await;
    let a3 = "/open-apis/auth/v3/app_access_token";
    let r = post_raw(
        &app,
        a3,
        &json!({"app_id": "suitedemo", "app_secret": "suite-secret", "app_ticket": ticket}).to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["code"].clone(), r.body["msg"].clone()), (json!(0), json!("ok")), "{}", r.text);
    assert!(r.body["expire"].as_i64().unwrap() > 0);
    assert!(r.body.get("data").is_none());
    let app_token = r.str("app_access_token").to_owned();
    assert!(!r.text.contains(&ticket), "the ticket is not echoed");

    let forged =
        post_raw(&app, a3, r#"{"app_id":"suitedemo","app_secret":"suite-secret","app_ticket":"st-forged"}"#).await;
    assert_feishu_error(&forged, 200, 10012);
    let wrong =
        post_raw(&app, a3, &json!({"app_id": "suitedemo", "app_secret": "x", "app_ticket": ticket}).to_string()).await;
    assert_feishu_error(&wrong, 200, 10014);
    let internal = post_raw(
        &app,
        a3,
        &json!({"app_id": FEISHU_APP, "app_secret": FEISHU_SECRET, "app_ticket": ticket}).to_string(),
    )
    .await;
    assert_feishu_error(&internal, 200, 99991662);
    assert_feishu_error(
        &post_raw(&app, a3, r#"{"app_id":"nobody","app_secret":"x","app_ticket":"y"}"#).await,
        200,
        10003,
    );
    assert_feishu_error(&post_raw(&app, a3, r#"{"app_id":"suitedemo","app_secret":"suite-secret"}"#).await, 200, 10003);

    // The tenant token, with the fields the Python SDK leaks into the body.
    let a4 = "/open-apis/auth/v3/tenant_access_token";
    let body = json!({"app_id": "suitedemo", "app_secret": "suite-secret", "app_ticket": ticket,
                      "app_access_token": app_token, "tenant_key": OTHER_CORP});
    let r = post_raw(&app, a4, &body.to_string()).await;
    assert_eq!(r.body["code"], 0, "{}", r.text);
    assert_eq!(r.body["msg"], "success");
    let tenant = r.str("tenant_access_token").to_owned();
    let carol = app
        .send(app.http.get(app.url("/open-apis/contact/v3/users/carol?user_id_type=user_id")).bearer_auth(&tenant))
        .await;
    assert_eq!(carol.status, 200, "{}", carol.text);
    assert_eq!(carol.body["data"]["user"]["name"], "Carol");
    // The tenant token acts in its tenant only.
    let alice = app
        .send(app.http.get(app.url("/open-apis/contact/v3/users/alice?user_id_type=user_id")).bearer_auth(&tenant))
        .await;
    assert_feishu_error(&alice, 400, 10003);
    let elsewhere =
        post_raw(&app, a4, &json!({"app_access_token": app_token, "tenant_key": "nosuchcorp"}).to_string()).await;
    assert_feishu_error(&elsewhere, 200, 99991662);
    let forged = post_raw(&app, a4, &json!({"app_access_token": tenant, "tenant_key": OTHER_CORP}).to_string()).await;
    assert_feishu_error(&forged, 200, 99991664);

    // Resend: credentials checked; the ticket goes to the callback (none registered here).
    let resend = "/open-apis/auth/v3/app_ticket/resend";
    assert_feishu_error(&post_raw(&app, resend, r#"{"app_id":"suitedemo","app_secret":"x"}"#).await, 200, 10014);
    let ok = post_raw(&app, resend, r#"{"app_id":"suitedemo","app_secret":"suite-secret"}"#).await;
    assert_eq!(ok.body, json!({"code": 0, "msg": "ok"}), "{}", ok.text);
}

#[tokio::test]
async fn app_ticket_resend_pushes_the_current_ticket_to_the_apps_callback() {
    // The receiver listens on 127.0.0.1.
    let mut setup = crate::helpers::Setup::sqlite();
    setup.config.allow_private_callbacks = true;
    let app = crate::helpers::spawn_with(setup).await;
    let seen: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let record = seen.clone();
    let router = axum::Router::new().route(
        "/events",
        axum::routing::post(move |body: String| {
            let record = record.clone();
            async move { record.lock().unwrap().push(body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let carol = session(&app, "carol-union").await;
    let set = api(
        &app,
        Some(&carol),
        reqwest::Method::PUT,
        "/api/v1/apps/suitedemo/ticket-callback",
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text);
    let ticket = suite_ticket(&app, "suitedemo", "suite-secret").await;
    let before = seen.lock().unwrap().len();
    let ok =
        post_raw(&app, "/open-apis/auth/v3/app_ticket/resend", r#"{"app_id":"suitedemo","app_secret":"suite-secret"}"#)
            .await;
    assert_eq!(ok.body["code"], 0, "{}", ok.text);
    let mut pushed = None;
    for _ in 0..50 {
        if let Some(b) = seen.lock().unwrap().get(before).cloned() {
            pushed = Some(b);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let pushed = pushed.expect("the resend pushed the ticket");
    assert!(pushed.contains(&ticket), "the current ticket is pushed: {pushed}");
}

#[tokio::test]
async fn v3_refuses_a_code_verifier_without_a_prior_challenge_and_v2_does_not() {
    let app = spawn_app().await;
    let creds = |code: &str| {
        json!({"grant_type": "authorization_code", "code": code, "code_verifier": "v".repeat(43),
               "client_id": FEISHU_APP, "client_secret": FEISHU_SECRET})
    };
    let code = feishu_code(&app, "alice-union", "alice-password", "doc:readonly").await;
    let r = app.send(app.http.post(app.url("/oauth/v3/token")).json(&creds(&code))).await;
    assert_feishu_oauth_error(&r, 20003, "invalid_grant");
    assert!(r.str("error_description").contains("code_challenge"), "{}", r.text);
    let code = feishu_code(&app, "alice-union", "alice-password", "doc:readonly").await;
    let r = v2_token(&app, creds(&code)).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A v2 exchange of a fresh code of `account` with `offline_access`: its refresh token.
async fn offline_refresh_token(app: &TestApp, account: &str, password: &str) -> String {
    let code = feishu_code(app, account, password, "doc:readonly offline_access").await;
    let r = v2_token(
        app,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": FEISHU_REDIRECT,
               "client_id": FEISHU_APP, "client_secret": FEISHU_SECRET}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.str("refresh_token").to_owned()
}

async fn v3_refresh(app: &TestApp, token: &str) -> Reply {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", FEISHU_APP),
        ("client_secret", FEISHU_SECRET),
    ];
    v3_form(app, &form).await
}

#[tokio::test]
async fn a_revoked_refresh_token_is_20064_and_a_consumed_one_20073() {
    let app = spawn_app().await;
    // Revoked by the client (never used): 20064.
    let revoked = offline_refresh_token(&app, "alice-union", "alice-password").await;
    let rv = app
        .send(app.http.post(app.url("/oauth/v1/revoke")).form(&[
            ("client_id", FEISHU_APP),
            ("client_secret", FEISHU_SECRET),
            ("token", &revoked),
            ("token_type_hint", "refresh_token"),
        ]))
        .await;
    assert_eq!(rv.status, 200, "{}", rv.text);
    assert_feishu_oauth_error(&v3_refresh(&app, &revoked).await, 20064, "invalid_grant");
    // Consumed (used once, then presented again): 20073, also once its family is revoked.
    let used = offline_refresh_token(&app, "bob-union", "bob-password").await;
    let first = v3_refresh(&app, &used).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_feishu_oauth_error(&v3_refresh(&app, &used).await, 20073, "invalid_grant");
    assert_feishu_oauth_error(&v3_refresh(&app, &used).await, 20073, "invalid_grant");
    // The rotated successor, never used, died with its family: revoked.
    assert_feishu_oauth_error(&v3_refresh(&app, first.str("refresh_token")).await, 20064, "invalid_grant");
}
