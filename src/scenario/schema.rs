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

/// An inference service (see [`crate::scalers::service`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    /// The Deployment of its replicas (applied at t=0 with `replicas`).
    pub deployment: RawDeployment,
    /// Where its requests come from.
    pub traffic: RawTraffic,
    /// What one replica serves.
    pub capacity: RawCapacity,
    /// The model each new replica loads before serving.
    #[serde(default)]
    pub model: Option<RawModel>,
    /// `queue` (default: a serving engine such as vLLM queues requests it cannot start) or
    /// `drop` work beyond capacity.
    #[serde(default = "queue")]
    pub overload: String,
    /// The HorizontalPodAutoscaler (none: fixed replicas).
    #[serde(default)]
    pub hpa: Option<RawHpa>,
}

fn queue() -> String {
    "queue".into()
}

/// Traffic: exactly one of `azure_csv`, `rates_csv` and `rate`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawTraffic {
    /// Azure's LLM inference trace (`TIMESTAMP,ContextTokens,GeneratedTokens`).
    #[serde(default)]
    pub azure_csv: Option<String>,
    /// A CSV of `t,requests_per_s,tokens_per_s` rows (t a duration), each rate holding until the
    /// next row.
    #[serde(default)]
    pub rates_csv: Option<String>,
    /// A constant rate (`20/s`), with `tokens_per_request`.
    #[serde(default)]
    pub rate: Option<String>,
    /// Tokens per request for `rate` (default 1000, fleetsim's round figure; the Azure
    /// conversation trace averages about 1,360 context plus generated tokens a request).
    #[serde(default)]
    pub tokens_per_request: Option<u64>,
    /// A daily cycle of the `rate`: `{amplitude: 0.6, peak: "14:00"}` (UTC from
    /// `simulation.start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diurnal: Option<RawDiurnal>,
    /// Multiply the traffic (a trace is a sample of a service; default 1).
    #[serde(default = "one_f64")]
    pub scale: f64,
    /// Repeat the traffic until the run ends (default false: silence after it).
    #[serde(default)]
    pub repeat: bool,
}

fn one_f64() -> f64 {
    1.0
}

/// Serving capacity of one replica.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawCapacity {
    /// Tokens (context plus generated) per second.
    pub tokens_per_s: u64,
    /// Tokens per second by the GPU model of the replica's node (`{A10G: 2000, T4: 700}`);
    /// other models get `tokens_per_s`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_gpu_model: BTreeMap<String, u64>,
}

/// A model a replica loads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    /// Size (`16Gi`).
    pub size: String,
    /// Bytes per second it loads at (`1Gi`).
    pub load_bandwidth: String,
}

/// A HorizontalPodAutoscaler (`autoscaling/v2` spelling where it has one).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawHpa {
    /// `minReplicas` (default 1, as Kubernetes).
    #[serde(default = "one", rename = "minReplicas")]
    pub min_replicas: u32,
    /// `maxReplicas`.
    #[serde(rename = "maxReplicas")]
    pub max_replicas: u32,
    /// Target average utilization of the serving capacity, percent (a `Utilization` target).
    #[serde(default, rename = "targetUtilization", skip_serializing_if = "Option::is_none")]
    pub target_utilization: Option<u32>,
    /// Or a target average value: tokens per second per replica (an `AverageValue` target).
    #[serde(default, rename = "targetAverageValue", skip_serializing_if = "Option::is_none")]
    pub target_average_value: Option<u64>,
    /// And/or requests per second per replica (a second metric: the largest proposal wins).
    #[serde(default, rename = "targetRequestsAverageValue", skip_serializing_if = "Option::is_none")]
    pub target_requests_average_value: Option<u64>,
    /// Sync period (default `15s`: kube-controller-manager `--horizontal-pod-autoscaler-sync-period`).
    #[serde(default = "s15", rename = "syncPeriod")]
    pub sync_period: String,
    /// Tolerance (default 0.1: `--horizontal-pod-autoscaler-tolerance`).
    #[serde(default = "tenth")]
    pub tolerance: f64,
    /// `behavior` (defaults: the HPA docs' default behavior).
    #[serde(default)]
    pub behavior: Option<RawBehavior>,
}

fn s15() -> String {
    "15s".into()
}
fn tenth() -> f64 {
    0.1
}

/// `behavior`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawBehavior {
    /// `scaleUp`.
    #[serde(default, rename = "scaleUp")]
    pub scale_up: Option<RawScalingRules>,
    /// `scaleDown`.
    #[serde(default, rename = "scaleDown")]
    pub scale_down: Option<RawScalingRules>,
}

