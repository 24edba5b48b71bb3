//! DingTalk token operations: GetToken, GetAccessToken and the legacy /gettoken, with the
//! error table of the GetToken documentation.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn get_token_issues_an_opaque_prefixed_token_and_reuses_it() {
    let app = spawn_app().await;
    let body = json!({"client_id": "dingdemoapp", "client_secret": "demo-secret", "grant_type": "client_credentials"});
    let first = app.get_token(DEMO_CORP, body.clone()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let token = first.str("access_token");
    assert!(token.starts_with("t-") && token.len() > 40, "{token}");
    assert_eq!(first.body["expires_in"], 7200);
    let second = app.get_token(DEMO_CORP, body).await;
    assert_eq!(second.str("access_token"), token);
}

#[tokio::test]
async fn third_party_apps_get_a_corp_token_per_org() {
    let app = spawn_app().await;
    let demo = app.app_token(DEMO_CORP, "suitedemo", "suite-secret").await;
    let other = app.app_token(OTHER_CORP, "suitedemo", "suite-secret").await;
    assert!(demo.starts_with("c-") && other.starts_with("c-"));
    assert_ne!(demo, other);
}

#[tokio::test]
async fn get_token_errors_follow_the_documented_table() {
    let app = spawn_app().await;
    let call = |corp: &'static str, id: &'static str, secret: &'static str, grant: &'static str| {
        app.get_token(corp, json!({"client_id": id, "client_secret": secret, "grant_type": grant}))
    };
    assert_dingtalk_error(&call(DEMO_CORP, "dingdemoapp", "wrong", "client_credentials").await, 400, "invalid.client");
    assert_dingtalk_error(&call(DEMO_CORP, "nosuchapp", "x", "client_credentials").await, 400, "invalid.client");
    assert_dingtalk_error(
        &call(DEMO_CORP, "dingdemoapp", "demo-secret", "password").await,
        400,
        "unsupported.grant.type",
    );
    // Installed nowhere near that org, or the org does not exist.
    assert_dingtalk_error(
        &call(OTHER_CORP, "dingdemoapp", "demo-secret", "client_credentials").await,
        401,
        "unauthorized.client",
    );
    assert_dingtalk_error(
        &call("dingnowhere", "suitedemo", "suite-secret", "client_credentials").await,
        401,
        "unauthorized.client",
    );
    let missing = app.get_token(DEMO_CORP, json!({"grant_type": "client_credentials"})).await;
    assert_dingtalk_error(&missing, 400, "invalid.client");
}

#[tokio::test]
async fn get_access_token_uses_camel_case_and_its_own_error_code() {
    let app = spawn_app().await;
    let ok = app.get_access_token(json!({"appKey": "dingdemoapp", "appSecret": "demo-secret"})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(ok.str("accessToken").starts_with("t-"));
    assert_eq!(ok.body["expireIn"], 7200);
    // Same app, org and kind: the very token GetToken hands out.
    assert_eq!(ok.str("accessToken"), app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await);
    let bad = app.get_access_token(json!({"appKey": "dingdemoapp", "appSecret": "nope"})).await;
    assert_dingtalk_error(&bad, 400, "invalidClientIdOrSecret");
    let isv = app.get_access_token(json!({"appKey": "suitedemo", "appSecret": "suite-secret"})).await;
    assert_dingtalk_error(&isv, 401, "unauthorized.client");
}

#[tokio::test]
async fn legacy_gettoken_always_answers_200_with_errcode() {
    let app = spawn_app().await;
    let ok = app.send(app.http.get(app.url("/gettoken?appkey=dingdemoapp&appsecret=demo-secret"))).await;
    assert_eq!((ok.status, ok.body["errcode"].as_i64()), (200, Some(0)), "{}", ok.text);
    assert_eq!(ok.str("errmsg"), "ok");
    assert!(ok.str("access_token").starts_with("t-"));
    let bad = app.send(app.http.get(app.url("/gettoken?appkey=dingdemoapp&appsecret=x"))).await;
    assert_eq!((bad.status, bad.body["errcode"].as_i64()), (200, Some(40096)));
    let missing = app.send(app.http.get(app.url("/gettoken?appkey=dingdemoapp"))).await;
    assert_eq!((missing.status, missing.body["errcode"].as_i64()), (200, Some(40035)));
    assert!(missing.body.get("access_token").is_none());
}

#[tokio::test]
async fn chunked_bodies_unknown_fields_and_acs_headers_are_accepted() {
    let app = spawn_app().await;
    // Exactly what the Node SDK sends: chunked, no Content-Length, plus signing headers.
    let json =
        r#"{"client_id":"dingdemoapp","client_secret":"demo-secret","grant_type":"client_credentials","extra":1}"#;
    let request = format!(
        "POST /v1.0/oauth2/dingdemo/token HTTP/1.1\r\nhost: x\r\nuser-agent: AlibabaCloud (linux; x64) Node.js/v20\r\n\
         accept: application/json\r\ncontent-type: application/json; charset=utf-8\r\nx-acs-signature-nonce: abc\r\n\
         x-acs-action: GetToken\r\ndate: Mon, 23 Nov 2026 00:00:00 GMT\r\nConnection: close\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{json}\r\n0\r\n\r\n",
        json.len()
    );
    let response = raw_http(&app, request.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"access_token\":\"t-"), "{response}");
}
