//! The console's pages over HTTP: who sees what, forged and repeated form posts, other orgs'
//! pages opened by URL, long and HTML-laden input, the secret shown once and its rotation,
//! the 403 helper. (The journeys in a real browser are in `browser_console.rs`.)

use serde_json::{Value, json};

use crate::browser::*;
use crate::helpers::*;

/// A browser signed in as `account` (password `<name>-password`).
async fn person(app: &TestApp, account: &str) -> Browser {
    let b = Browser::new(app);
    let password = format!("{}-password", account.trim_end_matches("-union"));
    let signed = b.sign_in(account, &password, "/console").await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    b
}

/// A browser signed in as a platform reviewer with the operator token.
async fn reviewer(app: &TestApp) -> Browser {
    let b = Browser::new(app);
    let page = b.get("/console/reviewer").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let mut form = page.hidden();
    form.push(("token".into(), OPERATOR.into()));
    let done = b.post("/console/reviewer", &form).await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some("/console/reviews"));
    b
}

/// The CSRF token of the forms on `path`.
async fn csrf(b: &Browser, path: &str) -> String {
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.hidden().into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v).expect("a form with a CSRF token")
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The text of the element `<p id="secret" …>` on a page.
fn secret_on(html: &str) -> String {
    let start = html.find(r#"id="secret" class="secret">"#).expect("a secret on the page");
    let rest = &html[start + r#"id="secret" class="secret">"#.len()..];
    rest[..rest.find("</p>").unwrap()].to_owned()
}

/// The client id after "Client id: <code>" on a page.
fn client_id_on(html: &str) -> String {
    let rest = &html[html.find("Client id: <code>").expect("a client id") + "Client id: <code>".len()..];
    rest[..rest.find("</code>").unwrap()].to_owned()
}

async fn token_status(app: &TestApp, client_id: &str, secret: &str) -> u16 {
    app.get_token(
        DEMO_CORP,
        json!({"client_id": client_id, "client_secret": secret, "grant_type": "client_credentials"}),
    )
    .await
    .status
}

async fn audit_actions(app: &TestApp, who: &str) -> Vec<String> {
    let r = api(app, Some(who), reqwest::Method::GET, "/api/v1/orgs/dingdemo/audit?limit=500", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn each_person_sees_what_their_roles_allow() {
    let app = spawn_app().await;
    let anonymous = Browser::new(&app);
    let landing = anonymous.get("/console").await;
    assert_eq!(landing.status, 200);
    assert!(landing.html.contains("/login?next=/console") && landing.html.contains("/console/reviewer"));
    let to_login = anonymous.get("/console/orgs/dingdemo/workbench").await;
    assert_eq!(to_login.status, 303, "{}", to_login.html);
    assert_eq!(to_login.location.as_deref(), Some("/login?next=%2Fconsole%2Forgs%2Fdingdemo%2Fworkbench"));

    let alice = person(&app, "alice-union").await;
    let home = alice.get("/console").await;
    assert_eq!(home.status, 200, "{}", home.html);
    for text in ["Demo Corp", "/console/orgs/dingdemo/apps", "/console/orgs/dingdemo/workbench", "contacts_admin"] {
        assert!(home.html.contains(text), "{text} missing from alice's overview");
    }
    assert!(!home.html.contains("/console/reviews"), "alice is no reviewer");
    assert!(!home.html.contains("Other Corp"));

    // Carol administers Other Corp only.
    let carol = person(&app, "carol-union").await;
    let home = carol.get("/console").await;
    assert!(home.html.contains("/console/orgs/dingother/workbench") && !home.html.contains("Demo Corp"));

    let rev = reviewer(&app).await;
    let home = rev.get("/console").await;
    assert!(home.html.contains("Platform review") && home.html.contains("/console/reviews"), "{}", home.html);
    assert!(!home.html.contains("/console/orgs/"), "a reviewer alone sees no org pages");
    assert_eq!(rev.get("/console/reviews").await.status, 200);
}

#[tokio::test]
async fn a_member_opening_another_orgs_page_by_url_is_refused() {
    let app = spawn_app().await;
    let alice = person(&app, "alice-union").await;
    for path in [
        "/console/orgs/dingother/workbench",
        "/console/orgs/dingother/apps",
        "/console/orgs/dingother/audit",
        "/console/apps/suitedemo",
        "/console/apps/suitedemo/permissions",
        "/console/apps/suitedemo/explain",
        "/console/orgs/nosuchorg/workbench",
    ] {
        let page = alice.get(path).await;
        assert_eq!(page.status, 403, "{path}: {}", page.html);
        assert!(page.html.contains("not a member of"), "{path}: {}", page.html);
        assert!(!page.html.contains("Other Corp</strong>"), "{path} leaked the org");
    }
    assert_eq!(alice.get("/console/apps/nosuchapp").await.status, 404);
    // The review queue is for reviewers only.
    let reviews = alice.get("/console/reviews").await;
    assert_eq!(reviews.status, 403, "{}", reviews.html);
    assert!(reviews.html.contains("platform reviewers"));
    // Posting to another org's forms with a valid token of one's own changes nothing there.
    let token = csrf(&alice, "/console/orgs/dingdemo/apps").await;
    let forged = alice
        .post(
            "/console/orgs/dingother/installations/suitedemo/grants/qyapi_manage_addresslist",
            &form(&[("csrf", &token), ("decision", "revoke")]),
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    let carol = session(&app, "carol-union").await;
    assert!(audit_on(&app, &carol, "dingother").await.iter().all(|a| a != "scope_revoked"));
}

async fn audit_on(app: &TestApp, who: &str, corp: &str) -> Vec<String> {
    let r = api(app, Some(who), reqwest::Method::GET, &format!("/api/v1/orgs/{corp}/audit?limit=500"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn forged_form_posts_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let alice = person(&app, "alice-union").await;
    let bob = person(&app, "bob-union").await;
    let bobs_token = csrf(&bob, "/console/orgs/dingdemo/apps").await;
    let before = audit_actions(&app, &session(&app, "alice-union").await).await.len();
    let create = [("name", "Forged"), ("kind", "internal")];
    for (what, extra) in
        [("no token", None), ("a made-up token", Some("00".repeat(32))), ("bob's token", Some(bobs_token))]
    {
        let mut f = form(&create);
        if let Some(t) = extra {
            f.push(("csrf".into(), t));
        }
        let page = alice.post("/console/orgs/dingdemo/apps", &f).await;
        assert_eq!(page.status, 403, "{what}: {}", page.html);
        assert!(page.html.contains("not sent by this site"), "{what}");
    }
    for path in [
        "/console/orgs/dingdemo/installations/suitedemo/grants/qyapi_manage_addresslist",
        "/console/orgs/dingdemo/installations/suitedemo/uninstall",
        "/console/apps/dingdemoapp/secret",
        "/console/apps/dingdemoapp/redirect_uris",
        "/console/apps/dingbasic/permissions",
        "/console/apps/dingbasic/explain",
    ] {
        let page = alice.post(path, &form(&[("decision", "authorize"), ("scope", "qyapi_get_member")])).await;
        assert_eq!(page.status, 403, "{path}: {}", page.html);
    }
    // A repeated field is refused before anything else.
    let token = csrf(&alice, "/console/orgs/dingdemo/apps").await;
    let twice = alice
        .post(
            "/console/orgs/dingdemo/apps",
            &form(&[("csrf", &token), ("name", "a"), ("name", "b"), ("kind", "internal")]),
        )
        .await;
    assert_eq!(twice.status, 400, "{}", twice.html);
    // Without a reviewer pass, a review post goes to the reviewer sign-in.
    let review = alice.post("/console/reviews/dingbasic/hr.attendance.read", &form(&[("csrf", &token)])).await;
    assert_eq!(review.status, 403, "{}", review.html);
    let anonymous = Browser::new(&app);
    let review =
        anonymous.post("/console/reviews/dingbasic/hr.attendance.read", &form(&[("decision", "approve")])).await;
    assert_eq!((review.status, review.location.as_deref()), (303, Some("/console/reviewer")));
    // A wrong operator token gets no pass.
    let page = anonymous.get("/console/reviewer").await;
    let mut f = page.hidden();
    f.push(("token".into(), "not-the-token".into()));
    let refused = anonymous.post("/console/reviewer", &f).await;
    assert_eq!(refused.status, 401, "{}", refused.html);
    assert_eq!(anonymous.get("/console/reviews").await.status, 303);
    // A made-up reviewer pass is no pass.
    let faked = Browser::new(&app);
    let res = faked
        .http
        .get(app.url("/console/reviews"))
        .header("cookie", format!("tessera_reviewer=rv.99999999999.{}", "ab".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    let after = audit_actions(&app, &session(&app, "alice-union").await).await.len();
    assert_eq!(before, after, "a refused form wrote to the audit log");
    let apps = api(&app, Some(OPERATOR), reqwest::Method::GET, "/api/v1/orgs/dingdemo/apps", None).await;
    assert!(apps.body.as_array().unwrap().iter().all(|a| a["name"] != "Forged"));
}

#[tokio::test]
async fn double_submissions_are_refused_in_plain_words() {
    let app = spawn_app().await;
    let alice = person(&app, "alice-union").await;
    let token = csrf(&alice, "/console/orgs/dingdemo/apps").await;
    let create = form(&[("csrf", &token), ("name", "Twice"), ("kind", "internal"), ("redirect_uris", "")]);
    let first = alice.post("/console/orgs/dingdemo/apps", &create).await;
    assert_eq!(first.status, 200, "{}", first.html);
    let second = alice.post("/console/orgs/dingdemo/apps", &create).await;
    assert_eq!(second.status, 409, "{}", second.html);
    assert!(second.html.contains("already has an app named"), "{}", second.html);

    let ask = form(&[("csrf", &token), ("scope", "hr.attendance.read"), ("description", "Shift planning")]);
    let first = alice.post("/console/apps/dingbasic/permissions", &ask).await;
    assert_eq!(first.status, 303, "{}", first.html);
    let second = alice.post("/console/apps/dingbasic/permissions", &ask).await;
    assert_eq!(second.status, 409, "{}", second.html);
    assert!(second.html.contains("already pending review"));

    let grant = form(&[("csrf", &token), ("decision", "authorize")]);
    let path = "/console/orgs/dingdemo/installations/suitedemo/grants/qyapi_manage_addresslist";
    assert_eq!(alice.post(path, &grant).await.status, 303);
    let again = alice.post(path, &grant).await;
    assert_eq!(again.status, 409, "{}", again.html);
    assert!(again.html.contains("already authorized"));

    let rev = reviewer(&app).await;
    let rtoken = csrf(&rev, "/console/reviews").await;
    let approve = form(&[("csrf", &rtoken), ("decision", "approve")]);
    assert_eq!(rev.post("/console/reviews/dingbasic/hr.attendance.read", &approve).await.status, 303);
    let again = rev.post("/console/reviews/dingbasic/hr.attendance.read", &approve).await;
    assert_eq!(again.status, 409, "{}", again.html);
    assert!(again.html.contains("Only a pending request can be approved"), "{}", again.html);
}

#[tokio::test]
async fn long_input_and_html_in_names_are_refused_or_escaped() {
    let app = spawn_app().await;
    let alice = person(&app, "alice-union").await;
    let token = csrf(&alice, "/console/orgs/dingdemo/apps").await;
    let evil = r#"<script>alert("x")</script><img src=x onerror=alert(1)>"#;
    let created = alice
        .post("/console/orgs/dingdemo/apps", &form(&[("csrf", &token), ("name", evil), ("kind", "internal")]))
        .await;
    assert_eq!(created.status, 200, "{}", created.html);
    for page in
        [created, alice.get("/console/orgs/dingdemo/apps").await, alice.get("/console/orgs/dingdemo/workbench").await]
    {
        assert!(!page.html.contains("<script>alert") && !page.html.contains("<img src=x"), "{}", page.html);
        assert!(page.html.contains("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;"), "{}", page.html);
    }
    let long_name = "n".repeat(101);
    let page = alice
        .post("/console/orgs/dingdemo/apps", &form(&[("csrf", &token), ("name", &long_name), ("kind", "internal")]))
        .await;
    assert_eq!(page.status, 400, "{}", page.html);
    assert!(page.html.contains("1 to 100 characters"));
    let bad_kind =
        alice.post("/console/orgs/dingdemo/apps", &form(&[("csrf", &token), ("name", "K"), ("kind", "<b>")])).await;
    assert_eq!(bad_kind.status, 400);
    assert!(bad_kind.html.contains("&#34;&#60;b&#62;&#34; is not one of"), "{}", bad_kind.html);
    let long = "d".repeat(5_000);
    let ask = alice
        .post(
            "/console/apps/dingbasic/permissions",
            &form(&[("csrf", &token), ("scope", "hr.attendance.read"), ("description", &long)]),
        )
        .await;
    assert_eq!(ask.status, 400, "{}", ask.html);
    assert!(ask.html.contains("1 to 1000 characters"));
    // A description with markup is kept as text and shown escaped to the reviewer.
    let html_why = "<b>bold</b> & \"quoted\"";
    let ask = alice
        .post(
            "/console/apps/dingbasic/permissions",
            &form(&[("csrf", &token), ("scope", "hr.attendance.read"), ("description", html_why)]),
        )
        .await;
    assert_eq!(ask.status, 303, "{}", ask.html);
    let rev = reviewer(&app).await;
    let queue = rev.get("/console/reviews").await;
    assert!(
        queue.html.contains("&#60;b&#62;bold&#60;/b&#62; &#38; &#34;quoted&#34;") && !queue.html.contains("<b>bold")
    );
    // Declining needs a reason, and not a novel.
    let rtoken = csrf(&rev, "/console/reviews").await;
    for reason in ["", "   ", &"r".repeat(1_001)] {
        let page = rev
            .post(
                "/console/reviews/dingbasic/hr.attendance.read",
                &form(&[("csrf", &rtoken), ("decision", "decline"), ("reason", reason)]),
            )
            .await;
        assert_eq!(page.status, 400, "{}", page.html);
        assert!(page.html.contains("declining needs a reason"));
    }
    // Redirect URIs that are not http(s) are refused; a body over the limit is refused, never a 500.
    let uris = alice
        .post(
            "/console/apps/dingdemoapp/redirect_uris",
            &form(&[("csrf", &token), ("redirect_uris", "javascript:alert(1)")]),
        )
        .await;
    assert_eq!(uris.status, 400, "{}", uris.html);
    let huge = "x".repeat(200_000);
    let page = alice
        .post("/console/orgs/dingdemo/apps", &form(&[("csrf", &token), ("name", &huge), ("kind", "internal")]))
        .await;
    assert!(page.status == 400 || page.status == 413, "{}", page.status);
    // Odd ids in paths and queries are answered in plain words.
    assert_eq!(alice.get("/console/orgs/dingdemo/audit?action=%3Cb%3E").await.status, 400);
    assert_eq!(alice.get("/console/orgs/dingdemo/audit?client_id=a%20b").await.status, 400);
    // Odd identifiers in paths: a plain 404 or 403, never a 500.
    let long = "x".repeat(300);
    for path in [
        "/console/apps/%20".to_owned(),
        format!("/console/apps/{long}"),
        format!("/console/apps/{long}/permissions"),
        "/console/apps/%E2%9C%93/explain".to_owned(),
        format!("/console/orgs/{long}/workbench"),
        "/console/orgs/%3Cb%3E/audit".to_owned(),
    ] {
        let page = alice.get(&path).await;
        assert!(page.status == 404 || page.status == 403, "{path}: {}", page.status);
        assert!(!page.html.contains("<b>"), "{path}");
    }
    let bytes = alice
        .http
        .post(app.url("/console/orgs/dingdemo/apps"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'n', b'a', b'm', b'e', b'=', 0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert!(matches!(bytes.status().as_u16(), 400 | 403), "a body that is not UTF-8: {}", bytes.status());
    // Search by code or by words of the description, any case.
    let by_code = alice.get("/console/apps/dingbasic/permissions?q=PAYROLL").await;
    assert!(by_code.html.contains("hr.payroll.read") && !by_code.html.contains("hr.attendance.read"));
    let by_words = alice.get("/console/apps/dingbasic/permissions?q=personal%20contact").await;
    assert!(by_words.html.contains("Contact.User.Read") && !by_words.html.contains("hr.payroll.read"));
    let search = alice.get("/console/apps/dingbasic/permissions?q=%3Cscript%3E").await;
    assert_eq!(search.status, 200);
    assert!(search.html.contains("No scope matches “&#60;script&#62;”"), "{}", search.html);
}

#[tokio::test]
async fn the_secret_is_shown_once_and_rotates_with_an_overlap() {
    secret_once_and_rotation(spawn_app().await).await;
}

#[tokio::test]
async fn the_secret_rotates_with_an_overlap_on_postgres() {
    secret_once_and_rotation(spawn_with(Setup::postgres().await).await).await;
}

async fn secret_once_and_rotation(app: TestApp) {
    let alice = person(&app, "alice-union").await;
    let token = csrf(&alice, "/console/orgs/dingdemo/apps").await;
    let created = alice
        .post(
            "/console/orgs/dingdemo/apps",
            &form(&[
                ("csrf", &token),
                ("name", "Rotating app"),
                ("kind", "internal"),
                ("redirect_uris", "https://r.example/cb\n"),
            ]),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.html);
    assert_eq!(created.html.matches("data-copy=\"secret\"").count(), 1, "a copy button");
    let (client_id, first) = (client_id_on(&created.html), secret_on(&created.html));
    assert!(first.len() >= 40, "{first}");
    // Internal: activated in its own org at once, with the basic scopes.
    assert_eq!(token_status(&app, &client_id, &first).await, 200);
    let page = alice.get(&format!("/console/apps/{client_id}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.html.contains(&first), "the secret is never shown again");
    assert!(page.html.contains("https://r.example/cb"));

    let rotate = |overlap: &'static str| {
        let (alice, client_id, token) = (&alice, client_id.clone(), token.clone());
        async move {
            let page = alice
                .post(
                    &format!("/console/apps/{client_id}/secret"),
                    &form(&[("csrf", &token), ("overlap_seconds", overlap)]),
                )
                .await;
            assert_eq!(page.status, 200, "{}", page.html);
            page
        }
    };
    let page = rotate("3600").await;
    assert!(page.html.contains("keeps working until"), "{}", page.html);
    let second = secret_on(&page.html);
    assert_ne!(second, first);
    assert_eq!(token_status(&app, &client_id, &first).await, 200, "the old secret works during the overlap");
    assert_eq!(token_status(&app, &client_id, &second).await, 200);
    let page = rotate("0").await;
    assert!(page.html.contains("Every previous secret stopped working now."));
    let third = secret_on(&page.html);
    assert_eq!(token_status(&app, &client_id, &first).await, 400, "no overlap: the old ones stop at once");
    assert_eq!(token_status(&app, &client_id, &second).await, 400);
    assert_eq!(token_status(&app, &client_id, &third).await, 200);
    let page = alice
        .post(&format!("/console/apps/{client_id}/secret"), &form(&[("csrf", &token), ("overlap_seconds", "9999999")]))
        .await;
    assert_eq!(page.status, 400, "{}", page.html);
    // Bob (same org) may rotate it too; Carol (another org) may not.
    let carol = person(&app, "carol-union").await;
    let ctoken = csrf(&carol, "/console/orgs/dingother/apps").await;
    let page = carol
        .post(&format!("/console/apps/{client_id}/secret"), &form(&[("csrf", &ctoken), ("overlap_seconds", "0")]))
        .await;
    assert_eq!(page.status, 403, "{}", page.html);
    assert_eq!(token_status(&app, &client_id, &third).await, 200);
    let actions = audit_actions(&app, &session(&app, "alice-union").await).await;
    assert_eq!(actions.iter().filter(|a| *a == "secret_rotated").count(), 2);
    assert!(actions.contains(&"app_registered".to_string()));
}

#[tokio::test]
async fn apps_through_the_management_api() {
    let app = spawn_app().await;
    let alice = session(&app, "alice-union").await;
    let body = json!({"name": "API app", "kind": "third_party_enterprise", "redirect_uris": ["https://a.example/cb"]});
    let r = api(&app, Some(&alice), reqwest::Method::POST, "/api/v1/orgs/dingdemo/apps", Some(body.clone())).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let (client_id, secret) = (r.str("client_id").to_owned(), r.str("client_secret").to_owned());
    assert_eq!(r.body["kind"], "third_party_enterprise");
    let again = api(&app, Some(&alice), reqwest::Method::POST, "/api/v1/orgs/dingdemo/apps", Some(body)).await;
    assert_eq!((again.status, again.str("error")), (409, "conflict"));
    let list = api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/orgs/dingdemo/apps", None).await;
    let listed: Vec<&Value> =
        list.body.as_array().unwrap().iter().filter(|a| a["client_id"] == client_id.as_str()).collect();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("client_secret").is_none() && !list.text.contains(&secret));
    // Not activated anywhere yet: a third-party app gets no token until an org activates it.
    assert_ne!(token_status(&app, &client_id, &secret).await, 200);
    let uris = json!({"redirect_uris": ["https://b.example/cb", "https://b.example/cb"]});
    let r =
        api(&app, Some(&alice), reqwest::Method::PUT, &format!("/api/v1/apps/{client_id}/redirect_uris"), Some(uris))
            .await;
    assert_eq!(r.body["redirect_uris"], json!(["https://b.example/cb"]), "{}", r.text);
    let r = api(
        &app,
        Some(&alice),
        reqwest::Method::POST,
        &format!("/api/v1/apps/{client_id}/secret"),
        Some(json!({"overlap_seconds": 60})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["previous_valid_until"].as_i64().is_some());
    let carol = session(&app, "carol-union").await;
    let r = api(&app, Some(&carol), reqwest::Method::GET, "/api/v1/orgs/dingdemo/apps", None).await;
    assert_eq!((r.status, r.str("error")), (403, "forbidden"));
    let r = api(
        &app,
        None,
        reqwest::Method::POST,
        "/api/v1/orgs/dingdemo/apps",
        Some(json!({"name": "x", "kind": "internal"})),
    )
    .await;
    assert_eq!(r.status, 401);
    let r = api(
        &app,
        Some(&alice),
        reqwest::Method::POST,
        "/api/v1/orgs/dingdemo/apps",
        Some(json!({"name": "x", "kind": "robot"})),
    )
    .await;
    assert_eq!((r.status, r.str("error")), (400, "invalid_request"));
}

#[tokio::test]
async fn the_403_helper_reads_dingtalk_and_feishu_bodies() {
    let app = spawn_app().await;
    let alice = person(&app, "alice-union").await;
    let token = csrf(&alice, "/console/apps/dingbasic/explain").await;
    // The body the gateway really answers a call of the basic app with.
    let app_token = app.app_token(DEMO_CORP, "dingbasic", "basic-secret").await;
    let refused = app.get_user(&app_token, "alice").await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let page = alice
        .post(
            "/console/apps/dingbasic/explain",
            &form(&[("csrf", &token), ("corp_id", "dingdemo"), ("body", &refused.text)]),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Read from a DingTalk error body"), "{}", page.html);
    assert!(
        page.html.contains("Not requested") && page.html.contains("/console/apps/dingbasic/permissions?q="),
        "{}",
        page.html
    );

    let feishu = r#"{"code":99991672,"msg":"Access denied.","error":{"permission_violations":[{"type":"action_scope_required","subject":"qyapi_manage_addresslist"}]}}"#;
    let page = alice
        .post(
            "/console/apps/dingdemoapp/explain",
            &form(&[("csrf", &token), ("corp_id", "dingdemo"), ("body", feishu)]),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Read from a Feishu error body") && page.html.contains("Allowed"), "{}", page.html);

    for body in ["<html>nope</html>", r#"{"code":"InvalidAuthentication"}"#] {
        let page = alice
            .post(
                "/console/apps/dingbasic/explain",
                &form(&[("csrf", &token), ("corp_id", "dingdemo"), ("body", body)]),
            )
            .await;
        assert_eq!(page.status, 400, "{}", page.html);
        assert!(page.html.contains("role=\"alert\""));
        assert!(
            page.html.contains(&body.replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;")),
            "the paste is kept, escaped"
        );
    }
    // Carol is not a developer of dingbasic: she gets no explanation about it.
    let carol = person(&app, "carol-union").await;
    let ctoken = csrf(&carol, "/console/orgs/dingother/apps").await;
    let other = carol
        .post(
            "/console/apps/dingbasic/explain",
            &form(&[("csrf", &ctoken), ("corp_id", "dingdemo"), ("body", &refused.text)]),
        )
        .await;
    assert_eq!(other.status, 403, "{}", other.html);
    assert!(!other.html.contains("What is missing"));
}

#[tokio::test]
async fn console_pages_load_only_their_own_script_and_styles() {
    let app = spawn_app().await;
    let alice = person(&app, "alice-union").await;
    let res = alice.http.get(app.url("/console/orgs/dingdemo/workbench")).send().await.unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["cache-control"], "no-store");
    for part in ["default-src 'none'", "script-src 'self'", "form-action 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(part), "{csp}");
    }
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains(" onclick=") && !html.contains("style=\""),
        "no inline script or style"
    );
    let js = alice.http.get(app.url("/static/console.js")).send().await.unwrap();
    assert_eq!(js.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(js.text().await.unwrap().contains("clipboard"));
    let css = alice.http.get(app.url("/static/console.css")).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn uninstalling_needs_a_ticked_box_and_withdrawing_returns_to_the_console() {
    let app = spawn_app().await;
    let alice = person(&app, "alice-union").await;
    let token = csrf(&alice, "/console/orgs/dingdemo/workbench").await;
    let path = "/console/orgs/dingdemo/installations/suitedemo/uninstall";
    let unticked = alice.post(path, &form(&[("csrf", &token)])).await;
    assert_eq!(unticked.status, 400, "{}", unticked.html);
    assert!(unticked.html.contains("Tick the box"));
    assert!(alice.get("/console/orgs/dingdemo/workbench").await.html.contains("Demo ISV app"));
    let done = alice.post(path, &form(&[("csrf", &token), ("confirm", "yes")])).await;
    assert_eq!((done.status, done.location.as_deref()), (303, Some("/console/orgs/dingdemo/workbench")));
    assert!(!alice.get("/console/orgs/dingdemo/workbench").await.html.contains("Demo ISV app"));

    // Alice authorizes the demo app for herself, then withdraws it from the console.
    let path = format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope=openid&state=s",
        urlencode("http://127.0.0.1:8900/callback")
    );
    alice.authorize(&path, "alice-union", "alice-password").await;
    let home = alice.get("/console").await;
    assert!(home.html.contains("Demo internal app") && home.html.contains("/account/apps/dingdemoapp/withdraw"));
    let token = csrf(&alice, "/console").await;
    let back = alice.post("/account/apps/dingdemoapp/withdraw", &form(&[("csrf", &token), ("next", "/console")])).await;
    assert_eq!((back.status, back.location.as_deref()), (303, Some("/console")));
    assert!(alice.get("/console").await.html.contains("You have not authorized any app"));
    // Only local paths are followed.
    alice.authorize(&path, "alice-union", "alice-password").await;
    let away = alice
        .post("/account/apps/dingdemoapp/withdraw", &form(&[("csrf", &token), ("next", "https://evil.example/")]))
        .await;
    assert_eq!(away.location.as_deref(), Some("/account"));
}

#[tokio::test]
async fn wrong_operator_tokens_are_limited() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let page = b.get("/console/reviewer").await;
    let guess = |t: &str| {
        let mut f = page.hidden();
        f.push(("token".into(), t.into()));
        f
    };
    for _ in 0..5 {
        assert_eq!(b.post("/console/reviewer", &guess("guess-guess-guess")).await.status, 401);
    }
    let res = b.http.post(app.url("/console/reviewer")).form(&guess(OPERATOR)).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers()["retry-after"].to_str().unwrap().parse::<i64>().unwrap() > 0);
    assert!(res.text().await.unwrap().contains("Too many wrong tokens"));
}

#[tokio::test]
async fn the_audit_log_pages_and_filters() {
    let app = spawn_app().await;
    let alice = session(&app, "alice-union").await;
    for _ in 0..55 {
        let r = api(
            &app,
            Some(&alice),
            reqwest::Method::POST,
            "/api/v1/apps/dingreadonly/secret",
            Some(json!({"overlap_seconds": 0})),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let b = person(&app, "alice-union").await;
    let seqs = |html: &str| -> Vec<i64> {
        html.match_indices(r#"<td class="col-seq">"#)
            .map(|(i, m)| {
                let rest = &html[i + m.len()..];
                rest[..rest.find('<').unwrap()].parse().unwrap()
            })
            .collect()
    };
    let link = |html: &str, rel: &str| -> Option<String> {
        let at = html.find(&format!(r#"" rel="{rel}">"#))?;
        let start = html[..at].rfind(r#"href=""#).unwrap() + 6;
        Some(html[start..at].replace("&#38;", "&"))
    };
    // Newest first: the first page holds the 50 newest, and no newer page.
    let first = b.get("/console/orgs/dingdemo/audit?action=secret_rotated").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.html.matches("secret rotated</span>").count(), 50, "{}", first.html);
    let on_first = seqs(&first.html);
    assert!(on_first.windows(2).all(|w| w[0] > w[1]), "newest first: {on_first:?}");
    assert!(link(&first.html, "prev").is_none(), "nothing is newer than the newest page");
    let older = link(&first.html, "next").expect("a link to older events");
    assert!(older.contains("before=") && older.contains("action=secret_rotated"), "{older}");
    // The older page holds the 5 oldest, and leads back to the newer ones.
    let second = b.get(&older).await;
    assert_eq!(second.html.matches("secret rotated</span>").count(), 5, "{}", second.html);
    let on_second = seqs(&second.html);
    assert!(on_second.iter().all(|s| s < on_first.last().unwrap()), "{on_second:?} after {on_first:?}");
    assert!(link(&second.html, "next").is_none(), "nothing is older than the oldest");
    let newer = link(&second.html, "prev").expect("a link back to newer events");
    assert!(newer.contains("after="), "{newer}");
    let back = b.get(&newer).await;
    assert_eq!(seqs(&back.html), on_first, "newer from the oldest page is the newest page again");
    // Dates: a day range that holds today keeps everything, one before it nothing; a bad
    // date is refused beside its field, the input kept.
    let today = first.html[first.html.find(r#"<time datetime=""#).unwrap() + 16..][..10].to_owned();
    let dated = b.get(&format!("/console/orgs/dingdemo/audit?action=secret_rotated&from={today}&to={today}")).await;
    assert_eq!(seqs(&dated.html), on_first, "{}", dated.html);
    let earlier = b.get("/console/orgs/dingdemo/audit?action=secret_rotated&to=2000-01-01").await;
    assert!(earlier.html.contains("No event matches"), "{}", earlier.html);
    let bad = b.get("/console/orgs/dingdemo/audit?from=2026-02-30&actor=member%3A").await;
    assert_eq!(bad.status, 400, "{}", bad.html);
    assert!(bad.html.contains(r#"id="from-error">Enter a date as YYYY-MM-DD."#), "{}", bad.html);
    assert!(bad.html.contains(r#"name="from" value="2026-02-30""#) && bad.html.contains(r#"value="member:""#));
    let by_app = b.get("/console/orgs/dingdemo/audit?client_id=dingdemoapp").await;
    assert!(by_app.html.contains("app:dingdemoapp") && !by_app.html.contains("app:dingreadonly"));
    let by_actor = b.get("/console/orgs/dingdemo/audit?actor=member%3Adingdemo%2Fbob").await;
    assert!(by_actor.html.contains("No event matches"), "{}", by_actor.html);
    // The actor filter takes a prefix: every member of the org.
    let by_prefix = b.get("/console/orgs/dingdemo/audit?actor=member%3Adingdemo%2F&action=secret_rotated").await;
    assert_eq!(by_prefix.html.matches("member:dingdemo/alice").count(), 50, "{}", by_prefix.html);
    let by_other = b.get("/console/orgs/dingdemo/audit?actor=member%3Adingother%2F").await;
    assert!(by_other.html.contains("No event matches"), "{}", by_other.html);
    // Bob is an org admin of dingdemo: he reads the log; carol is not: she does not.
    assert_eq!(person(&app, "bob-union").await.get("/console/orgs/dingdemo/audit").await.status, 200);
    assert_eq!(person(&app, "carol-union").await.get("/console/orgs/dingdemo/audit").await.status, 403);
}
