//! What a user authorized, and withdrawing it: the consent goes, every token of that
//! (user, app) dies at once, and the app gets a back-channel logout token if it listens.

use std::sync::Arc;

use tessera_core::app::App;
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::consent::Consent;
use tessera_core::ids::{ClientId, UnionId};
use tessera_store::StoreError;

use crate::Tessera;

impl Tessera {
    /// The user's consents, each with its app.
    pub async fn authorized_apps(&self, union_id: &UnionId) -> Result<Vec<(Consent, Arc<App>)>, StoreError> {
        let mut out = Vec::new();
        for consent in self.inner.store.consents_of(union_id).await? {
            if let Some(app) = self.app(&consent.client_id).await? {
                out.push((consent, app));
            }
        }
        Ok(out)
    }

    /// Withdraws the user's consent to an app and revokes every token it issued them.
    /// Returns `false` when there was no consent.
    pub async fn withdraw_consent(&self, union_id: &UnionId, client_id: &ClientId) -> Result<bool, StoreError> {
        if self.inner.store.consent(union_id, client_id).await?.is_none() {
            return Ok(false);
        }
        let actor = format!("user:{union_id}");
        // The org whose log shows it: where the user used the app (its own org for an internal
        // app, else the first of the user's orgs that activated it).
        let store = &self.inner.store;
        let installed = store.installations(client_id).await?;
        let corp_id = store
            .memberships_of(union_id)
            .await?
            .into_iter()
            .map(|m| m.corp_id)
            .find(|c| installed.iter().any(|i| &i.corp_id == c));
        let changes = [
            Change::DeleteConsent { union_id: union_id.clone(), client_id: client_id.clone() },
            Change::RevokeUserTokens { union_id: union_id.clone(), client_id: client_id.clone() },
            Change::Audit(AuditDraft {
                corp_id: corp_id.clone(),
                actor: actor.clone(),
                action: AuditAction::ConsentWithdrawn,
                target: format!("app:{client_id}"),
                detail: String::new(),
            }),
            Change::Audit(AuditDraft {
                corp_id,
                actor,
                action: AuditAction::TokensRevoked,
                target: format!("app:{client_id} user:{union_id}"),
                detail: "consent withdrawn".into(),
            }),
        ];
        self.inner.store.commit(&changes, self.now()).await?;
        // The app is told, if it listens (Back-Channel Logout): no session ended, so no sid.
        self.backchannel_logout(union_id, client_id, None).await;
        Ok(true)
    }
}
