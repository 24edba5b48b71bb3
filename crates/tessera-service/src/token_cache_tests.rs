//! The token cache on the hot paths: garbage tokens presented again do not reach the store, a
//! token minted after a miss is not refused, user tokens are read once and dropped by a
//! family revocation, and introspection of a live token is answered from the cache. Store
//! reads of tokens are counted by a decorator under the service.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tessera_core::change::Change;
use tessera_core::fixture::Fixture;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::secret::{Secret, SecretKey, TokenHash, token_hash};
use tessera_core::time::{Clock, FakeClock};
use tessera_core::token::{AccessToken, TokenKind};
use tessera_store::{Database, Store, StoreError};
use tessera_store_sqlite::SqliteStore;

use crate::cache::MISSING_SECS;
use crate::store_decorator::{Decorated, Decorator};
use crate::user_tokens::ClientAuth;
use crate::{AccessError, ServiceConfig, Tessera};

const FIXTURE: &str = r#"
[[orgs]]
corp_id = "dingdemo"
name = "Demo Corp"
verified = true

[[users]]
union_id = "alice-union"
name = "Alice"
memberships = [{ corp_id = "dingdemo", user_id = "alice", roles = ["org_admin"] }]

[[apps]]
client_id = "dingdemoapp"
client_secret = "demo-secret"
name = "Demo internal app"
kind = "internal"
owner_corp_id = "dingdemo"
enabled_scopes = ["qyapi_get_member"]

[[installations]]
client_id = "dingdemoapp"
corp_id = "dingdemo"
authorized_scopes = []
authorized_by = "alice"
"#;

/// The store with its token reads counted; everything else goes straight through.
struct Counting {
    store: Arc<dyn Store>,
    tokens: Arc<AtomicUsize>,
}

#[async_trait]
impl Decorator for Counting {
    fn inner(&self) -> &Arc<dyn Store> {
        &self.store
    }

    async fn token(&self, hash: &TokenHash) -> Result<Option<AccessToken>, StoreError> {
        self.tokens.fetch_add(1, Ordering::SeqCst);
        self.store.token(hash).await
    }
}

struct Node {
    service: Tessera,
    clock: Arc<FakeClock>,
    token_reads: Arc<AtomicUsize>,
}

impl Node {
    fn reads(&self) -> usize {
        self.token_reads.load(Ordering::SeqCst)
    }
}

async fn node() -> Node {
    let db: Arc<dyn Database> = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
    let clock = Arc::new(FakeClock::at(1_000_000));
    let token_reads = Arc::new(AtomicUsize::new(0));
    let counting: Arc<dyn Store> = Arc::new(Decorated(Counting { store: db.clone(), tokens: token_reads.clone() }));
    let config = ServiceConfig::default();
    let service = Tessera::on_stores(counting, db, clock.clone(), SecretKey::from_bytes([7; 32]), config);
    let fixture: Fixture = toml::from_str(FIXTURE).unwrap();
    service.load_fixture(&fixture).await.unwrap();
    Node { service, clock, token_reads }
}

async fn check(node: &Node, token: &str, kinds: &[TokenKind]) -> Result<(), AccessError> {
    node.service.check_access(token, &[], kinds).await.map(|_| ())
}

/// A user token of alice for dingdemoapp, written as a code exchange writes it.
async fn user_token(node: &Node, family: &str) -> Secret {
    let token = Secret::generate(TokenKind::User.prefix(), &mut rand::rng());
    let now = node.clock.now();
    let changes = [
        Change::InsertFamily {
            family_id: family.into(),
            client_id: ClientId::parse("dingdemoapp").unwrap(),
            union_id: UnionId::parse("alice-union").unwrap(),
        },
        Change::InsertToken(AccessToken {
            hash: token_hash(token.expose()),
            kind: TokenKind::User,
            client_id: ClientId::parse("dingdemoapp").unwrap(),
            corp_id: Some(CorpId::parse("dingdemo").unwrap()),
            union_id: Some(UnionId::parse("alice-union").unwrap()),
            issued_at: now,
            expires_at: now.plus_secs(7_200),
            revoked: false,
            scopes: vec![ScopeCode::parse("openid").unwrap()],
            family_id: Some(family.into()),
        }),
    ];
    node.service.store().commit(&changes, now).await.unwrap();
    token
}

