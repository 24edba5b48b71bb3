//! The official DingTalk Python SDK (`alibabacloud-dingtalk`, installed into a virtualenv
//! under the target directory on first run) against the running server.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::helpers::*;

/// The pinned SDK version: the one the DingTalk wire format was measured with (alibabacloud-dingtalk
/// 2.2.65 with alibabacloud-tea-openapi 0.4.6, what a plain `pip install` resolves to).
const SDK: &str = "alibabacloud-dingtalk==2.2.65";

pub async fn sdk_python() -> PathBuf {
    crate::interop::install::python_venv("dingtalk-sdk-venv", &[SDK]).await
}

#[tokio::test]
async fn the_official_python_sdk_works_unchanged() {
    let python = sdk_python().await;
    let app = spawn_app().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/dingtalk_sdk.py");
    let endpoint = app.base.trim_start_matches("http://").to_owned();
    let out = tokio::process::Command::new(&python).arg(&script).arg(&endpoint).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "SDK script failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();

    let token = r["get_token"]["body"]["access_token"].as_str().unwrap();
    assert_eq!(r["get_token"]["status"], 200);
    assert!(token.starts_with("t-"));
    assert_eq!(r["get_token"]["body"]["expires_in"], 7200);

    assert_eq!(r["get_access_token"]["status"], 200);
    assert!(r["get_access_token"]["body"]["accessToken"].as_str().unwrap().starts_with("t-"));
    assert_eq!(r["get_access_token"]["body"]["expireIn"], 7200);

    assert_eq!(r["bad_secret"]["code"], "invalidClientIdOrSecret", "{r}");
    assert_eq!(r["bad_secret"]["statusCode"], 400);
    assert!(r["bad_secret"]["message"].as_str().unwrap().contains("request id: "), "{r}");
    assert_eq!(r["not_installed"]["code"], "unauthorized.client");
    assert_eq!(r["not_installed"]["statusCode"], 401);

    assert_eq!(r["get_user"]["status"], 200);
    assert_eq!(r["get_user"]["body"]["unionId"], "alice-union");
    assert_eq!(r["get_user"]["body"]["nick"], "Alice");

    assert_eq!(r["forbidden"]["code"], "Forbidden.AccessDenied.AccessTokenPermissionDenied", "{r}");
    assert_eq!(r["forbidden"]["statusCode"], 403);
    assert_eq!(r["forbidden"]["accessDeniedDetail"]["requiredScopes"], serde_json::json!(["qyapi_get_member"]), "{r}");
}

const SUITE: (&str, &str) = ("suitedemo", "suite-secret");

#[tokio::test]
async fn the_official_sdk_gets_suite_and_corp_tokens_and_auth_info() {
    let python = sdk_python().await;
    let app = spawn_app().await;
    let ticket = suite_ticket(&app, SUITE.0, SUITE.1).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/dingtalk_suite.py");
    let endpoint = app.base.trim_start_matches("http://").to_owned();
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .args([endpoint.as_str(), SUITE.0, SUITE.1, ticket.as_str()])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "SDK script failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(r["suite_token"]["status"], 200, "{r}");
    assert!(r["suite_token"]["body"]["accessToken"].as_str().unwrap().starts_with("s-"));
    assert_eq!(r["suite_token"]["body"]["expireIn"], 7200);
    assert_eq!(r["corp_token"]["status"], 200, "{r}");
    let corp = r["corp_token"]["body"]["accessToken"].as_str().unwrap();
    assert!(corp.starts_with("c-"));
    assert_eq!(
        app.create_department(corp, json!({"name": "Ops"})).await.status,
        200,
        "the SDK's corp token works in Other Corp"
    );
    assert_eq!(r["get_token"]["status"], 200, "{r}");
    assert!(r["get_token"]["body"]["access_token"].as_str().unwrap().starts_with("c-"));
    assert_eq!(r["auth_info"]["status"], 200, "{r}");
    assert_eq!(r["auth_info"]["body"]["authCorpInfo"]["corpName"], "Other Corp");
    assert_eq!(r["auth_info"]["body"]["authAppInfo"]["agentList"][0]["adminList"], json!(["carol"]));
    assert_eq!(r["forged_ticket"]["code"], "invalidSuiteTicket", "{r}");
    assert_eq!(r["forged_ticket"]["statusCode"], 400);
    assert_eq!(r["bad_suite_key"]["code"], "invalidSuiteKey", "{r}");
    assert_eq!(r["not_activated"]["code"], "unauthorized.client", "{r}");
}
