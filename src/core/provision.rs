//! Karpenter-style provisioning as a pure function of a cluster state: which new nodes a batch of
//! pending pods needs, from which pool and offering.
//!
//! This is the decision the simulator's Karpenter model takes at the end of every batch and the one
//! `fleetsim plan` prints for a real cluster; a production controller calls it the same way. It
//! follows Karpenter v1's provisioner, simplified where said:
//!
//! - The batch's pods, in Karpenter's queue order (CPU, then memory, descending; then
//!   [`PodId`]), go on the given state's nodes (live nodes and nodes on their way) if one fits,
//!   else on the claim opened so far with the fewest pods that fits them ([`Provisioner::pack`]
//!   cites upstream for each rule).
//! - A pod that fits none opens a *claim* in the first pool (weight descending, then name
//!   descending) that admits it (taints, labels, requirements; a `PreferNoSchedule` pool taint
//!   counts until no pool is left) and has an available offering whose node fits the pod within
//!   the pool's remaining `limits`. As Karpenter does, the pool's remaining limits are reduced by
//!   the capacity of the largest node the claim could become, and later pods pack onto the claim.
//!   The claim is spot when the pool has an available spot offering that fits (Karpenter prefers
//!   spot), else on-demand.
//! - Each claim then launches the best-ranked offering of its capacity type that admits and fits
//!   all its pods ([`Provisioner::first_fit`]); the ranking (price, spot interruption rate) is the
//!   caller's, as it depends on a market the core does not know.
//!
//! DaemonSet overhead is the caller's: it plans with offering nodes less what the DaemonSets
//! that would run there take (the simulator's Karpenter does, see its `provisioner_pools`).
//! Not modelled: topology spread, pod affinity, volume limits.
//!
//! # Embedding
//!
//! A controller builds the state from its informer cache (one [`NodeSpec`] per Node, one
//! [`ClusterState::bind`] per bound Pod), describes its NodePools as [`Pool`]s, and asks for the
//! batch's claims and the offering each launches. The ranking (cheapest first here) is its own.
//!
//! ```
//! use fleetsim::core::provision::{Limits, Offering, Pool, Provisioner, Shapes, Usage};
//! use fleetsim::core::{ClusterState, GpuRequest, NodeSpec, PodSpec, Taint, TaintEffect, Toleration,
//!                      TolerationOperator};
//!
//! let gpu_taint = Taint { key: "nvidia.com/gpu".into(), value: "true".into(), effect: TaintEffect::NoSchedule };
//! let node = |gpus: u32| NodeSpec {
//!     cpu_milli: 12_000 * gpus as u64, memory_mib: 49_152 * gpus as u64, gpu_count: gpus,
//!     gpu_model: Some("A10G".into()), taints: vec![gpu_taint.clone()], ..Default::default()
//! };
//! // Offerings in the order the controller ranks them (price): a 1-GPU and a 4-GPU type.
//! let offering = |ty: &str, gpus| Offering { instance_type: ty.into(), zone: "us-east-1a".into(),
//!                                             spot: false, node: node(gpus),
//!                                             capacity: Usage::of_node(&node(gpus)) };
//! let prov = Provisioner::new(vec![Pool {
//!     name: "gpu".into(), weight: 0,
//!     limits: Limits { gpus: Some(16), ..Default::default() },
//!     offerings: vec![offering("g5.2xlarge", 1), offering("g5.12xlarge", 4)], min_values: vec![],
//! }]);
//!
//! // The informer cache: one live 1-GPU node, already busy.
//! let mut cluster = ClusterState::default();
//! cluster.add_node(&NodeSpec { name: "gpu-a".into(), ..node(1) }).unwrap();
//! let tolerate = vec![Toleration { key: "nvidia.com/gpu".into(), operator: TolerationOperator::Exists,
//!                                  value: String::new(), effect: None }];
//! let pod = |name: &str| PodSpec { name: name.into(), cpu_milli: 4000, memory_mib: 16_384,
//!                                  gpu: GpuRequest::Whole { count: 1 }, tolerations: tolerate.clone(),
//!                                  ..Default::default() };
//! let busy = pod("running-0");
//! let here = fleetsim::core::PolicyName::FirstFit.build(&Default::default())
//!     .place(&cluster, &busy, &mut fleetsim::core::NoRandom).unwrap();
//! cluster.bind(0, &busy, &here).unwrap();
//!
//! // Three pending pods: one claim (sized as a 4-GPU node) holds them, and it launches the first
//! // ranked offering that fits all three: the 4-GPU type.
//! let pending = [pod("p1"), pod("p2"), pod("p3")];
//! let batch: Vec<_> = pending.iter().enumerate().map(|(i, p)| (i as u64 + 1, p)).collect();
//! let mut usage = vec![Usage::of_node(&node(1))]; // the pool's live nodes
//! let mut shapes = Shapes::default();
//! let packing = cluster.what_if(|c| prov.pack(c, &mut shapes, &batch, &mut usage, |_, _| true)).unwrap();
//! assert_eq!(packing.claims.len(), 1);
//! let claim = &packing.claims[0];
//! let pods: Vec<_> = claim.pods.iter().map(|&id| (id, &pending[id as usize - 1])).collect();
//! let o = prov.first_fit(cluster.options(), &mut shapes, claim.pool, &[0, 1], &pods, |_| true).unwrap();
//! assert_eq!(prov.pools[0].offerings[o.unwrap()].instance_type, "g5.12xlarge");
//! ```

