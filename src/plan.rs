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
use std::collections::{BTreeMap, BTreeSet};

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
    let mut ids = Vec::with_capacity(snap.nodes.len());
    for n in &snap.nodes {
        ids.push(c.add_node(n).map_err(|e| e.to_string())?);
    }
    // Bound pods by node: (pod id in the state, index into `snap.bound`).
    let mut by_node: BTreeMap<NodeId, Vec<(PodId, usize)>> = BTreeMap::new();
    let mut next: PodId = 0;
    // Already bound: only its resources count there (a taint added later does not evict it).
    let anywhere = vec![Toleration {
        key: String::new(),
        operator: TolerationOperator::Exists,
        value: String::new(),
        effect: None,
    }];
    for (k, (pod, node)) in snap.bound.iter().enumerate() {
        let Some(id) = c.node_id(node) else { continue }; // on a cordoned node
                                                          // It takes what it asks on its own node (the tightest GPU for a share).
        let choice = match pod.gpu {
            GpuRequest::None => GpuChoice::None,
            GpuRequest::Whole { count } => GpuChoice::Whole(count),
            GpuRequest::Shared { milli } => {
                let tightest = c.node(id).and_then(|n| n.gpu_free.iter().copied().filter(|&g| g >= milli).min());
                GpuChoice::SharedOn(tightest.unwrap_or(milli))
            }
        };
        let pl = c.concretize(id, choice);
        let as_bound = PodSpec {
            tolerations: anywhere.clone(),
            node_selector: Default::default(),
            affinity: None,
            gpu_models: Vec::new(),
            ..pod.clone()
        };
        c.bind(next, &as_bound, &pl).map_err(|e| format!("pod {} does not fit on its node {node}: {e}", pod.name))?;
        by_node.entry(id).or_default().push((next, k));
        next += 1;
    }
    let workload = Workload::from_pods(snap.pending.iter().chain(snap.bound.iter().map(|b| &b.0)));
    let mut sched = Scheduler::new(policy.build(&workload));
    let mut out = Plan::default();
    let mut placed_on: BTreeSet<NodeId> = BTreeSet::new();
    for pod in &snap.pending {
        match sched.place(&c, pod, &mut Zero) {
            Ok(pl) => {
                c.bind(next, pod, &pl).map_err(|e| e.to_string())?;
                next += 1;
                placed_on.insert(pl.node);
                let node = c.node(pl.node).map(|n| n.name.clone()).unwrap_or_default();
                out.placements.push(Placement { pod: pod.name.clone(), node });
            }
            Err(_) => {
                // As kube-scheduler words it: every node's reason, counted.
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
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
    for (n, &id) in snap.nodes.iter().zip(&ids) {
        if placed_on.contains(&id) {
            continue;
        }
        let mine = by_node.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        if mine.is_empty() {
            out.candidates.push(Candidate { node: n.name.clone(), pods: 0, reason: "empty" });
            continue;
        }
        let movable = c.what_if(|c| -> Result<bool, String> {
            for &(pid, _) in mine {
                c.unbind(pid).map_err(|e| e.to_string())?;
            }
            c.remove_node(id).map_err(|e| e.to_string())?;
            for &(pid, k) in mine {
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
