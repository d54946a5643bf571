//! cluster-autoscaler over ACK node pools with auto scaling (seed 002), every `scan_interval`:
//!
//! 1. Nodes that have not joined within `max_node_provision_time` are given up and their pool
//!    backs off.
//! 2. Scale-up: the pods that failed scheduling, packed first-fit on a fork holding the nodes on
//!    their way (those they already cover need nothing); for the rest, one option per pool and
//!    type ([`crate::core::scaleup::options`]), of which the expander picks one: one node group
//!    grows per loop. A pod no pool can run is reported once (NotTriggerScaleUp).
//! 3. Scale-down, unless a scale-up happened within `scale_down_delay_after_add`: a node whose
//!    utilization stays at or below the threshold for `scale_down_unneeded_time`, whose pods the
//!    drain rules let go ([`ClusterAutoscaler::unneeded`]), fit elsewhere and may be evicted
//!    within their PodDisruptionBudgets, is removed, never below the pool's `min`: empty nodes in bulk (up to
//!    10 a loop, `--max-empty-bulk-delete`), busy ones one a loop (`--max-drain-parallelism 1`).
//!    Each removal is applied before the next node is judged.
//!
//! Simplified where said in [`crate::core::scaleup`]; a removed node's pods are evicted at once
//! (their Deployment recreates them) instead of draining through their grace periods.

use super::node_pool::{Desk, Launched, PoolMode, PoolSpec, Pools, ScalerConfig, SCAN, TICK};
use crate::core::scaleup::{self, NodeGroup};
use crate::core::{NoRandom, PodId, PodSpec, PolicyName, RandomSource, Scheduler, Workload};
use crate::engine::{Phase, SimTime};
use crate::k8s::Drain;
use crate::sim::{below, Action, Cause, Controller, NodeKey, Owner, PodKey, SimError, View};

const DOWN: u64 = 2;

/// The taint cluster-autoscaler puts on a node it is deleting (`utils/taints`); fleetsim takes
/// any such taint as a deletion in progress (upstream: one younger than 5 min).
pub const TO_BE_DELETED_TAINT: &str = "ToBeDeletedByClusterAutoscaler";

/// The scale-down pass in progress (resumed after each removal is applied).
#[derive(Debug, Clone, Default)]
struct Pass {
    after: Option<NodeKey>,
    removed_empty: u32,
    removed_busy: bool,
    sizes: Vec<u32>,
}

/// cluster-autoscaler's model.
#[derive(Debug)]
pub struct ClusterAutoscaler {
    pools: Pools,
    last_scale_up: Option<SimTime>,
    /// Per node (by key): since when it has been unneeded, and its bind count then (a bind
    /// resets it).
    unneeded: Vec<Option<(SimTime, u64)>>,
    /// Per node: its pods' version (last change, binds, pods) when it was last seen above the
    /// utilization threshold. Utilization changes only with its pods, so an unchanged node is
    /// still above and its check is skipped (20,000 nodes times every 10 s scan otherwise).
    busy: Vec<Option<(SimTime, u64, usize)>>,
    pass: Pass,
}

/// One loop's scale-up decision, as `fleetsim plan` reports it.
#[derive(Debug, Clone)]
pub struct ScaleUp {
    /// The pools as node groups (room as the loop saw it).
    pub groups: Vec<NodeGroup>,
    /// Every option.
    pub options: Vec<scaleup::ScaleUpOption>,
    /// The expander's pick.
    pub pick: Option<usize>,
    /// The pods the options were estimated for (fit no node, not even one on its way).
    pub batch: Vec<PodKey>,
}

impl ClusterAutoscaler {
    /// The scaler of `pools` (all `mode: autoscaler`) with `cfg`.
    pub fn new(
        pools: impl Into<std::sync::Arc<[PoolSpec]>>,
        cfg: ScalerConfig,
        gpu_memory_unit_mib: u64,
    ) -> ClusterAutoscaler {
        let pools = pools.into();
        debug_assert!(pools.iter().all(|p| p.mode == PoolMode::Autoscaler));
        ClusterAutoscaler {
            pools: Pools::new(pools, cfg, gpu_memory_unit_mib),
            last_scale_up: None,
            unneeded: Vec::new(),
            busy: Vec::new(),
            pass: Pass::default(),
        }
    }

    /// Its pools.
    pub fn pools(&self) -> &[PoolSpec] {
        &self.pools.specs
    }

