//! Writing outputs: CSV files with a header row, `run.json`, and the allocation-curve plot and
//! table. Every file is written to a temporary name and renamed, so an interrupted run never
//! leaves a partial file that looks complete. CSVs hold no wall-clock figure.

mod chart;
pub mod compare;
pub mod curve;
mod figures;
pub mod store;
mod svg;
mod table;

use crate::experiment::RunOutput;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// Output format version, recorded in `run.json`.
pub const FORMAT_VERSION: u32 = 1;

/// Writes `contents` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let r = std::fs::write(&tmp, contents).and_then(|_| std::fs::rename(&tmp, path));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp); // a failed write leaves nothing behind
    }
    r
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn line(out: &mut String, fields: impl IntoIterator<Item = String>) {
    let v: Vec<String> = fields.into_iter().map(|f| csv_field(&f)).collect();
    out.push_str(&v.join(","));
    out.push('\n');
}

fn secs(t: Option<crate::engine::SimTime>) -> String {
    t.map(|t| format!("{:.3}", t.as_secs_f64())).unwrap_or_default()
}

/// The values of a run's sweep parameters, in `axes` order (empty for a missing one).
fn params<'a>(r: &'a RunOutput, axes: &'a [String]) -> impl Iterator<Item = String> + 'a {
    axes.iter().map(|a| r.params.iter().find(|(k, _)| k == a).map(|(_, v)| v.clone()).unwrap_or_default())
}

/// `summary.csv`: one row a run. `axes` are the sweep's parameter columns.
pub fn summary_csv(runs: &[&RunOutput], axes: &[String]) -> String {
    let mut out = String::new();
    let Some(first) = runs.first() else { return out };
    let mut head: Vec<String> =
        ["run_id", "scenario", "workload", "policy", "seed"].iter().map(|s| s.to_string()).collect();
    head.extend(axes.iter().cloned());
    head.extend(first.summary.figures.iter().map(|(k, _)| k.to_string()));
    head.push("scenario_hash".into());
    line(&mut out, head);
    for r in runs {
        let mut row =
            vec![r.run_id.clone(), r.scenario.clone(), r.workload.clone(), r.policy.clone(), r.seed.to_string()];
        row.extend(params(r, axes));
        row.extend(r.summary.figures.iter().map(|(_, v)| v.clone()));
        row.push(r.scenario_hash.clone());
        line(&mut out, row);
    }
    out
}

/// `members.csv`: a fleet run's figures per member cluster (the summary's columns), beside the
/// fleet's totals in `summary.csv`.
pub fn members_csv(runs: &[&RunOutput], axes: &[String]) -> String {
    let mut out = String::new();
    let Some(first) = runs.iter().find_map(|r| r.members.first()) else { return out };
    let mut head: Vec<String> = ["run_id", "cluster", "region"].iter().map(|s| s.to_string()).collect();
    head.extend(axes.iter().cloned());
    head.extend(first.summary.figures.iter().map(|(k, _)| k.to_string()));
    line(&mut out, head);
    for r in runs {
        for m in &r.members {
            let mut row = vec![r.run_id.clone(), m.name.clone(), m.region.clone()];
            row.extend(params(r, axes));
            row.extend(m.summary.figures.iter().map(|(_, v)| v.clone()));
            line(&mut out, row);
        }
    }
    out
}

/// `pods.csv`.
pub fn pods_csv(runs: &[&RunOutput], axes: &[String]) -> String {
    let mut out = String::new();
    line(
        &mut out,
        [
            "run_id",
            "pod",
            "created_s",
            "scheduled_s",
            "finished_s",
            "pending_s",
            "node",
            "outcome",
            "gpu_milli",
            "reason",
            "running_s",
            "cluster",
        ]
        .map(String::from)
        .into_iter()
        .chain(axes.iter().cloned()),
    );
    for r in runs {
        for (cluster, pods, nodes) in parts(r) {
            let names: std::collections::BTreeMap<u32, &str> =
                nodes.iter().filter_map(|n| n.id.map(|id| (id, n.name.as_str()))).collect();
            let node_name = |id: u32| names.get(&id).map(|n| n.to_string()).unwrap_or_else(|| id.to_string());
            for p in pods {
                line(
                    &mut out,
                    [
                        r.run_id.clone(),
                        p.name.clone(),
                        secs(Some(p.created)),
                        secs(p.scheduled),
                        secs(p.finished),
                        secs(p.running.map(|s| crate::engine::SimTime(s.0 - p.created.0))),
                        p.node.map(node_name).unwrap_or_default(),
                        p.outcome.as_str().to_string(),
                        p.gpu_milli.to_string(),
                        p.reason.clone(),
                        secs(p.running),
                        cluster.to_string(),
                    ]
                    .into_iter()
                    .chain(params(r, axes)),
                );
            }
        }
    }
    out
}

