//! Who may manage apps, and what an app change does to the consents and tokens handed out
//! before it: the attacks of the security review, replayed against the real server. A plain
//! member (erin) may not touch an app; an org admin's new redirect URI makes alice's next
//! authorization ask again; a rotated secret ends the tokens of the old one (at once, or when
//! the overlap ends); no app learns who someone is without a consent page; admin consent
//! needs the eligible role of every scope it carries.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::*;
use crate::helpers::*;
use crate::interop::multinode::{handle, start_node};

const CALLBACK: &str = "http://127.0.0.1:8900/callback";
const ATTACKER: &str = "http://attacker.example/cb";

fn post() -> reqwest::Method {
    reqwest::Method::POST
}

fn put() -> reqwest::Method {
    reqwest::Method::PUT
}

fn assert_role_required(r: &Reply) {
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.str("error"), "role_required", "{}", r.text);
    assert!(r.str("message").contains("developer"), "{}", r.text);
}

/// The audit events of `action` in `corp` (read by the operator), newest first.
async fn audit(app: &TestApp, corp: &str, action: &str) -> Vec<Value> {
    let path = format!("/api/v1/orgs/{corp}/audit?action={action}");
    let r = api(app, Some(OPERATOR), reqwest::Method::GET, &path, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body.as_array().unwrap().clone()
}

async fn rotate(app: &TestApp, who: &str, client: &str, overlap: i64) -> Reply {
    let path = format!("/api/v1/apps/{client}/secret");
    api(app, Some(who), post(), &path, Some(json!({"overlap_seconds": overlap}))).await
}

#[tokio::test]
async fn a_plain_member_gets_role_required_for_every_app_change_and_the_secret_stays() {
    let app = spawn_app().await;
    let erin = session(&app, "erin-union").await;
    // The attack: rotate dingdemoapp's secret with an overlap, then use the new one.
    assert_role_required(&rotate(&app, &erin, "dingdemoapp", 3600).await);
    let uris = json!({"redirect_uris": [CALLBACK, ATTACKER]});
    assert_role_required(&api(&app, Some(&erin), put(), "/api/v1/apps/dingdemoapp/redirect_uris", Some(uris)).await);
    let cb = json!({"url": "http://127.0.0.1:9/tickets"});
    assert_role_required(&api(&app, Some(&erin), put(), "/api/v1/apps/suitelegacy/ticket-callback", Some(cb)).await);
    let new_app = json!({"name": "Erin's app", "kind": "internal", "redirect_uris": []});
    assert_role_required(&api(&app, Some(&erin), post(), "/api/v1/orgs/dingdemo/apps", Some(new_app)).await);
    let scope = json!({"scope": "Contact.User.Read", "description": ""});
    assert_role_required(&api(&app, Some(&erin), post(), "/api/v1/apps/dingreadonly/permissions", Some(scope)).await);
    assert_role_required(&api(&app, Some(&erin), reqwest::Method::GET, "/api/v1/orgs/dingdemo/apps", None).await);
    // Nothing changed: the old secret works, the redirect URIs are the registered ones, no app
    // was registered, and nothing reached the audit log.
    app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let alice = session(&app, "alice-union").await;
    let apps = api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/orgs/dingdemo/apps", None).await;
    assert_eq!(apps.status, 200, "{}", apps.text);
    let demo = apps.body.as_array().unwrap().iter().find(|a| a["client_id"] == "dingdemoapp").unwrap().clone();
    assert_eq!(demo["redirect_uris"], json!([CALLBACK]));
    assert!(!apps.text.contains("Erin's app"));
    for action in ["secret_rotated", "redirect_uris_changed", "ticket_callback_changed", "app_registered"] {
        let events = audit(&app, DEMO_CORP, action).await;
        assert!(events.iter().all(|e| !e["actor"].as_str().unwrap().contains("erin")), "{events:?}");
    }
}

#[tokio::test]
async fn developers_and_org_admins_manage_apps_and_each_change_names_its_actor() {
    // The ticket callback below is a local receiver: allowed for local development only.
    let mut setup = Setup::sqlite();
    setup.config.allow_private_callbacks = true;
    let app = spawn_with(setup).await;
    let (alice, bob) = (session(&app, "alice-union").await, session(&app, "bob-union").await);
    let rotated = rotate(&app, &alice, "dingdemoapp", 0).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let uris = json!({"redirect_uris": [CALLBACK]});
    let set = api(&app, Some(&bob), put(), "/api/v1/apps/dingdemoapp/redirect_uris", Some(uris)).await;
    assert_eq!(set.status, 200, "{}", set.text);
    let cb = json!({"url": "http://127.0.0.1:9/tickets"});
    let set = api(&app, Some(&alice), put(), "/api/v1/apps/suitelegacy/ticket-callback", Some(cb)).await;
    assert_eq!(set.status, 200, "{}", set.text);
    for (action, actor) in [
        ("secret_rotated", "member:dingdemo/alice"),
        ("redirect_uris_changed", "member:dingdemo/bob"),
        ("ticket_callback_changed", "member:dingdemo/alice"),
    ] {
        let events = audit(&app, DEMO_CORP, action).await;
        assert_eq!(events.len(), 1, "{action}: {events:?}");
        assert_eq!(events[0]["actor"], actor, "{action}");
    }
}

#[tokio::test]
async fn the_console_hides_developer_pages_from_a_plain_member_and_refuses_her_posts() {
    let app = spawn_app().await;
    let erin = Browser::new(&app);
    let signed = erin.sign_in("erin-union", "erin-password", "/console").await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    let home = erin.get("/console").await;
    assert_eq!(home.status, 200, "{}", home.html);
    assert!(home.html.contains("Demo Corp"), "{}", home.html);
    assert!(!home.html.contains("/console/orgs/dingdemo/apps"), "{}", home.html);
    assert!(!home.html.contains("/console/orgs/dingdemo/workbench"), "{}", home.html);
    for page in ["/console/orgs/dingdemo/apps", "/console/apps/dingdemoapp", "/console/apps/dingdemoapp/permissions"] {
        let p = erin.get(page).await;
        assert_eq!(p.status, 403, "{page}: {}", p.html);
    }
    // A post with a valid CSRF token (the sign-out form's) is still refused.
    let csrf = home.hidden().into_iter().find(|(k, _)| k == "csrf").unwrap().1;
    let form = |extra: &[(&str, &str)]| {
        let mut f = vec![("csrf".to_owned(), csrf.clone())];
        f.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        f
    };
    let rotated = erin.post("/console/apps/dingdemoapp/secret", &form(&[("overlap_seconds", "3600")])).await;
    assert_eq!(rotated.status, 403, "{}", rotated.html);
    let uris = erin.post("/console/apps/dingdemoapp/redirect_uris", &form(&[("redirect_uris", ATTACKER)])).await;
    assert_eq!(uris.status, 403, "{}", uris.html);
    let created = erin.post("/console/orgs/dingdemo/apps", &form(&[("name", "Mine"), ("kind", "internal")])).await;
    assert_eq!(created.status, 403, "{}", created.html);
    app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    // Alice, a developer, sees and opens them.
    let alice = Browser::new(&app);
    alice.sign_in("alice-union", "alice-password", "/console").await;
    assert!(alice.get("/console").await.html.contains("/console/orgs/dingdemo/apps"));
    assert_eq!(alice.get("/console/apps/dingdemoapp").await.status, 200);
}

fn authorize_path(redirect: &str) -> String {
    format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope={}&state=st",
        urlencode(redirect),
        urlencode("openid doc:readonly")
    )
}

