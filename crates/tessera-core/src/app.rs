//! App: registered by a developer org, with credentials and redirect URIs.

use crate::error::DomainError;
use crate::ids::{ClientId, CorpId};
use crate::secret::SecretHash;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// Used only by its own org.
    Internal,
    /// An ISV's app installed by many orgs.
    ThirdPartyEnterprise,
    /// Used by individual users, with user tokens only.
    ThirdPartyPersonal,
}

impl AppKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AppKind::Internal => "internal",
            AppKind::ThirdPartyEnterprise => "third_party_enterprise",
            AppKind::ThirdPartyPersonal => "third_party_personal",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "internal" => Ok(AppKind::Internal),
            "third_party_enterprise" => Ok(AppKind::ThirdPartyEnterprise),
            "third_party_personal" => Ok(AppKind::ThirdPartyPersonal),
            other => Err(DomainError::InvalidField {
                field: "kind",
                reason: format!("{other:?} is not one of internal, third_party_enterprise, third_party_personal"),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub client_id: ClientId,
    pub name: String,
    pub kind: AppKind,
    pub owner_corp_id: CorpId,
    /// Keyed hash of the client secret; the secret itself is never stored.
    pub secret_hash: SecretHash,
    pub redirect_uris: Vec<String>,
    /// A public client (a native or browser app) cannot keep a secret: it authenticates with
    /// its client id alone and must use PKCE.
    pub public_client: bool,
    /// A resource server may introspect any app's tokens; other clients only their own.
    pub resource_server: bool,
    /// The gateway's rate limits for this app, set by an operator.
    pub rate_limits: RateLimits,
}

/// The most requests per second a rate limit may be set to.
pub const MAX_QPS: u32 = 1_000_000;

/// Requests per second the gateway admits from one app, set by an operator. Each replaces,
/// for this app, the route table's value (raising or lowering it); none: the table's applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimits {
    /// Over every route of the table (the table's `app_qps`).
    pub app_qps: Option<u32>,
    /// On each route (a route's `qps`).
    pub route_qps: Option<u32>,
}

impl RateLimits {
    /// Each limit set is between 1 and [`MAX_QPS`].
    pub fn validate(&self) -> Result<(), DomainError> {
        for (field, v) in [("app_qps", self.app_qps), ("route_qps", self.route_qps)] {
            if let Some(v) = v
                && !(1..=MAX_QPS).contains(&v)
            {
                return Err(DomainError::InvalidField {
                    field,
                    reason: format!("{v} is not between 1 and {MAX_QPS} requests per second"),
                });
            }
        }
        Ok(())
    }
}

/// Checks a redirect URI: absolute http(s) URL without a fragment.
pub fn validate_redirect_uri(uri: &str) -> Result<(), DomainError> {
    let ok = (uri.starts_with("https://") || uri.starts_with("http://"))
        && !uri.contains('#')
        && uri.len() <= 2048
        && !uri.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(DomainError::InvalidField {
            field: "redirect_uri",
            reason: format!("{uri:?} must be an absolute http(s) URL without a fragment"),
        })
    }
}