/// A run's clusters: (name, pods, nodes) of each fleet member, or the one cluster `default`.
fn parts(r: &RunOutput) -> Vec<(&str, &[crate::sim::PodRecord], &[crate::sim::NodeRow])> {
    if r.members.is_empty() {
        vec![("default", &r.result.pods[..], &r.nodes[..])]
    } else {
        r.members.iter().map(|m| (m.name.as_str(), &m.result.pods[..], &m.nodes[..])).collect()
    }
}

/// `nodes.csv`. Nodes of a static cluster exist from t = 0 and cost nothing (no price given);
/// autoscaled nodes are billed per second from launch request to termination (or the run's end).
pub fn nodes_csv(runs: &[&RunOutput], axes: &[String]) -> String {
    let mut out = String::new();
    line(
        &mut out,
        [
            "run_id",
            "node",
            "cluster",
            "pool",
            "instance_type",
            "capacity_type",
            "zone",
            "gpus",
            "launched_s",
            "ready_s",
            "terminated_s",
            "termination_reason",
            "cost_usd",
        ]
        .map(String::from)
        .into_iter()
        .chain(axes.iter().cloned()),
    );
    for r in runs {
        for (cluster, _, nodes) in parts(r) {
            for n in nodes {
                line(
                    &mut out,
                    [
                        r.run_id.clone(),
                        n.name.clone(),
                        cluster.to_string(),
                        n.pool.clone(),
                        n.instance_type.clone(),
                        n.capacity_type.clone(),
                        n.zone.clone(),
                        n.gpus.to_string(),
                        secs(Some(n.launched)),
                        secs(n.ready),
                        secs(n.terminated),
                        n.reason.clone(),
                        usd(n.cost_until(r.result.end)),
                    ]
                    .into_iter()
                    .chain(params(r, axes)),
                );
            }
        }
    }
    out
}

use crate::market::usd;

/// `events.csv`: Kubernetes-style events of autoscaling runs, in time order.
pub fn events_csv(runs: &[&RunOutput], axes: &[String]) -> String {
    let mut out = String::new();
    line(
        &mut out,
        ["run_id", "t_s", "cluster", "reason", "object", "message"]
            .map(String::from)
            .into_iter()
            .chain(axes.iter().cloned()),
    );
    for r in runs {
        // A fleet's own events, then its members', merged in time order (stable).
        let mut all: Vec<(&str, &crate::sim::EventRow)> = Vec::new();
        let own = if r.members.is_empty() { "default" } else { "fleet" };
        all.extend(r.events.iter().map(|e| (own, e)));
        for m in &r.members {
            all.extend(m.events.iter().map(|e| (m.name.as_str(), e)));
        }
        all.sort_by_key(|(_, e)| e.t);
        for (cluster, e) in all {
            line(
                &mut out,
                [
                    r.run_id.clone(),
                    secs(Some(e.t)),
                    cluster.to_string(),
                    e.kind.to_string(),
                    e.object.clone(),
                    e.message.clone(),
                ]
                .into_iter()
                .chain(params(r, axes)),
            );
        }
    }
    out
}

/// `timeseries.csv`.
pub fn timeseries_csv(runs: &[&RunOutput], axes: &[String]) -> String {
    let mut out = String::new();
    line(
        &mut out,
        [
            "run_id",
            "t_s",
            "cluster",
            "nodes_ready",
            "nodes_launching",
            "gpus_total",
            "gpus_allocated_milli",
            "pods_pending",
            "pods_running",
            "cost_usd_cum",
        ]
        .map(String::from)
        .into_iter()
        .chain(axes.iter().cloned()),
    );
    for r in runs {
        // A fleet: each member's samples, then the fleet's totals.
        let mut series: Vec<(&str, &[crate::sim::Sample])> =
            r.members.iter().map(|m| (m.name.as_str(), &m.result.samples[..])).collect();
        series.push((if r.members.is_empty() { "default" } else { "fleet" }, &r.result.samples[..]));
        for (cluster, s) in series.into_iter().flat_map(|(c, v)| v.iter().map(move |s| (c, s))) {
            line(
                &mut out,
                [
                    r.run_id.clone(),
                    secs(Some(s.t)),
                    cluster.to_string(),
                    s.nodes_ready.to_string(),
                    s.nodes_launching.to_string(),
                    s.gpus_total.to_string(),
                    s.gpus_allocated_milli.to_string(),
                    s.pods_pending.to_string(),
                    s.pods_running.to_string(),
                    usd(s.cost_micro),
                ]
                .into_iter()
                .chain(params(r, axes)),
            );
        }
    }
    out
}

