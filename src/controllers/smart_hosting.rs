//! ACK smart hosting (GOATScaler, seed 000): a managed node pool without node-group sizing.
//! Every `scan_interval`, for each pod that failed scheduling and fits no node (nodes on their
//! way included), it provisions one node of the first pool and type that can run it and has
//! stock (a type without stock is skipped, with a ProvisionFailed event); it releases a node
//! once it has been empty for the scale-in delay (3 min by default, seed 000). Pools have no
//! minimum. Zones are tried in listed order (no zone balancing).

use super::node_pool::{Desk, Launched, PoolMode, PoolSpec, Pools, ScalerConfig, SCAN, TICK};
use crate::core::scaleup::NodeGroup;
use crate::core::{NoRandom, NodeSpec, PodId, PodSpec, PolicyName, RandomSource, Scheduler, Workload};
use crate::engine::Phase;
use crate::sim::{Action, Cause, Controller, PodKey, SimError, View};

/// Smart hosting's model.
#[derive(Debug)]
pub struct SmartHosting {
    pools: Pools,
}

/// A node smart hosting provisions for a pod, as `fleetsim plan` reports it.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// Pool index.
    pub pool: usize,
    /// Instance type index in the pool.
    pub ty: usize,
    /// The pods it is for (the first asked for it; later ones fit on it).
    pub pods: Vec<PodKey>,
}

impl SmartHosting {
    /// The scaler of `pools` (all `mode: smart-hosting`) with `cfg`.
    pub fn new(
        pools: impl Into<std::sync::Arc<[PoolSpec]>>,
        cfg: ScalerConfig,
        gpu_memory_unit_mib: u64,
    ) -> SmartHosting {
        let pools = pools.into();
        debug_assert!(pools.iter().all(|p| p.mode == PoolMode::SmartHosting));
        SmartHosting { pools: Pools::new(pools, cfg, gpu_memory_unit_mib) }
    }

    /// Its pools.
    pub fn pools(&self) -> &[PoolSpec] {
        &self.pools.specs
    }

