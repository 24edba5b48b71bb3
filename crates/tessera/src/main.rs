//! `tessera`: the authorization server and its admin commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tessera::{account, backend, boot, client, key, keys};
use tessera_core::ids::{Role, ScopeCode};
use tessera_core::refresh::UserTokenPolicy;
use tessera_core::scope::{Scope, ScopeIdentity, ScopeTier};
use tessera_core::token::TokenPolicy;
use tessera_service::clock::SystemClock;
use tessera_service::{ServiceConfig, Tessera};
use tracing_subscriber::EnvFilter;

/// Tessera: an authorization server for open platforms (OAuth 2.x, DingTalk and Feishu dialects).
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: token endpoints, the gateway and the sample Open API.
    Serve(ServeArgs),
    /// Apply a fixture file to the database and exit (what `serve --fixture` does at start).
    LoadFixture {
        #[command(flatten)]
        db: DbArgs,
        /// TOML fixture: orgs, users, apps, installations, scopes.
        file: PathBuf,
    },
    /// List or add permission scopes in the catalogue.
    #[command(subcommand)]
    Scopes(ScopesCommand),
    /// The signing keys of ID tokens, JWT access tokens and assertions: list, rotate now.
    Keys {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        signing: keys::SigningArgs,
        #[command(subcommand)]
        cmd: keys::KeysCommand,
    },
    /// Add users (people who sign in) and their memberships.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Sign in as a user through device authorization: shows a QR code and a link, waits for
    /// approval in a browser (on any device), and keeps the token for `--account`.
    /// With `--password`: sign in to the management API instead and print a session for
    /// TESSERA_TOKEN (password from TESSERA_PASSWORD or standard input; `--account` is then
    /// the user's account id).
    Login {
        #[command(flatten)]
        remote: client::Remote,
        /// The management-API sign-in (prints a session) instead of the device flow.
        #[arg(long)]
        password: bool,
        /// With --password: the user's account (union id).
        #[arg(long, requires = "password")]
        user: Option<String>,
        /// The device flow's scopes.
        #[arg(long, default_value = "openid offline_access")]
        scope: String,
        #[arg(long, env = "TESSERA_CLIENT_ID", required_unless_present = "password")]
        client_id: Option<String>,
        #[arg(long, env = "TESSERA_CLIENT_SECRET", hide_env_values = true)]
        client_secret: Option<String>,
        /// The local account the token is kept for (device flow); with --password, the
        /// user's account id when --user is not given.
        #[arg(long, default_value = "default")]
        account: String,
        #[arg(long, env = "TESSERA_TOKEN_DIR")]
        token_dir: Option<PathBuf>,
    },
    /// Revoke the signed-in account's token on the server and delete it locally.
    Logout(account::AccountArgs),
    /// Who the signed-in account is (asked of the server).
    Whoami(account::AccountArgs),
    /// Print a fresh access token of the signed-in account (refreshed if needed), for scripts.
    Token(account::AccountArgs),
    /// An app's permission requests: list, request or resubmit (calls the server).
    Permissions {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        cmd: client::PermissionsCommand,
    },
    /// The review queue: list, approve, decline (operators; calls the server).
    Review {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        cmd: client::ReviewCommand,
    },
    /// Activate or uninstall apps in an org (org admins; calls the server).
    Installations {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        cmd: client::InstallationsCommand,
    },
    /// Authorize or recall sensitive scopes (holders of the eligible role; calls the server).
    Grants {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        cmd: client::GrantsCommand,
    },
    /// The audit log: list an org's events (calls the server) or verify the hash chain (reads the database).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The gateway's route table (operators; calls the server).
    Routes {
        #[command(flatten)]
        remote: client::Remote,
        #[command(subcommand)]
        cmd: client::RoutesCommand,
    },
    /// Why an app may or may not use scopes (or a route) in an org, and what to do next.
    Explain {
        #[command(flatten)]
        remote: client::Remote,
        #[command(flatten)]
        args: client::ExplainArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// An org's events, oldest first, with filters.
    List {
        #[command(flatten)]
        remote: client::Remote,
        #[command(flatten)]
        args: client::AuditListArgs,
    },
    /// Checks the whole chain in the database: exits 1 at the first broken event, 2 if the
    /// database does not exist or holds no Tessera tables.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add a user with a password (read from TESSERA_PASSWORD, else from the first line of
    /// standard input) and, optionally, a membership. Idempotent like a fixture.
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// The person's account (union id); they sign in with it.
        #[arg(long)]
        union_id: String,
        #[arg(long)]
        name: String,
        /// Membership as CORP_ID:USER_ID (the org must exist).
        #[arg(long)]
        member: Option<String>,
        /// Org-wide roles of the membership, comma-separated (e.g. org_admin,contacts_admin).
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
    },
}

