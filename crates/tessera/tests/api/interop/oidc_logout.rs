//! OpenID Connect logout over HTTP: Node `openid-client` as a real relying party (discovery,
//! code + PKCE + nonce, ID token validation, UserInfo, refresh, and the RP-initiated logout
//! URL it builds, followed by a browser), back-channel logout tokens delivered to a receiver
//! started here (a 503 first, then delivered on the retry) and verified by jwcrypto against
//! the JWKS, the confirmation asked when no hint names the session, and bad input.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::browser::*;
use crate::helpers::*;
use crate::interop::oidc_support::*;
use crate::logout_receiver::*;

const OPENID_CLIENT: &str = "openid-client@6.9.0";
const BYE: &str = "http://127.0.0.1:8900/bye";

/// The server with the OIDC fixture plus `logoutrp`, whose back-channel logout URI is
/// `backchannel` (callbacks to this machine allowed).
async fn logout_app(backchannel: &str) -> TestApp {
    let mut setup = with_oidc_fixture(Setup::sqlite());
    setup.config.allow_private_callbacks = true;
    let extra = format!(
        r#"
[[apps]]
client_id = "logoutrp"
client_secret = "logout-rp-secret"
name = "Logout relying party"
kind = "internal"
owner_corp_id = "dingdemo"
redirect_uris = ["{CB}"]
id_token_signed_response_alg = "ES256"
post_logout_redirect_uris = ["{BYE}"]
backchannel_logout_uri = "{backchannel}"
"#
    );
    let text = std::fs::read_to_string(&setup.fixture).unwrap();
    std::fs::write(&setup.fixture, format!("{text}\n{extra}")).unwrap();
    spawn_with(setup).await
}

/// Checks a logout token with jwcrypto against the JWKS and the claims Back-Channel Logout
/// §2.4 requires; its claims.
async fn verified_logout_token(app: &TestApp, token: &str, aud: &str) -> Value {
    assert_eq!(jwt_header(token)["typ"], "logout+jwt");
    let claims = verify(&jwks(app).await, token, "ES256").await.unwrap();
    let issuer = app.send(app.http.get(app.url("/.well-known/openid-configuration"))).await.str("issuer").to_owned();
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], aud);
    assert!(claims["iat"].is_i64() && claims["exp"].as_i64() > claims["iat"].as_i64(), "{claims}");
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16), "{claims}");
    assert_eq!(claims["events"], serde_json::json!({"http://schemas.openid.net/event/backchannel-logout": {}}));
    assert!(claims.get("nonce").is_none(), "a logout token carries no nonce: {claims}");
    claims
}

