//! Reuse of a spent refresh token revokes its family once: a 100-way race of replays leaves
//! exactly one `tokens_revoked` event, and the later attempts are counted on the family.

use tessera_core::audit::AuditAction;
use tessera_core::pkce;
use tessera_store::AuditFilter;

use crate::browser::*;
use crate::helpers::*;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RACERS: usize = 100;

async fn alice_refresh_token(app: &TestApp) -> String {
    let path = format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope=openid&state=s&code_challenge={}&code_challenge_method=S256",
        urlencode("http://127.0.0.1:8900/callback"),
        pkce::s256(VERIFIER)
    );
    let done = Browser::new(app).authorize(&path, "alice-union", "alice-password").await;
    let r = exchange(app, &done.location_param("code").unwrap(), Some(VERIFIER)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.str("refresh_token").to_owned()
}

/// The family's `reuse_attempts` column, read with the database's own client.
async fn reuse_attempts(setup: &Setup) -> String {
    let sql = "SELECT reuse_attempts FROM token_families WHERE revoked_at IS NOT NULL";
    let out = if let Some(path) = setup.database_url.strip_prefix("sqlite://") {
        let script = format!("import sqlite3,sys\nfor r in sqlite3.connect(sys.argv[1]).execute({sql:?}): print(r[0])");
        tokio::process::Command::new("python3").args(["-c", &script, path]).output().await.unwrap()
    } else {
        tokio::process::Command::new("psql").args([&setup.database_url, "-tAc", sql]).output().await.unwrap()
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn a_race_of_replays_logs_one_revocation(setup: Setup) {
    let app = spawn_with(setup).await;
    let spent = alice_refresh_token(&app).await;
    let next = refresh(&app, &spent).await;
    assert_eq!(next.status, 200, "{}", next.text);
    let mut racers = Vec::new();
    for _ in 0..RACERS {
        let (http, url, spent) = (app.http.clone(), app.url("/oauth2/token"), spent.clone());
        racers.push(tokio::spawn(async move {
            let form = [("grant_type", "refresh_token"), ("refresh_token", spent.as_str())];
            let r = http.post(url).basic_auth("dingdemoapp", Some("demo-secret")).form(&form).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }));
    }
    for racer in racers {
        let (status, text) = racer.await.unwrap();
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("invalid_grant"), "{text}");
    }
    // The family is revoked: the token minted before the race is dead too.
    assert_eq!(refresh(&app, next.str("refresh_token")).await.status, 400);

    let store = tessera::backend::open_store(&app.setup.database_url).await.unwrap();
    let filter = AuditFilter { action: Some(AuditAction::TokensRevoked), limit: 1000, ..Default::default() };
    let events = store.audit_events(&filter).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].draft.detail, "refresh token reused");
    // 100 replays, then the replay of the newest refresh token: all but the first are counted.
    assert_eq!(reuse_attempts(&app.setup).await, (RACERS).to_string());
}

#[tokio::test]
async fn a_100_way_refresh_reuse_race_logs_one_revocation_on_sqlite() {
    a_race_of_replays_logs_one_revocation(Setup::sqlite()).await;
}

#[tokio::test]
async fn a_100_way_refresh_reuse_race_logs_one_revocation_on_postgres() {
    a_race_of_replays_logs_one_revocation(Setup::postgres().await).await;
}
