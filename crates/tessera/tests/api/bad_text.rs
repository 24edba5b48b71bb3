//! Bad text never reaches the store: NUL and other control characters, invalid UTF-8 and
//! huge values in paths, query strings and bodies get a 400 in the dialect's own format on
//! SQLite and PostgreSQL alike (PostgreSQL text cannot hold NUL: it used to be a 500), and a
//! seeded fuzz run over every route of the HTTP layer finds no 5xx.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

const NUL: &str = "CEO\u{0}";

/// The request answers 400 (or 200 with Feishu's token-endpoint code) and names the field,
/// never repeating the value.
fn refused(r: &Reply) {
    assert!(r.status < 500, "{} {}", r.status, r.text);
    assert!(!r.text.contains('\u{0}'), "{}", r.text);
}

async fn the_issues_cases_are_refused_in_each_dialect(setup: Setup) {
    let app = spawn_with(setup).await;
    let token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;

    // DingTalk gateway: a member's title and a department name.
    let r = app.update_user(&token, "alice", json!({"title": NUL})).await;
    assert_dingtalk_error(&r, 400, "InvalidParameter");
    assert!(r.str("message").contains("title") && r.str("message").contains("U+0000"), "{}", r.text);
    let r = app.update_user(&token, "alice", json!({"title": "x".repeat(tessera_core::text::MAX_VALUE + 1)})).await;
    assert_dingtalk_error(&r, 400, "InvalidParameter");
    let alice = app.get_user(&token, "alice").await;
    assert_eq!(alice.status, 200, "{}", alice.text);
    assert_eq!(alice.str("title"), "", "nothing was stored");
    assert_dingtalk_error(&app.create_department(&token, json!({"name": "Ops\u{0}"})).await, 400, "InvalidParameter");
    // An id in the path, percent-encoded.
    assert_dingtalk_error(&app.get_user(&token, "alice%00").await, 400, "InvalidParameter");
    assert_dingtalk_error(&app.get_user(&token, "%FF%FE").await, 400, "InvalidParameter");
    // DingTalk token endpoint.
    let r = app.get_token(DEMO_CORP, json!({"client_id": "dingdemoapp\u{0}", "client_secret": "x"})).await;
    assert_dingtalk_error(&r, 400, "InvalidParameter");

    // Management API: a permission request's description, redirect URIs, the ticket
    // callback, the audit actor filter, the sign-in body.
    let alice = session(&app, "alice-union").await;
    let body = json!({"scope": "hr.attendance.read", "description": "shift\u{0}planning"});
    let r = api(&app, Some(&alice), reqwest::Method::POST, "/api/v1/apps/dingreadonly/permissions", Some(body)).await;
    assert_api_error(&r, 400);
    let uris = json!({"redirect_uris": ["https://app.example/cb\u{0}"]});
    let r = api(&app, Some(OPERATOR), reqwest::Method::PUT, "/api/v1/apps/dingdemoapp/redirect_uris", Some(uris)).await;
    assert_api_error(&r, 400);
    let callback = json!({"url": "http://127.0.0.1:9/cb\u{0}"});
    let r =
        api(&app, Some(OPERATOR), reqwest::Method::PUT, "/api/v1/apps/suitedemo/ticket-callback", Some(callback)).await;
    assert_api_error(&r, 400);
    let r = api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/orgs/dingdemo/audit?actor=user%00", None).await;
    assert_api_error(&r, 400);
    assert!(r.str("message").contains("actor"), "{}", r.text);
    let r = api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/orgs/dingdemo%00/apps", None).await;
    assert_api_error(&r, 400);
    let sign_in = json!({"account": "alice-union\u{0}", "password": "alice-password"});
    assert_api_error(&api(&app, None, reqwest::Method::POST, "/api/v1/sessions", Some(sign_in)).await, 400);
    // The audit log still lists the good events, and the chain holds.
    let log = api(&app, Some(&alice), reqwest::Method::GET, "/api/v1/orgs/dingdemo/audit", None).await;
    assert_eq!(log.status, 200, "{}", log.text);
    assert!(!log.text.contains("\\u0000"), "{}", log.text);

    // OAuth 2: form body and query.
    let r = app
        .oauth_token(
            &[("grant_type", "client_credentials"), ("corp_id", "ding\u{0}demo")],
            Some(("dingdemoapp", "demo-secret")),
        )
        .await;
    assert_oauth_error(&r, 400, "invalid_request");
    let r = app.send(app.http.get(app.url("/oauth2/token?x=%00"))).await;
    assert_eq!((r.status, r.str("error")), (400, "invalid_request"), "{}", r.text);

    // Feishu: a token endpoint (HTTP 200 with code 10003, as Feishu answers) and an OAuth one.
    let r = app
        .send(
            app.http
                .post(app.url("/open-apis/auth/v3/tenant_access_token/internal"))
                .json(&json!({"app_id": "cli\u{0}", "app_secret": "x"})),
        )
        .await;
    refused(&r);
    assert_eq!(r.body["code"], 10003, "{}", r.text);
    let r = app.send(app.http.post(app.url("/open-apis/authen/v2/oauth/token?grant_type=%00"))).await;
    assert_eq!((r.status, r.body["code"].clone()), (400, json!(10003)), "{}", r.text);

    // Web forms: the sign-in page.
    let form = [("account", "alice-union\u{0}"), ("password", "alice-password"), ("next", "/account")];
    let r = app
        .send(
            app.http
                .post(app.url("/login"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(form).unwrap()),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = app.send(app.http.get(app.url("/login?next=%2Faccount%00"))).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.header("content-type").unwrap_or_default().starts_with("text/html"), "{:?}", r.headers);
}

fn assert_api_error(r: &Reply, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.str("error"), "invalid_request", "{}", r.text);
    assert!(!r.str("message").is_empty(), "{}", r.text);
    refused(r);
}

