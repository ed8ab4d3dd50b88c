//! NodePool disruption budgets at a given UTC instant, as Karpenter computes them: every
//! budget that applies to the reason and is active caps the count (percentages of the pool's
//! nodes rounded up), the smallest cap wins, nodes already disrupting use it up. The API server
//! writes the default `nodes: 10%` when `budgets` is absent; an explicit `budgets: []` limits
//! nothing (Karpenter's `GetAllowedDisruptionsByReason` starts at MaxInt32 and loops over no
//! budget). A budget Karpenter cannot parse fails closed (0).

use super::cron::Cron;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

/// One `spec.disruption.budgets[]` entry, as written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub nodes: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// None: every reason (v1beta1 has no reasons at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<String>>,
}

pub const REASONS: [&str; 3] = ["Underutilized", "Empty", "Drifted"];
pub const DRIFTED: &str = "Drifted";

impl Budget {
    /// The CRD's default, which the API server writes when a NodePool has no `budgets`.
    pub fn default_budget() -> Budget {
        Budget {
            nodes: "10%".into(),
            ..Budget::default()
        }
    }

    pub fn applies_to(&self, reason: &str) -> bool {
        self.reasons
            .as_ref()
            .is_none_or(|rs| rs.iter().any(|r| r == reason))
    }

    /// What is wrong with the budget, as Karpenter's schema and parser would say.
    pub fn validate(&self) -> Result<(), String> {
        nodes_value(&self.nodes)?;
        match (&self.schedule, &self.duration) {
            (Some(s), Some(d)) => {
                Cron::parse(s).map_err(|e| e.to_string())?;
                duration_minutes(d)?;
            }
            (None, None) => {}
            _ => return Err("'schedule' must be set with 'duration'".into()),
        }
        if let Some(r) = self
            .reasons
            .iter()
            .flatten()
            .find(|r| !REASONS.contains(&r.as_str()))
        {
            return Err(format!(
                "unknown reason {r:?} (one of {})",
                REASONS.join(", ")
            ));
        }
        Ok(())
    }

    /// The cap while active, for a pool of `nodes` nodes (percentages round up).
    pub fn cap(&self, nodes: usize) -> Result<usize, String> {
        Ok(match nodes_value(&self.nodes)? {
            Nodes::Count(n) => n,
            Nodes::Percent(p) => (nodes * p).div_ceil(100),
        })
    }

    /// A budget that caps at 0 at every moment: no schedule, `0` or `0%`.
    pub fn always_zero(&self) -> bool {
        self.schedule.is_none()
            && self.duration.is_none()
            && matches!(
                nodes_value(&self.nodes),
                Ok(Nodes::Count(0) | Nodes::Percent(0))
            )
    }

    /// Whether the budget is active at `now`, and until when (for a scheduled one) or when it
    /// next starts.
    fn state(&self, now: Timestamp) -> Result<Window, String> {
        let (Some(s), Some(d)) = (&self.schedule, &self.duration) else {
            return Ok(Window::Always);
        };
        let cron = Cron::parse(s).map_err(|e| e.to_string())?;
        // A window longer than every schedule's period is always open once it has fired: past
        // that, a longer one changes nothing, and a duration from the cluster (no upper bound
        // in the CRD) must not make the search below run for ever.
        let minutes = duration_minutes(d)?.min(LONGEST_WINDOW_MINUTES);
        let Some(hit) = cron.last_within(now, minutes) else {
            return Ok(Window::Inactive(cron.next_after(now, 366 * 5)));
        };
        // Karpenter looks back `duration` from each instant, so a hit before the window ends
        // (or just as it ends) carries it on: the window closes `duration` after the last hit
        // of such a chain. A chain that does not end within the search is always open.
        let (mut last, mut end) = (hit, hit.checked_add(minutes.minutes()).unwrap_or(now));
        for _ in 0..MAX_CHAINED_HITS {
            match cron.next_after(last, 366 * 5) {
                Some(next) if next <= end => {
                    last = next;
                    end = next.checked_add(minutes.minutes()).unwrap_or(end);
                }
                _ => return Ok(Window::ActiveUntil(end)),
            }
        }
        Ok(Window::Always)
    }
}

/// Hits that may chain one window onto the next before kup calls it always open (a hit every
/// minute for a week).
const MAX_CHAINED_HITS: usize = 7 * 24 * 60;

enum Window {
    Always,
    ActiveUntil(Timestamp),
    Inactive(Option<Timestamp>),
}

enum Nodes {
    Count(usize),
    Percent(usize),
}

