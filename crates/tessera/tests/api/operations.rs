//! The operator's basics on the real binary: `serve --config` (flags and environment override
//! the file; unknown keys refused with file and line), JSON logs, and `tessera backup` of a
//! SQLite database while the server runs, restored and read back.

use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::*;

/// A `tessera serve` process, its address and the lines it wrote to standard error so far.
struct Served {
    child: tokio::process::Child,
    base: String,
    stderr: tokio::sync::mpsc::UnboundedReceiver<String>,
}

async fn serve(args: &[&str], env: &[(&str, &str)]) -> Served {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.arg("serve")
        .env("TESSERA_PASSWORD_MEMORY_KIB", "1024")
        .args(args)
        .env("TESSERA_OPERATOR_TOKEN", OPERATOR)
        .env_remove("TESSERA_PUBLIC_URL")
        .env_remove("TESSERA_LOG_FORMAT")
        .env_remove("TESSERA_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let (tx, stderr) = tokio::sync::mpsc::unbounded_channel();
    let mut err_lines = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(l)) = err_lines.next_line().await {
            let _ = tx.send(l);
        }
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next_line().await.unwrap().expect("serve exited before listening");
        if let Some(addr) = line.strip_prefix("tessera listening on ") {
            break addr.to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Served { child, base, stderr }
}

async fn tessera(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env_remove("TESSERA_DATABASE_URL")
        .output()
        .await
        .unwrap()
}

async fn app_token_lifetime(base: &str) -> i64 {
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/oauth2/token"))
        .basic_auth("dingdemoapp", Some("demo-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["expires_in"].as_i64().unwrap_or_else(|| panic!("{r}"))
}

async fn issuer(base: &str) -> String {
    let r: Value =
        reqwest::get(format!("{base}/.well-known/oauth-authorization-server")).await.unwrap().json().await.unwrap();
    r["issuer"].as_str().unwrap().to_owned()
}

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("tessera.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn the_config_file_sets_serves_options_and_flags_and_environment_override_it() {
    let dir = temp_dir();
    let config = write_config(
        &dir,
        &format!(
            "# tessera.toml\nlisten = \"127.0.0.1:0\"\ndata_dir = {:?}\nfixture = {:?}\ntoken_ttl = 300\nreuse_margin = 0\npublic_url = \"http://from-the-file.example\"\ntrusted_proxies = [\"10.0.0.0/8\", \"192.0.2.1\"]\nallow_private_callbacks = true\n",
            dir.display().to_string(),
            demo_fixture_path().display().to_string()
        ),
    );
    // The file alone.
    let node = serve(&["--config", &config], &[]).await;
    assert_eq!(app_token_lifetime(&node.base).await, 300);
    assert_eq!(issuer(&node.base).await, "http://from-the-file.example");
    drop(node);
    // A flag and an environment variable win over the file.
    let node = serve(
        &["--config", &config, "--token-ttl", "600"],
        &[("TESSERA_PUBLIC_URL", "http://from-the-environment.example")],
    )
    .await;
    assert_eq!(app_token_lifetime(&node.base).await, 600);
    assert_eq!(issuer(&node.base).await, "http://from-the-environment.example");
    drop(node);
    // The file through TESSERA_CONFIG.
    let node = serve(&[], &[("TESSERA_CONFIG", &config)]).await;
    assert_eq!(app_token_lifetime(&node.base).await, 300);
    drop(node);

    // A key serve does not have is refused, naming the file and the line.
    let bad = write_config(&dir, "listen = \"127.0.0.1:0\"\n\ntoken_tll = 300\n");
    let out = tessera(&["serve", "--config", &bad]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{bad}:3: unknown key \"token_tll\"")), "{err}");
    assert!(err.contains("token_ttl"), "the known keys are listed: {err}");
    // A value of the wrong type, too.
    let bad = write_config(&dir, "listen = \"127.0.0.1:0\"\nallow_private_callbacks = \"yes\"\n");
    let err = String::from_utf8_lossy(&tessera(&["serve", "--config", &bad]).await.stderr).into_owned();
    assert!(err.contains(&format!("{bad}:2: allow_private_callbacks must be true or false")), "{err}");
    // And a file that is not TOML, with its line.
    let bad = write_config(&dir, "listen = \"127.0.0.1:0\"\ntoken_ttl = = 3\n");
    let err = String::from_utf8_lossy(&tessera(&["serve", "--config", &bad]).await.stderr).into_owned();
    assert!(err.contains(&format!("{bad}:2: ")), "{err}");
}

#[tokio::test]
async fn tessera_log_format_json_writes_one_json_object_per_event() {
    let dir = temp_dir();
    let mut node = serve(
        &["--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()],
        &[("TESSERA_LOG_FORMAT", "json"), ("TESSERA_LOG", "info")],
    )
    .await;
    let mut seen = Vec::new();
    let listening = loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(10), node.stderr.recv())
            .await
            .expect("no log line")
            .expect("log ended");
        let event: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        seen.push(line);
        if event["message"] == "tessera listening" {
            break event;
        }
    };
    assert_eq!(listening["level"], "INFO", "{listening}");
    assert!(listening["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{listening}");
    assert_eq!(listening["addr"].as_str().map(|a| node.base.ends_with(a)), Some(true), "{listening}");
    assert!(listening["target"].as_str().is_some_and(|t| t.starts_with("tessera")), "{listening}");
    let _ = node.child.kill().await;
    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()])
        .env("TESSERA_LOG_FORMAT", "yaml")
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("TESSERA_LOG_FORMAT must be text or json"));
}

