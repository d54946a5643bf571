//! `best-fit`: the node left with the least resources after placement.
//!
//! As in the FGD paper's simulator (`BestFitScore`), the leftover is the weighted sum
//! `0.5 · (cpu_free − cpu_req) / MaxCpu + 0.5 · (gpu_free − gpu_req) / MaxGpu`, normalised by the
//! largest node's CPU and GPU capacity in the cluster (`MaxSpec`). Because the request and the
//! normalisers are the same for every node, fleetsim compares the exact integer
//! `(cpu_free − cpu_req) · MaxGpu + (gpu_free − gpu_req) · MaxCpu`; the simulator rounds the score
//! to an integer 0..100 and breaks ties at random, fleetsim breaks ties on the lowest node id.
//! A shared pod takes the tightest GPU on the chosen node.

use super::{select_min, tightest_gpu, PlacementPolicy, RandomSource};
use crate::core::cluster::{ClusterState, Placement};
use crate::core::model::{PodSpec, MILLI_PER_GPU};

/// Best-fit placement.
#[derive(Debug, Clone, Copy, Default)]
pub struct BestFit;

/// (MaxCpu, MaxGpu in milli) over the cluster's templates, each at least 1.
pub(crate) fn max_spec(cluster: &ClusterState) -> (u64, u64) {
    let cpu = cluster.templates().iter().map(|t| t.cpu_milli).max().unwrap_or(1).max(1);
    let gpu = cluster.templates().iter().map(|t| t.gpu_count as u64 * MILLI_PER_GPU as u64).max().unwrap_or(1).max(1);
    (cpu, gpu)
}

impl PlacementPolicy for BestFit {
    fn name(&self) -> &'static str {
        "best-fit"
    }
    fn place(&mut self, cluster: &ClusterState, pod: &PodSpec, _: &mut dyn RandomSource) -> Option<Placement> {
        let (max_cpu, max_gpu) = max_spec(cluster);
        let g = pod.gpu.total_milli();
        select_min(cluster, pod, |c| {
            let cpu_left = c.key.free_cpu - pod.cpu_milli;
            let gpu_left = c.key.gpu_free_total() - g;
            let score = cpu_left as f64 * max_gpu as f64 + gpu_left as f64 * max_cpu as f64;
            Some((score, tightest_gpu(c.key, pod.gpu)))
        })
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