/// `HPAScalingRules`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawScalingRules {
    /// `stabilizationWindowSeconds`.
    #[serde(default, rename = "stabilizationWindowSeconds")]
    pub stabilization_window_seconds: Option<u64>,
    /// `policies`.
    #[serde(default)]
    pub policies: Option<Vec<RawScalingPolicy>>,
    /// `selectPolicy`: Max (default), Min or Disabled.
    #[serde(default, rename = "selectPolicy")]
    pub select_policy: Option<String>,
}

/// `HPAScalingPolicy`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawScalingPolicy {
    /// `Pods` or `Percent`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `value`.
    pub value: u32,
    /// `periodSeconds`.
    #[serde(rename = "periodSeconds")]
    pub period_seconds: u64,
}

/// Karpenter controller settings (the defaults are upstream's; sources beside each).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawKarpenter {
    /// `BATCH_IDLE_DURATION`: a batch of pending pods closes this long after the last one
    /// arrived (default `1s`, Karpenter settings reference).
    #[serde(default = "s1")]
    pub batch_idle_duration: String,
    /// `BATCH_MAX_DURATION`: a batch closes at the latest this long after it opened (default
    /// `10s`, Karpenter settings reference).
    #[serde(default = "s10")]
    pub batch_max_duration: String,
    /// How often the disruption controller looks for consolidation, expiration and stuck pending
    /// pods (default `10s`: the polling period of Karpenter's disruption controller).
    #[serde(default = "s10")]
    pub disruption_poll: String,
    /// How long an offering that failed with insufficient capacity is skipped (default `3m`:
    /// Karpenter's unavailable-offerings cache TTL).
    #[serde(default = "m3")]
    pub unavailable_offering_ttl: String,
    /// Feature gate `SpotToSpotConsolidation` (default false upstream): whether a spot node may
    /// be replaced by a cheaper spot node; without it spot nodes are only deleted.
    #[serde(default)]
    pub spot_to_spot_consolidation: bool,
    /// The AWS provider's `VM_MEMORY_OVERHEAD_PERCENT` (default 0.075, a fraction as upstream
    /// writes it): memory an instance type's hypervisor keeps from its listed memory.
    #[serde(default = "vm_overhead")]
    pub vm_memory_overhead_percent: f64,
    /// Karpenter's `MIN_VALUES_POLICY`: `Strict` (the default upstream: a NodeClaim that would
    /// break a requirement's `minValues` is not made) or `BestEffort` (relaxed to what is left).
    #[serde(default = "strict")]
    pub min_values_policy: String,
}

fn strict() -> String {
    "Strict".into()
}

fn vm_overhead() -> f64 {
    0.075
}

impl Default for RawKarpenter {
    fn default() -> Self {
        RawKarpenter {
            batch_idle_duration: s1(),
            batch_max_duration: s10(),
            disruption_poll: s10(),
            unavailable_offering_ttl: m3(),
            spot_to_spot_consolidation: false,
            vm_memory_overhead_percent: vm_overhead(),
            min_values_policy: strict(),
        }
    }
}

/// The spot market (see [`crate::market::spot`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawMarket {
    /// Spot price over on-demand where the catalog gives no spot price (default 0.3: seed 003
    /// puts spot GPU prices about 70 % below on-demand).
    #[serde(default = "spot_ratio")]
    pub spot_price_ratio: f64,
    /// Spot Instance Advisor bucket of every spot offering: `none`, `<5%`, `5-10%`,
    /// `10-15%`, `15-20%`, `>20%` interrupted a month. Unset (and no `interruptions_csv`): each
    /// type takes the catalog's `spot_interruption` bucket (the shipped AWS catalog's come from
    /// the advisor's feed, with source and date), none where the catalog gives none; validation
    /// says which applied. `none` turns interruptions off.
    #[serde(default)]
    pub interruption: Option<String>,
    /// Buckets by offering (`g5.xlarge`, `g5.xlarge/us-east-1a`).
    #[serde(default)]
    pub interruption_by_offering: BTreeMap<String, String>,
    /// Notice between the interruption warning and the reclaim (default `2m`, EC2 User Guide).
    #[serde(default = "m2")]
    pub interruption_notice: String,
    /// A CSV of interruptions to replay: `at,instance_type,zone[,count]`.
    #[serde(default)]
    pub interruptions_csv: Option<String>,
    /// A CSV of spot prices to replay: `at,instance_type,zone,price` (USD/h from `at` on).
    #[serde(default)]
    pub spot_prices_csv: Option<String>,
    /// Instances available per offering (`g5.xlarge`, `g5.xlarge/spot`,
    /// `g5.xlarge/us-east-1a/spot`); absent: unlimited.
    #[serde(default)]
    pub stock: BTreeMap<String, u32>,
}

fn spot_ratio() -> f64 {
    0.3
}
fn m2() -> String {
    "2m".into()
}

