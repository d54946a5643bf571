//! What a run of one cluster is made of, before any controller: its workload objects
//! (Deployments, the timeline that applies, scales and deletes them, PodDisruptionBudgets), the
//! node and pod start-up latencies, and the run's options.

use crate::core::PodSpec;
use crate::engine::{SimTime, Stream};
use crate::market::cloud::CloudSpec;
use std::collections::BTreeMap;

/// A latency: `lo` when `lo == hi`, else uniform in `[lo, hi]` (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Lower bound.
    pub lo: SimTime,
    /// Upper bound.
    pub hi: SimTime,
}

impl Latency {
    /// Parses `60s` or `45s..90s`.
    pub fn parse(s: &str) -> Result<Latency, String> {
        let p = crate::engine::time::parse_duration;
        match s.split_once("..") {
            None => {
                let v = p(s)?;
                Ok(Latency { lo: v, hi: v })
            }
            Some((a, b)) => {
                let (lo, hi) = (p(a.trim())?, p(b.trim())?);
                if lo > hi {
                    return Err(format!("`{s}`: the range is empty (lower bound above upper)"));
                }
                Ok(Latency { lo, hi })
            }
        }
    }

    /// Draws one latency.
    pub fn draw(&self, rng: &mut Stream) -> SimTime {
        if self.lo == self.hi {
            self.lo
        } else {
            SimTime(self.lo.0 + rng.below(self.hi.0 - self.lo.0 + 1))
        }
    }
}

/// Node and pod start-up latencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// Launch request -> instance running.
    pub instance_running: Latency,
    /// Running -> node Ready.
    pub node_ready: Latency,
    /// Ready -> GPUs advertised.
    pub gpu_advertised: Latency,
    /// Image pull bandwidth, bytes/s.
    pub pull_bytes_per_s: u64,
    /// Pulled -> started.
    pub container_start: Latency,
}

/// A Deployment's pod template and settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentSpec {
    /// Name.
    pub name: String,
    /// Replicas at apply.
    pub replicas: u32,
    /// Pod template (the name is replaced per replica).
    pub template: PodSpec,
    /// Image name (pods of one image share a node's pulled copy).
    pub image: String,
    /// Image size, bytes.
    pub image_bytes: u64,
    /// Grace period of a deleted pod.
    pub grace: SimTime,
    /// Annotated `karpenter.sh/do-not-disrupt: "true"`.
    pub do_not_disrupt: bool,
    /// Pod template labels.
    pub labels: BTreeMap<String, String>,
}

/// `minAvailable` / `maxUnavailable` of a PodDisruptionBudget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPercent {
    /// A count of pods.
    Int(u32),
    /// A percentage of the expected pods, rounded up (as the disruption controller scales it).
    Percent(u32),
}

impl IntOrPercent {
    /// The count out of `total` pods.
    pub fn of(self, total: u32) -> u32 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => (total as u64 * p as u64).div_ceil(100) as u32,
        }
    }
}

/// A validated PodDisruptionBudget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdb {
    /// `metadata.name`.
    pub name: String,
    /// `spec.selector.matchLabels`.
    pub selector: BTreeMap<String, String>,
    /// `spec.minAvailable`.
    pub min_available: Option<IntOrPercent>,
    /// `spec.maxUnavailable`.
    pub max_unavailable: Option<IntOrPercent>,
}

impl Pdb {
    /// Evictions allowed now, with `expected` pods selected (alive) of which `healthy` run
    /// (Kubernetes' `disruptionsAllowed = currentHealthy - desiredHealthy`, at least 0;
    /// kubernetes/kubernetes `pkg/controller/disruption/disruption.go`, `getExpectedPodCount`).
    pub fn allowed(&self, expected: u32, healthy: u32) -> u32 {
        let desired = match (self.min_available, self.max_unavailable) {
            (Some(m), _) => m.of(expected),
            (None, Some(u)) => expected.saturating_sub(u.of(expected)),
            (None, None) => 0,
        };
        healthy.saturating_sub(desired)
    }
}

/// One timeline step.
#[derive(Debug, Clone, PartialEq)]
pub enum TimelineOp {
    /// Create a Deployment.
    Apply(Box<DeploymentSpec>),
    /// Set a Deployment's replicas.
    Scale {
        /// Deployment.
        name: String,
        /// Replicas.
        replicas: u32,
    },
    /// Delete a Deployment and its pods.
    Delete {
        /// Deployment.
        name: String,
    },
}

/// What happens to a pod that fits no node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unschedulable {
    /// It waits in the pending queue and is retried when capacity frees (Kubernetes' behaviour).
    Wait,
    /// It is dropped and counted (the FGD paper's packing experiment).
    Drop,
}

/// A cluster as a run starts it, controllers aside.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// Node and pod start-up latencies; `None` for the packing experiment's static cluster,
    /// where a pod runs the moment it is bound.
    pub lifecycle: Option<Lifecycle>,
    /// Timeline, sorted by time (stable: same-time steps keep file order).
    pub timeline: Vec<(SimTime, TimelineOp)>,
    /// PodDisruptionBudgets.
    pub pdbs: Vec<Pdb>,
    /// The GPU memory unit of `aliyun.com/gpu-mem`, MiB.
    pub gpu_memory_unit_mib: u64,
    /// Minutes since the Unix epoch at simulated time 0 (cron schedules, snapshot times).
    pub start_unix_minute: i64,
    /// Stock, spot prices and interruptions of the cloud nodes are bought from.
    pub cloud: CloudSpec,
    /// What happens to a pod that fits no node.
    pub unschedulable: Unschedulable,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            lifecycle: None,
            timeline: Vec::new(),
            pdbs: Vec::new(),
            gpu_memory_unit_mib: 1024,
            start_unix_minute: 0,
            cloud: CloudSpec::default(),
            unschedulable: Unschedulable::Wait,
        }
    }
}

/// How a run is driven and what it records.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Stop at this time; `None` runs until nothing is left to happen (a static cluster only).
    pub end: Option<SimTime>,
    /// Time-series sampling interval (the first sample at t = 0, after that instant); `None`
    /// records only the final sample.
    pub sample_every: Option<SimTime>,
    /// Record Kubernetes-style events (`events.csv`).
    pub events: bool,
    /// Record the allocation curve up to this percentage of GPU capacity, measuring fragmentation
    /// against this workload (the packing experiment).
    pub curve: Option<(u32, crate::core::Workload)>,
    /// Record the state at this instant (after its scheduling and controllers), for `fleetsim plan`'s
    /// fidelity test.
    pub snapshot_at: Option<SimTime>,
    /// Trace pods leave at their deletion time.
    pub departures: bool,
}