#[derive(Args)]
struct DbArgs {
    /// Database URL: sqlite://PATH (default: tessera.db in the data directory) or postgres://…
    #[arg(long, env = "TESSERA_DATABASE_URL")]
    database_url: Option<String>,
    /// Directory for the SQLite database and the server key.
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Seconds a request waits for a database connection before failing with 503 (and the
    /// longest the first connection at start may take).
    #[arg(long, env = "TESSERA_DATABASE_ACQUIRE_TIMEOUT", default_value_t = 3.0, value_parser = acquire_timeout)]
    database_acquire_timeout: f64,
}

/// A positive number of seconds, at most 600.
fn acquire_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t <= 600.0 => Ok(t),
        _ => Err("must be a number of seconds above 0 and at most 600".into()),
    }
}

impl DbArgs {
    async fn open_store(&self) -> anyhow::Result<Arc<dyn tessera_store::Database>> {
        let opts = tessera_store::ConnectOptions {
            acquire_timeout: std::time::Duration::from_secs_f64(self.database_acquire_timeout),
        };
        backend::open_store_with(&self.url(), opts).await
    }

    fn url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("tessera.db").display()))
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TESSERA_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    db: DbArgs,
    /// TOML fixture loaded (idempotently) before serving.
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Lifetime of app and corp tokens, in seconds.
    #[arg(long, default_value_t = 7200)]
    token_ttl: i64,
    /// Asking again while a token has more than this many seconds left returns the same token
    /// (equal to --token-ttl: every request gets a new token).
    #[arg(long, default_value_t = 1800)]
    reuse_margin: i64,
    /// Lifetime of user access tokens, in seconds.
    #[arg(long, default_value_t = 7200)]
    user_token_ttl: i64,
    /// Lifetime of refresh tokens, in seconds (default 30 days).
    #[arg(long, default_value_t = 2_592_000)]
    refresh_token_ttl: i64,
    /// The platform operators' token for the management API (reviewers).
    #[arg(long, env = "TESSERA_OPERATOR_TOKEN", hide_env_values = true, conflicts_with = "operator_token_file")]
    operator_token: Option<String>,
    /// A file holding the operator token (its first line), so the token does not appear in
    /// the process list.
    #[arg(long, env = "TESSERA_OPERATOR_TOKEN_FILE")]
    operator_token_file: Option<PathBuf>,
    /// Let suite ticket pushes reach loopback and private addresses (local development only).
    #[arg(long, env = "TESSERA_ALLOW_PRIVATE_CALLBACKS")]
    allow_private_callbacks: bool,
    /// The URL clients reach Tessera at (issuer in the metadata; https makes cookies Secure).
    /// Default: http://LISTEN.
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    public_url: Option<String>,
    /// Connections served at once (further ones wait in the listen queue).
    #[arg(long, env = "TESSERA_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Seconds between suite tickets issued to third-party enterprise apps (default 20 min).
    #[arg(long, default_value_t = tessera_core::suite::DEFAULT_TICKET_INTERVAL)]
    suite_ticket_interval: i64,
    /// The gateway's route table (TOML; see docs/gateway.md), read again on SIGHUP and by
    /// `tessera routes reload`. Without it the gateway serves no route.
    #[arg(long, env = "TESSERA_ROUTES")]
    routes: Option<PathBuf>,
    /// Redis URL (redis://host:port) where the gateway's nodes share their rate-limit counts.
    /// Without it each node counts alone.
    #[arg(long, env = "TESSERA_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Address of a separate listener serving Prometheus metrics at /metrics (none: off).
    #[arg(long, env = "TESSERA_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// The most entries each in-memory cache holds (apps, standings, tokens, ...): the
    /// oldest are dropped first.
    #[arg(long, env = "TESSERA_CACHE_CAPACITY", default_value_t = tessera_service::cache::DEFAULT_CAPACITY)]
    cache_capacity: usize,
    /// Seconds a node trusts what it cached from the store (standings, apps, tokens, ...)
    /// before reading it again: the longest a lost change announcement can leave it wrong.
    #[arg(long, env = "TESSERA_CACHE_REVALIDATE_SECONDS", default_value_t = tessera_service::cache::DEFAULT_REVALIDATE_SECS)]
    cache_revalidate_seconds: i64,
    /// Reverse proxies (CIDR blocks or addresses, comma-separated) whose X-Forwarded-For names
    /// the client for the sign-in and device-flow limits. Without it the header is ignored.
    #[arg(long, env = "TESSERA_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    trusted_proxies: Vec<ipnet::IpNet>,
    #[command(flatten)]
    signing: keys::SigningArgs,
}

