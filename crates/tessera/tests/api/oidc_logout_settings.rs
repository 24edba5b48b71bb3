//! The logout settings of an app through the management API: `post_logout_redirect_uris` and
//! `backchannel_logout_uri` set by an operator's PUT take effect at once (RP-initiated logout
//! redirects only to a URI so registered; a back-channel logout token reaches the receiver so
//! registered), are validated like the fixture's, and are audited.

use reqwest::Method;
use serde_json::{Value, json};

use crate::browser::*;
use crate::helpers::*;
use crate::interop::oidc_support::*;
use crate::logout_receiver::*;

const PATH: &str = "/api/v1/apps/oidcpairwise/oidc";
const BYE: &str = "http://127.0.0.1:8900/bye";

/// The server with the OIDC fixture, callbacks to this machine allowed (the receiver).
async fn oidc_app() -> TestApp {
    let mut setup = with_oidc_fixture(Setup::sqlite());
    setup.config.allow_private_callbacks = true;
    spawn_with(setup).await
}

async fn put(app: &TestApp, who: &str, body: Value) -> Reply {
    api(app, Some(who), Method::PUT, PATH, Some(body)).await
}

#[tokio::test]
async fn logout_uris_set_by_put_are_where_logout_redirects_and_where_the_logout_token_goes() {
    let app = oidc_app().await;
    let (backchannel, receiver) = start_receiver(0).await;
    let r = api(&app, Some(OPERATOR), Method::GET, PATH, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["post_logout_redirect_uris"], json!([]));
    assert_eq!(r.body["backchannel_logout_uri"], Value::Null);

    // Before the PUT the URI is not registered: refused, never redirected.
    let browser = Browser::new(&app);
    let id_token = code_flow(&app, &browser, "oidcpairwise", "openid", "&nonce=n1").await.str("id_token").to_owned();
    let logout = |uri: &str| {
        format!("/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=s1", urlencode(uri))
    };
    let refused = browser.get(&logout(BYE)).await;
    assert_eq!((refused.status, refused.location.as_deref()), (400, None), "{}", refused.html);

    let r =
        put(&app, OPERATOR, json!({"post_logout_redirect_uris": [BYE], "backchannel_logout_uri": backchannel})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["post_logout_redirect_uris"], json!([BYE]));
    assert_eq!(r.body["backchannel_logout_uri"], backchannel.as_str());
    assert_eq!(
        (r.body["subject_type"].as_str(), r.body["id_token_signed_response_alg"].as_str()),
        (Some("pairwise"), Some("EdDSA")),
        "the fields left out keep their values: {}",
        r.text
    );
    assert_eq!(api(&app, Some(OPERATOR), Method::GET, PATH, None).await.body, r.body);
    let audit =
        api(&app, Some(OPERATOR), Method::GET, "/api/v1/orgs/dingdemo/audit?action=oidc_settings_changed", None).await;
    let events = audit.body.as_array().unwrap_or_else(|| panic!("{}", audit.text));
    assert_eq!(events.len(), 1, "{}", audit.text);
    let detail = events[0]["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("post_logout_redirect_uris:{BYE}")), "{detail}");
    assert!(detail.contains(&format!("backchannel_logout_uri:{backchannel}")), "{detail}");

    // A URI still not registered: refused, never redirected, nobody signed out.
    let evil = browser.get(&logout("https://evil.example/")).await;
    assert_eq!((evil.status, evil.location.as_deref()), (400, None), "{}", evil.html);
    assert!(evil.html.contains("not registered"), "{}", evil.html);
    assert_eq!(browser.get("/account").await.status, 200, "a refused request signed nobody out");

    // The URI registered by PUT: the session ends and the browser goes there with the state.
    let bye = browser.get(&logout(BYE)).await;
    assert_eq!(bye.status, 303, "{}", bye.html);
    assert_eq!(bye.location.as_deref(), Some(format!("{BYE}?state=s1").as_str()));
    assert_eq!(browser.get("/account").await.status, 303, "the session has ended");

    // The back-channel receiver registered by PUT got the logout token of that session.
    let token = logout_token_of(&receiver.wait_for(1).await[0]);
    assert_eq!(jwt_header(&token)["typ"], "logout+jwt");
    let claims = jwt_claims(&token);
    assert_eq!(claims["aud"], "oidcpairwise");
    assert_eq!(claims["sid"], jwt_claims(&id_token)["sid"]);
    assert_eq!(claims["sub"], jwt_claims(&id_token)["sub"]);
    assert_eq!(claims["events"], json!({"http://schemas.openid.net/event/backchannel-logout": {}}));

    // `null` removes the back-channel URI; the redirect URIs stay.
    let r = put(&app, OPERATOR, json!({"backchannel_logout_uri": null})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["backchannel_logout_uri"].clone(), r.body["post_logout_redirect_uris"].clone()),
        (Value::Null, json!([BYE]))
    );
}

