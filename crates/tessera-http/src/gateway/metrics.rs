//! The gateway's metrics in Prometheus' text format: requests by route, dialect and outcome,
//! and histograms of the decision's and the upstream's latency; with the service's tokens
//! issued by grant and kind, cache hits and misses, and change-listener reconnects. Label
//! values come from the route table and fixed names only, and a reload drops the series of
//! routes and upstreams the new table no longer has, so the series stay bounded by the table.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// What became of a request the gateway decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Allowed,
    MissingToken,
    InvalidToken,
    WrongTokenKind,
    MissingScope,
    ResourceForbidden,
    RateLimited,
    BadRequest,
    Error,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::MissingToken => "refused_missing_token",
            Outcome::InvalidToken => "invalid_token",
            Outcome::WrongTokenKind => "refused_token_kind",
            Outcome::MissingScope => "refused_missing_scope",
            Outcome::ResourceForbidden => "refused_resource",
            Outcome::RateLimited => "rate_limited",
            Outcome::BadRequest => "bad_request",
            Outcome::Error => "error",
        }
    }
}

const OUTCOMES: [Outcome; 9] = [
    Outcome::Allowed,
    Outcome::MissingToken,
    Outcome::InvalidToken,
    Outcome::WrongTokenKind,
    Outcome::MissingScope,
    Outcome::ResourceForbidden,
    Outcome::RateLimited,
    Outcome::BadRequest,
    Outcome::Error,
];

/// A latency histogram of atomic counters: observing takes no lock and allocates nothing.
struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        // Counted in the first bucket that holds it; rendering adds them up (cumulative).
        if let Some(i) = BUCKETS.iter().position(|bound| s <= *bound) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed).max(cumulative);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let braced = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{braced} {sum}");
        let _ = writeln!(out, "{name}_count{braced} {count}");
    }
}

/// The request counters of one route label: per dialect, per outcome.
#[derive(Default)]
struct RouteCounts {
    by_dialect: [[AtomicU64; OUTCOMES.len()]; 3],
}

fn dialect_index(dialect: &str) -> usize {
    match dialect {
        "dingtalk" => 0,
        "feishu" => 1,
        _ => 2,
    }
}

const DIALECTS: [&str; 3] = ["dingtalk", "feishu", "oauth2"];

/// Counters and histograms. The maps are only written when a route or upstream is seen for
/// the first time or dropped by a reload; a request reads them under a shared lock and
/// counts with atomics.
#[derive(Default)]
pub struct Metrics {
    requests: RwLock<HashMap<String, Arc<RouteCounts>>>,
    decision: Histogram,
    upstream: RwLock<HashMap<String, Arc<Histogram>>>,
}

/// Escapes a label value (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

/// The entry under `key`, made on first sight.
fn entry<V: Default>(map: &RwLock<HashMap<String, Arc<V>>>, key: &str) -> Arc<V> {
    if let Some(v) = read(map).get(key) {
        return v.clone();
    }
    write(map).entry(key.to_owned()).or_default().clone()
}

impl Metrics {
    /// One decision on `route` (`METHOD /template`), its outcome and how long it took.
    pub fn decided(&self, route: &str, dialect: &'static str, outcome: Outcome, took: Duration) {
        let counts = entry(&self.requests, route);
        counts.by_dialect[dialect_index(dialect)][outcome as usize].fetch_add(1, Ordering::Relaxed);
        self.decision.observe(took);
    }

    /// One forwarded call to `upstream` and the time until its response headers.
    pub fn upstream(&self, upstream: &str, took: Duration) {
        entry(&self.upstream, upstream).observe(took);
    }

    /// Drops the series of routes (`METHOD /template`) and upstreams not in `routes` and
    /// `upstreams` (after a reload: the table in force bounds the series).
    pub fn retain(&self, routes: &HashSet<String>, upstreams: &HashSet<String>) {
        write(&self.requests).retain(|route, _| routes.contains(route));
        write(&self.upstream).retain(|name, _| upstreams.contains(name));
    }

    /// Everything, in Prometheus' text exposition format, the service's counters included.
    pub fn render(&self, tessera: &tessera_service::Tessera) -> String {
        let mut out = self.render_gateway();
        render_service(&mut out, tessera);
        out
    }

    fn render_gateway(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP tessera_gateway_requests_total Requests the gateway decided on, by route, dialect and outcome.\n",
        );
        out.push_str("# TYPE tessera_gateway_requests_total counter\n");
        let requests: BTreeMap<String, Arc<RouteCounts>> =
            read(&self.requests).iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (route, counts) in &requests {
            for (d, dialect) in DIALECTS.iter().enumerate() {
                for outcome in OUTCOMES {
                    let n = counts.by_dialect[d][outcome as usize].load(Ordering::Relaxed);
                    if n == 0 {
                        continue;
                    }
                    let _ = writeln!(
                        out,
                        "tessera_gateway_requests_total{{route=\"{}\",dialect=\"{dialect}\",outcome=\"{}\"}} {n}",
                        label(route),
                        outcome.as_str()
                    );
                }
            }
        }
        out.push_str("# HELP tessera_gateway_decision_seconds Time to decide on a request.\n");
        out.push_str("# TYPE tessera_gateway_decision_seconds histogram\n");
        self.decision.render(&mut out, "tessera_gateway_decision_seconds", "");
        out.push_str("# HELP tessera_gateway_upstream_seconds Time until an upstream's response headers.\n");
        out.push_str("# TYPE tessera_gateway_upstream_seconds histogram\n");
        let upstream: BTreeMap<String, Arc<Histogram>> =
            read(&self.upstream).iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (name, h) in &upstream {
            h.render(&mut out, "tessera_gateway_upstream_seconds", &format!("upstream=\"{}\"", label(name)));
        }
        out
    }
}

/// Tokens issued by grant and kind, cache hits and misses, and change-listener reconnects.
fn render_service(out: &mut String, tessera: &tessera_service::Tessera) {
    out.push_str("# HELP tessera_tokens_issued_total Access tokens handed out (a live one handed out again included), by grant and kind.\n");
    out.push_str("# TYPE tessera_tokens_issued_total counter\n");
    for (grant, kind, n) in tessera.stats().tokens_issued() {
        let _ = writeln!(out, "tessera_tokens_issued_total{{grant=\"{grant}\",kind=\"{kind}\"}} {n}");
    }
    out.push_str("# HELP tessera_cache_hits_total Lookups answered from an in-memory cache, by cache.\n");
    out.push_str("# TYPE tessera_cache_hits_total counter\n");
    let counts = tessera.cache_counts();
    for c in &counts {
        let _ = writeln!(out, "tessera_cache_hits_total{{cache=\"{}\"}} {}", c.cache, c.hits);
    }
    out.push_str("# HELP tessera_cache_misses_total Lookups an in-memory cache could not answer, by cache.\n");
    out.push_str("# TYPE tessera_cache_misses_total counter\n");
    for c in &counts {
        let _ = writeln!(out, "tessera_cache_misses_total{{cache=\"{}\"}} {}", c.cache, c.misses);
    }
    out.push_str("# HELP tessera_listen_reconnects_total Times the change listener (PostgreSQL LISTEN) connected again after losing its connection.\n");
    out.push_str("# TYPE tessera_listen_reconnects_total counter\n");
    let _ = writeln!(out, "tessera_listen_reconnects_total {}", tessera.listen_reconnects());
}