use super::cluster::{ClusterOptions, ClusterState, StateError};
use super::model::{template_admits, NodeId, NodeSpec, NodeTemplate, PodId, PodSpec, MILLI_PER_GPU};
use super::policy::{NoRandom, PolicyName};
use super::schedule::{Scheduler, ShapeMap};
use super::selector::TaintEffect;
use super::Workload;
use std::collections::{BTreeMap, HashMap};

/// `spec.limits` of a NodePool: the most it may have launched at once (`None`: unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Milli-CPU.
    pub cpu_milli: Option<u64>,
    /// Memory, MiB.
    pub memory_mib: Option<u64>,
    /// `nvidia.com/gpu`.
    pub gpus: Option<u64>,
    /// `nodes`: how many nodes.
    pub nodes: Option<u64>,
    /// `pods`: the nodes' allocatable pod slots.
    pub pods: Option<u64>,
}

/// What a pool has launched, or one node adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Milli-CPU.
    pub cpu_milli: u64,
    /// Memory, MiB.
    pub memory_mib: u64,
    /// GPUs.
    pub gpus: u64,
    /// Nodes.
    pub nodes: u64,
    /// Pod slots (allocatable `pods`; 0 for a node without a limit).
    pub pods: u64,
}

impl Usage {
    /// A node's allocatable, as one node.
    pub fn of_node(n: &NodeSpec) -> Usage {
        Usage {
            cpu_milli: n.cpu_milli,
            memory_mib: n.memory_mib,
            gpus: n.gpu_count as u64,
            nodes: 1,
            pods: n.max_pods.map_or(0, u64::from),
        }
    }
    /// Sum.
    pub fn plus(self, o: Usage) -> Usage {
        Usage {
            cpu_milli: self.cpu_milli + o.cpu_milli,
            memory_mib: self.memory_mib + o.memory_mib,
            gpus: self.gpus + o.gpus,
            nodes: self.nodes + o.nodes,
            pods: self.pods + o.pods,
        }
    }
    /// Component-wise maximum.
    pub fn max(self, o: Usage) -> Usage {
        Usage {
            cpu_milli: self.cpu_milli.max(o.cpu_milli),
            memory_mib: self.memory_mib.max(o.memory_mib),
            gpus: self.gpus.max(o.gpus),
            nodes: self.nodes.max(o.nodes),
            pods: self.pods.max(o.pods),
        }
    }
}

impl Limits {
    /// Whether `usage` stays within the limits.
    pub fn admit(&self, usage: Usage) -> bool {
        self.cpu_milli.is_none_or(|l| usage.cpu_milli <= l)
            && self.memory_mib.is_none_or(|l| usage.memory_mib <= l)
            && self.gpus.is_none_or(|l| usage.gpus <= l)
            && self.nodes.is_none_or(|l| usage.nodes <= l)
            && self.pods.is_none_or(|l| usage.pods <= l)
    }
}

/// One node a pool may launch: an instance type in a zone at a capacity type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offering {
    /// Instance type name (offerings of one type share the "do all these pods fit" check).
    pub instance_type: String,
    /// Zone.
    pub zone: String,
    /// Spot (`true`) or on-demand.
    pub spot: bool,
    /// The node it becomes (the name is ignored): allocatable, GPUs, labels, the pool's taints.
    pub node: NodeSpec,
    /// What it counts for against the pool's `limits`: its capacity (Karpenter counts capacity,
    /// not allocatable), as one node.
    pub capacity: Usage,
}

