//! Codes and refresh tokens are checked before they are consumed: a code or refresh token
//! presented by a client it was not issued to (or with a wrong verifier, redirect URI or
//! scope) is refused and stays usable by its owner; only the owner's replay revokes the
//! family. Introspection is for confidential clients, each seeing its own app's tokens
//! unless its app is a resource server.

use serde_json::json;
use tessera_core::pkce;

use crate::browser::*;
use crate::feishu::{FEISHU_APP, FEISHU_SECRET, assert_feishu_oauth_error, feishu_code};
use crate::helpers::*;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CALLBACK: &str = "http://127.0.0.1:8900/callback";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A code alice gives `dingdemoapp` (with PKCE when `challenge`).
async fn demo_code(app: &TestApp, scope: &str, challenge: bool) -> String {
    let mut path = format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope={}&state=s",
        urlencode(CALLBACK),
        urlencode(scope)
    );
    if challenge {
        path.push_str(&format!("&code_challenge={}&code_challenge_method=S256", pkce::s256(VERIFIER)));
    }
    let done = Browser::new(app).authorize(&path, "alice-union", "alice-password").await;
    done.location_param("code").unwrap()
}

fn code_form<'a>(code: &'a str, redirect_uri: &'a str, verifier: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ]
}

async fn as_dingcli(app: &TestApp, form: &[(&str, &str)]) -> Reply {
    let mut form = form.to_vec();
    form.push(("client_id", "dingcli"));
    app.oauth_token(&form, None).await
}

async fn user_access_token(app: &TestApp, body: serde_json::Value) -> Reply {
    app.send(app.http.post(app.url("/v1.0/oauth2/userAccessToken")).json(&body)).await
}

async fn me(app: &TestApp, token: &str) -> u16 {
    get_with(app, token, "/v1.0/contact/users/me").await.status
}

#[tokio::test]
async fn another_clients_code_is_refused_without_burning_it_on_sqlite() {
    code_checks_come_before_the_claim(&spawn_app().await).await;
}

#[tokio::test]
async fn another_clients_code_is_refused_without_burning_it_on_postgres() {
    code_checks_come_before_the_claim(&spawn_with(Setup::postgres().await).await).await;
}

async fn code_checks_come_before_the_claim(app: &TestApp) {
    let code = demo_code(app, "openid Contact.User.Read", true).await;
    // dingdemoapp's code presented by the public dingcli, and by another confidential app.
    let form = code_form(&code, CALLBACK, VERIFIER);
    let foreign = as_dingcli(app, &form).await;
    assert_oauth_error(&foreign, 400, "invalid_grant");
    assert!(foreign.str("error_description").contains("another client"), "{}", foreign.text);
    assert_oauth_error(&app.oauth_token(&form, Some(("dingreadonly", "readonly-secret"))).await, 400, "invalid_grant");
    // The owner with a wrong redirect URI, a wrong verifier, no verifier: refused, nothing spent.
    let owner = Some(("dingdemoapp", "demo-secret"));
    let wrong_redirect = code_form(&code, "http://127.0.0.1:8900/other", VERIFIER);
    assert_oauth_error(&app.oauth_token(&wrong_redirect, owner).await, 400, "invalid_grant");
    let wrong_verifier = "x".repeat(43);
    assert_oauth_error(
        &app.oauth_token(&code_form(&code, CALLBACK, &wrong_verifier), owner).await,
        400,
        "invalid_grant",
    );
    let no_verifier = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    assert_oauth_error(&app.oauth_token(&no_verifier, owner).await, 400, "invalid_grant");
    // The owner still redeems it.
    let redeemed = app.oauth_token(&form, owner).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.text);
    let access = redeemed.str("access_token").to_owned();
    let refresh_token = redeemed.str("refresh_token").to_owned();
    assert_eq!(me(app, &access).await, 200);

    // The used code presented again by another client: refused, and the family lives on.
    assert_oauth_error(&as_dingcli(app, &form).await, 400, "invalid_grant");
    assert_oauth_error(&app.oauth_token(&form, Some(("dingreadonly", "readonly-secret"))).await, 400, "invalid_grant");
    assert_eq!(me(app, &access).await, 200, "a foreign replay revoked nothing");
    // The owner's replay revokes what the code issued.
    assert_oauth_error(&app.oauth_token(&form, owner).await, 400, "invalid_grant");
    assert_eq!(me(app, &access).await, 400, "the owner's replay revoked the family");
    assert_oauth_error(&refresh(app, &refresh_token).await, 400, "invalid_grant");
}

