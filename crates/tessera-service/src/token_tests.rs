//! The one token entry point, in process with the fake clock: each grant, each typed cause.

use std::sync::Arc;

use tessera_core::fixture::Fixture;
use tessera_core::ids::{ScopeCode, UnionId};
use tessera_core::pkce;
use tessera_core::secret::{Secret, SecretKey};
use tessera_core::time::FakeClock;
use tessera_core::token::TokenKind;
use tessera_store::Database;
use tessera_store_sqlite::SqliteStore;

use crate::authorize::AuthorizationRequest;
use crate::device::DeviceClientAuth;
use crate::token_request::{AdminConsentCode, AppTokens, Pkce};
use crate::{
    ClientAuth, ClientProof, DialectRules, Grant, GrantError, ServiceConfig, Tessera, TokenAnswer, TokenRequest,
};

const REDIRECT: &str = "http://127.0.0.1:8900/callback";
const VERIFIER: &str = "a-long-enough-verifier-for-pkce-tests-0123456789";

struct Env {
    service: Tessera,
    clock: Arc<FakeClock>,
}

async fn env() -> Env {
    let db: Arc<dyn Database> = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
    let clock = Arc::new(FakeClock::at(1_000_000));
    let service = Tessera::new(db, clock.clone(), SecretKey::from_bytes([9; 32]), ServiceConfig::default());
    let fixture: Fixture = toml::from_str(include_str!("../../../demo/fixture.toml")).unwrap();
    service.load_fixture(&fixture).await.unwrap();
    Env { service, clock }
}

fn creds(client_id: &str, secret: Option<&str>) -> ClientProof {
    ClientProof::Credentials(ClientAuth { client_id: client_id.into(), secret: secret.map(Secret::new) })
}

fn demo() -> ClientProof {
    creds("dingdemoapp", Some("demo-secret"))
}

fn scopes(s: &str) -> Vec<ScopeCode> {
    s.split(' ').map(|c| ScopeCode::parse(c).unwrap()).collect()
}

async fn ask(env: &Env, client: ClientProof, grant: Grant, rules: DialectRules) -> Result<TokenAnswer, GrantError> {
    env.service.token(TokenRequest::new(client, grant, rules)).await
}

fn cc(corp_id: Option<&str>, scope: Option<&str>) -> Grant {
    Grant::ClientCredentials { corp_id: corp_id.map(String::from), scopes: scope.map(scopes) }
}

/// A code alice approved for dingdemoapp, with a PKCE challenge when `challenge`.
async fn code(env: &Env, challenge: bool) -> String {
    let req = AuthorizationRequest {
        client_id: Some("dingdemoapp".into()),
        redirect_uri: Some(REDIRECT.into()),
        response_type: Some("code".into()),
        scope: Some("openid Contact.User.Read".into()),
        code_challenge: challenge.then(|| pkce::s256(VERIFIER)),
        code_challenge_method: challenge.then(|| "S256".into()),
        ..AuthorizationRequest::default()
    };
    let valid = env.service.validate_authorization(&req).await.unwrap();
    let alice = tessera_core::session::Session {
        hash: tessera_core::secret::SecretHash::from_hex(&"0".repeat(64)).unwrap(),
        union_id: UnionId::parse("alice-union").unwrap(),
        created_at: tessera_core::time::UnixTime(0),
        expires_at: tessera_core::time::UnixTime(i64::MAX),
    };
    env.service.approve(&alice, &valid).await.unwrap().expose().to_owned()
}

fn exchange(code: &str, redirect: Option<&str>, verifier: Option<&str>) -> Grant {
    Grant::AuthorizationCode {
        code: code.into(),
        redirect_uri: redirect.map(String::from),
        code_verifier: verifier.map(String::from),
    }
}

fn refresh(token: &str, scope: Option<&str>) -> Grant {
    Grant::RefreshToken { refresh_token: token.into(), scopes: scope.map(scopes) }
}

async fn user_pair(env: &Env) -> crate::UserTokenPair {
    let c = code(env, false).await;
    ask(env, demo(), exchange(&c, Some(REDIRECT), None), DialectRules::default()).await.unwrap().into_user().unwrap()
}

