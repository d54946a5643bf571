//! The market nodes are bought from: an instance catalog with per-zone offerings and hourly
//! prices, loaded from a YAML file under `scenarios/catalogs/` that cites its source and date.
//!
//! Prices are kept as integer micro-dollars per hour so that cost sums are exact and identical on
//! every platform; billing is per second of a node's life, from launch request to termination
//! (the per-second billing of ECS pay-as-you-go and EC2 on-demand instances).

pub mod cloud;
pub mod spot;

use crate::core::quantity::{parse_cpu_milli, parse_memory_mib};
use crate::core::NodeSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A catalog file as written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawCatalog {
    /// Where the figures come from (a price list URL or document).
    pub source: String,
    /// When they were read (`2026-01`).
    pub date: String,
    /// Currency of the prices (only `USD` is accepted, so sums across catalogs stay meaningful).
    pub currency: String,
    /// Where the types' `spot_interruption` buckets come from, with its date (required when a
    /// type gives one).
    #[serde(default)]
    pub spot_interruption_source: Option<String>,
    /// Instance types.
    pub instance_types: Vec<RawInstanceType>,
}

/// One instance type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawInstanceType {
    /// Type name (`ecs.gn7i-c8g1.2xlarge`, `g5.xlarge`).
    pub name: String,
    /// vCPUs.
    pub vcpu: u32,
    /// Memory as a Kubernetes quantity (`30Gi`).
    pub memory: String,
    /// GPU model (`A10`), absent for CPU-only types.
    #[serde(default)]
    pub gpu_model: Option<String>,
    /// GPUs.
    #[serde(default)]
    pub gpus: u32,
    /// Memory of one GPU (`24Gi`).
    #[serde(default)]
    pub gpu_memory: Option<String>,
    /// `amd64` or `arm64`; default `amd64`, the architecture of every GPU type the seeds name.
    #[serde(default = "amd64")]
    pub arch: String,
    /// The ENI-limited pod count, `ENIs * (IPv4 per ENI - 1) + 2` (AWS types; Karpenter's AWS
    /// provider uses it as the node's `maxPods` unless the EC2NodeClass sets one).
    #[serde(default)]
    pub max_pods: Option<u32>,
    /// The Spot Instance Advisor's interruption-frequency bucket of the type in the catalog's
    /// region (`<5%`, `5-10%`, `10-15%`, `15-20%`, `>20%`): what its spot offerings risk when a
    /// scenario's `market.interruption` is not set.
    #[serde(default)]
    pub spot_interruption: Option<String>,
    /// Further well-known labels of the type (Karpenter's AWS provider's
    /// `karpenter.k8s.aws/instance-hypervisor`, `instance-cpu-manufacturer`, ...), which NodePool
    /// requirements select on; the labels fleetsim derives from the name and shape are not
    /// repeated here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Where it is sold and at what price.
    pub offerings: Vec<RawOffering>,
}

fn amd64() -> String {
    "amd64".into()
}

/// One zone's offering of a type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawOffering {
    /// Zone (`cn-beijing-k`, `us-east-1a`).
    pub zone: String,
    /// On-demand (pay-as-you-go) price, USD per hour.
    pub on_demand: f64,
    /// Spot (preemptible) price, USD per hour, where known.
    #[serde(default)]
    pub spot: Option<f64>,
}

/// A validated instance type.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceType {
    /// Name.
    pub name: String,
    /// CPU capacity, milli.
    pub cpu_milli: u64,
    /// Memory capacity, MiB (the type's figure, before any VM overhead).
    pub memory_mib: u64,
    /// GPUs.
    pub gpus: u32,
    /// GPU model.
    pub gpu_model: Option<String>,
    /// GPU memory, MiB per GPU.
    pub gpu_memory_mib: u64,
    /// Architecture.
    pub arch: String,
    /// ENI-limited pod count, where the catalog gives one.
    pub max_pods: Option<u32>,
    /// Spot Instance Advisor bucket, where the catalog gives one.
    pub spot_interruption: Option<spot::Bucket>,
    /// Further well-known labels (see [`RawInstanceType::labels`]).
    pub labels: BTreeMap<String, String>,
    /// Zone -> on-demand price, micro-USD per hour.
    pub on_demand: BTreeMap<String, u64>,
    /// Zone -> spot price, micro-USD per hour, where the catalog gives one (elsewhere a
    /// scenario's `market.spot_price_ratio` of the on-demand price applies).
    pub spot: BTreeMap<String, u64>,
}

