//! The org's audit log (`/console/orgs/{corp_id}/audit`, org admins): filters by app, actor
//! and action, oldest first, a page at a time.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use tessera_core::audit::AuditAction;
use tessera_core::ids::{ClientId, CorpId};
use tessera_service::Tessera;
use tessera_store::AuditFilter;

use super::layout::{self, badge};
use super::{failed, parse_id, signed_in};
use crate::web::html::esc;

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
    let options: String = std::iter::once(r#"<option value="">Any action</option>"#.to_owned())
        .chain(AuditAction::ALL.iter().map(|a| {
            let selected = if Some(a.as_str()) == action.as_deref() { " selected" } else { "" };
            format!(r#"<option value="{0}"{selected}>{1}</option>"#, a.as_str(), esc(&action_label(*a).1))
        }))
        .collect();
    let c = esc(corp.as_str());
    let mut body = format!(
        r#"<form method="get" action="/console/orgs/{c}/audit" class="row" role="search">
<div><label for="client_id">App (client id)</label><input type="text" id="client_id" name="client_id" value="{app}"></div>
<div><label for="actor">Actor</label><input type="text" id="actor" name="actor" value="{actor}" placeholder="member:{c}/alice"></div>
<div><label for="action">Action</label><select id="action" name="action">{options}</select></div>
<button type="submit">Filter</button></form>"#,
        app = esc(app.as_deref().unwrap_or_default()),
        actor = esc(actor.as_deref().unwrap_or_default()),
    );
    if events.is_empty() {
        body.push_str(if after > 0 {
            r#"<p class="empty">No more events. <a href="?">Back to the first page</a></p>"#
        } else {
            r#"<p class="empty">No event matches. Clear a filter to see more; every grant, request, review and activation is recorded here.</p>"#
        });
    } else {
        body.push_str("<table><thead><tr><th>#</th><th>When</th><th>Who</th><th>What</th><th>About</th><th>Detail</th></tr></thead><tbody>");
        for e in &events {
            let (kind, label) = action_label(e.draft.action);
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                e.seq,
                layout::time(e.at),
                esc(&e.draft.actor),
                badge(kind, &label),
                esc(&e.draft.target),
                esc(&e.draft.detail)
            ));
        }
        body.push_str("</tbody></table>");
        if events.len() as i64 == PAGE
            && let Some(last) = events.last()
        {
            let mut next: Vec<(&str, String)> = vec![("after", last.seq.to_string())];
            for (k, val) in [("client_id", &app), ("actor", &actor), ("action", &action)] {
                if let Some(val) = val {
                    next.push((k, val.clone()));
                }
            }
            let q = serde_urlencoded::to_string(&next).unwrap_or_default();
            body.push_str(&format!(r#"<p><a href="/console/orgs/{c}/audit?{}" rel="next">Next page</a></p>"#, esc(&q)));
        }
    }
    layout::page(Some(&v), &v.csrf(&t), StatusCode::OK, "Audit log", &here, &body)
}
