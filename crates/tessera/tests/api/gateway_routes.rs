//! The route table file: checked when it loads (a bad file stops the start), reloaded by
//! `POST /api/v1/routes/reload` and SIGHUP (a bad file keeps the table in force), and read by
//! `explain` for every route.

use std::path::PathBuf;

use crate::gateway_upstream::*;
use crate::helpers::*;

fn write_routes(text: &str) -> PathBuf {
    temp_file("routes.toml", text)
}

fn one_route(upstream: &str, path: &str, scope: &str) -> String {
    format!(
        "[upstreams.echo]\nurl = \"{upstream}\"\n\n[[routes]]\nmethod = \"GET\"\npath = \"{path}\"\ndialect = \"dingtalk\"\nscopes = [\"{scope}\"]\nupstream = \"echo\"\n"
    )
}

async fn reload(app: &TestApp, who: Option<&str>) -> Reply {
    api(app, who, reqwest::Method::POST, "/api/v1/routes/reload", None).await
}

#[tokio::test]
async fn a_route_file_naming_an_unknown_scope_stops_the_start_naming_file_and_line() {
    let app = spawn_app().await;
    let service = service_over(&app).await;
    let path = write_routes(&one_route("http://127.0.0.1:9", "/x/{id}", "qyapi_get_membr"));
    let e = tessera::boot::gateway(&service, Some(&path)).await.err().expect("an unknown scope must stop the start");
    assert_eq!(
        e.to_string(),
        format!("{}:8: unknown scope qyapi_get_membr: it is not in the catalogue", path.display())
    );
    let e = tessera::boot::gateway(&service, Some(&temp_dir().join("missing.toml"))).await.err().unwrap();
    assert!(e.to_string().contains("missing.toml") && e.to_string().contains("cannot read"), "{e}");
}

#[tokio::test]
async fn the_operator_reloads_the_table_and_a_bad_file_keeps_the_one_in_force() {
    let upstream = start_upstream().await;
    let path = write_routes(&one_route(&upstream.base, "/first/{id}", "qyapi_get_member"));
    let app = spawn_with(Setup::sqlite().with_routes(path.clone())).await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let get = |p: &str| app.http.get(app.url(p)).header("x-acs-dingtalk-access-token", &token);
    assert_eq!(app.send(get("/first/1")).await.status, 200);
    assert_eq!(app.send(get("/second/1")).await.status, 404);

    // Only operators reload.
    assert_eq!(reload(&app, None).await.status, 401);
    let alice = session(&app, "alice-union").await;
    assert_eq!(reload(&app, Some(&alice)).await.status, 403);

    // A bad file: 422 naming file, line and reason; the old table still serves.
    let conflicting = format!(
        "{}\n[[routes]]\nmethod = \"GET\"\npath = \"/first/{{other}}\"\ndialect = \"feishu\"\nupstream = \"echo\"\n",
        one_route(&upstream.base, "/first/{id}", "qyapi_get_member")
    );
    std::fs::write(&path, &conflicting).unwrap();
    let r = reload(&app, Some(OPERATOR)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.str("error"), "invalid_route_file");
    assert!(r.str("message").starts_with(&format!("{}:11: ", path.display())), "{}", r.text);
    assert!(r.str("message").contains("same requests"), "{}", r.text);
    std::fs::write(&path, one_route(&upstream.base, "/second/{id", "qyapi_get_member")).unwrap();
    let r = reload(&app, Some(OPERATOR)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.str("message").contains(":6: bad placeholder"), "{}", r.text);
    assert_eq!(app.send(get("/first/1")).await.status, 200);

    // A good file replaces the table.
    std::fs::write(&path, one_route(&upstream.base, "/second/{id}", "qyapi_get_member")).unwrap();
    let r = reload(&app, Some(OPERATOR)).await;
    assert_eq!((r.status, r.body["routes"].as_i64()), (200, Some(1)), "{}", r.text);
    assert_eq!(app.send(get("/second/1")).await.status, 200);
    assert_eq!(app.send(get("/first/1")).await.status, 404);
    let listed = api(&app, Some(OPERATOR), reqwest::Method::GET, "/api/v1/routes", None).await;
    assert_eq!(listed.body["routes"][0]["path"], "/second/{id}", "{}", listed.text);
}

