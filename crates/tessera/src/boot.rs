//! Booting the server: build the service on a store, load a fixture, serve a listener
//! until shutdown while pruning expired tokens from the caches and issuing suite tickets.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tessera_core::fixture::Fixture;
use tessera_core::secret::SecretKey;
use tessera_core::time::Clock;
pub use tessera_http::Limits;
use tessera_http::gateway::Gateway;
use tessera_http::gateway::rate_limit::RateLimiter;
use tessera_service::fixtures::FixtureReport;
use tessera_service::{ServiceConfig, Tessera};
use tessera_store::Database;
use tokio::net::TcpListener;

/// Reads and parses a fixture file (unknown keys are errors).
pub fn read_fixture(path: &Path) -> anyhow::Result<Fixture> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading fixture {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing fixture {}", path.display()))
}

/// The service on `store`, with `fixture` loaded if given.
pub async fn service(
    store: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    key: SecretKey,
    config: ServiceConfig,
    fixture: Option<&Fixture>,
) -> anyhow::Result<(Tessera, Option<FixtureReport>)> {
    let tessera = Tessera::new(store, clock, key, config);
    tessera.maintain_keys().await.context("preparing the signing keys")?;
    let report = match fixture {
        Some(f) => Some(tessera.load_fixture(f).await.context("loading the fixture")?),
        None => None,
    };
    Ok((tessera, report))
}

/// The gateway on the route file `routes` (checked against the catalogue: a bad file stops
/// the start), or without routes; rate limits counted in memory.
pub async fn gateway(tessera: &Tessera, routes: Option<&Path>) -> anyhow::Result<Gateway> {
    gateway_with(tessera, routes, RateLimiter::in_memory()).await
}

/// The rate limiter: counts shared through Redis at `redis_url` (keys under `prefix`), else
/// in this node's memory.
pub async fn rate_limiter(redis_url: Option<&str>, prefix: &str) -> anyhow::Result<RateLimiter> {
    match redis_url {
        None => Ok(RateLimiter::in_memory()),
        Some(url) => RateLimiter::redis(url, prefix).await.context("connecting to Redis (--redis-url)"),
    }
}

/// [`gateway`] with the given rate limiter.
pub async fn gateway_with(tessera: &Tessera, routes: Option<&Path>, limiter: RateLimiter) -> anyhow::Result<Gateway> {
    let table = match routes {
        None => Default::default(),
        Some(path) => tessera_http::gateway::dispatch::load_file(tessera, path).await?,
    };
    Ok(Gateway::new(tessera, table, routes.map(Path::to_owned), limiter))
}

/// Serves the gateway's metrics (`GET /metrics`) on `listener`, apart from the API.
pub fn serve_metrics(listener: TcpListener, gateway: Gateway) -> tokio::task::JoinHandle<()> {
    let router = tessera_http::gateway::dispatch::metrics_router(gateway);
    tokio::spawn(async move {
        if let Err(e) = tessera_http::serve(listener, router, std::future::pending()).await {
            tracing::error!(error = %e, "the metrics listener failed");
        }
    })
}

/// Reloads the route table on every SIGHUP (a refused file keeps the current table).
#[cfg(unix)]
pub fn reload_on_sighup(tessera: Tessera, gateway: Gateway) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut hangups =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).context("listening for SIGHUP")?;
    Ok(tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            // `reload` logs the outcome, and why a file was refused.
            let _ = gateway.reload(&tessera).await;
        }
    }))
}

/// Serves `tessera` on `listener` with the default limits until `shutdown` resolves, with
/// `gateway` in front of its route table.
pub async fn run(
    listener: TcpListener,
    tessera: Tessera,
    gateway: Gateway,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with(listener, tessera, gateway, Limits::default(), shutdown).await
}

/// Serves `tessera` on `listener` with `limits` until `shutdown` resolves, with `gateway` in
/// front of its route table (checked against the catalogue when it was loaded).
pub async fn run_with(
    listener: TcpListener,
    tessera: Tessera,
    gateway: Gateway,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = tessera_http::App::new(tessera.clone(), gateway);
    let pruner = tessera.clone();
    let prune = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(e) = pruner.maintain_keys().await {
                tracing::warn!(error = %e, "checking the signing keys' schedule failed; trying again in a minute");
            }
            match pruner.prune().await {
                Ok(p) if p.total() == 0 => {}
                Ok(p) => tracing::info!(
                    rows = p.total(),
                    sessions = p.sessions,
                    access_tokens = p.access_tokens,
                    refresh_tokens = p.refresh_tokens,
                    previous_secrets = p.previous_secrets,
                    device_authorizations = p.device_authorizations,
                    auth_codes = p.auth_codes,
                    token_families = p.token_families,
                    "purged expired rows"
                ),
                Err(e) => tracing::warn!(error = %e, "purging expired rows failed"),
            }
        }
    });
    let ticketer = tessera.clone();
    let timer = tessera.config().suite_ticket_timer;
    let tickets = tokio::spawn(async move {
        if !timer {
            return;
        }
        // Due tickets are issued within 5 s (or the interval, if shorter); one node wins each.
        let every = ticketer.config().suite_ticket_interval.clamp(1, 5);
        let mut every = tokio::time::interval(Duration::from_secs(every.unsigned_abs()));
        let client = ticketer.callback_client().clone();
        loop {
            every.tick().await;
            if let Err(e) = tessera_service::ticket_push::tick(&ticketer, &client).await {
                tracing::warn!(error = %e, "issuing suite tickets failed");
            }
        }
    });
    let follower = tessera.clone();
    let follow = tokio::spawn(async move {
        // Other nodes' grant changes drop this node's caches (PostgreSQL LISTEN/NOTIFY).
        if let Err(e) = follower.follow_grant_changes().await {
            tracing::error!(error = %e, "cannot follow grant changes of other nodes");
        }
    });
    let result = tessera_http::serve_with(listener, app, limits, shutdown).await;
    prune.abort();
    tickets.abort();
    follow.abort();
    result
}
