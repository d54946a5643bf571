//! The autoscaling run loop: nodes launched, becoming Ready and terminated; pods created by the
//! timeline or the trace, scheduled by the core, pulling their image and running; the scaler
//! loop every scan interval; Kubernetes-style events; per-second billing.
//!
//! Same-instant order is the engine's [`Phase`] order: departures, arrivals and timeline steps,
//! lifecycle steps, one scheduling cycle, the scaler loop, samples.

mod karpenter;
mod service;

pub use service::ServiceStats;

use super::{AutoscaleSpec, DeploymentSpec, PoolMode, TimelineOp};
use crate::core::scaleup::{self, NodeGroup};
use crate::core::{ClusterState, NodeId, NodeTemplate, PodId, PodSpec, Scheduler, MILLI_PER_GPU};
use crate::engine::{EventQueue, Outcome, Phase, PodRecord, RngStreams, Sample, SimResult, SimTime, Stream};
use crate::market::cost_micro;
use crate::workload::TracePod;
use std::collections::{BTreeMap, VecDeque};

/// One node's life, as `nodes.csv` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRow {
    /// Id in the scheduler's state once joined.
    pub id: Option<NodeId>,
    /// Name.
    pub name: String,
    /// Pool.
    pub pool: String,
    /// Instance type.
    pub instance_type: String,
    /// `on-demand` (spot arrives with the Karpenter issue).
    pub capacity_type: String,
    /// Zone.
    pub zone: String,
    /// GPUs.
    pub gpus: u32,
    /// Launch request.
    pub launched: SimTime,
    /// Node Ready.
    pub ready: Option<SimTime>,
    /// Terminated.
    pub terminated: Option<SimTime>,
    /// Why it was terminated.
    pub reason: String,
    /// Price, micro-USD per hour.
    pub price_micro_h: u64,
    /// On-demand price of the same type and zone, micro-USD per hour (what the node would have
    /// cost on demand; equal to `price_micro_h` for on-demand nodes).
    pub on_demand_micro_h: u64,
    /// Cost billed before `billed_from` (spot price changes close a segment), micro-USD.
    pub billed_micro: u64,
    /// Start of the segment billed at `price_micro_h` (the launch, or the last price change).
    pub billed_from: SimTime,
}

impl NodeRow {
    /// Cost up to `t` (or its termination), micro-USD.
    pub fn cost_until(&self, t: SimTime) -> u64 {
        let end = self.terminated.unwrap_or(t).min(t);
        self.billed_micro + cost_micro(self.price_micro_h, end.0.saturating_sub(self.billed_from.0))
    }
}

/// A Kubernetes-style event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// When.
    pub t: SimTime,
    /// Reason (`FailedScheduling`, `TriggeredScaleUp`, ...).
    pub kind: &'static str,
    /// The object (`pod/NAME`, `node/NAME`, `pool/NAME`).
    pub object: String,
    /// Message.
    pub message: String,
}

/// Counters for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Scale-up decisions (autoscaler expansions and smart-hosting provisionings).
    pub scale_ups: u64,
    /// Nodes removed by a scaler.
    pub scale_downs: u64,
    /// Nodes launched.
    pub nodes_launched: u64,
    /// Nodes terminated.
    pub nodes_terminated: u64,
    /// Launches that failed (no stock) or nodes given up after the max provision time.
    pub provisioning_failures: u64,
    /// Pods evicted by scale-down.
    pub evictions: u64,
    /// Karpenter voluntary disruptions (nodes): empty, underutilized (deleted or replaced) and
    /// expired.
    pub disruptions_empty: u64,
    /// See `disruptions_empty`.
    pub disruptions_underutilized: u64,
    /// See `disruptions_empty`.
    pub disruptions_expired: u64,
    /// Pods moved by voluntary disruptions.
    pub disrupted_pods: u64,
    /// Spot interruption notices acted on.
    pub interruptions: u64,
    /// Pods evicted by spot interruptions.
    pub interrupted_pods: u64,
    /// GPU work lost to evictions (since each job's last checkpoint), GPU·ms.
    pub lost_gpu_ms: u64,
}

impl Counters {
    /// Adds `o`'s counts (a fleet's totals). Destructured, so a new counter cannot be forgotten.
    pub fn add(&mut self, o: &Counters) {
        let Counters {
            scale_ups,
            scale_downs,
            nodes_launched,
            nodes_terminated,
            provisioning_failures,
            evictions,
            disruptions_empty,
            disruptions_underutilized,
            disruptions_expired,
            disrupted_pods,
            interruptions,
            interrupted_pods,
            lost_gpu_ms,
        } = *o;
        self.scale_ups += scale_ups;
        self.scale_downs += scale_downs;
        self.nodes_launched += nodes_launched;
        self.nodes_terminated += nodes_terminated;
        self.provisioning_failures += provisioning_failures;
        self.evictions += evictions;
        self.disruptions_empty += disruptions_empty;
        self.disruptions_underutilized += disruptions_underutilized;
        self.disruptions_expired += disruptions_expired;
        self.disrupted_pods += disrupted_pods;
        self.interruptions += interruptions;
        self.interrupted_pods += interrupted_pods;
        self.lost_gpu_ms += lost_gpu_ms;
    }
}

/// What an autoscaling run produced.
#[derive(Debug, Clone)]
pub struct WorldResult {
    /// Pods, samples and integrals, as a packing run reports them.
    pub sim: SimResult,
    /// Every node that was launched.
    pub nodes: Vec<NodeRow>,
    /// Events in time order.
    pub events: Vec<EventRow>,
    /// Counters.
    pub counters: Counters,
    /// Total cost, micro-USD.
    pub cost_micro: u64,
    /// GPU·ms provisioned (paid: from launch request to termination).
    pub gpu_ms_provisioned: u128,
    /// Time integrals over the nodes present (joined, not yet removed): CPU allocated and
    /// capacity (milli-CPU·ms), memory allocated and capacity (MiB·ms).
    pub cpu_mem_integrals: CpuMemIntegrals,
    /// The highest GPU allocation as a share of the GPUs present at that moment, in millionths
    /// (capacity changes, so the peak allocation over the final capacity would mislead).
    pub peak_gpu_alloc_ppm: u64,
    /// Inference services' figures, in scenario order.
    pub services: Vec<ServiceStats>,
    /// Gang-scheduled jobs' figures.
    pub jobs: JobStats,
    /// The state at [`World::snapshot_at`]'s instant, when asked for.
    pub snapshot: Option<WorldSnapshot>,
}

/// Gang-scheduled jobs (pod groups with `parallelism`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobStats {
    /// Jobs.
    pub jobs: u64,
    /// Jobs whose every worker completed.
    pub completed: u64,
    /// Jobs that started (all workers together).
    pub started: u64,
    /// Sum over started jobs of creation to start, ms.
    pub queueing_ms: u64,
    /// Sum over completed jobs of creation to the last worker's completion, ms.
    pub completion_ms: u64,
}

impl JobStats {
    /// Adds `o`'s figures (a fleet's totals).
    pub fn add(&mut self, o: &JobStats) {
        let JobStats { jobs, completed, started, queueing_ms, completion_ms } = *o;
        self.jobs += jobs;
        self.completed += completed;
        self.started += started;
        self.queueing_ms += queueing_ms;
        self.completion_ms += completion_ms;
    }
}

/// Time integrals of CPU and memory allocation and capacity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuMemIntegrals {
    /// Milli-CPU allocated, integrated over ms.
    pub cpu_allocated: u128,
    /// Milli-CPU capacity, integrated over ms.
    pub cpu_capacity: u128,
    /// MiB allocated, integrated over ms.
    pub mem_allocated: u128,
    /// MiB capacity, integrated over ms.
    pub mem_capacity: u128,
}

