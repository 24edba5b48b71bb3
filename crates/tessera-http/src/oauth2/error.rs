//! RFC 6749 §5.2 errors: `{error, error_description}`, `Cache-Control: no-store`, and
//! `WWW-Authenticate` on `invalid_client`. The one mapping from Tessera's errors to them.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use tessera_core::device::DevicePollError;
use tessera_service::IssueError;
use tessera_service::user_tokens::GrantError;
use tessera_store::StoreError;

use crate::body::BodyError;

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
    /// RFC 8707 §2: the `resource` is not one the client may ask for.
    InvalidTarget,
}

#[derive(Debug, Serialize)]
pub struct OAuthError {
    error: OAuthErrorCode,
    error_description: String,
    /// Set on a refusal for too many requests: 429 with `Retry-After`.
    #[serde(skip)]
    retry_after: Option<i64>,
}

impl OAuthError {
    pub fn new(error: OAuthErrorCode, description: impl Into<String>) -> Self {
        OAuthError { error, error_description: description.into(), retry_after: None }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        OAuthError::new(OAuthErrorCode::InvalidRequest, description)
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

impl From<IssueError> for OAuthError {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::InvalidClient => OAuthError::new(OAuthErrorCode::InvalidClient, "client authentication failed"),
            IssueError::UnauthorizedClient { corp_id, reason } => OAuthError::new(
                OAuthErrorCode::UnauthorizedClient,
                format!("the client may not use this grant in org {corp_id:?}: {reason}"),
            ),
            IssueError::OrgRequired { kind } => {
                OAuthError::invalid_request(format!("corp_id is required for {kind} apps"))
            }
            IssueError::InvalidTarget(m) => OAuthError::new(OAuthErrorCode::InvalidTarget, m),
            IssueError::Store(e) => OAuthError::store_failed(&e),
        }
    }
}

impl From<GrantError> for OAuthError {
    fn from(e: GrantError) -> Self {
        match e {
            GrantError::InvalidClient => OAuthError::new(OAuthErrorCode::InvalidClient, "client authentication failed"),
            GrantError::InvalidGrant(m) => OAuthError::new(OAuthErrorCode::InvalidGrant, m),
            GrantError::InvalidScope(m) => OAuthError::new(OAuthErrorCode::InvalidScope, m),
            GrantError::InvalidRequest(m) => OAuthError::invalid_request(m),
            GrantError::UnauthorizedClient(m) => OAuthError::new(OAuthErrorCode::UnauthorizedClient, m),
            GrantError::Refresh(r) => OAuthError::new(OAuthErrorCode::InvalidGrant, r.to_string()),
            GrantError::Device(d) => {
                let code = match d {
                    DevicePollError::AuthorizationPending => OAuthErrorCode::AuthorizationPending,
                    DevicePollError::SlowDown { .. } => OAuthErrorCode::SlowDown,
                    DevicePollError::AccessDenied => OAuthErrorCode::AccessDenied,
                    DevicePollError::ExpiredToken => OAuthErrorCode::ExpiredToken,
                    DevicePollError::InvalidGrant => OAuthErrorCode::InvalidGrant,
                };
                OAuthError::new(code, d.to_string())
            }
            e @ GrantError::TooManyRequests { retry_after } => OAuthError {
                retry_after: Some(retry_after.max(1)),
                ..OAuthError::new(OAuthErrorCode::SlowDown, e.to_string())
            },
            GrantError::Store(e) => OAuthError::store_failed(&e),
        }
    }
}
