//! What a run records: one [`PodRecord`] per pod, one [`NodeRow`] per node, Kubernetes-style
//! events, samples, the allocation curve, counters and time integrals.

use crate::core::{ClusterState, NodeId, PodId};
use crate::engine::SimTime;
use crate::market::cost_micro;
use std::collections::BTreeMap;

/// How a pod's life ended (as of the end of the run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Ran and finished.
    Completed,
    /// Still running at the end.
    Running,
    /// Never scheduled, still waiting at the end.
    Pending,
    /// Fit no node and was dropped.
    Dropped,
    /// Deleted by the user (or evicted) before it finished.
    Deleted,
}

impl Outcome {
    /// Lower-case name for outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Running => "running",
            Outcome::Pending => "pending",
            Outcome::Dropped => "dropped",
            Outcome::Deleted => "deleted",
        }
    }
}

/// What happened to one pod.
#[derive(Debug, Clone)]
pub struct PodRecord {
    /// Its id (the pod's index in the run).
    pub id: PodId,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created: SimTime,
    /// When it was bound.
    pub scheduled: Option<SimTime>,
    /// When its container started (after the image pull); equals `scheduled` on a cluster
    /// without start-up latencies.
    pub running: Option<SimTime>,
    /// When it finished.
    pub finished: Option<SimTime>,
    /// The node it ran on.
    pub node: Option<NodeId>,
    /// Outcome.
    pub outcome: Outcome,
    /// GPU demand in milli-GPU.
    pub gpu_milli: u64,
    /// Why it could not be placed the last time it was tried (empty if it was placed).
    pub reason: String,
}

/// A time-series sample.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sample {
    /// Time.
    pub t: SimTime,
    /// Nodes ready.
    pub nodes_ready: u64,
    /// GPUs present.
    pub gpus_total: u64,
    /// Milli-GPU allocated.
    pub gpus_allocated_milli: u64,
    /// Pods waiting.
    pub pods_pending: u64,
    /// Pods running.
    pub pods_running: u64,
    /// Nodes launched and not yet Ready.
    pub nodes_launching: u64,
    /// Cost so far, micro-USD.
    pub cost_micro: u64,
}

/// One point of the allocation curve: when arrived GPU demand first reached `arrived_pct` % of
/// the cluster's GPU capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// Arrived GPU demand, whole percent of capacity.
    pub arrived_pct: u32,
    /// Milli-GPU allocated then.
    pub gpu_allocated_milli: u64,
    /// Cluster fragmentation then, milli-GPU.
    pub frag_milli: f64,
    /// Idle milli-GPU then.
    pub idle_milli: u64,
}

/// Pods, samples and integrals: what every run reports.
#[derive(Debug, Clone)]
pub struct SimResult {
    /// Per pod, in creation order.
    pub pods: Vec<PodRecord>,
    /// Samples.
    pub samples: Vec<Sample>,
    /// Allocation curve (empty unless asked for).
    pub curve: Vec<CurvePoint>,
    /// Events processed (arrivals and the queue's events).
    pub events: u64,
    /// Peak milli-GPU allocated.
    pub peak_gpu_allocated_milli: u64,
    /// Integral of allocated milli-GPU over time, milli-GPU·ms.
    pub gpu_alloc_integral: u128,
    /// Integral of GPU capacity over time, milli-GPU·ms, when capacity may change during the run
    /// (autoscaling); `None` for a static cluster.
    pub gpu_capacity_integral: Option<u128>,
    /// Time the run ended.
    pub end: SimTime,
}

/// One node's life, as `nodes.csv` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRow {
    /// Id in the scheduler's state once joined.
    pub id: Option<NodeId>,
    /// Name.
    pub name: String,
    /// Pool (node pool, NodePool, or the static group's name).
    pub pool: String,
    /// Instance type.
    pub instance_type: String,
    /// `on-demand` or `spot`.
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

/// What the substrate counts itself; controllers count their decisions in their figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Nodes launched.
    pub nodes_launched: u64,
    /// Nodes terminated.
    pub nodes_terminated: u64,
    /// Running pods evicted (by a scale-down, a drain or an interruption).
    pub evictions: u64,
    /// GPU work lost to evictions (since each job's last checkpoint), GPU·ms.
    pub lost_gpu_ms: u64,
}

impl Counters {
    /// Adds `o`'s counts (a fleet's totals). Destructured, so a new counter cannot be forgotten.
    pub fn add(&mut self, o: &Counters) {
        let Counters { nodes_launched, nodes_terminated, evictions, lost_gpu_ms } = *o;
        self.nodes_launched += nodes_launched;
        self.nodes_terminated += nodes_terminated;
        self.evictions += evictions;
        self.lost_gpu_ms += lost_gpu_ms;
    }
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

/// Controllers' figures by name (`scale_ups`, `disruptions_empty`, `svc_tokens`, ...), summed
/// over the controllers that report one.
pub type Figures = BTreeMap<&'static str, u64>;

/// The cluster as the simulator holds it at one instant, for `fleetsim plan` and its fidelity test.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// When.
    pub at: SimTime,
    /// Nodes that have joined, bound pods, pending pods (creation order).
    pub cluster: crate::k8s::Snapshot,
    /// Each pending pod's creation time, RFC 3339 (UTC, from `simulation.start`).
    pub pending_created: Vec<String>,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Pods, samples and integrals.
    pub sim: SimResult,
    /// Every node, static ones first.
    pub nodes: Vec<NodeRow>,
    /// Events in time order.
    pub events: Vec<EventRow>,
    /// The substrate's counters.
    pub counters: Counters,
    /// The controllers' figures.
    pub figures: Figures,
    /// Total cost, micro-USD.
    pub cost_micro: u64,
    /// GPU·ms provisioned (paid: from launch request to termination).
    pub gpu_ms_provisioned: u128,
    /// Time integrals over the nodes present (joined, not yet removed).
    pub cpu_mem_integrals: CpuMemIntegrals,
    /// The highest GPU allocation as a share of the GPUs present at that moment, in millionths
    /// (capacity changes, so the peak allocation over the final capacity would mislead).
    pub peak_gpu_alloc_ppm: u64,
    /// Gang-scheduled jobs' figures.
    pub jobs: JobStats,
    /// The state at [`super::RunOptions::snapshot_at`], when asked for.
    pub snapshot: Option<Snapshot>,
    /// The scheduler's state at the end (fragmentation and end-of-run allocation).
    pub final_state: ClusterState,
}
