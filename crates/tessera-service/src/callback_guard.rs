//! Outbound callbacks (suite ticket pushes, back-channel logout tokens) reach public addresses only: the URL is checked
//! when it is registered, and again at each push, where the HTTP client resolves host names
//! itself, refuses any answer with a non-public address and connects to the addresses it
//! checked (so a DNS answer cannot change between the check and the connection). Redirects
//! are not followed and no proxy is used. `allow_private` (`--allow-private-callbacks`)
//! lifts the address check for local development.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tessera_core::callback_address::is_public;

/// Why a callback URL may not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackRefused {
    #[error("the callback URL is not an absolute http(s) URL with a host")]
    Malformed,
    #[error("the callback host {host} is a loopback, private, link-local or otherwise non-public address")]
    NonPublic { host: String },
    #[error("the callback HTTP client could not be built")]
    Unavailable,
}

/// Whether `host` (a name) is one that always means this machine.
fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

fn refuse_ips(host: &str, ips: impl IntoIterator<Item = IpAddr>) -> Result<(), CallbackRefused> {
    if ips.into_iter().all(is_public) { Ok(()) } else { Err(CallbackRefused::NonPublic { host: host.to_owned() }) }
}

/// The check of a URL itself: its scheme, and its host when that is an address or a name of
/// this machine. Names are checked when they are resolved.
pub fn check_url_host(url: &str, allow_private: bool) -> Result<Option<(String, u16)>, CallbackRefused> {
    let url = Url::parse(url).map_err(|_| CallbackRefused::Malformed)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CallbackRefused::Malformed);
    }
    let port = url.port_or_known_default().ok_or(CallbackRefused::Malformed)?;
    let host = url.host_str().ok_or(CallbackRefused::Malformed)?;
    if allow_private {
        return Ok(None);
    }
    if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return refuse_ips(host, [ip]).map(|()| None);
    }
    if is_local_name(host) {
        return Err(CallbackRefused::NonPublic { host: host.to_owned() });
    }
    Ok(Some((host.to_owned(), port)))
}

/// The registration check: the URL's host, and what a host name resolves to now. A name
/// that does not resolve now is accepted (DNS may be down or not yet set up); every push
/// resolves and checks it again.
pub async fn check_callback_url(url: &str, allow_private: bool) -> Result<(), CallbackRefused> {
    let Some((name, port)) = check_url_host(url, allow_private)? else {
        return Ok(());
    };
    match tokio::net::lookup_host((name.as_str(), port)).await {
        Ok(addrs) => refuse_ips(&name, addrs.map(|a| a.ip()).collect::<Vec<_>>()),
        Err(_) => Ok(()),
    }
}

/// The HTTP client of outbound callbacks: no redirects, no proxy, and (unless
/// `allow_private`) only public addresses, whether written in the URL or resolved.
#[derive(Clone)]
pub struct CallbackClient {
    /// `None` when the client could not be built: nothing is sent then (fail closed).
    http: Option<reqwest::Client>,
    allow_private: bool,
    /// One permit per push pending (in flight or waiting for its next attempt).
    pending: Arc<tokio::sync::Semaphore>,
}

impl CallbackClient {
    pub fn new(allow_private: bool) -> Self {
        let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy();
        let builder = if allow_private { builder } else { builder.dns_resolver(Arc::new(PublicOnly)) };
        let http = builder
            .build()
            .inspect_err(
                |e| tracing::error!(error = %e, "building the callback HTTP client failed; no callback will be sent"),
            )
            .ok();
        CallbackClient { http, allow_private, pending: Arc::new(tokio::sync::Semaphore::new(Self::MAX_PENDING)) }
    }

    /// Pushes pending at once, at most (a burst of sign-outs cannot grow memory without bound).
    pub const MAX_PENDING: usize = 1024;

    /// A slot for one more pending push, or `None` when [`Self::MAX_PENDING`] are pending.
    pub fn pending_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.pending.clone().try_acquire_owned().ok()
    }

    /// A POST to `url`, refused when the URL names a non-public address (names are checked
    /// as they are resolved, when the request is sent).
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, CallbackRefused> {
        check_url_host(url, self.allow_private)?;
        self.http.as_ref().map(|h| h.post(url)).ok_or(CallbackRefused::Unavailable)
    }
}

/// Whether a send failed because the callback's address was refused (not worth retrying).
pub fn refused(e: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<CallbackRefused>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Resolves with the system resolver and refuses the name if any address is not public.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            if is_local_name(&host) {
                return Err(Box::new(CallbackRefused::NonPublic { host }) as _);
            }
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            refuse_ips(&host, addrs.iter().map(|a| a.ip()))?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_inside_addresses_and_local_names_are_refused() {
        for url in [
            "http://127.0.0.1:9000/cb",
            "http://[::1]/cb",
            "https://10.0.0.8/x",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost:8080/",
            "http://api.localhost./",
            "http://0.0.0.0/",
            "http://[::ffff:192.168.0.1]/",
        ] {
            assert!(
                matches!(check_url_host(url, false), Err(CallbackRefused::NonPublic { .. })),
                "{url} must be refused"
            );
            assert_eq!(check_url_host(url, true), Ok(None), "{url} is allowed with allow_private");
        }
        assert_eq!(check_url_host("ftp://8.8.8.8/", false), Err(CallbackRefused::Malformed));
        assert_eq!(check_url_host("http://8.8.8.8/", false), Ok(None));
        assert_eq!(check_url_host("https://isv.example.com/t", false), Ok(Some(("isv.example.com".into(), 443))));
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_that_resolve_inside() {
        assert!(PublicOnly.resolve("localhost".parse().unwrap()).await.is_err());
        // Resolved without DNS (a literal), so the check runs on the resolved address.
        for inside in ["127.0.0.1", "10.1.1.1", "169.254.169.254"] {
            let e = PublicOnly.resolve(inside.parse().unwrap()).await.err().expect("refused");
            assert!(e.is::<CallbackRefused>(), "{inside}: {e}");
        }
        let public: Vec<_> = PublicOnly.resolve("8.8.8.8".parse().unwrap()).await.unwrap().collect();
        assert_eq!(public, [SocketAddr::from(([8, 8, 8, 8], 0))]);
    }
}
