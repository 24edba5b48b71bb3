//! The permission lifecycle's commands, each authorized for its actor: developers request
//! scopes for their org's apps, operators review, org admins activate and uninstall, holders
//! of a scope's eligible role authorize and recall it, admins read their org's audit log.
//! Every change is committed with its audit event in one transaction and drops the caches
//! (on every node: the store announces grant changes).

use tessera_core::DomainError;
use tessera_core::audit::{AuditAction, AuditDraft, AuditEvent};
use tessera_core::change::Change;
use tessera_core::grant::{OrgGrant, check_authorizer};
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::installation::Installation;
use tessera_core::lifecycle::{check_activation, check_developer, check_org_admin, request_scope, review};
use tessera_core::member::Member;
use tessera_core::permission::{PermissionRequest, PermissionStatus};
use tessera_core::scope::{Scope, ScopeTier};
use tessera_store::{AuditFilter, StoreError};

use crate::Tessera;

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A platform operator (reviewer), authenticated by the operator token.
    Operator,
    /// A signed-in person.
    Person(UnionId),
}

impl Actor {
    pub(crate) fn label(&self, member: Option<&Member>) -> String {
        match (self, member) {
            (Actor::Operator, _) => "operator".into(),
            (Actor::Person(_), Some(m)) => format!("member:{}/{}", m.corp_id, m.user_id),
            (Actor::Person(u), None) => format!("user:{u}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn not_allowed(msg: impl Into<String>) -> ManageError {
    DomainError::NotAllowed(msg.into()).into()
}

impl Tessera {
    /// The membership of a signed-in person in `corp_id`, or an error saying they are not a member.
    pub(crate) async fn membership(&self, union_id: &UnionId, corp_id: &CorpId) -> Result<Member, ManageError> {
        self.inner
            .store
            .member_by_union(corp_id, union_id)
            .await?
            .ok_or_else(|| not_allowed(format!("you are not a member of {corp_id}")))
    }

    async fn scope_of(&self, code: &ScopeCode) -> Result<Scope, ManageError> {
        let catalog = self.catalog().await?;
        catalog.get(code).cloned().ok_or_else(|| DomainError::UnknownScope(code.clone()).into())
    }

    async fn app_or_404(&self, client_id: &ClientId) -> Result<std::sync::Arc<tessera_core::app::App>, ManageError> {
        self.app(client_id).await?.ok_or_else(|| DomainError::NotFound(format!("no app {client_id}")).into())
    }

    /// The person must hold the org-wide `developer` or `org_admin` role in the org that owns
    /// the app (its developers), or be an operator.
    async fn developer(&self, actor: &Actor, owner: &CorpId) -> Result<Option<Member>, ManageError> {
        match actor {
            Actor::Operator => Ok(None),
            Actor::Person(u) => {
                let m = self.membership(u, owner).await?;
                check_developer(&m)?;
                Ok(Some(m))
            }
        }
    }

    /// Registers (`Some`) or removes (`None`) the URL a suite's tickets are pushed to (its
    /// developers and operators) and their shape; returns what checks each delivery.
    pub async fn set_ticket_callback(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        url: Option<String>,
        event: tessera_core::suite::TicketEvent,
    ) -> Result<crate::suite::CallbackKeys, ManageError> {
        let app = self.app_or_404(client_id).await?;
        let member = self.developer(actor, &app.owner_corp_id).await?;
        if app.kind != tessera_core::app::AppKind::ThirdPartyEnterprise {
            return Err(DomainError::InvalidField {
                field: "client_id",
                reason: format!("{client_id} is not a third_party_enterprise app; only suites get tickets"),
            }
            .into());
        }
        if let Some(u) = &url {
            tessera_core::app::validate_redirect_uri(u).map_err(|_| DomainError::InvalidField {
                field: "url",
                reason: "the ticket callback must be an absolute http(s) URL without a fragment".into(),
            })?;
            crate::callback_guard::check_callback_url(u, self.inner.config.allow_private_callbacks)
                .await
                .map_err(|e| DomainError::InvalidField { field: "url", reason: e.to_string() })?;
        }
        let audit = AuditDraft {
            corp_id: Some(app.owner_corp_id.clone()),
            actor: actor.label(member.as_ref()),
            action: AuditAction::TicketCallbackChanged,
            target: format!("app:{client_id}"),
            detail: match &url {
                Some(u) => format!("tickets pushed to {u}"),
                None => "ticket pushes stopped".into(),
            },
        };
        Ok(self.store_ticket_callback(client_id, url, event, audit).await?)
    }

    /// An app's permission requests (its developers and operators).
    pub async fn app_permissions(
        &self,
        actor: &Actor,
        client_id: &ClientId,
    ) -> Result<Vec<PermissionRequest>, ManageError> {
        let app = self.app_or_404(client_id).await?;
        self.developer(actor, &app.owner_corp_id).await?;
        Ok(self.inner.store.permissions(client_id).await?)
    }

    /// A developer requests (or resubmits) a scope for their app.
    pub async fn request_permission(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        code: &ScopeCode,
        description: &str,
    ) -> Result<PermissionRequest, ManageError> {
        let app = self.app_or_404(client_id).await?;
        let member = self.developer(actor, &app.owner_corp_id).await?;
        let scope = self.scope_of(code).await?;
        let owner = self
            .inner
            .store
            .org(&app.owner_corp_id)
            .await?
            .ok_or_else(|| DomainError::UnknownOrg(app.owner_corp_id.clone()))?;
        let existing = self.inner.store.permissions(client_id).await?.into_iter().find(|p| &p.scope == code);
        let status = request_scope(&scope, &owner, existing.as_ref(), description)?;
        let request = PermissionRequest {
            client_id: client_id.clone(),
            scope: code.clone(),
            status,
            description: description.trim().to_owned(),
            reason: None,
            updated_at: self.now(),
        };
        let action = if status == PermissionStatus::Enabled {
            AuditAction::PermissionApproved
        } else {
            AuditAction::PermissionRequested
        };
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(app.owner_corp_id.clone()),
            actor: actor.label(member.as_ref()),
            action,
            target: format!("app:{client_id} scope:{code}"),
            detail: format!("tier:{} status:{}", scope.tier.as_str(), status.as_str()),
        });
        self.commit_grants(&[Change::PutPermission(request.clone()), audit]).await?;
        Ok(request)
    }

    /// The review queue (operators).
    pub async fn review_queue(&self, actor: &Actor) -> Result<Vec<PermissionRequest>, ManageError> {
        if actor != &Actor::Operator {
            return Err(not_allowed("the review queue is for platform operators"));
        }
        Ok(self.inner.store.pending_requests().await?)
    }

    /// An operator approves or declines (with a reason) a request.
    pub async fn review_permission(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        code: &ScopeCode,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<PermissionRequest, ManageError> {
        if actor != &Actor::Operator {
            return Err(not_allowed("only platform operators review permission requests"));
        }
        let app = self.app_or_404(client_id).await?;
        let existing = self.inner.store.permissions(client_id).await?.into_iter().find(|p| &p.scope == code);
        let (status, reason) = review(existing.as_ref(), approve, reason)?;
        let mut request = existing.ok_or_else(|| DomainError::NotFound("no such permission request".into()))?;
        request.status = status;
        request.reason = reason.clone();
        request.updated_at = self.now();
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(app.owner_corp_id.clone()),
            actor: "operator".into(),
            action: if approve { AuditAction::PermissionApproved } else { AuditAction::PermissionDeclined },
            target: format!("app:{client_id} scope:{code}"),
            detail: reason.map(|r| format!("reason:{r}")).unwrap_or_default(),
        });
        self.commit_grants(&[Change::PutPermission(request.clone()), audit]).await?;
        Ok(request)
    }

