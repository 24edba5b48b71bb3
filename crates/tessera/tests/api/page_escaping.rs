//! Names and descriptions with markup, loaded from a fixture, are shown as text on every page
//! that shows them: the console's, the sign-in and consent pages, the account page, the admin
//! consent page and the device flow's pages.

use crate::browser::{Browser, Page, urlencode};
use crate::helpers::*;

const EVIL: &str = r#"<script>alert("x")</script>"#;
/// `EVIL` as the pages escape it.
const ESCAPED: &str = "&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;";

/// The demo fixture with markup in two apps' names, a suite's name, a scope's description
/// and a person's name.
fn hostile_fixture() -> std::path::PathBuf {
    let demo = std::fs::read_to_string(demo_fixture_path()).unwrap();
    let mut hostile = demo.clone();
    for (from, to) in [
        (r#"name = "Demo internal app""#, format!("name = {:?}", format!("Internal {EVIL}"))),
        (r#"name = "Demo Feishu bot""#, format!("name = {:?}", format!("Bot {EVIL}"))),
        (r#"name = "Demo ISV app""#, format!("name = {:?}", format!("ISV {EVIL}"))),
        (r#"description = "Read attendance records""#, format!("description = {:?}", format!("Attendance {EVIL}"))),
        (r#"name = "Alice""#, format!("name = {:?}", format!("Alice {EVIL}"))),
    ] {
        assert!(hostile.contains(from), "the demo fixture changed: {from}");
        hostile = hostile.replace(from, &to);
    }
    temp_file("hostile.toml", hostile)
}

#[track_caller]
fn shown_as_text(page: &Page, what: &str) {
    assert!(page.status < 500, "{what}: {}", page.status);
    assert!(!page.html.contains("<script>alert"), "{what} inserted markup: {}", page.html);
    assert!(page.html.contains(ESCAPED), "{what} does not show the text: {}", page.html);
}

#[tokio::test]
async fn markup_in_names_and_descriptions_is_text_on_every_page() {
    let mut setup = Setup::sqlite();
    setup.fixture = hostile_fixture();
    let app = spawn_with(setup).await;
    let alice = Browser::new(&app);
    assert_eq!(alice.sign_in("alice-union", "alice-password", "/console").await.status, 303);

    // The console: the overview (the person's name), the apps, one app, its permissions (the
    // scope's description), the 403 helper and the workbench.
    for path in [
        "/console",
        "/console/orgs/dingdemo/apps",
        "/console/apps/dingdemoapp",
        "/console/apps/dingdemoapp/permissions?q=hr.attendance",
        "/console/apps/dingdemoapp/explain",
        "/console/orgs/dingdemo/workbench",
    ] {
        shown_as_text(&alice.get(path).await, path);
    }
    // The review queue: the app's name, the scope's description and the developer's reason.
    let page = alice.get("/console/apps/dingdemoapp/permissions?q=hr.attendance").await;
    let csrf = page.hidden().into_iter().find(|(k, _)| k == "csrf").expect("a form");
    let mut form = vec![csrf];
    form.push(("scope".into(), "hr.attendance.read".into()));
    form.push(("description".into(), format!("Because {EVIL}")));
    let asked = alice.post("/console/apps/dingdemoapp/permissions", &form).await;
    assert_eq!(asked.status, 303, "{}", asked.html);
    let reviewer = Browser::new(&app);
    let mut form = reviewer.get("/console/reviewer").await.hidden();
    form.push(("token".into(), OPERATOR.into()));
    assert_eq!(reviewer.post("/console/reviewer", &form).await.status, 303);
    let queue = reviewer.get("/console/reviews").await;
    shown_as_text(&queue, "the review queue");
    assert_eq!(queue.html.matches(ESCAPED).count(), 4, "app name twice, description, reason: {}", queue.html);

    // The user's consent page, then the account page and the overview listing the app.
    let authorize = format!(
        "/oauth2/authorize?client_id=dingdemoapp&response_type=code&scope=Contact.User.Read&state=s&redirect_uri={}",
        urlencode("http://127.0.0.1:8900/callback")
    );
    let consent = alice.get(&authorize).await;
    shown_as_text(&consent, "the consent page");
    let mut form = consent.hidden();
    form.push(("decision".into(), "approve".into()));
    assert_eq!(alice.post("/oauth2/authorize", &form).await.status, 302);
    shown_as_text(&alice.get("/account").await, "the account page");

    // The admin consent page of the suite's sensitive scope.
    let admin = format!(
        "/dingdemo/adminConsent?client_id=suitedemo&state=s&redirect_uri={}",
        urlencode("http://127.0.0.1:8902/callback")
    );
    shown_as_text(&alice.get(&admin).await, "the admin consent page");

    // The device flow: the card, the verification page and its answer.
    let started = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth("cli_feishudemo", Some("feishu-secret"))
                .form(&[("scope", "Contact.User.Read")]),
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.text);
    let code = started.str("user_code").to_owned();
    shown_as_text(&alice.get(&format!("/device/card?user_code={code}")).await, "the device card");
    let device = alice.get(&format!("/device?user_code={code}")).await;
    shown_as_text(&device, "the device page");
    let mut form = device.hidden();
    form.push(("decision".into(), "approve".into()));
    shown_as_text(&alice.post("/device", &form).await, "the device's answer");
}
