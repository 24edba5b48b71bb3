//! Changes that take authorizations away: recalling an org grant, uninstalling an app,
//! revoking a user's tokens for an app, revoking a token family once (logged once).

use sqlx::{Transaction, query};
use tessera_core::audit::AuditDraft;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId, UserId};
use tessera_core::secret::SecretHash;
use tessera_core::time::UnixTime;

use super::Sql;
use super::driver::{Driver, RowsAffected};
use super::error::map_err;
use crate::StoreError;

impl<DB: Driver> Sql<'_, DB> {
    pub async fn revoke_org_grant(
        tx: &mut Transaction<'static, DB>,
        client_id: &ClientId,
        corp_id: &CorpId,
        scope: &ScopeCode,
        by: &UserId,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        let moved = query(
            "INSERT INTO revoked_grants (client_id, corp_id, scope, granted_by, granted_at, revoked_by, revoked_at)
                 SELECT client_id, corp_id, scope, granted_by, granted_at, $1, $2 FROM org_grants
                 WHERE client_id = $3 AND corp_id = $4 AND scope = $5",
        )
        .bind(by.as_str())
        .bind(at.0)
        .bind(client_id.as_str())
        .bind(corp_id.as_str())
        .bind(scope.as_str())
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("grant of {scope} to {client_id} in {corp_id}")));
        }
        query("DELETE FROM org_grants WHERE client_id = $1 AND corp_id = $2 AND scope = $3")
            .bind(client_id.as_str())
            .bind(corp_id.as_str())
            .bind(scope.as_str())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    pub async fn delete_installation(
        tx: &mut Transaction<'static, DB>,
        client_id: &ClientId,
        corp_id: &CorpId,
        by: &UserId,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        query(
            "INSERT INTO revoked_grants (client_id, corp_id, scope, granted_by, granted_at, revoked_by, revoked_at)
                 SELECT client_id, corp_id, scope, granted_by, granted_at, $1, $2 FROM org_grants
                 WHERE client_id = $3 AND corp_id = $4",
        )
        .bind(by.as_str())
        .bind(at.0)
        .bind(client_id.as_str())
        .bind(corp_id.as_str())
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        query("DELETE FROM org_grants WHERE client_id = $1 AND corp_id = $2")
            .bind(client_id.as_str())
            .bind(corp_id.as_str())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        let gone = query("DELETE FROM installations WHERE client_id = $1 AND corp_id = $2")
            .bind(client_id.as_str())
            .bind(corp_id.as_str())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("installation of {client_id} in {corp_id}")));
        }
        Ok(())
    }

    pub async fn revoke_user_tokens(
        tx: &mut Transaction<'static, DB>,
        union_id: &UnionId,
        client_id: &ClientId,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        query(
            "UPDATE token_families SET revoked_at = $1 WHERE union_id = $2 AND client_id = $3 AND revoked_at IS NULL",
        )
        .bind(at.0)
        .bind(union_id.as_str())
        .bind(client_id.as_str())
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        // Codes not yet exchanged die too: they would start new families.
        query("DELETE FROM auth_codes WHERE union_id = $1 AND client_id = $2 AND used_at IS NULL")
            .bind(union_id.as_str())
            .bind(client_id.as_str())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    pub async fn revoke_family_once(
        tx: &mut Transaction<'static, DB>,
        family_id: &str,
        audit: &AuditDraft,
        head: &mut Option<(i64, SecretHash)>,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        let first = query("UPDATE token_families SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
            .bind(at.0)
            .bind(family_id)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?
            .rows_affected()
            > 0;
        if first {
            Self::append_audit(tx, audit, head, at).await?;
        } else {
            query("UPDATE token_families SET reuse_attempts = reuse_attempts + 1 WHERE family_id = $1")
                .bind(family_id)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }
}
