//! The sample API's membership reads come from memory after the first; a change on this node
//! is read by the very next call, one the node never heard of after the re-validation period.

use std::sync::Arc;

use tessera_core::fixture::Fixture;
use tessera_core::ids::{CorpId, UnionId, UserId};
use tessera_core::secret::SecretKey;
use tessera_core::time::FakeClock;
use tessera_store::SampleData;
use tessera_store_sqlite::SqliteStore;

use crate::cache::CacheConfig;
use crate::{ServiceConfig, Tessera};

const FIXTURE: &str = r#"
[[orgs]]
corp_id = "dingdemo"
name = "Demo Corp"

[[users]]
union_id = "alice-union"
name = "Alice"
memberships = [{ corp_id = "dingdemo", user_id = "alice" }]
"#;

const REVALIDATE_SECS: i64 = 5;

async fn service() -> (Tessera, Arc<SqliteStore>, Arc<FakeClock>) {
    let store = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
    let cache = CacheConfig { revalidate_secs: REVALIDATE_SECS, ..CacheConfig::default() };
    let config = ServiceConfig { cache, ..ServiceConfig::default() };
    let clock = Arc::new(FakeClock::at(1_000_000));
    let service =
        Tessera::on_stores(store.clone(), store.clone(), clock.clone(), SecretKey::from_bytes([7; 32]), config);
    let fixture: Fixture = toml::from_str(FIXTURE).unwrap();
    service.load_fixture(&fixture).await.unwrap();
    (service, store, clock)
}

fn corp() -> CorpId {
    CorpId::parse("dingdemo").unwrap()
}

fn alice() -> (UnionId, UserId) {
    (UnionId::parse("alice-union").unwrap(), UserId::parse("alice").unwrap())
}

async fn name(service: &Tessera) -> String {
    service.sample_member(&corp(), &alice().0).await.unwrap().unwrap().name.clone()
}

#[tokio::test]
async fn a_member_is_read_again_right_after_the_sample_api_changes_it() {
    let (service, _, _) = service().await;
    assert_eq!(name(&service).await, "Alice");
    let (corp, (_, user)) = (corp(), alice());
    assert!(service.sample_data().update_member_profile(&corp, &user, Some("Alice R."), None).await.unwrap());
    assert_eq!(name(&service).await, "Alice R.");
}

#[tokio::test]
async fn a_member_changed_behind_the_nodes_back_is_read_from_memory_until_the_revalidation_period() {
    let (service, store, clock) = service().await;
    assert_eq!(name(&service).await, "Alice");
    // Written to the store directly: this node never hears of it.
    assert!(store.update_member_profile(&corp(), &alice().1, Some("Alice R."), None).await.unwrap());
    assert_eq!(name(&service).await, "Alice", "the membership came from memory");
    clock.advance(REVALIDATE_SECS);
    assert_eq!(name(&service).await, "Alice R.");
}
