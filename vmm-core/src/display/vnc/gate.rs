//! What stands between a connection that has not authenticated yet and the screen: handshake
//! slots apart from connected clients (idle half-open connections cannot lock anyone out),
//! back-off and a temporary lockout after wrong passwords (guessing stays slow however many
//! connections guess at once), and a log that cannot be flooded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::server::Stream;
use crate::util::lock;

/// Connections in their handshake at once; a new one past this closes the oldest.
pub(super) const HANDSHAKE_SLOTS: usize = 8;
/// Wrong passwords answered after the base delay only.
const FREE_FAILURES: u32 = 3;
/// Wrong passwords in a row after which every password is refused for [`LOCKOUT`].
pub(super) const LOCKOUT_AFTER: u32 = 10;
pub(super) const LOCKOUT: Duration = Duration::from_secs(60);
const BASE_DELAY: Duration = Duration::from_millis(500);
const MAX_DELAY: Duration = Duration::from_secs(8);
/// At most this many lines about unauthenticated connections per window.
const LOG_LINES: u32 = 20;
const LOG_WINDOW: Duration = Duration::from_secs(10);

pub(super) struct Gate {
    st: Mutex<State>,
    /// Connections in their handshake: id → (accepted at, a handle to close it).
    pending: Mutex<HashMap<u64, (Instant, Stream)>>,
}

struct State {
    /// Wrong passwords since the last right one.
    failures: u32,
    locked_until: Option<Instant>,
    log_since: Instant,
    logged: u32,
    suppressed: u64,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            st: Mutex::new(State {
                failures: 0,
                locked_until: None,
                log_since: Instant::now(),
                logged: 0,
                suppressed: 0,
            }),
            pending: Mutex::new(HashMap::new()),
        }
    }
}

impl Gate {
    /// Takes a handshake slot for connection `id`; when all are taken, closes the oldest
    /// (returned, for the log): a flood of half-open connections only ever pushes out its own.
    pub(super) fn enter(&self, id: u64, stream: Stream) -> Option<u64> {
        let mut p = lock(&self.pending);
        let mut evicted = None;
        if p.len() >= HANDSHAKE_SLOTS {
            if let Some(&old) = p.iter().min_by_key(|(_, (t, _))| *t).map(|(k, _)| k) {
                if let Some((_, s)) = p.remove(&old) {
                    s.shutdown();
                }
                evicted = Some(old);
            }
        }
        p.insert(id, (Instant::now(), stream));
        evicted
    }

    /// Frees connection `id`'s handshake slot (handshake over, either way).
    pub(super) fn leave(&self, id: u64) {
        lock(&self.pending).remove(&id);
    }

    pub(super) fn pending(&self) -> usize {
        lock(&self.pending).len()
    }

    /// Closes every connection still in its handshake (the server stops).
    pub(super) fn close_all(&self) {
        for (_, s) in lock(&self.pending).values() {
            s.shutdown();
        }
    }

    /// Whether a password may be checked now; while locked out, how long is left.
    pub(super) fn may_try(&self) -> Result<(), Duration> {
        let st = lock(&self.st);
        match st.locked_until {
            Some(t) if t > Instant::now() => Err(t - Instant::now()),
            _ => Ok(()),
        }
    }

    /// A wrong password: counts it, locks out after [`LOCKOUT_AFTER`] in a row, and returns
    /// how long to wait before answering (doubling past the first few).
    pub(super) fn failed(&self) -> Duration {
        let mut st = lock(&self.st);
        st.failures = st.failures.saturating_add(1);
        if st.failures >= LOCKOUT_AFTER {
            st.locked_until = Some(Instant::now() + LOCKOUT);
        }
        let extra = st.failures.saturating_sub(FREE_FAILURES).min(8);
        (BASE_DELAY * 2u32.pow(extra)).min(MAX_DELAY)
    }

    /// The right password: the count starts again.
    pub(super) fn succeeded(&self) {
        let mut st = lock(&self.st);
        st.failures = 0;
        st.locked_until = None;
    }

    /// Logs a line about an unauthenticated connection, at most [`LOG_LINES`] per
    /// [`LOG_WINDOW`]; the lines left out are counted in the first line of the next window.
    pub(super) fn log(&self, line: impl FnOnce() -> String) {
        let mut st = lock(&self.st);
        if st.log_since.elapsed() >= LOG_WINDOW {
            if st.suppressed > 0 {
                crate::log_line!(
                    "vnc: {} more messages about refused or unauthenticated connections in the last {} s",
                    st.suppressed,
                    st.log_since.elapsed().as_secs()
                );
            }
            st.log_since = Instant::now();
            st.logged = 0;
            st.suppressed = 0;
        }
        if st.logged < LOG_LINES {
            st.logged += 1;
            crate::log_line!("{}", line());
        } else {
            st.suppressed += 1;
        }
    }

    #[cfg(test)]
    fn logged_and_suppressed(&self) -> (u32, u64) {
        let st = lock(&self.st);
        (st.logged, st.suppressed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passwords_back_off_then_lock_out_until_a_right_one() {
        let g = Gate::default();
        let delays: Vec<_> = (0..LOCKOUT_AFTER - 1).map(|_| g.failed()).collect();
        assert_eq!(delays[0], BASE_DELAY);
        assert_eq!(delays[2], BASE_DELAY);
        assert_eq!(delays[3], BASE_DELAY * 2);
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        assert!(delays.iter().all(|d| *d <= MAX_DELAY));
        assert!(g.may_try().is_ok(), "not locked before {LOCKOUT_AFTER}");
        g.failed();
        let left = g.may_try().expect_err("locked out");
        assert!(left > LOCKOUT - Duration::from_secs(1) && left <= LOCKOUT);
        g.succeeded();
        assert!(g.may_try().is_ok());
        assert_eq!(g.failed(), BASE_DELAY, "the count started again");
    }

    #[test]
    fn the_log_keeps_a_bounded_number_of_lines_per_window() {
        let g = Gate::default();
        for i in 0..1000 {
            g.log(|| format!("vnc: test line {i}"));
        }
        assert_eq!(
            g.logged_and_suppressed(),
            (LOG_LINES, 1000 - u64::from(LOG_LINES))
        );
    }
}