#[tokio::test]
async fn a_flood_of_garbage_tokens_reads_each_from_the_store_once_per_period() {
    let node = node().await;
    let garbage: Vec<String> =
        (0..50).map(|_| Secret::generate(TokenKind::App.prefix(), &mut rand::rng()).expose().to_owned()).collect();
    for _ in 0..20 {
        for token in &garbage {
            assert!(matches!(check(&node, token, &[TokenKind::App]).await, Err(AccessError::InvalidToken)));
        }
    }
    assert_eq!(node.reads(), garbage.len(), "1,000 garbage requests, 50 distinct tokens");
    // After the period they are read again (an expired-and-purged token stays refused).
    node.clock.advance(MISSING_SECS);
    for token in &garbage {
        assert!(matches!(check(&node, token, &[TokenKind::App]).await, Err(AccessError::InvalidToken)));
    }
    assert_eq!(node.reads(), 2 * garbage.len());
    assert!(node.service.inner.cache.missing.len() <= crate::cache::DEFAULT_CAPACITY);
}

#[tokio::test]
async fn a_token_minted_after_a_miss_is_accepted_at_once() {
    let node = node().await;
    let token = Secret::generate(TokenKind::User.prefix(), &mut rand::rng());
    // Seen before it exists (only possible in a test: tokens are random 256-bit values).
    let hash = token_hash(token.expose());
    node.service.inner.cache.missing.insert(node.service.inner.cache.fill(), hash, (), node.clock.now());
    let now = node.clock.now();
    let record = AccessToken {
        hash,
        kind: TokenKind::App,
        client_id: ClientId::parse("dingdemoapp").unwrap(),
        corp_id: Some(CorpId::parse("dingdemo").unwrap()),
        union_id: None,
        issued_at: now,
        expires_at: now.plus_secs(7_200),
        revoked: false,
        scopes: Vec::new(),
        family_id: None,
    };
    node.service.store().commit(&[Change::InsertToken(record)], now).await.unwrap();
    assert!(check(&node, token.expose(), &[TokenKind::App]).await.is_ok(), "a minted token stayed refused");
}

#[tokio::test]
async fn a_user_token_is_read_once_and_a_family_revocation_drops_it() {
    let node = node().await;
    let token = user_token(&node, "fam-1").await;
    for _ in 0..10 {
        check(&node, token.expose(), &[TokenKind::User]).await.unwrap();
    }
    assert_eq!(node.reads(), 1, "a user token is cached like an app token");
    node.service.store().commit(&[Change::RevokeFamily { family_id: "fam-1".into() }], node.clock.now()).await.unwrap();
    assert!(
        matches!(check(&node, token.expose(), &[TokenKind::User]).await, Err(AccessError::InvalidToken)),
        "a revoked family's token was still accepted"
    );
}

#[tokio::test]
async fn introspection_of_a_live_token_is_answered_from_the_cache() {
    let node = node().await;
    let token = user_token(&node, "fam-2").await;
    let auth = ClientAuth { client_id: "dingdemoapp".into(), secret: Some(Secret::new("demo-secret")) };
    for _ in 0..10 {
        let seen = node.service.introspect(&auth, token.expose()).await.unwrap();
        assert!(seen.active);
        assert_eq!(seen.union_id.as_ref().map(|u| u.as_str()), Some("alice-union"));
    }
    assert_eq!(node.reads(), 1);
    node.service.store().commit(&[Change::RevokeFamily { family_id: "fam-2".into() }], node.clock.now()).await.unwrap();
    assert!(!node.service.introspect(&auth, token.expose()).await.unwrap().active);
    // Garbage is answered inactive, and from memory once seen.
    let garbage = Secret::generate(TokenKind::User.prefix(), &mut rand::rng());
    for _ in 0..10 {
        assert!(!node.service.introspect(&auth, garbage.expose()).await.unwrap().active);
    }
    assert_eq!(node.reads(), 3);
}