/// A trusted proxy: a CIDR block (`10.0.0.0/8`) or one address (`192.0.2.1`).
fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("{s:?} is neither a CIDR block (10.0.0.0/8) nor an IP address"))
}

#[derive(Subcommand)]
enum ScopesCommand {
    /// List the catalogue: built-in and operator scopes.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Add an operator scope.
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// Scope code, e.g. hr.salary.read
        #[arg(long)]
        code: String,
        #[arg(long)]
        description: String,
        /// basic, standard, special or sensitive
        #[arg(long)]
        tier: String,
        /// For sensitive scopes: the org-wide role that authorizes it.
        #[arg(long)]
        eligible_role: Option<String>,
        /// Close the scope to new requests.
        #[arg(long)]
        closed: bool,
        /// Only apps of verified orgs may request it.
        #[arg(long)]
        requires_verified_org: bool,
        /// app, user or both
        #[arg(long, default_value = "both")]
        identity: String,
    },
}

fn main() -> anyhow::Result<()> {
    return_large_allocations_to_the_os();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run())
}

/// Makes glibc serve every allocation of 128 KiB or more with its own mapping, returned to
/// the OS when freed. By default glibc raises that threshold after the first such free and
/// keeps later large blocks in its heap: the 19 MiB that each argon2id password hash
/// allocates (four at start with the demo fixture) would stay resident for the server's
/// whole life, about 40 MB of its RSS.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_large_allocations_to_the_os() {
    // SAFETY: `mallopt` only sets a malloc tunable; it takes no pointers and is called
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_allocations_to_the_os() {}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("TESSERA_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::LoadFixture { db, file } => {
            let fixture = boot::read_fixture(&file)?;
            let tessera = open(&db).await?;
            let report = tessera.load_fixture(&fixture).await.context("loading the fixture")?;
            print_report(&report);
            Ok(())
        }
        Command::Scopes(cmd) => scopes(cmd).await,
        Command::Keys { db, signing, cmd } => keys::run(&open_with(&db, &signing).await?, cmd).await,
        Command::Login { remote, password: true, user, account, .. } => {
            client::login(&remote, user.as_deref().unwrap_or(&account), &read_password()?).await
        }
        Command::Login { remote, password: false, scope, client_id, client_secret, account, token_dir, .. } => {
            let args = account::AccountArgs {
                server: remote.server,
                client_id: client_id.context("--client-id (or TESSERA_CLIENT_ID) is required")?,
                client_secret,
                account,
                token_dir,
            };
            account::login(&args, &scope).await
        }
        Command::Logout(args) => account::logout(&args).await,
        Command::Whoami(args) => account::whoami(&args).await,
        Command::Token(args) => account::token(&args).await,
        Command::Permissions { remote, cmd } => client::permissions(&remote, cmd).await,
        Command::Review { remote, cmd } => client::review(&remote, cmd).await,
        Command::Installations { remote, cmd } => client::installations(&remote, cmd).await,
        Command::Grants { remote, cmd } => client::grants(&remote, cmd).await,
        Command::Audit(AuditCommand::List { remote, args }) => client::audit_list(&remote, args).await,
        Command::Audit(AuditCommand::Verify { db }) => audit_verify(&db).await,
        Command::Explain { remote, args } => client::explain(&remote, args).await,
        Command::Routes { remote, cmd } => client::routes(&remote, cmd).await,
        Command::Users(UsersCommand::Add { db, union_id, name, member, roles }) => {
            let password = read_password()?;
            let memberships = match member {
                None => String::new(),
                Some(m) => {
                    let (corp, user) = m.split_once(':').context("--member takes CORP_ID:USER_ID")?;
                    format!("memberships = [{{ corp_id = {corp:?}, user_id = {user:?}, roles = {roles:?} }}]\n")
                }
            };
            let text =
                format!("[[users]]\nunion_id = {union_id:?}\nname = {name:?}\npassword = {password:?}\n{memberships}");
            let fixture: tessera_core::fixture::Fixture = toml::from_str(&text).context("invalid user")?;
            let tessera = open(&db).await?;
            let report = tessera.load_fixture(&fixture).await.context("adding the user")?;
            println!("user {union_id}: {} change(s) applied", report.changes);
            Ok(())
        }
    }
}

/// A password from TESSERA_PASSWORD, else the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    let password = match std::env::var("TESSERA_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    anyhow::ensure!(!password.is_empty(), "the password must not be empty");
    Ok(password)
}

