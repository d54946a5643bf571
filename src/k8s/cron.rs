//! Cron schedules for Karpenter disruption budgets, and the calendar that maps simulated time to
//! UTC wall-clock time.
//!
//! Karpenter parses `budgets[].schedule` with the standard five-field cron syntax (minute, hour,
//! day of month, month, day of week; names `JAN`..`DEC` and `SUN`..`SAT`; `*`, lists, ranges and
//! steps; the macros `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`,
//! `@hourly`), in UTC (Karpenter docs, "Disruption Budgets": "Schedule ... in UTC"). As in
//! standard cron, when both day fields are restricted a day matches if either does.

use crate::engine::SimTime;

/// A parsed schedule: the set of minutes, hours, days, months and weekdays at which it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    dom: u32,
    months: u16,
    dow: u8,
    dom_star: bool,
    dow_star: bool,
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn field(s: &str, lo: u32, hi: u32, names: &[&str], name_base: u32) -> Result<(u64, bool), String> {
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(i as u32 + name_base);
        }
        let n: u32 = v.parse().map_err(|_| format!("`{v}` is not a number or a name"))?;
        if n < lo || n > hi {
            return Err(format!("{n} is outside {lo}..={hi}"));
        }
        Ok(n)
    };
    let mut bits = 0u64;
    let star = s == "*" || s == "?";
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => {
                let st: u32 = st.parse().map_err(|_| format!("step `{st}` is not a number"))?;
                if st == 0 {
                    return Err("a step of 0".into());
                }
                (r, st)
            }
            None => (part, 1),
        };
        let (a, b) = if range == "*" || range == "?" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let a = value(range)?;
            (a, if step > 1 { hi } else { a })
        };
        if a > b {
            return Err(format!("range `{range}` is empty"));
        }
        let mut v = a;
        while v <= b {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok((bits, star))
}

impl Cron {
    /// Parses a five-field expression or a macro.
    pub fn parse(s: &str) -> Result<Cron, String> {
        let expanded = match s.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => other,
        };
        let f: Vec<&str> = expanded.split_whitespace().collect();
        if f.len() != 5 {
            return Err(format!(
                "`{s}` has {} fields; expected five (minute hour day-of-month month day-of-week), e.g. `0 9 * * MON-FRI`",
                f.len()
            ));
        }
        let ctx = |name: &str, e: String| format!("`{s}`: {name} field: {e}");
        let (minutes, _) = field(f[0], 0, 59, &[], 0).map_err(|e| ctx("minute", e))?;
        let (hours, _) = field(f[1], 0, 23, &[], 0).map_err(|e| ctx("hour", e))?;
        let (dom, dom_star) = field(f[2], 1, 31, &[], 0).map_err(|e| ctx("day-of-month", e))?;
        let (months, _) = field(f[3], 1, 12, &MONTHS, 1).map_err(|e| ctx("month", e))?;
        let (mut dow, dow_star) = field(f[4], 0, 7, &DAYS, 0).map_err(|e| ctx("day-of-week", e))?;
        if dow & (1 << 7) != 0 {
            dow = (dow | 1) & 0x7f; // 7 is Sunday too
        }
        Ok(Cron {
            minutes,
            hours: hours as u32,
            dom: dom as u32,
            months: months as u16,
            dow: dow as u8,
            dom_star,
            dow_star,
        })
    }

    /// Whether the schedule fires at the minute starting at `unix_minute` (minutes since
    /// 1970-01-01T00:00Z).
    pub fn fires(&self, unix_minute: i64) -> bool {
        let c = Civil::of_minute(unix_minute);
        if self.minutes & (1 << c.minute) == 0 || self.hours & (1 << c.hour) == 0 || self.months & (1 << c.month) == 0 {
            return false;
        }
        let dom_ok = self.dom & (1 << c.day) != 0;
        let dow_ok = self.dow & (1 << c.weekday) != 0;
        match (self.dom_star, self.dow_star) {
            (false, false) => dom_ok || dow_ok,
            _ => dom_ok && dow_ok,
        }
    }

    /// The intervals `[fire, fire + duration)` that overlap `[0, end]`, in simulated time, with
    /// simulated time 0 at `start_unix_minute`. Overlapping windows merge.
    pub fn windows(&self, duration: SimTime, start_unix_minute: i64, end: SimTime) -> Vec<(SimTime, SimTime)> {
        let dur_min = duration.0.div_ceil(60_000) as i64;
        let end_min = end.0.div_ceil(60_000) as i64;
        let mut out: Vec<(SimTime, SimTime)> = Vec::new();
        for m in -dur_min..=end_min {
            if !self.fires(start_unix_minute + m) {
                continue;
            }
            let from = m * 60_000;
            let to = from + duration.0 as i64;
            if to <= 0 {
                continue;
            }
            let (a, b) = (SimTime(from.max(0) as u64), SimTime(to as u64));
            match out.last_mut() {
                Some(last) if last.1 >= a => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        out
    }
}

/// A UTC calendar minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of month, 1..=31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Day of week, 0 = Sunday.
    pub weekday: u32,
}