impl CpuMemIntegrals {
    /// Adds `o`'s integrals (a fleet's totals).
    pub fn add(&mut self, o: &CpuMemIntegrals) {
        let CpuMemIntegrals { cpu_allocated, cpu_capacity, mem_allocated, mem_capacity } = *o;
        self.cpu_allocated += cpu_allocated;
        self.cpu_capacity += cpu_capacity;
        self.mem_allocated += mem_allocated;
        self.mem_capacity += mem_capacity;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PState {
    Pending,
    Bound,
    Running,
    Terminating,
    Gone,
}

struct Pod {
    spec: PodSpec,
    deployment: Option<usize>,
    image: String,
    image_bytes: u64,
    grace: SimTime,
    duration: Option<SimTime>,
    state: PState,
    node: Option<usize>,
    failed_once: bool,
    reported_no_pool: bool,
    do_not_disrupt: bool,
    /// PodDisruptionBudgets selecting the pod.
    pdbs: Vec<usize>,
    /// Gang (job id, workers) and priority.
    gang: Option<(u64, u32)>,
    priority: i32,
    checkpoint: Option<SimTime>,
    /// The trace pod this one retries (itself for a first attempt), and attempts so far.
    origin: usize,
    retries: u32,
    /// The inference service it serves, and whether it is serving (Running, model loaded).
    service: Option<usize>,
    serving: bool,
    /// Tokens per second it serves while serving.
    capacity: u64,
}

struct Node {
    row: NodeRow,
    pool: usize,
    itype: usize,
    template: NodeTemplate,
    images: BTreeMap<String, SimTime>,
    idle_since: Option<SimTime>,
    unneeded_since: Option<SimTime>,
    /// Pods bound here (terminating ones included), by index.
    pods: std::collections::BTreeSet<usize>,
    /// Karpenter bookkeeping, for nodes a NodePool launched.
    kp: Option<karpenter::KNode>,
    /// Cordoned and draining: out of the scheduler's view, terminated when its pods are gone.
    draining: bool,
}

struct Deployment {
    spec: DeploymentSpec,
    pods: Vec<usize>,
    next: u32,
    deleted: bool,
}

enum Ev {
    PodGone(usize, Outcome),
    Arrive(usize),
    Timeline(usize),
    NodeStep(usize, u8),
    PodStarted(usize),
    Schedule,
    Tick,
    Sample,
    /// Karpenter: a batch of pending pods may have closed.
    Provision,
    /// Karpenter: the disruption controller's loop.
    Disrupt,
    /// A spot interruption notice for a node.
    SpotNotice(usize),
    /// A drained node is terminated (the reason's index in [`karpenter::GONE`]).
    NodeGone(usize, u8),
    /// An interruption replayed from the history file.
    History(usize),
    /// A spot price change replayed from the price history file.
    SpotPrice(usize),
    /// A service replica has loaded its model and serves.
    Serving(usize),
    /// A service's HPA sync.
    Hpa(usize),
    /// Record the state for [`WorldResult::snapshot`].
    Snapshot,
    /// An operation from outside (a fleet's dispatch), by index in `external`.
    External(usize),
}

/// An autoscaling run.
pub struct World<'a> {
    spec: &'a AutoscaleSpec,
    cluster: ClusterState,
    scheduler: Scheduler<'a>,
    rng_place: Stream,
    rng_life: Stream,
    rng_expander: Stream,
    q: EventQueue<Ev>,
    now: SimTime,
    pods: Vec<Pod>,
    recs: Vec<PodRecord>,
    pending: VecDeque<usize>,
    nodes: Vec<Node>,
    by_core: BTreeMap<NodeId, usize>,
    deployments: Vec<Deployment>,
    events: Vec<EventRow>,
    counters: Counters,
    backoff_until: Vec<SimTime>,
    stock: Vec<BTreeMap<String, u32>>,
    /// The region's stock by instance type, when a fleet's inventory sets it (absent: unlimited).
    region_stock: BTreeMap<String, u32>,
    last_scale_up: Option<SimTime>,
    schedule_at: Option<SimTime>,
    samples: Vec<Sample>,
    alloc_integral: u128,
    cap_integral: u128,
    cpu_mem: CpuMemIntegrals,
    last_t: SimTime,
    peak: u64,
    peak_ppm: u64,
    n_events: u64,
    static_nodes: Vec<NodeRow>,
    kp: karpenter::KState,
    svc: Vec<service::SvcState>,
    snapshot_at: Option<SimTime>,
    /// The run's end and sample interval (set by `start`).
    end: SimTime,
    sample_every: SimTime,
    /// The next trace job to arrive.
    next_job: usize,
    /// Operations pushed from outside with [`World::inject`].
    external: Vec<TimelineOp>,
    snapshot: Option<WorldSnapshot>,
}

/// The cluster as the simulator holds it at one instant, for `fleetsim plan` and its fidelity test.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldSnapshot {
    /// When.
    pub at: SimTime,
    /// Nodes that have joined, bound pods, pending pods (creation order).
    pub cluster: crate::k8s::Snapshot,
    /// Each pending pod's creation time, RFC 3339 (UTC, from `simulation.start`).
    pub pending_created: Vec<String>,
}

const JOIN: u8 = 3;

impl<'a> World<'a> {
    /// A run of `spec` on `cluster` (its static nodes, already added), placing with `policy`.
    pub fn new(
        spec: &'a AutoscaleSpec,
        cluster: ClusterState,
        policy: Box<dyn crate::core::PlacementPolicy + 'a>,
        streams: &RngStreams,
    ) -> Self {
        let static_nodes = cluster
            .nodes()
            .map(|(id, n)| NodeRow {
                id: Some(id),
                name: n.name.clone(),
                pool: "static".into(),
                instance_type: String::new(),
                capacity_type: "on-demand".into(),
                zone: String::new(),
                gpus: n.gpu_free.len() as u32,
                launched: SimTime::ZERO,
                ready: Some(SimTime::ZERO),
                terminated: None,
                reason: String::new(),
                price_micro_h: 0,
                on_demand_micro_h: 0,
                billed_micro: 0,
                billed_from: SimTime::ZERO,
            })
            .collect();
        World {
            spec,
            cluster,
            scheduler: Scheduler::new(policy),
            rng_place: streams.stream("placement"),
            rng_life: streams.stream("lifecycle"),
            rng_expander: streams.stream("scaler/expander"),
            q: EventQueue::new(),
            now: SimTime::ZERO,
            pods: Vec::new(),
            recs: Vec::new(),
            pending: VecDeque::new(),
            nodes: Vec::new(),
            by_core: BTreeMap::new(),
            deployments: Vec::new(),
            events: Vec::new(),
            counters: Counters::default(),
            backoff_until: vec![SimTime::ZERO; spec.pools.len()],
            stock: spec.pools.iter().map(|p| p.stock.clone()).collect(),
            last_scale_up: None,
            schedule_at: None,
            samples: Vec::new(),
            alloc_integral: 0,
            cap_integral: 0,
            cpu_mem: CpuMemIntegrals::default(),
            last_t: SimTime::ZERO,
            peak: 0,
            peak_ppm: 0,
            n_events: 0,
            static_nodes,
            kp: karpenter::KState::new(spec, streams),
            svc: spec.services.iter().map(|_| service::SvcState::default()).collect(),
            snapshot_at: None,
            end: SimTime::ZERO,
            sample_every: SimTime::ZERO,
            next_job: 0,
            external: Vec::new(),
            region_stock: BTreeMap::new(),
            snapshot: None,
        }
    }

    fn push(&mut self, t: SimTime, phase: Phase, ev: Ev) -> Result<(), String> {
        self.q.push(t, phase, ev).map_err(|e| e.to_string())
    }

    fn event(&mut self, kind: &'static str, object: String, message: String) {
        self.events.push(EventRow { t: self.now, kind, object, message });
    }

    fn want_schedule(&mut self) -> Result<(), String> {
        if self.schedule_at != Some(self.now) {
            self.schedule_at = Some(self.now);
            self.push(self.now, Phase::Schedule, Ev::Schedule)?;
        }
        Ok(())
    }

    /// Runs to `end`, with the trace's `jobs` arriving at their creation times.
    pub fn run(
        mut self,
        jobs: &[TracePod],
        departures: bool,
        end: SimTime,
        sample: SimTime,
    ) -> Result<WorldResult, String> {
        self.start(jobs, departures, end, sample)?;
        self.step(jobs, end)?;
        self.finish()
    }

