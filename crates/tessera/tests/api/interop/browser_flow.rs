//! The sign-in, consent and account pages in real headless Chromium (Debian's `chromium`,
//! driven by `playwright-core`; both installed by this test's setup on first run).

use std::path::{Path, PathBuf};

use serde_json::Value;
use tessera_core::pkce;

use crate::browser::*;
use crate::helpers::*;

const PLAYWRIGHT: &str = "playwright-core@1.65.1";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Chromium and a CJK font from Debian, playwright-core from npm, installed once.
pub async fn setup() -> PathBuf {
    crate::interop::install::debian_packages(&["chromium", "fonts-noto-cjk"]).await;
    crate::interop::install::npm_packages("browser-node", &[PLAYWRIGHT]).await
}

#[tokio::test]
async fn a_person_signs_in_consents_and_withdraws_in_a_real_browser() {
    let node_modules = setup().await;
    let app = spawn_app().await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let path = format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope={}&state=b1&code_challenge={}&code_challenge_method=S256",
        urlencode("http://127.0.0.1:8900/callback"),
        urlencode("openid Contact.User.Read doc:readonly"),
        pkce::s256(VERIFIER)
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/consent_flow.cjs");
    let out = tokio::process::Command::new("node")
        .arg(&script)
        .args([app.base.as_str(), path.as_str(), shots.to_str().unwrap()])
        .env("NODE_PATH", &node_modules)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(r.get("error").is_none(), "{r}");
    assert_eq!(r["problems"], serde_json::json!([]), "console errors or CSP violations: {r}");
    assert_eq!(r["loginTitle"], "Sign in · Tessera");
    let consent = r["consentText"].as_str().unwrap();
    for text in ["Demo internal app", "Read a user's personal contact information", "Read documents", "Allow", "Deny"] {
        assert!(consent.contains(text), "{text} not on the consent page: {consent}");
    }
    // The browser really reached the app's callback with a code that works.
    let callback = r["callback"].as_str().unwrap();
    let query: Vec<(String, String)> = serde_urlencoded::from_str(callback.split_once('?').unwrap().1).unwrap();
    let code = &query.iter().find(|(k, _)| k == "code").unwrap().1;
    assert!(query.iter().any(|(k, v)| k == "state" && v == "b1"));
    let second = r["secondCallback"].as_str().unwrap();
    assert!(second.contains("code=ac-") && second.contains("state=b1"), "{second}");
    assert!(r["accountText"].as_str().unwrap().contains("Demo internal app"), "{r}");
    assert!(r["afterWithdrawText"].as_str().unwrap().contains("not authorized any app"), "{r}");
    // Withdrawn in the browser: the codes it issued before can no longer become tokens.
    assert_oauth_error(&exchange(&app, code, Some(VERIFIER)).await, 400, "invalid_grant");
    for shot in ["login.png", "consent.png", "account.png"] {
        assert!(shots.join(shot).metadata().unwrap().len() > 1000, "{shot} was not taken");
    }
}
