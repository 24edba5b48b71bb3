//! The org admin's workbench (`/console/orgs/{corp_id}/workbench`): the apps installed in
//! the org and what each holds there; activate and uninstall; for each sensitive scope, who
//! may authorize it (the members holding its eligible role over the whole org) and an
//! Authorize / Revoke button that only they can use.

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tessera_core::ids::{ClientId, CorpId, ScopeCode};
use tessera_core::scope::ScopeTier;
use tessera_service::Tessera;
use tessera_service::overview::{SensitiveRow, Workbench};

use super::layout::{self, badge, tier_badge};
use super::{Viewer, done, failed, field, parse_id, posted, signed_in};
use crate::web::html::Markup;

struct Sensitive<'a> {
    code: &'a str,
    description: &'a str,
    state: Markup,
    /// Who authorized or revoked it, and when.
    by: Option<(&'a str, String)>,
    role: &'a str,
    holders: Vec<(&'a str, &'a str)>,
    /// Whether the viewer may press the button.
    may: bool,
    decision: &'static str,
    label: &'static str,
}

struct InstalledApp<'a> {
    name: &'a str,
    client_id: &'a str,
    /// What the app holds in the org beyond the basic scopes: code, tier, description.
    holds: Vec<(&'a str, Markup, &'a str)>,
    sensitive: Vec<Sensitive<'a>>,
}

#[derive(Template)]
#[template(path = "console/workbench.html")]
struct WorkbenchPage<'a> {
    org_name: &'a str,
    corp_id: &'a str,
    verified: Markup,
    roles: Vec<(&'a str, Vec<(&'a str, &'a str)>)>,
    apps: Vec<InstalledApp<'a>>,
    activated: Markup,
    /// The activation form: the client id typed, and why it was refused.
    activate: (&'a str, Option<&'a str>),
    csrf: &'a str,
}

fn sensitive_row<'a>(row: &'a SensitiveRow, viewer_user: Option<&str>) -> Sensitive<'a> {
    let s = &row.scope;
    let (state, by) = match (&row.grant, &row.last_revocation) {
        (Some(g), _) => (badge("ok", "Authorized"), Some((g.granted_by.as_str(), layout::time(g.granted_at)))),
        (None, Some(r)) => (badge("off", "Revoked"), Some((r.revoked_by.as_str(), layout::time(r.revoked_at)))),
        (None, None) => (badge("wait", "Not authorized"), None),
    };
    let (decision, label) = if row.grant.is_some() { ("revoke", "Revoke") } else { ("authorize", "Authorize") };
    Sensitive {
        code: s.code.as_str(),
        description: &s.description,
        state,
        by,
        role: s.eligible_role.as_ref().map(|r| r.as_str()).unwrap_or("?"),
        holders: row.eligible.iter().map(|m| (m.name.as_str(), m.user_id.as_str())).collect(),
        may: viewer_user.is_some_and(|u| row.eligible.iter().any(|m| m.user_id.as_str() == u)),
        decision,
        label,
    }
}

/// The workbench of `wb`'s org; `activate` is what the activation form shows.
fn workbench_page(
    v: &Viewer,
    csrf: &str,
    wb: &Workbench,
    activate: (&str, Option<&str>),
    status: StatusCode,
) -> Response {
    let corp = wb.org.corp_id.as_str();
    let viewer_user = wb.viewer.as_ref().map(|m| m.user_id.as_str());
    let apps = wb
        .installed
        .iter()
        .map(|app| InstalledApp {
            name: &app.app.name,
            client_id: app.app.client_id.as_str(),
            // What it holds now: a sensitive scope counts only while it is authorized.
            holds: app
                .enabled
                .iter()
                .filter(|s| s.tier != ScopeTier::Basic)
                .filter(|s| {
                    s.tier != ScopeTier::Sensitive
                        || app.sensitive.iter().any(|r| r.scope.code == s.code && r.grant.is_some())
                })
                .map(|s| (s.code.as_str(), tier_badge(s.tier), s.description.as_str()))
                .collect(),
            sensitive: app.sensitive.iter().map(|r| sensitive_row(r, viewer_user)).collect(),
        })
        .collect();
    let body = WorkbenchPage {
        org_name: &wb.org.name,
        corp_id: corp,
        verified: if wb.org.verified { badge("ok", "verified") } else { badge("off", "not verified") },
        roles: wb
            .eligible_roles
            .iter()
            .map(|(role, holders)| {
                (role.as_str(), holders.iter().map(|m| (m.name.as_str(), m.user_id.as_str())).collect())
            })
            .collect(),
        apps,
        activated: badge("ok", "Activated"),
        activate,
        csrf,
    };
    layout::page(Some(v), csrf, status, "Workbench", &format!("/console/orgs/{corp}/workbench"), &body)
}

