//! The summary a person reads on the terminal after `run` and `sweep`: the figures they look at
//! first, each in its unit (money to cents, waits in s, min or h, counts as integers), in a table
//! that fits 100 columns: runs side by side while a few fit, one row a run beyond. `summary.csv`
//! holds every figure at full precision.

use fleetsim::report::SummaryRow;

/// The terminal's width the table keeps within.
pub const WIDTH: usize = 100;

/// How a figure reads.
#[derive(Clone, Copy)]
enum Unit {
    /// A whole number.
    Count,
    /// US dollars, to cents.
    Usd,
    /// A duration in seconds, shown in s, min or h.
    Secs,
    /// A percentage.
    Pct,
    /// A ratio 0..1, shown as a percentage.
    Ratio,
    /// Hours, one decimal.
    Hours,
}

/// (summary.csv column, heading, unit).
type Col = (&'static str, &'static str, Unit);

// In the order a person asks: the first columns are the ones a row of many runs keeps.
const PACKING: [Col; 9] = [
    ("pods", "pods", Unit::Count),
    ("pods_never_scheduled", "never ran", Unit::Count),
    ("gpu_alloc_pct_end", "GPU alloc end", Unit::Pct),
    ("gpu_alloc_pct_time_avg", "GPU alloc avg", Unit::Pct),
    ("frag_pct_end", "frag end", Unit::Pct),
    ("pending_p95_s", "wait p95", Unit::Secs),
    ("pending_max_s", "wait max", Unit::Secs),
    ("pending_p50_s", "wait p50", Unit::Secs),
    ("pods_scheduled", "scheduled", Unit::Count),
];

const AUTOSCALING: [Col; 14] = [
    ("pods", "pods", Unit::Count),
    ("pods_never_scheduled", "never ran", Unit::Count),
    ("cost_usd", "cost", Unit::Usd),
    ("gpu_hours_alloc_ratio", "GPU-h used", Unit::Ratio),
    ("pending_p95_s", "wait p95", Unit::Secs),
    ("pending_max_s", "wait max", Unit::Secs),
    ("nodes_launched", "nodes", Unit::Count),
    ("gpu_hours_provisioned", "GPU-h", Unit::Hours),
    ("cpu_alloc_pct_time_avg", "CPU used", Unit::Pct),
    ("pending_p50_s", "wait p50", Unit::Secs),
    ("pending_p99_s", "wait p99", Unit::Secs),
    ("scale_ups", "nodes added", Unit::Count),
    ("scale_downs", "nodes removed", Unit::Count),
    ("provisioning_failures", "failed launches", Unit::Count),
];

const DISRUPTION: [Col; 4] = [
    ("pods_disrupted", "pods disrupted", Unit::Count),
    ("spot_interruptions", "spot interrupts", Unit::Count),
    ("lost_gpu_hours", "lost GPU-h", Unit::Hours),
    ("savings_vs_on_demand_pct", "saved vs on-demand", Unit::Pct),
];

const SERVICE: [Col; 6] = [
    ("svc_tokens_in_time_pct", "tokens in time", Unit::Pct),
    ("svc_tokens_late", "tokens late", Unit::Count),
    ("svc_tokens_dropped", "tokens dropped", Unit::Count),
    ("svc_underprovisioned_s", "under-provisioned", Unit::Secs),
    ("svc_rescales", "rescales", Unit::Count),
    ("cost_per_m_tokens_usd", "cost per M tokens", Unit::Usd),
];

/// `v` (as summary.csv writes it) in `unit`; empty stays empty.
fn show(v: &str, unit: Unit) -> String {
    let Ok(x) = v.parse::<f64>() else { return v.to_string() };
    match unit {
        Unit::Count => format!("{}", x.round() as i64),
        Unit::Usd if x.abs() < 0.1 && x != 0.0 => format!("${x:.4}"),
        Unit::Usd => format!("${x:.2}"),
        Unit::Secs if x < 60.0 => format!("{x:.0} s"),
        Unit::Secs if x < 3600.0 => format!("{:.1} min", x / 60.0),
        Unit::Secs => format!("{:.1} h", x / 3600.0),
        Unit::Pct => format!("{x:.1}%"),
        Unit::Ratio => format!("{:.1}%", x * 100.0),
        Unit::Hours => format!("{x:.1}"),
    }
}

/// The columns a set of runs shows.
fn columns(runs: &[SummaryRow]) -> Vec<Col> {
    let autoscaling = runs.iter().any(|r| !r.get("cpu_alloc_pct_time_avg").is_empty());
    let mut cols: Vec<Col> = if autoscaling { AUTOSCALING.to_vec() } else { PACKING.to_vec() };
    let nonzero = |c: &str| runs.iter().any(|r| r.get(c).parse::<f64>().is_ok_and(|v| v != 0.0));
    if autoscaling && ["pods_disrupted", "spot_interruptions", "savings_vs_on_demand_pct"].iter().any(|c| nonzero(c)) {
        cols.extend(DISRUPTION);
    }
    if runs.iter().any(|r| !r.get("svc_tokens").is_empty()) {
        cols.extend(SERVICE);
    }
    cols
}

/// A run's sweep parameters (`variant=karpenter|seed=2`), as (name, value) pairs; a run that is
/// not part of a sweep has its id as one value.
fn params(run_id: &str) -> Vec<(String, String)> {
    run_id
        .split('|')
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.rsplit('.').next().unwrap_or(k).to_string(), v.to_string()),
            None => ("run".to_string(), p.to_string()),
        })
        .collect()
}

