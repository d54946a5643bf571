//! cluster-autoscaler-style scale-up as a pure function of a cluster state: which node group
//! (an ACK node pool with auto scaling) grows, by how many nodes, for which pending pods.
//!
//! This is the decision the simulator's pool autoscaler takes every scan interval and the one
//! `fleetsim plan` prints for a real cluster; a production controller calls it the same way. It
//! follows cluster-autoscaler's scale-up (kubernetes/autoscaler, `core/scaleup` and the binpacking
//! estimator), simplified where said:
//!
//! - The caller passes the pods that fit no node, including nodes already on their way.
//! - For every node group and every instance type of it (ACK pools may list several; upstream
//!   models each as its own node group), [`options`] estimates on a fork of the state how many new
//!   nodes of that type the pods need, as upstream's binpacking estimator does: pods grouped by
//!   shape, the groups largest first, each pod on a node added so far or on one more node while
//!   the group has room (`max` minus its size, at most 1000 a loop). A pod the type cannot run
//!   (taints, labels, GPU model, size) is skipped. An option lists the nodes, the pods it helps,
//!   their requests, the idle share of the new nodes' GPUs (CPU on CPU types) and the hourly
//!   price.
//! - An expander chain ([`expand`], [`expander`]) picks one option; cluster-autoscaler scales
//!   one node group per loop. Pods the pick does not help wait for the next loop.
//!
//! Not modelled: `balance-similar-node-groups`, daemonset overhead on the template, pod
//! affinity, host ports and topology spread, and the estimator's time limit
//! (`--max-nodegroup-binpacking-duration`, 10 s of wall time upstream).
//!
//! # Embedding
//!
//! ```
//! use fleetsim::core::scaleup::{expand, options, Expander, Expanders, GroupType, NodeGroup};
//! use fleetsim::core::{ClusterState, GpuRequest, NodeSpec, PodSpec};
//!
//! let a10 = |gpus: u32| NodeSpec { cpu_milli: 8000 * gpus as u64, memory_mib: 30_000 * gpus as u64,
//!                                  gpu_count: gpus, gpu_model: Some("A10".into()), ..Default::default() };
//! let groups = vec![
//!     NodeGroup::new("gpu-a10-1", 10, None, vec![GroupType::new("ecs.gn7i-c8g1.2xlarge", a10(1), 1_000_000)]),
//!     NodeGroup::new("gpu-a10-4", 2, None, vec![GroupType::new("ecs.gn7i-c32g1.32xlarge", a10(4), 3_500_000)]),
//! ];
//! let pod = |name: &str| PodSpec { name: name.into(), cpu_milli: 2000, memory_mib: 8000,
//!                                  gpu: GpuRequest::Whole { count: 1 }, ..Default::default() };
//! let (p0, p1, p2) = (pod("a"), pod("b"), pod("c"));
//! let pending = [(0, &p0), (1, &p1), (2, &p2)];
//! let mut cluster = ClusterState::default(); // no node yet
//! let opts = options(&mut cluster, &groups, &pending).unwrap();
//! assert_eq!((opts[0].nodes, opts[1].nodes), (3, 1)); // three 1-GPU nodes, or one 4-GPU node
//! let pick = expand(&opts, &groups, &Expanders::one(Expander::Price), 0, |_| 0).unwrap();
//! assert_eq!(groups[opts[pick].group].name, "gpu-a10-1"); // $3.00/h against $3.50/h
//! assert_eq!(cluster.nodes().count(), 0); // estimated on a fork, reverted
//! ```

use super::cluster::{ClusterState, GpuChoice, Placement, StateError};
use super::model::{template_admits, GpuRequest, NodeId, NodeSpec, NodeTemplate, PodId, PodSpec, Unfit, MILLI_PER_GPU};
use super::policy::{NoRandom, PolicyName};
use super::schedule::{Scheduler, ShapeMap};
use super::Workload;

pub mod expander;
pub use expander::{expand, Expander, Expanders};

