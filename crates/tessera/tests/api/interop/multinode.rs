//! Several `tessera serve` processes sharing one PostgreSQL: a grant recalled on one node
//! is refused by the other within a second; and the audit chain check catches an edited row.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::*;

/// A `tessera` server process and its address.
pub struct Node {
    pub child: tokio::process::Child,
    pub base: String,
}

pub async fn start_node(setup: &Setup) -> Node {
    serve_node(&setup.database_url, &setup.data_dir, &[]).await
}

/// `tessera serve` on the demo fixture and routes, on a free port, with `extra` arguments.
pub async fn serve_node(database_url: &str, data_dir: &std::path::Path, extra: &[&str]) -> Node {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--listen", "127.0.0.1:0", "--fixture"])
        .arg(demo_fixture_path())
        .arg("--routes")
        .arg(demo_routes_path())
        .args(["--database-url", database_url, "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("TESSERA_OPERATOR_TOKEN", OPERATOR)
        .env("TESSERA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next_line().await.unwrap().expect("the node exited before listening");
        if let Some(addr) = line.strip_prefix("tessera listening on ") {
            break addr.to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Node { child, base }
}

/// A `TestApp`-like handle on a node, for the request helpers.
pub fn handle(node: &Node, setup: &Setup) -> TestApp {
    TestApp::remote(&node.base, setup.clone())
}

#[tokio::test]
async fn a_recall_on_one_node_is_refused_by_the_other_within_a_second() {
    let setup = Setup::postgres().await;
    let a = start_node(&setup).await;
    let b = start_node(&setup).await;
    let (node_a, node_b) = (handle(&a, &setup), handle(&b, &setup));
    let token = node_a.app_token(OTHER_CORP, "suitedemo", "suite-secret").await;
    // Node B decides once (and caches the app's standing in Other Corp).
    assert_eq!(node_b.create_department(&token, json!({"name": "Ops"})).await.status, 200);
    let carol = session(&node_a, "carol-union").await;
    let recalled = grant(&node_a, &carol, OTHER_CORP, "suitedemo", "qyapi_manage_addresslist", false).await;
    assert_eq!(recalled.status, 204, "{}", recalled.text);
    let mut refused = None;
    for attempt in 0..40 {
        let r = node_b.create_department(&token, json!({"name": "Ops"})).await;
        if r.status == 403 {
            assert_eq!(r.body["accessdenieddetail"]["requiredScopes"], json!(["qyapi_manage_addresslist"]));
            refused = Some(attempt);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // 40 attempts 25 ms apart (plus the requests themselves) stay within one second.
    assert!(refused.is_some(), "node B still allowed the call after about a second");
    drop((a.child, b.child));
}

#[tokio::test]
async fn audit_verify_passes_then_catches_an_edited_row() {
    let setup = Setup::postgres().await;
    let run = |args: Vec<String>| {
        let data_dir = setup.data_dir.clone();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
                .args(&args)
                .arg("--data-dir")
                .arg(&data_dir)
                .output()
                .await
                .unwrap()
        }
    };
    let url = setup.database_url.clone();
    let load = run(vec![
        "load-fixture".into(),
        "--database-url".into(),
        url.clone(),
        demo_fixture_path().display().to_string(),
    ])
    .await;
    assert!(load.status.success(), "{}", String::from_utf8_lossy(&load.stderr));
    let ok = run(vec!["audit".into(), "verify".into(), "--database-url".into(), url.clone()]).await;
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("audit chain intact"));
    let edit = tokio::process::Command::new("psql")
        .args([url.as_str(), "-qc", "UPDATE audit_events SET target = 'app:nothing-happened' WHERE seq = 3"])
        .status()
        .await
        .unwrap();
    assert!(edit.success());
    let broken = run(vec!["audit".into(), "verify".into(), "--database-url".into(), url]).await;
    assert!(!broken.status.success());
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("audit chain broken at event 3"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
}
