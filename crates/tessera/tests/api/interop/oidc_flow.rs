//! OpenID Connect over HTTP: discovery, ID tokens from the code flow verified by an
//! independent JOSE library, UserInfo, the Basic OP checks that apply (nonce, at_hash,
//! auth_time with max_age, prompt=none, prompt=login, sub of UserInfo, unknown parameters,
//! id_token_hint, code reuse), pairwise subjects, and bad input.

use crate::browser::*;
use crate::helpers::*;
use crate::interop::oidc_support::*;

async fn oidc_app() -> TestApp {
    spawn_with(with_oidc_fixture(Setup::sqlite())).await
}

#[tokio::test]
async fn discovery_extends_the_rfc_8414_document_and_names_the_keys() {
    let app = oidc_app().await;
    let oauth = app.send(app.http.get(app.url("/.well-known/oauth-authorization-server"))).await;
    let oidc = app.send(app.http.get(app.url("/.well-known/openid-configuration"))).await;
    assert_eq!(oidc.status, 200, "{}", oidc.text);
    // Same endpoints, grants and methods as RFC 8414's document.
    for (k, v) in oauth.body.as_object().unwrap() {
        if k == "scopes_supported" {
            for s in v.as_array().unwrap() {
                assert!(oidc.body[k].as_array().unwrap().contains(s), "{s} missing from the OIDC scopes");
            }
        } else {
            assert_eq!(&oidc.body[k], v, "{k} differs between the two documents");
        }
    }
    let issuer = oidc.str("issuer");
    assert_eq!(oidc.str("jwks_uri"), format!("{issuer}/.well-known/jwks.json"));
    assert_eq!(oidc.str("userinfo_endpoint"), format!("{issuer}/oauth2/userinfo"));
    let algs = &oidc.body["id_token_signing_alg_values_supported"];
    for alg in ["RS256", "ES256", "EdDSA"] {
        assert!(algs.as_array().unwrap().iter().any(|a| a == alg), "{alg} missing: {algs}");
    }
    assert!(oidc.body["subject_types_supported"].as_array().unwrap().iter().any(|s| s == "pairwise"));
    assert!(oidc.body["scopes_supported"].as_array().unwrap().iter().any(|s| s == "email"));
}