impl InstanceType {
    /// The node this type becomes, named `name`, with the pool's labels and taints. Allocatable
    /// equals the type's capacity: fleetsim does not model kubelet/system reservations
    /// (a simplification, stated in the README).
    pub fn node_spec(
        &self,
        name: String,
        labels: BTreeMap<String, String>,
        taints: Vec<crate::core::Taint>,
    ) -> NodeSpec {
        let mut labels = labels;
        labels.insert("node.kubernetes.io/instance-type".into(), self.name.clone());
        labels.insert("kubernetes.io/arch".into(), self.arch.clone());
        NodeSpec {
            name,
            cpu_milli: self.cpu_milli,
            memory_mib: self.memory_mib,
            gpu_count: self.gpus,
            gpu_model: self.gpu_model.clone(),
            labels,
            taints,
            gpu_share: None,
            max_pods: None,
        }
    }
}

/// A validated catalog: instance types by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalog {
    /// Types by name.
    pub types: BTreeMap<String, InstanceType>,
    /// The file's `source`.
    pub source: String,
    /// The file's `spot_interruption_source`.
    pub spot_interruption_source: Option<String>,
}

/// Converts a USD/h price into integer micro-USD/h (rounded to the nearest micro-dollar).
pub fn micro_usd(price: f64) -> Option<u64> {
    (price.is_finite() && (0.0..1e6).contains(&price)).then(|| (price * 1e6).round() as u64)
}

/// Micro-USD as dollars with six decimals, exactly (`1509000` -> `1.509000`).
pub fn usd(micro: u64) -> String {
    format!("{}.{:06}", micro / 1_000_000, micro % 1_000_000)
}

/// Cost of `ms` milliseconds at `micro_per_hour`, in micro-USD (rounded down).
pub fn cost_micro(micro_per_hour: u64, ms: u64) -> u64 {
    (micro_per_hour as u128 * ms as u128 / 3_600_000) as u64
}

impl Catalog {
    /// A catalog file's text, parsed and validated. The error is the field (`None` when the
    /// text is not a catalog document at all) and what is wrong.
    pub fn from_yaml(text: &str) -> Result<Catalog, (Option<String>, String)> {
        if text.trim().is_empty() {
            return Err((
                None,
                "the file is empty; expected an instance catalog (`source`, `currency`, `instance_types`)".into(),
            ));
        }
        let raw: RawCatalog = crate::yaml::from_str(text).map_err(|e| (None, e.to_string()))?;
        if raw.instance_types.is_empty() {
            return Err((Some("instance_types".into()), "empty; expected at least one instance type".into()));
        }
        Catalog::from_raw(&raw).map_err(|(field, m)| (Some(field), m))
    }

