//! `fleetsim plan`: what a scheduler and a scale-down loop would decide now for a cluster as
//! kubectl shows it, computed with the same core the simulator uses.
//!
//! Decisions so far: which pending pods fit on existing nodes and where (in creation order, each
//! binding before the next is tried, with the chosen placement policy); which fit on no existing
//! node and why (resources, taints, affinity, as the core's `Unfit` reports them); which nodes are
//! scale-down candidates (empty, or every pod of theirs fits on the other nodes, checked on a
//! fork of the state as cluster-autoscaler and Karpenter's consolidation do). Which new nodes a
//! NodePool or node pool would launch for the rest is not computed yet (issue #8).

use crate::core::cluster::GpuChoice;
use crate::core::{
    ClusterState, GpuRequest, NodeId, PodId, PodSpec, PolicyName, Scheduler, Toleration, TolerationOperator, Workload,
};
use crate::k8s::Snapshot;

/// Where a pending pod goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// `namespace/name`.
    pub pod: String,
    /// Node name.
    pub node: String,
}

/// A pod that fits on no existing node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    /// `namespace/name`.
    pub pod: String,
    /// Why (from the core's `Unfit`).
    pub reason: String,
}

/// A node that could go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Node name.
    pub node: String,
    /// Pods that would move.
    pub pods: usize,
    /// `empty` or `pods fit elsewhere`.
    pub reason: &'static str,
}

/// The plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Pending pods that fit, in the order they were placed.
    pub placements: Vec<Placement>,
    /// Pending pods that fit nowhere.
    pub unplaced: Vec<Unplaced>,
    /// Scale-down candidates, by node name.
    pub candidates: Vec<Candidate>,
}

/// Plans for `snap` with placement `policy`.
pub fn plan(snap: &Snapshot, policy: PolicyName) -> Result<Plan, String> {
    let mut c = ClusterState::new(policy.cluster_options());
    let mut ids = Vec::new();
    for n in &snap.nodes {
        ids.push(c.add_node(n).map_err(|e| e.to_string())?);
    }
    let id_of = |name: &str| snap.nodes.iter().position(|n| n.name == name).map(|i| ids[i]);
    let mut next: PodId = 0;
    let mut on: Vec<(NodeId, PodId, usize)> = Vec::new(); // bound pods: node, id, index into snap.bound
    for (k, (pod, node)) in snap.bound.iter().enumerate() {
        let Some(id) = id_of(node) else { continue }; // on a cordoned node: holds nothing we schedule on
                                                      // A bound pod takes what it asks on its own node (the tightest GPU for a share).
        let choice = match pod.gpu {
            GpuRequest::None => GpuChoice::None,
            GpuRequest::Whole { count } => GpuChoice::Whole(count),
            GpuRequest::Shared { milli } => {
                let free = c.node(id).map(|n| n.gpu_free.clone()).unwrap_or_default();
                GpuChoice::SharedOn(free.into_iter().filter(|&g| g >= milli).min().unwrap_or(milli))
            }
        };
        let pl = c.concretize(id, choice);
        // Already bound: only its resources count there (a taint added later does not evict it).
        let as_bound = PodSpec {
            tolerations: vec![Toleration {
                key: String::new(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: None,
            }],
            node_selector: Default::default(),
            affinity: None,
            gpu_models: Vec::new(),
            ..pod.clone()
        };
        c.bind(next, &as_bound, &pl).map_err(|e| format!("pod {} does not fit on its node {node}: {e}", pod.name))?;
        on.push((id, next, k));
        next += 1;
    }
    let workload = Workload::from_pods(snap.pending.iter().chain(snap.bound.iter().map(|b| &b.0)));
    let mut sched = Scheduler::new(policy.build(&workload));
    let mut out = Plan::default();
    for pod in &snap.pending {
        match sched.place(&c, pod, &mut Zero) {
            Ok(pl) => {
                c.bind(next, pod, &pl).map_err(|e| e.to_string())?;
                on.push((pl.node, next, usize::MAX));
                next += 1;
                let node = c.node(pl.node).map(|n| n.name.clone()).unwrap_or_default();
                out.placements.push(Placement { pod: pod.name.clone(), node });
            }
            Err(_) => {
                // As kube-scheduler words it: every node's reason, counted.
                let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
                for &id in &ids {
                    if let Err(u) = c.fits(id, pod) {
                        *counts.entry(u.to_string()).or_default() += 1;
                    }
                }
                let parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
                let reason = format!("0/{} nodes are available: {}", ids.len(), parts.join(", "));
                out.unplaced.push(Unplaced { pod: pod.name.clone(), reason });
            }
        }
    }
    // Scale-down candidates: nodes without a pod just placed, whose pods all fit elsewhere.
    let mut first_fit = Scheduler::new(PolicyName::FirstFit.build(&Workload::default()));
    for (i, n) in snap.nodes.iter().enumerate() {
        let id = ids[i];
        let mine: Vec<(PodId, usize)> = on.iter().filter(|o| o.0 == id).map(|o| (o.1, o.2)).collect();
        if mine.iter().any(|m| m.1 == usize::MAX) {
            continue;
        }
        if mine.is_empty() {
            out.candidates.push(Candidate { node: n.name.clone(), pods: 0, reason: "empty" });
            continue;
        }
        let movable = c.what_if(|c| -> Result<bool, String> {
            for &(pid, _) in &mine {
                c.unbind(pid).map_err(|e| e.to_string())?;
            }
            c.remove_node(id).map_err(|e| e.to_string())?;
            for &(pid, k) in &mine {
                let spec = &snap.bound[k].0;
                match first_fit.place(c, spec, &mut Zero) {
                    Ok(pl) => c.bind(pid, spec, &pl).map_err(|e| e.to_string())?,
                    Err(_) => return Ok(false),
                }
            }
            Ok(true)
        })?;
        if movable {
            out.candidates.push(Candidate { node: n.name.clone(), pods: mine.len(), reason: "pods fit elsewhere" });
        }
    }
    Ok(out)
}

struct Zero;
impl crate::core::RandomSource for Zero {
    fn next_u64(&mut self) -> u64 {
        0
    }
}