#[tokio::test]
async fn the_code_flow_gives_an_id_token_that_an_independent_library_verifies() {
    let app = oidc_app().await;
    let browser = Browser::new(&app);
    let r =
        code_flow(&app, &browser, "oidcrp", "openid profile email", "&nonce=n-0S6_WzA2Mj&ui_locales=fr&foo=bar").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id_token = r.str("id_token").to_owned();
    let access = r.str("access_token").to_owned();
    assert_eq!(jwt_header(&id_token)["alg"], "ES256", "the app chose ES256");
    let keys = jwks(&app).await;
    let claims = verify(&keys, &id_token, "ES256").await.unwrap();
    let discovery = app.send(app.http.get(app.url("/.well-known/openid-configuration"))).await;
    assert_eq!(claims["iss"], discovery.body["issuer"]);
    assert_eq!(claims["aud"], "oidcrp");
    assert_eq!(claims["azp"], "oidcrp");
    assert_eq!(claims["sub"], "olivia-union", "sub is the union id by default");
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj", "the nonce is echoed");
    assert_eq!(claims["at_hash"], at_hash(&access).as_str());
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    let (iat, exp, auth_time) =
        (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap(), claims["auth_time"].as_i64().unwrap());
    assert_eq!(exp - iat, 3600);
    assert!(auth_time <= iat && iat - auth_time < 60, "auth_time {auth_time} is the sign-in, iat {iat}");
    // Claims by scope: profile and email, not phone.
    assert_eq!((claims["name"].as_str(), claims["nickname"].as_str()), (Some("Olivia Chen"), Some("Liv")));
    assert_eq!(claims["picture"], "https://img.example.com/olivia.png");
    assert_eq!(
        (claims["email"].as_str(), claims["email_verified"].as_bool()),
        (Some("olivia@example.com"), Some(true))
    );
    assert!(claims.get("phone_number").is_none(), "{claims}");
    // A changed payload does not verify.
    let mut parts: Vec<&str> = id_token.split('.').collect();
    let forged = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, br#"{"sub":"mallory"}"#);
    parts[1] = &forged;
    assert!(verify(&keys, &parts.join("."), "ES256").await.is_err());
    // Nor under another algorithm than the one it was signed with.
    assert!(verify(&keys, &id_token, "RS256").await.is_err());

    // UserInfo: GET with the Bearer header, POST with the form field; same sub as the ID token.
    let get = app.send(app.http.get(app.url("/oauth2/userinfo")).bearer_auth(&access)).await;
    assert_eq!(get.status, 200, "{}", get.text);
    assert_eq!(get.body["sub"], claims["sub"]);
    assert_eq!(get.body["email"], "olivia@example.com");
    assert!(get.body.get("phone_number").is_none());
    let post = app
        .send(
            app.http
                .post(app.url("/oauth2/userinfo"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("access_token={access}")),
        )
        .await;
    assert_eq!(post.status, 200, "{}", post.text);
    assert_eq!(post.body, get.body);

    // The default algorithm is RS256 (dingdemoapp chose nothing), verified the same way.
    let r = code_flow(&app, &browser, "dingdemoapp", "openid", "").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rs = r.str("id_token");
    assert_eq!(jwt_header(rs)["alg"], "RS256");
    let claims = verify(&jwks(&app).await, rs, "RS256").await.unwrap();
    assert!(claims.get("nonce").is_none(), "no nonce asked, none echoed");
    assert!(claims.get("name").is_none(), "no profile scope, no name");
    // Without openid there is no ID token.
    let r = code_flow(&app, &browser, "dingdemoapp", "Contact.User.Read", "").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body.get("id_token").is_none(), "{}", r.text);
}

