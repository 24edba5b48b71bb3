//! `tessera login` (device flow, QR code in the terminal), `whoami`, `token`, `logout`, with
//! two `--account`s side by side, against the running server.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::device_flow::decide;
use crate::helpers::*;

fn tessera(app: &TestApp, dir: &std::path::Path, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.args(args)
        .env("TESSERA_SERVER", &app.base)
        .env("TESSERA_CLIENT_ID", "dingcli")
        .env("TESSERA_TOKEN_DIR", dir)
        .env_remove("TESSERA_CLIENT_SECRET")
        .env_remove("TESSERA_TOKEN");
    cmd
}

async fn run(app: &TestApp, dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = tessera(app, dir, args).output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `tessera login --account ACCOUNT`, approves as `user` in the browser, waits for it.
async fn login(app: &TestApp, dir: &std::path::Path, account: &str, user: &str, password: &str) -> String {
    let mut child =
        tessera(app, dir, &["login", "--account", account, "--scope", "openid doc:readonly offline_access"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut shown = String::new();
    let url = loop {
        let line = lines.next_line().await.unwrap().expect("login printed the link");
        shown.push_str(&line);
        shown.push('\n');
        if let Some(url) = line.strip_prefix("Scan the code, or open ") {
            break url.to_owned();
        }
    };
    assert!(shown.contains('█') || shown.contains('▀') || shown.contains('▄'), "a QR code is drawn:\n{shown}");
    decide(app, &url.replace(&app.setup.config.public_url, ""), user, password, "approve").await;
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    let mut rest = String::new();
    while let Some(l) = lines.next_line().await.unwrap() {
        rest.push_str(&l);
        rest.push('\n');
    }
    assert!(status.success(), "login failed: {rest}");
    rest
}

#[tokio::test]
async fn login_whoami_token_logout_with_two_accounts() {
    // The CLI waits the interval the server hands out before each poll: 1 s here, not the
    // default 5 s of RFC 8628, so the test does not sit on a real timer.
    let mut setup = Setup::sqlite();
    setup.config.device_poll_interval = 1;
    let app = spawn_with(setup).await;
    let tmp = temp_dir();
    let dir = tmp.join("cli-tokens");
    let done = login(&app, &dir, "work", "alice-union", "alice-password").await;
    assert!(done.contains("Signed in as alice-union"), "{done}");
    let done = login(&app, &dir, "home", "bob-union", "bob-password").await;
    assert!(done.contains("Signed in as bob-union"), "{done}");

    let (ok, out, err) = run(&app, &dir, &["whoami", "--account", "work"]).await;
    assert!(ok, "{err}");
    assert!(out.starts_with("alice-union\n"), "{out}");
    let (_, out, _) = run(&app, &dir, &["whoami", "--account", "home"]).await;
    assert!(out.starts_with("bob-union\n"), "{out}");

    let (ok, token, err) = run(&app, &dir, &["token", "--account", "work"]).await;
    assert!(ok, "{err}");
    let token = token.trim().to_owned();
    assert!(token.starts_with("u-"));
    let docs = app.send(app.http.get(app.url("/v1.0/doc/documents")).bearer_auth(&token)).await;
    assert_eq!(docs.status, 200, "{}", docs.text);
    assert_eq!(crate::browser::doc_ids(&docs), [1, 2], "Alice's documents");
    // Files on disk are encrypted: the token is not in them.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(&token));
    }

    let (ok, out, err) = run(&app, &dir, &["logout", "--account", "work"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("revoked"), "{out}");
    let docs = app.send(app.http.get(app.url("/v1.0/doc/documents")).bearer_auth(&token)).await;
    assert_eq!(docs.status, 400, "the token is revoked on the server: {}", docs.text);
    let (ok, _, err) = run(&app, &dir, &["whoami", "--account", "work"]).await;
    assert!(!ok);
    assert!(err.contains("must authorize"), "{err}");
    // The other account is untouched.
    let (ok, out, _) = run(&app, &dir, &["whoami", "--account", "home"]).await;
    assert!(ok && out.starts_with("bob-union"), "{out}");
}
