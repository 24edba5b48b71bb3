//! `GET /healthz` (the process is up) and `GET /readyz` (the store answers; on PostgreSQL the
//! grant-change `LISTEN` is established) for load balancers and orchestrators: no
//! authentication, tiny JSON bodies, never cached.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;
use tessera_service::Tessera;

pub fn routes() -> Router<Tessera> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

async fn healthz() -> Response {
    no_store(StatusCode::OK, "ok")
}

async fn readyz(State(tessera): State<Tessera>) -> Response {
    match tessera.ready().await {
        Ok(()) => no_store(StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            no_store(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

fn no_store(status: StatusCode, word: &'static str) -> Response {
    let mut res = (status, Json(json!({ "status": word }))).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
