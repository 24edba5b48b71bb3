//! Feishu's error bodies and the one mapping from Tessera's typed errors to them.
//!
//! Two shapes, as Feishu has them: the Open API envelope `{code, msg, error: {log_id,
//! troubleshooter, permission_violations…}}` (token endpoints of `auth/v3` answer it with
//! HTTP 200, business APIs with HTTP 400), and the OAuth endpoints' `{code, error,
//! error_description}` (HTTP 400). Every answer carries `X-Tt-Logid` and
//! `Content-Type: application/json; charset=utf-8`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use tessera_core::decision::{DenyReason, MissingScope};
use tessera_core::device::DevicePollError;
use tessera_core::token::TokenKind;
use tessera_service::{AccessError, GrantError};
use tessera_store::StoreError;

use crate::body::BodyError;
use crate::client_auth::ClientAuthError;

/// The header Feishu's SDKs read the log id from (`get_log_id()` reads exactly this casing).
pub const LOG_ID_HEADER: &str = "X-Tt-Logid";

/// A fresh log id (random, not a secret: it names one answer).
pub fn log_id() -> String {
    uuid::Uuid::new_v4().simple().to_string().to_uppercase()
}

/// Sets the content type and log id Feishu answers carry.
pub fn feishu_headers(mut res: Response, log_id: &str) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(log_id) {
        h.insert(LOG_ID_HEADER, v);
    }
    res
}

/// A successful Feishu answer (the body as given: flat or `data`-wrapped).
pub fn ok(body: impl Serialize) -> Response {
    feishu_headers(Json(body).into_response(), &log_id())
}

/// Feishu's numeric codes, one per failure Tessera tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeishuCode {
    /// 10003: unknown or empty app_id, or a malformed token request.
    InvalidParam,
    /// 10014: wrong app secret.
    AppSecretInvalid,
    /// 10012: app_ticket invalid (the Go SDK then calls `app_ticket/resend`).
    AppTicketInvalid,
    /// 99991662: the app may not get this token (wrong kind of app, not installed).
    AppUnavailable,
    /// 99991661: no access token.
    MissingToken,
    /// 99991663: tenant/app token invalid or expired.
    InvalidTenantToken,
    /// 99991664: invalid app_access_token (the legacy user-token endpoints).
    InvalidAppToken,
    /// 99991668: user token invalid or expired.
    InvalidUserToken,
    /// 99991671: a token that is none of Tessera's formats.
    TokenFormat,
    /// 99991672: the app lacks a scope.
    AppScopeRequired,
    /// 99991676: the token may not act on this resource.
    TokenForbidden,
    /// 99991679: the user has not granted a scope.
    UserScopeRequired,
    // OAuth endpoints (20xxx). 20010, 20026, 20037, 20050, 20064, 20070 and 20073 are
    // Feishu's documented codes; the others are Tessera's numbering (clients branch on `error`).
    OAuthInvalidRequest,
    OAuthInvalidClient,
    OAuthInvalidGrant,
    OAuthUnsupportedGrantType,
    OAuthInvalidScope,
    OAuthUnauthorizedClient,
    RefreshInvalid,
    RefreshExpired,
    RefreshUsed,
    /// 20064: the refresh token was revoked (never used, but its family was).
    RefreshRevoked,
    TwoClientAuthMethods,
    AuthorizationPending,
    SlowDown,
    AccessDenied,
    ExpiredToken,
    ServerError,
    /// 99991400: request trigger frequency limit.
    RateLimited,
    /// 20050 with HTTP 503: the database cannot be reached. Feishu documents 20050 as "server
    /// error, retry"; its clients retry once on it (OAuth shape: `temporarily_unavailable`).
    Unavailable,
}

impl FeishuCode {
    pub fn number(self) -> i64 {
        use FeishuCode::*;
        match self {
            InvalidParam => 10003,
            AppSecretInvalid => 10014,
            AppTicketInvalid => 10012,
            AppUnavailable => 99991662,
            MissingToken => 99991661,
            InvalidTenantToken => 99991663,
            InvalidAppToken => 99991664,
            InvalidUserToken => 99991668,
            TokenFormat => 99991671,
            AppScopeRequired => 99991672,
            TokenForbidden => 99991676,
            UserScopeRequired => 99991679,
            OAuthInvalidRequest => 20001,
            OAuthInvalidClient => 20002,
            OAuthInvalidGrant => 20003,
            OAuthUnsupportedGrantType => 20004,
            OAuthInvalidScope => 20005,
            OAuthUnauthorizedClient => 20010,
            RefreshInvalid => 20026,
            RefreshExpired => 20037,
            ServerError | Unavailable => 20050,
            RefreshUsed => 20073,
            RefreshRevoked => 20064,
            TwoClientAuthMethods => 20070,
            AuthorizationPending => 20069,
            SlowDown => 20071,
            AccessDenied => 20072,
            ExpiredToken => 20074,
            RateLimited => 99991400,
        }
    }

