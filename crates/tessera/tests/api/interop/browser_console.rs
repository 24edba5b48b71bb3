//! The console's journeys in real headless Chromium (`tests/browser/console_journeys.cjs`):
//! request → decline with a reason → resubmit → approve; a sensitive scope that only the
//! eligible role can authorize, authorized and revoked; the audit log; the 403 helper. Key
//! steps by keyboard only. Screenshots of each main page land in `target/tmp/screenshots/`.

use std::path::Path;

use serde_json::Value;

use crate::helpers::*;
use crate::interop::browser_flow::setup;

fn text<'a>(r: &'a Value, key: &str) -> &'a str {
    r[key].as_str().unwrap_or_else(|| panic!("no {key} in {r}"))
}

fn has_all(r: &Value, key: &str, needles: &[&str]) {
    let t = text(r, key);
    for n in needles {
        assert!(t.contains(n), "{key} lacks {n:?}: {t}");
    }
}

#[tokio::test]
async fn console_journeys_in_a_real_browser() {
    let node_modules = setup().await;
    let app = spawn_app().await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    // A real refused call: the basic app reading a member.
    let token = app.app_token(DEMO_CORP, "dingbasic", "basic-secret").await;
    let refused = app.get_user(&token, "alice").await;
    assert_eq!(refused.status, 403, "{}", refused.text);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/console_journeys.cjs");
    let out = tokio::process::Command::new("node")
        .arg(&script)
        .args([app.base.as_str(), OPERATOR, shots.to_str().unwrap(), refused.text.as_str()])
        .env("NODE_PATH", &node_modules)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(r.get("error").is_none(), "{r:#}");
    assert_eq!(r["problems"], serde_json::json!([]), "console errors or CSP violations: {r:#}");
    for (step, reached) in r["keyboard"].as_object().unwrap() {
        assert_eq!(reached, true, "keyboard step {step} failed: {r:#}");
    }
    assert_eq!(r["keyboard"].as_object().unwrap().len(), 8, "{r:#}");
    assert_eq!(r["unlabeled"], serde_json::json!([]), "form fields without a label: {r:#}");
    for (el, ring) in r["focusRing"].as_object().unwrap() {
        assert_eq!(ring, true, "{el} shows no focus ring");
    }

    // Overview and registration: the secret shown once, copied by the button.
    has_all(&r, "overview", &["Demo Corp", "Workbench", "Audit log", "Apps you authorized"]);
    has_all(&r, "secretPage", &["Copy the secret now", "will never show it again"]);
    assert_eq!(text(&r, "copyButton"), "Copied");
    assert_eq!(text(&r, "clipboard"), text(&r, "secret"));
    assert!(text(&r, "secret").len() >= 40);

    // Request → decline with a reason → resubmit → approve.
    has_all(&r, "searchResult", &["hr.attendance.read", "Read attendance records", "Not requested"]);
    assert!(!text(&r, "searchResult").contains("qyapi_get_member"), "the search narrows the list");
    has_all(&r, "afterRequest", &["Pending review"]);
    has_all(&r, "queue", &["hr.attendance.read", "HR bot", "Demo Corp", "Read attendance records", "Plan shifts"]);
    has_all(&r, "queueAfterDecline", &["Nothing is waiting for review"]);
    let reason = "Say which records the bot reads and for how long it keeps them.";
    assert_eq!(text(&r, "declinedTagTitle"), reason);
    has_all(&r, "afterDecline", &["Review failed", &format!("Reason: {reason}"), "Resubmit"]);
    has_all(&r, "queueResubmitted", &["check-in times of the last 30 days"]);
    has_all(&r, "afterApprove", &["Enabled", "Nothing to do"]);

    // Bob is an org admin without contacts_admin: the button is not his to use.
    has_all(&r, "bobRow", &["Not authorized", "Alice", "Only holders of contacts_admin can authorize this."]);
    assert_eq!(r["bobButtonDisabled"], true);
    assert_eq!(r["bobForms"], 0, "no form behind the disabled button");
    has_all(&r, "workbenchBefore", &["Who may authorize sensitive scopes", "Org-wide contacts_admin", "Alice (alice)"]);
    has_all(&r, "bobWorkbench", &["Demo ISV app", "Not authorized"]);
    has_all(&r, "afterAuthorize", &["Authorized", "by alice", "Revoke"]);
    has_all(&r, "afterRevoke", &["Revoked", "by alice", "Authorize"]);

    // The audit log shows each step, newest first.
    let audit = text(&r, "audit");
    let mut at = 0;
    for step in [
        "scope revoked",
        "scope authorized",
        "permission approved",
        "permission requested",
        "permission declined",
        "permission requested",
        "app registered",
    ] {
        let found = audit[at..].find(step).unwrap_or_else(|| panic!("{step} missing after position {at}: {audit}"));
        at += found + step.len();
    }
    let filtered = text(&r, "auditFiltered");
    assert_eq!(filtered.lines().count(), 1, "{filtered}");
    assert!(filtered.contains("scope revoked") && filtered.contains("member:dingdemo/alice"));

    // The 403 helper: the real body explained, with a link to request the missing scope.
    has_all(&r, "explain", &["Read from a DingTalk error body", "Not requested", "Request "]);
    assert!(text(&r, "explainLink").contains("/console/apps/dingbasic/permissions?q="));

    has_all(&r, "appPage", &["Credentials", "Rotate secret", "Redirect URIs"]);
    assert!(!text(&r, "appPage").contains(text(&r, "secret")), "the secret is shown only once");

    for shot in [
        "console-app.png",
        "console-reviewer-signin.png",
        "console-overview.png",
        "console-apps.png",
        "console-secret.png",
        "console-permissions.png",
        "console-reviews.png",
        "console-workbench.png",
        "console-workbench-top.png",
        "console-audit.png",
        "console-explain.png",
    ] {
        assert!(shots.join(shot).metadata().unwrap().len() > 1000, "{shot} was not taken");
    }
}