    /// The loop's scale-up decision for the pods that failed scheduling: estimated on a fork,
    /// reverted. `out` gets the reports of pods no pool can run.
    pub fn decide_scale_up(
        &mut self,
        view: &mut View<'_>,
        rng: &mut dyn RandomSource,
        out: &mut Vec<Action>,
    ) -> Result<Option<ScaleUp>, SimError> {
        let o = view.objects;
        let pending: Vec<PodKey> = o.unschedulable().collect();
        if pending.is_empty() {
            return Ok(None);
        }
        let now = view.now;
        let sizes = self.pools.sizes(view);
        // The price expander sizes its preferred node by the cluster's registered nodes
        // (`price/preferred.go` lists every Node object): those that joined.
        let cluster_nodes = view.cluster.state().nodes().count();
        // What the cluster-wide limits count: every live node, running or on its way.
        let totals = o.live_nodes().fold(scaleup::ClusterTotals::default(), |t, n| t.plus(&o.node(n).spec));
        let pools = &mut self.pools;
        view.cluster.what_if(|c| -> Result<_, SimError> {
            o.add_upcoming(c)?;
            let mut sched = Scheduler::new(PolicyName::FirstFit.build(&Workload::default()));
            // Pods the upcoming nodes already cover.
            let mut left = Vec::new();
            for p in pending {
                let spec = &o.pod(p).spec;
                match sched.place(c, spec, &mut NoRandom) {
                    Ok(pl) => c.bind(p as PodId, spec, &pl)?,
                    Err(_) => left.push(p),
                }
            }
            pools.drop_gpu_memory_pods(o, &mut left, out);
            if left.is_empty() {
                return Ok(None);
            }
            let mut groups = pools.node_groups(&sizes);
            pools.report_unrunnable(o, &groups, &left, out);
            for (k, g) in groups.iter_mut().enumerate() {
                g.room = if now < pools.backoff_until[k] { 0 } else { pools.specs[k].max.saturating_sub(sizes[k]) };
            }
            let batch: Vec<(PodId, &PodSpec)> = left.iter().map(|&p| (p as PodId, &o.pod(p).spec)).collect();
            let mut options = scaleup::options(c, &groups, &batch)?;
            // Cluster-wide limits: an option one node of which would exceed them is skipped
            // (`core/scaleup/orchestrator/orchestrator.go` at f7bb0c36, "max cluster cpu, memory
            // limit reached"), and the pick is capped; the pods of the nodes cut off wait.
            let lim = pools.cfg.limits;
            options.retain(|op| lim.cap(1, &groups[op.group].types[op.ty].node, totals) > 0);
            let pick = scaleup::expand(&options, &groups, &pools.cfg.expander, cluster_nodes, |n| below(rng, n));
            if let Some(i) = pick {
                let op = &mut options[i];
                op.nodes = lim.cap(op.nodes, &groups[op.group].types[op.ty].node, totals);
                let kept: Vec<(PodId, u32)> =
                    op.pods.iter().zip(&op.on_node).filter(|&(_, &k)| k < op.nodes).map(|(&p, &k)| (p, k)).collect();
                (op.pods, op.on_node) = kept.into_iter().unzip();
            }
            Ok(Some(ScaleUp { groups, options, pick, batch: left }))
        })
    }

    fn scale_up(
        &mut self,
        view: &mut View<'_>,
        rng: &mut dyn RandomSource,
        out: &mut Vec<Action>,
    ) -> Result<(), SimError> {
        let Some(up) = self.decide_scale_up(view, rng, out)? else { return Ok(()) };
        let Some(pick) = up.pick else { return Ok(()) };
        let opt = &up.options[pick];
        let ps = &self.pools.specs[opt.group];
        let before = self.pools.sizes(view)[opt.group];
        let msg =
            format!("pod triggered scale-up: [{{{} {}->{} (max: {})}}]", ps.name, before, before + opt.nodes, ps.max);
        for &p in &opt.pods {
            let name = &view.objects.pod(p as PodKey).spec.name;
            out.push(Action::event("TriggeredScaleUp", format!("pod/{name}"), msg.clone()));
        }
        self.pools.scale_up_decisions += 1;
        self.last_scale_up = Some(view.now);
        for _ in 0..opt.nodes {
            match self.pools.launch(Desk::of(view), opt.group, opt.ty, "cluster-autoscaler", "scale-up") {
                Launched::Node(actions) => {
                    self.pools.scale_ups += 1;
                    out.extend(actions);
                }
                Launched::NoStock(event) => {
                    self.pools.failures += 1;
                    out.push(event);
                    break;
                }
            }
        }
        Ok(())
    }

