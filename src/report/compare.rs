//! `fleetsim report`: a policy comparison from a run's or sweep's output files, as `report.md`
//! and a self-contained `report.html` (inline SVG drawn with plotters; text is SVG `<text>`, so
//! no font file and no network are needed).
//!
//! How runs are grouped: seeds and trace windows (`workload.trace.window`) are repetitions, whose
//! mean and 95 % confidence interval (Student's t) the tables show. Of the other parameters, the
//! *policy* is `variant` when the sweep has variants, else the last parameter (e.g. the placement
//! policy in `fgd-openb`); the rest split the runs into *groups* (e.g. the workload). A run
//! without parameters is its own policy, named by its `policy` column.

use super::figures::figures;
use super::svg::{style, Style};
use super::table::{answer, cell, Kind, COLUMNS};
use super::{write_atomic, SummaryRow};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// What a report is made of.
#[derive(Debug, Clone)]
pub(super) struct Run {
    pub id: String,
    group: String,
    pub policy: String,
    /// The repetition (`seed=3 · window=147d..148d`; empty without repetitions).
    pub rep: String,
    row: SummaryRow,
}

impl Run {
    pub fn num(&self, col: &str) -> Option<f64> {
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

/// One policy's figures in a group.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub policy: String,
    pub runs: Vec<String>,
    pub cells: BTreeMap<&'static str, (f64, f64)>,
}

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

pub(super) struct Report {
    name: String,
    pub groups: Vec<(String, Vec<Line>)>,
    baseline: Option<String>,
    runs: Vec<Run>,
    /// Every policy, in the order it first appears: its index is its colour in every chart.
    policies: Vec<String>,
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
            let rep = axes
                .iter()
                .filter(|a| repeat(a))
                .map(|a| format!("{}={}", short(a), row.get(a)))
                .collect::<Vec<_>>()
                .join(" · ");
            Run { id: row.run_id.clone(), group, policy, rep, row }
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
            // The table's columns, and the pods a run had and scheduled (for the answer).
            for col in COLUMNS.iter().map(|c| c.0).chain(["pods", "pods_scheduled"]) {
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
    let mut policies: Vec<String> = Vec::new();
    for r in &runs {
        if !policies.contains(&r.policy) {
            policies.push(r.policy.clone());
        }
    }
    Ok(Report { name, groups, baseline: baseline.map(String::from), runs, policies })
}

impl Report {
    /// The style of `policy`, the same in every chart.
    pub fn style_of(&self, policy: &str) -> Style {
        style(self.policies.iter().position(|p| p == policy).unwrap_or(0))
    }

    /// The run `id`.
    pub fn run(&self, id: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }

