//! The sample Open API: a small contacts resource server on the store's data, behind the
//! gateway. Every handler acts in the org of the caller's token only.

use std::sync::Arc;

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tessera_core::fixture::MAX_TEXT_LEN;
use tessera_core::ids::{CorpId, UnionId, UserId};
use tessera_core::member::Member;
use tessera_service::{AccessError, Principal, Tessera};
use tessera_store::{ROOT_DEPARTMENT, StoreError};

use crate::body;
use crate::dingtalk::error::DingTalkError;

/// The handlers of the sample routes. The gateway checks every request against the route
/// table (`demo/routes.toml` declares these routes with `builtin = true`) before one runs.
pub fn routes() -> Router<Tessera> {
    Router::new()
        .route("/v1.0/contact/users/me", get(me_handler))
        .route("/v1.0/doc/documents", get(list_documents))
        .route("/v1.0/doc/documents/{id}", get(get_document))
        .route("/v1.0/contact/users/{user_id}", get(get_user).put(update_user))
        .route("/v1.0/contact/departments", post(create_department))
}

fn org_of(p: &Principal) -> Result<&CorpId, DingTalkError> {
    p.corp_id
        .as_ref()
        .ok_or_else(|| DingTalkError::new(StatusCode::FORBIDDEN, "Forbidden.AccessDenied", "the token acts in no org"))
}

fn store_error(e: StoreError) -> DingTalkError {
    match e {
        StoreError::NotFound(what) => {
            DingTalkError::new(StatusCode::BAD_REQUEST, "InvalidParameter", format!("{what} does not exist"))
        }
        other => DingTalkError::store_failed(&other),
    }
}

fn user_not_found() -> DingTalkError {
    DingTalkError::new(StatusCode::NOT_FOUND, "NotFound.User", "no such user in this org")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    user_id: String,
    union_id: String,
    /// The official SDK's GetUser reads `nick`.
    nick: String,
    name: String,
    title: String,
}

async fn get_user(
    State(tessera): State<Tessera>,
    Extension(p): Extension<Principal>,
    Path(user_id): Path<String>,
) -> Result<Json<UserView>, DingTalkError> {
    let corp = org_of(&p)?;
    // The path names a member by user id or, as the official SDK's GetUser does, by union id.
    let store = &tessera;
    let mut found = match UserId::parse(user_id.clone()) {
        Ok(id) => store.member(corp, &id).await.map_err(store_error)?,
        Err(_) => None,
    };
    if found.is_none()
        && let Ok(union) = UnionId::parse(user_id)
    {
        found = store.member_by_union(corp, &union).await.map_err(store_error)?;
    }
    let m = found.ok_or_else(user_not_found)?;
    Ok(Json(UserView {
        user_id: m.user_id.into(),
        union_id: m.union_id.into(),
        nick: m.name.clone(),
        name: m.name,
        title: m.title,
    }))
}

#[derive(Deserialize)]
pub struct UpdateUser {
    name: Option<String>,
    title: Option<String>,
}

#[derive(Serialize)]
pub struct Success {
    success: bool,
}

fn check_text(field: &str, v: &Option<String>) -> Result<(), DingTalkError> {
    match v {
        Some(s) if s.trim().is_empty() || s.len() > MAX_TEXT_LEN => Err(DingTalkError::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            format!("{field} must be 1 to {MAX_TEXT_LEN} characters"),
        )),
        _ => Ok(()),
    }
}

