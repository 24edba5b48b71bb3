//! The client library's chat-bot example, run as a process against the server: two users
//! authorize through their own cards, each sees only their own documents, one revokes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::ChildStdout;

use crate::device_flow::decide;
use crate::helpers::*;

/// Builds the example (cargo reuses what the test build compiled) and returns its path.
async fn chat_bot() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let ok = tokio::process::Command::new(cargo)
        .args(["build", "-q", "-p", "tessera-client", "--example", "chat_bot"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .await
        .unwrap();
    assert!(ok.success(), "building the example failed");
    target.join("debug/examples/chat_bot")
}

/// Reads lines until one contains `needle`; returns it.
async fn until(lines: &mut Lines<BufReader<ChildStdout>>, needle: &str) -> String {
    let read = async {
        loop {
            let line = lines.next_line().await.unwrap().unwrap_or_else(|| panic!("the bot ended before {needle:?}"));
            if line.contains(needle) {
                return line;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read).await.unwrap_or_else(|_| panic!("no {needle:?} within 30 s"))
}

#[tokio::test]
async fn each_chat_user_authorizes_separately_and_sees_only_their_data() {
    let bin = chat_bot().await;
    let app = spawn_app().await;
    let tokens = temp_dir();
    let mut child = tokio::process::Command::new(bin)
        .env("TESSERA_SERVER", &app.base)
        .env("BOT_TOKEN_DIR", tokens.join("bot-tokens"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    until(&mut out, "bot: ready").await;

    stdin.write_all(b"alice: /docs\n").await.unwrap();
    until(&mut out, "alice: please authorize first").await;

    for (user, command, password) in [("alice", "/auth", "alice-password"), ("bob", "授权", "bob-password")] {
        stdin.write_all(format!("{user}: {command}\n").as_bytes()).await.unwrap();
        let card = until(&mut out, &format!("{user}: your authorization card: ")).await;
        let card_url = card.rsplit(' ').next().unwrap().to_owned();
        let page = app.send(app.http.get(&card_url)).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("<svg"), "the card has the QR code");
        let code = card_url.rsplit('=').next().unwrap();
        decide(&app, &format!("/device?user_code={code}"), &format!("{user}-union"), password, "approve").await;
        until(&mut out, &format!("{user}: authorized as {user}-union")).await;
    }

    stdin.write_all(b"alice: /docs\nbob: /docs\n").await.unwrap();
    let alice = until(&mut out, "alice: your documents").await;
    assert_eq!(alice, "alice: your documents: Q3 plan, Salary review");
    let bob = until(&mut out, "bob: your documents").await;
    assert_eq!(bob, "bob: your documents: Q3 plan, Office rota");

    stdin.write_all("bob: 撤销授权\nbob: /docs\nalice: /whoami\n".as_bytes()).await.unwrap();
    until(&mut out, "bob: authorization revoked").await;
    until(&mut out, "bob: please authorize first").await;
    until(&mut out, "alice: you are alice-union").await;

    drop(stdin);
    until(&mut out, "bot: bye").await;
    assert!(child.wait().await.unwrap().success());
}
