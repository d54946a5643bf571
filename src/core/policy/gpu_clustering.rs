//! `gpu-clustering`: keep pods with the same GPU request together (the FGD paper's "GPU
//! Clustering" baseline, `GpuClusteringScore` in its simulator).
//!
//! A node's *tags* are the distinct GPU requests (a share like 0.46, or a whole-GPU count) of its
//! pods. Tiers, best first: the node runs only this pod's tag; it runs this tag among others; it
//! runs no GPU pod; it runs only other tags. Within a tier the node with less free GPU wins. CPU-only
//! pods score the same everywhere and go to the lowest node id. Requires
//! [`crate::core::ClusterOptions::class_by_gpu_tags`] (set by [`super::PolicyName::cluster_options`]).

use super::{select_min, tightest_gpu, PlacementPolicy, RandomSource};
use crate::core::cluster::{ClusterState, Placement};
use crate::core::model::{GpuRequest, PodSpec};

/// GPU-clustering placement.
#[derive(Debug, Clone, Copy, Default)]
pub struct GpuClustering;

impl PlacementPolicy for GpuClustering {
    fn name(&self) -> &'static str {
        "gpu-clustering"
    }
    fn place(&mut self, cluster: &ClusterState, pod: &PodSpec, _: &mut dyn RandomSource) -> Option<Placement> {
        let tag = pod.gpu.tag();
        select_min(cluster, pod, |c| {
            let tags = &c.key.gpu_tags;
            let tier = if pod.gpu == GpuRequest::None {
                0.0
            } else if tags.contains(&tag) {
                if tags.len() == 1 {
                    1.0
                } else {
                    2.0
                }
            } else if tags.is_empty() {
                3.0
            } else {
                4.0
            };
            let score = if pod.gpu == GpuRequest::None { 0.0 } else { tier * 1e9 + c.key.gpu_free_total() as f64 };
            Some((score, tightest_gpu(c.key, pod.gpu)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::core::cluster::{ClusterOptions, GpuChoice};

    #[test]
    fn same_request_kind_goes_together() {
        let mut c = ClusterState::new(ClusterOptions { class_by_gpu_tags: true });
        for i in 0..3 {
            c.add_node(&node(&format!("n{i}"), 64000, 4, "T4")).unwrap();
        }
        c.bind(100, &pod(0, GpuRequest::Shared { milli: 500 }), &c.concretize(0, GpuChoice::SharedOn(1000))).unwrap();
        c.bind(101, &pod(0, GpuRequest::Whole { count: 1 }), &c.concretize(1, GpuChoice::Whole(1))).unwrap();
        // Another 0.5 share joins n0 (only its tag).
        assert_eq!(place(&mut c, &mut GpuClustering, 1, &pod(1000, GpuRequest::Shared { milli: 500 })), Some(0));
        // A 1-GPU pod joins n1 (only its tag).
        assert_eq!(place(&mut c, &mut GpuClustering, 2, &pod(1000, GpuRequest::Whole { count: 1 })), Some(1));
        // A 0.3 share has no node of its own: the idle node n2 (tier 3) beats n0/n1 (other tags).
        assert_eq!(place(&mut c, &mut GpuClustering, 3, &pod(1000, GpuRequest::Shared { milli: 300 })), Some(2));
    }
}
