//! `dot-product`: the Tetris alignment heuristic as the FGD paper's simulator configures it
//! (`DotProductScore`, normalised by the node's capacity).
//!
//! For each way to place the pod on a node (each GPU it could share, or its whole GPUs), the
//! node's residual vector and the pod's request vector, both divided by the node's capacity, are
//! multiplied over the dimensions CPU and GPU; the simulator scores `1 − dot` and keeps the
//! maximum, i.e. it prefers the **smallest** dot product, and so does fleetsim. For a shared pod
//! the GPU dimension is that one GPU (free share × requested share, over 1000²); for whole-GPU pods
//! it is the node's total free GPU × requested GPU over the node's GPU capacity². Ties go to the
//! lowest node id, and within a node to the first (tightest) GPU.

use super::{gpu_choices, select_min, PlacementPolicy, RandomSource};
use crate::core::cluster::{ClusterState, GpuChoice, Placement};
use crate::core::model::{PodSpec, MILLI_PER_GPU};

/// Dot-product placement.
#[derive(Debug, Clone, Copy, Default)]
pub struct DotProduct;

impl PlacementPolicy for DotProduct {
    fn name(&self) -> &'static str {
        "dot-product"
    }
    fn place(&mut self, cluster: &ClusterState, pod: &PodSpec, _: &mut dyn RandomSource) -> Option<Placement> {
        select_min(cluster, pod, |c| {
            let cap_cpu = c.template.cpu_milli.max(1) as f64;
            let cpu = (c.key.free_cpu as f64 / cap_cpu) * (pod.cpu_milli as f64 / cap_cpu);
            let mut best: Option<(f64, GpuChoice)> = None;
            for choice in gpu_choices(c.key, pod.gpu) {
                let gpu = match choice {
                    GpuChoice::None => 0.0,
                    GpuChoice::SharedOn(free) => {
                        let m = MILLI_PER_GPU as f64;
                        (free as f64 / m) * (pod.gpu.per_gpu_milli() as f64 / m)
                    }
                    GpuChoice::Whole(_) => {
                        let cap = (c.template.gpu_count as f64 * MILLI_PER_GPU as f64).max(1.0);
                        (c.key.gpu_free_total() as f64 / cap) * (pod.gpu.total_milli() as f64 / cap)
                    }
                };
                let dims = if pod.gpu.gpus() > 0 { 2.0 } else { 1.0 };
                let score = (cpu + gpu) / dims;
                if best.is_none_or(|(b, _)| score.total_cmp(&b).is_lt()) {
                    best = Some((score, choice));
                }
            }
            best
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::core::model::GpuRequest;

    #[test]
    fn prefers_the_least_aligned_residual() {
        let mut c = ClusterState::default();
        c.add_node(&node("a", 32000, 2, "T4")).unwrap();
        c.add_node(&node("b", 32000, 2, "T4")).unwrap();
        // Load node a's GPU 0 to 800 used: a's GPUs free (200, 1000).
        c.bind(100, &pod(0, GpuRequest::Shared { milli: 800 }), &c.concretize(0, GpuChoice::SharedOn(1000))).unwrap();
        // A 0.2 share with 1 core: on a/GPU0 the GPU term is 0.2*0.2 = 0.04, on any idle GPU it is
        // 1.0*0.2 = 0.2; the CPU terms are equal -> a, GPU 0.
        let pl = DotProduct.place(&c, &pod(1000, GpuRequest::Shared { milli: 200 }), &mut Seq(1)).unwrap();
        assert_eq!((pl.node, pl.gpus.clone()), (0, vec![0]));
    }
}
