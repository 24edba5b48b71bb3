//! Reading a route table from TOML. Every error names the file, the line and the reason.
//!
//! ```toml
//! app_qps = 200                      # optional: per app over every route
//!
//! [upstreams.contacts]
//! url = "http://127.0.0.1:9000"      # or `builtin = true`: the sample Open API
//! connect_timeout_ms = 2000          # default 2000
//! timeout_ms = 30000                 # until the response headers; default 30000
//!
//! [[routes]]
//! methods = ["GET"]                  # or method = "GET"
//! path = "/v1.0/contact/users/{userId}"
//! dialect = "dingtalk"               # dingtalk, feishu or oauth2
//! scopes = ["qyapi_get_member"]
//! token_kinds = ["app", "corp"]      # default: app, corp and user
//! upstream = "contacts"
//! qps = 20                           # optional: per app on this route
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tessera_core::ids::ScopeCode;
use tessera_core::token::TokenKind;
use toml::Spanned;

use super::{MethodName, RateLimit, Route, RouteTable, Target, Template, Upstream};
use crate::gateway::Dialect;

/// A route file the gateway refused: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteFileError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for RouteFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

impl std::error::Error for RouteFileError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    app_qps: Option<Spanned<u32>>,
    #[serde(default)]
    upstreams: BTreeMap<String, Spanned<UpstreamSpec>>,
    #[serde(default)]
    routes: Vec<Spanned<RouteSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamSpec {
    url: Option<Spanned<String>>,
    builtin: Option<bool>,
    connect_timeout_ms: Option<Spanned<u64>>,
    timeout_ms: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteSpec {
    method: Option<Spanned<String>>,
    methods: Option<Vec<Spanned<String>>>,
    path: Spanned<String>,
    dialect: Spanned<String>,
    #[serde(default)]
    scopes: Vec<Spanned<String>>,
    token_kinds: Option<Vec<Spanned<String>>>,
    upstream: Spanned<String>,
    qps: Option<Spanned<u32>>,
}

const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 2_000;
const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// Longest timeout a route file may set (10 minutes).
const MAX_TIMEOUT_MS: u64 = 600_000;
const MAX_ROUTES: usize = 10_000;

struct Reader<'a> {
    file: &'a str,
    text: &'a str,
}

