//! Throttling that cannot be raced (issue 11, items 6 and 7): sign-in attempts reserved before
//! the password is checked, password checks behind a bounded gate, `X-Forwarded-For` only
//! from trusted proxies, wrong operator tokens on `/api/v1`, and the device flow's limits,
//! client authentication and warning. Floods are bounded in count; nothing here is timed.

use std::sync::Arc;

use serde_json::json;
use tessera_core::time::Clock;
use tessera_service::Tessera;
use tessera_service::clock::SystemClock;
use tessera_service::throttle::{
    DEVICE_START_WINDOW, DEVICE_STARTS_PER_ADDRESS, OPERATOR_TOKEN_FAILURES_PER_ADDRESS, SIGN_IN_FAILURES_PER_ACCOUNT,
    SIGN_IN_FAILURES_PER_ADDRESS, USER_CODE_MISSES_PER_ADDRESS, USER_CODE_WINDOW,
};
use tokio::task::JoinSet;

use crate::browser::Browser;
use crate::feishu::{FEISHU_APP, FEISHU_SECRET};
use crate::helpers::*;

/// The server on `setup`, keeping a handle on its service to read its counters.
async fn spawn_keeping(setup: Setup) -> (TestApp, Tessera) {
    let store = tessera::backend::open_store(&setup.database_url).await.unwrap();
    let key = tessera::key::load_or_create(&setup.data_dir).unwrap();
    let clock: Arc<dyn Clock> = match &setup.clock {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let fixture = tessera::boot::read_fixture(&demo_fixture_path()).unwrap();
    let (tessera, _) = tessera::boot::service(store, clock, key, setup.config.clone(), Some(&fixture)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let gateway = tessera::boot::gateway(&tessera, Some(&setup.routes)).await.unwrap();
    tokio::spawn(tessera::boot::run(listener, tessera.clone(), gateway, std::future::pending()));
    (TestApp::remote(&base, setup), tessera)
}

/// A setup whose limiter believes `X-Forwarded-For` from the test client (127.0.0.1).
fn behind_proxy(mut setup: Setup) -> Setup {
    setup.config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    setup
}

async fn api_sign_in(app: &TestApp, account: &str, password: &str, forwarded_for: Option<&str>) -> Reply {
    let mut req = app.http.post(app.url("/api/v1/sessions")).json(&json!({"account": account, "password": password}));
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    app.send(req).await
}

/// Sends `n` sign-ins at once (`account(i)`, wrong passwords); returns the statuses.
async fn parallel_wrong_passwords(app: &TestApp, n: usize, account: impl Fn(usize) -> String) -> Vec<u16> {
    let mut set = JoinSet::new();
    for i in 0..n {
        let (http, url, account) = (app.http.clone(), app.url("/api/v1/sessions"), account(i));
        set.spawn(async move {
            let res = http.post(url).json(&json!({"account": account, "password": "wrong"})).send().await.unwrap();
            res.status().as_u16()
        });
    }
    set.join_all().await
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn parallel_wrong_passwords_for_one_account_run_at_most_the_limit(setup: Setup) {
    let (app, tessera) = spawn_keeping(setup).await;
    let before = tessera.sign_in_password_checks();
    let statuses = parallel_wrong_passwords(&app, 150, |_| "alice-union".into()).await;
    let checks = tessera.sign_in_password_checks() - before;
    assert_eq!(count(&statuses, 401) + count(&statuses, 429), 150, "{statuses:?}");
    assert!(count(&statuses, 401) <= SIGN_IN_FAILURES_PER_ACCOUNT, "{statuses:?}");
    assert!(checks <= SIGN_IN_FAILURES_PER_ACCOUNT as u64, "{checks} password checks for 150 parallel guesses");
    assert_eq!(checks as usize, count(&statuses, 401), "every 401 ran one check, no 429 ran any");
    // The account is locked now, even for the right password, and no check runs for it.
    let locked = api_sign_in(&app, "alice-union", "alice-password", None).await;
    assert_eq!(locked.status, 429, "{}", locked.text);
    assert_eq!(locked.str("error"), "too_many_attempts");
    assert!(locked.header("retry-after").unwrap().parse::<i64>().unwrap() > 0);
    assert_eq!(tessera.sign_in_password_checks() - before, checks);
}

#[tokio::test]
async fn parallel_wrong_passwords_for_one_account_run_at_most_the_limit_on_sqlite() {
    parallel_wrong_passwords_for_one_account_run_at_most_the_limit(Setup::sqlite()).await;
}

#[tokio::test]
async fn parallel_wrong_passwords_for_one_account_run_at_most_the_limit_on_postgres() {
    parallel_wrong_passwords_for_one_account_run_at_most_the_limit(Setup::postgres().await).await;
}

#[tokio::test]
async fn parallel_wrong_passwords_across_accounts_run_at_most_the_address_limit() {
    let (app, tessera) = spawn_keeping(Setup::sqlite()).await;
    let statuses = parallel_wrong_passwords(&app, 150, |i| format!("ghost-{i}")).await;
    let checks = tessera.sign_in_password_checks();
    assert_eq!(count(&statuses, 401) + count(&statuses, 429), 150, "{statuses:?}");
    assert!(checks <= SIGN_IN_FAILURES_PER_ADDRESS as u64, "{checks} password checks for 150 parallel guesses");
    assert_eq!(checks as usize, count(&statuses, 401));
}

#[tokio::test]
async fn a_flood_from_many_addresses_is_checked_or_turned_away_never_failed() {
    // Behind a trusted proxy, 150 clients at once each have their own budget: the limits
    // let every one through, so the password gate queues them or answers 429 `busy`.
    let (app, tessera) = spawn_keeping(behind_proxy(Setup::sqlite())).await;
    let mut set = JoinSet::new();
    for i in 0..150 {
        let (http, url) = (app.http.clone(), app.url("/api/v1/sessions"));
        set.spawn(async move {
            let res = http
                .post(url)
                .header("x-forwarded-for", format!("198.51.100.{i}"))
                .json(&json!({"account": format!("ghost-{i}"), "password": "wrong"}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, body["error"].as_str().unwrap_or_default().to_owned())
        });
    }
    let answers = set.join_all().await;
    for (status, error) in &answers {
        assert!(
            (*status == 401 && error == "bad_credentials") || (*status == 429 && error == "busy"),
            "{status} {error}"
        );
    }
    let checked = answers.iter().filter(|(s, _)| *s == 401).count();
    assert_eq!(tessera.sign_in_password_checks() as usize, checked, "a turned-away request ran no check");
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = spawn_app().await;
    for i in 0..SIGN_IN_FAILURES_PER_ADDRESS {
        let r = api_sign_in(&app, &format!("ghost-{i}"), "wrong", Some(&format!("203.0.113.{i}"))).await;
        assert_eq!(r.status, 401, "{}", r.text);
    }
    // Every request came from 127.0.0.1, whatever the header said: that address is spent.
    let r = api_sign_in(&app, "bob-union", "bob-password", Some("198.51.100.1")).await;
    assert_eq!(r.status, 429, "{}", r.text);
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_client_cannot_lock_out_the_others() {
    let app = spawn_with(behind_proxy(Setup::sqlite())).await;
    let attacker = "203.0.113.66";
    for i in 0..SIGN_IN_FAILURES_PER_ADDRESS {
        let r = api_sign_in(&app, &format!("ghost-{i}"), "wrong", Some(attacker)).await;
        assert_eq!(r.status, 401, "{}", r.text);
    }
    assert_eq!(api_sign_in(&app, "bob-union", "wrong", Some(attacker)).await.status, 429);
    // A forged entry left of the proxy's own does not help: the rightmost untrusted one counts.
    let forged = format!("198.51.100.7, {attacker}");
    assert_eq!(api_sign_in(&app, "bob-union", "bob-password", Some(&forged)).await.status, 429);
    // Another client behind the same proxy signs in.
    let r = api_sign_in(&app, "bob-union", "bob-password", Some("198.51.100.7")).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn reviews(app: &TestApp, bearer: &str, forwarded_for: Option<&str>) -> Reply {
    let mut req = app.http.get(app.url("/api/v1/reviews")).bearer_auth(bearer);
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    app.send(req).await
}

#[tokio::test]
async fn wrong_operator_tokens_on_the_api_are_limited_per_address() {
    let app = spawn_with(behind_proxy(Setup::sqlite())).await;
    let attacker = Some("203.0.113.9");
    // 300 guesses at once: at most the limit are even compared.
    let mut set = JoinSet::new();
    for i in 0..300 {
        let (http, url) = (app.http.clone(), app.url("/api/v1/reviews"));
        set.spawn(async move {
            let res = http
                .get(url)
                .bearer_auth(format!("guess-{i}-of-the-operator-token"))
                .header("x-forwarded-for", "203.0.113.9")
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        });
    }
    let statuses = set.join_all().await;
    assert_eq!(count(&statuses, 401), OPERATOR_TOKEN_FAILURES_PER_ADDRESS, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 300 - OPERATOR_TOKEN_FAILURES_PER_ADDRESS);
    // Even the right token is refused from there now; the answer says when to come back.
    let r = reviews(&app, OPERATOR, attacker).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.str("error"), "too_many_attempts");
    assert!(r.header("retry-after").unwrap().parse::<i64>().unwrap() > 0);
    // A live session cannot be guessed, so it still works from that address.
    let session = api_sign_in(&app, "alice-union", "alice-password", attacker).await;
    assert_eq!(session.status, 200, "{}", session.text);
    let own = reviews(&app, session.str("session"), attacker).await;
    assert!(own.status == 200 || own.status == 403, "{}: {}", own.status, own.text);
    // Another address is not held up.
    assert_eq!(reviews(&app, OPERATOR, Some("198.51.100.2")).await.status, 200);
}

async fn start_oauth2(app: &TestApp, forwarded_for: &str) -> Reply {
    app.send(
        app.http
            .post(app.url("/oauth2/device_authorization"))
            .header("x-forwarded-for", forwarded_for)
            .basic_auth(FEISHU_APP, Some(FEISHU_SECRET))
            .form(&[("scope", "doc:readonly")]),
    )
    .await
}

async fn start_feishu_v1(app: &TestApp, forwarded_for: &str) -> Reply {
    app.send(
        app.http
            .post(app.url("/oauth/v1/device_authorization"))
            .header("x-forwarded-for", forwarded_for)
            .basic_auth(FEISHU_APP, Some(FEISHU_SECRET))
            .form(&[("scope", "doc:readonly")]),
    )
    .await
}

async fn start_feishu_v2(app: &TestApp, forwarded_for: &str) -> Reply {
    app.send(
        app.http
            .post(app.url("/open-apis/authen/v2/oauth/device_authorization"))
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({"client_id": FEISHU_APP, "client_secret": FEISHU_SECRET, "scope": "doc:readonly"})),
    )
    .await
}

#[tokio::test]
async fn device_authorizations_are_limited_per_address_across_dialects() {
    let app = spawn_with(behind_proxy(Setup::sqlite().with_fake_clock(1_700_000_000))).await;
    let client = "203.0.113.20";
    for i in 0..DEVICE_STARTS_PER_ADDRESS {
        let r = match i % 3 {
            0 => start_oauth2(&app, client).await,
            1 => start_feishu_v1(&app, client).await,
            _ => start_feishu_v2(&app, client).await,
        };
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = start_oauth2(&app, client).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.str("error"), "slow_down");
    assert!(!r.str("error_description").is_empty());
    assert!(r.header("retry-after").unwrap().parse::<i64>().unwrap() > 0);
    for r in [start_feishu_v1(&app, client).await, start_feishu_v2(&app, client).await] {
        assert_eq!(r.status, 429, "{}", r.text);
        assert_eq!(r.body["code"], 20071, "{}", r.text);
        assert_eq!(r.str("error"), "slow_down");
    }
    // Another address starts; the limited one again once the window has passed.
    assert_eq!(start_oauth2(&app, "198.51.100.20").await.status, 200);
    app.advance(DEVICE_START_WINDOW);
    assert_eq!(start_oauth2(&app, client).await.status, 200);
}

#[tokio::test]
async fn a_confidential_client_authenticates_to_start_a_device_flow() {
    let app = spawn_app().await;
    // The id alone is not enough for a confidential client, nor a wrong secret.
    let id_only = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .form(&[("client_id", FEISHU_APP), ("scope", "doc:readonly")]),
        )
        .await;
    assert_eq!(id_only.status, 401, "{}", id_only.text);
    assert_eq!(id_only.str("error"), "invalid_client");
    let feishu_id_only = app
        .send(
            app.http
                .post(app.url("/oauth/v1/device_authorization"))
                .form(&[("client_id", FEISHU_APP), ("scope", "doc:readonly")]),
        )
        .await;
    assert_eq!(feishu_id_only.str("error"), "invalid_client", "{}", feishu_id_only.text);
    assert!(feishu_id_only.body["device_code"].is_null());
    let wrong = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth(FEISHU_APP, Some("not-the-secret"))
                .form(&[("scope", "doc:readonly")]),
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    // With its secret it starts; a public client starts with its id alone.
    let r = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth(FEISHU_APP, Some(FEISHU_SECRET))
                .form(&[("scope", "doc:readonly")]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let public = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .form(&[("client_id", "dingcli"), ("scope", "doc:readonly")]),
        )
        .await;
    assert_eq!(public.status, 200, "{}", public.text);
    assert!(public.str("device_code").starts_with("dc-"));
}

fn random_code() -> String {
    const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let pick = || ALPHABET[rand::random_range(0..ALPHABET.len())] as char;
    let code: String = (0..8).map(|_| pick()).collect();
    format!("{}-{}", &code[..4], &code[4..])
}

async fn random_user_code_lookups_get_429(setup: Setup, lookups: usize) {
    let app = spawn_with(behind_proxy(setup.with_fake_clock(1_700_000_000))).await;
    let browser = Browser::new(&app);
    let signed = browser.sign_in("bob-union", "bob-password", "/device").await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    let pending = start_oauth2(&app, "198.51.100.30").await;
    let real = pending.str("user_code").to_owned();

    // Random codes on the three pages, a few at a time, all from the browser's address.
    let mut statuses = Vec::with_capacity(lookups);
    for chunk in (0..lookups).collect::<Vec<_>>().chunks(16) {
        let mut set = JoinSet::new();
        for i in chunk {
            let path = match i % 3 {
                0 => "/device/card",
                1 => "/device/qr.svg",
                _ => "/device",
            };
            let url = format!("{}{path}?user_code={}", app.base, random_code());
            let http = browser.http.clone();
            set.spawn(async move {
                let res = http.get(url).send().await.unwrap();
                let status = res.status().as_u16();
                let retry_after = res.headers().get("retry-after").is_some();
                let html = res.text().await.unwrap();
                (status, retry_after, html)
            });
        }
        for (status, retry_after, html) in set.join_all().await {
            if status == 429 {
                assert!(retry_after, "{html}");
                assert!(html.contains("Too many codes"), "{html}");
            } else {
                assert!(status == 404 || status == 400, "{status}: {html}");
            }
            statuses.push(status);
        }
    }
    assert_eq!(
        lookups - count(&statuses, 429),
        USER_CODE_MISSES_PER_ADDRESS,
        "only misses up to the limit are looked up"
    );

    // The real code too waits, from this address; from another it shows the app.
    let own = browser.get(&format!("/device?user_code={real}")).await;
    assert_eq!(own.status, 429, "{}", own.html);
    let card = app
        .send(
            app.http.get(app.url(&format!("/device/card?user_code={real}"))).header("x-forwarded-for", "198.51.100.31"),
        )
        .await;
    assert_eq!(card.status, 200, "{}", card.text);
    assert!(card.text.contains("Demo Feishu bot"), "{}", card.text);
    // Once the window has passed, the browser's address looks up again (a new request: the
    // first one expired with the window).
    app.advance(USER_CODE_WINDOW);
    let fresh = start_oauth2(&app, "198.51.100.30").await;
    let page = browser.get(&format!("/device?user_code={}", fresh.str("user_code"))).await;
    assert_eq!(page.status, 200, "{}", page.html);
}

#[tokio::test]
async fn random_user_code_lookups_get_429_on_sqlite() {
    random_user_code_lookups_get_429(Setup::sqlite(), 2_000).await;
}

#[tokio::test]
async fn random_user_code_lookups_get_429_on_postgres() {
    random_user_code_lookups_get_429(Setup::postgres().await, 200).await;
}

#[tokio::test]
async fn found_codes_do_not_count_against_the_address() {
    let app = spawn_with(Setup::sqlite().with_fake_clock(1_700_000_000)).await;
    let started = start_oauth2(&app, "ignored").await;
    let code = started.str("user_code");
    for _ in 0..USER_CODE_MISSES_PER_ADDRESS + 5 {
        let r = app.send(app.http.get(app.url(&format!("/device/qr.svg?user_code={code}")))).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

#[tokio::test]
async fn the_verification_page_names_the_app_and_warns_to_continue_only_for_ones_own_sign_in() {
    let app = spawn_with(Setup::sqlite().with_fake_clock(1_700_000_000)).await;
    let started = start_oauth2(&app, "ignored").await;
    let browser = Browser::new(&app);
    let next = format!("/device?user_code={}", started.str("user_code"));
    let signed = browser.sign_in("alice-union", "alice-password", &next).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    let page = browser.get(&next).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("<strong>Demo Feishu bot</strong> asks to act on your behalf"), "{}", page.html);
    assert!(
        page.html.contains("Continue only if you started signing in to <strong>Demo Feishu bot</strong> yourself"),
        "{}",
        page.html
    );
    assert!(page.html.contains("choose Deny"), "{}", page.html);
}