async fn new_redirect_uri_asks_alice_again(setup: Setup) {
    let app = spawn_with(setup).await;
    let alice = Browser::new(&app);
    // Alice consents once; the next authorization is silent.
    let first = alice.authorize(&authorize_path(CALLBACK), "alice-union", "alice-password").await;
    assert!(first.location_param("code").is_some(), "{:?}", first.location);
    let again = alice.get(&authorize_path(CALLBACK)).await;
    assert_eq!(again.status, 302, "remembered consent: {}", again.html);
    // An org admin adds the attacker's URI.
    let bob = session(&app, "bob-union").await;
    let uris = json!({"redirect_uris": [CALLBACK, ATTACKER]});
    let set = api(&app, Some(&bob), put(), "/api/v1/apps/dingdemoapp/redirect_uris", Some(uris)).await;
    assert_eq!(set.status, 200, "{}", set.text);
    // Opening the link now shows the consent page: no code goes anywhere without asking.
    let lured = alice.get(&authorize_path(ATTACKER)).await;
    assert_eq!(lured.status, 200, "the code went out without a prompt: {:?}", lured.location);
    assert!(lured.html.contains(r#"value="approve""#), "{}", lured.html);
    let usual = alice.get(&authorize_path(CALLBACK)).await;
    assert_eq!(usual.status, 200, "{:?}", usual.location);
}

#[tokio::test]
async fn a_new_redirect_uri_forgets_remembered_consents_sqlite() {
    new_redirect_uri_asks_alice_again(Setup::sqlite()).await;
}

#[tokio::test]
async fn a_new_redirect_uri_forgets_remembered_consents_postgres() {
    new_redirect_uri_asks_alice_again(Setup::postgres().await).await;
}

async fn corp_token(app: &TestApp, corp: &str, secret: &str) -> String {
    app.app_token(corp, "suitedemo", secret).await
}

async fn rotation_without_overlap_revokes_at_once(setup: Setup) {
    let app = spawn_with(setup).await;
    let old = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    assert_eq!(app.get_user(&old, "alice").await.status, 200);
    let corp = corp_token(&app, OTHER_CORP, "suite-secret").await;
    assert_eq!(app.get_user(&corp, "carol").await.status, 200);
    let alice = session(&app, "alice-union").await;
    let rotated = rotate(&app, &alice, "dingdemoapp", 0).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_dingtalk_error(&app.get_user(&old, "alice").await, 400, "InvalidAuthentication");
    let fresh = app.app_token(DEMO_CORP, "dingdemoapp", rotated.str("client_secret")).await;
    assert_ne!(fresh, old);
    assert_eq!(app.get_user(&fresh, "alice").await.status, 200);
    // A suite's corp tokens too (carol administers the suite's org).
    let carol = session(&app, "carol-union").await;
    let rotated = rotate(&app, &carol, "suitedemo", 0).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_dingtalk_error(&app.get_user(&corp, "carol").await, 400, "InvalidAuthentication");
    let fresh = corp_token(&app, OTHER_CORP, rotated.str("client_secret")).await;
    assert_ne!(fresh, corp);
}

#[tokio::test]
async fn rotation_without_overlap_revokes_app_and_corp_tokens_at_once_sqlite() {
    rotation_without_overlap_revokes_at_once(Setup::sqlite()).await;
}

#[tokio::test]
async fn rotation_without_overlap_revokes_app_and_corp_tokens_at_once_postgres() {
    rotation_without_overlap_revokes_at_once(Setup::postgres().await).await;
}

#[tokio::test]
async fn with_an_overlap_old_tokens_end_with_it_and_the_new_secret_gets_a_new_token() {
    let setup = Setup::sqlite().with_fake_clock(1_800_000_000);
    let clock = setup.clock.clone().unwrap();
    let app = spawn_with(setup).await;
    let old = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let alice = session(&app, "alice-union").await;
    let rotated = rotate(&app, &alice, "dingdemoapp", 600).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new = app.app_token(DEMO_CORP, "dingdemoapp", rotated.str("client_secret")).await;
    assert_ne!(new, old, "the new secret was handed the pre-rotation token");
    assert_eq!(app.get_user(&old, "alice").await.status, 200, "the old token works during the overlap");
    clock.advance(601);
    assert_dingtalk_error(&app.get_user(&old, "alice").await, 400, "InvalidAuthentication");
    assert_eq!(app.get_user(&new, "alice").await.status, 200);
}

#[tokio::test]
async fn a_rotation_on_one_node_ends_the_old_token_and_its_reuse_on_the_other_postgres() {
    let setup = Setup::postgres().await;
    let a = start_node(&setup).await;
    let b = start_node(&setup).await;
    let (node_a, node_b) = (handle(&a, &setup), handle(&b, &setup));
    // Node B hands out a token and keeps it for reuse.
    // (The node drops its caches once more when its LISTEN is established, which may come
    // just after its first answer: wait until it reuses.)
    let mut old = node_b.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    for _ in 0..40 {
        let again = node_b.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
        if again == old {
            break;
        }
        old = again;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(node_b.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await, old);
    assert_eq!(node_b.get_user(&old, "alice").await.status, 200);
    let alice = session(&node_a, "alice-union").await;
    let rotated = rotate(&node_a, &alice, "dingdemoapp", 0).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let secret = rotated.str("client_secret").to_owned();
    let mut refused = false;
    for _ in 0..40 {
        if node_b.get_user(&old, "alice").await.status == 400 {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(refused, "node B still accepted the pre-rotation token after about a second");
    let fresh = node_b.app_token(DEMO_CORP, "dingdemoapp", &secret).await;
    assert_ne!(fresh, old, "node B handed the new secret the pre-rotation token");
    drop((a.child, b.child));
}

#[tokio::test]
async fn the_first_authorization_shows_the_consent_page_even_for_openid_alone() {
    let app = spawn_app().await;
    let path = format!(
        "/oauth2/authorize?response_type=code&client_id=dingpersonal&redirect_uri={}&scope=openid&state=st",
        urlencode("http://127.0.0.1:8903/callback")
    );
    let carol = Browser::new(&app);
    let signed = carol.sign_in("carol-union", "carol-password", &path).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    let page = carol.get(&path).await;
    assert_eq!(page.status, 200, "a code went out with no page: {:?}", page.location);
    assert!(page.html.contains("Know who you are") && page.html.contains(r#"value="approve""#), "{}", page.html);
    // Once she allowed it, the same request is answered at once.
    let mut form = page.hidden();
    form.push(("decision".into(), "approve".into()));
    let done = carol.post("/oauth2/authorize", &form).await;
    assert!(done.location_param("code").is_some(), "{:?}", done.location);
    assert_eq!(carol.get(&path).await.status, 302);
    // The same for the Feishu page with offline_access.
    let feishu = format!(
        "/open-apis/authen/v1/authorize?app_id=cli_feishudemo&redirect_uri={}&scope=offline_access&state=st",
        urlencode("http://127.0.0.1:8905/callback")
    );
    let alice = Browser::new(&app);
    alice.sign_in("alice-union", "alice-password", &feishu).await;
    let page = alice.get(&feishu).await;
    assert_eq!(page.status, 200, "{:?}", page.location);
}

fn admin_consent_path() -> String {
    format!("/dingdemo/adminConsent?client_id=dingdemoapp&redirect_uri={}&state=s", urlencode(CALLBACK))
}

#[tokio::test]
async fn admin_consent_needs_the_eligible_role_of_every_scope_even_those_already_granted() {
    let app = spawn_app().await;
    // dingdemoapp holds qyapi_manage_addresslist in Demo Corp (alice authorized it); bob is an
    // org admin without contacts_admin.
    let bob = Browser::new(&app);
    bob.sign_in("bob-union", "bob-password", &admin_consent_path()).await;
    let page = bob.get(&admin_consent_path()).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(!page.html.contains(r#"value="approve""#), "bob got an Authorize button: {}", page.html);
    assert!(page.html.contains("contacts_admin"), "{}", page.html);
    // A forged approval gets no code (so no user token carrying the scope).
    let mut form = page.hidden();
    form.push(("decision".into(), "approve".into()));
    let forged = bob.post("/dingdemo/adminConsent", &form).await;
    assert_eq!(forged.status, 403, "{:?} {}", forged.location, forged.html);
    assert!(forged.location.is_none());
    let events = audit(&app, DEMO_CORP, "admin_consent_granted").await;
    assert!(events.is_empty(), "{events:?}");
    // Alice holds the role: she gets the button.
    let alice = Browser::new(&app);
    alice.sign_in("alice-union", "alice-password", &admin_consent_path()).await;
    let page = alice.get(&admin_consent_path()).await;
    assert!(page.html.contains(r#"value="approve""#), "{}", page.html);
}
