//! Per-app rate limits, answered as the platforms do: DingTalk 403
//! `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi` (per app on a route) and
//! `…QpsLimitForApi` (per app over every route), Feishu 99991400. The servers run on a fake
//! clock, so every call falls in one second until the test moves it on.

use std::path::PathBuf;

use crate::gateway_upstream::*;
use crate::helpers::*;

pub const T0: i64 = 1_800_000_000;

pub fn limited_routes(upstream: &str, route_qps: u32, app_qps: u32) -> PathBuf {
    let text = format!(
        r#"app_qps = {app_qps}

[upstreams.echo]
url = "{upstream}"

[[routes]]
method = "GET"
path = "/limited/{{id}}"
dialect = "dingtalk"
scopes = ["qyapi_get_member"]
upstream = "echo"
qps = {route_qps}

[[routes]]
method = "GET"
path = "/open/{{id}}"
dialect = "dingtalk"
upstream = "echo"

[[routes]]
method = "GET"
path = "/feishu/{{id}}"
dialect = "feishu"
upstream = "echo"
qps = 1
"#
    );
    let path = temp_dir().join("routes.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub async fn call(app: &TestApp, token: &str, path: &str) -> Reply {
    app.send(app.http.get(app.url(path)).header("x-acs-dingtalk-access-token", token)).await
}

#[tokio::test]
async fn one_node_limits_per_app_per_route_and_per_app_overall_in_each_dialect() {
    let upstream = start_upstream().await;
    let setup = Setup::sqlite().with_fake_clock(T0).with_routes(limited_routes(&upstream.base, 3, 5));
    let clock = setup.clock.clone().unwrap();
    let app = spawn_with(setup).await;
    let demo = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let other = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    for i in 0..3 {
        assert_eq!(call(&app, &demo, &format!("/limited/{i}")).await.status, 200);
    }
    assert_dingtalk_error(
        &call(&app, &demo, "/limited/9").await,
        403,
        "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
    );
    // Another app has its own counts.
    assert_eq!(call(&app, &other, "/limited/1").await.status, 200);
    // The app's fourth and fifth calls of the second pass on another route, the sixth not.
    assert_eq!(call(&app, &demo, "/open/1").await.status, 200);
    assert_eq!(call(&app, &demo, "/open/2").await.status, 403, "the refused call counted too");
    assert_dingtalk_error(&call(&app, &demo, "/open/3").await, 403, "Forbidden.AccessDenied.QpsLimitForApi");
    // Feishu's code.
    assert_eq!(call(&app, &other, "/feishu/1").await.status, 200);
    let r = app.send(app.http.get(app.url("/feishu/2")).bearer_auth(&other)).await;
    assert_eq!((r.status, r.body["code"].as_i64()), (429, Some(99991400)), "{}", r.text);
    // The next second starts again.
    clock.advance(1);
    assert_eq!(call(&app, &demo, "/limited/1").await.status, 200);
    assert_eq!(call(&app, &demo, "/open/1").await.status, 200);
}

/// `/metrics` on its own listener: requests by route, dialect and outcome, and latency.
#[tokio::test]
async fn metrics_count_outcomes_by_route_on_their_own_listener() {
    let upstream = start_upstream().await;
    let setup = Setup::sqlite().with_fake_clock(T0).with_routes(limited_routes(&upstream.base, 1, 100));
    let app = spawn_with(setup).await;
    let store = tessera::backend::open_store(&app.setup.database_url).await.unwrap();
    let key = tessera::key::load_or_create(&app.setup.data_dir).unwrap();
    let clock: std::sync::Arc<dyn tessera_core::time::Clock> = app.setup.clock.clone().unwrap();
    let (service, _) = tessera::boot::service(store, clock, key, Default::default(), None).await.unwrap();
    let gateway = tessera::boot::gateway(&service, Some(&app.setup.routes)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = format!("http://{}/metrics", listener.local_addr().unwrap());
    let _server = tessera::boot::serve_metrics(listener, gateway.clone());
    // The test's own gateway on the same database, served on another listener.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(tessera_http::serve(listener, tessera_http::router_with(service, gateway), std::future::pending()));
    let node = TestApp::remote(&base, app.setup.clone());
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    assert_eq!(call(&node, &token, "/limited/1").await.status, 200);
    assert_eq!(call(&node, &token, "/limited/2").await.status, 403);
    assert_eq!(call(&node, "t-bogus", "/limited/3").await.status, 400);
    assert_eq!(node.send(node.http.get(node.url("/limited/4"))).await.status, 400);
    let text = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
    for line in [
        r#"tessera_gateway_requests_total{route="GET /limited/{id}",dialect="dingtalk",outcome="allowed"} 1"#,
        r#"tessera_gateway_requests_total{route="GET /limited/{id}",dialect="dingtalk",outcome="rate_limited"} 1"#,
        r#"tessera_gateway_requests_total{route="GET /limited/{id}",dialect="dingtalk",outcome="invalid_token"} 1"#,
        r#"tessera_gateway_requests_total{route="GET /limited/{id}",dialect="dingtalk",outcome="refused_missing_token"} 1"#,
        r#"tessera_gateway_decision_seconds_count 4"#,
        r#"tessera_gateway_upstream_seconds_count{upstream="echo"} 1"#,
    ] {
        assert!(text.contains(line), "missing {line} in:\n{text}");
    }
    // The API listener does not serve it.
    assert_eq!(node.send(node.http.get(node.url("/metrics"))).await.status, 404);
}