/// A NodePool as the provisioner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    /// Name.
    pub name: String,
    /// `spec.weight`: higher is tried first; ties by name.
    pub weight: u32,
    /// `spec.limits`.
    pub limits: Limits,
    /// What it may launch.
    pub offerings: Vec<Offering>,
    /// Requirements' `minValues`: a claim of the pool keeps at least that many distinct values
    /// of each key among the instance types it may still become.
    pub min_values: Vec<MinValues>,
}

/// A NodePool requirement's `minValues`: at least `min` distinct values of label `key` among the
/// instance types a NodeClaim may launch as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinValues {
    /// The requirement's key (`karpenter.k8s.aws/instance-family`, ...).
    pub key: String,
    /// The least number of distinct values.
    pub min: u32,
}

/// A NodeClaim opened for a batch: the pool, the capacity type, the pods it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Index into [`Provisioner::pools`].
    pub pool: usize,
    /// Spot claim.
    pub spot: bool,
    /// Pods packed on it, in packing order.
    pub pods: Vec<PodId>,
    /// The claim's stand-in node on the state [`Provisioner::pack`] was given.
    pub node: NodeId,
}

/// What [`Provisioner::pack`] decided for a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packing {
    /// Pods that fit on a node of the given state (not a claim), with the node.
    pub existing: Vec<(PodId, NodeId)>,
    /// Claims to launch, in the order they opened.
    pub claims: Vec<Claim>,
    /// Pods no pool can ever run (no offering admits and fits them, limits aside).
    pub incompatible: Vec<PodId>,
    /// Pods some pool could run but none can now (limits reached, offerings unavailable).
    pub blocked: Vec<PodId>,
}

/// The claims of one pass: each stand-in node's claim, and what each claim holds.
#[derive(Debug, Default)]
struct Open {
    claim_of: BTreeMap<NodeId, usize>,
    loads: Vec<Load>,
}

/// (pool, instance type, pod shapes with their counts).
type TogetherKey = (usize, String, Vec<(usize, usize)>);

/// Pod shapes met in one decision pass, and for each, per pool, the offerings (ascending indices)
/// whose empty node admits and fits one pod of the shape. Keep one per pass: it is only valid for
/// the [`Provisioner`] that filled it.
#[derive(Debug, Default)]
pub struct Shapes {
    ids: ShapeMap<usize>,
    fits: Vec<Vec<Vec<usize>>>,
    /// (pool, instance type, pod shapes with counts) -> do they all fit one node of the type (an
    /// answer of resources alone: admission is checked per offering). A batch's claims often hold
    /// the same pods.
    together: HashMap<TogetherKey, bool>,
}

impl Shapes {
    fn id(&mut self, p: &Provisioner, spec: &PodSpec) -> usize {
        if let Some(&id) = self.ids.get(spec) {
            return id;
        }
        let id = self.fits.len();
        let per_pool = (0..p.pools.len())
            .map(|k| (0..p.pools[k].offerings.len()).filter(|&o| p.offering_fits(k, o, spec)).collect())
            .collect();
        self.fits.push(per_pool);
        self.ids.insert(spec, id);
        id
    }
}

fn first_fit() -> Scheduler<'static> {
    Scheduler::new(PolicyName::FirstFit.build(&Workload::default()))
}

/// The pools and what their offerings' nodes look like.
#[derive(Debug, Clone)]
pub struct Provisioner {
    /// The pools, as given.
    pub pools: Vec<Pool>,
    order: Vec<usize>,
    templates: Vec<Vec<NodeTemplate>>,
    relax_min_values: bool,
}

/// What a claim of one pass holds, for its `minValues`: summed requests and its pods' shapes.
#[derive(Debug, Default)]
struct Load {
    cpu_milli: u64,
    memory_mib: u64,
    gpu_milli: u64,
    pods: u32,
    shapes: Vec<usize>,
}

impl Load {
    fn add(&mut self, spec: &PodSpec, sh: usize) {
        if let Err(i) = self.shapes.binary_search(&sh) {
            self.shapes.insert(i, sh);
        }
        self.cpu_milli += spec.cpu_milli;
        self.memory_mib += spec.memory_mib;
        self.gpu_milli += spec.gpu.total_milli();
        self.pods += 1;
    }

