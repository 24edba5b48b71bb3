//! sqlx errors as [`StoreError`]s: what the database refused (a unique or foreign key), what
//! it holds that does not decode, and when it could not be reached.

use crate::StoreError;

/// Maps a sqlx error to a [`StoreError`].
pub fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e
        && let Some(unavailable) = d.code().and_then(|c| sqlstate_unavailable(&c, e.to_string()))
    {
        return unavailable;
    }
    match &e {
        sqlx::Error::Database(d) => {
            backend_error(d.is_unique_violation(), d.is_foreign_key_violation(), d.message().to_owned())
        }
        sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
        // A column that does not decode into what the row struct expects (hand-edited rows).
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::ColumnNotFound(_) => StoreError::Corrupt(e.to_string()),
        // The connection broke under a statement.
        sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => StoreError::Interrupted(e.to_string()),
        // No connection within the pool's acquire timeout (the database is unreachable).
        sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
            StoreError::Unavailable(e.to_string())
        }
        other => StoreError::Backend(other.to_string()),
    }
}

/// A statement's failure: `unique` and `foreign_key` say which constraint refused it.
pub fn backend_error(unique: bool, foreign_key: bool, message: String) -> StoreError {
    if unique {
        StoreError::Conflict(message)
    } else if foreign_key {
        StoreError::NotFound(message)
    } else {
        StoreError::Backend(message)
    }
}

/// What a SQLSTATE says about the database rather than the statement: class 08 (connection
/// exception) and 57P01/57P02 (terminated by a shutdown or crash) mean the connection broke
/// ([`StoreError::Interrupted`]); 57P03 (starting up) that it cannot serve yet
/// ([`StoreError::Unavailable`]); `None` for a failure of the statement itself.
pub fn sqlstate_unavailable(code: &str, message: String) -> Option<StoreError> {
    if code.starts_with("08") || matches!(code, "57P01" | "57P02") {
        Some(StoreError::Interrupted(message))
    } else if code == "57P03" {
        Some(StoreError::Unavailable(message))
    } else {
        None
    }
}
