//! The real binary at trace level: no secret, password or token ever reaches its log, and
//! SIGTERM stops it gracefully.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::browser::*;
use crate::helpers::*;

#[tokio::test]
async fn no_secret_or_token_appears_in_the_log_and_sigterm_stops_cleanly() {
    let dir = temp_dir();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--listen", "127.0.0.1:0", "--fixture"])
        .arg(demo_fixture_path())
        .arg("--routes")
        .arg(demo_routes_path())
        .arg("--data-dir")
        .arg(&dir)
        .env("TESSERA_LOG", "trace")
        .env_remove("TESSERA_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let log = tokio::spawn(async move {
        let mut s = String::new();
        stderr.read_to_string(&mut s).await.unwrap();
        s
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next_line().await.unwrap().expect("server exited before listening");
        if let Some(addr) = line.strip_prefix("tessera listening on ") {
            break addr.to_owned();
        }
    };
    let http = reqwest::Client::new();
    let mut secrets =
        vec!["demo-secret".to_owned(), "suite-secret".into(), "readonly-secret".into(), "alice-password".into()];
    let r: serde_json::Value = http
        .post(format!("{base}/v1.0/oauth2/dingdemo/token"))
        .json(&serde_json::json!({"client_id": "dingdemoapp", "client_secret": "demo-secret", "grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = r["access_token"].as_str().unwrap().to_owned();
    secrets.push(token.clone());
    let r: serde_json::Value = http
        .post(format!("{base}/oauth2/token"))
        .basic_auth("suitedemo", Some("suite-secret"))
        .form(&[("grant_type", "client_credentials"), ("corp_id", "dingother")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    secrets.push(r["access_token"].as_str().unwrap().to_owned());
    let wrong = "wrong-secret-7f3a9";
    secrets.push(wrong.into());
    http.get(format!("{base}/gettoken?appkey=dingreadonly&appsecret=readonly-secret")).send().await.unwrap();
    http.get(format!("{base}/gettoken?appkey=dingreadonly&appsecret={wrong}")).send().await.unwrap();
    http.post(format!("{base}/oauth2/token"))
        .basic_auth("dingdemoapp", Some(wrong))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let forged = "t-forged-token-value-0123456789";
    secrets.push(forged.into());
    http.get(format!("{base}/v1.0/contact/users/alice"))
        .header("x-acs-dingtalk-access-token", forged)
        .send()
        .await
        .unwrap();
    let ok = http
        .get(format!("{base}/v1.0/contact/users/alice"))
        .header("x-acs-dingtalk-access-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // Feishu: a tenant token (and a wrong secret), then a device flow started and polled.
    secrets.push("feishu-secret".into());
    for secret in ["feishu-secret", wrong] {
        let r = http
            .post(format!("{base}/open-apis/auth/v3/tenant_access_token/internal"))
            .body(format!(r#"{{"app_id": "cli_feishudemo", "app_secret": "{secret}"}}"#))
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        if let Some(t) = v["tenant_access_token"].as_str() {
            secrets.push(t.to_owned());
        }
    }
    let device: serde_json::Value = http
        .post(format!("{base}/oauth/v1/device_authorization"))
        .basic_auth("cli_feishudemo", Some("feishu-secret"))
        .form(&[("scope", "doc:readonly offline_access")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_code = device["device_code"].as_str().unwrap().to_owned();
    secrets.push(device_code.clone());
    let poll = http
        .post(format!("{base}/open-apis/authen/v2/oauth/token"))
        .json(&serde_json::json!({"client_id": "cli_feishudemo", "client_secret": "feishu-secret",
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": device_code}))
        .send()
        .await
        .unwrap();
    assert_eq!(poll.status(), 400);
    // A user signs in (a wrong password first), consents, and the code becomes tokens.
    let browser = Browser::at(&base);
    assert_eq!(browser.sign_in("alice-union", "alice-wrong-password", "/account").await.status, 401);
    secrets.push("alice-wrong-password".into());
    let path = format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&redirect_uri={}&scope=openid&state=s",
        urlencode("http://127.0.0.1:8900/callback")
    );
    let done = browser.authorize(&path, "alice-union", "alice-password").await;
    let code = done.location_param("code").unwrap();
    secrets.push(code.clone());
    let token_form = |form: Vec<(&'static str, String)>| {
        http.post(format!("{base}/oauth2/token")).basic_auth("dingdemoapp", Some("demo-secret")).form(&form).send()
    };
    let exchange = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.clone()),
        ("redirect_uri", "http://127.0.0.1:8900/callback".to_owned()),
    ];
    let pair: serde_json::Value = token_form(exchange.clone()).await.unwrap().json().await.unwrap();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    secrets.push(pair["access_token"].as_str().unwrap().to_owned());
    secrets.push(refresh.clone());
    // Reusing the code (refused, and revokes) and refreshing twice (reuse detection).
    token_form(exchange).await.unwrap();
    for _ in 0..2 {
        token_form(vec![("grant_type", "refresh_token".to_owned()), ("refresh_token", refresh.clone())]).await.unwrap();
    }
    // A suite polls its ticket, gets suite and corp tokens, and an admin consents for it.
    let post = |path: &str, body: serde_json::Value| http.post(format!("{base}{path}")).json(&body).send();
    let mut ticket = String::new();
    for _ in 0..50 {
        let r: serde_json::Value = post(
            "/v1.0/oauth2/suiteTicket",
            serde_json::json!({"suiteKey": "suitedemo", "suiteSecret": "suite-secret"}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        if let Some(t) = r["suiteTicket"].as_str() {
            ticket = t.to_owned();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ticket.starts_with("st-"));
    secrets.push(ticket.clone());
    let creds = serde_json::json!({"suiteKey": "suitedemo", "suiteSecret": "suite-secret", "suiteTicket": ticket, "authCorpId": "dingother"});
    for path in ["/v1.0/oauth2/suiteAccessToken", "/v1.0/oauth2/corpAccessToken"] {
        let r: serde_json::Value = post(path, creds.clone()).await.unwrap().json().await.unwrap();
        secrets.push(r["accessToken"].as_str().unwrap().to_owned());
    }
    post(
        "/service/get_suite_token",
        serde_json::json!({"suite_key": "suitedemo", "suite_secret": wrong, "suite_ticket": ticket}),
    )
    .await
    .unwrap();
    let consent = format!(
        "/dingdemo/adminConsent?client_id=suitedemo&redirect_uri={}&state=s",
        urlencode("http://127.0.0.1:8902/callback")
    );
    let page = browser.get(&consent).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let mut form = page.hidden();
    form.push(("decision".into(), "approve".into()));
    let done = browser.post("/dingdemo/adminConsent", &form).await;
    let auth_code = done.location_param("authCode").unwrap();
    secrets.push(auth_code.clone());
    let org: serde_json::Value = http
        .post(format!("{base}/oauth2/token"))
        .basic_auth("suitedemo", Some("suite-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &auth_code),
            ("redirect_uri", "http://127.0.0.1:8902/callback"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(org["access_token"].as_str().unwrap().starts_with("c-"), "{org}");

    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().await.unwrap();
    assert!(status.success(), "SIGTERM should stop the server cleanly: {status:?}");
    let log = log.await.unwrap();
    assert!(log.contains("request"), "the log was not at trace level:\n{log}");
    assert!(log.contains("shutting down"), "{log}");
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "the log contains a secret ({}…):\n{log}", &s[..4]);
    }
    assert!(!log.contains("sess-") && !log.contains("login-"), "a session or login cookie was logged:\n{log}");
}
