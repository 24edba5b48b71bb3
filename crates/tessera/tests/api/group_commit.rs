//! Group commit under mixed load: 64 concurrent writers (app-token mints, refresh rotations,
//! grants and recalls) against one `tessera serve`; then the process is killed (SIGKILL) and
//! the database checked: every acknowledged change is there, every refused one answered in
//! the management API's format (never a 500), and the audit chain verifies.

use std::collections::HashSet;

use tessera_core::audit::AuditAction;
use tessera_core::pkce;
use tessera_core::secret::token_hash;
use tessera_store::AuditFilter;

use crate::browser::*;
use crate::helpers::*;
use crate::interop::multinode::{handle, serve_node};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Writers of each of the four kinds.
const PER_KIND: usize = 16;
const ROUNDS: usize = 6;
const SCOPE: &str = "qyapi_manage_addresslist";

/// What one writer was told.
#[derive(Default)]
struct Acked {
    /// App tokens minted (200).
    minted: Vec<String>,
    /// Access tokens of refreshes (200), and the last refresh token of the chain.
    refreshed: Vec<String>,
    last_refresh: Option<String>,
    granted: usize,
    recalled: usize,
}

async fn audit_count(store: &dyn tessera_store::Store, action: AuditAction) -> usize {
    let filter = AuditFilter { action: Some(action), limit: 100_000, ..Default::default() };
    store.audit_events(&filter).await.unwrap().len()
}

async fn mixed_writers_lose_nothing(setup: Setup) {
    // Reuse off: every client-credentials request mints and stores a new token.
    let mut node =
        serve_node(&setup.database_url, &setup.data_dir, &["--reuse-margin", "7200", "--token-ttl", "7200"]).await;
    let app = handle(&node, &setup);
    let carol = session(&app, "carol-union").await;
    let browser = Browser::new(&app);
    let mut chains = Vec::new();
    for i in 0..PER_KIND {
        let path = format!(
            "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope=openid&state=s{i}&code_challenge={}&code_challenge_method=S256",
            urlencode("http://127.0.0.1:8900/callback"),
            pkce::s256(VERIFIER)
        );
        let done = browser.authorize(&path, "alice-union", "alice-password").await;
        let r = exchange(&app, &done.location_param("code").unwrap(), Some(VERIFIER)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        chains.push(r.str("refresh_token").to_owned());
    }
    let store = tessera::backend::open_store(&setup.database_url).await.unwrap();
    let (granted_before, recalled_before) = (
        audit_count(&*store, AuditAction::ScopeAuthorized).await,
        audit_count(&*store, AuditAction::ScopeRevoked).await,
    );
    drop(store);

    let mut writers = Vec::new();
    for w in 0..4 * PER_KIND {
        let (app, carol) = (handle(&node, &setup), carol.clone());
        let chain = (w % 4 == 1).then(|| chains[w / 4].clone());
        writers.push(tokio::spawn(async move {
            let mut acked = Acked::default();
            let mut refresh_token = chain;
            for round in 0..ROUNDS {
                match w % 4 {
                    0 => {
                        let form = [
                            ("grant_type", "client_credentials"),
                            ("client_id", "dingdemoapp"),
                            ("client_secret", "demo-secret"),
                        ];
                        let r = app.oauth_token(&form, None).await;
                        assert_eq!(r.status, 200, "{}", r.text);
                        acked.minted.push(r.str("access_token").to_owned());
                    }
                    1 => {
                        let r = refresh(&app, refresh_token.as_deref().unwrap()).await;
                        assert_eq!(r.status, 200, "{}", r.text);
                        acked.refreshed.push(r.str("access_token").to_owned());
                        refresh_token = Some(r.str("refresh_token").to_owned());
                    }
                    // Grants and recalls of one scope race each other: some are refused (409
                    // already authorized, 404 not authorized), each alone.
                    kind => {
                        let authorize = (kind == 2) == (round % 2 == 0);
                        let r = grant(&app, &carol, OTHER_CORP, "suitedemo", SCOPE, authorize).await;
                        match r.status {
                            204 if authorize => acked.granted += 1,
                            204 => acked.recalled += 1,
                            409 | 404 => {
                                assert!(!r.str("error").is_empty() && !r.str("message").is_empty(), "{}", r.text)
                            }
                            other => panic!("grant answered {other}: {}", r.text),
                        }
                    }
                }
            }
            acked.last_refresh = refresh_token;
            acked
        }));
    }
    let mut all = Vec::new();
    for writer in writers {
        all.push(writer.await.unwrap());
    }
    // Killed without a chance to flush anything: what was acknowledged must be on disk.
    node.child.start_kill().unwrap();
    node.child.wait().await.unwrap();

    let store = tessera::backend::open_store(&setup.database_url).await.unwrap();
    let minted: Vec<&String> = all.iter().flat_map(|a| &a.minted).collect();
    assert_eq!(minted.len(), PER_KIND * ROUNDS);
    assert_eq!(minted.iter().collect::<HashSet<_>>().len(), minted.len(), "every mint is a new token");
    for token in minted.iter().chain(all.iter().flat_map(|a| &a.refreshed).collect::<Vec<_>>().iter()) {
        let stored = store.token(&token_hash(token)).await.unwrap();
        assert!(stored.is_some_and(|t| !t.revoked), "an acknowledged token is missing or revoked");
    }
    for last in all.iter().filter_map(|a| a.last_refresh.as_ref()) {
        let (_, usable) = store.refresh_token(&token_hash(last)).await.unwrap().expect("the last refresh token");
        assert!(usable, "the newest refresh token of a chain is not usable");
    }
    let granted: usize = all.iter().map(|a| a.granted).sum();
    let recalled: usize = all.iter().map(|a| a.recalled).sum();
    assert!(granted > 0 && recalled > 0, "the grant writers never got through ({granted}, {recalled})");
    assert_eq!(audit_count(&*store, AuditAction::ScopeAuthorized).await - granted_before, granted);
    assert_eq!(audit_count(&*store, AuditAction::ScopeRevoked).await - recalled_before, recalled);
    drop(store);

    let verify = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["audit", "verify", "--database-url", &setup.database_url, "--data-dir"])
        .arg(&setup.data_dir)
        .output()
        .await
        .unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit chain intact"));
}

#[tokio::test]
async fn sixty_four_mixed_writers_lose_no_acknowledged_change_on_sqlite() {
    mixed_writers_lose_nothing(Setup::sqlite()).await;
}

#[tokio::test]
async fn sixty_four_mixed_writers_lose_no_acknowledged_change_on_postgres() {
    mixed_writers_lose_nothing(Setup::postgres().await).await;
}
