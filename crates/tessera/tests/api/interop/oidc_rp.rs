//! Real relying parties against Tessera: Python `authlib` (its OAuth 2 session with PKCE and
//! its OIDC `CodeIDToken` validating the ID token against the JWKS: signature, iss, aud,
//! nonce, at_hash) and the Rust `openidconnect` crate (discovery, code flow with PKCE and
//! nonce, the ID token through its verifier, UserInfo with the subject checked).

use openidconnect::core::{
    CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::*;
use crate::interop::oidc_support::*;

const AUTHLIB: &[&str] = &["authlib==1.6.5", "requests==2.32.5"];

const AUTHLIB_SCRIPT: &str = r#"
import json, os, sys
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the test server speaks plain HTTP
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

phase, issuer, client_id, secret, redirect = sys.argv[1:6]
meta = requests.get(issuer + "/.well-known/openid-configuration").json()
assert meta["issuer"] == issuer, meta["issuer"]
if phase == "start":
    verifier, nonce = sys.argv[6], sys.argv[7]
    s = OAuth2Session(client_id, secret, scope="openid profile email", redirect_uri=redirect,
                      code_challenge_method="S256")
    url, state = s.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    print(json.dumps({"url": url, "state": state}))
else:
    callback, state, verifier, nonce = sys.argv[6:10]
    s = OAuth2Session(client_id, secret, scope="openid profile email", redirect_uri=redirect,
                      code_challenge_method="S256", state=state)
    token = s.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())
    claims = jwt.decode(token["id_token"], keys, claims_cls=CodeIDToken,
                        claims_options={"iss": {"essential": True, "values": [meta["issuer"]]}},
                        claims_params={"nonce": nonce, "client_id": client_id,
                                       "access_token": token["access_token"]})
    claims.validate(leeway=5)
    info = s.get(meta["userinfo_endpoint"]).json()
    print(json.dumps({"claims": dict(claims), "header": dict(claims.header), "userinfo": info}))
"#;

/// `setup` whose public URL (the issuer) is the test server's own address.
fn at_own_address(mut setup: Setup) -> Setup {
    setup.config.public_url = String::new();
    setup
}

async fn authlib(args: &[&str]) -> Value {
    let python = crate::interop::install::python_venv("authlib", AUTHLIB).await;
    let out = tokio::process::Command::new(&python).arg("-c").arg(AUTHLIB_SCRIPT).args(args).output().await.unwrap();
    assert!(out.status.success(), "authlib failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn authlib_oidc_client_validates_the_id_token_against_the_jwks_and_reads_userinfo() {
    let app = spawn_with(at_own_address(with_oidc_fixture(Setup::sqlite()))).await;
    let issuer = app.base.trim_end_matches('/').to_owned();
    let browser = Browser::new(&app);
    let (verifier, nonce) = ("authlib-verifier-0123456789-abcdefghijklmnopqrstuvwxyz", "authlib-nonce-42");
    let common = [issuer.as_str(), "oidcrp", "oidc-rp-secret", CB];
    let start = authlib(&[&["start"][..], &common, &[verifier, nonce]].concat()).await;
    let done = browser.authorize(start["url"].as_str().unwrap(), "olivia-union", "olivia-password").await;
    let callback = done.location.clone().unwrap();
    assert!(callback.starts_with(CB) && done.location_param("code").is_some(), "{callback}");
    let finish =
        authlib(&[&["finish"][..], &common, &[&callback, start["state"].as_str().unwrap(), verifier, nonce]].concat())
            .await;
    let claims = &finish["claims"];
    assert_eq!(finish["header"]["alg"], "ES256", "the client's registered algorithm");
    assert_eq!((claims["iss"].as_str(), claims["aud"].as_str()), (Some(issuer.as_str()), Some("oidcrp")));
    assert_eq!(claims["nonce"], nonce);
    assert_eq!(claims["sub"], "olivia-union");
    assert_eq!(claims["email"], "olivia@example.com");
    assert!(claims["at_hash"].is_string(), "{claims}");
    assert_eq!(finish["userinfo"]["sub"], claims["sub"], "{finish}");
    assert_eq!(finish["userinfo"]["name"], "Olivia Chen");
    assert_eq!(finish["userinfo"]["email_verified"], true);
}

#[tokio::test]
async fn the_openidconnect_crate_discovers_verifies_the_id_token_and_reads_userinfo() {
    let app = spawn_with(at_own_address(with_oidc_fixture(Setup::sqlite()))).await;
    let browser = Browser::new(&app);
    let http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let issuer = IssuerUrl::new(app.base.trim_end_matches('/').to_owned()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http).await.expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("oidcrp".into()),
        Some(ClientSecret::new("oidc-rp-secret".into())),
    )
    .set_redirect_uri(RedirectUrl::new(CB.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let done = browser.authorize(url.as_str(), "olivia-union", "olivia-password").await;
    assert_eq!(done.location_param("state").as_deref(), Some(csrf.secret().as_str()));
    let code = done.location_param("code").unwrap_or_else(|| panic!("no code in {:?}", done.location));
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("a token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token exchange");
    let id_token = tokens.id_token().expect("an ID token");
    // The client registered ES256; the verifier allows only what it is told.
    let id_verifier = client.id_token_verifier().set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = id_token.claims(&id_verifier, &nonce).expect("the ID token verifies");
    let expected = claims.access_token_hash().expect("at_hash");
    let actual = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(&actual, expected);
    assert_eq!(claims.subject().as_str(), "olivia-union");
    assert_eq!(claims.email().map(|e| e.as_str()), Some("olivia@example.com"));
    // A wrong nonce is refused by the crate's verifier.
    assert!(id_token.claims(&id_verifier, &Nonce::new("another".into())).is_err());
    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().to_owned(), Some(claims.subject().clone()))
        .expect("a userinfo endpoint")
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.email_verified(), Some(true));
}
