//! "Manage permissions" (`/console/apps/{client_id}/permissions`): search the scopes by code
//! or description, see each one's status for the app, read a decline reason, request or
//! resubmit.

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
use super::layout::{self, badge, status_badge, tier_badge};
use super::{failed, field, parse_id, posted, see_other, signed_in};
use crate::web::html::{esc, hidden};

fn query_param(raw: Option<&str>, name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default()).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn action(row: &ScopeRow, client_id: &str, csrf: &str, n: usize) -> String {
    let s = &row.scope;
    let status = row.request.as_ref().map(|r| r.status);
    if s.tier == ScopeTier::Basic {
        return r#"<span class="muted">Every app has it</span>"#.into();
    }
    match status {
        Some(PermissionStatus::Enabled) => return r#"<span class="muted">Nothing to do</span>"#.into(),
        Some(PermissionStatus::PendingReview) => {
            return r#"<span class="muted">The platform team is reviewing it</span>"#.into();
        }
        _ => {}
    }
    if !s.open_for_requests {
        return r#"<span class="muted">New applications are temporarily not supported</span>"#.into();
    }
    let label = if status == Some(PermissionStatus::ReviewFailed) { "Resubmit" } else { "Request permission" };
    let why = if s.needs_review() {
        let previous = row.request.as_ref().map(|r| r.description.as_str()).unwrap_or_default();
        format!(
            r#"<label for="why{n}">Why does the app need it? <span class="muted">(reviewed by the platform team)</span></label>
<textarea id="why{n}" name="description" rows="2" maxlength="1000" required>{}</textarea>"#,
            esc(previous)
        )
    } else {
        String::new()
    };
    format!(
        r#"<form method="post" action="/console/apps/{id}/permissions">{csrf}{scope}{why}<button type="submit">{label}</button></form>"#,
        id = esc(client_id),
        csrf = hidden("csrf", csrf),
        scope = hidden("scope", s.code.as_str()),
    )
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
    let app = match t.own_app(&v.actor(), &id).await {
        Ok(a) => a,
        Err(e) => return failed(Some(&v), e),
    };
    let q = query_param(raw.as_deref(), "q").unwrap_or_default();
    let rows = match t.scope_rows(&v.actor(), &id, &q).await {
        Ok(r) => r,
        Err(e) => return failed(Some(&v), e),
    };
    let csrf = v.csrf(&t);
    let mut body = app_header(&app, "/permissions");
    body.push_str(&format!(
        r#"<form method="get" action="/console/apps/{id}/permissions" class="row" role="search">
<div><label for="q">Search scopes by code or description</label><input type="search" id="q" name="q" value="{q}" size="40"></div>
<button type="submit">Search</button></form>"#,
        id = esc(id.as_str()),
        q = esc(&q),
    ));
    if rows.is_empty() {
        body.push_str(&format!(
            r#"<p class="empty">No scope matches “{}”. Try part of the code (for example <code>contact</code>) or a word of its description.</p>"#,
            esc(&q)
        ));
    } else {
        body.push_str(
            "<table><thead><tr><th>Scope</th><th>Tier</th><th>Status</th><th>Action</th></tr></thead><tbody>",
        );
        for (n, row) in rows.iter().enumerate() {
            let s = &row.scope;
            let status = row.request.as_ref().map(|r| r.status);
            let mut tag = status_badge(status);
            if s.tier == ScopeTier::Basic && status.is_none() {
                tag = badge("ok", "Enabled");
            }
            let reason = match row.request.as_ref() {
                Some(r) if r.status == PermissionStatus::ReviewFailed => {
                    let reason = r.reason.as_deref().unwrap_or("no reason given");
                    // The tag carries the reason on hover (as the seeds describe); the text
                    // below it carries it for keyboards and screen readers.
                    tag = format!(r#"<span class="badge b-bad" title="{}">Review failed</span>"#, esc(reason));
                    format!(r#"<p class="reason">Reason: {}</p>"#, esc(reason))
                }
                _ => String::new(),
            };
            let mut notes = Vec::new();
            if s.requires_verified_org {
                notes.push("verified organizations only".to_owned());
            }
            if let Some(role) = &s.eligible_role {
                notes.push(format!("each org's {} authorizes it", role.as_str()));
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(r#"<br><span class="muted">{}</span>"#, esc(&notes.join("; ")))
            };
            body.push_str(&format!(
                r#"<tr id="scope-{code}"><td><code>{code}</code><br>{desc}{notes}</td><td>{tier}</td><td>{tag}{reason}</td><td>{action}</td></tr>"#,
                code = esc(s.code.as_str()),
                desc = esc(&s.description),
                tier = tier_badge(s.tier),
                action = action(row, id.as_str(), &csrf, n),
            ));
        }
        body.push_str("</tbody></table>");
    }
    layout::page(Some(&v), &csrf, StatusCode::OK, "Manage permissions", &here, &body)
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
            see_other(&format!("/console/apps/{}/permissions?{q}#scope-{}", id, scope))
        }
        Err(e) => failed(Some(&v), e),
    }
}
