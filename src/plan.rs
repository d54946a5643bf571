//! `fleetsim plan`: what the scheduler and the scalers would decide now for a cluster as kubectl
//! shows it, computed with the same core the simulator uses.
//!
//! - Placements: pending pods in creation order, each bound before the next is tried, with the
//!   chosen placement policy.
//! - Launches (with Karpenter NodePools): the pods that fit no node form one batch for
//!   [`crate::core::provision::Provisioner::pack`], the function the simulator's Karpenter calls at
//!   the end of every batch; each NodeClaim launches the best offering
//!   ([`crate::scalers::karpenter::ranked_offerings`]) that fits its pods. A pool's usage against its
//!   `limits` is the capacity of the dump's nodes labelled `karpenter.sh/nodepool` with its name.
//! - Unschedulable: pods that fit no node and no launch, with the scheduler's reasons counted over
//!   the nodes as kube-scheduler words them (on the state after the plan's placements, once per
//!   pod shape), and the NodePools' reason.
//! - Scale-down candidates: nodes without a pod just placed that are empty, or whose pods all fit
//!   on the other nodes (checked on a fork, each node on its own). A node of a loaded NodePool
//!   follows Karpenter's rules: not while `consolidateAfter: Never`, not with a
//!   `karpenter.sh/do-not-disrupt` pod, only when empty under `WhenEmpty`, and no more per pool
//!   than its budgets allow. Budgets with a `schedule` are left out (the plan has no clock), and
//!   `consolidateAfter` durations are not checked (the dump does not say when pods last changed).
//!   Replacing a node by a cheaper one is not planned.

use crate::core::cluster::GpuChoice;
use crate::core::provision::{Provisioner, Shapes, Usage};
use crate::core::{
    ClusterState, GpuRequest, NodeId, PodId, PodSpec, PolicyName, Scheduler, ShapeMap, Toleration, TolerationOperator,
    Workload,
};
use crate::k8s::Snapshot;
use crate::market::spot::{CapacityType, SpotMarket};
use crate::scalers::karpenter::{provisioner_pools, ranked_offerings, ConsolidationPolicy, NodePool, Reason};
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

/// A node to launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// NodePool.
    pub nodepool: String,
    /// Instance type.
    pub instance_type: String,
    /// `spot` or `on-demand`.
    pub capacity_type: &'static str,
    /// Zone.
    pub zone: String,
    /// Price, micro-USD per hour.
    pub price_micro_h: u64,
    /// Pods it is for (`namespace/name`), in packing order.
    pub pods: Vec<String>,
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
    /// The NodePool whose rules applied, when the node belongs to a loaded one.
    pub nodepool: Option<String>,
}

/// The plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Pending pods that fit, in the order they were placed.
    pub placements: Vec<Placement>,
    /// New nodes, in the order their NodeClaims opened.
    pub launches: Vec<Launch>,
    /// Pending pods that fit nowhere.
    pub unplaced: Vec<Unplaced>,
    /// Scale-down candidates, by node name.
    pub candidates: Vec<Candidate>,
}

/// Plans for `snap` with placement `policy` and no node pools (no launches).
pub fn plan(snap: &Snapshot, policy: PolicyName) -> Result<Plan, String> {
    plan_with(snap, policy, &[], &SpotMarket::default())
}

