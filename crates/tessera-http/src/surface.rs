//! Which surface a path belongs to, and each surface's own 404 and 405: the management API
//! (`/api/v1/*`) answers `{error, message}`, Feishu's Open API (`/open-apis/*`) Feishu's
//! (a plain-text 404 as Feishu's gateway has it; `{code, msg}` otherwise), the OAuth 2
//! endpoints (`/oauth2/*`) RFC 6749's `{error, error_description}`, and every other path
//! DingTalk's `{code, message, requestid}`.

use axum::response::{IntoResponse, Response};
use http::{StatusCode, Uri};

use crate::dingtalk::error::DingTalkError;
use crate::feishu::error::{FeishuCode, FeishuError, Shape};
use crate::manage::error::ApiError;
use crate::oauth2::error::OAuthError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Management,
    Feishu,
    OAuth2,
    DingTalk,
}

impl Surface {
    pub fn of(path: &str) -> Surface {
        let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
        if under("/api/v1") {
            Surface::Management
        } else if under("/open-apis") {
            Surface::Feishu
        } else if under("/oauth2") {
            Surface::OAuth2
        } else {
            Surface::DingTalk
        }
    }
}

/// The 404 of a path no route takes, in its surface's format.
pub fn not_found(path: &str) -> Response {
    not_found_in(Surface::of(path))
}

/// The 404 of `surface`.
pub fn not_found_in(surface: Surface) -> Response {
    match surface {
        Surface::Management => ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint").into_response(),
        Surface::Feishu => crate::feishu::plain_not_found(),
        Surface::OAuth2 => OAuthError::invalid_request_with(StatusCode::NOT_FOUND, "no such endpoint").into_response(),
        Surface::DingTalk => {
            DingTalkError::new(StatusCode::NOT_FOUND, "NotFound", "the requested API does not exist").into_response()
        }
    }
}

/// The 405 of a method a path does not take, in its surface's format.
pub async fn method_not_allowed(uri: Uri) -> Response {
    const MESSAGE: &str = "this endpoint does not take this HTTP method";
    let status = StatusCode::METHOD_NOT_ALLOWED;
    match Surface::of(uri.path()) {
        Surface::Management => ApiError::new(status, "method_not_allowed", MESSAGE).into_response(),
        Surface::Feishu => FeishuError::new(status, FeishuCode::InvalidParam, Shape::Envelope, MESSAGE).into_response(),
        Surface::OAuth2 => OAuthError::invalid_request_with(status, MESSAGE).into_response(),
        Surface::DingTalk => {
            DingTalkError::new(status, "MethodNotAllowed", "this API does not take this HTTP method").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_belong_to_their_surface() {
        assert_eq!(Surface::of("/api/v1/typo"), Surface::Management);
        assert_eq!(Surface::of("/api/v1"), Surface::Management);
        assert_eq!(Surface::of("/api/v10/x"), Surface::DingTalk);
        assert_eq!(Surface::of("/open-apis/x"), Surface::Feishu);
        assert_eq!(Surface::of("/oauth2/typo"), Surface::OAuth2);
        assert_eq!(Surface::of("/v1.0/oauth2/typo"), Surface::DingTalk);
        assert_eq!(Surface::of("/"), Surface::DingTalk);
    }
}
