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
//!   nodes of that type the pods need: pods in the given order, each placed first-fit on the
//!   nodes added so far, else on one more node while the group has room (`max` minus its size).
//!   A pod the type cannot run (taints, labels, GPU model, size) is skipped. An option lists the
//!   nodes, the pods it helps, the idle share of the new nodes' GPUs (CPU on CPU types) and the
//!   hourly price.
//! - An expander ([`expand`]) picks one option; cluster-autoscaler scales one node group per loop.
//!   Pods the pick does not help wait for the next loop.
//!
//! Not modelled: `balance-similar-node-groups`, daemonset overhead on the template, pod
//! affinity and topology spread, and the estimator's node and time limits.
//!
//! # Embedding
//!
//! ```
//! use fleetsim::core::scaleup::{expand, options, Expander, GroupType, NodeGroup};
//! use fleetsim::core::{ClusterState, GpuRequest, NodeSpec, PodSpec};
//!
//! let a10 = |gpus: u32| NodeSpec { cpu_milli: 8000 * gpus as u64, memory_mib: 30_000 * gpus as u64,
//!                                  gpu_count: gpus, gpu_model: Some("A10".into()), ..Default::default() };
//! let groups = vec![
//!     NodeGroup::new("gpu-a10-1", 10, 0, vec![GroupType::new("ecs.gn7i-c8g1.2xlarge", a10(1), 1_000_000)]),
//!     NodeGroup::new("gpu-a10-4", 2, 0, vec![GroupType::new("ecs.gn7i-c32g1.32xlarge", a10(4), 3_500_000)]),
//! ];
//! let pod = |name: &str| PodSpec { name: name.into(), cpu_milli: 2000, memory_mib: 8000,
//!                                  gpu: GpuRequest::Whole { count: 1 }, ..Default::default() };
//! let (p0, p1, p2) = (pod("a"), pod("b"), pod("c"));
//! let pending = [(0, &p0), (1, &p1), (2, &p2)];
//! let mut cluster = ClusterState::default(); // no node yet
//! let opts = options(&mut cluster, &groups, &pending).unwrap();
//! assert_eq!((opts[0].nodes, opts[1].nodes), (3, 1)); // three 1-GPU nodes, or one 4-GPU node
//! let pick = expand(&opts, &groups, Expander::Price, |_| 0).unwrap();
//! assert_eq!(groups[opts[pick].group].name, "gpu-a10-1"); // $3.00/h against $3.50/h
//! assert_eq!(cluster.nodes().count(), 0); // estimated on a fork, reverted
//! ```

use super::cluster::{ClusterState, StateError};
use super::model::{template_admits, NodeId, NodeSpec, NodeTemplate, PodId, PodSpec, Unfit, MILLI_PER_GPU};
use super::policy::{NoRandom, PolicyName};
use super::schedule::Scheduler;
use super::Workload;

/// cluster-autoscaler's `--expander`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expander {
    /// A random option (the upstream default, kubernetes/autoscaler FAQ.md).
    Random,
    /// The option that schedules the most pods.
    MostPods,
    /// The option that leaves the least idle CPU (GPU first on GPU types) after the scale-up.
    LeastWaste,
    /// The cheapest option (hourly price of the nodes it adds).
    Price,
    /// The group with the highest `priority`; ties random.
    Priority,
}

impl Expander {
    /// Parses the flag's spelling; the error lists the valid ones.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "random" => Expander::Random,
            "most-pods" => Expander::MostPods,
            "least-waste" => Expander::LeastWaste,
            "price" => Expander::Price,
            "priority" => Expander::Priority,
            _ => return Err(format!("`{s}`; expected random, most-pods, least-waste, price or priority")),
        })
    }

    /// The flag's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Expander::Random => "random",
            Expander::MostPods => "most-pods",
            Expander::LeastWaste => "least-waste",
            Expander::Price => "price",
            Expander::Priority => "priority",
        }
    }
}

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
    /// Priority for [`Expander::Priority`] (higher first).
    pub priority: i32,
    /// Instance types, in order of preference.
    pub types: Vec<GroupType>,
}

impl NodeGroup {
    /// A node group.
    pub fn new(name: impl Into<String>, room: u32, priority: i32, types: Vec<GroupType>) -> Self {
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
}

/// Every scale-up option for `pods` (which fit no node of `c`): one per group and type that
/// helps at least one pod, in group then type order. Estimated on a fork of `c`, reverted.
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
        for (ty, t) in group.types.iter().enumerate() {
            let (nodes, helped, on_node, waste) = c.what_if(|c| -> Result<_, StateError> {
                let mut added = Vec::new();
                let mut helped = Vec::new();
                let mut on_node = Vec::new();
                for &(id, pod) in pods {
                    if t.admits(pod).is_err() {
                        continue;
                    }
                    let placed = match sched.place(c, pod, &mut NoRandom) {
                        Ok(pl) if added.contains(&pl.node) => Some(pl),
                        _ if (added.len() as u32) < group.room => {
                            let name = format!("estimate/{}/{}", group.name, added.len());
                            added.push(c.add_node(&NodeSpec { name, ..t.node.clone() })?);
                            sched.place(c, pod, &mut NoRandom).ok().filter(|pl| added.contains(&pl.node))
                        }
                        _ => None,
                    };
                    if let Some(pl) = placed {
                        c.bind(id, pod, &pl)?;
                        helped.push(id);
                        on_node.extend(added.iter().position(|&n| n == pl.node).map(|k| k as u32));
                    }
                }
                let (mut free, mut cap) = (0u64, 0u64);
                for &id in &added {
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
                Ok((added.len() as u32, helped, on_node, free * 1000 / cap.max(1)))
            })?;
            if nodes > 0 && !helped.is_empty() {
                let price_micro_h = nodes as u64 * t.price_micro_h;
                opts.push(ScaleUpOption {
                    group: g,
                    ty,
                    nodes,
                    pods: helped,
                    on_node,
                    waste_permille: waste,
                    price_micro_h,
                });
            }
        }
    }
    Ok(opts)
}