    /// One scan's provisioning for the pods that failed scheduling, estimated on a fork
    /// (reverted): the nodes provisioned, each with the pods it takes, and the pods left.
    /// `out` gets the launches, failures and reports.
    pub fn provision(
        &mut self,
        view: &mut View<'_>,
        out: &mut Vec<Action>,
    ) -> Result<(Vec<Provisioned>, Vec<PodKey>), SimError> {
        let o = view.objects;
        let pending: Vec<PodKey> = o.unschedulable().collect();
        if pending.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut sizes = self.pools.sizes(view);
        let groups = self.pools.node_groups(&sizes);
        let (mut made, mut failures, mut ups) = (Vec::<Provisioned>::new(), 0, 0);
        let pools = &mut self.pools;
        let now = view.now;
        let (cloud, names) = (&mut view.cloud, &mut view.names);
        let r = view.cluster.what_if(|c| -> Result<Vec<PodKey>, SimError> {
            o.add_upcoming(c)?;
            let mut sched = Scheduler::new(PolicyName::FirstFit.build(&Workload::default()));
            let mut rest = Vec::new();
            for p in pending {
                let spec = &o.pod(p).spec;
                match sched.place(c, spec, &mut NoRandom) {
                    Ok(pl) => c.bind(p as PodId, spec, &pl)?,
                    Err(_) => rest.push(p),
                }
            }
            pools.drop_gpu_memory_pods(o, &mut rest, out);
            let mut on_new: std::collections::BTreeMap<crate::core::NodeId, usize> = Default::default();
            let mut left = Vec::new();
            for p in rest {
                let pod = &o.pod(p).spec;
                if let Ok(pl) = sched.place(c, pod, &mut NoRandom) {
                    c.bind(p as PodId, pod, &pl)?;
                    if let Some(&k) = on_new.get(&pl.node) {
                        made[k].pods.push(p);
                    }
                    continue;
                }
                let mut done = false;
                'pools: for (pool, group) in groups.iter().enumerate() {
                    if sizes[pool] >= pools.specs[pool].max {
                        continue;
                    }
                    for ty in 0..pools.specs[pool].types.len() {
                        if group.types[ty].admits(pod).is_err() {
                            continue;
                        }
                        let why = format!("for pending pod {}", pod.name);
                        let desk = Desk { now, cloud: &mut *cloud, names: &mut *names };
                        match pools.launch(desk, pool, ty, "GOATScaler", &why) {
                            Launched::NoStock(e) => {
                                failures += 1;
                                out.push(e);
                            }
                            Launched::Node(actions) => {
                                let Some(Action::Launch(l)) = actions.first() else { unreachable!("a launch first") };
                                let id = c.add_node(&NodeSpec {
                                    name: format!("upcoming/{}", l.node.name()),
                                    ..l.spec.clone()
                                })?;
                                let pl =
                                    sched.place(c, pod, &mut NoRandom).map_err(|e| SimError::Input(e.to_string()))?;
                                debug_assert_eq!(pl.node, id);
                                c.bind(p as PodId, pod, &pl)?;
                                sizes[pool] += 1;
                                ups += 1;
                                on_new.insert(id, made.len());
                                made.push(Provisioned { pool, ty, pods: vec![p] });
                                out.extend(actions);
                                done = true;
                                break 'pools;
                            }
                        }
                    }
                }
                if !done {
                    left.push(p);
                }
            }
            pools.report_unrunnable(o, &groups, &left, out);
            Ok(left)
        });
        self.pools.failures += failures;
        // Each node is its own purchase: one decision a node.
        self.pools.scale_ups += ups;
        self.pools.scale_up_decisions += ups;
        Ok((made, r?))
    }

    /// Releases nodes empty for the scale-in delay.
    fn release(&mut self, view: &View<'_>, out: &mut Vec<Action>) {
        for n in view.objects.nodes_of(view.me) {
            let node = view.objects.node(n);
            if node.joined().is_none() || !node.pods.is_empty() {
                continue;
            }
            if let Some(idle) = node.empty_since {
                if view.now.0 - idle.0 >= self.pools.cfg.scale_in_delay.0 {
                    self.pools.scale_downs += 1;
                    self.pools.scale_downs_empty += 1;
                    let name = &node.row.name;
                    out.push(Action::event("ScaleDown", format!("node/{name}"), "GOATScaler: releasing idle node"));
                    out.push(Action::Terminate { node: n, reason: "idle (scale-in delay)".into() });
                }
            }
        }
    }

    fn scan(&mut self, view: &mut View<'_>, out: &mut Vec<Action>) -> Result<(), SimError> {
        if !self.pools.specs.is_empty() && view.objects.pending().next().is_some() {
            self.provision(view, out)?;
        }
        self.release(view, out);
        out.push(Action::WakeAt { at: view.now.plus(self.pools.cfg.scan_interval), phase: Phase::Scaler, token: TICK });
        Ok(())
    }
}

impl Controller for SmartHosting {
    fn name(&self) -> &'static str {
        "smart-hosting"
    }

    fn start(&mut self, _view: &mut View<'_>) -> Result<Vec<Action>, SimError> {
        Ok(vec![Action::WakeAt { at: crate::engine::SimTime::ZERO, phase: Phase::Scaler, token: TICK }])
    }

    fn react(
        &mut self,
        cause: Cause,
        view: &mut View<'_>,
        _rng: &mut dyn RandomSource,
    ) -> Result<Vec<Action>, SimError> {
        let mut out = Vec::new();
        match cause {
            // The tick gives up late nodes first; the scan follows at once or as its continuation.
            Cause::Wake(TICK) if self.pools.tick(view, &mut out) => self.scan(view, &mut out)?,
            Cause::Wake(TICK) => {}
            Cause::Wake(SCAN) => self.scan(view, &mut out)?,
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
