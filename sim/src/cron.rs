//! Karpenter's disruption budgets: the UTC cron schedules (`robfig/cron` standard syntax, as
//! Karpenter parses them), the `duration` strings, and the allowed-disruption arithmetic.
//!
//! Cron: 5 fields (minute hour day-of-month month day-of-week) with `*`, `?`, lists, ranges,
//! `/step`, month and weekday names (`jan`, `mon-fri`), and the macros `@yearly`/`@annually`,
//! `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`. When both day fields are restricted
//! a day matches either (cron's rule); an item `*` or `?` without a step above 1 leaves its
//! field unrestricted (`*/2` restricts). Day-of-week is 0-6; descriptors are case-sensitive;
//! empty list items are skipped (robfig/cron v3 `getField`, `getRange`, `dayMatches`).

use jiff::civil::{Date, DateTime};
use jiff::{SignedDuration, Timestamp, tz::TimeZone};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    dom: u64,
    months: u64,
    dow: u64,
    dom_star: bool,
    dow_star: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn value(s: &str, names: &[&str], name_base: u32) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == lower) {
        return Ok(name_base + i as u32);
    }
    s.parse::<u32>()
        .map_err(|_| format!("failed to parse int from {s}"))
}

/// One field into a bit set; also whether robfig marks it a star (`*`/`?` with step 1).
fn field(
    expr: &str,
    min: u32,
    max: u32,
    names: &[&str],
    name_base: u32,
) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let mut star = false;
    for part in expr.split(',').filter(|p| !p.is_empty()) {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("failed to parse int from {s}"))?;
                if step == 0 {
                    return Err(format!("step of range should be a positive number: {part}"));
                }
                (r, Some(step))
            }
            None => (part, None),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            star |= step.is_none_or(|s| s <= 1);
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, names, name_base)?, value(b, names, name_base)?)
        } else {
            let v = value(range, names, name_base)?;
            // `N/step` runs from N to the end of the range.
            (v, if step.is_some() { max } else { v })
        };
        if lo < min || hi > max || lo > hi {
            return Err(format!(
                "value out of range ({min}-{max}) or beginning of range after end: {part}"
            ));
        }
        let step = step.unwrap_or(1);
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            // A step past the field's end ends the run, never overflows.
            let Some(next) = v.checked_add(step) else {
                break;
            };
            v = next;
        }
    }
    Ok((bits, star))
}

/// Parse a schedule (Karpenter's `spec.disruption.budgets[].schedule`).
pub fn parse(spec: &str) -> Result<Schedule, String> {
    let spec = spec.trim();
    let expanded = match spec {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        s if s.starts_with('@') => return Err(format!("unrecognized descriptor: {s}")),
        s => s,
    };
    let fields: Vec<&str> = expanded.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: {spec}",
            fields.len()
        ));
    }
    let (minutes, _) = field(fields[0], 0, 59, &[], 0)?;
    let (hours, _) = field(fields[1], 0, 23, &[], 0)?;
    let (dom, dom_star) = field(fields[2], 1, 31, &[], 0)?;
    let (months, _) = field(fields[3], 1, 12, &MONTHS, 1)?;
    let (dow, dow_star) = field(fields[4], 0, 6, &DAYS, 0)?;
    Ok(Schedule {
        minutes,
        hours,
        dom,
        months,
        dow,
        dom_star,
        dow_star,
    })
}

impl Schedule {
    fn day_matches(&self, d: Date) -> bool {
        let dom = self.dom & (1 << d.day()) != 0;
        let dow = self.dow & (1 << d.weekday().to_sunday_zero_offset()) != 0;
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The first activation strictly after `t` (UTC), within five years.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let start = t.to_zoned(TimeZone::UTC).datetime();
        // Next whole minute after t.
        let start = DateTime::new(
            start.year(),
            start.month(),
            start.day(),
            start.hour(),
            start.minute(),
            0,
            0,
        )
        .ok()?
        .checked_add(SignedDuration::from_mins(1))
        .ok()?;
        let mut day = start.date();
        for _ in 0..(5 * 366) {
            if self.months & (1 << day.month()) != 0 && self.day_matches(day) {
                let first_day = day == start.date();
                for h in 0..24i8 {
                    if self.hours & (1 << h) == 0 || (first_day && h < start.hour()) {
                        continue;
                    }
                    for m in 0..60i8 {
                        if self.minutes & (1 << m) == 0
                            || (first_day && h == start.hour() && m < start.minute())
                        {
                            continue;
                        }
                        let dt = day.at(h, m, 0, 0);
                        return dt.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp());
                    }
                }
            }
            day = day.tomorrow().ok()?;
        }
        None
    }
}

