//! The management API's error body `{error, message}` and the one mapping from Tessera's
//! errors to it.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use tessera_core::DomainError;
use tessera_service::management::ManageError;
use tessera_store::StoreError;

use crate::body::BodyError;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    message: String,
    /// Seconds for `Retry-After` (429 answers).
    retry_after: Option<i64>,
}

/// The body of every refusal (`Error` in the OpenAPI document).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    /// A stable code, e.g. `invalid_request`, `forbidden`, `not_found`.
    error: &'a str,
    /// What went wrong, for people.
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, error, message: message.into(), retry_after: None }
    }

    /// 429 with `Retry-After`.
    pub fn too_many(retry_after: i64, error: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            retry_after: Some(retry_after.max(1)),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, error, message)
        }
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send the operator token or a session (Authorization: Bearer …, or the session cookie)",
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(ErrorBody { error: self.error, message: &self.message })).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        res
    }
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", e.to_string()),
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "not_found", m),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "management request failed: database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the service is temporarily unavailable; retry later",
                )
            }
            other => {
                tracing::error!(error = %other, "management request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "the server could not complete the request",
                )
            }
        }
    }
}

impl From<ManageError> for ApiError {
    fn from(e: ManageError) -> Self {
        let msg = e.to_string();
        match e {
            ManageError::Store(s) => s.into(),
            ManageError::Domain(d) => {
                let (status, code) = match d {
                    DomainError::NotAllowed(_) => (StatusCode::FORBIDDEN, "forbidden"),
                    DomainError::RoleRequired { .. } | DomainError::DeveloperRequired { .. } => {
                        (StatusCode::FORBIDDEN, "role_required")
                    }
                    DomainError::UnverifiedOrg { .. } => (StatusCode::FORBIDDEN, "org_not_verified"),
                    DomainError::ScopeClosed { .. } => (StatusCode::CONFLICT, "scope_closed"),
                    DomainError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
                    DomainError::NotFound(_) | DomainError::UnknownApp(_) | DomainError::UnknownOrg(_) => {
                        (StatusCode::NOT_FOUND, "not_found")
                    }
                    DomainError::UnknownScope(_) => (StatusCode::BAD_REQUEST, "unknown_scope"),
                    DomainError::NotInstalled { .. } => (StatusCode::CONFLICT, "not_activated"),
                    DomainError::ScopeNotEnabled { .. } => (StatusCode::CONFLICT, "scope_not_enabled"),
                    DomainError::WrongTier { .. } => (StatusCode::BAD_REQUEST, "wrong_tier"),
                    DomainError::WrongAppKind { .. } => (StatusCode::BAD_REQUEST, "wrong_app_kind"),
                    DomainError::NotAMember { .. } => (StatusCode::FORBIDDEN, "forbidden"),
                    DomainError::UnknownUser(_) => (StatusCode::NOT_FOUND, "not_found"),
                    DomainError::InvalidId { .. } | DomainError::InvalidField { .. } => {
                        (StatusCode::BAD_REQUEST, "invalid_request")
                    }
                };
                ApiError::new(status, code, msg)
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ManageError::Domain(e).into()
    }
}
