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
