//! The legacy `GET /gettoken?appkey=&appsecret=`: always HTTP 200 with `errcode`/`errmsg`.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use tessera_core::secret::Secret;
use tessera_service::{IssueError, Tessera};

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
    expires_in: Option<i64>,
}

fn fail(errcode: i64, errmsg: impl Into<String>) -> Json<LegacyResponse> {
    Json(LegacyResponse { errcode, errmsg: errmsg.into(), access_token: None, expires_in: None })
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
    match tessera.issue_internal_token(&key, &Secret::new(secret)).await {
        Ok(t) => Json(LegacyResponse {
            errcode: 0,
            errmsg: "ok".into(),
            access_token: Some(t.token.expose().to_owned()),
            expires_in: Some(t.expires_in),
        }),
        Err(IssueError::InvalidClient) => fail(40096, "不合法的appKey或appSecret (invalid appkey or appsecret)"),
        Err(IssueError::UnauthorizedClient { reason, .. } | IssueError::OrgRequired { kind: reason }) => {
            fail(60011, format!("没有调用该接口的权限 (not authorized: {reason})"))
        }
        Err(IssueError::Store(e)) => {
            tracing::error!(error = %e, "gettoken failed");
            fail(-1, "系统繁忙 (server error)")
        }
    }
}
