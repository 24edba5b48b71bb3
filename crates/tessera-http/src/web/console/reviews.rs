//! The review queue (`/console/reviews`, reviewers only): each pending request with its app,
//! the org that owns it, the scope and the developer's description; approve, or decline with
//! a reason the developer will read.

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tessera_core::ids::{ClientId, ScopeCode};
use tessera_service::Tessera;
use tessera_service::management::Actor;

use super::layout::{self, badge, tier_badge};
use super::{Viewer, checked_form, failed, field, parse_id, see_other, viewer};
use crate::web::html::{esc, hidden};

/// A reviewer, or a redirect to the reviewer sign-in.
async fn reviewer(t: &Tessera, headers: &HeaderMap) -> Result<Viewer, Response> {
    match viewer(t, headers).await? {
        Some(v) if v.reviewer.is_some() => Ok(v),
        Some(v) => Err(layout::error(
            Some(&v),
            StatusCode::FORBIDDEN,
            "The review queue is for platform reviewers. Sign in as a reviewer with the operator token first.",
        )),
        None => Err(axum::response::Redirect::to("/console/reviewer").into_response()),
    }
}

pub async fn show(State(t): State<Tessera>, headers: HeaderMap) -> Response {
    let v = match reviewer(&t, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let items = match t.review_items(&Actor::Operator).await {
        Ok(i) => i,
        Err(e) => return failed(Some(&v), e),
    };
    let csrf = v.csrf(&t);
    let mut body = String::new();
    if items.is_empty() {
        body.push_str(r#"<p class="empty">Nothing is waiting for review. Requests for special and sensitive scopes appear here as developers submit them.</p>"#);
    }
    for (n, item) in items.iter().enumerate() {
        let r = &item.request;
        let org = match &item.org {
            Some(o) => format!(
                "{} <span class=\"muted\">{}</span> {}",
                esc(&o.name),
                esc(o.corp_id.as_str()),
                if o.verified { badge("ok", "verified") } else { badge("off", "not verified") }
            ),
            None => esc(item.app.owner_corp_id.as_str()),
        };
        let (tier, scope_desc) = match &item.scope {
            Some(s) => (tier_badge(s.tier), esc(&s.description)),
            None => (badge("bad", "unknown"), String::new()),
        };
        let action = format!("/console/reviews/{}/{}", esc(r.client_id.as_str()), esc(r.scope.as_str()));
        body.push_str(&format!(
            r#"<section class="card" aria-labelledby="req{n}"><h2 id="req{n}"><code>{scope}</code> {tier} for {app}</h2>
<table><tbody><tr><th scope="row">App</th><td>{app} <span class="muted">{client}</span></td></tr>
<tr><th scope="row">Organization</th><td>{org}</td></tr>
<tr><th scope="row">Scope</th><td><code>{scope}</code>: {scope_desc}</td></tr>
<tr><th scope="row">Why the app needs it</th><td>{why}</td></tr>
<tr><th scope="row">Submitted</th><td>{when} {pending}</td></tr></tbody></table>
<form method="post" action="{action}" class="inline">{csrf}<input type="hidden" name="decision" value="approve"><button type="submit">Approve</button></form>
<form method="post" action="{action}">{csrf}<input type="hidden" name="decision" value="decline">
<label for="reason{n}">Reason for declining <span class="muted">(the developer reads it)</span></label>
<textarea id="reason{n}" name="reason" rows="2" maxlength="1000" required></textarea>
<button type="submit" class="danger">Decline</button></form></section>"#,
            scope = esc(r.scope.as_str()),
            app = esc(&item.app.name),
            client = esc(r.client_id.as_str()),
            why = esc(&r.description),
            when = layout::time(r.updated_at),
            pending = badge("wait", "Pending review"),
            csrf = hidden("csrf", &csrf),
        ));
    }
    layout::page(Some(&v), &csrf, StatusCode::OK, "Review queue", "/console/reviews", &body)
}

pub async fn decide(
    State(t): State<Tessera>,
    Path((client_id, scope)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let v = match reviewer(&t, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = match checked_form(&t, &v, raw) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (id, scope) =
        match (parse_id(&v, ClientId::parse, &client_id, "app"), parse_id(&v, ScopeCode::parse, &scope, "scope")) {
            (Ok(i), Ok(s)) => (i, s),
            (Err(r), _) | (_, Err(r)) => return r,
        };
    let approve = match field(&form, "decision") {
        Some("approve") => true,
        Some("decline") => false,
        _ => return layout::error(Some(&v), StatusCode::BAD_REQUEST, "Choose Approve or Decline."),
    };
    match t.review_permission(&Actor::Operator, &id, &scope, approve, field(&form, "reason")).await {
        Ok(_) => see_other("/console/reviews"),
        Err(e) => failed(Some(&v), e),
    }
}
