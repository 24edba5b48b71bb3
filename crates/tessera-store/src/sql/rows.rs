//! Row decoding: one `FromRow` struct per kind of row the queries read (fields named as the
//! selected columns), and its conversion into the domain type. Plain code, the same for
//! every backend: sqlx decodes the primitive columns, these functions parse them.

use tessera_core::app::{App, AppKind, RateLimits};
use tessera_core::audit::{AuditAction, AuditDraft, AuditEvent};
use tessera_core::consent::Consent;
use tessera_core::device::{DeviceAuthorization, DeviceStatus};
use tessera_core::document::Document;
use tessera_core::grant::{OrgGrant, RevokedGrant};
use tessera_core::grant_code::{AuthCode, CodePurpose};
use tessera_core::ids::Role;
use tessera_core::installation::Installation;
use tessera_core::member::{Member, User};
use tessera_core::org::Org;
use tessera_core::permission::{PermissionRequest, PermissionStatus};
use tessera_core::refresh::RefreshToken;
use tessera_core::scope::{Scope, ScopeIdentity, ScopeTier};
use tessera_core::secret::SecretHash;
use tessera_core::session::Session;
use tessera_core::suite::{SuiteTicket, TicketEvent};
use tessera_core::time::UnixTime;
use tessera_core::token::{AccessToken, TokenKind};

use super::columns::{client, corp, corrupt, hash, json, scope_code, scopes, union, user_id};
use crate::{Department, StoreError, StoredUser};

#[derive(sqlx::FromRow)]
pub struct ScopeRow {
    pub code: String,
    pub description: String,
    pub tier: String,
    pub eligible_role: Option<String>,
    pub open_for_requests: bool,
    pub requires_verified_org: bool,
    pub identity: String,
}

