//! A recall is never lost in a node's caches: a read racing with a change is not cached
//! over it, a change the node never heard of is seen after the re-validation period, and the
//! caches stay within their capacity.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tessera_core::change::Change;
use tessera_core::fixture::Fixture;
use tessera_core::grant::OrgGrant;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId, UserId};
use tessera_core::secret::{Secret, SecretKey, TokenHash, token_hash};
use tessera_core::time::{Clock, FakeClock};
use tessera_core::token::{AccessToken, TokenKind, TokenPolicy};
use tessera_store::{Database, Store, StoreError};
use tessera_store_sqlite::SqliteStore;
use tokio::sync::oneshot;

use crate::cache::CacheConfig;
use crate::management::Actor;
use crate::store_decorator::{Decorated, Decorator};
use crate::{AccessError, ServiceConfig, Tessera};

const FIXTURE: &str = r#"
[[orgs]]
corp_id = "dingdemo"
name = "Demo Corp"
verified = true

[[users]]
union_id = "alice-union"
name = "Alice"
memberships = [{ corp_id = "dingdemo", user_id = "alice", roles = ["org_admin", "contacts_admin"] }]

[[apps]]
client_id = "dingdemoapp"
client_secret = "demo-secret"
name = "Demo internal app"
kind = "internal"
owner_corp_id = "dingdemo"
enabled_scopes = ["qyapi_get_member", "qyapi_manage_addresslist"]

[[installations]]
client_id = "dingdemoapp"
corp_id = "dingdemo"
authorized_scopes = ["qyapi_manage_addresslist"]
authorized_by = "alice"
"#;

const SENSITIVE: &str = "qyapi_manage_addresslist";

/// Which read to hold up: after reading from the store, it reports the read and waits.
#[derive(Default)]
struct Gate {
    org_grants: Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
    token: Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
}

/// Arms `slot`: returns (the read happened, let it go on).
fn arm(
    slot: &Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
) -> (oneshot::Receiver<()>, oneshot::Sender<()>) {
    let (read_tx, read_rx) = oneshot::channel();
    let (go_tx, go_rx) = oneshot::channel();
    *slot.lock().unwrap() = Some((read_tx, go_rx));
    (read_rx, go_tx)
}

async fn pause(slot: &Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>) {
    let armed = slot.lock().unwrap().take();
    if let Some((read, go)) = armed {
        let _ = read.send(());
        let _ = go.await;
    }
}

/// The store under test with two reads that, when armed, hand back what they read only
/// after the test lets them; every other call goes straight to the store.
struct Pausing {
    store: Arc<dyn Store>,
    gate: Arc<Gate>,
}

#[async_trait]
impl Decorator for Pausing {
    fn inner(&self) -> &Arc<dyn Store> {
        &self.store
    }

    async fn org_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<OrgGrant>, StoreError> {
        let read = self.store.org_grants(client_id, corp_id).await;
        pause(&self.gate.org_grants).await;
        read
    }

    async fn token(&self, hash: &TokenHash) -> Result<Option<AccessToken>, StoreError> {
        let read = self.store.token(hash).await;
        pause(&self.gate.token).await;
        read
    }
}

struct Node {
    service: Tessera,
    clock: Arc<FakeClock>,
    /// The store under the service: writes here are changes the node never hears of.
    store: Arc<dyn Database>,
    gate: Arc<Gate>,
}

fn config(cache: CacheConfig, tokens: TokenPolicy) -> ServiceConfig {
    ServiceConfig { cache, tokens, ..ServiceConfig::default() }
}

/// Re-validation far away, so only invalidation decides.
fn no_revalidation() -> ServiceConfig {
    config(CacheConfig { revalidate_secs: 3_600, ..CacheConfig::default() }, TokenPolicy::default())
}

async fn node(config: ServiceConfig) -> Node {
    let store: Arc<dyn Database> = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
    let node = node_on(store, config);
    let fixture: Fixture = toml::from_str(FIXTURE).unwrap();
    node.service.load_fixture(&fixture).await.unwrap();
    node
}

/// Another node on the same store.
fn node_on(store: Arc<dyn Database>, config: ServiceConfig) -> Node {
    let clock = Arc::new(FakeClock::at(1_000_000));
    let gate = Arc::new(Gate::default());
    let pausing: Arc<dyn Store> = Arc::new(Decorated(Pausing { store: store.clone(), gate: gate.clone() }));
    let service = Tessera::on_stores(pausing, store.clone(), clock.clone(), SecretKey::from_bytes([7; 32]), config);
    Node { service, clock, store, gate }
}

fn app() -> ClientId {
    ClientId::parse("dingdemoapp").unwrap()
}

fn corp() -> CorpId {
    CorpId::parse("dingdemo").unwrap()
}

fn sensitive() -> ScopeCode {
    ScopeCode::parse(SENSITIVE).unwrap()
}