impl Default for RawMarket {
    fn default() -> Self {
        RawMarket {
            spot_price_ratio: spot_ratio(),
            interruption: None,
            interruption_by_offering: BTreeMap::new(),
            interruption_notice: m2(),
            interruptions_csv: None,
            spot_prices_csv: None,
            stock: BTreeMap::new(),
        }
    }
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

/// A fleet (ACK One / Karmada).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawFleet {
    /// Member clusters.
    pub members: Vec<RawMember>,
    /// PropagationPolicy manifests (`policy.one.alibabacloud.com/v1alpha1` as seed 001 writes
    /// them, or Karmada's `policy.karmada.io/v1alpha1`), inline or as paths of YAML files.
    #[serde(default)]
    pub propagation_policies: Vec<serde_json::Value>,
    /// Stock levels by region and instance type over time; a level holds until the next one.
    /// Regions and types not listed are unlimited.
    #[serde(default)]
    pub inventory: Vec<RawStock>,
    /// Karmada's descheduler: replicas unschedulable in a member for the threshold are taken back
    /// and placed again (dynamic-weight policies only).
    #[serde(default)]
    pub descheduler: RawDescheduler,
}

/// A member cluster.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawMember {
    /// Cluster name (the id a policy's `clusterAffinity.clusterNames` lists).
    pub name: String,
    /// Region (what `inventory` levels apply to).
    pub region: String,
    /// Time from a fleet decision to the member acting on it (cross-region API calls): a duration
    /// or a range `1s..3s`. Default 1s, fleetsim's choice: the seed gives no figure.
    #[serde(default = "one_second")]
    pub dispatch_latency: String,
    /// The member: a scenario mapping (`catalog`, `pools`, `scaler`, `lifecycle`, `nodepools`,
    /// ...; paths relative to the fleet file) or the path of a scenario file. Its seed, placement
    /// and simulation come from the fleet scenario.
    pub scenario: serde_json::Value,
}

fn one_second() -> String {
    "1s".into()
}

/// A stock level.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawStock {
    /// From when.
    #[serde(default = "zero_s")]
    pub at: String,
    /// Region.
    pub region: String,
    /// Instance type.
    pub instance_type: String,
    /// Instances that can still be bought.
    pub stock: i64,
}

/// Karmada descheduler settings, named as its flags are.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawDescheduler {
    /// Whether it runs (ACK One re-places replicas that stay unschedulable; default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `--descheduling-interval`, default 2m (karmada-descheduler reference).
    #[serde(default = "two_m")]
    pub descheduling_interval: String,
    /// `--unschedulable-threshold`, default 5m (karmada-descheduler reference).
    #[serde(default = "five_m")]
    pub unschedulable_threshold: String,
}

impl Default for RawDescheduler {
    fn default() -> Self {
        RawDescheduler { enabled: true, descheduling_interval: two_m(), unschedulable_threshold: five_m() }
    }
}

fn two_m() -> String {
    "2m".into()
}
fn five_m() -> String {
    "5m".into()
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
    /// Synthetic generators (see [`crate::workload::synthetic`]). Left out of the serialized
    /// scenario when empty, so adding the field did not change existing scenarios' hashes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synthetic: Vec<RawGenerator>,
}

/// A synthetic workload generator.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawGenerator {
    /// Name: pods are `<name>-<k>`; the random stream is `workload/synthetic/<name>`.
    pub name: String,
    /// Mean arrival rate before the profile: `120/h`, `2/m`, `0.5/s`.
    pub rate: String,
    /// `poisson` (default) or `gamma`.
    #[serde(default = "poisson")]
    pub process: String,
    /// Gamma only: coefficient of variation of inter-arrival times (1 = Poisson; default 2,
    /// fleetsim's choice of a moderately bursty process: no upstream default exists).
    #[serde(default)]
    pub cv: Option<f64>,
    /// First arrival not before (default `0s`).
    #[serde(default = "zero_s")]
    pub start: String,
    /// No arrival from this time on (default: the simulation's end).
    #[serde(default)]
    pub end: Option<String>,
    /// At most this many pods.
    #[serde(default)]
    pub count: Option<u64>,
    /// Daily cycle: `{amplitude: 0.6, peak: "14:00"}` (UTC, from `simulation.start`).
    #[serde(default)]
    pub diurnal: Option<RawDiurnal>,
    /// Rate factor on Saturdays and Sundays.
    #[serde(default)]
    pub weekend_factor: Option<f64>,
    /// Bursts: `{at: 2d, duration: 1h, factor: 5}`.
    #[serde(default)]
    pub bursts: Vec<RawBurst>,
    /// Run time: `{fixed: 1h}`, `{exponential: {mean: 1h}}`, `{lognormal: {median: 30m, sigma: 1}}`
    /// or `{pareto: {min: 10m, alpha: 1.5}}`.
    pub duration: RawDurationDist,
    /// Pod templates and their weights.
    pub mix: Vec<RawMixEntry>,
    /// `tolerations` of every pod.
    #[serde(default)]
    pub tolerations: Vec<RawToleration>,
    /// `nodeSelector` of every pod.
    #[serde(default, rename = "nodeSelector")]
    pub node_selector: BTreeMap<String, String>,
    /// Checkpoint interval of the jobs (default none).
    #[serde(default)]
    pub checkpoint_interval: Option<String>,
    /// Annotations of every pod (`karpenter.sh/do-not-disrupt` is modelled).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

