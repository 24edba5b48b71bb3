//! Reads of what is handed out: access tokens, authorization codes, refresh tokens, sessions,
//! device authorizations; and the two claims, which consume a code or a refresh token exactly
//! once with one conditional `UPDATE … RETURNING`.

use sqlx::{Transaction, query, query_as};
use tessera_core::device::DeviceAuthorization;
use tessera_core::grant_code::AuthCode;
use tessera_core::refresh::{Claim, RefreshToken};
use tessera_core::secret::TokenHash;
use tessera_core::session::Session;
use tessera_core::time::UnixTime;
use tessera_core::token::AccessToken;

use super::Sql;
use super::driver::{Driver, RowsAffected};
use super::error::map_err;
use super::rows::{
    AccessTokenRow, AuthCodeRow, AuthCodeStateRow, DeviceRow, RefreshTokenRow, RefreshTokenStateRow, SessionRow, maybe,
};
use crate::{DeviceLookup, StoreError};

const AUTH_CODE_COLUMNS: &str =
    "code_hash, client_id, union_id, corp_id, redirect_uri, scopes, code_challenge, expires_at, family_id, purpose,
     nonce, auth_time, resources";
const DEVICE: &str = "SELECT device_hash, user_code_hash, client_id, scopes, status, union_id, corp_id, created_at,
     expires_at, interval_secs, last_polled_at, nonce, auth_time FROM device_authorizations";

