//! Real OAuth clients against the running server, each a Python script in a virtualenv under
//! the target directory (made on first run): a standard OAuth 2 library (Authlib) completing
//! the authorization-code flow with PKCE as a public client, and the official DingTalk SDK
//! getting user tokens. The scripts sign in and consent as a browser would.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::*;

/// A standard OAuth 2 client library and the HTTP client the scripts drive the pages with.
const OAUTH_CLIENT: &[&str] = &["authlib==1.9.9", "requests==2.34.2"];

/// The DingTalk SDK, pinned as in `dingtalk_sdk.rs` (whose virtualenv this shares); it brings
/// `requests` with it.
const DINGTALK_SDK: &[&str] = &["alibabacloud-dingtalk==2.2.65"];

async fn venv_python(name: &str, packages: &[&str]) -> PathBuf {
    crate::interop::install::python_venv(name, packages).await
}

/// Runs `tests/sdk/{script}` with the server's `host:port` and returns the JSON it prints.
async fn run_script(python: &Path, script: &str, app: &TestApp) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk").join(script);
    let endpoint = app.base.trim_start_matches("http://");
    let out = tokio::process::Command::new(python).arg(&script).arg(endpoint).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{} failed:\n{stdout}\n{stderr}", script.display());
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"))
}

fn text<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str().unwrap_or_else(|| panic!("{what} is not a string: {v}"))
}

#[tokio::test]
async fn a_standard_oauth_client_completes_the_flow_with_pkce() {
    let python = venv_python("oauth-client-venv", OAUTH_CLIENT).await;
    let app = spawn_app().await;
    let r = run_script(&python, "authlib_flow.py", &app).await;

    let token = &r["token"];
    assert_eq!(token["token_type"], "Bearer", "{r}");
    let access = text(&token["access_token"], "access_token");
    let refresh = text(&token["refresh_token"], "refresh_token");
    assert!(access.starts_with("u-"), "{r}");
    assert!(refresh.starts_with("r-"), "{r}");

    assert_eq!(r["me"]["status"], 200, "{r}");
    assert_eq!(r["me"]["body"]["unionId"], "alice-union", "{r}");
    assert_eq!(r["me"]["body"]["userId"], "alice", "{r}");

    let refreshed = &r["refreshed"];
    assert_eq!(refreshed["token_type"], "Bearer", "{r}");
    let new_access = text(&refreshed["access_token"], "refreshed access_token");
    let new_refresh = text(&refreshed["refresh_token"], "refreshed refresh_token");
    assert!(new_access.starts_with("u-") && new_access != access, "{r}");
    assert!(new_refresh.starts_with("r-") && new_refresh != refresh, "{r}");
    assert_eq!(r["me_after_refresh"]["status"], 200, "{r}");
    assert_eq!(r["me_after_refresh"]["body"]["unionId"], "alice-union", "{r}");

    assert_eq!(r["old_refresh"]["error"], "invalid_grant", "{r}");
    app.stop().await;
}

#[tokio::test]
async fn the_dingtalk_sdk_gets_user_tokens_for_both_grant_types() {
    let python = venv_python("dingtalk-sdk-venv", DINGTALK_SDK).await;
    let app = spawn_app().await;
    let r = run_script(&python, "dingtalk_user_token.py", &app).await;

    let callback = text(&r["callback"], "callback");
    assert!(callback.starts_with("http://127.0.0.1:8900/callback?authCode="), "{r}");
    assert!(callback.ends_with("&state=s1"), "{r}");

    let first = &r["code_grant"];
    assert_eq!(first["status"], 200, "{r}");
    let access = text(&first["body"]["accessToken"], "accessToken");
    let refresh = text(&first["body"]["refreshToken"], "refreshToken");
    assert!(access.starts_with("u-"), "{r}");
    assert!(refresh.starts_with("r-"), "{r}");
    assert_eq!(first["body"]["expireIn"], 7200, "{r}");
    assert_eq!(first["body"]["corpId"], DEMO_CORP, "{r}");

    let second = &r["refresh_grant"];
    assert_eq!(second["status"], 200, "{r}");
    let new_access = text(&second["body"]["accessToken"], "refreshed accessToken");
    let new_refresh = text(&second["body"]["refreshToken"], "refreshed refreshToken");
    assert!(new_access.starts_with("u-") && new_access != access, "{r}");
    assert!(new_refresh.starts_with("r-") && new_refresh != refresh, "{r}");
    assert_eq!(second["body"]["expireIn"], 7200, "{r}");
    assert_eq!(second["body"]["corpId"], DEMO_CORP, "{r}");

    assert_eq!(r["bad_secret"]["code"], "invalidClientIdOrSecret", "{r}");
    assert_eq!(r["bad_secret"]["statusCode"], 400, "{r}");
    assert_eq!(r["code_reused"]["code"], "invalid.grant", "{r}");
    assert_eq!(r["code_reused"]["statusCode"], 400, "{r}");
    app.stop().await;
}
