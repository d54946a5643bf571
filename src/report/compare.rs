//! `fleetsim report`: a policy comparison from a run's or sweep's output files, as `report.md`
//! and a self-contained `report.html` (inline SVG drawn with plotters; text is SVG `<text>`, so
//! no font file and no network are needed).
//!
//! How runs are grouped: seeds and trace windows (`workload.trace.window`) are repetitions, whose
//! mean and 95 % confidence interval (Student's t) the tables show. Of the other parameters, the
//! *policy* is `variant` when the sweep has variants, else the last parameter (e.g. the placement
//! policy in `fgd-openb`); the rest split the runs into *groups* (e.g. the workload). A run
//! without parameters is its own policy, named by its `policy` column.

use super::chart::{color, legend};
use super::{write_atomic, SummaryRow};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// What a report is made of.
#[derive(Debug, Clone)]
struct Run {
    id: String,
    group: String,
    policy: String,
    row: SummaryRow,
}

impl Run {
    fn num(&self, col: &str) -> Option<f64> {
        self.row.get(col).parse().ok()
    }
}

/// Mean and half-width of the 95 % confidence interval (Student's t; 0 for one value).
fn mean_ci(v: &[f64]) -> (f64, f64) {
    let n = v.len();
    if n == 0 {
        return (f64::NAN, 0.0);
    }
    let m = v.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (m, 0.0);
    }
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
    // Two-sided 97.5 % quantiles of Student's t for 1..=30 degrees of freedom, then the normal.
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    let t = T.get(n - 2).copied().unwrap_or(1.960);
    (m, t * (var / n as f64).sqrt())
}

fn fmt_ci((m, h): (f64, f64), digits: usize) -> String {
    if m.is_nan() {
        "–".into()
    } else if h == 0.0 {
        format!("{m:.digits$}")
    } else {
        format!("{m:.digits$} ± {h:.digits$}")
    }
}

/// One policy's figures in a group.
#[derive(Debug, Clone)]
struct Line {
    policy: String,
    runs: Vec<String>,
    cells: BTreeMap<&'static str, (f64, f64)>,
}

/// The columns of the comparison table: (summary column, header, decimals).
const COLUMNS: [(&str, &str, usize); 20] = [
    ("cost_usd", "cost $", 2),
    ("gpu_alloc", "GPU alloc", 3),
    ("pending_p50_s", "pending p50 s", 1),
    ("pending_p95_s", "pending p95 s", 1),
    ("pending_p99_s", "pending p99 s", 1),
    ("pods_never_scheduled", "never scheduled", 1),
    ("nodes_launched", "nodes launched", 1),
    ("scale_downs", "nodes removed", 1),
    ("scale_downs_empty", "removed empty", 1),
    ("scale_downs_underutilized", "removed underutilized", 1),
    ("scale_downs_expired", "removed expired", 1),
    ("pods_evicted", "pods evicted", 1),
    ("pods_disrupted", "pods disrupted", 1),
    ("spot_interruptions", "interruptions", 1),
    ("lost_gpu_hours", "lost GPU-h", 1),
    ("savings_vs_on_demand_pct", "spot saving %", 1),
    ("svc_tokens_in_time_pct", "tokens in time %", 1),
    ("svc_underprovisioned_s", "under-provisioned s", 0),
    ("cost_per_m_tokens_usd", "$ / M tokens", 3),
    ("job_completion_mean_s", "job completion s", 0),
];

/// GPU allocation of a run, as a fraction: allocated over provisioned GPU-hours for autoscaling
/// runs; on a static cluster, the allocation at the end when no pod left (the packing
/// experiment) and the time average otherwise.
fn gpu_alloc(r: &Run) -> Option<f64> {
    match r.num("gpu_hours_alloc_ratio") {
        Some(x) if r.num("gpu_hours_provisioned").unwrap_or(0.0) > 0.0 => Some(x),
        _ if r.num("pods_completed") == Some(0.0) => r.num("gpu_alloc_pct_end").map(|p| p / 100.0),
        _ => r.num("gpu_alloc_pct_time_avg").map(|p| p / 100.0),
    }
}

struct Report {
    name: String,
    groups: Vec<(String, Vec<Line>)>,
    baseline: Option<String>,
    runs: Vec<Run>,
}

