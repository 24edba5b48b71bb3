//! A Feishu store app's ticket push: Feishu's `app_ticket` event with the app's verification
//! token, plain or in Feishu's encrypted, signed envelope; DingTalk suites keep their shape.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use tessera_core::feishu_event;
use tessera_core::time::FakeClock;
use tessera_service::ticket_push::Outcome;

use crate::helpers::*;

type Seen = Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>;

/// A receiver that answers 200 and records every request.
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let router = axum::Router::new().route(
        "/events",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| async move {
            record.lock().unwrap().push((headers, body));
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, seen)
}

async fn register(app: &TestApp, body: Value) -> Reply {
    let carol = session(app, "carol-union").await;
    api(app, Some(&carol), reqwest::Method::PUT, "/api/v1/apps/suitedemo/ticket-callback", Some(body)).await
}

/// The ticket of the last push after one more round.
async fn next_push(app: &TestApp, clock: &FakeClock, seen: &Seen) -> (axum::http::HeaderMap, String) {
    clock.advance(2);
    assert_eq!(app.ticket_round().await, [Outcome::Delivered { attempt: 1 }]);
    seen.lock().unwrap().last().cloned().unwrap()
}

async fn app_access_token(app: &TestApp, ticket: &str) -> Reply {
    let body = json!({"app_id": "suitedemo", "app_secret": "suite-secret", "app_ticket": ticket});
    app.send(app.http.post(app.url("/open-apis/auth/v3/app_access_token")).json(&body)).await
}

fn assert_app_ticket_event(event: &Value, token: &str) -> String {
    assert_eq!(event["type"], "event_callback", "{event}");
    assert_eq!(event["token"], token, "{event}");
    assert!(event["uuid"].as_str().is_some_and(|u| !u.is_empty()), "{event}");
    assert!(event["ts"].as_str().is_some_and(|t| t.parse::<i64>().is_ok()), "{event}");
    assert_eq!(event["event"]["type"], "app_ticket", "{event}");
    assert_eq!(event["event"]["app_id"], "suitedemo", "{event}");
    event["event"]["app_ticket"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_feishu_store_app_gets_its_ticket_as_an_app_ticket_event_plain_and_encrypted() {
    let mut setup = Setup::sqlite().with_fake_clock(1_700_000_000);
    setup.config.suite_ticket_interval = 2;
    setup.config.allow_private_callbacks = true;
    let clock = setup.clock.clone().unwrap();
    let app = spawn_with(setup).await;
    let (url, seen) = receiver().await;

    let bad = register(&app, json!({"url": url, "event": "lark"})).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(bad.text.contains("feishu_encrypted"), "{}", bad.text);

    // Plain: Feishu's event with the verification token, no encrypt key handed out.
    let set = register(&app, json!({"url": url, "event": "feishu"})).await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["event"], "feishu");
    assert!(set.body.get("encrypt_key").is_none(), "{}", set.text);
    let token = set.str("verification_token").to_owned();
    assert!(!token.is_empty());
    let (headers, body) = next_push(&app, &clock, &seen).await;
    let ticket = assert_app_ticket_event(&serde_json::from_str(&body).unwrap(), &token);
    assert!(headers.get("x-lark-signature").is_none());
    assert_eq!(ticket, suite_ticket(&app, "suitedemo", "suite-secret").await);
    let r = app_access_token(&app, &ticket).await;
    assert_eq!((r.status, r.body["code"].as_i64()), (200, Some(0)), "{}", r.text);

    // Encrypted: {"encrypt": …} under SHA-256(encrypt key), signed over timestamp, nonce, key, body.
    let set = register(&app, json!({"url": url, "event": "feishu_encrypted"})).await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.str("verification_token"), token, "the token stays the app's");
    let key = set.str("encrypt_key").to_owned();
    let (headers, body) = next_push(&app, &clock, &seen).await;
    let envelope: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(envelope.as_object().map(|o| o.len()), Some(1), "only the ciphertext travels: {body}");
    let plain = feishu_event::decrypt(&key, envelope["encrypt"].as_str().unwrap()).unwrap();
    let ticket = assert_app_ticket_event(&serde_json::from_str(&plain).unwrap(), &token);
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    let (ts, nonce) = (header("x-lark-request-timestamp"), header("x-lark-request-nonce"));
    let digest = Sha256::digest(format!("{ts}{nonce}{key}{body}").as_bytes());
    let expected: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(header("x-lark-signature"), expected);
    assert_eq!(ticket, suite_ticket(&app, "suitedemo", "suite-secret").await);
    assert_eq!(app_access_token(&app, &ticket).await.body["code"], 0);

    // Back to DingTalk's shape.
    let set = register(&app, json!({"url": url})).await;
    assert_eq!((set.status, set.body["event"].as_str()), (200, Some("dingtalk")), "{}", set.text);
    let (_, body) = next_push(&app, &clock, &seen).await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["EventType"], "suite_ticket");
}