/// One instance type of a node group: the node it adds (labels and taints included; the zone
/// the estimate assumes) and its hourly price.
#[derive(Debug, Clone)]
pub struct GroupType {
    /// Instance type name.
    pub instance_type: String,
    /// The node a scale-up adds.
    pub node: NodeSpec,
    /// Price of one node, micro-USD per hour.
    pub price_micro_h: u64,
    template: NodeTemplate,
}

impl GroupType {
    /// An instance type adding `node` at `price_micro_h`.
    pub fn new(instance_type: impl Into<String>, node: NodeSpec, price_micro_h: u64) -> Self {
        let template = NodeTemplate::of(&node);
        GroupType { instance_type: instance_type.into(), node, price_micro_h, template }
    }

    /// Whether an empty node of this type could run `pod`, or why not.
    pub fn admits(&self, pod: &PodSpec) -> Result<(), Unfit> {
        template_admits(&self.template, pod)
    }
}

/// A node group: its instance types in order of preference, how many nodes it may still add,
/// and its priority for the `priority` expander.
#[derive(Debug, Clone)]
pub struct NodeGroup {
    /// Name (the pool's).
    pub name: String,
    /// Nodes it may still add: its `max` minus its nodes, running or on their way.
    pub room: u32,
    /// Priority for [`Expander::Priority`] (higher first); `None` when the priority
    /// expander's configuration names no priority for it (it is left out).
    pub priority: Option<i32>,
    /// Instance types, in order of preference.
    pub types: Vec<GroupType>,
}

impl NodeGroup {
    /// A node group.
    pub fn new(name: impl Into<String>, room: u32, priority: Option<i32>, types: Vec<GroupType>) -> Self {
        NodeGroup { name: name.into(), room, priority, types }
    }
}

/// Why no group can ever run `pod`: one reason per group (its first type's), `name: reason`
/// joined by `; ` (cluster-autoscaler's NotTriggerScaleUp event lists one per node group).
pub fn why_no_group(groups: &[NodeGroup], pod: &PodSpec) -> String {
    let mut out = Vec::new();
    for g in groups {
        let Some(t) = g.types.first() else { continue };
        let why = match t.admits(pod) {
            Err(u) => u.to_string(),
            Ok(()) => format!("fits {}", t.instance_type),
        };
        out.push(format!("{}: {why}", g.name));
    }
    out.join("; ")
}

/// One way to scale up: `nodes` new nodes of `groups[group].types[ty]` for `pods`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleUpOption {
    /// Index of the node group.
    pub group: usize,
    /// Index of the instance type in the group.
    pub ty: usize,
    /// Nodes to add.
    pub nodes: u32,
    /// Pods they would run, in the order given.
    pub pods: Vec<PodId>,
    /// Which of the new nodes (`0..nodes`) each of `pods` runs on.
    pub on_node: Vec<u32>,
    /// Idle share of the new nodes' GPUs (CPU for CPU types) once the pods run, per mille.
    pub waste_permille: u64,
    /// Hourly price of the new nodes, micro-USD.
    pub price_micro_h: u64,
    /// The effective CPU request of `pods`, summed (milli-cores).
    pub pod_cpu_milli: u64,
    /// Their memory requests, summed (MiB).
    pub pod_memory_mib: u64,
    /// Their GPU requests, summed (milli-GPU).
    pub pod_gpu_milli: u64,
}

/// `--max-nodes-per-scaleup`'s default: the estimator adds at most this many nodes to one group
/// in one loop (kubernetes/autoscaler `config/flags/flags.go` at f7bb0c36).
pub const MAX_NODES_PER_SCALE_UP: u32 = 1000;

