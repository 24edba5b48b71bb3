//! `tessera serve`: its arguments and the server's start and graceful stop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tessera_core::refresh::UserTokenPolicy;
use tessera_core::token::TokenPolicy;
use tessera_service::ServiceConfig;
use tessera_service::clock::SystemClock;

use crate::db_args::DbArgs;
use crate::{boot, key};

#[derive(Args)]
pub struct ServeArgs {
    /// A TOML file with any of these options, one key per flag (database_url = "..."); flags
    /// and environment variables override it. See docs/operations.md.
    #[arg(long, env = "TESSERA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on: HOST:PORT, the host an IP address or a name (localhost:8080).
    #[arg(long, env = "TESSERA_LISTEN", default_value = "127.0.0.1:8080", value_parser = listen_addr)]
    pub listen: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// TOML fixture loaded (idempotently) before serving.
    #[arg(long)]
    pub fixture: Option<PathBuf>,
    /// Lifetime of app and corp tokens, in seconds.
    #[arg(long, default_value_t = 7200)]
    pub token_ttl: i64,
    /// Asking again while a token has more than this many seconds left returns the same token
    /// (equal to --token-ttl: every request gets a new token).
    #[arg(long, default_value_t = 1800)]
    pub reuse_margin: i64,
    /// Lifetime of user access tokens, in seconds.
    #[arg(long, default_value_t = 7200)]
    pub user_token_ttl: i64,
    /// Lifetime of refresh tokens, in seconds (default 30 days).
    #[arg(long, default_value_t = 2_592_000)]
    pub refresh_token_ttl: i64,
    /// The platform operators' token for the management API (reviewers).
    #[arg(long, env = "TESSERA_OPERATOR_TOKEN", hide_env_values = true, conflicts_with = "operator_token_file")]
    pub operator_token: Option<String>,
    /// A file holding the operator token (its first line), so the token does not appear in
    /// the process list.
    #[arg(long, env = "TESSERA_OPERATOR_TOKEN_FILE")]
    pub operator_token_file: Option<PathBuf>,
    /// Let suite ticket pushes reach loopback and private addresses (local development only).
    #[arg(long, env = "TESSERA_ALLOW_PRIVATE_CALLBACKS")]
    pub allow_private_callbacks: bool,
    /// The URL clients reach Tessera at (issuer in the metadata; https makes cookies Secure).
    /// Default: http://LISTEN.
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Connections served at once (further ones wait in the listen queue).
    #[arg(long, env = "TESSERA_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds between suite tickets issued to third-party enterprise apps (default 20 min).
    #[arg(long, default_value_t = tessera_core::suite::DEFAULT_TICKET_INTERVAL)]
    pub suite_ticket_interval: i64,
    /// Seconds a device must wait between polls of the device flow (RFC 8628; 1 to 60).
    #[arg(long, env = "TESSERA_DEVICE_POLL_INTERVAL", default_value_t = tessera_core::device::DEFAULT_INTERVAL)]
    pub device_poll_interval: i64,
    /// Memory cost of new password hashes (argon2id, two passes), in KiB: 1024 to 1048576.
    /// The default is argon2's recommended 19456 (19 MiB); a hash keeps the cost it was made
    /// with, so changing this affects only passwords set afterwards.
    #[arg(long, env = "TESSERA_PASSWORD_MEMORY_KIB", default_value_t = tessera_service::password::DEFAULT_MEMORY_KIB)]
    pub password_memory_kib: u32,
    /// The gateway's route table (TOML; see docs/gateway.md), read again on SIGHUP and by
    /// `tessera routes reload`. Without it the gateway serves no route.
    #[arg(long, env = "TESSERA_ROUTES")]
    pub routes: Option<PathBuf>,
    /// Redis URL (redis://host:port) where the gateway's nodes share their rate-limit counts.
    /// Without it each node counts alone.
    #[arg(long, env = "TESSERA_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Address of a separate listener serving Prometheus metrics at /metrics (none: off).
    #[arg(long, env = "TESSERA_METRICS_LISTEN", value_parser = listen_addr)]
    pub metrics_listen: Option<String>,
    /// The most entries each in-memory cache holds (apps, standings, tokens, ...): the
    /// oldest are dropped first.
    #[arg(long, env = "TESSERA_CACHE_CAPACITY", default_value_t = tessera_service::cache::DEFAULT_CAPACITY)]
    pub cache_capacity: usize,
    /// Seconds a node trusts what it cached from the store (standings, apps, tokens, ...)
    /// before reading it again: the longest a lost change announcement can leave it wrong.
    #[arg(long, env = "TESSERA_CACHE_REVALIDATE_SECONDS", default_value_t = tessera_service::cache::DEFAULT_REVALIDATE_SECS)]
    pub cache_revalidate_seconds: i64,
    /// Reverse proxies (CIDR blocks or addresses, comma-separated) whose X-Forwarded-For names
    /// the client for the sign-in and device-flow limits. Without it the header is ignored.
    #[arg(long, env = "TESSERA_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    #[command(flatten)]
    pub signing: crate::keys::SigningArgs,
}

/// HOST:PORT where HOST is an IP address (IPv6 in brackets) or a name resolved when binding.
fn listen_addr(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.parse::<SocketAddr>().is_ok() {
        return Ok(s.to_owned());
    }
    match s.rsplit_once(':') {
        Some((host, port))
            if port.parse::<u16>().is_ok()
                && !host.is_empty()
                && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') =>
        {
            Ok(s.to_owned())
        }
        _ => Err(format!("{s:?} is not HOST:PORT (e.g. 127.0.0.1:8080 or localhost:8080)")),
    }
}