/// `nodes`: an integer count or 0–100 %.
fn nodes_value(s: &str) -> Result<Nodes, String> {
    let bad = || format!("invalid nodes {s:?}: expected a count (3) or a percentage (10%)");
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    match s.strip_suffix('%') {
        Some(p) if digits(p) && p.len() <= 3 => match p.parse::<usize>() {
            Ok(v) if v <= 100 => Ok(Nodes::Percent(v)),
            _ => Err(bad()),
        },
        None if digits(s) => s.parse().map(Nodes::Count).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// A budget's `duration` in minutes: `10m`, `1h30m`, `160h`, optionally ending in `0s`
/// (metav1.Duration as the CRD admits it: no seconds, no days).
/// Four years and two days: every cron that ever fires (even on 29 February) fires within it.
const LONGEST_WINDOW_MINUTES: i64 = (4 * 365 + 2) * 24 * 60;

pub fn duration_minutes(s: &str) -> Result<i64, String> {
    let bad =
        || format!("invalid duration {s:?}: expected hours and minutes such as 8h, 30m, 1h30m");
    let body = s.strip_suffix("0s").unwrap_or(s);
    if body.is_empty() {
        return Err(bad());
    }
    let (mut total, mut num, mut seen) = (0i64, String::new(), String::new());
    for c in body.chars() {
        match c {
            '0'..='9' => num.push(c),
            'h' | 'm' if !num.is_empty() && !seen.contains(c) && !seen.contains('m') => {
                let n: i64 = num.parse().map_err(|_| bad())?;
                total = total
                    .checked_add(if c == 'h' {
                        n.checked_mul(60).ok_or_else(bad)?
                    } else {
                        n
                    })
                    .ok_or_else(bad)?;
                num.clear();
                seen.push(c);
            }
            _ => return Err(bad()),
        }
    }
    if !num.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// How many nodes of a pool Karpenter may disrupt for `reason` at `now`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Allowance {
    /// After subtracting the nodes already disrupting; None: no active budget caps it.
    pub allowed: Option<usize>,
    /// The smallest active cap before that subtraction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<usize>,
    /// When the answer next changes (an active window ends or a scheduled one starts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_change: Option<Timestamp>,
    /// An unscheduled `0` budget never lets this reason through (bad budgets are in `errors`).
    pub never: bool,
    /// Budgets Karpenter cannot read (each fails closed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

pub fn allowance(
    budgets: &[Budget],
    reason: &str,
    nodes: usize,
    disrupting: usize,
    now: Timestamp,
) -> Allowance {
    let mut cap: Option<usize> = None;
    let mut next_change: Option<Timestamp> = None;
    let mut errors = Vec::new();
    let mut never = false;
    let mut soonest = |t: Timestamp| {
        next_change = Some(next_change.map_or(t, |n| n.min(t)));
    };
    for (i, b) in budgets.iter().enumerate() {
        // A budget Karpenter cannot read stops it whatever the reason.
        let state = b.validate().and_then(|_| b.state(now));
        if state.is_ok() && !b.applies_to(reason) {
            continue;
        }
        let limit = match state {
            Err(e) => {
                errors.push(format!("budget {}: {e}", i + 1));
                Some(0)
            }
            Ok(Window::Always) => {
                never |= b.always_zero();
                b.cap(nodes).ok()
            }
            Ok(Window::ActiveUntil(end)) => {
                soonest(end);
                b.cap(nodes).ok()
            }
            Ok(Window::Inactive(start)) => {
                if let Some(s) = start {
                    soonest(s);
                }
                None
            }
        };
        if let Some(l) = limit {
            cap = Some(cap.map_or(l, |c| c.min(l)));
        }
    }
    Allowance {
        allowed: cap.map(|c| c.saturating_sub(disrupting)),
        cap,
        next_change,
        never,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn b(nodes: &str, sched: Option<(&str, &str)>, reasons: Option<&[&str]>) -> Budget {
        Budget {
            nodes: nodes.into(),
            schedule: sched.map(|s| s.0.into()),
            duration: sched.map(|s| s.1.into()),
            reasons: reasons.map(|r| r.iter().map(|s| s.to_string()).collect()),
        }
    }

    const NOW: &str = "2026-12-02T06:10:00Z";

    #[test]
    fn default_is_ten_percent_rounded_up() {
        let d = [Budget::default_budget()];
        let a = allowance(&d, DRIFTED, 19, 0, at(NOW));
        assert_eq!(a.allowed, Some(2));
        assert_eq!(allowance(&d, DRIFTED, 1, 0, at(NOW)).allowed, Some(1));
        assert_eq!(allowance(&d, DRIFTED, 0, 0, at(NOW)).allowed, Some(0));
        // An explicit empty list limits nothing.
        assert_eq!(allowance(&[], DRIFTED, 19, 5, at(NOW)).allowed, None);
        // The docs' example: 20% of 19 is 4.
        let a = allowance(&[b("20%", None, None)], DRIFTED, 19, 0, at(NOW));
        assert_eq!(a.allowed, Some(4));
    }

    #[test]
    fn most_restrictive_active_budget_wins_and_disrupting_nodes_use_it() {
        let bs = [b("50%", None, None), b("3", None, None)];
        assert_eq!(allowance(&bs, DRIFTED, 10, 0, at(NOW)).allowed, Some(3));
        assert_eq!(allowance(&bs, DRIFTED, 10, 2, at(NOW)).allowed, Some(1));
        assert_eq!(allowance(&bs, DRIFTED, 10, 5, at(NOW)).allowed, Some(0));
    }

    #[test]
    fn reasons_filter_budgets() {
        let bs = [
            b("0", None, Some(&["Underutilized", "Empty"])),
            b("5", None, None),
        ];
        assert_eq!(allowance(&bs, DRIFTED, 10, 0, at(NOW)).allowed, Some(5));
        assert_eq!(allowance(&bs, "Empty", 10, 0, at(NOW)).allowed, Some(0));
        // Only budgets for other reasons: drift is not capped at all.
        let only = [b("0", None, Some(&["Empty"]))];
        assert_eq!(allowance(&only, DRIFTED, 10, 0, at(NOW)).allowed, None);
    }

    #[test]
    fn scheduled_windows() {
        // Blocked on weekdays 09:00-17:00 UTC; 2026-12-02 is a Wednesday.
        let bs = [
            b("0", Some(("0 9 * * mon-fri", "8h")), None),
            b("2", None, None),
        ];
        let morning = allowance(&bs, DRIFTED, 10, 0, at(NOW));
        assert_eq!(morning.allowed, Some(2));
        assert_eq!(morning.next_change, Some(at("2026-12-02T09:00:00Z")));
        let noon = allowance(&bs, DRIFTED, 10, 0, at("2026-12-02T12:00:00Z"));
        assert_eq!(noon.allowed, Some(0));
        assert_eq!(noon.next_change, Some(at("2026-12-02T17:00:00Z")));
        assert!(!noon.never);
        // The window's end is exclusive: at 17:00 the hit at 09:00 is 8h old.
        let five = allowance(&bs, DRIFTED, 10, 0, at("2026-12-02T17:00:00Z"));
        assert_eq!(five.allowed, Some(2));
    }

    #[test]
    fn a_hit_inside_the_window_extends_it() {
        // Hits at 09:00 and 10:00, 2h each: active from 09:00 to 12:00.
        let bs = [b("0", Some(("0 9,10 * * *", "2h")), None)];
        let a = allowance(&bs, DRIFTED, 10, 0, at("2026-12-02T09:30:00Z"));
        assert_eq!(a.allowed, Some(0));
        assert_eq!(a.next_change, Some(at("2026-12-02T12:00:00Z")));
        // A hit exactly as the window ends carries it on: every 30 minutes for 30 minutes.
        let bs = [b("0", Some(("*/30 * * * *", "30m")), None)];
        let a = allowance(&bs, DRIFTED, 10, 0, at(NOW));
        assert_eq!((a.allowed, a.next_change), (Some(0), None));
        assert!(!a.never);
    }

    #[test]
    fn an_unscheduled_zero_never_allows() {
        for nodes in ["0", "0%"] {
            let a = allowance(&[b(nodes, None, Some(&[DRIFTED]))], DRIFTED, 10, 0, at(NOW));
            assert!(a.never && a.allowed == Some(0), "{nodes}");
        }
        let a = allowance(&[b("0", None, Some(&["Empty"]))], DRIFTED, 10, 0, at(NOW));
        assert!(!a.never);
    }

    #[test]
    fn bad_budgets_fail_closed_with_a_reason() {
        for (bad, why) in [
            (b("0", Some(("61 * * * *", "1h")), None), "minute field"),
            (b("0", Some(("@daily", "1d")), None), "invalid duration"),
            (b("0", Some(("@daily", "")), None), "invalid duration"),
            (b("ten", None, None), "invalid nodes"),
            (b("101%", None, None), "invalid nodes"),
            (
                b("1", Some(("@daily", "1h")), Some(&["Expired"])),
                "unknown reason",
            ),
            (
                Budget {
                    schedule: Some("@daily".into()),
                    ..b("1", None, None)
                },
                "must be set with",
            ),
        ] {
            let a = allowance(&[bad.clone(), b("5", None, None)], DRIFTED, 10, 0, at(NOW));
            assert_eq!(a.allowed, Some(0), "{bad:?}");
            assert!(
                a.errors.iter().any(|e| e.contains(why)),
                "{bad:?}: {:?}",
                a.errors
            );
        }
    }

    #[test]
    fn absurd_durations_and_steps_from_the_cluster_neither_hang_nor_panic() {
        let now: Timestamp = "2026-06-15T12:00:00Z".parse().unwrap();
        let b = Budget {
            nodes: "1".into(),
            schedule: Some("0 9 * * *".into()),
            duration: Some("9999999999h".into()),
            reasons: None,
        };
        // Every day's hit falls inside the previous one's window: open for good.
        assert!(matches!(b.state(now), Ok(Window::Always)));
        assert!(Cron::parse("*/4294967295 * * * *").is_ok());
    }

    #[test]
    fn durations() {
        for (s, m) in [
            ("10m", 10),
            ("1h30m", 90),
            ("160h", 9600),
            ("10h5m0s", 605),
            ("8h0s", 480),
        ] {
            assert_eq!(duration_minutes(s), Ok(m), "{s}");
        }
        for bad in ["", "1d", "30s", "1m1h", "h", "1h1h", "5", "-1h", "1.5h"] {
            assert!(duration_minutes(bad).is_err(), "{bad:?}");
        }
    }
}
