//! Changes to device authorizations (RFC 8628): start, polling, the user's decision, the exchange.

use sqlx::{Transaction, query};
use tessera_core::device::{DeviceAuthorization, DeviceStatus};
use tessera_core::ids::{CorpId, UnionId};
use tessera_core::secret::TokenHash;
use tessera_core::time::UnixTime;

use super::columns::scopes_text;

use super::Sql;
use super::driver::{Driver, RowsAffected};
use super::error::map_err;
use crate::StoreError;

impl<DB: Driver> Sql<'_, DB> {
    pub async fn insert_device_authorization(
        tx: &mut Transaction<'static, DB>,
        d: &DeviceAuthorization,
    ) -> Result<(), StoreError> {
        query(
            "INSERT INTO device_authorizations (device_hash, user_code_hash, client_id, scopes, status, union_id,
                   corp_id, created_at, expires_at, interval_secs, last_polled_at, nonce, auth_time)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(d.device_hash.to_hex())
        .bind(d.user_code_hash.to_hex())
        .bind(d.client_id.as_str())
        .bind(scopes_text(&d.scopes))
        .bind(d.status.as_str())
        .bind(d.union_id.as_ref().map(|u| u.as_str()))
        .bind(d.corp_id.as_ref().map(|c| c.as_str()))
        .bind(d.created_at.0)
        .bind(d.expires_at.0)
        .bind(d.interval)
        .bind(d.last_polled_at.map(|t| t.0))
        .bind(d.nonce.as_deref())
        .bind(d.auth_time.map(|t| t.0))
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    pub async fn device_polled(
        tx: &mut Transaction<'static, DB>,
        device_hash: &TokenHash,
        polled_at: &UnixTime,
        interval: &i64,
    ) -> Result<(), StoreError> {
        query("UPDATE device_authorizations SET last_polled_at = $1, interval_secs = $2 WHERE device_hash = $3")
            .bind(polled_at.0)
            .bind(*interval)
            .bind(device_hash.to_hex())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    pub async fn decide_device(
        tx: &mut Transaction<'static, DB>,
        device_hash: &TokenHash,
        approved: &bool,
        union_id: &UnionId,
        corp_id: &Option<CorpId>,
        decided_at: &UnixTime,
    ) -> Result<(), StoreError> {
        let status = if *approved { DeviceStatus::Approved } else { DeviceStatus::Denied };
        let done = query(
            "UPDATE device_authorizations SET status = $1, union_id = $2, corp_id = $3, auth_time = $4
                 WHERE device_hash = $5 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(union_id.as_str())
        .bind(corp_id.as_ref().map(|c| c.as_str()))
        .bind(approved.then_some(decided_at.0))
        .bind(device_hash.to_hex())
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the device authorization is not pending".into()));
        }
        Ok(())
    }

    pub async fn consume_device(tx: &mut Transaction<'static, DB>, device_hash: &TokenHash) -> Result<(), StoreError> {
        let done = query(
            "UPDATE device_authorizations SET status = 'consumed' WHERE device_hash = $1 AND status = 'approved'",
        )
        .bind(device_hash.to_hex())
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the device authorization is not approved".into()));
        }
        Ok(())
    }
}
