//! Every page of the web UI in real headless Chromium at 1280 px and 390 px wide
//! (`tests/browser/page_tour.cjs`): no page is wider than the window, h1 is larger than h2,
//! and Chinese names render with real glyphs (the CJK font is installed with Chromium).
//! Screenshots of each page at both widths land in `target/screenshots/`, nowhere else:
//! `scripts/update-screenshots.sh` copies the three the README shows to `docs/screenshots/`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::browser::urlencode;
use crate::helpers::*;
use crate::interop::browser_flow::setup;

/// The demo fixture with Chinese names for the org, two apps and a scope.
fn chinese_fixture() -> PathBuf {
    let mut text = std::fs::read_to_string(demo_fixture_path()).unwrap();
    for (from, to) in [
        (r#"name = "Demo Corp""#, r#"name = "演示企业 Demo Corp""#),
        (r#"name = "Demo internal app""#, r#"name = "内部应用 Demo internal app""#),
        (r#"name = "Demo ISV app""#, r#"name = "第三方应用 Demo ISV app""#),
        (r#"description = "Read attendance records""#, r#"description = "读取考勤记录 Read attendance records""#),
    ] {
        assert!(text.contains(from), "the demo fixture changed: {from}");
        text = text.replace(from, to);
    }
    temp_file("chinese.toml", text)
}

#[tokio::test]
async fn every_page_fits_both_widths_and_renders_chinese() {
    let node_modules = setup().await;
    let mut s = Setup::sqlite();
    s.fixture = chinese_fixture();
    let app = spawn_with(s).await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let started = app
        .send(
            app.http
                .post(app.url("/oauth2/device_authorization"))
                .basic_auth("cli_feishudemo", Some("feishu-secret"))
                .form(&[("scope", "Contact.User.Read")]),
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.text);
    let code = started.str("user_code").to_owned();
    let consent = format!(
        "/oauth2/authorize?response_type=code&client_id=dingdemoapp&scope=Contact.User.Read&state=s&redirect_uri={}",
        urlencode("http://127.0.0.1:8900/callback")
    );
    let admin_consent = format!(
        "/dingdemo/adminConsent?client_id=suitedemo&state=s&redirect_uri={}",
        urlencode("http://127.0.0.1:8902/callback")
    );
    let pages = json!([
        {"name": "sign-in", "path": "/login", "who": "anon"},
        {"name": "console-landing", "path": "/console", "who": "anon"},
        {"name": "reviewer-sign-in", "path": "/console/reviewer", "who": "anon"},
        {"name": "device-card", "path": format!("/device/card?user_code={code}"), "who": "anon"},
        {"name": "overview", "path": "/console", "who": "alice"},
        {"name": "apps", "path": "/console/orgs/dingdemo/apps", "who": "alice"},
        {"name": "app", "path": "/console/apps/dingdemoapp", "who": "alice"},
        {"name": "permissions", "path": "/console/apps/dingdemoapp/permissions", "who": "alice"},
        {"name": "explain", "path": "/console/apps/dingdemoapp/explain", "who": "alice"},
        {"name": "workbench", "path": "/console/orgs/dingdemo/workbench", "who": "alice"},
        {"name": "audit", "path": "/console/orgs/dingdemo/audit", "who": "alice"},
        {"name": "not-found", "path": "/console/apps/nosuchapp", "who": "alice"},
        {"name": "account", "path": "/account", "who": "alice"},
        {"name": "consent", "path": consent, "who": "alice"},
        {"name": "admin-consent", "path": admin_consent, "who": "alice"},
        {"name": "device", "path": format!("/device?user_code={code}"), "who": "alice"},
        {"name": "reviews", "path": "/console/reviews", "who": "reviewer"},
    ]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/page_tour.cjs");
    let out = tokio::process::Command::new("node")
        .arg(&script)
        .args([app.base.as_str(), OPERATOR, shots.to_str().unwrap(), &pages.to_string()])
        .env("NODE_PATH", &node_modules)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(r.get("error").is_none(), "{r:#}");
    assert_eq!(r["problems"], json!([]), "{r:#}");
    let seen = r["pages"].as_array().unwrap();
    assert_eq!(seen.len(), 2 * pages.as_array().unwrap().len(), "{r:#}");
    let overflowing: Vec<String> = seen
        .iter()
        .filter(|p| p["scrollWidth"].as_i64() > p["innerWidth"].as_i64())
        .map(|p| format!("{} at {} px is {} px wide", p["name"], p["width"], p["scrollWidth"]))
        .collect();
    assert!(overflowing.is_empty(), "pages wider than the window: {overflowing:#?}");
    let mut chinese_pages = 0;
    for p in seen {
        let what = format!("{} at {} px", p["name"], p["width"]);
        if let (Some(h1), Some(h2)) = (p["h1"].as_f64(), p["h2"].as_f64()) {
            assert!(h1 > h2, "{what}: h1 {h1}px is not larger than h2 {h2}px");
        }
        let cjk = p["cjk"].as_array().unwrap();
        if !cjk.is_empty() {
            chinese_pages += 1;
        }
        for c in cjk {
            assert_eq!(c["glyph"], true, "{what}: {} renders as a missing-glyph box", c["ch"]);
        }
        let shot = shots.join(format!("{}-{}.png", p["name"].as_str().unwrap(), p["width"]));
        assert!(shot.metadata().unwrap().len() > 1000, "{} was not taken", shot.display());
    }
    assert!(chinese_pages >= 10, "Chinese names are on most pages: {chinese_pages}");
    // The three the README shows are among them (scripts/update-screenshots.sh copies them).
    for name in ["workbench", "permissions", "consent"] {
        let shot = shots.join(format!("{name}-1280.png"));
        assert!(shot.metadata().map(|m| m.len() > 1000).unwrap_or(false), "{} was not taken", shot.display());
    }
}
