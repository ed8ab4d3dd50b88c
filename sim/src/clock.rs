//! The sim clock: simulated time runs `speed` times faster than real time, so a
//! 60 s node launch takes 60/speed real seconds. Tests can also move it forward by hand
//! (`advance`); clones share that offset, so the store and the world see the same time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Clock {
    start_real: Instant,
    start_sim: jiff::Timestamp,
    speed: f64,
    /// Nanoseconds added by `advance`, shared by every clone.
    offset_ns: Arc<AtomicI64>,
    id: u64,
}

impl Clock {
    pub fn new(speed: f64) -> Self {
        Clock {
            start_real: Instant::now(),
            start_sim: jiff::Timestamp::now(),
            speed: if speed > 0.0 && speed.is_finite() {
                speed
            } else {
                1.0
            },
            offset_ns: Arc::new(AtomicI64::new(0)),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }
    /// Identifies one simulated cluster's clock (its clones share it): the world keys its
    /// private memory by it, since the SimState moves after settle().
    pub fn id(&self) -> u64 {
        self.id
    }
    pub fn speed(&self) -> f64 {
        self.speed
    }
    /// Current simulated wall-clock time.
    pub fn now(&self) -> jiff::Timestamp {
        let elapsed = self.start_real.elapsed().as_secs_f64() * self.speed;
        let offset = jiff::SignedDuration::from_nanos(self.offset_ns.load(Ordering::Relaxed));
        self.start_sim
            .checked_add(jiff::SignedDuration::from_secs_f64(elapsed).saturating_add(offset))
            .unwrap_or(self.start_sim)
    }
    /// Move simulated time forward by `sim` (tests drive timers this way instead of sleeping).
    pub fn advance(&self, sim: Duration) {
        let ns = i64::try_from(sim.as_nanos()).unwrap_or(i64::MAX);
        self.offset_ns.fetch_add(ns, Ordering::Relaxed);
    }
    /// Real time to wait for `sim` simulated time to pass.
    pub fn real(&self, sim: Duration) -> Duration {
        sim.div_f64(self.speed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_is_shared_by_clones() {
        let c = Clock::new(1.0);
        let d = c.clone();
        let before = d.now();
        c.advance(Duration::from_secs(3600));
        assert!(d.now() >= before + jiff::SignedDuration::from_secs(3600));
    }
}
