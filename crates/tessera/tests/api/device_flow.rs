//! Device authorization (RFC 8628) end to end over HTTP: start, the authorization card with
//! its QR code, sign-in and approval on the verification page (through the cookie-keeping
//! test browser), polling with `authorization_pending` / `slow_down` / `access_denied` /
//! `expired_token`, and the Feishu forms of the endpoints. The clock is a fake one, so
//! intervals and expiry are exact without sleeping.

use serde_json::json;

use crate::browser::Browser;
use crate::feishu::{FEISHU_APP, FEISHU_SECRET, assert_feishu_oauth_error};
use crate::helpers::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn start(app: &TestApp, scope: &str) -> Reply {
    let r = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth(FEISHU_APP, Some(FEISHU_SECRET))
                .form(&[("scope", scope)]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r
}

async fn poll(app: &TestApp, device_code: &str) -> Reply {
    app.oauth_token(&[("grant_type", GRANT), ("device_code", device_code)], Some((FEISHU_APP, FEISHU_SECRET))).await
}

/// Signs in on the verification page from `verification_uri_complete` and decides.
pub async fn decide(app: &TestApp, complete: &str, account: &str, password: &str, decision: &str) -> String {
    let browser = Browser::new(app);
    let page = browser.get(complete).await;
    assert_eq!(page.status, 303, "sign-in first: {}", page.html);
    let next = page.location_param("next").unwrap();
    assert!(next.starts_with("/device?user_code="), "{next}");
    let signed = browser.sign_in(account, password, &next).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    let consent = browser.get(signed.location.as_deref().unwrap()).await;
    assert_eq!(consent.status, 200, "{}", consent.html);
    let mut form = consent.hidden();
    assert!(form.iter().any(|(k, _)| k == "csrf"));
    form.push(("decision".into(), decision.into()));
    let done = browser.post("/device", &form).await;
    assert_eq!(done.status, 200, "{}", done.html);
    done.html
}

#[tokio::test]
async fn a_device_gets_tokens_once_the_user_approves_and_never_twice() {
    let app = spawn_with(Setup::sqlite().with_fake_clock(1_700_000_000)).await;
    approve_and_poll(&app).await;
}

#[tokio::test]
async fn the_device_flow_works_on_postgres() {
    let app = spawn_with(Setup::postgres().await.with_fake_clock(1_700_000_000)).await;
    approve_and_poll(&app).await;
}

async fn approve_and_poll(app: &TestApp) {
    let s = start(app, "doc:readonly offline_access").await;
    let device_code = s.str("device_code").to_owned();
    let user_code = s.str("user_code").to_owned();
    assert_eq!(user_code.len(), 9);
    assert_eq!(s.body["interval"], 5);
    assert_eq!(s.body["expires_in"], 600);
    assert_eq!(s.str("verification_uri"), format!("{}/device", app.setup.config.public_url));
    assert_eq!(
        s.str("verification_uri_complete"),
        format!("{}/device?user_code={user_code}", app.setup.config.public_url)
    );
    assert_eq!(s.header("cache-control"), Some("no-store"));

    // Pending, then too fast.
    assert_oauth_error(&poll(app, &device_code).await, 400, "authorization_pending");
    app.advance(2);
    let fast = poll(app, &device_code).await;
    assert_oauth_error(&fast, 400, "slow_down");
    assert!(fast.str("error_description").contains("10 seconds"), "{}", fast.text);
    app.advance(10);
    assert_oauth_error(&poll(app, &device_code).await, 400, "authorization_pending");

    // The authorization card: the QR code of verification_uri_complete, and the code.
    let card = app.send(app.http.get(app.url(&format!("/device/card?user_code={user_code}")))).await;
    assert_eq!(card.status, 200, "{}", card.text);
    assert!(card.text.contains("<svg") && card.text.contains(&user_code), "{}", card.text);
    assert!(card.text.contains("Demo Feishu bot"));
    let qr = app.send(app.http.get(app.url(&format!("/device/qr.svg?user_code={user_code}")))).await;
    assert_eq!(qr.header("content-type"), Some("image/svg+xml"));
    assert!(qr.text.starts_with("<svg"));
    let unknown = app.send(app.http.get(app.url("/device/card?user_code=BCDF-GHJK"))).await;
    assert_eq!(unknown.status, 404);

    // Alice opens the link (the QR code's target) locally, signs in and approves.
    let complete = s.str("verification_uri_complete").replace(&app.setup.config.public_url, "");
    let done = decide(app, &complete, "alice-union", "alice-password", "approve").await;
    assert!(done.contains("Demo Feishu bot can now act for you"), "{done}");

    app.advance(10);
    let t = poll(app, &device_code).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let uat = t.str("access_token").to_owned();
    assert!(uat.starts_with("u-"));
    let refresh = t.str("refresh_token").to_owned();
    assert!(refresh.starts_with("r-"));
    assert_eq!(t.body["scope"], "doc:readonly offline_access");
    let me = app.send(app.http.get(app.url("/open-apis/authen/v1/user_info")).bearer_auth(&uat)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["data"]["open_id"], "alice-union");

    // Spent: the same code gets nothing again, and the card is gone.
    app.advance(10);
    assert_oauth_error(&poll(app, &device_code).await, 400, "invalid_grant");
    let card = app.send(app.http.get(app.url(&format!("/device/card?user_code={user_code}")))).await;
    assert_eq!(card.status, 404);
    // The device's refresh token rotates like any other.
    let refreshed = app
        .oauth_token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)], Some((FEISHU_APP, FEISHU_SECRET)))
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_ne!(refreshed.str("refresh_token"), refresh);
}

