//! The CLI side of the management API: `tessera permissions|review|installations|grants|audit
//! list|explain|login` call a running server.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::output::Format;

/// Where the server is and who is calling.
#[derive(Args, Clone)]
pub struct Remote {
    /// The server's URL.
    #[arg(long, env = "TESSERA_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The operator token, or a session from `tessera login`.
    #[arg(long, env = "TESSERA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Subcommand)]
pub enum PermissionsCommand {
    /// An app's permission requests and their status.
    List {
        #[arg(long)]
        app: String,
    },
    /// Request (or resubmit) a scope for an app.
    Request {
        #[arg(long)]
        app: String,
        #[arg(long)]
        scope: String,
        /// Why the app needs it (required for special and sensitive scopes).
        #[arg(long, default_value = "")]
        description: String,
    },
}

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// The review queue.
    List,
    Approve {
        #[arg(long)]
        app: String,
        #[arg(long)]
        scope: String,
    },
    Decline {
        #[arg(long)]
        app: String,
        #[arg(long)]
        scope: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum InstallationsCommand {
    /// Activate an app in an org.
    Activate {
        #[arg(long)]
        corp: String,
        #[arg(long)]
        app: String,
    },
    /// Uninstall an app from an org (every grant there goes).
    Uninstall {
        #[arg(long)]
        corp: String,
        #[arg(long)]
        app: String,
    },
}

#[derive(Subcommand)]
pub enum GrantsCommand {
    /// Authorize a sensitive scope ("Accept the app's request for permissions").
    Authorize {
        #[arg(long)]
        corp: String,
        #[arg(long)]
        app: String,
        #[arg(long)]
        scope: String,
    },
    /// Recall it ("Recall permissions previously granted to the app").
    Recall {
        #[arg(long)]
        corp: String,
        #[arg(long)]
        app: String,
        #[arg(long)]
        scope: String,
    },
}

#[derive(Args)]
pub struct AuditListArgs {
    #[arg(long)]
    pub corp: String,
    #[arg(long)]
    pub app: Option<String>,
    #[arg(long)]
    pub actor: Option<String>,
    #[arg(long)]
    pub action: Option<String>,
    /// From this moment, inclusive: a date (2026-11-26, local midnight), a date and time
    /// (2026-11-26T15:04:05+01:00) or Unix seconds.
    #[arg(long, value_parser = crate::output::parse_time)]
    pub since: Option<i64>,
    /// Up to this moment, exclusive (same forms as --since).
    #[arg(long, value_parser = crate::output::parse_time)]
    pub until: Option<i64>,
    #[arg(long)]
    pub after: Option<i64>,
    #[arg(long)]
    pub limit: Option<i64>,
}

#[derive(Args)]
pub struct ExplainArgs {
    #[arg(long)]
    pub app: String,
    #[arg(long)]
    pub corp: String,
    /// The user of a user token (union id).
    #[arg(long)]
    pub user: Option<String>,
    /// Space-separated scopes.
    #[arg(long, conflicts_with = "route")]
    pub scope: Option<String>,
    /// A route, `METHOD /path`.
    #[arg(long)]
    pub route: Option<String>,
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap_or_default().trim_start_matches("v=").replace('+', "%20")
}

async fn call(remote: &Remote, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
    let url = format!("{}{path}", remote.server.trim_end_matches('/'));
    let mut req = reqwest::Client::new().request(method, &url);
    if let Some(token) = &remote.token {
        req = req.bearer_auth(token);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    // The error names the URL once, in the context (reqwest would repeat it).
    let res = req.send().await.map_err(reqwest::Error::without_url).with_context(|| format!("calling {url}"))?;
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    let value: Value =
        if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    if !status.is_success() {
        let msg = value["message"].as_str().map(String::from).unwrap_or_else(|| value.to_string());
        bail!("{} ({}): {msg}", status.as_u16(), value["error"].as_str().unwrap_or("error"));
    }
    Ok(value)
}

pub async fn login(remote: &Remote, account: &str, password: &str) -> anyhow::Result<()> {
    let v = call(
        remote,
        reqwest::Method::POST,
        "/api/v1/sessions",
        Some(json!({"account": account, "password": password})),
    )
    .await?;
    // The session goes to standard output only, for TESSERA_TOKEN.
    println!("{}", v["session"].as_str().unwrap_or_default());
    Ok(())
}

pub async fn permissions(remote: &Remote, cmd: PermissionsCommand, fmt: Format) -> anyhow::Result<()> {
    use reqwest::Method;
    let v = match cmd {
        PermissionsCommand::List { app } => {
            call(remote, Method::GET, &format!("/api/v1/apps/{}/permissions", enc(&app)), None).await?
        }
        PermissionsCommand::Request { app, scope, description } => {
            let body = json!({"scope": scope, "description": description});
            call(remote, Method::POST, &format!("/api/v1/apps/{}/permissions", enc(&app)), Some(body)).await?
        }
    };
    fmt.print(&v);
    Ok(())
}

pub async fn review(remote: &Remote, cmd: ReviewCommand, fmt: Format) -> anyhow::Result<()> {
    use reqwest::Method;
    let v = match cmd {
        ReviewCommand::List => call(remote, Method::GET, "/api/v1/reviews", None).await?,
        ReviewCommand::Approve { app, scope } => {
            let path = format!("/api/v1/reviews/{}/{}", enc(&app), enc(&scope));
            call(remote, Method::POST, &path, Some(json!({"decision": "approve"}))).await?
        }
        ReviewCommand::Decline { app, scope, reason } => {
            let path = format!("/api/v1/reviews/{}/{}", enc(&app), enc(&scope));
            call(remote, Method::POST, &path, Some(json!({"decision": "decline", "reason": reason}))).await?
        }
    };
    fmt.print(&v);
    Ok(())
}

pub async fn installations(remote: &Remote, cmd: InstallationsCommand, fmt: Format) -> anyhow::Result<()> {
    use reqwest::Method;
    let v = match cmd {
        InstallationsCommand::Activate { corp, app } => {
            let path = format!("/api/v1/orgs/{}/installations", enc(&corp));
            call(remote, Method::POST, &path, Some(json!({"client_id": app}))).await?
        }
        InstallationsCommand::Uninstall { corp, app } => {
            call(remote, Method::DELETE, &format!("/api/v1/orgs/{}/installations/{}", enc(&corp), enc(&app)), None)
                .await?
        }
    };
    fmt.print(&v);
    Ok(())
}

pub async fn grants(remote: &Remote, cmd: GrantsCommand, fmt: Format) -> anyhow::Result<()> {
    let (method, corp, app, scope) = match cmd {
        GrantsCommand::Authorize { corp, app, scope } => (reqwest::Method::PUT, corp, app, scope),
        GrantsCommand::Recall { corp, app, scope } => (reqwest::Method::DELETE, corp, app, scope),
    };
    let path = format!("/api/v1/orgs/{}/installations/{}/grants/{}", enc(&corp), enc(&app), enc(&scope));
    fmt.print(&call(remote, method, &path, None).await?);
    Ok(())
}

pub async fn audit_list(remote: &Remote, a: AuditListArgs, fmt: Format) -> anyhow::Result<()> {
    let mut q: Vec<(&str, String)> = Vec::new();
    let pairs = [("client_id", a.app), ("actor", a.actor), ("action", a.action)];
    for (k, v) in pairs {
        if let Some(v) = v {
            q.push((k, v));
        }
    }
    for (k, v) in [("since", a.since), ("until", a.until), ("after", a.after), ("limit", a.limit)] {
        if let Some(v) = v {
            q.push((k, v.to_string()));
        }
    }
    let path = format!("/api/v1/orgs/{}/audit?{}", enc(&a.corp), serde_urlencoded::to_string(&q).unwrap_or_default());
    fmt.print(&call(remote, reqwest::Method::GET, &path, None).await?);
    Ok(())
}

pub async fn explain(remote: &Remote, a: ExplainArgs, fmt: Format) -> anyhow::Result<()> {
    let mut q = vec![("client_id", a.app), ("corp_id", a.corp)];
    if let Some(u) = a.user {
        q.push(("union_id", u));
    }
    match (a.scope, a.route) {
        (Some(s), None) => q.push(("scope", s)),
        (None, Some(r)) => q.push(("route", r)),
        _ => bail!("give --scope or --route"),
    }
    let path = format!("/api/v1/explain?{}", serde_urlencoded::to_string(&q).unwrap_or_default());
    fmt.print(&call(remote, reqwest::Method::GET, &path, None).await?);
    Ok(())
}

#[derive(Subcommand)]
pub enum RoutesCommand {
    /// The route table the server serves now.
    List,
    /// Make the server read its route file again (a refused file keeps the current table;
    /// the answer names the file, line and reason).
    Reload,
}

pub async fn routes(remote: &Remote, cmd: RoutesCommand, fmt: Format) -> anyhow::Result<()> {
    let v = match cmd {
        RoutesCommand::List => call(remote, reqwest::Method::GET, "/api/v1/routes", None).await?,
        RoutesCommand::Reload => call(remote, reqwest::Method::POST, "/api/v1/routes/reload", None).await?,
    };
    fmt.print(&v);
    Ok(())
}