    /// A scale-down candidate (kubernetes/autoscaler at f7bb0c36): not being deleted (the
    /// `ToBeDeletedByClusterAutoscaler` taint) nor annotated scale-down-disabled
    /// (`core/scaledown/eligibility/eligibility.go`), utilization at or below the threshold, and
    /// every pod movable within its budgets (`simulator/drain.go`, `GetPodsToMove`): mirror and
    /// DaemonSet pods stay, a pod without a controller or that a drain rule blocks keeps the
    /// node ([`crate::k8s::drain_rule`]), the others must fit on the other nodes.
    /// `pdb` is [`crate::sim::Objects::pdb_allowed`].
    pub fn unneeded(&self, view: &mut View<'_>, n: NodeKey, pdb: &[u32]) -> Result<bool, SimError> {
        Ok(self.within_threshold(view, n) && Self::removable(view, n, pdb)?)
    }

    /// The rest of [`Self::unneeded`], its utilization already found at or below the threshold:
    /// not being deleted nor scale-down-disabled, every pod movable within its budgets.
    fn removable(view: &mut View<'_>, n: NodeKey, pdb: &[u32]) -> Result<bool, SimError> {
        let o = view.objects;
        let node = o.node(n);
        let Some(id) = node.joined() else { return Ok(false) };
        if node.scale_down_disabled || node.spec.taints.iter().any(|t| t.key == TO_BE_DELETED_TAINT) {
            return Ok(false);
        }
        let mut moved = Vec::new();
        for &p in &node.pods {
            let pod = o.pod(p);
            if !pod.state.alive_on_node() {
                continue;
            }
            match pod.drain {
                Drain::Mirror | Drain::DaemonSet => {}
                Drain::Block(_) => return Ok(false),
                Drain::Move if !pod.controlled => return Ok(false),
                Drain::Move => moved.push(p),
            }
        }
        if moved.is_empty() {
            return Ok(true);
        }
        if !o.pdbs_permit(&[n], pdb) {
            return Ok(false);
        }
        let pods: Vec<(PodId, &PodSpec)> = moved.iter().map(|&p| (p as PodId, &o.pod(p).spec)).collect();
        Ok(view.cluster.what_if(|c| scaleup::drainable(c, id, &pods))?)
    }

    /// Whether joined node `n`'s utilization is at or below the threshold, the pods the flags
    /// ignore left out (`core/scaledown/eligibility/eligibility.go`).
    fn within_threshold(&self, view: &View<'_>, n: NodeKey) -> bool {
        let o = view.objects;
        let node = o.node(n);
        let Some(id) = node.joined() else { return false };
        let cfg = &self.pools.cfg;
        let mut ignored = (0, 0, 0);
        // Upstream's defaults ignore neither kind: then the walk over the node's pods (every
        // node, every scan) is skipped.
        let ignoring = cfg.ignore_daemonsets_utilization || cfg.ignore_mirror_pods_utilization;
        for &p in node.pods.iter().filter(|_| ignoring) {
            let pod = o.pod(p);
            let skip = match pod.drain {
                Drain::DaemonSet => cfg.ignore_daemonsets_utilization,
                Drain::Mirror => cfg.ignore_mirror_pods_utilization,
                _ => false,
            };
            if skip && pod.state.alive_on_node() {
                let s = &pod.spec;
                ignored = (ignored.0 + s.cpu_milli, ignored.1 + s.memory_mib, ignored.2 + s.gpu.total_milli());
            }
        }
        scaleup::at_or_below(view.cluster.state(), id, cfg.threshold_permille, ignored) == Some(true)
    }

    /// Whether node `n` is empty as cluster-autoscaler counts it: no pods but mirror and
    /// DaemonSet pods.
    fn empty(view: &View<'_>, n: NodeKey) -> bool {
        let o = view.objects;
        o.node(n).pods.iter().all(|&p| matches!(o.pod(p).drain, Drain::Mirror | Drain::DaemonSet))
    }

