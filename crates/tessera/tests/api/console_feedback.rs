//! What the console says back: a refused field is marked beside it with what was typed kept,
//! each action is confirmed once on the page it leads to, the workbench lists only what an
//! app holds now, and a person has one name across the pages.

use crate::browser::Browser;
use crate::helpers::*;

async fn alice(app: &TestApp) -> Browser {
    let b = Browser::new(app);
    assert_eq!(b.sign_in("alice-union", "alice-password", "/console").await.status, 303);
    b
}

fn csrf_on(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a form") + r#"name="csrf" value=""#.len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The "Permissions it holds" list of `client_id`'s card on the workbench.
fn holds(html: &str, client_id: &str) -> String {
    let card = &html[html.find(&format!(r#"<h2 id="app-{client_id}">"#)).expect("the app's card")..];
    let list = &card[card.find("Permissions it holds").unwrap()..];
    list[..list.find("</ul>").unwrap()].to_owned()
}

#[tokio::test]
async fn a_refused_field_is_marked_beside_it_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let b = alice(&app).await;
    let csrf = csrf_on(&b.get("/console/orgs/dingdemo/apps").await.html);
    let long = "n".repeat(101);
    let uris = "https://keep.example/cb";
    let page = b
        .post(
            "/console/orgs/dingdemo/apps",
            &form(&[("csrf", &csrf), ("name", &long), ("kind", "third_party_personal"), ("redirect_uris", uris)]),
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.html);
    assert!(page.html.contains("<h2>Register an app</h2>"), "the form itself, not an error page: {}", page.html);
    let error = page.html.find(r#"id="register-error">"#).expect("the message in the form");
    assert!(
        page.html[error..].starts_with(r#"id="register-error">App name must be 1 to 100 characters"#)
            || page.html[error..error + 200].contains("1 to 100 characters"),
        "{}",
        page.html
    );
    assert!(page.html.contains(&format!(r#"value="{long}" required aria-invalid="true""#)), "the name kept");
    assert!(page.html.contains(r#"<option value="third_party_personal" selected>"#), "the kind kept");
    assert!(page.html.contains(&format!(">{uris}</textarea>")), "the redirect URIs kept");

    // Redirect URIs that are not URLs: the app page with the message beside the field.
    let bad = b
        .post("/console/apps/dingdemoapp/redirect_uris", &form(&[("csrf", &csrf), ("redirect_uris", "not a url")]))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.html);
    assert!(bad.html.contains(r#"id="uris-error""#) && bad.html.contains(">not a url</textarea>"), "{}", bad.html);

    // A request without a reason: the permissions page, the message beside that scope's field.
    let ask = b
        .post(
            "/console/apps/dingbasic/permissions",
            &form(&[("csrf", &csrf), ("scope", "hr.attendance.read"), ("description", &"d".repeat(1001))]),
        )
        .await;
    assert_eq!(ask.status, 400, "{}", ask.html);
    assert!(ask.html.contains("1 to 1000 characters") && ask.html.contains(r#"aria-invalid="true""#), "{}", ask.html);
    assert!(ask.html.contains(&format!(">{}</textarea>", "d".repeat(1001))), "the description kept");
}

#[tokio::test]
async fn each_action_is_confirmed_once_on_the_page_it_leads_to() {
    let app = spawn_app().await;
    let b = alice(&app).await;
    let csrf = csrf_on(&b.get("/console/apps/dingdemoapp").await.html);
    let saved = b
        .post(
            "/console/apps/dingdemoapp/redirect_uris",
            &form(&[("csrf", &csrf), ("redirect_uris", "http://127.0.0.1:8900/callback")]),
        )
        .await;
    assert_eq!((saved.status, saved.location.as_deref()), (303, Some("/console/apps/dingdemoapp")));
    let page = b.get("/console/apps/dingdemoapp").await;
    assert!(
        page.html.contains(r#"<p class="success" role="status">The redirect URIs were saved.</p>"#),
        "{}",
        page.html
    );
    assert!(!b.get("/console/apps/dingdemoapp").await.html.contains("were saved"), "said once");

    let path = "/console/orgs/dingdemo/installations/dingdemoapp/grants/qyapi_manage_addresslist";
    let revoked = b.post(path, &form(&[("csrf", &csrf), ("decision", "revoke")])).await;
    assert_eq!(revoked.status, 303, "{}", revoked.html);
    assert!(b.get("/console/orgs/dingdemo/workbench").await.html.contains("The scope was revoked"));
}

#[tokio::test]
async fn the_workbench_lists_what_an_app_holds_now() {
    let app = spawn_app().await;
    let b = alice(&app).await;
    let before = b.get("/console/orgs/dingdemo/workbench").await;
    assert!(holds(&before.html, "dingdemoapp").contains("qyapi_manage_addresslist"), "{}", before.html);
    let csrf = csrf_on(&before.html);
    let path = "/console/orgs/dingdemo/installations/dingdemoapp/grants/qyapi_manage_addresslist";
    assert_eq!(b.post(path, &form(&[("csrf", &csrf), ("decision", "revoke")])).await.status, 303);
    let after = b.get("/console/orgs/dingdemo/workbench").await;
    let held = holds(&after.html, "dingdemoapp");
    assert!(!held.contains("qyapi_manage_addresslist"), "a revoked sensitive scope is not held: {held}");
    assert!(held.contains("qyapi_get_member") || held.contains("Only the basic scopes"), "{held}");
    // The sensitive scopes table still shows it, as revoked.
    assert!(after.html.contains("Revoked"), "{}", after.html);
}

#[tokio::test]
async fn a_person_has_one_name_across_pages() {
    let app = spawn_app().await;
    let b = alice(&app).await;
    let account = b.get("/account").await;
    assert!(account.html.contains("Signed in as <strong>Alice</strong>"), "{}", account.html);
    assert!(b.get("/console").await.html.contains("Signed in as <strong>Alice</strong>"));
}
