//! The gateway's signed assertion checked by an independent JOSE library (Python jwcrypto,
//! in a virtualenv under the target directory).

use serde_json::Value;

use crate::gateway_proxy::{echoed, proxied_app};
use crate::helpers::*;

/// An upstream verifies the assertion with an independent JOSE library (Python jwcrypto)
/// against the published JWKS.
#[tokio::test]
async fn the_signed_assertion_verifies_with_jwcrypto_against_the_jwks() {
    let (app, _upstream) = proxied_app().await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let r = app.send(app.http.get(app.url("/api/echo/1")).header("x-acs-dingtalk-access-token", &token)).await;
    let assertion = echoed(&r, "x-tessera-assertion").unwrap().to_owned();
    let jwks = app.send(app.http.get(app.url("/.well-known/jwks.json"))).await.text;
    let python = crate::interop::install::python_venv("jwcrypto", &["jwcrypto==1.5.6"]).await;
    let script = r#"
import json, sys
from jwcrypto import jwk, jwt
keys = jwk.JWKSet.from_json(sys.argv[1])
t = jwt.JWT(jwt=sys.argv[2], key=keys, algs=["EdDSA"])
print(t.claims)
"#;
    let out = tokio::process::Command::new(&python).args(["-c", script, &jwks, &assertion]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let claims: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claims["client_id"], "dingdemoapp");
    assert_eq!(claims["corp_id"], DEMO_CORP);
    assert_eq!(claims["token_kind"], "app");
    assert_eq!(claims["aud"], "echo");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 60);
    // A changed payload fails verification.
    let mut parts: Vec<String> = assertion.split('.').map(String::from).collect();
    parts[1] = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, br#"{"client_id":"other"}"#);
    let forged = parts.join(".");
    let out = tokio::process::Command::new(&python).args(["-c", script, &jwks, &forged]).output().await.unwrap();
    assert!(!out.status.success());
}
