//! HTML building blocks: escaping, the page layout, and the security headers every page gets.

use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// Escapes text for HTML content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A hidden form field.
pub fn hidden(name: &str, value: &str) -> String {
    format!(r#"<input type="hidden" name="{}" value="{}">"#, esc(name), esc(value))
}

/// A whole page: `body` must already be escaped HTML. `form_action` is the CSP form-action
/// source list (empty: no form-action directive).
pub fn page(status: StatusCode, title: &str, body: &str, form_action: &str) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Tessera</title><link rel="stylesheet" href="/static/tessera.css"></head>
<body><header><span class="brand">Tessera</span></header><main>
<h1>{title}</h1>
{body}
</main></body></html>"#,
        title = esc(title),
    );
    let form_action = if form_action.is_empty() { String::new() } else { format!(" form-action {form_action};") };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self';{form_action} frame-ancestors 'none'; base-uri 'none'"
    );
    secured((status, Html(html)).into_response(), &csp)
}

/// `res` with the Content-Security-Policy `csp` and the headers every page gets (no
/// caching, no framing, no sniffing, no referrer).
pub fn secured(mut res: Response, csp: &str) -> Response {
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// An error page (never a redirect).
/// The page for a store failure: 503 "try again in a moment" when the database cannot be
/// reached, else 500 with `message`.
pub fn store_error_page(e: &tessera_store::StoreError, message: &str) -> Response {
    if e.is_unavailable() {
        tracing::warn!(error = %e, "page failed: database unavailable");
        return error_page(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE);
    }
    tracing::error!(error = %e, "page failed");
    error_page(StatusCode::INTERNAL_SERVER_ERROR, message)
}

/// What a page says while the database cannot be reached.
pub const UNAVAILABLE: &str = "The service is temporarily unavailable. Please try again in a moment.";

pub fn error_page(status: StatusCode, message: &str) -> Response {
    page(status, "Something is not right", &format!(r#"<p class="error">{}</p>"#, esc(message)), "'none'")
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}\
header{background:#1d2330;color:#fff;padding:.8rem 1.5rem}.brand{font-weight:700;letter-spacing:.05em}\
main{max-width:34rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 3px #0002}\
h1{font-size:1.3rem}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}\
button{margin-top:1rem;padding:.5rem 1.2rem;border:0;border-radius:4px;background:#2f6fed;color:#fff;cursor:pointer}\
button.secondary{background:#e3e6ec;color:#1d2330}.error{color:#b3261e}.warning{background:#fff4e5;border-left:4px solid #b26a00;padding:.5rem .75rem}ul.scopes li{margin:.4rem 0}code{background:#eef0f4;padding:0 .2rem}\
.app{border-top:1px solid #e3e6ec;padding:.8rem 0}";

pub async fn stylesheet() -> Response {
    let mut res = CSS.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    res
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc(r#"<b a="1">'&'</b>"#), "&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
    }
}