/// The option `expander` picks, `None` when there is none. `random(n)` draws a uniform index in
/// `0..n` for [`Expander::Random`] and for ties under [`Expander::Priority`]; the other
/// expanders break ties by the first option (group order, then type order).
pub fn expand(
    opts: &[ScaleUpOption],
    groups: &[NodeGroup],
    expander: Expander,
    mut random: impl FnMut(u64) -> u64,
) -> Option<usize> {
    if opts.is_empty() {
        return None;
    }
    let best_by = |key: &dyn Fn(&ScaleUpOption) -> u64| (0..opts.len()).min_by_key(|&i| (key(&opts[i]), i));
    match expander {
        Expander::Random => Some(random(opts.len() as u64) as usize),
        Expander::MostPods => best_by(&|o| u64::MAX - o.pods.len() as u64),
        Expander::LeastWaste => best_by(&|o| o.waste_permille),
        Expander::Price => best_by(&|o| o.price_micro_h),
        Expander::Priority => {
            let top = opts.iter().map(|o| groups[o.group].priority).max()?;
            let tied: Vec<usize> = (0..opts.len()).filter(|&i| groups[opts[i].group].priority == top).collect();
            Some(tied[random(tied.len() as u64) as usize])
        }
    }
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
mod tests {
    use super::*;
    use crate::core::{GpuRequest, Taint, TaintEffect};

    fn gpu_node(gpus: u32) -> NodeSpec {
        NodeSpec {
            cpu_milli: 8000 * gpus as u64,
            memory_mib: 30_000 * gpus as u64,
            gpu_count: gpus,
            gpu_model: Some("A10".into()),
            ..Default::default()
        }
    }

    fn pod(name: &str, gpus: u32) -> PodSpec {
        PodSpec {
            name: name.into(),
            cpu_milli: 1000,
            memory_mib: 2048,
            gpu: GpuRequest::Whole { count: gpus },
            ..Default::default()
        }
    }

    #[test]
    fn estimates_within_room_and_skips_what_a_type_cannot_run() {
        // Group "small": 1-GPU nodes, room 2. Five 1-GPU pods need five nodes; room caps it at 2.
        // Group "tainted": 4-GPU nodes with a taint no pod tolerates: no option at all.
        let taint = Taint { key: "dedicated".into(), value: "x".into(), effect: TaintEffect::NoSchedule };
        let groups = vec![
            NodeGroup::new("small", 2, 0, vec![GroupType::new("one", gpu_node(1), 1_000_000)]),
            NodeGroup::new(
                "tainted",
                5,
                0,
                vec![GroupType::new("four", NodeSpec { taints: vec![taint], ..gpu_node(4) }, 3_000_000)],
            ),
        ];
        let specs: Vec<PodSpec> = (0..5).map(|i| pod(&format!("p{i}"), 1)).collect();
        let pods: Vec<(PodId, &PodSpec)> = specs.iter().enumerate().map(|(i, p)| (i as PodId, p)).collect();
        let mut c = ClusterState::default();
        let opts = options(&mut c, &groups, &pods).unwrap();
        assert_eq!(opts.len(), 1);
        assert_eq!((opts[0].group, opts[0].nodes, opts[0].pods.clone()), (0, 2, vec![0, 1]));
        assert_eq!(opts[0].on_node, vec![0, 1]);
        assert_eq!(opts[0].price_micro_h, 2_000_000);
        assert_eq!(opts[0].waste_permille, 0);
        assert!(why_no_group(&groups, &specs[0]).contains("tainted: untolerated taint dedicated=x"));
        assert_eq!(c.nodes().count(), 0);
    }

    #[test]
    fn expanders_pick_by_their_rule() {
        // Three 1-GPU pods. "one": 3 nodes, $3/h, no waste. "four": 1 node, $2.5/h, 250 per mille
        // idle (one of four GPUs). "eight" (priority 5): 1 node, $4/h, 625 idle.
        let groups = vec![
            NodeGroup::new("one", 10, 0, vec![GroupType::new("one", gpu_node(1), 1_000_000)]),
            NodeGroup::new("four", 10, 0, vec![GroupType::new("four", gpu_node(4), 2_500_000)]),
            NodeGroup::new("eight", 10, 5, vec![GroupType::new("eight", gpu_node(8), 4_000_000)]),
        ];
        let specs: Vec<PodSpec> = (0..3).map(|i| pod(&format!("p{i}"), 1)).collect();
        let pods: Vec<(PodId, &PodSpec)> = specs.iter().enumerate().map(|(i, p)| (i as PodId, p)).collect();
        let opts = options(&mut ClusterState::default(), &groups, &pods).unwrap();
        let w: Vec<u64> = opts.iter().map(|o| o.waste_permille).collect();
        assert_eq!(w, vec![0, 250, 625]);
        let pick = |e| expand(&opts, &groups, e, |_| 0).map(|i| groups[opts[i].group].name.as_str());
        assert_eq!(pick(Expander::LeastWaste), Some("one"));
        assert_eq!(pick(Expander::Price), Some("four"));
        assert_eq!(pick(Expander::Priority), Some("eight"));
        // All help three pods: the first option wins the tie.
        assert_eq!(pick(Expander::MostPods), Some("one"));
        assert_eq!(expand(&opts, &groups, Expander::Random, |n| n - 1), Some(2));
        assert_eq!(expand(&[], &groups, Expander::Price, |_| 0), None);
    }
}
