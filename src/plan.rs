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
//! - Launches (with ACK node pools): `ack_launches`, the simulator's pool autoscaler in one scan:
//!   smart hosting, then [`crate::core::scaleup::options`] and the expander's pick. A pool's size
//!   is its nodes in the dump labelled `alibabacloud.com/nodepool-id` or `fleetsim.io/pool` with
//!   its name.
//! - Unschedulable: pods that fit no node and no launch, with the scheduler's reasons counted over
//!   the nodes as kube-scheduler words them (on the state after the plan's placements, once per
//!   pod shape), and the NodePools' reason.
//! - Scale-down candidates: nodes without a pod just placed that are empty, or whose pods all fit
//!   on the other nodes (checked on a fork, each node on its own). A node of a loaded NodePool
//!   follows Karpenter's rules: not while `consolidateAfter: Never`, not with a
//!   `karpenter.sh/do-not-disrupt` pod, only when empty under `WhenEmpty`, and no more per pool
//!   than its budgets allow. Budgets with a `schedule` are left out (the plan has no clock), and
//!   `consolidateAfter` durations are not checked (the dump does not say when pods last changed).
//!   Replacing a node by a cheaper one is not planned. A node of an ACK pool: below the scale-down
//!   utilization threshold and above the pool's `min` (cluster-autoscaler; its unneeded time is
//!   not checked), or empty (smart hosting).

use crate::controllers::karpenter::{provisioner_pools, ranked_offerings};
use crate::controllers::{PoolMode, PoolSpec, ScalerConfig};
use crate::core::cluster::GpuChoice;
use crate::core::provision::{Provisioner, Shapes, Usage};
use crate::core::scaleup::{self, Expander, NodeGroup};
use crate::core::{
    ClusterState, GpuRequest, NodeId, NodeSpec, PodId, PodSpec, PolicyName, Scheduler, ShapeMap, Toleration,
    TolerationOperator, Workload,
};
use crate::k8s::nodepool::{ConsolidationPolicy, NodePool, Reason};
use crate::k8s::Snapshot;
use crate::market::spot::{CapacityType, SpotMarket};
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
    /// Which scaler launches it: `karpenter`, `cluster-autoscaler` or `smart-hosting`.
    pub scaler: &'static str,
    /// NodePool (Karpenter) or node pool (ACK).
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

/// One scale-up option cluster-autoscaler weighed (see [`crate::core::scaleup::options`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleUpChoice {
    /// Node pool.
    pub nodepool: String,
    /// Instance type.
    pub instance_type: String,
    /// Nodes it adds.
    pub nodes: u32,
    /// Pods it helps.
    pub pods: usize,
    /// Idle share of the new nodes' GPUs (CPU on CPU types), per mille.
    pub waste_permille: u64,
    /// Hourly price of the new nodes, micro-USD.
    pub price_micro_h: u64,
    /// Whether the expander picked it.
    pub picked: bool,
}

/// The node autoscalers a plan models.
#[derive(Debug, Clone, Default)]
pub struct Scalers {
    /// Karpenter NodePools.
    pub nodepools: Vec<NodePool>,
    /// The spot market ranking Karpenter's spot offerings.
    pub market: SpotMarket,
    /// ACK node pools (cluster-autoscaler or smart hosting).
    pub pools: Vec<PoolSpec>,
    /// cluster-autoscaler's settings (expander, scale-down threshold) for `pools`.
    pub ack: Option<ScalerConfig>,
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
    /// cluster-autoscaler's options for this loop (ACK pools), the picked one marked.
    pub scale_up_options: Vec<ScaleUpChoice>,
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
    let scalers = Scalers { nodepools: nodepools.to_vec(), market: market.clone(), ..Default::default() };
    plan_for(snap, policy, &scalers)
}

