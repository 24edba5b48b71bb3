//! Pushing a suite's ticket again on demand (Feishu's `app_ticket/resend`) is limited per
//! app: each push sends up to six requests to the app's callback, so unlimited resends would
//! make Tessera a flood source against whatever that URL names.

use std::collections::HashMap;
use std::sync::Mutex;

use tessera_core::ids::ClientId;
use tessera_core::time::UnixTime;

/// Seconds an app waits between two resends.
pub const RESEND_INTERVAL_SECS: i64 = 10;

/// Apps tracked at most (one entry per suite that asked within the interval).
const MAX_TRACKED: usize = 10_000;

/// When each app last had its ticket resent.
#[derive(Default)]
pub struct ResendLog(Mutex<HashMap<ClientId, UnixTime>>);

impl ResendLog {
    /// Records a resend of `app` at `now` if it may have one; otherwise the seconds to wait.
    pub fn try_take(&self, app: &ClientId, now: UnixTime) -> Result<(), i64> {
        let mut last = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = last.get(app) {
            let wait = at.0 + RESEND_INTERVAL_SECS - now.0;
            if wait > 0 {
                return Err(wait);
            }
        }
        if last.len() >= MAX_TRACKED && !last.contains_key(app) {
            last.retain(|_, at| at.0 + RESEND_INTERVAL_SECS > now.0);
            if last.len() >= MAX_TRACKED {
                return Err(RESEND_INTERVAL_SECS);
            }
        }
        last.insert(app.clone(), now);
        Ok(())
    }

    /// Forgets resends older than the interval.
    pub fn prune(&self, now: UnixTime) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, at| at.0 + RESEND_INTERVAL_SECS > now.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_resend_per_app_per_interval() {
        let log = ResendLog::default();
        let (a, b) = (ClientId::parse("suitea").unwrap(), ClientId::parse("suiteb").unwrap());
        assert_eq!(log.try_take(&a, UnixTime(100)), Ok(()));
        assert_eq!(log.try_take(&a, UnixTime(104)), Err(6));
        assert_eq!(log.try_take(&b, UnixTime(104)), Ok(()));
        assert_eq!(log.try_take(&a, UnixTime(110)), Ok(()));
        log.prune(UnixTime(200));
        assert!(log.0.lock().unwrap().is_empty());
    }
}
