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
use tessera_core::permission::PermissionRequest;
use tessera_core::suite::TicketEvent;
use tessera_core::time::UnixTime;
use tessera_service::Tessera;
use tessera_service::signin::SignInError;
use tessera_store::AuditFilter;

use super::auth::Caller;
use super::error::ApiError;
use crate::body;
use crate::client_addr::ClientAddr;
use crate::gateway::Gateway;

fn id<T>(parse: impl FnOnce(String) -> Result<T, tessera_core::DomainError>, s: String) -> Result<T, ApiError> {
    parse(s).map_err(ApiError::from)
}

#[derive(Serialize)]
pub struct PermissionView {
    client_id: String,
    scope: String,
    status: &'static str,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    updated_at: i64,
}

impl From<PermissionRequest> for PermissionView {
    fn from(p: PermissionRequest) -> Self {
        PermissionView {
            client_id: p.client_id.into(),
            scope: p.scope.into(),
            status: p.status.as_str(),
            description: p.description,
            reason: p.reason,
            updated_at: p.updated_at.0,
        }
    }
}

#[derive(Deserialize)]
pub struct SignIn {
    account: String,
    password: String,
}

/// `POST /api/v1/sessions`: sign in for API use; answers the session to send as a Bearer token.
pub async fn sign_in(
    State(t): State<Tessera>,
    client: ClientAddr,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: SignIn = body::json(&headers, raw)?;
    match t.sign_in(&req.account, &req.password, client.as_str()).await {
        Ok(session) => Ok(Json(serde_json::json!({"session": session.expose()})).into_response()),
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

pub async fn permissions(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
) -> Result<Json<Vec<PermissionView>>, ApiError> {
    let client_id = id(ClientId::parse, client_id)?;
    Ok(Json(t.app_permissions(&actor, &client_id).await?.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize)]
pub struct RequestBody {
    scope: String,
    #[serde(default)]
    description: String,
}

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

pub async fn review_queue(
    State(t): State<Tessera>,
    Caller(actor): Caller,
) -> Result<Json<Vec<PermissionView>>, ApiError> {
    Ok(Json(t.review_queue(&actor).await?.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize)]
pub struct ReviewBody {
    decision: String,
    reason: Option<String>,
}

pub async fn review(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path((client_id, scope)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<PermissionView>, ApiError> {
    let req: ReviewBody = body::json(&headers, raw)?;
    let approve = match req.decision.as_str() {
        "approve" => true,
        "decline" => false,
        _ => return Err(ApiError::bad_request("decision must be approve or decline")),
    };
    let (client_id, scope) = (id(ClientId::parse, client_id)?, id(ScopeCode::parse, scope)?);
    Ok(Json(t.review_permission(&actor, &client_id, &scope, approve, req.reason.as_deref()).await?.into()))
}

#[derive(Deserialize)]
pub struct ActivateBody {
    client_id: String,
}

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
    let body = serde_json::json!({"client_id": i.client_id, "corp_id": i.corp_id, "installed_at": i.installed_at.0});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

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

pub async fn authorize(
    State(t): State<Tessera>,
    caller: Caller,
    Path(ids): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    grant(t, caller, ids, true).await
}

pub async fn recall(
    State(t): State<Tessera>,
    caller: Caller,
    Path(ids): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    grant(t, caller, ids, false).await
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    client_id: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(Serialize)]
pub struct AuditView {
    seq: i64,
    at: i64,
    actor: String,
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

#[derive(Deserialize)]
pub struct ExplainQuery {
    client_id: String,
    corp_id: String,
    union_id: Option<String>,
    /// Space-separated scope codes.
    scope: Option<String>,
    /// A route of the Open API, `METHOD /path` (e.g. `PUT /v1.0/contact/users/{userId}`).
    route: Option<String>,
}

#[derive(Serialize)]
pub struct ExplainView {
    allowed: bool,
    scopes: Vec<ScopeAnswer>,
}

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

#[derive(Deserialize)]
pub struct TicketCallback {
    url: Option<String>,
    /// `dingtalk` (the default), `feishu` or `feishu_encrypted`.
    event: Option<String>,
}

#[derive(Serialize)]
pub struct TicketCallbackView {
    client_id: String,
    url: Option<String>,
    event: &'static str,
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
pub async fn set_ticket_callback(
    State(t): State<Tessera>,
    Caller(actor): Caller,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<TicketCallbackView>, ApiError> {
    let client_id = id(ClientId::parse, client_id)?;
    let req: TicketCallback = body::json(&headers, raw)?;
    let event = match req.event.as_deref() {
        None => TicketEvent::DingTalk,
        Some(e) => TicketEvent::parse(e)
            .ok_or_else(|| ApiError::bad_request("event is one of dingtalk, feishu, feishu_encrypted"))?,
    };
    let keys = t.set_ticket_callback(&actor, &client_id, req.url.clone(), event).await?;
    let reveal = |s: Option<tessera_core::secret::Secret>| s.map(|s| s.expose().to_owned());
    Ok(Json(TicketCallbackView {
        client_id: client_id.into(),
        url: req.url,
        event: event.as_str(),
        signing_key: keys.signing_key.expose().to_owned(),
        verification_token: reveal(keys.verification_token),
        encrypt_key: reveal(keys.encrypt_key),
    }))
}
