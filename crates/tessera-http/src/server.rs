//! The router of `tessera serve`, request logging that never prints query strings, headers
//! or bodies (they carry secrets), and serving with graceful shutdown.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use hyper_util::rt::TokioIo;
use tessera_service::Tessera;
use tokio::net::TcpListener;
use tower::Service;

use crate::body::MAX_BODY;
use crate::{dingtalk, feishu, gateway, manage, oauth2, request_text, web};

/// Every route of the server.
pub fn router(tessera: Tessera) -> Router {
    Router::new()
        .merge(oauth2::routes())
        .merge(dingtalk::routes())
        .merge(feishu::routes())
        .merge(web::routes())
        .merge(manage::routes())
        .merge(gateway::sample_api::routes(tessera.clone()))
        .merge(gateway::feishu_api::routes(tessera.clone()))
        .fallback(dingtalk::error::not_found)
        .method_not_allowed_fallback(dingtalk::error::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(request_text::guard))
        .layer(middleware::from_fn(log_request))
        .with_state(tessera)
}

/// Logs method, path (never the query), status and duration at debug level.
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    tracing::debug!(%method, path, status = response.status().as_u16(), "request");
    response
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish for up to 10 seconds.
///
/// Connections are served by hyper directly (not `axum::serve`) to write header names in
/// title case (`X-Tt-Logid`): the Feishu Python SDK's `get_log_id()` looks the header up
/// with exactly that casing. Header names are case-insensitive for every other client.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let router = router.clone();
        let mut stop = stop_rx.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let mut router = router.clone();
                async move { router.call(req.map(axum::body::Body::new)).await }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.title_case_headers(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                res = conn.as_mut() => {
                    if let Err(e) = res {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                _ = async { let _ = stop.wait_for(|stopped| *stopped).await; } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
        // Reap finished connections so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(10), drained).await.is_err() {
        tracing::warn!("in-flight requests did not finish within 10 s; stopping anyway");
    }
    Ok(())
}
