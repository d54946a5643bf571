//! Karpenter v1 over `NodePool`s ([`crate::k8s::nodepool`]): batched provisioning across
//! weighted pools ([`provisioning`]), the disruption controller ([`disruption`]) and spot
//! interruption handling ([`interruption`]), one controller sharing their state: the pools, the
//! unavailable-offerings cache and what it remembers of each NodeClaim.
//!
//! Draining (every voluntary disruption and interruption): the node is cordoned (it leaves the
//! scheduler's view at once), its pods are evicted (a Deployment creates replacements at once; a
//! trace job resumes from its last checkpoint as a new pending pod, and the work since that
//! checkpoint is counted lost), and the node is terminated once its pods' grace periods have run
//! out, capped by the NodePool's `terminationGracePeriod` and, for a spot interruption, by the
//! 2-minute notice.
//!
//! Not modelled: drift, pod priority and preemption.

pub mod aws;
mod disruption;
mod interruption;
mod provisioning;

use crate::core::provision::{Offering as CoreOffering, Pool, Provisioner, Shapes, Usage};
use crate::core::{PodId, PodSpec, RandomSource};
use crate::engine::{Phase, SimTime};
use crate::k8s::nodepool::NodePool;
use crate::market::spot::{CapacityType, SpotMarket};
use crate::sim::{Action, Cause, Controller, Interests, NodeKey, Owner, PodKey, SimError, View};
use std::collections::{BTreeMap, BTreeSet};

pub use provisioning::Provisioning;

/// Validated Karpenter controller settings (the scenario's `karpenter:` section; its schema cites
/// each default's source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KarpenterConfig {
    /// Batch idle duration.
    pub batch_idle: SimTime,
    /// Batch max duration.
    pub batch_max: SimTime,
    /// Disruption controller period.
    pub poll: SimTime,
    /// Unavailable-offering cache TTL.
    pub unavailable_ttl: SimTime,
    /// Spot-to-spot consolidation.
    pub spot_to_spot: bool,
    /// `--vm-memory-overhead-percent`, in hundredths of a percent.
    pub vm_memory_overhead_basis: u32,
    /// `--min-values-policy`.
    pub min_values_policy: MinValuesPolicy,
}

/// Karpenter's `--min-values-policy` (`MIN_VALUES_POLICY`): what a NodePool's `minValues` does
/// when the instance types left cannot meet it (kubernetes-sigs/karpenter
/// `pkg/operator/options/options.go` at 22664681).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MinValuesPolicy {
    /// The default: the NodeClaim is not made and the pods stay pending.
    #[default]
    Strict,
    /// `minValues` is relaxed to the values left.
    BestEffort,
}

impl MinValuesPolicy {
    /// Karpenter's spelling: `Strict` or `BestEffort`.
    pub fn parse(s: &str) -> Option<MinValuesPolicy> {
        match s {
            "Strict" => Some(MinValuesPolicy::Strict),
            "BestEffort" => Some(MinValuesPolicy::BestEffort),
            _ => None,
        }
    }
}

impl Default for KarpenterConfig {
    /// Karpenter's own defaults (settings reference: `BATCH_IDLE_DURATION` 1s,
    /// `BATCH_MAX_DURATION` 10s; the disruption controller's 10 s poll; the unavailable-offerings
    /// cache's 3 min TTL; `SpotToSpotConsolidation` off; the AWS provider's
    /// `VM_MEMORY_OVERHEAD_PERCENT` 0.075).
    fn default() -> Self {
        KarpenterConfig {
            batch_idle: SimTime::from_secs(1),
            batch_max: SimTime::from_secs(10),
            poll: SimTime::from_secs(10),
            unavailable_ttl: SimTime::from_secs(180),
            spot_to_spot: false,
            vm_memory_overhead_basis: aws::VM_MEMORY_OVERHEAD_BASIS,
            min_values_policy: MinValuesPolicy::Strict,
        }
    }
}

/// A NodeClaim not registered this long after its launch is deleted (Karpenter's liveness check,
/// `registrationTTL`, kubernetes-sigs/karpenter `pkg/controllers/nodeclaim/lifecycle/liveness.go`).
pub const REGISTRATION_TTL: SimTime = SimTime(15 * 60_000);

const PROVISION: u64 = 0;
const DISRUPT: u64 = 1;
const CONSOLIDATE: u64 = 2;