impl Reader<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
    }

    fn error(&self, span: Range<usize>, reason: impl Into<String>) -> RouteFileError {
        RouteFileError { file: self.file.to_owned(), line: self.line(span), reason: reason.into() }
    }

    fn timeout(&self, v: &Option<Spanned<u64>>, default: u64, name: &str) -> Result<Duration, RouteFileError> {
        match v {
            None => Ok(Duration::from_millis(default)),
            Some(ms) if (1..=MAX_TIMEOUT_MS).contains(ms.get_ref()) => Ok(Duration::from_millis(*ms.get_ref())),
            Some(ms) => Err(self.error(ms.span(), format!("{name} must be 1 to {MAX_TIMEOUT_MS} milliseconds"))),
        }
    }

    fn qps(&self, v: &Option<Spanned<u32>>) -> Result<Option<RateLimit>, RouteFileError> {
        match v {
            None => Ok(None),
            Some(q) if *q.get_ref() > 0 => Ok(Some(RateLimit { per_second: *q.get_ref() })),
            Some(q) => Err(self.error(q.span(), "qps must be at least 1")),
        }
    }

    fn upstream(&self, name: &str, spec: &Spanned<UpstreamSpec>) -> Result<Upstream, RouteFileError> {
        let at = spec.span();
        let s = spec.get_ref();
        let target = match (&s.url, s.builtin) {
            (Some(url), None | Some(false)) => Target::Http { base: self.base_url(url)? },
            (None, Some(true)) => Target::Builtin,
            (Some(_), Some(true)) => {
                return Err(self.error(at, format!("upstream {name:?} sets both url and builtin")));
            }
            (None, _) => return Err(self.error(at, format!("upstream {name:?} needs a url (or builtin = true)"))),
        };
        Ok(Upstream {
            name: name.to_owned(),
            target,
            connect_timeout: self.timeout(&s.connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS, "connect_timeout_ms")?,
            timeout: self.timeout(&s.timeout_ms, DEFAULT_TIMEOUT_MS, "timeout_ms")?,
        })
    }

    fn base_url(&self, url: &Spanned<String>) -> Result<http::Uri, RouteFileError> {
        let bad = |why: &str| self.error(url.span(), format!("bad upstream url {:?}: {why}", url.get_ref()));
        let uri: http::Uri = url.get_ref().parse().map_err(|_| bad("not a URL"))?;
        if uri.scheme_str() != Some("http") {
            return Err(bad("only http:// upstreams are supported (terminate TLS in front of Tessera)"));
        }
        if uri.authority().is_none() || uri.query().is_some() {
            return Err(bad("give http://host:port with an optional path, no query"));
        }
        Ok(uri)
    }

    fn methods(&self, r: &Spanned<RouteSpec>) -> Result<BTreeSet<MethodName>, RouteFileError> {
        let spec = r.get_ref();
        let all: Vec<&Spanned<String>> = spec.method.iter().chain(spec.methods.iter().flatten()).collect();
        if all.is_empty() {
            return Err(self.error(r.span(), "the route has no method (method = \"GET\" or methods = [...])"));
        }
        let mut out = BTreeSet::new();
        for m in all {
            let name = m.get_ref().to_ascii_uppercase();
            if !["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].contains(&name.as_str()) {
                return Err(self.error(m.span(), format!("unknown method {:?}", m.get_ref())));
            }
            out.insert(MethodName(name));
        }
        Ok(out)
    }

    fn route(
        &self,
        r: &Spanned<RouteSpec>,
        upstreams: &BTreeMap<String, Arc<Upstream>>,
    ) -> Result<Route, RouteFileError> {
        let spec = r.get_ref();
        let methods = self.methods(r)?;
        let template = Template::parse(spec.path.get_ref()).map_err(|e| self.error(spec.path.span(), e))?;
        let dialect = match spec.dialect.get_ref().as_str() {
            "dingtalk" => Dialect::DingTalk,
            "feishu" => Dialect::Feishu,
            "oauth2" => Dialect::OAuth2,
            other => {
                return Err(
                    self.error(spec.dialect.span(), format!("unknown dialect {other:?}: dingtalk, feishu or oauth2"))
                );
            }
        };
        let mut scopes = Vec::new();
        let mut scope_lines = Vec::new();
        for s in &spec.scopes {
            let code = ScopeCode::parse(s.get_ref().as_str())
                .map_err(|_| self.error(s.span(), format!("{:?} is not a valid scope code", s.get_ref())))?;
            if !scopes.contains(&code) {
                scopes.push(code);
                scope_lines.push(self.line(s.span()));
            }
        }
        let kinds = match &spec.token_kinds {
            None => vec![TokenKind::App, TokenKind::Corp, TokenKind::User],
            Some(list) if list.is_empty() => {
                return Err(self.error(r.span(), "token_kinds is empty: no token could call the route"));
            }
            Some(list) => {
                let mut kinds = Vec::new();
                for k in list {
                    let kind = TokenKind::parse(k.get_ref()).map_err(|_| {
                        self.error(k.span(), format!("unknown token kind {:?}: app, corp, user or suite", k.get_ref()))
                    })?;
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
                kinds
            }
        };
        let upstream = upstreams.get(spec.upstream.get_ref()).cloned().ok_or_else(|| {
            self.error(spec.upstream.span(), format!("no upstream named {:?} is declared", spec.upstream.get_ref()))
        })?;
        Ok(Route::new(Route {
            methods,
            template,
            dialect,
            scopes,
            scope_lines,
            kinds,
            upstream,
            rate_limit: self.qps(&spec.qps)?,
            line: self.line(r.span()),
            label: String::new(),
        }))
    }
}

/// Parses the route file `file` holding `text`. Scope codes are checked for syntax only here;
/// [`RouteTable::check_scopes`] checks them against the catalogue.
pub fn parse(file: &str, text: &str) -> Result<RouteTable, RouteFileError> {
    let reader = Reader { file, text };
    let spec: FileSpec = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| reader.line(s)).unwrap_or(1);
        RouteFileError { file: file.to_owned(), line, reason: e.message().trim().to_owned() }
    })?;
    if spec.routes.len() > MAX_ROUTES {
        return Err(reader.error(0..0, format!("more than {MAX_ROUTES} routes")));
    }
    let mut upstreams = BTreeMap::new();
    for (name, u) in &spec.upstreams {
        upstreams.insert(name.clone(), Arc::new(reader.upstream(name, u)?));
    }
    let mut routes: Vec<Arc<Route>> = Vec::with_capacity(spec.routes.len());
    for r in &spec.routes {
        let route = reader.route(r, &upstreams)?;
        if let Some(other) = routes
            .iter()
            .find(|o| o.template.same_shape(&route.template) && o.methods.intersection(&route.methods).next().is_some())
        {
            return Err(reader.error(
                r.span(),
                format!("{} matches the same requests as {} (line {})", route.describe(), other.describe(), other.line),
            ));
        }
        routes.push(Arc::new(route));
    }
    Ok(RouteTable { routes, app_rate_limit: reader.qps(&spec.app_qps)?, file: file.to_owned() })
}
