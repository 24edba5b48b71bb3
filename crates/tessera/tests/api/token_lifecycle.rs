//! The reuse rule and expiry under a fake clock, and tokens surviving a restart.

use crate::helpers::*;

#[tokio::test]
async fn reuse_until_the_margin_then_a_new_token_while_the_old_stays_valid() {
    let app = spawn_with(Setup::sqlite().with_fake_clock(1_000_000)).await;
    let clock = app.setup.clock.clone().unwrap();
    let first = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    clock.advance(5_399); // 1,801 s left: still more than the 1,800 s margin.
    let r = app.get_token(DEMO_CORP, serde_json::json!({"client_id": "dingdemoapp", "client_secret": "demo-secret", "grant_type": "client_credentials"})).await;
    assert_eq!(r.str("access_token"), first);
    assert_eq!(r.body["expires_in"], 1_801);
    clock.advance(1); // exactly the margin left: mint a new one.
    let second = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    assert_ne!(second, first);
    assert_eq!(app.get_user(&first, "alice").await.status, 200, "the old token stays valid until it expires");
    clock.advance(1_800); // the first token's expiry.
    assert_dingtalk_error(&app.get_user(&first, "alice").await, 400, "InvalidAuthentication");
    assert_eq!(app.get_user(&second, "alice").await.status, 200);
}

#[tokio::test]
async fn lifetime_and_margin_are_configurable() {
    let mut setup = Setup::sqlite().with_fake_clock(0);
    setup.config.tokens = tessera_core::token::TokenPolicy { app_token_ttl: 600, reuse_margin: 60 };
    let app = spawn_with(setup).await;
    let r = app.oauth_token(&[("grant_type", "client_credentials")], Some(("dingdemoapp", "demo-secret"))).await;
    assert_eq!(r.body["expires_in"], 600);
}

#[tokio::test]
async fn tokens_survive_a_restart() {
    let app = spawn_app().await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let setup = app.stop().await;
    let again = spawn_with(setup).await;
    let r = again.get_user(&token, "alice").await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The fixture was loaded a second time on the same database without complaint.
}