/// Why Karpenter drains a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    Empty,
    Underutilized,
    Expired,
    Interrupted,
}

impl Why {
    fn reason(self) -> &'static str {
        match self {
            Why::Empty => "consolidation (Empty)",
            Why::Underutilized => "consolidation (Underutilized)",
            Why::Expired => "expired (expireAfter)",
            Why::Interrupted => "spot interruption",
        }
    }
}

/// What Karpenter remembers of a NodeClaim it launched.
#[derive(Debug, Clone, Default)]
struct Claim {
    /// Nodes this one replaces: drained once it joins.
    replaces: Vec<NodeKey>,
    /// A replacement for this node is on its way.
    being_replaced: bool,
}

/// Karpenter's model.
#[derive(Debug)]
pub struct Karpenter {
    nodepools: std::sync::Arc<[NodePool]>,
    cfg: KarpenterConfig,
    prov: Provisioner,
    ice: BTreeMap<(String, String, CapacityType), SimTime>,
    batch_open: Option<SimTime>,
    batch_last: SimTime,
    provision_queued: bool,
    /// Active windows of each pool's scheduled budgets.
    windows: Vec<Vec<Vec<(SimTime, SimTime)>>>,
    /// (generation, recheck time) after a consolidation pass found nothing to do.
    seen: Option<(u64, SimTime)>,
    claims: BTreeMap<NodeKey, Claim>,
    reported: BTreeSet<PodKey>,
    /// Each node's capacity as its pool's limits count it (by node key; a node's type never
    /// changes), filled the first time a pass counts it: the per-pass sum over 10^4 nodes then
    /// neither searches the types by name nor recomputes allocatable for each.
    node_usage: std::cell::RefCell<Vec<Option<Usage>>>,
    f: Figures,
}

#[derive(Debug, Default)]
struct Figures {
    scale_ups: u64,
    failures: u64,
    empty: u64,
    underutilized: u64,
    expired: u64,
    disrupted_pods: u64,
    interruptions: u64,
    interrupted_pods: u64,
}

/// The node pool `np`'s offering `o` becomes, named `name`: the instance type's allocatable as
/// the AWS provider computes it ([`aws::resources`], VM overhead `vm_basis`), the offering's labels, the pool's taints.
pub fn node_spec(
    np: &NodePool,
    o: &crate::k8s::nodepool::Offering,
    name: String,
    vm_basis: u32,
) -> crate::core::NodeSpec {
    let it = &np.types[o.ty];
    let r = aws::resources(it, &np.kubelet, vm_basis);
    crate::core::NodeSpec {
        cpu_milli: r.cpu_milli,
        memory_mib: r.memory_mib,
        max_pods: Some(r.pods),
        ..it.node_spec(name, o.labels.clone(), np.taints.clone())
    }
}

/// The pools as the core's provisioner sees them, in the same order: each offering becomes the
/// node its instance type is, with the offering's labels and the pool's taints, less the
/// requests (and pod slots) of the `daemonsets` that would run on it. As Karpenter counts a
/// DaemonSet's overhead on the nodes it plans: a DaemonSet counts where its pod tolerates the
/// pool's taints (`PreferNoSchedule` tolerated) and its node selector and affinity match the
/// node (kubernetes-sigs/karpenter `pkg/controllers/provisioning/scheduling/scheduler.go`,
/// `getDaemonOverhead`, at 22664681).
pub fn provisioner_pools(nodepools: &[NodePool], vm_basis: u32, daemonsets: &[PodSpec]) -> Vec<Pool> {
    nodepools
        .iter()
        .map(|np| Pool {
            name: np.name.clone(),
            weight: np.weight,
            limits: np.limits,
            offerings: np
                .offerings
                .iter()
                .map(|o| {
                    let mut node = node_spec(np, o, String::new(), vm_basis);
                    let t = crate::core::NodeTemplate::of(&node);
                    let (mut cpu, mut mem, mut pods) = (0u64, 0u64, 0u32);
                    for ds in daemonsets.iter().filter(|d| crate::core::model::template_selects(&t, d)) {
                        (cpu, mem, pods) = (cpu + ds.cpu_milli, mem + ds.memory_mib, pods + 1);
                    }
                    if cpu > node.cpu_milli || mem > node.memory_mib {
                        node.max_pods = Some(0); // the DaemonSets alone do not fit: no pod does
                    }
                    node.cpu_milli = node.cpu_milli.saturating_sub(cpu);
                    node.memory_mib = node.memory_mib.saturating_sub(mem);
                    node.max_pods = node.max_pods.map(|m| m.saturating_sub(pods));
                    CoreOffering {
                        instance_type: np.types[o.ty].name.clone(),
                        zone: o.zone.clone(),
                        spot: o.capacity == CapacityType::Spot,
                        node,
                        capacity: aws::resources(&np.types[o.ty], &np.kubelet, vm_basis).capacity,
                    }
                })
                .collect(),
            min_values: np.min_values.clone(),
        })
        .collect()
}

