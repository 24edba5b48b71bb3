//! The grant-change listener on a real PostgreSQL: a node is told once `LISTEN` is
//! (re-)established, so a change announced while it was not listening is never lost.
//! Runs in a database of its own, so no other test's announcements interfere.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use sqlx::Executor;
use tessera_store::Store;
use tessera_store_postgres::PostgresStore;
use tokio::sync::mpsc::Receiver;

fn server() -> String {
    let url =
        std::env::var("TESSERA_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    // The server part: everything up to the database name.
    match url.rfind('/') {
        Some(i) if i > "postgres://".len() => url[..i].to_owned(),
        _ => url,
    }
}

/// A database of its own, dropped at the end.
struct Database {
    name: String,
    admin: sqlx::PgPool,
}

impl Database {
    async fn create() -> Database {
        let admin = sqlx::PgPool::connect(&format!("{}/test", server())).await.expect("PostgreSQL is required");
        let name = format!("listener_{}", uuid::Uuid::new_v4().simple());
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        Database { name, admin }
    }

    fn url(&self) -> String {
        format!("{}/{}", server(), self.name)
    }

    async fn drop(self) {
        let _ = self.admin.execute(format!("DROP DATABASE {} WITH (FORCE)", self.name).as_str()).await;
    }
}

async fn told(rx: &mut Receiver<()>, within: Duration, what: &str) {
    match tokio::time::timeout(within, rx.recv()).await {
        Ok(Some(())) => {}
        Ok(None) => panic!("the listener ended ({what})"),
        Err(_) => panic!("not told within {within:?}: {what}"),
    }
}

#[tokio::test]
async fn after_its_listening_connection_is_killed_a_node_is_told_once_listen_is_back() {
    let db = Database::create().await;
    let store = PostgresStore::connect(&db.url()).await.unwrap();
    let mut rx = store.grant_changes().await.unwrap().expect("PostgreSQL announces changes");
    told(&mut rx, Duration::from_secs(5), "the first LISTEN").await;
    assert_eq!(store.listen_reconnects(), 0, "the first LISTEN is no reconnect");
    let other = sqlx::PgPool::connect(&db.url()).await.unwrap();
    for round in 0..3 {
        let killed: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = $1 AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()",
        )
        .bind(&db.name)
        .fetch_one(&db.admin)
        .await
        .unwrap();
        assert_eq!(killed, 1, "round {round}: the node's one listening connection");
        told(&mut rx, Duration::from_secs(10), "after the listening connection was killed").await;
        assert_eq!(store.listen_reconnects(), round + 1, "each reconnect is counted (metrics)");
        // Being told means LISTEN is back: a change announced right now is heard.
        other.execute("SELECT pg_notify('tessera_grants', '')").await.unwrap();
        told(&mut rx, Duration::from_secs(5), "a change announced right after being told").await;
    }
    other.close().await;
    drop(rx);
    drop(store);
    db.drop().await;
}