#[tokio::test]
async fn dingtalk_user_access_token_checks_the_client_before_the_claim() {
    let app = spawn_app().await;
    let code = demo_code(&app, "openid Contact.User.Read", false).await;
    let body = |client: &str, secret: Option<&str>| json!({"clientId": client, "clientSecret": secret, "code": code, "grantType": "authorization_code"});
    assert_dingtalk_error(&user_access_token(&app, body("dingcli", None)).await, 400, "invalid.grant");
    assert_dingtalk_error(
        &user_access_token(&app, body("dingreadonly", Some("readonly-secret"))).await,
        400,
        "invalid.grant",
    );
    let r = user_access_token(&app, body("dingdemoapp", Some("demo-secret"))).await;
    assert_eq!(r.status, 200, "dingdemoapp can still redeem its code: {}", r.text);
    assert_eq!(me(&app, r.str("accessToken")).await, 200);

    // A PKCE code cannot be finished here (no verifier): refused, and still good at /oauth2/token.
    let code = demo_code(&app, "openid Contact.User.Read", true).await;
    let body = json!({"clientId": "dingdemoapp", "clientSecret": "demo-secret", "code": code, "grantType": "authorization_code"});
    assert_dingtalk_error(&user_access_token(&app, body).await, 400, "invalid.grant");
    assert_eq!(exchange(&app, &code, Some(VERIFIER)).await.status, 200);
}

#[tokio::test]
async fn feishu_token_endpoints_check_the_client_before_the_claim() {
    let app = spawn_app().await;
    let v2 = |body: serde_json::Value| {
        let app = &app;
        async move { app.send(app.http.post(app.url("/open-apis/authen/v2/oauth/token")).json(&body)).await }
    };
    let v3 = |body: serde_json::Value| {
        let app = &app;
        async move { app.send(app.http.post(app.url("/oauth/v3/token")).json(&body)).await }
    };
    let creds = |code: &str, client: &str, secret: &str| json!({"grant_type": "authorization_code", "code": code, "client_id": client, "client_secret": secret});
    let code = feishu_code(&app, "alice-union", "alice-password", "doc:readonly").await;
    assert_feishu_oauth_error(&v2(creds(&code, "dingdemoapp", "demo-secret")).await, 20003, "invalid_grant");
    assert_feishu_oauth_error(&v3(creds(&code, "dingdemoapp", "demo-secret")).await, 20003, "invalid_grant");
    // v3's strict PKCE rule refuses a verifier the request had no challenge for; nothing is spent.
    let mut with_verifier = creds(&code, FEISHU_APP, FEISHU_SECRET);
    with_verifier["code_verifier"] = json!("v".repeat(43));
    assert_feishu_oauth_error(&v3(with_verifier).await, 20003, "invalid_grant");
    let r = v3(creds(&code, FEISHU_APP, FEISHU_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The v1 OIDC endpoint, authenticated by an app token: another app's token is refused.
    let code = feishu_code(&app, "alice-union", "alice-password", "doc:readonly").await;
    let v1 = |token: String| {
        let (app, code) = (&app, code.clone());
        async move {
            app.send(
                app.http
                    .post(app.url("/open-apis/authen/v1/oidc/access_token"))
                    .bearer_auth(token)
                    .json(&json!({"grant_type": "authorization_code", "code": code})),
            )
            .await
        }
    };
    let other = crate::feishu::tenant_token(&app, "dingdemoapp", "demo-secret").await;
    let refused = v1(other).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.body["code"], 20003, "{}", refused.text);
    let own = crate::feishu::tenant_token(&app, FEISHU_APP, FEISHU_SECRET).await;
    let r = v1(own).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["code"], 0, "{}", r.text);
}

