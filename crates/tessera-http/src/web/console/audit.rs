//! The org's audit log (`/console/orgs/{corp_id}/audit`, org admins): filters by app, actor
//! and action, oldest first, a page at a time.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use tessera_core::audit::AuditAction;
use tessera_core::ids::{ClientId, CorpId};
use tessera_service::Tessera;
use tessera_store::AuditFilter;

use super::layout::{self, badge};
use super::{failed, parse_id, signed_in};
use crate::web::html::Markup;

/// Events per page.
const PAGE: i64 = 50;

fn action_label(a: AuditAction) -> (&'static str, String) {
    let kind = match a {
        AuditAction::ScopeAuthorized | AuditAction::PermissionApproved | AuditAction::AppInstalled => "ok",
        AuditAction::PermissionDeclined | AuditAction::ScopeRevoked | AuditAction::AppUninstalled => "bad",
        AuditAction::PermissionRequested => "wait",
        _ => "info",
    };
    (kind, a.as_str().replace('_', " "))
}

struct EventRow<'a> {
    seq: i64,
    when: String,
    actor: &'a str,
    what: Markup,
    target: &'a str,
    detail: &'a str,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage<'a> {
    corp_id: &'a str,
    app: &'a str,
    actor: &'a str,
    action: &'a str,
    actions: Vec<(&'static str, String)>,
    events: Vec<EventRow<'a>>,
    after: i64,
    next: Option<String>,
}

pub async fn show(
    State(t): State<Tessera>,
    Path(corp_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let here = format!("/console/orgs/{corp_id}/audit");
    let v = match signed_in(&t, &headers, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let corp = match parse_id(&v, CorpId::parse, &corp_id, "organization") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty());
    let (app, actor, action) = (get("client_id"), get("actor"), get("action"));
    let client_id = match app.clone().map(ClientId::parse).transpose() {
        Ok(c) => c,
        Err(_) => return layout::error(Some(&v), StatusCode::BAD_REQUEST, "That is not a client id."),
    };
    let parsed_action = match action.as_deref() {
        None => None,
        Some(a) => match AuditAction::parse(a) {
            Some(a) => Some(a),
            None => return layout::error(Some(&v), StatusCode::BAD_REQUEST, "Choose an action from the list."),
        },
    };
    let after = get("after").and_then(|a| a.parse::<i64>().ok()).unwrap_or(0).max(0);
    let filter = AuditFilter {
        corp_id: None,
        action: parsed_action,
        client_id,
        actor: actor.clone(),
        since: None,
        until: None,
        after_seq: after,
        limit: PAGE,
    };
    let events = match t.audit_log(&v.actor(), &corp, filter).await {
        Ok(e) => e,
        Err(e) => return failed(Some(&v), e),
    };
    let mut next = None;
    if events.len() as i64 == PAGE
        && let Some(last) = events.last()
    {
        let mut q: Vec<(&str, String)> = vec![("after", last.seq.to_string())];
        for (k, val) in [("client_id", &app), ("actor", &actor), ("action", &action)] {
            if let Some(val) = val {
                q.push((k, val.clone()));
            }
        }
        next = Some(serde_urlencoded::to_string(&q).unwrap_or_default());
    }
    let rows = events
        .iter()
        .map(|e| {
            let (kind, label) = action_label(e.draft.action);
            EventRow {
                seq: e.seq,
                when: layout::time(e.at),
                actor: &e.draft.actor,
                what: badge(kind, &label),
                target: &e.draft.target,
                detail: &e.draft.detail,
            }
        })
        .collect();
    let body = AuditPage {
        corp_id: corp.as_str(),
        app: app.as_deref().unwrap_or_default(),
        actor: actor.as_deref().unwrap_or_default(),
        action: action.as_deref().unwrap_or_default(),
        actions: AuditAction::ALL.iter().map(|a| (a.as_str(), action_label(*a).1)).collect(),
        events: rows,
        after,
        next,
    };
    layout::page(Some(&v), &v.csrf(&t), StatusCode::OK, "Audit log", &here, &body)
}
