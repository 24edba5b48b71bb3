//! Counters for the metrics listener: tokens issued by grant and kind, and the caches' hits
//! and misses. Label values are fixed names, so the series are bounded.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tessera_core::token::TokenKind;

use crate::Tessera;

/// How a token was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    /// App credentials (DingTalk GetAccessToken, Feishu tenant/app tokens, RFC 6749 4.4).
    ClientCredentials,
    /// A suite's credentials with its ticket (suite tokens and the corp tokens they fetch).
    SuiteTicket,
    AuthorizationCode,
    RefreshToken,
    DeviceCode,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::SuiteTicket => "suite_ticket",
            Grant::AuthorizationCode => "authorization_code",
            Grant::RefreshToken => "refresh_token",
            Grant::DeviceCode => "device_code",
        }
    }
}

/// Tokens handed out (a live token handed out again counts too), by grant and kind.
#[derive(Default)]
pub struct Stats {
    issued: Mutex<BTreeMap<(Grant, &'static str), u64>>,
}

/// One cache's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheCounts {
    pub cache: &'static str,
    pub hits: u64,
    pub misses: u64,
}

impl Stats {
    pub fn issued(&self, grant: Grant, kind: TokenKind) {
        let mut issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        *issued.entry((grant, kind.as_str())).or_insert(0) += 1;
    }

    /// `(grant, kind, count)` for every pair seen.
    pub fn tokens_issued(&self) -> Vec<(&'static str, &'static str, u64)> {
        let issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        issued.iter().map(|((grant, kind), n)| (grant.as_str(), *kind, *n)).collect()
    }
}

impl Tessera {
    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// Hits and misses of each cache since the start.
    pub fn cache_counts(&self) -> Vec<CacheCounts> {
        self.inner.cache.counts()
    }

    /// A number that changes whenever this node drops cached decisions (a committed change,
    /// another node's announcement): what a caller derived from cached values since it read
    /// the same number is still current.
    pub fn cache_generation(&self) -> u64 {
        self.inner.cache.fill().generation()
    }

    /// Times the store's change listener had to connect again (0 without one).
    pub fn listen_reconnects(&self) -> u64 {
        self.inner.store.listen_reconnects()
    }
}
