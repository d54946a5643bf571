//! `fleet:`: member clusters, stock, the descheduler.

use super::*;

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
    /// PropagationPolicies applied again during the run (`kubectl apply` at `at`): each replaces
    /// the policy of its name, and the Deployments it propagates are scheduled again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_updates: Vec<RawPolicyUpdate>,
    /// Stock levels by region and instance type over time; a level holds until the next one.
    /// Regions and types not listed are unlimited.
    #[serde(default)]
    pub inventory: Vec<RawStock>,
    /// Karmada's descheduler: replicas unschedulable in a member for the threshold are taken back
    /// and placed again (dynamic-weight policies only).
    #[serde(default)]
    pub descheduler: RawDescheduler,
}

/// PropagationPolicies applied at a time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawPolicyUpdate {
    /// When (`30m`).
    pub at: String,
    /// The policies, as in `propagation_policies`: manifests inline or paths of YAML files.
    pub policies: Vec<serde_json::Value>,
}

/// A member cluster.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawMember {
    /// Cluster name (the id a policy's `clusterAffinity.clusterNames` lists).
    pub name: String,
    /// Region (what `inventory` levels apply to; a policy's `fieldSelector` reads it).
    pub region: String,
    /// The Cluster object's labels (what a policy's `labelSelector` matches).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The Cluster's `spec.provider` and `spec.zone` (a `fieldSelector` reads them), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// See `provider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
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