/// The pods of `pods` as the estimator takes them (`estimator/decreasing_pod_orderer.go`):
/// equivalence groups of pods that ask the same of the scheduler ([`super::same_shape`]), in order of
/// their first pod, sorted by `cpu / allocatable cpu + memory / allocatable memory` of the
/// template `node`, largest first. Upstream's sort is not stable (and its groups come from a
/// map); fleetsim keeps ties in the order of their first pod.
pub fn estimation_order<'p>(node: &NodeSpec, pods: &[(PodId, &'p PodSpec)]) -> Vec<Vec<(PodId, &'p PodSpec)>> {
    let mut groups: Vec<Vec<(PodId, &PodSpec)>> = Vec::new();
    let mut by_shape: ShapeMap<usize> = ShapeMap::default();
    for &(id, pod) in pods {
        match by_shape.get(pod) {
            Some(&g) => groups[g].push((id, pod)),
            None => {
                by_shape.insert(pod, groups.len());
                groups.push(vec![(id, pod)]);
            }
        }
    }
    let score = |p: &PodSpec| {
        let mut s = 0.0;
        if node.cpu_milli > 0 {
            s += p.cpu_milli as f64 / node.cpu_milli as f64;
        }
        if node.memory_mib > 0 {
            s += p.memory_mib as f64 / node.memory_mib as f64;
        }
        s
    };
    let mut scored: Vec<(f64, Vec<(PodId, &PodSpec)>)> = groups.into_iter().map(|g| (score(g[0].1), g)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0)); // stable: ties keep their first pod's order
    scored.into_iter().map(|(_, g)| g).collect()
}

/// Every scale-up option for `pods` (which fit no node of `c`): one per group and type that
/// helps at least one pod, in group then type order. Estimated on a fork of `c`, reverted.
///
/// Each estimate follows cluster-autoscaler's binpacking estimator
/// (`estimator/binpacking_estimator.go`, `Estimate`, at f7bb0c36): the pods the type can run, in
/// [`estimation_order`]; for each group, its pods first-fit on the nodes added so far until one
/// does not fit; the rest on the last added node, or on a new node while the group has room
/// (`room`, at most [`MAX_NODES_PER_SCALE_UP`]). A pod that does not fit an empty new node ends
/// its group (another new node would not take it either); once the room is used up, later
/// groups only fill the nodes added. Nodes that took no pod are not counted.
/// `O(groups · types · pods · new nodes)`.
pub fn options(
    c: &mut ClusterState,
    groups: &[NodeGroup],
    pods: &[(PodId, &PodSpec)],
) -> Result<Vec<ScaleUpOption>, StateError> {
    let mut sched = Scheduler::new(PolicyName::FirstFit.build(&Workload::default()));
    let mut opts = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        if group.room == 0 {
            continue;
        }
        let room = group.room.min(MAX_NODES_PER_SCALE_UP);
        for (ty, t) in group.types.iter().enumerate() {
            let runnable: Vec<(PodId, &PodSpec)> = pods.iter().copied().filter(|(_, p)| t.admits(p).is_ok()).collect();
            if runnable.is_empty() {
                continue;
            }
            let order = estimation_order(&t.node, &runnable);
            let est = c.what_if(|c| estimate(c, &mut sched, group, t, room, &order))?;
            if est.nodes > 0 {
                opts.push(ScaleUpOption {
                    group: g,
                    ty,
                    nodes: est.nodes,
                    price_micro_h: est.nodes as u64 * t.price_micro_h,
                    pods: est.pods,
                    on_node: est.on_node,
                    waste_permille: est.waste_permille,
                    pod_cpu_milli: est.sums.0,
                    pod_memory_mib: est.sums.1,
                    pod_gpu_milli: est.sums.2,
                });
            }
        }
    }
    Ok(opts)
}

/// One type's estimate.
struct Estimate {
    nodes: u32,
    pods: Vec<PodId>,
    on_node: Vec<u32>,
    waste_permille: u64,
    sums: (u64, u64, u64),
}