fn read_runs(dir: &Path) -> Result<(String, Vec<Run>), String> {
    let p = dir.join("summary.csv");
    let text = std::fs::read_to_string(&p).map_err(|e| {
        format!("{}: cannot read ({e}); give the output directory of `fleetsim run` or `sweep`", p.display())
    })?;
    let rows = SummaryRow::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?;
    if rows.is_empty() {
        return Err(format!("{}: no runs in it", p.display()));
    }
    let head: Vec<&str> = rows[0].columns.iter().map(|(k, _)| k.as_str()).collect();
    let missing: Vec<&str> = ["run_id", "scenario", "policy", "pods", "cost_usd", "pending_p95_s"]
        .into_iter()
        .filter(|c| !head.contains(c))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{}: not a fleetsim summary (no column {}); give the output directory of `fleetsim run` or `sweep`",
            p.display(),
            missing.join(", ")
        ));
    }
    let first_figure = head.iter().position(|c| *c == "pods").unwrap_or(head.len());
    let axes: Vec<String> = head.get(5..first_figure).unwrap_or(&[]).iter().map(|s| s.to_string()).collect();
    // Seeds and trace windows sample the workload: repetitions, not policies.
    let repeat = |a: &str| a == "seed" || a.ends_with(".seed") || a == "workload.trace.window";
    let mut policy_axes: Vec<&String> = axes.iter().filter(|a| !repeat(a)).collect();
    // The policy axis: `variant` when there is one, else the last.
    let policy_axis = match policy_axes.iter().position(|a| *a == "variant") {
        Some(i) => Some(policy_axes.remove(i)),
        None => policy_axes.pop(),
    };
    let short = |a: &str| a.rsplit('.').next().unwrap_or(a).to_string();
    let runs = rows
        .into_iter()
        .map(|row| {
            let policy = match policy_axis {
                Some(a) => row.get(a).to_string(),
                None => row.get("policy").to_string(),
            };
            let mut group = row.get("scenario").to_string();
            for a in &policy_axes {
                let _ = write!(group, " · {}={}", short(a), row.get(a));
            }
            Run { id: row.run_id.clone(), group, policy, row }
        })
        .collect();
    let name = std::fs::read_to_string(dir.join("run.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["name"].as_str().map(String::from))
        .unwrap_or_else(|| dir.display().to_string());
    Ok((name, runs))
}

fn build(dir: &Path, baseline: Option<&str>) -> Result<Report, String> {
    let (name, runs) = read_runs(dir)?;
    let mut groups: Vec<(String, Vec<Line>)> = Vec::new();
    for r in &runs {
        let gi = match groups.iter().position(|(g, _)| *g == r.group) {
            Some(i) => i,
            None => {
                groups.push((r.group.clone(), Vec::new()));
                groups.len() - 1
            }
        };
        let lines = &mut groups[gi].1;
        match lines.iter_mut().find(|l| l.policy == r.policy) {
            Some(l) => l.runs.push(r.id.clone()),
            None => lines.push(Line { policy: r.policy.clone(), runs: vec![r.id.clone()], cells: BTreeMap::new() }),
        }
    }
    let by_id: BTreeMap<&str, &Run> = runs.iter().map(|r| (r.id.as_str(), r)).collect();
    for (_, lines) in &mut groups {
        for l in lines.iter_mut() {
            for (col, _, _) in COLUMNS {
                let v: Vec<f64> = l
                    .runs
                    .iter()
                    .filter_map(|id| by_id.get(id.as_str()))
                    .filter_map(|r| if col == "gpu_alloc" { gpu_alloc(r) } else { r.num(col) })
                    .collect();
                l.cells.insert(col, mean_ci(&v));
            }
        }
    }
    if let Some(b) = baseline {
        let known: Vec<&str> = groups.iter().flat_map(|(_, ls)| ls.iter().map(|l| l.policy.as_str())).collect();
        if !known.contains(&b) {
            let mut k = known.clone();
            k.dedup();
            return Err(format!("--baseline `{b}` is not a policy of these runs; they are: {}", k.join(", ")));
        }
    }
    Ok(Report { name, groups, baseline: baseline.map(String::from), runs })
}

impl Report {
    fn baseline_of<'a>(&'a self, lines: &'a [Line]) -> Option<&'a Line> {
        match &self.baseline {
            Some(b) => lines.iter().find(|l| &l.policy == b),
            None => lines.first(),
        }
    }

    /// (header, rows) of a group's comparison table, as text cells.
    fn table(&self, lines: &[Line]) -> (Vec<String>, Vec<Vec<String>>) {
        let base = self.baseline_of(lines);
        // A column that is zero for every policy (cost on a static cluster, evictions where
        // nothing scales down) says nothing: left out.
        let shown: Vec<(&str, &str, usize)> = COLUMNS
            .into_iter()
            .filter(|(col, _, _)| {
                *col == "gpu_alloc"
                    || lines.iter().any(|l| {
                        let v = l.cells[col].0;
                        v != 0.0 && !v.is_nan()
                    })
            })
            .collect();
        let mut head = vec!["policy".to_string(), "runs".to_string()];
        for &(col, h, _) in &shown {
            head.push(h.to_string());
            if col == "cost_usd" || col == "pending_p95_s" {
                head.push(format!("Δ {h}"));
            }
        }
        let rows = lines
            .iter()
            .map(|l| {
                let mut row = vec![l.policy.clone(), l.runs.len().to_string()];
                for &(col, _, d) in &shown {
                    row.push(fmt_ci(l.cells[col], d));
                    if col == "cost_usd" || col == "pending_p95_s" {
                        let delta = base.map(|b| (l.cells[col].0, b.cells[col].0));
                        row.push(match delta {
                            Some((x, b)) if b.abs() > 1e-12 && !x.is_nan() => format!("{:+.1} %", (x - b) * 100.0 / b),
                            Some((x, b)) if !x.is_nan() && !b.is_nan() => format!("{:+.1}", x - b),
                            _ => "–".into(),
                        });
                    }
                }
                row
            })
            .collect();
        (head, rows)
    }
}

fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

/// The points not dominated in (cost, p95): no other point is at most as costly and as slow and
/// better in one of them.
fn pareto(points: &[(f64, f64)]) -> Vec<bool> {
    points.iter().map(|&(c, p)| !points.iter().any(|&(c2, p2)| c2 <= c && p2 <= p && (c2 < c || p2 < p))).collect()
}

fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) =
        v.filter(|x| x.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.05).max(1e-3);
    ((lo - pad).max(0.0), hi + pad)
}

