//! `spawn_app()`: the real server on port 0 with a fresh database, and a `TestApp` with one
//! method per endpoint the tests call.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use tessera_core::time::{Clock, FakeClock};
use tessera_service::ServiceConfig;
use tessera_service::clock::SystemClock;
use tessera_service::ticket_push;

pub const DEMO_CORP: &str = "dingdemo";
pub const OTHER_CORP: &str = "dingother";

pub fn demo_fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../demo/fixture.toml")
}

pub fn demo_routes_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../demo/routes.toml")
}

/// A fresh directory, removed with all it holds when the guard is dropped: at the end of the
/// test that holds it, passed or failed. It reads as a `Path`; keep it in a variable while it
/// is used (`temp_dir().join(..)` alone is gone at the end of its statement).
pub fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("tessera-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(Some(dir))
}

/// See [`temp_dir`].
#[derive(Debug)]
#[must_use = "the directory is removed when this guard is dropped"]
pub struct TempDir(Option<PathBuf>);

impl TempDir {
    /// The path, and the directory left in place after the guard (for a process that outlives
    /// the test's scope).
    pub fn keep(mut self) -> PathBuf {
        self.0.take().unwrap_or_default()
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        self
    }
}

impl AsRef<std::ffi::OsStr> for TempDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A file holding `contents` in a directory of its own, for a test to pass by path (routes,
/// fixtures). The file is small and read at start; it is left in the temporary directory.
pub fn temp_file(name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = temp_dir().keep().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Whether a test of this name belongs to the interop tier (README, "Test tiers"): it lives
/// under `interop::` or its name ends in `_postgres`.
pub fn in_interop_tier(test: &str) -> bool {
    test.starts_with("interop::") || test.ends_with("_postgres")
}

/// Refuses to go on unless the running test is in the interop tier, so that a test needing
/// `what` cannot land in the fast tier by accident. The test harness names each test's
/// thread after the test.
pub fn interop_only(what: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or_default();
    assert!(
        in_interop_tier(test),
        "{test} needs {what}, so it belongs to the interop tier: move it under tests/api/interop/ \
         or, for the PostgreSQL twin of a SQLite test, end its name in _postgres (README, \"Test tiers\")"
    );
}

pub fn postgres_url() -> String {
    interop_only("PostgreSQL");
    std::env::var("TESSERA_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn redis_url() -> String {
    interop_only("Redis");
    std::env::var("TESSERA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The operator token of test servers.
pub const OPERATOR: &str = "operator-token-for-tests";

/// The test servers' configuration: the operator token, and suite tickets issued when the
/// test runs a round ([`TestApp::ticket_round`]), not on a real timer.
fn config() -> ServiceConfig {
    ServiceConfig {
        operator_token: Some(tessera_core::secret::Secret::new(OPERATOR)),
        suite_ticket_timer: false,
        // The cheapest cost the server accepts: every test server hashes the demo users'
        // passwords at start, and at the default cost that was a fifth of the suite's CPU.
        password_memory_kib: tessera_service::password::MIN_MEMORY_KIB,
        ..ServiceConfig::default()
    }
}

/// Where the server keeps its state.
#[derive(Clone)]
pub struct Setup {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub clock: Option<Arc<FakeClock>>,
    pub config: ServiceConfig,
    /// The gateway's route file (default: the demo's).
    pub routes: PathBuf,
    /// Share rate-limit counts through the test Redis under this key prefix.
    pub redis_prefix: Option<String>,
    /// The fixture loaded at start (the demo one unless a test says otherwise).
    pub fixture: PathBuf,
    /// Timeouts and caps of the HTTP server.
    pub limits: tessera::boot::Limits,
    /// Removes the data directory and the PostgreSQL database when the last copy of this
    /// setup is dropped.
    pub _scratch: Arc<Scratch>,
}

/// What a test server leaves behind: its data directory and, on PostgreSQL, its database.
pub struct Scratch {
    _dir: TempDir,
    database: Option<TestDatabase>,
}

/// A `tessera_test_*` database, dropped (its connections ended) with the guard.
struct TestDatabase {
    admin_url: String,
    name: String,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(db) = &self.database {
            let _ = std::process::Command::new("psql")
                .args([&db.admin_url, "-q", "-c", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db.name)])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

impl Setup {
    pub fn sqlite() -> Self {
        let dir = temp_dir();
        let database_url = format!("sqlite://{}", dir.join("tessera.db").display());
        Setup {
            data_dir: dir.to_path_buf(),
            _scratch: Arc::new(Scratch { _dir: dir, database: None }),
            database_url,
            clock: None,
            config: config(),
            routes: demo_routes_path(),
            redis_prefix: None,
            fixture: demo_fixture_path(),
            limits: Default::default(),
        }
    }

    /// A fresh PostgreSQL database for this test.
    pub async fn postgres() -> Self {
        let admin_url = postgres_url();
        let name = format!("tessera_test_{}", uuid::Uuid::new_v4().simple());
        let status = tokio::process::Command::new("psql")
            .args([&admin_url, "-q", "-c", &format!("CREATE DATABASE {name}")])
            .status()
            .await
            .expect("psql must be installed for the PostgreSQL tests");
        assert!(status.success(), "PostgreSQL at {admin_url} is required for these tests");
        let base = admin_url.rsplit_once('/').unwrap().0;
        let dir = temp_dir();
        Setup {
            data_dir: dir.to_path_buf(),
            database_url: format!("{base}/{name}"),
            _scratch: Arc::new(Scratch {
                _dir: dir,
                database: Some(TestDatabase { admin_url: admin_url.clone(), name }),
            }),
            clock: None,
            config: config(),
            routes: demo_routes_path(),
            redis_prefix: None,
            fixture: demo_fixture_path(),
            limits: Default::default(),
        }
    }

    pub fn with_redis(mut self, prefix: &str) -> Self {
        self.redis_prefix = Some(prefix.to_owned());
        self
    }

    pub fn with_routes(mut self, routes: PathBuf) -> Self {
        self.routes = routes;
        self
    }

    pub fn with_fake_clock(mut self, t: i64) -> Self {
        self.clock = Some(Arc::new(FakeClock::at(t)));
        self
    }
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub setup: Setup,
    /// Secrets the fixture generated (suites without a `client_secret`), by client id.
    pub generated_secrets: std::collections::HashMap<String, String>,
    /// The service behind the server (`None` for a server in another process).
    service: Option<tessera_service::Tessera>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// The server with the demo fixture on a fresh SQLite database.
pub async fn spawn_app() -> TestApp {
    spawn_with(Setup::sqlite()).await
}

pub async fn spawn_with(mut setup: Setup) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    if setup.config.public_url.is_empty() {
        // The server's own address as its public URL (relying parties follow discovery).
        setup.config.public_url = base.clone();
    }
    let store = tessera::backend::open_store(&setup.database_url).await.unwrap();
    let key = tessera::key::load_or_create(&setup.data_dir).unwrap();
    let clock: Arc<dyn Clock> = match &setup.clock {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let fixture = tessera::boot::read_fixture(&setup.fixture).unwrap();
    let (tessera, report) =
        tessera::boot::service(store, clock, key, setup.config.clone(), Some(&fixture)).await.unwrap();
    let generated_secrets = report
        .map(|r| r.generated_secrets.into_iter().map(|(id, s)| (id.to_string(), s.expose().to_owned())).collect())
        .unwrap_or_default();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let redis = setup.redis_prefix.as_ref().map(|_| redis_url());
    let limiter =
        tessera::boot::rate_limiter(redis.as_deref(), setup.redis_prefix.as_deref().unwrap_or_default()).await.unwrap();
    let gateway = tessera::boot::gateway_with(&tessera, Some(&setup.routes), limiter).await.unwrap();
    let service = tessera.clone();
    if !setup.config.suite_ticket_timer {
        // `serve` issues the first tickets as it starts; so does the test server.
        ticket_push::round_at(&service, service.callback_client(), service.now()).await.unwrap();
    }
    let server = tokio::spawn(tessera::boot::run_with(listener, tessera, gateway, setup.limits.clone(), async {
        let _ = rx.await;
    }));
    TestApp {
        base,
        http: reqwest::Client::new(),
        setup,
        generated_secrets,
        service: Some(service),
        shutdown: Some(tx),
        server: Some(server),
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    async fn from(res: reqwest::Response) -> Reply {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, body, text }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn str(&self, key: &str) -> &str {
        self.body[key].as_str().unwrap_or_else(|| panic!("no string {key} in {}", self.text))
    }
}

impl TestApp {
    /// A handle on a server running elsewhere (another process), for the request helpers.
    pub fn remote(base: &str, setup: Setup) -> TestApp {
        TestApp {
            base: base.to_owned(),
            http: reqwest::Client::new(),
            setup,
            generated_secrets: Default::default(),
            service: None,
            shutdown: None,
            server: None,
        }
    }

    /// Runs one round of the suite-ticket schedule at the server's (fake) time, as `serve`
    /// does on its timer, and waits for the round's pushes to end; returns how each ended.
    pub async fn ticket_round(&self) -> Vec<ticket_push::Outcome> {
        let service = self.service.as_ref().expect("ticket rounds run on an in-process server");
        let round = ticket_push::round_at(service, service.callback_client(), service.now()).await.unwrap();
        let mut outcomes = Vec::new();
        for push in round.pushes {
            outcomes.push(push.await.unwrap());
        }
        outcomes
    }

    /// Moves the test server's fake clock on by `secs`.
    pub fn advance(&self, secs: i64) {
        self.setup.clock.as_ref().expect("the server runs on a fake clock").advance(secs);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        Reply::from(req.send().await.unwrap()).await
    }

    /// DingTalk GetToken: `POST /v1.0/oauth2/{corpId}/token`.
    pub async fn get_token(&self, corp: &str, body: Value) -> Reply {
        self.send(self.http.post(self.url(&format!("/v1.0/oauth2/{corp}/token"))).json(&body)).await
    }

    pub async fn app_token(&self, corp: &str, client_id: &str, secret: &str) -> String {
        let r = self
            .get_token(
                corp,
                json!({"client_id": client_id, "client_secret": secret, "grant_type": "client_credentials"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.str("access_token").to_owned()
    }

    /// DingTalk GetAccessToken: `POST /v1.0/oauth2/accessToken`.
    pub async fn get_access_token(&self, body: Value) -> Reply {
        self.send(self.http.post(self.url("/v1.0/oauth2/accessToken")).json(&body)).await
    }

    /// OAuth 2 `POST /oauth2/token` with a form body and optional Basic credentials.
    pub async fn oauth_token(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
        let mut req = self.http.post(self.url("/oauth2/token")).body(serde_urlencoded::to_string(form).unwrap());
        req = req.header("content-type", "application/x-www-form-urlencoded");
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        self.send(req).await
    }

    pub async fn get_user(&self, token: &str, user: &str) -> Reply {
        self.send(
            self.http
                .get(self.url(&format!("/v1.0/contact/users/{user}")))
                .header("x-acs-dingtalk-access-token", token),
        )
        .await
    }

    pub async fn update_user(&self, token: &str, user: &str, body: Value) -> Reply {
        self.send(
            self.http
                .put(self.url(&format!("/v1.0/contact/users/{user}")))
                .header("x-acs-dingtalk-access-token", token)
                .json(&body),
        )
        .await
    }

    pub async fn create_department(&self, token: &str, body: Value) -> Reply {
        self.send(
            self.http
                .post(self.url("/v1.0/contact/departments"))
                .header("x-acs-dingtalk-access-token", token)
                .json(&body),
        )
        .await
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> Setup {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        self.setup.clone()
    }
}

/// Asserts a DingTalk error body: status, code, and a request id.
pub fn assert_dingtalk_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.str("code"), code, "{}", r.text);
    assert!(!r.str("message").is_empty());
    assert_eq!(r.str("requestid").len(), 36, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json;charset=utf-8"));
}

/// Asserts an RFC 6749 error body.
pub fn assert_oauth_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.str("error"), error, "{}", r.text);
    assert!(!r.str("error_description").is_empty());
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

/// Sends raw bytes to the server and returns everything it answers (the request should say
/// `Connection: close`).
pub async fn raw_http(app: &TestApp, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// A second service over the test server's store and key (for code that embeds the service
/// itself: the tower layer, the gateway's reload handler).
pub async fn service_over(app: &TestApp) -> tessera_service::Tessera {
    let store = tessera::backend::open_store(&app.setup.database_url).await.unwrap();
    let key = tessera::key::load_or_create(&app.setup.data_dir).unwrap();
    let clock = Arc::new(SystemClock);
    tessera::boot::service(store, clock, key, Default::default(), None).await.unwrap().0
}

/// A free TCP port on 127.0.0.1 (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Calls the management API as `who` (`None`: unauthenticated).
pub async fn api(app: &TestApp, who: Option<&str>, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
    let mut req = app.http.request(method, app.url(path));
    if let Some(token) = who {
        req = req.bearer_auth(token);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    app.send(req).await
}

/// A session for `account` (password `<name>-password`).
pub async fn session(app: &TestApp, account: &str) -> String {
    let password = format!("{}-password", account.trim_end_matches("-union"));
    let r = api(
        app,
        None,
        reqwest::Method::POST,
        "/api/v1/sessions",
        Some(json!({"account": account, "password": password})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.str("session").to_owned()
}

pub async fn request(app: &TestApp, who: &str, client: &str, scope: &str, description: &str) -> Reply {
    let body = json!({"scope": scope, "description": description});
    api(app, Some(who), reqwest::Method::POST, &format!("/api/v1/apps/{client}/permissions"), Some(body)).await
}

pub async fn review(app: &TestApp, client: &str, scope: &str, decision: &str, reason: Option<&str>) -> Reply {
    let body = json!({"decision": decision, "reason": reason});
    api(app, Some(OPERATOR), reqwest::Method::POST, &format!("/api/v1/reviews/{client}/{scope}"), Some(body)).await
}

pub async fn grant(app: &TestApp, who: &str, corp: &str, client: &str, scope: &str, authorize: bool) -> Reply {
    let method = if authorize { reqwest::Method::PUT } else { reqwest::Method::DELETE };
    api(app, Some(who), method, &format!("/api/v1/orgs/{corp}/installations/{client}/grants/{scope}"), None).await
}

/// The suite's current ticket, as a suite that polls reads it (the test server issues the
/// first tickets as it starts; [`TestApp::ticket_round`] issues the next ones).
pub async fn suite_ticket(app: &TestApp, key: &str, secret: &str) -> String {
    let r = app
        .send(app.http.post(app.url("/v1.0/oauth2/suiteTicket")).json(&json!({"suiteKey": key, "suiteSecret": secret})))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.str("suiteTicket").to_owned()
}