#[tokio::test]
async fn bad_text_is_refused_in_each_dialect_on_sqlite() {
    the_issues_cases_are_refused_in_each_dialect(Setup::sqlite()).await;
}

#[tokio::test]
async fn bad_text_is_refused_in_each_dialect_on_postgres() {
    the_issues_cases_are_refused_in_each_dialect(Setup::postgres().await).await;
}

// ---- The fuzz run -------------------------------------------------------------------------

/// A route of the HTTP layer and the methods it answers.
#[derive(Debug)]
struct Route {
    path: String,
    methods: Vec<reqwest::Method>,
}

/// Every `.route("…", …)` in the HTTP layer's sources, with the methods of its handlers, so a
/// route added later is fuzzed too.
fn routes() -> Vec<Route> {
    let src = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tessera-http/src");
    let mut files = vec![src];
    let mut routes = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices(".route(") {
            let rest = &text[at + ".route(".len()..];
            let Some(literal) = rest.trim_start().strip_prefix('"') else { continue };
            let route_path = literal[..literal.find('"').unwrap()].to_owned();
            // The arguments of this `.route(`, up to its closing parenthesis.
            let (mut depth, mut end) = (1, rest.len());
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = i;
                    break;
                }
            }
            let args = &rest[..end];
            let mut methods = Vec::new();
            for (name, method) in [
                ("get", reqwest::Method::GET),
                ("post", reqwest::Method::POST),
                ("put", reqwest::Method::PUT),
                ("delete", reqwest::Method::DELETE),
                ("patch", reqwest::Method::PATCH),
                ("any", reqwest::Method::POST),
            ] {
                let called = args
                    .match_indices(&format!("{name}("))
                    .any(|(i, _)| i == 0 || !args[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
                if called && !methods.contains(&method) {
                    methods.push(method);
                }
            }
            if methods.is_empty() {
                methods.push(reqwest::Method::GET);
            }
            routes.push(Route { path: route_path, methods });
        }
    }
    // The gateways first (while the app token is good), then the rest; methods that
    // delete come last (they may uninstall the app or recall its grants).
    let gateway =
        |p: &str| p.starts_with("/v1.0/contact") || p.starts_with("/v1.0/doc") || p.starts_with("/open-apis/contact");
    routes.sort_by(|a, b| (!gateway(&a.path), &a.path).cmp(&(!gateway(&b.path), &b.path)));
    routes
}

/// xorshift64*: a deterministic stream from a fixed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

const SEED: u64 = 0x7e55_e7a0_0012_0006;
/// Generated requests per route and method, on top of the fixed ones.
const PER_ROUTE: usize = 6;

/// Names of fields the dialects read, to put bad values where handlers look.
const FIELDS: &[&str] = &[
    "title",
    "name",
    "description",
    "scope",
    "url",
    "account",
    "password",
    "client_id",
    "client_secret",
    "grant_type",
    "code",
    "refresh_token",
    "corp_id",
    "corpId",
    "redirect_uri",
    "code_verifier",
    "user_code",
    "device_code",
    "token",
    "decision",
    "reason",
    "kind",
    "actor",
    "action",
    "app_id",
    "app_secret",
    "appKey",
    "appSecret",
    "suiteKey",
    "suiteSecret",
    "suiteTicket",
    "authCorpId",
    "clientId",
    "clientSecret",
    "refreshToken",
    "grantType",
    "auth_corpid",
    "corpid",
    "corpsecret",
    "userid",
    "unionId",
    "state",
    "next",
    "csrf",
    "response_type",
    "receive_id",
    "msg_type",
    "content",
    "parent_id",
    "overlap_seconds",
    "since",
    "until",
    "limit",
    "after",
];

