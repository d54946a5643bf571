//! The scenario file schema as users write it (YAML). Our own fields are `snake_case`; the parts
//! that mirror Kubernetes objects (`nodeSelector`, `tolerations`, `affinity`, resource names such
//! as `nvidia.com/gpu`) are spelled as in Kubernetes. Unknown fields are errors.
//!
//! Every field is serialised (none skipped) so a sweep can address any of them by path.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// fleetsim's own default (no upstream system has one); 42 is the first seed of the FGD paper's
/// protocol as the issue states it (seeds 42..51).
fn default_seed() -> u64 {
    42
}
fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}
fn zero_s() -> String {
    "0s".into()
}
fn alibaba() -> String {
    "alibaba".into()
}
/// Kubernetes keeps an unschedulable pod Pending and retries it when the cluster changes
/// (kube-scheduler's scheduling queue, "unschedulable pods" moved back on cluster events).
fn wait() -> String {
    "wait".into()
}
/// fleetsim's own default: coarse enough that a trace of months stays a small file.
fn hourly() -> String {
    "1h".into()
}

/// A scenario: a cluster, a workload, a placement policy and what to write.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Name used in outputs; defaults to the file's stem.
    #[serde(default)]
    pub name: Option<String>,
    /// Master seed of the run's random streams (default 42).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The nodes.
    pub cluster: RawCluster,
    /// The pods.
    pub workload: RawWorkload,
    /// How pods are placed.
    pub placement: RawPlacement,
    /// Time limits and sampling.
    #[serde(default)]
    pub simulation: RawSimulation,
    /// Which outputs to write.
    #[serde(default)]
    pub output: RawOutput,
}

/// Nodes from a trace node list and/or inline groups.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    /// An Alibaba `openb_node_list_*.csv`, relative to the scenario file.
    #[serde(default)]
    pub nodes_csv: Option<String>,
    /// Inline node groups.
    #[serde(default)]
    pub nodes: Vec<RawNodeGroup>,
}

/// `count` identical nodes named `<name>-<i>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawNodeGroup {
    /// Name prefix.
    pub name: String,
    /// How many (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// Allocatable CPU as a Kubernetes quantity (`32`, `500m`).
    pub cpu: String,
    /// Allocatable memory as a Kubernetes quantity (`256Gi`).
    pub memory: String,
    /// GPUs (`nvidia.com/gpu` capacity).
    #[serde(default)]
    pub gpus: u32,
    /// GPU model, required with `gpus > 0`.
    #[serde(default)]
    pub gpu_model: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Taints as kubectl writes them: `key=value:NoSchedule`.
    #[serde(default)]
    pub taints: Vec<String>,
}

/// Pods from a trace and/or inline groups.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// A trace to replay.
    #[serde(default)]
    pub trace: Option<RawTrace>,
    /// Inline pod groups.
    #[serde(default)]
    pub pods: Vec<RawPodGroup>,
}

/// A trace replay.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawTrace {
    /// Trace format; `alibaba` (the `openb_pod_list_*.csv` files).
    #[serde(default = "alibaba")]
    pub format: String,
    /// The pod list, relative to the scenario file.
    pub pods_csv: String,
    /// Pods leave at their `deletion_time` (default true).
    #[serde(default = "yes")]
    pub departures: bool,
    /// Inflate by sampling with replacement until GPU demand reaches this % of capacity.
    #[serde(default)]
    pub inflate_gpu_pct: Option<u32>,
    /// Replay only the first N pods (by creation time).
    #[serde(default)]
    pub limit: Option<u64>,
}

/// `count` identical pods named `<name>-<i>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawPodGroup {
    /// Name prefix.
    pub name: String,
    /// How many (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// Arrival of the first (default `0s`).
    #[serde(default = "zero_s")]
    pub at: String,
    /// Spacing between arrivals (default: all at `at`).
    #[serde(default)]
    pub every: Option<String>,
    /// Run time once scheduled (default: until the end).
    #[serde(default)]
    pub duration: Option<String>,
    /// Requests by Kubernetes resource name: `cpu`, `memory`, `nvidia.com/gpu`, and
    /// `alibabacloud.com/gpu-milli` for a share of one GPU in thousandths.
    pub requests: BTreeMap<String, String>,
    /// Accepted GPU models (the trace's `gpu_spec`); empty accepts any.
    #[serde(default)]
    pub gpu_models: Vec<String>,
    /// `nodeSelector`.
    #[serde(default, rename = "nodeSelector")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations.
    #[serde(default)]
    pub tolerations: Vec<RawToleration>,
    /// `affinity` (only `nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution` is modelled).
    #[serde(default)]
    pub affinity: Option<RawAffinity>,
}

/// A Kubernetes toleration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawToleration {
    /// Key.
    #[serde(default)]
    pub key: String,
    /// `Equal` (default) or `Exists`.
    #[serde(default)]
    pub operator: Option<String>,
    /// Value.
    #[serde(default)]
    pub value: String,
    /// `NoSchedule`, `NoExecute`, `PreferNoSchedule`, or empty for all.
    #[serde(default)]
    pub effect: Option<String>,
}

/// `affinity`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawAffinity {
    /// `nodeAffinity`.
    #[serde(rename = "nodeAffinity")]
    pub node_affinity: RawNodeAffinity,
}

/// `nodeAffinity`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawNodeAffinity {
    /// The hard requirement.
    #[serde(rename = "requiredDuringSchedulingIgnoredDuringExecution")]
    pub required: RawNodeSelector,
}

/// `nodeSelectorTerms`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawNodeSelector {
    /// Terms, ORed.
    #[serde(rename = "nodeSelectorTerms")]
    pub terms: Vec<RawTerm>,
}

/// One term.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawTerm {
    /// Expressions, ANDed.
    #[serde(rename = "matchExpressions", default)]
    pub match_expressions: Vec<RawExpression>,
}

/// One expression.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawExpression {
    /// Label key.
    pub key: String,
    /// In, NotIn, Exists, DoesNotExist, Gt, Lt.
    pub operator: String,
    /// Values.
    #[serde(default)]
    pub values: Vec<String>,
}

/// Placement.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawPlacement {
    /// Policy name: random, dot-product, gpu-clustering, gpu-packing, best-fit, fgd, first-fit.
    pub policy: String,
    /// `wait` (default: retry when capacity frees, as Kubernetes does) or `drop`.
    #[serde(default = "wait")]
    pub unschedulable: String,
}

/// Time limits and sampling.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    /// Stop at this time (default: when the workload is done).
    #[serde(default)]
    pub end: Option<String>,
    /// Time-series sampling interval (default `1h`).
    #[serde(default = "hourly")]
    pub sample_interval: String,
}

impl Default for RawSimulation {
    fn default() -> Self {
        RawSimulation { end: None, sample_interval: hourly() }
    }
}

/// Which outputs to write.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    /// `pods.csv` (default true).
    #[serde(default = "yes")]
    pub pods: bool,
    /// `nodes.csv` (default true).
    #[serde(default = "yes")]
    pub nodes: bool,
    /// `timeseries.csv` (default true).
    #[serde(default = "yes")]
    pub timeseries: bool,
    /// Record `allocation_curve.csv` up to this % of GPU capacity (default: off).
    #[serde(default)]
    pub allocation_curve: Option<u32>,
}

impl Default for RawOutput {
    fn default() -> Self {
        RawOutput { pods: true, nodes: true, timeseries: true, allocation_curve: None }
    }
}