impl Civil {
    /// The calendar minute `m` minutes after the Unix epoch (proleptic Gregorian, UTC).
    pub fn of_minute(m: i64) -> Civil {
        let days = m.div_euclid(1440);
        let mins = m.rem_euclid(1440);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: (mins / 60) as u32,
            minute: (mins % 60) as u32,
            weekday: (days + 4).rem_euclid(7) as u32, // 1970-01-01 was a Thursday
        }
    }
}

/// Days since the epoch of a civil date (Howard Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `2026-01-05T00:00:00Z` (or without seconds) into minutes since the epoch. Seconds must
/// be zero: cron works in whole minutes.
pub fn parse_utc_minute(s: &str) -> Result<i64, String> {
    let bad = || format!("`{s}`; expected a UTC time like `2026-01-05T09:00:00Z`");
    let t = s.strip_suffix('Z').ok_or_else(bad)?;
    let (date, time) = t.split_once('T').ok_or_else(bad)?;
    let d: Vec<&str> = date.split('-').collect();
    let h: Vec<&str> = time.split(':').collect();
    if d.len() != 3 || !(2..=3).contains(&h.len()) {
        return Err(bad());
    }
    let num = |v: &str| v.parse::<i64>().map_err(|_| bad());
    let (y, mo, da, hh, mi) = (num(d[0])?, num(d[1])?, num(d[2])?, num(h[0])?, num(h[1])?);
    let ss = if h.len() == 3 { num(h[2])? } else { 0 };
    if !(1..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&da)
        || !(0..24).contains(&hh)
        || !(0..60).contains(&mi)
    {
        return Err(bad());
    }
    if ss != 0 {
        return Err(format!("`{s}`: seconds must be 00 (schedules work in whole minutes)"));
    }
    let days = days_from_civil(y, mo as u32, da as u32);
    if Civil::of_minute(days * 1440).day != da as u32 {
        return Err(format!("`{s}`: no such day"));
    }
    Ok(days * 1440 + hh * 60 + mi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips_and_knows_weekdays() {
        let m = parse_utc_minute("2026-01-05T09:30:00Z").unwrap();
        let c = Civil::of_minute(m);
        assert_eq!((c.year, c.month, c.day, c.hour, c.minute, c.weekday), (2026, 1, 5, 9, 30, 1), "a Monday");
        let leap = Civil::of_minute(parse_utc_minute("2024-02-29T00:00Z").unwrap());
        assert_eq!((leap.month, leap.day, leap.weekday), (2, 29, 4));
        assert!(parse_utc_minute("2026-02-30T00:00:00Z").is_err());
        assert!(parse_utc_minute("2026-01-05 09:00").is_err());
    }

    #[test]
    fn seed_business_hours_budget() {
        // Seed 003: `nodes: '0'` with schedule `0 9 * * MON-FRI` and duration 10h.
        let c = Cron::parse("0 9 * * MON-FRI").unwrap();
        let start = parse_utc_minute("2026-01-05T00:00:00Z").unwrap(); // Monday
        let w = c.windows(SimTime(10 * 3_600_000), start, SimTime(7 * 86_400_000));
        assert_eq!(w.len(), 5, "Monday to Friday: {w:?}");
        assert_eq!(w[0], (SimTime(9 * 3_600_000), SimTime(19 * 3_600_000)));
        assert_eq!(w[4].0, SimTime((4 * 24 + 9) * 3_600_000));
        // A window that began before time 0 is cut at 0.
        let c = Cron::parse("0 23 * * *").unwrap();
        let w = c.windows(SimTime(2 * 3_600_000), start, SimTime(3_600_000));
        assert_eq!(w, vec![(SimTime::ZERO, SimTime(3_600_000))]);
    }

    #[test]
    fn fields_steps_names_and_errors() {
        let c = Cron::parse("*/15 0-6 1,15 JAN-mar 0").unwrap();
        let m = parse_utc_minute("2026-01-15T06:45:00Z").unwrap();
        assert!(c.fires(m), "day 15 matches even though it is not a Sunday (either day field)");
        assert!(!c.fires(m + 1));
        assert!(Cron::parse("@daily").unwrap().fires(parse_utc_minute("2026-03-01T00:00Z").unwrap()));
        assert!(Cron::parse("0 9 * *").unwrap_err().contains("five"));
        assert!(Cron::parse("61 * * * *").unwrap_err().contains("minute"));
        assert!(Cron::parse("0 9 * * FUNDAY").unwrap_err().contains("day-of-week"));
        assert!(Cron::parse("*/0 * * * *").is_err());
    }
}
