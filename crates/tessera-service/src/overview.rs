//! What the console shows, gathered under the same permission checks as the commands:
//! a developer's view of an app's scopes, the reviewers' queue with its context, and an org
//! admin's workbench (installed apps, what each holds, who may authorize each sensitive scope).

use std::sync::Arc;

use tessera_core::DomainError;
use tessera_core::app::App;
use tessera_core::grant::{OrgGrant, RevokedGrant};
use tessera_core::ids::{ClientId, CorpId, Role};
use tessera_core::member::Member;
use tessera_core::org::Org;
use tessera_core::permission::PermissionRequest;
use tessera_core::scope::{Scope, ScopeTier};

use crate::Tessera;
use crate::management::{Actor, ManageError};

/// A scope of the catalogue and the app's request for it, if any.
#[derive(Debug, Clone)]
pub struct ScopeRow {
    pub scope: Scope,
    pub request: Option<PermissionRequest>,
}

/// A request waiting for review, with what a reviewer needs to decide.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub request: PermissionRequest,
    pub app: Arc<App>,
    pub org: Option<Org>,
    pub scope: Option<Scope>,
}

/// A sensitive scope an installed app holds (enabled for it) and its state in the org.
#[derive(Debug, Clone)]
pub struct SensitiveRow {
    pub scope: Scope,
    pub grant: Option<OrgGrant>,
    pub last_revocation: Option<RevokedGrant>,
    /// Members holding the scope's eligible role over the whole org.
    pub eligible: Vec<Member>,
}

#[derive(Debug, Clone)]
pub struct InstalledApp {
    pub app: Arc<App>,
    /// Enabled scopes of the app, by code.
    pub enabled: Vec<Scope>,
    pub sensitive: Vec<SensitiveRow>,
}

/// An org admin's view of their org.
#[derive(Debug, Clone)]
pub struct Workbench {
    pub org: Org,
    /// The viewer's membership (`None` for an operator).
    pub viewer: Option<Member>,
    /// Apps holding sensitive scopes first, then by client id.
    pub installed: Vec<InstalledApp>,
    /// Each role that authorizes some sensitive scope, with its holders over the whole org.
    pub eligible_roles: Vec<(Role, Vec<Member>)>,
}

impl Tessera {
    /// The catalogue's scopes matching `query` (code or description, any case; all when
    /// empty) with the app's request for each.
    pub async fn scope_rows(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        query: &str,
    ) -> Result<Vec<ScopeRow>, ManageError> {
        let requests = self.app_permissions(actor, client_id).await?;
        let catalog = self.catalog().await?;
        let q = query.trim().to_lowercase();
        let mut rows: Vec<ScopeRow> = catalog
            .values()
            .filter(|s| {
                q.is_empty() || s.code.as_str().to_lowercase().contains(&q) || s.description.to_lowercase().contains(&q)
            })
            .map(|s| ScopeRow { scope: s.clone(), request: requests.iter().find(|r| r.scope == s.code).cloned() })
            .collect();
        rows.sort_by(|a, b| a.scope.code.cmp(&b.scope.code));
        Ok(rows)
    }

    /// The review queue with each request's app, org and scope (operators).
    pub async fn review_items(&self, actor: &Actor) -> Result<Vec<ReviewItem>, ManageError> {
        let queue = self.review_queue(actor).await?;
        let catalog = self.catalog().await?;
        let mut out = Vec::with_capacity(queue.len());
        for request in queue {
            let Some(app) = self.app(&request.client_id).await? else { continue };
            let org = self.inner.store.org(&app.owner_corp_id).await?;
            let scope = catalog.get(&request.scope).cloned();
            out.push(ReviewItem { request, app, org, scope });
        }
        Ok(out)
    }

    /// The workbench of `corp_id` (its org admins and operators).
    pub async fn workbench(&self, actor: &Actor, corp_id: &CorpId) -> Result<Workbench, ManageError> {
        let viewer = self.org_admin(actor, corp_id).await?;
        let store = &self.inner.store;
        let org = store.org(corp_id).await?.ok_or_else(|| DomainError::UnknownOrg(corp_id.clone()))?;
        let catalog = self.catalog().await?;
        let members = store.members_of(corp_id).await?;
        let mut installed = Vec::new();
        for i in store.installations_in(corp_id).await? {
            let Some(app) = self.app(&i.client_id).await? else { continue };
            let standing = self.standing(&i.client_id, corp_id).await?;
            let mut enabled: Vec<Scope> = standing.enabled.iter().filter_map(|c| catalog.get(c).cloned()).collect();
            enabled.sort_by(|a, b| a.code.cmp(&b.code));
            let grants = store.org_grants(&i.client_id, corp_id).await?;
            let revoked = store.revoked_grants(&i.client_id, corp_id).await?;
            let sensitive = enabled
                .iter()
                .filter(|s| s.tier == ScopeTier::Sensitive)
                .map(|s| SensitiveRow {
                    scope: s.clone(),
                    grant: grants.iter().find(|g| g.scope == s.code).cloned(),
                    last_revocation: revoked.iter().rev().find(|r| r.grant.scope == s.code).cloned(),
                    eligible: s
                        .eligible_role
                        .as_ref()
                        .map(|role| members.iter().filter(|m| m.holds_org_wide(role)).cloned().collect())
                        .unwrap_or_default(),
                })
                .collect();
            installed.push(InstalledApp { app, enabled, sensitive });
        }
        installed.sort_by(|a, b| {
            (a.sensitive.is_empty(), &a.app.client_id).cmp(&(b.sensitive.is_empty(), &b.app.client_id))
        });
        let mut roles: Vec<Role> = catalog
            .values()
            .filter(|s| s.tier == ScopeTier::Sensitive)
            .filter_map(|s| s.eligible_role.clone())
            .collect();
        roles.sort();
        roles.dedup();
        let eligible_roles = roles
            .into_iter()
            .map(|r| {
                let holders = members.iter().filter(|m| m.holds_org_wide(&r)).cloned().collect();
                (r, holders)
            })
            .collect();
        Ok(Workbench { org, viewer, installed, eligible_roles })
    }

    /// The orgs a person belongs to, with their membership in each.
    pub async fn memberships(&self, union_id: &tessera_core::ids::UnionId) -> Result<Vec<(Member, Org)>, ManageError> {
        let mut out = Vec::new();
        for m in self.inner.store.memberships_of(union_id).await? {
            if let Some(org) = self.inner.store.org(&m.corp_id).await? {
                out.push((m, org));
            }
        }
        Ok(out)
    }
}
