//! Reads of the directory and its authorizations: scopes, orgs, people, apps, permission
//! requests, installations, grants, consents, suite tickets, the audit log.

use sqlx::query_as;
use tessera_core::app::App;
use tessera_core::audit::AuditEvent;
use tessera_core::consent::Consent;
use tessera_core::grant::{OrgGrant, RevokedGrant};
use tessera_core::ids::{ClientId, CorpId, UnionId, UserId};
use tessera_core::installation::Installation;
use tessera_core::member::Member;
use tessera_core::org::Org;
use tessera_core::permission::{PermissionRequest, PermissionStatus};
use tessera_core::scope::Scope;
use tessera_core::secret::SecretHash;
use tessera_core::suite::SuiteTicket;
use tessera_core::time::UnixTime;

use super::Sql;
use super::driver::Driver;
use super::error::map_err;
use super::rows::{
    AppRow, AuditEventRow, ConsentRow, InstallationRow, MemberRow, OrgGrantRow, OrgRow, PermissionRow,
    PreviousSecretRow, RevokedGrantRow, ScopeRow, SuiteTicketRow, UserRow, all, maybe,
};
use crate::{AuditFilter, StoreError, StoredUser};

const MEMBER: &str = "SELECT corp_id, user_id, union_id, name, title, roles FROM members";
const APP: &str = "SELECT client_id, name, kind, owner_corp_id, secret_hash, redirect_uris, public_client, resource_server, app_qps, route_qps FROM apps";
const PERMISSION: &str = "SELECT client_id, scope, status, description, reason, updated_at FROM permission_requests";
const INSTALLATION: &str = "SELECT client_id, corp_id, installed_at FROM installations";
const CONSENT: &str = "SELECT union_id, client_id, scopes, granted_at FROM consents";
const SUITE_TICKET: &str =
    "SELECT a.client_id, COALESCE(t.seq, 0) AS seq, COALESCE(t.issued_at, 0) AS issued_at, t.callback_url,
            COALESCE(t.event_format, 'dingtalk') AS event_format
     FROM apps a LEFT JOIN suite_tickets t ON t.client_id = a.client_id";

