//! The client's typed errors. A refused call says which scopes are missing, read from the
//! DingTalk 403 (`accessdenieddetail.requiredScopes`) or the Feishu 99991672/99991679 body
//! (`error.permission_violations[].subject`). Tokens never appear in these messages.

use std::path::PathBuf;

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("could not reach Tessera: {0}")]
    Transport(String),
    /// Tessera refused for lack of scopes. `user_grant`: the user must authorize (again)
    /// with them (Feishu 99991679, or a user token's missing consent); otherwise the app
    /// lacks them.
    #[error("missing scopes: {}", scopes.join(", "))]
    MissingScopes { scopes: Vec<String>, code: String, user_grant: bool },
    /// No usable token for the account: it must go through authorization (again).
    #[error("account {account:?} must authorize: {reason}")]
    NeedAuthorization { account: String, reason: String },
    #[error("the user denied the authorization")]
    AccessDenied,
    #[error("the authorization expired before the user approved it; start again")]
    DeviceExpired,
    /// Any other refusal, as Tessera worded it.
    #[error("Tessera answered HTTP {status}: {code}: {message}")]
    Server { status: u16, code: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("token store {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("token store file {} failed authentication: it was modified, or belongs to another account or key", path.display())]
    Tampered { path: PathBuf },
    #[error("token store file {} is unreadable: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("token store key {}: {reason}", path.display())]
    Key { path: PathBuf, reason: String },
}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest's message names the URL, never headers or bodies.
        ClientError::Transport(e.without_url().to_string())
    }
}

/// The typed error of a refused call, from its status and body (any dialect).
pub fn from_response(status: u16, body: &Value) -> ClientError {
    // DingTalk: 403 with the required scopes.
    if let Some(detail) = body.get("accessdenieddetail") {
        let scopes = strings(detail.get("requiredScopes"));
        let user_grant = detail
            .get("missingReasons")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().all(|m| m.get("reason").and_then(Value::as_str) == Some("user_not_consented")));
        let code = body.get("code").and_then(Value::as_str).unwrap_or_default().to_owned();
        if !scopes.is_empty() {
            return ClientError::MissingScopes { scopes, code, user_grant };
        }
    }
    // Feishu: 99991672 (app) / 99991679 (user grant) with permission_violations.
    if let Some(n) = body.get("code").and_then(Value::as_i64)
        && (n == 99991672 || n == 99991679)
    {
        let scopes: Vec<String> = body
            .pointer("/error/permission_violations")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(|p| p.get("subject").and_then(Value::as_str).map(String::from)).collect())
            .unwrap_or_default();
        return ClientError::MissingScopes { scopes, code: n.to_string(), user_grant: n == 99991679 };
    }
    let code = match body.get("error").and_then(Value::as_str) {
        Some(e) => e.to_owned(),
        None => match body.get("code") {
            Some(Value::String(s)) => s.clone(),
            Some(v) if !v.is_null() => v.to_string(),
            _ => "unknown".to_owned(),
        },
    };
    let message = ["error_description", "message", "msg"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .unwrap_or("no message")
        .to_owned();
    ClientError::Server { status, code, message }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn missing_scopes_are_read_from_both_dialects() {
        let dingtalk = json!({"code": "Forbidden.AccessDenied.AccessTokenPermissionDenied", "message": "m",
            "accessdenieddetail": {"requiredScopes": ["qyapi_get_member"],
                                   "missingReasons": [{"scope": "qyapi_get_member", "reason": "app_scope_not_enabled"}]}});
        match from_response(403, &dingtalk) {
            ClientError::MissingScopes { scopes, user_grant, .. } => {
                assert_eq!(scopes, ["qyapi_get_member"]);
                assert!(!user_grant);
            }
            other => panic!("{other:?}"),
        }
        let feishu = json!({"code": 99991679, "msg": "m", "error": {"permission_violations": [
            {"type": "action_privilege_required", "subject": "im:message:send_as"}]}});
        match from_response(400, &feishu) {
            ClientError::MissingScopes { scopes, user_grant, code } => {
                assert_eq!(scopes, ["im:message:send_as"]);
                assert!(user_grant);
                assert_eq!(code, "99991679");
            }
            other => panic!("{other:?}"),
        }
        let oauth = json!({"error": "invalid_grant", "error_description": "gone"});
        assert!(matches!(from_response(400, &oauth), ClientError::Server { code, .. } if code == "invalid_grant"));
    }
}