impl TryFrom<ScopeRow> for Scope {
    type Error = StoreError;
    fn try_from(r: ScopeRow) -> Result<Self, StoreError> {
        Ok(Scope {
            code: scope_code(r.code)?,
            description: r.description,
            tier: ScopeTier::parse(&r.tier).map_err(|e| corrupt("tier", e))?,
            eligible_role: r.eligible_role.map(Role::parse).transpose().map_err(|e| corrupt("eligible_role", e))?,
            open_for_requests: r.open_for_requests,
            requires_verified_org: r.requires_verified_org,
            identity: ScopeIdentity::parse(&r.identity).map_err(|e| corrupt("identity", e))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct OrgRow {
    pub corp_id: String,
    pub name: String,
    pub verified: bool,
}

impl TryFrom<OrgRow> for Org {
    type Error = StoreError;
    fn try_from(r: OrgRow) -> Result<Self, StoreError> {
        Ok(Org { corp_id: corp(r.corp_id)?, name: r.name, verified: r.verified })
    }
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub union_id: String,
    pub name: String,
    pub password_hash: Option<String>,
}

impl TryFrom<UserRow> for StoredUser {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(StoredUser { user: User { union_id: union(r.union_id)?, name: r.name }, password_hash: r.password_hash })
    }
}

#[derive(sqlx::FromRow)]
pub struct MemberRow {
    pub corp_id: String,
    pub user_id: String,
    pub union_id: String,
    pub name: String,
    pub title: String,
    pub roles: String,
}

impl TryFrom<MemberRow> for Member {
    type Error = StoreError;
    fn try_from(r: MemberRow) -> Result<Self, StoreError> {
        Ok(Member {
            corp_id: corp(r.corp_id)?,
            user_id: user_id(r.user_id)?,
            union_id: union(r.union_id)?,
            name: r.name,
            title: r.title,
            roles: json("roles", &r.roles)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AppRow {
    pub client_id: String,
    pub name: String,
    pub kind: String,
    pub owner_corp_id: String,
    pub secret_hash: String,
    pub redirect_uris: String,
    pub public_client: bool,
    pub resource_server: bool,
    pub app_qps: Option<i64>,
    pub route_qps: Option<i64>,
}

impl TryFrom<AppRow> for App {
    type Error = StoreError;
    fn try_from(r: AppRow) -> Result<Self, StoreError> {
        Ok(App {
            client_id: client(r.client_id)?,
            name: r.name,
            kind: AppKind::parse(&r.kind).map_err(|e| corrupt("kind", e))?,
            owner_corp_id: corp(r.owner_corp_id)?,
            secret_hash: hash(&r.secret_hash)?,
            redirect_uris: json("redirect_uris", &r.redirect_uris)?,
            public_client: r.public_client,
            resource_server: r.resource_server,
            rate_limits: RateLimits { app_qps: qps("app_qps", r.app_qps)?, route_qps: qps("route_qps", r.route_qps)? },
        })
    }
}

/// A stored requests-per-second limit (NULL: none).
fn qps(column: &str, v: Option<i64>) -> Result<Option<u32>, StoreError> {
    v.map(|v| u32::try_from(v).map_err(|e| corrupt(column, e))).transpose()
}

#[derive(sqlx::FromRow)]
pub struct PermissionRow {
    pub client_id: String,
    pub scope: String,
    pub status: String,
    pub description: String,
    pub reason: Option<String>,
    pub updated_at: i64,
}

impl TryFrom<PermissionRow> for PermissionRequest {
    type Error = StoreError;
    fn try_from(r: PermissionRow) -> Result<Self, StoreError> {
        Ok(PermissionRequest {
            client_id: client(r.client_id)?,
            scope: scope_code(r.scope)?,
            status: PermissionStatus::parse(&r.status).map_err(|e| corrupt("status", e))?,
            description: r.description,
            reason: r.reason,
            updated_at: UnixTime(r.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct InstallationRow {
    pub client_id: String,
    pub corp_id: String,
    pub installed_at: i64,
}

impl TryFrom<InstallationRow> for Installation {
    type Error = StoreError;
    fn try_from(r: InstallationRow) -> Result<Self, StoreError> {
        Ok(Installation {
            client_id: client(r.client_id)?,
            corp_id: corp(r.corp_id)?,
            installed_at: UnixTime(r.installed_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct OrgGrantRow {
    pub client_id: String,
    pub corp_id: String,
    pub scope: String,
    pub granted_by: String,
    pub granted_at: i64,
}

impl TryFrom<OrgGrantRow> for OrgGrant {
    type Error = StoreError;
    fn try_from(r: OrgGrantRow) -> Result<Self, StoreError> {
        Ok(OrgGrant {
            client_id: client(r.client_id)?,
            corp_id: corp(r.corp_id)?,
            scope: scope_code(r.scope)?,
            granted_by: user_id(r.granted_by)?,
            granted_at: UnixTime(r.granted_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct RevokedGrantRow {
    #[sqlx(flatten)]
    pub grant: OrgGrantRow,
    pub revoked_by: String,
    pub revoked_at: i64,
}

impl TryFrom<RevokedGrantRow> for RevokedGrant {
    type Error = StoreError;
    fn try_from(r: RevokedGrantRow) -> Result<Self, StoreError> {
        Ok(RevokedGrant {
            grant: r.grant.try_into()?,
            revoked_by: user_id(r.revoked_by)?,
            revoked_at: UnixTime(r.revoked_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AccessTokenRow {
    pub token_hash: String,
    pub kind: String,
    pub client_id: String,
    pub corp_id: Option<String>,
    pub union_id: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
    pub scopes: String,
    pub family_id: Option<String>,
}

impl TryFrom<AccessTokenRow> for AccessToken {
    type Error = StoreError;
    fn try_from(r: AccessTokenRow) -> Result<Self, StoreError> {
        Ok(AccessToken {
            hash: hash(&r.token_hash)?,
            kind: TokenKind::parse(&r.kind).map_err(|e| corrupt("kind", e))?,
            client_id: client(r.client_id)?,
            corp_id: r.corp_id.map(corp).transpose()?,
            union_id: r.union_id.map(union).transpose()?,
            issued_at: UnixTime(r.issued_at),
            expires_at: UnixTime(r.expires_at),
            revoked: r.revoked,
            scopes: scopes(&r.scopes)?,
            family_id: r.family_id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AuditEventRow {
    pub seq: i64,
    pub at: i64,
    pub corp_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl TryFrom<AuditEventRow> for AuditEvent {
    type Error = StoreError;
    fn try_from(r: AuditEventRow) -> Result<Self, StoreError> {
        Ok(AuditEvent {
            seq: r.seq,
            at: UnixTime(r.at),
            draft: AuditDraft {
                corp_id: r.corp_id.map(corp).transpose()?,
                actor: r.actor,
                action: AuditAction::parse(&r.action).ok_or_else(|| corrupt("action", &r.action))?,
                target: r.target,
                detail: r.detail,
            },
            prev_hash: hash(&r.prev_hash)?,
            hash: hash(&r.hash)?,
        })
    }
}

/// The head of the audit hash chain.
#[derive(sqlx::FromRow)]
pub struct AuditHeadRow {
    pub last_seq: i64,
    pub last_hash: String,
}

impl TryFrom<AuditHeadRow> for (i64, SecretHash) {
    type Error = StoreError;
    fn try_from(r: AuditHeadRow) -> Result<Self, StoreError> {
        Ok((r.last_seq, hash(&r.last_hash)?))
    }
}

#[derive(sqlx::FromRow)]
pub struct ConsentRow {
    pub union_id: String,
    pub client_id: String,
    pub scopes: String,
    pub granted_at: i64,
}

impl TryFrom<ConsentRow> for Consent {
    type Error = StoreError;
    fn try_from(r: ConsentRow) -> Result<Self, StoreError> {
        Ok(Consent {
            union_id: union(r.union_id)?,
            client_id: client(r.client_id)?,
            scopes: scopes(&r.scopes)?.into_iter().collect(),
            granted_at: UnixTime(r.granted_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AuthCodeRow {
    pub code_hash: String,
    pub client_id: String,
    pub union_id: String,
    pub corp_id: Option<String>,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub family_id: String,
    pub purpose: String,
    pub nonce: Option<String>,
    pub auth_time: Option<i64>,
    pub resources: String,
}

impl TryFrom<AuthCodeRow> for AuthCode {
    type Error = StoreError;
    fn try_from(r: AuthCodeRow) -> Result<Self, StoreError> {
        Ok(AuthCode {
            hash: hash(&r.code_hash)?,
            client_id: client(r.client_id)?,
            union_id: union(r.union_id)?,
            corp_id: r.corp_id.map(corp).transpose()?,
            redirect_uri: r.redirect_uri,
            scopes: scopes(&r.scopes)?,
            code_challenge: r.code_challenge,
            expires_at: UnixTime(r.expires_at),
            family_id: r.family_id,
            purpose: CodePurpose::parse(&r.purpose).ok_or_else(|| corrupt("purpose", &r.purpose))?,
            nonce: r.nonce,
            auth_time: r.auth_time.map(UnixTime),
            resources: super::columns::json("resources", &r.resources)?,
        })
    }
}

/// An authorization code with whether it is still unused.
#[derive(sqlx::FromRow)]
pub struct AuthCodeStateRow {
    #[sqlx(flatten)]
    pub code: AuthCodeRow,
    pub unused: bool,
}

#[derive(sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub token_hash: String,
    pub family_id: String,
    pub client_id: String,
    pub union_id: String,
    pub corp_id: Option<String>,
    pub scopes: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl TryFrom<RefreshTokenRow> for RefreshToken {
    type Error = StoreError;
    fn try_from(r: RefreshTokenRow) -> Result<Self, StoreError> {
        Ok(RefreshToken {
            hash: hash(&r.token_hash)?,
            family_id: r.family_id,
            client_id: client(r.client_id)?,
            union_id: union(r.union_id)?,
            corp_id: r.corp_id.map(corp).transpose()?,
            scopes: scopes(&r.scopes)?,
            issued_at: UnixTime(r.issued_at),
            expires_at: UnixTime(r.expires_at),
        })
    }
}

/// A refresh token with whether it is still usable (unconsumed, family live).
#[derive(sqlx::FromRow)]
pub struct RefreshTokenStateRow {
    #[sqlx(flatten)]
    pub token: RefreshTokenRow,
    pub usable: bool,
}

#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub session_hash: String,
    pub union_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> Result<Self, StoreError> {
        Ok(Session {
            hash: hash(&r.session_hash)?,
            union_id: union(r.union_id)?,
            created_at: UnixTime(r.created_at),
            expires_at: UnixTime(r.expires_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct SuiteTicketRow {
    pub client_id: String,
    pub seq: i64,
    pub issued_at: i64,
    pub callback_url: Option<String>,
    pub event_format: String,
}

impl TryFrom<SuiteTicketRow> for SuiteTicket {
    type Error = StoreError;
    fn try_from(r: SuiteTicketRow) -> Result<Self, StoreError> {
        Ok(SuiteTicket {
            client_id: client(r.client_id)?,
            seq: r.seq,
            issued_at: UnixTime(r.issued_at),
            callback_url: r.callback_url,
            event: TicketEvent::parse(&r.event_format)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown ticket event format {:?}", r.event_format)))?,
        })
    }
}

/// A rotated-out secret and the time it stops working.
#[derive(sqlx::FromRow)]
pub struct PreviousSecretRow {
    pub secret_hash: String,
    pub valid_until: i64,
}

impl TryFrom<PreviousSecretRow> for (SecretHash, UnixTime) {
    type Error = StoreError;
    fn try_from(r: PreviousSecretRow) -> Result<Self, StoreError> {
        Ok((hash(&r.secret_hash)?, UnixTime(r.valid_until)))
    }
}

#[derive(sqlx::FromRow)]
pub struct DeviceRow {
    pub device_hash: String,
    pub user_code_hash: String,
    pub client_id: String,
    pub scopes: String,
    pub status: String,
    pub union_id: Option<String>,
    pub corp_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub interval_secs: i64,
    pub last_polled_at: Option<i64>,
    pub nonce: Option<String>,
    pub auth_time: Option<i64>,
}

impl TryFrom<DeviceRow> for DeviceAuthorization {
    type Error = StoreError;
    fn try_from(r: DeviceRow) -> Result<Self, StoreError> {
        Ok(DeviceAuthorization {
            device_hash: hash(&r.device_hash)?,
            user_code_hash: hash(&r.user_code_hash)?,
            client_id: client(r.client_id)?,
            scopes: scopes(&r.scopes)?,
            status: DeviceStatus::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
            union_id: r.union_id.map(union).transpose()?,
            corp_id: r.corp_id.map(corp).transpose()?,
            created_at: UnixTime(r.created_at),
            expires_at: UnixTime(r.expires_at),
            interval: r.interval_secs,
            last_polled_at: r.last_polled_at.map(UnixTime),
            nonce: r.nonce,
            auth_time: r.auth_time.map(UnixTime),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct DocumentRow {
    pub corp_id: String,
    pub doc_id: i64,
    pub title: String,
    pub body: String,
    pub readers: String,
}

impl TryFrom<DocumentRow> for Document {
    type Error = StoreError;
    fn try_from(r: DocumentRow) -> Result<Self, StoreError> {
        Ok(Document {
            corp_id: corp(r.corp_id)?,
            doc_id: r.doc_id,
            title: r.title,
            body: r.body,
            readers: json("readers", &r.readers)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct DepartmentRow {
    pub corp_id: String,
    pub dept_id: i64,
    pub name: String,
    pub parent_id: i64,
}

impl TryFrom<DepartmentRow> for Department {
    type Error = StoreError;
    fn try_from(r: DepartmentRow) -> Result<Self, StoreError> {
        Ok(Department { corp_id: corp(r.corp_id)?, dept_id: r.dept_id, name: r.name, parent_id: r.parent_id })
    }
}

/// Decodes every row of a list.
pub fn all<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}

/// Decodes a row that may be missing.
pub fn maybe<R, T: TryFrom<R, Error = StoreError>>(row: Option<R>) -> Result<Option<T>, StoreError> {
    row.map(T::try_from).transpose()
}
