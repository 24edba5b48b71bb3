//! The review queue (`/console/reviews`, reviewers only): each pending request with its app,
//! the org that owns it, the scope and the developer's description; approve, or decline with
//! a reason the developer will read.

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tessera_core::ids::{ClientId, ScopeCode};
use tessera_service::Tessera;
use tessera_service::management::Actor;

use super::layout::{self, badge, tier_badge};
use super::{Viewer, checked_form, done, failed, field, parse_id, viewer};
use crate::web::html::Markup;

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

struct Item<'a> {
    scope: &'a str,
    tier: Markup,
    app: &'a str,
    client_id: &'a str,
    /// The owning org's name, corp id and verification badge, when it is known.
    org: Option<(&'a str, &'a str, Markup)>,
    owner: &'a str,
    scope_description: &'a str,
    why: &'a str,
    when: String,
    /// The decline reason typed, and why it was refused.
    reason: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "console/reviews.html")]
struct ReviewsPage<'a> {
    items: Vec<Item<'a>>,
    pending: Markup,
    csrf: &'a str,
}

/// A refused decline: which request, the reason typed, and why it was refused.
struct Refused<'a> {
    client_id: &'a str,
    scope: &'a str,
    reason: &'a str,
    error: &'a str,
}

async fn queue_page(t: &Tessera, v: &Viewer, refused: Option<Refused<'_>>, status: StatusCode) -> Response {
    let items = match t.review_items(&Actor::Operator).await {
        Ok(i) => i,
        Err(e) => return failed(Some(v), e),
    };
    let csrf = v.csrf(t);
    let items = items
        .iter()
        .map(|item| {
            let r = &item.request;
            let this = refused.as_ref().filter(|f| f.client_id == r.client_id.as_str() && f.scope == r.scope.as_str());
            Item {
                scope: r.scope.as_str(),
                tier: item.scope.as_ref().map(|s| tier_badge(s.tier)).unwrap_or_else(|| badge("bad", "unknown")),
                app: &item.app.name,
                client_id: r.client_id.as_str(),
                org: item.org.as_ref().map(|o| {
                    let verified = if o.verified { badge("ok", "verified") } else { badge("off", "not verified") };
                    (o.name.as_str(), o.corp_id.as_str(), verified)
                }),
                owner: item.app.owner_corp_id.as_str(),
                scope_description: item.scope.as_ref().map(|s| s.description.as_str()).unwrap_or_default(),
                why: &r.description,
                when: layout::time(r.updated_at),
                reason: this.map(|f| f.reason).unwrap_or_default(),
                error: this.map(|f| f.error),
            }
        })
        .collect();
    let body = ReviewsPage { items, pending: badge("wait", "Pending review"), csrf: &csrf };
    layout::page(Some(v), &csrf, status, "Review queue", "/console/reviews", &body)
}

pub async fn show(State(t): State<Tessera>, headers: HeaderMap) -> Response {
    let v = match reviewer(&t, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    queue_page(&t, &v, None, StatusCode::OK).await
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
        Ok(_) => done(&t, "/console/reviews", if approve { "approved" } else { "declined" }),
        Err(e) => match super::input_error(&e) {
            Some(error) => {
                let reason = field(&form, "reason").unwrap_or_default();
                let refused = Refused { client_id: id.as_str(), scope: scope.as_str(), reason, error: &error };
                queue_page(&t, &v, Some(refused), StatusCode::BAD_REQUEST).await
            }
            None => failed(Some(&v), e),
        },
    }
}
