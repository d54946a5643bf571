//! The scenario file schema as users write it (YAML). Our own fields are `snake_case`; the parts
//! that mirror Kubernetes objects (`nodeSelector`, `tolerations`, `affinity`, resource names such
//! as `nvidia.com/gpu`) are spelled as in Kubernetes. Unknown fields are errors.
//!
//! Every field is serialised (none skipped) so a sweep can address any of them by path.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod fleet;
mod karpenter;
mod services;
mod workload;
pub use fleet::*;
pub use karpenter::*;
pub use services::*;
pub use workload::*;

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
fn monday() -> String {
    "2026-01-05T00:00:00Z".into()
}
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
    /// The instance catalog new nodes are bought from (a file under `scenarios/catalogs/`,
    /// relative to the scenario); required with `pools`.
    #[serde(default)]
    pub catalog: Option<String>,
    /// Autoscaled node pools.
    #[serde(default)]
    pub pools: Vec<RawPool>,
    /// Autoscaler settings.
    #[serde(default)]
    pub scaler: RawScaler,
    /// Shared GPU scheduling by memory (ACK's cloud-native AI suite, `ack-ai-installer`), for
    /// pools labelled `ack.node.gpu.schedule: share` or `cgpu`. Left out of the scenario's hash
    /// when it is the default, so scenarios that do not share GPUs keep their hash.
    #[serde(default, skip_serializing_if = "RawGpuSharing::is_default")]
    pub gpu_sharing: RawGpuSharing,
    /// A multi-cluster fleet: member clusters, each a scenario of its own (pools and scalers),
    /// PropagationPolicies that divide the `timeline`'s Deployments between them, and the regions'
    /// GPU inventory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<RawFleet>,
    /// Node and pod start-up latencies.
    #[serde(default)]
    pub lifecycle: RawLifecycle,
    /// What users do over time: apply, scale and delete Deployments.
    #[serde(default)]
    pub timeline: Vec<RawAction>,
    /// Karpenter NodePools: each item is a `karpenter.sh/v1` NodePool manifest written inline
    /// as users write it, or the path of a YAML file of one or more such documents (`---`).
    #[serde(default)]
    pub nodepools: Vec<serde_json::Value>,
    /// Karpenter controller settings.
    #[serde(default)]
    pub karpenter: RawKarpenter,
    /// Spot prices, interruptions and offering stock.
    #[serde(default)]
    pub market: RawMarket,
    /// PodDisruptionBudget manifests (`policy/v1`), as users write them: `minAvailable` or
    /// `maxUnavailable` (a count or a percentage) over the pods `selector.matchLabels` selects.
    /// Karpenter's voluntary disruptions respect them.
    #[serde(default)]
    pub pod_disruption_budgets: Vec<serde_json::Value>,
    /// Inference services: a Deployment serving request traffic, scaled by an HPA. Left out of
    /// the serialized scenario when empty (existing scenarios keep their hashes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<RawService>,
    /// Controllers registered by name ([`crate::controllers::Registry`]), run after the built-in
    /// ones in this order: each a mapping of its `name` and its own settings. Left out of the
    /// serialized scenario when empty (existing scenarios keep their hashes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controllers: Vec<serde_json::Value>,
}

/// A `fleetsim plan --pools` file of ACK node pools: a scenario's `pools:`, `scaler:` and
/// `catalog:`, nothing else.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawPoolFile {
    /// Instance catalog, relative to the file.
    #[serde(default)]
    pub catalog: Option<String>,
    /// The pools.
    pub pools: Vec<RawPool>,
    /// Autoscaler settings (the expander, the scale-down threshold).
    #[serde(default)]
    pub scaler: RawScaler,
}

