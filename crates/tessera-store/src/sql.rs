//! The SQL both relational backends share. Each backend crate owns its pool, its
//! connection options and its `migrations/`; `sql_store!` writes the `Store` impl for it.
//! Statements use `$1, $2, …` in order, which PostgreSQL and SQLite both accept, and
//! times are `BIGINT` Unix seconds in both.
//!
//! Decoding from primitive column values into domain types lives in plain functions
//! here, so the macro body stays a list of statements.

use tessera_core::app::{App, AppKind};
use tessera_core::audit::{AuditAction, AuditDraft, AuditEvent};
use tessera_core::consent::Consent;
use tessera_core::document::Document;
use tessera_core::grant::OrgGrant;
use tessera_core::grant_code::{AuthCode, CodePurpose};
use tessera_core::ids::{ClientId, CorpId, Role, ScopeCode, UnionId, UserId};
use tessera_core::installation::Installation;
use tessera_core::member::{Member, MemberRole, User};
use tessera_core::oidc::{AccessTokenFormat, OidcClient, SubjectType};
use tessera_core::permission::{PermissionRequest, PermissionStatus};
use tessera_core::refresh::RefreshToken;
use tessera_core::scope::{Scope, ScopeIdentity, ScopeTier};
use tessera_core::secret::SecretHash;
use tessera_core::session::Session;
use tessera_core::signing_key::{SigningAlg, StoredSigningKey};
use tessera_core::suite::SuiteTicket;
use tessera_core::time::UnixTime;
use tessera_core::token::{AccessToken, TokenKind};

use crate::StoreError;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub fn hash(s: &str) -> Result<SecretHash, StoreError> {
    SecretHash::from_hex(s).ok_or_else(|| corrupt("hash", "not 64 hex digits"))
}

pub fn corp(s: String) -> Result<CorpId, StoreError> {
    CorpId::parse(s).map_err(|e| corrupt("corp_id", e))
}

pub fn client(s: String) -> Result<ClientId, StoreError> {
    ClientId::parse(s).map_err(|e| corrupt("client_id", e))
}

pub fn union(s: String) -> Result<UnionId, StoreError> {
    UnionId::parse(s).map_err(|e| corrupt("union_id", e))
}

pub fn user_id(s: String) -> Result<UserId, StoreError> {
    UserId::parse(s).map_err(|e| corrupt("user_id", e))
}

pub fn scope_code(s: String) -> Result<ScopeCode, StoreError> {
    ScopeCode::parse(s).map_err(|e| corrupt("scope", e))
}

pub fn roles_json(roles: &[MemberRole]) -> Result<String, StoreError> {
    serde_json::to_string(roles).map_err(|e| corrupt("roles", e))
}

pub fn uris_json(uris: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(uris).map_err(|e| corrupt("redirect_uris", e))
}

#[allow(clippy::too_many_arguments)]
pub fn scope(
    code: String,
    description: String,
    tier: String,
    eligible_role: Option<String>,
    open_for_requests: bool,
    requires_verified_org: bool,
    identity: String,
) -> Result<Scope, StoreError> {
    Ok(Scope {
        code: scope_code(code)?,
        description,
        tier: ScopeTier::parse(&tier).map_err(|e| corrupt("tier", e))?,
        eligible_role: eligible_role.map(Role::parse).transpose().map_err(|e| corrupt("eligible_role", e))?,
        open_for_requests,
        requires_verified_org,
        identity: ScopeIdentity::parse(&identity).map_err(|e| corrupt("identity", e))?,
    })
}

pub fn user(union_id: String, name: String) -> Result<User, StoreError> {
    Ok(User { union_id: union(union_id)?, name })
}

pub fn member(
    corp_id: String,
    user: String,
    union_id: String,
    name: String,
    title: String,
    roles: String,
) -> Result<Member, StoreError> {
    Ok(Member {
        corp_id: corp(corp_id)?,
        user_id: user_id(user)?,
        union_id: union(union_id)?,
        name,
        title,
        roles: serde_json::from_str(&roles).map_err(|e| corrupt("roles", e))?,
    })
}

#[allow(clippy::too_many_arguments)]
pub fn app(
    client_id: String,
    name: String,
    kind: String,
    owner: String,
    secret_hash: String,
    redirect_uris: String,
    public_client: bool,
    resource_server: bool,
) -> Result<App, StoreError> {
    Ok(App {
        client_id: client(client_id)?,
        name,
        kind: AppKind::parse(&kind).map_err(|e| corrupt("kind", e))?,
        owner_corp_id: corp(owner)?,
        secret_hash: hash(&secret_hash)?,
        redirect_uris: serde_json::from_str(&redirect_uris).map_err(|e| corrupt("redirect_uris", e))?,
        public_client,
        resource_server,
    })
}

pub fn permission(
    client_id: String,
    scope: String,
    status: String,
    description: String,
    reason: Option<String>,
    updated_at: i64,
) -> Result<PermissionRequest, StoreError> {
    Ok(PermissionRequest {
        client_id: client(client_id)?,
        scope: scope_code(scope)?,
        status: PermissionStatus::parse(&status).map_err(|e| corrupt("status", e))?,
        description,
        reason,
        updated_at: UnixTime(updated_at),
    })
}

pub fn installation(client_id: String, corp_id: String, installed_at: i64) -> Result<Installation, StoreError> {
    Ok(Installation { client_id: client(client_id)?, corp_id: corp(corp_id)?, installed_at: UnixTime(installed_at) })
}

pub fn org_grant(
    client_id: String,
    corp_id: String,
    scope: String,
    granted_by: String,
    granted_at: i64,
) -> Result<OrgGrant, StoreError> {
    Ok(OrgGrant {
        client_id: client(client_id)?,
        corp_id: corp(corp_id)?,
        scope: scope_code(scope)?,
        granted_by: user_id(granted_by)?,
        granted_at: UnixTime(granted_at),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn token(
    token_hash: String,
    kind: String,
    client_id: String,
    corp_id: Option<String>,
    union_id: Option<String>,
    issued_at: i64,
    expires_at: i64,
    revoked: bool,
    scope_text: String,
    family_id: Option<String>,
) -> Result<AccessToken, StoreError> {
    Ok(AccessToken {
        hash: hash(&token_hash)?,
        kind: TokenKind::parse(&kind).map_err(|e| corrupt("kind", e))?,
        client_id: client(client_id)?,
        corp_id: corp_id.map(corp).transpose()?,
        union_id: union_id.map(union).transpose()?,
        issued_at: UnixTime(issued_at),
        expires_at: UnixTime(expires_at),
        revoked,
        scopes: scopes(&scope_text)?,
        family_id,
    })
}

#[allow(clippy::too_many_arguments)]
pub fn audit_event(
    seq: i64,
    at: i64,
    corp_id: Option<String>,
    actor: String,
    action: String,
    target: String,
    detail: String,
    prev_hash: String,
    hash_hex: String,
) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        seq,
        at: UnixTime(at),
        draft: AuditDraft {
            corp_id: corp_id.map(corp).transpose()?,
            actor,
            action: AuditAction::parse(&action).ok_or_else(|| corrupt("action", action.clone()))?,
            target,
            detail,
        },
        prev_hash: hash(&prev_hash)?,
        hash: hash(&hash_hex)?,
    })
}

