//! Login throttling: after `LOGIN_FAILURE_LIMIT` failed logins for one username, or
//! `LOGIN_FAILURE_LIMIT_PER_ADDRESS` from one client address, within
//! `LOGIN_FAILURE_WINDOW` seconds, further attempts are refused (429 with
//! `Retry-After`) until the window that began with the first failure has passed —
//! without checking the password, so a guesser costs the server nothing.
//!
//! Counts are kept in memory by each server process: with several nodes behind a load
//! balancer each node counts its own.

use std::{
    collections::HashMap,
    net::IpAddr,
    time::{Duration, Instant},
};

use parking_lot::Mutex;

/// Entries kept at most per table; beyond it, windows that have ended are dropped,
/// then the oldest.
const MAX_ENTRIES: usize = 100_000;

/// The limits, from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures per username (0: no limit).
    pub per_username: u64,
    /// Failures per client address (0: no limit).
    pub per_address: u64,
    /// How long a run of failures counts.
    pub window: Duration,
}

/// A count of failures that began at `since`.
#[derive(Debug, Clone, Copy)]
struct Run {
    since: Instant,
    failures: u64,
}

/// Failed logins per username and per address.
#[derive(Debug)]
pub struct LoginThrottle {
    limits: Limits,
    usernames: Mutex<HashMap<String, Run>>,
    addresses: Mutex<HashMap<IpAddr, Run>>,
}

impl LoginThrottle {
    /// A throttle with no failures recorded.
    pub fn new(limits: Limits) -> LoginThrottle {
        LoginThrottle {
            limits,
            usernames: Mutex::new(HashMap::new()),
            addresses: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` when `username` or `address` has used up its failures: how long
    /// until attempts are accepted again.
    pub fn check(&self, username: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let by_name = wait(
            self.usernames.lock().get(&key(username)),
            self.limits.per_username,
            self.limits.window,
            now,
        );
        let by_address = address.and_then(|a| {
            wait(
                self.addresses.lock().get(&a),
                self.limits.per_address,
                self.limits.window,
                now,
            )
        });
        match by_name.max(by_address) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a failed login.
    pub fn failed(&self, username: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        if self.limits.per_username > 0 {
            count(
                &mut self.usernames.lock(),
                key(username),
                self.limits.window,
                now,
            );
        }
        if let (Some(address), true) = (address, self.limits.per_address > 0) {
            count(&mut self.addresses.lock(), address, self.limits.window, now);
        }
    }

    /// A successful login clears its username's failures (not its address's).
    pub fn succeeded(&self, username: &str) {
        self.usernames.lock().remove(&key(username));
    }
}

/// The longest username kept whole as a key (a username has at most 150 characters).
const MAX_KEY: usize = 150;

/// The key of `username`'s failures: the username, or for one longer than any username
/// can be, its SHA-256 — so that a megabyte of username costs 71 bytes of memory.
fn key(username: &str) -> String {
    if username.len() <= MAX_KEY {
        return username.to_string();
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(username.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn wait(run: Option<&Run>, limit: u64, window: Duration, now: Instant) -> Option<Duration> {
    let run = run?;
    let elapsed = now.duration_since(run.since);
    if limit == 0 || run.failures < limit || elapsed >= window {
        return None;
    }
    // Whole seconds, rounded up: what Retry-After says.
    Some(
        Duration::from_secs((window - elapsed).as_secs_f64().ceil() as u64)
            .max(Duration::from_secs(1)),
    )
}

fn count<K: std::hash::Hash + Eq + Clone>(
    runs: &mut HashMap<K, Run>,
    key: K,
    window: Duration,
    now: Instant,
) {
    if runs.len() >= MAX_ENTRIES && !runs.contains_key(&key) {
        runs.retain(|_, run| now.duration_since(run.since) < window);
        if runs.len() >= MAX_ENTRIES {
            if let Some(oldest) = runs
                .iter()
                .min_by_key(|(_, r)| r.since)
                .map(|(k, _)| k.clone())
            {
                runs.remove(&oldest);
            }
        }
    }
    let run = runs.entry(key).or_insert(Run {
        since: now,
        failures: 0,
    });
    if now.duration_since(run.since) >= window {
        *run = Run {
            since: now,
            failures: 0,
        };
    }
    run.failures += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_username: u64, per_address: u64) -> LoginThrottle {
        LoginThrottle::new(Limits {
            per_username,
            per_address,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn long_usernames_are_kept_as_digests() {
        let long = "x".repeat(1 << 20);
        assert_eq!(key(&long).len(), 71);
        assert_ne!(key(&long), key(&"y".repeat(1 << 20)));
        assert_eq!(key("admin"), "admin");
        let t = throttle(2, 0);
        t.failed(&long, None);
        t.failed(&long, None);
        assert!(t.check(&long, None).is_err());
        assert!(t.check("admin", None).is_ok());
        let stored: usize = t.usernames.lock().keys().map(String::len).sum();
        assert!(stored < 100, "{stored} bytes of keys");
    }

    #[test]
    fn a_username_is_refused_after_its_failures_until_the_window_ends() {
        let t = throttle(3, 0);
        let here = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..3 {
            assert!(t.check("admin", here).is_ok());
            t.failed("admin", here);
        }
        let wait = t.check("admin", here).unwrap_err();
        assert!(wait > Duration::from_secs(58) && wait <= Duration::from_secs(60));
        assert!(
            t.check("other", here).is_ok(),
            "another account is not affected"
        );
        t.succeeded("admin");
        assert!(t.check("admin", here).is_ok());
    }

    #[test]
    fn an_address_is_refused_whatever_username_it_tries() {
        let t = throttle(0, 2);
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        let b = Some(IpAddr::from([10, 0, 0, 2]));
        t.failed("x", a);
        t.failed("y", a);
        assert!(t.check("z", a).is_err());
        assert!(t.check("z", b).is_ok());
        assert!(t.check("z", None).is_ok());
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let t = throttle(0, 0);
        for _ in 0..100 {
            t.failed("admin", None);
        }
        assert!(t.check("admin", None).is_ok());
    }
}
