//! The report's words and numbers: the comparison table's columns (with units), how a cell
//! reads (integer counts, intervals clipped at zero), and the opening answer of each group.

use super::compare::Line;

/// What a column holds, which decides how its cells read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Dollars, to cents (or `decimals`).
    Money,
    /// Pods, nodes, events: whole numbers for one run, a mean to one decimal over several.
    Count,
    /// A fraction shown as a percentage.
    Share,
    /// Any other non-negative quantity with its decimals.
    Amount,
    /// A quantity that can be negative (a saving can be a loss).
    Signed,
}

/// The columns of the comparison table: (summary column, header with its unit, kind, decimals).
pub(super) const COLUMNS: [(&str, &str, Kind, usize); 21] = [
    ("cost_usd", "cost ($)", Kind::Money, 2),
    ("gpu_alloc", "GPU alloc (%)", Kind::Share, 1),
    ("pending_p50_s", "pending p50 (s)", Kind::Amount, 1),
    ("pending_p95_s", "pending p95 (s)", Kind::Amount, 1),
    ("pending_p99_s", "pending p99 (s)", Kind::Amount, 1),
    ("pods_never_scheduled", "pods never scheduled", Kind::Count, 1),
    ("nodes_launched", "nodes launched", Kind::Count, 1),
    ("scale_ups", "nodes added", Kind::Count, 1),
    ("scale_downs", "nodes removed", Kind::Count, 1),
    ("scale_downs_empty", "removed empty", Kind::Count, 1),
    ("scale_downs_underutilized", "removed underutilized", Kind::Count, 1),
    ("scale_downs_expired", "removed expired", Kind::Count, 1),
    ("pods_evicted", "pods evicted", Kind::Count, 1),
    ("pods_disrupted", "pods disrupted", Kind::Count, 1),
    ("spot_interruptions", "spot interruptions", Kind::Count, 1),
    ("lost_gpu_hours", "lost GPU-h", Kind::Amount, 1),
    ("savings_vs_on_demand_pct", "spot saving (%)", Kind::Signed, 1),
    ("svc_tokens_in_time_pct", "tokens in time (%)", Kind::Amount, 1),
    ("svc_underprovisioned_s", "under-provisioned (s)", Kind::Amount, 0),
    ("cost_per_m_tokens_usd", "$ / M tokens", Kind::Money, 3),
    ("job_completion_mean_s", "job completion (s)", Kind::Amount, 0),
];

/// A cell: the mean, and the 95 % interval where there are several runs. A count of one run
/// reads as a whole number; an interval that would reach below zero for a quantity that cannot
/// be negative reads as its clipped range, `m (0–hi)`.
pub(super) fn cell((m, h): (f64, f64), kind: Kind, decimals: usize) -> String {
    if m.is_nan() {
        return "–".into();
    }
    let (m, h, d) = if kind == Kind::Share { (m * 100.0, h * 100.0, decimals) } else { (m, h, decimals) };
    if h == 0.0 {
        let whole = kind == Kind::Count && m.fract() == 0.0;
        return if whole { format!("{m:.0}") } else { format!("{m:.d$}") };
    }
    if kind != Kind::Signed && m - h < 0.0 {
        return format!("{m:.d$} (0–{:.d$})", m + h);
    }
    format!("{m:.d$} ± {h:.d$}")
}

/// The policies whose `col` is best (smallest, or largest with `high`), and that value; none
/// when all `total` policies of the group tie.
fn best<'a>(lines: &'a [Line], col: &str, high: bool, total: usize) -> Option<(Vec<&'a str>, f64)> {
    let vals: Vec<(&str, f64)> =
        lines.iter().map(|l| (l.policy.as_str(), l.cells[col].0)).filter(|(_, v)| v.is_finite()).collect();
    let pick = vals.iter().map(|v| v.1).fold(None, |a: Option<f64>, v| {
        Some(match a {
            None => v,
            Some(a) if high => a.max(v),
            Some(a) => a.min(v),
        })
    })?;
    // Equal to the printed precision (money to cents, shares to a tenth of a percent, the rest
    // to one decimal): a tie, named as one. When every policy with the figure ties, it does not
    // tell them apart and is left out.
    let decimals = match col {
        "cost_usd" => 2,
        "gpu_alloc" => 3,
        _ => 1,
    };
    let printed = |v: f64| (v * 10f64.powi(decimals)).round();
    let names: Vec<&str> = vals.iter().filter(|v| printed(v.1) == printed(pick)).map(|v| v.0).collect();
    (names.len() < vals.len().min(total)).then_some((names, pick))
}

