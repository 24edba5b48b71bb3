//! The console's frame (header, navigation by role, main area), its badges and time format,
//! its stylesheet and its one script (the copy button), all served from the binary.

use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use tessera_core::permission::PermissionStatus;
use tessera_core::scope::ScopeTier;
use tessera_core::time::UnixTime;

use super::Viewer;
use crate::web::html::{esc, hidden, secured};

/// Scripts only from this server, forms only to it.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'none'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn nav(viewer: Option<&Viewer>, active: &str) -> String {
    let link = |href: &str, label: &str| {
        let current = if href == active { r#" aria-current="page""# } else { "" };
        format!(r#"<li><a href="{}"{current}>{}</a></li>"#, esc(href), esc(label))
    };
    let Some(v) = viewer else {
        return String::new();
    };
    let mut out = String::from(r#"<nav aria-label="Console"><ul>"#);
    out.push_str(&link("/console", "Overview"));
    if let Some(p) = &v.person {
        for (m, org) in &p.memberships {
            let c = m.corp_id.as_str();
            out.push_str(&format!(r#"<li class="group">{}</li>"#, esc(&org.name)));
            if v.developer_of(c) {
                out.push_str(&link(&format!("/console/orgs/{}/apps", esc(c)), "Apps"));
            }
            if v.admin_of(c) {
                out.push_str(&link(&format!("/console/orgs/{}/workbench", esc(c)), "Workbench"));
                out.push_str(&link(&format!("/console/orgs/{}/audit", esc(c)), "Audit log"));
            }
        }
        out.push_str(r#"<li class="group">You</li>"#);
        out.push_str(&link("/account", "Apps you authorized"));
    }
    if v.reviewer.is_some() {
        out.push_str(r#"<li class="group">Platform</li>"#);
        out.push_str(&link("/console/reviews", "Review queue"));
    }
    out.push_str("</ul></nav>");
    out
}

fn who(viewer: Option<&Viewer>, csrf: &str) -> String {
    let Some(v) = viewer else {
        return String::new();
    };
    let mut out = String::from(r#"<div class="who">"#);
    if let Some(p) = &v.person {
        out.push_str(&format!(
            r#"<span>{}</span><form method="post" action="/logout">{}<button type="submit" class="link">Sign out</button></form>"#,
            esc(&p.name),
            hidden("csrf", csrf)
        ));
    }
    if v.reviewer.is_some() {
        out.push_str(&format!(
            r#"<span class="badge b-info">Platform reviewer</span><form method="post" action="/console/reviewer/signout">{}<button type="submit" class="link">Leave review</button></form>"#,
            hidden("csrf", csrf)
        ));
    }
    out.push_str("</div>");
    out
}

/// A console page: `body` must already be escaped HTML; `active` is the navigation entry
/// to mark as the current page.
pub fn page(
    viewer: Option<&Viewer>,
    csrf: &str,
    status: StatusCode,
    title: &str,
    active: &str,
    body: &str,
) -> Response {
    let html = format!(
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Tessera console</title><link rel="stylesheet" href="/static/tessera.css"><link rel="stylesheet" href="/static/console.css">
<script src="/static/console.js" defer></script></head>
<body class="console"><a class="skip" href="#main">Skip to content</a>
<header><a class="brand" href="/console">Tessera console</a>{who}</header>
<div class="frame">{nav}<main id="main" tabindex="-1">
<h1>{title}</h1>
{body}
</main></div></body></html>"##,
        title = esc(title),
        who = who(viewer, csrf),
        nav = nav(viewer, active),
    );
    secured((status, Html(html)).into_response(), CSP)
}

/// An error page in the console's frame, with a way back.
pub fn error(viewer: Option<&Viewer>, status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::CONFLICT => "Not possible right now",
        StatusCode::BAD_REQUEST => "Please check what you entered",
        _ => "Something went wrong",
    };
    let body = format!(
        r#"<p class="error" role="alert">{}</p><p><a href="/console">Back to the console</a></p>"#,
        esc(message)
    );
    page(viewer, viewer.map(|v| v.csrf_token()).unwrap_or_default(), status, title, "", &body)
}

/// A status tag. `kind` is one of ok, wait, bad, off, info.
pub fn badge(kind: &str, text: &str) -> String {
    format!(r#"<span class="badge b-{kind}">{}</span>"#, esc(text))
}

pub fn status_badge(status: Option<PermissionStatus>) -> String {
    match status {
        Some(PermissionStatus::Enabled) => badge("ok", "Enabled"),
        Some(PermissionStatus::PendingReview) => badge("wait", "Pending review"),
        Some(PermissionStatus::ReviewFailed) => badge("bad", "Review failed"),
        None => badge("off", "Not requested"),
    }
}

pub fn tier_badge(tier: ScopeTier) -> String {
    badge("tier", tier.as_str())
}

/// `2026-11-23 06:55 UTC`.
pub fn time(t: UnixTime) -> String {
    let days = t.0.div_euclid(86_400);
    let secs = t.0.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

const CSS: &str = "body.console main{max-width:none;margin:0;border-radius:0;box-shadow:none;flex:1;min-width:0}\
body.console header{display:flex;align-items:center;justify-content:space-between;gap:1rem}\
.brand{color:#fff;text-decoration:none}.who{display:flex;gap:.8rem;align-items:center}.who form{margin:0}\
button.link{background:none;color:#cfd8ff;margin:0;padding:0;text-decoration:underline}\
.frame{display:flex;min-height:calc(100vh - 3rem)}\
nav{width:14rem;background:#fff;border-right:1px solid #e3e6ec;padding:1rem 0}nav ul{list-style:none;margin:0;padding:0}\
nav li a{display:block;padding:.35rem 1.5rem;color:#1d2330;text-decoration:none}nav li a:hover{background:#f0f3fa}\
nav li a[aria-current=page]{background:#e8efff;border-left:3px solid #2f6fed;font-weight:600}\
nav li.group{padding:.9rem 1.5rem .2rem;font-size:.75rem;text-transform:uppercase;letter-spacing:.06em;color:#6b7385}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.3rem;z-index:2}\
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #2f6fed;outline-offset:2px}\
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid #e3e6ec;vertical-align:top}\
th{font-size:.8rem;color:#6b7385;text-transform:uppercase;letter-spacing:.04em}\
.badge{display:inline-block;padding:.08rem .55rem;border-radius:999px;font-size:.8rem;font-weight:600;white-space:nowrap}\
.b-ok{background:#e3f6e8;color:#17663a}.b-wait{background:#fff4d6;color:#7a5300}.b-bad{background:#fde7e6;color:#a1261c}\
.b-off{background:#eef0f4;color:#4a5263}.b-info{background:#e8efff;color:#1f4fbf}.b-tier{background:#f3eefc;color:#5b3a99}\
.card{border:1px solid #e3e6ec;border-radius:8px;padding:1rem 1.2rem;margin:1rem 0;background:#fff}\
.card h2,.card h3{margin-top:0}.card h2{font-size:1.15rem}.card h3{font-size:1rem;color:#4a5263}h2 .muted{font-size:.85rem;font-weight:400}\
.tabs a[aria-current=page]{font-weight:600;text-decoration:none;color:#1d2330}.muted{color:#6b7385}.reason{color:#a1261c;margin:.3rem 0 0}\
.empty{border:1px dashed #c9cfdb;border-radius:8px;padding:1rem 1.2rem;color:#4a5263;background:#fafbfc}\
.secret{font-family:ui-monospace,monospace;font-size:1rem;background:#fff8e1;border:1px solid #f0d58a;padding:.6rem;border-radius:6px;word-break:break-all}\
.notice{background:#fff8e1;border-left:4px solid #e0a800;padding:.6rem .9rem}\
.inline{display:inline}.inline button{margin-top:0}form.row{display:flex;gap:.6rem;align-items:flex-end;flex-wrap:wrap}\
form.row label{margin:0}textarea{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}\
select,input[type=text],input[type=search]{padding:.45rem;font:inherit}button:disabled{background:#c9cfdb;color:#4a5263;cursor:not-allowed}\
button.danger{background:#b3261e}";

pub async fn stylesheet() -> Response {
    let mut res = CSS.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    res
}

/// The copy button: copies the text of the element named by `data-copy`.
const JS: &str = r#"document.addEventListener('click', function (e) {
  var b = e.target.closest && e.target.closest('button[data-copy]');
  if (!b) { return; }
  var el = document.getElementById(b.getAttribute('data-copy'));
  if (!el || !navigator.clipboard) { b.textContent = 'Select the text and copy it'; return; }
  navigator.clipboard.writeText(el.textContent.trim()).then(
    function () { b.textContent = 'Copied'; },
    function () { b.textContent = 'Select the text and copy it'; });
});
"#;

pub async fn script() -> Response {
    let mut res = JS.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(time(UnixTime(0)), "1970-01-01 00:00 UTC");
        assert_eq!(time(UnixTime(1_795_000_000)), "2026-11-18 11:06 UTC");
        assert_eq!(time(UnixTime(951_782_400)), "2000-02-29 00:00 UTC");
    }
}