    fn with(&self, spec: &PodSpec, sh: usize) -> Load {
        let mut l = Load { shapes: self.shapes.clone(), ..*self };
        l.add(spec, sh);
        l
    }
}

impl Provisioner {
    /// A provisioner over `pools`.
    pub fn new(pools: Vec<Pool>) -> Provisioner {
        let templates = pools.iter().map(|p| p.offerings.iter().map(|o| NodeTemplate::of(&o.node)).collect()).collect();
        let mut order: Vec<usize> = (0..pools.len()).collect();
        // Weight descending, then name descending (kubernetes-sigs/karpenter
        // `pkg/utils/nodepool/nodepool.go` at 22664681, and its suite's "should order the
        // NodePools by name when the weights are the same").
        order.sort_by(|&a, &b| pools[b].weight.cmp(&pools[a].weight).then_with(|| pools[b].name.cmp(&pools[a].name)));
        Provisioner { pools, order, templates, relax_min_values: false }
    }

    /// The provisioner under Karpenter's `--min-values-policy`: `Strict` (`false`, the
    /// default: a claim that would break a pool's `minValues` is not made) or `BestEffort`
    /// (`true`: `minValues` is relaxed to what is left), kubernetes-sigs/karpenter
    /// `pkg/operator/options/options.go` and `scheduling/nodeclaim.go`
    /// `filterInstanceTypesByRequirements` at 22664681.
    pub fn with_relaxed_min_values(mut self, relax: bool) -> Provisioner {
        self.relax_min_values = relax;
        self
    }

    /// The first `minValues` of pool `k` that its offerings `set` break: (key, distinct values
    /// found, values needed). As upstream's `InstanceTypes.SatisfiesMinValues`
    /// (`pkg/cloudprovider/types.go` at 22664681): the values of each key over the instance types
    /// left, counted across their offerings.
    pub fn min_values_unmet(&self, k: usize, set: &[usize]) -> Option<(&str, usize, u32)> {
        let np = &self.pools[k];
        np.min_values.iter().find_map(|mv| {
            let values: std::collections::BTreeSet<&str> =
                set.iter().filter_map(|&o| np.offerings[o].node.labels.get(&mv.key)).map(String::as_str).collect();
            (values.len() < mv.min as usize).then_some((mv.key.as_str(), values.len(), mv.min))
        })
    }

    /// Whether a claim of pool `k` holding `load` keeps its `minValues` (always under
    /// `BestEffort`): the offerings left are those that admit every shape of it, hold its summed
    /// requests (upstream's `resources.Fits` on the claim's total) and pass `ok`.
    fn min_values_hold(&self, shapes: &Shapes, k: usize, load: &Load, ok: impl Fn(usize) -> bool) -> bool {
        if self.pools[k].min_values.is_empty() || self.relax_min_values {
            return true;
        }
        let left: Vec<usize> = (0..self.pools[k].offerings.len())
            .filter(|&o| {
                let n = &self.pools[k].offerings[o].node;
                load.shapes.iter().all(|&sh| shapes.fits[sh][k].binary_search(&o).is_ok())
                    && load.cpu_milli <= n.cpu_milli
                    && load.memory_mib <= n.memory_mib
                    && load.gpu_milli <= n.gpu_count as u64 * MILLI_PER_GPU as u64
                    && n.max_pods.is_none_or(|m| load.pods <= m)
                    && ok(o)
            })
            .collect();
        self.min_values_unmet(k, &left).is_none()
    }

    /// Pool indices in the order provisioning tries them: weight descending, then name
    /// descending.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Whether an empty node of pool `k`'s offering `o` admits and fits `pod`.
    pub fn offering_fits(&self, k: usize, o: usize, pod: &PodSpec) -> bool {
        let t = &self.templates[k][o];
        template_admits(t, pod).is_ok()
            && pod.cpu_milli <= t.cpu_milli
            && pod.memory_mib <= t.memory_mib
            && pod.gpu.gpus() <= t.gpu_count
    }

    /// Whether some pool can ever run `pod` (limits and stock aside): an offering admits and fits
    /// it and, under `Strict`, those offerings keep the pool's `minValues`.
    pub fn compatible(&self, pod: &PodSpec) -> bool {
        (0..self.pools.len()).any(|k| {
            let fits: Vec<usize> =
                (0..self.pools[k].offerings.len()).filter(|&o| self.offering_fits(k, o, pod)).collect();
            !fits.is_empty() && (self.relax_min_values || self.min_values_unmet(k, &fits).is_none())
        })
    }