#[tokio::test]
async fn a_configured_poll_interval_is_handed_out_and_enforced() {
    let mut setup = Setup::sqlite().with_fake_clock(1_700_000_000);
    setup.config.device_poll_interval = 2;
    let app = spawn_with(setup).await;
    let s = start(&app, "doc:readonly").await;
    assert_eq!(s.body["interval"], 2);
    let device_code = s.str("device_code").to_owned();
    assert_oauth_error(&poll(&app, &device_code).await, 400, "authorization_pending");
    app.advance(1);
    let fast = poll(&app, &device_code).await;
    assert_oauth_error(&fast, 400, "slow_down");
    assert!(fast.str("error_description").contains("7 seconds"), "{}", fast.text);
    app.advance(7);
    assert_oauth_error(&poll(&app, &device_code).await, 400, "authorization_pending");
}

#[tokio::test]
async fn denial_expiry_wrong_codes_and_other_clients() {
    let app = spawn_with(Setup::sqlite().with_fake_clock(1_700_000_000)).await;
    // Bob denies.
    let s = start(&app, "doc:readonly").await;
    let complete = s.str("verification_uri_complete").replace(&app.setup.config.public_url, "");
    let done = decide(&app, &complete, "bob-union", "bob-password", "deny").await;
    assert!(done.contains("was not given access"), "{done}");
    assert_oauth_error(&poll(&app, s.str("device_code")).await, 400, "access_denied");

    // Another app cannot poll this app's code.
    let other = app
        .oauth_token(
            &[("grant_type", GRANT), ("device_code", s.str("device_code"))],
            Some(("dingdemoapp", "demo-secret")),
        )
        .await;
    assert_oauth_error(&other, 400, "invalid_grant");
    assert_oauth_error(&poll(&app, "dc-unknown").await, 400, "invalid_grant");

    // A wrong user code typed on the verification page: a clear error, the form again.
    let browser = Browser::new(&app);
    let signed = browser.sign_in("alice-union", "alice-password", "/device").await;
    assert_eq!(signed.status, 303);
    let form = browser.get("/device").await;
    assert!(form.html.contains("name=\"user_code\""), "{}", form.html);
    let wrong = browser.get("/device?user_code=ZZZZ-ZZZZ").await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.html.contains("no request has this code"), "{}", wrong.html);
    let garbage = browser.get("/device?user_code=%3Cscript%3E").await;
    assert_eq!(garbage.status, 400);
    assert!(!garbage.html.contains("<script>"));
    // A forged form (no CSRF token) is refused.
    let forged = browser
        .post("/device", &[("user_code".into(), "ZZZZ-ZZZZ".into()), ("decision".into(), "approve".into())])
        .await;
    assert_eq!(forged.status, 403);

    // Expiry: after 600 s the code is dead for polling and for the page.
    let s = start(&app, "doc:readonly").await;
    app.advance(600);
    assert_oauth_error(&poll(&app, s.str("device_code")).await, 400, "expired_token");
    let late = browser.get(&format!("/device?user_code={}", s.str("user_code"))).await;
    assert_eq!(late.status, 400);
    assert!(late.html.contains("expired"), "{}", late.html);

    // Scopes the app does not hold cannot be asked for.
    let r = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth(FEISHU_APP, Some(FEISHU_SECRET))
                .form(&[("scope", "qyapi_manage_addresslist")]),
        )
        .await;
    assert_oauth_error(&r, 400, "invalid_scope");
    let r = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth(FEISHU_APP, Some("wrong"))
                .form(&[("scope", "doc:readonly")]),
        )
        .await;
    assert_oauth_error(&r, 401, "invalid_client");
}

