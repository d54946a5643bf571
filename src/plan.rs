//! `fleetsim plan`: what the scheduler and the scalers would decide now for a cluster as kubectl
//! shows it, decided by the simulator's own controllers on a [`World`] built from the dump.
//!
//! The dump's nodes become the run's nodes, each handed to the controller its labels name
//! (`karpenter.sh/nodepool` for a loaded NodePool; `alibabacloud.com/nodepool-id` or
//! `fleetsim.io/pool` for an ACK pool), its bound pods bound where they run (with the drain rule their owner
//! references and annotations give, [`crate::k8s::drain_rule`]), its pending pods queued in creation order.
//! Then, as the simulator does at one instant:
//! - Placements: one scheduling cycle with the chosen placement policy (`random` draws from the
//!   stream of seed 0, so a plan is the same every time).
//! - Launches with Karpenter NodePools: one provisioning pass of the simulator's Karpenter
//!   ([`crate::controllers::karpenter::Karpenter::provision`]) over the pods the cycle left.
//! - Launches with ACK node pools: one scan, smart hosting first
//!   ([`crate::controllers::smart_hosting::SmartHosting::provision`], its nodes then on their
//!   way), then cluster-autoscaler's options and the expander's pick
//!   ([`crate::controllers::cluster_autoscaler::ClusterAutoscaler::decide_scale_up`]; `random`
//!   takes the first option, the plan draws nothing). A pool's size is its nodes in the dump.
//! - Unschedulable: pods that fit no node and no launch, with the scheduler's reasons counted over
//!   the nodes as kube-scheduler words them (on the state after the plan's placements, once per
//!   pod shape), and the scalers' reason.
//! - Scale-down candidates, each node on its own: nodes without a pod just placed that are empty
//!   or whose pods all fit on the other nodes. A NodePool's node must be a consolidation
//!   candidate of the simulator's Karpenter (not `consolidateAfter: Never`, no
//!   `karpenter.sh/do-not-disrupt` pod; only empty under `WhenEmpty`) within its pool's budgets;
//!   scheduled budgets are left out (the plan has no clock) and `consolidateAfter` durations are
//!   taken as passed (the dump does not say when pods last changed). A cluster-autoscaler pool's
//!   node must be unneeded as the simulator's cluster-autoscaler judges it (below the
//!   utilization threshold; its unneeded time is not checked) and the pool above its `min`; a
//!   smart hosting node must be empty. Replacing a node by a cheaper one is not planned.
//! - Drift: a NodePool's node whose labels no longer meet the pool's requirements (Karpenter's
//!   requirements drift) is a candidate `drifted`, whatever its use, within the pool's budgets
//!   for `Drifted`, unless it or a pod says do-not-disrupt, when its pods fit elsewhere or some
//!   NodePool can launch for them. NodePool-hash and cloud-provider drift (AMI, subnets,
//!   security groups) are not modelled: a dump does not show what they compare.

use crate::controllers::cluster_autoscaler::ClusterAutoscaler;
use crate::controllers::karpenter::{Karpenter, KarpenterConfig};
use crate::controllers::smart_hosting::SmartHosting;
use crate::controllers::{PoolMode, PoolSpec, ScalerConfig};
use crate::core::scaleup;
use crate::core::{NoRandom, NodeId, PodId, PodSpec, PolicyName, ShapeMap, Workload};
use crate::engine::{RngStreams, SimTime};
use crate::k8s::nodepool::{ConsolidationPolicy, NodePool, Reason};
use crate::k8s::{Drain, Snapshot};
use crate::market::cloud::CloudSpec;
use crate::market::spot::{CapacityType, SpotMarket};
use crate::sim::{Action, ClusterSpec, Latency, Lifecycle, NodeKey, NodeMeta, PodKey, RunOptions, World};
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
    /// `empty`, `pods fit elsewhere` or `drifted` (replaced: its NodePool no longer admits it).
    pub reason: &'static str,
    /// The NodePool whose rules applied, when the node belongs to a loaded one.
    pub nodepool: Option<String>,
    /// For a drifted node, the NodePool requirement its labels no longer meet.
    pub drift: Option<String>,
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
    /// Karpenter's settings.
    pub karpenter: KarpenterConfig,
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
pub fn plan(snap: &Snapshot, policy: PolicyName) -> Result<Plan, PlanError> {
    plan_with(snap, policy, &[], &SpotMarket::default())
}