/// Scopes as stored: codes joined by single spaces.
pub fn scopes_text(scopes: &[ScopeCode]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

pub fn scopes(text: &str) -> Result<Vec<ScopeCode>, StoreError> {
    text.split(' ').filter(|s| !s.is_empty()).map(|s| scope_code(s.to_owned())).collect()
}

pub fn consent(
    union_id: String,
    client_id: String,
    scope_text: String,
    granted_at: i64,
) -> Result<Consent, StoreError> {
    Ok(Consent {
        union_id: union(union_id)?,
        client_id: client(client_id)?,
        scopes: scopes(&scope_text)?.into_iter().collect(),
        granted_at: UnixTime(granted_at),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn auth_code(
    code_hash: String,
    client_id: String,
    union_id: String,
    corp_id: Option<String>,
    redirect_uri: String,
    scope_text: String,
    code_challenge: Option<String>,
    expires_at: i64,
    family_id: String,
    purpose: String,
) -> Result<AuthCode, StoreError> {
    Ok(AuthCode {
        hash: hash(&code_hash)?,
        client_id: client(client_id)?,
        union_id: union(union_id)?,
        corp_id: corp_id.map(corp).transpose()?,
        redirect_uri,
        scopes: scopes(&scope_text)?,
        code_challenge,
        expires_at: UnixTime(expires_at),
        family_id,
        purpose: CodePurpose::parse(&purpose).ok_or_else(|| corrupt("purpose", purpose))?,
        nonce: None,
        auth_time: None,
    })
}

/// A code with its OpenID Connect columns.
pub fn with_oidc(mut code: AuthCode, nonce: Option<String>, auth_time: Option<i64>) -> Result<AuthCode, StoreError> {
    code.nonce = nonce;
    code.auth_time = auth_time.map(UnixTime);
    Ok(code)
}

#[allow(clippy::too_many_arguments)]
pub fn oidc_client(
    client_id: String,
    id_token_alg: String,
    subject_type: String,
    access_token_format: String,
    post_logout_redirect_uris: String,
    backchannel_logout_uri: Option<String>,
    resources: String,
) -> Result<OidcClient, StoreError> {
    Ok(OidcClient {
        client_id: client(client_id)?,
        id_token_alg: SigningAlg::parse(&id_token_alg).ok_or_else(|| corrupt("id_token_alg", &id_token_alg))?,
        subject_type: SubjectType::parse(&subject_type).map_err(|e| corrupt("subject_type", e))?,
        access_token_format: AccessTokenFormat::parse(&access_token_format)
            .map_err(|e| corrupt("access_token_format", e))?,
        post_logout_redirect_uris: serde_json::from_str(&post_logout_redirect_uris)
            .map_err(|e| corrupt("post_logout_redirect_uris", e))?,
        backchannel_logout_uri,
        resources: serde_json::from_str(&resources).map_err(|e| corrupt("resources", e))?,
    })
}

pub fn signing_key(
    kid: String,
    alg: String,
    generation: i64,
    created_at: i64,
    activates_at: i64,
    sealed_private: String,
    public_jwk: String,
) -> Result<StoredSigningKey, StoreError> {
    Ok(StoredSigningKey {
        alg: SigningAlg::parse(&alg).ok_or_else(|| corrupt("alg", &alg))?,
        kid,
        generation,
        created_at: UnixTime(created_at),
        activates_at: UnixTime(activates_at),
        sealed_private,
        public_jwk,
    })
}

pub fn suite_ticket(
    client_id: String,
    seq: i64,
    issued_at: i64,
    callback_url: Option<String>,
) -> Result<SuiteTicket, StoreError> {
    Ok(SuiteTicket { client_id: client(client_id)?, seq, issued_at: UnixTime(issued_at), callback_url })
}

#[allow(clippy::too_many_arguments)]
pub fn refresh_token(
    token_hash: String,
    family_id: String,
    client_id: String,
    union_id: String,
    corp_id: Option<String>,
    scope_text: String,
    issued_at: i64,
    expires_at: i64,
) -> Result<RefreshToken, StoreError> {
    Ok(RefreshToken {
        hash: hash(&token_hash)?,
        family_id,
        client_id: client(client_id)?,
        union_id: union(union_id)?,
        corp_id: corp_id.map(corp).transpose()?,
        scopes: scopes(&scope_text)?,
        issued_at: UnixTime(issued_at),
        expires_at: UnixTime(expires_at),
    })
}

pub fn session(
    session_hash: String,
    union_id: String,
    created_at: i64,
    expires_at: i64,
) -> Result<Session, StoreError> {
    Ok(Session {
        hash: hash(&session_hash)?,
        union_id: union(union_id)?,
        created_at: UnixTime(created_at),
        expires_at: UnixTime(expires_at),
    })
}

/// The columns of a `device_authorizations` row.
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
    pub interval: i64,
    pub last_polled_at: Option<i64>,
}

pub fn device_authorization(r: DeviceRow) -> Result<tessera_core::device::DeviceAuthorization, StoreError> {
    use tessera_core::device::{DeviceAuthorization, DeviceStatus};
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
        interval: r.interval,
        last_polled_at: r.last_polled_at.map(UnixTime),
    })
}

pub fn readers_json(readers: &[UserId]) -> Result<String, StoreError> {
    serde_json::to_string(readers).map_err(|e| corrupt("readers", e))
}

pub fn document(
    corp_id: String,
    doc_id: i64,
    title: String,
    body: String,
    readers: String,
) -> Result<Document, StoreError> {
    Ok(Document {
        corp_id: corp(corp_id)?,
        doc_id,
        title,
        body,
        readers: serde_json::from_str(&readers).map_err(|e| corrupt("readers", e))?,
    })
}

/// Maps a sqlx error text to a [`StoreError`]; `unique` says whether it was a unique violation.
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

/// One kind of row the purge deletes in batches: `SELECT key FROM table f WHERE
/// alias_filter LIMIT …`, then `DELETE FROM table f WHERE key IN (…) AND recheck`
/// (`alias_filter` and `recheck` refer to the table as `f`).
#[derive(Debug, Clone, Copy)]
pub struct PurgeKind {
    pub table: &'static str,
    pub key: &'static str,
    pub alias_filter: &'static str,
    pub recheck: &'static str,
}

impl PurgeKind {
    /// Selects up to `$2` keys of rows matching `alias_filter` (with `$1`).
    pub fn select(&self) -> String {
        let PurgeKind { table, key, alias_filter, recheck } = self;
        let recheck = if recheck.is_empty() { String::new() } else { format!(" AND {recheck}") };
        format!("SELECT f.{key} FROM {table} f WHERE {alias_filter}{recheck} LIMIT $2")
    }

    /// Deletes the rows of `count` keys (`$1`…), checking `recheck` again.
    pub fn delete(&self, count: usize) -> String {
        let PurgeKind { table, key, recheck, .. } = self;
        let keys: Vec<String> = (1..=count).map(|i| format!("${i}")).collect();
        let recheck = if recheck.is_empty() { String::new() } else { format!(" AND {recheck}") };
        format!("DELETE FROM {table} AS f WHERE f.{key} IN ({}){recheck}", keys.join(", "))
    }
}

/// Whether a change can alter an authorization decision (caches on every node must drop it):
/// [`tessera_core::change::Change::invalidates`] decides.
pub fn changes_grants(change: &tessera_core::change::Change) -> bool {
    change.invalidates().is_needed()
}

/// Writes `impl Store for $store` where `$store` has a field `pool: sqlx::Pool<$db>` and
/// inherent methods `async fn listen_grant_changes(&self)` and `fn listening_ready(&self)`
/// (whether grant-change announcements are being received, where the backend has them).
/// `$notify` is a statement run in every
/// transaction that changes grants (PostgreSQL: `NOTIFY`), or `None`.
#[macro_export]
macro_rules! sql_store {
    ($store:ty, $db:ty, $notify:expr) => {
        fn map_err(e: ::sqlx::Error) -> $crate::StoreError {
            if let ::sqlx::Error::Database(d) = &e {
                if let Some(unavailable) =
                    d.code().and_then(|c| $crate::sql::sqlstate_unavailable(&c, e.to_string()))
                {
                    return unavailable;
                }
            }
            match &e {
                ::sqlx::Error::Database(d) => $crate::sql::backend_error(
                    d.is_unique_violation(),
                    d.is_foreign_key_violation(),
                    d.message().to_owned(),
                ),
                ::sqlx::Error::RowNotFound => $crate::StoreError::NotFound("row".into()),
                // The connection broke under a statement.
                ::sqlx::Error::Io(_) | ::sqlx::Error::WorkerCrashed => $crate::StoreError::Interrupted(e.to_string()),
                // No connection within the pool's acquire timeout (the database is unreachable).
                ::sqlx::Error::Tls(_) | ::sqlx::Error::PoolTimedOut | ::sqlx::Error::PoolClosed => {
                    $crate::StoreError::Unavailable(e.to_string())
                }
                other => $crate::StoreError::Backend(other.to_string()),
            }
        }

        fn get<'r, T>(row: &'r <$db as ::sqlx::Database>::Row, col: &str) -> Result<T, $crate::StoreError>
        where
            T: ::sqlx::Decode<'r, $db> + ::sqlx::Type<$db>,
        {
            use ::sqlx::Row as _;
            row.try_get::<T, _>(col).map_err(|e| $crate::StoreError::Corrupt(format!("{col}: {e}")))
        }

        /// Appends one event to the hash chain (the head row is taken first, serializing writers).
        async fn append_audit(
            tx: &mut ::sqlx::Transaction<'static, $db>,
            draft: &::tessera_core::audit::AuditDraft,
            head: &mut Option<(i64, ::tessera_core::secret::SecretHash)>,
            at: ::tessera_core::time::UnixTime,
        ) -> Result<(), $crate::StoreError> {
            use $crate::sql;
            let (last_seq, last_hash) = match head {
                Some(h) => *h,
                None => {
                    // Taking the head row first serializes writers of the chain.
                    let row = ::sqlx::query(
                        "UPDATE audit_head SET last_seq = last_seq WHERE id = 1 RETURNING last_seq, last_hash",
                    )
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(map_err)?;
                    (get::<i64>(&row, "last_seq")?, sql::hash(&get::<String>(&row, "last_hash")?)?)
                }
            };
            let ev = ::tessera_core::audit::seal(last_hash, last_seq + 1, at, draft.clone());
            ::sqlx::query(
                "INSERT INTO audit_events (seq, at, corp_id, actor, action, target, detail, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(ev.seq)
            .bind(ev.at.0)
            .bind(ev.draft.corp_id.as_ref().map(|c| c.as_str()))
            .bind(&ev.draft.actor)
            .bind(ev.draft.action.as_str())
            .bind(&ev.draft.target)
            .bind(&ev.draft.detail)
            .bind(ev.prev_hash.to_hex())
            .bind(ev.hash.to_hex())
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
            *head = Some((ev.seq, ev.hash));
            Ok(())
        }

        async fn apply_change(
            tx: &mut ::sqlx::Transaction<'static, $db>,
            change: &::tessera_core::change::Change,
            head: &mut Option<(i64, ::tessera_core::secret::SecretHash)>,
            at: ::tessera_core::time::UnixTime,
        ) -> Result<(), $crate::StoreError> {
            use ::tessera_core::change::Change;
            use $crate::sql;
            match change {
                Change::PutScope(s) => {
                    ::sqlx::query(
                        "INSERT INTO scopes (code, description, tier, eligible_role, open_for_requests, requires_verified_org, identity)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (code) DO UPDATE SET description = excluded.description, tier = excluded.tier,
                           eligible_role = excluded.eligible_role, open_for_requests = excluded.open_for_requests,
                           requires_verified_org = excluded.requires_verified_org, identity = excluded.identity",
                    )
                    .bind(s.code.as_str())
                    .bind(&s.description)
                    .bind(s.tier.as_str())
                    .bind(s.eligible_role.as_ref().map(|r| r.as_str()))
                    .bind(s.open_for_requests)
                    .bind(s.requires_verified_org)
                    .bind(s.identity.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::InsertOrg(o) => {
                    ::sqlx::query("INSERT INTO orgs (corp_id, name, verified) VALUES ($1, $2, $3)")
                        .bind(o.corp_id.as_str())
                        .bind(&o.name)
                        .bind(o.verified)
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                }
                Change::InsertUser { user, password_hash } => {
                    ::sqlx::query("INSERT INTO users (union_id, name, password_hash) VALUES ($1, $2, $3)")
                        .bind(user.union_id.as_str())
                        .bind(&user.name)
                        .bind(password_hash.as_deref())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                }
                Change::InsertMember(m) => {
                    ::sqlx::query(
                        "INSERT INTO members (corp_id, user_id, union_id, name, title, roles) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(m.corp_id.as_str())
                    .bind(m.user_id.as_str())
                    .bind(m.union_id.as_str())
                    .bind(&m.name)
                    .bind(&m.title)
                    .bind(sql::roles_json(&m.roles)?)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::InsertApp(a) => {
                    ::sqlx::query(
                        "INSERT INTO apps (client_id, name, kind, owner_corp_id, secret_hash, redirect_uris, public_client, resource_server)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(a.client_id.as_str())
                    .bind(&a.name)
                    .bind(a.kind.as_str())
                    .bind(a.owner_corp_id.as_str())
                    .bind(a.secret_hash.to_hex())
                    .bind(sql::uris_json(&a.redirect_uris)?)
                    .bind(a.public_client)
                    .bind(a.resource_server)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::PutPermission(p) => {
                    ::sqlx::query(
                        "INSERT INTO permission_requests (client_id, scope, status, description, reason, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (client_id, scope) DO UPDATE SET status = excluded.status,
                           description = excluded.description, reason = excluded.reason, updated_at = excluded.updated_at",
                    )
                    .bind(p.client_id.as_str())
                    .bind(p.scope.as_str())
                    .bind(p.status.as_str())
                    .bind(&p.description)
                    .bind(p.reason.as_deref())
                    .bind(p.updated_at.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::InsertInstallation(i) => {
                    ::sqlx::query("INSERT INTO installations (client_id, corp_id, installed_at) VALUES ($1, $2, $3)")
                        .bind(i.client_id.as_str())
                        .bind(i.corp_id.as_str())
                        .bind(i.installed_at.0)
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                }
                Change::InsertOrgGrant(g) => {
                    ::sqlx::query(
                        "INSERT INTO org_grants (client_id, corp_id, scope, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(g.client_id.as_str())
                    .bind(g.corp_id.as_str())
                    .bind(g.scope.as_str())
                    .bind(g.granted_by.as_str())
                    .bind(g.granted_at.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::RevokeOrgGrant { client_id, corp_id, scope, by } => {
                    let moved = ::sqlx::query(
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
                        return Err($crate::StoreError::NotFound(format!("grant of {scope} to {client_id} in {corp_id}")));
                    }
                    ::sqlx::query("DELETE FROM org_grants WHERE client_id = $1 AND corp_id = $2 AND scope = $3")
                        .bind(client_id.as_str())
                        .bind(corp_id.as_str())
                        .bind(scope.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                }
                Change::DeleteInstallation { client_id, corp_id, by } => {
                    ::sqlx::query(
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
                    ::sqlx::query("DELETE FROM org_grants WHERE client_id = $1 AND corp_id = $2")
                        .bind(client_id.as_str())
                        .bind(corp_id.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    let gone = ::sqlx::query("DELETE FROM installations WHERE client_id = $1 AND corp_id = $2")
                        .bind(client_id.as_str())
                        .bind(corp_id.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    if gone.rows_affected() == 0 {
                        return Err($crate::StoreError::NotFound(format!("installation of {client_id} in {corp_id}")));
                    }
                }
                Change::InsertToken(t) => {
                    ::sqlx::query(
                        "INSERT INTO access_tokens (token_hash, kind, client_id, corp_id, union_id, issued_at, expires_at, revoked, scopes, family_id)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(t.hash.to_hex())
                    .bind(t.kind.as_str())
                    .bind(t.client_id.as_str())
                    .bind(t.corp_id.as_ref().map(|c| c.as_str()))
                    .bind(t.union_id.as_ref().map(|u| u.as_str()))
                    .bind(t.issued_at.0)
                    .bind(t.expires_at.0)
                    .bind(t.revoked)
                    .bind(sql::scopes_text(&t.scopes))
                    .bind(t.family_id.as_deref())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::PutConsent(c) => {
                    let scopes: Vec<_> = c.scopes.iter().cloned().collect();
                    ::sqlx::query(
                        "INSERT INTO consents (union_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (union_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at",
                    )
                    .bind(c.union_id.as_str())
                    .bind(c.client_id.as_str())
                    .bind(sql::scopes_text(&scopes))
                    .bind(c.granted_at.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::DeleteConsent { union_id, client_id } => {
                    ::sqlx::query("DELETE FROM consents WHERE union_id = $1 AND client_id = $2")
                        .bind(union_id.as_str())
                        .bind(client_id.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                }
                Change::InsertSigningKey(k) => {
                    ::sqlx::query(
                        "INSERT INTO signing_keys (kid, alg, generation, created_at, activates_at, sealed_private, public_jwk)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&k.kid)
                    .bind(k.alg.as_str())
                    .bind(k.generation)
                    .bind(k.created_at.0)
                    .bind(k.activates_at.0)
                    .bind(&k.sealed_private)
                    .bind(&k.public_jwk)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::PutOidcClient(c) => {
                    ::sqlx::query(
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
                    .bind($crate::sql::uris_json(&c.post_logout_redirect_uris)?)
                    .bind(c.backchannel_logout_uri.as_deref())
                    .bind($crate::sql::uris_json(&c.resources)?)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::PutUserProfile { union_id, profile: p } => {
                    ::sqlx::query(
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
                Change::ActivateSigningKey { kid, at } => {
                    let done = ::sqlx::query("UPDATE signing_keys SET activates_at = $1 WHERE kid = $2")
                        .bind(at.0)
                        .bind(kid)
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err($crate::StoreError::NotFound(format!("signing key {kid}")));
                    }
                }
                Change::InsertAuthCode(c) => {
                    ::sqlx::query(
                        "INSERT INTO auth_codes (code_hash, client_id, union_id, corp_id, redirect_uri, scopes, code_challenge, expires_at, family_id, purpose, nonce, auth_time)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    )
                    .bind(c.hash.to_hex())
                    .bind(c.client_id.as_str())
                    .bind(c.union_id.as_str())
                    .bind(c.corp_id.as_ref().map(|c| c.as_str()))
                    .bind(&c.redirect_uri)
                    .bind(sql::scopes_text(&c.scopes))
                    .bind(c.code_challenge.as_deref())
                    .bind(c.expires_at.0)
                    .bind(&c.family_id)
                    .bind(c.purpose.as_str())
                    .bind(c.nonce.as_deref())
                    .bind(c.auth_time.map(|t| t.0))
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::InsertFamily { family_id, client_id, union_id } => {
                    ::sqlx::query(
                        "INSERT INTO token_families (family_id, client_id, union_id, created_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(family_id)
                    .bind(client_id.as_str())
                    .bind(union_id.as_str())
                    .bind(at.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::InsertRefreshToken(r) => {
                    ::sqlx::query(
                        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, union_id, corp_id, scopes, issued_at, expires_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(r.hash.to_hex())
                    .bind(&r.family_id)
                    .bind(r.client_id.as_str())
                    .bind(r.union_id.as_str())
                    .bind(r.corp_id.as_ref().map(|c| c.as_str()))
                    .bind(sql::scopes_text(&r.scopes))
                    .bind(r.issued_at.0)
                    .bind(r.expires_at.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::RevokeFamily { family_id } => {
                    ::sqlx::query("UPDATE token_families SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
                        .bind(at.0)
                        .bind(family_id)
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                }
                Change::RevokeUserTokens { union_id, client_id } => {
                    ::sqlx::query(
                        "UPDATE token_families SET revoked_at = $1 WHERE union_id = $2 AND client_id = $3 AND revoked_at IS NULL",
                    )
                    .bind(at.0)
                    .bind(union_id.as_str())
                    .bind(client_id.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                    // Codes not yet exchanged die too: they would start new families.
                    ::sqlx::query("DELETE FROM auth_codes WHERE union_id = $1 AND client_id = $2 AND used_at IS NULL")
                        .bind(union_id.as_str())
                        .bind(client_id.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                }
                Change::RevokeToken { hash } => {
                    ::sqlx::query("UPDATE access_tokens SET revoked = $1 WHERE token_hash = $2")
                        .bind(true)
                        .bind(hash.to_hex())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                }
                Change::InsertSession(s) => {
                    ::sqlx::query(
                        "INSERT INTO sessions (session_hash, union_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(s.hash.to_hex())
                    .bind(s.union_id.as_str())
                    .bind(s.created_at.0)
                    .bind(s.expires_at.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::DeleteSession { hash } => {
                    ::sqlx::query("DELETE FROM sessions WHERE session_hash = $1")
                        .bind(hash.to_hex())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                }
                Change::InsertDocument(d) => {
                    let readers: Vec<_> = d.readers.iter().cloned().collect();
                    ::sqlx::query(
                        "INSERT INTO documents (corp_id, doc_id, title, body, readers) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(d.corp_id.as_str())
                    .bind(d.doc_id)
                    .bind(&d.title)
                    .bind(&d.body)
                    .bind(sql::readers_json(&readers)?)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::SetDocumentReaders { corp_id, doc_id, readers } => {
                    let done = ::sqlx::query("UPDATE documents SET readers = $1 WHERE corp_id = $2 AND doc_id = $3")
                        .bind(sql::readers_json(readers)?)
                        .bind(corp_id.as_str())
                        .bind(*doc_id)
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err($crate::StoreError::NotFound(format!("document {doc_id}")));
                    }
                }
                Change::RotateSecret { client_id, secret_hash, previous_valid_until } => {
                    if previous_valid_until.0 > at.0 {
                        ::sqlx::query(
                            "INSERT INTO previous_secrets (client_id, secret_hash, valid_until)
                             SELECT client_id, secret_hash, $2 FROM apps WHERE client_id = $1",
                        )
                        .bind(client_id.as_str())
                        .bind(previous_valid_until.0)
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                        // Tokens handed out under the old secret end with its overlap.
                        ::sqlx::query(
                            "UPDATE access_tokens SET expires_at = $2
                             WHERE client_id = $1 AND kind <> 'user' AND expires_at > $2",
                        )
                        .bind(client_id.as_str())
                        .bind(previous_valid_until.0)
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    } else {
                        // No overlap: every secret the app had stops working now, and so does
                        // every app, corp and suite token handed out under them.
                        ::sqlx::query("DELETE FROM previous_secrets WHERE client_id = $1")
                            .bind(client_id.as_str())
                            .execute(&mut **tx)
                            .await
                            .map_err(map_err)?;
                        ::sqlx::query(
                            "UPDATE access_tokens SET revoked = $2
                             WHERE client_id = $1 AND kind <> 'user' AND revoked = $3",
                        )
                        .bind(client_id.as_str())
                        .bind(true)
                        .bind(false)
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    }
                    let done = ::sqlx::query("UPDATE apps SET secret_hash = $1 WHERE client_id = $2")
                        .bind(secret_hash.to_hex())
                        .bind(client_id.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err($crate::StoreError::NotFound(format!("app {client_id}")));
                    }
                }
                Change::SetResourceServer { client_id, resource_server } => {
                    let done = ::sqlx::query("UPDATE apps SET resource_server = $1 WHERE client_id = $2")
                        .bind(*resource_server)
                        .bind(client_id.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err($crate::StoreError::NotFound(format!("app {client_id}")));
                    }
                }
                Change::SetRedirectUris { client_id, redirect_uris } => {
                    let done = ::sqlx::query("UPDATE apps SET redirect_uris = $1 WHERE client_id = $2")
                        .bind(sql::uris_json(redirect_uris)?)
                        .bind(client_id.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err($crate::StoreError::NotFound(format!("app {client_id}")));
                    }
                    // Users consented to the app as it sent them back to the old URIs: ask again.
                    ::sqlx::query("DELETE FROM consents WHERE client_id = $1")
                        .bind(client_id.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                }
                Change::RevokeFamilyOnce { family_id, audit } => {
                    let first = ::sqlx::query(
                        "UPDATE token_families SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
                    )
                    .bind(at.0)
                    .bind(family_id)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?
                    .rows_affected()
                        > 0;
                    if first {
                        append_audit(tx, audit, head, at).await?;
                    } else {
                        ::sqlx::query(
                            "UPDATE token_families SET reuse_attempts = reuse_attempts + 1 WHERE family_id = $1",
                        )
                        .bind(family_id)
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    }
                }
                Change::Audit(draft) => append_audit(tx, draft, head, at).await?,
                Change::AdvanceSuiteTicket { client_id, from_seq } => {
                    ::sqlx::query("INSERT INTO suite_tickets (client_id) VALUES ($1) ON CONFLICT (client_id) DO NOTHING")
                        .bind(client_id.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(map_err)?;
                    let done = ::sqlx::query(
                        "UPDATE suite_tickets SET seq = seq + 1, issued_at = $1 WHERE client_id = $2 AND seq = $3",
                    )
                    .bind(at.0)
                    .bind(client_id.as_str())
                    .bind(*from_seq)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err($crate::StoreError::Conflict(format!(
                            "suite ticket of {client_id} is no longer number {from_seq}"
                        )));
                    }
                }
                Change::SetTicketCallback { client_id, url } => {
                    ::sqlx::query(
                        "INSERT INTO suite_tickets (client_id, callback_url) VALUES ($1, $2)
                         ON CONFLICT (client_id) DO UPDATE SET callback_url = excluded.callback_url",
                    )
                    .bind(client_id.as_str())
                    .bind(url.as_deref())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::InsertDeviceAuthorization(d) => {
                    ::sqlx::query(
                        "INSERT INTO device_authorizations (device_hash, user_code_hash, client_id, scopes, status, union_id,
                           corp_id, created_at, expires_at, interval_secs, last_polled_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(d.device_hash.to_hex())
                    .bind(d.user_code_hash.to_hex())
                    .bind(d.client_id.as_str())
                    .bind(sql::scopes_text(&d.scopes))
                    .bind(d.status.as_str())
                    .bind(d.union_id.as_ref().map(|u| u.as_str()))
                    .bind(d.corp_id.as_ref().map(|c| c.as_str()))
                    .bind(d.created_at.0)
                    .bind(d.expires_at.0)
                    .bind(d.interval)
                    .bind(d.last_polled_at.map(|t| t.0))
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::DevicePolled { device_hash, polled_at, interval } => {
                    ::sqlx::query(
                        "UPDATE device_authorizations SET last_polled_at = $1, interval_secs = $2 WHERE device_hash = $3",
                    )
                    .bind(polled_at.0)
                    .bind(*interval)
                    .bind(device_hash.to_hex())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Change::DecideDevice { device_hash, approved, union_id, corp_id } => {
                    let status = if *approved {
                        ::tessera_core::device::DeviceStatus::Approved
                    } else {
                        ::tessera_core::device::DeviceStatus::Denied
                    };
                    let done = ::sqlx::query(
                        "UPDATE device_authorizations SET status = $1, union_id = $2, corp_id = $3
                         WHERE device_hash = $4 AND status = 'pending'",
                    )
                    .bind(status.as_str())
                    .bind(union_id.as_str())
                    .bind(corp_id.as_ref().map(|c| c.as_str()))
                    .bind(device_hash.to_hex())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err($crate::StoreError::Conflict("the device authorization is not pending".into()));
                    }
                }
                Change::ConsumeDevice { device_hash } => {
                    let done = ::sqlx::query(
                        "UPDATE device_authorizations SET status = 'consumed' WHERE device_hash = $1 AND status = 'approved'",
                    )
                    .bind(device_hash.to_hex())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        return Err($crate::StoreError::Conflict("the device authorization is not approved".into()));
                    }
                }
            }
            Ok(())
        }

        /// The member found by `sql`, a members query binding the corp id and one more value.
        async fn one_member(
            pool: &::sqlx::Pool<$db>,
            sql: &'static str,
            corp: &str,
            value: &str,
        ) -> Result<Option<::tessera_core::member::Member>, $crate::StoreError> {
            let row = ::sqlx::query(sql)
                .bind(corp)
                .bind(value)
                .fetch_optional(pool)
                .await
                .map_err(map_err)?;
            row.map(|r| {
                decode_member(&r)
            })
            .transpose()
        }

        fn decode_member(
            r: &<$db as ::sqlx::Database>::Row,
        ) -> Result<::tessera_core::member::Member, $crate::StoreError> {
            $crate::sql::member(
                get(r, "corp_id")?,
                get(r, "user_id")?,
                get(r, "union_id")?,
                get(r, "name")?,
                get(r, "title")?,
                get(r, "roles")?,
            )
        }

        fn decode_app(
            r: &<$db as ::sqlx::Database>::Row,
        ) -> Result<::tessera_core::app::App, $crate::StoreError> {
            $crate::sql::app(
                get(r, "client_id")?,
                get(r, "name")?,
                get(r, "kind")?,
                get(r, "owner_corp_id")?,
                get(r, "secret_hash")?,
                get(r, "redirect_uris")?,
                get(r, "public_client")?,
                get(r, "resource_server")?,
            )
        }

        fn decode_permission(
            r: &<$db as ::sqlx::Database>::Row,
        ) -> Result<::tessera_core::permission::PermissionRequest, $crate::StoreError> {
            $crate::sql::permission(
                get(r, "client_id")?,
                get(r, "scope")?,
                get(r, "status")?,
                get(r, "description")?,
                get(r, "reason")?,
                get(r, "updated_at")?,
            )
        }

        fn decode_refresh(
            r: &<$db as ::sqlx::Database>::Row,
        ) -> Result<::tessera_core::refresh::RefreshToken, $crate::StoreError> {
            $crate::sql::refresh_token(
                get(r, "token_hash")?,
                get(r, "family_id")?,
                get(r, "client_id")?,
                get(r, "union_id")?,
                get(r, "corp_id")?,
                get(r, "scopes")?,
                get(r, "issued_at")?,
                get(r, "expires_at")?,
            )
        }

        #[::async_trait::async_trait]
        impl $crate::Store for $store {
            async fn commit(
                &self,
                changes: &[::tessera_core::change::Change],
                at: ::tessera_core::time::UnixTime,
            ) -> Result<(), $crate::StoreError> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                let mut head = None;
                for change in changes {
                    apply_change(&mut tx, change, &mut head, at).await?;
                }
                let notify: Option<&'static str> = $notify;
                if let Some(sql) = notify
                    && changes.iter().any($crate::sql::changes_grants)
                {
                    ::sqlx::query(sql).execute(&mut *tx).await.map_err(map_err)?;
                }
                if let Some((seq, hash)) = head {
                    ::sqlx::query("UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
                        .bind(seq)
                        .bind(hash.to_hex())
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                }
                tx.commit().await.map_err(map_err)
            }

            async fn scopes(&self) -> Result<Vec<::tessera_core::scope::Scope>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT code, description, tier, eligible_role, open_for_requests, requires_verified_org, identity FROM scopes ORDER BY code",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        $crate::sql::scope(
                            get(r, "code")?,
                            get(r, "description")?,
                            get(r, "tier")?,
                            get(r, "eligible_role")?,
                            get(r, "open_for_requests")?,
                            get(r, "requires_verified_org")?,
                            get(r, "identity")?,
                        )
                    })
                    .collect()
            }

            async fn org(
                &self,
                corp_id: &::tessera_core::ids::CorpId,
            ) -> Result<Option<::tessera_core::org::Org>, $crate::StoreError> {
                let row = ::sqlx::query("SELECT corp_id, name, verified FROM orgs WHERE corp_id = $1")
                    .bind(corp_id.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.map(|r| {
                    Ok(::tessera_core::org::Org {
                        corp_id: $crate::sql::corp(get(&r, "corp_id")?)?,
                        name: get(&r, "name")?,
                        verified: get(&r, "verified")?,
                    })
                })
                .transpose()
            }

            async fn user(
                &self,
                union_id: &::tessera_core::ids::UnionId,
            ) -> Result<Option<$crate::StoredUser>, $crate::StoreError> {
                let row = ::sqlx::query("SELECT union_id, name, password_hash FROM users WHERE union_id = $1")
                    .bind(union_id.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.map(|r| {
                    Ok($crate::StoredUser {
                        user: $crate::sql::user(get(&r, "union_id")?, get(&r, "name")?)?,
                        password_hash: get(&r, "password_hash")?,
                    })
                })
                .transpose()
            }

            async fn member(
                &self,
                corp_id: &::tessera_core::ids::CorpId,
                user_id: &::tessera_core::ids::UserId,
            ) -> Result<Option<::tessera_core::member::Member>, $crate::StoreError> {
                one_member(
                    &self.pool,
                    "SELECT corp_id, user_id, union_id, name, title, roles FROM members WHERE corp_id = $1 AND user_id = $2",
                    corp_id.as_str(),
                    user_id.as_str(),
                ).await
            }

            async fn member_by_union(
                &self,
                corp_id: &::tessera_core::ids::CorpId,
                union_id: &::tessera_core::ids::UnionId,
            ) -> Result<Option<::tessera_core::member::Member>, $crate::StoreError> {
                one_member(
                    &self.pool,
                    "SELECT corp_id, user_id, union_id, name, title, roles FROM members WHERE corp_id = $1 AND union_id = $2",
                    corp_id.as_str(),
                    union_id.as_str(),
                ).await
            }

            async fn app(
                &self,
                client_id: &::tessera_core::ids::ClientId,
            ) -> Result<Option<::tessera_core::app::App>, $crate::StoreError> {
                let row = ::sqlx::query(
                    "SELECT client_id, name, kind, owner_corp_id, secret_hash, redirect_uris, public_client, resource_server FROM apps WHERE client_id = $1",
                )
                .bind(client_id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.as_ref().map(decode_app).transpose()
            }

            async fn permissions(
                &self,
                client_id: &::tessera_core::ids::ClientId,
            ) -> Result<Vec<::tessera_core::permission::PermissionRequest>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT client_id, scope, status, description, reason, updated_at FROM permission_requests WHERE client_id = $1 ORDER BY scope",
                )
                .bind(client_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        decode_permission(r)
                    })
                    .collect()
            }

            async fn installations(
                &self,
                client_id: &::tessera_core::ids::ClientId,
            ) -> Result<Vec<::tessera_core::installation::Installation>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT client_id, corp_id, installed_at FROM installations WHERE client_id = $1 ORDER BY corp_id",
                )
                .bind(client_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| $crate::sql::installation(get(r, "client_id")?, get(r, "corp_id")?, get(r, "installed_at")?))
                    .collect()
            }

            async fn org_grants(
                &self,
                client_id: &::tessera_core::ids::ClientId,
                corp_id: &::tessera_core::ids::CorpId,
            ) -> Result<Vec<::tessera_core::grant::OrgGrant>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT client_id, corp_id, scope, granted_by, granted_at FROM org_grants WHERE client_id = $1 AND corp_id = $2 ORDER BY scope",
                )
                .bind(client_id.as_str())
                .bind(corp_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        $crate::sql::org_grant(
                            get(r, "client_id")?,
                            get(r, "corp_id")?,
                            get(r, "scope")?,
                            get(r, "granted_by")?,
                            get(r, "granted_at")?,
                        )
                    })
                    .collect()
            }

            async fn token(
                &self,
                hash: &::tessera_core::secret::TokenHash,
            ) -> Result<Option<::tessera_core::token::AccessToken>, $crate::StoreError> {
                let row = ::sqlx::query(
                    "SELECT t.token_hash, t.kind, t.client_id, t.corp_id, t.union_id, t.issued_at, t.expires_at,
                            t.revoked OR f.revoked_at IS NOT NULL AS revoked, t.scopes, t.family_id
                     FROM access_tokens t LEFT JOIN token_families f ON f.family_id = t.family_id
                     WHERE t.token_hash = $1",
                )
                .bind(hash.to_hex())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.map(|r| {
                    $crate::sql::token(
                        get(&r, "token_hash")?,
                        get(&r, "kind")?,
                        get(&r, "client_id")?,
                        get(&r, "corp_id")?,
                        get(&r, "union_id")?,
                        get(&r, "issued_at")?,
                        get(&r, "expires_at")?,
                        get(&r, "revoked")?,
                        get(&r, "scopes")?,
                        get(&r, "family_id")?,
                    )
                })
                .transpose()
            }

            async fn audit_events(
                &self,
                filter: &$crate::AuditFilter,
            ) -> Result<Vec<::tessera_core::audit::AuditEvent>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT seq, at, corp_id, actor, action, target, detail, prev_hash, hash FROM audit_events
                     WHERE seq > $1 AND ($2 IS NULL OR corp_id = $2) AND ($3 IS NULL OR action = $3)
                       AND ($4 IS NULL OR target = $4 OR substr(target, 1, length($4) + 1) = $4 || ' ')
                       AND ($5 IS NULL OR actor = $5) AND ($6 IS NULL OR at >= $6) AND ($7 IS NULL OR at < $7)
                     ORDER BY seq LIMIT $8",
                )
                .bind(filter.after_seq)
                .bind(filter.corp_id.as_ref().map(|c| c.as_str()))
                .bind(filter.action.map(|a| a.as_str()))
                .bind(filter.client_id.as_ref().map(|c| format!("app:{c}")))
                .bind(filter.actor.as_deref())
                .bind(filter.since.map(|t| t.0))
                .bind(filter.until.map(|t| t.0))
                .bind(filter.limit)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        $crate::sql::audit_event(
                            get(r, "seq")?,
                            get(r, "at")?,
                            get(r, "corp_id")?,
                            get(r, "actor")?,
                            get(r, "action")?,
                            get(r, "target")?,
                            get(r, "detail")?,
                            get(r, "prev_hash")?,
                            get(r, "hash")?,
                        )
                    })
                    .collect()
            }

            async fn memberships_of(
                &self,
                union_id: &::tessera_core::ids::UnionId,
            ) -> Result<Vec<::tessera_core::member::Member>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT corp_id, user_id, union_id, name, title, roles FROM members WHERE union_id = $1 ORDER BY corp_id",
                )
                .bind(union_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        decode_member(r)
                    })
                    .collect()
            }

            async fn consent(
                &self,
                union_id: &::tessera_core::ids::UnionId,
                client_id: &::tessera_core::ids::ClientId,
            ) -> Result<Option<::tessera_core::consent::Consent>, $crate::StoreError> {
                let row = ::sqlx::query(
                    "SELECT union_id, client_id, scopes, granted_at FROM consents WHERE union_id = $1 AND client_id = $2",
                )
                .bind(union_id.as_str())
                .bind(client_id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.map(|r| {
                    $crate::sql::consent(get(&r, "union_id")?, get(&r, "client_id")?, get(&r, "scopes")?, get(&r, "granted_at")?)
                })
                .transpose()
            }

            async fn consents_of(
                &self,
                union_id: &::tessera_core::ids::UnionId,
            ) -> Result<Vec<::tessera_core::consent::Consent>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT union_id, client_id, scopes, granted_at FROM consents WHERE union_id = $1 ORDER BY client_id",
                )
                .bind(union_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        $crate::sql::consent(get(r, "union_id")?, get(r, "client_id")?, get(r, "scopes")?, get(r, "granted_at")?)
                    })
                    .collect()
            }

            async fn claim_auth_code(
                &self,
                hash: &::tessera_core::secret::TokenHash,
                now: ::tessera_core::time::UnixTime,
            ) -> Result<::tessera_core::refresh::Claim<::tessera_core::grant_code::AuthCode>, $crate::StoreError> {
                use ::tessera_core::refresh::Claim;
                let decode = |r: &<$db as ::sqlx::Database>::Row| {
                    $crate::sql::auth_code(
                        get(r, "code_hash")?,
                        get(r, "client_id")?,
                        get(r, "union_id")?,
                        get(r, "corp_id")?,
                        get(r, "redirect_uri")?,
                        get(r, "scopes")?,
                        get(r, "code_challenge")?,
                        get(r, "expires_at")?,
                        get(r, "family_id")?,
                        get(r, "purpose")?,
                    )
                    .and_then(|c| $crate::sql::with_oidc(c, get(r, "nonce")?, get(r, "auth_time")?))
                };
                let claimed = ::sqlx::query(
                    "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL
                     RETURNING code_hash, client_id, union_id, corp_id, redirect_uri, scopes, code_challenge, expires_at, family_id, purpose,
                               nonce, auth_time",
                )
                .bind(now.0)
                .bind(hash.to_hex())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                if let Some(r) = claimed {
                    return Ok(Claim::Claimed(decode(&r)?));
                }
                Ok(match self.auth_code(hash).await? {
                    Some((code, _)) => Claim::Replayed(code),
                    None => Claim::Unknown,
                })
            }

            async fn auth_code(
                &self,
                hash: &::tessera_core::secret::TokenHash,
            ) -> Result<Option<(::tessera_core::grant_code::AuthCode, bool)>, $crate::StoreError> {
                let row = ::sqlx::query(
                    "SELECT code_hash, client_id, union_id, corp_id, redirect_uri, scopes, code_challenge, expires_at, family_id, purpose,
                            nonce, auth_time, used_at IS NULL AS unused
                     FROM auth_codes WHERE code_hash = $1",
                )
                .bind(hash.to_hex())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.map(|r| {
                    let code = $crate::sql::auth_code(
                        get(&r, "code_hash")?,
                        get(&r, "client_id")?,
                        get(&r, "union_id")?,
                        get(&r, "corp_id")?,
                        get(&r, "redirect_uri")?,
                        get(&r, "scopes")?,
                        get(&r, "code_challenge")?,
                        get(&r, "expires_at")?,
                        get(&r, "family_id")?,
                        get(&r, "purpose")?,
                    )
                    .and_then(|c| $crate::sql::with_oidc(c, get(&r, "nonce")?, get(&r, "auth_time")?))?;
                    Ok((code, get::<bool>(&r, "unused")?))
                })
                .transpose()
            }

            async fn claim_refresh_token(
                &self,
                hash: &::tessera_core::secret::TokenHash,
                now: ::tessera_core::time::UnixTime,
            ) -> Result<::tessera_core::refresh::Claim<::tessera_core::refresh::RefreshToken>, $crate::StoreError> {
                use ::tessera_core::refresh::Claim;
                let claimed = ::sqlx::query(
                    "UPDATE refresh_tokens SET used_at = $1
                     WHERE token_hash = $2 AND used_at IS NULL
                       AND NOT EXISTS (SELECT 1 FROM token_families f
                                       WHERE f.family_id = refresh_tokens.family_id AND f.revoked_at IS NOT NULL)
                     RETURNING token_hash, family_id, client_id, union_id, corp_id, scopes, issued_at, expires_at",
                )
                .bind(now.0)
                .bind(hash.to_hex())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                if let Some(r) = claimed {
                    return Ok(Claim::Claimed(decode_refresh(&r)?));
                }
                Ok(match self.refresh_token(hash).await? {
                    Some((token, _)) => Claim::Replayed(token),
                    None => Claim::Unknown,
                })
            }

            async fn refresh_token(
                &self,
                hash: &::tessera_core::secret::TokenHash,
            ) -> Result<Option<(::tessera_core::refresh::RefreshToken, bool)>, $crate::StoreError> {
                let row = ::sqlx::query(
                    "SELECT r.token_hash, r.family_id, r.client_id, r.union_id, r.corp_id, r.scopes, r.issued_at, r.expires_at,
                            r.used_at IS NULL AND f.revoked_at IS NULL AS usable
                     FROM refresh_tokens r JOIN token_families f ON f.family_id = r.family_id
                     WHERE r.token_hash = $1",
                )
                .bind(hash.to_hex())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.map(|r| Ok((decode_refresh(&r)?, get::<bool>(&r, "usable")?))).transpose()
            }

            async fn session(
                &self,
                hash: &::tessera_core::secret::TokenHash,
            ) -> Result<Option<::tessera_core::session::Session>, $crate::StoreError> {
                let row = ::sqlx::query(
                    "SELECT session_hash, union_id, created_at, expires_at FROM sessions WHERE session_hash = $1",
                )
                .bind(hash.to_hex())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.map(|r| {
                    $crate::sql::session(get(&r, "session_hash")?, get(&r, "union_id")?, get(&r, "created_at")?, get(&r, "expires_at")?)
                })
                .transpose()
            }

            async fn documents(
                &self,
                corp_id: &::tessera_core::ids::CorpId,
            ) -> Result<Vec<::tessera_core::document::Document>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT corp_id, doc_id, title, body, readers FROM documents WHERE corp_id = $1 ORDER BY doc_id",
                )
                .bind(corp_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        $crate::sql::document(get(r, "corp_id")?, get(r, "doc_id")?, get(r, "title")?, get(r, "body")?, get(r, "readers")?)
                    })
                    .collect()
            }

            async fn pending_requests(
                &self,
            ) -> Result<Vec<::tessera_core::permission::PermissionRequest>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT client_id, scope, status, description, reason, updated_at FROM permission_requests
                     WHERE status = $1 ORDER BY updated_at, client_id, scope",
                )
                .bind(::tessera_core::permission::PermissionStatus::PendingReview.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        decode_permission(r)
                    })
                    .collect()
            }

            async fn revoked_grants(
                &self,
                client_id: &::tessera_core::ids::ClientId,
                corp_id: &::tessera_core::ids::CorpId,
            ) -> Result<Vec<::tessera_core::grant::RevokedGrant>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT client_id, corp_id, scope, granted_by, granted_at, revoked_by, revoked_at FROM revoked_grants
                     WHERE client_id = $1 AND corp_id = $2 ORDER BY revoked_at",
                )
                .bind(client_id.as_str())
                .bind(corp_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok(::tessera_core::grant::RevokedGrant {
                            grant: $crate::sql::org_grant(
                                get(r, "client_id")?,
                                get(r, "corp_id")?,
                                get(r, "scope")?,
                                get(r, "granted_by")?,
                                get(r, "granted_at")?,
                            )?,
                            revoked_by: $crate::sql::user_id(get(r, "revoked_by")?)?,
                            revoked_at: ::tessera_core::time::UnixTime(get(r, "revoked_at")?),
                        })
                    })
                    .collect()
            }

            async fn members_of(
                &self,
                corp_id: &::tessera_core::ids::CorpId,
            ) -> Result<Vec<::tessera_core::member::Member>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT corp_id, user_id, union_id, name, title, roles FROM members WHERE corp_id = $1 ORDER BY user_id",
                )
                .bind(corp_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        decode_member(r)
                    })
                    .collect()
            }

            async fn installations_in(
                &self,
                corp_id: &::tessera_core::ids::CorpId,
            ) -> Result<Vec<::tessera_core::installation::Installation>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT client_id, corp_id, installed_at FROM installations WHERE corp_id = $1 ORDER BY client_id",
                )
                .bind(corp_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| $crate::sql::installation(get(r, "client_id")?, get(r, "corp_id")?, get(r, "installed_at")?))
                    .collect()
            }

            async fn grant_changes(
                &self,
            ) -> Result<Option<::tokio::sync::mpsc::Receiver<()>>, $crate::StoreError> {
                self.listen_grant_changes().await
            }

            async fn ready(&self) -> Result<(), $crate::StoreError> {
                ::sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_err)?;
                self.listening_ready()
            }

            async fn purge_expired(
                &self,
                now: ::tessera_core::time::UnixTime,
                codes_before: ::tessera_core::time::UnixTime,
            ) -> Result<$crate::Purged, $crate::StoreError> {
                // Each batch selects at most PURGE_BATCH keys by the expiry index, then deletes
                // them by primary key in one short statement (its own transaction).
                const FAMILY_EMPTY: &str = "NOT EXISTS (SELECT 1 FROM access_tokens t WHERE t.family_id = f.family_id)
                    AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = f.family_id)
                    AND NOT EXISTS (SELECT 1 FROM auth_codes c WHERE c.family_id = f.family_id)";
                let pool = &self.pool;
                let batches = |kind: $crate::sql::PurgeKind, before: i64| async move {
                    let mut deleted = 0u64;
                    for _ in 0..$crate::PURGE_MAX_BATCHES {
                        let keys: Vec<String> = ::sqlx::query_scalar(&kind.select())
                            .bind(before)
                            .bind($crate::PURGE_BATCH)
                            .fetch_all(pool)
                            .await
                            .map_err(map_err)?;
                        if keys.is_empty() {
                            break;
                        }
                        let delete = kind.delete(keys.len());
                        let mut query = ::sqlx::query(&delete);
                        for key in &keys {
                            query = query.bind(key);
                        }
                        deleted += query.execute(pool).await.map_err(map_err)?.rows_affected();
                        if keys.len() < $crate::PURGE_BATCH.unsigned_abs() as usize {
                            break;
                        }
                        // Let requests waiting for a connection or the write lock go first.
                        ::tokio::task::yield_now().await;
                    }
                    Ok::<u64, $crate::StoreError>(deleted)
                };
                use $crate::sql::PurgeKind;
                let expired = |table, key, column| PurgeKind { table, key, alias_filter: column, recheck: "" };
                // Previous secrets: at most one row per rotation still in its overlap.
                let secrets = ::sqlx::query("DELETE FROM previous_secrets WHERE valid_until <= $1")
                    .bind(now.0)
                    .execute(pool)
                    .await
                    .map_err(map_err)?
                    .rows_affected();
                Ok($crate::Purged {
                    sessions: batches(expired("sessions", "session_hash", "f.expires_at <= $1"), now.0).await?,
                    access_tokens: batches(expired("access_tokens", "token_hash", "f.expires_at <= $1"), now.0).await?,
                    refresh_tokens: batches(expired("refresh_tokens", "token_hash", "f.expires_at <= $1"), now.0)
                        .await?,
                    previous_secrets: secrets,
                    device_authorizations: batches(
                        expired("device_authorizations", "device_hash", "f.expires_at <= $1"),
                        now.0,
                    )
                    .await?,
                    auth_codes: batches(expired("auth_codes", "code_hash", "f.expires_at <= $1"), codes_before.0)
                        .await?,
                    // Families (started before now) whose tokens, refresh tokens and codes are all gone.
                    token_families: batches(
                        PurgeKind {
                            table: "token_families",
                            key: "family_id",
                            alias_filter: "f.created_at <= $1",
                            recheck: FAMILY_EMPTY,
                        },
                        now.0,
                    )
                    .await?,
                })
            }

            async fn create_department(
                &self,
                corp_id: &::tessera_core::ids::CorpId,
                name: &str,
                parent_id: i64,
            ) -> Result<i64, $crate::StoreError> {
                if parent_id != $crate::ROOT_DEPARTMENT && self.department(corp_id, parent_id).await?.is_none() {
                    return Err($crate::StoreError::NotFound(format!("department {parent_id}")));
                }
                let row = ::sqlx::query(
                    "INSERT INTO departments (corp_id, dept_id, name, parent_id)
                     SELECT $1, COALESCE(MAX(dept_id), 1) + 1, $2, $3 FROM departments WHERE corp_id = $1
                     RETURNING dept_id",
                )
                .bind(corp_id.as_str())
                .bind(name)
                .bind(parent_id)
                .fetch_one(&self.pool)
                .await
                .map_err(map_err)?;
                get::<i64>(&row, "dept_id")
            }

            async fn department(
                &self,
                corp_id: &::tessera_core::ids::CorpId,
                dept_id: i64,
            ) -> Result<Option<$crate::Department>, $crate::StoreError> {
                let row = ::sqlx::query(
                    "SELECT corp_id, dept_id, name, parent_id FROM departments WHERE corp_id = $1 AND dept_id = $2",
                )
                .bind(corp_id.as_str())
                .bind(dept_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.map(|r| {
                    Ok($crate::Department {
                        corp_id: $crate::sql::corp(get(&r, "corp_id")?)?,
                        dept_id: get(&r, "dept_id")?,
                        name: get(&r, "name")?,
                        parent_id: get(&r, "parent_id")?,
                    })
                })
                .transpose()
            }

            async fn update_member_profile(
                &self,
                corp_id: &::tessera_core::ids::CorpId,
                user_id: &::tessera_core::ids::UserId,
                name: Option<&str>,
                title: Option<&str>,
            ) -> Result<bool, $crate::StoreError> {
                let done = ::sqlx::query(
                    "UPDATE members SET name = COALESCE($1, name), title = COALESCE($2, title) WHERE corp_id = $3 AND user_id = $4",
                )
                .bind(name)
                .bind(title)
                .bind(corp_id.as_str())
                .bind(user_id.as_str())
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn suite_ticket(
                &self,
                client_id: &::tessera_core::ids::ClientId,
            ) -> Result<Option<::tessera_core::suite::SuiteTicket>, $crate::StoreError> {
                let row = ::sqlx::query(
                    "SELECT a.client_id, COALESCE(t.seq, 0) AS seq, COALESCE(t.issued_at, 0) AS issued_at, t.callback_url
                     FROM apps a LEFT JOIN suite_tickets t ON t.client_id = a.client_id
                     WHERE a.client_id = $1 AND a.kind = 'third_party_enterprise'",
                )
                .bind(client_id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.map(|r| {
                    $crate::sql::suite_ticket(
                        get(&r, "client_id")?,
                        get(&r, "seq")?,
                        get(&r, "issued_at")?,
                        get(&r, "callback_url")?,
                    )
                })
                .transpose()
            }

            async fn suite_tickets(&self) -> Result<Vec<::tessera_core::suite::SuiteTicket>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT a.client_id, COALESCE(t.seq, 0) AS seq, COALESCE(t.issued_at, 0) AS issued_at, t.callback_url
                     FROM apps a LEFT JOIN suite_tickets t ON t.client_id = a.client_id
                     WHERE a.kind = 'third_party_enterprise' ORDER BY a.client_id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        $crate::sql::suite_ticket(
                            get(r, "client_id")?,
                            get(r, "seq")?,
                            get(r, "issued_at")?,
                            get(r, "callback_url")?,
                        )
                    })
                    .collect()
            }

            async fn apps_owned_by(
                &self,
                corp_id: &::tessera_core::ids::CorpId,
            ) -> Result<Vec<::tessera_core::app::App>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT client_id, name, kind, owner_corp_id, secret_hash, redirect_uris, public_client, resource_server FROM apps
                     WHERE owner_corp_id = $1 ORDER BY client_id",
                )
                .bind(corp_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter().map(decode_app).collect()
            }

            async fn oidc_client(
                &self,
                client_id: &::tessera_core::ids::ClientId,
            ) -> Result<Option<::tessera_core::oidc::OidcClient>, $crate::StoreError> {
                let row = ::sqlx::query(
                    "SELECT client_id, id_token_alg, subject_type, access_token_format, post_logout_redirect_uris,
                            backchannel_logout_uri, resources FROM oidc_clients WHERE client_id = $1",
                )
                .bind(client_id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.map(|r| {
                    $crate::sql::oidc_client(
                        get(&r, "client_id")?,
                        get(&r, "id_token_alg")?,
                        get(&r, "subject_type")?,
                        get(&r, "access_token_format")?,
                        get(&r, "post_logout_redirect_uris")?,
                        get(&r, "backchannel_logout_uri")?,
                        get(&r, "resources")?,
                    )
                })
                .transpose()
            }
            async fn user_profile(
                &self,
                union_id: &::tessera_core::ids::UnionId,
            ) -> Result<Option<::tessera_core::oidc::UserProfile>, $crate::StoreError> {
                let row = ::sqlx::query(
                    "SELECT nickname, picture, email, email_verified, phone_number, phone_number_verified
                     FROM user_profiles WHERE union_id = $1",
                )
                .bind(union_id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.map(|r| {
                    Ok(::tessera_core::oidc::UserProfile {
                        nickname: get(&r, "nickname")?,
                        picture: get(&r, "picture")?,
                        email: get(&r, "email")?,
                        email_verified: get(&r, "email_verified")?,
                        phone_number: get(&r, "phone_number")?,
                        phone_number_verified: get(&r, "phone_number_verified")?,
                    })
                })
                .transpose()
            }
            async fn signing_keys(
                &self,
            ) -> Result<Vec<::tessera_core::signing_key::StoredSigningKey>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT kid, alg, generation, created_at, activates_at, sealed_private, public_jwk
                     FROM signing_keys ORDER BY alg, generation",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        $crate::sql::signing_key(
                            get(r, "kid")?,
                            get(r, "alg")?,
                            get(r, "generation")?,
                            get(r, "created_at")?,
                            get(r, "activates_at")?,
                            get(r, "sealed_private")?,
                            get(r, "public_jwk")?,
                        )
                    })
                    .collect()
            }
            async fn previous_secrets(
                &self,
                client_id: &::tessera_core::ids::ClientId,
            ) -> Result<Vec<(::tessera_core::secret::SecretHash, ::tessera_core::time::UnixTime)>, $crate::StoreError> {
                let rows = ::sqlx::query(
                    "SELECT secret_hash, valid_until FROM previous_secrets WHERE client_id = $1 ORDER BY valid_until",
                )
                .bind(client_id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            $crate::sql::hash(&get::<String>(r, "secret_hash")?)?,
                            ::tessera_core::time::UnixTime(get(r, "valid_until")?),
                        ))
                    })
                    .collect()
            }
            async fn device_authorization(
                &self,
                by: &$crate::DeviceLookup,
            ) -> Result<Option<::tessera_core::device::DeviceAuthorization>, $crate::StoreError> {
                let (sql, hash) = match by {
                    $crate::DeviceLookup::DeviceCode(h) => (
                        "SELECT device_hash, user_code_hash, client_id, scopes, status, union_id, corp_id, created_at,
                           expires_at, interval_secs, last_polled_at FROM device_authorizations WHERE device_hash = $1",
                        h,
                    ),
                    $crate::DeviceLookup::UserCode(h) => (
                        "SELECT device_hash, user_code_hash, client_id, scopes, status, union_id, corp_id, created_at,
                           expires_at, interval_secs, last_polled_at FROM device_authorizations WHERE user_code_hash = $1",
                        h,
                    ),
                };
                let row = ::sqlx::query(sql).bind(hash.to_hex()).fetch_optional(&self.pool).await.map_err(map_err)?;
                row.map(|r| {
                    $crate::sql::device_authorization($crate::sql::DeviceRow {
                        device_hash: get(&r, "device_hash")?,
                        user_code_hash: get(&r, "user_code_hash")?,
                        client_id: get(&r, "client_id")?,
                        scopes: get(&r, "scopes")?,
                        status: get(&r, "status")?,
                        union_id: get(&r, "union_id")?,
                        corp_id: get(&r, "corp_id")?,
                        created_at: get(&r, "created_at")?,
                        expires_at: get(&r, "expires_at")?,
                        interval: get(&r, "interval_secs")?,
                        last_polled_at: get(&r, "last_polled_at")?,
                    })
                })
                .transpose()
            }
        }
    };
}