#[tokio::test]
async fn feishu_device_endpoints_and_polling_in_feishu_format() {
    let app = spawn_with(Setup::sqlite().with_fake_clock(1_700_000_000)).await;
    // larksuite/cli and the plugin: form + Basic on the accounts path.
    let r = app
        .send(
            app.http
                .post(app.url("/oauth/v1/device_authorization"))
                .basic_auth(FEISHU_APP, Some(FEISHU_SECRET))
                .form(&[("client_id", FEISHU_APP), ("scope", "doc:readonly offline_access")]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.str("device_code").starts_with("dc-"));
    // lark-oapi's DeviceFlowClient: JSON, client id only.
    let j = app
        .send(
            app.http
                .post(app.url("/open-apis/authen/v2/oauth/device_authorization"))
                .json(&json!({"client_id": FEISHU_APP, "scope": "im:message:send_as offline_access"})),
        )
        .await;
    assert_eq!(j.status, 200, "{}", j.text);
    let device_code = j.str("device_code").to_owned();
    let poll_json = || {
        app.send(app.http.post(app.url("/open-apis/authen/v2/oauth/token")).json(&json!({
            "client_id": FEISHU_APP, "client_secret": FEISHU_SECRET, "grant_type": GRANT, "device_code": device_code,
        })))
    };
    assert_feishu_oauth_error(&poll_json().await, 20069, "authorization_pending");
    assert_feishu_oauth_error(&poll_json().await, 20071, "slow_down");
    let complete = j.str("verification_uri_complete").replace(&app.setup.config.public_url, "");
    decide(&app, &complete, "alice-union", "alice-password", "approve").await;
    app.advance(10);
    let t = poll_json().await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert_eq!(t.body["code"], 0);
    let uat = t.str("access_token").to_owned();
    assert!(t.body["refresh_token"].is_string(), "offline_access was granted: {}", t.text);
    // Alice consented to messaging through the device page: the user token may send.
    let sent = app
        .send(
            app.http
                .post(app.url("/open-apis/im/v1/messages?receive_id_type=open_id"))
                .bearer_auth(&uat)
                .json(&json!({"receive_id": "bob-union", "msg_type": "text", "content": "{\"text\":\"hi\"}"})),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(sent.body["data"]["sender"]["id"], "alice-union");
    app.advance(10);
    assert_feishu_oauth_error(&poll_json().await, 20003, "invalid_grant");

    // Discovery names the endpoint and the grant.
    let meta = app.send(app.http.get(app.url("/.well-known/oauth-authorization-server"))).await;
    assert_eq!(
        meta.str("device_authorization_endpoint"),
        format!("{}/oauth2/device_authorization", app.setup.config.public_url)
    );
    assert!(meta.body["grant_types_supported"].as_array().unwrap().contains(&json!(GRANT)));
}

/// The device flow's ID token carries the `nonce` given at device authorization and, as
/// `auth_time`, when the user approved at the verification page.
#[tokio::test]
async fn a_device_flow_id_token_echoes_the_nonce_and_says_when_the_user_approved() {
    let app = spawn_with(Setup::sqlite().with_fake_clock(1_700_000_000)).await;
    let r = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth(FEISHU_APP, Some(FEISHU_SECRET))
                .form(&[("scope", "openid"), ("nonce", "device-nonce-7")]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let device_code = r.str("device_code").to_owned();
    app.advance(30);
    let complete = r.str("verification_uri_complete").replace(&app.setup.config.public_url, "");
    decide(&app, &complete, "alice-union", "alice-password", "approve").await;
    app.advance(20);
    let tokens = poll(&app, &device_code).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let payload = tokens.str("id_token").split('.').nth(1).unwrap().to_owned();
    use base64::Engine;
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["nonce"], "device-nonce-7", "{claims}");
    assert_eq!(claims["auth_time"], 1_700_000_030, "{claims}");
    assert_eq!(claims["iat"], 1_700_000_050, "{claims}");

    // A malformed nonce is refused at the start.
    let r = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth(FEISHU_APP, Some(FEISHU_SECRET))
                .form(&[("scope", "openid"), ("nonce", "x".repeat(600).as_str())]),
        )
        .await;
    assert_oauth_error(&r, 400, "invalid_request");
}
