//! PostgreSQL faults, on a cluster each test starts for itself (`pg_cluster`): a recall right
//! after an outage reaches the other node; a restart and an outage under load fail only the
//! requests they must, with 503 in the caller's dialect, and the server recovers by itself;
//! readiness follows the database; an unreachable database fails `tessera serve` at once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use crate::helpers::*;
use crate::interop::multinode::{Node, serve_node};
use crate::interop::pg_cluster::PgCluster;

/// The longest a node may keep a stale decision when a notification was missed (the
/// re-validation period, default 5 s).
const REVALIDATION: Duration = Duration::from_secs(5);

/// A setup on the test's own cluster (both nodes share the data directory, hence the key).
fn setup_on(cluster: &PgCluster) -> Setup {
    Setup { database_url: cluster.url(), ..Setup::sqlite() }
}

/// Polls `f` every 50 ms until it is true, for at most `limit`; the time it took.
async fn within<F, Fut>(limit: Duration, what: &str, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if f().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status(app: &TestApp, path: &str) -> u16 {
    match app.http.get(app.url(path)).timeout(Duration::from_secs(5)).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// Keeps a node busy (reads and sensitive-scope writes) until the returned flag is cleared.
fn traffic(node: &TestApp, token: &str) -> Arc<std::sync::atomic::AtomicBool> {
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (base, token, flag) = (node.base.clone(), token.to_owned(), running.clone());
    tokio::spawn(async move {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        while flag.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = http
                .get(format!("{base}/v1.0/contact/users/carol"))
                .header("x-acs-dingtalk-access-token", &token)
                .send()
                .await;
            let _ = http
                .post(format!("{base}/v1.0/contact/departments"))
                .header("x-acs-dingtalk-access-token", &token)
                .json(&json!({"name": "Load"}))
                .send()
                .await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    running
}

/// One trial: PostgreSQL down for `outage`, started; node B decides once more from the
/// database; the grant is recalled on node A; how long B kept allowing it.
async fn recall_after_outage(
    cluster: &PgCluster,
    (a, b): (&TestApp, &TestApp),
    carol: &str,
    token: &str,
    outage: Duration,
) -> Duration {
    let dept = || async { b.create_department(token, json!({"name": "Ops"})).await.status };
    within(Duration::from_secs(10), "node B allows before the outage", || async { dept().await == 200 }).await;
    cluster.stop().await;
    tokio::time::sleep(outage).await;
    cluster.start_again().await;
    // Node B (under traffic) decides from the database again before the recall.
    within(Duration::from_secs(10), "node B allows after the outage", || async { dept().await == 200 }).await;
    within(Duration::from_secs(10), "the recall on node A", || async {
        let r = grant(a, carol, OTHER_CORP, "suitedemo", "qyapi_manage_addresslist", false).await;
        assert!(matches!(r.status, 204 | 503), "{}", r.text);
        r.status == 204
    })
    .await;
    let recalled = Instant::now();
    let limit = Duration::from_secs(1) + REVALIDATION;
    loop {
        let s = dept().await;
        if s == 403 {
            break;
        }
        assert!(
            recalled.elapsed() <= limit,
            "node B still allowed a recalled scope {:?} after the recall",
            recalled.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let delay = recalled.elapsed();
    let again = grant(a, carol, OTHER_CORP, "suitedemo", "qyapi_manage_addresslist", true).await;
    assert_eq!(again.status, 204, "{}", again.text);
    delay
}

/// Issue 12, item 4(a). `TESSERA_FAULT_TRIALS` sets the number of trials (default 3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recall_right_after_an_outage_is_refused_by_the_other_node() {
    let cluster = PgCluster::start().await;
    let setup = setup_on(&cluster);
    let a = spawn_with(setup.clone()).await;
    let b = spawn_with(setup).await;
    let carol = session(&a, "carol-union").await;
    let token = a.app_token(OTHER_CORP, "suitedemo", "suite-secret").await;
    let load = traffic(&b, &token);
    let trials: usize = std::env::var("TESSERA_FAULT_TRIALS").ok().and_then(|t| t.parse().ok()).unwrap_or(3);
    let mut delays = Vec::new();
    for i in 0..trials {
        // Outages of 3, 4.5 and 6 seconds, in turn.
        let outage = Duration::from_millis(3000 + 1500 * (i as u64 % 3));
        delays.push(recall_after_outage(&cluster, (&a, &b), &carol, &token, outage).await);
    }
    load.store(false, std::sync::atomic::Ordering::Relaxed);
    let max = delays.iter().max().unwrap();
    eprintln!("recall seen by node B after an outage: max {max:?} over {trials} trial(s): {delays:?}");
}

/// One request of the load: when it started and ended, its status and whether an error came
/// in the DingTalk format with `ServiceUnavailable`.
struct Sample {
    start: Instant,
    end: Instant,
    status: u16,
    unavailable_body: bool,
    mint: bool,
}

type Samples = Arc<Mutex<Vec<Sample>>>;

/// `workers` loops of one token mint and one gateway call each, 20 ms apart per worker.
fn load(app: &TestApp, token: &str, workers: usize) -> (Arc<std::sync::atomic::AtomicBool>, Samples) {
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let samples: Samples = Arc::default();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    for _ in 0..workers {
        let (base, token, flag, samples, http) =
            (app.base.clone(), token.to_owned(), running.clone(), samples.clone(), http.clone());
        tokio::spawn(async move {
            while flag.load(std::sync::atomic::Ordering::Relaxed) {
                let mint = http
                    .post(format!("{base}/v1.0/oauth2/{DEMO_CORP}/token"))
                    .json(&json!({"client_id": "dingdemoapp", "client_secret": "demo-secret", "grant_type": "client_credentials"}));
                let call =
                    http.get(format!("{base}/v1.0/contact/users/alice")).header("x-acs-dingtalk-access-token", &token);
                // One mint to four gateway calls.
                let calls = (0..4).map(|_| (call.try_clone().unwrap(), false));
                for (req, is_mint) in std::iter::once((mint, true)).chain(calls) {
                    let start = Instant::now();
                    let (status, body) = match req.send().await {
                        Ok(r) => (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap_or_default()),
                        Err(_) => (0, serde_json::Value::Null),
                    };
                    let unavailable_body = body["code"] == "ServiceUnavailable"
                        && body["requestid"].as_str().is_some_and(|id| id.len() == 36)
                        && body["message"].as_str().is_some_and(|m| !m.is_empty());
                    samples.lock().unwrap().push(Sample {
                        start,
                        end: Instant::now(),
                        status,
                        unavailable_body,
                        mint: is_mint,
                    });
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }
    (running, samples)
}

/// Issue 12, item 4(b).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_and_an_outage_under_load_fail_only_requests_in_flight() {
    let cluster = PgCluster::start().await;
    let mut setup = setup_on(&cluster);
    // Every mint writes a new token (no reuse of a live one from the cache).
    setup.config.tokens.reuse_margin = setup.config.tokens.app_token_ttl;
    let app = spawn_with(setup).await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let (running, samples) = load(&app, &token, 12);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let restart_began = Instant::now();
    cluster.restart().await;
    let restarted = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let outage_began = Instant::now();
    cluster.stop().await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    cluster.start_again().await;
    let outage_ended = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let samples = samples.lock().unwrap();
    let failed = |s: &&Sample| s.status != 200;
    let overlaps = |s: &Sample, from: Instant, to: Instant| s.start <= to && s.end >= from;
    let before: Vec<_> = samples.iter().filter(|s| s.end < restart_began).collect();
    assert!(before.len() > 50, "too little load: {} requests before the restart", before.len());
    assert_eq!(before.iter().filter(|s| s.status != 200).count(), 0, "requests failed before any fault");
    let in_restart = samples.iter().filter(|s| overlaps(s, restart_began, restarted)).count();
    // A request belongs to the fault during which it ended (the restart, then the outage).
    let restart_failures: Vec<_> =
        samples.iter().filter(|s| s.end >= restart_began && s.end < outage_began).filter(failed).collect();
    let outage_failures: Vec<_> = samples.iter().filter(|s| s.end >= outage_began).filter(failed).collect();
    for s in restart_failures.iter().chain(&outage_failures) {
        assert_eq!(s.status, 503, "a failure that is not a 503");
        assert!(s.unavailable_body, "a 503 without DingTalk's ServiceUnavailable body");
        assert!(s.end - s.start <= Duration::from_secs(5), "a request took {:?} to fail", s.end - s.start);
    }
    for s in &restart_failures {
        assert!(
            s.start <= restarted,
            "a {} started {:?} after the restart completed failed",
            if s.mint { "mint" } else { "gateway call" },
            s.start - restarted
        );
    }
    for s in &outage_failures {
        assert!(
            s.start <= outage_ended,
            "a {} started {:?} after the outage ended failed",
            if s.mint { "mint" } else { "gateway call" },
            s.start - outage_ended
        );
    }
    let after: Vec<_> = samples.iter().filter(|s| s.start > outage_ended).collect();
    assert!(after.len() > 50, "the server did not recover: {} requests after the outage", after.len());
    let total = samples.len();
    let mints = |v: &[&Sample]| v.iter().filter(|s| s.mint).count();
    let secs = (samples.last().unwrap().end - samples[0].start).as_secs_f64();
    eprintln!(
        "{total} requests in {secs:.1} s ({:.0}/s, {} mints); plain restart: {} failed ({} mints) of {in_restart} \
         in flight during it; 8 s outage: {} failed ({} mints), all 503 ServiceUnavailable, 0 after it",
        total as f64 / secs,
        samples.iter().filter(|s| s.mint).count(),
        restart_failures.len(),
        mints(&restart_failures),
        outage_failures.len(),
        mints(&outage_failures)
    );
}

async fn serve(database_url: &str, extra: &[&str]) -> Node {
    serve_node(database_url, &temp_dir().keep(), extra).await
}

/// Sends `req` and checks it was answered within `limit`.
async fn timed(app: &TestApp, req: reqwest::RequestBuilder, limit: Duration) -> Reply {
    let started = Instant::now();
    let r = app.send(req).await;
    assert!(started.elapsed() <= limit, "answered after {:?}: {}", started.elapsed(), r.text);
    eprintln!("answered {} after {:?} with the database down", r.status, started.elapsed());
    r
}

/// Issue 12, items 4(c) and 5 (readiness): with `--database-acquire-timeout 1`, every dialect
/// answers a killed database with its own 503 within the timeout (plus slack); `/readyz` says
/// not ready while `/healthz` stays 200; both recover when the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_an_outage_every_dialect_fails_fast_with_its_own_503() {
    let cluster = PgCluster::start().await;
    // Every mint writes a token: none is served from the cache.
    let node = serve(&cluster.url(), &["--database-acquire-timeout", "1", "--reuse-margin", "7200"]).await;
    let app = TestApp::remote(&node.base, setup_on(&cluster));
    within(Duration::from_secs(10), "ready at start", || async { status(&app, "/readyz").await == 200 }).await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;

    cluster.kill().await;
    let limit = Duration::from_millis(2500);
    within(Duration::from_secs(3), "not ready once the database is gone", || async {
        status(&app, "/readyz").await == 503
    })
    .await;
    assert_eq!(status(&app, "/healthz").await, 200);

    let mint = app
        .http
        .post(app.url(&format!("/v1.0/oauth2/{DEMO_CORP}/token")))
        .json(&json!({"client_id": "dingdemoapp", "client_secret": "demo-secret", "grant_type": "client_credentials"}));
    assert_dingtalk_error(&timed(&app, mint, limit).await, 503, "ServiceUnavailable");
    let call = app.http.get(app.url("/v1.0/contact/users/alice")).header("x-acs-dingtalk-access-token", &token);
    assert_dingtalk_error(&timed(&app, call, limit).await, 503, "ServiceUnavailable");

    let feishu = app
        .http
        .post(app.url("/open-apis/auth/v3/tenant_access_token/internal"))
        .json(&json!({"app_id": "cli_feishudemo", "app_secret": "feishu-secret"}));
    let r = timed(&app, feishu, limit).await;
    assert_eq!((r.status, r.body["code"].as_i64()), (503, Some(20050)), "{}", r.text);
    assert!(!r.str("msg").is_empty());

    let form = [("grant_type", "client_credentials")];
    let oauth = app
        .http
        .post(app.url("/oauth2/token"))
        .basic_auth("dingdemoapp", Some("demo-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap());
    assert_oauth_error(&timed(&app, oauth, limit).await, 503, "temporarily_unavailable");

    let manage = app.http.get(app.url("/api/v1/reviews")).bearer_auth(OPERATOR);
    let r = timed(&app, manage, limit).await;
    assert_eq!((r.status, r.str("error")), (503, "unavailable"), "{}", r.text);
    assert!(!r.str("message").is_empty());

    cluster.start_again().await;
    within(Duration::from_secs(10), "ready again", || async { status(&app, "/readyz").await == 200 }).await;
    assert_eq!(app.get_user(&token, "alice").await.status, 200);
    assert_eq!(api(&app, Some(OPERATOR), reqwest::Method::GET, "/api/v1/reviews", None).await.status, 200);
    drop(node.child);
}

/// Issue 12, item 5: no 30 s hang and no "pool timed out".
#[tokio::test]
async fn serve_with_an_unreachable_postgresql_fails_at_once_naming_it() {
    let port = free_port();
    let data_dir = temp_dir();
    let started = Instant::now();
    let out = tokio::time::timeout(
        Duration::from_secs(15),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url"])
            .arg(format!("postgres://postgres@127.0.0.1:{port}/tessera"))
            .arg("--data-dir")
            .arg(&data_dir)
            .env("RUST_BACKTRACE", "0")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("tessera serve still runs 15 s after start with no PostgreSQL")
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("connection refused"), "{stderr}");
}

#[tokio::test]
async fn readyz_on_postgresql_once_listening() {
    let app = spawn_with(Setup::postgres().await).await;
    within(Duration::from_secs(5), "ready on PostgreSQL", || async { status(&app, "/readyz").await == 200 }).await;
    assert_eq!(status(&app, "/healthz").await, 200);
}