    /// The runs of a group's lines, in summary order.
    pub fn runs_of(&self, lines: &[Line]) -> Vec<&Run> {
        let ids: std::collections::BTreeSet<&str> =
            lines.iter().flat_map(|l| l.runs.iter().map(String::as_str)).collect();
        self.runs.iter().filter(|r| ids.contains(r.id.as_str())).collect()
    }

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
        let shown: Vec<(&str, &str, Kind, usize)> = COLUMNS
            .into_iter()
            .filter(|(col, _, _, _)| {
                *col == "gpu_alloc"
                    || lines.iter().any(|l| {
                        let v = l.cells[col].0;
                        v != 0.0 && !v.is_nan()
                    })
            })
            .collect();
        let mut head = vec!["policy".to_string(), "runs".to_string()];
        for &(col, h, _, _) in &shown {
            head.push(h.to_string());
            if col == "cost_usd" || col == "pending_p95_s" {
                head.push(format!("Δ {}", h.split(" (").next().unwrap_or(h)));
            }
        }
        let rows = lines
            .iter()
            .map(|l| {
                let mut row = vec![l.policy.clone(), l.runs.len().to_string()];
                for &(col, _, kind, d) in &shown {
                    row.push(cell(l.cells[col], kind, d));
                    if col == "cost_usd" || col == "pending_p95_s" {
                        let delta = base.map(|b| (l.cells[col].0, b.cells[col].0));
                        let unit = if col == "cost_usd" { " $" } else { " s" };
                        row.push(match delta {
                            Some((x, b)) if b.abs() > 1e-12 && !x.is_nan() => format!("{:+.1} %", (x - b) * 100.0 / b),
                            Some((x, b)) if !x.is_nan() && !b.is_nan() => format!("{:+.1}{unit}", x - b),
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

/// A Markdown table cell: a `|` in a policy or group name would end the cell.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
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
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>fleetsim report: {}</title>\n<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}table{{border-collapse:collapse;font-size:90%}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}}th{{white-space:normal;vertical-align:bottom}}.wide{{max-width:100%;overflow-x:auto}}svg{{max-width:100%;height:auto}}td:first-child,th:first-child{{text-align:left}}figure{{margin:1em 0}}figcaption{{color:#444}}</style></head><body>\n<h1>fleetsim report: {}</h1>",
        html_escape(&rep.name),
        html_escape(&rep.name)
    );
    // What was compared, and the answer, first.
    let reps = rep.groups.iter().flat_map(|(_, ls)| ls.iter().map(|l| l.runs.len())).max().unwrap_or(1);
    let rep_axes: Vec<&str> = rep
        .runs
        .first()
        .map(|r| r.rep.split(" · ").filter_map(|kv| kv.split('=').next()).filter(|k| !k.is_empty()).collect())
        .unwrap_or_default();
    let each = if reps > 1 { format!(", {reps} repetitions of each ({})", rep_axes.join(", ")) } else { String::new() };
    let groups = if rep.groups.len() > 1 { format!(", in {} groups", rep.groups.len()) } else { String::new() };
    let compared = format!(
        "{} {} ({}) in {} runs{each}{groups}.",
        rep.policies.len(),
        if rep.policies.len() == 1 { "policy" } else { "policies" },
        rep.policies.join(", "),
        rep.runs.len()
    );
    let answers: Vec<(String, String)> = rep.groups.iter().map(|(g, ls)| (g.clone(), answer(ls))).collect();
    let _ = writeln!(
        md,
        "**What was compared.** {compared}

**The answer.**
"
    );
    let _ = writeln!(
        html,
        "<p><strong>What was compared.</strong> {}</p>
<p><strong>The answer.</strong></p><ul>",
        html_escape(&compared)
    );
    for (g, a) in &answers {
        let _ = writeln!(md, "- {g}: {a}");
        let _ = writeln!(html, "<li>{}: {}</li>", html_escape(g), html_escape(a));
    }
    let _ = writeln!(md);
    let _ = writeln!(html, "</ul>");
    let intro = format!(
        "How to read it: {} runs from `{}`. Figures are means over repetitions (seeds, trace days) with a 95 % confidence interval (Student's t) where there are several; an interval that would reach below zero for a quantity that cannot be negative is shown as its range from zero, `mean (0–upper)`; a count of one run is a whole number; Δ columns compare with the baseline policy ({}). GPU alloc is the percentage of provisioned GPU-hours allocated for autoscaling runs; on a static cluster, the allocation at the end when no pod leaves (the packing experiment) and the time average otherwise. A column that is zero for every policy of a group is left out. Nodes removed counts every model's scale-downs in one set of names, split by reason (empty, underutilized, and Karpenter's expired nodes); pods disrupted and interruptions count evictions by them and by spot interruption notices; lost GPU-h is the work evicted jobs lost since their last checkpoint; spot saving is the cost below what the same nodes would have cost on demand. Services: tokens served in the second they arrived, seconds of demand above the serving capacity, cost per million tokens served.",
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
        let _ = writeln!(md, "| {} |", head.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | "));
        let _ = writeln!(
            md,
            "|{}|",
            head.iter().enumerate().map(|(i, _)| if i == 0 { "---" } else { "---:" }).collect::<Vec<_>>().join("|")
        );
        for r in &rows {
            let _ = writeln!(md, "| {} |", r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | "));
        }
        let _ = writeln!(md);
        let _ = writeln!(
            html,
            "<h2>{}</h2>\n<div class=\"wide\"><table><tr>{}</tr>",
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
        let _ = writeln!(html, "</table></div>");
        let prefix = format!("report-{}-", gi + 1);
        for fig in figs.iter().filter(|f| f.file.starts_with(&prefix)) {
            let _ = writeln!(md, "![{}]({})\n", fig.caption.replace('[', "\\[").replace(']', "\\]"), fig.file);
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
    // Charts an earlier report drew that this one does not (fewer groups, a file no longer
    // written): removed, so the directory holds one report, not a mix.
    let stale: Vec<PathBuf> = std::fs::read_dir(out)
        .map_err(io_err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let chart =
                name.strip_prefix("report-").and_then(|r| r.strip_suffix(".svg")).and_then(|r| r.split_once('-'));
            chart.is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) && !written.contains(p)
        })
        .collect();
    for p in stale {
        std::fs::remove_file(&p).map_err(io_err)?;
    }
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
    fn confidence_interval() {
        let (m, h) = mean_ci(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-12);
        // sd = 1, n = 3: t(2) = 4.303, half-width 4.303 / sqrt(3).
        assert!((h - 4.303 / 3f64.sqrt()).abs() < 1e-9, "{h}");
        assert_eq!(mean_ci(&[5.0]), (5.0, 0.0));
    }
}
