//! Applying one domain [`Change`] inside [`commit`](super::commit)'s transaction: one arm
//! per variant, the statements it takes and the checks that refuse it (a missing row is
//! `NotFound`, a lost race `Conflict`), so the whole batch rolls back.

use sqlx::{Transaction, query};
use tessera_core::change::Change;
use tessera_core::secret::SecretHash;
use tessera_core::time::UnixTime;

use super::Sql;
use super::columns::{readers_json, roles_json, scopes_text, uris_json};
use super::driver::{Driver, RowsAffected};
use super::error::map_err;
use crate::StoreError;

impl<DB: Driver> Sql<'_, DB> {
    /// Applies `change` at time `at`; `head` is the audit chain's head once taken.
    pub async fn apply(
        tx: &mut Transaction<'static, DB>,
        change: &Change,
        head: &mut Option<(i64, SecretHash)>,
        at: UnixTime,
    ) -> Result<(), StoreError> {
        if Self::apply_oidc(tx, change).await? {
            return Ok(());
        }
        match change {
            Change::PutScope(s) => {
                query(
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
                query("INSERT INTO orgs (corp_id, name, verified) VALUES ($1, $2, $3)")
                    .bind(o.corp_id.as_str())
                    .bind(&o.name)
                    .bind(o.verified)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
            }
            Change::InsertUser { user, password_hash } => {
                query("INSERT INTO users (union_id, name, password_hash) VALUES ($1, $2, $3)")
                    .bind(user.union_id.as_str())
                    .bind(&user.name)
                    .bind(password_hash.as_deref())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
            }
            Change::InsertMember(m) => {
                query(
                    "INSERT INTO members (corp_id, user_id, union_id, name, title, roles) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(m.corp_id.as_str())
                .bind(m.user_id.as_str())
                .bind(m.union_id.as_str())
                .bind(&m.name)
                .bind(&m.title)
                .bind(roles_json(&m.roles)?)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            }
            Change::InsertApp(a) => {
                query(
                    "INSERT INTO apps (client_id, name, kind, owner_corp_id, secret_hash, redirect_uris, public_client, resource_server, app_qps, route_qps)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(a.client_id.as_str())
                .bind(&a.name)
                .bind(a.kind.as_str())
                .bind(a.owner_corp_id.as_str())
                .bind(a.secret_hash.to_hex())
                .bind(uris_json(&a.redirect_uris)?)
                .bind(a.public_client)
                .bind(a.resource_server)
                .bind(a.rate_limits.app_qps.map(i64::from))
                .bind(a.rate_limits.route_qps.map(i64::from))
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            }
            Change::PutPermission(p) => {
                query(
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
                query("INSERT INTO installations (client_id, corp_id, installed_at) VALUES ($1, $2, $3)")
                    .bind(i.client_id.as_str())
                    .bind(i.corp_id.as_str())
                    .bind(i.installed_at.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
            }
            Change::InsertOrgGrant(g) => {
                query(
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
                Self::revoke_org_grant(tx, client_id, corp_id, scope, by, at).await?
            }
            Change::DeleteInstallation { client_id, corp_id, by } => {
                Self::delete_installation(tx, client_id, corp_id, by, at).await?
            }
            Change::InsertToken(t) => {
                query(
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
                .bind(scopes_text(&t.scopes))
                .bind(t.family_id.as_deref())
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            }
            Change::PutConsent(c) => {
                let scopes: Vec<_> = c.scopes.iter().cloned().collect();
                query(
                    "INSERT INTO consents (union_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (union_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at",
                )
                .bind(c.union_id.as_str())
                .bind(c.client_id.as_str())
                .bind(scopes_text(&scopes))
                .bind(c.granted_at.0)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            }
            Change::DeleteConsent { union_id, client_id } => {
                query("DELETE FROM consents WHERE union_id = $1 AND client_id = $2")
                    .bind(union_id.as_str())
                    .bind(client_id.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
            }
            Change::InsertAuthCode(c) => {
                query(
                    "INSERT INTO auth_codes (code_hash, client_id, union_id, corp_id, redirect_uri, scopes, code_challenge, expires_at, family_id, purpose, nonce, auth_time, resources)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(c.hash.to_hex())
                .bind(c.client_id.as_str())
                .bind(c.union_id.as_str())
                .bind(c.corp_id.as_ref().map(|c| c.as_str()))
                .bind(&c.redirect_uri)
                .bind(scopes_text(&c.scopes))
                .bind(c.code_challenge.as_deref())
                .bind(c.expires_at.0)
                .bind(&c.family_id)
                .bind(c.purpose.as_str())
                .bind(c.nonce.as_deref())
                .bind(c.auth_time.map(|t| t.0))
                .bind(uris_json(&c.resources)?)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            }
            Change::ClaimAuthCode { hash } => Self::claim_auth_code_in(tx, hash, at).await?,
            Change::ClaimRefreshToken { hash } => Self::claim_refresh_token_in(tx, hash, at).await?,
            Change::InsertFamily { family_id, client_id, union_id } => {
                query(
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
                query(
                    "INSERT INTO refresh_tokens (token_hash, family_id, client_id, union_id, corp_id, scopes, issued_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(r.hash.to_hex())
                .bind(&r.family_id)
                .bind(r.client_id.as_str())
                .bind(r.union_id.as_str())
                .bind(r.corp_id.as_ref().map(|c| c.as_str()))
                .bind(scopes_text(&r.scopes))
                .bind(r.issued_at.0)
                .bind(r.expires_at.0)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            }
            Change::RevokeFamily { family_id } => {
                query("UPDATE token_families SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
                    .bind(at.0)
                    .bind(family_id)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
            }
            Change::RevokeUserTokens { union_id, client_id } => {
                Self::revoke_user_tokens(tx, union_id, client_id, at).await?
            }
            Change::RevokeToken { hash } => {
                query("UPDATE access_tokens SET revoked = $1 WHERE token_hash = $2")
                    .bind(true)
                    .bind(hash.to_hex())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
            }
            Change::InsertSession(s) => {
                query("INSERT INTO sessions (session_hash, union_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(s.hash.to_hex())
                    .bind(s.union_id.as_str())
                    .bind(s.created_at.0)
                    .bind(s.expires_at.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
            }
            Change::DeleteSession { hash } => {
                query("DELETE FROM sessions WHERE session_hash = $1")
                    .bind(hash.to_hex())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
            }
            Change::InsertDocument(d) => {
                let readers: Vec<_> = d.readers.iter().cloned().collect();
                query("INSERT INTO documents (corp_id, doc_id, title, body, readers) VALUES ($1, $2, $3, $4, $5)")
                    .bind(d.corp_id.as_str())
                    .bind(d.doc_id)
                    .bind(&d.title)
                    .bind(&d.body)
                    .bind(readers_json(&readers)?)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
            }
            Change::SetDocumentReaders { corp_id, doc_id, readers } => {
                let done = query("UPDATE documents SET readers = $1 WHERE corp_id = $2 AND doc_id = $3")
                    .bind(readers_json(readers)?)
                    .bind(corp_id.as_str())
                    .bind(*doc_id)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("document {doc_id}")));
                }
            }
            Change::RotateSecret { client_id, secret_hash, previous_valid_until } => {
                Self::rotate_secret(tx, client_id, secret_hash, previous_valid_until, at).await?
            }
            Change::SetResourceServer { client_id, resource_server } => {
                Self::set_resource_server(tx, client_id, resource_server).await?
            }
            Change::SetRateLimits { client_id, limits } => {
                let done = query("UPDATE apps SET app_qps = $1, route_qps = $2 WHERE client_id = $3")
                    .bind(limits.app_qps.map(i64::from))
                    .bind(limits.route_qps.map(i64::from))
                    .bind(client_id.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("app {client_id}")));
                }
            }
            Change::SetRedirectUris { client_id, redirect_uris } => {
                Self::set_redirect_uris(tx, client_id, redirect_uris).await?
            }
            Change::RevokeFamilyOnce { family_id, audit } => {
                Self::revoke_family_once(tx, family_id, audit, head, at).await?
            }
            Change::Audit(draft) => Self::append_audit(tx, draft, head, at).await?,
            Change::AdvanceSuiteTicket { client_id, from_seq } => {
                Self::advance_suite_ticket(tx, client_id, from_seq, at).await?
            }
            Change::SetTicketCallback { client_id, url, event } => {
                Self::set_ticket_callback(tx, client_id, url, *event).await?
            }
            Change::InsertDeviceAuthorization(d) => Self::insert_device_authorization(tx, d).await?,
            Change::DevicePolled { device_hash, polled_at, interval } => {
                Self::device_polled(tx, device_hash, polled_at, interval).await?
            }
            Change::DecideDevice { device_hash, approved, union_id, corp_id, decided_at } => {
                Self::decide_device(tx, device_hash, approved, union_id, corp_id, decided_at).await?
            }
            Change::ConsumeDevice { device_hash } => Self::consume_device(tx, device_hash).await?,
            // Written by `apply_oidc` above.
            Change::InsertSigningKey(_)
            | Change::ActivateSigningKey { .. }
            | Change::PutOidcClient(_)
            | Change::PutUserProfile { .. } => {}
        }
        Ok(())
    }
}
