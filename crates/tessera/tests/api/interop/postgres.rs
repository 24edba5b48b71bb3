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
    let ticket = suite_ticket(&app, "suitedemo", "suite-secret").await;
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

#[tokio::test]
async fn a_ticket_issued_by_one_node_is_accepted_by_another_that_cached_an_older_one() {
    let mut setup = Setup::postgres().await.with_fake_clock(1_700_000_000);
    setup.config.suite_ticket_interval = 2;
    let clock = setup.clock.clone().unwrap();
    let node_a = spawn_with(setup.clone()).await;
    let node_b = spawn_with(setup).await;
    async fn corp(node: &TestApp, ticket: String) -> Reply {
        let body = json!({"authCorpId": OTHER_CORP, "suiteKey": "suitedemo", "suiteSecret": "suite-secret", "suiteTicket": ticket});
        node.send(node.http.post(node.url("/v1.0/oauth2/corpAccessToken")).json(&body)).await
    }
    let first = suite_ticket(&node_a, "suitedemo", "suite-secret").await;
    assert_eq!(corp(&node_a, first.clone()).await.status, 200, "node A now holds ticket state 1");
    let mut latest = first.clone();
    for _ in 0..2 {
        clock.advance(2);
        node_b.ticket_round().await;
        let now = suite_ticket(&node_b, "suitedemo", "suite-secret").await;
        assert_ne!(now, latest, "node B issued a new ticket");
        latest = now;
    }
    assert_ne!(latest, first);
    let r = corp(&node_a, latest.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(corp(&node_b, latest).await.status, 200);
}
