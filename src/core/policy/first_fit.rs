//! `first-fit`: the lowest-id node that fits; a shared pod takes the tightest GPU on it.

use super::{select_min, tightest_gpu, PlacementPolicy, RandomSource};
use crate::core::cluster::{ClusterState, Placement};
use crate::core::model::PodSpec;

/// First-fit placement.
#[derive(Debug, Clone, Copy, Default)]
pub struct FirstFit;

impl PlacementPolicy for FirstFit {
    fn name(&self) -> &'static str {
        "first-fit"
    }
    fn place(&mut self, cluster: &ClusterState, pod: &PodSpec, _: &mut dyn RandomSource) -> Option<Placement> {
        // Every class scores 0: the tie-break on the lowest node id makes it first-fit.
        select_min(cluster, pod, |c| Some((0.0, tightest_gpu(c.key, pod.gpu))))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::core::model::GpuRequest;

    #[test]
    fn lowest_id_that_fits() {
        let mut c = ClusterState::default();
        c.add_node(&node("n0", 4000, 1, "T4")).unwrap();
        c.add_node(&node("n1", 32000, 2, "T4")).unwrap();
        c.add_node(&node("n2", 32000, 2, "T4")).unwrap();
        let mut p = FirstFit;
        // 8 cores do not fit n0 (4 cores): n1 is the lowest id that fits.
        assert_eq!(place(&mut c, &mut p, 1, &pod(8000, GpuRequest::Shared { milli: 500 })), Some(1));
        // n0 fits 1 core + 1 GPU.
        assert_eq!(place(&mut c, &mut p, 2, &pod(1000, GpuRequest::Whole { count: 1 })), Some(0));
        // n1 has GPUs (500, 1000): a 0.4 share takes the tightest, GPU 0 (500 free).
        assert_eq!(place(&mut c, &mut p, 3, &pod(1000, GpuRequest::Shared { milli: 400 })), Some(1));
        assert_eq!(c.node(1).unwrap().gpu_free, vec![100, 1000]);
        assert_eq!(place(&mut c, &mut p, 4, &pod(1000, GpuRequest::Whole { count: 3 })), None);
    }
}