/// Plans for `snap` with placement `policy`, Karpenter `nodepools` and spot `market` (prices
/// and interruption rates rank spot offerings).
pub fn plan_with(
    snap: &Snapshot,
    policy: PolicyName,
    nodepools: &[NodePool],
    market: &SpotMarket,
) -> Result<Plan, String> {
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
    let mut waiting: Vec<(&PodSpec, String)> = Vec::new();
    for pod in &snap.pending {
        match sched.place(&c, pod, &mut Zero) {
            Ok(pl) => {
                c.bind(next, pod, &pl).map_err(|e| e.to_string())?;
                next += 1;
                placed_on.insert(pl.node);
                let node = c.node(pl.node).map(|n| n.name.clone()).unwrap_or_default();
                out.placements.push(Placement { pod: pod.name.clone(), node });
            }
            Err(_) => waiting.push((pod, String::new())),
        }
    }
    // Why each waiting pod fits no node, as kube-scheduler words it: every node's reason, counted,
    // on the state after the placements above; once per pod shape (the scan is O(nodes)).
    let mut known: ShapeMap<String> = ShapeMap::default();
    for (pod, reason) in &mut waiting {
        if let Some(r) = known.get(pod) {
            reason.clone_from(r);
            continue;
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for &id in &ids {
            if let Err(u) = c.fits(id, pod) {
                *counts.entry(u.to_string()).or_default() += 1;
            }
        }
        let parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
        *reason = format!("0/{} nodes are available: {}", ids.len(), parts.join(", "));
        known.insert(pod, reason.clone());
    }
    // Each node's NodePool, when it belongs to a loaded one (Karpenter labels its nodes).
    let pool_of: Vec<Option<usize>> = snap
        .nodes
        .iter()
        .map(|n| n.labels.get("karpenter.sh/nodepool").and_then(|name| nodepools.iter().position(|p| &p.name == name)))
        .collect();
    if nodepools.is_empty() {
        out.unplaced = waiting.into_iter().map(|(p, reason)| Unplaced { pod: p.name.clone(), reason }).collect();
    } else {
        let (launches, unplaced) = launches(&mut c, snap, &pool_of, nodepools, market, &waiting, next)?;
        out.launches = launches;
        out.unplaced = unplaced;
    }
    // Scale-down candidates: nodes without a pod just placed, whose pods all fit elsewhere.
    let mut pool_nodes = vec![0u32; nodepools.len()];
    for k in pool_of.iter().flatten() {
        pool_nodes[*k] += 1;
    }
    let mut taken = vec![0u32; nodepools.len()];
    let mut first_fit = Scheduler::new(PolicyName::FirstFit.build(&Workload::default()));
    for ((n, &id), &pool) in snap.nodes.iter().zip(&ids).zip(&pool_of) {
        if placed_on.contains(&id) {
            continue;
        }
        let mine = by_node.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        if let Some(k) = pool {
            let np = &nodepools[k];
            let protected = mine.iter().any(|&(_, b)| snap.do_not_disrupt.binary_search(&snap.bound[b].0.name).is_ok());
            let reason = if mine.is_empty() { Reason::Empty } else { Reason::Underutilized };
            if np.consolidate_after.is_none()
                || protected
                || (reason == Reason::Underutilized && np.policy == ConsolidationPolicy::WhenEmpty)
                || taken[k] >= budget_allows(np, reason, pool_nodes[k])
            {
                continue;
            }
        }
        let movable = mine.is_empty()
            || c.what_if(|c| -> Result<bool, String> {
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
            if let Some(k) = pool {
                taken[k] += 1;
            }
            out.candidates.push(Candidate {
                node: n.name.clone(),
                pods: mine.len(),
                reason: if mine.is_empty() { "empty" } else { "pods fit elsewhere" },
                nodepool: pool.map(|k| nodepools[k].name.clone()),
            });
        }
    }
    Ok(out)
}

/// How many of a pool's `total` nodes its budgets let be disrupted at once for `reason`: the
/// least of the unscheduled budgets that apply (scheduled ones need a clock, which a plan has not).
fn budget_allows(np: &NodePool, reason: Reason, total: u32) -> u32 {
    np.budgets
        .iter()
        .filter(|b| b.schedule.is_none() && (b.reasons.is_empty() || b.reasons.contains(&reason)))
        .map(|b| b.allowed(total))
        .min()
        .unwrap_or(u32::MAX)
}

/// The Karpenter launches for the pods that fit no node (`waiting`, with the scheduler's reason),
/// packed on a fork of `c`; pods get ids from `next`; `pool_of` is each node's NodePool. Returns
/// the launches and the pods left.
fn launches(
    c: &mut ClusterState,
    snap: &Snapshot,
    pool_of: &[Option<usize>],
    nodepools: &[NodePool],
    market: &SpotMarket,
    waiting: &[(&PodSpec, String)],
    next: PodId,
) -> Result<(Vec<Launch>, Vec<Unplaced>), String> {
    let prov = Provisioner::new(provisioner_pools(nodepools));
    let mut usage = vec![Usage::default(); nodepools.len()];
    for (n, k) in snap.nodes.iter().zip(pool_of) {
        if let Some(k) = *k {
            usage[k] = usage[k].plus(Usage::of_node(n));
        }
    }
    let batch: Vec<(PodId, &PodSpec)> = waiting.iter().enumerate().map(|(i, (p, _))| (next + i as PodId, *p)).collect();
    let mut shapes = Shapes::default();
    let packing =
        c.what_if(|c| prov.pack(c, &mut shapes, &batch, &mut usage, |_, _| true)).map_err(|e| e.to_string())?;
    let spec_of = |p: PodId| waiting[(p - next) as usize].0;
    let mut launches = Vec::new();
    let mut left: BTreeMap<PodId, String> = BTreeMap::new();
    let mut ranked: BTreeMap<(usize, bool), Vec<usize>> = BTreeMap::new();
    for cl in &packing.claims {
        let np = &nodepools[cl.pool];
        let cap = CapacityType::of_spot(cl.spot);
        let ranked = ranked
            .entry((cl.pool, cl.spot))
            .or_insert_with(|| ranked_offerings(np, market, cap, |o| np.offerings[o].price));
        let pods: Vec<(PodId, &PodSpec)> = cl.pods.iter().map(|&p| (p, spec_of(p))).collect();
        match prov.first_fit(c.options(), &mut shapes, cl.pool, ranked, &pods, |_| true).map_err(|e| e.to_string())? {
            Some(o) => {
                let off = &np.offerings[o];
                launches.push(Launch {
                    nodepool: np.name.clone(),
                    instance_type: np.types[off.ty].name.clone(),
                    capacity_type: cap.as_str(),
                    zone: off.zone.clone(),
                    price_micro_h: off.price,
                    pods: pods.iter().map(|(_, s)| s.name.clone()).collect(),
                });
            }
            None => {
                for &(p, _) in &pods {
                    left.insert(p, format!("no offering of NodePool {} holds its NodeClaim's pods together", np.name));
                }
            }
        }
    }
    for &p in &packing.blocked {
        left.insert(p, "every NodePool that could run it is at its limits".into());
    }
    for &p in &packing.incompatible {
        left.insert(p, format!("incompatible with every NodePool: {}", prov.why_incompatible(spec_of(p))));
    }
    let unplaced = waiting
        .iter()
        .enumerate()
        .filter_map(|(i, (p, why))| {
            left.get(&(next + i as PodId))
                .map(|pools| Unplaced { pod: p.name.clone(), reason: format!("{why}; {pools}") })
        })
        .collect();
    Ok((launches, unplaced))
}

struct Zero;
impl crate::core::RandomSource for Zero {
    fn next_u64(&mut self) -> u64 {
        0
    }
}
