//! The user-identity flow over HTTP: sign-in, consent, code with PKCE, exchange, user-token
//! APIs, refresh rotation with reuse detection, revocation, introspection, withdrawal.

use serde_json::json;
use tessera_core::change::Change;
use tessera_core::ids::{CorpId, UserId};
use tessera_core::pkce;
use tessera_core::time::UnixTime;

use crate::browser::*;
use crate::helpers::*;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CALLBACK: &str = "http://127.0.0.1:8900/callback";

fn authorize_path(scope: &str, state: &str) -> String {
    format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope={}&state={state}&code_challenge={}&code_challenge_method=S256",
        urlencode(CALLBACK),
        urlencode(scope),
        pkce::s256(VERIFIER)
    )
}

/// Alice authorizes dingdemoapp and the code is exchanged: (access, refresh).
async fn alice_tokens(app: &TestApp, scope: &str) -> (String, String) {
    let browser = Browser::new(app);
    let done = browser.authorize(&authorize_path(scope, "st"), "alice-union", "alice-password").await;
    let code = done.location_param("code").unwrap();
    let r = exchange(app, &code, Some(VERIFIER)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    (r.str("access_token").to_owned(), r.str("refresh_token").to_owned())
}

#[tokio::test]
async fn sign_in_consent_code_and_exchange() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let path = authorize_path("openid Contact.User.Read doc:readonly", "xyz");
    let first = browser.get(&path).await;
    assert_eq!(first.status, 302);
    assert!(first.location.as_deref().unwrap().starts_with("/login?next="), "{:?}", first.location);
    let signed = browser.sign_in("alice-union", "alice-password", &first.location_param("next").unwrap()).await;
    assert_eq!(signed.status, 303);
    let consent = browser.get(signed.location.as_deref().unwrap()).await;
    assert_eq!(consent.status, 200);
    // The consent page names the app and each scope in plain words.
    for text in ["Demo internal app", "Read a user&#39;s personal contact information", "Read documents"] {
        assert!(consent.html.contains(text), "{text} missing from {}", consent.html);
    }
    let mut form = consent.hidden();
    form.push(("decision".into(), "approve".into()));
    let done = browser.post("/oauth2/authorize", &form).await;
    assert_eq!(done.status, 302);
    assert!(done.location.as_deref().unwrap().starts_with(CALLBACK));
    assert_eq!(done.location_param("state").as_deref(), Some("xyz"));
    let code = done.location_param("code").unwrap();
    assert!(code.starts_with("ac-"));

    let r = exchange(&app, &code, Some(VERIFIER)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.str("token_type"), "Bearer");
    assert_eq!(r.body["expires_in"], 7200);
    assert_eq!(r.str("scope"), "openid Contact.User.Read doc:readonly");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let access = r.str("access_token");
    assert!(access.starts_with("u-") && r.str("refresh_token").starts_with("r-"));
    let me = get_with(&app, access, "/v1.0/contact/users/me").await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!((me.str("unionId"), me.str("userId"), me.str("corpId")), ("alice-union", "alice", DEMO_CORP));

    // Consent is remembered: the same request goes straight back with a code.
    let again = browser.get(&path).await;
    assert_eq!(again.status, 302);
    assert!(again.location_param("code").is_some(), "{:?}", again.location);
    // A new scope asks again, listing only the new one.
    let more = browser.get(&authorize_path("openid Contact.User.Read doc:readonly qyapi_base", "m")).await;
    assert_eq!(more.status, 200);
    assert!(more.html.contains("qyapi_base") && !more.html.contains("Read documents"), "{}", more.html);
}

