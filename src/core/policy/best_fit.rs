//! `best-fit`: the node left with the least resources after placement.
//!
//! As in the FGD paper's simulator (`BestFitScore`), the leftover is the weighted sum
//! `0.5 · (cpu_free − cpu_req) / MaxCpu + 0.5 · (gpu_free − gpu_req) / MaxGpu`, normalised by the
//! largest node's CPU and GPU capacity in the cluster (`MaxSpec`). Because the request and the
//! normalisers are the same for every node, fleetsim compares the exact integer
//! `(cpu_free − cpu_req) · MaxGpu + (gpu_free − gpu_req) · MaxCpu`; the simulator rounds the score
//! to an integer 0..100 and breaks ties at random, fleetsim breaks ties on the lowest node id.
//! A shared pod takes the tightest GPU on the chosen node.

use std::cell::Cell;

use super::{scan, tightest_gpu, Flow, PlacementPolicy, RandomSource};
use crate::core::cluster::{ClusterState, GpuChoice, Placement, RunKey};
use crate::core::model::{NodeId, PodSpec, MILLI_PER_GPU};

/// Best-fit placement.
#[derive(Debug, Clone, Copy, Default)]
pub struct BestFit;

/// (MaxCpu, MaxGpu in milli) over the cluster's templates, each at least 1.
pub(crate) fn max_spec(cluster: &ClusterState) -> (u64, u64) {
    let cpu = cluster.templates().iter().map(|t| t.cpu_milli).max().unwrap_or(1).max(1);
    let gpu = cluster.templates().iter().map(|t| t.gpu_count as u64 * MILLI_PER_GPU as u64).max().unwrap_or(1).max(1);
    (cpu, gpu)
}

/// A lower bound on the free milli-GPU of every class of a run (a GPU state): its idle GPUs
/// when it has any, else its largest free share. Non-decreasing in the index's
/// `(idle, max_free)` order, which is what lets the scan stop.
fn gpu_floor(key: RunKey) -> u64 {
    if key.idle > 0 {
        key.idle as u64 * MILLI_PER_GPU as u64
    } else {
        key.max_free as u64
    }
}

impl PlacementPolicy for BestFit {
    fn name(&self) -> &'static str {
        "best-fit"
    }
    /// Branch and bound over the class index. Runs arrive in ascending [`gpu_floor`], and within
    /// a run classes ascend in free CPU, so `(cpu_free − cpu_req) · MaxGpu + (floor − gpu_req) ·
    /// MaxCpu` bounds every class still to come in the run, and its GPU term every later run:
    /// once a bound exceeds the best score found, the run (or the scan) is skipped. Before a run
    /// is searched its least free CPU gives the same bound for all of it. Exact: only classes
    /// that score strictly worse are skipped, so ties still go to the lowest node id.
    fn place(&mut self, cluster: &ClusterState, pod: &PodSpec, _: &mut dyn RandomSource) -> Option<Placement> {
        let (max_cpu, max_gpu) = max_spec(cluster);
        let g = pod.gpu.total_milli();
        // Both closures read and write these: cells, not two mutable borrows.
        let best: Cell<Option<(u64, NodeId, GpuChoice)>> = Cell::new(None);
        let floor_score = Cell::new(0u64);
        scan(
            cluster,
            pod,
            |key, run| {
                floor_score.set(gpu_floor(key).saturating_sub(g) * max_cpu);
                let cpu_floor = run.min_free_cpu().saturating_sub(pod.cpu_milli) * max_gpu;
                match best.get() {
                    Some((b, _, _)) if floor_score.get() > b => Flow::Stop,
                    Some((b, _, _)) if floor_score.get() + cpu_floor > b => Flow::SkipRun,
                    _ => Flow::Continue,
                }
            },
            |c| {
                let cpu_left = (c.key.free_cpu - pod.cpu_milli) * max_gpu;
                let score = cpu_left + (c.key.gpu_free_total() - g) * max_cpu;
                let b = match best.get() {
                    Some((b, n, _)) if (b, n) <= (score, c.first) => b,
                    _ => {
                        best.set(Some((score, c.first, tightest_gpu(c.key, pod.gpu))));
                        score
                    }
                };
                if cpu_left + floor_score.get() > b {
                    Flow::SkipRun
                } else {
                    Flow::Continue
                }
            },
        );
        best.get().map(|(_, node, choice)| cluster.concretize(node, choice))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::core::model::GpuRequest;

    #[test]
    fn picks_the_node_left_emptiest() {
        let mut c = ClusterState::default();
        c.add_node(&node("big", 64000, 8, "V100M16")).unwrap(); // 0
        c.add_node(&node("mid", 32000, 4, "V100M16")).unwrap(); // 1
        c.add_node(&node("cpu", 16000, 0, "")).unwrap(); // 2
        let mut p = BestFit;
        // MaxCpu 64000, MaxGpu 8000. A 1-GPU, 4-core pod leaves
        //   big: (60000 * 8000 + 7000 * 64000) = 928e6,  mid: (28000 * 8000 + 3000 * 64000) = 416e6
        // -> mid (the cpu node has no GPU).
        assert_eq!(place(&mut c, &mut p, 1, &pod(4000, GpuRequest::Whole { count: 1 })), Some(1));
        // A CPU-only 8-core pod leaves cpu: 8000*8000 + 0 = 64e6, mid: 20000*8000 + 3000*64000 = 352e6 -> cpu.
        assert_eq!(place(&mut c, &mut p, 2, &pod(8000, GpuRequest::None)), Some(2));
    }

    #[test]
    fn ties_go_to_the_lowest_id() {
        let mut c = ClusterState::default();
        for i in 0..3 {
            c.add_node(&node(&format!("n{i}"), 8000, 1, "T4")).unwrap();
        }
        assert_eq!(place(&mut c, &mut BestFit, 1, &pod(1000, GpuRequest::None)), Some(0));
        // n0 now has less left: it is still the best fit.
        assert_eq!(place(&mut c, &mut BestFit, 2, &pod(1000, GpuRequest::None)), Some(0));
    }
}
