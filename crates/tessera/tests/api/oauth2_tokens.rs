//! RFC 6749 client credentials on `/oauth2/token`.

use serde_json::json;

use crate::helpers::*;

const GRANT: (&str, &str) = ("grant_type", "client_credentials");

#[tokio::test]
async fn client_secret_basic_and_post_both_work_and_agree() {
    let app = spawn_app().await;
    let basic = app.oauth_token(&[GRANT], Some(("dingdemoapp", "demo-secret"))).await;
    assert_eq!(basic.status, 200, "{}", basic.text);
    assert_eq!(basic.str("token_type"), "Bearer");
    assert_eq!(basic.body["expires_in"], 7200);
    assert_eq!(basic.header("cache-control"), Some("no-store"));
    assert_eq!(basic.header("pragma"), Some("no-cache"));
    let post = app.oauth_token(&[GRANT, ("client_id", "dingdemoapp"), ("client_secret", "demo-secret")], None).await;
    assert_eq!(post.str("access_token"), basic.str("access_token"));
}

#[tokio::test]
async fn corp_id_chooses_the_org_for_third_party_apps() {
    let app = spawn_app().await;
    let ok = app.oauth_token(&[GRANT, ("corp_id", OTHER_CORP)], Some(("suitedemo", "suite-secret"))).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(ok.str("access_token").starts_with("c-"));
    let missing = app.oauth_token(&[GRANT], Some(("suitedemo", "suite-secret"))).await;
    assert_oauth_error(&missing, 400, "invalid_request");
    let not_installed =
        app.oauth_token(&[GRANT, ("corp_id", OTHER_CORP)], Some(("dingreadonly", "readonly-secret"))).await;
    assert_oauth_error(&not_installed, 400, "unauthorized_client");
}

#[tokio::test]
async fn client_authentication_failures_are_invalid_client_with_a_challenge() {
    let app = spawn_app().await;
    for r in [
        app.oauth_token(&[GRANT], Some(("dingdemoapp", "wrong"))).await,
        app.oauth_token(&[GRANT, ("client_id", "dingdemoapp"), ("client_secret", "wrong")], None).await,
        app.oauth_token(&[GRANT], None).await,
        app.oauth_token(&[GRANT], Some(("nosuch", "x"))).await,
    ] {
        assert_oauth_error(&r, 401, "invalid_client");
        assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"tessera\""));
        assert!(!r.text.contains("wrong"), "{}", r.text);
    }
    let garbage = app
        .send(
            app.http
                .post(app.url("/oauth2/token"))
                .header("authorization", "Basic !!!")
                .body("grant_type=client_credentials"),
        )
        .await;
    assert_oauth_error(&garbage, 401, "invalid_client");
}

#[tokio::test]
async fn malformed_requests_are_invalid_request_or_unsupported_grant() {
    let app = spawn_app().await;
    let both = app
        .oauth_token(
            &[GRANT, ("client_id", "dingdemoapp"), ("client_secret", "demo-secret")],
            Some(("dingdemoapp", "demo-secret")),
        )
        .await;
    assert_oauth_error(&both, 400, "invalid_request");
    let repeated = app.oauth_token(&[GRANT, GRANT], Some(("dingdemoapp", "demo-secret"))).await;
    assert_oauth_error(&repeated, 400, "invalid_request");
    let no_grant = app.oauth_token(&[], Some(("dingdemoapp", "demo-secret"))).await;
    assert_oauth_error(&no_grant, 400, "invalid_request");
    let password = app.oauth_token(&[("grant_type", "password")], Some(("dingdemoapp", "demo-secret"))).await;
    assert_oauth_error(&password, 400, "unsupported_grant_type");
}

#[tokio::test]
async fn a_requested_scope_must_be_held() {
    let app = spawn_app().await;
    let ok = app
        .oauth_token(&[GRANT, ("scope", "qyapi_get_member qyapi_base")], Some(("dingreadonly", "readonly-secret")))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.str("scope"), "qyapi_get_member qyapi_base");
    let bad = app
        .oauth_token(
            &[GRANT, ("scope", "qyapi_get_member qyapi_manage_addresslist")],
            Some(("dingreadonly", "readonly-secret")),
        )
        .await;
    assert_oauth_error(&bad, 400, "invalid_scope");
    assert!(bad.str("error_description").contains("qyapi_manage_addresslist (app_scope_not_enabled)"), "{}", bad.text);
    assert!(!bad.str("error_description").contains("qyapi_get_member"), "{}", bad.text);
}

async fn introspect(app: &TestApp, token: &str) -> Reply {
    app.send(
        app.http
            .post(app.url("/oauth2/introspect"))
            .basic_auth("dingdemoapp", Some("demo-secret"))
            .form(&[("token", token)]),
    )
    .await
}

#[tokio::test]
async fn a_client_credentials_scope_limits_the_token_and_introspection_names_its_scopes() {
    let app = spawn_app().await;
    let creds = Some(("dingdemoapp", "demo-secret"));
    let limited = app.oauth_token(&[GRANT, ("scope", "qyapi_base")], creds).await;
    assert_eq!(limited.status, 200, "{}", limited.text);
    assert_eq!(limited.str("scope"), "qyapi_base");
    let limited = limited.str("access_token").to_owned();
    // The app holds qyapi_get_member, but this token was not asked for it.
    let refused = app.get_user(&limited, "alice").await;
    assert_dingtalk_error(&refused, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert_eq!(
        refused.body["accessdenieddetail"]["missingReasons"],
        json!([{"scope": "qyapi_get_member", "reason": "token_scope_not_requested"}]),
        "{}",
        refused.text
    );
    assert_eq!(introspect(&app, &limited).await.str("scope"), "qyapi_base");

    // Asked for what the call needs: it passes; reuse keys on the scope set.
    let member = app.oauth_token(&[GRANT, ("scope", "qyapi_get_member")], creds).await;
    let member = member.str("access_token").to_owned();
    assert_ne!(member, limited);
    assert_eq!(app.get_user(&member, "alice").await.status, 200);
    let again = app.oauth_token(&[GRANT, ("scope", "qyapi_get_member")], creds).await;
    assert_eq!(again.str("access_token"), member);

    // Without scope: everything the app holds in its org, and introspection says what that is.
    let full = app.oauth_token(&[GRANT], creds).await;
    assert!(full.body.get("scope").is_none(), "{}", full.text);
    let full = full.str("access_token").to_owned();
    assert_eq!(app.get_user(&full, "alice").await.status, 200);
    let seen = introspect(&app, &full).await;
    let scopes: Vec<&str> = seen.str("scope").split(' ').collect();
    assert!(scopes.contains(&"qyapi_get_member") && scopes.contains(&"qyapi_manage_addresslist"), "{}", seen.text);
}
