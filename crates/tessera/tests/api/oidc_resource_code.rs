//! RFC 8707 resources bound to the authorization code: the resources an authorization
//! request named are the audience of the tokens its code gives when the token request names
//! none; a token request may narrow them (§2.2) but not name another registered resource,
//! which is `invalid_target` before the code is consumed.

use serde_json::json;

use crate::browser::*;
use crate::helpers::*;
use crate::interop::oidc_support::*;

const CONTACTS: &str = "https://api.example.com/contacts";
const FILES: &str = "https://files.example.com/";

/// A code of `jwtapp` (JWT access tokens, both resources registered) for an authorization
/// request naming `resources`.
async fn code_for(browser: &Browser, resources: &[&str]) -> String {
    let extra: String = resources.iter().map(|r| format!("&resource={}", urlencode(r))).collect();
    let done = browser.authorize(&auth_path("jwtapp", "openid", &extra), "olivia-union", "olivia-password").await;
    done.location_param("code").unwrap_or_else(|| panic!("no code in {:?}", done.location))
}

/// Exchanges `code` naming `resources` in the token request.
async fn redeem(app: &TestApp, code: &str, resources: &[&str]) -> Reply {
    let mut form =
        vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", CB), ("code_verifier", VERIFIER)];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    app.oauth_token(&form, Some(("jwtapp", secret_of("jwtapp")))).await
}

fn aud(r: &Reply) -> serde_json::Value {
    assert_eq!(r.status, 200, "{}", r.text);
    jwt_claims(r.str("access_token"))["aud"].clone()
}

#[tokio::test]
async fn the_resources_of_the_authorization_request_are_the_audience_when_the_token_request_names_none() {
    let app = spawn_with(with_oidc_fixture(Setup::sqlite())).await;
    let browser = Browser::new(&app);
    let code = code_for(&browser, &[CONTACTS]).await;
    assert_eq!(aud(&redeem(&app, &code, &[]).await), CONTACTS);
    let code = code_for(&browser, &[FILES, CONTACTS]).await;
    assert_eq!(aud(&redeem(&app, &code, &[]).await), json!([CONTACTS, FILES]));
    // Without resources on either side: the issuer, as before.
    let issuer = app.send(app.http.get(app.url("/.well-known/openid-configuration"))).await.body["issuer"].clone();
    let code = code_for(&browser, &[]).await;
    assert_eq!(aud(&redeem(&app, &code, &[]).await), issuer);
    // An authorization request naming none leaves the token request to name registered ones.
    let code = code_for(&browser, &[]).await;
    assert_eq!(aud(&redeem(&app, &code, &[FILES]).await), FILES);
}

#[tokio::test]
async fn a_token_request_may_narrow_the_resources_of_the_code_but_not_name_another() {
    let app = spawn_with(with_oidc_fixture(Setup::sqlite())).await;
    let browser = Browser::new(&app);
    // Narrowing: one of the two the authorization request named.
    let code = code_for(&browser, &[CONTACTS, FILES]).await;
    assert_eq!(aud(&redeem(&app, &code, &[FILES]).await), FILES);

    // Another registered resource than the one named: invalid_target, and the code is not
    // consumed: it is still redeemable afterwards (not a replay).
    let code = code_for(&browser, &[CONTACTS]).await;
    let refused = redeem(&app, &code, &[FILES]).await;
    assert_oauth_error(&refused, 400, "invalid_target");
    assert!(!refused.text.contains(&code), "{}", refused.text);
    let refused = redeem(&app, &code, &[CONTACTS, FILES]).await;
    assert_oauth_error(&refused, 400, "invalid_target");
    let r = redeem(&app, &code, &[]).await;
    assert_eq!(aud(&r), CONTACTS);
    // Used now: a second exchange is refused as a replay.
    assert_oauth_error(&redeem(&app, &code, &[CONTACTS]).await, 400, "invalid_grant");
}