    /// Why no pool can ever run `pod`: one reason per pool, from its first offering.
    pub fn why_incompatible(&self, pod: &PodSpec) -> String {
        let mut out = Vec::new();
        for (k, np) in self.pools.iter().enumerate() {
            let fits: Vec<usize> = (0..np.offerings.len()).filter(|&o| self.offering_fits(k, o, pod)).collect();
            let why = match self.templates[k].first().map(|t| template_admits(t, pod)) {
                None => "it has no offering".to_string(),
                Some(Err(u)) => u.to_string(),
                Some(Ok(())) if fits.is_empty() => "requests exceed every instance type it may launch".to_string(),
                Some(Ok(())) => match self.min_values_unmet(k, &fits) {
                    Some((key, have, need)) => format!(
                        "minValues requirement is not met for label {key} ({have} value(s) among the instance types that fit, {need} required)"
                    ),
                    None => "no instance type it may launch now fits".to_string(),
                },
            };
            out.push(format!("{}: {why}", np.name));
        }
        out.join("; ")
    }

    /// Whether `pods` all fit together on one empty node of pool `k`'s offering `o`: their summed
    /// requests first (cheap), then first-fit on a scratch node (GPU shares).
    pub fn all_fit(
        &self,
        opts: ClusterOptions,
        k: usize,
        o: usize,
        pods: &[(PodId, &PodSpec)],
    ) -> Result<bool, StateError> {
        let node = &self.pools[k].offerings[o].node;
        let (mut cpu, mut mem, mut gpu) = (0u64, 0u64, 0u64);
        for (_, s) in pods {
            cpu += s.cpu_milli;
            mem += s.memory_mib;
            gpu += s.gpu.total_milli();
        }
        if cpu > node.cpu_milli || mem > node.memory_mib || gpu > node.gpu_count as u64 * MILLI_PER_GPU as u64 {
            return Ok(false);
        }
        let mut c = ClusterState::new(opts);
        c.add_node(&NodeSpec { name: "fit".into(), ..node.clone() })?;
        let mut sched = first_fit();
        for &(p, s) in pods {
            match sched.place(&c, s, &mut NoRandom) {
                Ok(pl) => c.bind(p, s, &pl)?,
                Err(_) => return Ok(false),
            }
        }
        Ok(true)
    }

    /// The first offering of `ranked` (pool `k`'s offering indices, best first) that admits every
    /// pod of `pods`, fits them all together and passes `accept`.
    pub fn first_fit(
        &self,
        opts: ClusterOptions,
        shapes: &mut Shapes,
        k: usize,
        ranked: &[usize],
        pods: &[(PodId, &PodSpec)],
        mut accept: impl FnMut(usize) -> bool,
    ) -> Result<Option<usize>, StateError> {
        // The claim's shapes with their counts (the key of the "all fit together" memo).
        let counts: Vec<(usize, usize)> = {
            let mut v: Vec<usize> = pods.iter().map(|(_, s)| shapes.id(self, s)).collect();
            v.sort_unstable();
            let mut c: Vec<(usize, usize)> = Vec::new();
            for id in v {
                match c.last_mut() {
                    Some((last, n)) if *last == id => *n += 1,
                    _ => c.push((id, 1)),
                }
            }
            c
        };
        for &o in ranked {
            if !counts.iter().all(|&(sh, _)| shapes.fits[sh][k].binary_search(&o).is_ok()) || !accept(o) {
                continue;
            }
            let key = (k, self.pools[k].offerings[o].instance_type.clone(), counts.clone());
            let fits = match shapes.together.get(&key) {
                Some(&f) => f,
                None => {
                    let f = self.all_fit(opts, k, o, pods)?;
                    shapes.together.insert(key, f);
                    f
                }
            };
            if fits {
                return Ok(Some(o));
            }
        }
        Ok(None)
    }