    /// Validates a parsed file; errors name the field (`instance_types[2].offerings[0].on_demand`).
    pub fn from_raw(raw: &RawCatalog) -> Result<Catalog, (String, String)> {
        if raw.currency != "USD" {
            return Err(("currency".into(), format!("`{}`; expected USD", raw.currency)));
        }
        let mut types = BTreeMap::new();
        for (i, t) in raw.instance_types.iter().enumerate() {
            let f = |k: &str| format!("instance_types[{i}].{k}");
            if t.vcpu == 0 || t.vcpu > 4096 {
                return Err((f("vcpu"), format!("{}; expected 1..=4096", t.vcpu)));
            }
            let memory_mib = parse_memory_mib(&t.memory).map_err(|e| (f("memory"), e.to_string()))?;
            if t.gpus > crate::core::MAX_GPUS_PER_NODE {
                return Err((f("gpus"), format!("{}; expected at most {}", t.gpus, crate::core::MAX_GPUS_PER_NODE)));
            }
            if t.gpus > 0 && t.gpu_model.as_deref().is_none_or(str::is_empty) {
                return Err((f("gpu_model"), format!("{} GPUs need a gpu_model", t.gpus)));
            }
            let gpu_memory_mib = match &t.gpu_memory {
                Some(m) => parse_memory_mib(m).map_err(|e| (f("gpu_memory"), e.to_string()))?,
                None => 0,
            };
            if t.arch != "amd64" && t.arch != "arm64" {
                return Err((f("arch"), format!("`{}`; expected amd64 or arm64", t.arch)));
            }
            if t.offerings.is_empty() {
                return Err((f("offerings"), "expected at least one zone".into()));
            }
            let mut on_demand = BTreeMap::new();
            let mut spot = BTreeMap::new();
            for (j, o) in t.offerings.iter().enumerate() {
                let p = micro_usd(o.on_demand).ok_or_else(|| {
                    (f(&format!("offerings[{j}].on_demand")), format!("{}; expected a price in USD/h", o.on_demand))
                })?;
                if let Some(s) = o.spot {
                    let sp = micro_usd(s).ok_or_else(|| {
                        (f(&format!("offerings[{j}].spot")), format!("{s}; expected a price in USD/h"))
                    })?;
                    spot.insert(o.zone.clone(), sp);
                }
                if on_demand.insert(o.zone.clone(), p).is_some() {
                    return Err((f(&format!("offerings[{j}].zone")), format!("zone `{}` listed twice", o.zone)));
                }
            }
            let it = InstanceType {
                name: t.name.clone(),
                cpu_milli: parse_cpu_milli(&t.vcpu.to_string()).map_err(|e| (f("vcpu"), e.to_string()))?,
                memory_mib,
                gpus: t.gpus,
                gpu_model: if t.gpus > 0 { t.gpu_model.clone() } else { None },
                gpu_memory_mib,
                arch: t.arch.clone(),
                max_pods: t.max_pods,
                spot_interruption: match &t.spot_interruption {
                    None => None,
                    Some(b) => match spot::Bucket::parse(b) {
                        Ok(spot::Bucket::None) | Err(_) => {
                            return Err((
                                f("spot_interruption"),
                                format!(
                                "`{b}`; expected a Spot Instance Advisor bucket: <5%, 5-10%, 10-15%, 15-20% or >20%"
                            ),
                            ))
                        }
                        Ok(b) => Some(b),
                    },
                },
                labels: t.labels.clone(),
                on_demand,
                spot,
            };
            if it.spot_interruption.is_some() && raw.spot_interruption_source.as_deref().is_none_or(str::is_empty) {
                return Err((
                    f("spot_interruption"),
                    "a bucket needs the catalog's `spot_interruption_source` (where the buckets come from, and when)"
                        .into(),
                ));
            }
            if types.insert(t.name.clone(), it).is_some() {
                return Err((f("name"), format!("instance type `{}` listed twice", t.name)));
            }
        }
        Ok(Catalog {
            types,
            source: raw.source.clone(),
            spot_interruption_source: raw.spot_interruption_source.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_is_per_second_in_exact_micro_dollars() {
        // g5.xlarge at 1.006 $/h for 90 minutes: 1.509 $.
        let p = micro_usd(1.006).unwrap();
        assert_eq!(p, 1_006_000);
        assert_eq!(cost_micro(p, 90 * 60_000), 1_509_000);
        assert_eq!(micro_usd(-1.0), None);
        assert_eq!(micro_usd(f64::NAN), None);
    }

    #[test]
    fn a_type_with_more_gpus_than_modelled_is_refused() {
        let cat = |gpus: u32| {
            format!(
                "source: test\ndate: \"2026-11\"\ncurrency: USD\ninstance_types:\n  - {{name: big, vcpu: 8, memory: 30Gi, gpu_model: A10, gpus: {gpus}, offerings: [{{zone: z, on_demand: 1.0}}]}}\n"
            )
        };
        assert!(Catalog::from_yaml(&cat(256)).is_ok());
        let (field, msg) = Catalog::from_yaml(&cat(257)).unwrap_err();
        assert_eq!(field.as_deref(), Some("instance_types[0].gpus"));
        assert!(msg.contains("257") && msg.contains("at most 256"), "{msg}");
    }
}
