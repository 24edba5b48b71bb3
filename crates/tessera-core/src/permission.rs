//! Permission request: an app's request for a scope and where it stands.

use crate::error::DomainError;
use crate::ids::{ClientId, ScopeCode};
use crate::time::UnixTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionStatus {
    Enabled,
    PendingReview,
    ReviewFailed,
}

impl PermissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionStatus::Enabled => "enabled",
            PermissionStatus::PendingReview => "pending_review",
            PermissionStatus::ReviewFailed => "review_failed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "enabled" => Ok(PermissionStatus::Enabled),
            "pending_review" => Ok(PermissionStatus::PendingReview),
            "review_failed" => Ok(PermissionStatus::ReviewFailed),
            other => Err(DomainError::InvalidField {
                field: "status",
                reason: format!("{other:?} is not a permission status"),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRequest {
    pub client_id: ClientId,
    pub scope: ScopeCode,
    pub status: PermissionStatus,
    pub description: String,
    /// The reviewer's reason when declined.
    pub reason: Option<String>,
    pub updated_at: UnixTime,
}
