//! Signing keys: rotation on a fake clock (the successor is published before it signs, a
//! token signed before the rotation still verifies after it, a retired key leaves the JWKS
//! only once its last token expired), two nodes on one PostgreSQL signing with the same key
//! and serving the same JWKS, and `tessera keys list | rotate` with its audit event.

use serde_json::Value;

use crate::browser::*;
use crate::helpers::*;
use crate::interop::oidc_support::*;

const DAY: i64 = 86_400;

fn es256_kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["alg"] == "ES256")
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

async fn id_token(app: &TestApp, browser: &Browser) -> String {
    let r = code_flow(app, browser, "oidcrp", "openid", "").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.str("id_token").to_owned()
}

#[tokio::test]
async fn rotation_publishes_the_successor_first_and_retires_a_key_after_its_last_token() {
    // The clock starts at the real time so that the verifier's expiry check agrees.
    let start = tessera_core::time::Clock::now(&tessera_service::clock::SystemClock).0;
    let app = spawn_with(with_oidc_fixture(Setup::sqlite().with_fake_clock(start))).await;
    let clock = app.setup.clock.clone().unwrap();
    let browser = Browser::new(&app);

    let before = id_token(&app, &browser).await;
    let first_kid = jwt_header(&before)["kid"].as_str().unwrap().to_owned();
    let keys = jwks(&app).await;
    let published = es256_kids(&keys);
    assert_eq!(published.len(), 2, "the active key and its successor: {keys}");
    assert_eq!(published[0], first_kid);
    let successor = published[1].clone();
    verify(&keys, &before, "ES256").await.unwrap();

    // One second before the period ends the first key still signs.
    clock.advance(30 * DAY - 1);
    assert_eq!(jwt_header(&id_token(&app, &browser).await)["kid"], first_kid.as_str());
    // Then the successor, published a whole period already, signs.
    clock.advance(1);
    let after = id_token(&app, &browser).await;
    assert_eq!(jwt_header(&after)["kid"], successor.as_str());
    let keys = jwks(&app).await;
    let published = es256_kids(&keys);
    assert_eq!(published.len(), 3, "retired, active, and the next successor: {keys}");
    assert_eq!(&published[..2], &[first_kid.clone(), successor.clone()]);
    // The token signed before the rotation still verifies after it, with the served JWKS.
    verify(&keys, &before, "ES256").await.unwrap();
    verify(&keys, &after, "ES256").await.unwrap();

    // The retired key stays until the last token it signed expired (ID tokens: 1 hour).
    clock.advance(3599);
    assert!(es256_kids(&jwks(&app).await).contains(&first_kid));
    clock.advance(1);
    let keys = jwks(&app).await;
    assert!(!es256_kids(&keys).contains(&first_kid), "{keys}");
    assert!(es256_kids(&keys).contains(&successor));
}

#[tokio::test]
async fn two_nodes_on_one_postgresql_sign_with_the_same_key_and_serve_the_same_jwks() {
    let setup = with_oidc_fixture(Setup::postgres().await);
    let a = spawn_with(setup.clone()).await;
    let b = spawn_with(setup).await;
    let from_a = id_token(&a, &Browser::new(&a)).await;
    let from_b = id_token(&b, &Browser::new(&b)).await;
    assert_eq!(jwt_header(&from_a)["kid"], jwt_header(&from_b)["kid"], "one active key for both nodes");
    let (ja, jb) = (jwks(&a).await, jwks(&b).await);
    assert_eq!(ja, jb);
    verify(&ja, &from_b, "ES256").await.unwrap();
    verify(&jb, &from_a, "ES256").await.unwrap();
}

#[tokio::test]
async fn operators_list_and_rotate_keys_and_each_rotation_is_audited() {
    let app = spawn_with(with_oidc_fixture(Setup::sqlite())).await;
    let browser = Browser::new(&app);
    let before = id_token(&app, &browser).await;
    let old_kid = jwt_header(&before)["kid"].as_str().unwrap().to_owned();
    let successor = es256_kids(&jwks(&app).await)[1].clone();
    let keys = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
        cmd.args(["keys", "--database-url", &app.setup.database_url]).arg("--data-dir").arg(&app.setup.data_dir);
        cmd.args(args).output().unwrap()
    };
    let out = keys(&["rotate", "--alg", "ES256"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&successor) && text.contains(&old_kid), "{text}");
    let bad = keys(&["rotate", "--alg", "HS256"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("RS256, ES256, EdDSA"));
    let list = String::from_utf8_lossy(&keys(&["list"]).stdout).into_owned();
    let line = |kid: &str| list.lines().find(|l| l.starts_with(kid)).unwrap_or_default().to_owned();
    assert!(line(&old_kid).contains("retired"), "{list}");
    assert!(line(&successor).contains("active"), "{list}");
    assert_eq!(list.lines().filter(|l| l.contains("ES256") && l.contains("next")).count(), 1, "{list}");
    // The server's JWKS shows the change within its 5-second snapshot age: the retired key
    // (the old token still verifies), the new active one and a new successor.
    let mut keys_now = jwks(&app).await;
    for _ in 0..40 {
        if es256_kids(&keys_now).len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        keys_now = jwks(&app).await;
    }
    assert_eq!(es256_kids(&keys_now).len(), 3, "{keys_now}");
    verify(&keys_now, &before, "ES256").await.unwrap();
    let store = tessera::backend::open_store(&app.setup.database_url).await.unwrap();
    let filter = tessera_store::AuditFilter {
        action: Some(tessera_core::audit::AuditAction::SigningKeyRotated),
        limit: 10,
        ..Default::default()
    };
    let events = store.audit_events(&filter).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].draft.actor, "operator");
    assert!(events[0].draft.target.contains(&successor), "{events:?}");
}
