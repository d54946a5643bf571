//! `karpenter:` settings and the spot `market:`.

use super::*;

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
