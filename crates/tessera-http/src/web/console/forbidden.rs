//! The 403 helper (`/console/apps/{client_id}/explain`): a developer pastes the error body
//! their call got, DingTalk's (`accessdenieddetail.requiredScopes`) or Feishu's
//! (`error.permission_violations[].subject`), picks the org, and reads for each scope the
//! first missing step, with a link to request the scope when that is what is missing. Instead
//! of a body, the call itself (`PUT /v1.0/contact/users/alice`) may be pasted: its scopes are
//! then the gateway's route table's.

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;
use tessera_core::explain::Missing;
use tessera_core::ids::{ClientId, CorpId, ScopeCode};
use tessera_service::Tessera;

use super::apps::app_header;
use super::layout::{self, badge};
use super::{Viewer, failed, field, parse_id, posted, signed_in};
use crate::gateway::Gateway;
use crate::web::html::Markup;

/// Whose error body it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    DingTalk,
    Feishu,
    /// Not a body: a `METHOD /path` of the route table.
    Route,
}

/// The scopes the route table requires for a pasted `METHOD /path` (by template or by a path
/// the template matches); `None` when the paste is not of that form.
fn route_scopes(gateway: &Gateway, pasted: &str) -> Option<Result<Vec<String>, &'static str>> {
    let (method, path) = pasted.trim().split_once(' ')?;
    let path = path.trim().split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') || method.is_empty() || !method.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let table = gateway.table();
    let found = table.declared(method, path).or_else(|| {
        http::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).ok().and_then(|m| table.find(&m, path))
    });
    Some(match found {
        Some(route) if route.scopes.is_empty() => {
            Err("That route requires no scope: any valid token of its kinds may call it.")
        }
        Some(route) => Ok(route.scopes.iter().map(|s| s.to_string()).collect()),
        None => Err("No route of the gateway's table takes that call."),
    })
}

/// The scopes an error body says are missing, or why none could be read.
pub fn required_scopes(body: &str) -> Result<(Dialect, Vec<String>), &'static str> {
    let v: Value = serde_json::from_str(body.trim())
        .map_err(|_| "That is not a JSON error body. Paste the whole body the API answered with.")?;
    let strings = |list: &Value, key: Option<&str>| -> Vec<String> {
        list.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| match key {
                        Some(k) => x.get(k).and_then(Value::as_str),
                        None => x.as_str(),
                    })
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    for key in ["accessdenieddetail", "accessDeniedDetail", "AccessDeniedDetail"] {
        if let Some(detail) = v.get(key) {
            let scopes = strings(detail.get("requiredScopes").unwrap_or(&Value::Null), None);
            if !scopes.is_empty() {
                return Ok((Dialect::DingTalk, scopes));
            }
        }
    }
    if let Some(violations) = v.get("error").and_then(|e| e.get("permission_violations")) {
        let scopes = strings(violations, Some("subject"));
        if !scopes.is_empty() {
            return Ok((Dialect::Feishu, scopes));
        }
    }
    Err(
        "The body names no missing scope: look for accessdenieddetail.requiredScopes (DingTalk) or error.permission_violations (Feishu).",
    )
}

struct AnswerLine {
    scope: String,
    state: Markup,
    next: String,
    /// Where to request the scope, when that is what is missing.
    request: Option<String>,
}

struct Answer {
    from: &'static str,
    lines: Vec<AnswerLine>,
}

#[derive(Template)]
#[template(path = "console/explain.html")]
struct ExplainPage<'a> {
    header: Markup,
    here: &'a str,
    csrf: &'a str,
    orgs: Vec<CorpId>,
    corp: &'a str,
    pasted: &'a str,
    error: Option<&'a str>,
    answer: Option<Answer>,
}

/// What the page shows under the form: nothing yet, why the paste could not be read, or the
/// answer for the org `corp`.
enum Outcome<'a> {
    Blank,
    Refused(&'a str),
    Answered(Answer),
}

async fn form_page(
    t: &Tessera,
    v: &Viewer,
    client_id: &ClientId,
    corp: &str,
    pasted: &str,
    outcome: Outcome<'_>,
    status: StatusCode,
) -> Response {
    let app = match t.own_app(&v.actor(), client_id).await {
        Ok(a) => a,
        Err(e) => return failed(Some(v), e),
    };
    let mut orgs: Vec<CorpId> = match t.installations(client_id).await {
        Ok(i) => i.into_iter().map(|i| i.corp_id).collect(),
        Err(e) => return failed(Some(v), e.into()),
    };
    if !orgs.contains(&app.owner_corp_id) {
        orgs.insert(0, app.owner_corp_id.clone());
    }
    let csrf = v.csrf(t);
    let here = format!("/console/apps/{client_id}/explain");
    let (error, answer) = match outcome {
        Outcome::Blank => (None, None),
        Outcome::Refused(m) => (Some(m), None),
        Outcome::Answered(a) => (None, Some(a)),
    };
    let body = ExplainPage {
        header: app_header(&app, "/explain"),
        here: &here,
        csrf: &csrf,
        orgs,
        corp,
        pasted,
        error,
        answer,
    };
    layout::page(Some(v), &csrf, status, "Why was my call refused?", &here, &body)
}

