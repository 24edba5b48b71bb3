//! Scope: a named permission with a tier, the identity it applies to and, for sensitive
//! scopes, the role that must authorize it in each org.

use crate::error::DomainError;
use crate::ids::{Role, ScopeCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeTier {
    /// Granted to every app on creation.
    Basic,
    /// Requested by the developer, enabled at once.
    Standard,
    /// Requested with a description and reviewed by the platform.
    Special,
    /// Reviewed like special, and authorized in each org by a holder of the eligible role.
    Sensitive,
}

impl ScopeTier {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeTier::Basic => "basic",
            ScopeTier::Standard => "standard",
            ScopeTier::Special => "special",
            ScopeTier::Sensitive => "sensitive",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "basic" => Ok(ScopeTier::Basic),
            "standard" => Ok(ScopeTier::Standard),
            "special" => Ok(ScopeTier::Special),
            "sensitive" => Ok(ScopeTier::Sensitive),
            other => Err(DomainError::InvalidField {
                field: "tier",
                reason: format!("{other:?} is not one of basic, standard, special, sensitive"),
            }),
        }
    }
}

/// Which identity a scope applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeIdentity {
    App,
    User,
    Both,
}

impl ScopeIdentity {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeIdentity::App => "app",
            ScopeIdentity::User => "user",
            ScopeIdentity::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "app" => Ok(ScopeIdentity::App),
            "user" => Ok(ScopeIdentity::User),
            "both" => Ok(ScopeIdentity::Both),
            other => Err(DomainError::InvalidField {
                field: "identity",
                reason: format!("{other:?} is not one of app, user, both"),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub code: ScopeCode,
    pub description: String,
    pub tier: ScopeTier,
    /// For sensitive scopes: the org-wide role whose holders may authorize it.
    pub eligible_role: Option<Role>,
    /// `false`: "new applications are temporarily not supported".
    pub open_for_requests: bool,
    /// Only apps of verified orgs may request it.
    pub requires_verified_org: bool,
    pub identity: ScopeIdentity,
}

impl Scope {
    /// Checks the invariants a catalogue entry must hold.
    pub fn validate(&self) -> Result<(), DomainError> {
        match (self.tier, &self.eligible_role) {
            (ScopeTier::Sensitive, None) => Err(DomainError::InvalidField {
                field: "eligible_role",
                reason: format!("sensitive scope {} needs an eligible role", self.code),
            }),
            (ScopeTier::Sensitive, Some(_)) | (_, None) => Ok(()),
            (tier, Some(_)) => Err(DomainError::InvalidField {
                field: "eligible_role",
                reason: format!("only sensitive scopes have an eligible role; {} is {}", self.code, tier.as_str()),
            }),
        }
    }

    pub fn needs_review(&self) -> bool {
        matches!(self.tier, ScopeTier::Special | ScopeTier::Sensitive)
    }
}
