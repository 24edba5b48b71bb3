//! The gateway's answers that are not the upstream's: refusals of a token and the gateway's
//! own errors (bad request, rate limited, upstream down or slow), each in the route's dialect.
//! A refusal for missing scopes also names them in `X-Tessera-Required-Scopes`, because a
//! proxy asking by forward-auth (nginx) may pass only the status on.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;
use tessera_service::AccessError;

use super::Dialect;
use crate::dingtalk::error::DingTalkError;
use crate::feishu::error::{FeishuCode, FeishuError, Shape};

/// The header naming the scopes a refused token lacks (space-separated).
pub const REQUIRED_SCOPES: &str = "x-tessera-required-scopes";

/// A request without an access token.
pub fn missing_token(dialect: Dialect) -> Response {
    match dialect {
        Dialect::DingTalk => DingTalkError::missing_token().into_response(),
        Dialect::Feishu => FeishuError::missing_token().into_response(),
        Dialect::OAuth2 => bearer(StatusCode::UNAUTHORIZED, None, "the request carries no access token", None),
    }
}

/// A token the route refuses.
pub fn refused(dialect: Dialect, e: AccessError, token: &str) -> Response {
    let missing: Vec<String> = match &e {
        AccessError::Denied { missing, .. } => missing.iter().map(|m| m.scope.to_string()).collect(),
        _ => Vec::new(),
    };
    let mut res = match (dialect, e) {
        (Dialect::DingTalk, e) => DingTalkError::from(e).into_response(),
        (Dialect::Feishu, e) => FeishuError::access(e, token).into_response(),
        (Dialect::OAuth2, AccessError::InvalidToken) => {
            bearer(StatusCode::UNAUTHORIZED, Some("invalid_token"), "the access token is invalid or expired", None)
        }
        (Dialect::OAuth2, e @ AccessError::WrongTokenKind { .. }) => {
            bearer(StatusCode::UNAUTHORIZED, Some("invalid_token"), &e.to_string(), None)
        }
        (Dialect::OAuth2, AccessError::Denied { resource_forbidden, .. }) => {
            let description = if missing.is_empty() && resource_forbidden {
                "the user may not access this resource".to_owned()
            } else {
                format!("the token lacks the scopes {}", missing.join(" "))
            };
            bearer(StatusCode::FORBIDDEN, Some("insufficient_scope"), &description, Some(&missing.join(" ")))
        }
        // 503 `temporarily_unavailable` when the database cannot be reached, else 500.
        (Dialect::OAuth2, AccessError::Store(e)) => crate::oauth2::error::OAuthError::store_failed(&e).into_response(),
    };
    if !missing.is_empty()
        && let Ok(v) = HeaderValue::from_str(&missing.join(" "))
    {
        res.headers_mut().insert(REQUIRED_SCOPES, v);
    }
    res
}

/// RFC 6750: `WWW-Authenticate: Bearer` with the error, and the same as a JSON body.
fn bearer(status: StatusCode, error: Option<&str>, description: &str, scope: Option<&str>) -> Response {
    let mut challenge = String::from("Bearer realm=\"tessera\"");
    let mut body = serde_json::Map::new();
    if let Some(error) = error {
        challenge.push_str(&format!(", error=\"{error}\", error_description=\"{}\"", quoted(description)));
        body.insert("error".into(), json!(error));
        body.insert("error_description".into(), json!(description));
    }
    if let Some(scope) = scope.filter(|s| !s.is_empty()) {
        challenge.push_str(&format!(", scope=\"{}\"", quoted(scope)));
        body.insert("scope".into(), json!(scope));
    }
    let mut res = (status, Json(serde_json::Value::Object(body))).into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

/// Text fit for a quoted-string: no quotes, backslashes or control characters.
fn quoted(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '"' | '\\') && !c.is_control()).collect()
}

