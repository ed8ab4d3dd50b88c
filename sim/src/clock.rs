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
    /// A clock that starts at the real time now.
    pub fn new(speed: f64) -> Self {
        Clock::starting_at(speed, None)
    }
    /// A clock that starts at `start` (a scenario's pinned `now`), or at the real time when
    /// nothing is pinned. Pinned, every date the cluster shows is the same on any day.
    pub fn starting_at(speed: f64, start: Option<jiff::Timestamp>) -> Self {
        Clock {
            start_real: Instant::now(),
            start_sim: start.unwrap_or_else(jiff::Timestamp::now),
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

    #[test]
    fn a_pinned_clock_starts_at_its_pin() {
        let pin: jiff::Timestamp = "2023-12-01T00:00:00Z".parse().unwrap();
        let c = Clock::starting_at(1.0, Some(pin));
        let now = c.now();
        assert!(
            now >= pin && now < pin + jiff::SignedDuration::from_secs(60),
            "{now}"
        );
    }
}
