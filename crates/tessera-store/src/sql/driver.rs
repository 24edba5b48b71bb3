//! [`Driver`]: what the shared SQL needs from a sqlx driver, stated once; [`Sql`]: a
//! backend's pool as the shared SQL sees it.
//!
//! The shared code is generic over the sqlx driver `DB` and needs bounds on types other than
//! `DB` itself (`&str: Encode<DB>`, `&mut DB::Connection: Executor`, …). Rust carries a
//! trait's supertraits and their associated-type bounds to every user of the trait, but not
//! the other `where` clauses of its definition. So each such bound is stated as a supertrait
//! on [`Same`], a projection that is the type itself: `Same<'a, T, Ty = T>` says the
//! projection is `T`, `Same<'a, T, Ty: Bound>` bounds it, and together they give every
//! `DB: Driver` the bound `T: Bound`. Each generic `impl` block then names `DB: Driver` only;
//! a bound missing here shows as a compile error at the query that needs it.

use sqlx::database::HasStatementCache;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};

/// A sqlx driver the shared SQL runs on: SQLite and PostgreSQL. What it requires, in words:
/// executing on a connection; building arguments; binding `&str`, `Option<&str>`, `String`,
/// `Option<String>`, `i64`, `Option<i64>` and `bool`; decoding text, integers and booleans;
/// reading columns by name and position; counting the rows a statement changed; statements
/// prepared once per call when asked (`persistent(false)`).
pub trait Driver:
    Database<QueryResult: RowsAffected>
    + HasStatementCache
    + for<'c> Same<'c, &'c mut Self::Connection, Ty = &'c mut Self::Connection>
    + for<'c> Same<'c, &'c mut Self::Connection, Ty: Executor<'c, Database = Self>>
    + for<'q> Same<'q, Self::Arguments<'q>, Ty = Self::Arguments<'q>>
    + for<'q> Same<'q, Self::Arguments<'q>, Ty: IntoArguments<'q, Self>>
    + for<'q> Same<'q, &'q str, Ty = &'q str>
    + for<'q> Same<'q, &'q str, Ty: Encode<'q, Self> + Type<Self> + ColumnIndex<Self::Row>>
    + for<'q> Same<'q, Option<&'q str>, Ty = Option<&'q str>>
    + for<'q> Same<'q, Option<&'q str>, Ty: Encode<'q, Self> + Type<Self>>
    + for<'q> Same<'q, String, Ty = String>
    + for<'q> Same<'q, String, Ty: Encode<'q, Self> + Decode<'q, Self> + Type<Self>>
    + for<'q> Same<'q, Option<String>, Ty = Option<String>>
    + for<'q> Same<'q, Option<String>, Ty: Encode<'q, Self>>
    + for<'q> Same<'q, i64, Ty = i64>
    + for<'q> Same<'q, i64, Ty: Encode<'q, Self> + Decode<'q, Self> + Type<Self>>
    + for<'q> Same<'q, Option<i64>, Ty = Option<i64>>
    + for<'q> Same<'q, Option<i64>, Ty: Encode<'q, Self>>
    + for<'q> Same<'q, bool, Ty = bool>
    + for<'q> Same<'q, bool, Ty: Encode<'q, Self> + Decode<'q, Self> + Type<Self>>
    + Same<'static, usize, Ty = usize>
    + Same<'static, usize, Ty: ColumnIndex<Self::Row>>
{
    /// What a numbered placeholder starts with in the statements of many rows
    /// ([`bulk`](super::bulk)). SQLite reads `$1` as a *named* parameter and looks each such
    /// name up among the statement's earlier ones (a linear scan: a statement of 200
    /// parameters cost 20,000 string comparisons to prepare, 6% of the minting benchmark's
    /// CPU); `?1` it takes as a number. PostgreSQL knows only `$1`.
    const PLACEHOLDER: char;
}

#[cfg(feature = "sqlite")]
impl Driver for sqlx::Sqlite {
    const PLACEHOLDER: char = '?';
}

#[cfg(feature = "postgres")]
impl Driver for sqlx::Postgres {
    const PLACEHOLDER: char = '$';
}

/// `T` itself, as an associated type of every type: the carrier that lets [`Driver`] state a
/// bound on `T` as a supertrait (see the module docs). `'a` names the lifetime `T` borrows
/// for, as a bound's `for<'a>` needs it among the trait's parameters.
pub trait Same<'a, T> {
    type Ty;
}

impl<'a, T, DB> Same<'a, T> for DB {
    type Ty = T;
}

/// A backend's pool, for the shared queries.
pub struct Sql<'p, DB: Database> {
    pub pool: &'p sqlx::Pool<DB>,
}

impl<'p, DB: Database> Sql<'p, DB> {
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
