//! A small 5-field cron matcher, as Karpenter reads `budgets[].schedule` (robfig/cron's
//! standard parser, always UTC): `minute hour day-of-month month day-of-week`, with `*`, `?`,
//! ranges, lists, steps, month and weekday names, and the `@yearly`-style macros.

use jiff::civil::DateTime;
use jiff::{Timestamp, ToSpan, tz::TimeZone};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    doms: u64,
    months: u64,
    dows: u64,
    /// robfig: when either day field is `*`/`?`, both must match; otherwise either may.
    dom_star: bool,
    dow_star: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid schedule {input:?}: {reason}")]
pub struct CronError {
    pub input: String,
    pub reason: String,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Cron {
    pub fn parse(input: &str) -> Result<Cron, CronError> {
        let err = |reason: String| CronError {
            input: input.to_string(),
            reason,
        };
        let s = input.trim();
        // robfig matches descriptors case-sensitively: `@Daily` is unknown.
        let expanded = match s {
            "@yearly" | "@annually" => "0 0 1 1 *".to_string(),
            "@monthly" => "0 0 1 * *".to_string(),
            "@weekly" => "0 0 * * 0".to_string(),
            "@daily" | "@midnight" => "0 0 * * *".to_string(),
            "@hourly" => "0 * * * *".to_string(),
            m if m.starts_with('@') => return Err(err(format!("unknown macro {s:?}"))),
            _ => s.to_string(),
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(err(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
                fields.len()
            )));
        }
        let f = |i: usize, name: &str, lo: u32, hi: u32, names: &[&str]| {
            field(fields[i], lo, hi, names).map_err(|r| err(format!("{name} field: {r}")))
        };
        // Day-of-week is 0-6 in robfig's standard parser: 7 is refused, not Sunday.
        let (dows, dow_star) = f(4, "day-of-week", 0, 6, &DAYS)?;
        let (doms, dom_star) = f(2, "day-of-month", 1, 31, &[])?;
        Ok(Cron {
            minutes: f(0, "minute", 0, 59, &[])?.0,
            hours: f(1, "hour", 0, 23, &[])?.0,
            doms,
            months: f(3, "month", 1, 12, &MONTHS)?.0,
            dows,
            dom_star,
            dow_star,
        })
    }

    fn day_matches(&self, t: &DateTime) -> bool {
        let dom = self.doms & (1 << t.day()) != 0;
        let dow = self.dows & (1 << t.weekday().to_sunday_zero_offset()) != 0;
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// Whether the schedule fires in the minute starting at `t` (seconds ignored).
    pub fn matches(&self, t: Timestamp) -> bool {
        let t = t.to_zoned(TimeZone::UTC).datetime();
        self.months & (1 << t.month()) != 0
            && self.day_matches(&t)
            && self.hours & (1 << t.hour()) != 0
            && self.minutes & (1 << t.minute()) != 0
    }

    /// The first firing strictly after `after`, looking at most `horizon_days` ahead.
    pub fn next_after(&self, after: Timestamp, horizon_days: i64) -> Option<Timestamp> {
        let start = floor_minute(after).checked_add(1.minute()).ok()?;
        let end = start.checked_add((horizon_days * 24).hours()).ok()?;
        let mut t = start.to_zoned(TimeZone::UTC).datetime();
        let end = end.to_zoned(TimeZone::UTC).datetime();
        while t < end {
            // Skip whole days and hours that cannot match: a year is ~525,000 minutes.
            if self.months & (1 << t.month()) == 0 || !self.day_matches(&t) {
                t = t
                    .date()
                    .tomorrow()
                    .ok()?
                    .to_datetime(jiff::civil::time(0, 0, 0, 0));
                continue;
            }
            if self.hours & (1 << t.hour()) == 0 {
                t = t
                    .with()
                    .minute(0)
                    .build()
                    .ok()?
                    .checked_add(1.hour())
                    .ok()?;
                continue;
            }
            if self.minutes & (1 << t.minute()) != 0 {
                return t.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp());
            }
            t = t.checked_add(1.minute()).ok()?;
        }
        None
    }

    /// The last firing at or before `at`, looking at most `window` back (exclusive).
    pub fn last_within(&self, at: Timestamp, window_minutes: i64) -> Option<Timestamp> {
        let at = floor_minute(at);
        (0..window_minutes.max(0))
            .filter_map(|m| at.checked_sub(m.minutes()).ok())
            .find(|t| self.matches(*t))
    }
}

fn floor_minute(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second() - t.as_second().rem_euclid(60)).unwrap_or(t)
}

/// One field as a bit set of allowed values, and whether it is unrestricted for the day rule:
/// robfig marks an item `*` or `?` without a step above 1 (`*/2` restricts, `*/1` does not).
/// Empty list items are skipped, as robfig's `strings.FieldsFunc` split does.
fn field(s: &str, lo: u32, hi: u32, names: &[&str]) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let mut star = false;
    for part in s.split(',').filter(|p| !p.is_empty()) {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => {
                let step: u32 = st
                    .parse()
                    .map_err(|_| format!("bad step {st:?} in {part:?}"))?;
                if step == 0 {
                    return Err(format!("step 0 in {part:?}"));
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (from, to) = if range == "*" || range == "?" {
            star |= step <= 1;
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, lo, hi, names)?, value(b, lo, hi, names)?)
        } else {
            let v = value(range, lo, hi, names)?;
            // `N/step` runs from N to the end, as in robfig/cron.
            (v, if part.contains('/') { hi } else { v })
        };
        if from > to {
            return Err(format!("range {range:?} runs backwards"));
        }
        let mut v = from;
        while v <= to {
            bits |= 1 << v;
            // A step past the field's end (`*/4294967295`) ends the run, never overflows.
            let Some(next) = v.checked_add(step) else {
                break;
            };
            v = next;
        }
    }
    Ok((bits, star))
}

