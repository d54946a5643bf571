//! The packing experiment's table and plot: GPU allocation versus arrived GPU demand, mean over
//! seeds, one line per policy, one panel per workload.

use plotters::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Mean and spread of allocation at each arrived-demand percentage, per (workload, policy).
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// (workload, policy) -> arrived_pct -> allocation % of each seed.
    pub cells: BTreeMap<(String, String), BTreeMap<u32, Vec<f64>>>,
    /// (workload, policy) -> arrived_pct -> fragmentation % of capacity, each seed.
    pub frag: BTreeMap<(String, String), BTreeMap<u32, Vec<f64>>>,
    /// Policy order as first seen.
    pub policies: Vec<String>,
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 { v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (m, var.sqrt())
}

impl Table {
    /// Collects the curves of an `allocation_curve.csv` text (its `workload`, `policy`,
    /// `arrived_pct`, `gpu_alloc_pct` and `frag_pct` columns; one row per run and percentage).
    pub fn from_csv(text: &str) -> Result<Self, String> {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let head: Vec<String> = r.headers().map_err(|e| e.to_string())?.iter().map(String::from).collect();
        let col = |name: &str| {
            head.iter().position(|h| h == name).ok_or_else(|| format!("allocation_curve.csv has no `{name}` column"))
        };
        let (w, p, x, a, f) =
            (col("workload")?, col("policy")?, col("arrived_pct")?, col("gpu_alloc_pct")?, col("frag_pct")?);
        let mut t = Table::default();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| e.to_string())?;
            let num = |c: usize| -> Result<f64, String> {
                rec.get(c)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| format!("allocation_curve.csv line {}: `{}` is not a number", i + 2, head[c]))
            };
            let policy = rec.get(p).unwrap_or("").to_string();
            if !t.policies.contains(&policy) {
                t.policies.push(policy.clone());
            }
            let key = (rec.get(w).unwrap_or("").to_string(), policy);
            let pct = num(x)? as u32;
            t.cells.entry(key.clone()).or_default().entry(pct).or_default().push(num(a)?);
            t.frag.entry(key).or_default().entry(pct).or_default().push(num(f)?);
        }
        Ok(t)
    }

    fn workloads(&self) -> Vec<String> {
        let mut w: Vec<String> = self.cells.keys().map(|k| k.0.clone()).collect();
        w.dedup();
        w
    }

    /// A Markdown table: allocation at 100 % and at the last arrived percentage, and the
    /// fragmentation at 100 %, mean ± sample standard deviation over seeds.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "| workload | policy | seeds | GPU alloc % at 100% arrived | GPU alloc % at end | frag % of capacity at 100% arrived |");
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|");
        for w in self.workloads() {
            for p in &self.policies {
                let key = (w.clone(), p.clone());
                let Some(cells) = self.cells.get(&key) else { continue };
                let at = |m: &BTreeMap<u32, Vec<f64>>, pct: u32| m.get(&pct).map(|v| mean_sd(v));
                let last = cells.keys().next_back().copied().unwrap_or(0);
                let fmt =
                    |x: Option<(f64, f64)>| x.map(|(m, sd)| format!("{m:.2} ± {sd:.2}")).unwrap_or_else(|| "–".into());
                let seeds = cells.values().next().map(Vec::len).unwrap_or(0);
                let _ = writeln!(
                    s,
                    "| {w} | {p} | {seeds} | {} | {} | {} |",
                    fmt(at(cells, 100)),
                    fmt(at(cells, last)),
                    fmt(self.frag.get(&key).and_then(|f| at(f, 100)))
                );
            }
        }
        s
    }
}

/// Renders the curves as SVG (text as SVG `<text>`, no font files needed).
pub fn svg(t: &Table) -> Result<String, String> {
    let workloads = t.workloads();
    let cols = 2usize.min(workloads.len().max(1));
    let rows = workloads.len().div_ceil(cols).max(1);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (560 * cols as u32, 420 * rows as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let panels = root.split_evenly((rows, cols));
        for (w, area) in workloads.iter().zip(panels.iter()) {
            let max_x = t
                .cells
                .iter()
                .filter(|(k, _)| &k.0 == w)
                .filter_map(|(_, m)| m.keys().next_back())
                .max()
                .copied()
                .unwrap_or(100);
            let mut chart = ChartBuilder::on(area)
                .caption(w.as_str(), ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(48)
                .build_cartesian_2d(0f64..max_x as f64, 0f64..100f64)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("arrived GPU demand (% of capacity)")
                .y_desc("GPU allocated (%)")
                .draw()
                .map_err(|e| e.to_string())?;
            for (i, p) in t.policies.iter().enumerate() {
                let Some(cells) = t.cells.get(&(w.clone(), p.clone())) else { continue };
                let color = super::chart::color(i);
                let pts: Vec<(f64, f64)> = cells.iter().map(|(x, v)| (*x as f64, mean_sd(v).0)).collect();
                chart
                    .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(p.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
            }
            super::chart::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}
