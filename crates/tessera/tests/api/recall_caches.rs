//! A recall is never lost in a node's caches, end to end: a grant removed behind the
//! node's back (no announcement reaches it) is refused after the re-validation period, and
//! authorizing and recalling over and over never leaves a recalled scope allowed.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

const CLIENT: &str = "dingdemoapp";
const SECRET: &str = "demo-secret";
const SENSITIVE: &str = "qyapi_manage_addresslist";

fn revalidating_every(mut setup: Setup, secs: i64) -> Setup {
    setup.config.cache.revalidate_secs = secs;
    setup
}

/// Removes the app's sensitive grant straight from the database: nothing tells the node.
async fn remove_grant_behind_the_nodes_back(setup: &Setup) {
    if setup.database_url.starts_with("postgres") {
        let status = tokio::process::Command::new("psql")
            .args([&setup.database_url, "-q", "-v", "ON_ERROR_STOP=1", "-c"])
            .arg(format!(
                "DELETE FROM org_grants WHERE client_id = '{CLIENT}' AND corp_id = '{DEMO_CORP}' AND scope = '{SENSITIVE}'"
            ))
            .status()
            .await
            .unwrap();
        assert!(status.success());
    } else {
        // A second store on the same SQLite file: like a node whose changes are not announced.
        let other = tessera::backend::open_store(&setup.database_url).await.unwrap();
        let recall = tessera_core::change::Change::RevokeOrgGrant {
            client_id: tessera_core::ids::ClientId::parse(CLIENT).unwrap(),
            corp_id: tessera_core::ids::CorpId::parse(DEMO_CORP).unwrap(),
            scope: tessera_core::ids::ScopeCode::parse(SENSITIVE).unwrap(),
            by: tessera_core::ids::UserId::parse("alice").unwrap(),
        };
        other.commit(&[recall], tessera_core::time::UnixTime(1)).await.unwrap();
    }
}

async fn unannounced_recall_is_refused_after_the_period(setup: Setup) {
    let app = spawn_with(revalidating_every(setup, 1)).await;
    let token = app.app_token(DEMO_CORP, CLIENT, SECRET).await;
    assert_eq!(app.create_department(&token, json!({"name": "Ops"})).await.status, 200);
    remove_grant_behind_the_nodes_back(&app.setup).await;
    let mut refused = false;
    // One second of re-validation (whole seconds: up to two) plus slack for a slow machine:
    // 80 attempts 50 ms apart take more than 4 s.
    for _ in 0..80 {
        let r = app.create_department(&token, json!({"name": "Ops"})).await;
        if r.status == 403 {
            assert_eq!(r.body["accessdenieddetail"]["requiredScopes"], json!([SENSITIVE]), "{}", r.text);
            refused = true;
            break;
        }
        assert_eq!(r.status, 200, "{}", r.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "the node kept allowing a recalled scope it was never told about");
}

#[tokio::test]
async fn an_unannounced_recall_is_refused_after_the_revalidation_period_sqlite() {
    unannounced_recall_is_refused_after_the_period(Setup::sqlite()).await;
}

#[tokio::test]
async fn an_unannounced_recall_is_refused_after_the_revalidation_period_postgres() {
    unannounced_recall_is_refused_after_the_period(Setup::postgres().await).await;
}

/// Authorizes and recalls the sensitive scope `rounds` times with gateway calls racing each
/// recall; once a recall has answered, the next call must be refused.
async fn authorize_and_recall(setup: Setup, rounds: usize) {
    // Re-validation out of the way: only invalidation may make this pass.
    let app = spawn_with(revalidating_every(setup, 3_600)).await;
    let alice = session(&app, "alice-union").await;
    let token = app.app_token(DEMO_CORP, CLIENT, SECRET).await;
    let mut stale = 0;
    // The fixture authorized the scope: each round recalls it, then authorizes it again.
    for _ in 0..rounds {
        assert_eq!(app.create_department(&token, json!({"name": "Ops"})).await.status, 200);
        let racing = app.create_department(&token, json!({"name": "Ops"}));
        let recall = grant(&app, &alice, DEMO_CORP, CLIENT, SENSITIVE, false);
        let (_, recalled) = tokio::join!(racing, recall);
        assert_eq!(recalled.status, 204, "{}", recalled.text);
        if app.create_department(&token, json!({"name": "Ops"})).await.status != 403 {
            stale += 1;
        }
        let authorized = grant(&app, &alice, DEMO_CORP, CLIENT, SENSITIVE, true).await;
        assert!(matches!(authorized.status, 200 | 204), "{}", authorized.text);
    }
    assert_eq!(stale, 0, "a recalled scope was still allowed after {stale} of {rounds} recalls");
}

#[tokio::test]
async fn authorizing_and_recalling_repeatedly_never_leaves_a_recalled_scope_allowed_sqlite() {
    authorize_and_recall(Setup::sqlite(), 100).await;
}

#[tokio::test]
async fn authorizing_and_recalling_repeatedly_never_leaves_a_recalled_scope_allowed_postgres() {
    authorize_and_recall(Setup::postgres().await, 40).await;
}