async fn node(app: &TestApp, dir: &Path, args: &[&str]) -> Value {
    let out = tokio::process::Command::new("node")
        .arg("openid_client_rp.mjs")
        .args(args)
        .env("TESSERA_BASE", &app.base)
        .current_dir(dir)
        .output();
    let out = out.await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "openid-client failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test]
async fn openid_client_signs_in_refreshes_and_logs_out_and_the_app_is_told_on_its_back_channel() {
    let modules = crate::interop::install::npm_packages("openid-client-node", &[OPENID_CLIENT]).await;
    let dir = modules.parent().unwrap().to_owned();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/openid_client_rp.mjs");
    std::fs::copy(script, dir.join("openid_client_rp.mjs")).unwrap();
    let (backchannel, receiver) = start_receiver(1).await;
    let app = logout_app(&backchannel).await;
    // The issuer is the public URL; the browser and the library reach it at the random port.
    let issuer = app.setup.config.public_url.trim_end_matches('/').to_owned();
    let (client, secret) = ("logoutrp", "logout-rp-secret");
    let local = |url: &str| url.replace(&issuer, "");

    let start = node(&app, &dir, &["start", &issuer, client, secret, CB]).await;
    assert_eq!(start["end_session_endpoint"], format!("{issuer}/oauth2/logout"));
    let browser = Browser::new(&app);
    let done = browser.authorize(&local(start["url"].as_str().unwrap()), "olivia-union", "olivia-password").await;
    let callback = done.location.unwrap();
    let str_of = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
    let finish = node(
        &app,
        &dir,
        &[
            "finish",
            &issuer,
            client,
            secret,
            &callback,
            &str_of(&start, "verifier"),
            &str_of(&start, "nonce"),
            &str_of(&start, "state"),
            BYE,
        ],
    )
    .await;
    // The library validated the ID token (signature, iss, aud, nonce, exp) and UserInfo's sub.
    let claims = &finish["claims"];
    assert_eq!(claims["sub"], "olivia-union");
    assert_eq!(claims["nonce"], start["nonce"]);
    assert_eq!(finish["userinfo"]["sub"], "olivia-union");
    assert_eq!(finish["userinfo"]["email"], "olivia@example.com");
    assert!(finish["refreshed_access_token"].as_str().is_some_and(|t| t != finish["access_token"]));
    let sid = claims["sid"].as_str().expect("the ID token of a browser session carries sid").to_owned();

    // The logout URL the library built, followed by the same browser: no confirmation (the
    // hint names the signed-in person), the session ends, back to the registered URI with state.
    let logout_url = str_of(&finish, "logout_url");
    assert!(logout_url.starts_with(&format!("{issuer}/oauth2/logout?")), "{logout_url}");
    let bye = browser.get(&local(&logout_url)).await;
    assert_eq!(bye.status, 303, "{}", bye.html);
    assert_eq!(bye.location.as_deref(), Some(format!("{BYE}?state=bye-state").as_str()));
    let account = browser.get("/account").await;
    assert_eq!(account.status, 303, "the session has ended: {}", account.html);
    assert!(account.location.unwrap().starts_with("/login"));

    // The app's back channel: refused once with 503, delivered on the retry, the same token.
    let bodies = receiver.wait_for(2).await;
    assert_eq!(bodies[0], bodies[1], "the retry sends the same token");
    let token = logout_token_of(&bodies[1]);
    let logout = verified_logout_token(&app, &token, client).await;
    assert_eq!(logout["sub"], "olivia-union");
    assert_eq!(logout["sid"], sid.as_str(), "the sid of the session that ended");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.bodies.lock().unwrap().len(), 2, "no push after the delivered one");
}

