//! The sample API's membership reads from memory: the user-token routes read the caller's
//! membership in the token's org on every call. The sample API stands in for the platform's
//! own upstream, whose data the authorization server does not decide with, so a membership
//! may be as old as the re-validation period after a change on another node (or written to
//! the store behind the server's back); on this node every change to members or orgs drops
//! them (after the commit, and after the sample API's own writes), so the next call reads it.
//! Documents (whose readers the resource decision depends on) are read on every call.

use std::sync::Arc;

use async_trait::async_trait;
use tessera_core::change::Change;
use tessera_core::document::Document;
use tessera_core::ids::{CorpId, UnionId, UserId};
use tessera_core::member::Member;
use tessera_store::{Department, SampleData, StoreError};

use crate::Tessera;
use crate::cache::Caches;

/// Whether `change` can alter a membership the sample API reads.
pub(crate) fn alters_sample(change: &Change) -> bool {
    matches!(change, Change::InsertOrg(_) | Change::InsertUser { .. } | Change::InsertMember(_))
}

/// The sample API's data, dropping the cached reads after each of its writes (also after an
/// error: a failed write may still have been applied).
pub struct InvalidatingSample(pub Arc<dyn SampleData>, pub Arc<Caches>);

#[async_trait]
impl SampleData for InvalidatingSample {
    async fn documents(&self, corp_id: &CorpId) -> Result<Vec<Document>, StoreError> {
        self.0.documents(corp_id).await
    }

    async fn department(&self, corp_id: &CorpId, dept_id: i64) -> Result<Option<Department>, StoreError> {
        self.0.department(corp_id, dept_id).await
    }

    async fn create_department(&self, corp_id: &CorpId, name: &str, parent_id: i64) -> Result<i64, StoreError> {
        let result = self.0.create_department(corp_id, name, parent_id).await;
        self.1.invalidate_sample();
        result
    }

    async fn update_member_profile(
        &self,
        corp_id: &CorpId,
        user_id: &UserId,
        name: Option<&str>,
        title: Option<&str>,
    ) -> Result<bool, StoreError> {
        let result = self.0.update_member_profile(corp_id, user_id, name, title).await;
        self.1.invalidate_sample();
        result
    }
}

impl Tessera {
    /// The membership of a person in an org, as the sample API reads it.
    pub async fn sample_member(&self, corp_id: &CorpId, union_id: &UnionId) -> Result<Option<Arc<Member>>, StoreError> {
        let cache = &self.inner.cache;
        let key = (corp_id.clone(), union_id.clone());
        if let Some(member) = cache.sample_members.get(&key, self.now()) {
            return Ok(member);
        }
        let fill = cache.fill();
        let member = self.inner.store.member_by_union(corp_id, union_id).await?.map(Arc::new);
        cache.sample_members.insert(fill, key, member.clone(), self.now());
        Ok(member)
    }
}