/// Bad or odd text values.
fn odd_values() -> Vec<String> {
    vec![
        "\u{0}".into(),
        "a\u{0}b".into(),
        "\u{1b}[2J".into(),
        "x\u{7f}\u{85}".into(),
        "\u{202e}gnp.exe\u{feff}".into(),
        "😀 张三 ﷽".into(),
        "' OR 1=1 --".into(),
        "../../etc/passwd".into(),
        "%".into(),
        String::new(),
        "-1".into(),
        "99999999999999999999999".into(),
        "a".repeat(5_000),
        "é".repeat(40_000),
    ]
}

/// A path parameter's plausible value (so requests reach the handlers) or a bad one.
fn fill(path: &str, rng: &mut Rng, bad_param: Option<usize>) -> String {
    let mut out = String::new();
    let mut index = 0;
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').unwrap() + open;
        let name = &rest[open + 1..close];
        let good = match name.trim_start_matches('*') {
            "corp_id" => "dingdemo",
            "client_id" => *rng.pick(&["dingdemoapp", "suitedemo", "dingreadonly"]),
            "user_id" => "alice",
            "scope" => "qyapi_manage_addresslist",
            "id" => "1",
            _ => "x/y",
        };
        if bad_param == Some(index) {
            let bad = ["%00", "a%00b", "%FF%FE", "%1B", "%C3", "%E2%80%AE"];
            let choice = *rng.pick::<&str>(&bad);
            out.push_str(choice);
        } else {
            out.push_str(good);
        }
        index += 1;
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn query(rng: &mut Rng) -> String {
    let mut pairs = Vec::new();
    for _ in 0..(1 + rng.next() % 3) {
        let value = match rng.next() % 4 {
            0 => "%00".to_owned(),
            1 => "%FF%FE".to_owned(),
            2 => "a".repeat(9_000),
            _ => {
                // Short enough for a URI (the huge ones are for bodies).
                let odd: String = rng.pick(&odd_values()).chars().take(2_000).collect();
                serde_urlencoded::to_string([("v", odd.as_str())]).unwrap()[2..].to_owned()
            }
        };
        pairs.push(format!("{}={value}", rng.pick(FIELDS)));
    }
    pairs.join("&")
}

/// A body: JSON with odd values (or odd types), a form, raw invalid UTF-8, deep nesting, huge.
fn body(rng: &mut Rng) -> (Vec<u8>, &'static str) {
    match rng.next() % 7 {
        0 | 1 => {
            let mut map = serde_json::Map::new();
            for _ in 0..(1 + rng.next() % 6) {
                map.insert(rng.pick(FIELDS).to_string(), Value::String(rng.pick(&odd_values()).clone()));
            }
            (serde_json::to_vec(&map).unwrap(), "application/json")
        }
        2 => {
            let odd = [json!(null), json!(1e300), json!(-1), json!(true), json!([["\u{0}"]]), json!({"a": "\u{0}"})];
            let mut map = serde_json::Map::new();
            for _ in 0..(1 + rng.next() % 6) {
                map.insert(rng.pick(FIELDS).to_string(), rng.pick(&odd).clone());
            }
            (serde_json::to_vec(&map).unwrap(), "application/json")
        }
        3 => {
            let mut pairs = Vec::new();
            for _ in 0..(1 + rng.next() % 6) {
                pairs.push((rng.pick(FIELDS).to_string(), rng.pick(&odd_values()).clone()));
            }
            let mut form = serde_urlencoded::to_string(&pairs).unwrap();
            form.push_str("&raw=%FF%00");
            (form.into_bytes(), "application/x-www-form-urlencoded")
        }
        4 => {
            let field = rng.pick(FIELDS);
            let mut raw = format!("{{\"{field}\":\"").into_bytes();
            raw.extend_from_slice(b"\xff\xfe\xc3\x00");
            raw.extend_from_slice(b"\"}");
            (raw, *rng.pick(&["application/json", "application/x-www-form-urlencoded", "text/plain"]))
        }
        5 => ("[".repeat(3_000).into_bytes(), "application/json"),
        _ => (format!("{{\"{}\":\"{}\"}}", rng.pick(FIELDS), "a".repeat(70_000)).into_bytes(), "application/json"),
    }
}

/// Credentials: the app token (DingTalk header) with the operator (Bearer, so the handlers of
/// the gateway and of the management API are reached), none, the operator, the app token
/// (DingTalk header and Bearer), or Basic.
fn authenticate(req: reqwest::RequestBuilder, rng: Option<&mut Rng>, app_token: &str) -> reqwest::RequestBuilder {
    let Some(rng) = rng else {
        return req.header("x-acs-dingtalk-access-token", app_token).bearer_auth(OPERATOR);
    };
    match rng.next() % 4 {
        0 => req,
        1 => req.bearer_auth(OPERATOR),
        2 => req.header("x-acs-dingtalk-access-token", app_token).bearer_auth(app_token),
        _ => req.basic_auth("dingdemoapp", Some("demo-secret")),
    }
}

async fn fuzz_every_route(setup: Setup) {
    let app = spawn_with(setup).await;
    let app_token = app.app_token(DEMO_CORP, "dingdemoapp", "demo-secret").await;
    let routes = routes();
    assert!(routes.len() >= 60, "found only {} routes: {routes:?}", routes.len());
    let mut rng = Rng(SEED);
    let (mut sent, mut failures) = (0, Vec::new());
    let mut plan: Vec<(&Route, &reqwest::Method)> =
        routes.iter().flat_map(|r| r.methods.iter().map(move |m| (r, m))).collect();
    plan.sort_by_key(|(_, m)| **m == reqwest::Method::DELETE);
    let run = async {
        for (route, method) in plan {
            let params = route.path.matches('{').count();
            {
                for case in 0..(PER_ROUTE + params + 2) {
                    // First each path parameter made bad, then a NUL query, then random mixes.
                    let bad_param = if case < params { Some(case) } else { None };
                    let mut url = app.url(&fill(&route.path, &mut rng, bad_param));
                    if case == params || (case > params + 1 && rng.next().is_multiple_of(2)) {
                        url.push('?');
                        url.push_str(&if case == params {
                            "actor=%00&client_id=a%00".to_owned()
                        } else {
                            query(&mut rng)
                        });
                    }
                    let mut req = app.http.request(method.clone(), &url);
                    if *method != reqwest::Method::GET {
                        let (bytes, content_type) = if case == params + 1 {
                            (
                                br#"{"title":"CEO\u0000","name":"\u0000","description":"\u0000"}"#.to_vec(),
                                "application/json",
                            )
                        } else {
                            body(&mut rng)
                        };
                        req = req.header("content-type", content_type).body(bytes);
                    }
                    // The fixed cases go with credentials that reach the handlers.
                    let fixed = case <= params + 1;
                    req = authenticate(req, if fixed { None } else { Some(&mut rng) }, &app_token);
                    let res = match req.send().await {
                        Ok(res) => res,
                        Err(e) => {
                            failures.push(format!("{method} {}: not sent: {e:.200}", &route.path));
                            continue;
                        }
                    };
                    let status = res.status().as_u16();
                    let text = res.text().await.unwrap_or_default();
                    sent += 1;
                    if status >= 500 {
                        failures.push(format!(
                            "{method} {} -> {status}: {}",
                            &url[..url.len().min(200)],
                            &text[..text.len().min(300)]
                        ));
                    }
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(300), run).await.expect("the fuzz run took more than 5 minutes");
    // Raw bytes a client library would not send: a NUL and invalid UTF-8 in the request line.
    for target in [&b"/v1.0/contact/users/al\x00ice"[..], b"/api/v1/orgs/\xff/audit", b"/oauth2/token?x=\x01"] {
        let mut request = b"GET ".to_vec();
        request.extend_from_slice(target);
        request.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let answer = raw_http(&app, &request).await;
        assert!(!answer.starts_with("HTTP/1.1 5"), "{answer}");
    }
    assert!(sent > 500, "only {sent} requests were sent");
    assert!(failures.is_empty(), "{} of {sent} requests answered 5xx:\n{}", failures.len(), failures.join("\n"));
    // The server still answers normally (the fuzz may have uninstalled apps with the
    // operator's token, so ask something that does not depend on them).
    let metadata = app.send(app.http.get(app.url("/.well-known/oauth-authorization-server"))).await;
    assert_eq!(metadata.status, 200, "{}", metadata.text);
    eprintln!("{sent} requests, none answered 5xx");
}

#[tokio::test]
async fn fuzzing_every_route_finds_no_5xx_on_sqlite() {
    fuzz_every_route(Setup::sqlite()).await;
}

#[tokio::test]
async fn fuzzing_every_route_finds_no_5xx_on_postgres() {
    fuzz_every_route(Setup::postgres().await).await;
}
