//! Run summaries: allocation, fragmentation and pending-time figures from a finished run.

use crate::core::{cluster_fragment_milli, ClusterState, Workload, MILLI_PER_GPU};
use crate::market::usd;
use crate::sim::{NodeRow, Outcome, RunResult, SimResult};

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

/// The summary's column names, in order (what `summarize` writes for any run).
pub fn columns() -> Vec<&'static str> {
    let empty = SimResult {
        pods: Vec::new(),
        samples: Vec::new(),
        curve: Vec::new(),
        events: 0,
        peak_gpu_allocated_milli: 0,
        gpu_alloc_integral: 0,
        gpu_capacity_integral: None,
        end: crate::engine::SimTime::ZERO,
    };
    summarize(&empty, None, &Workload::default(), None).figures.into_iter().map(|f| f.0).collect()
}

/// Computes the summary of a run. `cluster` is the final state of a packing run (fragmentation
/// and end-of-run allocation); `world` the record of an autoscaling run (cost, GPU-hours,
/// scaler counters). Pending time runs from creation to Running (image pulled, container
/// started); in packing runs that is the time to binding.
pub fn summarize(
    r: &SimResult,
    cluster: Option<&ClusterState>,
    frag_workload: &Workload,
    world: Option<&RunResult>,
) -> Summary {
    let end_sample = r.samples.last();
    let (tot_nodes, tot_gpus, alloc_end, cpu_pct, mem_pct, frag) = match cluster {
        Some(c) => {
            let t = c.totals();
            (
                t.nodes,
                t.gpus,
                t.gpu_milli_allocated,
                pct(t.cpu_allocated, t.cpu_capacity),
                pct(t.mem_allocated, t.mem_capacity),
                Some(cluster_fragment_milli(c, frag_workload)),
            )
        }
        None => (
            end_sample.map_or(0, |s| s.nodes_ready),
            end_sample.map_or(0, |s| s.gpus_total),
            end_sample.map_or(0, |s| s.gpus_allocated_milli),
            String::new(),
            String::new(),
            None,
        ),
    };
    let cap = tot_gpus * MILLI_PER_GPU as u64;
    let mut pending: Vec<u64> = r.pods.iter().filter_map(|p| p.running.map(|s| s.0 - p.created.0)).collect();
    pending.sort_unstable();
    let count = |o: Outcome| r.pods.iter().filter(|p| p.outcome == o).count().to_string();
    let scheduled = r.pods.iter().filter(|p| p.scheduled.is_some()).count();
    let demand: u64 = r.pods.iter().map(|p| p.gpu_milli).sum();
    let mean = if pending.is_empty() { None } else { Some(pending.iter().sum::<u64>() / pending.len() as u64) };
    let cap_integral = r.gpu_capacity_integral.unwrap_or(cap as u128 * r.end.0 as u128);
    let avg_alloc = if cap_integral == 0 {
        "0.0000".to_string()
    } else {
        format!("{:.4}", r.gpu_alloc_integral as f64 * 100.0 / cap_integral as f64)
    };
    let frag_pct = match frag {
        Some(f) if cap > 0 => format!("{:.4}", f * 100.0 / cap as f64),
        Some(_) => "0.0000".into(),
        None => String::new(),
    };
    let figures = vec![
        ("pods", r.pods.len().to_string()),
        ("pods_scheduled", scheduled.to_string()),
        ("pods_never_scheduled", (r.pods.len() - scheduled).to_string()),
        ("pods_dropped", count(Outcome::Dropped)),
        ("pods_pending_end", count(Outcome::Pending)),
        ("pods_completed", count(Outcome::Completed)),
        ("nodes", tot_nodes.to_string()),
        ("gpus", tot_gpus.to_string()),
        ("gpu_demand_milli", demand.to_string()),
        ("gpu_alloc_pct_end", pct(alloc_end, cap)),
        (
            "gpu_alloc_pct_peak",
            match world {
                Some(w) => format!("{:.4}", w.peak_gpu_alloc_ppm as f64 / 10_000.0),
                None => pct(r.peak_gpu_allocated_milli, cap),
            },
        ),
        ("gpu_alloc_pct_time_avg", avg_alloc),
        ("cpu_alloc_pct_end", cpu_pct),
        ("mem_alloc_pct_end", mem_pct),
        ("frag_pct_end", frag_pct),
        ("pending_mean_s", secs(mean)),
        ("pending_p50_s", secs(percentile(&pending, 50))),
        ("pending_p95_s", secs(percentile(&pending, 95))),
        ("pending_p99_s", secs(percentile(&pending, 99))),
        ("pending_max_s", secs(pending.last().copied())),
        ("events", r.events.to_string()),
        ("sim_end_s", format!("{:.3}", r.end.as_secs_f64())),
    ];
    // Autoscaling figures (zero for a static cluster, which has no price): the substrate's
    // counters and the controllers' figures.
    let c = world.map(|w| w.counters).unwrap_or_default();
    let fig = |k: &str| world.and_then(|w| w.figures.get(k).copied()).unwrap_or(0);
    let gpu_h_prov = world.map_or(0.0, |w| w.gpu_ms_provisioned as f64 / 3.6e6);
    let gpu_h_alloc = if world.is_some() { r.gpu_alloc_integral as f64 / 1000.0 / 3.6e6 } else { 0.0 };
    let mut figures = figures;
    figures.extend([
        ("cost_usd", usd(world.map_or(0, |w| w.cost_micro))),
        ("gpu_hours_provisioned", format!("{gpu_h_prov:.4}")),
        ("gpu_hours_allocated", format!("{gpu_h_alloc:.4}")),
        (
            "gpu_hours_alloc_ratio",
            if gpu_h_prov > 0.0 { format!("{:.4}", gpu_h_alloc / gpu_h_prov) } else { String::new() },
        ),
        (
            "cpu_alloc_pct_time_avg",
            world.map_or(String::new(), |w| {
                ratio_pct(w.cpu_mem_integrals.cpu_allocated, w.cpu_mem_integrals.cpu_capacity)
            }),
        ),
        (
            "mem_alloc_pct_time_avg",
            world.map_or(String::new(), |w| {
                ratio_pct(w.cpu_mem_integrals.mem_allocated, w.cpu_mem_integrals.mem_capacity)
            }),
        ),
        ("nodes_launched", c.nodes_launched.to_string()),
        ("nodes_terminated", c.nodes_terminated.to_string()),
        ("scale_ups", fig("scale_ups").to_string()),
        ("scale_downs", fig("scale_downs").to_string()),
        ("provisioning_failures", fig("provisioning_failures").to_string()),
        ("pods_evicted", c.evictions.to_string()),
        ("pods_deleted", count(Outcome::Deleted)),
    ]);
    // Karpenter disruption and spot figures.
    let end = r.end;
    let life = |n: &NodeRow| n.terminated.unwrap_or(end).min(end).0.saturating_sub(n.launched.0);
    let (mut spot_gpu_ms, mut od_cost) = (0u128, 0u64);
    for n in world.map(|w| w.nodes.as_slice()).unwrap_or(&[]) {
        if n.capacity_type == "spot" {
            spot_gpu_ms += n.gpus as u128 * life(n) as u128;
        }
        od_cost += crate::market::cost_micro(n.on_demand_micro_h, life(n));
    }
    let cost = world.map_or(0, |w| w.cost_micro);
    figures.extend([
        (
            "disruptions",
            (fig("disruptions_empty") + fig("disruptions_underutilized") + fig("disruptions_expired")).to_string(),
        ),
        ("disruptions_empty", fig("disruptions_empty").to_string()),
        ("disruptions_underutilized", fig("disruptions_underutilized").to_string()),
        ("disruptions_expired", fig("disruptions_expired").to_string()),
        ("pods_disrupted", fig("pods_disrupted").to_string()),
        ("spot_interruptions", fig("spot_interruptions").to_string()),
        ("pods_interrupted", fig("pods_interrupted").to_string()),
        ("lost_gpu_hours", format!("{:.4}", c.lost_gpu_ms as f64 / 3.6e6)),
        (
            "spot_gpu_hours_pct",
            match world {
                Some(w) if w.gpu_ms_provisioned > 0 => ratio_pct(spot_gpu_ms, w.gpu_ms_provisioned),
                _ => String::new(),
            },
        ),
        ("on_demand_cost_usd", usd(od_cost)),
        (
            "savings_vs_on_demand_pct",
            if od_cost > 0 {
                format!("{:.4}", (od_cost - cost.min(od_cost)) as f64 * 100.0 / od_cost as f64)
            } else {
                String::new()
            },
        ),
    ]);
    // Inference services (empty when the run has none).
    let has_svcs = world.is_some_and(|w| w.figures.contains_key("svc_tokens"));
    let (tok, in_time, late) = (fig("svc_tokens"), fig("svc_tokens_in_time"), fig("svc_tokens_late"));
    let put = |v: String| if has_svcs { v } else { String::new() };
    figures.extend([
        ("svc_requests", put(fig("svc_requests").to_string())),
        ("svc_tokens", put(tok.to_string())),
        (
            "svc_tokens_in_time_pct",
            put(if tok > 0 { format!("{:.4}", in_time as f64 * 100.0 / tok as f64) } else { String::new() }),
        ),
        ("svc_tokens_late", put(late.to_string())),
        ("svc_tokens_dropped", put(fig("svc_tokens_dropped").to_string())),
        ("svc_tokens_queued_end", put(fig("svc_tokens_queued_end").to_string())),
        ("svc_underprovisioned_s", put(fig("svc_underprovisioned_s").to_string())),
        ("svc_rescales", put(fig("svc_rescales").to_string())),
        (
            "cost_per_m_tokens_usd",
            put(if in_time + late > 0 {
                format!("{:.6}", cost as f64 / 1e6 / ((in_time + late) as f64 / 1e6))
            } else {
                String::new()
            }),
        ),
    ]);
    // Gang-scheduled jobs (empty when the run has none).
    let jobs = world.map(|w| w.jobs).unwrap_or_default();
    let has_jobs = jobs.jobs > 0;
    let mean = |sum: u64, n: u64| if n > 0 { format!("{:.3}", sum as f64 / n as f64 / 1000.0) } else { String::new() };
    figures.extend([
        ("jobs", if has_jobs { jobs.jobs.to_string() } else { String::new() }),
        ("jobs_completed", if has_jobs { jobs.completed.to_string() } else { String::new() }),
        ("job_queueing_mean_s", mean(jobs.queueing_ms, jobs.started)),
        ("job_completion_mean_s", mean(jobs.completion_ms, jobs.completed)),
        ("never_scheduled_reasons", never_scheduled_reasons(&r.pods, r.end)),
        // Nodes a scaler removed, by reason, in one set of names for every model (appended, so
        // the columns above keep their positions).
        ("scale_downs_empty", fig("scale_downs_empty").to_string()),
        ("scale_downs_underutilized", fig("scale_downs_underutilized").to_string()),
        ("scale_downs_expired", fig("scale_downs_expired").to_string()),
        ("scale_up_decisions", fig("scale_up_decisions").to_string()),
    ]);
    Summary { figures }
}

