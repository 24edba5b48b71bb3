//! Apps a developer org registers: listing them, registering one (its secret is returned
//! once and only its keyed hash is kept), its redirect URIs, and rotating its secret with an
//! overlap during which the previous secret still works. Also the one check of a presented
//! client secret against the current and the still-overlapping previous ones.

use std::sync::Arc;

use rand::Rng;
use tessera_core::DomainError;
use tessera_core::app::{App, AppKind};
use tessera_core::audit::{AuditAction, AuditDraft};
use tessera_core::change::Change;
use tessera_core::ids::{ClientId, CorpId};
use tessera_core::lifecycle::check_developer;
use tessera_core::registration::{NewApp, app_name, redirect_uris, register, secret_overlap};
use tessera_core::secret::Secret;
use tessera_core::time::UnixTime;
use tessera_store::StoreError;

use crate::Tessera;
use crate::cache::PreviousSecrets;
use crate::management::{Actor, ManageError};

/// A secret handed out once: the new client secret and until when the previous one works.
#[derive(Debug)]
pub struct RotatedSecret {
    pub secret: Secret,
    /// `None` when the previous secret stopped working at once.
    pub previous_valid_until: Option<UnixTime>,
}

impl Tessera {
    /// The apps `corp_id` registered (its members and operators).
    pub async fn org_apps(&self, actor: &Actor, corp_id: &CorpId) -> Result<Vec<App>, ManageError> {
        self.developer_of(actor, corp_id).await?;
        Ok(self.inner.store.apps_owned_by(corp_id).await?)
    }

    /// An app of the caller's org (its developers and operators).
    pub async fn own_app(&self, actor: &Actor, client_id: &ClientId) -> Result<Arc<App>, ManageError> {
        let app = self.app(client_id).await?.ok_or_else(|| DomainError::NotFound(format!("no app {client_id}")))?;
        self.developer_of(actor, &app.owner_corp_id).await?;
        Ok(app)
    }

    /// A member of `owner` (or an operator) registers an app for it. Returns the app and its
    /// client secret, which is never shown again.
    pub async fn create_app(
        &self,
        actor: &Actor,
        owner: &CorpId,
        name: &str,
        kind: AppKind,
        uris: &[String],
    ) -> Result<(App, Secret), ManageError> {
        let label = self.developer_of(actor, owner).await?;
        // One name per app in an org: a form sent twice does not register two apps.
        let wanted = app_name(name)?;
        if self.inner.store.apps_owned_by(owner).await?.iter().any(|a| a.name == wanted) {
            return Err(DomainError::Conflict(format!("{owner} already has an app named {wanted:?}")).into());
        }
        let (client_id, secret) = {
            let mut rng = rand::rng();
            let id = ClientId::parse(format!("ding{:016x}", rng.random::<u64>()))?;
            (id, Secret::generate("", &mut rng))
        };
        let catalog = self.catalog().await?;
        let new = NewApp {
            client_id,
            name: name.to_owned(),
            kind,
            owner_corp_id: owner.clone(),
            secret_hash: self.inner.key.hash(&secret),
            redirect_uris: uris.to_vec(),
        };
        let (app, changes) = register(new, &catalog, label, self.now())?;
        self.commit_app_changes(&changes).await?;
        Ok((app, secret))
    }

