//! Work counted as it finishes, for a progress display in another thread (the Python package's
//! `progress=` callbacks), and a request to stop early.
//!
//! The engine never prints: it only counts. Counting does not change any number (the work and
//! its order are the same with or without a counter); a stop request makes the work skip what
//! has not started yet, so a stopped result is incomplete and must be thrown away by whoever
//! asked for the stop.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A counter of units of work done (draws, bootstrap replicates) and a stop flag.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicUsize,
    stop: AtomicBool,
}

impl Progress {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count `n` more units done.
    pub fn add(&self, n: usize) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// Units done so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Ask the work to stop: what has not started is skipped, and the result is incomplete.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether a stop was asked for.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// `Err` of work stopped on request (whoever asked for the stop throws it away), else `Ok`.
    pub fn check(&self) -> crate::Result<()> {
        if self.stopped() {
            Err(crate::Error::Invalid(vec![crate::Diagnostic::general(
                "stopped on request",
            )]))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_stops() {
        let p = Progress::new();
        assert_eq!(p.done(), 0);
        p.add(3);
        p.add(2);
        assert_eq!(p.done(), 5);
        assert!(!p.stopped() && p.check().is_ok());
        p.stop();
        assert!(p.stopped() && p.check().is_err());
    }
}