#[tokio::test]
async fn bad_logout_settings_are_refused_and_only_operators_set_them() {
    // Callbacks to this machine not allowed (the default): a back-channel URI naming an
    // inside address is refused as a ticket callback would be.
    let app = spawn_with(with_oidc_fixture(Setup::sqlite())).await;
    let many: Vec<String> = (0..11).map(|i| format!("https://rp.example.com/bye/{i}")).collect();
    for (body, named) in [
        (json!({"post_logout_redirect_uris": ["https://rp.example.com/bye#frag"]}), "post_logout_redirect_uris"),
        (json!({"post_logout_redirect_uris": ["/bye"]}), "post_logout_redirect_uris"),
        (json!({"post_logout_redirect_uris": ["javascript:alert(1)"]}), "post_logout_redirect_uris"),
        (json!({"post_logout_redirect_uris": many}), "at most 10"),
        (json!({"post_logout_redirect_uris": "https://rp.example.com/bye"}), "invalid type"),
        (json!({"post_logout_redirect_uris": [7]}), "invalid type"),
        (json!({"backchannel_logout_uri": "https://rp.example.com/bc#frag"}), "backchannel_logout_uri"),
        (json!({"backchannel_logout_uri": "bc"}), "backchannel_logout_uri"),
        (json!({"backchannel_logout_uri": "ftp://rp.example.com/bc"}), "backchannel_logout_uri"),
        (json!({"backchannel_logout_uri": "http://127.0.0.1:9000/bc"}), "non-public"),
        (json!({"backchannel_logout_uri": "http://169.254.169.254/latest/meta-data"}), "non-public"),
        (json!({"backchannel_logout_uri": "http://localhost/bc"}), "non-public"),
        (json!({"backchannel_logout_uri": 5}), "invalid type"),
        (json!({"backchannel_logout_uri": ["https://rp.example.com/bc"]}), "invalid type"),
    ] {
        let r = put(&app, OPERATOR, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.body["error"], "invalid_request", "{body}: {}", r.text);
        let message = r.body["message"].as_str().unwrap_or_else(|| panic!("{body}: {}", r.text));
        assert!(message.contains(named), "{body}: {message}");
    }
    let alice = session(&app, "alice-union").await;
    let r = put(&app, &alice, json!({"post_logout_redirect_uris": [BYE]})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = put(&app, &alice, json!({"backchannel_logout_uri": "https://203.0.114.7/bc"})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = api(&app, Some(OPERATOR), Method::GET, PATH, None).await;
    assert_eq!(
        (r.body["post_logout_redirect_uris"].clone(), r.body["backchannel_logout_uri"].clone()),
        (json!([]), Value::Null),
        "nothing refused changed anything: {}",
        r.text
    );
    // A public address is accepted (nothing is sent when it is registered).
    let r = put(&app, OPERATOR, json!({"backchannel_logout_uri": "https://203.0.114.7/bc"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["backchannel_logout_uri"], "https://203.0.114.7/bc");
}
