//! The CLI's own sign-in as a user, through device authorization: `tessera login` (shows a
//! QR code in the terminal and waits), `logout`, `whoami`, `token`. Tokens are kept by
//! `tessera-client`'s encrypted file store, one entry per (app, `--account`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use tessera_client::{Client, ClientError, Config, FileStore};

/// Which server, which app the CLI signs in through, and which local account.
#[derive(Args, Clone)]
pub struct AccountArgs {
    /// The server's URL.
    #[arg(long, env = "TESSERA_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The app (client id) the CLI signs in through: a public client, or give its secret.
    #[arg(long, env = "TESSERA_CLIENT_ID")]
    pub client_id: String,
    #[arg(long, env = "TESSERA_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// A local name for the signed-in user; several accounts live side by side.
    #[arg(long, default_value = "default")]
    pub account: String,
    /// Where tokens are kept (encrypted); default: $XDG_DATA_HOME/tessera or ~/.local/share/tessera.
    #[arg(long, env = "TESSERA_TOKEN_DIR")]
    pub token_dir: Option<PathBuf>,
}

impl AccountArgs {
    fn client(&self) -> anyhow::Result<Client> {
        let dir = match &self.token_dir {
            Some(d) => d.clone(),
            None => match std::env::var_os("XDG_DATA_HOME") {
                Some(x) => PathBuf::from(x).join("tessera"),
                None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set; give --token-dir")?)
                    .join(".local/share/tessera"),
            },
        };
        let store = FileStore::open(&dir)?;
        Ok(Client::new(Config::new(&self.server, &self.client_id, self.client_secret.clone()), Arc::new(store)))
    }
}

/// The QR code of `data`, drawn with half-block characters (light on dark for terminals).
pub fn terminal_qr(data: &str) -> Option<String> {
    let code = QrCode::new(data.as_bytes()).ok()?;
    Some(code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).quiet_zone(true).build())
}

pub async fn login(args: &AccountArgs, scope: &str) -> anyhow::Result<()> {
    let client = args.client()?;
    let mut device = client.start_device(scope).await.map_err(|e| refused_client(e, &args.client_id))?;
    if let Some(qr) = terminal_qr(&device.verification_uri_complete) {
        println!("{qr}");
    }
    println!("Scan the code, or open {}", device.verification_uri_complete);
    println!("(or go to {} and enter {})", device.verification_uri, device.user_code);
    println!("Waiting for approval…");
    let token = client.wait_for_device(&mut device, &args.account).await?;
    let who = client.identity(&args.account).await?;
    println!("Signed in as {} (account {:?}, scopes: {})", who.union_id, args.account, token.scope);
    Ok(())
}

/// A refused client names the client id the server refused (ids are public; the secret is
/// never shown) and where it came from.
fn refused_client(e: ClientError, client_id: &str) -> anyhow::Error {
    match e {
        ClientError::Server { code, message, .. } if code == "invalid_client" || code == "unauthorized_client" => {
            anyhow::anyhow!(
                "the server refused client id {client_id:?} ({code}: {message}); check --client-id or TESSERA_CLIENT_ID"
            )
        }
        other => other.into(),
    }
}

pub async fn logout(args: &AccountArgs) -> anyhow::Result<()> {
    args.client()?.logout(&args.account).await?;
    println!("Signed out of account {:?}: the token is revoked and deleted", args.account);
    Ok(())
}

pub async fn whoami(args: &AccountArgs) -> anyhow::Result<()> {
    let who = args.client()?.identity(&args.account).await?;
    println!("{}", who.union_id);
    if let Some(corp) = who.corp_id {
        println!("org: {corp}");
    }
    println!("scopes: {}", who.scope);
    Ok(())
}

/// Prints a fresh access token (refreshed first if it is about to expire), for scripts.
pub async fn token(args: &AccountArgs) -> anyhow::Result<()> {
    println!("{}", args.client()?.user_token(&args.account).await?);
    Ok(())
}
