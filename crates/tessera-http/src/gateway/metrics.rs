//! The gateway's metrics in Prometheus' text format: requests by route, dialect and outcome,
//! and histograms of the decision's and the upstream's latency; with the service's tokens
//! issued by grant and kind, cache hits and misses, and change-listener reconnects. Label
//! values come from the route table and fixed names only, and a reload drops the series of
//! routes and upstreams the new table no longer has, so the series stay bounded by the table.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::sync::Mutex;
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

#[derive(Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, d: Duration) {
        let s = d.as_secs_f64();
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS.len()];
        }
        for (i, bound) in BUCKETS.iter().enumerate() {
            if s <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += s;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in BUCKETS.iter().enumerate() {
            let n = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let braced = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braced} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braced} {}", self.count);
    }
}

#[derive(Default)]
struct State {
    requests: BTreeMap<(String, &'static str, Outcome), u64>,
    decision: Histogram,
    upstream: BTreeMap<String, Histogram>,
}

#[derive(Default)]
pub struct Metrics {
    state: Mutex<State>,
}

/// Escapes a label value (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// One decision on `route` (`METHOD /template`), its outcome and how long it took.
    pub fn decided(&self, route: &str, dialect: &'static str, outcome: Outcome, took: Duration) {
        self.with(|s| {
            *s.requests.entry((route.to_owned(), dialect, outcome)).or_insert(0) += 1;
            s.decision.observe(took);
        });
    }

    /// One forwarded call to `upstream` and the time until its response headers.
    pub fn upstream(&self, upstream: &str, took: Duration) {
        self.with(|s| {
            if !s.upstream.contains_key(upstream) {
                s.upstream.insert(upstream.to_owned(), Histogram::default());
            }
            if let Some(h) = s.upstream.get_mut(upstream) {
                h.observe(took);
            }
        });
    }

    /// Drops the series of routes (`METHOD /template`) and upstreams not in `routes` and
    /// `upstreams` (after a reload: the table in force bounds the series).
    pub fn retain(&self, routes: &HashSet<String>, upstreams: &HashSet<String>) {
        self.with(|s| {
            s.requests.retain(|(route, _, _), _| routes.contains(route));
            s.upstream.retain(|name, _| upstreams.contains(name));
        });
    }

    /// Everything, in Prometheus' text exposition format, the service's counters included.
    pub fn render(&self, tessera: &tessera_service::Tessera) -> String {
        let mut out = self.render_gateway();
        render_service(&mut out, tessera);
        out
    }

    fn render_gateway(&self) -> String {
        self.with(|s| {
            let mut out = String::new();
            out.push_str("# HELP tessera_gateway_requests_total Requests the gateway decided on, by route, dialect and outcome.\n");
            out.push_str("# TYPE tessera_gateway_requests_total counter\n");
            for ((route, dialect, outcome), n) in &s.requests {
                let _ = writeln!(
                    out,
                    "tessera_gateway_requests_total{{route=\"{}\",dialect=\"{dialect}\",outcome=\"{}\"}} {n}",
                    label(route),
                    outcome.as_str()
                );
            }
            out.push_str("# HELP tessera_gateway_decision_seconds Time to decide on a request.\n");
            out.push_str("# TYPE tessera_gateway_decision_seconds histogram\n");
            s.decision.render(&mut out, "tessera_gateway_decision_seconds", "");
            out.push_str("# HELP tessera_gateway_upstream_seconds Time until an upstream's response headers.\n");
            out.push_str("# TYPE tessera_gateway_upstream_seconds histogram\n");
            for (name, h) in &s.upstream {
                h.render(&mut out, "tessera_gateway_upstream_seconds", &format!("upstream=\"{}\"", label(name)));
            }
            out
        })
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