#[tokio::test]
async fn client_credentials_answers_app_and_corp_tokens_limited_to_the_asked_scopes() {
    let env = env().await;
    let rules = DialectRules::default();
    match ask(&env, demo(), cc(None, Some("qyapi_get_member")), rules).await.unwrap() {
        TokenAnswer::App { token, scopes: Some(s) } => {
            assert_eq!((token.kind, token.corp_id.as_str()), (TokenKind::App, "dingdemo"));
            assert_eq!(s, scopes("qyapi_get_member"));
        }
        other => panic!("{other:?}"),
    }
    let corp = ask(&env, creds("suitedemo", Some("suite-secret")), cc(Some("dingdemo"), None), rules).await.unwrap();
    assert_eq!(corp.into_app_token().unwrap().kind, TokenKind::Corp);
}

/// A request and the test its refusal must pass.
type Case = (ClientProof, Grant, DialectRules, fn(&GrantError) -> bool);

#[tokio::test]
async fn client_credentials_refusals_name_their_cause() {
    let env = env().await;
    let any = DialectRules::default();
    let internal = DialectRules { app_tokens: AppTokens::InternalOnly, ..any };
    let suite = || creds("suitedemo", Some("suite-secret"));
    let cases: Vec<Case> = vec![
        (creds("dingdemoapp", None), cc(None, None), any, |e| matches!(e, GrantError::SecretRequired)),
        (creds("dingdemoapp", Some("wrong")), cc(None, None), any, |e| matches!(e, GrantError::WrongSecret)),
        (creds("nobody", Some("x")), cc(None, None), any, |e| matches!(e, GrantError::UnknownClient)),
        (suite(), cc(Some("dingdemo"), None), internal, |e| matches!(e, GrantError::NotInternal)),
        (suite(), cc(None, None), any, |e| matches!(e, GrantError::OrgRequired { .. })),
        (suite(), cc(Some("nowhere"), None), any, |e| matches!(e, GrantError::NotInstalled { .. })),
        (suite(), cc(Some("bad org!"), None), any, |e| matches!(e, GrantError::UnknownOrg { .. })),
        (demo(), cc(Some("dingother"), None), any, |e| matches!(e, GrantError::ForeignOrg { .. })),
        (creds("dingpersonal", Some("personal-secret")), cc(None, None), any, |e| {
            matches!(e, GrantError::PersonalApp { .. })
        }),
        (
            creds("dingreadonly", Some("readonly-secret")),
            cc(None, Some("qyapi_manage_addresslist")),
            any,
            |e| matches!(e, GrantError::ScopesNotHeld { missing, .. } if missing.len() == 1),
        ),
        (ClientProof::AppToken("t-nope".into()), cc(None, None), any, |e| matches!(e, GrantError::InvalidAppToken)),
    ];
    for (i, (client, grant, rules, expected)) in cases.into_iter().enumerate() {
        let got = ask(&env, client, grant, rules).await.unwrap_err();
        assert!(expected(&got), "case {i}: {got:?}");
    }
}

#[tokio::test]
async fn a_code_gives_a_user_token_once_and_every_check_has_its_cause() {
    let env = env().await;
    let rules = DialectRules::default();
    let c = code(&env, true).await;
    let refused = |r: Result<TokenAnswer, GrantError>| r.unwrap_err();
    let readonly = creds("dingreadonly", Some("readonly-secret"));
    assert!(matches!(refused(ask(&env, readonly, exchange(&c, None, None), rules).await), GrantError::CodeOtherClient));
    let wrong_uri = exchange(&c, Some("http://127.0.0.1:8900/other"), Some(VERIFIER));
    assert!(matches!(refused(ask(&env, demo(), wrong_uri, rules).await), GrantError::CodeRedirectMismatch));
    let no_verifier = exchange(&c, Some(REDIRECT), None);
    assert!(matches!(refused(ask(&env, demo(), no_verifier, rules).await), GrantError::CodeVerifierMissing));
    let bad_verifier = exchange(&c, Some(REDIRECT), Some("another-verifier-that-is-long-enough-0123456789"));
    assert!(matches!(refused(ask(&env, demo(), bad_verifier, rules).await), GrantError::CodeVerifierMismatch));
    // Every refusal above left the code usable.
    let ok = ask(&env, demo(), exchange(&c, Some(REDIRECT), Some(VERIFIER)), rules).await.unwrap();
    let pair = ok.into_user().unwrap();
    assert_eq!(pair.scopes, scopes("openid Contact.User.Read"));
    let again = exchange(&c, Some(REDIRECT), Some(VERIFIER));
    assert!(matches!(refused(ask(&env, demo(), again, rules).await), GrantError::CodeReplayed));
    let unknown = exchange("ac-nope", None, None);
    assert!(matches!(refused(ask(&env, demo(), unknown, rules).await), GrantError::CodeUnknown));
    // Strict PKCE: a verifier for a code asked without a challenge.
    let plain = code(&env, false).await;
    let strict = DialectRules { pkce: Pkce::Strict, ..rules };
    let stray = exchange(&plain, Some(REDIRECT), Some(VERIFIER));
    assert!(matches!(refused(ask(&env, demo(), stray, strict).await), GrantError::CodeVerifierUnexpected));
    // Lenient (RFC 7636) ignores it; an org-token rule does not change a user code.
    let lenient = DialectRules { admin_consent_code: AdminConsentCode::OrgToken, ..rules };
    let stray = exchange(&plain, Some(REDIRECT), Some(VERIFIER));
    assert!(ask(&env, demo(), stray, lenient).await.unwrap().into_user().is_some());
    // Codes live five minutes.
    let late = code(&env, false).await;
    env.clock.advance(301);
    let late = exchange(&late, Some(REDIRECT), None);
    assert!(matches!(refused(ask(&env, demo(), late, rules).await), GrantError::CodeExpired));
}

