//! The gateway in front of the route table: [`Gateway`] holds the current table (swapped
//! whole on reload), [`decide`] checks a request against it, and [`dispatch`] (the server's
//! fallback) answers the refusal or passes an allowed request to its upstream.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::Extension;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use tessera_service::{Principal, Tessera};
use tower::ServiceExt;

use super::identity::IdentityCache;
use super::metrics::{Metrics, Outcome};
use super::proxy::{self, UpstreamClient};
use super::rate_limit::RateLimiter;
use super::refusal::{self, GatewayError, gateway_error};
use super::table::{self, Route, RouteFileError, RouteTable, Target, Upstream};
use super::{Dialect, access_token};

/// A loaded table with one pooled client per HTTP upstream.
struct Loaded {
    table: Arc<RouteTable>,
    clients: HashMap<String, (Upstream, UpstreamClient)>,
}

struct Inner {
    loaded: RwLock<Arc<Loaded>>,
    /// The file `reload` reads again (none: the table cannot be reloaded).
    source: Option<PathBuf>,
    builtin: axum::Router,
    limiter: RateLimiter,
    metrics: Metrics,
    identities: IdentityCache,
    /// The service whose counters the metrics listener reports too.
    tessera: Tessera,
}

/// The gateway's shared state; cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

/// Reads, parses and checks a route file against the catalogue.
pub async fn load_file(tessera: &Tessera, path: &std::path::Path) -> Result<RouteTable, RouteFileError> {
    let name = path.display().to_string();
    let text = tokio::fs::read_to_string(path).await.map_err(|e| RouteFileError {
        file: name.clone(),
        line: 0,
        reason: format!("cannot read the file: {e}"),
    })?;
    check(tessera, table::parse(&name, &text)?).await
}

/// Refuses a table naming a scope the catalogue lacks.
pub async fn check(tessera: &Tessera, table: RouteTable) -> Result<RouteTable, RouteFileError> {
    let catalog = tessera.catalog().await.map_err(|e| RouteFileError {
        file: table.file.clone(),
        line: 0,
        reason: format!("cannot read the scope catalogue: {e}"),
    })?;
    table.check_scopes(|s| catalog.contains_key(s))?;
    Ok(table)
}

fn clients_for(table: &RouteTable, previous: Option<&Loaded>) -> HashMap<String, (Upstream, UpstreamClient)> {
    let mut clients = HashMap::new();
    for route in &table.routes {
        let u = &route.upstream;
        if !matches!(u.target, Target::Http { .. }) || clients.contains_key(&u.name) {
            continue;
        }
        // An upstream declared alike keeps its pool (and its kept-alive connections).
        let kept = previous
            .and_then(|p| p.clients.get(&u.name))
            .filter(|(old, _)| old.target == u.target && old.connect_timeout == u.connect_timeout);
        let client = kept.map(|(_, c)| c.clone()).unwrap_or_else(|| proxy::client(u));
        clients.insert(u.name.clone(), ((**u).clone(), client));
    }
    clients
}

impl Gateway {
    /// The gateway on `table`; `source` is the file `reload` reads.
    pub fn new(tessera: &Tessera, table: RouteTable, source: Option<PathBuf>, limiter: RateLimiter) -> Gateway {
        let builtin = axum::Router::new()
            .merge(super::sample_api::routes())
            .merge(super::feishu_api::routes())
            .with_state(tessera.clone());
        let clients = clients_for(&table, None);
        Gateway {
            inner: Arc::new(Inner {
                loaded: RwLock::new(Arc::new(Loaded { table: Arc::new(table), clients })),
                source,
                builtin,
                limiter,
                metrics: Metrics::default(),
                identities: IdentityCache::default(),
                tessera: tessera.clone(),
            }),
        }
    }

    /// A gateway without routes.
    pub fn empty(tessera: &Tessera) -> Gateway {
        Gateway::new(tessera, RouteTable::default(), None, RateLimiter::in_memory())
    }

