//! The router of `tessera serve`, request logging that never prints query strings, headers
//! or bodies (they carry secrets), and serving with graceful shutdown and limits against
//! slow or greedy clients (header-read and keep-alive timeouts, header size, open connections).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use http::Method;
use hyper_util::rt::{TokioIo, TokioTimer};
use tessera_service::Tessera;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

use crate::body::MAX_BODY;
use crate::shortcut::Shortcut;
use crate::{dingtalk, feishu, framing, gateway, health, manage, oauth2, oidc, request_text, security_headers, web};

/// Every route of the server, with a gateway without routes.
pub fn router(tessera: Tessera) -> Router {
    let gateway = gateway::Gateway::empty(&tessera);
    router_with(tessera, gateway)
}

/// Every route of the server; requests no endpoint of Tessera's own takes go to `gateway`'s
/// route table.
pub fn router_with(tessera: Tessera, gateway: gateway::Gateway) -> Router {
    routes()
        .fallback(gateway::dispatch::dispatch)
        .method_not_allowed_fallback(crate::surface::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(tessera.clone(), security_headers::apply))
        .layer(middleware::from_fn(request_text::guard))
        .layer(middleware::from_fn(log_request))
        .layer(axum::Extension(gateway))
        .with_state(tessera)
}

/// Every route Tessera mounts itself (what the gateway's table does not take), before the
/// fallback and the layers.
pub fn routes() -> Router<Tessera> {
    Router::new()
        .merge(oauth2::routes())
        .merge(oidc::routes())
        .merge(dingtalk::routes())
        .merge(feishu::routes())
        .merge(web::routes())
        .merge(manage::routes())
        .merge(health::routes())
        .route("/.well-known/jwks.json", axum::routing::get(gateway::dispatch::jwks))
        .route("/gateway/auth/nginx", axum::routing::any(gateway::forward_auth::nginx))
        .route("/gateway/auth/forward", axum::routing::any(gateway::forward_auth::forwarded))
        .route("/gateway/auth/envoy", axum::routing::any(gateway::forward_auth::envoy))
        .route("/gateway/auth/envoy/{*path}", axum::routing::any(gateway::forward_auth::envoy))
}

/// Logs method, path (never the query), status and duration at debug level.
async fn log_request(req: Request, next: Next) -> Response {
    // Nothing to copy per request unless the line would be written.
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    log_answer(&method, &path, &response);
    response
}

/// The request's log line (method, path without the query, status), at debug level.
pub(crate) fn log_answer(method: &Method, path: &str, response: &Response) {
    tracing::debug!(%method, path, status = response.status().as_u16(), "request");
}

/// The router, with the endpoints answered ahead of it ([`Shortcut`]).
pub struct App {
    router: Router,
    shortcut: Option<Arc<Shortcut>>,
}

impl App {
    /// Every route of the server ([`router_with`]), the forward-auth endpoints answered
    /// ahead of the router.
    pub fn new(tessera: Tessera, gateway: gateway::Gateway) -> App {
        let shortcut = Shortcut::new(tessera.clone(), gateway.clone());
        App { router: router_with(tessera, gateway), shortcut: Some(Arc::new(shortcut)) }
    }
}

impl From<Router> for App {
    /// Every request to `router`.
    fn from(router: Router) -> App {
        App { router, shortcut: None }
    }
}

/// What one client may hold of the server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A request's header must arrive within this time, counted from the connection's
    /// start or the end of the previous answer on it: it is also the keep-alive idle timeout.
    pub header_read_timeout: Duration,
    /// Largest request head (request line and headers), in bytes; larger ones get 431.
    pub max_header_bytes: usize,
    /// Connections served at once; further ones wait in the listen queue.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { header_read_timeout: Duration::from_secs(10), max_header_bytes: 16 * 1024, max_connections: 1024 }
    }
}

/// Serves `router` on `listener` with the default [`Limits`] until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    router: impl Into<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, Limits::default(), shutdown).await
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish for up to 10 seconds.
///
/// Connections are served by hyper directly (not `axum::serve`) to write header names in
/// title case (`X-Tt-Logid`): the Feishu Python SDK's `get_log_id()` looks the header up
/// with exactly that casing. Header names are case-insensitive for every other client.
pub async fn serve_with(
    listener: TcpListener,
    app: impl Into<App>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let App { router, shortcut } = app.into();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        // A free slot first: at the cap, new connections wait in the kernel's queue.
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
        };
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
        let shortcut = shortcut.clone();
        let mut stop = stop_rx.clone();
        let limits = limits.clone();
        connections.spawn(async move {
            let _slot = slot;
            let double_framed = framing::Flag::default();
            let watched = framing::FramingWatch::new(stream, double_framed.clone());
            let requests = AtomicU64::new(0);
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                let twice = double_framed.is(requests.fetch_add(1, Ordering::Relaxed));
                let taker = match shortcut.as_ref().and_then(|s| Some((s, s.endpoint(&req)?))) {
                    Some((s, endpoint)) => Taker::Ahead(s.clone(), endpoint),
                    None => Taker::Router(router.clone()),
                };
                async move {
                    match taker {
                        Taker::Ahead(shortcut, endpoint) => Ok(shortcut.answer(endpoint, req, twice).await),
                        Taker::Router(mut router) => {
                            req.extensions_mut().insert(ConnectInfo(peer));
                            if twice {
                                req.extensions_mut().insert(framing::DoubleFramed);
                            }
                            router.call(req.map(axum::body::Body::new)).await
                        }
                    }
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .title_case_headers(true)
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_header_size(limits.max_header_bytes)
                .max_buf_size(limits.max_header_bytes.max(MIN_BUF_SIZE));
            let conn = builder.serve_connection(TokioIo::new(watched), service);
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

/// What answers one request.
enum Taker {
    Ahead(Arc<Shortcut>, gateway::forward_auth::Endpoint),
    Router(Router),
}

/// hyper's smallest read buffer.
const MIN_BUF_SIZE: usize = 8192;