/// `allocation_curve.csv`: GPU allocation (and fragmentation) as arrived GPU demand grows.
pub fn curve_csv(runs: &[&RunOutput], axes: &[String]) -> String {
    let mut out = String::new();
    line(
        &mut out,
        ["workload", "policy", "seed", "arrived_pct", "gpu_alloc_pct", "frag_pct", "frag_rate_pct", "run_id"]
            .map(String::from)
            .into_iter()
            .chain(axes.iter().cloned()),
    );
    for r in runs {
        let cap = r.gpu_capacity_milli.max(1) as f64;
        for c in &r.result.curve {
            let rate = if c.idle_milli == 0 { 0.0 } else { c.frag_milli * 100.0 / c.idle_milli as f64 };
            line(
                &mut out,
                [
                    r.workload.clone(),
                    r.policy.clone(),
                    r.seed.to_string(),
                    c.arrived_pct.to_string(),
                    format!("{:.4}", c.gpu_allocated_milli as f64 * 100.0 / cap),
                    format!("{:.4}", c.frag_milli * 100.0 / cap),
                    format!("{rate:.4}"),
                    r.run_id.clone(),
                ]
                .into_iter()
                .chain(params(r, axes)),
            );
        }
    }
    out
}

/// Files whose rows concatenate across runs, in the order they are written.
pub const ROW_FILES: [&str; 7] =
    ["summary.csv", "pods.csv", "nodes.csv", "timeseries.csv", "events.csv", "allocation_curve.csv", "members.csv"];

/// The fixed header lines of the row files (what a stored fragment's layout depends on beside the
/// summary's columns), for [`store::run_key`]: a build that writes other
/// columns does not reuse a stored run.
pub fn row_headers() -> String {
    [pods_csv(&[], &[]), nodes_csv(&[], &[]), timeseries_csv(&[], &[]), events_csv(&[], &[]), curve_csv(&[], &[])]
        .concat()
        + &ROW_FILES.join(",")
}

/// One run's share of the row files: (file name, its header line and the run's rows).
pub type Fragment = Vec<(String, String)>;

/// The rows `r` contributes to each row file (with the header line), as its scenario's `output`
/// section asks. Concatenating the fragments of runs in matrix order gives the sweep's files.
pub fn fragment(r: &RunOutput, axes: &[String]) -> Fragment {
    let one = [r];
    let mut v = vec![("summary.csv", summary_csv(&one, axes))];
    if r.output.pods {
        v.push(("pods.csv", pods_csv(&one, axes)));
    }
    if r.output.nodes {
        v.push(("nodes.csv", nodes_csv(&one, axes)));
    }
    if r.output.timeseries {
        v.push(("timeseries.csv", timeseries_csv(&one, axes)));
    }
    if r.output.events && !r.events.is_empty() {
        v.push(("events.csv", events_csv(&one, axes)));
    }
    if !r.result.curve.is_empty() {
        v.push(("allocation_curve.csv", curve_csv(&one, axes)));
    }
    if !r.members.is_empty() {
        v.push(("members.csv", members_csv(&one, axes)));
    }
    v.into_iter().map(|(k, t)| (k.to_string(), t)).collect()
}

/// What [`assemble`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// File names, in the order written.
    pub files: Vec<String>,
    /// The rows of the `summary.csv` written.
    pub summary: Vec<SummaryRow>,
}

/// Writes every output of `runs` into `dir`.
pub fn write_outputs(dir: &Path, runs: &[&RunOutput], axes: &[String], meta: &RunMeta) -> io::Result<Written> {
    let frags: Vec<Fragment> = runs.iter().map(|r| fragment(r, axes)).collect();
    assemble(dir, &frags, meta)
}

