//! A small upstream for the gateway tests: echoes what reached it (method, path, headers,
//! body size and digest), counts its connections, and has slow, refusing and streaming paths.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::*;

#[derive(Clone, Default)]
pub struct Seen {
    /// Client ports of the connections the upstream accepted.
    pub connections: Arc<Mutex<HashSet<u16>>>,
    /// How many requests reached it.
    pub requests: Arc<Mutex<usize>>,
}

pub struct Upstream {
    pub base: String,
    pub seen: Seen,
}

async fn echo(State(seen): State<Seen>, ConnectInfo(peer): ConnectInfo<SocketAddr>, req: Request) -> Response {
    seen.connections.lock().unwrap().insert(peer.port());
    *seen.requests.lock().unwrap() += 1;
    let (parts, body) = req.into_parts();
    let headers: BTreeMap<String, String> =
        parts.headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned())).collect();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    axum::Json(json!({
        "method": parts.method.as_str(),
        "uri": parts.uri.to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
    .into_response()
}

/// Reads the whole body as it streams in; answers its size and SHA-256.
async fn upload(State(seen): State<Seen>, req: Request) -> Response {
    *seen.requests.lock().unwrap() += 1;
    let mut body = req.into_body().into_data_stream();
    let (mut size, mut hash) = (0usize, Sha256::new());
    use futures_util::StreamExt;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        size += chunk.len();
        hash.update(&chunk);
    }
    axum::Json(json!({"size": size, "sha256": hex(&hash.finalize())})).into_response()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `i`-th 64 KiB block of the streamed test data.
pub fn block(i: usize) -> Vec<u8> {
    (0..65_536).map(|j| ((i * 31 + j * 7) % 251) as u8).collect()
}

/// `n` blocks of 64 KiB, produced as they are sent.
async fn download(Path(n): Path<usize>) -> Response {
    let stream = futures_util::stream::iter((0..n).map(|i| Ok::<_, std::io::Error>(bytes::Bytes::from(block(i)))));
    Response::new(Body::from_stream(stream))
}

async fn slow() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    "late"
}

async fn forbid() -> Response {
    (
        http::StatusCode::FORBIDDEN,
        [("content-type", "application/json")],
        r#"{"code":"Upstream.Forbidden","message":"the user may not read this"}"#,
    )
        .into_response()
}

/// The identity header `name` the gateway added, for the platform-shaped answers below.
fn identity(req: &Request, name: &str) -> String {
    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("(absent)").to_owned()
}

/// A DingTalk-shaped user: its `nick` is the app the gateway said was calling.
async fn dingtalk_user(State(seen): State<Seen>, Path(union_id): Path<String>, req: Request) -> Response {
    *seen.requests.lock().unwrap() += 1;
    axum::Json(json!({"unionId": union_id, "nick": identity(&req, "x-tessera-client-id")})).into_response()
}

/// A Feishu-shaped sent message: its `message_id` names the app the gateway said was calling.
async fn feishu_message(State(seen): State<Seen>, req: Request) -> Response {
    *seen.requests.lock().unwrap() += 1;
    let id = identity(&req, "x-tessera-client-id");
    axum::Json(json!({"code": 0, "msg": "success",
        "data": {"message_id": format!("om_{id}"), "msg_type": "text", "sender": {"id": id, "sender_type": "app"}}}))
    .into_response()
}

pub async fn start_upstream() -> Upstream {
    let seen = Seen::default();
    let router = Router::new()
        .route("/api/slow", get(slow))
        .route("/api/slow/{dialect}", get(slow))
        .route("/v1.0/contact/users/{union_id}", get(dingtalk_user))
        .route("/open-apis/im/v1/messages", post(feishu_message))
        .route("/api/forbid", get(forbid))
        .route("/api/upload", post(upload))
        .route("/api/download/{n}", get(download))
        .fallback(any(echo))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    Upstream { base, seen }
}

/// A port nothing listens on.
pub async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// A route file: the demo's routes plus routes to `upstream` (`echo`) and to a closed port
/// (`down`), in each dialect.
pub async fn routes_file(upstream: &str) -> PathBuf {
    let down = closed_port().await;
    let text = format!(
        r#"{demo}
[upstreams.echo]
url = "{upstream}"
timeout_ms = 1000

# The same service for large bodies: the timeout runs until the response headers, so it
# covers sending the request body too.
[upstreams.bulk]
url = "{upstream}"
timeout_ms = 120000

[upstreams.down]
url = "http://127.0.0.1:{down}"
connect_timeout_ms = 500

[[routes]]
methods = ["GET", "POST"]
path = "/api/echo/{{item}}"
dialect = "dingtalk"
scopes = ["qyapi_get_member"]
token_kinds = ["app", "corp"]
upstream = "echo"

[[routes]]
method = "PUT"
path = "/api/echo/{{item}}"
dialect = "dingtalk"
scopes = ["qyapi_manage_addresslist"]
token_kinds = ["app", "corp"]
upstream = "echo"

[[routes]]
method = "GET"
path = "/api/feishu/{{item}}"
dialect = "feishu"
scopes = ["qyapi_get_member"]
upstream = "echo"

[[routes]]
method = "GET"
path = "/api/oauth/{{item}}"
dialect = "oauth2"
scopes = ["doc:readonly"]
token_kinds = ["user"]
upstream = "echo"

[[routes]]
method = "GET"
path = "/api/slow"
dialect = "feishu"
upstream = "echo"

[[routes]]
method = "GET"
path = "/api/forbid"
dialect = "dingtalk"
upstream = "echo"

[[routes]]
method = "POST"
path = "/api/upload"
dialect = "dingtalk"
upstream = "bulk"

[[routes]]
method = "GET"
path = "/api/download/{{n}}"
dialect = "dingtalk"
upstream = "bulk"

[[routes]]
method = "GET"
path = "/api/down"
dialect = "dingtalk"
upstream = "down"

[[routes]]
method = "GET"
path = "/api/down/feishu"
dialect = "feishu"
upstream = "down"

[[routes]]
method = "GET"
path = "/api/down/oauth2"
dialect = "oauth2"
upstream = "down"

[[routes]]
method = "GET"
path = "/api/slow/dingtalk"
dialect = "dingtalk"
upstream = "echo"

[[routes]]
method = "GET"
path = "/api/slow/oauth2"
dialect = "oauth2"
upstream = "echo"
"#,
        demo = std::fs::read_to_string(demo_routes_path()).unwrap()
    );
    temp_file("routes.toml", text)
}
