//! The FGD paper's workload inflation: after the trace's own pods, pods sampled uniformly with
//! replacement from the trace keep arriving until the arrived GPU demand reaches a target share of
//! the cluster's GPU capacity. Arrivals stop at the pod whose demand crosses the target, whether it
//! is a trace pod or a sampled copy.

use super::alibaba::TracePod;
use crate::engine::{SimTime, Stream};

/// Returns the arrivals: trace pods in order, then sampled copies named `<name>~<k>` arriving one
/// second apart after the last trace pod, truncated at the pod that brings GPU demand to
/// `target_pct` % of `capacity_milli`.
pub fn inflate_to_gpu_pct(
    trace: &[TracePod],
    capacity_milli: u64,
    target_pct: u32,
    rng: &mut Stream,
) -> Result<Vec<TracePod>, String> {
    let target = capacity_milli.saturating_mul(target_pct as u64).div_ceil(100);
    let mut out = Vec::new();
    let mut demand = 0u64;
    for p in trace {
        if demand >= target {
            return Ok(out);
        }
        demand += p.spec.gpu.total_milli();
        out.push(p.clone());
    }
    if demand >= target {
        return Ok(out);
    }
    if trace.iter().all(|p| p.spec.gpu.total_milli() == 0) {
        return Err("cannot inflate GPU demand: the trace has no pod that requests a GPU".into());
    }
    let last = trace.last().map(|p| p.created).unwrap_or_default();
    let mut k = 0u64;
    while demand < target {
        let src = &trace[rng.below(trace.len() as u64) as usize];
        k += 1;
        let mut copy = src.clone();
        copy.spec.name = format!("{}~{k}", src.spec.name);
        copy.created = last.plus(SimTime::from_secs(k));
        copy.deleted = src.deleted.map(|d| copy.created.plus(SimTime(d.0 - src.created.0)));
        demand += copy.spec.gpu.total_milli();
        out.push(copy);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{GpuRequest, PodSpec};
    use crate::engine::RngStreams;

    fn tp(name: &str, gpu: GpuRequest, t: u64) -> TracePod {
        TracePod {
            spec: PodSpec { name: name.into(), gpu, ..Default::default() },
            created: SimTime::from_secs(t),
            deleted: None,
            checkpoint: None,
            do_not_disrupt: false,
            gang: None,
            priority: 0,
        }
    }

    #[test]
    fn inflates_to_target_and_stops_at_the_crossing_pod() {
        let trace = vec![tp("a", GpuRequest::Whole { count: 1 }, 0), tp("b", GpuRequest::None, 3)];
        let mut rng = RngStreams::new(42).stream("workload/inflate");
        // Capacity 4 GPUs, target 130 % = 5200 milli: needs six 1-GPU pods in all.
        let out = inflate_to_gpu_pct(&trace, 4000, 130, &mut rng).unwrap();
        let demand: u64 = out.iter().map(|p| p.spec.gpu.total_milli()).sum();
        assert_eq!(demand, 6000);
        assert!(out.last().unwrap().spec.gpu.total_milli() > 0, "the last pod is the one that crossed");
        assert_eq!(&out[..2], &trace[..]);
        assert!(out[2].spec.name.contains('~') && out[2].created == SimTime::from_secs(4));
        // Same seed, same arrivals.
        let again = inflate_to_gpu_pct(&trace, 4000, 130, &mut RngStreams::new(42).stream("workload/inflate")).unwrap();
        assert_eq!(out, again);
        // A target below the trace's own demand truncates the trace.
        assert_eq!(inflate_to_gpu_pct(&trace, 4000, 10, &mut rng).unwrap().len(), 1);
        assert!(inflate_to_gpu_pct(&[tp("c", GpuRequest::None, 0)], 4000, 130, &mut rng).is_err());
    }
}
