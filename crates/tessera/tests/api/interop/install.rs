//! What the interop tests install on first run (Debian packages, Python virtualenvs, npm
//! packages), each under an exclusive file lock: nextest runs tests in parallel processes, and
//! without the lock two of them race apt's lock or pip into one virtualenv and one fails.
//! A finished install is marked with what it holds, so a changed pin reinstalls it.

use std::path::{Path, PathBuf};

/// Holds an exclusive lock on `path` while alive (released when the file is closed).
struct FileLock(#[allow(dead_code)] std::fs::File);

async fn lock(path: PathBuf) -> FileLock {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("cannot open the lock file {}: {e}", path.display()));
        file.lock().unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
        FileLock(file)
    })
    .await
    .unwrap()
}

async fn run(cmd: &str, args: &[&str], dir: Option<&Path>) -> bool {
    let mut command = tokio::process::Command::new(cmd);
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.status().await.is_ok_and(|s| s.success())
}

fn target_tmp() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

async fn dpkg_installed(package: &str) -> bool {
    let out = tokio::process::Command::new("dpkg-query").args(["-W", "-f=${Status}", package]).output().await;
    out.is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

async fn dpkg_missing(packages: &[&str]) -> Vec<String> {
    let mut missing = Vec::new();
    for p in packages {
        if !dpkg_installed(p).await {
            missing.push((*p).to_owned());
        }
    }
    missing
}

/// Debian packages, installed if missing. The lock is machine-wide (apt's own lock is too:
/// checkouts side by side must not race it either), and apt waits for a lock held elsewhere.
pub async fn debian_packages(packages: &[&str]) {
    crate::helpers::interop_only("an installed tool");
    if dpkg_missing(packages).await.is_empty() {
        return;
    }
    let _lock = lock(std::env::temp_dir().join("tessera-tests-apt.lock")).await;
    let missing = dpkg_missing(packages).await;
    if missing.is_empty() {
        return;
    }
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    let wait = ["-o", "DPkg::Lock::Timeout=600"];
    assert!(run("apt-get", &[&wait[..], &["update", "-qq"]].concat(), None).await, "apt-get update failed");
    let install = [&wait[..], &["install", "-y", "-qq"], &missing[..]].concat();
    assert!(run("apt-get", &install, None).await, "apt-get install {} failed", missing.join(" "));
}

/// Runs `install` into `dir` (emptied first) unless `dir` already holds `pins`.
async fn once<F, Fut>(name: &str, pins: &str, install: F) -> PathBuf
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = target_tmp().join(name);
    let marker = dir.join(".installed");
    let ready = || std::fs::read_to_string(&marker).is_ok_and(|m| m == pins);
    if ready() {
        return dir;
    }
    let _lock = lock(target_tmp().join(format!("{name}.lock"))).await;
    if !ready() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        install(dir.clone()).await;
        std::fs::write(&marker, pins).unwrap();
    }
    dir
}

/// The Python of the virtualenv `name` (under the target directory) with `packages` installed.
pub async fn python_venv(name: &str, packages: &[&str]) -> PathBuf {
    crate::helpers::interop_only("an installed tool");
    let pins = packages.join(" ");
    let dir = once(name, &pins, |dir| async move {
        let venv = dir.to_str().unwrap().to_owned();
        assert!(run("python3", &["-m", "venv", &venv], None).await, "python3 -m venv {venv} failed");
        let python = dir.join("bin/python");
        let args = [&["-m", "pip", "install", "--quiet", "--disable-pip-version-check"][..], packages].concat();
        assert!(run(python.to_str().unwrap(), &args, None).await, "pip install {} failed", packages.join(" "));
    })
    .await;
    dir.join("bin/python")
}

/// The `node_modules` of the npm project `name` (under the target directory) with `packages`.
pub async fn npm_packages(name: &str, packages: &[&str]) -> PathBuf {
    crate::helpers::interop_only("an installed tool");
    let pins = packages.join(" ");
    let dir = once(name, &pins, |dir| async move {
        std::fs::write(dir.join("package.json"), format!(r#"{{"name":"{name}","private":true}}"#)).unwrap();
        let args = [&["install", "--silent", "--no-audit", "--no-fund", "--save-exact"][..], packages].concat();
        assert!(run("npm", &args, Some(&dir)).await, "npm install {} failed", packages.join(" "));
    })
    .await;
    dir.join("node_modules")
}