fn value(s: &str, lo: u32, hi: u32, names: &[&str]) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    let v = match names.iter().position(|n| *n == lower) {
        // Month names count from 1, weekday names from 0.
        Some(i) => i as u32 + u32::from(names.len() == 12),
        None => s
            .parse::<u32>()
            .map_err(|_| format!("{s:?} is not a number"))?,
    };
    if v < lo || v > hi {
        return Err(format!("{v} is outside {lo}-{hi}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn fields_ranges_lists_steps_and_names() {
        let c = Cron::parse("*/15 9-17 * * MON-FRI").unwrap_or_else(|e| panic!("{e}"));
        // 2026-12-02 is a Wednesday.
        assert!(c.matches(at("2026-12-02T09:30:00Z")));
        assert!(!c.matches(at("2026-12-02T09:31:00Z")));
        assert!(!c.matches(at("2026-12-02T18:00:00Z")));
        assert!(!c.matches(at("2026-12-05T10:00:00Z")), "Saturday");
        let c = Cron::parse("0 0 1,15 jan,jul *").unwrap_or_else(|e| panic!("{e}"));
        assert!(c.matches(at("2026-07-15T00:00:00Z")));
        assert!(!c.matches(at("2026-08-15T00:00:00Z")));
        let c = Cron::parse("5/20 * * * 0").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            c.matches(at("2026-12-06T03:45:00Z")),
            "Sunday, 5/20 = 5,25,45"
        );
    }

    #[test]
    fn day_fields_or_when_both_restricted() {
        let c = Cron::parse("0 0 1 * MON").unwrap_or_else(|e| panic!("{e}"));
        assert!(c.matches(at("2026-12-01T00:00:00Z")), "the 1st (a Tuesday)");
        assert!(c.matches(at("2026-12-07T00:00:00Z")), "a Monday");
        assert!(!c.matches(at("2026-12-02T00:00:00Z")));
    }

    /// robfig/cron v3 (`getRange`, `dayMatches`): a stepped star restricts its day field, so
    /// with a restricted other day field either may match; a plain or `/1` star does not.
    #[test]
    fn robfig_star_and_list_rules() {
        for (spec, at_, want) in [
            // */2 on day-of-month (1, 3, 5, ...) restricts: either day field may match.
            ("0 0 */2 * mon", "2026-12-14T00:00:00Z", true), // Monday the 14th
            ("0 0 */2 * mon", "2026-12-02T00:00:00Z", false), // Wednesday the 2nd
            ("0 0 */2 * mon", "2026-12-03T00:00:00Z", true), // Thursday the 3rd
            // */1 is still a star: both must match.
            ("0 0 */1 * mon", "2026-12-03T00:00:00Z", false),
            ("0 0 * * mon", "2026-12-03T00:00:00Z", false),
            // A star anywhere in a list is a star.
            ("0 0 1,* * mon", "2026-12-03T00:00:00Z", false),
            // Empty list items are skipped.
            ("0 0 1,,15 * *", "2026-12-15T00:00:00Z", true),
            ("0 0 1,,15 * *", "2026-12-02T00:00:00Z", false),
        ] {
            let c = Cron::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(c.matches(at(at_)), want, "{spec} at {at_}");
        }
    }

    #[test]
    fn macros() {
        for (m, yes) in [
            ("@daily", "2026-12-02T00:00:00Z"),
            ("@midnight", "2026-12-02T00:00:00Z"),
            ("@hourly", "2026-12-02T07:00:00Z"),
            ("@weekly", "2026-12-06T00:00:00Z"),
            ("@monthly", "2026-12-01T00:00:00Z"),
            ("@yearly", "2027-01-01T00:00:00Z"),
            ("@annually", "2027-01-01T00:00:00Z"),
        ] {
            let c = Cron::parse(m).unwrap_or_else(|e| panic!("{e}"));
            assert!(c.matches(at(yes)), "{m}");
            assert!(!c.matches(at("2026-12-02T07:01:00Z")), "{m}");
        }
    }

    #[test]
    fn next_and_last() {
        let c = Cron::parse("0 22 * * *").unwrap_or_else(|e| panic!("{e}"));
        let now = at("2026-12-02T06:10:20Z");
        assert_eq!(c.next_after(now, 366), Some(at("2026-12-02T22:00:00Z")));
        assert_eq!(c.last_within(now, 9 * 60), Some(at("2026-12-01T22:00:00Z")));
        assert_eq!(c.last_within(now, 8 * 60), None);
        let feb30 = Cron::parse("0 0 30 2 *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(feb30.next_after(now, 366 * 2), None);
    }

    #[test]
    fn bad_schedules_are_errors() {
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 8",
            "* * * * 7",
            "@Daily",
            "@DAILY",
            "*/0 * * * *",
            "5-1 * * * *",
            "x * * * *",
            "@fortnightly",
            "* * * foo *",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad:?}");
        }
    }
}