/// Plans for `snap` with placement `policy` and the node autoscalers `scalers` (Karpenter
/// NodePools, ACK node pools, or neither; not both).
pub fn plan_for(snap: &Snapshot, policy: PolicyName, scalers: &Scalers) -> Result<Plan, String> {
    if !scalers.nodepools.is_empty() && !scalers.pools.is_empty() {
        return Err("both Karpenter NodePools and ACK node pools given; a cluster runs one node autoscaler".into());
    }
    let (nodepools, market) = (&scalers.nodepools[..], &scalers.market);
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
            // The dumps carry no GPU-memory pods (k8s reads nvidia.com/gpu only).
            GpuRequest::None | GpuRequest::Memory { .. } => GpuChoice::None,
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
        match sched.place(&c, pod, &mut crate::core::NoRandom) {
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
    // Each node's ACK pool (ACK labels its nodes with the pool's id; fleetsim with its name).
    let ack_of: Vec<Option<usize>> = snap
        .nodes
        .iter()
        .map(|n| {
            ["alibabacloud.com/nodepool-id", "fleetsim.io/pool"]
                .iter()
                .find_map(|l| n.labels.get(*l))
                .and_then(|name| scalers.pools.iter().position(|p| &p.name == name))
        })
        .collect();
    let mut ack_size = vec![0u32; scalers.pools.len()];
    for k in ack_of.iter().flatten() {
        ack_size[*k] += 1;
    }
    if !nodepools.is_empty() {
        let (launches, unplaced) = launches(&mut c, snap, &pool_of, nodepools, market, &waiting, next)?;
        out.launches = launches;
        out.unplaced = unplaced;
    } else if let (false, Some(cfg)) = (scalers.pools.is_empty(), &scalers.ack) {
        let ack = c.what_if(|c| ack_launches(c, &scalers.pools, &ack_size, cfg.expander, &waiting, next))?;
        (out.launches, out.unplaced, out.scale_up_options) = ack;
    } else {
        out.unplaced = waiting.into_iter().map(|(p, reason)| Unplaced { pod: p.name.clone(), reason }).collect();
    }
    // Scale-down candidates: nodes without a pod just placed, whose pods all fit elsewhere.
    let mut pool_nodes = vec![0u32; nodepools.len()];
    for k in pool_of.iter().flatten() {
        pool_nodes[*k] += 1;
    }
    let mut taken = vec![0u32; nodepools.len()];
    let mut ack_taken = vec![0u32; scalers.pools.len()];
    for (((n, &id), &pool), &ack) in snap.nodes.iter().zip(&ids).zip(&pool_of).zip(&ack_of) {
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
        if let (Some(k), Some(cfg)) = (ack, &scalers.ack) {
            // cluster-autoscaler: below the utilization threshold, not below the pool's min;
            // smart hosting releases idle nodes only.
            let ps = &scalers.pools[k];
            let busy = match ps.mode {
                PoolMode::SmartHosting => !mine.is_empty(),
                PoolMode::Autoscaler => {
                    scaleup::utilization_permille(&c, id).is_none_or(|u| u >= cfg.threshold_permille)
                }
            };
            if busy || ack_size[k] - ack_taken[k] <= ps.min {
                continue;
            }
        }
        let pods: Vec<(PodId, &PodSpec)> = mine.iter().map(|&(pid, k)| (pid, &snap.bound[k].0)).collect();
        if scaleup::drainable(&mut c, id, &pods).map_err(|e| e.to_string())? {
            if let Some(k) = pool {
                taken[k] += 1;
            }
            if let Some(k) = ack {
                ack_taken[k] += 1;
            }
            out.candidates.push(Candidate {
                node: n.name.clone(),
                pods: mine.len(),
                reason: if mine.is_empty() { "empty" } else { "pods fit elsewhere" },
                nodepool: pool
                    .map(|k| nodepools[k].name.clone())
                    .or_else(|| ack.map(|k| scalers.pools[k].name.clone())),
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
                    scaler: "karpenter",
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

/// Launches, pods left with why, and cluster-autoscaler's options.
type AckDecision = (Vec<Launch>, Vec<Unplaced>, Vec<ScaleUpChoice>);

/// What ACK's node pools launch for the pods that fit no node (`waiting`, with the scheduler's
/// reason), as the simulator's pool autoscaler decides in one scan (on `c`, which the caller
/// reverts): smart hosting pools first, one node per pod that fits none of the nodes added so
/// far (first pool and type that can run it); then cluster-autoscaler's options over the
/// remaining pods and the one `expander` picks (the first under `random`, which draws). `size`
/// is each pool's node count in the dump. Returns the launches, the pods left with why, and the
/// options.
fn ack_launches(
    c: &mut ClusterState,
    pools: &[PoolSpec],
    size: &[u32],
    expander: Expander,
    waiting: &[(&PodSpec, String)],
    next: PodId,
) -> Result<AckDecision, String> {
    let mut groups: Vec<NodeGroup> = pools.iter().zip(size).map(|(ps, &n)| ps.node_group(n)).collect();
    let mut first_fit = Scheduler::new(PolicyName::FirstFit.build(&Workload::default()));
    let mut launches: Vec<Launch> = Vec::new();
    let mut launch_of: BTreeMap<NodeId, usize> = BTreeMap::new();
    let launch = |scaler, ps: &PoolSpec, ty: usize| {
        let it = &ps.types[ty];
        let zone = ps.first_zone(ty).unwrap_or_default();
        Launch {
            scaler,
            nodepool: ps.name.clone(),
            instance_type: it.name.clone(),
            capacity_type: CapacityType::OnDemand.as_str(),
            zone: zone.to_string(),
            price_micro_h: it.on_demand.get(zone).copied().unwrap_or(0),
            pods: Vec::new(),
        }
    };
    // Smart hosting.
    let mut left: Vec<usize> = Vec::new();
    for (i, (pod, _)) in waiting.iter().enumerate() {
        let id = next + i as PodId;
        let pl = match first_fit.place(c, pod, &mut crate::core::NoRandom) {
            Ok(pl) => Some(pl),
            Err(_) => {
                let mut added = None;
                for (k, ps) in pools.iter().enumerate() {
                    if ps.mode != PoolMode::SmartHosting || groups[k].room == 0 {
                        continue;
                    }
                    if let Some(ty) = groups[k].types.iter().position(|t| t.admits(pod).is_ok()) {
                        let name = format!("new/{}/{}", ps.name, launches.len());
                        let node = c.add_node(&NodeSpec { name, ..groups[k].types[ty].node.clone() });
                        let node = node.map_err(|e| e.to_string())?;
                        groups[k].room -= 1;
                        launch_of.insert(node, launches.len());
                        launches.push(launch("smart-hosting", ps, ty));
                        added = first_fit.place(c, pod, &mut crate::core::NoRandom).ok();
                        break;
                    }
                }
                added
            }
        };
        match pl {
            Some(pl) if launch_of.contains_key(&pl.node) => {
                c.bind(id, pod, &pl).map_err(|e| e.to_string())?;
                launches[launch_of[&pl.node]].pods.push(pod.name.clone());
            }
            _ => left.push(i),
        }
    }
    // cluster-autoscaler, over what smart hosting left.
    let mut why: BTreeMap<usize, String> = BTreeMap::new();
    for &i in &left {
        let pod = waiting[i].0;
        if !groups.iter().any(|g| g.types.iter().any(|t| t.admits(pod).is_ok())) {
            why.insert(i, format!("pod didn't trigger scale-up: {}", scaleup::why_no_group(&groups, pod)));
        }
    }
    for (g, ps) in groups.iter_mut().zip(pools) {
        if ps.mode != PoolMode::Autoscaler {
            g.room = 0;
        }
    }
    let batch: Vec<(PodId, &PodSpec)> = left.iter().map(|&i| (next + i as PodId, waiting[i].0)).collect();
    let opts = scaleup::options(c, &groups, &batch).map_err(|e| e.to_string())?;
    let pick = scaleup::expand(&opts, &groups, expander, |_| 0);
    let mut helped: BTreeSet<PodId> = BTreeSet::new();
    if let Some(o) = pick.map(|k| &opts[k]) {
        let first = launches.len();
        for _ in 0..o.nodes {
            launches.push(launch("cluster-autoscaler", &pools[o.group], o.ty));
        }
        for (&p, &k) in o.pods.iter().zip(&o.on_node) {
            launches[first + k as usize].pods.push(waiting[(p - next) as usize].0.name.clone());
            helped.insert(p);
        }
    }
    let in_some: BTreeSet<PodId> = opts.iter().flat_map(|o| o.pods.iter().copied()).collect();
    let mut unplaced = Vec::new();
    for &i in &left {
        let id = next + i as PodId;
        if helped.contains(&id) {
            continue;
        }
        let pools_say = match why.remove(&i) {
            Some(w) => w,
            None if in_some.contains(&id) => {
                "waits for cluster-autoscaler's next loop (it scales one node pool per loop)".to_string()
            }
            None => "every node pool that could run it is at its max size".to_string(),
        };
        let (pod, sched_says) = &waiting[i];
        unplaced.push(Unplaced { pod: pod.name.clone(), reason: format!("{sched_says}; {pools_say}") });
    }
    let choices = opts
        .iter()
        .enumerate()
        .map(|(k, o)| ScaleUpChoice {
            nodepool: pools[o.group].name.clone(),
            instance_type: pools[o.group].types[o.ty].name.clone(),
            nodes: o.nodes,
            pods: o.pods.len(),
            waste_permille: o.waste_permille,
            price_micro_h: o.price_micro_h,
            picked: pick == Some(k),
        })
        .collect();
    Ok((launches, unplaced, choices))
}
