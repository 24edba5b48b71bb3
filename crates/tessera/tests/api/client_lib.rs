//! The `tessera-client` library against the real server, through a counting proxy that
//! measures how many token requests actually reach the server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use tessera_client::clock::ManualClock;
use tessera_client::{Client, ClientError, Config, FileStore, MemoryStore, StoreError, TokenStore};

use crate::browser::doc_ids;
use crate::device_flow::decide;
use crate::feishu::{FEISHU_APP, FEISHU_SECRET};
use crate::helpers::*;

/// Requests seen per path (and per `grant_type` at the token endpoint).
#[derive(Clone, Default)]
pub struct Counts(Arc<Mutex<HashMap<String, usize>>>);

impl Counts {
    pub fn get(&self, key: &str) -> usize {
        self.0.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    counts: Counts,
}

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let path = parts.uri.path().to_owned();
    let mut key = path.clone();
    if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        && let Some((_, g)) = pairs.iter().find(|(k, _)| k == "grant_type")
    {
        key = format!("{path} {g}");
    }
    *p.counts.0.lock().unwrap().entry(path).or_default() += 1;
    if key != parts.uri.path() {
        *p.counts.0.lock().unwrap().entry(key).or_default() += 1;
    }
    let url = format!("{}{}", p.upstream, parts.uri.path_and_query().map(|q| q.as_str()).unwrap_or("/"));
    let mut out = p.http.request(parts.method, url).body(body);
    for (name, value) in parts.headers.iter() {
        if name != "host" && name != "content-length" {
            out = out.header(name, value);
        }
    }
    let res = out.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.unwrap();
    let mut response = (status, bytes).into_response();
    if let Some(ct) = headers.get("content-type") {
        response.headers_mut().insert("content-type", ct.clone());
    }
    response
}

/// A proxy in front of `app` that counts requests; returns its base URL.
pub async fn counting_proxy(app: &TestApp) -> (String, Counts) {
    let counts = Counts::default();
    let proxy = Proxy { upstream: app.base.clone(), http: reqwest::Client::new(), counts: counts.clone() };
    let router = axum::Router::new().fallback(forward).with_state(proxy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, counts)
}

fn feishu_client(base: &str, store: Arc<dyn TokenStore>, clock: Arc<ManualClock>) -> Client {
    Client::with_clock(Config::new(base, FEISHU_APP, Some(FEISHU_SECRET.into())), store, clock)
}

/// Authorizes `account` through the device flow: the library starts, the user approves on
/// the verification page, the library polls.
pub async fn authorize(app: &TestApp, client: &Client, account: &str, password: &str, scope: &str) {
    let mut device = client.start_device(scope).await.unwrap();
    let complete = device.verification_uri_complete.replace(&app.setup.config.public_url, "");
    decide(app, &complete, &format!("{account}-union"), password, "approve").await;
    let token = client.poll_device(&mut device, account).await.unwrap().expect("approved");
    assert!(token.access_token.starts_with("u-"));
}

#[tokio::test]
async fn a_hundred_concurrent_callers_make_exactly_one_token_request() {
    let app = spawn_app().await;
    let (base, counts) = counting_proxy(&app).await;
    let clock = Arc::new(ManualClock::at(1_000_000));
    let client = feishu_client(&base, Arc::new(MemoryStore::default()), clock.clone());

    let round = |client: Client| async move {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                tokio::spawn({
                    let c = client.clone();
                    async move { c.app_token().await.unwrap() }
                })
            })
            .collect();
        let mut tokens = Vec::new();
        for t in tasks {
            tokens.push(t.await.unwrap());
        }
        tokens
    };
    let first = round(client.clone()).await;
    assert!(first.iter().all(|t| t == &first[0] && t.starts_with("t-")));
    assert_eq!(counts.get("/oauth2/token client_credentials"), 1, "100 callers, one request");

    // Still fresh: no request at all.
    clock.advance(7200 - 300 - 1);
    round(client.clone()).await;
    assert_eq!(counts.get("/oauth2/token"), 1);
    // Within the refresh margin: again exactly one request for 100 callers.
    clock.advance(1);
    round(client.clone()).await;
    assert_eq!(counts.get("/oauth2/token"), 2);

    // The token works for the app's calls.
    let user = client.get_as_app("/v1.0/contact/users/alice").await.unwrap();
    assert_eq!(user["unionId"], "alice-union");
    assert_eq!(counts.get("/oauth2/token"), 2);
}