#[tokio::test]
async fn a_user_token_does_only_what_app_consent_and_user_allow() {
    let app = spawn_app().await;
    let (access, _) = alice_tokens(&app, "openid Contact.User.Read doc:readonly").await;
    // Alice can see documents 1 and 2, not 3: so can the app on her behalf.
    let list = get_with(&app, &access, "/v1.0/doc/documents").await;
    assert_eq!(doc_ids(&list), [1, 2]);
    assert_eq!(get_with(&app, &access, "/v1.0/doc/documents/2").await.status, 200);
    let third = get_with(&app, &access, "/v1.0/doc/documents/3").await;
    assert_dingtalk_error(&third, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert!(third.str("message").contains("resource_forbidden"), "{}", third.text);
    // She loses document 2 herself: the app loses it on the next call.
    let store = tessera::backend::open_store(&app.setup.database_url).await.unwrap();
    let lose = Change::SetDocumentReaders {
        corp_id: CorpId::parse(DEMO_CORP).unwrap(),
        doc_id: 2,
        readers: vec![UserId::parse("bob").unwrap()],
    };
    store.commit(&[lose], UnixTime(0)).await.unwrap();
    assert_eq!(doc_ids(&get_with(&app, &access, "/v1.0/doc/documents").await), [1]);
    assert_eq!(get_with(&app, &access, "/v1.0/doc/documents/2").await.status, 403);

    // Not consented: a token without doc:readonly cannot list documents.
    let (narrow, _) = alice_tokens(&app, "openid Contact.User.Read").await;
    let r = get_with(&app, &narrow, "/v1.0/doc/documents").await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert_eq!(r.body["accessdenieddetail"]["missingReasons"][0]["reason"], "user_not_consented");
    // User tokens on app APIs and app tokens on user APIs are refused for their kind.
    let r = get_with(&app, &access, "/v1.0/contact/users/alice").await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenTypeNotSupported");
    let app_token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let r = get_with(&app, &app_token, "/v1.0/contact/users/me").await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenTypeNotSupported");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let (access, refresh1) = alice_tokens(&app, "openid Contact.User.Read").await;
    let r = refresh(&app, &refresh1).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (access2, refresh2) = (r.str("access_token").to_owned(), r.str("refresh_token").to_owned());
    assert_ne!(access2, access);
    assert_ne!(refresh2, refresh1);
    assert_eq!(get_with(&app, &access2, "/v1.0/contact/users/me").await.status, 200);
    // Narrowing is allowed, widening is not.
    let wider = app
        .oauth_token(
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh2), ("scope", "doc:readonly")],
            Some(("dingdemoapp", "demo-secret")),
        )
        .await;
    assert_oauth_error(&wider, 400, "invalid_scope");
    // The first refresh token again: reuse. The whole family dies, including the new pair.
    let reused = refresh(&app, &refresh1).await;
    assert_oauth_error(&reused, 400, "invalid_grant");
    assert_dingtalk_error(&get_with(&app, &access2, "/v1.0/contact/users/me").await, 400, "InvalidAuthentication");
    assert_dingtalk_error(&get_with(&app, &access, "/v1.0/contact/users/me").await, 400, "InvalidAuthentication");
    assert_oauth_error(&refresh(&app, &refresh2).await, 400, "invalid_grant");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_have_exactly_one_success() {
    let app = spawn_app().await;
    let (_, refresh_token) = alice_tokens(&app, "openid Contact.User.Read").await;
    let attempts = (0..8).map(|_| refresh(&app, &refresh_token));
    let results = futures_join(attempts).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{:?}", results.iter().map(|r| r.text.clone()).collect::<Vec<_>>());
    for r in results.iter().filter(|r| r.status != 200) {
        assert_oauth_error(r, 400, "invalid_grant");
    }
}