    /// Packs the batch `pending` on `c` (which the caller forks and reverts), opening claims for
    /// pods that fit no node. `usage[k]` is pool `k`'s launched capacity; it grows by each claim.
    /// `available(k, o)` says whether pool `k`'s offering `o` may be launched now (stock, recent
    /// capacity errors).
    ///
    /// As Karpenter's scheduler decides (kubernetes-sigs/karpenter
    /// `pkg/controllers/provisioning/scheduling/`, commit 22664681):
    /// - the queue: CPU request descending, then memory descending, then creation (here the
    ///   [`PodId`]) (`queue.go`); a pod that fits nowhere goes to the back and is tried again
    ///   while a pass over the queue places something;
    /// - each pod goes on an existing node if one fits (first fit), else on the claim opened this
    ///   pass with the fewest pods that fits it (`scheduler.go`, the claims re-sorted before every
    ///   pod), else on a new claim of the first pool in [`Provisioner::order`];
    /// - a `PreferNoSchedule` taint of a pool counts as `NoSchedule` on its claims until no pool
    ///   can take the pod; then it is tolerated (`preferences.go`: the toleration is the last
    ///   relaxation). Existing nodes are the kube-scheduler's, where such a taint only steers;
    /// - limits: an offering is allowed while the pool's capacity plus the offering's stays
    ///   within `limits`; a claim then adds its capacity, but not to the `nodes` count, which
    ///   upstream counts on existing nodes only (`scheduler.go` subtracts the claim's instance
    ///   types' capacity, which holds no `nodes`).
    pub fn pack(
        &self,
        c: &mut ClusterState,
        shapes: &mut Shapes,
        pending: &[(PodId, &PodSpec)],
        usage: &mut [Usage],
        available: impl Fn(usize, usize) -> bool,
    ) -> Result<Packing, StateError> {
        let mut queue = pending.to_vec();
        queue.sort_by_key(|&(p, s)| (std::cmp::Reverse((s.cpu_milli, s.memory_mib)), p));
        let mut sched = first_fit();
        let mut out = Packing::default();
        let mut open = Open::default();
        let prefer_taints = self.pools.iter().any(|np| {
            np.offerings.iter().any(|o| o.node.taints.iter().any(|t| t.effect == TaintEffect::PreferNoSchedule))
        });
        // Passes over the queue while one places something; (pod, spec, no pool could ever run
        // it) of the pods left.
        let left = loop {
            let n = queue.len();
            let mut failed: Vec<(PodId, &PodSpec, bool)> = Vec::new();
            for (p, spec) in queue.drain(..) {
                let r = self.pack_one(
                    c,
                    &mut sched,
                    shapes,
                    (p, spec),
                    usage,
                    &available,
                    &mut out,
                    &mut open,
                    prefer_taints,
                )?;
                if let Some(compatible) = r {
                    failed.push((p, spec, !compatible));
                }
            }
            if failed.is_empty() || failed.len() == n {
                break failed;
            }
            queue = failed.iter().map(|&(p, s, _)| (p, s)).collect();
        };
        for (p, _, incompatible) in left {
            if incompatible {
                out.incompatible.push(p);
            } else {
                out.blocked.push(p);
            }
        }
        Ok(out)
    }

