//! A line-based chat bot that acts for each of its users with their own token.
//!
//! Each input line is `<user>: <message>`. A user types `/auth` (or `授权`) and gets their own
//! authorization card (a link to Tessera's card page with the QR code, and the code); once
//! they approve on their phone or browser, the bot keeps their token (refreshed as needed).
//! `/docs` lists the documents the bot may read *for that user* (only theirs), `/whoami` says
//! who the token belongs to, and `/revoke` (or `撤销授权`) revokes it on the server and forgets it.
//!
//! ```sh
//! TESSERA_SERVER=http://127.0.0.1:8080 cargo run -p tessera-client --example chat_bot
//! alice: /auth
//! ```
//! Environment: `TESSERA_SERVER`, `BOT_CLIENT_ID` / `BOT_CLIENT_SECRET` (default: the demo's
//! `cli_feishudemo`), `BOT_TOKEN_DIR` (an encrypted file store; default: in memory).

use std::sync::Arc;

use tessera_client::{Client, ClientError, Config, FileStore, MemoryStore, TokenStore};
use tokio::io::{AsyncBufReadExt, BufReader};

const SCOPE: &str = "doc:readonly Contact.User.Read offline_access";

fn say(user: &str, text: &str) {
    println!("{user}: {text}");
}

async fn auth(bot: Client, user: String) {
    let mut device = match bot.start_device(SCOPE).await {
        Ok(d) => d,
        Err(e) => return say(&user, &format!("could not start the authorization: {e}")),
    };
    say(&user, &format!("your authorization card: {}", device.card_url));
    say(&user, &format!("or open {} and enter {}", device.verification_uri, device.user_code));
    tokio::spawn(async move {
        match bot.wait_for_device(&mut device, &user).await {
            Ok(_) => match bot.identity(&user).await {
                Ok(who) => say(&user, &format!("authorized as {}", who.union_id)),
                Err(e) => say(&user, &format!("authorized, but the token could not be checked: {e}")),
            },
            Err(ClientError::AccessDenied) => say(&user, "you denied the authorization"),
            Err(e) => say(&user, &format!("authorization failed: {e}")),
        }
    });
}

async fn docs(bot: &Client, user: &str) {
    match bot.get_as_user(user, "/v1.0/doc/documents").await {
        Ok(v) => {
            let titles: Vec<&str> = v["documents"]
                .as_array()
                .map(|d| d.iter().filter_map(|x| x["title"].as_str()).collect())
                .unwrap_or_default();
            say(
                user,
                &format!("your documents: {}", if titles.is_empty() { "none".into() } else { titles.join(", ") }),
            );
        }
        Err(ClientError::NeedAuthorization { .. }) => say(user, "please authorize first: type /auth (or 授权)"),
        Err(ClientError::MissingScopes { scopes, .. }) => {
            say(user, &format!("I need more permissions for that: {}; type /auth again", scopes.join(", ")))
        }
        Err(e) => say(user, &format!("that failed: {e}")),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = std::env::var("TESSERA_SERVER").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let client_id = std::env::var("BOT_CLIENT_ID").unwrap_or_else(|_| "cli_feishudemo".into());
    let secret = std::env::var("BOT_CLIENT_SECRET").unwrap_or_else(|_| "feishu-secret".into());
    let store: Arc<dyn TokenStore> = match std::env::var_os("BOT_TOKEN_DIR") {
        Some(dir) => Arc::new(FileStore::open(dir)?),
        None => Arc::new(MemoryStore::default()),
    };
    let bot = Client::new(Config::new(server, client_id, Some(secret)), store);
    println!("bot: ready; type `<user>: /auth`, `/docs`, `/whoami`, `/revoke`");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let Some((user, message)) = line.split_once(':') else {
            println!("bot: write `<user>: <message>`");
            continue;
        };
        let (user, message) = (user.trim().to_owned(), message.trim());
        if user.is_empty() {
            continue;
        }
        match message {
            "/auth" | "授权" | "/feishu_auth" => auth(bot.clone(), user).await,
            "/revoke" | "撤销授权" | "/feishu_revoke" => match bot.logout(&user).await {
                Ok(()) => say(&user, "authorization revoked; I can no longer act for you"),
                Err(e) => say(&user, &format!("revoking failed: {e}")),
            },
            "/docs" => docs(&bot, &user).await,
            "/whoami" => match bot.identity(&user).await {
                Ok(who) => say(&user, &format!("you are {} ({})", who.union_id, who.scope)),
                Err(e) => say(&user, &format!("{e}")),
            },
            other => say(&user, &format!("I do not know {other:?}; try /auth, /docs, /whoami, /revoke")),
        }
    }
    println!("bot: bye");
    Ok(())
}