async fn futures_join<F: std::future::Future<Output = Reply>>(futures: impl Iterator<Item = F>) -> Vec<Reply> {
    let mut set = Vec::new();
    for f in futures {
        set.push(f);
    }
    let mut out = Vec::new();
    // Poll them together so the requests overlap.
    let joined = async {
        let mut pinned: Vec<_> = set.into_iter().map(Box::pin).collect();
        let mut results: Vec<Option<Reply>> = (0..pinned.len()).map(|_| None).collect();
        std::future::poll_fn(|cx| {
            let mut pending = false;
            for (i, f) in pinned.iter_mut().enumerate() {
                if results[i].is_none() {
                    match f.as_mut().poll(cx) {
                        std::task::Poll::Ready(r) => results[i] = Some(r),
                        std::task::Poll::Pending => pending = true,
                    }
                }
            }
            if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
        })
        .await;
        results.into_iter().map(|r| r.unwrap()).collect::<Vec<_>>()
    };
    out.extend(joined.await);
    out
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let done =
        browser.authorize(&authorize_path("openid Contact.User.Read", "s"), "alice-union", "alice-password").await;
    let code = done.location_param("code").unwrap();
    let first = exchange(&app, &code, Some(VERIFIER)).await;
    assert_eq!(first.status, 200);
    let replay = exchange(&app, &code, Some(VERIFIER)).await;
    assert_oauth_error(&replay, 400, "invalid_grant");
    let me = get_with(&app, first.str("access_token"), "/v1.0/contact/users/me").await;
    assert_dingtalk_error(&me, 400, "InvalidAuthentication");
    assert_oauth_error(&refresh(&app, first.str("refresh_token")).await, 400, "invalid_grant");
}

#[tokio::test]
async fn code_exchange_checks_client_verifier_and_redirect() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let code_for = |state: &'static str| {
        let b = &browser;
        async move {
            let done = b.authorize(&authorize_path("openid", state), "alice-union", "alice-password").await;
            done.location_param("code").unwrap()
        }
    };
    let code = code_for("a").await;
    assert_oauth_error(&exchange(&app, &code, None).await, 400, "invalid_grant");
    let code = code_for("b").await;
    assert_oauth_error(&exchange(&app, &code, Some(&"x".repeat(43))).await, 400, "invalid_grant");
    let code = code_for("c").await;
    let other_redirect = app
        .oauth_token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:8900/other"),
                ("code_verifier", VERIFIER),
            ],
            Some(("dingdemoapp", "demo-secret")),
        )
        .await;
    assert_oauth_error(&other_redirect, 400, "invalid_grant");
    let code = code_for("d").await;
    let other_client = app
        .oauth_token(
            &[("grant_type", "authorization_code"), ("code", &code), ("code_verifier", VERIFIER)],
            Some(("dingreadonly", "readonly-secret")),
        )
        .await;
    assert_oauth_error(&other_client, 400, "invalid_grant");
    assert_oauth_error(&exchange(&app, "ac-made-up", Some(VERIFIER)).await, 400, "invalid_grant");
    let wrong_secret =
        app.oauth_token(&[("grant_type", "authorization_code"), ("code", "x")], Some(("dingdemoapp", "nope"))).await;
    assert_oauth_error(&wrong_secret, 401, "invalid_client");
}

#[tokio::test]
async fn codes_expire_after_five_minutes() {
    let app = spawn_with(Setup::sqlite().with_fake_clock(1_000_000)).await;
    let browser = Browser::new(&app);
    let done = browser.authorize(&authorize_path("openid", "e"), "alice-union", "alice-password").await;
    let code = done.location_param("code").unwrap();
    app.setup.clock.as_ref().unwrap().advance(300);
    assert_oauth_error(&exchange(&app, &code, Some(VERIFIER)).await, 400, "invalid_grant");
}