/// A budget `duration` (`^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$`: `10m`, `8h`, `1h30m`,
/// `10h5m0s`).
pub fn parse_duration(s: &str) -> Result<SignedDuration, String> {
    let bad = || format!("invalid duration {s:?}: use hours and minutes, e.g. 8h, 30m, 1h30m");
    let body = match s.strip_suffix("0s") {
        Some(b) if b.ends_with(['h', 'm']) => b,
        _ => s,
    };
    let (h, rest) = match body.split_once('h') {
        Some((h, rest)) => (Some(h), rest),
        None => (None, body),
    };
    let m = if rest.is_empty() {
        None
    } else {
        Some(rest.strip_suffix('m').ok_or_else(bad)?)
    };
    if h.is_none() && m.is_none() {
        return Err(bad());
    }
    let num = |x: &str| -> Result<i64, String> {
        if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        x.parse::<i64>().map_err(|_| bad())
    };
    let hours = h.map(num).transpose()?.unwrap_or(0);
    let mins = m.map(num).transpose()?.unwrap_or(0);
    Ok(SignedDuration::from_hours(hours) + SignedDuration::from_mins(mins))
}

/// A Go duration (`terminationGracePeriod: 48h`, `1h30m`, `90s`).
pub fn parse_go_duration(s: &str) -> Option<SignedDuration> {
    let mut total = SignedDuration::ZERO;
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: i64 = num.parse().ok()?;
        num.clear();
        total += match c {
            'h' => SignedDuration::from_hours(n),
            'm' => SignedDuration::from_mins(n),
            's' => SignedDuration::from_secs(n),
            _ => return None,
        };
        any = true;
    }
    (any && num.is_empty()).then_some(total)
}

/// One budget of `spec.disruption.budgets`.
#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    pub nodes: String,
    pub schedule: Option<(Schedule, SignedDuration)>,
    /// None: every reason.
    pub reasons: Option<Vec<String>>,
}

impl Budget {
    /// From the object; an invalid one is an error (Karpenter then allows 0: fail closed).
    pub fn from_value(v: &serde_json::Value) -> Result<Budget, String> {
        let nodes = match v.get("nodes") {
            None => "10%".to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            // A scenario may write `nodes: 0` unquoted.
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(other) => return Err(format!("budget nodes {other} is not a string")),
        };
        let valid_nodes = match nodes.strip_suffix('%') {
            Some(p) => p.parse::<u32>().is_ok_and(|p| p <= 100),
            None => nodes.parse::<u64>().is_ok(),
        };
        if !valid_nodes {
            return Err(format!(
                "budget nodes {nodes:?} is not a count or a percentage"
            ));
        }
        let sched = v.get("schedule").and_then(|s| s.as_str());
        let dur = v.get("duration").and_then(|s| s.as_str());
        let schedule = match (sched, dur) {
            (Some(s), Some(d)) => Some((parse(s)?, parse_duration(d)?)),
            (None, None) => None,
            _ => return Err("'schedule' must be set with 'duration'".into()),
        };
        let reasons = v.get("reasons").and_then(|r| r.as_array()).map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        });
        Ok(Budget {
            nodes,
            schedule,
            reasons,
        })
    }

    /// A schedule hit happened within the last `duration` (or there is no schedule).
    pub fn is_active(&self, now: Timestamp) -> bool {
        match &self.schedule {
            None => true,
            Some((s, d)) => now
                .checked_sub(*d)
                .ok()
                .and_then(|from| s.next_after(from))
                .is_some_and(|hit| hit <= now),
        }
    }

    /// When `is_active` may change next (for the world's timer).
    pub fn next_change(&self, now: Timestamp) -> Option<Timestamp> {
        let (s, d) = self.schedule.as_ref()?;
        if !self.is_active(now) {
            return s.next_after(now);
        }
        // The window of the last hit ends `duration` after it.
        let mut hit = s.next_after(now.checked_sub(*d).ok()?)?;
        while let Some(n) = s.next_after(hit).filter(|n| *n <= now) {
            hit = n;
        }
        hit.checked_add(*d).ok()
    }

    /// Nodes this budget lets be disrupted at once out of `total` (percentages round up).
    pub fn allowed(&self, total: u64) -> u64 {
        match self.nodes.strip_suffix('%') {
            Some(p) => {
                let p: u64 = p.parse().unwrap_or(0);
                (total * p).div_ceil(100)
            }
            None => self.nodes.parse().unwrap_or(0),
        }
    }
}

