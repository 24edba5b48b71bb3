//! Bad input gets a clear error in the caller's dialect: never a 500, never a panic.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn malformed_and_mistyped_json_is_a_dingtalk_400() {
    let app = spawn_app().await;
    let post = |body: &'static str| {
        app.send(
            app.http.post(app.url("/v1.0/oauth2/dingdemo/token")).header("content-type", "application/json").body(body),
        )
    };
    assert_dingtalk_error(&post("{not json").await, 400, "InvalidParameter");
    assert_dingtalk_error(
        &post(r#"{"client_id": 5, "client_secret": [], "grant_type": "client_credentials"}"#).await,
        400,
        "InvalidParameter",
    );
    assert_dingtalk_error(&post("[1,2]").await, 400, "InvalidParameter");
    assert_dingtalk_error(&post("").await, 400, "Missingbody");
    let form = app
        .send(
            app.http
                .post(app.url("/v1.0/oauth2/accessToken"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("appKey=dingdemoapp&appSecret=demo-secret"),
        )
        .await;
    assert_dingtalk_error(&form, 400, "Missingbody");
}

#[tokio::test]
async fn oversized_bodies_are_refused_in_each_dialect() {
    let app = spawn_app().await;
    let big = format!(r#"{{"client_id":"{}"}}"#, "x".repeat(200 * 1024));
    let r = app.send(app.http.post(app.url("/v1.0/oauth2/dingdemo/token")).body(big)).await;
    assert_dingtalk_error(&r, 413, "RequestTooLarge");
    let medium = format!(r#"{{"client_id":"{}"}}"#, "x".repeat(100 * 1024));
    let r = app.send(app.http.post(app.url("/v1.0/oauth2/dingdemo/token")).body(medium)).await;
    assert_dingtalk_error(&r, 413, "RequestTooLarge");
    let form = format!("grant_type=client_credentials&pad={}", "x".repeat(100 * 1024));
    let r = app.send(app.http.post(app.url("/oauth2/token")).body(form)).await;
    assert_oauth_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn bad_gateway_input_is_refused_before_anything_is_written() {
    let app = spawn_app().await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    assert_dingtalk_error(&app.create_department(&token, json!({})).await, 400, "MissingParameter");
    assert_dingtalk_error(&app.create_department(&token, json!({"name": 7})).await, 400, "InvalidParameter");
    assert_dingtalk_error(&app.create_department(&token, json!({"name": "   "})).await, 400, "InvalidParameter");
    assert_dingtalk_error(
        &app.create_department(&token, json!({"name": "x".repeat(5000)})).await,
        400,
        "InvalidParameter",
    );
    assert_dingtalk_error(
        &app.create_department(&token, json!({"name": "Lost", "parentId": 999})).await,
        400,
        "InvalidParameter",
    );
    assert_dingtalk_error(&app.update_user(&token, "nobody", json!({"title": "x"})).await, 404, "NotFound.User");
    assert_dingtalk_error(&app.update_user(&token, "alice", json!({"title": "   "})).await, 400, "InvalidParameter");
    // The first department created after all that still gets the first id.
    assert_eq!(app.create_department(&token, json!({"name": "First"})).await.body["deptId"], 2);
}

#[tokio::test]
async fn unknown_routes_methods_and_odd_paths_get_json_errors() {
    let app = spawn_app().await;
    assert_dingtalk_error(&app.send(app.http.get(app.url("/v1.0/nothing/here"))).await, 404, "NotFound");
    assert_dingtalk_error(
        &app.send(app.http.delete(app.url("/v1.0/oauth2/accessToken"))).await,
        405,
        "MethodNotAllowed",
    );
    // The path parameter is not URL-encoded by the SDKs: odd characters must not break anything.
    let r = app
        .send(app.http.post(app.url("/v1.0/oauth2/ding%20corp%2F%3Fx/token")).json(&json!({
            "client_id": "dingdemoapp", "client_secret": "demo-secret", "grant_type": "client_credentials"
        })))
        .await;
    assert_dingtalk_error(&r, 401, "unauthorized.client");
    let long_corp = "d".repeat(300);
    let r = app
        .get_token(
            &long_corp,
            json!({"client_id": "dingdemoapp", "client_secret": "demo-secret", "grant_type": "client_credentials"}),
        )
        .await;
    assert_dingtalk_error(&r, 401, "unauthorized.client");
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    assert_dingtalk_error(&app.get_user(&token, &"u".repeat(500)).await, 404, "NotFound.User");
    let raw = raw_http(&app, b"GET /v1.0/contact/users/%FF%FE HTTP/1.1\r\nhost: x\r\nx-acs-dingtalk-access-token: t-x\r\nConnection: close\r\n\r\n").await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
}

#[tokio::test]
async fn each_surface_answers_its_own_404_and_405() {
    let app = spawn_app().await;
    // The management API: {error, message}.
    let r = app.send(app.http.get(app.url("/api/v1/typo"))).await;
    assert_eq!((r.status, r.str("error")), (404, "not_found"), "{}", r.text);
    assert!(!r.str("message").is_empty() && r.body.get("requestid").is_none(), "{}", r.text);
    let r = app.send(app.http.delete(app.url("/api/v1/sessions"))).await;
    assert_eq!((r.status, r.str("error")), (405, "method_not_allowed"), "{}", r.text);
    // The OAuth 2 endpoints: RFC 6749's body.
    let r = app.send(app.http.get(app.url("/oauth2/typo"))).await;
    assert_oauth_error(&r, 404, "invalid_request");
    let r = app.send(app.http.get(app.url("/oauth2/token"))).await;
    assert_oauth_error(&r, 405, "invalid_request");
    // Feishu's Open API: its plain-text 404, its {code, msg} otherwise.
    let r = app.send(app.http.get(app.url("/open-apis/typo"))).await;
    assert_eq!((r.status, r.text.as_str()), (404, "404 page not found"));
    let r = app.send(app.http.get(app.url("/open-apis/auth/v3/tenant_access_token/internal"))).await;
    assert_eq!(r.status, 405, "{}", r.text);
    assert!(r.body["code"].as_i64().is_some_and(|c| c != 0) && !r.str("msg").is_empty(), "{}", r.text);
    // Everything else: DingTalk's.
    assert_dingtalk_error(&app.send(app.http.get(app.url("/v1.0/typo"))).await, 404, "NotFound");
}

#[tokio::test]
async fn dingtalk_user_access_token_answers_bad_json_and_missing_fields_in_its_own_format() {
    let app = spawn_app().await;
    let post = |content_type: &'static str, body: String| {
        app.send(app.http.post(app.url("/v1.0/oauth2/userAccessToken")).header("content-type", content_type).body(body))
    };
    let json = |body: &str| post("application/json", body.to_owned());
    // Bad JSON: unreadable, not an object, a field of the wrong type or sent twice, a NUL.
    for body in [
        "{not json",
        "[1,2]",
        "\"text\"",
        "   ",
        r#"{"clientId": 5, "clientSecret": "demo-secret", "code": "ac-x", "grantType": "authorization_code"}"#,
        r#"{"clientId": "dingdemoapp", "clientSecret": "demo-secret", "refreshToken": [], "grantType": "authorization_code", "code": "ac-x"}"#,
        r#"{"clientId": "dingdemoapp", "clientSecret": "demo-secret", "code": "ac-x", "code": "ac-y", "grantType": "authorization_code"}"#,
        "{\"clientId\": \"dingdemoapp\\u0000\", \"grantType\": \"authorization_code\", \"code\": \"ac-x\"}",
    ] {
        let r = json(body).await;
        assert_dingtalk_error(&r, 400, "InvalidParameter");
        assert!(!r.text.contains("demo-secret"), "{}", r.text);
    }
    // No body, or a form: DingTalk's Missingbody.
    assert_dingtalk_error(&json("").await, 400, "Missingbody");
    let form = post("application/x-www-form-urlencoded", "clientId=dingdemoapp&grantType=refresh_token".into()).await;
    assert_dingtalk_error(&form, 400, "Missingbody");
    // Missing fields, each with its answer; unknown fields of any type are ignored.
    let missing_client = json(r#"{"grantType": "authorization_code", "code": "ac-x", "extra": {"a": [1]}}"#).await;
    assert_dingtalk_error(&missing_client, 400, "invalidClientIdOrSecret");
    let no_grant = json(r#"{"clientId": "dingdemoapp", "clientSecret": "demo-secret", "code": "ac-x"}"#).await;
    assert_dingtalk_error(&no_grant, 400, "unsupported.grant.type");
    let no_code =
        json(r#"{"clientId": "dingdemoapp", "clientSecret": "demo-secret", "grantType": "authorization_code"}"#);
    let no_code = no_code.await;
    assert_dingtalk_error(&no_code, 400, "MissingParameter");
    assert!(no_code.str("message").contains("code"), "{}", no_code.text);
    let no_refresh =
        json(r#"{"clientId": "dingdemoapp", "clientSecret": "demo-secret", "grantType": "refresh_token"}"#);
    let no_refresh = no_refresh.await;
    assert_dingtalk_error(&no_refresh, 400, "MissingParameter");
    assert!(no_refresh.str("message").contains("refreshToken"), "{}", no_refresh.text);
    // A null secret is no secret; an empty code is a code (that does not exist).
    let null_secret =
        json(r#"{"clientId": "dingdemoapp", "clientSecret": null, "code": "ac-x", "grantType": "authorization_code"}"#);
    assert_dingtalk_error(&null_secret.await, 400, "invalidClientIdOrSecret");
    let empty_code = json(
        r#"{"clientId": "dingdemoapp", "clientSecret": "demo-secret", "code": "", "grantType": "authorization_code"}"#,
    );
    assert_dingtalk_error(&empty_code.await, 400, "invalid.grant");
    let numbers = json(
        r#"{"clientId": "dingdemoapp", "clientSecret": "demo-secret", "code": "ac-x", "grantType": "authorization_code", "n": 1}"#,
    );
    assert_dingtalk_error(&numbers.await, 400, "invalid.grant");
}
