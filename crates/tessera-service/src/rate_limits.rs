//! An app's gateway rate limits, set by a platform operator (the route table sets them for
//! every app; an app's own replace them for that app).

use std::sync::Arc;

use tessera_core::DomainError;
use tessera_core::app::{App, RateLimits};
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::ids::ClientId;
use tessera_store::StoreError;

use crate::Tessera;
use crate::management::{Actor, ManageError};

impl Tessera {
    /// The app's own rate limits (cached like the app; none for an unknown app).
    pub async fn app_rate_limits(&self, client_id: &ClientId) -> Result<RateLimits, StoreError> {
        Ok(self.app(client_id).await?.map(|a| a.rate_limits).unwrap_or_default())
    }

    /// An operator sets (or, with `None`, clears) an app's requests per second over every
    /// route and on each route. Returns the app as it now is.
    pub async fn set_rate_limits(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        limits: RateLimits,
    ) -> Result<Arc<App>, ManageError> {
        if actor != &Actor::Operator {
            return Err(DomainError::NotAllowed("only platform operators set rate limits".into()).into());
        }
        limits.validate()?;
        let app = self.app(client_id).await?.ok_or_else(|| DomainError::NotFound(format!("no app {client_id}")))?;
        let shown = |v: Option<u32>| v.map_or_else(|| "table".to_owned(), |v| v.to_string());
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(app.owner_corp_id.clone()),
            actor: actor.label(None),
            action: AuditAction::RateLimitsChanged,
            target: format!("app:{client_id}"),
            detail: format!("app_qps:{} route_qps:{}", shown(limits.app_qps), shown(limits.route_qps)),
        });
        let set = Change::SetRateLimits { client_id: client_id.clone(), limits };
        self.commit_grants(&[set, audit]).await?;
        let app = self.app(client_id).await?.ok_or_else(|| DomainError::NotFound(format!("no app {client_id}")))?;
        Ok(app)
    }
}