/// Plans for `snap` with placement `policy`, Karpenter `nodepools` and spot `market` (prices
/// and interruption rates rank spot offerings).
pub fn plan_with(
    snap: &Snapshot,
    policy: PolicyName,
    nodepools: &[NodePool],
    market: &SpotMarket,
) -> Result<Plan, PlanError> {
    let scalers = Scalers { nodepools: nodepools.to_vec(), market: market.clone(), ..Default::default() };
    plan_for(snap, policy, &scalers)
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// Both kinds of node autoscaler were given.
    #[error("both Karpenter NodePools and ACK node pools given; a cluster runs one node autoscaler")]
    TwoAutoscalers,
    /// The dump's state cannot be built or decided on (a pod that does not fit its node).
    #[error("{0}")]
    State(String),
}

impl From<crate::sim::SimError> for PlanError {
    fn from(e: crate::sim::SimError) -> Self {
        PlanError::State(e.to_string())
    }
}

impl From<String> for PlanError {
    fn from(e: String) -> Self {
        PlanError::State(e)
    }
}

/// The plan's controllers, by their index in the plan's run.
const KARPENTER: usize = 0;
const SMART_HOSTING: usize = 1;
const CLUSTER_AUTOSCALER: usize = 2;

/// The plan's clock: far enough from the dump's past that every `consolidateAfter` has passed.
const NOW: SimTime = SimTime(1000 * 86_400_000);

