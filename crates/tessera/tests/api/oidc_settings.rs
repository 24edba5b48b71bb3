//! An app's OpenID Connect settings through the management API (operators only, validated,
//! audited), and the RFC 8707 `resource` parameter they make usable: a JWT access token's
//! `aud` names the resources asked for; an unregistered one is `invalid_target`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const PATH: &str = "/api/v1/apps/dingdemoapp/oidc";
const CONTACTS: &str = "https://api.example.com/contacts";
const FILES: &str = "https://files.example.com/";

/// The claims of a JWT, unverified (the interop tier verifies signatures with jwcrypto).
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap_or_else(|| panic!("not a JWT: {jwt}"));
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn cc(app: &TestApp, resources: &[&str]) -> Reply {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    app.oauth_token(&form, Some(("dingdemoapp", "demo-secret"))).await
}

#[tokio::test]
async fn operators_set_oidc_settings_and_a_jwt_access_token_names_the_resources_asked_for() {
    let app = spawn_app().await;
    // Defaults, readable by operators only.
    let r = api(&app, Some(OPERATOR), Method::GET, PATH, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"client_id": "dingdemoapp", "id_token_signed_response_alg": "RS256", "subject_type": "public",
            "access_token_format": "opaque", "resources": [], "post_logout_redirect_uris": [],
            "backchannel_logout_uri": null})
    );
    let alice = session(&app, "alice-union").await;
    assert_eq!(api(&app, Some(&alice), Method::GET, PATH, None).await.status, 403);
    let r = api(&app, Some(&alice), Method::PUT, PATH, Some(json!({"access_token_format": "jwt"}))).await;
    assert_eq!(r.status, 403, "{}", r.text);

    // Bad values are refused by name and change nothing.
    for (body, named) in [
        (json!({"id_token_signed_response_alg": "HS256"}), "HS256"),
        (json!({"id_token_signed_response_alg": "none"}), "none"),
        (json!({"subject_type": "secret"}), "secret"),
        (json!({"access_token_format": "paseto"}), "paseto"),
        (json!({"resources": ["javascript:alert(1)"]}), "javascript"),
        (json!({"resources": ["https://api.example.com/#frag"]}), "frag"),
        (json!({"colour": "blue"}), "colour"),
    ] {
        let r = api(&app, Some(OPERATOR), Method::PUT, PATH, Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(r.text.contains(named), "{body}: {}", r.text);
    }
    assert_eq!(api(&app, Some(OPERATOR), Method::GET, PATH, None).await.body["access_token_format"], "opaque");
    let r = api(&app, Some(OPERATOR), Method::GET, "/api/v1/apps/nosuchapp/oidc", None).await;
    assert_eq!(r.status, 404, "{}", r.text);

    // Without registered resources, any resource is invalid_target.
    assert_oauth_error(&cc(&app, &[CONTACTS]).await, 400, "invalid_target");

    let r = api(
        &app,
        Some(OPERATOR),
        Method::PUT,
        PATH,
        Some(json!({"access_token_format": "jwt", "id_token_signed_response_alg": "ES256", "resources": [CONTACTS, FILES]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["resources"], json!([CONTACTS, FILES]));
    // A field left out keeps its value.
    let r = api(&app, Some(OPERATOR), Method::PUT, PATH, Some(json!({"subject_type": "pairwise"}))).await;
    assert_eq!(
        (r.body["access_token_format"].as_str(), r.body["subject_type"].as_str()),
        (Some("jwt"), Some("pairwise")),
        "{}",
        r.text
    );
    let audit =
        api(&app, Some(OPERATOR), Method::GET, "/api/v1/orgs/dingdemo/audit?action=oidc_settings_changed", None).await;
    let events = audit.body.as_array().unwrap_or_else(|| panic!("{}", audit.text));
    assert_eq!(events.len(), 2, "{}", audit.text);
    assert!(events.iter().any(|e| e["detail"].as_str().unwrap().contains("access_token_format:jwt")), "{}", audit.text);

    // One resource: the audience; several: an array; none: the issuer.
    let r = cc(&app, &[CONTACTS]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let one = r.str("access_token").to_owned();
    assert_eq!(claims(&one)["aud"], CONTACTS);
    let r = cc(&app, &[FILES, CONTACTS]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(claims(r.str("access_token"))["aud"], json!([CONTACTS, FILES]));
    let r = cc(&app, &[]).await;
    let plain = r.str("access_token").to_owned();
    assert_ne!(plain, one, "a token for a resource is never handed out for another audience");
    let issuer = app.send(app.http.get(app.url("/.well-known/openid-configuration"))).await.body["issuer"].clone();
    assert_eq!(claims(&plain)["aud"], issuer);
    assert_eq!(claims(cc(&app, &[]).await.str("access_token"))["aud"], issuer);

    // A resource the app did not register, even next to one it did: invalid_target.
    assert_oauth_error(&cc(&app, &["https://evil.example.com/"]).await, 400, "invalid_target");
    assert_oauth_error(&cc(&app, &[CONTACTS, "https://evil.example.com/"]).await, 400, "invalid_target");
}
