//! Explaining a decision: for an app in an org (and optionally a user), each scope's first
//! missing step and what to do next.

use tessera_core::DomainError;
use tessera_core::explain::{ScopeAnswer, ScopeFacts, explain_scope};
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};

use crate::Tessera;
use crate::management::{Actor, ManageError};

impl Tessera {
    /// Explains `scopes` for `client_id` in `corp_id`; with `union_id`, also the user's consent.
    /// Operators may ask about anything; a person about their own org or their org's apps.
    pub async fn explain(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        corp_id: &CorpId,
        union_id: Option<&UnionId>,
        scopes: &[ScopeCode],
    ) -> Result<Vec<ScopeAnswer>, ManageError> {
        let store = &self.inner.store;
        let app = self.app(client_id).await?.ok_or_else(|| DomainError::NotFound(format!("no app {client_id}")))?;
        store.org(corp_id).await?.ok_or_else(|| DomainError::UnknownOrg(corp_id.clone()))?;
        if let Actor::Person(u) = actor {
            let in_org = store.member_by_union(corp_id, u).await?.is_some();
            let developer = store.member_by_union(&app.owner_corp_id, u).await?.is_some();
            if !in_org && !developer {
                return Err(DomainError::NotAllowed(format!(
                    "you are neither a member of {corp_id} nor a developer of {client_id}"
                ))
                .into());
            }
        }
        let catalog = self.catalog().await?;
        let requests = store.permissions(client_id).await?;
        let installed = store.installation(client_id, corp_id).await?.is_some();
        let grants = store.org_grants(client_id, corp_id).await?;
        let revoked = store.revoked_grants(client_id, corp_id).await?;
        let members = store.members_of(corp_id).await?;
        let consent = match union_id {
            Some(u) => Some(store.consent(u, client_id).await?),
            None => None,
        };
        Ok(scopes
            .iter()
            .map(|code| {
                let scope = catalog.get(code);
                let holders: Vec<_> = scope
                    .and_then(|s| s.eligible_role.as_ref())
                    .map(|role| members.iter().filter(|m| m.holds_org_wide(role)).map(|m| m.user_id.clone()).collect())
                    .unwrap_or_default();
                explain_scope(&ScopeFacts {
                    code,
                    corp_id,
                    scope,
                    request: requests.iter().find(|r| &r.scope == code),
                    installed,
                    granted: grants.iter().any(|g| &g.scope == code),
                    last_revocation: revoked.iter().rev().find(|r| &r.grant.scope == code),
                    eligible_holders: &holders,
                    consented: consent.as_ref().map(|c| c.as_ref().is_some_and(|c| c.scopes.contains(code))),
                })
            })
            .collect())
    }
}