/// `np`'s offerings of capacity type `cap`, best first, as a NodeClaim's launch request tries
/// them: on-demand by price (EC2 `lowest-price`); spot by `price-capacity-optimized`, which
/// fleetsim reads as the lowest interruption bucket (the deepest pool) first, then price. Ties by
/// type name and zone. `price(o)` is offering `o`'s price now, micro-USD per hour.
pub fn ranked_offerings(
    np: &NodePool,
    market: &SpotMarket,
    cap: CapacityType,
    price: impl Fn(usize) -> u64,
) -> Vec<usize> {
    let mut out: Vec<usize> = (0..np.offerings.len()).filter(|&o| np.offerings[o].capacity == cap).collect();
    out.sort_by_cached_key(|&o| {
        let off = &np.offerings[o];
        let name = &np.types[off.ty].name;
        let bucket = match cap {
            CapacityType::Spot => market.bucket(name, &off.zone).monthly_permille(),
            CapacityType::OnDemand => 0,
        };
        ((bucket, price(o)), name.clone(), off.zone.clone())
    });
    out
}

impl Karpenter {
    /// Karpenter over `nodepools` with `cfg`.
    pub fn new(nodepools: impl Into<std::sync::Arc<[NodePool]>>, cfg: KarpenterConfig) -> Karpenter {
        let nodepools = nodepools.into();
        Karpenter {
            prov: Provisioner::new(provisioner_pools(&nodepools, cfg.vm_memory_overhead_basis, &[]))
                .with_relaxed_min_values(cfg.min_values_policy == MinValuesPolicy::BestEffort),
            nodepools,
            cfg,
            ice: BTreeMap::new(),
            batch_open: None,
            batch_last: SimTime::ZERO,
            provision_queued: false,
            windows: Vec::new(),
            seen: None,
            claims: BTreeMap::new(),
            reported: BTreeSet::new(),
            node_usage: std::cell::RefCell::new(Vec::new()),
            f: Figures::default(),
        }
    }

    /// Plans its nodes with the overhead of `daemonsets` (one pod of each DaemonSet of a real
    /// cluster, for `fleetsim plan`; the simulator's clusters run none).
    pub fn with_daemonsets(mut self, daemonsets: &[PodSpec]) -> Karpenter {
        self.prov = Provisioner::new(provisioner_pools(&self.nodepools, self.cfg.vm_memory_overhead_basis, daemonsets))
            .with_relaxed_min_values(self.cfg.min_values_policy == MinValuesPolicy::BestEffort);
        self
    }

    /// Its NodePools.
    pub fn nodepools(&self) -> &[NodePool] {
        &self.nodepools
    }

    /// Why no NodePool can run `pod`.
    pub fn why_incompatible(&self, pod: &PodSpec) -> String {
        self.prov.why_incompatible(pod)
    }

    /// The price of pool `k`'s offering `o` now, micro-USD per hour (a spot price from the price
    /// history replaces the offering's).
    fn price(&self, view: &View<'_>, k: usize, o: usize) -> u64 {
        let np = &self.nodepools[k];
        let off = &np.offerings[o];
        if off.capacity == CapacityType::Spot {
            if let Some(p) = view.cloud.spot_price(&np.types[off.ty].name, &off.zone) {
                return p;
            }
        }
        off.price
    }

    /// Whether pool `k`'s offering `o` is skipped after an insufficient-capacity error.
    fn blocked(&self, now: SimTime, k: usize, o: usize) -> bool {
        if self.ice.is_empty() {
            return false; // the common case, without building a key
        }
        let np = &self.nodepools[k];
        let off = &np.offerings[o];
        let key = (np.types[off.ty].name.clone(), off.zone.clone(), off.capacity);
        self.ice.get(&key).is_some_and(|&until| now < until)
    }

