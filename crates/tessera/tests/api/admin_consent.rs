//! The authorization flow for an app's sensitive scopes in one org, over HTTP: an admin
//! without the eligible role sees who holds it and cannot approve; the holder approves; the
//! app exchanges the authCode once; every step is in the org's audit log.

use serde_json::json;

use crate::browser::{Browser, Page, urlencode};
use crate::helpers::*;

const CALLBACK: &str = "http://127.0.0.1:8902/callback";
const SUITE: (&str, &str) = ("suitedemo", "suite-secret");

fn consent_path(corp: &str, client: &str, redirect: &str, extra: &str) -> String {
    format!("/{corp}/adminConsent?client_id={client}&redirect_uri={}&state=s-42{extra}", urlencode(redirect))
}

/// Signs `account` in on the way to `path` and returns the consent page (or what came instead).
async fn open_as(browser: &Browser, path: &str, account: &str, password: &str) -> Page {
    let first = browser.get(path).await;
    assert_eq!(first.status, 302, "{}", first.html);
    let next = first.location_param("next").expect("sent to sign in first");
    let signed = browser.sign_in(account, password, &next).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    browser.get(signed.location.as_deref().unwrap()).await
}

async fn approve(browser: &Browser, page: &Page, corp: &str) -> Page {
    let mut form = page.hidden();
    form.push(("decision".into(), "approve".into()));
    browser.post(&format!("/{corp}/adminConsent"), &form).await
}

