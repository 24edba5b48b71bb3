//! DingTalk's error body `{code, message, requestid[, accessdenieddetail]}` with
//! `Content-Type: application/json;charset=utf-8`, and the one mapping from Tessera's
//! typed errors to it.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use tessera_core::decision::MissingScope;
use tessera_service::{AccessError, GrantError};
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
    /// The scope missing; absent for a reason that is about the resource, not a scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    reason: &'static str,
}

/// A DingTalk error response.
#[derive(Debug)]
pub struct DingTalkError {
    status: StatusCode,
    code: &'static str,
    message: String,
    denied: Option<Denied>,
}

/// What a 403 for missing permissions details.
#[derive(Debug)]
struct Denied {
    missing: Vec<MissingScope>,
    /// The user behind the token may not read the resource.
    resource_forbidden: bool,
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
        let accessdenieddetail = self.denied.map(|denied| AccessDeniedDetail {
            required_scopes: denied.missing.iter().map(|m| m.scope.to_string()).collect(),
            missing_reasons: denied
                .missing
                .iter()
                .map(|m| MissingReason { scope: Some(m.scope.to_string()), reason: m.reason.as_str() })
                .chain(denied.resource_forbidden.then_some(MissingReason { scope: None, reason: "resource_forbidden" }))
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
                    denied: Some(Denied { missing, resource_forbidden }),
                }
            }
            AccessError::Store(e) => DingTalkError::store_failed(&e),
        }
    }
}

/// Which DingTalk token operation answers: they name a failed client authentication
/// differently, and the suite operations name each part of the suite's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOperation {
    /// `POST /v1.0/oauth2/{corpId}/token` (snake_case): `invalid.client`; legacy `/gettoken`.
    GetToken,
    /// `POST /v1.0/oauth2/accessToken`, `userAccessToken`: `invalidClientIdOrSecret`.
    CamelCase,
    /// The suite operations (suiteAccessToken, corpAccessToken, authInfo, suiteTicket; legacy
    /// `get_suite_token`, `get_corp_token`): `invalidSuiteKey`, `invalidSuiteSecret`…
    Suite,
}

/// What a suite not activated in an org is told.
fn not_activated(corp_id: &str) -> String {
    format!("the suite is not activated in org {corp_id}")
}

/// The errors of the token and suite operations, as their documentation lists them.
pub fn grant_error(e: GrantError, op: TokenOperation) -> DingTalkError {
    let bad = |code, message: String| DingTalkError::new(StatusCode::BAD_REQUEST, code, message);
    let unauthorized = |reason: String| {
        DingTalkError::new(StatusCode::UNAUTHORIZED, "unauthorized.client", format!("unauthorized.client: {reason}"))
    };
    let suite = op == TokenOperation::Suite;
    match e {
        GrantError::Store(e) => DingTalkError::store_failed(&e),
        // The suite operations.
        GrantError::UnknownClient if suite => {
            bad("invalidSuiteKey", "suitekey不合法 (no suite has this suiteKey)".into())
        }
        e @ GrantError::NotASuite { .. } => bad("invalidSuiteKey", format!("suitekey不合法 ({e})")),
        GrantError::WrongSecret | GrantError::SecretMissing | GrantError::SecretRequired if suite => {
            bad("invalidSuiteSecret", "suiteSecret不合法 (the suiteSecret does not belong to this suiteKey)".into())
        }
        e @ (GrantError::Ticket(_) | GrantError::TicketRequired) => {
            bad("invalidSuiteTicket", format!("suiteTicket不合法 ({e})"))
        }
        GrantError::NotInstalled { corp_id } if suite => {
            bad("unauthorized.client", format!("unauthorized.client: {}", not_activated(&corp_id)))
        }
        e @ (GrantError::StaleTimestamp | GrantError::BadSignature | GrantError::SecretNotRecomputable) => {
            bad("InvalidSignature", e.to_string())
        }
        GrantError::InvalidAppToken if suite => {
            bad("InvalidAuthentication", "不合法的access_token (not a valid suite access token)".into())
        }
        // The token operations.
        e if e.is_client_authentication() || matches!(e, GrantError::SecretRequired | GrantError::InvalidAppToken) => {
            if op == TokenOperation::GetToken {
                bad("invalid.client", "invalid.client".into())
            } else {
                bad("invalidClientIdOrSecret", "无效的clientId或者clientSecret (invalid client id or secret)".into())
            }
        }
        GrantError::OrgRequired { kind } => unauthorized(kind.to_owned()),
        e if e.unauthorized_in_org().is_some() => unauthorized(e.to_string()),
        e @ GrantError::TokenOfOtherClient => {
            DingTalkError::new(StatusCode::UNAUTHORIZED, "unauthorized.client", e.to_string())
        }
        // DingTalk's own rate-limit answer (no DingTalk endpoint starts device flows today).
        e @ GrantError::TooManyRequests { .. } => {
            DingTalkError::new(StatusCode::FORBIDDEN, "Forbidden.AccessDenied.QpsLimitForApi", e.to_string())
        }
        e => bad("invalid.grant", e.to_string()),
    }
}

