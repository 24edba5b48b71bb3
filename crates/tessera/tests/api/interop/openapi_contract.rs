//! The OpenAPI document is the contract: schemathesis (pinned, in a virtualenv the test
//! creates) generates requests for every operation of `/api/v1/openapi.json` against the
//! running server, on SQLite and PostgreSQL, as the operator and as a signed-in member, and
//! the run fails on any 5xx, any status the document does not list, and any answer that
//! does not match its documented schema or content type.

use serde_json::json;

use crate::helpers::*;

/// schemathesis 3.39 with the Hypothesis of its time (hypothesis-jsonschema needs an API
/// later Hypothesis releases dropped).
const PACKAGES: &[&str] = &["schemathesis==3.39.16", "hypothesis==6.130.0"];
/// Examples per operation: enough to reach every documented branch of the small bodies,
/// few enough that a run takes well under a minute.
const EXAMPLES: &str = "25";
/// A fixed seed: a failure reproduces.
const SEED: &str = "20261126";

async fn member_session(app: &TestApp) -> String {
    let r = app
        .send(
            app.http
                .post(app.url("/api/v1/sessions"))
                .json(&json!({"account": "alice-union", "password": "alice-password"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.str("session").to_owned()
}

/// Generated ids are mostly unknown (404); this hook swaps three of four generated
/// `corp_id`, `client_id`, `scope` and `union_id` values (in the path, the query and the
/// body) for ids of the demo fixture, so the run also reaches the answers past the lookups.
/// The choice depends only on the generated value: a seeded run is reproducible.
const HOOKS: &str = r#"
import schemathesis

KNOWN = {
    "corp_id": ["dingdemo", "dingother"],
    "client_id": ["dingdemoapp", "dingreadonly", "dingbasic", "suitedemo", "suitelegacy", "dingpersonal", "cli_feishudemo"],
    "scope": ["qyapi_base", "qyapi_get_member", "Contact.User.Read", "hr.attendance.read", "hr.payroll.read", "doc:create"],
    "union_id": ["alice-union", "bob-union"],
}


def pick(name, value):
    options = KNOWN.get(name)
    if not options or not isinstance(value, str):
        return value
    h = sum(value.encode("utf-8", "surrogatepass"))
    return value if h % 4 == 0 else options[h % len(options)]


def mapped(values):
    return {k: pick(k, v) for k, v in values.items()} if isinstance(values, dict) else values


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    return mapped(path_parameters)


@schemathesis.hook
def map_query(context, query):
    return mapped(query)


@schemathesis.hook
def map_body(context, body):
    return mapped(body)
"#;

/// Runs schemathesis over every operation with `token` as the Bearer token.
async fn schemathesis(app: &TestApp, token: &str, who: &str) {
    let python = crate::interop::install::python_venv("schemathesis-venv", PACKAGES).await;
    let cli = python.parent().unwrap().join("schemathesis");
    let hooks = temp_dir();
    std::fs::write(hooks.join("tessera_ids.py"), HOOKS).unwrap();
    let out = tokio::process::Command::new(cli)
        .current_dir(&hooks)
        .args([
            "run",
            &app.url("/api/v1/openapi.json"),
            // The document is OpenAPI 3.1 (`type: [string, null]`); 3.x reads it behind this flag.
            "--experimental=openapi-3.1",
            "--checks",
            "all",
            // `ignored_auth` sends a made-up Bearer token after each success. Wrong tokens are
            // counted per address and answered 429 past the limit (security_throttle), which
            // then also holds back the operator token from that address: the check would lock
            // the run out. Refusing missing and wrong credentials is tested in security_roles.
            "--exclude-checks",
            "ignored_auth",
            "--hypothesis-max-examples",
            EXAMPLES,
            "--hypothesis-seed",
            SEED,
            "--hypothesis-database",
            "none",
            // Health checks judge how fast examples are generated from the patterns, not the
            // server's answers.
            "--hypothesis-suppress-health-check",
            "all",
            // The credentials are the ones given below; made-up ones (a session cookie with
            // control characters, which the HTTP layer refuses before any route) test nothing
            // of the document.
            "--generation-with-security-parameters=false",
            "--request-timeout",
            "10000",
            "-H",
            &format!("Authorization: Bearer {token}"),
        ])
        .env("SCHEMATHESIS_HOOKS", "tessera_ids")
        .env("PYTHONPATH", &hooks)
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .output()
        .await
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "schemathesis as {who} found problems:\n{stdout}\n{stderr}");
    let passed = stdout
        .lines()
        .rev()
        .find_map(|l| l.split(" passed").next().and_then(|s| s.rsplit(' ').next()).and_then(|n| n.parse::<u32>().ok()));
    // Every operation of the document (derived from the router: every route it mounts).
    let doc = app.send(app.http.get(app.url("/api/v1/openapi.json"))).await.body;
    let operations = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().keys())
        .filter(|k| ["get", "put", "post", "delete", "patch"].contains(&k.as_str()))
        .count();
    assert!(operations >= 21, "the document lists {operations} operations");
    assert_eq!(passed, Some(operations as u32), "schemathesis as {who} did not test every operation:\n{stdout}");
}

async fn contract_holds(app: TestApp) {
    // Signed in first: the run fuzzes sign-in with wrong passwords from this address, which
    // the throttle answers 429 past its limit (documented).
    let session = member_session(&app).await;
    schemathesis(&app, OPERATOR, "the operator").await;
    schemathesis(&app, &session, "a member").await;
    app.stop().await;
}

#[tokio::test]
async fn schemathesis_finds_no_breach_of_the_openapi_document_on_sqlite() {
    contract_holds(spawn_app().await).await;
}

#[tokio::test]
async fn schemathesis_finds_no_breach_of_the_openapi_document_on_postgres() {
    contract_holds(spawn_with(Setup::postgres().await).await).await;
}
