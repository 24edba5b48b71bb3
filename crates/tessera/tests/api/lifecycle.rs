//! The permission lifecycle through the management API. Tests named `seed000_…`/`seed001_…`
//! check the behaviour of a sentence of seed 000 (sensitive permissions) or 001 (per-app API
//! permissions).

use serde_json::{Value, json};

use crate::helpers::*;

fn status_of(list: &Reply, scope: &str) -> Value {
    list.body.as_array().unwrap().iter().find(|p| p["scope"] == scope).cloned().unwrap_or(Value::Null)
}

fn assert_api_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.str("error"), error, "{}", r.text);
    assert!(!r.str("message").is_empty());
}

async fn missing_reason(app: &TestApp, token: &str, path: &str, method: reqwest::Method) -> Option<String> {
    let mut req = app.http.request(method, app.url(path)).header("x-acs-dingtalk-access-token", token);
    if path.ends_with("departments") || path.contains("/users/") {
        req = req.json(&json!({"name": "Ops", "title": "t"}));
    }
    let r = app.send(req).await;
    if r.status == 200 {
        return None;
    }
    assert_eq!(r.status, 403, "{}", r.text);
    Some(r.body["accessdenieddetail"]["missingReasons"][0]["reason"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn seed001_standard_permissions_are_enabled_on_request_and_the_403_goes_away() {
    let app = spawn_app().await;
    let alice = session(&app, "alice-union").await;
    let token = app.app_token(DEMO_CORP, "dingbasic", "basic-secret").await;
    let get = reqwest::Method::GET;
    assert_eq!(
        missing_reason(&app, &token, "/v1.0/contact/users/alice", get.clone()).await.as_deref(),
        Some("app_scope_not_enabled")
    );
    let r = request(&app, &alice, "dingbasic", "qyapi_get_member", "").await;
    assert_eq!((r.status, r.str("status")), (200, "enabled"), "{}", r.text);
    // The token issued before the request now passes: no stale cache.
    assert_eq!(missing_reason(&app, &token, "/v1.0/contact/users/alice", get).await, None);
}

#[tokio::test]
async fn seed001_permissions_are_independent_across_apps_of_one_org() {
    let app = spawn_app().await;
    let alice = session(&app, "alice-union").await;
    // dingdemoapp holds Contact.User.Read; dingreadonly of the same org does not, until it asks.
    let list = api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/apps/dingreadonly/permissions", None).await;
    assert_eq!(status_of(&list, "Contact.User.Read"), Value::Null);
    let explained = api(
        &app,
        Some(&alice),
        reqwest::Method::GET,
        "/api/v1/explain?client_id=dingreadonly&corp_id=dingdemo&scope=Contact.User.Read",
        None,
    )
    .await;
    assert_eq!(explained.body["scopes"][0]["missing"]["step"], "not_requested", "{}", explained.text);
    assert_eq!(request(&app, &alice, "dingreadonly", "Contact.User.Read", "").await.str("status"), "enabled");
}

#[tokio::test]
async fn seed001_special_permissions_are_reviewed_declined_with_a_reason_resubmitted_and_enabled() {
    let app = spawn_app().await;
    let alice = session(&app, "alice-union").await;
    let r = request(&app, &alice, "dingreadonly", "hr.attendance.read", "").await;
    assert_api_error(&r, 400, "invalid_request");
    let r = request(&app, &alice, "dingreadonly", "hr.attendance.read", "shift planning").await;
    assert_eq!(r.str("status"), "pending_review");
    // The reviewer's queue has it; a member cannot see the queue.
    assert_api_error(&api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/reviews", None).await, 403, "forbidden");
    let queue = api(&app, Some(OPERATOR), reqwest::Method::GET, "/api/v1/reviews", None).await;
    assert_eq!(queue.body[0]["scope"], "hr.attendance.read", "{}", queue.text);
    assert_api_error(
        &review(&app, "dingreadonly", "hr.attendance.read", "decline", None).await,
        400,
        "invalid_request",
    );
    let declined =
        review(&app, "dingreadonly", "hr.attendance.read", "decline", Some("say which records and why")).await;
    assert_eq!((declined.str("status"), declined.str("reason")), ("review_failed", "say which records and why"));
    // The developer reads the reason on the app's permissions, and resubmits.
    let list = api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/apps/dingreadonly/permissions", None).await;
    assert_eq!(status_of(&list, "hr.attendance.read")["reason"], "say which records and why");
    assert_api_error(&review(&app, "dingreadonly", "hr.attendance.read", "approve", None).await, 409, "conflict");
    let again = request(&app, &alice, "dingreadonly", "hr.attendance.read", "daily totals for shift planning").await;
    assert_eq!(again.str("status"), "pending_review");
    assert_eq!(review(&app, "dingreadonly", "hr.attendance.read", "approve", None).await.str("status"), "enabled");
    assert_api_error(&review(&app, "dingreadonly", "hr.attendance.read", "approve", None).await, 409, "conflict");
}

#[tokio::test]
async fn seed000_closed_scopes_refuse_new_applications_with_the_catalogue_message() {
    let app = spawn_app().await;
    let alice = session(&app, "alice-union").await;
    let r = request(&app, &alice, "dingdemoapp", "Notable.Base.Read", "AI tables").await;
    assert_api_error(&r, 409, "scope_closed");
    assert!(r.str("message").contains("New applications are temporarily not supported"), "{}", r.text);
}

#[tokio::test]
async fn seed001_some_scopes_require_organization_authentication() {
    let app = spawn_app().await;
    let carol = session(&app, "carol-union").await;
    // suitedemo belongs to Other Corp, which is not verified.
    let r = request(&app, &carol, "suitedemo", "hr.payroll.read", "payroll sync").await;
    assert_api_error(&r, 403, "org_not_verified");
    let alice = session(&app, "alice-union").await;
    assert_eq!(
        request(&app, &alice, "dingdemoapp", "hr.payroll.read", "payroll sync").await.str("status"),
        "pending_review"
    );
}

#[tokio::test]
async fn seed000_only_the_org_wide_contacts_admin_authorizes_and_recalls_and_the_403_follows_at_once() {
    let app = spawn_app().await;
    let (alice, bob) = (session(&app, "alice-union").await, session(&app, "bob-union").await);
    let post = reqwest::Method::POST;
    // The ISV app holds qyapi_manage_addresslist; Demo Corp has not authorized it.
    let token = app.app_token(DEMO_CORP, "suitedemo", "suite-secret").await;
    assert_eq!(
        missing_reason(&app, &token, "/v1.0/contact/departments", post.clone()).await.as_deref(),
        Some("org_not_authorized")
    );
    // Bob is an org admin but not the Org-wide Contacts Admin.
    let refused = grant(&app, &bob, DEMO_CORP, "suitedemo", "qyapi_manage_addresslist", true).await;
    assert_api_error(&refused, 403, "role_required");
    assert!(refused.str("message").contains("contacts_admin"), "{}", refused.text);
    let explained = api(
        &app,
        Some(&bob),
        reqwest::Method::GET,
        "/api/v1/explain?client_id=suitedemo&corp_id=dingdemo&route=POST%20/v1.0/contact/departments",
        None,
    )
    .await;
    assert_eq!(explained.body["scopes"][0]["missing"]["holders"], json!(["alice"]), "{}", explained.text);
    // Alice accepts the app's request for permissions: the already-issued token works.
    assert_eq!(grant(&app, &alice, DEMO_CORP, "suitedemo", "qyapi_manage_addresslist", true).await.status, 204);
    assert_eq!(missing_reason(&app, &token, "/v1.0/contact/departments", post.clone()).await, None);
    assert_api_error(
        &grant(&app, &alice, DEMO_CORP, "suitedemo", "qyapi_manage_addresslist", true).await,
        409,
        "conflict",
    );
    assert_api_error(
        &grant(&app, &bob, DEMO_CORP, "suitedemo", "qyapi_manage_addresslist", false).await,
        403,
        "role_required",
    );
    // She recalls it: the next call is 403 naming the scope.
    assert_eq!(grant(&app, &alice, DEMO_CORP, "suitedemo", "qyapi_manage_addresslist", false).await.status, 204);
    assert_eq!(
        missing_reason(&app, &token, "/v1.0/contact/departments", post).await.as_deref(),
        Some("org_not_authorized")
    );
    let explained = api(
        &app,
        Some(&alice),
        reqwest::Method::GET,
        "/api/v1/explain?client_id=suitedemo&corp_id=dingdemo&scope=qyapi_manage_addresslist",
        None,
    )
    .await;
    assert_eq!(explained.body["scopes"][0]["missing"]["step"], "revoked");
    assert_eq!(explained.body["scopes"][0]["missing"]["by"], "alice");
    // The audit log has both, in the seed's words, with the actor.
    let log = api(
        &app,
        Some(&alice),
        reqwest::Method::GET,
        "/api/v1/orgs/dingdemo/audit?client_id=suitedemo&actor=member:dingdemo/alice",
        None,
    )
    .await;
    let details: Vec<&str> = log.body.as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap()).collect();
    assert_eq!(
        details,
        ["Accept the app's request for permissions", "Recall permissions previously granted to the app"],
        "{}",
        log.text
    );
}

#[tokio::test]
async fn seed000_activation_grants_standard_scopes_and_not_sensitive_ones() {
    let app = spawn_app().await;
    let carol = session(&app, "carol-union").await;
    let token = app.app_token(OTHER_CORP, "suitedemo", "suite-secret").await;
    let (get, post) = (reqwest::Method::GET, reqwest::Method::POST);
    assert_eq!(missing_reason(&app, &token, "/v1.0/contact/departments", post.clone()).await, None);
    // Uninstalling removes everything the app had in the org: the next call is 403.
    let gone =
        api(&app, Some(&carol), reqwest::Method::DELETE, "/api/v1/orgs/dingother/installations/suitedemo", None).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    assert_eq!(
        missing_reason(&app, &token, "/v1.0/contact/users/carol", get.clone()).await.as_deref(),
        Some("app_not_installed")
    );
    // Activating again grants the standard scope, not the sensitive one.
    let back = api(
        &app,
        Some(&carol),
        post.clone(),
        "/api/v1/orgs/dingother/installations",
        Some(json!({"client_id": "suitedemo"})),
    )
    .await;
    assert_eq!(back.status, 201, "{}", back.text);
    assert_eq!(missing_reason(&app, &token, "/v1.0/contact/users/carol", get).await, None);
    assert_eq!(
        missing_reason(&app, &token, "/v1.0/contact/departments", post.clone()).await.as_deref(),
        Some("org_not_authorized")
    );
    let twice =
        api(&app, Some(&carol), post, "/api/v1/orgs/dingother/installations", Some(json!({"client_id": "suitedemo"})))
            .await;
    assert_api_error(&twice, 409, "conflict");
}

#[tokio::test]
async fn a_member_of_one_org_never_reads_or_changes_another() {
    let app = spawn_app().await;
    let (alice, carol) = (session(&app, "alice-union").await, session(&app, "carol-union").await);
    let post = reqwest::Method::POST;
    let r =
        api(&app, Some(&alice), post, "/api/v1/orgs/dingother/installations", Some(json!({"client_id": "suitedemo"})))
            .await;
    assert_api_error(&r, 403, "forbidden");
    assert_api_error(
        &api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/orgs/dingother/audit", None).await,
        403,
        "forbidden",
    );
    assert_api_error(
        &grant(&app, &carol, DEMO_CORP, "suitedemo", "qyapi_manage_addresslist", true).await,
        403,
        "forbidden",
    );
    assert_api_error(&request(&app, &carol, "dingdemoapp", "Contact.User.Read", "").await, 403, "forbidden");
    assert_api_error(
        &api(&app, Some(&carol), reqwest::Method::GET, "/api/v1/apps/dingdemoapp/permissions", None).await,
        403,
        "forbidden",
    );
    let nobody = api(&app, None, reqwest::Method::GET, "/api/v1/reviews", None).await;
    assert_api_error(&nobody, 401, "unauthenticated");
    let forged = api(&app, Some("sess-forged"), reqwest::Method::GET, "/api/v1/reviews", None).await;
    assert_api_error(&forged, 401, "unauthenticated");
}

#[tokio::test]
async fn bad_lifecycle_input_gets_clear_errors_and_writes_nothing() {
    let app = spawn_app().await;
    let alice = session(&app, "alice-union").await;
    assert_api_error(&request(&app, &alice, "dingdemoapp", "no.such.scope", "x").await, 400, "unknown_scope");
    assert_api_error(&request(&app, &alice, "nosuchapp", "qyapi_get_member", "").await, 404, "not_found");
    assert_api_error(&request(&app, &alice, "dingdemoapp", "qyapi_get_member", "").await, 409, "conflict");
    assert_api_error(&request(&app, &alice, "dingdemoapp", "qyapi_base", "").await, 409, "conflict");
    // Authorizing for an app that does not hold the scope, or is not activated in the org.
    let r = grant(&app, &alice, DEMO_CORP, "dingreadonly", "qyapi_manage_addresslist", true).await;
    assert_api_error(&r, 409, "scope_not_enabled");
    let gone =
        api(&app, Some(&alice), reqwest::Method::DELETE, "/api/v1/orgs/dingdemo/installations/suitedemo", None).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    let r = grant(&app, &alice, DEMO_CORP, "suitedemo", "qyapi_manage_addresslist", true).await;
    assert_api_error(&r, 409, "not_activated");
    let again =
        api(&app, Some(&alice), reqwest::Method::DELETE, "/api/v1/orgs/dingdemo/installations/suitedemo", None).await;
    assert_api_error(&again, 404, "not_found");
    let bad_json = app
        .send(
            app.http
                .post(app.url("/api/v1/apps/dingdemoapp/permissions"))
                .bearer_auth(&alice)
                .header("content-type", "application/json")
                .body("{nope"),
        )
        .await;
    assert_api_error(&bad_json, 400, "invalid_request");
    let log =
        api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/orgs/dingdemo/audit?action=permission_requested", None)
            .await;
    assert_eq!(log.body, json!([]), "refused requests leave no audit event");
    let dup = api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/orgs/dingdemo/audit?limit=1&limit=2", None).await;
    assert_api_error(&dup, 400, "invalid_request");
}

#[tokio::test]
async fn the_audit_log_filters_by_app_actor_action_and_time() {
    let app = spawn_app().await;
    let alice = session(&app, "alice-union").await;
    request(&app, &alice, "dingreadonly", "Contact.User.Read", "").await;
    grant(&app, &alice, DEMO_CORP, "suitedemo", "qyapi_manage_addresslist", true).await;
    let get = |q: &'static str| {
        let (app, alice) = (&app, &alice);
        async move {
            let r =
                api(app, Some(alice), reqwest::Method::GET, &format!("/api/v1/orgs/dingdemo/audit?{q}"), None).await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(get("client_id=dingreadonly&actor=member:dingdemo/alice").await, ["permission_approved"]);
    assert_eq!(get("action=scope_authorized&client_id=suitedemo").await, ["scope_authorized"]);
    assert!(get("action=app_installed").await.len() >= 2);
    assert!(get("since=4102444800").await.is_empty(), "nothing after 2100");
    let page = api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/orgs/dingdemo/audit?limit=2", None).await;
    assert_eq!(page.body.as_array().unwrap().len(), 2);
    let op = api(&app, Some(OPERATOR), reqwest::Method::GET, "/api/v1/orgs/dingdemo/audit", None).await;
    assert_eq!(op.status, 200);
    let doc = app.send(app.http.get(app.url("/api/v1/openapi.json"))).await;
    assert_eq!(doc.str("openapi"), "3.1.0");
    assert!(doc.body["paths"]["/api/v1/explain"].is_object());
}

#[tokio::test]
async fn consent_given_withdrawn_and_tokens_revoked_are_in_the_orgs_audit_log() {
    use crate::browser::*;
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let path = format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope=openid%20Contact.User.Read",
        urlencode("http://127.0.0.1:8900/callback")
    );
    browser.authorize(&path, "alice-union", "alice-password").await;
    let account = browser.get("/account").await;
    let csrf = account.hidden().into_iter().find(|(k, _)| k == "csrf").unwrap();
    assert_eq!(browser.post("/account/apps/dingdemoapp/withdraw", &[csrf]).await.status, 303);
    let alice = session(&app, "alice-union").await;
    let log = api(
        &app,
        Some(&alice),
        reqwest::Method::GET,
        "/api/v1/orgs/dingdemo/audit?client_id=dingdemoapp&actor=user:alice-union",
        None,
    )
    .await;
    let actions: Vec<&str> = log.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["consent_given", "consent_withdrawn", "tokens_revoked"], "{}", log.text);
}
