//! The `tessera` commands that call the management API, against the running server.

use std::process::Output;

use crate::helpers::*;

async fn tessera(app: &TestApp, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.args(args)
        .env("TESSERA_SERVER", &app.base)
        .env("TESSERA_PASSWORD", "alice-password")
        .env_remove("TESSERA_TOKEN");
    if let Some(t) = token {
        cmd.env("TESSERA_TOKEN", t);
    }
    cmd.output().await.unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn the_lifecycle_from_the_command_line() {
    let app = spawn_app().await;
    let session = ok(&tessera(&app, None, &["login", "--password", "--user", "alice-union"]).await).trim().to_owned();
    assert!(session.starts_with("sess-"));
    let alice = Some(session.as_str());
    let op = Some(OPERATOR);
    let requested = ok(&tessera(
        &app,
        alice,
        &[
            "--json",
            "permissions",
            "request",
            "--app",
            "dingreadonly",
            "--scope",
            "hr.attendance.read",
            "--description",
            "shift planning",
        ],
    )
    .await);
    assert!(requested.contains("\"pending_review\""), "{requested}");
    assert!(ok(&tessera(&app, op, &["review", "list"]).await).contains("hr.attendance.read"));
    let declined = ok(&tessera(
        &app,
        op,
        &[
            "--json",
            "review",
            "decline",
            "--app",
            "dingreadonly",
            "--scope",
            "hr.attendance.read",
            "--reason",
            "say why",
        ],
    )
    .await);
    assert!(declined.contains("\"review_failed\"") && declined.contains("say why"), "{declined}");
    let denied = tessera(&app, alice, &["review", "list"]).await;
    assert!(!denied.status.success());
    assert!(String::from_utf8_lossy(&denied.stderr).contains("403"), "{}", String::from_utf8_lossy(&denied.stderr));

    let explained = ok(&tessera(
        &app,
        alice,
        &["--json", "explain", "--app", "suitedemo", "--corp", "dingdemo", "--route", "POST /v1.0/contact/departments"],
    )
    .await);
    assert!(explained.contains("\"not_authorized\"") && explained.contains("contacts_admin"), "{explained}");
    assert_eq!(
        ok(&tessera(
            &app,
            alice,
            &["grants", "authorize", "--corp", "dingdemo", "--app", "suitedemo", "--scope", "qyapi_manage_addresslist"]
        )
        .await)
        .trim(),
        "done"
    );
    let audit = ok(&tessera(
        &app,
        alice,
        &["audit", "list", "--corp", "dingdemo", "--app", "suitedemo", "--action", "scope_authorized"],
    )
    .await);
    assert!(audit.contains("Accept the app's request for permissions"), "{audit}");
    ok(&tessera(&app, alice, &["installations", "uninstall", "--corp", "dingdemo", "--app", "suitedemo"]).await);
    let explained = ok(&tessera(
        &app,
        alice,
        &["--json", "explain", "--app", "suitedemo", "--corp", "dingdemo", "--scope", "qyapi_get_member"],
    )
    .await);
    assert!(explained.contains("\"not_activated\""), "{explained}");
    ok(&tessera(&app, alice, &["installations", "activate", "--corp", "dingdemo", "--app", "suitedemo"]).await);
    let perms = ok(&tessera(&app, alice, &["permissions", "list", "--app", "dingreadonly"]).await);
    assert!(perms.contains("qyapi_get_member"), "{perms}");
}

/// `tessera scopes add` writes the database from another process; the running server drops
/// its cached catalogue at once (SQLite: it polls the change counter the write raised;
/// PostgreSQL: the write's NOTIFY), not when its cache would revalidate (an hour here).
async fn a_scope_added_from_the_cli_takes_effect_at_once(mut setup: Setup) {
    setup.config.cache.revalidate_secs = 3600;
    let app = spawn_with(setup).await;
    let request = || {
        app.http
            .post(app.url("/api/v1/apps/dingdemoapp/permissions"))
            .bearer_auth(OPERATOR)
            .json(&serde_json::json!({"scope": "hr.newly.added"}))
    };
    let before = app.send(request()).await;
    assert_eq!((before.status, before.str("error")), (400, "unknown_scope"), "{}", before.text);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["scopes", "add", "--code", "hr.newly.added", "--description", "Newly added", "--tier", "standard"])
        .args(["--database-url", &app.setup.database_url, "--data-dir"])
        .arg(&app.setup.data_dir)
        .output()
        .await
        .unwrap();
    ok(&out);
    let mut answer = None;
    for _ in 0..20 {
        let r = app.send(request()).await;
        if r.status == 200 {
            answer = Some(r);
            break;
        }
        assert_eq!(r.str("error"), "unknown_scope", "{}", r.text);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let answer = answer.expect("the server still answered unknown_scope a second after the scope was added");
    assert_eq!(answer.str("status"), "enabled", "{}", answer.text);
}

#[tokio::test]
async fn a_scope_added_from_the_cli_takes_effect_at_once_on_sqlite() {
    a_scope_added_from_the_cli_takes_effect_at_once(Setup::sqlite()).await;
}

#[tokio::test]
async fn a_scope_added_from_the_cli_takes_effect_at_once_on_postgres() {
    a_scope_added_from_the_cli_takes_effect_at_once(Setup::postgres().await).await;
}