fn names(v: &[&str]) -> String {
    match v {
        [one] => one.to_string(),
        [a, b] => format!("{a} and {b} (tied)"),
        _ => format!("{} (tied)", v.join(", ")),
    }
}

/// `1 pod`, `4 pods`, `2.5 pods` (a mean).
fn pods_count(n: f64) -> String {
    if n == 1.0 {
        "1 pod".into()
    } else if n.fract() == 0.0 {
        format!("{n:.0} pods")
    } else {
        format!("{n:.1} pods")
    }
}

/// The group's answer in one sentence: the cheapest, the fastest (or, for services, the one
/// serving the most tokens in time) and the best GPU use, with their figures.
pub(super) fn answer(lines: &[Line]) -> String {
    if lines.len() < 2 {
        let Some(l) = lines.first() else { return String::new() };
        let known = |c: &str| l.cells.get(c).map(|v| v.0).filter(|v| v.is_finite());
        let mut said = Vec::new();
        said.extend(known("cost_usd").map(|v| format!("cost ${v:.2}")));
        said.extend(known("svc_tokens_in_time_pct").map(|v| format!("{v:.1} % of tokens served in time")));
        said.extend(known("pending_p95_s").map(|v| format!("pending p95 {v:.1} s")));
        said.extend(known("gpu_alloc").map(|v| format!("GPU allocation {:.1} %", v * 100.0)));
        return format!("one policy, {}: {}", l.policy, said.join(", "));
    }
    let n = lines.len();
    let mut parts = Vec::new();
    let paid = lines.iter().any(|l| l.cells["cost_usd"].0 > 0.0);
    let service = lines.iter().any(|l| l.cells["svc_tokens_in_time_pct"].0.is_finite());
    if service {
        if let Some((who, v)) = best(lines, "svc_tokens_in_time_pct", true, n) {
            parts.push(format!("most tokens served in time: {} ({v:.1} %)", names(&who)));
        }
    }
    // A policy that schedules fewer pods is not cheapest or fastest for it: those figures are
    // read among the policies that schedule about as many pods as the best (within 1 % of the
    // pods: a pod created in the day's last minute, its node on the way, is no shortfall), and a
    // cheaper one that schedules fewer is named with its shortfall.
    let fig = |l: &Line, c: &str| l.cells.get(c).map_or(f64::NAN, |v| v.0);
    let most =
        lines.iter().map(|l| fig(l, "pods_scheduled")).filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let pods = lines.iter().map(|l| fig(l, "pods")).filter(|v| v.is_finite()).fold(0.0, f64::max);
    // (A service's pods are its replicas, as many as its autoscaler asked for: no shortfall.)
    let (full, short): (Vec<Line>, Vec<Line>) = lines.iter().cloned().partition(|l| {
        // A policy without the figure counts as scheduling all.
        let n = fig(l, "pods_scheduled");
        service || n.is_nan() || n >= most - pods * 0.01
    });
    let among: &[Line] = if full.is_empty() { lines } else { &full };
    if paid {
        if let Some((who, v)) = best(among, "cost_usd", false, n) {
            let served = if service {
                let l = lines.iter().find(|l| l.policy == who[0]);
                l.map(|l| format!(", serving {:.1} % in time", l.cells["svc_tokens_in_time_pct"].0)).unwrap_or_default()
            } else {
                String::new()
            };
            parts.push(format!("cheapest: {} (${v:.2}{served})", names(&who)));
            let cheaper: Vec<String> = short
                .iter()
                .filter(|l| among.len() < lines.len() && l.cells["cost_usd"].0 < v)
                .map(|l| {
                    let n = pods_count(most - fig(l, "pods_scheduled"));
                    format!("{} costs less (${:.2}) but schedules {n} fewer", l.policy, l.cells["cost_usd"].0)
                })
                .collect();
            parts.extend(cheaper);
        }
    }
    if let Some((who, v)) = best(among, "pending_p95_s", false, n) {
        parts.push(format!("shortest p95 pending: {} ({v:.1} s)", names(&who)));
    }
    if let Some((who, v)) = best(lines, "gpu_alloc", true, n) {
        parts.push(format!("highest GPU allocation: {} ({:.1} %)", names(&who), v * 100.0));
    }
    // Named when some policy leaves more than 1 % of the pods behind.
    if let Some((who, v)) = best(lines, "pods_scheduled", true, n).filter(|_| !short.is_empty()) {
        parts.push(format!("most pods scheduled: {} ({})", names(&who), pods_count(v)));
    }
    if parts.is_empty() {
        return "no figure tells the policies apart".into();
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn line(policy: &str, cost: f64, p95: f64, alloc: f64, tokens: f64) -> Line {
        let mut cells = BTreeMap::new();
        for (c, _, _, _) in COLUMNS {
            cells.insert(c, (f64::NAN, 0.0));
        }
        cells.insert("cost_usd", (cost, 0.0));
        cells.insert("pending_p95_s", (p95, 0.0));
        cells.insert("gpu_alloc", (alloc, 0.0));
        cells.insert("svc_tokens_in_time_pct", (tokens, 0.0));
        cells.insert("pods", (100.0, 0.0));
        cells.insert("pods_scheduled", (100.0, 0.0));
        Line { policy: policy.into(), runs: vec![policy.into()], cells }
    }

    #[test]
    fn counts_read_as_integers_and_intervals_stop_at_zero() {
        assert_eq!(cell((33.0, 0.0), Kind::Count, 1), "33");
        assert_eq!(cell((0.3, 0.5), Kind::Count, 1), "0.3 (0–0.8)");
        assert_eq!(cell((88.1, 45.8), Kind::Count, 1), "88.1 ± 45.8");
        assert_eq!(cell((0.63, 0.084), Kind::Share, 1), "63.0 ± 8.4");
        assert_eq!(cell((-5.0, 10.0), Kind::Signed, 1), "-5.0 ± 10.0");
        assert_eq!(cell((f64::NAN, 0.0), Kind::Amount, 1), "–");
    }

    #[test]
    fn the_answer_names_the_cheapest_and_the_fastest_and_a_services_level() {
        let lines = [line("a", 100.0, 50.0, 0.5, f64::NAN), line("b", 80.0, 60.0, 0.6, f64::NAN)];
        let a = answer(&lines);
        assert!(a.contains("cheapest: b ($80.00)") && a.contains("shortest p95 pending: a (50.0 s)"), "{a}");
        // A cheap service that serves few tokens in time is named with its service level, after
        // the one that serves the most.
        let lines = [line("full", 110.0, 50.0, 0.8, 70.0), line("cheap", 38.0, 60.0, 0.9, 30.0)];
        let a = answer(&lines);
        assert!(a.starts_with("most tokens served in time: full (70.0 %)"), "{a}");
        assert!(a.contains("cheapest: cheap ($38.00, serving 30.0 % in time)"), "{a}");
        let lines = [
            line("x", 10.0, 5.0, 0.5, f64::NAN),
            line("y", 10.0, 6.0, 0.4, f64::NAN),
            line("z", 12.0, 6.0, 0.4, f64::NAN),
        ];
        assert!(answer(&lines).contains("cheapest: x and y (tied)"), "{}", answer(&lines));
        // Running nothing costs nothing: not the cheapest way to run the pods.
        let mut idle = line("idle", 0.0, f64::NAN, 0.0, f64::NAN);
        idle.cells.insert("pods_scheduled", (96.0, 0.0));
        let a = line("a", 6.0, 154.0, 0.85, f64::NAN);
        let b = line("b", 7.0, 150.0, 0.85, f64::NAN);
        let text = answer(&[a, idle, b]);
        assert!(
            text.contains("cheapest: a ($6.00)") && text.contains("idle costs less ($0.00) but schedules 4 pods fewer"),
            "{text}"
        );
        // A figure every policy shares (no wait on a static cluster) tells nothing: left out.
        let lines = [line("x", 0.0, 0.0, 0.5, f64::NAN), line("y", 0.0, 0.0, 0.6, f64::NAN)];
        assert_eq!(answer(&lines), "highest GPU allocation: y (60.0 %)");
    }
}