    /// The RFC 6749 / 8628 `error` of the OAuth-shaped codes.
    fn oauth_error(self) -> &'static str {
        use FeishuCode::*;
        match self {
            OAuthInvalidClient => "invalid_client",
            OAuthInvalidGrant | RefreshInvalid | RefreshExpired | RefreshUsed | RefreshRevoked => "invalid_grant",
            OAuthUnsupportedGrantType => "unsupported_grant_type",
            OAuthInvalidScope => "invalid_scope",
            OAuthUnauthorizedClient => "unauthorized_client",
            AuthorizationPending => "authorization_pending",
            SlowDown => "slow_down",
            AccessDenied => "access_denied",
            ExpiredToken => "expired_token",
            ServerError => "server_error",
            Unavailable => "temporarily_unavailable",
            _ => "invalid_request",
        }
    }
}

/// Which body shape the endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{code, msg, error:{…}}`.
    Envelope,
    /// `{code, error, error_description}`.
    OAuth,
}

/// A Feishu error response.
#[derive(Debug)]
pub struct FeishuError {
    status: StatusCode,
    code: FeishuCode,
    msg: String,
    shape: Shape,
    violations: Vec<Violation>,
}

#[derive(Debug, Serialize)]
struct Violation {
    #[serde(rename = "type")]
    kind: &'static str,
    subject: String,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    log_id: &'a str,
    troubleshooter: String,
    #[serde(skip_serializing_if = "<[Violation]>::is_empty")]
    permission_violations: &'a [Violation],
}

#[derive(Serialize)]
struct EnvelopeBody<'a> {
    code: i64,
    msg: &'a str,
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct OAuthBody<'a> {
    code: i64,
    error: &'static str,
    error_description: &'a str,
}

impl FeishuError {
    pub fn new(status: StatusCode, code: FeishuCode, shape: Shape, msg: impl Into<String>) -> Self {
        FeishuError { status, code, msg: msg.into(), shape, violations: Vec::new() }
    }

    /// An `auth/v3` token-endpoint error: HTTP 200, envelope.
    pub fn token(code: FeishuCode, msg: impl Into<String>) -> Self {
        FeishuError::new(StatusCode::OK, code, Shape::Envelope, msg)
    }

    /// A business-API error: HTTP 400, envelope.
    pub fn api(code: FeishuCode, msg: impl Into<String>) -> Self {
        FeishuError::new(StatusCode::BAD_REQUEST, code, Shape::Envelope, msg)
    }

    /// An OAuth-endpoint error: HTTP 400, `{code, error, error_description}`.
    pub fn oauth(code: FeishuCode, msg: impl Into<String>) -> Self {
        FeishuError::new(StatusCode::BAD_REQUEST, code, Shape::OAuth, msg)
    }

    /// Too many requests: HTTP 429, envelope, 99991400.
    pub fn rate_limited(msg: impl Into<String>) -> Self {
        FeishuError::new(StatusCode::TOO_MANY_REQUESTS, FeishuCode::RateLimited, Shape::Envelope, msg)
    }

    pub fn missing_token() -> Self {
        FeishuError::api(
            FeishuCode::MissingToken,
            "Missing access token for authorization. Please make a request with token attached.",
        )
    }

    /// A store failure: 503 with code 20050 when the database cannot be reached, else 500.
    pub(crate) fn store_failed(shape: Shape, e: &StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "request failed: database unavailable");
            return FeishuError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                FeishuCode::Unavailable,
                shape,
                "service temporarily unavailable, retry later",
            );
        }
        tracing::error!(error = %e, "request failed");
        FeishuError::new(StatusCode::INTERNAL_SERVER_ERROR, FeishuCode::ServerError, shape, "server error, retry later")
    }

    pub fn code(&self) -> FeishuCode {
        self.code
    }

    /// Maps a refused access check; `token` decides between the tenant and user wording.
    pub fn access(e: AccessError, token: &str) -> Self {
        match e {
            AccessError::InvalidToken => invalid_token(token),
            AccessError::WrongTokenKind { kind, accepted } => {
                let names: Vec<&str> = accepted.iter().map(|k| feishu_kind(*k)).collect();
                let code = if accepted.contains(&TokenKind::User) {
                    FeishuCode::InvalidUserToken
                } else {
                    FeishuCode::InvalidTenantToken
                };
                FeishuError::api(
                    code,
                    format!(
                        "Invalid access token for authorization: this API does not accept a {}; it takes: {}",
                        feishu_kind(kind),
                        names.join(", ")
                    ),
                )
            }
            AccessError::Denied { missing, resource_forbidden } => denied(&missing, resource_forbidden),
            AccessError::Store(e) => FeishuError::store_failed(Shape::Envelope, &e),
        }
    }
}