    /// Starts a run that [`World::step`] advances and [`World::finish`] closes (what
    /// [`World::run`] does in one call; a fleet steps its members in turn): loads the trace
    /// `jobs` (in creation order) and the timeline, launches the pools' minimum nodes and starts
    /// the periodic loops up to `end`, sampling every `sample`.
    pub fn start(&mut self, jobs: &[TracePod], departures: bool, end: SimTime, sample: SimTime) -> Result<(), String> {
        self.end = end;
        self.sample_every = sample;
        for (i, j) in jobs.iter().enumerate() {
            // Trace pods get Kubernetes' default grace period (30 s), which a drain waits for.
            let idx = self.new_pod(j.spec.clone(), None, String::new(), 0, SimTime::from_secs(30), j.created);
            if departures {
                self.pods[idx].duration = j.deleted.map(|d| SimTime(d.0.saturating_sub(j.created.0)));
            }
            self.pods[idx].checkpoint = j.checkpoint;
            self.pods[idx].do_not_disrupt = j.do_not_disrupt;
            self.pods[idx].gang = j.gang;
            self.pods[idx].priority = j.priority;
            if i > 0 && j.created < jobs[i - 1].created {
                return Err(format!(
                    "trace pods must come in creation order: `{}` comes after a later pod",
                    j.spec.name
                ));
            }
        }
        for i in 0..self.spec.timeline.len() {
            self.push(self.spec.timeline[i].0, Phase::Arrival, Ev::Timeline(i))?;
        }
        for p in 0..self.spec.pools.len() {
            let pool = &self.spec.pools[p];
            if pool.mode == PoolMode::Autoscaler && pool.min > 0 {
                let ty = 0;
                for _ in 0..pool.min {
                    self.launch(p, ty, "pool min size")?;
                }
            }
        }
        self.push(SimTime::ZERO, Phase::Scaler, Ev::Tick)?;
        self.push(SimTime::ZERO, Phase::Sample, Ev::Sample)?;
        if let Some(at) = self.snapshot_at {
            self.push(at, Phase::Sample, Ev::Snapshot)?;
        }
        self.kp_start(end)?;
        self.svc_start(end)
    }

    /// Processes every event up to and including `until` (capped at the run's end); `jobs` are
    /// the trace given to [`World::start`].
    pub fn step(&mut self, jobs: &[TracePod], until: SimTime) -> Result<(), String> {
        let (end, sample) = (self.end, self.sample_every);
        let until = until.min(end);
        // Trace arrivals are streamed: merged with the queue in (time, phase) order, a trace arrival
        // first among same-instant arrivals, instead of filling the heap with the whole trace.
        loop {
            let arrival = jobs.get(self.next_job).map(|j| (j.created, Phase::Arrival));
            let (t, ev) = match (arrival, self.q.peek()) {
                (None, None) => break,
                (Some(a), e) if e.is_none_or(|e| a <= e) => {
                    if a.0 > until {
                        break;
                    }
                    self.next_job += 1;
                    self.q.advance(a.0);
                    (a.0, Ev::Arrive(self.next_job - 1))
                }
                (_, Some(e)) if e.0 > until => break,
                _ => {
                    let (t, _, ev) = self.q.pop().expect("peeked");
                    (t, ev)
                }
            };
            self.advance(t);
            self.n_events += 1;
            match ev {
                Ev::Arrive(i) => {
                    // Trace pods were created up front in order; pod i is trace job i.
                    self.recs[i].created = t;
                    self.pending.push_back(i);
                    self.want_schedule()?;
                }
                Ev::Timeline(i) => self.timeline(i)?,
                Ev::External(i) => {
                    let op = self.external[i].clone();
                    self.apply_op(&op).map_err(|e| format!("at {t}: {e}"))?;
                }
                Ev::NodeStep(n, stage) => self.node_step(n, stage)?,
                Ev::PodStarted(p) => {
                    if self.pods[p].state == PState::Bound {
                        self.pods[p].state = PState::Running;
                        self.recs[p].running = Some(t);
                        self.recs[p].outcome = Outcome::Running;
                        let name = self.pods[p].spec.name.clone();
                        self.event("Started", format!("pod/{name}"), "Started container".into());
                        if let Some(d) = self.pods[p].duration {
                            self.push(t.plus(d), Phase::Departure, Ev::PodGone(p, Outcome::Completed))?;
                        }
                        if let Some(i) = self.pods[p].service {
                            self.push(t.plus(self.spec.services[i].model_load), Phase::Lifecycle, Ev::Serving(p))?;
                        }
                    }
                }
                Ev::PodGone(p, outcome) => self.pod_gone(p, outcome)?,
                Ev::Schedule => {
                    // A pod created later in this instant (by a scaler, an HPA, a drain) asks for
                    // another cycle at the same time.
                    self.schedule_at = None;
                    self.schedule()?
                }
                Ev::Tick => {
                    self.tick()?;
                    let next = t.plus(self.spec.scaler.scan_interval);
                    if next <= end {
                        self.push(next, Phase::Scaler, Ev::Tick)?;
                    }
                }
                Ev::Sample => {
                    let s = self.sample(t);
                    self.samples.push(s);
                    let next = t.plus(sample);
                    if next <= end {
                        self.push(next, Phase::Sample, Ev::Sample)?;
                    }
                }
                Ev::Provision => self.kp_provision_event()?,
                Ev::Snapshot => self.snapshot = Some(self.snapshot(t)),
                Ev::Disrupt => {
                    self.kp_poll()?;
                    let next = t.plus(self.spec.karpenter.poll);
                    if next <= end {
                        self.push(next, Phase::Scaler, Ev::Disrupt)?;
                    }
                }
                Ev::SpotNotice(n) => self.kp_spot_notice(n)?,
                Ev::NodeGone(n, why) => self.terminate(n, karpenter::GONE[why as usize])?,
                Ev::History(i) => self.kp_history(i)?,
                Ev::SpotPrice(i) => self.kp_spot_price(i),
                Ev::Serving(p) => self.svc_serving(p),
                Ev::Hpa(i) => {
                    self.svc_hpa(i)?;
                    let next = t.plus(self.spec.services[i].hpa.as_ref().map_or(SimTime(u64::MAX), |h| h.sync));
                    if next <= end {
                        self.push(next, Phase::Scaler, Ev::Hpa(i))?;
                    }
                }
            }
            let tot = self.cluster.totals();
            self.peak = self.peak.max(tot.gpu_milli_allocated);
            if tot.gpus > 0 {
                let ppm = tot.gpu_milli_allocated * 1_000_000 / (tot.gpus * MILLI_PER_GPU as u64);
                self.peak_ppm = self.peak_ppm.max(ppm);
            }
        }
        Ok(())
    }

    /// Closes the run at its end: final sample, costs, records.
    pub fn finish(mut self) -> Result<WorldResult, String> {
        let end = self.end;
        self.now = end.max(self.now);
        self.advance(end);
        let services = self.svc_finish(end);
        let jobs = self.job_stats();
        if self.samples.last().map(|s| s.t) != Some(end) {
            let s = self.sample(end);
            self.samples.push(s);
        }
        self.events.sort_by_key(|e| e.t); // stable: same-instant events keep their order
        let mut nodes = std::mem::take(&mut self.static_nodes);
        nodes.extend(self.nodes.iter().map(|n| n.row.clone()));
        let cost: u64 = nodes.iter().map(|n| n.cost_until(end)).sum();
        let gpu_ms: u128 = nodes
            .iter()
            .filter(|n| n.price_micro_h > 0)
            .map(|n| n.gpus as u128 * (n.terminated.unwrap_or(end).min(end).0.saturating_sub(n.launched.0)) as u128)
            .sum();
        for (p, r) in self.pods.iter().zip(self.recs.iter_mut()) {
            if p.state == PState::Pending && r.outcome == Outcome::Running {
                r.outcome = Outcome::Pending;
            }
        }
        Ok(WorldResult {
            sim: SimResult {
                pods: self.recs,
                samples: self.samples,
                curve: Vec::new(),
                events: self.n_events,
                peak_gpu_allocated_milli: self.peak,
                gpu_alloc_integral: self.alloc_integral,
                gpu_capacity_integral: Some(self.cap_integral),
                end,
            },
            nodes,
            events: self.events,
            counters: self.counters,
            cost_micro: cost,
            gpu_ms_provisioned: gpu_ms,
            cpu_mem_integrals: self.cpu_mem,
            peak_gpu_alloc_ppm: self.peak_ppm,
            services,
            jobs,
            snapshot: self.snapshot,
        })
    }