async fn corp_token(app: &TestApp) -> String {
    let ticket = suite_ticket(app, SUITE.0, SUITE.1).await;
    let body = json!({"authCorpId": DEMO_CORP, "suiteKey": SUITE.0, "suiteSecret": SUITE.1, "suiteTicket": ticket});
    let r = app.send(app.http.post(app.url("/v1.0/oauth2/corpAccessToken")).json(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.str("accessToken").to_owned()
}

async fn exchange_for_org_token(app: &TestApp, code: &str) -> Reply {
    let form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", CALLBACK)];
    app.oauth_token(&form, Some(SUITE)).await
}

#[tokio::test]
async fn the_holder_of_the_eligible_role_approves_and_the_app_exchanges_the_auth_code() {
    let app = spawn_app().await;
    let token = corp_token(&app).await;
    let refused = app.create_department(&token, json!({"name": "Ops"})).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["accessdenieddetail"]["requiredScopes"], json!(["qyapi_manage_addresslist"]));

    // Bob is an org admin but not the Org-wide Contacts Admin: he sees who is, and cannot approve.
    let path = consent_path(DEMO_CORP, "suitedemo", CALLBACK, "");
    let bob = Browser::new(&app);
    let page = open_as(&bob, &path, "bob-union", "bob-password").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("qyapi_manage_addresslist"), "{}", page.html);
    assert!(page.html.contains("contacts_admin") && page.html.contains("held by Alice"), "{}", page.html);
    assert!(!page.html.contains(r#"value="approve""#), "no approve button for Bob: {}", page.html);
    let forged = approve(&bob, &page, DEMO_CORP).await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    assert!(forged.html.contains("500407") && forged.html.contains("contacts_admin"), "{}", forged.html);
    assert_eq!(app.create_department(&token, json!({"name": "Ops"})).await.status, 403, "nothing was granted");

    // Alice holds it: she approves and the app gets an authCode with its state.
    let alice = Browser::new(&app);
    let page = open_as(&alice, &path, "alice-union", "alice-password").await;
    assert!(page.html.contains(r#"value="approve""#), "{}", page.html);
    assert!(page.html.contains("Sensitive"), "the page says why: {}", page.html);
    let done = approve(&alice, &page, DEMO_CORP).await;
    assert_eq!(done.status, 302, "{}", done.html);
    assert!(done.location.as_deref().unwrap().starts_with(CALLBACK));
    let code = done.location_param("authCode").unwrap();
    assert_eq!(done.location_param("code").as_deref(), Some(code.as_str()));
    assert_eq!(done.location_param("state").as_deref(), Some("s-42"));
    assert_eq!(done.location_param("corp_id").as_deref(), Some(DEMO_CORP));
    assert_eq!(done.location_param("admin_consent").as_deref(), Some("True"));

    // The grant holds at once, for the corp token the app already had.
    assert_eq!(app.create_department(&token, json!({"name": "Ops"})).await.status, 200);
    // The code gives the app's token in that org, once.
    let r = exchange_for_org_token(&app, &code).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.str("access_token"), token, "the live corp token of (suite, org) is handed out again");
    assert_eq!(r.str("scope"), "qyapi_manage_addresslist");
    assert!(r.body.get("refresh_token").is_none());
    assert_oauth_error(&exchange_for_org_token(&app, &code).await, 400, "invalid_grant");

    // Each step is in Demo Corp's audit log, with who did it.
    let alice_session = session(&app, "alice-union").await;
    let log =
        api(&app, Some(&alice_session), reqwest::Method::GET, "/api/v1/orgs/dingdemo/audit?client_id=suitedemo", None)
            .await;
    assert_eq!(log.status, 200, "{}", log.text);
    let events: Vec<(String, String)> = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["actor"].as_str().unwrap().to_owned()))
        .collect();
    let find = |action: &str| events.iter().find(|(a, _)| a == action).map(|(_, who)| who.clone());
    assert_eq!(find("scope_authorized").as_deref(), Some("member:dingdemo/alice"), "{events:?}");
    assert_eq!(find("admin_consent_granted").as_deref(), Some("member:dingdemo/alice"), "{events:?}");
    assert_eq!(find("admin_consent_exchanged").as_deref(), Some("app:suitedemo"), "{events:?}");
}

#[tokio::test]
async fn the_delegated_case_gives_the_approving_admin_a_user_token() {
    let app = spawn_app().await;
    let alice = Browser::new(&app);
    let path = consent_path(DEMO_CORP, "suitedemo", CALLBACK, "&scope=qyapi_manage_addresslist");
    let page = open_as(&alice, &path, "alice-union", "alice-password").await;
    let code = approve(&alice, &page, DEMO_CORP).await.location_param("authCode").unwrap();
    let body = json!({"clientId": SUITE.0, "clientSecret": SUITE.1, "code": code, "grantType": "authorization_code"});
    let r = app.send(app.http.post(app.url("/v1.0/oauth2/userAccessToken")).json(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let user_token = r.str("accessToken").to_owned();
    assert!(user_token.starts_with("u-"));
    assert!(r.body.get("corpId").is_none(), "corpId only comes with the corpid scope: {}", r.text);
    // Alice's token, carrying exactly what she authorized.
    let form = [("token", user_token.as_str())];
    let seen =
        app.send(app.http.post(app.url("/oauth2/introspect")).basic_auth(SUITE.0, Some(SUITE.1)).form(&form)).await;
    assert_eq!(seen.body["active"], true, "{}", seen.text);
    assert_eq!(seen.body["sub"], "alice-union");
    assert_eq!(seen.body["scope"], "qyapi_manage_addresslist");
    let me = crate::browser::get_with(&app, &user_token, "/v1.0/contact/users/me").await;
    assert_eq!(me.status, 403, "{}", me.text);
    assert_eq!(me.body["accessdenieddetail"]["requiredScopes"], json!(["Contact.User.Read"]));
    // Exchanged once: at the other endpoint too.
    assert_oauth_error(&exchange_for_org_token(&app, &code).await, 400, "invalid_grant");
}

#[tokio::test]
async fn bad_requests_get_a_clear_answer_and_change_nothing() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    browser.sign_in("alice-union", "alice-password", "/account").await;
    let get = |path: String| {
        let browser = &browser;
        async move { browser.get(&path).await }
    };
    // Unregistered redirect URI and unknown client: a page, never a redirect.
    let r = get(consent_path(DEMO_CORP, "suitedemo", "http://evil.example/cb", "")).await;
    assert_eq!(r.status, 400, "{}", r.html);
    assert!(r.html.contains("400010") && r.location.is_none());
    let r = get(consent_path(DEMO_CORP, "nosuchapp", CALLBACK, "")).await;
    assert!(r.status == 400 && r.html.contains("500101"), "{}", r.html);
    // Everything else goes back to the app with DingTalk's number.
    let error_of = |p: &Page| (p.location_param("error"), p.location_param("state"));
    let r = get(consent_path("dingnowhere", "suitedemo", CALLBACK, "")).await;
    assert_eq!(error_of(&r), (Some("400009".into()), Some("s-42".into())));
    let r = get(consent_path(OTHER_CORP, "suitelegacy", "http://127.0.0.1:8904/callback", "")).await;
    assert_eq!(error_of(&r).0.as_deref(), Some("70003"), "{:?}", r.location);
    // A scope the app never enabled, and a standard one (granted on activation).
    let r = get(consent_path(DEMO_CORP, "suitedemo", CALLBACK, "&scope=Notable.Base.Write")).await;
    assert_eq!(error_of(&r).0.as_deref(), Some("invalid_scope"));
    assert!(r.location_param("error_description").unwrap().contains("not enabled"));
    let r = get(consent_path(DEMO_CORP, "suitedemo", CALLBACK, "&scope=qyapi_get_member")).await;
    assert_eq!(error_of(&r).0.as_deref(), Some("invalid_scope"));
    // A personal app is not authorized by orgs.
    let r = get(consent_path(DEMO_CORP, "dingpersonal", "http://127.0.0.1:8903/callback", "")).await;
    assert_eq!(error_of(&r).0.as_deref(), Some("500101"));
    // A member of another org cannot approve for Demo Corp.
    let carol = Browser::new(&app);
    let page =
        open_as(&carol, &consent_path(DEMO_CORP, "suitedemo", CALLBACK, ""), "carol-union", "carol-password").await;
    assert_eq!(page.status, 403, "{}", page.html);
    assert!(page.html.contains("500408"));
    // A form without its CSRF token, and a denial.
    let page = get(consent_path(DEMO_CORP, "suitedemo", CALLBACK, "")).await;
    let mut forged: Vec<(String, String)> = page.hidden().into_iter().filter(|(k, _)| k != "csrf").collect();
    forged.push(("decision".into(), "approve".into()));
    assert_eq!(browser.post("/dingdemo/adminConsent", &forged).await.status, 403);
    let mut deny = page.hidden();
    deny.push(("decision".into(), "deny".into()));
    let denied = browser.post("/dingdemo/adminConsent", &deny).await;
    assert_eq!(error_of(&denied).0.as_deref(), Some("access_denied"));
    // None of it authorized anything or issued a code.
    let s = session(&app, "alice-union").await;
    let log = api(&app, Some(&s), reqwest::Method::GET, "/api/v1/orgs/dingdemo/audit?client_id=suitedemo", None).await;
    let text = log.text.clone();
    assert!(!text.contains("admin_consent_granted") && !text.contains("scope_authorized"), "{text}");
    let token = corp_token(&app).await;
    assert_eq!(app.create_department(&token, json!({"name": "Ops"})).await.status, 403);
}
