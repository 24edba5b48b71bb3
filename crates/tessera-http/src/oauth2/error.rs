//! RFC 6749 §5.2 errors: `{error, error_description}`, `Cache-Control: no-store`, and
//! `WWW-Authenticate` on `invalid_client`. The one mapping from Tessera's errors to them.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use tessera_core::device::DevicePollError;
use tessera_service::GrantError;
use tessera_store::StoreError;

use crate::body::BodyError;
use crate::client_auth::ClientAuthError;

/// The error codes of RFC 6749 §5.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    ServerError,
    /// RFC 6749 §4.1.2.1: the server cannot handle the request now (HTTP 503 here).
    TemporarilyUnavailable,
    // RFC 8628 §3.5.
    AuthorizationPending,
    SlowDown,
    AccessDenied,
    ExpiredToken,
    /// RFC 8707 §2: a `resource` the client may not ask for.
    InvalidTarget,
}

#[derive(Debug, Serialize)]
pub struct OAuthError {
    error: OAuthErrorCode,
    error_description: String,
    /// Set on a refusal for too many requests: 429 with `Retry-After`.
    #[serde(skip)]
    retry_after: Option<i64>,
    /// The HTTP status when it is not the one the code implies (404 and 405 of `/oauth2/*`).
    #[serde(skip)]
    status: Option<StatusCode>,
}

impl OAuthError {
    pub fn new(error: OAuthErrorCode, description: impl Into<String>) -> Self {
        OAuthError { error, error_description: description.into(), retry_after: None, status: None }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        OAuthError::new(OAuthErrorCode::InvalidRequest, description)
    }

    /// `invalid_request` with another status (an unknown path, a method the path does not take).
    pub fn invalid_request_with(status: StatusCode, description: impl Into<String>) -> Self {
        OAuthError { status: Some(status), ..OAuthError::invalid_request(description) }
    }

    /// A store failure: 503 `temporarily_unavailable` when the database cannot be reached,
    /// else 500 `server_error`.
    pub fn store_failed(e: &StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "token request failed: database unavailable");
            return OAuthError::new(
                OAuthErrorCode::TemporarilyUnavailable,
                "the service is temporarily unavailable; retry later",
            );
        }
        tracing::error!(error = %e, "token request failed");
        OAuthError::new(OAuthErrorCode::ServerError, "the server could not complete the request")
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = match self.error {
            _ if self.status.is_some() => self.status.unwrap_or(StatusCode::BAD_REQUEST),
            _ if self.retry_after.is_some() => StatusCode::TOO_MANY_REQUESTS,
            OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let retry_after = self.retry_after;
        let invalid_client = self.error == OAuthErrorCode::InvalidClient;
        let mut res = (status, Json(self)).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if invalid_client {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"tessera\""));
        }
        if let Some(secs) = retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

impl From<BodyError> for OAuthError {
    fn from(e: BodyError) -> Self {
        OAuthError::invalid_request(e.to_string())
    }
}

impl From<ClientAuthError> for OAuthError {
    fn from(e: ClientAuthError) -> Self {
        match e {
            ClientAuthError::MalformedBasic | ClientAuthError::Missing => {
                OAuthError::new(OAuthErrorCode::InvalidClient, e.to_string())
            }
            ClientAuthError::BothMethods | ClientAuthError::IdMismatch | ClientAuthError::SecretWithoutId => {
                OAuthError::invalid_request(e.to_string())
            }
        }
    }
}

impl From<GrantError> for OAuthError {
    fn from(e: GrantError) -> Self {
        use OAuthErrorCode as C;
        if e.is_client_authentication() {
            return OAuthError::new(C::InvalidClient, "client authentication failed");
        }
        if let Some((corp_id, reason)) = e.unauthorized_in_org() {
            return OAuthError::new(
                C::UnauthorizedClient,
                format!("the client may not use this grant in org {corp_id:?}: {reason}"),
            );
        }
        let code = match &e {
            GrantError::SecretRequired | GrantError::InvalidAppToken => C::InvalidClient,
            GrantError::OrgRequired { kind } => {
                return OAuthError::invalid_request(format!("corp_id is required for {kind} apps"));
            }
            GrantError::ScopesNotHeld { .. } | GrantError::ScopeNotGranted(_) | GrantError::ScopeNotRequestable(_) => {
                C::InvalidScope
            }
            GrantError::TokenOfOtherClient => C::UnauthorizedClient,
            GrantError::InvalidTarget(_) => C::InvalidTarget,
            GrantError::InvalidNonce => C::InvalidRequest,
            GrantError::Device(d) => match d {
                DevicePollError::AuthorizationPending => C::AuthorizationPending,
                DevicePollError::SlowDown { .. } => C::SlowDown,
                DevicePollError::AccessDenied => C::AccessDenied,
                DevicePollError::ExpiredToken => C::ExpiredToken,
                DevicePollError::InvalidGrant => C::InvalidGrant,
            },
            GrantError::TooManyRequests { retry_after } => {
                return OAuthError {
                    retry_after: Some((*retry_after).max(1)),
                    ..OAuthError::new(C::SlowDown, e.to_string())
                };
            }
            GrantError::Store(e) => return OAuthError::store_failed(e),
            _ => C::InvalidGrant,
        };
        OAuthError::new(code, e.to_string())
    }
}
