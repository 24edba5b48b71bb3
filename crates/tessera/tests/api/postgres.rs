//! The same server on PostgreSQL: tokens, the gateway's decision and a restart.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_server_works_on_postgres_across_a_restart() {
    let app = spawn_with(Setup::postgres().await).await;
    let token = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    assert_eq!(app.get_user(&token, "alice").await.status, 200);
    let denied = app.update_user(&token, "alice", json!({"title": "x"})).await;
    assert_dingtalk_error(&denied, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    let suite = app.app_token(OTHER_CORP, "suitedemo", "suite-secret").await;
    assert_eq!(app.create_department(&suite, json!({"name": "Ops"})).await.body["deptId"], 2);
    let setup = app.stop().await;
    let again = spawn_with(setup).await;
    assert_eq!(again.get_user(&token, "alice").await.status, 200);
    assert_eq!(again.create_department(&suite, json!({"name": "Ops 2"})).await.body["deptId"], 3);
}

#[tokio::test]
async fn the_user_flow_works_on_postgres() {
    use crate::browser::*;
    let app = spawn_with(Setup::postgres().await).await;
    let browser = Browser::new(&app);
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let path = format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope={}&code_challenge={}&code_challenge_method=S256",
        urlencode("http://127.0.0.1:8900/callback"),
        urlencode("openid doc:readonly"),
        tessera_core::pkce::s256(verifier)
    );
    let done = browser.authorize(&path, "alice-union", "alice-password").await;
    let pair = exchange(&app, &done.location_param("code").unwrap(), Some(verifier)).await;
    assert_eq!(pair.status, 200, "{}", pair.text);
    assert_eq!(doc_ids(&get_with(&app, pair.str("access_token"), "/v1.0/doc/documents").await), [1, 2]);
    let next = refresh(&app, pair.str("refresh_token")).await;
    assert_eq!(next.status, 200, "{}", next.text);
    assert_oauth_error(&refresh(&app, pair.str("refresh_token")).await, 400, "invalid_grant");
    let dead = get_with(&app, next.str("access_token"), "/v1.0/doc/documents").await;
    assert_dingtalk_error(&dead, 400, "InvalidAuthentication");
}

#[tokio::test]
async fn suites_and_the_admin_consent_flow_work_on_postgres() {
    use crate::browser::*;
    let app = spawn_with(Setup::postgres().await).await;
    let ticket = crate::suites::suite_ticket(&app, "suitedemo", "suite-secret").await;
    let body =
        json!({"authCorpId": DEMO_CORP, "suiteKey": "suitedemo", "suiteSecret": "suite-secret", "suiteTicket": ticket});
    let corp = app.send(app.http.post(app.url("/v1.0/oauth2/corpAccessToken")).json(&body)).await;
    assert_eq!(corp.status, 200, "{}", corp.text);
    let token = corp.str("accessToken").to_owned();
    assert_eq!(app.create_department(&token, json!({"name": "Ops"})).await.status, 403);
    let browser = Browser::new(&app);
    let callback = "http://127.0.0.1:8902/callback";
    let path = format!("/dingdemo/adminConsent?client_id=suitedemo&redirect_uri={}&state=pg", urlencode(callback));
    let first = browser.get(&path).await;
    let signed = browser.sign_in("alice-union", "alice-password", &first.location_param("next").unwrap()).await;
    let page = browser.get(signed.location.as_deref().unwrap()).await;
    let mut form = page.hidden();
    form.push(("decision".into(), "approve".into()));
    let code = browser.post("/dingdemo/adminConsent", &form).await.location_param("authCode").unwrap();
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", callback)];
    let r = app.oauth_token(&form, Some(("suitedemo", "suite-secret"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Hearing its own grant change (NOTIFY) dropped the node's handed-out token, so a new one
    // may be minted; both are valid and both now carry the grant.
    assert!(r.str("access_token").starts_with("c-"));
    assert_eq!(app.create_department(r.str("access_token"), json!({"name": "Ops"})).await.status, 200);
    assert_eq!(app.create_department(&token, json!({"name": "Ops 2"})).await.status, 200);
    assert_oauth_error(&app.oauth_token(&form, Some(("suitedemo", "suite-secret"))).await, 400, "invalid_grant");
}
