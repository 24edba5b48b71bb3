//! The gateway's route table: which requests it guards, what each requires, the dialect its
//! refusals use and the upstream it forwards to. Read from a TOML file (see `parse`); matched
//! on the request's method and raw path.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use tessera_core::ids::ScopeCode;
use tessera_core::token::TokenKind;

use super::Dialect;

mod parse;
mod template;

pub use parse::{RouteFileError, parse};
pub use template::Template;

/// Where an allowed request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The sample Open API compiled into the server.
    Builtin,
    /// An HTTP service: its base URL (`http://host:port` and an optional path prefix).
    Http { base: http::Uri },
}

/// An upstream, declared once and named by routes.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub name: String,
    pub target: Target,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed until the upstream's response headers arrive.
    pub timeout: Duration,
}

/// Requests per second, per app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
}

/// One route of the table.
#[derive(Debug, Clone)]
pub struct Route {
    pub methods: BTreeSet<MethodName>,
    pub template: Template,
    pub dialect: Dialect,
    pub scopes: Vec<ScopeCode>,
    /// The line naming each scope of `scopes`.
    pub scope_lines: Vec<usize>,
    pub kinds: Vec<TokenKind>,
    pub upstream: Arc<Upstream>,
    /// Per app on this route.
    pub rate_limit: Option<RateLimit>,
    /// The line of the route in its file (for messages).
    pub line: usize,
    /// [`Route::describe`], rendered once (metrics label every decision with it).
    pub label: String,
}

/// An HTTP method name in upper case (`GET`, `PUT`, …).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MethodName(pub String);

impl Route {
    pub fn takes(&self, method: &Method) -> bool {
        self.methods.iter().any(|m| m.0 == method.as_str())
    }

    /// `route` with its [`Route::label`] rendered.
    pub fn new(mut route: Route) -> Route {
        let methods: Vec<&str> = route.methods.iter().map(|m| m.0.as_str()).collect();
        route.label = format!("{} {}", methods.join(","), route.template);
        route
    }

    /// `GET,POST /v1.0/contact/users/{userId}`: its methods and template.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// [`Route::label`] as an owned string.
    pub fn describe(&self) -> String {
        self.label.clone()
    }
}

/// The whole table, in file order.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    pub routes: Vec<Arc<Route>>,
    /// Per app over every route of the table.
    pub app_rate_limit: Option<RateLimit>,
    /// The file it was read from.
    pub file: String,
}

impl RouteTable {
    /// The route a request matches: among routes taking `method` whose template matches
    /// `path`, the most specific (a literal segment beats a placeholder, left to right).
    pub fn find(&self, method: &Method, path: &str) -> Option<&Arc<Route>> {
        self.routes
            .iter()
            .filter(|r| r.takes(method) && r.template.matches(path))
            .max_by(|a, b| a.template.specificity().cmp(&b.template.specificity()))
    }

    /// The route declared with exactly this method and template (`explain`'s lookup).
    pub fn declared(&self, method: &str, template: &str) -> Option<&Arc<Route>> {
        self.routes
            .iter()
            .find(|r| r.methods.iter().any(|m| m.0.eq_ignore_ascii_case(method)) && r.template.text() == template)
    }

    /// Refuses the table if it names a scope the catalogue lacks, naming the first such line.
    pub fn check_scopes(&self, known: impl Fn(&ScopeCode) -> bool) -> Result<(), RouteFileError> {
        for r in &self.routes {
            for (scope, line) in r.scopes.iter().zip(&r.scope_lines) {
                if !known(scope) {
                    return Err(RouteFileError {
                        file: self.file.clone(),
                        line: *line,
                        reason: format!("unknown scope {scope}: it is not in the catalogue"),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