    /// Continues the scale-down pass; stops after the first removal (the substrate applies it,
    /// then the pass resumes).
    fn scale_down(&mut self, view: &mut View<'_>, out: &mut Vec<Action>) -> Result<(), SimError> {
        let cfg = self.pools.cfg.clone();
        let pdb = view.objects.pdb_allowed();
        let nodes: Vec<NodeKey> =
            view.objects.nodes_of(view.me).filter(|&n| self.pass.after.is_none_or(|a| n > a)).collect();
        for n in nodes {
            self.pass.after = Some(n);
            let node = view.objects.node(n);
            if node.joined().is_none() {
                continue;
            }
            let Owner::Controller { group: pool, .. } = node.owner else { continue };
            let binds = node.binds;
            if self.unneeded.len() <= n {
                self.unneeded.resize(n + 1, None);
                self.busy.resize(n + 1, None);
            }
            let version = (node.last_change, binds, node.pods.len());
            if self.busy[n] == Some(version) {
                self.unneeded[n] = None; // still above the threshold: its pods have not changed
                continue;
            }
            if !self.within_threshold(view, n) {
                self.busy[n] = Some(version);
                self.unneeded[n] = None;
                continue;
            }
            self.busy[n] = None;
            if !Self::removable(view, n, &pdb)? {
                self.unneeded[n] = None;
                continue;
            }
            let now = view.now;
            let e = self.unneeded[n].get_or_insert((now, binds));
            if e.1 != binds {
                *e = (now, binds); // a pod was bound since: unneeded from now
            }
            let since = e.0;
            if now.0 - since.0 < cfg.unneeded_time.0 || self.pass.sizes[pool] <= self.pools.specs[pool].min {
                continue;
            }
            let empty = Self::empty(view, n);
            if (empty && self.pass.removed_empty >= 10) || (!empty && self.pass.removed_busy) {
                continue;
            }
            if empty {
                self.pass.removed_empty += 1;
            } else {
                self.pass.removed_busy = true;
            }
            self.pools.scale_downs += 1;
            self.pools.scale_downs_empty += u64::from(empty);
            self.pass.sizes[pool] -= 1;
            self.unneeded[n] = None;
            let name = view.objects.node(n).row.name.clone();
            let why = if empty { "empty" } else { "underutilized" };
            out.push(Action::event(
                "ScaleDown",
                format!("node/{name}"),
                format!("cluster-autoscaler: removing {why} node {name}"),
            ));
            out.push(Action::Terminate { node: n, reason: format!("scale-down ({why})") });
            out.push(Action::Continue { token: DOWN });
            return Ok(());
        }
        self.next_tick(view, out);
        Ok(())
    }

    /// The loop's next scan, once this one's last step is taken.
    fn next_tick(&self, view: &View<'_>, out: &mut Vec<Action>) {
        out.push(Action::WakeAt { at: view.now.plus(self.pools.cfg.scan_interval), phase: Phase::Scaler, token: TICK });
    }
}

impl Controller for ClusterAutoscaler {
    fn name(&self) -> &'static str {
        "cluster-autoscaler"
    }

    /// The expander's draws keep the stream they had before controllers were plug-ins, so every
    /// shipped result keeps its bytes.
    fn stream(&self) -> String {
        "scaler/expander".into()
    }

    fn start(&mut self, view: &mut View<'_>) -> Result<Vec<Action>, SimError> {
        let mut out = Vec::new();
        for k in 0..self.pools.specs.len() {
            for _ in 0..self.pools.specs[k].min {
                match self.pools.launch(Desk::of(view), k, 0, "cluster-autoscaler", "pool min size") {
                    Launched::Node(a) => out.extend(a),
                    Launched::NoStock(e) => {
                        self.pools.failures += 1;
                        out.push(e);
                    }
                }
            }
        }
        out.push(Action::WakeAt { at: SimTime::ZERO, phase: Phase::Scaler, token: TICK });
        Ok(out)
    }

    fn react(
        &mut self,
        cause: Cause,
        view: &mut View<'_>,
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<Action>, SimError> {
        let mut out = Vec::new();
        let Cause::Wake(token) = cause else { return Ok(out) };
        match token {
            // The tick gives up late nodes first; the scan follows at once or, if it gave any up,
            // as its continuation (SCAN).
            TICK if self.pools.tick(view, &mut out) => self.scan(view, rng, &mut out)?,
            TICK => {}
            SCAN => self.scan(view, rng, &mut out)?,
            DOWN => self.scale_down(view, &mut out)?,
            _ => {}
        }
        Ok(out)
    }

    fn figures(&self) -> Vec<(&'static str, u64)> {
        self.pools.figures()
    }

    fn growth(&self, view: &View<'_>, pod: &PodSpec) -> Vec<NodeGroup> {
        self.pools.growth(view, pod)
    }
}

impl ClusterAutoscaler {
    fn scan(&mut self, view: &mut View<'_>, rng: &mut dyn RandomSource, out: &mut Vec<Action>) -> Result<(), SimError> {
        if !self.pools.specs.is_empty() && view.objects.pending().next().is_some() {
            self.scale_up(view, rng, out)?;
        }
        if self.last_scale_up.is_some_and(|t| view.now.0 < t.0 + self.pools.cfg.delay_after_add.0) {
            self.next_tick(view, out);
            return Ok(());
        }
        self.pass = Pass { sizes: self.pools.sizes(view), ..Pass::default() };
        self.scale_down(view, out)
    }
}
