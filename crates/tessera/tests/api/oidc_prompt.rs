//! `prompt=none` with a session (OIDC Core §3.1.2.6): consent the user could give is
//! `consent_required`; an account that cannot use the app at all is `interaction_required`.

use crate::browser::*;
use crate::helpers::*;

const CALLBACK: &str = "http://127.0.0.1:8900/callback";

fn auth(extra: &str) -> String {
    format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope=openid&state=st{extra}",
        urlencode(CALLBACK)
    )
}

async fn signed_in(app: &TestApp, account: &str, password: &str) -> Browser {
    let browser = Browser::new(app);
    let first = browser.get(&auth("")).await;
    let next = first.location_param("next").unwrap_or_else(|| panic!("not sent to sign in: {:?}", first.location));
    let signed = browser.sign_in(account, password, &next).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    browser
}

#[tokio::test]
async fn prompt_none_tells_consent_required_from_interaction_required() {
    let app = spawn_app().await;
    // Erin is a member of the app's org and has not consented: she could, on the page.
    let erin = signed_in(&app, "erin-union", "erin-password").await;
    let r = erin.get(&auth("&prompt=none")).await;
    assert_eq!(r.status, 302);
    assert!(r.location.as_deref().unwrap().starts_with(CALLBACK), "{:?}", r.location);
    assert_eq!(r.location_param("error").as_deref(), Some("consent_required"), "{:?}", r.location);

    // Carol is not a member of the internal app's org: consenting would not help.
    let carol = signed_in(&app, "carol-union", "carol-password").await;
    let r = carol.get(&auth("&prompt=none")).await;
    assert_eq!(r.status, 302);
    assert!(r.location.as_deref().unwrap().starts_with(CALLBACK), "{:?}", r.location);
    assert_eq!(r.location_param("error").as_deref(), Some("interaction_required"), "{:?}", r.location);
    assert_eq!(r.location_param("state").as_deref(), Some("st"));
}