/// Cost against p95 pending time, one point per policy, the Pareto front joined and ringed.
fn cost_chart(title: &str, lines: &[Line]) -> Result<String, String> {
    let pts: Vec<(f64, f64)> = lines.iter().map(|l| (l.cells["cost_usd"].0, l.cells["pending_p95_s"].0)).collect();
    let front = pareto(&pts);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (640, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let (x0, x1) = range(pts.iter().map(|p| p.0));
        let (y0, y1) = range(pts.iter().map(|p| p.1));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(e)?;
        chart.configure_mesh().x_desc("cost (USD)").y_desc("pending p95 (s)").draw().map_err(e)?;
        let mut fp: Vec<(f64, f64)> = pts.iter().zip(&front).filter(|(_, f)| **f).map(|(p, _)| *p).collect();
        fp.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart.draw_series(LineSeries::new(fp, BLACK.mix(0.5).stroke_width(1))).map_err(e)?;
        for (i, (l, (p, f))) in lines.iter().zip(pts.iter().zip(&front)).enumerate() {
            let c = color(i);
            chart
                .draw_series(std::iter::once(Circle::new(*p, 6, c.filled())))
                .map_err(e)?
                .label(format!("{}{}", l.policy, if *f { " (Pareto)" } else { "" }))
                .legend(move |(x, y)| Circle::new((x + 8, y), 5, c.filled()));
            if *f {
                chart.draw_series(std::iter::once(Circle::new(*p, 10, BLACK.stroke_width(1)))).map_err(e)?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(e)?;
    }
    Ok(out)
}

/// Lines over x (one per series) in one panel.
fn line_chart(title: &str, x_desc: &str, y_desc: &str, series: &[(String, Vec<(f64, f64)>)]) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (640, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let (x0, x1) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.0)));
        let (_, y1) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.1)));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .map_err(e)?;
        chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw().map_err(e)?;
        for (i, (name, pts)) in series.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
                .map_err(e)?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
        }
        if !series.is_empty() {
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        root.present().map_err(e)?;
    }
    Ok(out)
}