#[tokio::test]
async fn a_refresh_is_checked_before_the_token_is_claimed_on_sqlite() {
    refresh_checks_come_before_the_claim(&spawn_app().await).await;
}

#[tokio::test]
async fn a_refresh_is_checked_before_the_token_is_claimed_on_postgres() {
    refresh_checks_come_before_the_claim(&spawn_with(Setup::postgres().await).await).await;
}

async fn refresh_checks_come_before_the_claim(app: &TestApp) {
    let code = demo_code(app, "openid Contact.User.Read", true).await;
    let r = exchange(app, &code, Some(VERIFIER)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (access, token) = (r.str("access_token").to_owned(), r.str("refresh_token").to_owned());
    let owner = Some(("dingdemoapp", "demo-secret"));
    // A scope outside the grant: invalid_scope, and the refresh token is not spent.
    let wider = [("grant_type", "refresh_token"), ("refresh_token", token.as_str()), ("scope", "openid doc:readonly")];
    assert_oauth_error(&app.oauth_token(&wider, owner).await, 400, "invalid_scope");
    // Another client, public or confidential: refused, nothing spent or revoked.
    let plain = [("grant_type", "refresh_token"), ("refresh_token", token.as_str())];
    assert_oauth_error(&as_dingcli(app, &plain).await, 400, "invalid_grant");
    assert_oauth_error(&app.oauth_token(&plain, Some(("dingreadonly", "readonly-secret"))).await, 400, "invalid_grant");
    let dingtalk = json!({"clientId": "dingcli", "refreshToken": token, "grantType": "refresh_token"});
    assert_dingtalk_error(&user_access_token(app, dingtalk).await, 400, "invalid.grant");
    assert_eq!(me(app, &access).await, 200);
    // The owner narrows the scope: fine, and the old token is spent.
    let narrower = [("grant_type", "refresh_token"), ("refresh_token", token.as_str()), ("scope", "openid")];
    let rotated = app.oauth_token(&narrower, owner).await;
    assert_eq!(rotated.status, 200, "the refresh token survived every refused attempt: {}", rotated.text);
    assert_eq!(rotated.str("scope"), "openid");
    let next = rotated.str("refresh_token").to_owned();
    // A foreign replay of the spent token revokes nothing; the owner's replay revokes the family.
    assert_oauth_error(&as_dingcli(app, &plain).await, 400, "invalid_grant");
    assert_eq!(me(app, rotated.str("access_token")).await, 403, "alive, without Contact.User.Read");
    let introspected = app
        .send(
            app.http
                .post(app.url("/oauth2/introspect"))
                .basic_auth("dingdemoapp", Some("demo-secret"))
                .form(&[("token", next.as_str())]),
        )
        .await;
    assert_eq!(introspected.body["active"], true, "{}", introspected.text);
    assert_oauth_error(&app.oauth_token(&plain, owner).await, 400, "invalid_grant");
    assert_oauth_error(&refresh(app, &next).await, 400, "invalid_grant");
}

#[tokio::test]
async fn concurrent_exchanges_of_one_code_issue_tokens_once_postgres() {
    let app = spawn_with(Setup::postgres().await).await;
    let code = demo_code(&app, "openid", true).await;
    let form: Vec<(String, String)> =
        code_form(&code, CALLBACK, VERIFIER).into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (http, url, form) = (app.http.clone(), app.url("/oauth2/token"), form.clone());
        tasks.spawn(async move {
            let r = http.post(url).basic_auth("dingdemoapp", Some("demo-secret")).form(&form).send().await.unwrap();
            (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
        });
    }
    let replies = tasks.join_all().await;
    assert_eq!(replies.iter().filter(|(status, _)| *status == 200).count(), 1, "exactly one exchange wins");
    for (status, body) in replies.iter().filter(|(status, _)| *status != 200) {
        assert_eq!((*status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    }
}

#[tokio::test]
async fn another_clients_device_code_poll_spends_nothing() {
    let app = spawn_with(Setup::sqlite().with_fake_clock(1_700_000_000)).await;
    let s = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth(FEISHU_APP, Some(FEISHU_SECRET))
                .form(&[("scope", "doc:readonly")]),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    let device_code = s.str("device_code").to_owned();
    let complete = s.str("verification_uri_complete").replace(&app.setup.config.public_url, "");
    crate::device_flow::decide(&app, &complete, "alice-union", "alice-password", "approve").await;
    let form = [("grant_type", DEVICE_GRANT), ("device_code", device_code.as_str())];
    assert_oauth_error(&as_dingcli(&app, &form).await, 400, "invalid_grant");
    assert_oauth_error(&app.oauth_token(&form, Some(("dingdemoapp", "demo-secret"))).await, 400, "invalid_grant");
    let own = app.oauth_token(&form, Some((FEISHU_APP, FEISHU_SECRET))).await;
    assert_eq!(own.status, 200, "{}", own.text);
}

async fn introspect(app: &TestApp, client: (&str, &str), token: &str) -> Reply {
    app.send(
        app.http.post(app.url("/oauth2/introspect")).basic_auth(client.0, Some(client.1)).form(&[("token", token)]),
    )
    .await
}

/// Alice's user token pair for `dingdemoapp`: (access, refresh).
async fn alice_pair(app: &TestApp) -> (String, String) {
    let code = demo_code(app, "openid Contact.User.Read", true).await;
    let r = exchange(app, &code, Some(VERIFIER)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    (r.str("access_token").to_owned(), r.str("refresh_token").to_owned())
}

#[tokio::test]
async fn public_clients_may_not_introspect() {
    let app = spawn_app().await;
    let (access, _) = alice_pair(&app).await;
    let anonymous = app
        .send(
            app.http.post(app.url("/oauth2/introspect")).form(&[("client_id", "dingcli"), ("token", access.as_str())]),
        )
        .await;
    assert_oauth_error(&anonymous, 401, "invalid_client");
    assert!(anonymous.body.get("active").is_none(), "{}", anonymous.text);
    // The metadata no longer offers `none` for introspection; revocation keeps it (RFC 7009).
    let meta = app.send(app.http.get(app.url("/.well-known/oauth-authorization-server"))).await;
    assert_eq!(
        meta.body["introspection_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(
        meta.body["revocation_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
}

#[tokio::test]
async fn public_clients_still_revoke_their_own_tokens() {
    let app = spawn_app().await;
    let cli_callback = "http://127.0.0.1:8901/callback";
    let path = format!(
        "/oauth2/authorize?response_type=code&client_id=dingcli&redirect_uri={}&scope=openid%20Contact.User.Read&state=s&code_challenge={}&code_challenge_method=S256",
        urlencode(cli_callback),
        pkce::s256(VERIFIER)
    );
    let code =
        Browser::new(&app).authorize(&path, "alice-union", "alice-password").await.location_param("code").unwrap();
    let r = as_dingcli(&app, &code_form(&code, cli_callback, VERIFIER)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let access = r.str("access_token").to_owned();
    assert_eq!(me(&app, &access).await, 200);
    let revoked = app
        .send(app.http.post(app.url("/oauth2/revoke")).form(&[("client_id", "dingcli"), ("token", access.as_str())]))
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(me(&app, &access).await, 400);
}

#[tokio::test]
async fn a_client_sees_only_its_own_apps_tokens() {
    let app = spawn_app().await;
    let (access, refresh_token) = alice_pair(&app).await;
    let readonly_token = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    for token in [&access, &refresh_token] {
        let own = introspect(&app, ("dingdemoapp", "demo-secret"), token).await;
        assert_eq!((own.status, &own.body["active"]), (200, &json!(true)), "{}", own.text);
        assert_eq!(own.str("client_id"), "dingdemoapp");
        let other = introspect(&app, ("dingreadonly", "readonly-secret"), token).await;
        assert_eq!(other.status, 200, "{}", other.text);
        assert_eq!(other.body, json!({"active": false}), "another app learns nothing about alice's token");
    }
    let own = introspect(&app, ("dingreadonly", "readonly-secret"), &readonly_token).await;
    assert_eq!(own.body["active"], true, "{}", own.text);
    assert_eq!(introspect(&app, ("dingdemoapp", "demo-secret"), &readonly_token).await.body, json!({"active": false}));
}

#[tokio::test]
async fn an_operator_marks_a_resource_server_which_then_sees_every_apps_tokens() {
    let app = spawn_app().await;
    let (access, _) = alice_pair(&app).await;
    let api = |who: &str, on: bool| {
        let (app, who) = (&app, who.to_owned());
        async move {
            app.send(
                app.http
                    .put(app.url("/api/v1/apps/dingreadonly/resource_server"))
                    .bearer_auth(who)
                    .json(&json!({"resource_server": on})),
            )
            .await
        }
    };
    // Only operators: not the app's own org admin.
    let alice = session(&app, "alice-union").await;
    let refused = api(&alice, true).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(introspect(&app, ("dingreadonly", "readonly-secret"), &access).await.body, json!({"active": false}));

    let marked = api(OPERATOR, true).await;
    assert_eq!(marked.status, 200, "{}", marked.text);
    assert_eq!(marked.body["resource_server"], true, "{}", marked.text);
    let seen = introspect(&app, ("dingreadonly", "readonly-secret"), &access).await;
    assert_eq!(seen.body["active"], true, "{}", seen.text);
    assert_eq!((seen.str("client_id"), seen.str("sub")), ("dingdemoapp", "alice-union"));
    let listed = app.send(app.http.get(app.url("/api/v1/orgs/dingdemo/apps")).bearer_auth(OPERATOR)).await;
    let flag = |id: &str| {
        listed.body.as_array().unwrap().iter().find(|a| a["client_id"] == id).unwrap()["resource_server"].clone()
    };
    assert_eq!((flag("dingreadonly"), flag("dingdemoapp")), (json!(true), json!(false)));
    let audit = app
        .send(app.http.get(app.url("/api/v1/orgs/dingdemo/audit?action=resource_server_changed")).bearer_auth(OPERATOR))
        .await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let events = audit.body.as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", audit.text);
    assert_eq!(
        (events[0]["actor"].as_str(), events[0]["target"].as_str()),
        (Some("operator"), Some("app:dingreadonly"))
    );

    assert_eq!(api(OPERATOR, false).await.body["resource_server"], false);
    assert_eq!(introspect(&app, ("dingreadonly", "readonly-secret"), &access).await.body, json!({"active": false}));
    let ghost = app
        .send(
            app.http
                .put(app.url("/api/v1/apps/ghostapp/resource_server"))
                .bearer_auth(OPERATOR)
                .json(&json!({"resource_server": true})),
        )
        .await;
    assert_eq!((ghost.status, ghost.str("error")), (404, "not_found"), "{}", ghost.text);
    let bad = app
        .send(
            app.http
                .put(app.url("/api/v1/apps/dingreadonly/resource_server"))
                .bearer_auth(OPERATOR)
                .json(&json!({"resource_server": "yes"})),
        )
        .await;
    assert_eq!((bad.status, bad.str("error")), (400, "invalid_request"), "{}", bad.text);
}

#[tokio::test]
async fn a_fixture_marks_a_resource_server() {
    let text = std::fs::read_to_string(demo_fixture_path()).unwrap();
    let marked = text.replacen(
        "client_secret = \"readonly-secret\"\n",
        "client_secret = \"readonly-secret\"\nresource_server = true\n",
        1,
    );
    assert_ne!(marked, text);
    let mut setup = Setup::sqlite();
    setup.fixture = setup.data_dir.join("fixture.toml");
    std::fs::write(&setup.fixture, marked).unwrap();
    let app = spawn_with(setup).await;
    let (access, _) = alice_pair(&app).await;
    let seen = introspect(&app, ("dingreadonly", "readonly-secret"), &access).await;
    assert_eq!(seen.body["active"], true, "{}", seen.text);
    assert_eq!(introspect(&app, ("dingbasic", "basic-secret"), &access).await.body, json!({"active": false}));
}
