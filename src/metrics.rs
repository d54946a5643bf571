//! Run summaries: allocation, fragmentation and pending-time figures from a finished run.

use crate::core::{cluster_fragment_milli, ClusterState, Workload, MILLI_PER_GPU};
use crate::engine::{Outcome, SimResult};

/// A run's figures, in `summary.csv` column order (after the identifying columns).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// (column, formatted value).
    pub figures: Vec<(&'static str, String)>,
}

/// Nearest-rank percentile of sorted values (`q` in 0..=100).
pub fn percentile(sorted: &[u64], q: u32) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q as usize * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

fn pct(num: u64, den: u64) -> String {
    if den == 0 {
        "0.0000".into()
    } else {
        format!("{:.4}", num as f64 * 100.0 / den as f64)
    }
}

fn secs(ms: Option<u64>) -> String {
    ms.map(|v| format!("{:.3}", v as f64 / 1000.0)).unwrap_or_default()
}

/// Computes the summary of a run that ended with `cluster`.
pub fn summarize(r: &SimResult, cluster: &ClusterState, frag_workload: &Workload) -> Summary {
    let tot = cluster.totals();
    let cap = tot.gpus * MILLI_PER_GPU as u64;
    let mut pending: Vec<u64> = r.pods.iter().filter_map(|p| p.scheduled.map(|s| s.0 - p.created.0)).collect();
    pending.sort_unstable();
    let count = |o: Outcome| r.pods.iter().filter(|p| p.outcome == o).count().to_string();
    let scheduled = r.pods.iter().filter(|p| p.scheduled.is_some()).count();
    let demand: u64 = r.pods.iter().map(|p| p.gpu_milli).sum();
    let mean = if pending.is_empty() { None } else { Some(pending.iter().sum::<u64>() / pending.len() as u64) };
    let avg_alloc = if r.end.0 == 0 || cap == 0 {
        "0.0000".to_string()
    } else {
        format!("{:.4}", r.gpu_alloc_integral as f64 * 100.0 / (cap as f64 * r.end.0 as f64))
    };
    let frag = cluster_fragment_milli(cluster, frag_workload);
    let figures = vec![
        ("pods", r.pods.len().to_string()),
        ("pods_scheduled", scheduled.to_string()),
        ("pods_never_scheduled", (r.pods.len() - scheduled).to_string()),
        ("pods_dropped", count(Outcome::Dropped)),
        ("pods_pending_end", count(Outcome::Pending)),
        ("pods_completed", count(Outcome::Completed)),
        ("nodes", tot.nodes.to_string()),
        ("gpus", tot.gpus.to_string()),
        ("gpu_demand_milli", demand.to_string()),
        ("gpu_alloc_pct_end", pct(tot.gpu_milli_allocated, cap)),
        ("gpu_alloc_pct_peak", pct(r.peak_gpu_allocated_milli, cap)),
        ("gpu_alloc_pct_time_avg", avg_alloc),
        ("cpu_alloc_pct_end", pct(tot.cpu_allocated, tot.cpu_capacity)),
        ("mem_alloc_pct_end", pct(tot.mem_allocated, tot.mem_capacity)),
        ("frag_pct_end", if cap == 0 { "0.0000".into() } else { format!("{:.4}", frag * 100.0 / cap as f64) }),
        ("pending_mean_s", secs(mean)),
        ("pending_p50_s", secs(percentile(&pending, 50))),
        ("pending_p95_s", secs(percentile(&pending, 95))),
        ("pending_p99_s", secs(percentile(&pending, 99))),
        ("pending_max_s", secs(pending.last().copied())),
        ("events", r.events.to_string()),
        ("sim_end_s", format!("{:.3}", r.end.as_secs_f64())),
    ];
    Summary { figures }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), Some(50));
        assert_eq!(percentile(&v, 95), Some(95));
        assert_eq!(percentile(&v, 100), Some(100));
        assert_eq!(percentile(&[7], 99), Some(7));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
    }
}
