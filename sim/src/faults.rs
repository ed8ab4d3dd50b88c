//! Injected API faults, seeded and reproducible: 429 with Retry-After, 500, 503, added
//! latency, and watch streams cut after N events. Never applied to `/sim/*`.
//!
//! The configuration is `SimState::faults` (a `scenario::FaultConfig`), set from the scenario
//! and replaced at run time with `PUT /sim/faults`, whose body is that struct as JSON:
//! `{"rate_429":0.1,"retry_after_seconds":2,"rate_500":0.0,"rate_503":0.0,
//!   "latency":{"secs":0,"nanos":50000000},"watch_cut_after_events":10}`.
//! Missing fields are 0/none; `"latency_ms": 50` may be given instead of `latency`.

use crate::scenario::FaultConfig;
use crate::store::ApiError;

/// A tiny seeded generator (splitmix64): faults must be reproducible for a given seed.
#[derive(Clone, Debug)]
pub struct FaultRng {
    state: u64,
}

impl FaultRng {
    pub fn new(seed: u64) -> Self {
        FaultRng {
            state: seed ^ 0xFA17_5EED,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The fault `fail_next` forces (consuming one), else a seeded draw by the rates.
    pub fn next_fault(&mut self, cfg: &mut FaultConfig) -> Option<ApiError> {
        if cfg.fail_next > 0 {
            cfg.fail_next -= 1;
            return Some(match cfg.fail_next_code {
                429 => too_many_requests(cfg.retry_after_seconds),
                503 => unavailable(),
                _ => ApiError::internal("Internal error occurred: injected fault"),
            });
        }
        self.draw(cfg)
    }

    /// Draw once per request: the error to answer instead, if any. One draw decides among
    /// all kinds so the rates add up as configured.
    pub fn draw(&mut self, cfg: &FaultConfig) -> Option<ApiError> {
        let total = cfg.rate_429.max(0.0) + cfg.rate_500.max(0.0) + cfg.rate_503.max(0.0);
        if total <= 0.0 {
            return None;
        }
        let x = self.next_f64();
        if x < cfg.rate_429.max(0.0) {
            return Some(too_many_requests(cfg.retry_after_seconds));
        }
        let x = x - cfg.rate_429.max(0.0);
        if x < cfg.rate_500.max(0.0) {
            return Some(ApiError::internal(
                "Internal error occurred: injected fault",
            ));
        }
        let x = x - cfg.rate_500.max(0.0);
        if x < cfg.rate_503.max(0.0) {
            return Some(unavailable());
        }
        None
    }
}

/// As APF answers: 429 with Retry-After and `details.retryAfterSeconds`.
fn too_many_requests(retry_after_seconds: u64) -> ApiError {
    let mut e = ApiError::new(
        429,
        "TooManyRequests",
        "Too many requests, please try again later.",
    );
    e.details = Some(serde_json::json!({"retryAfterSeconds": retry_after_seconds}));
    e.retry_after = Some(retry_after_seconds);
    e
}

fn unavailable() -> ApiError {
    ApiError::new(
        503,
        "ServiceUnavailable",
        "the server is currently unable to handle the request",
    )
}

/// Parse a `PUT /sim/faults` body.
pub fn parse_config(body: &[u8]) -> Result<FaultConfig, String> {
    let mut v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let map = v.as_object_mut().ok_or("the body must be a JSON object")?;
    if let Some(ms) = map.remove("latency_ms") {
        let ms = ms
            .as_u64()
            .ok_or("latency_ms must be a non-negative integer")?;
        map.insert(
            "latency".into(),
            serde_json::json!({"secs": ms / 1000, "nanos": (ms % 1000) * 1_000_000}),
        );
    }
    for (key, zero) in [
        ("rate_429", serde_json::json!(0.0)),
        ("retry_after_seconds", serde_json::json!(0)),
        ("rate_500", serde_json::json!(0.0)),
        ("rate_503", serde_json::json!(0.0)),
        ("latency", serde_json::json!({"secs": 0, "nanos": 0})),
    ] {
        map.entry(key).or_insert(zero);
    }
    let cfg: FaultConfig =
        serde_json::from_value(v).map_err(|e| format!("invalid fault config: {e}"))?;
    for (name, r) in [
        ("rate_429", cfg.rate_429),
        ("rate_500", cfg.rate_500),
        ("rate_503", cfg.rate_503),
    ] {
        if !(0.0..=1.0).contains(&r) {
            return Err(format!("{name} must be between 0 and 1, got {r}"));
        }
    }
    if let Some(code) = cfg.protobuf_refuse
        && code != 406
        && code != 415
    {
        return Err(format!("protobuf_refuse must be 406 or 415, got {code}"));
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_roughly_kept_and_reproducible() {
        let cfg = FaultConfig {
            rate_429: 0.2,
            rate_503: 0.1,
            retry_after_seconds: 3,
            ..Default::default()
        };
        let run = |seed| {
            let mut rng = FaultRng::new(seed);
            (0..10_000)
                .map(|_| rng.draw(&cfg).map(|e| e.code))
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        let n429 = a.iter().filter(|c| **c == Some(429)).count();
        let n503 = a.iter().filter(|c| **c == Some(503)).count();
        assert!((1500..2500).contains(&n429), "{n429}");
        assert!((600..1400).contains(&n503), "{n503}");
        assert!(!a.contains(&Some(500)));
    }

    #[test]
    fn parse_accepts_partial_and_ms() {
        let c = parse_config(br#"{"rate_500":0.5,"latency_ms":1500}"#).unwrap();
        assert_eq!(c.rate_500, 0.5);
        assert_eq!(c.latency, std::time::Duration::from_millis(1500));
        assert!(parse_config(br#"{"rate_429":2}"#).is_err());
        assert!(parse_config(b"nope").is_err());
    }
}