    /// Capacity of pool `k`'s nodes not yet terminated (what its `limits` count).
    fn usage(&self, view: &View<'_>, k: usize) -> Usage {
        let np = &self.nodepools[k];
        let mut cache = self.node_usage.borrow_mut();
        view.objects
            .nodes_of(view.me)
            .filter(|&n| view.objects.node(n).owner == Owner::Controller { index: view.me, group: k })
            .fold(Usage::default(), |u, key| {
                if cache.len() <= key {
                    cache.resize(key + 1, None);
                }
                let one = *cache[key].get_or_insert_with(|| {
                    let n = view.objects.node(key);
                    let ty = np.types.binary_search_by(|t| t.name.as_str().cmp(&n.row.instance_type));
                    ty.map_or_else(
                        |_| Usage::of_node(&n.spec),
                        |t| aws::resources(&np.types[t], &np.kubelet, self.cfg.vm_memory_overhead_basis).capacity,
                    )
                });
                u.plus(one)
            })
    }

    /// Pool `k`'s offerings of capacity type `cap`, best first.
    fn ranked(&self, view: &View<'_>, k: usize, cap: CapacityType) -> Vec<usize> {
        ranked_offerings(&self.nodepools[k], view.cloud.market(), cap, |o| self.price(view, k, o))
    }

    /// The first offering of `ranked` (pool `k`) that admits and fits all `pods` together and
    /// passes `accept` (the core's [`Provisioner::first_fit`]).
    fn first_fit(
        &self,
        view: &View<'_>,
        k: usize,
        ranked: &[usize],
        shapes: &mut Shapes,
        pods: &[PodKey],
        accept: impl FnMut(usize) -> bool,
    ) -> Result<Option<usize>, SimError> {
        let pods: Vec<(PodId, &PodSpec)> = pods.iter().map(|&p| (p as PodId, &view.objects.pod(p).spec)).collect();
        Ok(self.prov.first_fit(view.cluster.state().options(), shapes, k, ranked, &pods, accept)?)
    }

    /// The pool of one of its nodes.
    fn pool_of(view: &View<'_>, n: NodeKey) -> usize {
        match view.objects.node(n).owner {
            Owner::Controller { group, .. } => group,
            Owner::Static => unreachable!("a Karpenter node"),
        }
    }

    /// Launches pool `k`'s offering `o` for `pods` (names, for the event), replacing `replaces`.
    /// `None` when the cloud has no capacity for it.
    fn launch(
        &mut self,
        view: &mut View<'_>,
        k: usize,
        o: usize,
        pods: &[String],
        replaces: Vec<NodeKey>,
    ) -> Option<Vec<Action>> {
        let price = self.price(view, k, o);
        let np = &self.nodepools[k];
        let off = &np.offerings[o];
        let it = &np.types[off.ty];
        let ask = crate::market::cloud::Ask {
            group: &np.name,
            instance_type: &it.name,
            zone: &off.zone,
            capacity: off.capacity,
        };
        let grant = view.cloud.take(ask)?;
        let node = view.names.new_node(&np.name);
        let (key, name) = (node.key(), node.name().to_string());
        let why = if pods.is_empty() { "replacement".to_string() } else { format!("for {}", pods.join(", ")) };
        let msg = format!("launched nodeclaim {name}: {} {} in {} ({why})", it.name, off.capacity.as_str(), off.zone);
        let launch = crate::sim::Launch {
            spec: node_spec(np, off, name.clone(), self.cfg.vm_memory_overhead_basis),
            node,
            group: k,
            group_name: np.name.clone(),
            instance_type: it.name.clone(),
            zone: off.zone.clone(),
            capacity: off.capacity,
            price_micro_h: price,
            on_demand_micro_h: it.on_demand[off.zone.as_str()],
            grant,
        };
        self.claims.insert(key, Claim { replaces, being_replaced: false });
        self.f.scale_ups += 1;
        Some(vec![Action::Launch(Box::new(launch)), Action::event("Launched", format!("nodeclaim/{name}"), msg)])
    }

