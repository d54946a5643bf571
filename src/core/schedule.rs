//! One scheduling step: a placement policy plus the memory of which pod shapes fit nowhere.
//!
//! A busy cluster sees the same pod shapes fail over and over (the packing experiment drops
//! four pods in ten at the end; a pending queue retries the same pods). Between two increases of
//! free capacity (see [`ClusterState::capacity_epoch`]) resources are only taken, so a shape that
//! fit nowhere still fits nowhere: the [`Scheduler`] answers it from a table in `O(1)` instead of
//! scanning the class index again, and computes the reason once per shape and epoch.

use super::cluster::{ClusterState, Placement};
use super::hashing::{FastBuild, FastHasher};
use super::model::{GpuRequest, PodSpec, Unfit};
use super::policy::{PlacementPolicy, RandomSource};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// A policy and its "fits nowhere" table. Use one scheduler per cluster state: the table is
/// keyed by that state's capacity epoch.
pub struct Scheduler<'a> {
    policy: Box<dyn PlacementPolicy + 'a>,
    epoch: u64,
    /// Why each shape met since the epoch began fits nowhere.
    nofit: ShapeMap<Unfit>,
}

impl<'a> Scheduler<'a> {
    /// A scheduler deciding with `policy`.
    pub fn new(policy: Box<dyn PlacementPolicy + 'a>) -> Self {
        Scheduler { policy, epoch: u64::MAX, nofit: ShapeMap::default() }
    }

    /// The policy's registry name.
    pub fn policy_name(&self) -> &'static str {
        self.policy.name()
    }

    /// Where `pod` goes now, or why it fits no node. Does not bind.
    ///
    /// A policy that returns no node although one fits gets [`Unfit::Declined`], which is not
    /// remembered.
    pub fn place(
        &mut self,
        cluster: &ClusterState,
        pod: &PodSpec,
        rng: &mut dyn RandomSource,
    ) -> Result<Placement, Unfit> {
        if self.epoch != cluster.capacity_epoch() {
            self.epoch = cluster.capacity_epoch();
            self.nofit.clear();
        }
        if let Some(why) = self.nofit.get(pod) {
            return Err(why.clone());
        }
        // GPU-memory pods go by the sharing nodes' own GPU selection, whatever the policy.
        let placed = match pod.gpu {
            GpuRequest::Memory { .. } => cluster.place_gpu_memory(pod),
            _ => self.policy.place(cluster, pod, rng),
        };
        if let Some(p) = placed {
            return Ok(p);
        }
        let Some(why) = cluster.unfit_reason(pod) else { return Err(Unfit::Declined) };
        self.nofit.insert(pod, why.clone());
        Err(why)
    }
}

/// Whether two pods ask the same of the scheduler (everything but the name).
pub fn same_shape(a: &PodSpec, b: &PodSpec) -> bool {
    a.cpu_milli == b.cpu_milli
        && a.memory_mib == b.memory_mib
        && a.gpu == b.gpu
        && a.gpu_models == b.gpu_models
        && a.node_selector == b.node_selector
        && a.affinity == b.affinity
        && a.tolerations == b.tolerations
}

/// A hash of what [`same_shape`] compares, for lookups ([`super::hashing::FastHasher`]: the
/// same on every run).
pub fn shape_hash(p: &PodSpec) -> u64 {
    // Deterministic, and only used for lookups.
    let mut h = FastHasher::default();
    (p.cpu_milli, p.memory_mib, p.gpu, &p.gpu_models, &p.node_selector, &p.affinity, &p.tolerations).hash(&mut h);
    h.finish()
}

/// A map keyed by pod shape ([`same_shape`]): answers computed once per shape, for every pod of
/// it. Lookups only; nothing iterates it, so its hashing never reaches an output's order.
#[derive(Debug, Clone)]
pub struct ShapeMap<T> {
    by_hash: HashMap<u64, Vec<(PodSpec, T)>, FastBuild>,
}

impl<T> Default for ShapeMap<T> {
    fn default() -> Self {
        ShapeMap { by_hash: HashMap::default() }
    }
}

impl<T> ShapeMap<T> {
    /// The value stored for `pod`'s shape.
    pub fn get(&self, pod: &PodSpec) -> Option<&T> {
        self.by_hash.get(&shape_hash(pod))?.iter().find(|(s, _)| same_shape(s, pod)).map(|(_, v)| v)
    }
    /// Stores `value` for `pod`'s shape (the caller has checked it is not there).
    pub fn insert(&mut self, pod: &PodSpec, value: T) {
        let shape = PodSpec { name: String::new(), ..pod.clone() };
        self.by_hash.entry(shape_hash(pod)).or_default().push((shape, value));
    }
    /// Forgets every shape.
    pub fn clear(&mut self) {
        self.by_hash.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{GpuRequest, NodeSpec};
    use crate::core::policy::testutil::Seq;
    use crate::core::{PolicyName, Workload};

    fn node(name: &str, gpus: u32) -> NodeSpec {
        NodeSpec {
            name: name.into(),
            cpu_milli: 8000,
            memory_mib: 1 << 16,
            gpu_count: gpus,
            gpu_model: Some("T4".into()),
            ..Default::default()
        }
    }

    #[test]
    fn remembers_a_hopeless_shape_until_capacity_frees() {
        let mut c = ClusterState::default();
        c.add_node(&node("a", 1)).unwrap();
        let mut s = Scheduler::new(PolicyName::BestFit.build(&Workload::default()));
        let whole = |n: &str| PodSpec {
            name: n.into(),
            cpu_milli: 1000,
            memory_mib: 1024,
            gpu: GpuRequest::Whole { count: 1 },
            ..Default::default()
        };
        let p = s.place(&c, &whole("p0"), &mut Seq(1)).unwrap();
        c.bind(0, &whole("p0"), &p).unwrap();
        assert_eq!(s.place(&c, &whole("p1"), &mut Seq(1)), Err(Unfit::Gpu));
        // Same shape, other name: answered from the table, same reason.
        assert_eq!(s.place(&c, &whole("p2"), &mut Seq(1)), Err(Unfit::Gpu));
        // A different shape is not confused with it: a CPU-only pod still fits.
        let cpu = PodSpec { gpu: GpuRequest::None, ..whole("c") };
        assert!(s.place(&c, &cpu, &mut Seq(1)).is_ok());
        // Freeing the GPU bumps the epoch: the shape fits again.
        c.unbind(0).unwrap();
        assert_eq!(s.place(&c, &whole("p3"), &mut Seq(1)).map(|p| p.node), Ok(0));
        // So does adding a node.
        c.bind(0, &whole("p0"), &p).unwrap();
        assert!(s.place(&c, &whole("p4"), &mut Seq(1)).is_err());
        c.add_node(&node("b", 1)).unwrap();
        assert_eq!(s.place(&c, &whole("p5"), &mut Seq(1)).map(|p| p.node), Ok(1));
    }
}
