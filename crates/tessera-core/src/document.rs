//! Documents of the sample Open API: a resource with an access list, to show that a user
//! token never does more than its user can.

use std::collections::BTreeSet;

use crate::ids::{CorpId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub corp_id: CorpId,
    pub doc_id: i64,
    pub title: String,
    pub body: String,
    /// Members who may read it.
    pub readers: BTreeSet<UserId>,
}