/// A legacy `oapi` failure: HTTP 200 with `errcode`/`errmsg`.
#[derive(Debug)]
pub struct LegacyFailure {
    pub errcode: i64,
    pub errmsg: String,
}

fn legacy(errcode: i64, errmsg: impl Into<String>) -> LegacyFailure {
    LegacyFailure { errcode, errmsg: errmsg.into() }
}

fn legacy_server_error(e: &StoreError) -> LegacyFailure {
    tracing::error!(error = %e, "legacy token call failed");
    legacy(-1, "系统繁忙 (server error)")
}

/// The legacy codes of `/gettoken` (`op`: [`TokenOperation::GetToken`]) and of the suite
/// calls ([`TokenOperation::Suite`]). Missing parameters are 40035 (answered by the
/// handlers); the signature errors use the numbers DingTalk documents for its signed `sns`
/// calls.
pub fn legacy_grant_error(e: GrantError, op: TokenOperation) -> LegacyFailure {
    let suite = op == TokenOperation::Suite;
    match e {
        GrantError::Store(e) => legacy_server_error(&e),
        GrantError::UnknownClient if suite => {
            legacy(40096, "不合法的suiteKey (invalid suite key: no suite has this suiteKey)")
        }
        e @ GrantError::NotASuite { .. } => legacy(40096, format!("不合法的suiteKey (invalid suite key: {e})")),
        GrantError::WrongSecret | GrantError::SecretMissing | GrantError::SecretRequired if suite => {
            legacy(40096, "不合法的suiteKey或suiteSecret (invalid suite key or secret)")
        }
        e @ (GrantError::Ticket(_) | GrantError::TicketRequired) => legacy(40078, format!("不合法的suiteTicket ({e})")),
        GrantError::NotInstalled { corp_id } if suite => {
            legacy(60011, format!("没有调用该接口的权限 ({})", not_activated(&corp_id)))
        }
        e @ GrantError::StaleTimestamp => legacy(853001, format!("timestamp不合法 ({e})")),
        e @ (GrantError::BadSignature | GrantError::SecretNotRecomputable) => {
            legacy(853003, format!("signature不合法 ({e})"))
        }
        GrantError::InvalidAppToken if suite => {
            legacy(40014, "不合法的access_token (the access token is not a valid suite access token)")
        }
        e if e.is_client_authentication() || matches!(e, GrantError::SecretRequired) => {
            legacy(40096, "不合法的appKey或appSecret (invalid appkey or appsecret)")
        }
        GrantError::OrgRequired { kind } => legacy(60011, format!("没有调用该接口的权限 (not authorized: {kind})")),
        e => legacy(60011, format!("没有调用该接口的权限 (not authorized: {e})")),
    }
}