/// Plans for `snap` with placement `policy` and the node autoscalers `scalers` (Karpenter
/// NodePools, ACK node pools, or neither; not both).
pub fn plan_for(snap: &Snapshot, policy: PolicyName, scalers: &Scalers) -> Result<Plan, PlanError> {
    if !scalers.nodepools.is_empty() && !scalers.pools.is_empty() {
        return Err(PlanError::TwoAutoscalers);
    }
    let ack_cfg = scalers.ack.clone().filter(|_| !scalers.pools.is_empty());
    let pools: &[PoolSpec] = if ack_cfg.is_some() { &scalers.pools } else { &[] };
    // Each ACK pool's scaler and its index among that scaler's pools.
    let mut of_scaler: Vec<(usize, usize)> = Vec::new();
    let (mut smart, mut auto) = (Vec::new(), Vec::new());
    for p in pools {
        match p.mode {
            PoolMode::SmartHosting => {
                of_scaler.push((SMART_HOSTING, smart.len()));
                smart.push(p.clone());
            }
            PoolMode::Autoscaler => {
                of_scaler.push((CLUSTER_AUTOSCALER, auto.len()));
                auto.push(p.clone());
            }
        }
    }
    let zero = Latency { lo: SimTime::ZERO, hi: SimTime::ZERO };
    let mut group_stock = BTreeMap::new();
    for p in pools {
        for (z, &n) in &p.stock {
            group_stock.insert((p.name.clone(), z.clone()), n);
        }
    }
    // Start-up latencies of zero, and a clock that does not move: nodes launched stay on their way.
    let spec = ClusterSpec {
        lifecycle: Some(Lifecycle {
            instance_running: zero,
            node_ready: zero,
            gpu_advertised: zero,
            pull_bytes_per_s: 1,
            container_start: zero,
        }),
        cloud: CloudSpec { market: scalers.market.clone(), group_stock },
        ..ClusterSpec::default()
    };
    let nodes: Vec<(crate::core::NodeSpec, NodeMeta)> =
        snap.nodes.iter().map(|n| (n.clone(), NodeMeta::default())).collect();
    let workload = Workload::from_pods(snap.pending.iter().chain(snap.bound.iter().map(|b| &b.0)));
    let cluster = crate::core::ClusterState::new(policy.cluster_options());
    let opts = RunOptions::default();
    let mut w = World::new(&spec, opts, cluster, &nodes, policy.build(&workload), &RngStreams::new(0), Vec::new())
        .map_err(|e| e.to_string())?;
    // Each node's owner, by its labels.
    for (k, n) in snap.nodes.iter().enumerate() {
        if let Some(g) = n
            .labels
            .get("karpenter.sh/nodepool")
            .and_then(|name| scalers.nodepools.iter().position(|p| &p.name == name))
        {
            w.adopt(k, KARPENTER, g);
        }
        let ack = ["alibabacloud.com/nodepool-id", "fleetsim.io/pool"]
            .iter()
            .find_map(|l| n.labels.get(*l))
            .and_then(|name| pools.iter().position(|p| &p.name == name));
        if let Some(i) = ack {
            let (c, g) = of_scaler[i];
            w.adopt(k, c, g);
        }
    }
    for (k, n) in snap.nodes.iter().enumerate() {
        if snap.scale_down_disabled.binary_search(&n.name).is_ok() {
            w.disable_scale_down(k);
        }
        if snap.do_not_disrupt_nodes.binary_search(&n.name).is_ok() {
            w.do_not_disrupt(k);
        }
    }
    w.advance_clock(NOW);
    // Bound pods by node: (pod key, index into `snap.bound`).
    let mut by_node: BTreeMap<NodeKey, Vec<(PodKey, usize)>> = BTreeMap::new();
    for (i, (pod, node)) in snap.bound.iter().enumerate() {
        let dnd = snap.do_not_disrupt.binary_search(&pod.name).is_ok();
        let drain = snap.drain.get(&pod.name).cloned().unwrap_or_default();
        if let Some(p) = w.bind_existing(pod, node, dnd, drain).map_err(|e| e.to_string())? {
            let n = w.objects().pod(p).node.expect("bound");
            by_node.entry(n).or_default().push((p, i));
        }
    }
    let pending: Vec<PodKey> = snap.pending.iter().map(|p| w.add_pending(p.clone())).collect();
    w.schedule_now().map_err(|e| e.to_string())?;
    let mut out = Plan::default();
    let mut placed_on: BTreeSet<NodeKey> = BTreeSet::new();
    let mut waiting: Vec<(PodKey, String)> = Vec::new();
    for &p in &pending {
        match w.objects().pod(p).node {
            Some(n) => {
                placed_on.insert(n);
                let node = w.objects().node(n).row.name.clone();
                out.placements.push(Placement { pod: w.objects().pod(p).spec.name.clone(), node });
            }
            None => waiting.push((p, String::new())),
        }
    }
    // Why each waiting pod fits no node, as kube-scheduler words it: every node's reason, counted,
    // on the state after the placements above; once per pod shape (the scan is O(nodes)).
    let ids: Vec<NodeId> = (0..snap.nodes.len()).filter_map(|k| w.objects().node(k).joined()).collect();
    let mut known: ShapeMap<String> = ShapeMap::default();
    for (p, reason) in &mut waiting {
        let pod = &w.objects().pod(*p).spec;
        if let Some(r) = known.get(pod) {
            reason.clone_from(r);
            continue;
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for &id in &ids {
            if let Err(u) = w.cluster().fits(id, pod) {
                *counts.entry(u.to_string()).or_default() += 1;
            }
        }
        let parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
        // kube-scheduler's words: with no node at all there is nothing to count.
        *reason = if ids.is_empty() {
            "no nodes available to schedule pods".to_string()
        } else {
            format!("0/{} nodes are available: {}", ids.len(), parts.join(", "))
        };
        known.insert(pod, reason.clone());
    }
    let mut kp = Karpenter::new(scalers.nodepools.clone(), scalers.karpenter.clone()).with_daemonsets(&snap.daemonsets);
    let cfg = ack_cfg.clone().unwrap_or_else(default_scaler);
    let mut sh = SmartHosting::new(smart, cfg.clone(), 1024);
    let mut ca = ClusterAutoscaler::new(auto, cfg, 1024);
    let name_of = |w: &World<'_>, p: PodKey| w.objects().pod(p).spec.name.clone();
    if !scalers.nodepools.is_empty() {
        let (launches, left) = karpenter_launches(&mut w, &mut kp)?;
        out.launches = launches;
        out.unplaced = unplaced(&w, &waiting, &left);
    } else if ack_cfg.is_some() {
        let (launches, left, options) = ack_launches(&mut w, pools, &mut sh, &mut ca)?;
        out.launches = launches;
        out.scale_up_options = options;
        out.unplaced = unplaced(&w, &waiting, &left);
    } else {
        out.unplaced =
            waiting.iter().map(|(p, reason)| Unplaced { pod: name_of(&w, *p), reason: reason.clone() }).collect();
    }
    out.candidates = candidates(&mut w, snap, &by_node, &placed_on, &kp, &ca, pools, &of_scaler)?;
    Ok(out)
}

/// cluster-autoscaler's settings when a plan is given none: its flags' defaults (kubernetes/autoscaler
/// `cluster-autoscaler/FAQ.md`: scan 10 s, unneeded 10 min, delay after add 10 min, threshold 0.5,
/// max node provision time 15 min, expander random); back-off and scale-in delay are fleetsim's and
/// seed 000's.
fn default_scaler() -> ScalerConfig {
    ScalerConfig {
        scan_interval: SimTime::from_secs(10),
        unneeded_time: SimTime::from_secs(600),
        delay_after_add: SimTime::from_secs(600),
        threshold_permille: 500,
        max_provision_time: SimTime::from_secs(900),
        backoff: SimTime::from_secs(300),
        expander: scaleup::Expanders::one(scaleup::Expander::LeastWaste),
        scale_in_delay: SimTime::from_secs(180),
        limits: Default::default(),
        ignore_daemonsets_utilization: false,
        ignore_mirror_pods_utilization: false,
    }
}

/// The waiting pods the launches leave, with the scheduler's reason and the scalers' (`left`).
fn unplaced(w: &World<'_>, waiting: &[(PodKey, String)], left: &BTreeMap<PodKey, String>) -> Vec<Unplaced> {
    waiting
        .iter()
        .filter_map(|(p, why)| {
            left.get(p).map(|s| Unplaced { pod: w.objects().pod(*p).spec.name.clone(), reason: format!("{why}; {s}") })
        })
        .collect()
}

/// The launches of one provisioning pass of the simulator's Karpenter, and the pods it leaves
/// with why.
fn karpenter_launches(
    w: &mut World<'_>,
    kp: &mut Karpenter,
) -> Result<(Vec<Launch>, BTreeMap<PodKey, String>), String> {
    let mut actions = Vec::new();
    let decision = w.with_view(KARPENTER, |v| kp.provision(v, &mut actions)).map_err(|e| e.to_string())?;
    let o = w.objects();
    let mut launches = Vec::new();
    let mut left: BTreeMap<PodKey, String> = BTreeMap::new();
    for (cl, offering) in &decision.claims {
        let np = &kp.nodepools()[cl.pool];
        let pods: Vec<String> = cl.pods.iter().map(|&p| o.pod(p as PodKey).spec.name.clone()).collect();
        match offering {
            Some(off) => {
                let off = &np.offerings[*off];
                launches.push(Launch {
                    scaler: "karpenter",
                    nodepool: np.name.clone(),
                    instance_type: np.types[off.ty].name.clone(),
                    capacity_type: CapacityType::of_spot(cl.spot).as_str(),
                    zone: off.zone.clone(),
                    price_micro_h: off.price,
                    pods,
                });
            }
            None => {
                for &p in &cl.pods {
                    left.insert(
                        p as PodKey,
                        format!("no offering of NodePool {} holds its NodeClaim's pods together", np.name),
                    );
                }
            }
        }
    }
    for &p in &decision.blocked {
        left.insert(p, "every NodePool that could run it is at its limits".into());
    }
    for &p in &decision.incompatible {
        left.insert(p, format!("incompatible with every NodePool: {}", kp.why_incompatible(&o.pod(p).spec)));
    }
    Ok((launches, left))
}

/// Launches, pods left with why, and cluster-autoscaler's options.
type AckDecision = (Vec<Launch>, BTreeMap<PodKey, String>, Vec<ScaleUpChoice>);

/// One scan of ACK's scalers as the simulator runs it: smart hosting provisions (its nodes then on
/// their way), then cluster-autoscaler weighs its options and the expander picks one.
fn ack_launches(
    w: &mut World<'_>,
    pools: &[PoolSpec],
    sh: &mut SmartHosting,
    ca: &mut ClusterAutoscaler,
) -> Result<AckDecision, String> {
    let mut actions = Vec::new();
    let (made, sh_left) = w.with_view(SMART_HOSTING, |v| sh.provision(v, &mut actions)).map_err(|e| e.to_string())?;
    let mut launches: Vec<Launch> = Vec::new();
    let mut made = made.into_iter();
    for a in &actions {
        if let Action::Launch(l) = a {
            let m = made.next().expect("one launch per node provisioned");
            launches.push(Launch {
                scaler: "smart-hosting",
                nodepool: l.group_name.clone(),
                instance_type: l.instance_type.clone(),
                capacity_type: l.capacity.as_str(),
                zone: l.zone.clone(),
                price_micro_h: l.price_micro_h,
                pods: m.pods.iter().map(|&p| w.objects().pod(p).spec.name.clone()).collect(),
            });
        }
    }
    w.apply_actions(SMART_HOSTING, actions).map_err(|e| e.to_string())?;
    let mut reports = Vec::new();
    let up = w
        .with_view(CLUSTER_AUTOSCALER, |v| ca.decide_scale_up(v, &mut NoRandom, &mut reports))
        .map_err(|e| e.to_string())?;
    let o = w.objects();
    let mut helped: BTreeSet<PodKey> = BTreeSet::new();
    let mut in_batch: BTreeSet<PodKey> = BTreeSet::new();
    let mut in_some: BTreeSet<PodKey> = BTreeSet::new();
    let mut choices = Vec::new();
    if let Some(up) = &up {
        in_batch.extend(up.batch.iter().copied());
        in_some.extend(up.options.iter().flat_map(|op| op.pods.iter().map(|&p| p as PodKey)));
        if let Some(op) = up.pick.map(|k| &up.options[k]) {
            let ps = &ca.pools()[op.group];
            let it = &ps.types[op.ty];
            let zone = ps.first_zone(op.ty).unwrap_or_default();
            let first = launches.len();
            for _ in 0..op.nodes {
                launches.push(Launch {
                    scaler: "cluster-autoscaler",
                    nodepool: ps.name.clone(),
                    instance_type: it.name.clone(),
                    capacity_type: CapacityType::OnDemand.as_str(),
                    zone: zone.to_string(),
                    price_micro_h: it.on_demand.get(zone).copied().unwrap_or(0),
                    pods: Vec::new(),
                });
            }
            for (&p, &k) in op.pods.iter().zip(&op.on_node) {
                launches[first + k as usize].pods.push(o.pod(p as PodKey).spec.name.clone());
                helped.insert(p as PodKey);
            }
        }
        choices = up
            .options
            .iter()
            .enumerate()
            .map(|(k, op)| ScaleUpChoice {
                nodepool: ca.pools()[op.group].name.clone(),
                instance_type: ca.pools()[op.group].types[op.ty].name.clone(),
                nodes: op.nodes,
                pods: op.pods.len(),
                waste_permille: op.waste_permille,
                price_micro_h: op.price_micro_h,
                picked: up.pick == Some(k),
            })
            .collect();
    }
    // Every pool as a node group, in the file's order, for NotTriggerScaleUp's reasons.
    let groups: Vec<scaleup::NodeGroup> = pools.iter().map(|p| p.node_group(0)).collect();
    let mut left = BTreeMap::new();
    for p in sh_left {
        if helped.contains(&p) {
            continue;
        }
        let pod = &o.pod(p).spec;
        let why = if !groups.iter().any(|g| g.types.iter().any(|t| t.admits(pod).is_ok())) {
            format!("pod didn't trigger scale-up: {}", scaleup::why_no_group(&groups, pod))
        } else if in_some.contains(&p) {
            "waits for cluster-autoscaler's next loop (it scales one node pool per loop)".to_string()
        } else if !in_batch.contains(&p) && up.is_some() {
            "fits a node on its way".to_string()
        } else {
            "every node pool that could run it is at its max size".to_string()
        };
        left.insert(p, why);
    }
    Ok((launches, left, choices))
}

/// Scale-down candidates, each node on its own (see the module docs).
#[allow(clippy::too_many_arguments)]
fn candidates(
    w: &mut World<'_>,
    snap: &Snapshot,
    by_node: &BTreeMap<NodeKey, Vec<(PodKey, usize)>>,
    placed_on: &BTreeSet<NodeKey>,
    kp: &Karpenter,
    ca: &ClusterAutoscaler,
    pools: &[PoolSpec],
    of_scaler: &[(usize, usize)],
) -> Result<Vec<Candidate>, String> {
    let mut taken: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    let mut size: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    for n in w.objects().nodes() {
        if let crate::sim::Owner::Controller { index, group } = n.owner {
            *size.entry((index, group)).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for n in 0..snap.nodes.len() {
        if placed_on.contains(&n) {
            continue;
        }
        let mine = by_node.get(&n).map(Vec::as_slice).unwrap_or(&[]);
        // DaemonSet and mirror pods stay with their node: they neither make it non-empty for
        // Karpenter nor need a place elsewhere (kubernetes-sigs/karpenter
        // `pkg/utils/pod/scheduling.go` at 22664681; cluster-autoscaler's drain rules).
        let movable: Vec<(PodKey, usize)> = mine
            .iter()
            .copied()
            .filter(|&(_, i)| !matches!(snap.drain.get(&snap.bound[i].0.name), Some(Drain::DaemonSet | Drain::Mirror)))
            .collect();
        let owner = match w.objects().node(n).owner {
            crate::sim::Owner::Controller { index, group } => Some((index, group)),
            crate::sim::Owner::Static => None,
        };
        let t = owner.map_or(0, |o| taken.get(&o).copied().unwrap_or(0));
        let mut drift = None;
        let ok = w.with_view(owner.map_or(0, |o| o.0), |v| -> Result<bool, String> {
            let id = v.objects.node(n).joined().expect("a dump's node");
            let drainable = |v: &mut crate::sim::View<'_>| -> Result<bool, String> {
                let pods: Vec<(PodId, &PodSpec)> =
                    movable.iter().map(|&(p, _)| (p as PodId, &v.objects.pod(p).spec)).collect();
                v.cluster.what_if(|c| scaleup::drainable(c, id, &pods)).map_err(|e| e.to_string())
            };
            Ok(match owner {
                // A drifted node is replaced whatever its use (upstream's Drift method: within
                // the Drifted budget, never past do-not-disrupt, when its pods fit elsewhere or
                // on nodes a NodePool can launch).
                Some((KARPENTER, k)) if kp.drifted(v, n).is_some() => {
                    drift = kp.drifted(v, n);
                    kp.disruptable(v, n, &[])
                        && t < kp.allowed(v, k, Reason::Drifted)
                        && (movable.iter().all(|&(p, _)| kp.could_launch_for(&v.objects.pod(p).spec)) || drainable(v)?)
                }
                Some((KARPENTER, k)) => {
                    let reason = if movable.is_empty() { Reason::Empty } else { Reason::Underutilized };
                    kp.candidate(v, n, &[])
                        && !(reason == Reason::Underutilized && kp.policy_of(v, n) == ConsolidationPolicy::WhenEmpty)
                        && t < kp.allowed(v, k, reason)
                        && drainable(v)?
                }
                Some((SMART_HOSTING, _)) => mine.is_empty(),
                Some((c, g)) => {
                    let ps = pools.iter().zip(of_scaler).find(|(_, s)| **s == (c, g)).map(|(p, _)| p);
                    let min = ps.map_or(0, |p| p.min);
                    size[&(c, g)] - t > min && ca.unneeded(v, n, &[]).map_err(|e| e.to_string())?
                }
                None => drainable(v)?,
            })
        })?;
        if ok {
            if let Some(o) = owner {
                *taken.entry(o).or_default() += 1;
            }
            let nodepool = match owner {
                Some((KARPENTER, k)) => Some(kp.nodepools()[k].name.clone()),
                Some((c, g)) => pools.iter().zip(of_scaler).find(|(_, s)| **s == (c, g)).map(|(p, _)| p.name.clone()),
                None => None,
            };
            out.push(Candidate {
                node: snap.nodes[n].name.clone(),
                pods: mine.len(),
                reason: if drift.is_some() {
                    "drifted"
                } else if movable.is_empty() {
                    "empty"
                } else {
                    "pods fit elsewhere"
                },
                nodepool,
                drift,
            });
        }
    }
    Ok(out)
}
