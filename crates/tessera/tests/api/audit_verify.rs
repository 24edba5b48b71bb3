//! `tessera audit verify` reads an existing database and says which: a missing database (or
//! one without Tessera's tables) is refused with exit code 2 instead of passing on an empty
//! chain, and a password in the URL never shows.

use std::process::Output;

use crate::helpers::*;

async fn verify(url: &str, data_dir: &std::path::Path) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["audit", "verify", "--database-url", url, "--data-dir"])
        .arg(data_dir)
        .env_remove("TESSERA_DATABASE_URL")
        .output()
        .await
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[tokio::test]
async fn a_missing_sqlite_file_is_refused_and_not_created() {
    let dir = temp_dir();
    let path = dir.join("nowhere").join("tessera.db");
    let url = format!("sqlite://{}", path.display());
    let out = verify(&url, &dir).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("database: {url}")), "{stdout}");
    assert!(!stdout.contains("audit chain intact"), "{stdout}");
    assert!(stderr.contains("no database file"), "{stderr}");
    assert!(!path.exists() && !path.parent().unwrap().exists(), "verify created the database");
}

#[tokio::test]
async fn an_empty_sqlite_file_is_refused() {
    let dir = temp_dir();
    let path = dir.join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let out = verify(&format!("sqlite://{}", path.display()), &dir).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("no Tessera tables"), "{stderr}");
}

#[tokio::test]
async fn an_existing_sqlite_database_is_verified_and_named() {
    let app = spawn_app().await;
    let url = app.setup.database_url.clone();
    let out = verify(&url, &app.setup.data_dir).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("database: {url}")), "{stdout}");
    assert!(stdout.contains("audit chain intact"), "{stdout}");
    assert!(!stdout.contains("intact: 0 event"), "{stdout}");
}

#[tokio::test]
async fn a_missing_database_is_refused_without_showing_the_password_postgres() {
    let base = postgres_url();
    let (base, _) = base.rsplit_once('/').unwrap();
    // Trust authentication ignores the password; it must still never be printed.
    let with_password = base.replacen("://postgres@", "://postgres:hunter2-secret@", 1);
    assert!(with_password.contains("hunter2-secret"), "the test URL {base} has no user to add a password to");
    let name = format!("tessera_missing_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{with_password}/{name}");
    let out = verify(&url, &temp_dir()).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("/{name}")) && stdout.contains(":***@"), "{stdout}");
    assert!(!stdout.contains("hunter2") && !stderr.contains("hunter2"), "{stdout}\n{stderr}");
    assert!(!stdout.contains("audit chain intact"), "{stdout}");
}

#[tokio::test]
async fn a_database_without_tessera_tables_is_refused_and_left_alone_postgres() {
    let setup = Setup::postgres().await;
    let out = verify(&setup.database_url, &setup.data_dir).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("no Tessera tables"), "{stderr}");
    let tables = tokio::process::Command::new("psql")
        .args([setup.database_url.as_str(), "-tAc", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"])
        .output()
        .await
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&tables.stdout).trim(), "0", "verify created tables");
}