fn feishu_kind(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::User => "user_access_token",
        TokenKind::App | TokenKind::Corp => "tenant_access_token",
        TokenKind::Suite => "app_access_token",
    }
}

fn invalid_token(token: &str) -> FeishuError {
    const MSG: &str = "Invalid access token for authorization. Please make a request with token attached.";
    if token.starts_with(TokenKind::User.prefix()) {
        FeishuError::api(FeishuCode::InvalidUserToken, MSG)
    } else if [TokenKind::App, TokenKind::Corp, TokenKind::Suite].iter().any(|k| token.starts_with(k.prefix())) {
        FeishuError::api(FeishuCode::InvalidTenantToken, MSG)
    } else {
        FeishuError::api(FeishuCode::TokenFormat, "token format error: it must start with t- or u-")
    }
}

/// 99991672 when the app lacks a scope (the app's developer must act), else 99991679 when
/// only the user's grant is missing (the user must authorize again). The `msg` keeps
/// Feishu's format: the first `[…]` is the list of scopes.
fn denied(missing: &[MissingScope], resource_forbidden: bool) -> FeishuError {
    let app_side: Vec<&MissingScope> = missing.iter().filter(|m| m.reason != DenyReason::UserNotConsented).collect();
    let (code, kind, scopes) = if !app_side.is_empty() {
        (FeishuCode::AppScopeRequired, "action_scope_required", app_side)
    } else if !missing.is_empty() {
        (FeishuCode::UserScopeRequired, "action_privilege_required", missing.iter().collect())
    } else if resource_forbidden {
        return FeishuError::api(
            FeishuCode::TokenForbidden,
            "Access denied. The user behind this token may not access the resource.",
        );
    } else {
        return FeishuError::api(FeishuCode::TokenForbidden, "Access denied.");
    };
    let list = scopes.iter().map(|m| m.scope.as_str()).collect::<Vec<_>>().join(", ");
    let reasons = scopes.iter().map(|m| format!("{}: {}", m.scope, m.reason.as_str())).collect::<Vec<_>>().join("; ");
    let msg = match code {
        FeishuCode::AppScopeRequired => format!(
            "Access denied. One of the following scopes is required: [{list}].应用尚未开通所需的应用身份权限：[{list}] ({reasons})"
        ),
        _ => format!(
            "Unauthorized. You do not have permission to perform the requested operation on the resource. Please request user re-authorization and try again. required one of these privileges: [{list}].应用未获取所需的用户授权：[{list}]"
        ),
    };
    let mut e = FeishuError::api(code, msg);
    e.violations = scopes.iter().map(|m| Violation { kind, subject: m.scope.to_string() }).collect();
    e
}

impl IntoResponse for FeishuError {
    fn into_response(self) -> Response {
        let log_id = log_id();
        let res = match self.shape {
            Shape::Envelope => {
                let troubleshooter =
                    format!("排查建议查看(Troubleshooting suggestions): log_id={log_id} code={}", self.code.number());
                let body = EnvelopeBody {
                    code: self.code.number(),
                    msg: &self.msg,
                    error: ErrorDetail { log_id: &log_id, troubleshooter, permission_violations: &self.violations },
                };
                (self.status, Json(body)).into_response()
            }
            Shape::OAuth => {
                let body = OAuthBody {
                    code: self.code.number(),
                    error: self.code.oauth_error(),
                    error_description: &self.msg,
                };
                let mut res = (self.status, Json(body)).into_response();
                res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                res
            }
        };
        feishu_headers(res, &log_id)
    }
}

impl From<BodyError> for FeishuError {
    fn from(e: BodyError) -> Self {
        FeishuError::token(FeishuCode::InvalidParam, format!("invalid param: {e}"))
    }
}

/// Which `auth/v3` endpoints answer: those of self-built apps (`/internal`) or of store apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthV3 {
    Internal,
    StoreApp,
}

