//! The management API's handlers: parse, call the service, answer JSON.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tessera_core::audit::{AuditAction, AuditEvent};
use tessera_core::consent::parse_scope_string;
use tessera_core::explain::ScopeAnswer;
use tessera_core::ids::{ClientId, CorpId, ScopeCode, UnionId};
use tessera_core::permission::{PermissionRequest, PermissionStatus};
use tessera_core::suite::TicketEvent;
use tessera_core::time::UnixTime;
use tessera_service::Tessera;
use tessera_service::signin::SignInError;
use tessera_store::AuditFilter;
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::ApiError;
use super::openapi::{audit_action_schema, callback_url_schema, description_schema, id_schema, reason_schema};
use super::params::{AppPath, OrgPath, ScopePath};
use crate::body;
use crate::client_addr::ClientAddr;
use crate::gateway::Gateway;

fn id<T>(parse: impl FnOnce(String) -> Result<T, tessera_core::DomainError>, s: String) -> Result<T, ApiError> {
    parse(s).map_err(ApiError::from)
}

/// An app's request for a scope and where it stands.
#[derive(Serialize, ToSchema)]
#[schema(as = Permission)]
pub struct PermissionView {
    client_id: String,
    scope: String,
    status: StatusView,
    description: String,
    /// Why it was declined.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    reason: Option<String>,
    /// Unix seconds.
    updated_at: i64,
}

/// Where a permission request stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusView {
    PendingReview,
    Enabled,
    ReviewFailed,
}

impl From<PermissionStatus> for StatusView {
    fn from(s: PermissionStatus) -> Self {
        match s {
            PermissionStatus::PendingReview => StatusView::PendingReview,
            PermissionStatus::Enabled => StatusView::Enabled,
            PermissionStatus::ReviewFailed => StatusView::ReviewFailed,
        }
    }
}

impl From<PermissionRequest> for PermissionView {
    fn from(p: PermissionRequest) -> Self {
        PermissionView {
            client_id: p.client_id.into(),
            scope: p.scope.into(),
            status: p.status.into(),
            description: p.description,
            reason: p.reason,
            updated_at: p.updated_at.0,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct SignIn {
    account: String,
    password: String,
}

/// A new session.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    /// Send it as `Authorization: Bearer …`.
    session: String,
}

/// `POST /api/v1/sessions`: sign in for API use; answers the session to send as a Bearer token.
#[utoipa::path(post, path = "/api/v1/sessions", operation_id = "sign_in", security(()),
    summary = "Sign in; answers {session} to send as a Bearer token",
    request_body = SignIn, responses((status = 200, description = "done", body = SessionView)))]
pub async fn sign_in(
    State(t): State<Tessera>,
    client: ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: SignIn = body::json(&headers, raw)?;
    match t.sign_in(&req.account, &req.password, client.as_str()).await {
        Ok(session) => Ok(Json(SessionView { session: session.expose().to_owned() }).into_response()),
        Err(SignInError::BadCredentials) => {
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", "the account or the password is wrong"))
        }
        Err(e @ SignInError::TooManyAttempts { retry_after }) => {
            Err(ApiError::too_many(retry_after, "too_many_attempts", e.to_string()))
        }
        Err(e @ SignInError::Busy { retry_after }) => Err(ApiError::too_many(retry_after, "busy", e.to_string())),
        Err(SignInError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "signing in failed on our side"))
        }
    }
}

#[utoipa::path(get, path = "/api/v1/apps/{client_id}/permissions", operation_id = "permissions", params(AppPath),
    summary = "The app's permission requests and their status", description = "Who may call it: org-wide developers and org admins of the app's org, operators.",
    responses((status = 200, description = "done", body = Vec<PermissionView>)))]
pub async fn permissions(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
) -> Result<Json<Vec<PermissionView>>, ApiError> {
    let client_id = id(ClientId::parse, client_id)?;
    Ok(Json(t.app_permissions(&actor, &client_id).await?.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = PermissionRequestBody)]
pub struct RequestBody {
    #[schema(schema_with = id_schema)]
    scope: String,
    #[serde(default)]
    #[schema(schema_with = description_schema)]
    description: String,
}

#[utoipa::path(post, path = "/api/v1/apps/{client_id}/permissions", operation_id = "request_permission", params(AppPath),
    summary = "Request (or resubmit) a scope: standard scopes are enabled at once, special and sensitive ones go to review (with a description of 1 to 1000 characters)",
    description = "Who may call it: org-wide developers and org admins of the app's org, operators.", request_body = RequestBody,
    responses((status = 200, description = "done", body = PermissionView)))]
