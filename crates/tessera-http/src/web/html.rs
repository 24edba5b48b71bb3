//! HTML building blocks: the page layout (askama templates under `templates/`, which escape
//! every value they insert), and the security headers every page gets.

use std::fmt;

use askama::Template;
use askama::filters::HtmlSafe;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// HTML produced by rendering a template: the one kind of value templates insert without
/// escaping. It can only be made by rendering an askama template (whose own values were
/// escaped), so no string reaches a page unescaped.
#[derive(Debug, Clone, Default)]
pub struct Markup(String);

impl Markup {
    /// Renders `template`; a template that fails to render (a formatting error, never input)
    /// is logged and leaves nothing.
    pub fn of(template: &impl Template) -> Markup {
        match template.render() {
            Ok(html) => Markup(html),
            Err(e) => {
                tracing::error!(error = %e, "a page fragment failed to render");
                Markup(String::new())
            }
        }
    }

    /// Several fragments, one after the other.
    pub fn concat(parts: impl IntoIterator<Item = Markup>) -> Markup {
        Markup(parts.into_iter().map(|m| m.0).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Markup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl HtmlSafe for Markup {}

#[derive(Template)]
#[template(path = "page.html")]
struct PageTemplate<'a> {
    title: &'a str,
    body: &'a Markup,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    message: &'a str,
}

/// A whole page around `body`. `form_action` is the CSP form-action source list (empty: no
/// form-action directive).
pub fn page(status: StatusCode, title: &str, body: &impl Template, form_action: &str) -> Response {
    let html = Markup::of(&PageTemplate { title, body: &Markup::of(body) });
    let form_action = if form_action.is_empty() { String::new() } else { format!(" form-action {form_action};") };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self';{form_action} frame-ancestors 'none'; base-uri 'none'"
    );
    secured((status, Html(html.into_string())).into_response(), &csp)
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
    page(status, "Something is not right", &ErrorTemplate { message }, "'none'")
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}\
header{background:#1d2330;color:#fff;padding:.8rem 1.5rem}.brand{font-weight:700;letter-spacing:.05em}\
main{max-width:34rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 3px #0002}\
h1{font-size:1.6rem}h2{font-size:1.25rem}h3{font-size:1.05rem}.success{color:#17663a;background:#e3f6e8;padding:.5rem .75rem;border-radius:4px}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}\
button{margin-top:1rem;padding:.5rem 1.2rem;border:0;border-radius:4px;background:#2f6fed;color:#fff;cursor:pointer}\
button.secondary{background:#e3e6ec;color:#1d2330}.error{color:#b3261e}.warning{background:#fff4e5;border-left:4px solid #b26a00;padding:.5rem .75rem}ul.scopes li{margin:.4rem 0}code{background:#eef0f4;padding:0 .2rem}\
.app{border-top:1px solid #e3e6ec;padding:.8rem 0}select{max-width:100%}code{overflow-wrap:anywhere}\
@media (max-width:600px){main{margin:0;padding:1rem;border-radius:0}}";

pub async fn stylesheet() -> Response {
    let mut res = CSS.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Template)]
    #[template(source = "<p title=\"{{ text }}\">{{ text }}</p>{{ inner }}", ext = "html")]
    struct Probe<'a> {
        text: &'a str,
        inner: Markup,
    }

    #[test]
    fn values_are_escaped_and_rendered_fragments_are_not() {
        let inner = Markup::of(&ErrorTemplate { message: "<b>" });
        let html = Markup::of(&Probe { text: r#"<b a="1">'&'</b>"#, inner }).into_string();
        assert!(!html.contains("<b"), "{html}");
        assert!(html.contains(r#"<p class="error">&#60;b&#62;</p>"#), "{html}");
        assert_eq!(html.matches("&#60;b a=&#34;1&#34;&#62;&#39;&#38;&#39;&#60;/b&#62;").count(), 2, "{html}");
    }

    /// `|safe` would let a string through unescaped; rendered fragments ([`Markup`]) are the
    /// only unescaped values, so no template may use it.
    #[test]
    fn no_template_opts_out_of_escaping() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if let Ok(text) = std::fs::read_to_string(&path)
                    && (text.contains("|safe") || text.contains("| safe") || text.contains("autoescape"))
                {
                    found.push(path.display().to_string());
                }
            }
        }
        let mut found = Vec::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"), &mut found);
        assert!(found.is_empty(), "templates opting out of escaping: {found:?}");
    }
}
