//! Fixture loading through the binary: idempotent, atomic, and clear when it refuses.

use std::path::Path;
use std::process::Output;

use tessera_core::ids::CorpId;

use crate::helpers::*;

fn tessera(args: &[&str], data_dir: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("TESSERA_DATABASE_URL")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn loading_the_demo_twice_changes_nothing_the_second_time() {
    let dir = temp_dir();
    let fixture = demo_fixture_path();
    let first = tessera(&["load-fixture", fixture.to_str().unwrap()], &dir);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(!stdout(&first).contains(" 0 change"), "{}", stdout(&first));
    let second = tessera(&["load-fixture", fixture.to_str().unwrap()], &dir);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stdout(&second).contains("fixture: 0 change(s) applied"), "{}", stdout(&second));
}

#[tokio::test]
async fn a_conflicting_fixture_is_refused_and_changes_nothing() {
    let dir = temp_dir();
    let demo = demo_fixture_path();
    assert!(tessera(&["load-fixture", demo.to_str().unwrap()], &dir).status.success());
    let conflicting = dir.join("conflict.toml");
    std::fs::write(
        &conflicting,
        "[[orgs]]\ncorp_id = \"dingnew\"\nname = \"New Corp\"\n\n[[orgs]]\ncorp_id = \"dingdemo\"\nname = \"Renamed Corp\"\n",
    )
    .unwrap();
    let out = tessera(&["load-fixture", conflicting.to_str().unwrap()], &dir);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("org dingdemo exists with another name"), "{}", stderr(&out));
    let store = tessera::backend::open_store(&format!("sqlite://{}", dir.join("tessera.db").display())).await.unwrap();
    assert!(store.org(&CorpId::parse("dingnew").unwrap()).await.unwrap().is_none());
}

#[tokio::test]
async fn authorizing_without_the_eligible_role_names_the_role() {
    let dir = temp_dir();
    let text = std::fs::read_to_string(demo_fixture_path()).unwrap().replace(
        "authorized_scopes = [\"qyapi_manage_addresslist\"]\nauthorized_by = \"alice\"",
        "authorized_scopes = [\"qyapi_manage_addresslist\"]\nauthorized_by = \"bob\"",
    );
    let path = dir.join("bob.toml");
    std::fs::write(&path, text).unwrap();
    let out = tessera(&["load-fixture", path.to_str().unwrap()], &dir);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("needs a member holding the org-wide role contacts_admin"), "{}", stderr(&out));
    // Nothing of the fixture was applied.
    let store = tessera::backend::open_store(&format!("sqlite://{}", dir.join("tessera.db").display())).await.unwrap();
    assert!(store.org(&CorpId::parse(DEMO_CORP).unwrap()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_missing_secret_is_generated_and_printed_once() {
    let dir = temp_dir();
    let path = dir.join("gen.toml");
    std::fs::write(
        &path,
        "[[orgs]]\ncorp_id = \"dinggen\"\nname = \"Gen\"\n\n[[apps]]\nclient_id = \"genapp\"\nname = \"Gen app\"\nkind = \"internal\"\nowner_corp_id = \"dinggen\"\n",
    )
    .unwrap();
    let first = stdout(&tessera(&["load-fixture", path.to_str().unwrap()], &dir));
    let secret = first.lines().find_map(|l| l.strip_prefix("generated client secret for genapp: ")).unwrap().to_owned();
    assert!(secret.len() >= 40);
    let second = stdout(&tessera(&["load-fixture", path.to_str().unwrap()], &dir));
    assert!(!second.contains("generated client secret"), "{second}");
    // The printed secret is the one that works.
    let store = tessera::backend::open_store(&format!("sqlite://{}", dir.join("tessera.db").display())).await.unwrap();
    let key = tessera::key::load_or_create(&dir).unwrap();
    let app = store.app(&tessera_core::ids::ClientId::parse("genapp").unwrap()).await.unwrap().unwrap();
    assert!(key.verify(&tessera_core::secret::Secret::new(secret), &app.secret_hash));
}

#[tokio::test]
async fn operators_add_scopes_from_the_cli() {
    let dir = temp_dir();
    let add = tessera(
        &[
            "scopes",
            "add",
            "--code",
            "hr.salary.read",
            "--description",
            "Read salaries",
            "--tier",
            "sensitive",
            "--eligible-role",
            "hr_admin",
        ],
        &dir,
    );
    assert!(add.status.success(), "{}", stderr(&add));
    let list = stdout(&tessera(&["scopes", "list"], &dir));
    assert!(list.lines().any(|l| l.starts_with("hr.salary.read") && l.contains("hr_admin")), "{list}");
    assert!(list.lines().any(|l| l.starts_with("qyapi_manage_addresslist") && l.contains("contacts_admin")), "{list}");
    let builtin = tessera(&["scopes", "add", "--code", "qyapi_base", "--description", "x", "--tier", "basic"], &dir);
    assert!(!builtin.status.success());
    let no_role = tessera(&["scopes", "add", "--code", "x.y", "--description", "x", "--tier", "sensitive"], &dir);
    assert!(!no_role.status.success());
    assert!(stderr(&no_role).contains("needs an eligible role"), "{}", stderr(&no_role));
}

#[tokio::test]
async fn users_are_added_from_the_cli_idempotently() {
    let dir = temp_dir();
    assert!(tessera(&["load-fixture", demo_fixture_path().to_str().unwrap()], &dir).status.success());
    let add = |password: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["users", "add", "--union-id", "dave-union", "--name", "Dave", "--member", "dingdemo:dave"])
            .args(["--roles", "contacts_admin", "--data-dir"])
            .arg(&dir)
            .env("TESSERA_PASSWORD", password)
            .env_remove("TESSERA_DATABASE_URL")
            .output()
            .unwrap()
    };
    let first = add("dave-password");
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&add("dave-password")).contains("0 change(s)"));
    let other = add("another-password");
    assert!(!other.status.success());
    assert!(stderr(&other).contains("exists with another password"), "{}", stderr(&other));
    let store = tessera::backend::open_store(&format!("sqlite://{}", dir.join("tessera.db").display())).await.unwrap();
    let dave = store
        .member(&CorpId::parse(DEMO_CORP).unwrap(), &tessera_core::ids::UserId::parse("dave").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dave.roles[0].role.as_str(), "contacts_admin");
}

