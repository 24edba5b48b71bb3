//! The text guard of every route: the request target (path and query string) is
//! percent-decoded and checked with [`tessera_core::text`] before any handler runs, so an
//! id, a filter or a parameter with NUL, another control character or invalid UTF-8, or a
//! target too long, is a 400 (414) in the dialect of the route (for the gateway's routes, the one their route
//! table declares) and never reaches a store.
//! A request framed by both `Content-Length` and `Transfer-Encoding` is refused here too.
//! Bodies are checked where they are parsed ([`crate::body`]).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use percent_encoding::percent_decode;
use tessera_core::text::{self, TextError};

use crate::dingtalk::error::DingTalkError;
use crate::feishu::error::{FeishuCode, FeishuError};
use crate::framing::DoubleFramed;
use crate::gateway::{Dialect, Gateway};
use crate::manage::error::ApiError;
use crate::oauth2::error::OAuthError;
use crate::web::html;

/// Refuses a request whose path or query string holds text no handler should see.
pub async fn guard(req: Request, next: Next) -> Response {
    match refusal(&req, req.extensions().get::<Gateway>()) {
        None => next.run(req).await,
        Some(res) => res,
    }
}

/// The guard's answer to a request it refuses (see [`guard`]), or `None` to let it through.
/// `gateway` tells the dialect of the gateway's routes.
pub fn refusal<B>(req: &http::Request<B>, gateway: Option<&Gateway>) -> Option<Response> {
    let uri = req.uri();
    let path = uri.path();
    let checked = if req.extensions().get::<DoubleFramed>().is_some() {
        // Refused before any handler: it is never forwarded (see [`crate::framing`]).
        Err((StatusCode::BAD_REQUEST, "the request has both Content-Length and Transfer-Encoding".to_owned()))
    } else if uri.path_and_query().map_or(0, |pq| pq.as_str().len()) > text::MAX_URI {
        Err((StatusCode::URI_TOO_LONG, format!("the request target is longer than {} bytes", text::MAX_URI)))
    } else {
        check_target(path, uri.query()).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))
    };
    let (status, message) = checked.err()?;
    let dialect = gateway.and_then(|g| g.table().find(req.method(), path).map(|route| route.dialect));
    Some(match dialect {
        Some(dialect) => refuse_as(dialect, status, message),
        None => refuse(path, status, message),
    })
}

/// The refusal in `dialect`'s format.
fn refuse_as(dialect: Dialect, status: StatusCode, message: String) -> Response {
    let mut res = match dialect {
        Dialect::DingTalk => return DingTalkError::new(status, "InvalidParameter", message).into_response(),
        Dialect::Feishu => {
            FeishuError::api(FeishuCode::InvalidParam, format!("invalid param: {message}")).into_response()
        }
        Dialect::OAuth2 => OAuthError::invalid_request(message).into_response(),
    };
    *res.status_mut() = status;
    res
}

/// Checks each path segment and each query name and value, percent-decoded.
fn check_target(path: &str, query: Option<&str>) -> Result<(), TextError> {
    for segment in path.split('/') {
        // Decoding copies; a segment without `%` is its own decoding.
        let decoded: std::borrow::Cow<'_, [u8]> = percent_decode(segment.as_bytes()).into();
        text::check_bytes("the path", &decoded, text::MAX_VALUE)?;
    }
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| percent_decode(s.replace('+', " ").as_bytes()).collect::<Vec<u8>>();
        let name = decode(name);
        text::check_bytes("a query parameter name", &name, text::MAX_VALUE)?;
        let field = String::from_utf8_lossy(&name).into_owned();
        text::check_bytes(&field, &decode(value), text::MAX_VALUE)?;
    }
    Ok(())
}

/// The refusal in the format of the route's dialect.
fn refuse(path: &str, status: StatusCode, message: String) -> Response {
    let web_pages = ["/login", "/logout", "/account", "/console", "/device", "/static", "/favicon.ico"];
    let web = web_pages.iter().any(|p| path == *p || path.starts_with(&format!("{p}/")))
        || ["/oauth2/authorize", "/oauth2/auth", "/open-apis/authen/v1/authorize", "/open-apis/authen/v1/index"]
            .contains(&path)
        || path.ends_with("/adminConsent");
    if web {
        html::error_page(status, &message)
    } else if path.starts_with("/api/") {
        ApiError::new(status, "invalid_request", message).into_response()
    } else if path.starts_with("/oauth2/") || path.starts_with("/.well-known/") {
        let mut res = OAuthError::invalid_request(message).into_response();
        *res.status_mut() = status;
        res
    } else if path.starts_with("/open-apis/auth/v3/") {
        FeishuError::token(FeishuCode::InvalidParam, format!("invalid param: {message}")).into_response()
    } else if path.starts_with("/oauth/") || path.starts_with("/open-apis/authen/v2/") {
        let mut res = FeishuError::oauth(FeishuCode::InvalidParam, format!("invalid param: {message}")).into_response();
        *res.status_mut() = status;
        res
    } else if path.starts_with("/open-apis/") {
        let mut res = FeishuError::api(FeishuCode::InvalidParam, format!("invalid param: {message}")).into_response();
        *res.status_mut() = status;
        res
    } else {
        DingTalkError::new(status, "InvalidParameter", message).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::check_target;

    #[test]
    fn encoded_nul_control_and_invalid_utf8_are_found_in_path_and_query() {
        assert!(check_target("/v1.0/contact/users/alice", Some("a=1&b=%E5%BC%A0")).is_ok());
        assert!(check_target("/v1.0/contact/users/alice%00", None).is_err());
        assert!(check_target("/v1.0/contact/users/%FF", None).is_err());
        assert!(check_target("/api/v1/orgs/x/audit", Some("actor=user%00")).is_err());
        assert!(check_target("/api/v1/orgs/x/audit", Some("actor%1B=x")).is_err());
        assert!(check_target("/api/v1/orgs/x/audit", Some("actor=%C3")).is_err());
        assert!(check_target("/x", Some(&format!("q={}", "a".repeat(tessera_core::text::MAX_VALUE + 1)))).is_err());
        assert!(check_target("/x", Some("q=line%0Abreak&&empty=")).is_ok());
    }
}