/// The binpacking estimate of type `t` of `group` for the pod groups `order`, on `c` (which the
/// caller reverts).
fn estimate(
    c: &mut ClusterState,
    sched: &mut Scheduler<'_>,
    group: &NodeGroup,
    t: &GroupType,
    room: u32,
    order: &[Vec<(PodId, &PodSpec)>],
) -> Result<Estimate, StateError> {
    // Nodes added, in order, with how many pods each took; `slot` finds one by id in O(log n).
    let mut added: Vec<(NodeId, u32)> = Vec::new();
    let mut slot: std::collections::BTreeMap<NodeId, usize> = std::collections::BTreeMap::new();
    let mut est = Estimate { nodes: 0, pods: Vec::new(), on_node: Vec::new(), waste_permille: 0, sums: (0, 0, 0) };
    let mut may_add = true;
    let mut bind = |c: &mut ClusterState,
                    added: &mut Vec<(NodeId, u32)>,
                    slot: &std::collections::BTreeMap<NodeId, usize>,
                    id: PodId,
                    pod: &PodSpec,
                    pl: &Placement| {
        let k = *slot.get(&pl.node)?;
        c.bind(id, pod, pl).ok()?;
        added[k].1 += 1;
        est.pods.push(id);
        est.on_node.push(k as u32);
        est.sums.0 += pod.cpu_milli;
        est.sums.1 += pod.memory_mib;
        est.sums.2 += pod.gpu.total_milli();
        Some(())
    };
    // A placement on the first node this estimate added that takes the pod. Nodes that were
    // there before take none of them when the caller passes pods that fit no node, so first-fit
    // over the cluster finds it at once; otherwise the added nodes are tried in order.
    let place = |c: &ClusterState,
                 sched: &mut Scheduler<'_>,
                 added: &[(NodeId, u32)],
                 slot: &std::collections::BTreeMap<NodeId, usize>,
                 pod: &PodSpec| match sched.place(c, pod, &mut NoRandom) {
        Ok(pl) if slot.contains_key(&pl.node) => Some(pl),
        Ok(_) => added.iter().find_map(|&(n, _)| placement_on(c, n, pod)),
        Err(_) => None,
    };
    for pods in order {
        // `tryToScheduleOnExistingNodes`: any added node, until the first pod that fits none.
        let mut rest = pods.as_slice();
        while let Some(&(id, pod)) = rest.first() {
            let Some(pl) = place(c, sched, &added, &slot, pod) else { break };
            if bind(c, &mut added, &slot, id, pod, &pl).is_none() {
                break;
            }
            rest = &rest[1..];
        }
        if !may_add {
            continue;
        }
        // `tryToScheduleOnNewNodes`: the last added node, else a new one.
        for &(id, pod) in rest {
            if let Some(&(last, _)) = added.last() {
                if c.fits(last, pod).is_ok() {
                    if let Some(pl) = place(c, sched, &added, &slot, pod) {
                        if bind(c, &mut added, &slot, id, pod, &pl).is_some() {
                            continue;
                        }
                    }
                }
                if added.last().is_some_and(|&(_, n)| n == 0) {
                    break; // it does not fit an empty new node: nor would it another
                }
            }
            if added.len() as u32 >= room {
                may_add = false;
                break;
            }
            let name = format!("estimate/{}/{}", group.name, added.len());
            let node = c.add_node(&NodeSpec { name, ..t.node.clone() })?;
            slot.insert(node, added.len());
            added.push((node, 0));
            let placed = c.fits(node, pod).is_ok()
                && place(c, sched, &added, &slot, pod)
                    .is_some_and(|pl| bind(c, &mut added, &slot, id, pod, &pl).is_some());
            if !placed {
                break;
            }
        }
    }
    // Nodes that took no pod are not counted; renumber the pods' nodes among those that did.
    let used: Vec<(NodeId, u32)> = added.iter().copied().filter(|&(_, n)| n > 0).collect();
    if used.len() < added.len() {
        let mut index = vec![u32::MAX; added.len()];
        let mut k = 0;
        for (i, &(_, n)) in added.iter().enumerate() {
            if n > 0 {
                index[i] = k;
                k += 1;
            }
        }
        for x in &mut est.on_node {
            *x = index[*x as usize];
        }
    }
    est.nodes = used.len() as u32;
    let (mut free, mut cap) = (0u64, 0u64);
    for &(id, _) in &used {
        if let Some(n) = c.node(id) {
            if t.node.gpu_count > 0 {
                free += n.gpu_free.iter().map(|&g| g as u64).sum::<u64>();
                cap += t.node.gpu_count as u64 * MILLI_PER_GPU as u64;
            } else {
                free += n.free_cpu;
                cap += t.node.cpu_milli;
            }
        }
    }
    est.waste_permille = free * 1000 / cap.max(1);
    Ok(est)
}

