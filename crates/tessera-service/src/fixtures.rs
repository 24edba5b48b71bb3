//! Loading a fixture: gather what exists of what the fixture names, plan the missing
//! changes in the core, and commit them in one transaction.

use std::collections::{HashMap, HashSet};

use tessera_core::DomainError;
use tessera_core::fixture::{Existing, ExistingUser, Fixture, PlanContext, plan};
use tessera_core::ids::{ClientId, CorpId, UserId};
use tessera_core::secret::Secret;
use tessera_store::StoreError;

use crate::Tessera;
use crate::password::{self, PasswordError};

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("fixture refused: {0}")]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// What loading did.
#[derive(Debug)]
pub struct FixtureReport {
    pub changes: usize,
    /// Secrets generated for apps that had none in the fixture: shown once, never stored.
    pub generated_secrets: Vec<(ClientId, Secret)>,
}

impl Tessera {
    pub async fn load_fixture(&self, fixture: &Fixture) -> Result<FixtureReport, FixtureError> {
        let existing = self.existing_for(fixture).await?;
        let mut new_password_hashes = HashMap::new();
        for u in &fixture.users {
            if let (Some(pw), false) = (&u.password, existing.users.contains_key(&u.union_id)) {
                new_password_hashes.insert(
                    u.union_id.clone(),
                    password::hash(Secret::new(pw.clone()), self.inner.config.password_memory_kib).await?,
                );
            }
        }
        let ctx = PlanContext { key: &self.inner.key, now: self.now(), new_password_hashes: &new_password_hashes };
        let planned = plan(fixture, &existing, &ctx, &mut rand::rng())?;
        if !planned.changes.is_empty() {
            self.inner.store.commit(&planned.changes, self.now()).await?;
        }
        // The keys of the algorithms the apps chose are published before their first ID
        // token: a relying party that reads the JWKS once at start finds the key it needs.
        for change in &planned.changes {
            if let tessera_core::change::Change::PutOidcClient(c) = change {
                self.publish_keys_for(c.id_token_alg).await?;
            }
        }
        Ok(FixtureReport { changes: planned.changes.len(), generated_secrets: planned.generated_secrets })
    }

    async fn existing_for(&self, fixture: &Fixture) -> Result<Existing, FixtureError> {
        let store = self.store();
        let mut ex = Existing { catalog: (*self.catalog().await?).clone(), ..Existing::default() };
        let mut corps: HashSet<CorpId> = fixture.orgs.iter().map(|o| o.corp_id.clone()).collect();
        corps.extend(fixture.apps.iter().map(|a| a.owner_corp_id.clone()));
        corps.extend(fixture.installations.iter().map(|i| i.corp_id.clone()));
        let mut members: HashSet<(CorpId, UserId)> = HashSet::new();
        for u in &fixture.users {
            for m in &u.memberships {
                corps.insert(m.corp_id.clone());
                members.insert((m.corp_id.clone(), m.user_id.clone()));
            }
        }
        for i in &fixture.installations {
            if let Some(by) = &i.authorized_by {
                members.insert((i.corp_id.clone(), by.clone()));
            }
        }
        for c in corps {
            if let Some(org) = store.org(&c).await? {
                ex.orgs.insert(c, org);
            }
        }
        for u in &fixture.users {
            if let Some(stored) = store.user(&u.union_id).await? {
                let has_password = stored.password_hash.is_some();
                let password_matches = match (&u.password, stored.password_hash) {
                    (Some(pw), Some(phc)) => Some(password::verify(Secret::new(pw.clone()), phc).await?),
                    _ => None,
                };
                ex.users.insert(u.union_id.clone(), ExistingUser { user: stored.user, has_password, password_matches });
            }
            if let Some(p) = store.user_profile(&u.union_id).await? {
                ex.profiles.insert(u.union_id.clone(), p);
            }
        }
        for (corp, user) in members {
            if let Some(m) = store.member(&corp, &user).await? {
                ex.members.insert((corp, user), m);
            }
        }
        let mut client_ids: HashSet<ClientId> = fixture.apps.iter().map(|a| a.client_id.clone()).collect();
        client_ids.extend(fixture.installations.iter().map(|i| i.client_id.clone()));
        for id in client_ids {
            let Some(app) = store.app(&id).await? else {
                continue;
            };
            ex.enabled.insert(id.clone(), self.enabled_scopes(&id).await?);
            if let Some(c) = store.oidc_client(&id).await? {
                ex.oidc_clients.insert(id.clone(), c);
            }
            if let Some(t) = store.suite_ticket(&id).await? {
                ex.tickets.insert(id.clone(), t);
            }
            for inst in store.installations(&id).await? {
                for g in store.org_grants(&id, &inst.corp_id).await? {
                    ex.grants.insert((id.clone(), inst.corp_id.clone(), g.scope));
                }
                ex.installations.insert((id.clone(), inst.corp_id));
            }
            ex.apps.insert(id, app);
        }
        let doc_corps: HashSet<&CorpId> = fixture.documents.iter().map(|d| &d.corp_id).collect();
        for corp in doc_corps {
            for doc in self.sample_data().documents(corp).await? {
                ex.documents.insert((doc.corp_id.clone(), doc.doc_id), doc);
            }
        }
        Ok(ex)
    }
}
