//! `workload:`: traces, inline pod groups and synthetic generators.

use super::*;

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
    /// `nodeSelector` of every trace pod (the trace has none: a cluster's NodePools usually
    /// want one, or a toleration, before they run the pods).
    #[serde(default, rename = "nodeSelector", skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations of every trace pod (GPU NodePools carry the `nvidia.com/gpu` taint).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<RawToleration>,
    /// A required node affinity of every trace pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<RawAffinity>,
    /// The same per GPU-request class, on top of the above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<RawClasses>,
}

/// Scheduling constraints of trace pods by what they request of GPUs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawClasses {
    /// Pods asking for whole GPUs.
    #[serde(default)]
    pub gpu: Option<RawConstraints>,
    /// Pods asking for a share of one GPU.
    #[serde(default)]
    pub shared: Option<RawConstraints>,
    /// Pods asking for no GPU.
    #[serde(default)]
    pub cpu: Option<RawConstraints>,
}

/// A `nodeSelector`, tolerations and a required node affinity, as a pod spec writes them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConstraints {
    /// `nodeSelector`.
    #[serde(default, rename = "nodeSelector")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations.
    #[serde(default)]
    pub tolerations: Vec<RawToleration>,
    /// `affinity` (required node affinity).
    #[serde(default)]
    pub affinity: Option<RawAffinity>,
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