    fn loaded(&self) -> Arc<Loaded> {
        match self.inner.loaded.read() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The current table.
    pub fn table(&self) -> Arc<RouteTable> {
        self.loaded().table.clone()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The identity headers kept per (token, route).
    pub fn identities(&self) -> &IdentityCache {
        &self.inner.identities
    }

    /// Reads the route file again; a file that fails keeps the current table. Answers the
    /// number of routes now served.
    pub async fn reload(&self, tessera: &Tessera) -> Result<usize, RouteFileError> {
        let Some(path) = &self.inner.source else {
            return Err(RouteFileError {
                file: "(none)".into(),
                line: 0,
                reason: "the server was started without --routes".into(),
            });
        };
        let result = load_file(tessera, path).await;
        match result {
            Ok(table) => {
                let count = table.routes.len();
                let routes = table.routes.iter().map(|r| r.describe()).collect();
                let upstreams = table.routes.iter().map(|r| r.upstream.name.clone()).collect();
                let previous = self.loaded();
                let clients = clients_for(&table, Some(&previous));
                let next = Arc::new(Loaded { table: Arc::new(table), clients });
                match self.inner.loaded.write() {
                    Ok(mut l) => *l = next,
                    Err(poisoned) => *poisoned.into_inner() = next,
                }
                self.inner.metrics.retain(&routes, &upstreams);
                tracing::info!(file = %path.display(), routes = count, "route table reloaded");
                Ok(count)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the route file was refused; the previous table stays in force");
                Err(e)
            }
        }
    }
}

/// A request the table allows: the route, the caller and the headers to tell the upstream.
pub struct Allowed {
    pub route: Arc<Route>,
    pub principal: Principal,
    /// Empty when the route's upstream is built in and the caller is not a proxy asking.
    pub identity: HeaderMap,
}

/// Who asks for a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// A proxy's forward-auth request: it copies the identity headers upstream.
    ForwardAuth,
    /// The gateway itself: a built-in upstream reads the caller, not the headers.
    Gateway,
}

/// What the table says about a request.
pub enum Decision {
    /// No route's template matches the path.
    NoRoute,
    Allowed(Box<Allowed>),
    /// The answer to give instead (a refusal in the route's dialect).
    Refused(Response),
}

/// Refuses paths that could be read as another path by the upstream: `.`/`..` segments
/// (also percent-encoded), encoded slashes and backslashes.
fn unsafe_path(path: &str) -> bool {
    // Case-insensitive, without copying the path: this runs on every gateway call.
    let bytes = path.as_bytes();
    let encoded = bytes.windows(3).any(|w| {
        w[0] == b'%' && matches!((w[1], w[2].to_ascii_lowercase()), (b'2', b'f') | (b'5', b'c') | (b'0', b'0'))
    });
    encoded || bytes.contains(&b'\\') || path.split('/').any(dot_segment)
}

/// `.` or `..`, each dot possibly percent-encoded (`%2e`, `%2E`).
fn dot_segment(seg: &str) -> bool {
    let mut rest = seg.as_bytes();
    let mut dots = 0;
    while !rest.is_empty() {
        match rest {
            [b'.', tail @ ..] => rest = tail,
            [b'%', b'2', e, tail @ ..] if e.eq_ignore_ascii_case(&b'e') => rest = tail,
            _ => return false,
        }
        dots += 1;
    }
    dots == 1 || dots == 2
}

/// Checks `method path` with the request's `headers` against the table, and counts the
/// outcome in the metrics.
pub async fn decide(
    tessera: &Tessera,
    gateway: &Gateway,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    asker: Asker,
) -> Decision {
    let started = tokio::time::Instant::now();
    let (decision, route, outcome) = decide_uncounted(tessera, gateway, method, path, headers, asker).await;
    if let Some(route) = route {
        gateway.metrics().decided(route.label(), route.dialect.as_str(), outcome, started.elapsed());
    }
    decision
}

type Counted = (Decision, Option<Arc<Route>>, Outcome);

fn outcome_of(e: &tessera_service::AccessError) -> Outcome {
    use tessera_service::AccessError;
    match e {
        AccessError::InvalidToken => Outcome::InvalidToken,
        AccessError::WrongTokenKind { .. } => Outcome::WrongTokenKind,
        AccessError::Denied { missing, .. } if missing.is_empty() => Outcome::ResourceForbidden,
        AccessError::Denied { .. } => Outcome::MissingScope,
        AccessError::Store(_) => Outcome::Error,
    }
}

async fn decide_uncounted(
    tessera: &Tessera,
    gateway: &Gateway,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    asker: Asker,
) -> Counted {
    let table = gateway.table();
    if unsafe_path(path) {
        let route = table.routes.iter().find(|r| r.template.matches(path)).cloned();
        let dialect = route.as_ref().map(|r| r.dialect).unwrap_or_default();
        let answer = gateway_error(dialect, GatewayError::BadRequest("the path has dot segments or encoded slashes"));
        return (Decision::Refused(answer), route, Outcome::BadRequest);
    }
    let Some(route) = table.find(method, path).cloned() else {
        return match table.routes.iter().find(|r| r.template.matches(path)) {
            Some(r) => (Decision::Refused(method_not_allowed(r.dialect)), Some(r.clone()), Outcome::BadRequest),
            None => (Decision::NoRoute, None, Outcome::BadRequest),
        };
    };
    let Some(token) = access_token(headers) else {
        return (Decision::Refused(refusal::missing_token(route.dialect)), Some(route), Outcome::MissingToken);
    };
    let principal = match tessera.check_access(token, &route.scopes, &route.kinds).await {
        Ok(p) => p,
        Err(e) => {
            let outcome = outcome_of(&e);
            return (Decision::Refused(refusal::refused(route.dialect, e, token)), Some(route), outcome);
        }
    };
    if let Some(limited) = over_limit(tessera, gateway, &table, &route, &principal).await {
        return (Decision::Refused(gateway_error(route.dialect, limited)), Some(route), Outcome::RateLimited);
    }
    let builtin = matches!(route.upstream.target, Target::Builtin);
    let identity = if builtin && asker == Asker::Gateway {
        Ok(HeaderMap::new())
    } else {
        gateway.identities().headers(tessera, token, &route, &principal).await
    };
    let identity = match identity {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "reading the caller's membership failed");
            return (
                Decision::Refused(gateway_error(route.dialect, GatewayError::Internal)),
                Some(route),
                Outcome::Error,
            );
        }
    };
    let allowed = Allowed { route: route.clone(), principal, identity };
    (Decision::Allowed(Box::new(allowed)), Some(route), Outcome::Allowed)
}

