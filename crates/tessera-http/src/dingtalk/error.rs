//! DingTalk's error body `{code, message, requestid[, accessdenieddetail]}` with
//! `Content-Type: application/json;charset=utf-8`, and the one mapping from Tessera's
//! typed errors to it.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use tessera_core::decision::MissingScope;
use tessera_service::suite::SuiteError;
use tessera_service::{AccessError, IssueError};
use tessera_store::StoreError;

use crate::body::BodyError;

#[derive(Debug, Serialize)]
struct Body {
    code: &'static str,
    message: String,
    requestid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    accessdenieddetail: Option<AccessDeniedDetail>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessDeniedDetail {
    required_scopes: Vec<String>,
    /// Tessera's addition: why each scope is missing.
    missing_reasons: Vec<MissingReason>,
}

#[derive(Debug, Serialize)]
struct MissingReason {
    scope: String,
    reason: &'static str,
}

/// A DingTalk error response.
#[derive(Debug)]
pub struct DingTalkError {
    status: StatusCode,
    code: &'static str,
    message: String,
    denied: Option<Vec<MissingScope>>,
}

impl DingTalkError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        DingTalkError { status, code, message: message.into(), denied: None }
    }

    /// A store failure: 503 `ServiceUnavailable` when the database cannot be reached (retry
    /// later), else 500 `server.error`.
    pub(crate) fn store_failed(e: &StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "request failed: database unavailable");
            return DingTalkError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "服务暂不可用，请稍后重试 (service temporarily unavailable, retry later)",
            );
        }
        tracing::error!(error = %e, "request failed");
        DingTalkError::new(StatusCode::INTERNAL_SERVER_ERROR, "server.error", "服务器错误 (server error)")
    }

    /// 400 `AuthenticationFailed.MissingParameter`.
    pub fn missing_token() -> Self {
        DingTalkError::new(
            StatusCode::BAD_REQUEST,
            "AuthenticationFailed.MissingParameter",
            "缺少参数：x-acs-dingtalk-access-token (missing access token)",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

pub fn request_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string().to_uppercase()
}

impl IntoResponse for DingTalkError {
    fn into_response(self) -> Response {
        let accessdenieddetail = self.denied.map(|missing| AccessDeniedDetail {
            required_scopes: missing.iter().map(|m| m.scope.to_string()).collect(),
            missing_reasons: missing
                .iter()
                .map(|m| MissingReason { scope: m.scope.to_string(), reason: m.reason.as_str() })
                .collect(),
        });
        let body = Body { code: self.code, message: self.message, requestid: request_id(), accessdenieddetail };
        let mut res = (self.status, Json(body)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=utf-8"));
        res
    }
}

impl From<BodyError> for DingTalkError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => DingTalkError::new(StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLarge", e.to_string()),
            BodyError::Missing | BodyError::FormNotJson => {
                DingTalkError::new(StatusCode::BAD_REQUEST, "Missingbody", "body is mandatory for this action")
            }
            BodyError::Unreadable | BodyError::Json(_) | BodyError::Form(_) | BodyError::Text(_) => {
                DingTalkError::new(StatusCode::BAD_REQUEST, "InvalidParameter", e.to_string())
            }
        }
    }
}

impl From<AccessError> for DingTalkError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::InvalidToken => DingTalkError::new(
                StatusCode::BAD_REQUEST,
                "InvalidAuthentication",
                "不合法的access_token (invalid or expired access token)",
            ),
            AccessError::WrongTokenKind { kind, accepted } => {
                let accepted: Vec<&str> = accepted.iter().map(|k| k.as_str()).collect();
                DingTalkError::new(
                    StatusCode::FORBIDDEN,
                    "Forbidden.AccessDenied.AccessTokenTypeNotSupported",
                    format!("this API does not accept {} tokens; it takes: {}", kind.as_str(), accepted.join(", ")),
                )
            }
            AccessError::Denied { missing, resource_forbidden } => {
                let mut message = String::from("没有调用该接口的权限 (no permission to call this API)");
                for m in &missing {
                    message.push_str(&format!("; {}: {}", m.scope, m.reason.as_str()));
                }
                if resource_forbidden {
                    message.push_str("; resource_forbidden: the user may not access this resource");
                }
                DingTalkError {
                    status: StatusCode::FORBIDDEN,
                    code: "Forbidden.AccessDenied.AccessTokenPermissionDenied",
                    message,
                    denied: Some(missing),
                }
            }
            AccessError::Store(e) => DingTalkError::store_failed(&e),
        }
    }
}

/// The errors of `POST /v1.0/oauth2/{corpId}/token`, as its documentation lists them.
pub fn get_token_error(e: IssueError) -> DingTalkError {
    issue_error(e, || DingTalkError::new(StatusCode::BAD_REQUEST, "invalid.client", "invalid.client"))
}

/// The errors of `POST /v1.0/oauth2/accessToken` and the other camelCase token operations.
pub fn access_token_error(e: IssueError) -> DingTalkError {
    issue_error(e, || {
        DingTalkError::new(
            StatusCode::BAD_REQUEST,
            "invalidClientIdOrSecret",
            "无效的clientId或者clientSecret (invalid client id or secret)",
        )
    })
}

fn issue_error(e: IssueError, invalid_client: impl FnOnce() -> DingTalkError) -> DingTalkError {
    match e {
        IssueError::InvalidClient => invalid_client(),
        IssueError::UnauthorizedClient { reason, .. } | IssueError::OrgRequired { kind: reason } => DingTalkError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized.client",
            format!("unauthorized.client: {reason}"),
        ),
        IssueError::InvalidTarget(m) => {
            DingTalkError::new(StatusCode::BAD_REQUEST, "invalidParameter", format!("invalidParameter: {m}"))
        }
        IssueError::Store(e) => DingTalkError::store_failed(&e),
    }
}

/// The errors of the suite operations (suiteAccessToken, corpAccessToken, authInfo).
pub fn suite_error(e: SuiteError) -> DingTalkError {
    let bad = |code, message: String| DingTalkError::new(StatusCode::BAD_REQUEST, code, message);
    match e {
        SuiteError::UnknownSuiteKey => bad("invalidSuiteKey", "suitekey不合法 (no suite has this suiteKey)".into()),
        e @ SuiteError::NotASuite { .. } => bad("invalidSuiteKey", format!("suitekey不合法 ({e})")),
        e @ SuiteError::WrongSecret => bad("invalidSuiteSecret", format!("suiteSecret不合法 ({e})")),
        e @ SuiteError::Ticket(_) => bad("invalidSuiteTicket", format!("suiteTicket不合法 ({e})")),
        e @ SuiteError::NotActivated { .. } => {
            DingTalkError::new(StatusCode::BAD_REQUEST, "unauthorized.client", format!("unauthorized.client: {e}"))
        }
        e @ (SuiteError::StaleTimestamp | SuiteError::BadSignature | SuiteError::SecretNotRecomputable) => {
            bad("InvalidSignature", e.to_string())
        }
        SuiteError::InvalidSuiteToken => {
            bad("InvalidAuthentication", "不合法的access_token (not a valid suite access token)".into())
        }
        SuiteError::Store(e) => DingTalkError::store_failed(&e),
    }
}

pub async fn not_found() -> DingTalkError {
    DingTalkError::new(StatusCode::NOT_FOUND, "NotFound", "the requested API does not exist")
}

pub async fn method_not_allowed() -> DingTalkError {
    DingTalkError::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "this API does not take this HTTP method")
}