/// Shared GPU scheduling settings, as ack-ai-installer's parameters are written (seed 004).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawGpuSharing {
    /// The minimum GPU memory unit of `aliyun.com/gpu-mem`: `1GiB` by default, or `128MiB`
    /// (seed 004: "by default the minimum memory allocation unit is 1 GiB"; `gpuMemoryUnit:
    /// 128MiB`). `1Gi` and `128Mi` are read too.
    #[serde(default = "one_gib", rename = "gpuMemoryUnit")]
    pub gpu_memory_unit: String,
    /// Which GPU of a node a pod shares: `binpack` (the fullest that fits) or `spread` (the
    /// emptiest). Default `binpack`, fleetsim's choice: the seed's example is ACK's binpack
    /// sample, and the seed names no default.
    #[serde(default = "binpack")]
    pub gpu_selection: String,
}

impl RawGpuSharing {
    fn is_default(&self) -> bool {
        *self == RawGpuSharing::default()
    }
}

impl Default for RawGpuSharing {
    fn default() -> Self {
        RawGpuSharing { gpu_memory_unit: one_gib(), gpu_selection: binpack() }
    }
}

fn one_gib() -> String {
    "1GiB".into()
}

fn binpack() -> String {
    "binpack".into()
}

/// A node pool the autoscaler manages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    /// Pool name.
    pub name: String,
    /// `autoscaler` (an ACK node pool with auto scaling: cluster-autoscaler) or `smart-hosting`
    /// (an ACK managed pool in smart hosting mode: GOATScaler). Default `autoscaler`: the mode
    /// of seed 002, where a pool's scaling mode is set to automatic.
    #[serde(default = "autoscaler")]
    pub mode: String,
    /// Instance types, in order of preference (catalog names).
    pub instance_types: Vec<String>,
    /// Zones (the vSwitches' zones), in order; default: every zone the first type is sold in.
    #[serde(default)]
    pub zones: Vec<String>,
    /// Minimum nodes (autoscaler pools). Default 0, as seed 002's pool is configured.
    #[serde(default)]
    pub min: u32,
    /// Maximum nodes.
    pub max: u32,
    /// Node labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Taints as kubectl writes them: `key=value:NoSchedule`.
    #[serde(default)]
    pub taints: Vec<String>,
    /// Priority for the `priority` expander (higher first), as the priority expander's
    /// ConfigMap gives it. A pool with none is left out of that expander's picks, as upstream
    /// leaves out a node group no pattern matches (kubernetes/autoscaler
    /// `expander/priority/priority.go`); when no pool has one, the expander keeps every option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// Instances in stock per zone (`{cn-beijing-k: 0}`); absent zones are unlimited.
    #[serde(default)]
    pub stock: BTreeMap<String, u32>,
}

fn autoscaler() -> String {
    "autoscaler".into()
}

/// Autoscaler settings, named as the upstream flags are.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawScaler {
    /// How often the autoscaler loop runs. cluster-autoscaler `--scan-interval`, default 10s
    /// (kubernetes/autoscaler FAQ.md). Smart hosting pools are checked on the same loop.
    #[serde(default = "s10")]
    pub scan_interval: String,
    /// `--scale-down-unneeded-time`, default 10m (FAQ.md).
    #[serde(default = "m10")]
    pub scale_down_unneeded_time: String,
    /// `--scale-down-delay-after-add`, default 10m (FAQ.md).
    #[serde(default = "m10")]
    pub scale_down_delay_after_add: String,
    /// `--scale-down-utilization-threshold`, default 0.5 (FAQ.md). Decisions compare it in
    /// per mille (integers).
    #[serde(default = "half")]
    pub scale_down_utilization_threshold: f64,
    /// `--max-node-provision-time`, default 15m (FAQ.md).
    #[serde(default = "m15")]
    pub max_node_provision_time: String,
    /// `--initial-node-group-backoff-duration`, default 5m (FAQ.md): how long a pool that failed
    /// to provision is skipped.
    #[serde(default = "m5")]
    pub backoff: String,
    /// `--expander`: least-waste (the default since kubernetes/autoscaler commit f8a68efe, January 2025; `config/flags/flags.go`),
    /// most-pods, least-nodes, price, priority or random, or a comma-separated chain of them
    /// (`priority,least-waste`): each keeps the best of what the previous kept, ties at the end
    /// go to a random pick.
    #[serde(default = "least_waste")]
    pub expander: String,
    /// Smart hosting: an idle node is released after this delay, default 3m (seed 000: "the
    /// default delay in smart hosting mode is 3 minutes").
    #[serde(default = "m3")]
    pub scale_in_delay: String,
    /// `--max-nodes-total`: the most nodes the cluster may have, 0 for no limit (the default,
    /// kubernetes/autoscaler `config/flags/flags.go` at f7bb0c36).
    #[serde(default)]
    pub max_nodes_total: u64,
    /// `--cores-total` as upstream writes it, `MIN:MAX` cores (default `0:320000`); only a
    /// minimum of 0 is accepted (fleetsim does not model the scale-down floor).
    #[serde(default = "cores_total")]
    pub cores_total: String,
    /// `--memory-total`, `MIN:MAX` GiB (default `0:6400000`), minimum 0 as above.
    #[serde(default = "memory_total")]
    pub memory_total: String,
    /// `--gpu-total`, `nvidia.com/gpu:MIN:MAX` (repeatable upstream; no limit by default).
    #[serde(default)]
    pub gpu_total: Vec<String>,
    /// `--ignore-daemonsets-utilization` (default false): DaemonSet pods leave a node's
    /// utilization out of the scale-down test.
    #[serde(default)]
    pub ignore_daemonsets_utilization: bool,
    /// `--ignore-mirror-pods-utilization` (default false), the same for mirror (static) pods.
    #[serde(default)]
    pub ignore_mirror_pods_utilization: bool,
}

