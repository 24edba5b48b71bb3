//! In-process tests of the service with the fake clock: the service on an in-memory SQLite
//! store loaded with the demo fixture, driven through its own methods (no HTTP).

mod access;
mod admin_consent;
mod consents;
mod device;
mod lifecycle;
mod suite_grants;
mod tickets;

use std::sync::Arc;

use tessera_core::change::Change;
use tessera_core::fixture::Fixture;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::secret::{SecretKey, token_hash};
use tessera_core::time::{FakeClock, UnixTime};
use tessera_core::token::{AccessToken, TokenKind};
use tessera_store::Database;
use tessera_store_sqlite::SqliteStore;

use crate::management::Actor;
use crate::{ServiceConfig, Tessera};

/// The demo fixture (the one `serve --fixture demo/fixture.toml` loads).
const DEMO: &str = include_str!("../../../../demo/fixture.toml");

pub const T0: i64 = 1_700_000_000;

pub struct Setup {
    pub service: Tessera,
    pub clock: Arc<FakeClock>,
}

/// The service with the demo fixture at [`T0`] on a fresh in-memory store.
pub async fn service() -> Setup {
    service_with(ServiceConfig::default()).await
}

pub async fn service_with(config: ServiceConfig) -> Setup {
    let store: Arc<dyn Database> = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
    let clock = Arc::new(FakeClock::at(T0));
    let service = Tessera::new(store, clock.clone(), SecretKey::from_bytes([9; 32]), config);
    let fixture: Fixture = toml::from_str(DEMO).unwrap();
    service.load_fixture(&fixture).await.unwrap();
    Setup { service, clock }
}

pub fn client(id: &str) -> ClientId {
    ClientId::parse(id).unwrap()
}

pub fn corp(id: &str) -> CorpId {
    CorpId::parse(id).unwrap()
}

pub fn scope(code: &str) -> ScopeCode {
    ScopeCode::parse(code).unwrap()
}

pub fn person(union_id: &str) -> Actor {
    Actor::Person(UnionId::parse(union_id).unwrap())
}

/// A live token of `kind` for `client_id` in `corp_id` (and for `user`, with the scopes it
/// consented to), written straight to the store: these tests are about what the token may
/// do, not how it was issued.
pub async fn token(
    s: &Setup,
    kind: TokenKind,
    client_id: &str,
    corp_id: Option<&str>,
    user: Option<(&str, &[&str])>,
    ttl: i64,
) -> String {
    let value = format!("t-{}", rand::random::<u64>());
    let now = s.service.now();
    let mut changes = Vec::new();
    // A user token belongs to a token family (one authorization and its refreshes).
    let family_id = user.map(|(u, _)| {
        let family_id = format!("f-{}", rand::random::<u64>());
        changes.push(Change::InsertFamily {
            family_id: family_id.clone(),
            client_id: client(client_id),
            union_id: UnionId::parse(u).unwrap(),
        });
        family_id
    });
    let record = AccessToken {
        hash: token_hash(&value),
        kind,
        client_id: client(client_id),
        corp_id: corp_id.map(corp),
        union_id: user.map(|(u, _)| UnionId::parse(u).unwrap()),
        issued_at: now,
        expires_at: UnixTime(now.0 + ttl),
        revoked: false,
        scopes: user.map(|(_, scopes)| scopes.iter().map(|c| scope(c)).collect()).unwrap_or_default(),
        family_id,
    };
    changes.push(Change::InsertToken(record));
    s.service.store().commit(&changes, now).await.unwrap();
    value
}