/// Where `pod` goes on `node` if it fits: the lowest-index idle GPUs, or the fullest GPU that
/// takes a share. GPU-memory pods are not estimated here (`None`).
pub(crate) fn placement_on(c: &ClusterState, node: NodeId, pod: &PodSpec) -> Option<Placement> {
    c.fits(node, pod).ok()?;
    Some(match pod.gpu {
        GpuRequest::None => Placement { node, gpus: Vec::new() },
        GpuRequest::Whole { count } => c.concretize(node, GpuChoice::Whole(count)),
        GpuRequest::Shared { milli } => {
            let free = c.node(node)?.gpu_free.iter().copied().filter(|&g| g >= milli).min()?;
            c.concretize(node, GpuChoice::SharedOn(free))
        }
        GpuRequest::Memory { .. } => return None,
    })
}

/// A node's utilization as cluster-autoscaler's scale-down measures it, per mille: the
/// allocated share of its GPUs on a GPU node (upstream counts only the GPU there), else the
/// larger of its CPU and memory shares. `None` for an unknown node.
pub fn utilization_permille(c: &ClusterState, node: NodeId) -> Option<u64> {
    let st = c.node(node)?;
    let t = c.template(st.template);
    Some(if t.gpu_count > 0 {
        let used: u64 = st.gpu_free.iter().map(|&g| (MILLI_PER_GPU - g) as u64).sum();
        used * 1000 / (t.gpu_count as u64 * MILLI_PER_GPU as u64)
    } else {
        ((t.cpu_milli - st.free_cpu) * 1000 / t.cpu_milli.max(1))
            .max((t.memory_mib - st.free_mem) * 1000 / t.memory_mib.max(1))
    })
}

/// cluster-autoscaler's cluster-wide limits (`--max-nodes-total`, `--cores-total`,
/// `--memory-total`, `--gpu-total` maxima; kubernetes/autoscaler `config/flags/flags.go` at
/// f7bb0c36: no node limit, 320,000 cores, 6,400,000 GiB, no GPU limit by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterLimits {
    /// `--max-nodes-total` (0: none).
    pub max_nodes: u64,
    /// `--cores-total` maximum, cores.
    pub max_cores: u64,
    /// `--memory-total` maximum, GiB.
    pub max_memory_gib: u64,
    /// `--gpu-total` maximum for `nvidia.com/gpu` (`None`: none).
    pub max_gpus: Option<u64>,
}

impl Default for ClusterLimits {
    fn default() -> Self {
        ClusterLimits { max_nodes: 0, max_cores: 320_000, max_memory_gib: 6_400_000, max_gpus: None }
    }
}

/// What a cluster holds, as the limits count it: nodes, cores (each node's CPU rounded up to
/// whole cores), memory MiB, GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClusterTotals {
    /// Nodes, running or on their way.
    pub nodes: u64,
    /// Cores.
    pub cores: u64,
    /// Memory, MiB.
    pub memory_mib: u64,
    /// GPUs.
    pub gpus: u64,
}

impl ClusterTotals {
    /// The totals with `node` added.
    pub fn plus(self, node: &NodeSpec) -> ClusterTotals {
        ClusterTotals {
            nodes: self.nodes + 1,
            cores: self.cores + node.cpu_milli.div_ceil(1000),
            memory_mib: self.memory_mib + node.memory_mib,
            gpus: self.gpus + node.gpu_count as u64,
        }
    }
}