#[tokio::test]
async fn userinfo_refuses_as_rfc_6750_says() {
    let app = oidc_app().await;
    let none = app.send(app.http.get(app.url("/oauth2/userinfo"))).await;
    assert_eq!(none.status, 401);
    assert!(none.header("www-authenticate").unwrap().starts_with("Bearer"), "{:?}", none.headers);
    let bad = app.send(app.http.get(app.url("/oauth2/userinfo")).bearer_auth("u-not-a-token")).await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.str("error"), "invalid_token");
    assert!(bad.header("www-authenticate").unwrap().contains(r#"error="invalid_token""#));
    let basic = app.send(app.http.get(app.url("/oauth2/userinfo")).header("authorization", "Basic eDp5")).await;
    assert_eq!((basic.status, basic.str("error")), (401, "invalid_request"));
    // An app token acts for no user.
    let app_token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let r = app.send(app.http.get(app.url("/oauth2/userinfo")).bearer_auth(&app_token)).await;
    assert_eq!((r.status, r.str("error")), (401, "invalid_token"));
    // A user token without openid: 403 insufficient_scope.
    let browser = Browser::new(&app);
    let t = code_flow(&app, &browser, "oidcrp", "profile", "").await;
    assert_eq!(t.status, 200, "{}", t.text);
    let r = app.send(app.http.get(app.url("/oauth2/userinfo")).bearer_auth(t.str("access_token"))).await;
    assert_eq!((r.status, r.str("error")), (403, "insufficient_scope"));
    assert!(r.header("www-authenticate").unwrap().contains("insufficient_scope"));
}

#[tokio::test]
async fn prompt_none_prompt_login_max_age_and_the_hint_behave_as_the_basic_op_plan_checks() {
    let app = spawn_with(with_oidc_fixture(Setup::sqlite().with_fake_clock(2_000_000_000))).await;
    let clock = app.setup.clock.clone().unwrap();
    let browser = Browser::new(&app);
    // prompt=none without a session: login_required, with the state, to the registered URI.
    let r = browser.get(&auth_path("oidcrp", "openid", "&prompt=none")).await;
    assert_eq!(r.status, 302);
    assert!(r.location.as_deref().unwrap().starts_with(CB), "{:?}", r.location);
    assert_eq!(r.location_param("error").as_deref(), Some("login_required"));
    assert_eq!(r.location_param("state").as_deref(), Some("st"));
    // Signed in but not consented: consent_required.
    let first = browser.get(&auth_path("oidcrp", "openid", "")).await;
    let signed = browser.sign_in("olivia-union", "olivia-password", &first.location_param("next").unwrap()).await;
    assert_eq!(signed.status, 303);
    let r = browser.get(&auth_path("oidcrp", "openid", "&prompt=none")).await;
    assert_eq!(r.location_param("error").as_deref(), Some("consent_required"), "{:?}", r.location);
    // After consent, prompt=none answers with a code at once.
    let first_tokens = code_flow(&app, &browser, "oidcrp", "openid", "").await;
    let hint = first_tokens.str("id_token").to_owned();
    let signed_in_at = jwt_claims(&hint)["auth_time"].as_i64().unwrap();
    assert_eq!(signed_in_at, 2_000_000_000);
    let r = browser.get(&auth_path("oidcrp", "openid", "&prompt=none")).await;
    assert!(r.location_param("code").is_some(), "{:?}", r.location);
    // id_token_hint naming the signed-in user is honoured with prompt=none.
    let r = browser.get(&auth_path("oidcrp", "openid", &format!("&prompt=none&id_token_hint={hint}"))).await;
    assert!(r.location_param("code").is_some(), "{:?}", r.location);

    // max_age: a session older than it needs a new sign-in (login_required with prompt=none).
    clock.advance(600);
    let r = browser.get(&auth_path("oidcrp", "openid", "&prompt=none&max_age=300")).await;
    assert_eq!(r.location_param("error").as_deref(), Some("login_required"), "{:?}", r.location);
    let r = browser.get(&auth_path("oidcrp", "openid", "&max_age=300")).await;
    assert!(r.location.as_deref().unwrap().starts_with("/login"), "{:?}", r.location);
    let after = code_flow(&app, &browser, "oidcrp", "openid", "&max_age=300").await;
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(jwt_claims(after.str("id_token"))["auth_time"], 2_000_000_600, "auth_time is the new sign-in");

    // prompt=login forces a sign-in even with a fresh session; afterwards the request goes on
    // without asking again.
    let r = browser.get(&auth_path("oidcrp", "openid", "&prompt=login")).await;
    assert!(r.location.as_deref().unwrap().starts_with("/login"), "{:?}", r.location);
    let next = r.location_param("next").unwrap();
    assert!(!next.contains("prompt=login"), "{next}");
    clock.advance(5);
    let again = code_flow(&app, &browser, "oidcrp", "openid", "&prompt=login").await;
    assert_eq!(jwt_claims(again.str("id_token"))["auth_time"], 2_000_000_605);
}

#[tokio::test]
async fn a_code_is_exchanged_once_and_pairwise_subjects_differ_per_app() {
    let app = oidc_app().await;
    let browser = Browser::new(&app);
    let done = browser.authorize(&auth_path("oidcpairwise", "openid", ""), "olivia-union", "olivia-password").await;
    let code = done.location_param("code").unwrap();
    let r = exchange_code(&app, "oidcpairwise", &code).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id_token = r.str("id_token");
    assert_eq!(jwt_header(id_token)["alg"], "EdDSA");
    let claims = verify(&jwks(&app).await, id_token, "EdDSA").await.unwrap();
    let sub = claims["sub"].as_str().unwrap();
    assert_ne!(sub, "olivia-union");
    assert!(!sub.contains("olivia"));
    let info = app.send(app.http.get(app.url("/oauth2/userinfo")).bearer_auth(r.str("access_token"))).await;
    assert_eq!(info.body["sub"], sub, "UserInfo's sub equals the ID token's: {}", info.text);
    // The code again: refused, and what it issued is revoked.
    let again = exchange_code(&app, "oidcpairwise", &code).await;
    assert_oauth_error(&again, 400, "invalid_grant");
    let info = app.send(app.http.get(app.url("/oauth2/userinfo")).bearer_auth(r.str("access_token"))).await;
    assert_eq!((info.status, info.str("error")), (401, "invalid_token"));
    let public = code_flow(&app, &browser, "oidcrp", "openid", "").await;
    assert_eq!(jwt_claims(public.str("id_token"))["sub"], "olivia-union");
}

#[tokio::test]
async fn bad_oidc_input_gets_a_clear_error_never_a_500_nor_a_foreign_redirect() {
    let app = oidc_app().await;
    let other = oidc_app().await;
    let browser = Browser::new(&app);
    let first = browser.get(&auth_path("oidcrp", "openid", "")).await;
    browser.sign_in("olivia-union", "olivia-password", &first.location_param("next").unwrap()).await;
    let cases: [(&str, &str); 6] = [
        ("&prompt=none%20login", "invalid_request"),
        ("&prompt=sometimes", "invalid_request"),
        ("&max_age=ten", "invalid_request"),
        ("&request=eyJhbGciOiJub25lIn0.e30.", "request_not_supported"),
        ("&request_uri=https%3A%2F%2Frp.example%2Freq", "request_uri_not_supported"),
        ("&id_token_hint=not-a-jwt", "invalid_request"),
    ];
    for (extra, error) in cases {
        let r = browser.get(&auth_path("oidcrp", "openid", extra)).await;
        assert_eq!(r.status, 302, "{extra}: {}", r.html);
        assert!(r.location.as_deref().unwrap().starts_with(CB), "{extra}: {:?}", r.location);
        assert_eq!(r.location_param("error").as_deref(), Some(error), "{extra}");
        assert!(!r.location_param("error_description").unwrap().is_empty());
    }
    // An ID token of another issuer (another server, other keys) is no hint.
    let other_browser = Browser::new(&other);
    let foreign = code_flow(&other, &other_browser, "oidcrp", "openid", "").await;
    let r = browser.get(&auth_path("oidcrp", "openid", &format!("&id_token_hint={}", foreign.str("id_token")))).await;
    assert_eq!(r.location_param("error").as_deref(), Some("invalid_request"), "{:?}", r.location);
    // Bad input with an unregistered redirect URI: an error page, no redirect.
    let r = browser
        .get(&format!(
            "/oauth2/authorize?response_type=code&client_id=oidcrp&redirect_uri={}&scope=openid&prompt=none%20login",
            urlencode("https://evil.example/cb")
        ))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.location.is_none());
}

#[tokio::test]
async fn an_unknown_id_token_algorithm_in_a_fixture_is_refused_by_name() {
    let mut setup = Setup::sqlite();
    let demo = std::fs::read_to_string(demo_fixture_path()).unwrap();
    let bad =
        OIDC_FIXTURE.replace(r#"id_token_signed_response_alg = "ES256""#, r#"id_token_signed_response_alg = "HS256""#);
    setup.fixture = setup.data_dir.join("bad.toml");
    std::fs::write(&setup.fixture, format!("{demo}\n{bad}")).unwrap();
    let store = tessera::backend::open_store(&setup.database_url).await.unwrap();
    let key = tessera::key::load_or_create(&setup.data_dir).unwrap();
    let fixture = tessera::boot::read_fixture(&setup.fixture).unwrap();
    let clock = std::sync::Arc::new(tessera_service::clock::SystemClock);
    let err = tessera::boot::service(store, clock, key, setup.config.clone(), Some(&fixture)).await.err().unwrap();
    let text = format!("{err:#}");
    assert!(text.contains("HS256") && text.contains("RS256, ES256, EdDSA"), "{text}");
}