    /// Sets the region's stock of `instance_type` (a fleet's inventory): launches of it fail once
    /// it is exhausted, as a zone's `stock` does. Terminations do not give stock back.
    pub fn set_region_stock(&mut self, instance_type: &str, stock: u32) {
        self.region_stock.insert(instance_type.to_string(), stock);
    }

    /// How many more replicas of `pod` this cluster can run, up to `limit`: on its nodes now,
    /// plus, `with_pools`, what its autoscaler and smart hosting pools could add within their
    /// `max`, their zones' stock and the region's stock of their first type that runs the pod
    /// (see [`crate::core::fleet::available_replicas`]). Karpenter NodePools are not counted.
    pub fn available_replicas(&mut self, pod: &PodSpec, limit: u32, with_pools: bool) -> Result<u32, String> {
        let mut groups = if with_pools { self.node_groups() } else { Vec::new() };
        for (pool, g) in groups.iter_mut().enumerate() {
            let ps = &self.spec.pools[pool];
            let Some(ty) = g.types.iter().position(|t| t.admits(pod).is_ok()) else { continue };
            let name = &ps.types[ty].name;
            // Zone stock counts only when every zone of the pool is limited.
            let zones: Option<u32> =
                ps.zones.iter().map(|z| self.stock[pool].get(z.as_str()).copied()).sum::<Option<u32>>();
            let region = self.region_stock.get(name).copied();
            g.room = [Some(g.room), zones, region].into_iter().flatten().min().unwrap_or(0);
        }
        crate::core::fleet::available_replicas(&mut self.cluster, pod, &groups, limit).map_err(|e| e.to_string())
    }

    /// Replicas of Deployment `name` pending since `since` or earlier (what Karmada's descheduler
    /// calls unschedulable after its threshold).
    pub fn pending_replicas(&self, name: &str, since: SimTime) -> u32 {
        let Some(d) = self.deployment(name) else { return 0 };
        self.deployments[d]
            .pods
            .iter()
            .filter(|&&p| self.pods[p].state == PState::Pending && self.recs[p].created <= since)
            .count() as u32
    }

    /// Schedules `op` (a Deployment applied, scaled or deleted) at `at`, after the run started and
    /// not before the last event processed.
    pub fn inject(&mut self, at: SimTime, op: TimelineOp) -> Result<(), String> {
        self.external.push(op);
        self.push(at, Phase::Arrival, Ev::External(self.external.len() - 1))
    }

    /// Asks [`World::run`] to record the state at `at` (after that instant's scheduling and
    /// scalers, as a `kubectl get` at that moment would see it) in [`WorldResult::snapshot`].
    pub fn snapshot_at(mut self, at: SimTime) -> Self {
        self.snapshot_at = Some(at);
        self
    }