    /// An org admin (or operator) activates an app in the org.
    pub async fn activate(
        &self,
        actor: &Actor,
        corp_id: &CorpId,
        client_id: &ClientId,
    ) -> Result<Installation, ManageError> {
        let member = self.org_admin(actor, corp_id).await?;
        let app = self.app_or_404(client_id).await?;
        let installed = self.inner.store.installation(client_id, corp_id).await?.is_some();
        check_activation(&app, corp_id, installed)?;
        let installation =
            Installation { client_id: client_id.clone(), corp_id: corp_id.clone(), installed_at: self.now() };
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(corp_id.clone()),
            actor: actor.label(member.as_ref()),
            action: AuditAction::AppInstalled,
            target: format!("app:{client_id}"),
            detail: String::new(),
        });
        self.commit_grants(&[Change::InsertInstallation(installation.clone()), audit]).await?;
        Ok(installation)
    }

    /// An org admin uninstalls an app: its installation and every grant in the org go.
    pub async fn uninstall(&self, actor: &Actor, corp_id: &CorpId, client_id: &ClientId) -> Result<(), ManageError> {
        let member = self.org_admin(actor, corp_id).await?;
        let by = match &member {
            Some(m) => m.user_id.clone(),
            None => tessera_core::ids::UserId::parse("operator")?,
        };
        let installed = self.inner.store.installation(client_id, corp_id).await?.is_some();
        if !installed {
            return Err(DomainError::NotFound(format!("{client_id} is not activated in {corp_id}")).into());
        }
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(corp_id.clone()),
            actor: actor.label(member.as_ref()),
            action: AuditAction::AppUninstalled,
            target: format!("app:{client_id}"),
            detail: "every grant in the org recalled".into(),
        });
        self.commit_grants(&[
            Change::DeleteInstallation { client_id: client_id.clone(), corp_id: corp_id.clone(), by },
            audit,
        ])
        .await
    }

    /// The org admin's membership, or `None` for an operator.
    pub(crate) async fn org_admin(&self, actor: &Actor, corp_id: &CorpId) -> Result<Option<Member>, ManageError> {
        match actor {
            Actor::Operator => {
                self.inner.store.org(corp_id).await?.ok_or_else(|| DomainError::UnknownOrg(corp_id.clone()))?;
                Ok(None)
            }
            Actor::Person(u) => {
                let m = self.membership(u, corp_id).await?;
                check_org_admin(&m)?;
                Ok(Some(m))
            }
        }
    }

    /// A holder of the scope's eligible role authorizes ("Accept the app's request for
    /// permissions") or recalls ("Recall permissions previously granted to the app") a
    /// sensitive scope for an app activated in their org.
    pub async fn set_grant(
        &self,
        actor: &Actor,
        corp_id: &CorpId,
        client_id: &ClientId,
        code: &ScopeCode,
        authorize: bool,
    ) -> Result<(), ManageError> {
        let Actor::Person(union_id) = actor else {
            return Err(not_allowed(
                "sensitive scopes are authorized by a member of the org holding the eligible role",
            ));
        };
        let member = self.membership(union_id, corp_id).await?;
        if authorize {
            let changes = self.authorize_changes(actor, &member, client_id, code).await?;
            return self.commit_grants(&changes).await;
        }
        let scope = self.scope_of(code).await?;
        check_authorizer(&scope, &member)?;
        self.app_or_404(client_id).await?;
        let granted = self.inner.store.org_grants(client_id, corp_id).await?.iter().any(|g| &g.scope == code);
        if !granted {
            return Err(DomainError::NotFound(format!("{code} is not authorized for {client_id} in {corp_id}")).into());
        }
        let change = Change::RevokeOrgGrant {
            client_id: client_id.clone(),
            corp_id: corp_id.clone(),
            scope: code.clone(),
            by: member.user_id.clone(),
        };
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(corp_id.clone()),
            actor: actor.label(Some(&member)),
            action: AuditAction::ScopeRevoked,
            target: format!("app:{client_id} scope:{code}"),
            detail: "Recall permissions previously granted to the app".into(),
        });
        self.commit_grants(&[change, audit]).await
    }

    /// The grant of `code` to the app in `member`'s org with its audit event ("Accept the
    /// app's request for permissions"), after checking that the member holds the eligible
    /// role, the app is activated there and enabled the scope, and it is not granted yet.
    pub(crate) async fn authorize_changes(
        &self,
        actor: &Actor,
        member: &Member,
        client_id: &ClientId,
        code: &ScopeCode,
    ) -> Result<Vec<Change>, ManageError> {
        let corp_id = &member.corp_id;
        let scope = self.scope_of(code).await?;
        check_authorizer(&scope, member)?;
        let app = self.app_or_404(client_id).await?;
        let standing = self.standing(&app.client_id, corp_id).await?;
        let granted = self.inner.store.org_grants(client_id, corp_id).await?.iter().any(|g| &g.scope == code);
        if !standing.installed {
            return Err(DomainError::NotInstalled { client_id: client_id.clone(), corp_id: corp_id.clone() }.into());
        }
        if scope.tier == ScopeTier::Sensitive && !standing.enabled.contains(code) {
            return Err(DomainError::ScopeNotEnabled { client_id: client_id.clone(), scope: code.clone() }.into());
        }
        if granted {
            return Err(
                DomainError::Conflict(format!("{code} is already authorized for {client_id} in {corp_id}")).into()
            );
        }
        let grant = OrgGrant {
            client_id: client_id.clone(),
            corp_id: corp_id.clone(),
            scope: code.clone(),
            granted_by: member.user_id.clone(),
            granted_at: self.now(),
        };
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(corp_id.clone()),
            actor: actor.label(Some(member)),
            action: AuditAction::ScopeAuthorized,
            target: format!("app:{client_id} scope:{code}"),
            detail: "Accept the app's request for permissions".into(),
        });
        Ok(vec![Change::InsertOrgGrant(grant), audit])
    }

    /// The org's audit log (its org admins and operators).
    pub async fn audit_log(
        &self,
        actor: &Actor,
        corp_id: &CorpId,
        mut filter: AuditFilter,
    ) -> Result<Vec<AuditEvent>, ManageError> {
        self.org_admin(actor, corp_id).await?;
        filter.corp_id = Some(corp_id.clone());
        filter.limit = filter.limit.clamp(1, 500);
        Ok(self.inner.store.audit_events(&filter).await?)
    }

    /// Commits changes that can alter decisions; the store decorator drops this node's
    /// caches (other nodes hear of it from the store).
    pub(crate) async fn commit_grants(&self, changes: &[Change]) -> Result<(), ManageError> {
        self.inner.store.commit(changes, self.now()).await?;
        Ok(())
    }

    /// Follows the store's grant-change announcements, dropping every cache on each (the
    /// store also announces each (re-)established listening connection, since announcements
    /// may have been missed); returns when the store cannot announce (a single node) or the
    /// announcements end.
    pub async fn follow_grant_changes(&self) -> Result<(), StoreError> {
        let Some(mut changes) = self.inner.store.grant_changes().await? else {
            return Ok(());
        };
        while changes.recv().await.is_some() {
            self.inner.cache.invalidate_all();
        }
        Ok(())
    }
}
