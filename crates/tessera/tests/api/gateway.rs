//! The gateway in front of the sample contacts API: tokens from either header, 400 for a
//! missing or bad token, 403 naming exactly the missing scopes and why, isolation per org.

use axum::Router;
use axum::routing::get;
use serde_json::json;
use tessera_core::ids::ScopeCode;
use tessera_core::token::TokenKind;
use tessera_http::gateway::RequireScopesLayer;

use crate::helpers::*;

fn required_scopes(r: &Reply) -> Vec<String> {
    r.body["accessdenieddetail"]["requiredScopes"]
        .as_array()
        .unwrap_or_else(|| panic!("no requiredScopes in {}", r.text))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn reasons(r: &Reply) -> Vec<String> {
    r.body["accessdenieddetail"]["missingReasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("{}:{}", v["scope"].as_str().unwrap(), v["reason"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn an_app_with_the_scopes_reads_and_writes_contacts() {
    let app = spawn_app().await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let alice = app.get_user(&token, "alice").await;
    assert_eq!(alice.status, 200, "{}", alice.text);
    assert_eq!((alice.str("userId"), alice.str("unionId"), alice.str("name")), ("alice", "alice-union", "Alice"));
    // The official SDK's GetUser names the user by union id.
    assert_eq!(app.get_user(&token, "alice-union").await.str("userId"), "alice");
    let updated = app.update_user(&token, "bob", json!({"title": "Head of office"})).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(app.get_user(&token, "bob").await.str("title"), "Head of office");
    let dept = app.create_department(&token, json!({"name": "Sales"})).await;
    assert_eq!(dept.status, 200, "{}", dept.text);
    let child = app.create_department(&token, json!({"name": "EMEA", "parentId": dept.body["deptId"]})).await;
    assert_eq!(child.body["deptId"].as_i64(), Some(dept.body["deptId"].as_i64().unwrap() + 1));
}

#[tokio::test]
async fn bearer_tokens_are_accepted_too() {
    let app = spawn_app().await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let r = app.send(app.http.get(app.url("/v1.0/contact/users/alice")).bearer_auth(&token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn missing_and_invalid_tokens_are_400_in_the_dingtalk_format() {
    let app = spawn_app().await;
    let none = app.send(app.http.get(app.url("/v1.0/contact/users/alice"))).await;
    assert_dingtalk_error(&none, 400, "AuthenticationFailed.MissingParameter");
    let query = app.send(app.http.get(app.url("/v1.0/contact/users/alice?access_token=x"))).await;
    assert_dingtalk_error(&query, 400, "AuthenticationFailed.MissingParameter");
    let bad = app.get_user("t-not-a-real-token", "alice").await;
    assert_dingtalk_error(&bad, 400, "InvalidAuthentication");
}

#[tokio::test]
async fn a_scope_the_app_never_got_is_named_in_requiredscopes() {
    let app = spawn_app().await;
    let token = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    assert_eq!(app.get_user(&token, "alice").await.status, 200);
    let r = app.update_user(&token, "alice", json!({"title": "x"})).await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert_eq!(required_scopes(&r), ["qyapi_manage_addresslist"]);
    assert_eq!(reasons(&r), ["qyapi_manage_addresslist:app_scope_not_enabled"]);
    // Nothing was written.
    assert_eq!(app.get_user(&token, "alice").await.str("title"), "");
}

#[tokio::test]
async fn a_sensitive_scope_the_org_did_not_authorize_is_org_not_authorized() {
    let app = spawn_app().await;
    // The ISV app holds the scope; Demo Corp installed it but did not authorize it, Other Corp did.
    let demo = app.app_token(DEMO_CORP, "suitedemo", "suite-secret").await;
    let r = app.create_department(&demo, json!({"name": "Nope"})).await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert_eq!(reasons(&r), ["qyapi_manage_addresslist:org_not_authorized"]);
    let other = app.app_token(OTHER_CORP, "suitedemo", "suite-secret").await;
    assert_eq!(app.create_department(&other, json!({"name": "Yes"})).await.status, 200);
}

#[tokio::test]
async fn a_token_acts_in_its_own_org_only() {
    let app = spawn_app().await;
    let other = app.app_token(OTHER_CORP, "suitedemo", "suite-secret").await;
    assert_eq!(app.get_user(&other, "carol").await.status, 200);
    // Alice is a member of Demo Corp only: invisible to a token of Other Corp.
    assert_dingtalk_error(&app.get_user(&other, "alice").await, 404, "NotFound.User");
    assert_dingtalk_error(&app.get_user(&other, "alice-union").await, 404, "NotFound.User");
    let r = app.update_user(&other, "alice", json!({"title": "hijacked"})).await;
    assert_dingtalk_error(&r, 404, "NotFound.User");
    let demo = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    assert_eq!(app.get_user(&demo, "alice").await.str("title"), "");
}

/// A Rust service puts the same layer in front of its own route; here the route takes only
/// corp tokens, so an internal app's token is refused for its kind.
#[tokio::test]
async fn the_layer_guards_other_routes_and_refuses_the_wrong_token_kind() {
    let app = spawn_app().await;
    let service = service_over(&app).await;
    let layer =
        RequireScopesLayer::new(service, vec![ScopeCode::parse("qyapi_get_member").unwrap()], vec![TokenKind::Corp]);
    let router = Router::new().route("/mine", get(|| async { "secret data" })).route_layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let url = format!("http://{addr}/mine");

    let internal = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let r = app.send(app.http.get(&url).header("x-acs-dingtalk-access-token", &internal)).await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenTypeNotSupported");
    assert!(!r.text.contains("secret data"));
    let corp = app.app_token(OTHER_CORP, "suitedemo", "suite-secret").await;
    let ok = app.send(app.http.get(&url).header("x-acs-dingtalk-access-token", &corp)).await;
    assert_eq!((ok.status, ok.text.as_str()), (200, "secret data"));
}