    /// Replaces the app's client secret; the previous one keeps working for `overlap_seconds`,
    /// and so do the app, corp and suite tokens handed out before (with no overlap they are
    /// revoked at once).
    pub async fn rotate_secret(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        overlap_seconds: i64,
    ) -> Result<RotatedSecret, ManageError> {
        let app = self.own_app(actor, client_id).await?;
        let label = self.developer_of(actor, &app.owner_corp_id).await?;
        if app.public_client {
            return Err(DomainError::Conflict(format!("{client_id} is a public client: it has no secret")).into());
        }
        let overlap = secret_overlap(overlap_seconds)?;
        let secret = Secret::generate("", &mut rand::rng());
        let now = self.now();
        let until = now.plus_secs(overlap);
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(app.owner_corp_id.clone()),
            actor: label,
            action: AuditAction::SecretRotated,
            target: format!("app:{client_id}"),
            detail: if overlap > 0 {
                format!("previous secret valid for {overlap} more seconds")
            } else {
                "every previous secret stopped working at once".into()
            },
        });
        let rotate = Change::RotateSecret {
            client_id: client_id.clone(),
            secret_hash: self.inner.key.hash(&secret),
            previous_valid_until: until,
        };
        self.commit_app_changes(&[rotate, audit]).await?;
        // The tokens handed out before were revoked or cut to the overlap: forget them, and
        // the reuse cache, so the new secret is never handed a pre-rotation token (other
        // nodes drop theirs when the store announces the change).
        self.inner.cache.invalidate_all();
        Ok(RotatedSecret { secret, previous_valid_until: (overlap > 0).then_some(until) })
    }

    /// Replaces the app's redirect URIs; every user's consent to the app is forgotten, so the
    /// next authorization asks again.
    pub async fn set_redirect_uris(
        &self,
        actor: &Actor,
        client_id: &ClientId,
        uris: &[String],
    ) -> Result<Vec<String>, ManageError> {
        let app = self.own_app(actor, client_id).await?;
        let label = self.developer_of(actor, &app.owner_corp_id).await?;
        let uris = redirect_uris(uris)?;
        let audit = Change::Audit(AuditDraft {
            corp_id: Some(app.owner_corp_id.clone()),
            actor: label,
            action: AuditAction::RedirectUrisChanged,
            target: format!("app:{client_id}"),
            detail: uris.join(" "),
        });
        let set = Change::SetRedirectUris { client_id: client_id.clone(), redirect_uris: uris.clone() };
        self.commit_app_changes(&[set, audit]).await?;
        Ok(uris)
    }

    /// Whether `secret` is the app's client secret, or a previous one still in its overlap.
    pub async fn secret_matches(&self, app: &App, secret: &Secret) -> Result<bool, StoreError> {
        if self.inner.key.verify(secret, &app.secret_hash) {
            return Ok(true);
        }
        let now = self.now();
        Ok(self
            .previous_secrets(&app.client_id)
            .await?
            .iter()
            .any(|(hash, until)| *until > now && self.inner.key.verify(secret, hash)))
    }

    async fn previous_secrets(&self, client_id: &ClientId) -> Result<PreviousSecrets, StoreError> {
        let cache = &self.inner.cache;
        if let Some(p) = cache.previous_secrets.get(client_id, self.now()) {
            return Ok(p);
        }
        let fill = cache.fill();
        let list = Arc::new(self.inner.store.previous_secrets(client_id).await?);
        cache.previous_secrets.insert(fill, client_id.clone(), list.clone(), self.now());
        Ok(list)
    }

    /// The audit label of a developer of `owner`: one of its members holding the org-wide
    /// `developer` or `org_admin` role, or an operator.
    async fn developer_of(&self, actor: &Actor, owner: &CorpId) -> Result<String, ManageError> {
        match actor {
            Actor::Operator => {
                self.inner.store.org(owner).await?.ok_or_else(|| DomainError::UnknownOrg(owner.clone()))?;
                Ok("operator".into())
            }
            Actor::Person(u) => {
                let m = self
                    .inner
                    .store
                    .member_by_union(owner, u)
                    .await?
                    .ok_or_else(|| DomainError::NotAllowed(format!("you are not a member of {owner}")))?;
                check_developer(&m)?;
                Ok(format!("member:{}/{}", m.corp_id, m.user_id))
            }
        }
    }

    /// Commits app changes (the store decorator drops the caches they affect).
    async fn commit_app_changes(&self, changes: &[Change]) -> Result<(), ManageError> {
        self.inner.store.commit(changes, self.now()).await?;
        Ok(())
    }
}