impl<DB: Driver> Sql<'_, DB> {
    /// An access token; revoked also when its family is.
    pub async fn token(&self, hash: &TokenHash) -> Result<Option<AccessToken>, StoreError> {
        let row: Option<AccessTokenRow> = query_as(
            "SELECT t.token_hash, t.kind, t.client_id, t.corp_id, t.union_id, t.issued_at, t.expires_at,
                    t.revoked OR f.revoked_at IS NOT NULL AS revoked, t.scopes, t.family_id
             FROM access_tokens t LEFT JOIN token_families f ON f.family_id = t.family_id
             WHERE t.token_hash = $1",
        )
        .bind(hash.to_hex())
        .fetch_optional(self.pool)
        .await
        .map_err(map_err)?;
        maybe(row)
    }

    pub async fn auth_code(&self, hash: &TokenHash) -> Result<Option<(AuthCode, bool)>, StoreError> {
        let row: Option<AuthCodeStateRow> = query_as(&format!(
            "SELECT {AUTH_CODE_COLUMNS}, used_at IS NULL AS unused FROM auth_codes WHERE code_hash = $1"
        ))
        .bind(hash.to_hex())
        .fetch_optional(self.pool)
        .await
        .map_err(map_err)?;
        row.map(|r| Ok((r.code.try_into()?, r.unused))).transpose()
    }

    pub async fn claim_auth_code(&self, hash: &TokenHash, now: UnixTime) -> Result<Claim<AuthCode>, StoreError> {
        let claimed: Option<AuthCodeRow> = query_as(&format!(
            "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL RETURNING {AUTH_CODE_COLUMNS}"
        ))
        .bind(now.0)
        .bind(hash.to_hex())
        .fetch_optional(self.pool)
        .await
        .map_err(map_err)?;
        if let Some(r) = claimed {
            return Ok(Claim::Claimed(r.try_into()?));
        }
        Ok(match self.auth_code(hash).await? {
            Some((code, _)) => Claim::Replayed(code),
            None => Claim::Unknown,
        })
    }

    pub async fn refresh_token(&self, hash: &TokenHash) -> Result<Option<(RefreshToken, bool)>, StoreError> {
        let row: Option<RefreshTokenStateRow> = query_as(
            "SELECT r.token_hash, r.family_id, r.client_id, r.union_id, r.corp_id, r.scopes, r.issued_at, r.expires_at,
                    r.used_at IS NULL AND f.revoked_at IS NULL AS usable
             FROM refresh_tokens r JOIN token_families f ON f.family_id = r.family_id
             WHERE r.token_hash = $1",
        )
        .bind(hash.to_hex())
        .fetch_optional(self.pool)
        .await
        .map_err(map_err)?;
        row.map(|r| Ok((r.token.try_into()?, r.usable))).transpose()
    }

    /// Whether a refresh token was consumed, whatever its family's state (`None`: unknown).
    pub async fn refresh_token_used(&self, hash: &TokenHash) -> Result<Option<bool>, StoreError> {
        let row: Option<(bool,)> =
            query_as("SELECT used_at IS NOT NULL AS used FROM refresh_tokens WHERE token_hash = $1")
                .bind(hash.to_hex())
                .fetch_optional(self.pool)
                .await
                .map_err(map_err)?;
        Ok(row.map(|(used,)| used))
    }

    pub async fn claim_refresh_token(
        &self,
        hash: &TokenHash,
        now: UnixTime,
    ) -> Result<Claim<RefreshToken>, StoreError> {
        let claimed: Option<RefreshTokenRow> = query_as(
            "UPDATE refresh_tokens SET used_at = $1
             WHERE token_hash = $2 AND used_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM token_families f
                               WHERE f.family_id = refresh_tokens.family_id AND f.revoked_at IS NOT NULL)
             RETURNING token_hash, family_id, client_id, union_id, corp_id, scopes, issued_at, expires_at",
        )
        .bind(now.0)
        .bind(hash.to_hex())
        .fetch_optional(self.pool)
        .await
        .map_err(map_err)?;
        if let Some(r) = claimed {
            return Ok(Claim::Claimed(r.try_into()?));
        }
        Ok(match self.refresh_token(hash).await? {
            Some((token, _)) => Claim::Replayed(token),
            None => Claim::Unknown,
        })
    }

    /// [`Change::ClaimAuthCode`](tessera_core::change::Change::ClaimAuthCode) inside a commit:
    /// the same conditional update as [`Self::claim_auth_code`], a conflict when it loses.
    pub async fn claim_auth_code_in(
        tx: &mut Transaction<'static, DB>,
        hash: &TokenHash,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        let done = query("UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL")
            .bind(at.0)
            .bind(hash.to_hex())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the authorization code was used already".into()));
        }
        Ok(())
    }

    /// [`Change::ClaimRefreshToken`](tessera_core::change::Change::ClaimRefreshToken) inside a
    /// commit: the same conditional update as [`Self::claim_refresh_token`], a conflict when it
    /// loses.
    pub async fn claim_refresh_token_in(
        tx: &mut Transaction<'static, DB>,
        hash: &TokenHash,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        let done = query(
            "UPDATE refresh_tokens SET used_at = $1
             WHERE token_hash = $2 AND used_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM token_families f
                               WHERE f.family_id = refresh_tokens.family_id AND f.revoked_at IS NOT NULL)",
        )
        .bind(at.0)
        .bind(hash.to_hex())
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the refresh token was used already or its family revoked".into()));
        }
        Ok(())
    }

    pub async fn session(&self, hash: &TokenHash) -> Result<Option<Session>, StoreError> {
        let row: Option<SessionRow> =
            query_as("SELECT session_hash, union_id, created_at, expires_at FROM sessions WHERE session_hash = $1")
                .bind(hash.to_hex())
                .fetch_optional(self.pool)
                .await
                .map_err(map_err)?;
        maybe(row)
    }

    pub async fn device_authorization(&self, by: &DeviceLookup) -> Result<Option<DeviceAuthorization>, StoreError> {
        let (column, hash) = match by {
            DeviceLookup::DeviceCode(h) => ("device_hash", h),
            DeviceLookup::UserCode(h) => ("user_code_hash", h),
        };
        let row: Option<DeviceRow> = query_as(&format!("{DEVICE} WHERE {column} = $1"))
            .bind(hash.to_hex())
            .fetch_optional(self.pool)
            .await
            .map_err(map_err)?;
        maybe(row)
    }
}
