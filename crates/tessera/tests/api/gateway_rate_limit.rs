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
    temp_file("routes.toml", text)
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

/// `/metrics` on its own listener: requests by route, dialect and outcome, latency, tokens
/// issued by grant and kind, cache hits and misses, listener reconnects; a reload drops the
/// series of the routes it removed.
#[tokio::test]
async fn metrics_count_outcomes_by_route_on_their_own_listener() {
    let upstream = start_upstream().await;
    let routes = limited_routes(&upstream.base, 1, 100);
    let setup = Setup::sqlite().with_fake_clock(T0).with_routes(routes.clone());
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
    tokio::spawn(tessera_http::serve(
        listener,
        tessera_http::router_with(service.clone(), gateway.clone()),
        std::future::pending(),
    ));
    let node = TestApp::remote(&base, app.setup.clone());
    let token = node.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    assert_eq!(node.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await, token, "handed out again");
    assert_eq!(call(&node, &token, "/limited/1").await.status, 200);
    assert_eq!(call(&node, &token, "/limited/2").await.status, 403);
    assert_eq!(call(&node, "t-bogus", "/limited/3").await.status, 400);
    assert_eq!(node.send(node.http.get(node.url("/limited/4"))).await.status, 400);
    assert_eq!(call(&node, &token, "/open/1").await.status, 200);
    let text = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
    for line in [
        r#"tessera_gateway_requests_total{route="GET /limited/{id}",dialect="dingtalk",outcome="allowed"} 1"#,
        r#"tessera_gateway_requests_total{route="GET /limited/{id}",dialect="dingtalk",outcome="rate_limited"} 1"#,
        r#"tessera_gateway_requests_total{route="GET /limited/{id}",dialect="dingtalk",outcome="invalid_token"} 1"#,
        r#"tessera_gateway_requests_total{route="GET /limited/{id}",dialect="dingtalk",outcome="refused_missing_token"} 1"#,
        r#"tessera_gateway_requests_total{route="GET /open/{id}",dialect="dingtalk",outcome="allowed"} 1"#,
        r#"tessera_gateway_decision_seconds_count 5"#,
        r#"tessera_gateway_upstream_seconds_count{upstream="echo"} 2"#,
        r#"tessera_tokens_issued_total{grant="client_credentials",kind="app"} 2"#,
        r#"tessera_listen_reconnects_total 0"#,
    ] {
        assert!(text.contains(line), "missing {line} in:\n{text}");
    }
    // The token was checked three times after being handed out: cached every time but the
    // bogus one.
    let counter = |text: &str, name: &str| -> u64 {
        let line = text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name} in:\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(counter(&text, r#"tessera_cache_hits_total{cache="tokens"}"#) >= 3, "{text}");
    assert!(counter(&text, r#"tessera_cache_misses_total{cache="tokens"}"#) >= 1, "{text}");
    // A reload without the limited route drops its series; the others stay.
    let kept = std::fs::read_to_string(&routes).unwrap();
    let start = kept.find("[[routes]]").unwrap();
    let end = start + kept[start..].find("[[routes]]\nmethod = \"GET\"\npath = \"/open").unwrap();
    std::fs::write(&routes, format!("{}{}", &kept[..start], &kept[end..])).unwrap();
    gateway.reload(&service).await.unwrap();
    let text = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
    assert!(!text.contains("/limited/"), "a removed route's series are dropped:\n{text}");
    assert!(text.contains(r#"route="GET /open/{id}",dialect="dingtalk",outcome="allowed"} 1"#), "{text}");
    // The API listener does not serve it.
    assert_eq!(node.send(node.http.get(node.url("/metrics"))).await.status, 404);
}

async fn put_limits(app: &TestApp, who: &str, client_id: &str, body: serde_json::Value) -> Reply {
    let url = app.url(&format!("/api/v1/apps/{client_id}/rate_limits"));
    app.send(app.http.put(url).bearer_auth(who).json(&body)).await
}

/// An operator sets an app's own limits through `/api/v1`; they replace the table's for that
/// app only (lowering and raising them), persist, and `null` restores the table's. Others
/// get 403, bad values 400.
#[tokio::test]
async fn an_operators_per_app_limits_replace_the_tables_for_that_app() {
    per_app_limits(Setup::sqlite()).await;
}

/// The same on PostgreSQL.
#[tokio::test]
async fn an_operators_per_app_limits_replace_the_tables_for_that_app_postgres() {
    per_app_limits(Setup::postgres().await).await;
}

pub async fn per_app_limits(setup: Setup) {
    use serde_json::json;
    {
        let upstream = start_upstream().await;
        let setup = setup.with_fake_clock(T0).with_routes(limited_routes(&upstream.base, 3, 5));
        let clock = setup.clock.clone().unwrap();
        let app = spawn_with(setup).await;
        let alice = session(&app, "alice-union").await;
        let r = put_limits(&app, &alice, "dingdemoapp", json!({"route_qps": 1})).await;
        assert_eq!(r.status, 403, "only operators: {}", r.text);
        assert!(!r.str("error").is_empty() && !r.str("message").is_empty(), "{}", r.text);
        for bad in [
            json!({"route_qps": 0}),
            json!({"app_qps": 1_000_001}),
            json!({"app_qps": "ten"}),
            json!({"app_qps": -1}),
            json!({"qps": 1}),
        ] {
            let r = put_limits(&app, OPERATOR, "dingdemoapp", bad.clone()).await;
            assert_eq!(r.status, 400, "{bad}: {}", r.text);
            assert_eq!(r.str("error"), "invalid_request", "{bad}: {}", r.text);
        }
        assert_eq!(put_limits(&app, OPERATOR, "nosuchapp", json!({})).await.status, 404);

        // Lowered: one call per second on each route, two over all routes.
        let r = put_limits(&app, OPERATOR, "dingdemoapp", json!({"route_qps": 1, "app_qps": 2})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["rate_limits"], json!({"app_qps": 2, "route_qps": 1}), "{}", r.text);
        let demo = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
        let other = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
        assert_eq!(call(&app, &demo, "/limited/1").await.status, 200);
        assert_dingtalk_error(
            &call(&app, &demo, "/limited/2").await,
            403,
            "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
        );
        assert_dingtalk_error(&call(&app, &demo, "/open/1").await, 403, "Forbidden.AccessDenied.QpsLimitForApi");
        for i in 0..3 {
            assert_eq!(call(&app, &other, &format!("/limited/{i}")).await.status, 200, "another app keeps the table's");
        }
        // Raised above the table's 3 on the route; the table's 5 over all routes applies.
        clock.advance(1);
        let r = put_limits(&app, OPERATOR, "dingdemoapp", json!({"route_qps": 10, "app_qps": null})).await;
        assert_eq!(r.body["rate_limits"], json!({"app_qps": null, "route_qps": 10}), "{}", r.text);
        for i in 0..5 {
            assert_eq!(call(&app, &demo, &format!("/limited/{i}")).await.status, 200, "call {i}");
        }
        assert_dingtalk_error(&call(&app, &demo, "/limited/6").await, 403, "Forbidden.AccessDenied.QpsLimitForApi");
        // Persisted: the listing shows them.
        let listed = app.send(app.http.get(app.url("/api/v1/orgs/dingdemo/apps")).bearer_auth(OPERATOR)).await;
        let mine = listed.body.as_array().unwrap().iter().find(|a| a["client_id"] == "dingdemoapp").unwrap().clone();
        assert_eq!(mine["rate_limits"]["route_qps"], 10, "{}", listed.text);
        // Cleared: the table's 3 on the route again.
        clock.advance(1);
        let r = put_limits(&app, OPERATOR, "dingdemoapp", json!({})).await;
        assert_eq!(r.body["rate_limits"], json!({"app_qps": null, "route_qps": null}), "{}", r.text);
        for i in 0..3 {
            assert_eq!(call(&app, &demo, &format!("/limited/{i}")).await.status, 200);
        }
        assert_eq!(call(&app, &demo, "/limited/4").await.status, 403);
        let audit = app
            .send(app.http.get(app.url("/api/v1/orgs/dingdemo/audit?action=rate_limits_changed")).bearer_auth(OPERATOR))
            .await;
        assert_eq!(audit.body.as_array().map(Vec::len), Some(3), "{}", audit.text);
    }
}