/// Signs `browser` in through a code flow of `logoutrp`; the ID token.
async fn signed_in_with_logoutrp(app: &TestApp, browser: &Browser) -> String {
    let done =
        browser.authorize(&auth_path("logoutrp", "openid", "&nonce=n1"), "olivia-union", "olivia-password").await;
    let code = done.location_param("code").unwrap();
    let form =
        [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CB), ("code_verifier", VERIFIER)];
    let r = app.oauth_token(&form, Some(("logoutrp", "logout-rp-secret"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.str("id_token").to_owned()
}

#[tokio::test]
async fn without_a_hint_the_person_is_asked_first_and_a_cross_site_link_signs_nobody_out() {
    let (backchannel, receiver) = start_receiver(0).await;
    let app = logout_app(&backchannel).await;
    let browser = Browser::new(&app);
    let id_token = signed_in_with_logoutrp(&app, &browser).await;
    let path = format!("/oauth2/logout?client_id=logoutrp&post_logout_redirect_uri={}&state=s1", urlencode(BYE));
    let ask = browser.get(&path).await;
    assert_eq!(ask.status, 200, "{}", ask.html);
    assert!(ask.html.contains("Sign out?") && ask.html.contains("Logout relying party"), "{}", ask.html);
    assert_eq!(browser.get("/account").await.status, 200, "a GET alone signed nobody out");
    // A forged POST (no CSRF token of this session) only gets the question again.
    let forged = browser
        .post("/oauth2/logout", &[("client_id".into(), "logoutrp".into()), ("csrf".into(), "forged".into())])
        .await;
    assert_eq!(forged.status, 200, "{}", forged.html);
    assert_eq!(browser.get("/account").await.status, 200, "a forged POST signed nobody out");
    // The page's own form, with this session's CSRF token: signed out.
    let confirmed = browser.post("/oauth2/logout", &ask.hidden()).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.html);
    assert_eq!(confirmed.location.as_deref(), Some(format!("{BYE}?state=s1").as_str()));
    assert_eq!(browser.get("/account").await.status, 303, "signed out after confirming");
    let token = logout_token_of(&receiver.wait_for(1).await[0]);
    let claims = verified_logout_token(&app, &token, "logoutrp").await;
    assert_eq!(claims["sid"], jwt_claims(&id_token)["sid"]);

    // Signed out already: the hint-less request just says so (nothing to confirm).
    let again = browser.get("/oauth2/logout").await;
    assert_eq!(again.status, 200, "{}", again.html);
    assert!(again.html.contains("You are signed out"), "{}", again.html);
}

#[tokio::test]
async fn withdrawing_consent_and_the_account_pages_sign_out_tell_the_app() {
    let (backchannel, receiver) = start_receiver(0).await;
    let app = logout_app(&backchannel).await;
    let browser = Browser::new(&app);
    signed_in_with_logoutrp(&app, &browser).await;
    let account = browser.get("/account").await;
    let csrf = account.hidden().into_iter().find(|(k, _)| k == "csrf").unwrap();
    let withdrawn = browser.post("/account/apps/logoutrp/withdraw", std::slice::from_ref(&csrf)).await;
    assert!(withdrawn.status < 400, "{}", withdrawn.html);
    let token = logout_token_of(&receiver.wait_for(1).await[0]);
    let claims = verified_logout_token(&app, &token, "logoutrp").await;
    assert_eq!(claims["sub"], "olivia-union");
    assert!(claims.get("sid").is_none(), "no session ended: {claims}");

    // Authorized again, then signed out from the account page: a token with the session's sid.
    let id_token = signed_in_with_logoutrp(&app, &browser).await;
    let out = browser.post("/logout", &[csrf]).await;
    assert_eq!(out.status, 303, "{}", out.html);
    let token = logout_token_of(&receiver.wait_for(2).await[1]);
    let claims = verified_logout_token(&app, &token, "logoutrp").await;
    assert_eq!(claims["sid"], jwt_claims(&id_token)["sid"]);
}

#[tokio::test]
async fn bad_logout_requests_get_a_clear_page_and_never_a_redirect() {
    let (backchannel, receiver) = start_receiver(0).await;
    let app = logout_app(&backchannel).await;
    let browser = Browser::new(&app);
    let id_token = signed_in_with_logoutrp(&app, &browser).await;
    // A hint signed by another server (its own keys), and one whose signature was altered.
    let other = spawn_with(with_oidc_fixture(Setup::sqlite())).await;
    let foreign = code_flow(&other, &Browser::new(&other), "oidcrp", "openid", "").await.str("id_token").to_owned();
    let mut tampered = id_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let bye = urlencode(BYE);
    let cases = [
        (
            format!("post_logout_redirect_uri={}&client_id=logoutrp", urlencode("https://evil.example/")),
            "not registered",
        ),
        (format!("post_logout_redirect_uri={bye}&client_id=oidcpairwise"), "not registered"),
        (format!("post_logout_redirect_uri={bye}"), "needs client_id"),
        (format!("id_token_hint={foreign}&post_logout_redirect_uri={bye}"), "not an ID token this server issued"),
        (format!("id_token_hint={tampered}&post_logout_redirect_uri={bye}"), "not an ID token this server issued"),
        ("id_token_hint=not.a.jwt".to_owned(), "not an ID token this server issued"),
        (format!("id_token_hint={id_token}&client_id=oidcrp"), "does not match"),
        ("client_id=nosuchapp".to_owned(), "names no app"),
        ("state=a&state=b".to_owned(), "repeats"),
    ];
    for (query, says) in cases {
        let page = browser.get(&format!("/oauth2/logout?{query}")).await;
        assert_eq!(page.status, 400, "{query}: {}", page.html);
        assert!(page.location.is_none(), "{query}: never a redirect");
        assert!(page.html.contains(says), "{query}: {}", page.html);
        let posted = app.http.post(app.url("/oauth2/logout")).body(query.clone());
        let posted = posted.header("content-type", "application/x-www-form-urlencoded").send().await.unwrap();
        assert_eq!(posted.status(), 400, "POST {query}");
    }
    assert_eq!(browser.get("/account").await.status, 200, "no bad request signed anyone out");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.bodies.lock().unwrap().is_empty(), "no logout token was sent");
}
