//! The README as a walk (interop: curl, jq, openssl and python3 drive it):
//! `scripts/readme-walk.sh` runs its `sh` examples in order against a
//! fresh demo server and checks every answer it shows; and it fails on drift.

use std::path::PathBuf;
use std::process::Output;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn walk(readme: &std::path::Path) -> Output {
    tokio::process::Command::new("bash")
        .arg(repo().join("scripts/readme-walk.sh"))
        .arg(readme)
        .env("TESSERA_BIN", env!("CARGO_BIN_EXE_tessera"))
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn readme_walk_runs_every_example_as_written() {
    let out = walk(&repo().join("README.md")).await;
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let ran = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(ran >= 20, "only {ran} commands ran:\n{stdout}");
    assert!(stdout.contains("tessera grants authorize") && stdout.contains("open-apis/contact/v3/users"), "{stdout}");
}

#[tokio::test]
async fn readme_walk_fails_on_drift() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let dir = crate::helpers::temp_dir();
    // An answer shown with a field the server does not send.
    let drifted = readme.replacen(
        "# {\"accessToken\":\"c-…\",\"expireIn\":7200}",
        "# {\"accessToken\":\"c-…\",\"expiresIn\":7200}",
        1,
    );
    assert_ne!(drifted, readme, "the README shows the corp token's answer");
    let path = dir.join("README.md");
    std::fs::write(&path, &drifted).unwrap();
    let out = walk(&path).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The walk names the command's line.
    let line =
        drifted.lines().position(|l| l.starts_with("curl -s localhost:8080/v1.0/oauth2/corpAccessToken")).unwrap() + 1;
    assert!(stderr.contains(&format!("DRIFT at {}:{line}: $: no key 'expiresIn'", path.display())), "{stderr}");
    // A command that fails.
    let failing = readme.replacen(
        "--app dingreadonly --scope hr.attendance.read --description",
        "--app no-such-app --scope hr.attendance.read --description",
        1,
    );
    assert_ne!(failing, readme);
    std::fs::write(&path, &failing).unwrap();
    let out = walk(&path).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("404 (not_found)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