#[tokio::test]
async fn revocation_introspection_and_withdrawal_take_effect_at_once() {
    let app = spawn_app().await;
    let (access, refresh_token) = alice_tokens(&app, "openid Contact.User.Read").await;
    let introspect = |token: String| {
        let app = &app;
        async move {
            app.send(
                app.http
                    .post(app.url("/oauth2/introspect"))
                    .basic_auth("dingdemoapp", Some("demo-secret"))
                    .form(&[("token", token.as_str())]),
            )
            .await
        }
    };
    let live = introspect(access.clone()).await;
    assert_eq!(live.status, 200, "{}", live.text);
    assert_eq!(
        (live.body["active"].as_bool(), live.str("sub"), live.str("client_id")),
        (Some(true), "alice-union", "dingdemoapp")
    );
    assert_eq!(live.str("scope"), "openid Contact.User.Read");
    let unauthenticated =
        app.send(app.http.post(app.url("/oauth2/introspect")).form(&[("token", access.as_str())])).await;
    assert_oauth_error(&unauthenticated, 401, "invalid_client");

    // Another client may not revoke it.
    let foreign = app
        .send(
            app.http
                .post(app.url("/oauth2/revoke"))
                .basic_auth("dingreadonly", Some("readonly-secret"))
                .form(&[("token", access.as_str())]),
        )
        .await;
    assert_eq!(foreign.status, 400, "{}", foreign.text);
    assert_eq!(get_with(&app, &access, "/v1.0/contact/users/me").await.status, 200);
    // The owner revokes the refresh token: the family, access token included, dies.
    let revoked = app
        .send(
            app.http
                .post(app.url("/oauth2/revoke"))
                .basic_auth("dingdemoapp", Some("demo-secret"))
                .form(&[("token", refresh_token.as_str())]),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_dingtalk_error(&get_with(&app, &access, "/v1.0/contact/users/me").await, 400, "InvalidAuthentication");
    assert_eq!(introspect(access.clone()).await.body, json!({"active": false}));
    // Unknown tokens are not an error (RFC 7009 §2.2).
    let unknown = app
        .send(
            app.http
                .post(app.url("/oauth2/revoke"))
                .basic_auth("dingdemoapp", Some("demo-secret"))
                .form(&[("token", "nothing")]),
        )
        .await;
    assert_eq!(unknown.status, 200);

    // Withdrawal on the account page kills every token of (alice, app) at once.
    let browser = Browser::new(&app);
    let done =
        browser.authorize(&authorize_path("openid Contact.User.Read", "w"), "alice-union", "alice-password").await;
    let pair = exchange(&app, &done.location_param("code").unwrap(), Some(VERIFIER)).await;
    let access = pair.str("access_token").to_owned();
    assert_eq!(get_with(&app, &access, "/v1.0/contact/users/me").await.status, 200);
    let account = browser.get("/account").await;
    assert!(account.html.contains("Demo internal app"), "{}", account.html);
    let csrf = account.hidden().into_iter().find(|(k, _)| k == "csrf").unwrap();
    let forged = browser.post("/account/apps/dingdemoapp/withdraw", &[("csrf".into(), "0".repeat(64))]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(get_with(&app, &access, "/v1.0/contact/users/me").await.status, 200, "a forged form changed nothing");
    let withdrawn = browser.post("/account/apps/dingdemoapp/withdraw", &[csrf]).await;
    assert_eq!(withdrawn.status, 303);
    assert_dingtalk_error(&get_with(&app, &access, "/v1.0/contact/users/me").await, 400, "InvalidAuthentication");
    assert_oauth_error(&refresh(&app, pair.str("refresh_token")).await, 400, "invalid_grant");
    assert!(browser.get("/account").await.html.contains("not authorized any app"));
    // And consent is asked again next time.
    assert_eq!(browser.get(&authorize_path("openid Contact.User.Read", "x")).await.status, 200);
}

#[tokio::test]
async fn dingtalk_auth_answers_with_auth_code_and_user_access_token_exchanges_it() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let path = format!(
        "/oauth2/auth?redirect_uri={}&response_type=code&client_id=dingdemoapp&scope={}&state=dd&prompt=consent",
        urlencode(CALLBACK),
        urlencode("openid corpid Contact.User.Read")
    );
    let done = browser.authorize(&path, "alice-union", "alice-password").await;
    let auth_code = done.location_param("authCode").unwrap();
    assert_eq!(done.location_param("code").as_deref(), Some(auth_code.as_str()));
    assert_eq!(done.location_param("state").as_deref(), Some("dd"));
    let r = app
        .send(app.http.post(app.url("/v1.0/oauth2/userAccessToken")).json(&json!({
            "clientId": "dingdemoapp", "clientSecret": "demo-secret", "code": auth_code, "grantType": "authorization_code"
        })))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.str("corpId"), r.body["expireIn"].as_i64()), (DEMO_CORP, Some(7200)));
    let refreshed = app
        .send(app.http.post(app.url("/v1.0/oauth2/userAccessToken")).json(&json!({
            "clientId": "dingdemoapp", "clientSecret": "demo-secret", "refreshToken": r.str("refreshToken"), "grantType": "refresh_token"
        })))
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(get_with(&app, refreshed.str("accessToken"), "/v1.0/contact/users/me").await.str("userId"), "alice");
    let bad = app
        .send(app.http.post(app.url("/v1.0/oauth2/userAccessToken")).json(&json!({
            "clientId": "dingdemoapp", "clientSecret": "demo-secret", "code": "ac-nope", "grantType": "authorization_code"
        })))
        .await;
    assert_dingtalk_error(&bad, 400, "invalid.grant");
}

