//! Node autoscaling: pools of nodes bought from the [`crate::market`] catalog, a timeline of
//! Deployments, and two scaler models run by one event loop ([`world::World`]).
//!
//! - **Pool autoscaler** ([`PoolMode::Autoscaler`]): an ACK node pool with auto scaling, which
//!   runs cluster-autoscaler (seed 002). Each loop (`--scan-interval`) it estimates, by bin-packing
//!   the unschedulable pods on a fork of the cluster state (upcoming nodes included), how many
//!   nodes of each pool and type they need, and lets the expander choose one option; it removes
//!   nodes whose utilization stayed below the threshold for the unneeded time when their pods fit
//!   elsewhere, never below the pool's min and not within the delay after a scale-up.
//! - **Smart hosting** ([`PoolMode::SmartHosting`]): an ACK managed pool in smart hosting mode
//!   (GOATScaler, seed 000). No node-group sizing: for each pending pod that fits nowhere it
//!   provisions one node of the first allowed type and zone that fits and has stock, and it
//!   releases a node once it has been idle for the scale-in delay (3 min by default).
//!
//! Simplifications, also stated in the README and in every report: allocatable equals the
//! instance's capacity (no kubelet reservation); a node joins the scheduler's view when its GPUs
//! are advertised (CPU-only types: when Ready); a scale-down evicts a node's pods at once (their
//! Deployment recreates them as new pending pods) instead of draining them through their grace
//! period; zones are tried in listed order (no zone balancing).

pub mod cron;
pub mod fleet;
pub mod karpenter;
pub mod service;
pub mod world;

use crate::core::{PodSpec, Taint};
use crate::engine::SimTime;
use crate::market::InstanceType;
use std::collections::BTreeMap;

/// Which scaler manages a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PoolMode {
    /// cluster-autoscaler semantics.
    Autoscaler,
    /// ACK smart hosting (GOATScaler) semantics.
    SmartHosting,
}

impl PoolMode {
    /// Scenario spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PoolMode::Autoscaler => "autoscaler",
            PoolMode::SmartHosting => "smart-hosting",
        }
    }
}

pub use crate::core::scaleup::Expander;

/// A validated pool.
#[derive(Debug, Clone)]
pub struct PoolSpec {
    /// Name.
    pub name: String,
    /// Scaler.
    pub mode: PoolMode,
    /// Instance types in order of preference.
    pub types: Vec<InstanceType>,
    /// Zones in order.
    pub zones: Vec<String>,
    /// Minimum nodes.
    pub min: u32,
    /// Maximum nodes.
    pub max: u32,
    /// Labels given to its nodes (plus `fleetsim.io/pool`, the instance type and arch labels).
    pub labels: BTreeMap<String, String>,
    /// Taints of its nodes.
    pub taints: Vec<Taint>,
    /// Expander priority.
    pub priority: i32,
    /// Instances in stock per zone; absent zones are unlimited.
    pub stock: BTreeMap<String, u32>,
    /// GPU sharing by memory on its nodes (label `ack.node.gpu.schedule: share` or `cgpu`).
    pub share: Option<ShareMode>,
}

/// How a pool's nodes share their GPUs by memory (seed 004).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareMode {
    /// The cluster's GPU memory unit, MiB (1024 or 128).
    pub unit_mib: u64,
    /// cGPU memory isolation (`cgpu`): at most 16 pods a GPU, whatever the unit (seed 004).
    pub cgpu: bool,
    /// Spread rather than binpack GPU selection.
    pub spread: bool,
}

/// cGPU's limit of pods on one GPU (seed 004: "each GPU can create at most 16 pods").
pub const CGPU_MAX_PODS_PER_GPU: u32 = 16;

impl PoolSpec {
    /// The node of type `ty` in `zone` this pool launches, named `name`: the pool's labels and
    /// taints, plus `fleetsim.io/pool`, `topology.kubernetes.io/zone` and the type's labels.
    pub fn node_spec(&self, ty: usize, zone: Option<&str>, name: String) -> crate::core::NodeSpec {
        let mut labels = self.labels.clone();
        labels.insert("fleetsim.io/pool".into(), self.name.clone());
        if let Some(z) = zone {
            labels.insert("topology.kubernetes.io/zone".into(), z.to_string());
        }
        let mut spec = self.types[ty].node_spec(name, labels, self.taints.clone());
        spec.gpu_share = self.share.map(|m| crate::core::GpuShare {
            units_per_gpu: (self.types[ty].gpu_memory_mib / m.unit_mib) as u32,
            max_pods_per_gpu: if m.cgpu { CGPU_MAX_PODS_PER_GPU } else { 0 },
            spread: m.spread,
        });
        spec
    }

