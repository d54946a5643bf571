//! Why a NodePool's requirements leave no offering: the requirement that excluded the last one.

use super::{offering_labels, well_known, CapacityType, Catalog, Requirement};
use std::collections::BTreeMap;

/// Why no offering meets `requirements`: the first requirement, in manifest order, after which
/// no offering of the catalog is left, with the values the offerings left before it have for its
/// key (the field, the message).
pub(super) fn excluding_requirement(
    requirements: &[Requirement],
    catalog: &Catalog,
    labels: &BTreeMap<String, String>,
    names_capacity: bool,
) -> (String, String) {
    let mut left: Vec<BTreeMap<String, String>> = Vec::new();
    for it in catalog.types.values() {
        for zone in it.on_demand.keys() {
            for cap in [CapacityType::Spot, CapacityType::OnDemand] {
                if cap == CapacityType::OnDemand || names_capacity {
                    let mut l = labels.clone();
                    l.extend(offering_labels(it, zone, cap));
                    left.push(l);
                }
            }
        }
    }
    let total = catalog.types.len();
    for (i, q) in requirements.iter().enumerate().filter(|(_, q)| well_known(&q.key)) {
        let kept: Vec<BTreeMap<String, String>> = left.iter().filter(|l| q.matches(l)).cloned().collect();
        if kept.is_empty() {
            let mut seen: Vec<&str> = left.iter().filter_map(|l| l.get(&q.key).map(String::as_str)).collect();
            seen.sort_unstable();
            seen.dedup();
            let shown = if seen.is_empty() {
                "none of them has the label".to_string()
            } else if seen.len() > 12 {
                format!("{} values, such as {}", seen.len(), seen[..12].join(", "))
            } else {
                seen.join(", ")
            };
            // Offerings of one type are consecutive: count the types by their runs.
            let mut names: Vec<&str> =
                left.iter().filter_map(|l| l.get("node.kubernetes.io/instance-type").map(String::as_str)).collect();
            names.dedup();
            let types_left = names.len();
            let before = if i == 0 {
                "the catalog's offerings".to_string()
            } else {
                "the offerings the requirements above it leave".to_string()
            };
            return (
                format!("spec.template.spec.requirements[{i}]"),
                format!(
                    "`{} {:?} [{}]` excludes every one of {before} ({types_left} of {total} types); their `{}`: {shown}",
                    q.key,
                    q.operator,
                    q.values.join(", "),
                    q.key
                ),
            );
        }
        left = kept;
    }
    (
        "spec.template.spec.requirements".into(),
        format!("no instance type of the catalog ({total} types) satisfies these requirements"),
    )
}
