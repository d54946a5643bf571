//! Simulated time: integer milliseconds since the scenario's start.

use std::fmt;

/// Milliseconds since the start of the scenario. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

impl SimTime {
    /// Time zero.
    pub const ZERO: SimTime = SimTime(0);
    /// From whole seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimTime(s * 1000)
    }
    /// Whole milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
    /// Seconds, for output.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
    /// `self + d`, saturating.
    pub fn plus(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// Parses a duration as scenarios write it: `500ms`, `30s`, `10m`, `1h`, `2d`, or a sum such as
/// `1h30m`. A bare number is rejected (the unit is required).
pub fn parse_duration(s: &str) -> Result<SimTime, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration; expected e.g. `30s`, `10m`, `1h30m`".into());
    }
    let mut total: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("`{s}` is not a duration; expected e.g. `30s`, `10m`, `1h30m` (no sign, no fraction)"));
        }
        let n: u64 = rest[..digits].parse().map_err(|_| format!("`{s}`: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let ms = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => return Err(format!("`{s}` lacks a unit; expected one of ms, s, m, h, d (e.g. `{n}s`)")),
            u => return Err(format!("`{s}` has unknown unit `{u}`; expected one of ms, s, m, h, d")),
        };
        total = n.checked_mul(ms).and_then(|v| total.checked_add(v)).ok_or_else(|| format!("`{s}` is too long"))?;
    }
    Ok(SimTime(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(SimTime(30_000)));
        assert_eq!(parse_duration("10m"), Ok(SimTime(600_000)));
        assert_eq!(parse_duration("1h30m"), Ok(SimTime(5_400_000)));
        assert_eq!(parse_duration("500ms"), Ok(SimTime(500)));
        assert_eq!(parse_duration("2d"), Ok(SimTime(172_800_000)));
        assert!(parse_duration("10").unwrap_err().contains("unit"));
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("1.5h").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert_eq!(SimTime(1500).to_string(), "1.500s");
    }
}