#[tokio::test]
async fn sighup_reloads_the_table() {
    let upstream = start_upstream().await;
    let path = write_routes(&one_route(&upstream.base, "/first/{id}", "qyapi_get_member"));
    let app = spawn_with(Setup::sqlite().with_routes(path.clone())).await;
    // The binary's handler, on a gateway over the same file.
    let service = service_over(&app).await;
    let gateway = tessera::boot::gateway(&service, Some(&path)).await.unwrap();
    let _handler = tessera::boot::reload_on_sighup(service, gateway.clone()).unwrap();
    std::fs::write(&path, one_route(&upstream.base, "/second/{id}", "qyapi_get_member")).unwrap();
    let me = std::process::id().to_string();
    assert!(std::process::Command::new("kill").args(["-HUP", &me]).status().unwrap().success());
    for _ in 0..100 {
        if gateway.table().routes[0].template.text() == "/second/{id}" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("SIGHUP did not reload the table");
}

async fn explain(app: &TestApp, q: &str) -> Reply {
    api(app, Some(OPERATOR), reqwest::Method::GET, &format!("/api/v1/explain?{q}"), None).await
}

#[tokio::test]
async fn explain_answers_for_every_route_of_the_table() {
    let app = spawn_app().await;
    // A Feishu route, by its template and by a path it matches.
    for route in ["GET%20/open-apis/im/v1/messages", "POST%20/open-apis/im/v1/messages"] {
        let r = explain(&app, &format!("client_id=dingbasic&corp_id={DEMO_CORP}&route={route}")).await;
        if route.starts_with("GET") {
            assert_eq!(r.status, 404, "{}", r.text);
        } else {
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["scopes"][0]["scope"], "im:message:send_as", "{}", r.text);
            assert_eq!(r.body["allowed"], false);
        }
    }
    let r = explain(
        &app,
        &format!("client_id=dingdemoapp&corp_id={DEMO_CORP}&route=GET%20/open-apis/contact/v3/users/alice"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scopes"][0]["scope"], "qyapi_get_member");
    assert_eq!(r.body["allowed"], true);
}

/// The proxy's identity headers on PostgreSQL: a user's member id comes from the store.
#[tokio::test]
async fn an_allowed_call_is_proxied_on_postgres() {
    let upstream = start_upstream().await;
    let routes = routes_file(&upstream.base).await;
    let app = spawn_with(Setup::postgres().await.with_routes(routes)).await;
    let token = app.app_token(OTHER_CORP, "suitedemo", "suite-secret").await;
    let r = app.send(app.http.get(app.url("/api/echo/1")).header("x-acs-dingtalk-access-token", &token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["headers"]["x-tessera-token-kind"], "corp");
    assert_eq!(r.body["headers"]["x-tessera-corp-id"], OTHER_CORP);
    let readonly = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    let r = app.send(app.http.put(app.url("/api/echo/1")).header("x-acs-dingtalk-access-token", &readonly)).await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
}

/// Reloading while calls are in flight fails none of them: each runs on the table it
/// started with, and both tables serve the route.
#[tokio::test]
async fn reloading_under_load_fails_no_request() {
    let upstream = start_upstream().await;
    let path = write_routes(&one_route(&upstream.base, "/busy/{id}", "qyapi_get_member"));
    let app = std::sync::Arc::new(spawn_with(Setup::sqlite().with_routes(path.clone())).await);
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..8 {
        let (app, token, stop) = (app.clone(), token.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = app
                    .send(app.http.get(app.url(&format!("/busy/{w}"))).header("x-acs-dingtalk-access-token", &token))
                    .await;
                if r.status == 200 { ok += 1 } else { failed.push(r.text) }
            }
            (ok, failed)
        }));
    }
    for i in 0..20 {
        // Alternate two tables that both serve the route (the second with another connect timeout,
        // so its upstream gets a new pool).
        let text = one_route(&upstream.base, "/busy/{id}", "qyapi_get_member");
        let text =
            if i % 2 == 0 { text.replace("[[routes]]", "connect_timeout_ms = 3000\n\n[[routes]]") } else { text };
        std::fs::write(&path, text).unwrap();
        let r = reload(&app, Some(OPERATOR)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for w in workers {
        let (ok, failed) = w.await.unwrap();
        assert!(failed.is_empty(), "failed during reloads: {failed:?}");
        total += ok;
    }
    assert!(total > 20, "only {total} calls ran during the reloads");
}

/// The console's 403 helper takes the call itself too, and reads its scopes from the table.
#[tokio::test]
async fn the_consoles_403_helper_reads_a_calls_scopes_from_the_route_table() {
    let app = spawn_app().await;
    let alice = crate::browser::Browser::new(&app);
    assert_eq!(alice.sign_in("alice-union", "alice-password", "/console").await.status, 303);
    let page = alice.get("/console/apps/dingbasic/explain").await;
    let csrf = page.hidden().into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v).unwrap();
    let form = |body: &str| -> Vec<(String, String)> {
        [("csrf", csrf.as_str()), ("corp_id", DEMO_CORP), ("body", body)]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let url = "/console/apps/dingbasic/explain";
    // A Feishu route (not among the old built-in list), by a path it matches.
    let page = alice.post(url, &form("POST /open-apis/im/v1/messages?receive_id_type=open_id")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("Read from the gateway&#39;s route table")
            || page.html.contains("Read from the gateway's route table"),
        "{}",
        page.html
    );
    assert!(page.html.contains("im:message:send_as"), "{}", page.html);
    let page = alice.post(url, &form("DELETE /nowhere")).await;
    assert_eq!(page.status, 400, "{}", page.html);
    assert!(page.html.contains("No route of the gateway"), "{}", page.html);
}
