//! `gpu-packing`: fill GPUs that are already shared, then idle GPUs on busy nodes, then idle
//! nodes (the FGD paper's "GPU Packing" baseline, `GpuPackingScore` in its simulator).
//!
//! Tiers, best first: (1) a shared pod fits on a partially used GPU — prefer the one with the
//! least free share; (2) the pod needs idle GPUs on a node that already runs GPU work — prefer using
//! fewer idle GPUs; (3) the node is entirely idle — prefer nodes with fewer GPUs. CPU-only pods
//! score the same everywhere (the simulator gives them the minimum score), so they go to the
//! lowest node id. Ties go to the lowest node id.

use super::{select_min, tightest_gpu, PlacementPolicy, RandomSource};
use crate::core::cluster::{ClusterState, GpuChoice, Placement};
use crate::core::model::{GpuRequest, PodSpec, MILLI_PER_GPU};

/// GPU-packing placement.
#[derive(Debug, Clone, Copy, Default)]
pub struct GpuPacking;

impl PlacementPolicy for GpuPacking {
    fn name(&self) -> &'static str {
        "gpu-packing"
    }
    fn place(&mut self, cluster: &ClusterState, pod: &PodSpec, _: &mut dyn RandomSource) -> Option<Placement> {
        select_min(cluster, pod, |c| {
            let choice = tightest_gpu(c.key, pod.gpu);
            let idle = c.key.idle_gpus();
            let score = match (pod.gpu, choice) {
                (GpuRequest::None, _) => 0.0,
                _ if idle as usize == c.key.gpu_free.len() => 3_000_000.0 + c.template.gpu_count as f64,
                (_, GpuChoice::SharedOn(free)) if free < MILLI_PER_GPU => 1_000_000.0 + free as f64,
                (_, GpuChoice::SharedOn(_)) => 2_000_000.0 + 1.0,
                (_, GpuChoice::Whole(n)) => 2_000_000.0 + n as f64,
                (_, GpuChoice::None) => 0.0,
            };
            Some((score, choice))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn shared_gpus_then_busy_nodes_then_idle_nodes() {
        let mut c = ClusterState::default();
        c.add_node(&node("idle8", 64000, 8, "G2")).unwrap(); // 0
        c.add_node(&node("idle2", 64000, 2, "G2")).unwrap(); // 1
        c.add_node(&node("busy", 64000, 4, "G2")).unwrap(); // 2
        c.bind(100, &pod(0, GpuRequest::Shared { milli: 500 }), &c.concretize(2, GpuChoice::SharedOn(1000))).unwrap();
        // A 0.3 share fits the half-used GPU of `busy` (tier 1).
        assert_eq!(place(&mut c, &mut GpuPacking, 1, &pod(1000, GpuRequest::Shared { milli: 300 })), Some(2));
        assert_eq!(c.node(2).unwrap().gpu_free[0], 200);
        // A whole GPU: `busy` still has idle GPUs and runs GPU work (tier 2).
        assert_eq!(place(&mut c, &mut GpuPacking, 2, &pod(1000, GpuRequest::Whole { count: 1 })), Some(2));
        // Four whole GPUs: only idle nodes can hold them; tier 3 prefers fewer GPUs but idle2 has
        // only 2, so idle8.
        assert_eq!(place(&mut c, &mut GpuPacking, 3, &pod(1000, GpuRequest::Whole { count: 4 })), Some(0));
        // Two whole GPUs: idle8 (now busy, 4 idle GPUs) and busy (2 idle GPUs) are tier 2 with the
        // same score, beating the idle node idle2 (tier 3); the tie goes to the lower id, idle8.
        assert_eq!(place(&mut c, &mut GpuPacking, 4, &pod(1000, GpuRequest::Whole { count: 2 })), Some(0));
    }
}
