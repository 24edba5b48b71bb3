//! The Feishu-flavoured sample Open API behind the gateway: `GET /open-apis/contact/v3/users/{user_id}`,
//! `POST /open-apis/im/v1/messages` and `GET /open-apis/authen/v1/user_info`, answering in
//! Feishu's `{code, msg, data}` envelope. A user's `open_id` here is their union id.

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tessera_core::ids::{CorpId, UnionId, UserId};
use tessera_core::member::Member;
use tessera_service::{Principal, Tessera};
use tessera_store::StoreError;

use crate::body;
use crate::feishu::error::{FeishuCode, FeishuError, ok};

/// The handlers of the Feishu sample routes, behind the gateway's route table.
pub fn routes() -> Router<Tessera> {
    Router::new()
        .route("/open-apis/contact/v3/users/{user_id}", get(get_user))
        .route("/open-apis/im/v1/messages", post(send_message))
        .route("/open-apis/authen/v1/user_info", get(user_info))
}

fn store_error(e: StoreError) -> FeishuError {
    FeishuError::store_failed(crate::feishu::error::Shape::Envelope, &e)
}

fn invalid(msg: impl Into<String>) -> FeishuError {
    FeishuError::api(FeishuCode::InvalidParam, msg)
}

fn org_of(p: &Principal) -> Result<&CorpId, FeishuError> {
    p.corp_id.as_ref().ok_or_else(|| invalid("the token acts in no tenant"))
}

fn query_param(query: &Option<String>, name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref()?).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The member named by `id` of `id_type` (`open_id` and `union_id`: the union id; `user_id`).
async fn find_member(tessera: &Tessera, corp: &CorpId, id: &str, id_type: &str) -> Result<Member, FeishuError> {
    let store = &tessera;
    let found = match id_type {
        "open_id" | "union_id" => match UnionId::parse(id) {
            Ok(u) => store.member_by_union(corp, &u).await.map_err(store_error)?,
            Err(_) => None,
        },
        "user_id" => match UserId::parse(id) {
            Ok(u) => store.member(corp, &u).await.map_err(store_error)?,
            Err(_) => None,
        },
        other => {
            return Err(invalid(format!("invalid param: user_id_type {other:?} is not open_id, union_id or user_id")));
        }
    };
    found.ok_or_else(|| FeishuError::api(FeishuCode::InvalidParam, "invalid param: no such user in this tenant"))
}

fn user_view(m: &Member) -> serde_json::Value {
    json!({
        "union_id": m.union_id.as_str(),
        "open_id": m.union_id.as_str(),
        "user_id": m.user_id.as_str(),
        "name": m.name,
        "en_name": m.name,
        "job_title": m.title,
        "tenant_key": m.corp_id.as_str(),
    })
}

async fn get_user(
    State(tessera): State<Tessera>,
    Extension(p): Extension<Principal>,
    Path(user_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, FeishuError> {
    let corp = org_of(&p)?;
    let id_type = query_param(&query, "user_id_type").unwrap_or_else(|| "open_id".into());
    let m = find_member(&tessera, corp, &user_id, &id_type).await?;
    Ok(ok(json!({"code": 0, "msg": "success", "data": {"user": user_view(&m)}})))
}

#[derive(Deserialize)]
struct NewMessage {
    receive_id: Option<String>,
    msg_type: Option<String>,
    content: Option<String>,
}

#[derive(Serialize)]
struct Sender {
    id: String,
    id_type: &'static str,
    sender_type: &'static str,
}

/// Checks and answers like Feishu's message API; the sample keeps no messages.
async fn send_message(
    State(tessera): State<Tessera>,
    Extension(p): Extension<Principal>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, FeishuError> {
    let corp = org_of(&p)?;
    let id_type = query_param(&query, "receive_id_type").unwrap_or_else(|| "open_id".into());
    let req: NewMessage = body::json(&headers, raw).map_err(|e| invalid(format!("invalid param: {e}")))?;
    let (Some(receive_id), Some(msg_type), Some(content)) = (req.receive_id, req.msg_type, req.content) else {
        return Err(invalid("invalid param: receive_id, msg_type and content are required"));
    };
    if serde_json::from_str::<serde_json::Value>(&content).map(|v| !v.is_object()).unwrap_or(true) {
        return Err(invalid("invalid param: content must be a JSON object in a string"));
    }
    let receiver = find_member(&tessera, corp, &receive_id, &id_type).await?;
    let sender = match &p.union_id {
        Some(u) => Sender { id: u.to_string(), id_type: "open_id", sender_type: "user" },
        None => Sender { id: p.client_id.to_string(), id_type: "app_id", sender_type: "app" },
    };
    let message_id = format!("om_{}", uuid::Uuid::new_v4().simple());
    Ok(ok(json!({"code": 0, "msg": "success", "data": {
        "message_id": message_id,
        "msg_type": msg_type,
        "create_time": (tessera.now().0 * 1000).to_string(),
        "receive_id": receiver.union_id.as_str(),
        "sender": sender,
        "body": {"content": content},
    }})))
}

async fn user_info(
    State(tessera): State<Tessera>,
    Extension(p): Extension<Principal>,
) -> Result<Response, FeishuError> {
    let gone = || FeishuError::api(FeishuCode::InvalidUserToken, "the token's user no longer exists");
    let union = p.union_id.clone().ok_or_else(gone)?;
    let user = tessera.user(&union).await.map_err(store_error)?.ok_or_else(gone)?;
    let member = match &p.corp_id {
        Some(corp) => tessera.member_by_union(corp, &union).await.map_err(store_error)?,
        None => None,
    };
    Ok(ok(json!({"code": 0, "msg": "success", "data": {
        "name": member.as_ref().map(|m| m.name.clone()).unwrap_or(user.user.name.clone()),
        "en_name": user.user.name,
        "avatar_url": "", "avatar_thumb": "", "avatar_middle": "", "avatar_big": "",
        "open_id": union.as_str(),
        "union_id": union.as_str(),
        "user_id": member.as_ref().map(|m| m.user_id.to_string()),
        "tenant_key": p.corp_id.as_ref().map(|c| c.to_string()),
        "email": "", "enterprise_email": "", "mobile": "", "employee_no": "",
    }})))
}