impl<DB: Driver> Sql<'_, DB> {
    pub async fn scopes(&self) -> Result<Vec<Scope>, StoreError> {
        let rows: Vec<ScopeRow> = query_as(
            "SELECT code, description, tier, eligible_role, open_for_requests, requires_verified_org, identity
             FROM scopes ORDER BY code",
        )
        .fetch_all(self.pool)
        .await
        .map_err(map_err)?;
        all(rows)
    }

    pub async fn org(&self, corp_id: &CorpId) -> Result<Option<Org>, StoreError> {
        let row: Option<OrgRow> = query_as("SELECT corp_id, name, verified FROM orgs WHERE corp_id = $1")
            .bind(corp_id.as_str())
            .fetch_optional(self.pool)
            .await
            .map_err(map_err)?;
        maybe(row)
    }

    pub async fn user(&self, union_id: &UnionId) -> Result<Option<StoredUser>, StoreError> {
        let row: Option<UserRow> = query_as("SELECT union_id, name, password_hash FROM users WHERE union_id = $1")
            .bind(union_id.as_str())
            .fetch_optional(self.pool)
            .await
            .map_err(map_err)?;
        maybe(row)
    }

    pub async fn member(&self, corp_id: &CorpId, user_id: &UserId) -> Result<Option<Member>, StoreError> {
        let row: Option<MemberRow> = query_as(&format!("{MEMBER} WHERE corp_id = $1 AND user_id = $2"))
            .bind(corp_id.as_str())
            .bind(user_id.as_str())
            .fetch_optional(self.pool)
            .await
            .map_err(map_err)?;
        maybe(row)
    }

    pub async fn member_by_union(&self, corp_id: &CorpId, union_id: &UnionId) -> Result<Option<Member>, StoreError> {
        let row: Option<MemberRow> = query_as(&format!("{MEMBER} WHERE corp_id = $1 AND union_id = $2"))
            .bind(corp_id.as_str())
            .bind(union_id.as_str())
            .fetch_optional(self.pool)
            .await
            .map_err(map_err)?;
        maybe(row)
    }

    pub async fn memberships_of(&self, union_id: &UnionId) -> Result<Vec<Member>, StoreError> {
        let rows: Vec<MemberRow> = query_as(&format!("{MEMBER} WHERE union_id = $1 ORDER BY corp_id"))
            .bind(union_id.as_str())
            .fetch_all(self.pool)
            .await
            .map_err(map_err)?;
        all(rows)
    }

    pub async fn members_of(&self, corp_id: &CorpId) -> Result<Vec<Member>, StoreError> {
        let rows: Vec<MemberRow> = query_as(&format!("{MEMBER} WHERE corp_id = $1 ORDER BY user_id"))
            .bind(corp_id.as_str())
            .fetch_all(self.pool)
            .await
            .map_err(map_err)?;
        all(rows)
    }

    pub async fn app(&self, client_id: &ClientId) -> Result<Option<App>, StoreError> {
        let row: Option<AppRow> = query_as(&format!("{APP} WHERE client_id = $1"))
            .bind(client_id.as_str())
            .fetch_optional(self.pool)
            .await
            .map_err(map_err)?;
        maybe(row)
    }

    pub async fn apps_owned_by(&self, corp_id: &CorpId) -> Result<Vec<App>, StoreError> {
        let rows: Vec<AppRow> = query_as(&format!("{APP} WHERE owner_corp_id = $1 ORDER BY client_id"))
            .bind(corp_id.as_str())
            .fetch_all(self.pool)
            .await
            .map_err(map_err)?;
        all(rows)
    }

    pub async fn previous_secrets(&self, client_id: &ClientId) -> Result<Vec<(SecretHash, UnixTime)>, StoreError> {
        let rows: Vec<PreviousSecretRow> =
            query_as("SELECT secret_hash, valid_until FROM previous_secrets WHERE client_id = $1 ORDER BY valid_until")
                .bind(client_id.as_str())
                .fetch_all(self.pool)
                .await
                .map_err(map_err)?;
        all(rows)
    }

    pub async fn permissions(&self, client_id: &ClientId) -> Result<Vec<PermissionRequest>, StoreError> {
        let rows: Vec<PermissionRow> = query_as(&format!("{PERMISSION} WHERE client_id = $1 ORDER BY scope"))
            .bind(client_id.as_str())
            .fetch_all(self.pool)
            .await
            .map_err(map_err)?;
        all(rows)
    }

    pub async fn pending_requests(&self) -> Result<Vec<PermissionRequest>, StoreError> {
        let rows: Vec<PermissionRow> =
            query_as(&format!("{PERMISSION} WHERE status = $1 ORDER BY updated_at, client_id, scope"))
                .bind(PermissionStatus::PendingReview.as_str())
                .fetch_all(self.pool)
                .await
                .map_err(map_err)?;
        all(rows)
    }

    pub async fn installations(&self, client_id: &ClientId) -> Result<Vec<Installation>, StoreError> {
        let rows: Vec<InstallationRow> = query_as(&format!("{INSTALLATION} WHERE client_id = $1 ORDER BY corp_id"))
            .bind(client_id.as_str())
            .fetch_all(self.pool)
            .await
            .map_err(map_err)?;
        all(rows)
    }

    pub async fn installation(
        &self,
        client_id: &ClientId,
        corp_id: &CorpId,
    ) -> Result<Option<Installation>, StoreError> {
        let row: Option<InstallationRow> = query_as(&format!("{INSTALLATION} WHERE client_id = $1 AND corp_id = $2"))
            .bind(client_id.as_str())
            .bind(corp_id.as_str())
            .fetch_optional(self.pool)
            .await
            .map_err(map_err)?;
        maybe(row)
    }

    pub async fn installations_in(&self, corp_id: &CorpId) -> Result<Vec<Installation>, StoreError> {
        let rows: Vec<InstallationRow> = query_as(&format!("{INSTALLATION} WHERE corp_id = $1 ORDER BY client_id"))
            .bind(corp_id.as_str())
            .fetch_all(self.pool)
            .await
            .map_err(map_err)?;
        all(rows)
    }

    pub async fn org_grants(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<OrgGrant>, StoreError> {
        let rows: Vec<OrgGrantRow> = query_as(
            "SELECT client_id, corp_id, scope, granted_by, granted_at FROM org_grants
             WHERE client_id = $1 AND corp_id = $2 ORDER BY scope",
        )
        .bind(client_id.as_str())
        .bind(corp_id.as_str())
        .fetch_all(self.pool)
        .await
        .map_err(map_err)?;
        all(rows)
    }

    pub async fn revoked_grants(
        &self,
        client_id: &ClientId,
        corp_id: &CorpId,
    ) -> Result<Vec<RevokedGrant>, StoreError> {
        let rows: Vec<RevokedGrantRow> = query_as(
            "SELECT client_id, corp_id, scope, granted_by, granted_at, revoked_by, revoked_at FROM revoked_grants
             WHERE client_id = $1 AND corp_id = $2 ORDER BY revoked_at",
        )
        .bind(client_id.as_str())
        .bind(corp_id.as_str())
        .fetch_all(self.pool)
        .await
        .map_err(map_err)?;
        all(rows)
    }

    pub async fn consent(&self, union_id: &UnionId, client_id: &ClientId) -> Result<Option<Consent>, StoreError> {
        let row: Option<ConsentRow> = query_as(&format!("{CONSENT} WHERE union_id = $1 AND client_id = $2"))
            .bind(union_id.as_str())
            .bind(client_id.as_str())
            .fetch_optional(self.pool)
            .await
            .map_err(map_err)?;
        maybe(row)
    }

    pub async fn consents_of(&self, union_id: &UnionId) -> Result<Vec<Consent>, StoreError> {
        let rows: Vec<ConsentRow> = query_as(&format!("{CONSENT} WHERE union_id = $1 ORDER BY client_id"))
            .bind(union_id.as_str())
            .fetch_all(self.pool)
            .await
            .map_err(map_err)?;
        all(rows)
    }

    pub async fn suite_ticket(&self, client_id: &ClientId) -> Result<Option<SuiteTicket>, StoreError> {
        let row: Option<SuiteTicketRow> =
            query_as(&format!("{SUITE_TICKET} WHERE a.client_id = $1 AND a.kind = 'third_party_enterprise'"))
                .bind(client_id.as_str())
                .fetch_optional(self.pool)
                .await
                .map_err(map_err)?;
        maybe(row)
    }

    pub async fn suite_tickets(&self) -> Result<Vec<SuiteTicket>, StoreError> {
        let rows: Vec<SuiteTicketRow> =
            query_as(&format!("{SUITE_TICKET} WHERE a.kind = 'third_party_enterprise' ORDER BY a.client_id"))
                .fetch_all(self.pool)
                .await
                .map_err(map_err)?;
        all(rows)
    }

    pub async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        let order = if filter.newest_first { "seq DESC" } else { "seq" };
        let rows: Vec<AuditEventRow> = query_as(&format!(
            "SELECT seq, at, corp_id, actor, action, target, detail, prev_hash, hash FROM audit_events
             WHERE seq > $1 AND ($2 IS NULL OR corp_id = $2) AND ($3 IS NULL OR action = $3)
               AND ($4 IS NULL OR target = $4 OR substr(target, 1, length($4) + 1) = $4 || ' ')
               AND ($5 IS NULL OR actor = $5) AND ($6 IS NULL OR at >= $6) AND ($7 IS NULL OR at < $7)
               AND ($9 IS NULL OR seq < $9) AND ($10 IS NULL OR substr(actor, 1, length($10)) = $10)
             ORDER BY {order} LIMIT $8"
        ))
        .bind(filter.after_seq)
        .bind(filter.corp_id.as_ref().map(|c| c.as_str()))
        .bind(filter.action.map(|a| a.as_str()))
        .bind(filter.client_id.as_ref().map(|c| format!("app:{c}")))
        .bind(filter.actor.as_deref())
        .bind(filter.since.map(|t| t.0))
        .bind(filter.until.map(|t| t.0))
        .bind(filter.limit)
        .bind(filter.before_seq)
        .bind(filter.actor_prefix.as_deref())
        .fetch_all(self.pool)
        .await
        .map_err(map_err)?;
        all(rows)
    }
}
