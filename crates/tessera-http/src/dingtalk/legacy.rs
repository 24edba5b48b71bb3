//! The legacy `oapi` token calls, always HTTP 200 with `errcode`/`errmsg`:
//! `GET /gettoken?appkey=&appsecret=`, `POST /service/get_suite_token` and
//! `POST /service/get_corp_token?accessKey=&timestamp=&suiteTicket=&signature=` (the
//! signature is base64(HMAC-SHA256(suiteSecret, timestamp + "\n" + suiteTicket))).

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use bytes::Bytes;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use tessera_core::secret::Secret;
use tessera_service::token_request::AppTokens;
use tessera_service::{ClientProof, IssuedToken, Tessera};

use super::error::{LegacyFailure, TokenOperation, legacy_grant_error};
use crate::app_token::{app_token, suite_token};
use crate::body;

#[derive(Deserialize)]
pub struct GetTokenQuery {
    appkey: Option<String>,
    appsecret: Option<String>,
}

#[derive(Serialize)]
pub struct LegacyResponse {
    errcode: i64,
    errmsg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suite_access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<i64>,
}

fn fail(errcode: i64, errmsg: impl Into<String>) -> Json<LegacyResponse> {
    Json(LegacyResponse {
        errcode,
        errmsg: errmsg.into(),
        access_token: None,
        suite_access_token: None,
        expires_in: None,
    })
}

pub async fn gettoken(
    State(tessera): State<Tessera>,
    query: Result<Query<GetTokenQuery>, axum::extract::rejection::QueryRejection>,
) -> Json<LegacyResponse> {
    let Ok(Query(q)) = query else {
        return fail(40035, "缺少参数 corpid or appkey (invalid query)");
    };
    let (Some(key), Some(secret)) = (q.appkey, q.appsecret) else {
        return fail(40035, "缺少参数 corpid or appkey (missing parameter appkey or appsecret)");
    };
    match app_token(&tessera, key, secret, None, AppTokens::InternalOnly).await {
        Ok(t) => issued(t, false),
        Err(e) => failed(legacy_grant_error(e, TokenOperation::GetToken)),
    }
}

fn failed(f: LegacyFailure) -> Json<LegacyResponse> {
    fail(f.errcode, f.errmsg)
}

fn issued(t: IssuedToken, suite: bool) -> Json<LegacyResponse> {
    let token = Some(t.token.expose().to_owned());
    Json(LegacyResponse {
        errcode: 0,
        errmsg: "ok".into(),
        access_token: if suite { None } else { token.clone() },
        suite_access_token: if suite { token } else { None },
        expires_in: Some(t.expires_in),
    })
}

#[derive(Deserialize)]
pub struct SuiteTokenBody {
    suite_key: Option<String>,
    suite_secret: Option<String>,
    suite_ticket: Option<String>,
}

pub async fn get_suite_token(
    State(tessera): State<Tessera>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Json<LegacyResponse> {
    let Ok(b) = body::json::<SuiteTokenBody>(&headers, raw) else {
        return fail(40035, "缺少参数 (the body must be a JSON object with suite_key, suite_secret, suite_ticket)");
    };
    let (Some(key), Some(secret), Some(ticket)) = (b.suite_key, b.suite_secret, b.suite_ticket) else {
        return fail(40035, "缺少参数 suite_key, suite_secret or suite_ticket (missing parameter)");
    };
    let suite = ClientProof::SuiteTicket { client_id: key, secret: Secret::new(secret), ticket };
    match suite_token(&tessera, suite, None).await {
        Ok(t) => issued(t, true),
        Err(e) => failed(legacy_grant_error(e, TokenOperation::Suite)),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorpTokenQuery {
    access_key: Option<String>,
    timestamp: Option<String>,
    suite_ticket: Option<String>,
    signature: Option<String>,
}

#[derive(Deserialize)]
pub struct CorpTokenBody {
    auth_corpid: Option<String>,
}

pub async fn get_corp_token(
    State(tessera): State<Tessera>,
    query: Result<Query<CorpTokenQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Json<LegacyResponse> {
    let Ok(Query(q)) = query else {
        return fail(40035, "缺少参数 (the query could not be read)");
    };
    let (Some(key), Some(timestamp), Some(ticket), Some(signature)) =
        (q.access_key, q.timestamp, q.suite_ticket, q.signature)
    else {
        return fail(40035, "缺少参数 accessKey, timestamp, suiteTicket or signature (missing parameter)");
    };
    let Ok(CorpTokenBody { auth_corpid: Some(corp) }) = body::json::<CorpTokenBody>(&headers, raw) else {
        return fail(40035, "缺少参数 auth_corpid (missing parameter)");
    };
    let suite = ClientProof::SuiteSignature { client_id: key, timestamp, ticket, signature };
    match suite_token(&tessera, suite, Some(corp)).await {
        Ok(t) => issued(t, false),
        Err(e) => failed(legacy_grant_error(e, TokenOperation::Suite)),
    }
}