impl ClusterLimits {
    /// How many of `wanted` nodes like `node` a scale-up may add to a cluster holding `now`: for
    /// each limited resource, what is left divided by what one node adds, rounded down
    /// (`core/scaleup/resource/manager.go` `ApplyLimits`, and `--max-nodes-total` as the
    /// orchestrator caps it, at f7bb0c36). 0 when one node already exceeds a limit (upstream
    /// skips the node group: "max cluster cpu, memory limit reached").
    pub fn cap(&self, wanted: u32, node: &NodeSpec, now: ClusterTotals) -> u32 {
        let mut n = wanted as u64;
        let mut limit = |max: u64, used: u64, per: u64| {
            if let Some(k) = max.saturating_sub(used).checked_div(per) {
                n = n.min(k); // a node adding none of a resource is not limited by it
            }
        };
        if self.max_nodes > 0 {
            limit(self.max_nodes, now.nodes, 1);
        }
        limit(self.max_cores, now.cores, node.cpu_milli.div_ceil(1000));
        limit(self.max_memory_gib.saturating_mul(1024), now.memory_mib, node.memory_mib);
        if let Some(g) = self.max_gpus {
            limit(g, now.gpus, node.gpu_count as u64);
        }
        n as u32
    }
}

/// Whether `node`'s utilization is at or below `threshold_permille`, the scale-down
/// candidate's test (kubernetes/autoscaler `core/scaledown/eligibility/eligibility.go`,
/// `isNodeAtOrBelowUtilizationThreshold`, at f7bb0c36: a node exactly at the threshold is a
/// candidate). Compared exactly on the shares [`utilization_permille`] rounds down. `ignored`
/// (milli-CPU, memory MiB, milli-GPU) is taken off what the node's pods use: the DaemonSet and
/// mirror pods upstream leaves out under `--ignore-daemonsets-utilization` and
/// `--ignore-mirror-pods-utilization` (`simulator/utilization/info.go`). `None` for an unknown
/// node.
pub fn at_or_below(c: &ClusterState, node: NodeId, threshold_permille: u64, ignored: (u64, u64, u64)) -> Option<bool> {
    let st = c.node(node)?;
    let t = c.template(st.template);
    let within = |used: u64, cap: u64| (used as u128) * 1000 <= (threshold_permille as u128) * (cap.max(1) as u128);
    Some(if t.gpu_count > 0 {
        let used: u64 = st.gpu_free.iter().map(|&g| (MILLI_PER_GPU - g) as u64).sum();
        within(used.saturating_sub(ignored.2), t.gpu_count as u64 * MILLI_PER_GPU as u64)
    } else {
        within((t.cpu_milli - st.free_cpu).saturating_sub(ignored.0), t.cpu_milli)
            && within((t.memory_mib - st.free_mem).saturating_sub(ignored.1), t.memory_mib)
    })
}

/// Whether `pods` (bound to `node`) all fit on the other nodes once `node` is gone, placed
/// first-fit in the order given: the scale-down simulation of cluster-autoscaler, and of
/// Karpenter's consolidation by deletion. Checked on a fork of `c`, reverted.
pub fn drainable(c: &mut ClusterState, node: NodeId, pods: &[(PodId, &PodSpec)]) -> Result<bool, StateError> {
    if pods.is_empty() {
        return Ok(true);
    }
    let mut sched = Scheduler::new(PolicyName::FirstFit.build(&Workload::default()));
    c.what_if(|c| {
        for &(id, _) in pods {
            c.unbind(id)?;
        }
        c.remove_node(node)?;
        for &(id, pod) in pods {
            match sched.place(c, pod, &mut NoRandom) {
                Ok(pl) => c.bind(id, pod, &pl)?,
                Err(_) => return Ok(false),
            }
        }
        Ok(true)
    })
}

#[cfg(test)]
mod tests;