/// The gateway's own failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayError {
    /// A request the gateway will not forward (smuggling-prone framing, a bad target).
    BadRequest(&'static str),
    /// The app called this route more often than its per-route limit allows.
    RouteRateLimited,
    /// The app called more often than its limit over all routes allows.
    AppRateLimited,
    /// The upstream could not be reached.
    Unreachable,
    /// The upstream did not answer within its timeout.
    Timeout,
    Internal,
}

impl GatewayError {
    fn status(self) -> StatusCode {
        match self {
            GatewayError::BadRequest(_) => StatusCode::BAD_REQUEST,
            GatewayError::RouteRateLimited | GatewayError::AppRateLimited => StatusCode::TOO_MANY_REQUESTS,
            GatewayError::Unreachable => StatusCode::BAD_GATEWAY,
            GatewayError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            GatewayError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(self) -> &'static str {
        match self {
            GatewayError::BadRequest(why) => why,
            GatewayError::RouteRateLimited => "the app called this API more often than its limit allows",
            GatewayError::AppRateLimited => "the app called more often than its limit allows",
            GatewayError::Unreachable => "the service behind this API cannot be reached",
            GatewayError::Timeout => "the service behind this API did not answer in time",
            GatewayError::Internal => "server error, retry later",
        }
    }
}

/// `e` in `dialect`: DingTalk answers rate limits with 403 `Forbidden.AccessDenied.Qps…`,
/// Feishu with code 99991400.
pub fn gateway_error(dialect: Dialect, e: GatewayError) -> Response {
    let message = e.message();
    match dialect {
        Dialect::DingTalk => {
            let (status, code) = match e {
                GatewayError::BadRequest(_) => (e.status(), "InvalidParameter"),
                GatewayError::RouteRateLimited => {
                    (StatusCode::FORBIDDEN, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
                }
                GatewayError::AppRateLimited => (StatusCode::FORBIDDEN, "Forbidden.AccessDenied.QpsLimitForApi"),
                GatewayError::Unreachable => (e.status(), "BadGateway"),
                GatewayError::Timeout => (e.status(), "GatewayTimeout"),
                GatewayError::Internal => (e.status(), "server.error"),
            };
            DingTalkError::new(status, code, message).into_response()
        }
        Dialect::Feishu => {
            let code = match e {
                GatewayError::BadRequest(_) => FeishuCode::InvalidParam,
                GatewayError::RouteRateLimited | GatewayError::AppRateLimited => FeishuCode::RateLimited,
                _ => FeishuCode::ServerError,
            };
            FeishuError::new(e.status(), code, Shape::Envelope, message).into_response()
        }
        Dialect::OAuth2 => {
            let error = match e {
                GatewayError::BadRequest(_) => "invalid_request",
                GatewayError::RouteRateLimited | GatewayError::AppRateLimited => "rate_limited",
                GatewayError::Unreachable => "bad_gateway",
                GatewayError::Timeout => "gateway_timeout",
                GatewayError::Internal => "server_error",
            };
            (e.status(), Json(json!({"error": error, "error_description": message}))).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use tessera_store::StoreError;

    use super::*;

    async fn json_of(res: Response) -> serde_json::Value {
        serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 64 * 1024).await.unwrap()).unwrap()
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_503_in_the_oauth2_dialect_and_other_store_failures_a_500() {
        let down = AccessError::Store(StoreError::Unavailable("pool timed out".into()));
        let res = refused(Dialect::OAuth2, down, "t");
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(json_of(res).await["error"], "temporarily_unavailable");
        let lost = AccessError::Store(StoreError::Interrupted("connection reset".into()));
        assert_eq!(refused(Dialect::OAuth2, lost, "t").status(), StatusCode::SERVICE_UNAVAILABLE);
        let broken = AccessError::Store(StoreError::Backend("syntax error".into()));
        let res = refused(Dialect::OAuth2, broken, "t");
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(json_of(res).await["error"], "server_error");
    }
}