/// The operator token from the first line of `path` (surrounding whitespace ignored).
fn read_operator_token(path: &std::path::Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading the operator token file {}", path.display()))?;
    let token = text.lines().next().unwrap_or_default().trim().to_owned();
    anyhow::ensure!(!token.is_empty(), "the operator token file {} is empty", path.display());
    Ok(token)
}

/// Reads every audit event in order and checks the hash chain. A database that does not
/// exist (or holds no Tessera tables) is refused with exit code 2: a mis-pointed verify must
/// not pass on an empty chain.
async fn audit_verify(db: &DbArgs) -> anyhow::Result<()> {
    let url = db.url();
    println!("database: {}", backend::without_password(&url));
    let store = match backend::open_existing_store(&url).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("Error: {:#}", e);
            std::process::exit(2);
        }
    };
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .audit_events(&tessera_store::AuditFilter { after_seq: after, limit: 1000, ..Default::default() })
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        events.extend(page);
    }
    tessera_core::audit::verify_chain(&events)?;
    println!("audit chain intact: {} event(s)", events.len());
    Ok(())
}

async fn open(db: &DbArgs) -> anyhow::Result<Tessera> {
    let store = db.open_store().await?;
    let key = key::load_or_create(&db.data_dir)?;
    Ok(Tessera::new(store, Arc::new(SystemClock), key, ServiceConfig::default()))
}

async fn open_with(db: &DbArgs, signing: &keys::SigningArgs) -> anyhow::Result<Tessera> {
    let (store, key) = (db.open_store().await?, key::load_or_create(&db.data_dir)?);
    let mut config = ServiceConfig::default();
    signing.apply(&mut config);
    Ok(Tessera::new(store, Arc::new(SystemClock), key, config))
}

fn print_report(report: &tessera_service::fixtures::FixtureReport) {
    println!("fixture: {} change(s) applied", report.changes);
    for (client_id, secret) in &report.generated_secrets {
        // Shown once on the terminal, never logged or stored.
        println!("generated client secret for {client_id}: {}", secret.expose());
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
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
    anyhow::ensure!(args.cache_capacity >= 1, "--cache-capacity must be at least 1");
    anyhow::ensure!(args.cache_revalidate_seconds >= 0, "--cache-revalidate-seconds must be at least 0");
    let operator_token = match &args.operator_token_file {
        Some(path) => Some(read_operator_token(path)?),
        None => args.operator_token.clone(),
    };
    if let Some(t) = &operator_token {
        anyhow::ensure!(t.len() >= 16, "the operator token must be at least 16 characters");
    }
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    let mut config = ServiceConfig {
        tokens: TokenPolicy { app_token_ttl: args.token_ttl, reuse_margin: args.reuse_margin },
        user_tokens: UserTokenPolicy { access_ttl: args.user_token_ttl, refresh_ttl: args.refresh_token_ttl },
        public_url: args.public_url.clone().unwrap_or_else(|| format!("http://{addr}")),
        operator_token: operator_token.map(tessera_core::secret::Secret::new),
        suite_ticket_interval: args.suite_ticket_interval,
        suite_ticket_timer: true,
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
            let l = tokio::net::TcpListener::bind(at).await.with_context(|| format!("binding {at}"))?;
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

async fn scopes(cmd: ScopesCommand) -> anyhow::Result<()> {
    match cmd {
        ScopesCommand::List { db } => {
            let tessera = open(&db).await?;
            let catalog = tessera.catalog().await?;
            let mut scopes: Vec<_> = catalog.values().collect();
            scopes.sort_by(|a, b| a.code.cmp(&b.code));
            println!("{:<28} {:<10} {:<16} {:<6} DESCRIPTION", "CODE", "TIER", "ELIGIBLE ROLE", "OPEN");
            for s in scopes {
                println!(
                    "{:<28} {:<10} {:<16} {:<6} {}",
                    s.code,
                    s.tier.as_str(),
                    s.eligible_role.as_ref().map(|r| r.as_str()).unwrap_or("-"),
                    if s.open_for_requests { "yes" } else { "no" },
                    s.description
                );
            }
            Ok(())
        }
        ScopesCommand::Add { db, code, description, tier, eligible_role, closed, requires_verified_org, identity } => {
            let scope = Scope {
                code: ScopeCode::parse(code)?,
                description,
                tier: ScopeTier::parse(&tier)?,
                eligible_role: eligible_role.map(Role::parse).transpose()?,
                open_for_requests: !closed,
                requires_verified_org,
                identity: ScopeIdentity::parse(&identity)?,
            };
            let code = scope.code.clone();
            let tessera = open(&db).await?;
            tessera.define_scope(scope, "operator:cli").await?;
            println!("scope {code} added");
            Ok(())
        }
    }
}
