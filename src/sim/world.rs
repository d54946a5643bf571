//! The one loop: streamed trace arrivals merged with the event queue, each event handled by the
//! substrate or handed to a controller, the causes it raised delivered, and the actions
//! controllers return applied in order.

use super::controller::{Action, Cause, Controller, Interests, NodeKey, PodKey};
use super::objects::{Node, Objects, Owner};
use super::record::{Counters, CpuMemIntegrals, CurvePoint, EventRow, NodeRow, RunResult, Sample, Snapshot};
use super::spec::{ClusterSpec, RunOptions, TimelineOp};
use super::view::{CloudDesk, Fork, NodeNames, View};
use super::SimError;
use crate::core::{ClusterState, NodeSpec, PlacementPolicy, PodSpec, Scheduler, MILLI_PER_GPU};
use crate::engine::{EventQueue, Phase, RngStreams, SimTime, Stream};
use crate::market::cloud::{Cloud, Grant};
use crate::market::spot::CapacityType;
use crate::workload::TracePod;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Where a static node came from, for `nodes.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeMeta {
    /// Pool (the node group's name, or `trace` for a trace node list).
    pub pool: String,
    /// Instance type name.
    pub instance_type: String,
}

/// A step of a launched node's start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The instance runs.
    Running,
    /// The node is Ready.
    Ready,
    /// Its GPUs are advertised (CPU nodes: Ready is enough): it joins the scheduler's view.
    Join,
}

pub(crate) enum Ev {
    PodGone(PodKey, super::record::Outcome),
    Timeline(usize),
    External(usize),
    NodeStep(NodeKey, Step),
    PodStarted(PodKey),
    Schedule,
    Sample,
    Snapshot,
    /// A drained node terminates.
    NodeGone(NodeKey),
    SpotNotice(NodeKey),
    /// An interruption replayed from the history file.
    History(usize),
    /// A spot price change replayed from the price history file.
    SpotPrice(usize),
    /// A controller's timer.
    Wake(usize, u64),
}

/// The allocation curve being recorded.
pub(crate) struct Curve {
    pub max_pct: u32,
    pub capacity: u64,
    pub arrived: u64,
    pub next_pct: u32,
    pub workload: crate::core::Workload,
    pub points: Vec<CurvePoint>,
}

/// The substrate's state: everything but the controllers.
pub(crate) struct State<'a> {
    pub spec: &'a ClusterSpec,
    pub opts: RunOptions,
    pub cluster: ClusterState,
    pub scheduler: Scheduler<'a>,
    pub rng_place: Stream,
    pub rng_life: Stream,
    pub q: EventQueue<Ev>,
    pub now: SimTime,
    pub obj: Objects,
    pub cloud: Cloud,
    pub events: Vec<EventRow>,
    pub counters: Counters,
    pub schedule_at: Option<SimTime>,
    pub samples: Vec<Sample>,
    pub alloc_integral: u128,
    pub cap_integral: u128,
    pub cpu_mem: CpuMemIntegrals,
    pub last_t: SimTime,
    pub peak: u64,
    pub peak_ppm: u64,
    pub n_events: u64,
    pub running: u64,
    pub external: Vec<TimelineOp>,
    pub snapshot: Option<Snapshot>,
    pub next_job: usize,
    pub causes: VecDeque<(usize, Cause)>,
    pub interests: Vec<Interests>,
    pub curve: Option<Curve>,
    pub end: SimTime,
}

struct Slot<'a> {
    ctl: Box<dyn Controller + 'a>,
    rng: Stream,
}

/// One cluster's run: the substrate and the controllers plugged into it.
pub struct World<'a> {
    pub(crate) st: State<'a>,
    slots: Vec<Slot<'a>>,
}

impl<'a> World<'a> {
    /// A run of `spec` with the static `nodes`, placing pods with `policy`, its controllers in
    /// registration order (their same-instant order, see [`crate::sim`]).
    pub fn new(
        spec: &'a ClusterSpec,
        opts: RunOptions,
        mut cluster: ClusterState,
        nodes: &[(NodeSpec, NodeMeta)],
        policy: Box<dyn PlacementPolicy + 'a>,
        streams: &RngStreams,
        controllers: Vec<Box<dyn Controller + 'a>>,
    ) -> Result<Self, SimError> {
        let mut obj = Objects { pdbs: spec.pdbs.clone(), ..Default::default() };
        obj.live = vec![Vec::new(); 1 + controllers.len()];
        for (spec, meta) in nodes {
            let id = cluster.add_node(spec)?;
            let key = obj.nodes.len();
            obj.nodes.push(Node {
                row: NodeRow {
                    id: Some(id),
                    name: spec.name.clone(),
                    pool: meta.pool.clone(),
                    instance_type: meta.instance_type.clone(),
                    capacity_type: "on-demand".into(),
                    zone: String::new(),
                    gpus: spec.gpu_count,
                    launched: SimTime::ZERO,
                    ready: Some(SimTime::ZERO),
                    terminated: None,
                    reason: String::new(),
                    price_micro_h: 0,
                    on_demand_micro_h: 0,
                    billed_micro: 0,
                    billed_from: SimTime::ZERO,
                },
                owner: Owner::Static,
                spec: spec.clone(),
                capacity: CapacityType::OnDemand,
                pods: BTreeSet::new(),
                empty_since: Some(SimTime::ZERO),
                last_change: SimTime::ZERO,
                binds: 0,
                draining: false,
                scale_down_disabled: false,
                do_not_disrupt: false,
                images: BTreeMap::new(),
                grant: Grant::default(),
                drain_reason: String::new(),
            });
            obj.by_core.insert(id, key);
            obj.own(Owner::Static, key);
        }
        obj.n_static = obj.nodes.len();
        let interests = controllers.iter().map(|c| c.interests()).collect();
        let slots = controllers
            .into_iter()
            .map(|ctl| {
                let rng = streams.stream(&ctl.stream());
                Slot { ctl, rng }
            })
            .collect();
        let end = opts.end.unwrap_or(SimTime(u64::MAX));
        Ok(World {
            st: State {
                spec,
                opts,
                cluster,
                scheduler: Scheduler::new(policy),
                rng_place: streams.stream("placement"),
                rng_life: streams.stream("lifecycle"),
                q: EventQueue::new(),
                now: SimTime::ZERO,
                obj,
                cloud: Cloud::new(&spec.cloud, streams.stream("spot/interruptions")),
                events: Vec::new(),
                counters: Counters::default(),
                schedule_at: None,
                samples: Vec::new(),
                alloc_integral: 0,
                cap_integral: 0,
                cpu_mem: CpuMemIntegrals::default(),
                last_t: SimTime::ZERO,
                peak: 0,
                peak_ppm: 0,
                n_events: 0,
                running: 0,
                external: Vec::new(),
                snapshot: None,
                next_job: 0,
                causes: VecDeque::new(),
                interests,
                curve: None,
                end,
            },
            slots,
        })
    }

    /// Runs to the end with the trace's `jobs` (in creation order) arriving at their times.
    pub fn run(mut self, jobs: &[TracePod]) -> Result<RunResult, SimError> {
        self.start(jobs)?;
        self.step(jobs, self.st.end)?;
        self.finish()
    }

    /// Starts a run that [`World::step`] advances and [`World::finish`] closes (a fleet steps
    /// its members in turn): creates the trace's pods, queues the timeline, starts the
    /// controllers (in registration order), then the samples, the snapshot and the cloud's
    /// replayed histories.
    pub fn start(&mut self, jobs: &[TracePod]) -> Result<(), SimError> {
        let st = &mut self.st;
        for (i, j) in jobs.iter().enumerate() {
            if i > 0 && j.created < jobs[i - 1].created {
                return Err(SimError::Input(format!(
                    "trace pods must come in creation order: `{}` comes after a later pod",
                    j.spec.name
                )));
            }
            // Trace pods get Kubernetes' default grace period (30 s), which a drain waits for.
            let p = st.new_pod(j.spec.clone(), None, String::new(), 0, SimTime::from_secs(30), j.created);
            let pod = &mut st.obj.pods[p];
            if st.opts.departures {
                pod.duration = j.deleted.map(|d| SimTime(d.0.saturating_sub(j.created.0)));
            }
            pod.checkpoint = j.checkpoint;
            pod.do_not_disrupt = j.do_not_disrupt;
            pod.gang = j.gang;
            pod.priority = j.priority;
        }
        for i in 0..st.spec.timeline.len() {
            st.push(st.spec.timeline[i].0, Phase::Arrival, Ev::Timeline(i))?;
        }
        if let Some((max_pct, workload)) = st.opts.curve.clone() {
            let capacity = st.cluster.totals().gpus * MILLI_PER_GPU as u64;
            if capacity == 0 {
                return Err(SimError::Input("the allocation curve needs a cluster with GPUs".into()));
            }
            st.curve = Some(Curve { max_pct, capacity, arrived: 0, next_pct: 0, workload, points: Vec::new() });
            st.curve_until(0);
        }
        for c in 0..self.slots.len() {
            let actions = {
                let (st, slot) = (&mut self.st, &mut self.slots[c]);
                let mut next = 0;
                let mut view = st.view(c, &mut next);
                slot.ctl.start(&mut view).map_err(|e| e.of(slot.ctl.name()))?
            };
            self.apply(c, actions)?;
        }
        let st = &mut self.st;
        if st.opts.sample_every.is_some() {
            st.push(SimTime::ZERO, Phase::Sample, Ev::Sample)?;
        }
        if let Some(at) = st.opts.snapshot_at {
            st.push(at, Phase::Sample, Ev::Snapshot)?;
        }
        let market = st.spec.cloud.market.clone();
        for (i, h) in market.history.iter().enumerate() {
            if h.at <= st.end {
                st.push(h.at, Phase::Lifecycle, Ev::History(i))?;
            }
        }
        for (i, h) in market.price_history.iter().enumerate() {
            if h.at <= st.end {
                st.push(h.at, Phase::Lifecycle, Ev::SpotPrice(i))?;
            }
        }
        self.settle()
    }

    /// Processes every event up to and including `until` (capped at the run's end); `jobs` are
    /// the trace given to [`World::start`].
    pub fn step(&mut self, jobs: &[TracePod], until: SimTime) -> Result<(), SimError> {
        let until = until.min(self.st.end);
        let open_ended = self.st.opts.end.is_none();
        // Trace arrivals are streamed: merged with the queue in (time, phase) order, a trace arrival
        // first among same-instant arrivals, instead of filling the heap with the whole trace.
        loop {
            let st = &mut self.st;
            let arrival = jobs.get(st.next_job).map(|j| (j.created, Phase::Arrival));
            let next = st.q.peek();
            // Without an end, stop once only the sampler is left: nothing can change any more.
            if open_ended && arrival.is_none() && st.q.len() == 1 && next.is_some_and(|e| e.1 == Phase::Sample) {
                break;
            }
            let (t, ev) = match (arrival, next) {
                (None, None) => break,
                (Some(a), e) if e.is_none_or(|e| a <= e) => {
                    if a.0 > until {
                        break;
                    }
                    st.next_job += 1;
                    st.q.advance(a.0);
                    (a.0, None)
                }
                (_, Some(e)) if e.0 > until => break,
                _ => {
                    let (t, _, ev) = st.q.pop().expect("peeked");
                    (t, Some(ev))
                }
            };
            st.advance(t);
            st.n_events += 1;
            match ev {
                // Trace pods were created up front in order; pod i is trace job i.
                None => st.arrive(st.next_job - 1)?,
                Some(Ev::Wake(c, token)) => self.react(c, Cause::Wake(token))?,
                Some(ev) => self.st.handle(ev)?,
            }
            self.settle()?;
            self.st.track_peak();
        }
        Ok(())
    }

    /// Closes the run at its end: the controllers' last accounting, the final sample, costs and
    /// records.
    pub fn finish(mut self) -> Result<RunResult, SimError> {
        let end = self.st.opts.end.unwrap_or(self.st.now).max(self.st.now);
        self.st.now = end;
        self.st.advance(end);
        let mut figures = super::record::Figures::new();
        for c in 0..self.slots.len() {
            let (st, slot) = (&mut self.st, &mut self.slots[c]);
            let mut next = 0;
            let view = st.view(c, &mut next);
            slot.ctl.finish(&view);
            for (k, v) in slot.ctl.figures() {
                *figures.entry(k).or_default() += v;
            }
        }
        Ok(self.st.result(end, figures))
    }

    /// Delivers the causes raised so far, and those their reactions raise, in order.
    fn settle(&mut self) -> Result<(), SimError> {
        while let Some((c, cause)) = self.st.causes.pop_front() {
            self.react(c, cause)?;
        }
        Ok(())
    }

    /// Controller `c` reacts to `cause`; its actions are applied.
    fn react(&mut self, c: usize, cause: Cause) -> Result<(), SimError> {
        let actions = {
            let (st, slot) = (&mut self.st, &mut self.slots[c]);
            let mut next = 0;
            let mut view = st.view(c, &mut next);
            slot.ctl.react(cause, &mut view, &mut slot.rng).map_err(|e| e.of(slot.ctl.name()))?
        };
        self.apply(c, actions)
    }

    fn apply(&mut self, c: usize, actions: Vec<Action>) -> Result<(), SimError> {
        let name = self.slots[c].ctl.name();
        for a in actions {
            self.st.apply(c, a).map_err(|e| e.of(name))?;
        }
        Ok(())
    }

    /// Sets the region's stock of `instance_type` (a fleet's inventory): launches of it fail once
    /// it is exhausted. Terminations do not give stock back.
    pub fn set_region_stock(&mut self, instance_type: &str, stock: u32) {
        self.st.cloud.set_region_stock(instance_type, stock);
    }

    /// How many more replicas of `pod` this cluster can run, up to `limit`: on its nodes now,
    /// plus, `with_growth`, what its controllers' node groups could add
    /// ([`Controller::growth`]; see [`crate::core::fleet::available_replicas`]).
    pub fn available_replicas(&mut self, pod: &PodSpec, limit: u32, with_growth: bool) -> Result<u32, SimError> {
        let mut groups = Vec::new();
        if with_growth {
            for c in 0..self.slots.len() {
                let (st, slot) = (&mut self.st, &self.slots[c]);
                let mut next = 0;
                let view = st.view(c, &mut next);
                groups.extend(slot.ctl.growth(&view, pod));
            }
        }
        Ok(crate::core::fleet::available_replicas(&mut self.st.cluster, pod, &groups, limit)?)
    }

    /// Replicas of Deployment `name` pending since `since` or earlier (what Karmada's descheduler
    /// calls unschedulable after its threshold).
    pub fn pending_replicas(&self, name: &str, since: SimTime) -> u32 {
        let o = &self.st.obj;
        let Some(d) = o.deployment_named(name) else { return 0 };
        o.deployments[d]
            .pods
            .iter()
            .filter(|&&p| o.pods[p].state == super::PodState::Pending && o.recs[p].created <= since)
            .count() as u32
    }

    /// Schedules `op` (a Deployment applied, scaled or deleted) at `at`, not before the last
    /// event processed.
    pub fn inject(&mut self, at: SimTime, op: TimelineOp) -> Result<(), SimError> {
        self.st.external.push(op);
        let i = self.st.external.len() - 1;
        self.st.push(at, Phase::Arrival, Ev::External(i))
    }

    /// The objects (for a caller stepping the run, and for tests).
    pub fn objects(&self) -> &Objects {
        &self.st.obj
    }
}

impl<'a> State<'a> {
    pub(crate) fn push(&mut self, t: SimTime, phase: Phase, ev: Ev) -> Result<(), SimError> {
        Ok(self.q.push(t, phase, ev)?)
    }

    pub(crate) fn event(&mut self, kind: &'static str, object: String, message: String) {
        if self.opts.events {
            self.events.push(EventRow { t: self.now, kind, object, message });
        }
    }

    /// A view for controller `c`; `next` counts the nodes it names.
    pub(crate) fn view<'v>(&'v mut self, c: usize, next: &'v mut usize) -> View<'v> {
        View {
            now: self.now,
            end: self.end,
            me: c,
            objects: &self.obj,
            spec: self.spec,
            cluster: Fork { c: &mut self.cluster },
            cloud: CloudDesk { cloud: &mut self.cloud },
            names: NodeNames { next, base: self.obj.nodes.len(), n_static: self.obj.n_static },
        }
    }

    /// Queues `cause` for the controllers it concerns: a node's owner first for node causes, then
    /// every controller whose interests include it, in registration order.
    pub(crate) fn raise(&mut self, cause: Cause) {
        let owner = match cause {
            Cause::NodeJoined(n) | Cause::NodeLeft(n) | Cause::Notice(n) => match self.obj.nodes[n].owner {
                Owner::Controller { index, .. } => Some(index),
                Owner::Static => None,
            },
            _ => None,
        };
        if let Some(o) = owner.filter(|&o| o < self.interests.len()) {
            self.causes.push_back((o, cause));
        }
        for (c, i) in self.interests.iter().enumerate() {
            let wants = match cause {
                Cause::Unschedulable(_) => i.unschedulable,
                Cause::NodeJoined(_) | Cause::NodeLeft(_) => i.nodes && owner != Some(c),
                Cause::PodStarted(_) | Cause::PodStopped(_) => i.pods,
                Cause::Notice(_) | Cause::Wake(_) => false,
            };
            if wants {
                self.causes.push_back((c, cause));
            }
        }
    }

    pub(crate) fn apply(&mut self, c: usize, a: Action) -> Result<(), SimError> {
        match a {
            Action::Launch(l) => self.launch(c, *l),
            Action::Drain { node, reason, drain_for } => {
                self.live_node(node).and_then(|_| self.drain(node, &reason, drain_for))
            }
            Action::Terminate { node, reason } => self.live_node(node).and_then(|_| self.terminate(node, &reason)),
            Action::SetReplicas { deployment, replicas } => {
                if self.obj.deployments.get(deployment).is_none_or(|d| d.deleted) {
                    return Err(SimError::Input(format!(
                        "SetReplicas of deployment #{deployment}, which does not exist"
                    )));
                }
                self.scale_deployment(deployment, replicas)
            }
            Action::WakeAt { at, phase, token } => {
                if at <= self.end {
                    self.push(at, phase, Ev::Wake(c, token))?;
                }
                Ok(())
            }
            Action::Continue { token } => {
                self.causes.push_back((c, Cause::Wake(token)));
                Ok(())
            }
            Action::Event { kind, object, message } => {
                self.event(kind, object, message);
                Ok(())
            }
            Action::PodReason { pod, reason } => {
                let r = self.obj.recs.get_mut(pod).ok_or_else(|| SimError::Input(format!("no pod #{pod}")))?;
                r.reason = reason;
                Ok(())
            }
        }
    }

    fn live_node(&self, n: NodeKey) -> Result<(), SimError> {
        match self.obj.nodes.get(n) {
            Some(_) => Ok(()),
            None => Err(SimError::Input(format!("no node #{n}"))),
        }
    }

    fn handle(&mut self, ev: Ev) -> Result<(), SimError> {
        let t = self.now;
        match ev {
            Ev::Timeline(i) => {
                let op = self.spec.timeline[i].1.clone();
                self.apply_op(&op).map_err(|e| e.context(&format!("timeline[{i}]")))?
            }
            Ev::External(i) => {
                let op = self.external[i].clone();
                self.apply_op(&op).map_err(|e| e.context(&format!("at {t}")))?
            }
            Ev::NodeStep(n, step) => self.node_step(n, step)?,
            Ev::PodStarted(p) => self.pod_started(p)?,
            Ev::PodGone(p, outcome) => self.pod_gone(p, outcome)?,
            Ev::Schedule => {
                // A pod created later in this instant (by a controller, a drain) asks for
                // another cycle at the same time.
                self.schedule_at = None;
                self.schedule()?
            }
            Ev::Sample => {
                let s = self.sample(t);
                self.samples.push(s);
                if let Some(iv) = self.opts.sample_every {
                    let next = t.plus(iv);
                    if next <= self.end || self.opts.end.is_none() {
                        self.push(next, Phase::Sample, Ev::Sample)?;
                    }
                }
            }
            Ev::Snapshot => self.snapshot = Some(self.take_snapshot(t)),
            Ev::NodeGone(n) => {
                let reason = std::mem::take(&mut self.obj.nodes[n].drain_reason);
                self.terminate(n, &reason)?
            }
            Ev::SpotNotice(n) => self.raise(Cause::Notice(n)),
            Ev::History(i) => self.history(i),
            Ev::SpotPrice(i) => self.spot_price(i),
            Ev::Wake(..) => unreachable!("wakes go to their controller"),
        }
        Ok(())
    }

    /// A trace pod arrives.
    fn arrive(&mut self, p: PodKey) -> Result<(), SimError> {
        self.obj.recs[p].created = self.now;
        self.obj.pending.push_back(p);
        self.want_schedule()
    }

    pub(crate) fn want_schedule(&mut self) -> Result<(), SimError> {
        if self.schedule_at != Some(self.now) {
            self.schedule_at = Some(self.now);
            self.push(self.now, Phase::Schedule, Ev::Schedule)?;
        }
        Ok(())
    }
}
