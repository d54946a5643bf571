//! `services:`: inference services and their HPAs.

use super::*;

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
    /// The HPA changed during the run (`kubectl apply` of an edited HPA at `at`): each replaces
    /// the whole spec from the first sync at or after `at`, keeping the controller's recommendations and scale
    /// events; one on a service without an `hpa` creates it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hpa_updates: Vec<RawHpaUpdate>,
}

/// One HPA update.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawHpaUpdate {
    /// When (`30m`).
    pub at: String,
    /// The HPA from then on.
    pub hpa: RawHpa,
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
    /// And/or queued tokens per replica (an External metric, as KEDA scales on a queue).
    #[serde(default, rename = "targetQueueAverageValue", skip_serializing_if = "Option::is_none")]
    pub target_queue_average_value: Option<u64>,
    /// And/or queued tokens in all (an External metric with a `Value` target: the ready replicas
    /// grow by the queue's ratio to it).
    #[serde(default, rename = "targetQueueValue", skip_serializing_if = "Option::is_none")]
    pub target_queue_value: Option<u64>,
    /// And/or requests/s on the service's Ingress in all (an Object metric, `Value` target).
    #[serde(default, rename = "targetIngressRequestsValue", skip_serializing_if = "Option::is_none")]
    pub target_ingress_requests_value: Option<u64>,
    /// And/or requests/s on the service's Ingress per replica (an Object metric, `AverageValue`
    /// target: divided by the Deployment's replicas, not the ready ones).
    #[serde(default, rename = "targetIngressRequestsAverageValue", skip_serializing_if = "Option::is_none")]
    pub target_ingress_requests_average_value: Option<u64>,
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
