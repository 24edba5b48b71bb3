//! The scope catalogue: the core's built-in scopes plus those operators defined.

use std::collections::HashMap;
use std::sync::Arc;

use tessera_core::DomainError;
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::catalog::builtin_scopes;
use tessera_core::change::Change;
use tessera_core::ids::ScopeCode;
use tessera_core::scope::Scope;
use tessera_store::StoreError;

use crate::Tessera;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Tessera {
    /// The whole catalogue, cached until a scope is defined.
    pub async fn catalog(&self) -> Result<Arc<HashMap<ScopeCode, Scope>>, StoreError> {
        let cache = &self.inner.cache;
        if let Some(c) = cache.catalog.get(&(), self.now()) {
            return Ok(c);
        }
        let fill = cache.fill();
        let mut all: HashMap<ScopeCode, Scope> = builtin_scopes().into_iter().map(|s| (s.code.clone(), s)).collect();
        for s in self.inner.store.scopes().await? {
            // Built-in codes cannot be redefined; `define_scope` refuses it, so this only skips
            // rows written around the service.
            all.entry(s.code.clone()).or_insert(s);
        }
        let all = Arc::new(all);
        cache.catalog.insert(fill, (), all.clone(), self.now());
        Ok(all)
    }

    /// Adds an operator scope (or replaces an operator scope's definition).
    pub async fn define_scope(&self, scope: Scope, actor: &str) -> Result<(), CatalogError> {
        scope.validate()?;
        if builtin_scopes().iter().any(|b| b.code == scope.code) {
            return Err(
                DomainError::Conflict(format!("{} is a built-in scope and cannot be redefined", scope.code)).into()
            );
        }
        let audit = Change::Audit(AuditDraft {
            corp_id: None,
            actor: actor.into(),
            action: AuditAction::ScopeDefined,
            target: format!("scope:{}", scope.code),
            detail: format!("tier:{}", scope.tier.as_str()),
        });
        self.inner.store.commit(&[Change::PutScope(scope), audit], self.now()).await?;
        Ok(())
    }
}
