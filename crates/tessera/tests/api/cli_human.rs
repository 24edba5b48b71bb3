//! The CLI for people: tables with local ISO-8601 dates by default and `--json` for scripts,
//! one-line errors without a backtrace, `--listen` with a host name, and a refused
//! `--client-id` named.

use std::process::{Output, Stdio};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::*;

async fn tessera(app: &TestApp, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env("TESSERA_SERVER", &app.base)
        .env("TESSERA_TOKEN", OPERATOR)
        .env("TZ", "Asia/Shanghai")
        .env("RUST_BACKTRACE", "1")
        .output()
        .await
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn lists_are_aligned_tables_with_local_dates_and_json_is_for_scripts() {
    let app = spawn_app().await;
    let args = ["audit", "list", "--corp", DEMO_CORP, "--limit", "5"];
    let json: Value = serde_json::from_str(&stdout(&tessera(&app, &[&["--json"], &args[..]].concat()).await)).unwrap();
    let events = json.as_array().unwrap();
    assert_eq!(events.len(), 5);
    let human = stdout(&tessera(&app, &args).await);
    let lines: Vec<&str> = human.lines().collect();
    assert_eq!(lines.len(), 6, "a header and one line per event:\n{human}");
    assert!(lines[0].starts_with("SEQ") && lines[0].contains("AT") && lines[0].contains("ACTION"), "{human}");
    let action_at = lines[0].find("ACTION").unwrap();
    for (line, event) in lines[1..].iter().zip(events) {
        // The action column starts at the same place on every line.
        assert_eq!(line.get(action_at..).map(|rest| rest.starts_with(event["action"].as_str().unwrap())), Some(true));
        // Dates in ISO-8601 in the local time zone (TZ=Asia/Shanghai: +08:00), not Unix seconds.
        let at = event["at"].as_i64().unwrap();
        assert!(!line.contains(&at.to_string()), "{line}");
        let date = line.split_whitespace().nth(1).unwrap();
        assert!(date.len() == 25 && date.ends_with("+08:00") && date.as_bytes()[10] == b'T', "{date}");
        let shown = tessera::output::parse_time(date).unwrap();
        assert_eq!(shown, at, "{date} is the event's moment");
    }
    // --since takes a date as people write it.
    let since = tessera(&app, &["--json", "audit", "list", "--corp", DEMO_CORP, "--since", "2999-01-01"]).await;
    assert_eq!(serde_json::from_str::<Value>(&stdout(&since)).unwrap(), serde_json::json!([]));
}

#[tokio::test]
async fn errors_are_one_line_without_a_backtrace() {
    let app = spawn_app().await;
    let out = tessera(&app, &["audit", "list", "--corp", "no-such-org"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: 404 (not_found): "), "{err}");
    assert!(!err.contains("backtrace") && !err.contains("Caused by"), "{err}");
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn a_refused_client_id_on_login_is_named() {
    let app = spawn_app().await;
    let dir = temp_dir();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["login", "--client-id", "no-such-cli-app", "--token-dir"])
        .arg(&dir)
        .env("TESSERA_SERVER", &app.base)
        .env("RUST_BACKTRACE", "1")
        .env_remove("TESSERA_CLIENT_SECRET")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("refused client id \"no-such-cli-app\"") && err.contains("invalid_client"), "{err}");
}

#[tokio::test]
async fn serve_listens_on_a_host_name() {
    let dir = temp_dir();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--listen", "localhost:0", "--data-dir"])
        .env("TESSERA_PASSWORD_MEMORY_KIB", "1024")
        .arg(&dir)
        .env("TESSERA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let Some(line) = lines.next_line().await.unwrap() else {
            let mut err = String::new();
            tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut err).await.unwrap();
            panic!("serve exited: {err}");
        };
        if let Some(addr) = line.strip_prefix("tessera listening on ") {
            break addr.to_owned();
        }
    };
    let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--listen", "localhost"])
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not HOST:PORT"));
}