fn is_zero(v: &i32) -> bool {
    *v == 0
}

fn poisson() -> String {
    "poisson".into()
}

/// A daily cycle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawDiurnal {
    /// Relative swing, 0 <= a < 1: the rate goes from (1 - a) to (1 + a) times the mean.
    pub amplitude: f64,
    /// Time of day of the peak, `HH:MM` UTC.
    pub peak: String,
}

/// A burst.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawBurst {
    /// Start.
    pub at: String,
    /// Length.
    pub duration: String,
    /// Rate multiplier.
    pub factor: f64,
}

/// A run-time distribution (one key).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
pub enum RawDurationDist {
    /// Always this long.
    Fixed(String),
    /// Exponential.
    Exponential {
        /// Mean.
        mean: String,
    },
    /// Lognormal.
    Lognormal {
        /// Median.
        median: String,
        /// Sigma of the log.
        sigma: f64,
    },
    /// Pareto.
    Pareto {
        /// Minimum.
        min: String,
        /// Tail index (> 1 for a finite mean).
        alpha: f64,
    },
}

/// One pod template of a mix.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawMixEntry {
    /// Relative weight (default 1: templates equally likely).
    #[serde(default = "one_u64")]
    pub weight: u64,
    /// Requests (as for `workload.pods`).
    pub requests: BTreeMap<String, String>,
    /// Accepted GPU models.
    #[serde(default)]
    pub gpu_models: Vec<String>,
}

fn one_u64() -> u64 {
    1
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
    /// Replay only the pods created in `[from, to)` of the trace's clock, shifted so that `from`
    /// is time 0 (e.g. one day: `{from: 147d, to: 148d}`, or `147d..148d`, which a sweep matrix
    /// can list). Applied before `limit`.
    #[serde(default)]
    pub window: Option<RawWindow>,
    /// Checkpoint interval of the trace's jobs: an evicted or interrupted pod resumes from its
    /// last checkpoint (default: none, it starts over).
    #[serde(default)]
    pub checkpoint_interval: Option<String>,
    /// Annotations of every trace pod (`karpenter.sh/do-not-disrupt: "true"` is modelled).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// A time window of a trace: `{from: 147d, to: 148d}` or `147d..148d`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(
    untagged,
    expecting = "expected a window `FROM..TO` or `{from: FROM, to: TO}` (durations on the trace's clock, e.g. `147d`)"
)]
pub enum RawWindow {
    /// `FROM..TO`.
    Range(String),
    /// `{from, to}`.
    Bounds {
        /// Start (inclusive), a duration on the trace's clock such as `147d`.
        from: String,
        /// End (exclusive).
        to: String,
    },
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
    /// Requests by Kubernetes resource name: `cpu`, `memory`, `nvidia.com/gpu`,
    /// `alibabacloud.com/gpu-milli` for a share of one GPU in thousandths, and
    /// `aliyun.com/gpu-mem` for GPU memory on a sharing node, in the cluster's memory units.
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
    /// A training job's checkpoint interval: evicted, it resumes from its last checkpoint
    /// (default: no checkpoint, all progress is lost).
    #[serde(default)]
    pub checkpoint_interval: Option<String>,
    /// Workers per job (a Job's `parallelism` with gang scheduling: all workers start together or
    /// none does). Each of the `count` jobs is `<name>-<k>-w<j>`. Default: single pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// Scheduling priority (a PriorityClass value): pending pods of higher priority are tried
    /// first. Default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub priority: i32,
    /// Pod annotations (`karpenter.sh/do-not-disrupt: "true"` is modelled).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
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
    /// The UTC wall-clock time of simulated time 0, for cron schedules (disruption budgets).
    /// Default `2026-01-05T00:00:00Z`, a Monday at midnight.
    #[serde(default = "monday")]
    pub start: String,
    /// Time-series sampling interval (default `1h`).
    #[serde(default = "hourly")]
    pub sample_interval: String,
}

impl Default for RawSimulation {
    fn default() -> Self {
        RawSimulation { end: None, start: monday(), sample_interval: hourly() }
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
