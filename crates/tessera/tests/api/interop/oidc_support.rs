//! Shared pieces of the OpenID Connect tests: a fixture with OIDC apps and a user with
//! profile claims, the code flow with PKCE and nonce, and verification of JWTs by an
//! independent JOSE library (Python jwcrypto) against the served JWKS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tessera_core::pkce;

use crate::browser::*;
use crate::helpers::*;

pub const CB: &str = "http://127.0.0.1:8900/cb";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Appended to the demo fixture.
pub const OIDC_FIXTURE: &str = r#"
[[users]]
union_id = "olivia-union"
name = "Olivia Chen"
password = "olivia-password"
memberships = [{ corp_id = "dingdemo", user_id = "olivia" }]
nickname = "Liv"
picture = "https://img.example.com/olivia.png"
email = "olivia@example.com"
email_verified = true
phone_number = "+86 138 0000 0000"

[[apps]]
client_id = "oidcrp"
client_secret = "oidc-rp-secret"
name = "OIDC relying party"
kind = "internal"
owner_corp_id = "dingdemo"
redirect_uris = ["http://127.0.0.1:8900/cb"]
id_token_signed_response_alg = "ES256"
post_logout_redirect_uris = ["http://127.0.0.1:8900/bye"]

[[apps]]
client_id = "oidcpairwise"
client_secret = "oidc-pairwise-secret"
name = "OIDC pairwise app"
kind = "internal"
owner_corp_id = "dingdemo"
redirect_uris = ["http://127.0.0.1:8900/cb"]
id_token_signed_response_alg = "EdDSA"
subject_type = "pairwise"

[[apps]]
client_id = "jwtapp"
client_secret = "jwt-app-secret"
name = "JWT access token app"
kind = "internal"
owner_corp_id = "dingdemo"
enabled_scopes = ["qyapi_get_member"]
redirect_uris = ["http://127.0.0.1:8900/cb"]
access_token_format = "jwt"
id_token_signed_response_alg = "EdDSA"
resources = ["https://api.example.com/contacts", "https://files.example.com/"]

[[apps]]
client_id = "jwtes"
client_secret = "jwt-es-secret"
name = "JWT access token app (ES256)"
kind = "internal"
owner_corp_id = "dingdemo"
access_token_format = "jwt"
id_token_signed_response_alg = "ES256"

[[installations]]
client_id = "jwtapp"
corp_id = "dingdemo"

[[installations]]
client_id = "jwtes"
corp_id = "dingdemo"
"#;

/// `setup` with the demo fixture and [`OIDC_FIXTURE`].
pub fn with_oidc_fixture(mut setup: Setup) -> Setup {
    let demo = std::fs::read_to_string(demo_fixture_path()).unwrap();
    setup.fixture = setup.data_dir.join("oidc-fixture.toml");
    std::fs::write(&setup.fixture, format!("{demo}\n{OIDC_FIXTURE}")).unwrap();
    setup
}

pub fn secret_of(client: &str) -> &'static str {
    match client {
        "oidcrp" => "oidc-rp-secret",
        "oidcpairwise" => "oidc-pairwise-secret",
        "dingdemoapp" => "demo-secret",
        "jwtapp" => "jwt-app-secret",
        other => panic!("no secret for {other}"),
    }
}

/// An authorization request of `client` with PKCE, state `st` and `extra` (already encoded).
pub fn auth_path(client: &str, scope: &str, extra: &str) -> String {
    let cb = if client == "dingdemoapp" { "http://127.0.0.1:8900/callback" } else { CB };
    format!(
        "/oauth2/authorize?response_type=code&client_id={client}&redirect_uri={}&scope={}&state=st&code_challenge={}&code_challenge_method=S256{extra}",
        urlencode(cb),
        urlencode(scope),
        pkce::s256(VERIFIER)
    )
}

/// Runs the code flow as `account` and exchanges the code: the token response.
pub async fn code_flow(app: &TestApp, browser: &Browser, client: &str, scope: &str, extra: &str) -> Reply {
    let (account, password) = ("olivia-union", "olivia-password");
    let done = browser.authorize(&auth_path(client, scope, extra), account, password).await;
    let code = done.location_param("code").unwrap_or_else(|| panic!("no code in {:?}", done.location));
    exchange_code(app, client, &code).await
}

pub async fn exchange_code(app: &TestApp, client: &str, code: &str) -> Reply {
    let cb = if client == "dingdemoapp" { "http://127.0.0.1:8900/callback" } else { CB };
    let form =
        [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", cb), ("code_verifier", VERIFIER)];
    app.oauth_token(&form, Some((client, secret_of(client)))).await
}

fn part(jwt: &str, i: usize) -> Value {
    let p = jwt.split('.').nth(i).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

pub fn jwt_header(jwt: &str) -> Value {
    part(jwt, 0)
}

/// The claims of a JWT, unverified (tests verify separately with [`verify`]).
pub fn jwt_claims(jwt: &str) -> Value {
    part(jwt, 1)
}

pub async fn jwks(app: &TestApp) -> Value {
    let r = app.send(app.http.get(app.url("/.well-known/jwks.json"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

/// Verifies `jwt` with jwcrypto against `jwks` allowing only `alg`: its claims, or the error.
pub async fn verify(jwks: &Value, jwt: &str, alg: &str) -> Result<Value, String> {
    let python = crate::interop::install::python_venv("jwcrypto", &["jwcrypto==1.5.6"]).await;
    let script = r#"
import json, sys
from jwcrypto import jwk, jwt
keys = jwk.JWKSet.from_json(sys.argv[1])
t = jwt.JWT(jwt=sys.argv[2], key=keys, algs=[sys.argv[3]])
print(t.claims)
"#;
    let out =
        tokio::process::Command::new(&python).args(["-c", script, &jwks.to_string(), jwt, alg]).output().await.unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// OIDC Core §3.1.3.6 `at_hash`, computed independently of the server.
pub fn at_hash(access_token: &str) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(&sha2::Sha256::digest(access_token.as_bytes())[..16])
}