    /// Places one pod of [`Provisioner::pack`]: `None` when placed, else whether some pool could
    /// run it (limits and stock aside).
    #[allow(clippy::too_many_arguments)]
    fn pack_one(
        &self,
        c: &mut ClusterState,
        sched: &mut Scheduler<'static>,
        shapes: &mut Shapes,
        (p, spec): (PodId, &PodSpec),
        usage: &mut [Usage],
        available: &impl Fn(usize, usize) -> bool,
        out: &mut Packing,
        open: &mut Open,
        prefer_taints: bool,
    ) -> Result<Option<bool>, StateError> {
        let claim_of = &mut open.claim_of;
        // Existing nodes (first fit: they have the lowest ids, claims come after them).
        let first = sched.place(c, spec, &mut NoRandom).ok();
        if let Some(pl) = first.as_ref().filter(|pl| !claim_of.contains_key(&pl.node)) {
            c.bind(p, spec, pl)?;
            out.existing.push((p, pl.node));
            return Ok(None);
        }
        // When the scheduler found no node at all, no claim fits either: the claims are not
        // scanned (the scan is O(claims) per pod; it runs only for pods some claim holds).
        let on_a_claim = first.is_some();
        let sh = shapes.id(self, spec);
        let mut compatible = false;
        for relaxed in [false, true] {
            if relaxed && !prefer_taints {
                break;
            }
            let tolerates = |k: usize| relaxed || self.tolerates_prefer(k, spec);
            // Claims opened this pass, fewest pods first (ties: the first opened), that fit the
            // pod and keep their pool's minValues with it (`NodeClaim.CanAdd`).
            let loads = &open.loads;
            let best = claim_of
                .iter()
                .filter(|_| on_a_claim)
                .filter(|&(&node, &i)| {
                    let k = out.claims[i].pool;
                    // The claim's load with the pod is built only for a pool with minValues.
                    let checked = self.pools[k].min_values.is_empty() || self.relax_min_values;
                    tolerates(k)
                        && c.fits(node, spec).is_ok()
                        && (checked || self.min_values_hold(shapes, k, &loads[i].with(spec, sh), |o| available(k, o)))
                })
                .min_by_key(|&(_, &i)| (out.claims[i].pods.len(), i))
                .map(|(&node, _)| node);
            if let (Some(node), Some(first)) = (best, &first) {
                // GPU-memory pods are not placed by hand: where the scheduler put them.
                let pl = super::scaleup::placement_on(c, node, spec).unwrap_or_else(|| first.clone());
                c.bind(p, spec, &pl)?;
                let i = claim_of[&pl.node];
                out.claims[i].pods.push(p);
                open.loads[i].add(spec, sh);
                return Ok(None);
            }
            for &k in &self.order {
                let np = &self.pools[k];
                let fits = &shapes.fits[sh][k];
                // A pool whose offerings for the pod break its minValues under Strict can never
                // run it (upstream skips the NodePool: "couldn't meet minValues requirements").
                let one = Load::default().with(spec, sh);
                compatible |= !fits.is_empty() && self.min_values_hold(shapes, k, &one, |_| true);
                if !tolerates(k) {
                    continue;
                }
                let ok = |o: usize| available(k, o) && np.limits.admit(usage[k].plus(np.offerings[o].capacity));
                if !self.min_values_hold(shapes, k, &one, ok) {
                    continue;
                }
                let spot = if fits.iter().any(|&o| np.offerings[o].spot && ok(o)) {
                    true
                } else if fits.iter().any(|&o| ok(o)) {
                    false
                } else {
                    continue;
                };
                // The claim is sized as the largest node it could become, so later pods pack on it:
                // most GPUs, CPU, memory; ties by type name, then offering order.
                let largest = fits
                    .iter()
                    .copied()
                    .filter(|&o| np.offerings[o].spot == spot && ok(o))
                    .max_by(|&a, &b| {
                        let (oa, ob) = (&np.offerings[a], &np.offerings[b]);
                        let (na, nb) = (&oa.node, &ob.node);
                        (na.gpu_count, na.cpu_milli, na.memory_mib)
                            .cmp(&(nb.gpu_count, nb.cpu_milli, nb.memory_mib))
                            .then_with(|| ob.instance_type.cmp(&oa.instance_type))
                            .then_with(|| b.cmp(&a))
                    })
                    .expect("an offering of that capacity type");
                let (node, capacity) = (&np.offerings[largest].node, np.offerings[largest].capacity);
                let id =
                    c.add_node(&NodeSpec { name: format!("claim/{}/{}", np.name, out.claims.len()), ..node.clone() })?;
                usage[k] = usage[k].plus(Usage { nodes: 0, ..capacity });
                // The offering admits and fits the pod on an empty node, so this cannot fail.
                let pl = match super::scaleup::placement_on(c, id, spec) {
                    Some(pl) => pl,
                    None => sched.place(c, spec, &mut NoRandom).map_err(StateError::DoesNotFit)?,
                };
                c.bind(p, spec, &pl)?;
                claim_of.insert(id, out.claims.len());
                out.claims.push(Claim { pool: k, spot, pods: vec![p], node: id });
                open.loads.push(one);
                return Ok(None);
            }
        }
        Ok(Some(compatible))
    }

    /// Whether `pod` tolerates pool `k`'s `PreferNoSchedule` taints (Karpenter's scheduler counts
    /// them as `NoSchedule` until its last relaxation).
    fn tolerates_prefer(&self, k: usize, pod: &PodSpec) -> bool {
        let Some(o) = self.pools[k].offerings.first() else { return true };
        o.node
            .taints
            .iter()
            .filter(|t| t.effect == TaintEffect::PreferNoSchedule)
            .all(|t| pod.tolerations.iter().any(|tol| tol.tolerates(t)))
    }
}

#[cfg(test)]
mod tests;