pub async fn request_permission(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<PermissionView>, ApiError> {
    let req: RequestBody = body::json(&headers, raw)?;
    let client_id = id(ClientId::parse, client_id)?;
    let scope = id(ScopeCode::parse, req.scope)?;
    Ok(Json(t.request_permission(&actor, &client_id, &scope, &req.description).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/reviews", operation_id = "review_queue",
    summary = "The review queue: requests pending review", description = "Who may call it: operators.",
    responses((status = 200, description = "done", body = Vec<PermissionView>)))]
pub async fn review_queue(
    State(t): State<Tessera>,
    Caller(actor): Caller,
) -> Result<Json<Vec<PermissionView>>, ApiError> {
    Ok(Json(t.review_queue(&actor).await?.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewBody {
    decision: Decision,
    /// Why it is declined.
    #[schema(schema_with = reason_schema)]
    reason: Option<String>,
}

/// A reviewer's decision.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Decline,
}

#[utoipa::path(post, path = "/api/v1/reviews/{client_id}/{scope}", operation_id = "review", params(AppPath, ScopePath),
    summary = "Approve a pending request, or decline one (or withdraw an approval) with a reason of 1 to 1000 characters",
    description = "Who may call it: operators.", request_body = ReviewBody,
    responses((status = 200, description = "done", body = PermissionView)))]
pub async fn review(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path((client_id, scope)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<PermissionView>, ApiError> {
    let req: ReviewBody = body::json(&headers, raw)?;
    let approve = matches!(req.decision, Decision::Approve);
    let (client_id, scope) = (id(ClientId::parse, client_id)?, id(ScopeCode::parse, scope)?);
    Ok(Json(t.review_permission(&actor, &client_id, &scope, approve, req.reason.as_deref()).await?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct ActivateBody {
    #[schema(schema_with = id_schema)]
    client_id: String,
}

/// An app's installation in an org.
#[derive(Serialize, ToSchema)]
pub struct InstallationView {
    client_id: String,
    corp_id: String,
    /// Unix seconds.
    installed_at: i64,
}

#[utoipa::path(post, path = "/api/v1/orgs/{corp_id}/installations", operation_id = "activate", params(OrgPath),
    summary = "Activate an app in the org (grants its enabled standard scopes there, not sensitive ones)",
    description = "Who may call it: org admins of the org, operators.", request_body = ActivateBody,
    responses((status = 201, description = "done", body = InstallationView)))]
pub async fn activate(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(corp_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: ActivateBody = body::json(&headers, raw)?;
    let (corp_id, client_id) = (id(CorpId::parse, corp_id)?, id(ClientId::parse, req.client_id)?);
    let i = t.activate(&actor, &corp_id, &client_id).await?;
    let body =
        InstallationView { client_id: i.client_id.into(), corp_id: i.corp_id.into(), installed_at: i.installed_at.0 };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(delete, path = "/api/v1/orgs/{corp_id}/installations/{client_id}", operation_id = "uninstall",
    params(OrgPath, AppPath),
    summary = "Uninstall: the installation and every grant the app had in the org go",
    description = "Who may call it: org admins of the org, operators.",
    responses((status = 204, description = "done")))]
pub async fn uninstall(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path((corp_id, client_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (corp_id, client_id) = (id(CorpId::parse, corp_id)?, id(ClientId::parse, client_id)?);
    t.uninstall(&actor, &corp_id, &client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn grant(
    t: Tessera,
    actor: Caller,
    ids: (String, String, String),
    authorize: bool,
) -> Result<StatusCode, ApiError> {
    let (corp_id, client_id, scope) = ids;
    let (corp_id, client_id, scope) =
        (id(CorpId::parse, corp_id)?, id(ClientId::parse, client_id)?, id(ScopeCode::parse, scope)?);
    t.set_grant(&actor.0, &corp_id, &client_id, &scope, authorize).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/orgs/{corp_id}/installations/{client_id}/grants/{scope}", operation_id = "authorize",
    params(OrgPath, AppPath, ScopePath),
    summary = "Authorize a sensitive scope for the app (\"Accept the app's request for permissions\")",
    description = "Who may call it: members holding the scope's eligible role over the whole org.", responses((status = 204, description = "done")))]
pub async fn authorize(
    State(t): State<Tessera>,
    caller: Caller,
    Path(ids): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    grant(t, caller, ids, true).await
}

#[utoipa::path(delete, path = "/api/v1/orgs/{corp_id}/installations/{client_id}/grants/{scope}", operation_id = "recall",
    params(OrgPath, AppPath, ScopePath),
    summary = "Recall it (\"Recall permissions previously granted to the app\")",
    description = "Who may call it: members holding the scope's eligible role over the whole org.", responses((status = 204, description = "done")))]
pub async fn recall(
    State(t): State<Tessera>,
    caller: Caller,
    Path(ids): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    grant(t, caller, ids, false).await
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Events about this app.
    #[param(pattern = "^[!-~]+$", min_length = 1, max_length = 128)]
    client_id: Option<String>,
    /// E.g. member:dingdemo/alice.
    actor: Option<String>,
    /// One kind of event.
    #[param(schema_with = audit_action_schema)]
    action: Option<String>,
    /// Unix seconds, inclusive.
    since: Option<i64>,
    /// Unix seconds, exclusive.
    until: Option<i64>,
    /// Page: events after this seq.
    after: Option<i64>,
    /// 1 to 500, default 100.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// One event of an org's audit log.
#[derive(Serialize, ToSchema)]
#[schema(as = AuditEvent)]
pub struct AuditView {
    seq: i64,
    /// Unix seconds.
    at: i64,
    actor: String,
    #[schema(schema_with = audit_action_schema)]
    action: &'static str,
    target: String,
    detail: String,
    hash: String,
}

impl From<AuditEvent> for AuditView {
    fn from(e: AuditEvent) -> Self {
        AuditView {
            seq: e.seq,
            at: e.at.0,
            actor: e.draft.actor,
            action: e.draft.action.as_str(),
            target: e.draft.target,
            detail: e.draft.detail,
            hash: e.hash.to_hex(),
        }
    }
}

fn query<T: for<'de> Deserialize<'de>>(raw: Option<String>) -> Result<T, ApiError> {
    let raw = raw.unwrap_or_default();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&raw).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if let Some(k) = body::repeated(&pairs) {
        return Err(ApiError::bad_request(format!("the parameter {k} appears more than once")));
    }
    serde_urlencoded::from_str(&raw).map_err(|e| ApiError::bad_request(e.to_string()))
}

#[utoipa::path(get, path = "/api/v1/orgs/{corp_id}/audit", operation_id = "audit", params(OrgPath, AuditQuery),
    summary = "The org's audit log, oldest first, hash-chained",
    description = "Who may call it: org admins of the org, operators.",
    responses((status = 200, description = "done", body = Vec<AuditView>)))]
pub async fn audit(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(corp_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    let q: AuditQuery = query(raw)?;
    let corp_id = id(CorpId::parse, corp_id)?;
    let action = match q.action.as_deref() {
        None => None,
        Some(a) => Some(AuditAction::parse(a).ok_or_else(|| ApiError::bad_request(format!("unknown action {a:?}")))?),
    };
    let filter = AuditFilter {
        corp_id: None,
        action,
        client_id: q.client_id.map(|c| id(ClientId::parse, c)).transpose()?,
        actor: q.actor,
        since: q.since.map(UnixTime),
        until: q.until.map(UnixTime),
        after_seq: q.after.unwrap_or(0),
        limit: q.limit.unwrap_or(100),
        ..AuditFilter::default()
    };
    Ok(Json(t.audit_log(&actor, &corp_id, filter).await?.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    /// The app.
    #[param(pattern = "^[!-~]+$", min_length = 1, max_length = 128)]
    client_id: String,
    /// The org.
    #[param(pattern = "^[!-~]+$", min_length = 1, max_length = 128)]
    corp_id: String,
    /// Optional: the user of a user token.
    #[param(pattern = "^[!-~]+$", min_length = 1, max_length = 128)]
    union_id: Option<String>,
    /// Space-separated scope codes.
    #[param(pattern = "^[!#-\\[\\]-~]+( [!#-\\[\\]-~]+)*$")]
    scope: Option<String>,
    /// Or a route of the Open API, `METHOD /path` (e.g. `PUT /v1.0/contact/users/{userId}`).
    route: Option<String>,
}

/// Allowed, or for each scope what is missing.
#[derive(Serialize, ToSchema)]
pub struct ExplainView {
    allowed: bool,
    /// For each scope: `scope`, `allowed`, the first `missing` step and what to do `next`.
    #[schema(value_type = Vec<Object>)]
    scopes: Vec<ScopeAnswer>,
}

#[utoipa::path(get, path = "/api/v1/explain", operation_id = "explain", params(ExplainQuery),
    summary = "Allowed, or for each scope the first missing step and what to do next",
    description = "Who may call it: members of the org or of the app's org, operators.",
    responses((status = 200, description = "done", body = ExplainView)))]

pub async fn explain(
    State(t): State<Tessera>,
    axum::Extension(gateway): axum::Extension<Gateway>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<ExplainView>, ApiError> {
    let q: ExplainQuery = query(raw)?;
    let scopes: Vec<ScopeCode> = match (&q.scope, &q.route) {
        (Some(s), None) => parse_scope_string(s).map_err(ApiError::from)?,
        (None, Some(r)) => {
            let (method, path) = r.split_once(' ').ok_or_else(|| ApiError::bad_request("route is `METHOD /path`"))?;
            // A route of the gateway's table, by its template or by a path it matches.
            let table = gateway.table();
            let found = table.declared(method, path).or_else(|| {
                http::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).ok().and_then(|m| table.find(&m, path))
            });
            let route =
                found.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no route {r}")))?;
            route.scopes.clone()
        }
        _ => return Err(ApiError::bad_request("give either scope or route")),
    };
    let union_id = q.union_id.map(|u| id(UnionId::parse, u)).transpose()?;
    let (client_id, corp_id) = (id(ClientId::parse, q.client_id)?, id(CorpId::parse, q.corp_id)?);
    let answers = t.explain(&actor, &client_id, &corp_id, union_id.as_ref(), &scopes).await?;
    Ok(Json(ExplainView { allowed: answers.iter().all(|a| a.allowed), scopes: answers }))
}

#[derive(Deserialize, ToSchema)]
pub struct TicketCallback {
    /// Where tickets are pushed; `null` stops pushing.
    #[schema(schema_with = callback_url_schema, required = true)]
    url: Option<String>,
    /// `dingtalk` (the default), `feishu` or `feishu_encrypted`.
    event: Option<EventView>,
}

/// The shape of a ticket push.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum EventView {
    #[serde(rename = "dingtalk")]
    DingTalk,
    Feishu,
    FeishuEncrypted,
}

impl From<EventView> for TicketEvent {
    fn from(e: EventView) -> Self {
        match e {
            EventView::DingTalk => TicketEvent::DingTalk,
            EventView::Feishu => TicketEvent::Feishu,
            EventView::FeishuEncrypted => TicketEvent::FeishuEncrypted,
        }
    }
}

impl From<TicketEvent> for EventView {
    fn from(e: TicketEvent) -> Self {
        match e {
            TicketEvent::DingTalk => EventView::DingTalk,
            TicketEvent::Feishu => EventView::Feishu,
            TicketEvent::FeishuEncrypted => EventView::FeishuEncrypted,
        }
    }
}

/// Where a suite's tickets are pushed, and the keys of the pushes.
#[derive(Serialize, ToSchema)]
pub struct TicketCallbackView {
    client_id: String,
    #[schema(required = true)]
    url: Option<String>,
    event: EventView,
    /// The key that signs each DingTalk-shaped delivery: `X-Tessera-Signature` is
    /// base64(HMAC-SHA256(signing_key, X-Tessera-Timestamp + "\n" + body)).
    signing_key: String,
    /// A Feishu store app's verification token (the `token` of its events).
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_token: Option<String>,
    /// A Feishu store app's encrypt key, when its events are encrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    encrypt_key: Option<String>,
}

/// `PUT /api/v1/apps/{client_id}/ticket-callback`: where the suite's tickets are pushed and in
/// which shape (`{"url": null}` stops pushing; the suite then polls
/// `POST /v1.0/oauth2/suiteTicket`).
#[utoipa::path(put, path = "/api/v1/apps/{client_id}/ticket-callback", operation_id = "set_ticket_callback", params(AppPath),
    summary = "Register (or with null remove) the URL a suite's tickets are pushed to and their shape (DingTalk's suite_ticket, or a Feishu store app's app_ticket event, plain or encrypted); answers the key that signs deliveries and a Feishu store app's verification token and encrypt key",
    description = "Who may call it: org-wide developers and org admins of the app's org, operators.",
    request_body = TicketCallback, responses((status = 200, description = "done", body = TicketCallbackView)))]
pub async fn set_ticket_callback(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<TicketCallbackView>, ApiError> {
    let client_id = id(ClientId::parse, client_id)?;
    let req: TicketCallback = body::json(&headers, raw)?;
    let event = req.event.map_or(TicketEvent::DingTalk, TicketEvent::from);
    let keys = t.set_ticket_callback(&actor, &client_id, req.url.clone(), event).await?;
    let reveal = |s: Option<tessera_core::secret::Secret>| s.map(|s| s.expose().to_owned());
    Ok(Json(TicketCallbackView {
        client_id: client_id.into(),
        url: req.url,
        event: event.into(),
        signing_key: keys.signing_key.expose().to_owned(),
        verification_token: reveal(keys.verification_token),
        encrypt_key: reveal(keys.encrypt_key),
    }))
}
