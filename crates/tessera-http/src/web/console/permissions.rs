//! "Manage permissions" (`/console/apps/{client_id}/permissions`): search the scopes by code
//! or description, see each one's status for the app, read a decline reason, request or
//! resubmit.

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tessera_core::ids::{ClientId, ScopeCode};
use tessera_core::permission::PermissionStatus;
use tessera_core::scope::ScopeTier;
use tessera_service::Tessera;
use tessera_service::overview::ScopeRow;

use super::apps::app_header;
use super::layout::{self, badge, badge_titled, status_badge, tier_badge};
use super::{Viewer, done, failed, field, parse_id, posted, signed_in};
use crate::web::html::Markup;

fn query_param(raw: Option<&str>, name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default()).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The description field of a request form: what it holds, and why it was refused.
pub struct Why {
    text: String,
    error: Option<String>,
}

/// What a row offers: a note, or the form to request (or resubmit) the scope.
pub enum Action {
    Note(&'static str),
    Form { label: &'static str, why: Option<Why> },
}

struct Row<'a> {
    code: &'a str,
    description: &'a str,
    notes: String,
    tier: Markup,
    tag: Markup,
    reason: Option<&'a str>,
    action: Action,
}

#[derive(Template)]
#[template(path = "console/permissions.html")]
struct PermissionsPage<'a> {
    header: Markup,
    client_id: &'a str,
    q: &'a str,
    rows: Vec<Row<'a>>,
    csrf: &'a str,
}

/// A refused request: the scope, what was typed and why it was refused.
pub struct Refused<'a> {
    scope: &'a str,
    text: &'a str,
    error: String,
}

fn action(row: &ScopeRow, refused: Option<&Refused>) -> Action {
    let s = &row.scope;
    let status = row.request.as_ref().map(|r| r.status);
    if s.tier == ScopeTier::Basic {
        return Action::Note("Every app has it");
    }
    match status {
        Some(PermissionStatus::Enabled) => return Action::Note("Nothing to do"),
        Some(PermissionStatus::PendingReview) => return Action::Note("The platform team is reviewing it"),
        _ => {}
    }
    if !s.open_for_requests {
        return Action::Note("New applications are temporarily not supported");
    }
    let label = if status == Some(PermissionStatus::ReviewFailed) { "Resubmit" } else { "Request permission" };
    let why = s.needs_review().then(|| match refused.filter(|r| r.scope == s.code.as_str()) {
        Some(r) => Why { text: r.text.to_owned(), error: Some(r.error.clone()) },
        None => Why { text: row.request.as_ref().map(|r| r.description.clone()).unwrap_or_default(), error: None },
    });
    Action::Form { label, why }
}

fn row<'a>(row: &'a ScopeRow, refused: Option<&Refused>) -> Row<'a> {
    let s = &row.scope;
    let status = row.request.as_ref().map(|r| r.status);
    let mut tag = status_badge(status);
    if s.tier == ScopeTier::Basic && status.is_none() {
        tag = badge("ok", "Enabled");
    }
    let reason = match row.request.as_ref() {
        Some(r) if r.status == PermissionStatus::ReviewFailed => {
            let reason = r.reason.as_deref().unwrap_or("no reason given");
            // The tag carries the reason on hover (as the seeds describe); the text below it
            // carries it for keyboards and screen readers.
            tag = badge_titled("bad", "Review failed", reason);
            Some(reason)
        }
        _ => None,
    };
    let mut notes = Vec::new();
    if s.requires_verified_org {
        notes.push("verified organizations only".to_owned());
    }
    if let Some(role) = &s.eligible_role {
        notes.push(format!("each org's {} authorizes it", role.as_str()));
    }
    Row {
        code: s.code.as_str(),
        description: &s.description,
        notes: notes.join("; "),
        tier: tier_badge(s.tier),
        tag,
        reason,
        action: action(row, refused),
    }
}

pub async fn show(
    State(t): State<Tessera>,
    Path(client_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let here = format!("/console/apps/{client_id}/permissions");
    let v = match signed_in(&t, &headers, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = match parse_id(&v, ClientId::parse, &client_id, "app") {
        Ok(i) => i,
        Err(r) => return r,
    };
    let q = query_param(raw.as_deref(), "q").unwrap_or_default();
    page(&t, &v, &id, &q, None, StatusCode::OK).await
}

/// The app's scopes matching `q`, with the request form `refused` refilled.
async fn page(
    t: &Tessera,
    v: &Viewer,
    id: &ClientId,
    q: &str,
    refused: Option<&Refused<'_>>,
    status: StatusCode,
) -> Response {
    let app = match t.own_app(&v.actor(), id).await {
        Ok(a) => a,
        Err(e) => return failed(Some(v), e),
    };
    let rows = match t.scope_rows(&v.actor(), id, q).await {
        Ok(r) => r,
        Err(e) => return failed(Some(v), e),
    };
    let csrf = v.csrf(t);
    let body = PermissionsPage {
        header: app_header(&app, "/permissions"),
        client_id: id.as_str(),
        q,
        rows: rows.iter().map(|r| row(r, refused)).collect(),
        csrf: &csrf,
    };
    let here = format!("/console/apps/{id}/permissions");
    layout::page(Some(v), &csrf, status, "Manage permissions", &here, &body)
}

pub async fn request(
    State(t): State<Tessera>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let here = format!("/console/apps/{client_id}/permissions");
    let (v, form) = match posted(&t, &headers, &here, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let id = match parse_id(&v, ClientId::parse, &client_id, "app") {
        Ok(i) => i,
        Err(r) => return r,
    };
    let scope = match parse_id(&v, ScopeCode::parse, field(&form, "scope").unwrap_or_default(), "scope") {
        Ok(s) => s,
        Err(r) => return r,
    };
    match t.request_permission(&v.actor(), &id, &scope, field(&form, "description").unwrap_or_default()).await {
        Ok(_) => {
            let q = serde_urlencoded::to_string([("q", scope.as_str())]).unwrap_or_default();
            done(&t, &format!("/console/apps/{}/permissions?{q}#scope-{}", id, scope), "requested")
        }
        Err(e) => match super::input_error(&e) {
            Some(error) => {
                let refused =
                    Refused { scope: scope.as_str(), text: field(&form, "description").unwrap_or_default(), error };
                page(&t, &v, &id, scope.as_str(), Some(&refused), StatusCode::BAD_REQUEST).await
            }
            None => failed(Some(&v), e),
        },
    }
}
