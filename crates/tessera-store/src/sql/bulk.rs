//! The token writes of a group-committed batch, several rows per statement.
//!
//! A batch of concurrent mints, code exchanges and refreshes is a list of changes of five
//! kinds only: single-use claims, new families, access tokens, refresh tokens. Applied one by
//! one, each is a statement, and on SQLite every statement is a round trip to the driver's
//! worker thread (most of a mint's CPU in a profile); on PostgreSQL a network round trip. Here
//! the changes of each kind go in one statement per [`MAX_ROWS`] rows: claims first, then
//! families, access tokens, refresh tokens.
//!
//! That order gives the same result as applying them in arrival order, for such a batch: a
//! claim only updates a code or refresh token that existed before the batch (a token in the
//! batch has not been handed to anyone yet), and the inserts depend only on families, which
//! come before the tokens that name them. A claim that loses, or any row that fails, fails the
//! statement, so the whole batch rolls back and group commit splits it as it does for any
//! failing batch. A batch with any other change is applied one change at a time.

use sqlx::{Transaction, query};
use tessera_core::change::Change;
use tessera_core::refresh::RefreshToken;
use tessera_core::secret::TokenHash;
use tessera_core::time::UnixTime;
use tessera_core::token::AccessToken;

use super::Sql;
use super::columns::scopes_text;
use super::driver::{Driver, RowsAffected};
use super::error::map_err;
use crate::StoreError;

/// The most rows in one statement (at 10 columns, 2,560 parameters: within SQLite's 32,766
/// and PostgreSQL's 65,535). A run of rows goes in as few statements as this allows, each of
/// exactly its size: every statement is a round trip to the database (on SQLite to the
/// connection's worker thread, waking it), and under load each round trip waits for a core,
/// so a batch costs its number of statements in wake-ups. The statements are not kept in the
/// connections' statement caches (`persistent(false)`): sizes vary, and each of the eight
/// pooled SQLite connections would keep its own copies of large prepared programs (peak RSS of
/// the refresh benchmark 41.9 MB with 64-row statements cached, 38.8 MB without).
const MAX_ROWS: usize = 256;

/// A batch's changes by kind, when every change is of a kind this module writes in bulk.
#[derive(Default)]
pub struct Bulk<'a> {
    code_claims: Vec<&'a TokenHash>,
    refresh_claims: Vec<&'a TokenHash>,
    families: Vec<(&'a str, &'a str, &'a str)>,
    tokens: Vec<&'a AccessToken>,
    refresh_tokens: Vec<&'a RefreshToken>,
}