pub async fn show(State(t): State<Tessera>, Path(client_id): Path<String>, headers: HeaderMap) -> Response {
    let v = match signed_in(&t, &headers, &format!("/console/apps/{client_id}/explain")).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = match parse_id(&v, ClientId::parse, &client_id, "app") {
        Ok(i) => i,
        Err(r) => return r,
    };
    form_page(&t, &v, &id, "", "", Outcome::Blank, StatusCode::OK).await
}

pub async fn explain(
    State(t): State<Tessera>,
    axum::Extension(gateway): axum::Extension<Gateway>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let (v, form) = match posted(&t, &headers, &format!("/console/apps/{client_id}/explain"), raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let id = match parse_id(&v, ClientId::parse, &client_id, "app") {
        Ok(i) => i,
        Err(r) => return r,
    };
    let pasted = field(&form, "body").unwrap_or_default();
    let corp = match parse_id(&v, CorpId::parse, field(&form, "corp_id").unwrap_or_default(), "organization") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let read = match route_scopes(&gateway, pasted) {
        Some(r) => r.map(|scopes| (Dialect::Route, scopes)),
        None => required_scopes(pasted),
    };
    let (dialect, names) = match read {
        Ok(x) => x,
        Err(m) => {
            return form_page(&t, &v, &id, corp.as_str(), pasted, Outcome::Refused(m), StatusCode::BAD_REQUEST).await;
        }
    };
    let Ok(scopes) = names.iter().map(|n| ScopeCode::parse(n.as_str())).collect::<Result<Vec<_>, _>>() else {
        let m = "The body names a scope that is not a valid scope code.";
        return form_page(&t, &v, &id, corp.as_str(), pasted, Outcome::Refused(m), StatusCode::BAD_REQUEST).await;
    };
    let answers = match t.explain(&v.actor(), &id, &corp, None, &scopes).await {
        Ok(a) => a,
        Err(e) => return failed(Some(&v), e),
    };
    let from = match dialect {
        Dialect::DingTalk => "a DingTalk error body",
        Dialect::Feishu => "a Feishu error body",
        Dialect::Route => "the gateway's route table",
    };
    let lines = answers
        .into_iter()
        .map(|a| {
            let state = match &a.missing {
                None => badge("ok", "Allowed"),
                Some(Missing::NotRequested { .. }) => badge("off", "Not requested"),
                Some(Missing::PendingReview) => badge("wait", "Pending review"),
                Some(Missing::Declined { .. }) => badge("bad", "Review failed"),
                Some(Missing::NotActivated) => badge("off", "App not activated"),
                Some(Missing::NotAuthorized { .. }) => badge("wait", "Not authorized by the org"),
                Some(Missing::Revoked { .. }) => badge("bad", "Revoked"),
                Some(Missing::NotConsented) => badge("off", "User has not consented"),
                Some(Missing::UnknownScope) => badge("bad", "Unknown scope"),
            };
            let request = match &a.missing {
                Some(Missing::NotRequested { closed: false }) | Some(Missing::Declined { .. }) => {
                    let q = serde_urlencoded::to_string([("q", a.scope.as_str())]).unwrap_or_default();
                    Some(format!("/console/apps/{id}/permissions?{q}"))
                }
                _ => None,
            };
            AnswerLine { scope: a.scope, state, next: a.next, request }
        })
        .collect();
    let answer = Outcome::Answered(Answer { from, lines });
    form_page(&t, &v, &id, corp.as_str(), pasted, answer, StatusCode::OK).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dingtalk_and_feishu_bodies() {
        let ding = r#"{"code":"Forbidden.AccessDenied.AccessTokenPermissionDenied","requestid":"x","message":"m",
            "accessdenieddetail":{"requiredScopes":["Contact.User.Read"]}}"#;
        assert_eq!(required_scopes(ding).unwrap(), (Dialect::DingTalk, vec!["Contact.User.Read".to_string()]));
        let feishu = r#"{"code":99991672,"msg":"Access denied.","error":{"log_id":"1",
            "permission_violations":[{"type":"action_scope_required","subject":"contact:user.id:readonly"},
            {"type":"action_scope_required","subject":"im:message"}]}}"#;
        assert_eq!(
            required_scopes(feishu).unwrap(),
            (Dialect::Feishu, vec!["contact:user.id:readonly".to_string(), "im:message".to_string()])
        );
        assert!(required_scopes("not json").is_err());
        assert!(required_scopes(r#"{"code":"InvalidAuthentication"}"#).is_err());
        assert!(required_scopes(r#"{"accessdenieddetail":{"requiredScopes":[]}}"#).is_err());
    }
}
