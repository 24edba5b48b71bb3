//! The official Feishu/Lark SDKs against the running server: Python `lark-oapi` (in a
//! virtualenv under the target directory) and Node `@larksuiteoapi/node-sdk` (npm-installed
//! under the target directory), both pinned to the versions docs/feishu-protocol.md was measured with.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::feishu::feishu_code;
use crate::helpers::*;

const PYTHON_SDK: &str = "lark-oapi==1.7.5";
const NODE_SDK: &str = "@larksuiteoapi/node-sdk@1.74.0";

pub async fn lark_python() -> PathBuf {
    crate::interop::install::python_venv("lark-sdk-venv", &[PYTHON_SDK]).await
}

async fn lark_node_modules() -> PathBuf {
    crate::interop::install::npm_packages("lark-node", &[NODE_SDK]).await
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk").join(name)
}

fn parse(out: &std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "SDK script failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test]
async fn the_official_python_sdk_works_unchanged() {
    let python = lark_python().await;
    let app = spawn_app().await;
    let code = feishu_code(&app, "alice-union", "alice-password", "doc:readonly offline_access").await;
    let out = tokio::process::Command::new(&python)
        .arg(script("lark_sdk.py"))
        .arg(&app.base)
        .arg(&code)
        .output()
        .await
        .unwrap();
    let r = parse(&out);

    assert_eq!(r["bot_message"]["ok"], true, "{r}");
    assert_eq!(r["bot_message"]["data"]["sender_type"], "app");
    assert!(r["bot_message"]["log_id"].as_str().is_some_and(|l| !l.is_empty()), "get_log_id() reads X-Tt-Logid: {r}");
    assert_eq!(r["get_user"]["data"]["user_id"], "bob", "{r}");

    assert_eq!(r["scope_error"]["ok"], false);
    assert_eq!(r["scope_error"]["code"], 99991672, "{r}");
    assert!(r["scope_error"]["msg"].as_str().unwrap().contains("[im:message:send_as]"));
    assert_eq!(r["scope_error"]["error"]["permission_violations"][0]["subject"], "im:message:send_as", "{r}");

    assert_eq!(r["bad_secret"]["raised"], "ObtainAccessTokenException", "{r}");
    assert!(r["bad_secret"]["text"].as_str().unwrap().contains("10014"), "{r}");

    assert_eq!(r["oidc_token"]["ok"], true, "{r}");
    assert_eq!(r["refreshed"]["ok"], true, "{r}");
    assert_eq!(r["refreshed"]["data"]["access_token_prefix"], "u-");
    assert_eq!(r["refreshed"]["data"]["changed"], true);
    assert_eq!(r["refresh_reused"]["code"], 20073, "a consumed refresh token: {r}");

    assert_eq!(r["user_info"]["ok"], true, "{r}");
    assert_eq!(r["user_info"]["data"]["open_id"], "alice-union");
    assert_eq!(r["user_scope_error"]["code"], 99991679, "{r}");
    assert_eq!(r["bad_user_token"]["code"], 99991668, "{r}");
}

#[tokio::test]
async fn the_official_node_sdk_gets_a_tenant_token_and_calls_an_api() {
    let modules = lark_node_modules().await;
    let app = spawn_app().await;
    let out = tokio::process::Command::new("node")
        .arg(script("lark_node.cjs"))
        .arg(&app.base)
        .env("NODE_PATH", &modules)
        .output()
        .await
        .unwrap();
    let r = parse(&out);
    assert_eq!(r["message"]["ok"], true, "{r}");
    assert_eq!(r["message"]["body"]["code"], 0);
    assert!(r["message"]["body"]["data"]["message_id"].as_str().unwrap().starts_with("om_"));
    assert_eq!(r["get_user"]["body"]["data"]["user"]["name"], "Alice", "{r}");
    // Node (axios) throws on HTTP 400; the Feishu body is in the error's response.
    assert_eq!(r["scope_error"]["ok"], false);
    assert_eq!(r["scope_error"]["status"], 400, "{r}");
    assert_eq!(r["scope_error"]["body"]["code"], 99991672, "{r}");
    // A token-endpoint error is HTTP 200, so the SDK raises its own error with the code.
    assert_eq!(r["bad_secret"]["ok"], false);
    assert!(r["bad_secret"]["text"].as_str().unwrap().contains("10014"), "{r}");
}

#[tokio::test]
async fn the_python_sdks_device_flow_client_gets_and_refreshes_a_user_token() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let python = lark_python().await;
    let app = spawn_app().await;
    let mut child = tokio::process::Command::new(&python)
        .arg(script("lark_device.py"))
        .arg(&app.base)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let complete = lines.next_line().await.unwrap().expect("the SDK printed the link");
    crate::device_flow::decide(
        &app,
        &complete.replace(&app.setup.config.public_url, ""),
        "alice-union",
        "alice-password",
        "approve",
    )
    .await;
    let result = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line()).await.unwrap().unwrap();
    let status = child.wait().await.unwrap();
    let mut err = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut err).await.unwrap();
    assert!(status.success(), "{err}");
    let r: Value = serde_json::from_str(&result.unwrap()).unwrap();
    assert_eq!(r["interval"], 5);
    assert_eq!(r["access_prefix"], "u-", "{r}");
    assert_eq!(r["scopes"], serde_json::json!(["doc:readonly", "offline_access"]));
    assert_eq!(r["has_refresh"], true);
    assert_eq!(r["refreshed_prefix"], "u-");
    assert_eq!(r["rotated"], true);
    assert!(
        r["reused"].as_str().is_some_and(|m| m.contains("UATAuthError")),
        "a consumed refresh token is refused: {r}"
    );
}

