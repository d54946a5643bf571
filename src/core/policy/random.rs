//! `random` (Random-fit in the FGD paper): a node drawn uniformly from those that fit, using the
//! caller's random source; a shared pod takes the tightest GPU on it.

use super::{for_each_candidate, tightest_gpu, PlacementPolicy, RandomSource};
use crate::core::cluster::{ClusterState, Placement};
use crate::core::model::{NodeId, PodSpec};

/// Random-fit placement.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomFit;

impl PlacementPolicy for RandomFit {
    fn name(&self) -> &'static str {
        "random"
    }
    fn place(&mut self, cluster: &ClusterState, pod: &PodSpec, rng: &mut dyn RandomSource) -> Option<Placement> {
        let mut total = 0usize;
        for_each_candidate(cluster, pod, |c| total += c.size);
        if total == 0 {
            return None;
        }
        // Uniform over nodes: draw an index, walk the classes in key order (a second pass, which
        // costs less than collecting them), then the class's nodes in id order. Modulo bias is
        // below 2^-40 for any realistic cluster.
        let mut k = (rng.next_u64() % total as u64) as usize;
        let mut chosen = None;
        for_each_candidate(cluster, pod, |c| {
            if chosen.is_none() {
                if k < c.size {
                    let node: Option<NodeId> = c.nodes.iter().nth(k);
                    chosen = node.map(|n| (n, tightest_gpu(c.key, pod.gpu)));
                } else {
                    k -= c.size;
                }
            }
        });
        chosen.map(|(node, g)| cluster.concretize(node, g))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::core::model::GpuRequest;

    #[test]
    fn draws_only_feasible_nodes_and_all_of_them() {
        let mut c = ClusterState::default();
        c.add_node(&node("small", 1000, 1, "T4")).unwrap();
        for i in 0..4 {
            c.add_node(&node(&format!("n{i}"), 32000, 2, "T4")).unwrap();
        }
        let p = pod(8000, GpuRequest::None);
        let mut seen = std::collections::BTreeSet::new();
        let mut rng = Seq(7);
        for _ in 0..200 {
            let pl = RandomFit.place(&c, &p, &mut rng).unwrap();
            assert_ne!(pl.node, 0, "the 1-core node cannot hold 8 cores");
            seen.insert(pl.node);
        }
        assert_eq!(seen.len(), 4, "every feasible node is drawn");
    }
}