/// Counts the call against the app's limits: over every route, then on this route.
async fn over_limit(
    tessera: &Tessera,
    gateway: &Gateway,
    table: &RouteTable,
    route: &Route,
    p: &Principal,
) -> Option<GatewayError> {
    let now = tessera.now().0;
    let limiter = &gateway.inner.limiter;
    // The app's own limits (set by an operator) replace the table's for this app. Should the
    // store fail here, the table's apply: the token check just read the same cached app.
    let own = tessera.app_rate_limits(&p.client_id).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "reading the app's rate limits failed; the route table's apply");
        Default::default()
    });
    if let Some(limit) = own.app_qps.or(table.app_rate_limit.map(|l| l.per_second))
        && !limiter.admit(&format!("app:{}", p.client_id), now, limit).await
    {
        return Some(GatewayError::AppRateLimited);
    }
    if let Some(limit) = own.route_qps.or(route.rate_limit.map(|l| l.per_second))
        && !limiter.admit(&format!("route:{}:{}", p.client_id, route.label()), now, limit).await
    {
        return Some(GatewayError::RouteRateLimited);
    }
    None
}

fn method_not_allowed(dialect: Dialect) -> Response {
    let mut res = gateway_error(dialect, GatewayError::BadRequest("this API does not take this HTTP method"));
    *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    res
}