#[tokio::test]
async fn a_suites_ticket_callback_and_its_event_shape_load_once_and_conflict_when_changed() {
    let dir = temp_dir();
    let suite = |event: &str| {
        format!(
            "[[orgs]]\ncorp_id = \"dingisv\"\nname = \"ISV\"\n\n[[apps]]\nclient_id = \"feishustore\"\nclient_secret = \"s\"\nname = \"Store app\"\nkind = \"third_party_enterprise\"\nowner_corp_id = \"dingisv\"\nticket_callback = {{ url = \"https://isv.example/events\", event = \"{event}\" }}\n"
        )
    };
    let path = dir.join("suite.toml");
    std::fs::write(&path, suite("feishu_encrypted")).unwrap();
    let first = tessera(&["load-fixture", path.to_str().unwrap()], &dir);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = tessera(&["load-fixture", path.to_str().unwrap()], &dir);
    assert!(stdout(&second).contains("fixture: 0 change(s) applied"), "{}", stdout(&second));
    let store = tessera::backend::open_store(&format!("sqlite://{}", dir.join("tessera.db").display())).await.unwrap();
    let id = tessera_core::ids::ClientId::parse("feishustore").unwrap();
    let state = store.suite_ticket(&id).await.unwrap().unwrap();
    assert_eq!(state.callback_url.as_deref(), Some("https://isv.example/events"));
    assert_eq!(state.event, tessera_core::suite::TicketEvent::FeishuEncrypted);

    std::fs::write(&path, suite("dingtalk")).unwrap();
    let changed = tessera(&["load-fixture", path.to_str().unwrap()], &dir);
    assert!(!changed.status.success());
    assert!(stderr(&changed).contains("pushes its tickets elsewhere or in another shape"), "{}", stderr(&changed));
    std::fs::write(&path, suite("lark")).unwrap();
    let unknown = tessera(&["load-fixture", path.to_str().unwrap()], &dir);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("unknown variant"), "{}", stderr(&unknown));
}
