//! The router of `tessera serve`, request logging that never prints query strings, headers
//! or bodies (they carry secrets), and serving with graceful shutdown.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use tessera_service::Tessera;
use tokio::net::TcpListener;

use crate::body::MAX_BODY;
use crate::{dingtalk, gateway, manage, oauth2, web};

/// Every route of the server.
pub fn router(tessera: Tessera) -> Router {
    Router::new()
        .merge(oauth2::routes())
        .merge(dingtalk::routes())
        .merge(web::routes())
        .merge(manage::routes())
        .merge(gateway::sample_api::routes(tessera.clone()))
        .fallback(dingtalk::error::not_found)
        .method_not_allowed_fallback(dingtalk::error::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
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
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    let mut rx = rx;
    tokio::select! {
        res = server => res,
        _ = async {
            let _ = rx.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        } => {
            tracing::warn!("in-flight requests did not finish within 10 s; stopping anyway");
            Ok(())
        }
    }
}
