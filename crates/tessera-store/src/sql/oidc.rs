//! OpenID Connect's rows: signing keys, apps' OIDC settings, users' profile claims; their
//! reads and the changes that write them.

use sqlx::{Transaction, query, query_as};
use tessera_core::change::Change;
use tessera_core::ids::{ClientId, UnionId};
use tessera_core::oidc::{AccessTokenFormat, OidcClient, SubjectType, UserProfile};
use tessera_core::signing_key::{SigningAlg, StoredSigningKey};
use tessera_core::time::UnixTime;

use super::Sql;
use super::columns::{client, corrupt, uris_json};
use super::driver::{Driver, RowsAffected};
use super::error::map_err;
use crate::StoreError;

#[derive(sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    pub generation: i64,
    pub created_at: i64,
    pub activates_at: i64,
    pub sealed_private: String,
    pub public_jwk: String,
}

impl TryFrom<SigningKeyRow> for StoredSigningKey {
    type Error = StoreError;
    fn try_from(r: SigningKeyRow) -> Result<Self, StoreError> {
        Ok(StoredSigningKey {
            alg: SigningAlg::parse(&r.alg).ok_or_else(|| corrupt("alg", &r.alg))?,
            kid: r.kid,
            generation: r.generation,
            created_at: UnixTime(r.created_at),
            activates_at: UnixTime(r.activates_at),
            sealed_private: r.sealed_private,
            public_jwk: r.public_jwk,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct OidcClientRow {
    pub client_id: String,
    pub id_token_alg: String,
    pub subject_type: String,
    pub access_token_format: String,
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: Option<String>,
    pub resources: String,
}

impl TryFrom<OidcClientRow> for OidcClient {
    type Error = StoreError;
    fn try_from(r: OidcClientRow) -> Result<Self, StoreError> {
        Ok(OidcClient {
            client_id: client(r.client_id)?,
            id_token_alg: SigningAlg::parse(&r.id_token_alg).ok_or_else(|| corrupt("id_token_alg", &r.id_token_alg))?,
            subject_type: SubjectType::parse(&r.subject_type).map_err(|e| corrupt("subject_type", e))?,
            access_token_format: AccessTokenFormat::parse(&r.access_token_format)
                .map_err(|e| corrupt("access_token_format", e))?,
            post_logout_redirect_uris: serde_json::from_str(&r.post_logout_redirect_uris)
                .map_err(|e| corrupt("post_logout_redirect_uris", e))?,
            backchannel_logout_uri: r.backchannel_logout_uri,
            resources: serde_json::from_str(&r.resources).map_err(|e| corrupt("resources", e))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct UserProfileRow {
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
}

impl From<UserProfileRow> for UserProfile {
    fn from(r: UserProfileRow) -> Self {
        UserProfile {
            nickname: r.nickname,
            picture: r.picture,
            email: r.email,
            email_verified: r.email_verified,
            phone_number: r.phone_number,
            phone_number_verified: r.phone_number_verified,
        }
    }
}

impl<DB: Driver> Sql<'_, DB> {
    pub async fn signing_keys(&self) -> Result<Vec<StoredSigningKey>, StoreError> {
        let rows: Vec<SigningKeyRow> = query_as(
            "SELECT kid, alg, generation, created_at, activates_at, sealed_private, public_jwk
             FROM signing_keys ORDER BY alg, generation",
        )
        .fetch_all(self.pool)
        .await
        .map_err(map_err)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    pub async fn oidc_client(&self, client_id: &ClientId) -> Result<Option<OidcClient>, StoreError> {
        let row: Option<OidcClientRow> = query_as(
            "SELECT client_id, id_token_alg, subject_type, access_token_format, post_logout_redirect_uris,
                    backchannel_logout_uri, resources FROM oidc_clients WHERE client_id = $1",
        )
        .bind(client_id.as_str())
        .fetch_optional(self.pool)
        .await
        .map_err(map_err)?;
        row.map(TryInto::try_into).transpose()
    }

    pub async fn user_profile(&self, union_id: &UnionId) -> Result<Option<UserProfile>, StoreError> {
        let row: Option<UserProfileRow> = query_as(
            "SELECT nickname, picture, email, email_verified, phone_number, phone_number_verified
             FROM user_profiles WHERE union_id = $1",
        )
        .bind(union_id.as_str())
        .fetch_optional(self.pool)
        .await
        .map_err(map_err)?;
        Ok(row.map(Into::into))
    }

    /// Applies an OpenID Connect change; `false` when `change` is of another kind.
    pub async fn apply_oidc(tx: &mut Transaction<'static, DB>, change: &Change) -> Result<bool, StoreError> {
        match change {
            Change::InsertSigningKey(k) => {
                query(
                    "INSERT INTO signing_keys (kid, alg, generation, created_at, activates_at, sealed_private, public_jwk)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(k.kid.as_str())
                .bind(k.alg.as_str())
                .bind(k.generation)
                .bind(k.created_at.0)
                .bind(k.activates_at.0)
                .bind(k.sealed_private.as_str())
                .bind(k.public_jwk.as_str())
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            }
            Change::ActivateSigningKey { kid, at } => {
                let done = query("UPDATE signing_keys SET activates_at = $1 WHERE kid = $2")
                    .bind(at.0)
                    .bind(kid.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("signing key {kid}")));
                }
            }
            Change::PutOidcClient(c) => {
                query(
                    "INSERT INTO oidc_clients (client_id, id_token_alg, subject_type, access_token_format,
                                               post_logout_redirect_uris, backchannel_logout_uri, resources)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (client_id) DO UPDATE SET id_token_alg = excluded.id_token_alg,
                       subject_type = excluded.subject_type, access_token_format = excluded.access_token_format,
                       post_logout_redirect_uris = excluded.post_logout_redirect_uris,
                       backchannel_logout_uri = excluded.backchannel_logout_uri, resources = excluded.resources",
                )
                .bind(c.client_id.as_str())
                .bind(c.id_token_alg.as_str())
                .bind(c.subject_type.as_str())
                .bind(c.access_token_format.as_str())
                .bind(uris_json(&c.post_logout_redirect_uris)?)
                .bind(c.backchannel_logout_uri.as_deref())
                .bind(uris_json(&c.resources)?)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            }
            Change::PutUserProfile { union_id, profile: p } => {
                query(
                    "INSERT INTO user_profiles (union_id, nickname, picture, email, email_verified, phone_number,
                                                phone_number_verified)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (union_id) DO UPDATE SET nickname = excluded.nickname, picture = excluded.picture,
                       email = excluded.email, email_verified = excluded.email_verified,
                       phone_number = excluded.phone_number, phone_number_verified = excluded.phone_number_verified",
                )
                .bind(union_id.as_str())
                .bind(p.nickname.as_deref())
                .bind(p.picture.as_deref())
                .bind(p.email.as_deref())
                .bind(p.email_verified)
                .bind(p.phone_number.as_deref())
                .bind(p.phone_number_verified)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
