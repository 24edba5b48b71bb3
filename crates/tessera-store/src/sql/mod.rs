//! The SQL both relational backends share, as ordinary generic code over the sqlx driver.
//!
//! A backend crate owns its pool, its connection options and whatever only its database has
//! (PostgreSQL's `LISTEN`); it implements [`Backend`] in a few lines and gets [`Store`] and
//! [`SampleData`] from the impls in [`store`]. Statements use `$1, $2, …` in order, which
//! PostgreSQL and SQLite both accept, and times are `BIGINT` Unix seconds in both.
//!
//! Layout:
//! - [`driver`]: [`Driver`], what the shared code needs from a sqlx driver, stated once (each
//!   generic `impl` block names `DB: Driver` only), and [`Sql`], a backend's pool seen by the
//!   shared code.
//! - [`error`]: sqlx errors mapped to [`StoreError`].
//! - [`columns`]: single column values as stored (ids, hashes, scope lists, JSON arrays).
//! - [`rows`]: one `FromRow` struct per kind of row read, and its conversion to the domain.
//! - [`directory`], [`tokens`], [`sample`]: the reads, grouped by what they read.
//! - [`commit`]: one transaction for a batch of changes; [`bulk`] writes a batch of token
//!   writes several rows per statement, else [`changes`] applies each change (the
//!   longer ones in [`grants`], [`app_changes`], [`device_changes`]) and [`audit_chain`]
//!   appends audit events to the hash chain.
//! - [`oidc`]: signing keys, apps' OpenID Connect settings, users' profile claims.
//! - [`purge`]: deleting expired rows in bounded batches.
//! - [`store`]: `Store` and `SampleData` for every [`Backend`], one line per method.
//!
//! # Adding a store method
//! 1. Declare it on [`Store`] (or [`SampleData`] for the sample API) in `lib.rs`.
//! 2. Write the query as a method of [`Sql`] in the module of what it reads (a new `FromRow`
//!    struct in [`rows`] if it reads a new shape of row), or, for a write, add a
//!    [`Change`](tessera_core::change::Change) variant and its arm in [`changes`].
//! 3. Forward it in [`store`] (one line), and in the service's decorators
//!    (`tessera-service`: `detached.rs`, `invalidating.rs`; the compiler lists them).
//! 4. Add a check to the contract suite (`contract/`, by topic), which runs on every backend.
//!
//! A new table or column is a new file in `migrations/` (portable SQL: `BIGINT` Unix seconds,
//! `TEXT`, nothing backend-specific); never edit a shipped one (a test pins their checksums).
//!
//! # Migrations
//! [`MIGRATOR`] runs the one `migrations/` folder of this crate, used by both backends while
//! their schemas are identical. When a backend needs a migration the other must not run, it
//! gets its own folder again: copy the shared files into `crates/tessera-store-<backend>/
//! migrations/` unchanged (same names and bytes, so sqlx's checksums in databases already
//! migrated still match), add the new file there with the next free number, and point the
//! backend's `connect` at `sqlx::migrate!("./migrations")` instead of [`MIGRATOR`].

use async_trait::async_trait;

pub mod app_changes;
pub mod audit_chain;
pub mod bulk;
pub mod changes;
pub mod columns;
pub mod commit;
pub mod device_changes;
pub mod directory;
pub mod driver;
pub mod error;
pub mod grants;
pub mod oidc;
pub mod purge;
pub mod rows;
pub mod sample;
pub mod store;
pub mod tokens;

pub use driver::{Driver, Sql};
pub use error::map_err;

use crate::StoreError;
#[cfg(doc)]
use crate::{SampleData, Store};

/// The migrations of both backends (see the module docs for a backend's own).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What a relational backend adds to the shared SQL. Implementing it gives the backend
/// [`Store`] and [`SampleData`] (see [`store`]).
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The sqlx driver: `sqlx::Sqlite` or `sqlx::Postgres` (a [`Driver`]; the `Store` impls
    /// require it, the associated type cannot: the bound overflows the trait solver there).
    type Db: sqlx::Database;

    /// The backend's connection pool.
    fn pool(&self) -> &sqlx::Pool<Self::Db>;

    /// Where [`Store::commit`] runs: the pool, unless the backend keeps connections for
    /// writing apart (SQLite: one connection whose page cache the readers' commits never
    /// drop, as there are none).
    fn write_pool(&self) -> &sqlx::Pool<Self::Db> {
        self.pool()
    }

    /// A statement run in every transaction that changes grants, telling the other nodes
    /// (PostgreSQL: `NOTIFY`), or `None` when every node shares this process.
    fn grant_notice(&self) -> Option<&'static str>;

    /// A receiver told whenever grants changed on any node, where the backend can tell;
    /// `None` for a single-node store.
    async fn grant_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError>;

    /// Whether the backend's own machinery is up (PostgreSQL: the grant-change listener);
    /// the pool is checked separately.
    fn listening_ready(&self) -> Result<(), StoreError>;

    /// Times the grant-change listener connected again after losing its connection.
    fn listen_reconnect_count(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod migration_checksums;