#[tokio::test]
async fn bad_authorization_requests_never_redirect_where_they_should_not() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let base = "/oauth2/authorize?response_type=code&client_id=dingdemoapp";
    // Unregistered redirect URI and unknown client: an error page, no redirect.
    for path in [
        format!("{base}&redirect_uri={}", urlencode("https://evil.example/cb")),
        "/oauth2/authorize?response_type=code&client_id=nosuch&redirect_uri=http://127.0.0.1:8900/callback".to_owned(),
        format!("{base}&redirect_uri={}&redirect_uri={}", urlencode(CALLBACK), urlencode(CALLBACK)),
    ] {
        let page = browser.get(&path).await;
        assert_eq!((page.status, page.location.as_deref()), (400, None), "{path}: {}", page.html);
    }
    // Errors about the rest go back to the client, with state.
    let cases = [
        ("&scope=no.such.scope", "invalid_scope"),
        ("&scope=openid%20%20corpid", "invalid_scope"),
        ("&scope=calendar:readonly", "invalid_scope"),
        ("&code_challenge=abc&code_challenge_method=plain", "invalid_request"),
    ];
    for (extra, error) in cases {
        let page = browser.get(&format!("{base}&redirect_uri={}&state=s1{extra}", urlencode(CALLBACK))).await;
        assert_eq!(page.status, 302, "{extra}");
        assert!(page.location.as_deref().unwrap().starts_with(CALLBACK));
        assert_eq!(page.location_param("error").as_deref(), Some(error), "{extra}");
        assert_eq!(page.location_param("state").as_deref(), Some("s1"));
    }
    let wrong_type = browser
        .get(&format!(
            "/oauth2/authorize?response_type=token&client_id=dingdemoapp&redirect_uri={}",
            urlencode(CALLBACK)
        ))
        .await;
    assert_eq!(wrong_type.location_param("error").as_deref(), Some("unsupported_response_type"));
    // A public client must use PKCE.
    let public = browser
        .get(&format!(
            "/oauth2/authorize?response_type=code&client_id=dingcli&redirect_uri={}",
            urlencode("http://127.0.0.1:8901/callback")
        ))
        .await;
    assert_eq!(public.location_param("error").as_deref(), Some("invalid_request"));
    // The login page only sends people on to local paths.
    let signed = browser.sign_in("alice-union", "alice-password", "https://evil.example/").await;
    assert_eq!(signed.location.as_deref(), Some("/account"));
    // Denying sends access_denied.
    let fresh = Browser::new(&app);
    let consent_path = authorize_path("openid Contact.User.Read", "den");
    let first = fresh.get(&consent_path).await;
    let signed = fresh.sign_in("bob-union", "bob-password", &first.location_param("next").unwrap()).await;
    let consent = fresh.get(signed.location.as_deref().unwrap()).await;
    let mut form = consent.hidden();
    form.push(("decision".into(), "deny".into()));
    let denied = fresh.post("/oauth2/authorize", &form).await;
    assert_eq!(denied.location_param("error").as_deref(), Some("access_denied"));
    // A consent form without its CSRF token changes nothing.
    let forged: Vec<(String, String)> = consent
        .hidden()
        .into_iter()
        .filter(|(k, _)| k != "csrf")
        .chain([("decision".to_owned(), "approve".to_owned())])
        .collect();
    let page = fresh.post("/oauth2/authorize", &forged).await;
    assert_eq!((page.status, page.location), (403, None));
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_rate_limited() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(browser.sign_in("alice-union", "wrong", "/account").await.status, 401);
    }
    let limited = browser.sign_in("alice-union", "alice-password", "/account").await;
    assert_eq!(limited.status, 429, "{}", limited.html);
    assert!(limited.html.contains("Too many failed attempts"));
    // Other accounts are not locked by alice's failures.
    assert_eq!(browser.sign_in("bob-union", "bob-password", "/account").await.status, 303);
    // A login form without the pre-sign-in cookie's token is refused.
    let forged = browser
        .post(
            "/login",
            &[
                ("account".into(), "bob-union".into()),
                ("password".into(), "bob-password".into()),
                ("csrf".into(), "00".repeat(32)),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
}

#[tokio::test]
async fn discovery_describes_the_endpoints() {
    let app = spawn_app().await;
    let r = app.send(app.http.get(app.url("/.well-known/oauth-authorization-server"))).await;
    assert_eq!(r.status, 200);
    let issuer = r.str("issuer").to_owned();
    assert_eq!(r.str("token_endpoint"), format!("{issuer}/oauth2/token"));
    assert_eq!(r.str("authorization_endpoint"), format!("{issuer}/oauth2/authorize"));
    assert_eq!(r.body["code_challenge_methods_supported"], json!(["S256"]));
    assert!(r.body["scopes_supported"].as_array().unwrap().contains(&json!("Contact.User.Read")));
}

#[tokio::test]
async fn failures_from_one_address_are_limited_across_accounts() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    // 20 failures from this address, spread over accounts so no single account hits its limit.
    for i in 0..20 {
        assert_eq!(browser.sign_in(&format!("ghost-{i}"), "wrong", "/account").await.status, 401);
    }
    let limited = browser.sign_in("bob-union", "bob-password", "/account").await;
    assert_eq!(limited.status, 429, "{}", limited.html);
}

#[tokio::test]
async fn user_token_lifetimes_are_configurable() {
    let mut setup = Setup::sqlite();
    setup.config.user_tokens = tessera_core::refresh::UserTokenPolicy { access_ttl: 600, refresh_ttl: 3600 };
    let app = spawn_with(setup).await;
    let browser = Browser::new(&app);
    let done = browser.authorize(&authorize_path("openid", "ttl"), "alice-union", "alice-password").await;
    let r = exchange(&app, &done.location_param("code").unwrap(), Some(VERIFIER)).await;
    assert_eq!(r.body["expires_in"], 600, "{}", r.text);
}

#[tokio::test]
async fn a_resource_the_user_may_not_read_names_the_reason_in_missing_reasons() {
    let app = spawn_app().await;
    let (access, _) = alice_tokens(&app, "openid Contact.User.Read doc:readonly").await;
    let third = get_with(&app, &access, "/v1.0/doc/documents/3").await;
    assert_dingtalk_error(&third, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    let detail = &third.body["accessdenieddetail"];
    assert_eq!(detail["requiredScopes"], serde_json::json!([]), "{}", third.text);
    assert_eq!(detail["missingReasons"], serde_json::json!([{"reason": "resource_forbidden"}]), "{}", third.text);
}
