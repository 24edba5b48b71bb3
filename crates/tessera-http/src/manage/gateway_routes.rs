//! The gateway's route table through the management API (operators only):
//! `GET /api/v1/routes` lists it, `POST /api/v1/routes/reload` reads the route file again
//! (what SIGHUP and `tessera routes reload` do).

use axum::Extension;
use axum::Json;
use axum::extract::State;
use http::StatusCode;
use serde_json::{Value, json};
use tessera_service::Tessera;
use tessera_service::management::Actor;

use super::auth::Caller;
use super::error::ApiError;
use crate::gateway::Gateway;
use crate::gateway::table::Target;

fn operator_only(actor: &Actor) -> Result<(), ApiError> {
    match actor {
        Actor::Operator => Ok(()),
        _ => Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "only platform operators manage the route table")),
    }
}

/// `GET /api/v1/routes`.
pub async fn list(Extension(gateway): Extension<Gateway>, Caller(actor): Caller) -> Result<Json<Value>, ApiError> {
    operator_only(&actor)?;
    let table = gateway.table();
    let routes: Vec<Value> = table
        .routes
        .iter()
        .map(|r| {
            json!({
                "methods": r.methods.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
                "path": r.template.text(),
                "dialect": r.dialect.as_str(),
                "scopes": r.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                "token_kinds": r.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                "upstream": r.upstream.name,
                "builtin": r.upstream.target == Target::Builtin,
                "qps": r.rate_limit.map(|q| q.per_second),
            })
        })
        .collect();
    Ok(Json(json!({"file": table.file, "routes": routes})))
}

/// `POST /api/v1/routes/reload`: 200 with the number of routes, or 422 naming the file, line
/// and reason (the previous table stays in force).
pub async fn reload(
    State(t): State<Tessera>,
    Extension(gateway): Extension<Gateway>,
    Caller(actor): Caller,
) -> Result<Json<Value>, ApiError> {
    operator_only(&actor)?;
    match gateway.reload(&t).await {
        Ok(count) => Ok(Json(json!({"reloaded": true, "routes": count}))),
        Err(e) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_route_file", e.to_string())),
    }
}