pub async fn show(State(t): State<Tessera>, Path(corp_id): Path<String>, headers: HeaderMap) -> Response {
    let here = format!("/console/orgs/{corp_id}/workbench");
    let v = match signed_in(&t, &headers, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let corp = match parse_id(&v, CorpId::parse, &corp_id, "organization") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let wb = match t.workbench(&v.actor(), &corp).await {
        Ok(w) => w,
        Err(e) => return failed(Some(&v), e),
    };
    workbench_page(&v, &v.csrf(&t), &wb, ("", None), StatusCode::OK)
}

pub async fn activate(
    State(t): State<Tessera>,
    Path(corp_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let here = format!("/console/orgs/{corp_id}/workbench");
    let (v, form) = match posted(&t, &headers, &here, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (corp, client) = match (
        parse_id(&v, CorpId::parse, &corp_id, "organization"),
        parse_id(&v, ClientId::parse, field(&form, "client_id").unwrap_or_default().trim(), "app"),
    ) {
        (Ok(c), Ok(a)) => (c, a),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    match t.activate(&v.actor(), &corp, &client).await {
        Ok(_) => done(&t, &format!("/console/orgs/{corp}/workbench"), "activated"),
        Err(e) => failed(Some(&v), e),
    }
}

pub async fn uninstall(
    State(t): State<Tessera>,
    Path((corp_id, client_id)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let here = format!("/console/orgs/{corp_id}/workbench");
    let (v, form) = match posted(&t, &headers, &here, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if field(&form, "confirm") != Some("yes") {
        return layout::error(
            Some(&v),
            StatusCode::BAD_REQUEST,
            "Tick the box to confirm the uninstall: every grant the app has in the org goes.",
        );
    }
    let (corp, client) =
        match (parse_id(&v, CorpId::parse, &corp_id, "organization"), parse_id(&v, ClientId::parse, &client_id, "app"))
        {
            (Ok(c), Ok(a)) => (c, a),
            (Err(r), _) | (_, Err(r)) => return r,
        };
    match t.uninstall(&v.actor(), &corp, &client).await {
        Ok(()) => done(&t, &format!("/console/orgs/{corp}/workbench"), "uninstalled"),
        Err(e) => failed(Some(&v), e),
    }
}

pub async fn grant(
    State(t): State<Tessera>,
    Path((corp_id, client_id, scope)): Path<(String, String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let here = format!("/console/orgs/{corp_id}/workbench");
    let (v, form) = match posted(&t, &headers, &here, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ids = (
        parse_id(&v, CorpId::parse, &corp_id, "organization"),
        parse_id(&v, ClientId::parse, &client_id, "app"),
        parse_id(&v, ScopeCode::parse, &scope, "scope"),
    );
    let (corp, client, scope) = match ids {
        (Ok(c), Ok(a), Ok(s)) => (c, a, s),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let authorize = match field(&form, "decision") {
        Some("authorize") => true,
        Some("revoke") => false,
        _ => return layout::error(Some(&v), StatusCode::BAD_REQUEST, "Choose Authorize or Revoke."),
    };
    match t.set_grant(&v.actor(), &corp, &client, &scope, authorize).await {
        Ok(()) => {
            done(&t, &format!("/console/orgs/{corp}/workbench"), if authorize { "authorized" } else { "revoked" })
        }
        Err(e) => failed(Some(&v), e),
    }
}
