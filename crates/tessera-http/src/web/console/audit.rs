//! The org's audit log (`/console/orgs/{corp_id}/audit`, org admins): newest first, a page
//! at a time in both directions (`before=` older, `after=` newer), filtered by app, actor
//! (by prefix), action and dates (UTC days, both inclusive).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use tessera_core::audit::{AuditAction, AuditEvent};
use tessera_core::ids::{ClientId, CorpId};
use tessera_core::time::UnixTime;
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

/// The filters as typed (kept in the form, and in the paging links).
#[derive(Default)]
struct Filters {
    app: String,
    actor: String,
    action: String,
    from: String,
    to: String,
}

impl Filters {
    fn read(pairs: &[(String, String)]) -> Filters {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
        Filters { app: get("client_id"), actor: get("actor"), action: get("action"), from: get("from"), to: get("to") }
    }

    /// The query string of these filters plus `extra`.
    fn query(&self, extra: Option<(&str, i64)>) -> String {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some((k, v)) = extra {
            q.push((k, v.to_string()));
        }
        for (k, v) in [
            ("client_id", &self.app),
            ("actor", &self.actor),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                q.push((k, v.clone()));
            }
        }
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

/// Why a filter was refused, field by field.
#[derive(Default)]
struct Errors {
    app: Option<&'static str>,
    action: Option<&'static str>,
    from: Option<&'static str>,
    to: Option<&'static str>,
}

impl Errors {
    fn any(&self) -> bool {
        self.app.is_some() || self.action.is_some() || self.from.is_some() || self.to.is_some()
    }
}

struct EventRow<'a> {
    seq: i64,
    when: String,
    iso: String,
    actor: &'a str,
    what: Markup,
    target: &'a str,
    detail: &'a str,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage<'a> {
    corp_id: &'a str,
    f: &'a Filters,
    errors: Errors,
    actions: Vec<(&'static str, String)>,
    events: Vec<EventRow<'a>>,
    /// Whether this is a page other than the newest.
    paged: bool,
    /// The query of the newest page with the same filters.
    first: String,
    newer: Option<String>,
    older: Option<String>,
}

/// Which page: the newest, the one before an event, or the one after it.
#[derive(Clone, Copy)]
enum Page {
    Newest,
    Before(i64),
    After(i64),
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
    let f = Filters::read(&pairs);
    let mut errors = Errors::default();
    let client_id = match (!f.app.is_empty()).then(|| ClientId::parse(f.app.clone())).transpose() {
        Ok(c) => c,
        Err(_) => {
            errors.app = Some("That is not a client id.");
            None
        }
    };
    let action = match f.action.as_str() {
        "" => None,
        a => AuditAction::parse(a).or_else(|| {
            errors.action = Some("Choose an action from the list.");
            None
        }),
    };
    let since = match f.from.as_str() {
        "" => None,
        d => layout::day_start(d).or_else(|| {
            errors.from = Some("Enter a date as YYYY-MM-DD.");
            None
        }),
    };
    let until = match f.to.as_str() {
        "" => None,
        d => layout::day_start(d).map(|t| UnixTime(t.0 + 86_400)).or_else(|| {
            errors.to = Some("Enter a date as YYYY-MM-DD.");
            None
        }),
    };
    if let (Some(s), Some(u)) = (since, until)
        && u.0 <= s.0
    {
        errors.to = Some("The end date comes before the start date.");
    }
    let number = |k: &str| pairs.iter().find(|(n, _)| n == k).and_then(|(_, v)| v.trim().parse::<i64>().ok());
    let page = match (number("before"), number("after")) {
        (Some(b), _) => Page::Before(b.max(0)),
        (None, Some(a)) => Page::After(a.max(0)),
        (None, None) => Page::Newest,
    };
    let mut events = Vec::new();
    let mut more = false;
    if !errors.any() {
        let filter = AuditFilter {
            corp_id: None,
            action,
            client_id,
            actor: None,
            actor_prefix: (!f.actor.is_empty()).then(|| f.actor.clone()),
            since,
            until,
            after_seq: if let Page::After(a) = page { a } else { 0 },
            before_seq: if let Page::Before(b) = page { Some(b) } else { None },
            newest_first: !matches!(page, Page::After(_)),
            // One more than a page tells whether there is another page in this direction.
            limit: PAGE + 1,
        };
        events = match t.audit_log(&v.actor(), &corp, filter).await {
            Ok(e) => e,
            Err(e) => return failed(Some(&v), e),
        };
        more = events.len() as i64 > PAGE;
        events.truncate(PAGE as usize);
        if matches!(page, Page::After(_)) {
            events.reverse();
        }
    }
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(&t, &v, &corp, &here, &f, errors, &events, page, more, status)
}

#[allow(clippy::too_many_arguments)]
fn render(
    t: &Tessera,
    v: &super::Viewer,
    corp: &CorpId,
    here: &str,
    f: &Filters,
    errors: Errors,
    events: &[AuditEvent],
    page: Page,
    more: bool,
    status: StatusCode,
) -> Response {
    let (newest, oldest) = (events.first().map(|e| e.seq), events.last().map(|e| e.seq));
    // Newer events exist when this page was reached from a newer one, or (going newer) when
    // the store had more; older ones likewise.
    let newer = match page {
        Page::Newest => None,
        Page::Before(b) => Some(newest.map_or(b - 1, |n| n)),
        Page::After(_) if more => newest,
        Page::After(_) => None,
    }
    .map(|n| f.query(Some(("after", n))));
    let older = match page {
        Page::Newest | Page::Before(_) if more => oldest,
        Page::After(a) => Some(oldest.map_or(a + 1, |o| o)),
        _ => None,
    }
    .map(|o| f.query(Some(("before", o))));
    let rows = events
        .iter()
        .map(|e| {
            let (kind, label) = action_label(e.draft.action);
            EventRow {
                seq: e.seq,
                when: layout::time(e.at),
                iso: layout::iso(e.at),
                actor: &e.draft.actor,
                what: badge(kind, &label),
                target: &e.draft.target,
                detail: &e.draft.detail,
            }
        })
        .collect();
    let body = AuditPage {
        corp_id: corp.as_str(),
        f,
        errors,
        actions: AuditAction::ALL.iter().map(|a| (a.as_str(), action_label(*a).1)).collect(),
        events: rows,
        paged: !matches!(page, Page::Newest),
        first: f.query(None),
        newer,
        older,
    };
    layout::page(Some(v), &v.csrf(t), status, "Audit log", here, &body)
}
