//! The sample Open API's data: departments, member profiles and documents, read and written
//! by the gateway's built-in sample routes. Kept apart from [`Store`](crate::Store), which
//! holds only what the authorization server itself decides with. Documents are inserted and
//! their readers set through [`Store::commit`](crate::Store::commit) (a fixture loads them
//! with everything else, in one transaction).

use async_trait::async_trait;
use tessera_core::document::Document;
use tessera_core::ids::{CorpId, UserId};

use crate::StoreError;

/// A department of the sample contacts API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub corp_id: CorpId,
    pub dept_id: i64,
    pub name: String,
    pub parent_id: i64,
}

/// The root department every org has.
pub const ROOT_DEPARTMENT: i64 = 1;

#[async_trait]
pub trait SampleData: Send + Sync + 'static {
    /// An org's documents, by id.
    async fn documents(&self, corp_id: &CorpId) -> Result<Vec<Document>, StoreError>;
    async fn department(&self, corp_id: &CorpId, dept_id: i64) -> Result<Option<Department>, StoreError>;
    /// Creates a department under `parent_id` (which must exist) and returns its id.
    async fn create_department(&self, corp_id: &CorpId, name: &str, parent_id: i64) -> Result<i64, StoreError>;
    /// Updates a member's display name and/or title; `false` when there is no such member.
    async fn update_member_profile(
        &self,
        corp_id: &CorpId,
        user_id: &UserId,
        name: Option<&str>,
        title: Option<&str>,
    ) -> Result<bool, StoreError>;
}
