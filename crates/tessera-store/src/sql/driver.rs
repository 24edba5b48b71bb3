//! [`Sql`]: a backend's pool as the shared SQL sees it.
//!
//! The shared code is generic over the sqlx driver `DB`. Rust does not carry the bounds of a
//! trait's `where` clause to its users, so the list of what the code needs from a driver
//! (binding `&str`, `i64`, `bool`; decoding text, integers and booleans by column name;
//! executing on a connection) is written out on each `impl` block, identical everywhere: the
//! list in [`Sql`]'s doc comment is the reference. SQLite and PostgreSQL satisfy all of it.

/// A backend's pool, for the shared queries. Every `impl` block of it is bounded by:
///
/// ```text
/// DB: sqlx::Database,
/// for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
/// for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
/// for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
/// for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
/// for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
/// for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
/// for<'q> Option<i64>: sqlx::Encode<'q, DB>,
/// for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
/// for<'n> &'n str: sqlx::ColumnIndex<DB::Row>,
/// ```
pub struct Sql<'p, DB: sqlx::Database> {
    pub pool: &'p sqlx::Pool<DB>,
}

impl<'p, DB: sqlx::Database> Sql<'p, DB> {
    pub fn new(pool: &'p sqlx::Pool<DB>) -> Self {
        Sql { pool }
    }
}

/// How many rows a statement changed: the one thing the shared SQL reads from a statement's
/// result, which sqlx offers per driver only.
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

#[cfg(feature = "sqlite")]
impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::sqlite::SqliteQueryResult::rows_affected(self)
    }
}

#[cfg(feature = "postgres")]
impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::postgres::PgQueryResult::rows_affected(self)
    }
}
