//! The sample Open API: a small contacts resource server on the store's data, behind the
//! gateway layer. Every handler acts in the org of the caller's token only.

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tessera_core::fixture::MAX_TEXT_LEN;
use tessera_core::ids::{CorpId, ScopeCode, UnionId, UserId};
use tessera_core::token::TokenKind;
use tessera_service::{Principal, Tessera};
use tessera_store::{ROOT_DEPARTMENT, StoreError};

use super::RequireScopesLayer;
use crate::body;
use crate::dingtalk::error::DingTalkError;

/// One sample route: method, path and the scopes it requires.
pub struct SampleRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub scopes: &'static [&'static str],
}

/// The sample routes and their required scopes.
pub const ROUTES: &[SampleRoute] = &[
    SampleRoute { method: "GET", path: "/v1.0/contact/users/{userId}", scopes: &["qyapi_get_member"] },
    SampleRoute { method: "PUT", path: "/v1.0/contact/users/{userId}", scopes: &["qyapi_manage_addresslist"] },
    SampleRoute { method: "POST", path: "/v1.0/contact/departments", scopes: &["qyapi_manage_addresslist"] },
];

/// Org APIs take app and corp tokens (user tokens join when consent exists).
const ORG_TOKENS: &[TokenKind] = &[TokenKind::App, TokenKind::Corp];

fn guard(tessera: &Tessera, scopes: &[&str]) -> RequireScopesLayer<Tessera> {
    let scopes = scopes.iter().filter_map(|s| ScopeCode::parse(*s).ok()).collect();
    RequireScopesLayer::new(tessera.clone(), scopes, ORG_TOKENS.to_vec())
}

pub fn routes(tessera: Tessera) -> Router<Tessera> {
    let read = guard(&tessera, ROUTES[0].scopes);
    let update = guard(&tessera, ROUTES[1].scopes);
    let create = guard(&tessera, ROUTES[2].scopes);
    Router::new()
        .route("/v1.0/contact/users/{user_id}", get(get_user).route_layer(read))
        .route("/v1.0/contact/users/{user_id}", axum::routing::put(update_user).route_layer(update))
        .route("/v1.0/contact/departments", post(create_department).route_layer(create))
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
        other => {
            tracing::error!(error = %other, "sample API failed");
            DingTalkError::new(StatusCode::INTERNAL_SERVER_ERROR, "server.error", "服务器错误 (server error)")
        }
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
    let store = tessera.store();
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
        .store()
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
    let dept_id = tessera.store().create_department(corp, &name, parent).await.map_err(store_error)?;
    Ok(Json(Created { dept_id }))
}
