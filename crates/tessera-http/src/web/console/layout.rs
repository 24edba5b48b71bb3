//! The console's frame (header, navigation by role, main area), its badges and time format,
//! its stylesheet and its one script (the copy button), all served from the binary.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use tessera_core::permission::PermissionStatus;
use tessera_core::scope::ScopeTier;
use tessera_core::time::UnixTime;

use super::Viewer;
use crate::web::html::{Markup, secured};

/// Scripts only from this server, forms only to it.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'none'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An entry of the navigation: a group's heading or a link.
pub enum NavEntry {
    Group(String),
    Link { href: String, label: &'static str, current: bool },
}

fn nav(viewer: Option<&Viewer>, active: &str) -> Vec<NavEntry> {
    let link = |href: String, label: &'static str| NavEntry::Link { current: href == active, href, label };
    let Some(v) = viewer else {
        return Vec::new();
    };
    let mut out = vec![link("/console".into(), "Overview")];
    if let Some(p) = &v.person {
        for (m, org) in &p.memberships {
            let c = m.corp_id.as_str();
            out.push(NavEntry::Group(org.name.clone()));
            if v.developer_of(c) {
                out.push(link(format!("/console/orgs/{c}/apps"), "Apps"));
            }
            if v.admin_of(c) {
                out.push(link(format!("/console/orgs/{c}/workbench"), "Workbench"));
                out.push(link(format!("/console/orgs/{c}/audit"), "Audit log"));
            }
        }
        out.push(NavEntry::Group("You".into()));
        out.push(link("/account".into(), "Apps you authorized"));
    }
    if v.reviewer.is_some() {
        out.push(NavEntry::Group("Platform".into()));
        out.push(link("/console/reviews".into(), "Review queue"));
    }
    out
}

/// The console's frame around a page's body.
#[derive(Template)]
#[template(path = "console/frame.html")]
struct Frame<'a> {
    title: &'a str,
    signed_in: bool,
    person: Option<&'a str>,
    reviewer: bool,
    csrf: &'a str,
    nav: Vec<NavEntry>,
    notice: Option<&'a str>,
    body: Markup,
}

/// A console page: `body` is the page's own template; `active` is the navigation entry to
/// mark as the current page.
pub fn page(
    viewer: Option<&Viewer>,
    csrf: &str,
    status: StatusCode,
    title: &str,
    active: &str,
    body: &impl Template,
) -> Response {
    let notice = viewer.and_then(|v| v.notice);
    let mut res = page_with_notice(viewer, csrf, status, title, active, notice, body);
    if let Some(v) = viewer.filter(|v| v.notice.is_some())
        && let Some(gone) = crate::web::cookies::set(crate::web::cookies::NOTICE, "", 0, v.secure_cookies)
    {
        res.headers_mut().append(header::SET_COOKIE, gone);
    }
    res
}

/// A console page that opens with `notice`, the outcome of the action that led to it.
pub fn page_with_notice(
    viewer: Option<&Viewer>,
    csrf: &str,
    status: StatusCode,
    title: &str,
    active: &str,
    notice: Option<&str>,
    body: &impl Template,
) -> Response {
    let frame = Frame {
        title,
        signed_in: viewer.is_some(),
        person: viewer.and_then(|v| v.person.as_ref()).map(|p| p.name.as_str()),
        reviewer: viewer.is_some_and(|v| v.reviewer.is_some()),
        csrf,
        nav: nav(viewer, active),
        notice,
        body: Markup::of(body),
    };
    secured((status, Html(Markup::of(&frame).into_string())).into_response(), CSP)
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorBody<'a> {
    message: &'a str,
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
    page(viewer, viewer.map(|v| v.csrf_token()).unwrap_or_default(), status, title, "", &ErrorBody { message })
}

#[derive(Template)]
#[template(path = "console/badge.html")]
struct Badge<'a> {
    kind: &'a str,
    text: &'a str,
    title: Option<&'a str>,
}

/// A status tag. `kind` is one of ok, wait, bad, off, info, tier.
pub fn badge(kind: &str, text: &str) -> Markup {
    Markup::of(&Badge { kind, text, title: None })
}

/// A status tag that says more on hover.
pub fn badge_titled(kind: &str, text: &str, title: &str) -> Markup {
    Markup::of(&Badge { kind, text, title: Some(title) })
}

pub fn status_badge(status: Option<PermissionStatus>) -> Markup {
    match status {
        Some(PermissionStatus::Enabled) => badge("ok", "Enabled"),
        Some(PermissionStatus::PendingReview) => badge("wait", "Pending review"),
        Some(PermissionStatus::ReviewFailed) => badge("bad", "Review failed"),
        None => badge("off", "Not requested"),
    }
}

