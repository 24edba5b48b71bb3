//! Forward-auth behind real proxies: nginx (`auth_request`) and Caddy (`forward_auth`) from
//! Debian, each started on a free port with a generated config in front of the test's upstream.

use std::path::Path;
use std::time::Duration;

use crate::gateway_upstream::*;
use crate::helpers::*;

async fn wait_listening(port: u16, child: &mut tokio::process::Child, log: &Path) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the proxy exited with {status}: {}", std::fs::read_to_string(log).unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the proxy did not listen on {port}: {}", std::fs::read_to_string(log).unwrap_or_default());
}

fn nginx_config(dir: &Path, port: u16, tessera: &str, upstream: &str) -> String {
    let d = dir.display();
    let names = ["client_id", "corp_id", "union_id", "user_id", "token_kind", "scopes", "assertion"];
    let mut set = String::new();
    for n in names {
        let header = n.replace('_', "-");
        set.push_str(&format!(
            "            auth_request_set $tessera_{n} $upstream_http_x_tessera_{n};\n            proxy_set_header X-Tessera-{header} $tessera_{n};\n"
        ));
    }
    format!(
        r#"daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            auth_request /_tessera_auth;
{set}            auth_request_set $tessera_required_scopes $upstream_http_x_tessera_required_scopes;
            add_header X-Tessera-Required-Scopes $tessera_required_scopes always;
            proxy_set_header X-Acs-Dingtalk-Access-Token "";
            proxy_set_header Authorization "";
            proxy_pass {upstream};
        }}
        location = /_tessera_auth {{
            internal;
            proxy_pass {tessera}/gateway/auth/nginx;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-URI $request_uri;
        }}
    }}
}}
"#
    )
}

#[tokio::test]
async fn nginx_auth_request_forwards_identity_refuses_with_the_required_scopes_and_follows_a_recall() {
    crate::interop::install::debian_packages(&["nginx"]).await;
    let upstream = start_upstream().await;
    let app = spawn_with(Setup::sqlite().with_routes(routes_file(&upstream.base).await)).await;
    let dir = temp_dir();
    let port = free_port();
    std::fs::write(dir.join("nginx.conf"), nginx_config(&dir, port, &app.base, &upstream.base)).unwrap();
    let mut nginx = tokio::process::Command::new("nginx")
        .arg("-p")
        .arg(&dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_listening(port, &mut nginx, &dir.join("error.log")).await;
    let proxy = format!("http://127.0.0.1:{port}");
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;

    // Allowed: the upstream sees the identity, not the token, and not the forged header.
    let r = app
        .send(
            app.http
                .get(format!("{proxy}/api/echo/5?q=1"))
                .header("x-acs-dingtalk-access-token", &token)
                .header("x-tessera-client-id", "forged"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["uri"], "/api/echo/5?q=1");
    let h = &r.body["headers"];
    assert_eq!(h["x-tessera-client-id"], "dingdemoapp", "{}", r.text);
    assert_eq!(h["x-tessera-corp-id"], DEMO_CORP);
    assert_eq!(h["x-tessera-token-kind"], "app");
    assert!(h["x-acs-dingtalk-access-token"].is_null(), "{}", r.text);
    assert!(!r.text.contains(&token));

    // Refused: nginx passes the status, and the required scopes in the header.
    let readonly = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    let r =
        app.send(app.http.put(format!("{proxy}/api/echo/5")).header("x-acs-dingtalk-access-token", &readonly)).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.header("x-tessera-required-scopes"), Some("qyapi_manage_addresslist"));
    let r = app.send(app.http.get(format!("{proxy}/api/echo/5"))).await;
    assert_eq!(r.status, 401, "a missing token is 401 for nginx: {}", r.text);

    // A recall takes effect on the next call through the proxy.
    let put = || app.http.put(format!("{proxy}/api/echo/5")).header("x-acs-dingtalk-access-token", &token);
    assert_eq!(app.send(put()).await.status, 200);
    let alice = session(&app, "alice-union").await;
    assert_eq!(grant(&app, &alice, DEMO_CORP, "dingdemoapp", "qyapi_manage_addresslist", false).await.status, 204);
    let r = app.send(put()).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-tessera-required-scopes"), Some("qyapi_manage_addresslist"));
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 2);
    nginx.kill().await.unwrap();
}

