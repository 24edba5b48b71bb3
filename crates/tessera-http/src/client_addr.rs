//! The client's address, as the attempt limits key it.
//!
//! By default it is the TCP peer and `X-Forwarded-For` is ignored (anyone can send it).
//! When the peer is one of the operator's `--trusted-proxies`, the header is read from the
//! right: each proxy appends the address it received the request from, so the first entry
//! that is not itself a trusted proxy is the client (entries further left are the client's
//! own claims). IPv6 clients are keyed by their /64, the block one subscriber gets.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::HeaderMap;
use http::request::Parts;
use ipnet::IpNet;
use tessera_service::Tessera;

/// The client address key of a request (`203.0.113.7`, `2001:db8:1:2::/64`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

impl ClientAddr {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromRequestParts<Tessera> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, tessera: &Tessera) -> Result<Self, Infallible> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let ip = match peer {
            Some(peer) => client_ip(peer, &parts.headers, &tessera.config().trusted_proxies),
            // Only routers built without the server's connection info (none in production).
            None => IpAddr::from([0, 0, 0, 0]),
        };
        Ok(ClientAddr(key(ip)))
    }
}

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    let ip = canonical(ip);
    proxies.iter().any(|net| net.contains(&ip))
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, dual-stack sockets) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client address: the peer, or — when the peer is a trusted proxy — the rightmost
/// `X-Forwarded-For` entry that is not a trusted proxy. An entry that does not parse stops
/// the walk at the last address known good.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, proxies: &[IpNet]) -> IpAddr {
    let mut client = canonical(peer);
    if !trusted(client, proxies) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else { break };
        client = canonical(ip);
        if !trusted(client, proxies) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The limiter's key for `ip`: an IPv4 address as is, an IPv6 one as its /64.
pub fn key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_peer() {
        let h = headers(&["198.51.100.9"]);
        assert_eq!(client_ip(ip("203.0.113.1"), &h, &[]), ip("203.0.113.1"));
        assert_eq!(client_ip(ip("203.0.113.1"), &h, &nets(&["10.0.0.0/8"])), ip("203.0.113.1"));
        assert_eq!(client_ip(ip("10.1.2.3"), &h, &nets(&["10.0.0.0/8"])), ip("198.51.100.9"));
    }

    #[test]
    fn the_rightmost_untrusted_entry_is_the_client() {
        let proxies = nets(&["10.0.0.0/8", "192.0.2.1/32"]);
        // The client forged the leftmost entry; the proxies appended the rest.
        let h = headers(&["1.1.1.1, 198.51.100.9", "192.0.2.1"]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &proxies), ip("198.51.100.9"));
        // Every hop trusted: the leftmost one.
        let h = headers(&["10.9.9.9, 192.0.2.1"]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &proxies), ip("10.9.9.9"));
        // No header behind a trusted proxy: the proxy.
        assert_eq!(client_ip(ip("10.0.0.5"), &HeaderMap::new(), &proxies), ip("10.0.0.5"));
        // Garbage stops the walk at the last good address.
        let h = headers(&["garbage, 192.0.2.1"]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &proxies), ip("192.0.2.1"));
        let h = headers(&["[2001:db8::1]:443, 198.51.100.7:80"]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &proxies), ip("198.51.100.7"));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(key(ip("2001:db8:1:2:bbbb::9")), key(ip("2001:db8:1:2::")));
        assert_eq!(key(ip("::ffff:203.0.113.4")), "203.0.113.4");
        assert_eq!(key(ip("203.0.113.4")), "203.0.113.4");
    }
}
