//! The official DingTalk and Feishu SDKs calling an API through the gateway's proxy to an
//! HTTP upstream started by the test: the allowed call reaches the upstream (which answers
//! with the identity the gateway told it), a missing scope is named in the SDK's own error,
//! and a rate limit is the SDK's error too. The server runs on a fake clock, so every call
//! falls in one second (the routes allow one call per app per second).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::gateway_upstream::*;
use crate::helpers::*;

fn routes(upstream: &str) -> PathBuf {
    let text = format!(
        r#"[upstreams.api]
url = "{upstream}"

[[routes]]
method = "GET"
path = "/v1.0/contact/users/{{unionId}}"
dialect = "dingtalk"
scopes = ["qyapi_get_member"]
token_kinds = ["app", "corp"]
upstream = "api"
qps = 1

[[routes]]
method = "POST"
path = "/open-apis/im/v1/messages"
dialect = "feishu"
scopes = ["im:message:send_as"]
upstream = "api"
qps = 1
"#
    );
    temp_file("routes.toml", text)
}

async fn run(python: &Path, script: &str, base: &str) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk").join(script);
    let out = tokio::process::Command::new(python).arg(&script).arg(base).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "SDK script failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

async fn proxied() -> (TestApp, Upstream) {
    let upstream = start_upstream().await;
    let setup = Setup::sqlite().with_fake_clock(1_800_000_000).with_routes(routes(&upstream.base));
    (spawn_with(setup).await, upstream)
}

#[tokio::test]
async fn the_dingtalk_sdk_through_the_proxy_reads_the_missing_scope_and_the_rate_limit_as_its_errors() {
    let python = crate::interop::dingtalk_sdk::sdk_python().await;
    let (app, upstream) = proxied().await;
    let r = run(&python, "gateway_dingtalk_sdk.py", app.base.trim_start_matches("http://")).await;
    assert_eq!(r["allowed"]["status"], 200, "{r}");
    assert_eq!(r["allowed"]["body"]["nick"], "dingdemoapp", "the upstream saw the gateway's identity: {r}");
    assert_eq!(r["forbidden"]["statusCode"], 403, "{r}");
    assert_eq!(r["forbidden"]["code"], "Forbidden.AccessDenied.AccessTokenPermissionDenied", "{r}");
    assert_eq!(r["forbidden"]["accessDeniedDetail"]["requiredScopes"], serde_json::json!(["qyapi_get_member"]), "{r}");
    assert_eq!(r["limited"]["statusCode"], 403, "{r}");
    assert_eq!(r["limited"]["code"], "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "{r}");
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 1, "only the allowed call reached the upstream");
}

#[tokio::test]
async fn the_feishu_sdk_through_the_proxy_reads_the_missing_scope_and_the_rate_limit_as_its_errors() {
    let python = crate::interop::feishu_sdk::lark_python().await;
    let (app, upstream) = proxied().await;
    let r = run(&python, "gateway_lark_sdk.py", &app.base).await;
    assert_eq!(r["allowed"]["ok"], true, "{r}");
    assert_eq!(r["allowed"]["data"]["message_id"], "om_cli_feishudemo", "the upstream saw the gateway's identity: {r}");
    assert_eq!(r["forbidden"]["ok"], false, "{r}");
    assert_eq!(r["forbidden"]["code"], 99991672, "{r}");
    assert!(r["forbidden"]["msg"].as_str().unwrap().contains("im:message:send_as"), "{r}");
    assert_eq!(r["forbidden"]["error"]["permission_violations"][0]["subject"], "im:message:send_as", "{r}");
    assert_eq!(r["limited"]["ok"], false, "{r}");
    assert_eq!(r["limited"]["code"], 99991400, "{r}");
    assert!(!r["limited"]["msg"].as_str().unwrap().is_empty(), "{r}");
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 1, "only the allowed call reached the upstream");
}