/// The table's lines.
pub fn table(runs: &[SummaryRow]) -> Vec<String> {
    let cols = columns(runs);
    let label = |r: &SummaryRow| params(&r.run_id).into_iter().map(|(_, v)| v).collect::<Vec<_>>().join(" ");
    // Runs side by side: one line a figure, one column a run, while they fit.
    let head_w = cols.iter().map(|c| c.1.len()).max().unwrap_or(4);
    let widths: Vec<usize> = runs
        .iter()
        .map(|r| label(r).chars().count().max(cols.iter().map(|c| show(r.get(c.0), c.2).len()).max().unwrap_or(0)))
        .collect();
    if head_w + widths.iter().map(|w| w + 2).sum::<usize>() <= WIDTH {
        let mut out = Vec::new();
        let mut line = format!("{:<head_w$}", "");
        for (r, w) in runs.iter().zip(&widths) {
            line += &format!("  {:>w$}", label(r));
        }
        out.push(line.trim_end().to_string());
        for c in &cols {
            let mut line = format!("{:<head_w$}", c.1);
            for (r, w) in runs.iter().zip(&widths) {
                line += &format!("  {:>w$}", show(r.get(c.0), c.2));
            }
            out.push(line);
        }
        return out;
    }
    // One row a run: its parameters, then the figures that fit; the rest are in summary.csv.
    let names: Vec<String> = params(&runs[0].run_id).into_iter().map(|(k, _)| k).collect();
    let cells: Vec<Vec<String>> =
        runs.iter().map(|r| params(&r.run_id).into_iter().map(|(_, v)| v).collect()).collect();
    let param_w: Vec<usize> = (0..names.len())
        .map(|i| cells.iter().map(|c| c.get(i).map_or(0, |v| v.chars().count())).max().unwrap_or(0).max(names[i].len()))
        .collect();
    let mut used: usize = param_w.iter().map(|w| w + 2).sum();
    let mut shown = Vec::new();
    for c in &cols {
        let w = runs.iter().map(|r| show(r.get(c.0), c.2).len()).max().unwrap_or(0).max(c.1.len());
        if used + w + 2 > WIDTH {
            break;
        }
        used += w + 2;
        shown.push((c, w));
    }
    let mut out = Vec::new();
    let mut line = String::new();
    for (n, w) in names.iter().zip(&param_w) {
        line += &format!("{n:<w$}  ");
    }
    for (c, w) in &shown {
        line += &format!("{:>w$}  ", c.1);
    }
    out.push(line.trim_end().to_string());
    for (r, cell) in runs.iter().zip(&cells) {
        let mut line = String::new();
        for (i, w) in param_w.iter().enumerate() {
            line += &format!("{:<w$}  ", cell.get(i).map_or("", String::as_str));
        }
        for (c, w) in &shown {
            line += &format!("{:>w$}  ", show(r.get(c.0), c.2));
        }
        out.push(line.trim_end().to_string());
    }
    if shown.len() < cols.len() {
        let rest: Vec<&str> = cols[shown.len()..].iter().map(|c| c.1).collect();
        out.extend(wrap(&format!("(also in summary.csv: {})", rest.join(", "))));
    }
    out
}

/// `text` broken at spaces into lines of at most [`WIDTH`] characters.
pub fn wrap(text: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > WIDTH {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, cols: &[(&str, &str)]) -> SummaryRow {
        SummaryRow { run_id: id.into(), columns: cols.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    #[test]
    fn units_read_as_people_write_them() {
        assert_eq!(show("541.096194", Unit::Usd), "$541.10");
        assert_eq!(show("0.012032", Unit::Usd), "$0.0120");
        assert_eq!(show("147.000", Unit::Secs), "2.5 min");
        assert_eq!(show("1.000", Unit::Secs), "1 s");
        assert_eq!(show("7200", Unit::Secs), "2.0 h");
        assert_eq!(show("0.4957", Unit::Ratio), "49.6%");
        assert_eq!(show("413", Unit::Count), "413");
        assert_eq!(show("", Unit::Pct), "");
    }

    #[test]
    fn the_table_fits_100_columns_as_columns_or_rows() {
        let fig = |cost: &'static str| {
            vec![
                ("pods", "413"),
                ("pods_never_scheduled", "0"),
                ("cost_usd", cost),
                ("cpu_alloc_pct_time_avg", "50.0221"),
                ("pending_p95_s", "147.000"),
            ]
        };
        let three: Vec<SummaryRow> = ["pool-autoscaler", "smart-hosting", "karpenter"]
            .iter()
            .map(|v| row(&format!("variant={v}"), &fig("541.096194")))
            .collect();
        let t = table(&three);
        assert!(t[0].contains("pool-autoscaler") && t[0].ends_with("karpenter"), "{t:?}");
        assert!(t.iter().any(|l| l.starts_with("cost") && l.contains("$541.10")), "{t:?}");
        assert!(t.iter().all(|l| l.chars().count() <= WIDTH), "{t:?}");
        // Many runs with long parameters: rows, the parameters as columns, within 100 columns.
        let many: Vec<SummaryRow> = (0..30)
            .map(|i| {
                row(
                    &format!(
                        "variant=when-empty|karpenter.consolidateAfter={i}m|workload.trace.window={i}d..{}d",
                        i + 1
                    ),
                    &fig("12345.678"),
                )
            })
            .collect();
        let t = table(&many);
        assert!(t[0].starts_with("variant") && t[0].contains("consolidateAfter") && t[0].contains("window"), "{t:?}");
        assert!(t.iter().all(|l| l.chars().count() <= WIDTH), "{t:?}");
        assert!(t[1].contains("$12345.68"), "{t:?}");
        let rows = t.iter().take_while(|l| !l.starts_with("(also")).count();
        assert_eq!(rows, 31, "a header and one row per run: {t:?}");
    }
}