/// How many of `total` nodes may be disrupted for `reason` now: the minimum over the active
/// budgets that apply to the reason (`u64::MAX` when none does). Budgets absent: `10%`.
/// An invalid budget gives 0 (Karpenter fails closed) and the error.
pub fn allowed_disruptions(
    budgets: Option<&serde_json::Value>,
    now: Timestamp,
    total: u64,
    reason: &str,
) -> (u64, Option<String>) {
    let default = serde_json::json!([{"nodes": "10%"}]);
    let list = budgets.and_then(|b| b.as_array()).map_or_else(
        || default.as_array().cloned().unwrap_or_default(),
        Clone::clone,
    );
    let mut allowed = u64::MAX;
    for b in &list {
        match Budget::from_value(b) {
            Ok(b) => {
                if b.reasons
                    .as_ref()
                    .is_some_and(|r| !r.iter().any(|x| x == reason))
                {
                    continue;
                }
                if b.is_active(now) {
                    allowed = allowed.min(b.allowed(total));
                }
            }
            Err(e) => return (0, Some(e)),
        }
    }
    (allowed, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn fields_lists_ranges_steps_names() {
        let s = parse("*/15 9-17 * * mon-fri").unwrap_or_else(|e| panic!("{e}"));
        // 2026-06-15 is a Monday.
        assert_eq!(
            s.next_after(at("2026-06-15T08:59:00Z")),
            Some(at("2026-06-15T09:00:00Z"))
        );
        assert_eq!(
            s.next_after(at("2026-06-15T09:00:00Z")),
            Some(at("2026-06-15T09:15:00Z"))
        );
        assert_eq!(
            s.next_after(at("2026-06-19T17:45:00Z")),
            Some(at("2026-06-22T09:00:00Z")),
            "Friday evening -> Monday"
        );
        let l = parse("0,30 3 1,15 jan,jul *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            l.next_after(at("2026-06-15T09:00:00Z")),
            Some(at("2026-07-01T03:00:00Z"))
        );
        // Both day fields restricted: either matches.
        let either = parse("0 0 13 * fri").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            either.next_after(at("2026-06-15T00:00:00Z")),
            Some(at("2026-06-19T00:00:00Z"))
        );
        let step_from = parse("5/20 * * * *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            step_from.next_after(at("2026-06-15T09:26:00Z")),
            Some(at("2026-06-15T09:45:00Z"))
        );
    }

    /// The same table as kup's `robfig_star_and_list_rules`: a stepped star restricts its day
    /// field; `*/1` and a star in a list do not; empty list items are skipped.
    #[test]
    fn robfig_star_and_list_rules() {
        // From Tuesday 2026-12-01 00:00: the next firing.
        for (spec, want) in [
            ("0 0 */2 * mon", "2026-12-03T00:00:00Z"), // the 3rd (1, 3, 5, ...) or a Monday
            ("0 0 */1 * mon", "2026-12-07T00:00:00Z"), // Mondays only
            ("0 0 1,* * mon", "2026-12-07T00:00:00Z"),
            ("0 0 1,,15 * *", "2026-12-15T00:00:00Z"),
            ("0 0 */4294967295 * *", "2027-01-01T00:00:00Z"),
        ] {
            let s = parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(
                s.next_after(at("2026-12-01T00:00:00Z")),
                Some(at(want)),
                "{spec}"
            );
        }
        for bad in ["* * * * 7", "@Daily", "@HOURLY"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn macros_and_errors() {
        assert_eq!(parse("@daily"), parse("0 0 * * *"));
        assert_eq!(parse("@midnight"), parse("0 0 * * *"));
        assert_eq!(parse("@annually"), parse("0 0 1 1 *"));
        let h = parse("@hourly").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            h.next_after(at("2026-06-15T09:00:30Z")),
            Some(at("2026-06-15T10:00:00Z"))
        );
        let w = parse("@weekly").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            w.next_after(at("2026-06-15T09:00:00Z")),
            Some(at("2026-06-21T00:00:00Z"))
        );
        for bad in [
            "",
            "* * * *",
            "61 * * * *",
            "* * * * mon-xyz",
            "*/0 * * * *",
            "@sometimes",
            "5-1 * * * *",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(
            parse("0 0 30 feb *").is_ok_and(|s| s.next_after(at("2026-01-01T00:00:00Z")).is_none())
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("8h"), Ok(SignedDuration::from_hours(8)));
        assert_eq!(parse_duration("90m"), Ok(SignedDuration::from_mins(90)));
        assert_eq!(parse_duration("1h30m"), Ok(SignedDuration::from_mins(90)));
        assert_eq!(
            parse_duration("10h5m0s"),
            Ok(SignedDuration::from_mins(605))
        );
        for bad in ["", "8", "1d", "30s", "h", "1h30", "-1h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_go_duration("48h"),
            Some(SignedDuration::from_hours(48))
        );
        assert_eq!(
            parse_go_duration("1h30m10s"),
            Some(SignedDuration::from_secs(5410))
        );
        assert_eq!(parse_go_duration("forever"), None);
    }

    #[test]
    fn budgets_round_up_and_the_most_restrictive_active_one_wins() {
        let now = at("2026-06-15T09:00:00Z"); // Monday
        let b = json!([{"nodes": "20%"}, {"nodes": "0", "schedule": "0 9 * * mon-fri", "duration": "8h", "reasons": ["Drifted"]}]);
        assert_eq!(allowed_disruptions(Some(&b), now, 10, "Drifted"), (0, None));
        assert_eq!(allowed_disruptions(Some(&b), now, 10, "Empty"), (2, None));
        let evening = at("2026-06-15T17:00:00Z");
        assert_eq!(
            allowed_disruptions(Some(&b), evening, 10, "Drifted"),
            (2, None)
        );
        assert_eq!(
            allowed_disruptions(Some(&b), at("2026-06-15T16:59:00Z"), 10, "Drifted"),
            (0, None)
        );
        // 20% of 19 = 3.8 -> 4; 10% of 3 -> 1; default 10%.
        assert_eq!(
            allowed_disruptions(Some(&json!([{"nodes": "20%"}])), now, 19, "Drifted").0,
            4
        );
        assert_eq!(allowed_disruptions(None, now, 3, "Drifted").0, 1);
        assert_eq!(
            allowed_disruptions(
                Some(&json!([{"nodes": "5"}, {"nodes": "50%"}])),
                now,
                4,
                "Drifted"
            )
            .0,
            2
        );
        // Only budgets for other reasons: no limit.
        assert_eq!(
            allowed_disruptions(
                Some(&json!([{"nodes": "0", "reasons": ["Empty"]}])),
                now,
                4,
                "Drifted"
            )
            .0,
            u64::MAX
        );
        // Invalid: fail closed with the error.
        let (n, e) = allowed_disruptions(
            Some(&json!([{"nodes": "1", "schedule": "bogus", "duration": "1h"}])),
            now,
            4,
            "Drifted",
        );
        assert_eq!(n, 0);
        assert!(e.is_some());
        let (n, e) = allowed_disruptions(
            Some(&json!([{"nodes": "1", "schedule": "@daily"}])),
            now,
            4,
            "Drifted",
        );
        assert_eq!(
            (n, e.as_deref()),
            (0, Some("'schedule' must be set with 'duration'"))
        );
        // When the window changes next.
        let w = Budget::from_value(&b[1]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.next_change(now), Some(at("2026-06-15T17:00:00Z")));
        assert_eq!(w.next_change(evening), Some(at("2026-06-16T09:00:00Z")));
    }
}