    /// The pool as a node group for [`crate::core::scaleup`] when it has `size` nodes: each
    /// type's node in the first zone it is sold in (what an estimate assumes) at its cheapest
    /// on-demand price; room up to `max`.
    pub fn node_group(&self, size: u32) -> crate::core::scaleup::NodeGroup {
        let types = (0..self.types.len())
            .map(|ty| {
                let it = &self.types[ty];
                let price = it.on_demand.values().copied().min().unwrap_or(0);
                let node = self.node_spec(ty, self.first_zone(ty), String::new());
                crate::core::scaleup::GroupType::new(it.name.clone(), node, price)
            })
            .collect();
        crate::core::scaleup::NodeGroup::new(self.name.clone(), self.max.saturating_sub(size), self.priority, types)
    }

    /// The first of the pool's zones where type `ty` is sold (what an estimate assumes).
    pub fn first_zone(&self, ty: usize) -> Option<&str> {
        self.zones.iter().map(String::as_str).find(|z| self.types[ty].on_demand.contains_key(*z))
    }
}

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
    pub fn draw(&self, rng: &mut crate::engine::Stream) -> SimTime {
        if self.lo == self.hi {
            self.lo
        } else {
            SimTime(self.lo.0 + rng.below(self.hi.0 - self.lo.0 + 1))
        }
    }
}

/// Validated lifecycle latencies.
#[derive(Debug, Clone)]
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

/// Validated scaler settings (see [`crate::scenario::schema::RawScaler`] for the defaults and
/// their sources).
#[derive(Debug, Clone)]
pub struct ScalerConfig {
    /// Loop period.
    pub scan_interval: SimTime,
    /// Unneeded time before scale-down.
    pub unneeded_time: SimTime,
    /// No scale-down this long after a scale-up.
    pub delay_after_add: SimTime,
    /// Utilization threshold, per mille.
    pub threshold_permille: u64,
    /// A node not Ready after this long is given up.
    pub max_provision_time: SimTime,
    /// Pool back-off after a failed provisioning.
    pub backoff: SimTime,
    /// Expander.
    pub expander: Expander,
    /// Smart hosting idle release delay.
    pub scale_in_delay: SimTime,
}

/// A Deployment's pod template and settings.
#[derive(Debug, Clone)]
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
    /// (Kubernetes' `disruptionsAllowed = currentHealthy - desiredHealthy`, at least 0).
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
#[derive(Debug, Clone)]
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

/// Everything an autoscaling run needs beyond the static cluster and the trace.
#[derive(Debug, Clone)]
pub struct AutoscaleSpec {
    /// Pools, in scenario order.
    pub pools: Vec<PoolSpec>,
    /// Scaler settings.
    pub scaler: ScalerConfig,
    /// Latencies.
    pub lifecycle: Lifecycle,
    /// Timeline, sorted by time (stable: same-time steps keep file order).
    pub timeline: Vec<(SimTime, TimelineOp)>,
    /// Karpenter NodePools, in scenario order.
    pub nodepools: Vec<karpenter::NodePool>,
    /// Karpenter controller settings.
    pub karpenter: KarpenterConfig,
    /// Spot prices, interruptions and stock.
    pub market: crate::market::spot::SpotMarket,
    /// Minutes since the Unix epoch at simulated time 0 (for cron schedules).
    pub start_unix_minute: i64,
    /// PodDisruptionBudgets.
    pub pdbs: Vec<Pdb>,
    /// Inference services (their Deployments are applied at t=0 by the timeline).
    pub services: Vec<service::ServiceSpec>,
    /// The GPU memory unit of `aliyun.com/gpu-mem`, MiB.
    pub gpu_memory_unit_mib: u64,
}

/// Validated Karpenter controller settings (defaults and sources in
/// [`crate::scenario::schema::RawKarpenter`]).
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
}
