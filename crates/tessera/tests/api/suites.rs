//! Third-party apps: suite tickets (pushed to a real receiver, signed, retried; polled),
//! suite and corp tokens, the legacy signed calls, GetAuthInfo, isolation between orgs and
//! kinds of token, and personal apps.

use std::sync::{Arc, Mutex};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use tessera_service::ticket_push;

use crate::helpers::*;

const SUITE: (&str, &str) = ("suitedemo", "suite-secret");

async fn post(app: &TestApp, path: &str, body: Value) -> Reply {
    app.send(app.http.post(app.url(path)).json(&body)).await
}

async fn corp_token(app: &TestApp, corp: &str, (key, secret): (&str, &str), ticket: &str) -> Reply {
    let body = json!({"authCorpId": corp, "suiteKey": key, "suiteSecret": secret, "suiteTicket": ticket});
    post(app, "/v1.0/oauth2/corpAccessToken", body).await
}

async fn suite_token(app: &TestApp, (key, secret): (&str, &str), ticket: &str) -> Reply {
    post(app, "/v1.0/oauth2/suiteAccessToken", json!({"suiteKey": key, "suiteSecret": secret, "suiteTicket": ticket}))
        .await
}

fn hmac_b64(key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn create_department(app: &TestApp, token: &str) -> Reply {
    app.create_department(token, json!({"name": "Ops"})).await
}

#[tokio::test]
async fn suite_and_corp_tokens_need_a_current_ticket_and_the_suites_own_secret() {
    let app = spawn_app().await;
    let ticket = suite_ticket(&app, SUITE.0, SUITE.1).await;
    assert!(ticket.starts_with("st-"));

    let suite = suite_token(&app, SUITE, &ticket).await;
    assert_eq!(suite.status, 200, "{}", suite.text);
    assert!(suite.str("accessToken").starts_with("s-"));
    assert_eq!(suite.body["expireIn"], 7200);
    let corp = corp_token(&app, OTHER_CORP, SUITE, &ticket).await;
    assert_eq!(corp.status, 200, "{}", corp.text);
    assert!(corp.str("accessToken").starts_with("c-"));
    // The corp token works in its org for what the org granted.
    assert_eq!(create_department(&app, corp.str("accessToken")).await.status, 200);

    assert_dingtalk_error(&suite_token(&app, ("nosuchsuite", "x"), &ticket).await, 400, "invalidSuiteKey");
    // One ISV's suiteKey with another ISV's secret.
    let other_secret = app.generated_secrets["suitelegacy"].clone();
    let r = corp_token(&app, OTHER_CORP, ("suitedemo", &other_secret), &ticket).await;
    assert_dingtalk_error(&r, 400, "invalidSuiteSecret");
    assert!(!r.text.contains(&other_secret), "the secret is echoed: {}", r.text);
    // Another suite's ticket, a forged one.
    let legacy_ticket = suite_ticket(&app, "suitelegacy", &other_secret).await;
    assert_dingtalk_error(&suite_token(&app, SUITE, &legacy_ticket).await, 400, "invalidSuiteTicket");
    assert_dingtalk_error(&suite_token(&app, SUITE, "st-0000").await, 400, "invalidSuiteTicket");
    // An org that has not activated the suite, and one that does not exist.
    assert_dingtalk_error(
        &corp_token(&app, OTHER_CORP, ("suitelegacy", &other_secret), &legacy_ticket).await,
        400,
        "unauthorized.client",
    );
    assert_dingtalk_error(&corp_token(&app, "dingnowhere", SUITE, &ticket).await, 400, "unauthorized.client");
    // Internal and personal apps are not suites.
    let r = suite_token(&app, ("dingdemoapp", "demo-secret"), &ticket).await;
    assert_dingtalk_error(&r, 400, "invalidSuiteKey");
    assert!(r.str("message").contains("internal"), "{}", r.text);
    let r = corp_token(&app, DEMO_CORP, ("dingpersonal", "personal-secret"), &ticket).await;
    assert_dingtalk_error(&r, 400, "invalidSuiteKey");
    assert!(r.str("message").contains("user tokens only"), "{}", r.text);
    // Missing fields, and a body that is not JSON.
    assert_dingtalk_error(
        &post(&app, "/v1.0/oauth2/corpAccessToken", json!({"suiteKey": "suitedemo"})).await,
        400,
        "MissingParameter",
    );
    let r = app.send(app.http.post(app.url("/v1.0/oauth2/suiteAccessToken")).body("suiteKey=x")).await;
    assert!(r.status == 400 && !r.str("code").is_empty(), "{}", r.text);
}

#[tokio::test]
async fn the_latest_and_the_previous_ticket_work_and_older_ones_are_stale() {
    let mut setup = Setup::sqlite().with_fake_clock(1_700_000_000);
    setup.config.suite_ticket_interval = 2;
    let clock = setup.clock.clone().unwrap();
    let app = spawn_with(setup).await;
    let first = suite_ticket(&app, SUITE.0, SUITE.1).await;
    // Not due yet: a round issues nothing.
    clock.advance(1);
    app.ticket_round().await;
    assert_eq!(suite_ticket(&app, SUITE.0, SUITE.1).await, first);
    clock.advance(1);
    app.ticket_round().await;
    let second = suite_ticket(&app, SUITE.0, SUITE.1).await;
    assert_ne!(second, first);
    assert_eq!(suite_token(&app, SUITE, &first).await.status, 200, "the previous ticket is accepted");
    assert_eq!(suite_token(&app, SUITE, &second).await.status, 200);
    clock.advance(2);
    app.ticket_round().await;
    let third = suite_ticket(&app, SUITE.0, SUITE.1).await;
    assert_ne!(third, second);
    let stale = suite_token(&app, SUITE, &first).await;
    assert_dingtalk_error(&stale, 400, "invalidSuiteTicket");
    assert!(stale.str("message").contains("stale or forged"), "{}", stale.text);
    assert_eq!(corp_token(&app, OTHER_CORP, SUITE, &second).await.status, 200);
    assert_eq!(corp_token(&app, OTHER_CORP, SUITE, &third).await.status, 200);
}

/// A receiver that refuses the first push with 503 and records every request.
async fn ticket_receiver() -> (String, Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>) {
    let seen: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>> = Arc::default();
    let record = seen.clone();
    let router = axum::Router::new().route(
        "/tickets",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let record = record.clone();
            async move {
                let mut seen = record.lock().unwrap();
                seen.push((headers, body));
                if seen.len() == 1 { axum::http::StatusCode::SERVICE_UNAVAILABLE } else { axum::http::StatusCode::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/tickets", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, seen)
}

#[tokio::test]
async fn tickets_are_pushed_signed_to_the_registered_callback_and_retried() {
    let mut setup = Setup::sqlite().with_fake_clock(1_700_000_000);
    setup.config.suite_ticket_interval = 2;
    // The receiver listens on 127.0.0.1.
    setup.config.allow_private_callbacks = true;
    let clock = setup.clock.clone().unwrap();
    let app = spawn_with(setup).await;
    let (url, seen) = ticket_receiver().await;
    let carol = session(&app, "carol-union").await;
    // Only developers of the suite's org may set where its tickets go.
    let alice = session(&app, "alice-union").await;
    let body = json!({"url": url});
    let refused =
        api(&app, Some(&alice), reqwest::Method::PUT, "/api/v1/apps/suitedemo/ticket-callback", Some(body.clone()))
            .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let bad = json!({"url": "ftp://x"});
    let r = api(&app, Some(&carol), reqwest::Method::PUT, "/api/v1/apps/suitedemo/ticket-callback", Some(bad)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let set = api(&app, Some(&carol), reqwest::Method::PUT, "/api/v1/apps/suitedemo/ticket-callback", Some(body)).await;
    assert_eq!(set.status, 200, "{}", set.text);
    let signing_key = set.str("signing_key").to_owned();

    // The next ticket goes to the callback; the first attempt is refused, the retry lands.
    clock.advance(2);
    let outcomes = app.ticket_round().await;
    assert_eq!(outcomes, [ticket_push::Outcome::Delivered { attempt: 2 }]);
    let delivered = seen.lock().unwrap().get(1).cloned();
    let (headers, body) = delivered.expect("the ticket was pushed again after a refusal");
    let first = seen.lock().unwrap()[0].1.clone();
    let push: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(push["EventType"], "suite_ticket");
    assert_eq!(push["SuiteKey"], "suitedemo");
    let pushed_ticket = push["SuiteTicket"].as_str().unwrap().to_owned();
    assert_eq!(serde_json::from_str::<Value>(&first).unwrap()["SuiteTicket"], pushed_ticket.as_str());
    // The signature, checked independently: base64(HMAC-SHA256(key, timestamp + "\n" + body)).
    let timestamp = headers["x-tessera-timestamp"].to_str().unwrap();
    assert_eq!(
        headers["x-tessera-signature"].to_str().unwrap(),
        hmac_b64(&signing_key, &format!("{timestamp}\n{body}"))
    );
    assert_ne!(
        headers["x-tessera-signature"].to_str().unwrap(),
        hmac_b64("another key", &format!("{timestamp}\n{body}"))
    );
    // The pushed ticket is the current one.
    assert_eq!(suite_ticket(&app, SUITE.0, SUITE.1).await, pushed_ticket);
    assert_eq!(suite_token(&app, SUITE, &pushed_ticket).await.status, 200);
}

#[tokio::test]
async fn legacy_suite_calls_check_the_signature_keyed_with_the_suite_secret() {
    const NOW: i64 = 1_700_000_000;
    let app = spawn_with(Setup::sqlite().with_fake_clock(NOW)).await;
    let secret = app.generated_secrets["suitelegacy"].clone();
    let ticket = suite_ticket(&app, "suitelegacy", &secret).await;
    let r = post(
        &app,
        "/service/get_suite_token",
        json!({"suite_key": "suitelegacy", "suite_secret": secret, "suite_ticket": ticket}),
    )
    .await;
    assert_eq!((r.status, r.body["errcode"].as_i64()), (200, Some(0)), "{}", r.text);
    assert!(r.str("suite_access_token").starts_with("s-"));

    let call = |key: &str, timestamp: String, ticket: &str, signature: &str, corp: &str| {
        let url = format!(
            "/service/get_corp_token?accessKey={key}&timestamp={timestamp}&suiteTicket={}&signature={}",
            crate::browser::urlencode(ticket),
            crate::browser::urlencode(signature)
        );
        let app = &app;
        let body = json!({"auth_corpid": corp});
        async move { post(app, &url, body).await }
    };
    let ts = (NOW * 1000 + 250).to_string();
    let signature = hmac_b64(&secret, &format!("{ts}\n{ticket}"));
    let r = call("suitelegacy", ts.clone(), &ticket, &signature, DEMO_CORP).await;
    assert_eq!((r.status, r.body["errcode"].as_i64()), (200, Some(0)), "{}", r.text);
    let token = r.str("access_token").to_owned();
    assert!(token.starts_with("c-"));
    assert_eq!(app.get_user(&token, "alice").await.status, 200, "the corp token reads members of dingdemo");

    let errcode = |r: &Reply| (r.status, r.body["errcode"].as_i64().unwrap());
    assert_eq!(errcode(&call("suitelegacy", ts.clone(), &ticket, "AAAA", DEMO_CORP).await), (200, 853003));
    let old = ((NOW - 301) * 1000).to_string();
    let old_sig = hmac_b64(&secret, &format!("{old}\n{ticket}"));
    assert_eq!(errcode(&call("suitelegacy", old, &ticket, &old_sig, DEMO_CORP).await), (200, 853001));
    assert_eq!(errcode(&call("suitelegacy", ts.clone(), &ticket, &signature, OTHER_CORP).await), (200, 60011));
    assert_eq!(errcode(&call("nosuchsuite", ts.clone(), &ticket, &signature, DEMO_CORP).await), (200, 40096));
    // suitedemo's secret was set by hand in the fixture: Tessera cannot recompute it.
    let demo_ticket = suite_ticket(&app, SUITE.0, SUITE.1).await;
    let demo_sig = hmac_b64(SUITE.1, &format!("{ts}\n{demo_ticket}"));
    let r = call("suitedemo", ts.clone(), &demo_ticket, &demo_sig, OTHER_CORP).await;
    assert_eq!(errcode(&r), (200, 853003));
    assert!(r.str("errmsg").contains("set by hand"), "{}", r.text);
    let r = post(&app, "/service/get_corp_token", json!({})).await;
    assert_eq!(errcode(&r), (200, 40035));
    let r = post(
        &app,
        "/service/get_suite_token",
        json!({"suite_key": "suitelegacy", "suite_secret": "wrong", "suite_ticket": ticket}),
    )
    .await;
    assert_eq!(errcode(&r), (200, 40096));
    assert!(!r.text.contains(&secret));
}

#[tokio::test]
async fn auth_info_tells_what_the_org_authorized_and_needs_a_suite_token() {
    let app = spawn_app().await;
    let ticket = suite_ticket(&app, SUITE.0, SUITE.1).await;
    let suite = suite_token(&app, SUITE, &ticket).await.str("accessToken").to_owned();
    let info = |token: String, corp: &str| {
        let req = app.http.get(app.url(&format!("/v1.0/oauth2/apps/authInfo?authCorpId={corp}")));
        let req = req.header("x-acs-dingtalk-access-token", token);
        let app = &app;
        async move { app.send(req).await }
    };
    let other = info(suite.clone(), OTHER_CORP).await;
    assert_eq!(other.status, 200, "{}", other.text);
    assert_eq!(other.body["authCorpInfo"]["corpName"], "Other Corp");
    assert_eq!(other.body["authCorpInfo"]["authLevel"], 0);
    assert_eq!(other.body["authAppInfo"]["agentList"][0]["agentName"], "Demo ISV app");
    assert_eq!(other.body["authAppInfo"]["agentList"][0]["adminList"], json!(["carol"]));
    let scopes = other.body["authScopes"].as_array().unwrap();
    assert!(scopes.contains(&json!("qyapi_manage_addresslist")), "{}", other.text);
    let demo = info(suite.clone(), DEMO_CORP).await;
    assert_eq!(demo.body["authCorpInfo"]["authLevel"], 1);
    assert!(!demo.body["authScopes"].as_array().unwrap().contains(&json!("qyapi_manage_addresslist")), "{}", demo.text);
    assert_eq!(demo.body["authAppInfo"]["agentList"][0]["adminList"], json!(["alice", "bob"]));

    // A corp token is not a suite token; an org that did not activate the suite is refused.
    let corp = corp_token(&app, OTHER_CORP, SUITE, &ticket).await.str("accessToken").to_owned();
    assert_dingtalk_error(&info(corp, OTHER_CORP).await, 400, "InvalidAuthentication");
    let legacy_secret = app.generated_secrets["suitelegacy"].clone();
    let legacy_ticket = suite_ticket(&app, "suitelegacy", &legacy_secret).await;
    let legacy = suite_token(&app, ("suitelegacy", &legacy_secret), &legacy_ticket).await.str("accessToken").to_owned();
    assert_dingtalk_error(&info(legacy, OTHER_CORP).await, 400, "unauthorized.client");
    let r = app.send(app.http.get(app.url("/v1.0/oauth2/apps/authInfo?authCorpId=dingother"))).await;
    assert_dingtalk_error(&r, 400, "AuthenticationFailed.MissingParameter");
    assert_dingtalk_error(&info(suite.clone(), "").await, 400, "unauthorized.client");
}

#[tokio::test]
async fn tokens_stay_in_their_org_and_a_suite_token_calls_no_org_api() {
    let app = spawn_app().await;
    let ticket = suite_ticket(&app, SUITE.0, SUITE.1).await;
    let suite = suite_token(&app, SUITE, &ticket).await.str("accessToken").to_owned();
    let r = app.get_user(&suite, "alice").await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.str("code"), "Forbidden.AccessDenied.AccessTokenTypeNotSupported");
    assert_eq!(create_department(&app, &suite).await.status, 403);

    // A corp token of Other Corp does not reach Demo Corp's members.
    let other = corp_token(&app, OTHER_CORP, SUITE, &ticket).await.str("accessToken").to_owned();
    let demo = corp_token(&app, DEMO_CORP, SUITE, &ticket).await.str("accessToken").to_owned();
    assert_ne!(other, demo);
    assert_eq!(app.get_user(&demo, "alice").await.status, 200);
    assert_eq!(app.get_user(&other, "alice").await.status, 404, "alice is not a member of Other Corp");

    // Authorize contacts management in Demo Corp, then recall it there: Other Corp keeps its grant.
    let alice = session(&app, "alice-union").await;
    assert_eq!(grant(&app, &alice, DEMO_CORP, "suitedemo", "qyapi_manage_addresslist", true).await.status, 204);
    assert_eq!(create_department(&app, &demo).await.status, 200);
    assert_eq!(grant(&app, &alice, DEMO_CORP, "suitedemo", "qyapi_manage_addresslist", false).await.status, 204);
    let refused = create_department(&app, &demo).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["accessdenieddetail"]["requiredScopes"], json!(["qyapi_manage_addresslist"]));
    assert_eq!(create_department(&app, &other).await.status, 200, "the other org's grant is untouched");
}

#[tokio::test]
async fn a_personal_app_gets_user_tokens_only() {
    let app = spawn_app().await;
    let personal = ("dingpersonal", "personal-secret");
    let r = app
        .get_token(
            DEMO_CORP,
            json!({"client_id": personal.0, "client_secret": personal.1, "grant_type": "client_credentials"}),
        )
        .await;
    assert_dingtalk_error(&r, 401, "unauthorized.client");
    assert!(r.str("message").contains("user tokens only"), "{}", r.text);
    let r = app.get_access_token(json!({"appKey": personal.0, "appSecret": personal.1})).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = app.oauth_token(&[("grant_type", "client_credentials"), ("corp_id", DEMO_CORP)], Some(personal)).await;
    assert_oauth_error(&r, 400, "unauthorized_client");
    let r = app.send(app.http.get(app.url(&format!("/gettoken?appkey={}&appsecret={}", personal.0, personal.1)))).await;
    assert_eq!(r.body["errcode"], 60011, "{}", r.text);

    // A user authorizes it for themselves and it acts for them.
    let browser = crate::browser::Browser::new(&app);
    let path = format!(
        "/oauth2/auth?response_type=code&client_id=dingpersonal&redirect_uri={}&scope=openid%20Contact.User.Read&state=p1",
        crate::browser::urlencode("http://127.0.0.1:8903/callback")
    );
    let done = browser.authorize(&path, "bob-union", "bob-password").await;
    let code = done.location_param("authCode").unwrap();
    let body =
        json!({"clientId": personal.0, "clientSecret": personal.1, "code": code, "grantType": "authorization_code"});
    let r = post(&app, "/v1.0/oauth2/userAccessToken", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let me = crate::browser::get_with(&app, r.str("accessToken"), "/v1.0/contact/users/me").await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["unionId"], "bob-union");
}
