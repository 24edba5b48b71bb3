//! Shared look-ups: apps by id, the scopes an app has enabled, and an app's standing in an
//! org (what it holds there), read through the caches; and the people, memberships and
//! installations the HTTP layer shows, read from the store (handlers never hold the store).

use std::collections::HashSet;
use std::sync::Arc;

use tessera_core::app::App;
use tessera_core::decision::AppStanding;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId, UserId};
use tessera_core::installation::Installation;
use tessera_core::member::Member;
use tessera_core::permission::PermissionStatus;
use tessera_core::scope::ScopeTier;
use tessera_store::{StoreError, StoredUser};

use crate::Tessera;

impl Tessera {
    pub(crate) async fn app(&self, client_id: &ClientId) -> Result<Option<Arc<App>>, StoreError> {
        let cache = &self.inner.cache;
        if let Some(app) = cache.apps.get(client_id, self.now()) {
            return Ok(Some(app));
        }
        let fill = cache.fill();
        let Some(app) = self.inner.store.app(client_id).await? else {
            return Ok(None);
        };
        let app = Arc::new(app);
        cache.apps.insert(fill, client_id.clone(), app.clone(), self.now());
        Ok(Some(app))
    }

    /// Scopes whose permission request is enabled for the app.
    pub async fn enabled_scopes(&self, client_id: &ClientId) -> Result<HashSet<ScopeCode>, StoreError> {
        Ok(self
            .inner
            .store
            .permissions(client_id)
            .await?
            .into_iter()
            .filter(|p| p.status == PermissionStatus::Enabled)
            .map(|p| p.scope)
            .collect())
    }

    /// What the app holds in the org, cached until a grant changes (or re-read after the
    /// re-validation period).
    pub async fn standing(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Arc<AppStanding>, StoreError> {
        let key = (client_id.clone(), corp_id.clone());
        let cache = &self.inner.cache;
        if let Some(s) = cache.standing.get(&key, self.now()) {
            return Ok(s);
        }
        let fill = cache.fill();
        let store = &self.inner.store;
        let enabled = self.enabled_scopes(client_id).await?;
        let installed = store.installation(client_id, corp_id).await?.is_some();
        let org_granted = store.org_grants(client_id, corp_id).await?.into_iter().map(|g| g.scope).collect();
        let standing = Arc::new(AppStanding { enabled, installed, org_granted });
        cache.standing.insert(fill, key, standing.clone(), self.now());
        Ok(standing)
    }

    /// The scopes the app holds in the org now: its enabled scopes that are not sensitive,
    /// and the sensitive ones the org authorized; none where it is not installed. Sorted.
    pub async fn held_scopes(&self, client_id: &ClientId, corp_id: &CorpId) -> Result<Vec<ScopeCode>, StoreError> {
        let standing = self.standing(client_id, corp_id).await?;
        if !standing.installed {
            return Ok(Vec::new());
        }
        let catalog = self.catalog().await?;
        let mut scopes: Vec<ScopeCode> = standing
            .enabled
            .iter()
            .filter(|s| catalog.get(*s).is_some_and(|d| d.tier != ScopeTier::Sensitive))
            .chain(standing.org_granted.iter())
            .cloned()
            .collect();
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }

    /// A user (person) by union id.
    pub async fn user(&self, union_id: &UnionId) -> Result<Option<StoredUser>, StoreError> {
        self.inner.store.user(union_id).await
    }

    /// A member of an org by user id.
    pub async fn member(&self, corp_id: &CorpId, user_id: &UserId) -> Result<Option<Member>, StoreError> {
        self.inner.store.member(corp_id, user_id).await
    }

    /// The membership of a person (by union id) in an org.
    pub async fn member_by_union(&self, corp_id: &CorpId, union_id: &UnionId) -> Result<Option<Member>, StoreError> {
        self.inner.store.member_by_union(corp_id, union_id).await
    }

    /// The orgs that installed an app.
    pub async fn installations(&self, client_id: &ClientId) -> Result<Vec<Installation>, StoreError> {
        self.inner.store.installations(client_id).await
    }
}