    /// Cordons and drains node `n` (see the module docs), `cap` bounding the drain.
    fn drain(&mut self, view: &View<'_>, n: NodeKey, why: Why, cap: Option<SimTime>, out: &mut Vec<Action>) {
        let o = view.objects;
        if o.node(n).joined().is_none() {
            out.push(Action::Drain { node: n, reason: why.reason().into(), drain_for: SimTime::ZERO });
            return;
        }
        let evicted = o.evictable(n);
        match why {
            Why::Interrupted => self.f.interrupted_pods += evicted,
            _ => self.f.disrupted_pods += evicted,
        }
        match why {
            Why::Empty => self.f.empty += 1,
            Why::Underutilized => self.f.underutilized += 1,
            Why::Expired => self.f.expired += 1,
            Why::Interrupted => {}
        }
        let grace = self.nodepools[Self::pool_of(view, n)].termination_grace;
        let cap = match (grace, cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let drain = o.drain_time(n, cap);
        out.push(Action::Drain { node: n, reason: why.reason().into(), drain_for: drain });
        let name = &o.node(n).row.name;
        out.push(Action::event(
            "DisruptionTerminating",
            format!("node/{name}"),
            format!("Disrupting node: {}; draining for {}s", why.reason(), drain.0 / 1000),
        ));
    }

    /// A pod became unschedulable: open or extend the batch.
    fn trigger(&mut self, now: SimTime, out: &mut Vec<Action>) {
        let start = *self.batch_open.get_or_insert(now);
        self.batch_last = now;
        if !self.provision_queued {
            self.provision_queued = true;
            let at = now.plus(self.cfg.batch_idle).min(start.plus(self.cfg.batch_max));
            out.push(Action::WakeAt { at, phase: Phase::Scaler, token: PROVISION });
        }
    }
}

impl Controller for Karpenter {
    fn name(&self) -> &'static str {
        "karpenter"
    }

    fn stream(&self) -> String {
        "controller/karpenter".into()
    }

    fn interests(&self) -> Interests {
        Interests { unschedulable: true, ..Interests::default() }
    }

    fn start(&mut self, view: &mut View<'_>) -> Result<Vec<Action>, SimError> {
        let start = view.spec.start_unix_minute;
        let end = view.end;
        self.windows = self
            .nodepools
            .iter()
            .map(|np| {
                np.budgets
                    .iter()
                    .map(|b| b.schedule.as_ref().map(|(c, d)| c.windows(*d, start, end)).unwrap_or_default())
                    .collect()
            })
            .collect();
        Ok(vec![Action::WakeAt { at: self.cfg.poll, phase: Phase::Scaler, token: DISRUPT }])
    }

    fn react(
        &mut self,
        cause: Cause,
        view: &mut View<'_>,
        _rng: &mut dyn RandomSource,
    ) -> Result<Vec<Action>, SimError> {
        let mut out = Vec::new();
        match cause {
            Cause::Unschedulable(_) => self.trigger(view.now, &mut out),
            Cause::Wake(PROVISION) => self.provision_event(view, &mut out)?,
            Cause::Wake(DISRUPT) => self.poll(view, &mut out)?,
            Cause::Wake(CONSOLIDATE) => self.poll_consolidate(view, &mut out)?,
            Cause::NodeJoined(n) => self.joined(view, n, &mut out),
            Cause::NodeLeft(n) => self.left(n),
            Cause::Notice(n) => self.notice(view, n, &mut out),
            _ => {}
        }
        Ok(out)
    }

    fn figures(&self) -> Vec<(&'static str, u64)> {
        let f = &self.f;
        vec![
            ("scale_ups", f.scale_ups),
            // Each NodeClaim is its own decision.
            ("scale_up_decisions", f.scale_ups),
            ("provisioning_failures", f.failures),
            // The model-neutral names (nodes removed, by reason), as the node pools report them.
            ("scale_downs", f.empty + f.underutilized + f.expired),
            ("scale_downs_empty", f.empty),
            ("scale_downs_underutilized", f.underutilized),
            ("scale_downs_expired", f.expired),
            ("disruptions_empty", f.empty),
            ("disruptions_underutilized", f.underutilized),
            ("disruptions_expired", f.expired),
            ("pods_disrupted", f.disrupted_pods),
            ("spot_interruptions", f.interruptions),
            ("pods_interrupted", f.interrupted_pods),
        ]
    }
}