#[tokio::test]
async fn the_python_sdk_as_a_store_app_uses_the_ticket_and_tenant_key() {
    let python = lark_python().await;
    let app = spawn_app().await;
    let ticket = suite_ticket(&app, "suitedemo", "suite-secret").await;
    let out = tokio::process::Command::new(&python)
        .arg(script("lark_isv.py"))
        .arg(&app.base)
        .arg(&ticket)
        .output()
        .await
        .unwrap();
    let r = parse(&out);
    assert_eq!(r["forged"]["raised"], "ObtainAccessTokenException", "{r}");
    assert!(r["forged"]["text"].as_str().unwrap().contains("10012"), "{r}");
    assert_eq!(r["user"]["ok"], true, "{r}");
    assert_eq!(r["user"]["name"], "Carol");
}

/// The next JSON line the ticket receiver prints.
async fn next_line(lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>) -> Value {
    let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line()).await;
    let line = line.expect("the receiver answered in time").unwrap().expect("the receiver is running");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[tokio::test]
async fn the_node_sdks_event_dispatcher_receives_the_app_ticket_plain_and_encrypted() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let modules = lark_node_modules().await;
    let mut setup = Setup::sqlite().with_fake_clock(1_700_000_000);
    setup.config.suite_ticket_interval = 2;
    setup.config.allow_private_callbacks = true;
    let clock = setup.clock.clone().unwrap();
    let app = spawn_with(setup).await;
    let carol = session(&app, "carol-union").await;
    let port = free_port();
    let register = |path: &str, event: &str| {
        let body = serde_json::json!({"url": format!("http://127.0.0.1:{port}{path}"), "event": event});
        api(&app, Some(&carol), reqwest::Method::PUT, "/api/v1/apps/suitedemo/ticket-callback", Some(body))
    };
    let set = register("/encrypted", "feishu_encrypted").await;
    assert_eq!(set.status, 200, "{}", set.text);
    let (token, key) = (set.str("verification_token").to_owned(), set.str("encrypt_key").to_owned());

    let mut node = tokio::process::Command::new("node")
        .arg(script("lark_ticket_receiver.cjs"))
        .args([&app.base, &port.to_string(), &token, &key])
        .env("NODE_PATH", &modules)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(node.stdout.take().unwrap()).lines();
    assert_eq!(next_line(&mut lines).await["listening"], true);

    // Plain: the dispatcher checks the verification token and caches the ticket.
    assert_eq!(register("/plain", "feishu").await.status, 200);
    clock.advance(2);
    assert_eq!(app.ticket_round().await, [tessera_service::ticket_push::Outcome::Delivered { attempt: 1 }]);
    let plain = next_line(&mut lines).await;
    assert_eq!(plain["path"], "/plain", "{plain}");
    assert_eq!(plain["ticket"], suite_ticket(&app, "suitedemo", "suite-secret").await.as_str(), "{plain}");

    // Encrypted: decrypted and its signature checked with the encrypt key.
    assert_eq!(register("/encrypted", "feishu_encrypted").await.status, 200);
    clock.advance(2);
    assert_eq!(app.ticket_round().await, [tessera_service::ticket_push::Outcome::Delivered { attempt: 1 }]);
    let encrypted = next_line(&mut lines).await;
    let ticket = suite_ticket(&app, "suitedemo", "suite-secret").await;
    assert_eq!(encrypted["path"], "/encrypted", "{encrypted}");
    assert_ne!(encrypted["ticket"], plain["ticket"], "a new ticket arrived");
    assert_eq!(encrypted["ticket"], ticket.as_str(), "{encrypted}");

    // The store-app client gets app_access_token with that ticket, then a tenant token.
    let mut stdin = node.stdin.take().unwrap();
    stdin.write_all(b"call\n").await.unwrap();
    let r = next_line(&mut lines).await;
    assert_eq!(r["call"]["ok"], true, "{r}");
    assert_eq!(r["call"]["name"], "Carol", "{r}");
    let requests = r["requests"].as_array().unwrap();
    let app_token = requests.iter().find(|q| q["url"] == "/open-apis/auth/v3/app_access_token");
    assert_eq!(app_token.expect("the SDK fetched app_access_token")["app_ticket"], ticket.as_str(), "{r}");
    assert!(!requests.iter().any(|q| q["url"] == "/open-apis/auth/v3/app_ticket/resend"), "{r}");
    let _ = node.wait().await;
}