async fn holds_sensitive(node: &Node) -> bool {
    node.service.standing(&app(), &corp()).await.unwrap().org_granted.contains(&sensitive())
}

async fn recall(node: &Node) {
    let alice = Actor::Person(UnionId::parse("alice-union").unwrap());
    node.service.set_grant(&alice, &corp(), &app(), &sensitive(), false).await.unwrap();
}

async fn app_token(node: &Node) -> Secret {
    let request = crate::TokenRequest {
        client: crate::ClientProof::Credentials(crate::ClientAuth {
            client_id: "dingdemoapp".into(),
            secret: Some(Secret::new("demo-secret")),
        }),
        grant: crate::Grant::ClientCredentials { corp_id: None, scopes: None },
        rules: crate::DialectRules::default(),
        resources: Vec::new(),
    };
    node.service.token(request).await.unwrap().into_app_token().unwrap().token
}

async fn gateway(node: &Node, token: &Secret) -> Result<(), AccessError> {
    node.service.check_access(token.expose(), &[sensitive()], &[TokenKind::App]).await.map(|_| ())
}

#[tokio::test]
async fn a_recall_while_a_standing_is_being_read_is_not_cached_over() {
    let node = node(no_revalidation()).await;
    let (read, go) = arm(&node.gate.org_grants);
    let reader = {
        let service = node.service.clone();
        tokio::spawn(async move { service.standing(&app(), &corp()).await.unwrap() })
    };
    read.await.unwrap();
    // The standing was read with the grant; the recall commits before it is cached.
    recall(&node).await;
    go.send(()).unwrap();
    let raced = reader.await.unwrap();
    assert!(raced.org_granted.contains(&sensitive()), "the racing read saw the grant (the setup)");
    assert!(!holds_sensitive(&node).await, "the pre-recall standing was cached over the recall");
}

#[tokio::test]
async fn a_revocation_while_a_token_is_being_read_is_not_cached_over() {
    let minter = node(no_revalidation()).await;
    let token = app_token(&minter).await;
    // A node that has not seen the token yet reads it from the store.
    let node = node_on(minter.store.clone(), no_revalidation());
    let (read, go) = arm(&node.gate.token);
    let checker = {
        let (service, token) = (node.service.clone(), token.clone());
        tokio::spawn(async move { service.check_access(token.expose(), &[], &[TokenKind::App]).await.map(|_| ()) })
    };
    read.await.unwrap();
    let hash = token_hash(token.expose());
    node.service.store().commit(&[Change::RevokeToken { hash }], node.clock.now()).await.unwrap();
    go.send(()).unwrap();
    assert!(checker.await.unwrap().is_ok(), "the racing read saw the live token (the setup)");
    assert!(
        matches!(gateway(&node, &token).await, Err(AccessError::InvalidToken)),
        "the pre-revocation token was cached over the revocation"
    );
}

#[tokio::test]
async fn a_recall_the_node_never_heard_of_is_seen_after_the_revalidation_period() {
    let cache = CacheConfig { revalidate_secs: 5, ..CacheConfig::default() };
    let node = node(config(cache, TokenPolicy::default())).await;
    let token = app_token(&node).await;
    assert!(gateway(&node, &token).await.is_ok());
    // Another node recalls the scope and revokes the token; this node's announcement is lost.
    let by = UserId::parse("alice").unwrap();
    let recall = Change::RevokeOrgGrant { client_id: app(), corp_id: corp(), scope: sensitive(), by };
    let hash = token_hash(token.expose());
    node.store.commit(&[recall, Change::RevokeToken { hash }], node.clock.now()).await.unwrap();
    node.clock.advance(4);
    assert!(gateway(&node, &token).await.is_ok(), "within the period the cached decision stands");
    node.clock.advance(1);
    assert!(
        matches!(gateway(&node, &token).await, Err(AccessError::InvalidToken)),
        "the revoked token was still accepted after the period"
    );
    assert!(!holds_sensitive(&node).await, "the recalled scope was still held after the period");
    // The token handed out before is revoked: asking again gets a new one, not the revoked one.
    let again = app_token(&node).await;
    assert_ne!(again.expose(), token.expose(), "a revoked token was handed out again");
}

#[tokio::test]
async fn the_caches_hold_at_most_their_capacity_and_evicted_entries_are_read_again() {
    let cache = CacheConfig { capacity: 3, ..CacheConfig::default() };
    // Reuse margin equal to the lifetime: every request mints a new token.
    let tokens = TokenPolicy { app_token_ttl: 7_200, reuse_margin: 7_200 };
    let node = node(config(cache, tokens)).await;
    let mut minted = Vec::new();
    for _ in 0..10 {
        minted.push(app_token(&node).await);
        assert!(node.service.inner.cache.tokens.len() <= 3, "the token cache grew past its capacity");
    }
    for token in &minted {
        assert!(gateway(&node, token).await.is_ok(), "an evicted token is read from the store again");
        assert!(node.service.inner.cache.tokens.len() <= 3);
    }
}