/// Concatenates run fragments (in run order) into the row files, derives the allocation table and
/// plot from `allocation_curve.csv`, writes `run.json`, all into `dir`.
/// The same fragments give the same bytes, however they were produced (one process, several
/// threads, or shards merged).
pub fn assemble(dir: &Path, frags: &[Fragment], meta: &RunMeta) -> io::Result<Written> {
    let mut written = Vec::new();
    let mut texts: Vec<(&str, String)> = Vec::new();
    for name in ROW_FILES {
        let mut header: Option<&str> = None;
        let mut body = String::new();
        for f in frags {
            let Some((_, text)) = f.iter().find(|(k, _)| k == name) else { continue };
            let (head, rows) = text.split_once('\n').unwrap_or((text, ""));
            match header {
                None => header = Some(head),
                Some(h) if h != head => {
                    return Err(io::Error::other(format!(
                    "{name}: runs disagree on the columns (written by different fleetsim versions?): `{h}` vs `{head}`"
                )))
                }
                Some(_) => {}
            }
            body.push_str(rows);
        }
        if let Some(h) = header {
            texts.push((name, format!("{h}\n{body}")));
        }
    }
    for (name, body) in &texts {
        write_atomic(&dir.join(name), body.as_bytes())?;
        written.push(name.to_string());
    }
    if let Some((_, curve_text)) = texts.iter().find(|(k, _)| *k == "allocation_curve.csv") {
        let table = curve::Table::from_csv(curve_text).map_err(io::Error::other)?;
        write_atomic(&dir.join("allocation_table.md"), table.markdown().as_bytes())?;
        written.push("allocation_table.md".into());
        write_atomic(&dir.join("allocation_curve.svg"), curve::svg(&table).map_err(io::Error::other)?.as_bytes())?;
        written.push("allocation_curve.svg".into());
    }
    let summary = texts.iter().find(|(k, _)| *k == "summary.csv").map(|(_, t)| t.as_str()).unwrap_or("");
    let summary = SummaryRow::parse(summary)?;
    write_atomic(&dir.join("run.json"), meta.json(&summary).as_bytes())?;
    written.push("run.json".into());
    Ok(Written { files: written, summary })
}

/// A row of `summary.csv`: the run id and every column by name, in file order.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    /// Run id.
    pub run_id: String,
    /// (column, value) in file order.
    pub columns: Vec<(String, String)>,
}

impl SummaryRow {
    /// Parses the rows of a `summary.csv` text.
    pub fn parse(text: &str) -> io::Result<Vec<SummaryRow>> {
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let head: Vec<String> = r.headers().map_err(io::Error::other)?.iter().map(String::from).collect();
        let mut out = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(io::Error::other)?;
            let columns: Vec<(String, String)> = head.iter().cloned().zip(rec.iter().map(String::from)).collect();
            let run_id = columns.first().map(|c| c.1.clone()).unwrap_or_default();
            out.push(SummaryRow { run_id, columns });
        }
        Ok(out)
    }

    /// The value of `column` (empty when absent).
    pub fn get(&self, column: &str) -> &str {
        self.columns.iter().find(|(k, _)| k == column).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

/// What `run.json` records besides the runs.
#[derive(Debug, Clone)]
pub struct RunMeta {
    /// Sweep or scenario name.
    pub name: String,
    /// Wall time of the whole command, seconds (the only wall-clock figure, kept out of CSVs).
    pub wall_time_s: f64,
    /// Threads used.
    pub threads: usize,
}

impl RunMeta {
    fn json(&self, runs: &[SummaryRow]) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{{");
        let _ = writeln!(s, "  \"format_version\": {FORMAT_VERSION},");
        let _ = writeln!(s, "  \"fleetsim_version\": \"{}\",", env!("CARGO_PKG_VERSION"));
        let _ = writeln!(s, "  \"name\": {},", serde_json::Value::from(self.name.clone()));
        let _ = writeln!(s, "  \"wall_time_s\": {:.3},", self.wall_time_s);
        let _ = writeln!(s, "  \"threads\": {},", self.threads);
        let _ = writeln!(s, "  \"runs\": [");
        for (i, r) in runs.iter().enumerate() {
            let _ = writeln!(
                s,
                "    {{\"run_id\": {}, \"scenario_hash\": \"{}\", \"seed\": {}}}{}",
                serde_json::Value::from(r.run_id.clone()),
                r.get("scenario_hash"),
                r.get("seed"),
                if i + 1 < runs.len() { "," } else { "" }
            );
        }
        let _ = writeln!(s, "  ]");
        let _ = writeln!(s, "}}");
        s
    }
}