pub fn tier_badge(tier: ScopeTier) -> Markup {
    badge("tier", tier.as_str())
}

/// The civil date of a day since 1970-01-01 (Howard Hinnant's days-to-civil).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The day since 1970-01-01 of a civil date (Howard Hinnant's days-from-civil).
fn days(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-23 06:55 UTC`.
pub fn time(t: UnixTime) -> String {
    let (year, month, day) = civil(t.0.div_euclid(86_400));
    let secs = t.0.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

/// `2026-11-23T06:55:00Z`, for `<time datetime>`.
pub fn iso(t: UnixTime) -> String {
    let (year, month, day) = civil(t.0.div_euclid(86_400));
    let secs = t.0.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The first second (UTC) of a `YYYY-MM-DD` day, as a date input sends it; `None` for
/// anything else, including days that do not exist (2026-02-30).
pub fn day_start(date: &str) -> Option<UnixTime> {
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse::<i64>().ok()).flatten();
    let (year, month, day) = (digits(y)?, digits(m)?, digits(d)?);
    if !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    let n = days(year, month, day);
    (civil(n) == (year, month, day)).then_some(UnixTime(n * 86_400))
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
.card h2,.card h3{margin-top:0}.card h2{font-size:1.2rem}.card h3{font-size:1rem;color:#4a5263}h2 .muted{font-size:.85rem;font-weight:400}\
.tabs a[aria-current=page]{font-weight:600;text-decoration:none;color:#1d2330}.muted{color:#6b7385}.reason{color:#a1261c;margin:.3rem 0 0}\
.empty{border:1px dashed #c9cfdb;border-radius:8px;padding:1rem 1.2rem;color:#4a5263;background:#fafbfc}\
.secret{font-family:ui-monospace,monospace;font-size:1rem;background:#fff8e1;border:1px solid #f0d58a;padding:.6rem;border-radius:6px;word-break:break-all}\
.notice{background:#fff8e1;border-left:4px solid #e0a800;padding:.6rem .9rem}\
.inline{display:inline}.inline button{margin-top:0}form.row{display:flex;gap:.6rem;align-items:flex-end;flex-wrap:wrap}\
form.row label{margin:0}textarea{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}\
select,input[type=text],input[type=search]{padding:.45rem;font:inherit}button:disabled{background:#c9cfdb;color:#4a5263;cursor:not-allowed}\
button.danger{background:#b3261e}\
.scroll{overflow-x:auto;max-width:100%}table.audit{table-layout:fixed;font-size:.9rem}\
table.audit td,table.audit th{overflow-wrap:anywhere}table.audit .col-seq{width:3.2rem}\
table.audit .col-when{width:10.5rem;white-space:nowrap;overflow-wrap:normal}table.audit .col-actor{width:17%}\
table.audit .col-what{width:9.5rem}table.audit .col-about{width:22%}table.audit .badge{white-space:normal}\
.pager{display:flex;justify-content:space-between;gap:1rem;margin:.8rem 0}.pager a[rel=next]{margin-left:auto}\
@media (max-width:760px){.frame{display:block}nav{width:auto;border-right:0;border-bottom:1px solid #e3e6ec;padding:.4rem 0}\
nav ul{display:flex;flex-wrap:wrap;gap:0 .2rem}nav li a{padding:.3rem .7rem}nav li.group{padding:.5rem .7rem 0;width:100%}\
nav li a[aria-current=page]{border-left:0;border-bottom:3px solid #2f6fed}body.console header{flex-wrap:wrap;padding:.6rem 1rem}\
body.console main{padding:1rem}select,input[type=text],input[type=search],textarea{max-width:100%;box-sizing:border-box}\
form.row>div{flex:1 1 100%;min-width:0}form.row input[type=text],form.row input[type=search],form.row select{width:100%}\
.secret,code{overflow-wrap:anywhere}main table{display:block;overflow-x:auto;max-width:100%}input[size]{width:100%;box-sizing:border-box}}";

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
        assert_eq!(iso(UnixTime(1_795_000_000)), "2026-11-18T11:06:40Z");
    }

    #[test]
    fn dates_read_as_the_start_of_their_utc_day() {
        assert_eq!(day_start("1970-01-01"), Some(UnixTime(0)));
        assert_eq!(day_start("2000-02-29"), Some(UnixTime(951_782_400)));
        assert_eq!(day_start("2026-11-18"), Some(UnixTime(1_795_000_000 - 11 * 3600 - 6 * 60 - 40)));
        for bad in ["2026-02-30", "2026-13-01", "2026-1-01", "26-01-01", "2026-01-01x", "", "2026-00-10", "+026-01-01"]
        {
            assert_eq!(day_start(bad), None, "{bad}");
        }
    }
}