fn caddyfile(port: u16, tessera: &str, upstream: &str) -> String {
    let tessera = tessera.trim_start_matches("http://");
    let upstream = upstream.trim_start_matches("http://");
    format!(
        r#"{{
    admin off
    auto_https off
}}
http://127.0.0.1:{port} {{
    route {{
        request_header -X-Tessera-*
        forward_auth {tessera} {{
            uri /gateway/auth/forward
            copy_headers X-Tessera-Client-Id X-Tessera-Corp-Id X-Tessera-Union-Id X-Tessera-User-Id X-Tessera-Token-Kind X-Tessera-Scopes X-Tessera-Assertion
        }}
        request_header -X-Acs-Dingtalk-Access-Token
        request_header -Authorization
        reverse_proxy {upstream}
    }}
}}
"#
    )
}

#[tokio::test]
async fn caddy_forward_auth_forwards_identity_and_passes_the_dialects_refusal_body() {
    crate::interop::install::debian_packages(&["caddy"]).await;
    let upstream = start_upstream().await;
    let app = spawn_with(Setup::sqlite().with_routes(routes_file(&upstream.base).await)).await;
    let dir = temp_dir();
    let port = free_port();
    std::fs::write(dir.join("Caddyfile"), caddyfile(port, &app.base, &upstream.base)).unwrap();
    let log = dir.join("caddy.log");
    let mut caddy = tokio::process::Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(dir.join("Caddyfile"))
        .env("HOME", &dir)
        .env("XDG_DATA_HOME", &dir)
        .env("XDG_CONFIG_HOME", &dir)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.join("caddy.err")).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_listening(port, &mut caddy, &dir.join("caddy.err")).await;
    let proxy = format!("http://127.0.0.1:{port}");
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;

    let r = app
        .send(
            app.http
                .get(format!("{proxy}/api/echo/9"))
                .bearer_auth(&token)
                .header("x-tessera-union-id", "forged-union")
                .header("x-tessera-admin", "yes"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let h = &r.body["headers"];
    assert_eq!(h["x-tessera-client-id"], "dingdemoapp", "{}", r.text);
    assert_eq!(h["x-tessera-scopes"], "qyapi_get_member");
    assert!(
        h["x-tessera-union-id"].as_str().unwrap_or("").is_empty(),
        "forged union id reached the upstream: {}",
        r.text
    );
    assert!(h["x-tessera-admin"].is_null(), "{}", r.text);
    assert!(h["authorization"].is_null(), "{}", r.text);

    // Refused: the client gets the dialect's body from Tessera, through Caddy.
    let readonly = app.app_token(DEMO_CORP, "dingreadonly", "readonly-secret").await;
    let r = app.send(app.http.put(format!("{proxy}/api/echo/9")).bearer_auth(&readonly)).await;
    assert_dingtalk_error(&r, 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert_eq!(r.body["accessdenieddetail"]["requiredScopes"][0], "qyapi_manage_addresslist");
    assert_eq!(r.header("x-tessera-required-scopes"), Some("qyapi_manage_addresslist"));
    let basic = app.app_token(DEMO_CORP, "dingbasic", "basic-secret").await;
    let r = app.send(app.http.get(format!("{proxy}/api/feishu/1")).bearer_auth(&basic)).await;
    assert_eq!((r.status, r.body["code"].as_i64()), (400, Some(99991672)), "{}", r.text);
    assert_eq!(*upstream.seen.requests.lock().unwrap(), 1);
    caddy.kill().await.unwrap();
}
