//! The official Feishu/Lark SDKs against the running server: Python `lark-oapi` (in a
//! virtualenv under the target directory) and Node `@larksuiteoapi/node-sdk` (npm-installed
//! under the target directory), both pinned to the versions spec/feishu.md was measured with.

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