impl<'a> Bulk<'a> {
    /// Sorts `changes` by kind; `None` when one of them is of another kind (or there is only
    /// one change: nothing to gain).
    pub fn of(changes: &'a [Change]) -> Option<Bulk<'a>> {
        if changes.len() < 2 {
            return None;
        }
        let mut bulk = Bulk::default();
        for change in changes {
            match change {
                Change::ClaimAuthCode { hash } => bulk.code_claims.push(hash),
                Change::ClaimRefreshToken { hash } => bulk.refresh_claims.push(hash),
                Change::InsertFamily { family_id, client_id, union_id } => {
                    bulk.families.push((family_id, client_id.as_str(), union_id.as_str()))
                }
                Change::InsertToken(t) => bulk.tokens.push(t),
                Change::InsertRefreshToken(r) => bulk.refresh_tokens.push(r),
                _ => return None,
            }
        }
        Some(bulk)
    }
}

/// `count` groups of `width` placeholders starting with `mark`, numbered on from 1:
/// `($1, $2), ($3, $4)`.
fn values(mark: char, count: usize, width: usize) -> String {
    let mut out = String::with_capacity(count * width * 5);
    for row in 0..count {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for col in 0..width {
            if col > 0 {
                out.push_str(", ");
            }
            out.push(mark);
            out.push_str(&(row * width + col + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// `$first, …` (`count` placeholders starting with `mark`) after `first - 1` earlier ones.
fn list(mark: char, first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("{mark}{i}")).collect::<Vec<_>>().join(", ")
}

/// Cuts `rows` into runs of at most [`MAX_ROWS`].
fn chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    rows.chunks(MAX_ROWS)
}

impl<DB: Driver> Sql<'_, DB> {
    /// Claims every hash of `hashes` at `at` with `update` (`… IN`), the `( … )` list of
    /// hashes, then `condition`: a conflict unless each of them changed a row.
    async fn claim_all(
        tx: &mut Transaction<'static, DB>,
        update: &str,
        condition: &str,
        hashes: &[&TokenHash],
        at: UnixTime,
        lost: &str,
    ) -> Result<(), StoreError> {
        for part in chunks(hashes) {
            let sql = format!("{update} ({}) {condition}", list(DB::PLACEHOLDER, 2, part.len()));
            let hexes: Vec<String> = part.iter().map(|h| h.to_hex()).collect();
            let mut q = query(&sql).persistent(false).bind(at.0);
            for h in &hexes {
                q = q.bind(h.as_str());
            }
            let done = q.execute(&mut **tx).await.map_err(map_err)?;
            if done.rows_affected() != part.len() as u64 {
                return Err(StoreError::Conflict(lost.to_owned()));
            }
        }
        Ok(())
    }

    /// Applies a [`Bulk`] batch at time `at` inside `tx`.
    pub async fn apply_bulk(
        tx: &mut Transaction<'static, DB>,
        bulk: &Bulk<'_>,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        let m = DB::PLACEHOLDER;
        let codes = format!("UPDATE auth_codes SET used_at = {m}1 WHERE used_at IS NULL AND code_hash IN");
        Self::claim_all(tx, &codes, "", &bulk.code_claims, at, "the authorization code was used already").await?;
        let refresh = format!("UPDATE refresh_tokens SET used_at = {m}1 WHERE used_at IS NULL AND token_hash IN");
        let live_family = "AND NOT EXISTS (SELECT 1 FROM token_families f
                            WHERE f.family_id = refresh_tokens.family_id AND f.revoked_at IS NOT NULL)";
        let lost = "the refresh token was used already or its family revoked";
        Self::claim_all(tx, &refresh, live_family, &bulk.refresh_claims, at, lost).await?;
        for part in chunks(&bulk.families) {
            let sql = format!(
                "INSERT INTO token_families (family_id, client_id, union_id, created_at) VALUES {}",
                values(DB::PLACEHOLDER, part.len(), 4)
            );
            let mut q = query(&sql).persistent(false);
            for (family_id, client_id, union_id) in part {
                q = q.bind(*family_id).bind(*client_id).bind(*union_id).bind(at.0);
            }
            q.execute(&mut **tx).await.map_err(map_err)?;
        }
        for part in chunks(&bulk.tokens) {
            let sql = format!(
                "INSERT INTO access_tokens (token_hash, kind, client_id, corp_id, union_id, issued_at, expires_at, revoked, scopes, family_id)
                 VALUES {}",
                values(DB::PLACEHOLDER, part.len(), 10)
            );
            let texts: Vec<(String, String)> = part.iter().map(|t| (t.hash.to_hex(), scopes_text(&t.scopes))).collect();
            let mut q = query(&sql).persistent(false);
            for (t, (hash, scopes)) in part.iter().zip(&texts) {
                q = q
                    .bind(hash.as_str())
                    .bind(t.kind.as_str())
                    .bind(t.client_id.as_str())
                    .bind(t.corp_id.as_ref().map(|c| c.as_str()))
                    .bind(t.union_id.as_ref().map(|u| u.as_str()))
                    .bind(t.issued_at.0)
                    .bind(t.expires_at.0)
                    .bind(t.revoked)
                    .bind(scopes.as_str())
                    .bind(t.family_id.as_deref());
            }
            q.execute(&mut **tx).await.map_err(map_err)?;
        }
        for part in chunks(&bulk.refresh_tokens) {
            let sql = format!(
                "INSERT INTO refresh_tokens (token_hash, family_id, client_id, union_id, corp_id, scopes, issued_at, expires_at)
                 VALUES {}",
                values(DB::PLACEHOLDER, part.len(), 8)
            );
            let texts: Vec<(String, String)> = part.iter().map(|r| (r.hash.to_hex(), scopes_text(&r.scopes))).collect();
            let mut q = query(&sql).persistent(false);
            for (r, (hash, scopes)) in part.iter().zip(&texts) {
                q = q
                    .bind(hash.as_str())
                    .bind(r.family_id.as_str())
                    .bind(r.client_id.as_str())
                    .bind(r.union_id.as_str())
                    .bind(r.corp_id.as_ref().map(|c| c.as_str()))
                    .bind(scopes.as_str())
                    .bind(r.issued_at.0)
                    .bind(r.expires_at.0);
            }
            q.execute(&mut **tx).await.map_err(map_err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_row_by_row() {
        assert_eq!(values('$', 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values('?', 1, 1), "(?1)");
        assert_eq!(list('$', 2, 3), "$2, $3, $4");
    }

    #[test]
    fn runs_are_cut_into_as_few_statements_as_the_row_limit_allows() {
        let rows: Vec<usize> = (0..600).collect();
        let sizes: Vec<usize> = chunks(&rows).map(|c| c.len()).collect();
        assert_eq!(sizes, vec![256, 256, 88]);
        assert_eq!(chunks(&rows[..90]).map(|c| c.len()).collect::<Vec<_>>(), vec![90]);
        assert_eq!(chunks(&rows).flatten().copied().collect::<Vec<_>>(), rows);
        assert_eq!(chunks::<usize>(&[]).count(), 0);
    }
}