    /// The joined nodes (launching and cordoned ones are not in the scheduler's view and left
    /// out), the pods bound to them, and the pending pods in creation order.
    fn snapshot(&self, at: SimTime) -> WorldSnapshot {
        let mut cluster = crate::k8s::Snapshot::default();
        for (_, n) in self.cluster.nodes() {
            let t = self.cluster.template(n.template);
            cluster.nodes.push(crate::core::NodeSpec {
                name: n.name.clone(),
                cpu_milli: t.cpu_milli,
                memory_mib: t.memory_mib,
                gpu_count: t.gpu_count,
                gpu_model: t.gpu_model.clone(),
                labels: t.labels.clone(),
                taints: t.taints.clone(),
                gpu_share: t.gpu_share,
            });
        }
        for (p, pod) in self.pods.iter().enumerate() {
            if let Some(b) = self.cluster.binding(p as PodId) {
                let node = self.cluster.node(b.node).map(|n| n.name.clone()).unwrap_or_default();
                cluster.bound.push((pod.spec.clone(), node));
                if pod.do_not_disrupt {
                    cluster.do_not_disrupt.push(pod.spec.name.clone());
                }
            }
        }
        cluster.do_not_disrupt.sort();
        let mut pending: Vec<usize> = self.pending.iter().copied().collect();
        pending.sort_unstable();
        let start = self.spec.start_unix_minute;
        let pending_created = pending
            .iter()
            .map(|&p| {
                let s = self.recs[p].created.0 / 1000;
                let c = crate::scalers::cron::Civil::of_minute(start + (s / 60) as i64);
                format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, s % 60)
            })
            .collect();
        cluster.pending = pending.iter().map(|&p| self.pods[p].spec.clone()).collect();
        WorldSnapshot { at, cluster, pending_created }
    }

    /// Per gang: created (earliest), started (first worker Running), completed (as many
    /// Completed pods as workers: retries replace evicted workers).
    fn job_stats(&self) -> JobStats {
        let mut by: BTreeMap<u64, (u32, SimTime, Option<SimTime>, u32, SimTime)> = BTreeMap::new();
        for (p, r) in self.pods.iter().zip(&self.recs) {
            let Some((g, n)) = p.gang else { continue };
            let e = by.entry(g).or_insert((n, r.created, None, 0, SimTime::ZERO));
            e.1 = e.1.min(r.created);
            if let Some(t) = r.running {
                e.2 = Some(e.2.map_or(t, |x| x.min(t)));
            }
            if r.outcome == Outcome::Completed {
                e.3 += 1;
                e.4 = e.4.max(r.finished.unwrap_or(SimTime::ZERO));
            }
        }
        let mut st = JobStats { jobs: by.len() as u64, ..Default::default() };
        for (n, created, started, done, last) in by.into_values() {
            if let Some(t) = started {
                st.started += 1;
                st.queueing_ms += t.0 - created.0;
            }
            if done >= n {
                st.completed += 1;
                st.completion_ms += last.0 - created.0;
            }
        }
        st
    }

    fn advance(&mut self, t: SimTime) {
        let dt = (t.0 - self.last_t.0) as u128;
        let tot = self.cluster.totals();
        self.alloc_integral += tot.gpu_milli_allocated as u128 * dt;
        self.cap_integral += (tot.gpus * MILLI_PER_GPU as u64) as u128 * dt;
        self.cpu_mem.cpu_allocated += tot.cpu_allocated as u128 * dt;
        self.cpu_mem.cpu_capacity += tot.cpu_capacity as u128 * dt;
        self.cpu_mem.mem_allocated += tot.mem_allocated as u128 * dt;
        self.cpu_mem.mem_capacity += tot.mem_capacity as u128 * dt;
        self.last_t = t;
        self.now = t;
    }

    fn sample(&self, t: SimTime) -> Sample {
        let tot = self.cluster.totals();
        let launching = self.nodes.iter().filter(|n| n.row.terminated.is_none() && n.row.id.is_none()).count();
        let cost = self.static_nodes.iter().chain(self.nodes.iter().map(|n| &n.row)).map(|n| n.cost_until(t)).sum();
        Sample {
            t,
            nodes_ready: tot.nodes,
            gpus_total: tot.gpus,
            gpus_allocated_milli: tot.gpu_milli_allocated,
            pods_pending: self.pending.len() as u64,
            pods_running: self.pods.iter().filter(|p| p.state == PState::Running).count() as u64,
            nodes_launching: launching as u64,
            cost_micro: cost,
        }
    }

    fn new_pod(
        &mut self,
        spec: PodSpec,
        deployment: Option<usize>,
        image: String,
        image_bytes: u64,
        grace: SimTime,
        created: SimTime,
    ) -> usize {
        let idx = self.pods.len();
        self.recs.push(PodRecord {
            id: idx as PodId,
            name: spec.name.clone(),
            created,
            scheduled: None,
            running: None,
            finished: None,
            node: None,
            outcome: Outcome::Pending,
            gpu_milli: spec.gpu.total_milli(),
            reason: String::new(),
        });
        self.pods.push(Pod {
            spec,
            deployment,
            image,
            image_bytes,
            grace,
            duration: None,
            state: PState::Pending,
            node: None,
            failed_once: false,
            reported_no_pool: false,
            do_not_disrupt: false,
            pdbs: Vec::new(),
            gang: None,
            priority: 0,
            checkpoint: None,
            origin: idx,
            retries: 0,
            service: None,
            serving: false,
            capacity: 0,
        });
        idx
    }

    fn create_replica(&mut self, d: usize) -> Result<(), String> {
        let dep = &mut self.deployments[d];
        let mut spec = dep.spec.template.clone();
        spec.name = format!("{}-{}", dep.spec.name, dep.next);
        dep.next += 1;
        let (image, bytes, grace) = (dep.spec.image.clone(), dep.spec.image_bytes, dep.spec.grace);
        let dnd = self.deployments[d].spec.do_not_disrupt;
        let labels = &self.deployments[d].spec.labels;
        let pdbs: Vec<usize> = (0..self.spec.pdbs.len())
            .filter(|&b| self.spec.pdbs[b].selector.iter().all(|(k, v)| labels.get(k) == Some(v)))
            .collect();
        let idx = self.new_pod(spec, Some(d), image, bytes, grace, self.now);
        self.pods[idx].do_not_disrupt = dnd;
        self.pods[idx].pdbs = pdbs;
        self.pods[idx].service = self.svc_of_deployment(d);
        self.deployments[d].pods.push(idx);
        self.pending.push_back(idx);
        self.want_schedule()
    }

    fn live_pods(&self, d: usize) -> Vec<usize> {
        self.deployments[d]
            .pods
            .iter()
            .copied()
            .filter(|&p| matches!(self.pods[p].state, PState::Pending | PState::Bound | PState::Running))
            .collect()
    }

    fn deployment(&self, name: &str) -> Option<usize> {
        self.deployments.iter().position(|d| d.spec.name == name && !d.deleted)
    }

    fn timeline(&mut self, i: usize) -> Result<(), String> {
        self.apply_op(&self.spec.timeline[i].1).map_err(|e| format!("timeline[{i}]: {e}"))
    }

    /// Applies a Deployment, or scales or deletes one.
    fn apply_op(&mut self, op: &TimelineOp) -> Result<(), String> {
        match op {
            TimelineOp::Apply(d) => {
                if self.deployment(&d.name).is_some() {
                    return Err(format!("deployment `{}` already exists", d.name));
                }
                self.deployments.push(Deployment { spec: (**d).clone(), pods: Vec::new(), next: 0, deleted: false });
                let di = self.deployments.len() - 1;
                for _ in 0..d.replicas {
                    self.create_replica(di)?;
                }
            }
            TimelineOp::Scale { name, replicas } => {
                let d = self.deployment(name).ok_or_else(|| format!("no deployment `{name}`"))?;
                self.scale_deployment(d, *replicas)?;
            }
            TimelineOp::Delete { name } => {
                let d = self.deployment(name).ok_or_else(|| format!("no deployment `{name}`"))?;
                for p in self.live_pods(d) {
                    self.delete_pod(p)?;
                }
                self.deployments[d].deleted = true;
            }
        }
        Ok(())
    }

    /// Sets Deployment `d`'s replicas: new pending pods, or deletions in ReplicaSet order.
    fn scale_deployment(&mut self, d: usize, replicas: u32) -> Result<(), String> {
        let live = self.live_pods(d);
        let want = replicas as usize;
        if want > live.len() {
            for _ in live.len()..want {
                self.create_replica(d)?;
            }
        } else {
            // ReplicaSet scale-down order: pending before bound before running, then the newest
            // first.
            let mut victims = live;
            let rank = |s: PState| match s {
                PState::Pending => 0,
                PState::Bound => 1,
                _ => 2,
            };
            victims.sort_by_key(|&p| (rank(self.pods[p].state), std::cmp::Reverse(p)));
            let n = victims.len() - want;
            for p in victims.into_iter().take(n) {
                self.delete_pod(p)?;
            }
        }
        Ok(())
    }

    fn delete_pod(&mut self, p: usize) -> Result<(), String> {
        match self.pods[p].state {
            PState::Pending => {
                self.pending.retain(|&x| x != p);
                self.pods[p].state = PState::Gone;
                self.recs[p].outcome = Outcome::Deleted;
                self.recs[p].finished = Some(self.now);
            }
            PState::Bound | PState::Running => {
                self.svc_stop(p);
                self.pods[p].state = PState::Terminating;
                let name = self.pods[p].spec.name.clone();
                let g = self.pods[p].grace;
                self.event(
                    "Killing",
                    format!("pod/{name}"),
                    format!("Stopping container (grace period {}s)", g.0 / 1000),
                );
                self.push(self.now.plus(g), Phase::Departure, Ev::PodGone(p, Outcome::Deleted))?;
            }
            PState::Terminating | PState::Gone => {}
        }
        Ok(())
    }

    fn pod_gone(&mut self, p: usize, outcome: Outcome) -> Result<(), String> {
        if !matches!(self.pods[p].state, PState::Bound | PState::Running | PState::Terminating) {
            return Ok(());
        }
        self.cluster.unbind(p as PodId).map_err(|e| e.to_string())?;
        self.svc_stop(p);
        self.pods[p].state = PState::Gone;
        self.recs[p].outcome = outcome;
        self.recs[p].finished = Some(self.now);
        if let Some(n) = self.pods[p].node {
            self.nodes_pod_left(n, p);
        }
        if !self.pending.is_empty() {
            self.want_schedule()?;
        }
        Ok(())
    }

    fn nodes_pod_left(&mut self, n: usize, p: usize) {
        if n == usize::MAX {
            return;
        }
        let node = &mut self.nodes[n];
        node.pods.remove(&p);
        if node.pods.is_empty() {
            node.idle_since = Some(self.now);
        }
        if let Some(k) = node.kp.as_mut() {
            k.last_change = self.now;
        }
        self.kp.changes += 1;
    }

    fn schedule(&mut self) -> Result<(), String> {
        // kube-scheduler's active queue: higher priority first, then arrival (a stable sort).
        if self.pending.iter().any(|&p| self.pods[p].priority != 0) {
            self.pending.make_contiguous().sort_by_key(|&p| std::cmp::Reverse(self.pods[p].priority));
        }
        let mut still = VecDeque::with_capacity(self.pending.len());
        let mut gangs_tried: Vec<u64> = Vec::new();
        while let Some(p) = self.pending.pop_front() {
            if let Some((g, _)) = self.pods[p].gang {
                if !gangs_tried.contains(&g) {
                    gangs_tried.push(g);
                    if self.schedule_gang(p, g)? {
                        continue;
                    }
                }
                if self.pods[p].state == PState::Pending {
                    still.push_back(p);
                }
                continue;
            }
            let placed = self.scheduler.place(&self.cluster, &self.pods[p].spec, &mut self.rng_place);
            match placed {
                Ok(pl) => {
                    self.cluster.bind(p as PodId, &self.pods[p].spec, &pl).map_err(|e| e.to_string())?;
                    self.bound(p, pl.node)?;
                }
                Err(why) => {
                    self.failed(p, &why.to_string())?;
                    still.push_back(p);
                }
            }
        }
        self.pending = still;
        Ok(())
    }

    /// Gang scheduling: the pending workers of gang `g` (`p` and those still in the queue) are
    /// placed together on a fork of the state, kept only if every one found a node. Returns
    /// whether they were placed.
    fn schedule_gang(&mut self, p: usize, g: u64) -> Result<bool, String> {
        let mut members = vec![p];
        members.extend(self.pending.iter().copied().filter(|&q| self.pods[q].gang.is_some_and(|x| x.0 == g)));
        let cp = self.cluster.fork();
        let mut placed = Vec::new();
        let mut why = None;
        for &q in &members {
            match self.scheduler.place(&self.cluster, &self.pods[q].spec, &mut self.rng_place) {
                Ok(pl) => {
                    self.cluster.bind(q as PodId, &self.pods[q].spec, &pl).map_err(|e| e.to_string())?;
                    placed.push((q, pl.node));
                }
                Err(w) => {
                    why = Some(w.to_string());
                    break;
                }
            }
        }
        if let Some(why) = why {
            self.cluster.revert(cp).map_err(|e| e.to_string())?;
            let msg = format!("gang of {} workers: {why}", members.len());
            for &q in &members {
                self.failed(q, &msg)?;
            }
            return Ok(false);
        }
        self.cluster.commit(cp);
        self.pending.retain(|q| !members.contains(q));
        for (q, node) in placed {
            self.bound(q, node)?;
        }
        Ok(true)
    }

    /// A pod found no node: the first time, a FailedScheduling event and a provisioning trigger.
    fn failed(&mut self, p: usize, why: &str) -> Result<(), String> {
        if self.pods[p].failed_once {
            return Ok(());
        }
        self.pods[p].failed_once = true;
        self.kp_trigger()?;
        let tot = self.cluster.totals().nodes;
        let name = self.pods[p].spec.name.clone();
        self.recs[p].reason = why.to_string();
        let msg = if tot == 0 {
            "0/0 nodes are available".to_string()
        } else {
            format!("0/{tot} nodes are available: {why}")
        };
        self.event("FailedScheduling", format!("pod/{name}"), msg);
        Ok(())
    }

    fn bound(&mut self, p: usize, core: NodeId) -> Result<(), String> {
        let n = self.by_core.get(&core).copied().unwrap_or(usize::MAX);
        let t = self.now;
        self.pods[p].state = PState::Bound;
        self.pods[p].node = Some(n);
        self.recs[p].scheduled = Some(t);
        self.recs[p].node = Some(core);
        self.recs[p].reason.clear();
        let node_name = self.cluster.node(core).map(|x| x.name.clone()).unwrap_or_default();
        let name = self.pods[p].spec.name.clone();
        self.event("Scheduled", format!("pod/{name}"), format!("Successfully assigned {name} to {node_name}"));
        // Image pull: once per node and image; pods of the same image wait for the same pull.
        let mut ready = t;
        if n != usize::MAX {
            let node = &mut self.nodes[n];
            node.pods.insert(p);
            node.idle_since = None;
            node.unneeded_since = None;
            if let Some(k) = node.kp.as_mut() {
                k.last_change = t;
            }
            self.kp.changes += 1;
            let img = self.pods[p].image.clone();
            if !img.is_empty() {
                let bw = self.spec.lifecycle.pull_bytes_per_s.max(1);
                let pulled = *node
                    .images
                    .entry(img.clone())
                    .or_insert_with(|| t.plus(SimTime((self.pods[p].image_bytes as u128 * 1000 / bw as u128) as u64)));
                ready = pulled.max(t);
                let took = ready.0 - t.0;
                self.events.push(EventRow {
                    t: ready,
                    kind: "Pulled",
                    object: format!("pod/{name}"),
                    message: format!("Successfully pulled image \"{img}\" in {:.3}s", took as f64 / 1000.0),
                });
            }
        }
        let start = ready.plus(self.spec.lifecycle.container_start.draw(&mut self.rng_life));
        self.push(start, Phase::Lifecycle, Ev::PodStarted(p))
    }

    /// Every pool's nodes not terminated (running or on their way), in one pass over the nodes.
    fn pool_sizes(&self) -> Vec<u32> {
        let mut sizes = vec![0; self.spec.pools.len()];
        for n in self.nodes.iter().filter(|n| n.row.terminated.is_none()) {
            if let Some(x) = sizes.get_mut(n.pool) {
                *x += 1;
            }
        }
        sizes
    }

    /// Launches one node of `pool`'s type `ty` in the first zone with stock. Returns the node, or
    /// `None` (with a `ProvisionFailed` event and a back-off) when no zone has stock.
    fn launch(&mut self, pool: usize, ty: usize, why: &str) -> Result<Option<usize>, String> {
        let ps = &self.spec.pools[pool];
        let it = &ps.types[ty];
        let region_has = self.region_stock.get(&it.name).is_none_or(|&s| s > 0);
        let zone = ps.zones.iter().find(|z| {
            region_has
                && it.on_demand.contains_key(z.as_str())
                && self.stock[pool].get(z.as_str()).is_none_or(|&s| s > 0)
        });
        let Some(zone) = zone.cloned() else {
            self.counters.provisioning_failures += 1;
            self.backoff_until[pool] = self.now.plus(self.spec.scaler.backoff);
            let msg = format!("no stock of {} in zones {}", it.name, ps.zones.join(","));
            self.event("ProvisionFailed", format!("pool/{}", ps.name), msg);
            return Ok(None);
        };
        if let Some(s) = self.stock[pool].get_mut(zone.as_str()) {
            *s -= 1;
        }
        if let Some(s) = self.region_stock.get_mut(&it.name) {
            *s -= 1;
        }
        let idx = self.nodes.len();
        let name = format!("{}-{}", ps.name, idx);
        let price = it.on_demand[zone.as_str()];
        let spec = ps.node_spec(ty, Some(&zone), name.clone());
        self.nodes.push(Node {
            row: NodeRow {
                id: None,
                name: name.clone(),
                pool: ps.name.clone(),
                instance_type: it.name.clone(),
                capacity_type: "on-demand".into(),
                zone: zone.clone(),
                gpus: it.gpus,
                launched: self.now,
                ready: None,
                terminated: None,
                reason: String::new(),
                price_micro_h: price,
                on_demand_micro_h: price,
                billed_micro: 0,
                billed_from: self.now,
            },
            pool,
            itype: ty,
            template: NodeTemplate::of(&spec),
            images: BTreeMap::new(),
            idle_since: None,
            unneeded_since: None,
            pods: Default::default(),
            kp: None,
            draining: false,
        });
        self.counters.nodes_launched += 1;
        let by = if ps.mode == PoolMode::SmartHosting { "GOATScaler" } else { "cluster-autoscaler" };
        self.event(
            "ProvisionNode",
            format!("node/{name}"),
            format!("{by}: provisioning node {name} with instance type {} in zone {zone} ({why})", it.name),
        );
        let d = self.spec.lifecycle.instance_running.draw(&mut self.rng_life);
        self.push(self.now.plus(d), Phase::Lifecycle, Ev::NodeStep(idx, 1))?;
        Ok(Some(idx))
    }

    fn node_step(&mut self, n: usize, stage: u8) -> Result<(), String> {
        if self.nodes[n].row.terminated.is_some() {
            return Ok(());
        }
        let lc = &self.spec.lifecycle;
        match stage {
            1 => {
                let d = lc.node_ready.draw(&mut self.rng_life);
                self.push(self.now.plus(d), Phase::Lifecycle, Ev::NodeStep(n, 2))
            }
            2 => {
                self.nodes[n].row.ready = Some(self.now);
                let name = self.nodes[n].row.name.clone();
                self.event("NodeReady", format!("node/{name}"), "Node status is now: NodeReady".into());
                if self.nodes[n].row.gpus > 0 {
                    let d = lc.gpu_advertised.draw(&mut self.rng_life);
                    self.push(self.now.plus(d), Phase::Lifecycle, Ev::NodeStep(n, JOIN))
                } else {
                    self.node_step(n, JOIN)
                }
            }
            _ => {
                let spec = self.node_spec_of(n, self.nodes[n].row.name.clone());
                let id = self.cluster.add_node(&spec).map_err(|e| e.to_string())?;
                self.kp.changes += 1;
                self.nodes[n].row.id = Some(id);
                self.nodes[n].idle_since = Some(self.now);
                self.by_core.insert(id, n);
                if self.nodes[n].row.gpus > 0 {
                    let (name, g) = (self.nodes[n].row.name.clone(), self.nodes[n].row.gpus);
                    let what = match spec.gpu_share {
                        // The share device plugin advertises memory units and the GPU count.
                        Some(sh) => format!("aliyun.com/gpu-mem: {} allocatable ({g} GPUs)", sh.units_per_gpu * g),
                        None => format!("nvidia.com/gpu: {g} allocatable"),
                    };
                    self.event("GPUAdvertised", format!("node/{name}"), what);
                }
                if !self.pending.is_empty() {
                    self.want_schedule()?;
                }
                self.kp_joined(n)
            }
        }
    }

    /// Node `n` as the scheduler's state holds it, named `name`: its type's resources, the labels,
    /// taints and GPU sharing it was launched with.
    fn node_spec_of(&self, n: usize, name: String) -> crate::core::NodeSpec {
        let t = &self.nodes[n].template;
        let mut spec = self.node_type(n).node_spec(name, t.labels.clone(), t.taints.clone());
        spec.gpu_share = t.gpu_share;
        spec
    }

    /// The instance type of node `n`.
    fn node_type(&self, n: usize) -> &crate::market::InstanceType {
        let node = &self.nodes[n];
        match &node.kp {
            Some(k) => &self.spec.nodepools[k.pool].types[node.itype],
            None => &self.spec.pools[node.pool].types[node.itype],
        }
    }

    /// Evicts every pod on node `n` (taking them out of the scheduler's state): a Deployment
    /// creates a replacement at once; a trace job comes back as a pending pod that resumes from
    /// its last checkpoint. Pods already terminating just go. Returns how many running pods were
    /// evicted and the longest grace period among them all.
    fn evict_pods(&mut self, n: usize, reason: &str) -> Result<(u64, SimTime), String> {
        let on: Vec<usize> = std::mem::take(&mut self.nodes[n].pods).into_iter().collect();
        let (mut evicted, mut grace) = (0, SimTime::ZERO);
        for p in on {
            self.cluster.unbind(p as PodId).map_err(|e| e.to_string())?;
            self.svc_stop(p);
            grace = grace.max(self.pods[p].grace);
            let was_terminating = self.pods[p].state == PState::Terminating;
            self.pods[p].state = PState::Gone;
            self.recs[p].outcome = Outcome::Deleted;
            self.recs[p].finished = Some(self.now);
            if was_terminating {
                continue;
            }
            evicted += 1;
            self.counters.evictions += 1;
            self.recs[p].reason = format!("evicted: node {} {reason}", self.nodes[n].row.name);
            match self.pods[p].deployment {
                Some(d) => self.create_replica(d)?,
                None => self.requeue_job(p)?,
            }
        }
        Ok((evicted, grace))
    }

    fn terminate(&mut self, n: usize, reason: &str) -> Result<(), String> {
        if self.nodes[n].row.terminated.is_some() {
            return Ok(());
        }
        // A drained node already left the scheduler's view with its pods.
        if let Some(id) = self.nodes[n].row.id.filter(|_| !self.nodes[n].draining) {
            self.evict_pods(n, reason)?;
            self.cluster.remove_node(id).map_err(|e| e.to_string())?;
            self.by_core.remove(&id);
        }
        self.kp.changes += 1;
        if self.nodes[n].kp.is_some() {
            self.kp_released(n);
        } else {
            let pool = self.nodes[n].pool;
            let zone = self.nodes[n].row.zone.clone();
            if let Some(s) = self.stock[pool].get_mut(zone.as_str()) {
                *s += 1;
            }
        }
        self.nodes[n].row.terminated = Some(self.now);
        self.nodes[n].row.reason = reason.to_string();
        self.counters.nodes_terminated += 1;
        let name = self.nodes[n].row.name.clone();
        self.event("NodeTerminated", format!("node/{name}"), format!("node {name} terminated: {reason}"));
        Ok(())
    }

    fn tick(&mut self) -> Result<(), String> {
        let cfg = self.spec.scaler.clone();
        // Nodes that never became Ready in time.
        for n in 0..self.nodes.len() {
            let r = &self.nodes[n].row;
            if r.terminated.is_none() && r.id.is_none() && self.now.0 - r.launched.0 > cfg.max_provision_time.0 {
                self.counters.provisioning_failures += 1;
                if self.nodes[n].kp.is_none() {
                    self.backoff_until[self.nodes[n].pool] = self.now.plus(cfg.backoff);
                }
                self.terminate(n, "max-node-provision-time exceeded")?;
            }
        }
        if !self.pending.is_empty() && !self.spec.pools.is_empty() {
            self.scale_up()?;
        }
        self.scale_down(&cfg)
    }

    /// Adds every launched-but-not-joined node to the forked state, as cluster-autoscaler counts
    /// upcoming nodes before asking for more.
    fn add_upcoming(&self, c: &mut ClusterState) -> Result<(), String> {
        for (i, n) in self.nodes.iter().enumerate().filter(|(_, n)| n.row.id.is_none() && n.row.terminated.is_none()) {
            let spec = self.node_spec_of(i, format!("upcoming/{}", n.row.name));
            c.add_node(&spec).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn scale_up(&mut self) -> Result<(), String> {
        self.plan_on_fork(Self::scale_up_on)
    }

    /// Runs a scaler's decision `f` for the unschedulable pending pods (none: nothing to do) on a
    /// fork of the live state, always reverted: decisions estimate on the fork rather than on a
    /// copy, as the loop runs every scan interval while pods wait. Nothing else touches the state
    /// meanwhile.
    fn plan_on_fork(
        &mut self,
        f: impl FnOnce(&mut Self, &mut ClusterState, Vec<usize>) -> Result<(), String>,
    ) -> Result<(), String> {
        let pending: Vec<usize> = self.pending.iter().copied().filter(|&p| self.pods[p].failed_once).collect();
        if pending.is_empty() {
            return Ok(());
        }
        let mut c = std::mem::take(&mut self.cluster);
        let cp = c.fork();
        let r = f(self, &mut c, pending);
        c.revert(cp).map_err(|e| e.to_string())?;
        self.cluster = c;
        r
    }

    fn scale_up_on(&mut self, c: &mut ClusterState, pending: Vec<usize>) -> Result<(), String> {
        self.add_upcoming(c)?;
        let mut sched = Scheduler::new(crate::core::PolicyName::FirstFit.build(&crate::core::Workload::default()));
        let mut rng = crate::core::NoRandom;
        // Pods the upcoming nodes already cover.
        let mut rest = Vec::new();
        for p in pending {
            match sched.place(c, &self.pods[p].spec, &mut rng) {
                Ok(pl) => c.bind(p as PodId, &self.pods[p].spec, &pl).map_err(|e| e.to_string())?,
                Err(_) => rest.push(p),
            }
        }
        // Seed 004: with the 128 MiB GPU memory unit, node autoscaling does not act for
        // aliyun.com/gpu-mem pods; they stay Pending when GPU memory runs out.
        if self.spec.gpu_memory_unit_mib != 1024 {
            let (mem, other): (Vec<usize>, Vec<usize>) = rest
                .into_iter()
                .partition(|&p| matches!(self.pods[p].spec.gpu, crate::core::GpuRequest::Memory { .. }));
            rest = other;
            for p in mem {
                if !std::mem::replace(&mut self.pods[p].reported_no_pool, true) {
                    let why = format!(
                        "the GPU memory unit is {} MiB: node autoscaling does not scale for aliyun.com/gpu-mem pods",
                        self.spec.gpu_memory_unit_mib
                    );
                    let name = self.pods[p].spec.name.clone();
                    self.recs[p].reason = why.clone();
                    self.event(
                        "NotTriggerScaleUp",
                        format!("pod/{name}"),
                        format!("pod didn't trigger scale-up: {why}"),
                    );
                }
            }
        }
        // Every pool as cluster-autoscaler's estimator sees it; a group has no room while it is
        // smart hosting (scaled below) or backing off.
        let mut groups = self.node_groups();
        let mut sizes = self.pool_sizes();
        // Smart hosting: one node per pod that still fits nowhere, first type and zone that fit.
        let mut left = Vec::new();
        for p in rest {
            if let Ok(pl) = sched.place(c, &self.pods[p].spec, &mut rng) {
                c.bind(p as PodId, &self.pods[p].spec, &pl).map_err(|e| e.to_string())?;
                continue;
            }
            let mut done = false;
            for (pool, group) in groups.iter().enumerate() {
                let ps = &self.spec.pools[pool];
                if ps.mode != PoolMode::SmartHosting || sizes[pool] >= ps.max {
                    continue;
                }
                for ty in 0..ps.types.len() {
                    if group.types[ty].admits(&self.pods[p].spec).is_err() {
                        continue;
                    }
                    let pod_name = self.pods[p].spec.name.clone();
                    if let Some(n) = self.launch(pool, ty, &format!("for pending pod {pod_name}"))? {
                        sizes[pool] += 1;
                        self.counters.scale_ups += 1;
                        let spec = self.node_spec_of(n, format!("upcoming/{}", self.nodes[n].row.name));
                        let id = c.add_node(&spec).map_err(|e| e.to_string())?;
                        let pl = sched.place(c, &self.pods[p].spec, &mut rng).map_err(|e| e.to_string())?;
                        debug_assert_eq!(pl.node, id);
                        c.bind(p as PodId, &self.pods[p].spec, &pl).map_err(|e| e.to_string())?;
                        done = true;
                        break;
                    }
                }
                if done {
                    break;
                }
            }
            if !done {
                left.push(p);
            }
        }
        if left.is_empty() {
            return Ok(());
        }
        // A pod no type of any pool can ever run is reported once, with why (cluster-autoscaler's
        // NotTriggerScaleUp), and stays pending.
        for &p in &left {
            if self.pods[p].reported_no_pool || groups.is_empty() {
                continue;
            }
            let spec = &self.pods[p].spec;
            if !groups.iter().any(|g| g.types.iter().any(|t| t.admits(spec).is_ok())) {
                let why = scaleup::why_no_group(&groups, spec);
                let name = spec.name.clone();
                self.pods[p].reported_no_pool = true;
                self.recs[p].reason = why.clone();
                self.event("NotTriggerScaleUp", format!("pod/{name}"), format!("pod didn't trigger scale-up: {why}"));
            }
        }
        // cluster-autoscaler: one option per (pool, type), the expander picks one.
        for (pool, g) in groups.iter_mut().enumerate() {
            let ps = &self.spec.pools[pool];
            if ps.mode != PoolMode::Autoscaler || self.now < self.backoff_until[pool] {
                g.room = 0;
            } else {
                g.room = ps.max.saturating_sub(sizes[pool]);
            }
        }
        let batch: Vec<(PodId, &PodSpec)> = left.iter().map(|&p| (p as PodId, &self.pods[p].spec)).collect();
        let opts = scaleup::options(c, &groups, &batch).map_err(|e| e.to_string())?;
        let rng = &mut self.rng_expander;
        let Some(pick) = scaleup::expand(&opts, &groups, self.spec.scaler.expander, |n| rng.below(n)) else {
            return Ok(());
        };
        let o = &opts[pick];
        let ps = &self.spec.pools[o.group];
        let before = sizes[o.group];
        let msg =
            format!("pod triggered scale-up: [{{{} {}->{} (max: {})}}]", ps.name, before, before + o.nodes, ps.max);
        let (pool, ty, nodes, pods) = (o.group, o.ty, o.nodes, o.pods.clone());
        for p in pods {
            let name = self.pods[p as usize].spec.name.clone();
            self.event("TriggeredScaleUp", format!("pod/{name}"), msg.clone());
        }
        self.counters.scale_ups += 1;
        self.last_scale_up = Some(self.now);
        for _ in 0..nodes {
            if self.launch(pool, ty, "scale-up")?.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// The pools as node groups for [`scaleup`], with their sizes now.
    fn node_groups(&self) -> Vec<NodeGroup> {
        let sizes = self.pool_sizes();
        self.spec.pools.iter().zip(sizes).map(|(ps, n)| ps.node_group(n)).collect()
    }

    fn scale_down(&mut self, cfg: &super::ScalerConfig) -> Result<(), String> {
        // Smart hosting: release a node idle for the scale-in delay.
        for n in 0..self.nodes.len() {
            let node = &self.nodes[n];
            if node.kp.is_some()
                || self.spec.pools[node.pool].mode != PoolMode::SmartHosting
                || node.row.terminated.is_some()
                || node.row.id.is_none()
            {
                continue;
            }
            if let Some(idle) = node.idle_since.filter(|_| node.pods.is_empty()) {
                if self.now.0 - idle.0 >= cfg.scale_in_delay.0 {
                    self.counters.scale_downs += 1;
                    let name = node.row.name.clone();
                    self.event("ScaleDown", format!("node/{name}"), "GOATScaler: releasing idle node".into());
                    self.terminate(n, "idle (scale-in delay)")?;
                }
            }
        }
        // cluster-autoscaler.
        if self.last_scale_up.is_some_and(|t| self.now.0 < t.0 + cfg.delay_after_add.0) {
            return Ok(());
        }
        let mut removed_busy = false;
        let mut removed_empty = 0;
        // Pool sizes once per pass (a lookup per node was O(nodes) each: quadratic on big pools).
        let mut sizes = self.pool_sizes();
        for n in 0..self.nodes.len() {
            let node = &self.nodes[n];
            let pool = node.pool;
            if node.kp.is_some() || self.spec.pools[pool].mode != PoolMode::Autoscaler || node.row.terminated.is_some()
            {
                continue;
            }
            let Some(id) = node.row.id else { continue };
            let unneeded = self.unneeded(n, id, cfg)?;
            let node = &mut self.nodes[n];
            if !unneeded {
                node.unneeded_since = None;
                continue;
            }
            let since = *node.unneeded_since.get_or_insert(self.now);
            if self.now.0 - since.0 < cfg.unneeded_time.0 || sizes[pool] <= self.spec.pools[pool].min {
                continue;
            }
            let empty = self.nodes[n].pods.is_empty();
            // Upstream: empty nodes go in bulk (--max-empty-bulk-delete 10), busy ones one at a
            // time (--max-drain-parallelism 1).
            if (empty && removed_empty >= 10) || (!empty && removed_busy) {
                continue;
            }
            if empty {
                removed_empty += 1;
            } else {
                removed_busy = true;
            }
            self.counters.scale_downs += 1;
            let name = self.nodes[n].row.name.clone();
            let why = if empty { "empty" } else { "underutilized" };
            self.event("ScaleDown", format!("node/{name}"), format!("cluster-autoscaler: removing {why} node {name}"));
            self.terminate(n, &format!("scale-down ({why})"))?;
            sizes[pool] -= 1;
        }
        Ok(())
    }

    /// Utilization below the threshold and every pod movable elsewhere (and owned by a
    /// Deployment: upstream does not remove nodes running pods without a controller).
    fn unneeded(&mut self, n: usize, id: NodeId, cfg: &super::ScalerConfig) -> Result<bool, String> {
        let Some(util) = scaleup::utilization_permille(&self.cluster, id) else { return Ok(false) };
        if util >= cfg.threshold_permille {
            return Ok(false);
        }
        let on: Vec<usize> = self.nodes[n]
            .pods
            .iter()
            .copied()
            .filter(|&p| matches!(self.pods[p].state, PState::Bound | PState::Running))
            .collect();
        if on.is_empty() {
            return Ok(true);
        }
        if on.iter().any(|&p| self.pods[p].deployment.is_none()) {
            return Ok(false);
        }
        let pods: Vec<(PodId, &PodSpec)> = on.iter().map(|&p| (p as PodId, &self.pods[p].spec)).collect();
        scaleup::drainable(&mut self.cluster, id, &pods).map_err(|e| e.to_string())
    }
}