/// A trusted proxy: a CIDR block (`10.0.0.0/8`) or one address (`192.0.2.1`).
fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("{s:?} is neither a CIDR block (10.0.0.0/8) nor an IP address"))
}

/// The operator token from the first line of `path` (surrounding whitespace ignored).
fn read_operator_token(path: &std::path::Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading the operator token file {}", path.display()))?;
    let token = text.lines().next().unwrap_or_default().trim().to_owned();
    anyhow::ensure!(!token.is_empty(), "the operator token file {} is empty", path.display());
    Ok(token)
}

pub fn print_report(report: &tessera_service::fixtures::FixtureReport) {
    println!("fixture: {} change(s) applied", report.changes);
    for (client_id, secret) in &report.generated_secrets {
        // Shown once on the terminal, never logged or stored.
        println!("generated client secret for {client_id}: {}", secret.expose());
    }
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.token_ttl > 0, "--token-ttl must be positive");
    anyhow::ensure!(
        (0..=args.token_ttl).contains(&args.reuse_margin),
        "--reuse-margin must be at least 0 and at most --token-ttl"
    );
    anyhow::ensure!(args.max_connections >= 1, "--max-connections must be at least 1");
    let fixture = args.fixture.as_deref().map(boot::read_fixture).transpose()?;
    let store = args.db.open_store().await?;
    let key = key::load_or_create(&args.db.data_dir)?;
    anyhow::ensure!(args.user_token_ttl > 0 && args.refresh_token_ttl > 0, "token lifetimes must be positive");
    anyhow::ensure!(args.suite_ticket_interval >= 1, "--suite-ticket-interval must be at least 1 second");
    anyhow::ensure!(
        (tessera_core::device::MIN_INTERVAL..=tessera_core::device::MAX_INTERVAL).contains(&args.device_poll_interval),
        "--device-poll-interval must be between {} and {} seconds",
        tessera_core::device::MIN_INTERVAL,
        tessera_core::device::MAX_INTERVAL
    );
    anyhow::ensure!(
        (tessera_service::password::MIN_MEMORY_KIB..=tessera_service::password::MAX_MEMORY_KIB)
            .contains(&args.password_memory_kib),
        "--password-memory-kib must be between {} and {}",
        tessera_service::password::MIN_MEMORY_KIB,
        tessera_service::password::MAX_MEMORY_KIB
    );
    anyhow::ensure!(args.cache_capacity >= 1, "--cache-capacity must be at least 1");
    anyhow::ensure!(args.cache_revalidate_seconds >= 0, "--cache-revalidate-seconds must be at least 0");
    let operator_token = match &args.operator_token_file {
        Some(path) => Some(read_operator_token(path)?),
        None => args.operator_token.clone(),
    };
    if let Some(t) = &operator_token {
        anyhow::ensure!(t.len() >= 16, "the operator token must be at least 16 characters");
    }
    let listener = tokio::net::TcpListener::bind(args.listen.as_str())
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    let mut config = ServiceConfig {
        tokens: TokenPolicy { app_token_ttl: args.token_ttl, reuse_margin: args.reuse_margin },
        user_tokens: UserTokenPolicy { access_ttl: args.user_token_ttl, refresh_ttl: args.refresh_token_ttl },
        public_url: args.public_url.clone().unwrap_or_else(|| format!("http://{addr}")),
        operator_token: operator_token.map(tessera_core::secret::Secret::new),
        suite_ticket_interval: args.suite_ticket_interval,
        suite_ticket_timer: true,
        device_poll_interval: args.device_poll_interval,
        password_memory_kib: args.password_memory_kib,
        cache: tessera_service::cache::CacheConfig {
            capacity: args.cache_capacity,
            revalidate_secs: args.cache_revalidate_seconds,
        },
        trusted_proxies: args.trusted_proxies.clone(),
        allow_private_callbacks: args.allow_private_callbacks,
        ..ServiceConfig::default()
    };
    args.signing.apply(&mut config);
    let (tessera, report) = boot::service(store, Arc::new(SystemClock), key, config, fixture.as_ref()).await?;
    if let Some(report) = &report {
        print_report(report);
    }
    let limiter = boot::rate_limiter(args.redis_url.as_deref(), "tessera:ratelimit:").await?;
    let gateway = boot::gateway_with(&tessera, args.routes.as_deref(), limiter).await?;
    #[cfg(unix)]
    let hangup = boot::reload_on_sighup(tessera.clone(), gateway.clone())?;
    let metrics = match args.metrics_listen {
        None => None,
        Some(at) => {
            let l = tokio::net::TcpListener::bind(at.as_str()).await.with_context(|| format!("binding {at}"))?;
            let at = l.local_addr()?;
            println!("tessera metrics on http://{at}/metrics");
            Some(boot::serve_metrics(l, gateway.clone()))
        }
    };
    tracing::info!(%addr, routes = gateway.table().routes.len(), "tessera listening");
    println!("tessera listening on http://{addr}");
    let limits = boot::Limits { max_connections: args.max_connections, ..boot::Limits::default() };
    boot::run_with(listener, tessera, gateway, limits, shutdown_signal()).await?;
    #[cfg(unix)]
    hangup.abort();
    if let Some(m) = metrics {
        m.abort();
    }
    tracing::info!("tessera stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