async fn update_user(
    State(tessera): State<Tessera>,
    Extension(p): Extension<Principal>,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Success>, DingTalkError> {
    let corp = org_of(&p)?;
    let req: UpdateUser = body::json(&headers, raw)?;
    check_text("name", &req.name)?;
    check_text("title", &req.title)?;
    let user_id = UserId::parse(user_id).map_err(|_| user_not_found())?;
    let updated = tessera
        .sample_data()
        .update_member_profile(corp, &user_id, req.name.as_deref(), req.title.as_deref())
        .await
        .map_err(store_error)?;
    if updated { Ok(Json(Success { success: true })) } else { Err(user_not_found()) }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDepartment {
    name: Option<String>,
    parent_id: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    dept_id: i64,
}

async fn create_department(
    State(tessera): State<Tessera>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Created>, DingTalkError> {
    let corp = org_of(&p)?;
    let req: CreateDepartment = body::json(&headers, raw)?;
    let name =
        req.name.ok_or_else(|| DingTalkError::new(StatusCode::BAD_REQUEST, "MissingParameter", "name is required"))?;
    check_text("name", &Some(name.clone()))?;
    let parent = req.parent_id.unwrap_or(ROOT_DEPARTMENT);
    let dept_id = tessera.sample_data().create_department(corp, &name, parent).await.map_err(store_error)?;
    Ok(Json(Created { dept_id }))
}

/// The user behind a user token, as a member of the token's org (if any).
async fn me_member(tessera: &Tessera, p: &Principal) -> Result<Option<Arc<Member>>, DingTalkError> {
    let (Some(corp), Some(union)) = (&p.corp_id, &p.union_id) else {
        return Ok(None);
    };
    tessera.sample_member(corp, union).await.map_err(store_error)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeView {
    union_id: String,
    nick: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    corp_id: Option<String>,
}

async fn me_handler(
    State(tessera): State<Tessera>,
    Extension(p): Extension<Principal>,
) -> Result<Json<MeView>, DingTalkError> {
    let union = p.union_id.clone().ok_or_else(user_not_found)?;
    let user = tessera.user(&union).await.map_err(store_error)?.ok_or_else(user_not_found)?;
    let member = me_member(&tessera, &p).await?;
    Ok(Json(MeView {
        union_id: union.into(),
        nick: member.as_ref().map(|m| m.name.clone()).unwrap_or(user.user.name),
        user_id: member.as_ref().map(|m| m.user_id.to_string()),
        corp_id: member.map(|m| m.corp_id.to_string()),
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSummary {
    doc_id: i64,
    title: String,
}

#[derive(Serialize)]
pub struct DocumentList {
    documents: Vec<DocumentSummary>,
}

/// Documents live in an org: the user must be a member of the token's org.
async fn reader(tessera: &Tessera, p: &Principal) -> Result<(CorpId, UserId), DingTalkError> {
    let member = me_member(tessera, p).await?.ok_or_else(|| {
        DingTalkError::new(
            StatusCode::FORBIDDEN,
            "Forbidden.AccessDenied",
            "the token's user is not a member of an org",
        )
    })?;
    Ok((member.corp_id.clone(), member.user_id.clone()))
}

async fn list_documents(
    State(tessera): State<Tessera>,
    Extension(p): Extension<Principal>,
) -> Result<Json<DocumentList>, DingTalkError> {
    let (corp, user) = reader(&tessera, &p).await?;
    let docs = tessera.sample_data().documents(&corp).await.map_err(store_error)?;
    Ok(Json(DocumentList {
        documents: docs
            .into_iter()
            .filter(|d| d.readers.contains(&user))
            .map(|d| DocumentSummary { doc_id: d.doc_id, title: d.title })
            .collect(),
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    doc_id: i64,
    title: String,
    body: String,
}

async fn get_document(
    State(tessera): State<Tessera>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>, DingTalkError> {
    let not_found = || DingTalkError::new(StatusCode::NOT_FOUND, "NotFound.Document", "no such document");
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let (corp, user) = reader(&tessera, &p).await?;
    let doc = tessera
        .sample_data()
        .documents(&corp)
        .await
        .map_err(store_error)?
        .into_iter()
        .find(|d| d.doc_id == id)
        .ok_or_else(not_found)?;
    // The app may read documents (doc:readonly), but through a user token never more than
    // the user themself: the decision's resource_forbidden.
    if !doc.readers.contains(&user) {
        return Err(AccessError::Denied { missing: Vec::new(), resource_forbidden: true }.into());
    }
    Ok(Json(DocumentView { doc_id: doc.doc_id, title: doc.title, body: doc.body }))
}