async fn request_scope(base: &str, scope: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/apps/dingreadonly/permissions"))
        .bearer_auth(OPERATOR)
        .json(&json!({"scope": scope, "description": "backup test"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    r.json().await.unwrap()
}

#[tokio::test]
async fn backup_copies_a_serving_sqlite_database_that_restores_and_reads_back() {
    let dir = temp_dir();
    let data = dir.join("data");
    let fixture = demo_fixture_path();
    let served = ["--listen", "127.0.0.1:0", "--fixture", fixture.to_str().unwrap()];
    let node = serve(&[&served[..], &["--data-dir", data.to_str().unwrap()]].concat(), &[]).await;
    assert_eq!(request_scope(&node.base, "hr.attendance.read").await["status"], "pending_review");
    // Writes keep coming while the copy is taken.
    let base = node.base.clone();
    let writer = tokio::spawn(async move {
        for _ in 0..20 {
            app_token_lifetime(&base).await;
        }
    });
    let copy = dir.join("copy.db");
    let out = tessera(&["backup", "--data-dir", data.to_str().unwrap(), copy.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    writer.await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // A second backup to the same file is refused: a backup never overwrites.
    let again = tessera(&["backup", "--data-dir", data.to_str().unwrap(), copy.to_str().unwrap()]).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("must not exist"));
    // A change after the copy is not in it.
    request_scope(&node.base, "doc:create").await;
    drop(node);

    // Restore: the copy as the database of a new data directory, with the same key.
    let restored = dir.join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::copy(&copy, restored.join("tessera.db")).unwrap();
    std::fs::copy(data.join("secret.key"), restored.join("secret.key")).unwrap();
    let verify = tessera(&["audit", "verify", "--data-dir", restored.to_str().unwrap()]).await;
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    let node = serve(&["--listen", "127.0.0.1:0", "--data-dir", restored.to_str().unwrap()], &[]).await;
    let perms: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/apps/dingreadonly/permissions", node.base))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status = |scope: &str| {
        perms.as_array().unwrap().iter().find(|p| p["scope"] == scope).map(|p| p["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status("hr.attendance.read").as_deref(), Some("pending_review"), "{perms}");
    assert_eq!(status("doc:create"), None, "{perms}");
    // The restored server signs in its users and issues tokens (the key came along).
    assert_eq!(app_token_lifetime(&node.base).await, 7200);

    // PostgreSQL is refused by its URL, before any connection: pg_dump is the tool there.
    let pg_url = "postgres://tessera@db.invalid/tessera";
    let pg = tessera(&["backup", "--database-url", pg_url, dir.join("pg.db").to_str().unwrap()]).await;
    assert!(String::from_utf8_lossy(&pg.stderr).contains("pg_dump"));
}