/// The server's fallback: requests that no endpoint of Tessera's own took. A request matching
/// the table is checked and, if allowed, passed to its upstream; any other gets a 404.
pub async fn dispatch(
    State(tessera): State<Tessera>,
    Extension(gateway): Extension<Gateway>,
    mut req: Request,
) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if req.uri().scheme().is_some() || req.uri().authority().is_some() {
        return gateway_error(
            Dialect::default(),
            GatewayError::BadRequest("absolute-form request targets are not accepted"),
        );
    }
    let path = req.uri().path().to_owned();
    let allowed = match decide(&tessera, &gateway, req.method(), &path, req.headers(), Asker::Gateway).await {
        Decision::NoRoute => return crate::surface::not_found(&path),
        Decision::Refused(res) => return res,
        Decision::Allowed(a) => a,
    };
    let Allowed { route, principal, identity } = *allowed;
    let headers = req.headers_mut();
    proxy::strip_tessera_headers(headers);
    match &route.upstream.target {
        Target::Builtin => {
            req.extensions_mut().insert(principal);
            match gateway.inner.builtin.clone().oneshot(req).await {
                Ok(res) => res,
                Err(never) => match never {},
            }
        }
        Target::Http { base } => {
            proxy::strip_access_token(headers);
            headers.extend(identity);
            let loaded = gateway.loaded();
            let Some((_, client)) = loaded.clients.get(&route.upstream.name) else {
                return gateway_error(route.dialect, GatewayError::Internal);
            };
            let proto = if tessera.config().public_url.starts_with("https://") { "https" } else { "http" };
            let started = tokio::time::Instant::now();
            let res = proxy::forward(client, &route, base, peer, proto, req).await;
            gateway.metrics().upstream(&route.upstream.name, started.elapsed());
            res
        }
    }
}

/// `GET /metrics` (on the metrics listener): Prometheus' text format.
pub async fn metrics(Extension(gateway): Extension<Gateway>) -> Response {
    let mut res = gateway.metrics().render(&gateway.inner.tessera).into_response();
    res.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    res
}

/// The router of the metrics listener.
pub fn metrics_router(gateway: Gateway) -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(metrics)).layer(Extension(gateway))
}

/// `GET /.well-known/jwks.json`: the keys that verify what Tessera signs (ID tokens, JWT
/// access tokens, logout tokens, the gateway's assertions): next, active and retired ones.
pub async fn jwks(State(tessera): State<Tessera>) -> Response {
    let mut res = axum::Json(tessera.current_jwks().await).into_response();
    // Relying parties may cache the set briefly; a new key is published a period before it signs.
    res.headers_mut().insert(http::header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    res
}

#[cfg(test)]
mod tests {
    use super::unsafe_path;

    #[test]
    fn dot_segments_encoded_slashes_and_nul_are_unsafe_in_any_case() {
        for path in [
            "/a/../b",
            "/a/./b",
            "/a/..",
            "/..",
            "/a/%2e%2e/b",
            "/a/%2E./b",
            "/a/.%2E",
            "/a/%2e/b",
            "/a%2fb",
            "/a%2Fb",
            "/a%5cb",
            "/a%5Cb",
            "/a\\b",
            "/a%00b",
        ] {
            assert!(unsafe_path(path), "{path}");
        }
        for path in
            ["/", "/a/b", "/a/.../b", "/a/.b/c", "/a/b.", "/a/%2e%2e%2e", "/a/%2ex", "/a%2", "/a%25/b", "/v1.0/x"]
        {
            assert!(!unsafe_path(path), "{path}");
        }
    }
}