fn cores_total() -> String {
    "0:320000".into()
}
fn memory_total() -> String {
    "0:6400000".into()
}

fn s10() -> String {
    "10s".into()
}
fn m3() -> String {
    "3m".into()
}
fn m5() -> String {
    "5m".into()
}
fn m10() -> String {
    "10m".into()
}
fn m15() -> String {
    "15m".into()
}
fn half() -> f64 {
    0.5
}
fn least_waste() -> String {
    "least-waste".into()
}

impl Default for RawScaler {
    fn default() -> Self {
        RawScaler {
            scan_interval: s10(),
            scale_down_unneeded_time: m10(),
            scale_down_delay_after_add: m10(),
            scale_down_utilization_threshold: half(),
            max_node_provision_time: m15(),
            backoff: m5(),
            expander: least_waste(),
            scale_in_delay: m3(),
            max_nodes_total: 0,
            cores_total: cores_total(),
            memory_total: memory_total(),
            gpu_total: Vec::new(),
            ignore_daemonsets_utilization: false,
            ignore_mirror_pods_utilization: false,
        }
    }
}

/// Start-up latencies. Each is a duration (`60s`) or a uniform range (`45s..90s`).
///
/// Defaults: seed 002 shows 2m24s from `TriggeredScaleUp` to the pod's `Scheduled` on the new
/// node (8m32s and 6m8s ago); fleetsim splits that as 60s to a running instance, 60s to node
/// Ready and 24s for the GPU device plugin to advertise `nvidia.com/gpu` (the split is
/// fleetsim's choice; the sum is the seed's).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawLifecycle {
    /// Launch request -> instance running.
    #[serde(default = "s60")]
    pub instance_running: String,
    /// Instance running -> node Ready.
    #[serde(default = "s60")]
    pub node_ready: String,
    /// Node Ready -> GPUs advertised by the device plugin (GPU types only).
    #[serde(default = "s24")]
    pub gpu_advertised: String,
    /// Image pull bandwidth per node, bytes per second as a quantity. Default `21645000`
    /// (seed 000: an 11,421,866,941-byte image pulled in 8m47.675s).
    #[serde(default = "pull_bw")]
    pub image_pull_bandwidth: String,
    /// Image pulled -> container started (seed 002: pulled and started in the same second).
    #[serde(default = "s1")]
    pub container_start: String,
}

fn s1() -> String {
    "1s".into()
}
fn s24() -> String {
    "24s".into()
}
fn s60() -> String {
    "60s".into()
}
fn pull_bw() -> String {
    "21645000".into()
}