/// `a / b` in percent with four decimals; empty when `b` is zero.
fn ratio_pct(a: u128, b: u128) -> String {
    if b == 0 {
        String::new()
    } else {
        format!("{:.4}", a as f64 * 100.0 / b as f64)
    }
}

/// The three most frequent reasons of the pods that never scheduled, with their counts
/// (`412 × gpu: untolerated taint nvidia.com/gpu=true:NoSchedule | 1 × insufficient cpu`), most
/// frequent first, ties by reason; empty when every pod scheduled. A pod created at or after `end` is
/// counted as "created after the run's end".
pub fn never_scheduled_reasons(pods: &[crate::sim::PodRecord], end: crate::engine::SimTime) -> String {
    let mut by: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for p in pods.iter().filter(|p| p.scheduled.is_none()) {
        let why = match p.reason.as_str() {
            _ if p.created >= end => "created after the run's end",
            "" => "no reason recorded",
            r => r,
        };
        *by.entry(why).or_default() += 1;
    }
    let mut v: Vec<(&str, u64)> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut out: Vec<String> = v.iter().take(3).map(|(r, n)| format!("{n} × {r}")).collect();
    if v.len() > 3 {
        out.push(format!("{} × {} other reasons", v[3..].iter().map(|x| x.1).sum::<u64>(), v.len() - 3));
    }
    out.join(" | ")
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

    #[test]
    fn never_scheduled_reasons_count_the_commonest_first() {
        use crate::engine::SimTime;
        use crate::sim::{Outcome, PodRecord};
        let pod = |created: u64, scheduled: bool, reason: &str| PodRecord {
            id: 0,
            name: "p".into(),
            created: SimTime::from_secs(created),
            scheduled: scheduled.then_some(SimTime::from_secs(created)),
            running: None,
            finished: None,
            node: None,
            outcome: Outcome::Pending,
            gpu_milli: 0,
            reason: reason.into(),
        };
        let end = SimTime::from_secs(100);
        let mut pods = vec![pod(0, true, ""), pod(1, false, "b"), pod(2, false, "a"), pod(3, false, "b")];
        assert_eq!(never_scheduled_reasons(&pods, end), "2 × b | 1 × a", "most first; ties by reason");
        assert_eq!(never_scheduled_reasons(&pods[..1], end), "");
        pods.extend([pod(4, false, "c"), pod(5, false, ""), pod(200, false, "")]);
        assert_eq!(
            never_scheduled_reasons(&pods, end),
            "2 × b | 1 × a | 1 × c | 2 × 2 other reasons",
            "a pod with no reason, and one created after the end, fold into the rest"
        );
    }
}