#[tokio::test]
async fn a_refresh_rotates_and_each_refusal_has_its_cause() {
    let env = env().await;
    let rules = DialectRules::default();
    let pair = user_pair(&env).await;
    let first = pair.refresh_token.expose().to_owned();
    let readonly = creds("dingreadonly", Some("readonly-secret"));
    let refused = |r: Result<TokenAnswer, GrantError>| r.unwrap_err();
    assert!(matches!(refused(ask(&env, readonly, refresh(&first, None), rules).await), GrantError::RefreshOtherClient));
    let wider = refresh(&first, Some("openid doc:readonly"));
    assert!(
        matches!(refused(ask(&env, demo(), wider, rules).await), GrantError::ScopeNotGranted(extra) if extra == scopes("doc:readonly"))
    );
    let unknown = refresh("r-nope", None);
    assert!(matches!(refused(ask(&env, demo(), unknown, rules).await), GrantError::RefreshUnknown));
    // Narrowing is allowed; the token rotates.
    let next = ask(&env, demo(), refresh(&first, Some("openid")), rules).await.unwrap().into_user().unwrap();
    assert_eq!(next.scopes, scopes("openid"));
    let second = next.refresh_token.expose().to_owned();
    assert_ne!(second, first);
    // The consumed one again: consumed (and the family is revoked); its unused successor: revoked.
    assert!(matches!(refused(ask(&env, demo(), refresh(&first, None), rules).await), GrantError::RefreshConsumed));
    assert!(matches!(refused(ask(&env, demo(), refresh(&second, None), rules).await), GrantError::RefreshRevoked));
    // Refresh tokens expire.
    let old = user_pair(&env).await;
    env.clock.advance(env.service.config().user_tokens.refresh_ttl);
    let expired = refresh(old.refresh_token.expose(), None);
    assert!(matches!(refused(ask(&env, demo(), expired, rules).await), GrantError::RefreshExpired));
}

#[tokio::test]
async fn a_device_code_is_polled_through_the_same_entry_point() {
    let env = env().await;
    let rules = DialectRules::default();
    let started = env
        .service
        .start_device("dingcli", None, Some("Contact.User.Read"), "127.0.0.1", DeviceClientAuth::Required)
        .await
        .unwrap();
    let poll = |code: &str| Grant::DeviceCode { device_code: code.into() };
    let cli = || creds("dingcli", None);
    let pending = ask(&env, cli(), poll(started.device_code.expose()), rules).await.unwrap_err();
    assert!(matches!(pending, GrantError::Device(tessera_core::device::DevicePollError::AuthorizationPending)));
    let unknown = ask(&env, cli(), poll("dc-nope"), rules).await.unwrap_err();
    assert!(matches!(unknown, GrantError::Device(tessera_core::device::DevicePollError::InvalidGrant)));
    // A confidential client without its secret never reaches the grant.
    let missing = ask(&env, creds("dingdemoapp", None), poll(started.device_code.expose()), rules).await.unwrap_err();
    assert!(matches!(missing, GrantError::SecretMissing));
}
