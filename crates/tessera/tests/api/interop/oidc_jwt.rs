//! JWT access tokens (RFC 9068): minted by client credentials for apps that chose them,
//! verified by an independent JOSE library against the JWKS; recorded, so introspection and revocation answer for them and Tessera's
//! gateway refuses a revoked one at once (an offline verifier cannot: it sees the signature).

use crate::helpers::*;
use crate::interop::oidc_support::*;

async fn cc(app: &TestApp, client: &str, secret: &str, extra: &[(&str, &str)]) -> Reply {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(extra);
    app.oauth_token(&form, Some((client, secret))).await
}

#[tokio::test]
async fn a_jwt_access_token_verifies_offline_and_is_revocable_at_tessera() {
    let app = spawn_with(with_oidc_fixture(Setup::sqlite())).await;
    let r = cc(&app, "jwtapp", "jwt-app-secret", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let jwt = r.str("access_token").to_owned();
    assert_eq!(r.body["expires_in"], 300);
    let header = jwt_header(&jwt);
    assert_eq!((header["typ"].as_str(), header["alg"].as_str()), (Some("at+jwt"), Some("EdDSA")));
    let keys = jwks(&app).await;
    let claims = verify(&keys, &jwt, "EdDSA").await.unwrap();
    let discovery = app.send(app.http.get(app.url("/.well-known/openid-configuration"))).await;
    assert_eq!(claims["iss"], discovery.body["issuer"]);
    assert_eq!(claims["aud"], discovery.body["issuer"], "without a resource the audience is the issuer");
    assert_eq!((claims["sub"].as_str(), claims["client_id"].as_str()), (Some("jwtapp"), Some("jwtapp")));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 300);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 32);

    // Tessera's gateway takes it like any token...
    let user = app.get_user(&jwt, "alice").await;
    assert_eq!(user.status, 200, "{}", user.text);
    let introspect = |token: String| {
        let app = &app;
        async move {
            app.send(
                app.http
                    .post(app.url("/oauth2/introspect"))
                    .basic_auth("jwtapp", Some("jwt-app-secret"))
                    .form(&[("token", token.as_str())]),
            )
            .await
        }
    };
    let i = introspect(jwt.clone()).await;
    assert_eq!(i.body["active"], true, "{}", i.text);
    // ...and refuses it at once once revoked; introspection agrees.
    let revoked = app
        .send(
            app.http
                .post(app.url("/oauth2/revoke"))
                .basic_auth("jwtapp", Some("jwt-app-secret"))
                .form(&[("token", jwt.as_str())]),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let user = app.get_user(&jwt, "alice").await;
    assert_dingtalk_error(&user, 400, "InvalidAuthentication");
    assert_eq!(introspect(jwt.clone()).await.body["active"], false);
    // An offline verifier still accepts the signature until it expires: the trade-off.
    verify(&keys, &jwt, "EdDSA").await.unwrap();
}

#[tokio::test]
async fn es256_jwt_access_tokens_verify_and_other_apps_keep_opaque_tokens() {
    let app = spawn_with(with_oidc_fixture(Setup::sqlite())).await;
    let r = cc(&app, "jwtes", "jwt-es-secret", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let claims = verify(&jwks(&app).await, r.str("access_token"), "ES256").await.unwrap();
    assert_eq!(claims["client_id"], "jwtes");
    // An app that chose nothing keeps opaque tokens.
    let r = cc(&app, "dingdemoapp", "demo-secret", &[]).await;
    assert!(!r.str("access_token").contains('.'), "{}", r.text);
}

/// RFC 8707 through the code flow: `resource` at the authorization and token endpoints (and at
/// refresh) gives the user's JWT access token its `aud`, verified by jwcrypto against the JWKS.
#[tokio::test]
async fn a_user_jwt_access_token_is_for_the_resource_asked_for_in_the_code_flow_and_at_refresh() {
    const CONTACTS: &str = "https://api.example.com/contacts";
    const FILES: &str = "https://files.example.com/";
    let app = spawn_with(with_oidc_fixture(Setup::sqlite())).await;
    let browser = crate::browser::Browser::new(&app);
    let with_resource = format!("&nonce=n-rs&resource={}", crate::browser::urlencode(CONTACTS));
    let done = browser
        .authorize(&auth_path("jwtapp", "openid profile", &with_resource), "olivia-union", "olivia-password")
        .await;
    let code = done.location_param("code").unwrap_or_else(|| panic!("no code in {:?}", done.location));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
        ("resource", CONTACTS),
    ];
    let r = app.oauth_token(&form, Some(("jwtapp", "jwt-app-secret"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["expires_in"], 300);
    let keys = jwks(&app).await;
    let id = verify(&keys, r.str("id_token"), "EdDSA").await.unwrap();
    let access = r.str("access_token").to_owned();
    assert_eq!(jwt_header(&access)["typ"], "at+jwt");
    let claims = verify(&keys, &access, "EdDSA").await.unwrap();
    assert_eq!(claims["aud"], CONTACTS, "{claims}");
    assert_eq!(claims["sub"], id["sub"], "the user, as the app sees them");
    assert_eq!((claims["client_id"].as_str(), claims["scope"].as_str()), (Some("jwtapp"), Some("openid profile")));
    assert_eq!(id["at_hash"], at_hash(&access));
    // Recorded like any user token: UserInfo answers for it.
    let info = app.send(app.http.get(app.url("/oauth2/userinfo")).bearer_auth(&access)).await;
    assert_eq!(info.body["sub"], id["sub"], "{}", info.text);

    // At refresh, two resources: an array.
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", r.str("refresh_token")),
        ("resource", FILES),
        ("resource", CONTACTS),
    ];
    let refreshed = app.oauth_token(&form, Some(("jwtapp", "jwt-app-secret"))).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let claims = verify(&keys, refreshed.str("access_token"), "EdDSA").await.unwrap();
    assert_eq!(claims["aud"], serde_json::json!([CONTACTS, FILES]));
    // Unregistered at refresh: invalid_target, and the refresh token is not spent.
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refreshed.str("refresh_token")),
        ("resource", "https://evil.example.com/"),
    ];
    assert_oauth_error(&app.oauth_token(&form, Some(("jwtapp", "jwt-app-secret"))).await, 400, "invalid_target");
    let form = [("grant_type", "refresh_token"), ("refresh_token", refreshed.str("refresh_token"))];
    let plain = app.oauth_token(&form, Some(("jwtapp", "jwt-app-secret"))).await;
    assert_eq!(plain.status, 200, "{}", plain.text);
    let discovery = app.send(app.http.get(app.url("/.well-known/openid-configuration"))).await;
    assert_eq!(verify(&keys, plain.str("access_token"), "EdDSA").await.unwrap()["aud"], discovery.body["issuer"]);

    // Unregistered at the authorization endpoint: invalid_target to the registered redirect URI.
    let evil = format!("&resource={}", crate::browser::urlencode("https://evil.example.com/"));
    let r = browser.get(&auth_path("jwtapp", "openid", &evil)).await;
    assert_eq!(r.status, 302);
    assert!(r.location.as_deref().unwrap().starts_with(CB), "{:?}", r.location);
    assert_eq!(r.location_param("error").as_deref(), Some("invalid_target"), "{:?}", r.location);
}