#[tokio::test]
async fn two_users_never_cross_and_a_refresh_is_one_request_under_the_users_lock() {
    let app = spawn_app().await;
    let (base, counts) = counting_proxy(&app).await;
    let clock = Arc::new(ManualClock::at(1_000_000));
    let tmp = temp_dir();
    let dir = tmp.join("tokens");
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::open(&dir).unwrap());
    let client = feishu_client(&base, store.clone(), clock.clone());
    let scope = "doc:readonly Contact.User.Read offline_access";
    authorize(&app, &client, "alice", "alice-password", scope).await;
    authorize(&app, &client, "bob", "bob-password", scope).await;

    let me = |account: &'static str| {
        let c = client.clone();
        async move { c.get_as_user(account, "/v1.0/contact/users/me").await.unwrap() }
    };
    assert_eq!(me("alice").await["unionId"], "alice-union");
    assert_eq!(me("bob").await["unionId"], "bob-union");
    let docs = |account: &'static str| {
        let c = client.clone();
        async move { c.get_as_user(account, "/v1.0/doc/documents").await.unwrap() }
    };
    let reply =
        |body: serde_json::Value| Reply { status: 200, headers: Default::default(), text: body.to_string(), body };
    assert_eq!(doc_ids(&reply(docs("alice").await)), [1, 2]);
    assert_eq!(doc_ids(&reply(docs("bob").await)), [1, 3]);

    // Alice's token expires: 20 concurrent callers, one refresh, the rotated token saved.
    let before = store.load(FEISHU_APP, "alice").await.unwrap().unwrap();
    let bob_before = store.load(FEISHU_APP, "bob").await.unwrap().unwrap();
    clock.advance(7200);
    let refreshes_before = counts.get("/oauth2/token refresh_token");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.user_token("alice").await.unwrap() })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap());
    }
    assert_eq!(counts.get("/oauth2/token refresh_token") - refreshes_before, 1, "one refresh for 20 callers");
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    let after = store.load(FEISHU_APP, "alice").await.unwrap().unwrap();
    assert_eq!(after.access_token, tokens[0]);
    assert_ne!(after.access_token, before.access_token);
    assert_ne!(after.refresh_token, before.refresh_token, "the rotated refresh token is saved");
    // A single-use refresh token used twice would have revoked the family: Alice still works.
    assert_eq!(me("alice").await["unionId"], "alice-union");
    // Bob untouched.
    assert_eq!(store.load(FEISHU_APP, "bob").await.unwrap().unwrap(), bob_before);

    // Logout revokes on the server and deletes locally.
    let bob_token = bob_before.access_token.clone();
    client.logout("bob").await.unwrap();
    assert!(store.load(FEISHU_APP, "bob").await.unwrap().is_none());
    let r = app.send(app.http.get(app.url("/open-apis/authen/v1/user_info")).bearer_auth(&bob_token)).await;
    assert_eq!(r.body["code"], 99991668, "{}", r.text);
    assert!(matches!(client.user_token("bob").await, Err(ClientError::NeedAuthorization { .. })));

    // A tampered store file: a clear error, no token handed out.
    let path = FileStore::open(&dir).unwrap().path_of(FEISHU_APP, "alice");
    let mut raw = std::fs::read(&path).unwrap();
    raw[20] ^= 0x40;
    std::fs::write(&path, raw).unwrap();
    let err = client.user_token("alice").await.unwrap_err();
    assert!(matches!(err, ClientError::Store(StoreError::Tampered { .. })), "{err:?}");
    assert!(err.to_string().contains("failed authentication"), "{err}");
    assert!(!err.to_string().contains("u-"), "no token in the message");
}

#[tokio::test]
async fn refused_calls_carry_the_missing_scopes_in_both_dialects() {
    let app = spawn_app().await;
    let client =
        Client::new(Config::new(&app.base, "dingbasic", Some("basic-secret".into())), Arc::new(MemoryStore::default()));
    for path in ["/v1.0/contact/users/alice", "/open-apis/contact/v3/users/alice?user_id_type=user_id"] {
        match client.get_as_app(path).await {
            Err(ClientError::MissingScopes { scopes, user_grant, .. }) => {
                assert_eq!(scopes, ["qyapi_get_member"], "{path}");
                assert!(!user_grant);
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    // A user who did not grant a scope: the user must authorize again (99991679).
    let bot =
        Client::new(Config::new(&app.base, FEISHU_APP, Some(FEISHU_SECRET.into())), Arc::new(MemoryStore::default()));
    authorize(&app, &bot, "alice", "alice-password", "doc:readonly").await;
    let token = bot.user_token("alice").await.unwrap();
    let r = app
        .send(
            app.http.post(app.url("/open-apis/im/v1/messages?receive_id_type=open_id")).bearer_auth(&token).json(
                &serde_json::json!({"receive_id": "bob-union", "msg_type": "text", "content": "{\"text\":\"x\"}"}),
            ),
        )
        .await;
    match tessera_client::error::from_response(r.status, &r.body) {
        ClientError::MissingScopes { scopes, user_grant, code } => {
            assert_eq!(scopes, ["im:message:send_as"]);
            assert!(user_grant);
            assert_eq!(code, "99991679");
        }
        other => panic!("{other:?}"),
    }
}