/// The errors of the `auth/v3` token endpoints (HTTP 200): an unknown app id is 10003, a
/// wrong secret 10014, a refused app ticket 10012.
pub fn app_token_error(e: GrantError, endpoints: AuthV3) -> FeishuError {
    match e {
        GrantError::UnknownClient => FeishuError::token(FeishuCode::InvalidParam, "invalid param: app_id is unknown"),
        e if e.is_client_authentication() || matches!(e, GrantError::SecretRequired) => {
            FeishuError::token(FeishuCode::AppSecretInvalid, "app secret invalid")
        }
        GrantError::Ticket(t) => FeishuError::token(FeishuCode::AppTicketInvalid, format!("app_ticket invalid: {t}")),
        GrantError::TicketRequired => {
            FeishuError::token(FeishuCode::AppTicketInvalid, "app_ticket invalid: app_ticket is required")
        }
        GrantError::NotASuite { kind, .. } => FeishuError::token(
            FeishuCode::AppUnavailable,
            format!("app unavailable: a {kind} app is not a store app; use the /internal endpoints"),
        ),
        GrantError::NotInstalled { corp_id } if endpoints == AuthV3::StoreApp => FeishuError::token(
            FeishuCode::AppUnavailable,
            format!("app unavailable: the app is not installed in tenant {corp_id:?}"),
        ),
        GrantError::InvalidAppToken => FeishuError::token(FeishuCode::InvalidAppToken, "invalid app_access_token"),
        e @ (GrantError::StaleTimestamp | GrantError::BadSignature | GrantError::SecretNotRecomputable) => {
            FeishuError::token(FeishuCode::InvalidParam, format!("invalid param: {e}"))
        }
        GrantError::OrgRequired { kind } => {
            FeishuError::token(FeishuCode::AppUnavailable, format!("app unavailable: {kind}"))
        }
        GrantError::Store(e) => FeishuError::store_failed(Shape::Envelope, &e),
        e => FeishuError::token(FeishuCode::AppUnavailable, format!("app unavailable: {e}")),
    }
}

/// The errors of the token endpoints of OAuth v2/v3 and the legacy `authen/v1`, in `shape`.
pub fn grant_error(e: GrantError, shape: Shape) -> FeishuError {
    use FeishuCode as C;
    let code = match &e {
        GrantError::Store(e) => return FeishuError::store_failed(shape, e),
        GrantError::TooManyRequests { .. } => {
            return FeishuError::new(StatusCode::TOO_MANY_REQUESTS, C::SlowDown, shape, e.to_string());
        }
        GrantError::InvalidAppToken => {
            return FeishuError::new(StatusCode::BAD_REQUEST, C::InvalidAppToken, shape, e.to_string());
        }
        GrantError::SecretRequired => {
            return FeishuError::new(StatusCode::BAD_REQUEST, C::OAuthInvalidClient, shape, e.to_string());
        }
        e if e.is_client_authentication() => {
            return FeishuError::new(
                StatusCode::BAD_REQUEST,
                C::OAuthInvalidClient,
                shape,
                "client authentication failed",
            );
        }
        // client_credentials refused for the app (not internal, not installed…).
        e if e.unauthorized_in_org().is_some() || matches!(e, GrantError::OrgRequired { .. }) => {
            return FeishuError::new(
                StatusCode::BAD_REQUEST,
                C::OAuthUnauthorizedClient,
                shape,
                "the app may not use client_credentials here",
            );
        }
        GrantError::TokenOfOtherClient => C::OAuthUnauthorizedClient,
        GrantError::ScopesNotHeld { .. } | GrantError::ScopeNotGranted(_) | GrantError::ScopeNotRequestable(_) => {
            C::OAuthInvalidScope
        }
        GrantError::RefreshUnknown | GrantError::RefreshOtherClient => C::RefreshInvalid,
        GrantError::RefreshExpired => C::RefreshExpired,
        GrantError::RefreshConsumed => C::RefreshUsed,
        GrantError::RefreshRevoked => C::RefreshRevoked,
        GrantError::Device(d) => match d {
            DevicePollError::AuthorizationPending => C::AuthorizationPending,
            DevicePollError::SlowDown { .. } => C::SlowDown,
            DevicePollError::AccessDenied => C::AccessDenied,
            DevicePollError::ExpiredToken => C::ExpiredToken,
            DevicePollError::InvalidGrant => C::OAuthInvalidGrant,
        },
        _ => C::OAuthInvalidGrant,
    };
    FeishuError::new(StatusCode::BAD_REQUEST, code, shape, e.to_string())
}

impl From<ClientAuthError> for FeishuError {
    fn from(e: ClientAuthError) -> Self {
        let (code, msg) = match e {
            ClientAuthError::BothMethods => (
                FeishuCode::TwoClientAuthMethods,
                "the client authenticated with both HTTP Basic and client_secret; use one".to_owned(),
            ),
            ClientAuthError::IdMismatch => (FeishuCode::OAuthInvalidRequest, e.to_string()),
            ClientAuthError::MalformedBasic => (FeishuCode::OAuthInvalidClient, e.to_string()),
            ClientAuthError::SecretWithoutId | ClientAuthError::Missing => {
                (FeishuCode::OAuthInvalidClient, "client_id is required".to_owned())
            }
        };
        FeishuError::oauth(code, msg)
    }
}
