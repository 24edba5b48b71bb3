//! `tessera`: the authorization server and its admin commands.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use tessera::db_args::DbArgs;
use tessera::output::Format;
use tessera::serve::{ServeArgs, print_report, serve};
use tessera::{account, backend, boot, client, key, keys};
use tessera_core::ids::{Role, ScopeCode};
use tessera_core::scope::{Scope, ScopeIdentity, ScopeTier};
use tessera_service::clock::SystemClock;
use tessera_service::{ServiceConfig, Tessera};
use tracing_subscriber::EnvFilter;

/// Tessera: an authorization server for open platforms (OAuth 2.x, DingTalk and Feishu dialects).
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Print the server's answers as JSON (for scripts) instead of tables.
    #[arg(long, global = true)]
    json: bool,
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
    /// Copy the SQLite database to FILE, consistently, while the server runs (restore: stop
    /// the server and put the copy in the database's place). PostgreSQL: use pg_dump.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The new file to write (it must not exist).
        file: PathBuf,
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

/// Runs the command; a failure is one line on standard error (its causes joined with `: `,
/// never a backtrace, whatever RUST_BACKTRACE says) and exit status 1.
fn main() -> std::process::ExitCode {
    return_large_allocations_to_the_os();
    let cli = match parse_with_config_file() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            return std::process::ExitCode::from(2);
        }
    };
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .and_then(|rt| rt.block_on(run(cli)));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error, filtered by TESSERA_LOG (default `info`): lines for people, or
/// with TESSERA_LOG_FORMAT=json one JSON object per event (timestamp, level, target, fields,
/// spans) for log collectors.
fn init_logging() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_env("TESSERA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match std::env::var("TESSERA_LOG_FORMAT").as_deref() {
        Err(_) | Ok("" | "text") => {
            builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
        }
        Ok("json") => builder.json().flatten_event(true).with_current_span(false).init(),
        Ok(other) => anyhow::bail!("TESSERA_LOG_FORMAT must be text or json, not {other:?}"),
    }
    Ok(())
}

/// The command line; for `serve --config FILE`, with the file's options that neither the
/// command line nor the environment gave.
fn parse_with_config_file() -> anyhow::Result<Cli> {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let command = Cli::command();
    let matches = command.clone().try_get_matches_from(&argv).unwrap_or_else(|e| e.exit());
    let argv = match matches.subcommand() {
        Some(("serve", given)) => match given.get_one::<std::path::PathBuf>("config") {
            Some(path) => {
                let serve = command.find_subcommand("serve").context("the serve command")?;
                tessera::config_file::layer(path, serve, given, argv)?
            }
            None => return Ok(Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())),
        },
        _ => return Ok(Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())),
    };
    let matches = command.try_get_matches_from(argv).unwrap_or_else(|e| e.exit());
    Ok(Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()))
}

/// The error and its causes on one line (a cause that repeats its parent's text is skipped).
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string().replace(['\r', '\n'], " ");
        if !parts.last().is_some_and(|p| p.ends_with(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
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

async fn run(cli: Cli) -> anyhow::Result<()> {
    let fmt = Format::new(cli.json);
    init_logging()?;
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::LoadFixture { db, file } => {
            let fixture = boot::read_fixture(&file)?;
            let tessera = open(&db).await?;
            let report = tessera.load_fixture(&fixture).await.context("loading the fixture")?;
            print_report(&report);
            Ok(())
        }
        Command::Scopes(cmd) => scopes(cmd, fmt).await,
        Command::Keys { db, signing, cmd } => keys::run(&open_with(&db, &signing).await?, cmd).await,
        Command::Backup { db, file } => {
            backend::backup(&db.url(), &file).await?;
            println!("backup written to {}", file.display());
            Ok(())
        }
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
        Command::Permissions { remote, cmd } => client::permissions(&remote, cmd, fmt).await,
        Command::Review { remote, cmd } => client::review(&remote, cmd, fmt).await,
        Command::Installations { remote, cmd } => client::installations(&remote, cmd, fmt).await,
        Command::Grants { remote, cmd } => client::grants(&remote, cmd, fmt).await,
        Command::Audit(AuditCommand::List { remote, args }) => client::audit_list(&remote, args, fmt).await,
        Command::Audit(AuditCommand::Verify { db }) => audit_verify(&db).await,
        Command::Explain { remote, args } => client::explain(&remote, args, fmt).await,
        Command::Routes { remote, cmd } => client::routes(&remote, cmd, fmt).await,
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

async fn scopes(cmd: ScopesCommand, fmt: Format) -> anyhow::Result<()> {
    match cmd {
        ScopesCommand::List { db } => {
            let tessera = open(&db).await?;
            let catalog = tessera.catalog().await?;
            let mut scopes: Vec<_> = catalog.values().collect();
            scopes.sort_by(|a, b| a.code.cmp(&b.code));
            let rows: Vec<serde_json::Value> = scopes
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "code": s.code.as_str(),
                        "tier": s.tier.as_str(),
                        "eligible_role": s.eligible_role.as_ref().map(|r| r.as_str()),
                        "open": s.open_for_requests,
                        "identity": s.identity.as_str(),
                        "description": s.description,
                    })
                })
                .collect();
            fmt.print(&serde_json::Value::Array(rows));
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