/// Rows of a CSV file as maps (None when the file is absent).
fn read_csv(path: &Path) -> Result<Option<Vec<BTreeMap<String, String>>>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let mut r = csv::Reader::from_path(path).map_err(|x| format!("{}: {x}", path.display()))?;
    let head: Vec<String> =
        r.headers().map_err(|x| format!("{}: {x}", path.display()))?.iter().map(String::from).collect();
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec =
            rec.map_err(|x| format!("{}: line {}: {}", path.display(), i + 2, crate::workload::csv_message(&x)))?;
        out.push(head.iter().cloned().zip(rec.iter().map(String::from)).collect());
    }
    Ok(Some(out))
}

fn f(row: &BTreeMap<String, String>, k: &str) -> f64 {
    row.get(k).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

/// A chart with its caption.
struct Figure {
    file: String,
    caption: String,
    svg: String,
}

fn figures(dir: &Path, rep: &Report) -> Result<Vec<Figure>, String> {
    let mut figs = Vec::new();
    // A fleet's series are its totals (`fleet`), not each member's.
    let ts = read_csv(&dir.join("timeseries.csv"))?.map(|rows| {
        rows.into_iter().filter(|r| r.get("cluster").is_none_or(|c| c == "default" || c == "fleet")).collect::<Vec<_>>()
    });
    let pods = read_csv(&dir.join("pods.csv"))?;
    let nodes = read_csv(&dir.join("nodes.csv"))?;
    for (gi, (group, lines)) in rep.groups.iter().enumerate() {
        let tag = |what: &str| format!("report-{}-{what}.svg", gi + 1);
        if lines.iter().any(|l| l.cells["cost_usd"].0 > 0.0) {
            figs.push(Figure {
                file: tag("cost-p95"),
                caption: format!(
                    "{group}: cost against p95 pending time (mean over repetitions: seeds or trace days); the Pareto front is ringed"
                ),
                svg: cost_chart(group, lines)?,
            });
        }
        // One representative run per policy (its first seed) for the time series.
        let reps: Vec<(&str, &str)> = lines.iter().map(|l| (l.policy.as_str(), l.runs[0].as_str())).collect();
        if let Some(ts) = &ts {
            let hours = |r: &BTreeMap<String, String>| f(r, "t_s") / 3600.0;
            let pick = |col: &dyn Fn(&BTreeMap<String, String>) -> f64| -> Vec<(String, Vec<(f64, f64)>)> {
                reps.iter()
                    .map(|(p, id)| {
                        let pts = ts.iter().filter(|r| r["run_id"] == *id).map(|r| (hours(r), col(r))).collect();
                        (p.to_string(), pts)
                    })
                    .filter(|(_, v): &(String, Vec<(f64, f64)>)| !v.is_empty())
                    .collect()
            };
            let pending = pick(&|r| f(r, "pods_pending"));
            if !pending.is_empty() {
                figs.push(Figure {
                    file: tag("pending"),
                    caption: format!("{group}: pods pending over time (first seed of each policy)"),
                    svg: line_chart(&format!("{group}: pods pending"), "time (h)", "pods pending", &pending)?,
                });
                let alloc = pick(&|r| {
                    let g = f(r, "gpus_total");
                    if g > 0.0 {
                        f(r, "gpus_allocated_milli") / 10.0 / g
                    } else {
                        0.0
                    }
                });
                figs.push(Figure {
                    file: tag("gpu-alloc"),
                    caption: format!("{group}: GPU allocation, % of the GPUs present (first seed of each policy)"),
                    svg: line_chart(&format!("{group}: GPU allocation"), "time (h)", "GPU allocated (%)", &alloc)?,
                });
            }
        }
        if let (Some(nodes), Some(ts)) = (&nodes, &ts) {
            // Nodes alive by pool and capacity type, at the sample times.
            let mut series = Vec::new();
            for (p, id) in &reps {
                let times: Vec<f64> = ts.iter().filter(|r| r["run_id"] == *id).map(|r| f(r, "t_s")).collect();
                let mine: Vec<&BTreeMap<String, String>> = nodes.iter().filter(|n| n["run_id"] == *id).collect();
                let mut kinds: Vec<(String, String)> =
                    mine.iter().map(|n| (n["pool"].clone(), n["capacity_type"].clone())).collect();
                kinds.sort();
                kinds.dedup();
                for (pool, cap) in kinds {
                    let pts = times
                        .iter()
                        .map(|&t| {
                            let alive = mine
                                .iter()
                                .filter(|n| n["pool"] == pool && n["capacity_type"] == cap)
                                .filter(|n| {
                                    // Still alive at t: not terminated, or terminated after t.
                                    let end = f(n, "terminated_s");
                                    f(n, "launched_s") <= t && (end.is_nan() || end > t)
                                })
                                .count();
                            (t / 3600.0, alive as f64)
                        })
                        .collect();
                    series.push((format!("{p}: {pool} ({cap})"), pts));
                }
            }
            if !series.is_empty() && varies(&series) {
                figs.push(Figure {
                    file: tag("nodes"),
                    caption: format!("{group}: nodes by pool and capacity type (first seed of each policy)"),
                    svg: line_chart(&format!("{group}: nodes"), "time (h)", "nodes", &series)?,
                });
            }
        }
        if let Some(pods) = &pods {
            let mut series = Vec::new();
            for l in lines {
                let mut v: Vec<f64> = pods
                    .iter()
                    .filter(|r| l.runs.contains(&r["run_id"]))
                    .map(|r| f(r, "pending_s"))
                    .filter(|x| x.is_finite())
                    .collect();
                if v.is_empty() {
                    continue;
                }
                v.sort_by(f64::total_cmp);
                // At most ~400 steps per line: every pod of a small run, quantiles of a big one
                // (the last pod always, so the line reaches 100 %).
                let n = v.len();
                let step = n.div_ceil(400);
                let pts: Vec<(f64, f64)> = (0..n)
                    .filter(|i| (i + 1) % step == 0 || i + 1 == n)
                    .map(|i| (v[i], (i + 1) as f64 * 100.0 / n as f64))
                    .collect();
                series.push((l.policy.clone(), pts));
            }
            if !series.is_empty() {
                figs.push(Figure {
                    file: tag("pending-cdf"),
                    caption: format!("{group}: CDF of pending time (creation to Running), all seeds"),
                    svg: line_chart(&format!("{group}: pending time CDF"), "pending (s)", "pods (%)", &series)?,
                });
            }
        }
    }
    Ok(figs)
}

/// Whether any series changes over time (a static cluster's node counts are flat lines that say
/// nothing).
fn varies(series: &[(String, Vec<(f64, f64)>)]) -> bool {
    series.iter().any(|(_, pts)| pts.windows(2).any(|w| w[0].1 != w[1].1))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Writes `report.md`, `report.html` and the charts (`report-*.svg`) for the outputs in `dir`
/// into `out`; returns the files written.
pub fn write_report(dir: &Path, out: &Path, baseline: Option<&str>) -> Result<Vec<PathBuf>, String> {
    let rep = build(dir, baseline)?;
    let figs = figures(dir, &rep)?;
    let mut md = String::new();
    let mut html = String::new();
    let _ = writeln!(md, "# fleetsim report: {}\n", rep.name);
    let _ = writeln!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>fleetsim report: {}</title>\n<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}table{{border-collapse:collapse;font-size:90%}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}td:first-child,th:first-child{{text-align:left}}figure{{margin:1em 0}}figcaption{{color:#444}}</style></head><body>\n<h1>fleetsim report: {}</h1>",
        html_escape(&rep.name),
        html_escape(&rep.name)
    );
    let intro = format!(
        "{} runs from `{}`. Figures are means over repetitions (seeds, trace days) with a 95 % confidence interval (Student's t) where there are several; Δ columns compare with the baseline policy ({}). GPU alloc is allocated over provisioned GPU-hours for autoscaling runs; on a static cluster, the allocation at the end when no pod leaves (the packing experiment) and the time average otherwise. A column that is zero for every policy of a group is left out. Nodes removed counts every model's scale-downs in one set of names, split by reason (empty, underutilized, and Karpenter's expired nodes); pods disrupted and interruptions count evictions by them and by spot interruption notices; lost GPU-h is the work evicted jobs lost since their last checkpoint; spot saving is the cost below what the same nodes would have cost on demand. Services: tokens served in the second they arrived, seconds of demand above the serving capacity, cost per million tokens served.",
        rep.runs.len(),
        dir.display(),
        rep.baseline.as_deref().unwrap_or("the first policy of each group")
    );
    let _ = writeln!(md, "{intro}\n");
    let _ = writeln!(html, "<p>{}</p>", html_escape(&intro).replace('`', ""));
    // A packing sweep's allocation curve (written by `fleetsim sweep`) heads the report.
    let curve = std::fs::read_to_string(dir.join("allocation_curve.svg")).ok();
    if let Some(svg) = &curve {
        let caption = "GPU allocation as arrived demand grows, per policy (mean over seeds; allocation_curve.csv)";
        let _ = writeln!(md, "![{caption}](allocation_curve.svg)\n");
        let _ =
            writeln!(html, "<figure>{}<figcaption>{}</figcaption></figure>", strip_xml_decl(svg), html_escape(caption));
    }
    for (gi, (group, lines)) in rep.groups.iter().enumerate() {
        let (head, rows) = rep.table(lines);
        let _ = writeln!(md, "## {group}\n");
        let _ = writeln!(md, "| {} |", head.join(" | "));
        let _ = writeln!(
            md,
            "|{}|",
            head.iter().enumerate().map(|(i, _)| if i == 0 { "---" } else { "---:" }).collect::<Vec<_>>().join("|")
        );
        for r in &rows {
            let _ = writeln!(md, "| {} |", r.join(" | "));
        }
        let _ = writeln!(md);
        let _ = writeln!(
            html,
            "<h2>{}</h2>\n<table><tr>{}</tr>",
            html_escape(group),
            head.iter().map(|h| format!("<th>{}</th>", html_escape(h))).collect::<String>()
        );
        for r in &rows {
            let _ = writeln!(
                html,
                "<tr>{}</tr>",
                r.iter().map(|c| format!("<td>{}</td>", html_escape(c))).collect::<String>()
            );
        }
        let _ = writeln!(html, "</table>");
        let prefix = format!("report-{}-", gi + 1);
        for fig in figs.iter().filter(|f| f.file.starts_with(&prefix)) {
            let _ = writeln!(md, "![{}]({})\n", fig.caption, fig.file);
            let _ = writeln!(
                html,
                "<figure>{}<figcaption>{}</figcaption></figure>",
                strip_xml_decl(&fig.svg),
                html_escape(&fig.caption)
            );
        }
    }
    let _ = writeln!(html, "</body></html>");
    let mut written = Vec::new();
    let mut put = |name: &str, body: &str| -> io::Result<()> {
        let p = out.join(name);
        write_atomic(&p, body.as_bytes())?;
        written.push(p);
        Ok(())
    };
    let io_err = |x: io::Error| format!("writing into {}: {x}", out.display());
    for fig in &figs {
        put(&fig.file, &fig.svg).map_err(io_err)?;
    }
    if let Some(svg) = &curve {
        if out.join("allocation_curve.svg") != dir.join("allocation_curve.svg") {
            put("allocation_curve.svg", svg).map_err(io_err)?;
        }
    }
    put("report.md", &md).map_err(io_err)?;
    put("report.html", &html).map_err(io_err)?;
    Ok(written)
}

fn strip_xml_decl(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pareto_front_and_confidence_interval() {
        // (cost, p95): b dominates c; a and b trade off; d ties a on cost but is slower.
        let front = pareto(&[(1.0, 10.0), (2.0, 5.0), (3.0, 6.0), (1.0, 11.0)]);
        assert_eq!(front, [true, true, false, false]);
        let (m, h) = mean_ci(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-12);
        // sd = 1, n = 3: t(2) = 4.303, half-width 4.303 / sqrt(3).
        assert!((h - 4.303 / 3f64.sqrt()).abs() < 1e-9, "{h}");
        assert_eq!(mean_ci(&[5.0]), (5.0, 0.0));
    }
}