impl Default for RawLifecycle {
    fn default() -> Self {
        RawLifecycle {
            instance_running: s60(),
            node_ready: s60(),
            gpu_advertised: s24(),
            image_pull_bandwidth: pull_bw(),
            container_start: s1(),
        }
    }
}

/// One timeline step: exactly one of `apply`, `scale`, `delete`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawAction {
    /// When (`30m`).
    pub at: String,
    /// Create a Deployment (`kubectl apply`).
    #[serde(default)]
    pub apply: Option<RawDeployment>,
    /// `kubectl scale deployment NAME --replicas=N`.
    #[serde(default)]
    pub scale: Option<RawScale>,
    /// `kubectl delete deployment NAME`.
    #[serde(default)]
    pub delete: Option<RawDelete>,
}

/// A Deployment: replicas of one pod template.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawDeployment {
    /// Name; pods are `<name>-<k>`.
    pub name: String,
    /// Replicas.
    pub replicas: u32,
    /// Requests by Kubernetes resource name (as for `workload.pods`).
    #[serde(default)]
    pub requests: BTreeMap<String, String>,
    /// Limits by resource name. As in Kubernetes, a resource with a limit and no request is
    /// requested at its limit: extended resources such as `aliyun.com/gpu-mem` are usually
    /// written here (seed 004's StatefulSet). Limits do not otherwise change scheduling.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, String>,
    /// Init containers, in order; those with `restartPolicy: Always` are sidecars that run
    /// beside the pod's container. They add to the pod's request as Kubernetes adds them
    /// ([`crate::core::requests::pod_request`]).
    #[serde(default, rename = "initContainers", skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<RawInitContainer>,
    /// Accepted GPU models; empty accepts any.
    #[serde(default)]
    pub gpu_models: Vec<String>,
    /// `nodeSelector`.
    #[serde(default, rename = "nodeSelector")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations.
    #[serde(default)]
    pub tolerations: Vec<RawToleration>,
    /// `affinity`.
    #[serde(default)]
    pub affinity: Option<RawAffinity>,
    /// Container image name.
    #[serde(default)]
    pub image: Option<String>,
    /// Image size in bytes, as a quantity (`11421866941`, `11Gi`).
    #[serde(default)]
    pub image_size: Option<String>,
    /// Grace period of a deleted pod; Kubernetes' default is 30 s (PodSpec
    /// `terminationGracePeriodSeconds`).
    #[serde(default = "thirty", rename = "terminationGracePeriodSeconds")]
    pub termination_grace_period_seconds: u64,
    /// Pod annotations; `karpenter.sh/do-not-disrupt: "true"` keeps Karpenter's voluntary
    /// disruption off the pod's node. Others are carried and ignored.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Pod template labels (what PodDisruptionBudgets select).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// An init container of a Deployment's pod: its CPU and memory requests (limits stand in for
/// missing requests) and its `restartPolicy`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawInitContainer {
    /// Container name (for messages).
    #[serde(default)]
    pub name: Option<String>,
    /// Requests (`cpu`, `memory`).
    #[serde(default)]
    pub requests: BTreeMap<String, String>,
    /// Limits (`cpu`, `memory`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, String>,
    /// `Always` makes it a sidecar (Kubernetes 1.28+); absent, it runs to completion first.
    #[serde(default, rename = "restartPolicy")]
    pub restart_policy: Option<String>,
}

fn thirty() -> u64 {
    30
}

/// A scale step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawScale {
    /// Deployment name.
    pub deployment: String,
    /// New replica count.
    pub replicas: u32,
}

/// A delete step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawDelete {
    /// Deployment name.
    pub deployment: String,
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
    /// `events.csv` for autoscaling runs (default true, fleetsim's own: every run can be read the
    /// way the seeds read `kubectl describe`; turn it off for long sweeps, where it is the largest file).
    #[serde(default = "yes")]
    pub events: bool,
}

impl Default for RawOutput {
    fn default() -> Self {
        RawOutput { pods: true, nodes: true, timeseries: true, allocation_curve: None, events: true }
    }
}
