//! Karpenter `NodePool`s (`apiVersion: karpenter.sh/v1`), loaded from manifests as users write
//! them, and the offerings (instance type × zone × capacity type) each may launch.
//!
//! Read leniently, as Kubernetes objects are: the fields fleetsim models are validated (a bad
//! value is an error naming the document and the field); the fields it does not model
//! (`startupTaints`, metadata annotations, unknown limit resources,
//! ...) are listed in [`NodePool::ignored`] and reported as a warning.
//!
//! Defaults, from the Karpenter v1 NodePool reference (karpenter.sh/docs/concepts/nodepools):
//! `consolidationPolicy: WhenEmptyOrUnderutilized`, `consolidateAfter: 0s`, `budgets:
//! [{nodes: 10%}]`, `expireAfter: 720h`, no `weight` (lowest priority), no limits; and
//! `karpenter.sh/capacity-type` is `on-demand` when no requirement names it.

use super::cron::Cron;
use super::manifest::Reader;
pub use super::manifest::{manifest_documents, ManifestError, Origin};
use super::nodeclass::{load_nodeclass, Kubelet, NodeClass};
use crate::core::quantity::{parse_count, parse_cpu_milli, parse_memory_mib};
use crate::core::{Requirement, SelectorOperator, Taint, TaintEffect};
use crate::engine::time::parse_duration;
use crate::engine::SimTime;
use crate::market::spot::{CapacityType, SpotMarket};
use crate::market::{Catalog, InstanceType};
use serde_json::Value;
use std::collections::BTreeMap;

/// `spec.disruption.consolidationPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsolidationPolicy {
    /// Only empty nodes are removed.
    WhenEmpty,
    /// Empty nodes are removed, and nodes whose pods fit elsewhere (or on a cheaper node) too.
    WhenEmptyOrUnderutilized,
}

/// A disruption reason a budget may be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Consolidation of an empty node.
    Empty,
    /// Consolidation of an underutilized node.
    Underutilized,
    /// Drift: a node whose labels no longer meet its NodePool's requirements (`fleetsim plan`).
    Drifted,
}

impl Reason {
    /// Karpenter's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Empty => "Empty",
            Reason::Underutilized => "Underutilized",
            Reason::Drifted => "Drifted",
        }
    }
}

/// `nodes:` of a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetNodes {
    /// A count of nodes.
    Count(u32),
    /// A percentage of the pool's nodes (rounded up, see [`Budget::allowed`]).
    Percent(u32),
}

/// One disruption budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// How many nodes may be disrupted at once.
    pub nodes: BudgetNodes,
    /// Reasons it limits (empty: all).
    pub reasons: Vec<Reason>,
    /// Schedule and duration; absent: always active.
    pub schedule: Option<(Cron, SimTime)>,
    /// The schedule as written (for messages).
    pub schedule_text: String,
}

impl Budget {
    /// Nodes this budget allows to be disrupted at once in a pool of `total` nodes. Karpenter
    /// computes a percentage against the pool's node count and rounds it up
    /// (`intstr.GetScaledValueFromIntOrPercent(..., roundUp=true)` in
    /// `NodePool.GetAllowedDisruptionsByReason`).
    pub fn allowed(&self, total: u32) -> u32 {
        match self.nodes {
            BudgetNodes::Count(n) => n,
            BudgetNodes::Percent(p) => (total as u64 * p as u64).div_ceil(100) as u32,
        }
    }
}

pub use crate::core::provision::{Limits, MinValues, Usage};

/// One instance type in one zone at one capacity type that a pool may launch.
#[derive(Debug, Clone, PartialEq)]
pub struct Offering {
    /// Index into the pool's `types`.
    pub ty: usize,
    /// Zone.
    pub zone: String,
    /// Capacity type.
    pub capacity: CapacityType,
    /// Price, micro-USD per hour.
    pub price: u64,
    /// The node's labels: the pool's template labels, the well-known labels of the offering and
    /// `karpenter.sh/nodepool`.
    pub labels: BTreeMap<String, String>,
}

/// NodePools from parsed manifests (`origin`, document), in order, each with the kubelet settings
/// of the `EC2NodeClass` its `nodeClassRef` names (when the manifests hold any); documents of
/// another kind and empty ones are skipped with a warning; a NodePool name used twice
/// is an error. Returns the pools and the warnings (skipped documents, fields not modelled).
pub fn load_nodepools(
    docs: &[(Origin, Value)],
    catalog: &Catalog,
    market: &SpotMarket,
) -> Result<(Vec<NodePool>, Vec<String>), ManifestError> {
    let mut pools: Vec<NodePool> = Vec::new();
    let mut warnings = Vec::new();
    // EC2NodeClasses first: a NodePool names its class by `nodeClassRef`, in any document order.
    let mut classes: BTreeMap<String, NodeClass> = BTreeMap::new();
    for (origin, doc) in docs {
        if doc.get("kind").and_then(Value::as_str) != Some("EC2NodeClass") {
            continue;
        }
        let nc = load_nodeclass(doc, origin)?;
        if !nc.ignored.is_empty() {
            warnings.push(format!(
                "{origin}: EC2NodeClass {}: fields fleetsim does not model, ignored: {}",
                nc.name,
                nc.ignored.join(", ")
            ));
        }
        if let Some(old) = classes.insert(nc.name.clone(), nc) {
            return Err(ManifestError {
                origin: format!("{origin}: EC2NodeClass {}", old.name),
                field: "metadata.name".into(),
                message: format!("EC2NodeClass `{}` is defined twice", old.name),
            });
        }
    }
    for (origin, doc) in docs {
        if doc.is_null() {
            continue; // an empty document between `---` separators
        }
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind == "EC2NodeClass" {
            continue;
        }
        if kind != "NodePool" && doc.get("kind").is_some() {
            let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?");
            warnings.push(format!("{origin}: {kind} {name} is not modelled by fleetsim; ignored"));
            continue;
        }
        let mut np = load_nodepool(doc, origin, catalog, market)?;
        // NodePools given without their EC2NodeClass get the provider's defaults (AL2023).
        if let Some(c) = &np.node_class {
            match classes.get(c) {
                Some(class) => np.kubelet = class.kubelet.clone(),
                None if !classes.is_empty() => warnings.push(format!(
                    "{origin}: NodePool {}: spec.template.spec.nodeClassRef.name `{c}` names no EC2NodeClass of these manifests ({}); the provider's default kubelet settings apply",
                    np.name,
                    classes.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
                None => {}
            }
        }
        if pools.iter().any(|p| p.name == np.name) {
            return Err(ManifestError {
                origin: format!("{origin}: NodePool {}", np.name),
                field: "metadata.name".into(),
                message: format!("NodePool `{}` is defined twice", np.name),
            });
        }
        if !np.ignored.is_empty() {
            warnings.push(format!(
                "{origin}: NodePool {}: fields fleetsim does not model, ignored: {}",
                np.name,
                np.ignored.join(", ")
            ));
        }
        pools.push(np);
    }
    Ok((pools, warnings))
}

/// A validated NodePool.
#[derive(Debug, Clone, PartialEq)]
pub struct NodePool {
    /// `metadata.name`.
    pub name: String,
    /// `spec.weight` (0 when absent: tried last).
    pub weight: u32,
    /// `spec.template.spec.taints`.
    pub taints: Vec<Taint>,
    /// `spec.limits`.
    pub limits: Limits,
    /// `spec.template.spec.nodeClassRef.name`.
    pub node_class: Option<String>,
    /// Its EC2NodeClass's kubelet settings and AMI family (the provider's defaults when the
    /// manifests hold no EC2NodeClass).
    pub kubelet: Kubelet,
    /// `spec.template.spec.expireAfter` (`None`: Never).
    pub expire_after: Option<SimTime>,
    /// `spec.template.spec.terminationGracePeriod`: the longest a drain may take.
    pub termination_grace: Option<SimTime>,
    /// `spec.disruption.consolidationPolicy`.
    pub policy: ConsolidationPolicy,
    /// `spec.disruption.consolidateAfter` (`None`: Never).
    pub consolidate_after: Option<SimTime>,
    /// `spec.disruption.budgets`.
    pub budgets: Vec<Budget>,
    /// Instance types the offerings refer to, in catalog (name) order.
    pub types: Vec<InstanceType>,
    /// Offerings, in (type, zone, capacity) order.
    pub offerings: Vec<Offering>,
    /// `spec.template.spec.requirements`, as written (what drift checks a node against).
    pub requirements: Vec<Requirement>,
    /// The requirements' `minValues`, in requirement order.
    pub min_values: Vec<MinValues>,
    /// Paths of fields present in the manifest that fleetsim does not model.
    pub ignored: Vec<String>,
}

/// The well-known labels of an offering (Karpenter's AWS provider labels).
pub fn offering_labels(it: &InstanceType, zone: &str, cap: CapacityType) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    let (family, size) = it.name.split_once('.').unwrap_or((&it.name, ""));
    let category: String = family.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let generation: String = family[category.len()..].chars().take_while(|c| c.is_ascii_digit()).collect();
    let mut put = |k: &str, v: String| {
        l.insert(k.to_string(), v);
    };
    put("node.kubernetes.io/instance-type", it.name.clone());
    put("kubernetes.io/arch", it.arch.clone());
    put("kubernetes.io/os", "linux".into());
    put("topology.kubernetes.io/zone", zone.to_string());
    put("karpenter.sh/capacity-type", cap.as_str().into());
    put("karpenter.k8s.aws/instance-category", category);
    put("karpenter.k8s.aws/instance-family", family.to_string());
    put("karpenter.k8s.aws/instance-generation", generation);
    put("karpenter.k8s.aws/instance-size", size.to_string());
    put("karpenter.k8s.aws/instance-cpu", (it.cpu_milli / 1000).to_string());
    put("karpenter.k8s.aws/instance-memory", it.memory_mib.to_string());
    if it.gpus > 0 {
        put("karpenter.k8s.aws/instance-gpu-count", it.gpus.to_string());
        put("karpenter.k8s.aws/instance-gpu-name", it.gpu_model.clone().unwrap_or_default().to_lowercase());
        put("karpenter.k8s.aws/instance-gpu-manufacturer", "nvidia".into());
        put("karpenter.k8s.aws/instance-gpu-memory", it.gpu_memory_mib.to_string());
    }
    // The catalog's further labels (hypervisor, CPU manufacturer, bandwidths, ...); where it also
    // gives a label derived above from the name (family, category, ...), its figure holds.
    for (k, v) in &it.labels {
        l.insert(k.clone(), v.clone());
    }
    // EKS Auto Mode's NodePools name the same facts `eks.amazonaws.com/instance-*` (EKS User Guide,
    // "Create a Node Pool for EKS Auto Mode", supported labels).
    let mirrors: Vec<(String, String)> = l
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("karpenter.k8s.aws/").map(|rest| (format!("eks.amazonaws.com/{rest}"), v.clone()))
        })
        .collect();
    l.extend(mirrors);
    l
}

/// Keys an offering carries; a requirement on any other key only labels the node.
fn well_known(key: &str) -> bool {
    key.starts_with("karpenter.k8s.aws/instance-")
        || key.starts_with("eks.amazonaws.com/instance-")
        || matches!(
            key,
            "node.kubernetes.io/instance-type"
                | "kubernetes.io/arch"
                | "kubernetes.io/os"
                | "topology.kubernetes.io/zone"
                | "karpenter.sh/capacity-type"
        )
}

/// Loads one NodePool manifest. `origin` names the document for messages.
pub fn load_nodepool(
    doc: &Value,
    origin: &str,
    catalog: &Catalog,
    market: &SpotMarket,
) -> Result<NodePool, ManifestError> {
    let mut ignored = Vec::new();
    let mut r = Reader { origin: origin.to_string(), ignored: &mut ignored, kind: "NodePool" };
    let top = r.object(doc, "", &["apiVersion", "kind", "metadata", "spec"])?;
    let api = top.get("apiVersion").map(|v| r.string(v, "apiVersion")).transpose()?.unwrap_or_default();
    let kind = top.get("kind").map(|v| r.string(v, "kind")).transpose()?.unwrap_or_default();
    if kind != "NodePool" {
        return Err(r.err("kind", format!("`{kind}`; expected NodePool")));
    }
    if api != "karpenter.sh/v1" {
        return Err(r.err(
            "apiVersion",
            format!(
                "`{api}`; expected karpenter.sh/v1 (v1beta1 NodePools must be migrated: its disruption fields differ)"
            ),
        ));
    }
    let meta = top.get("metadata").ok_or_else(|| r.err("metadata", "missing; a NodePool needs metadata.name"))?;
    let meta = r.object(meta, "metadata", &["name"])?;
    let name = meta.get("name").map(|v| r.string(v, "metadata.name")).transpose()?.unwrap_or_default();
    if name.is_empty() {
        return Err(r.err("metadata.name", "missing; a NodePool needs a name"));
    }
    r.origin = format!("{origin} (NodePool {name})");
    let null = Value::Null;
    let empty = Value::Object(Default::default());
    let spec = r.object(top.get("spec").unwrap_or(&empty), "spec", &["template", "disruption", "limits", "weight"])?;
    let template = r.object(spec.get("template").unwrap_or(&empty), "spec.template", &["metadata", "spec"])?;
    let tmeta = r.object(template.get("metadata").unwrap_or(&empty), "spec.template.metadata", &["labels"])?;
    let mut labels = BTreeMap::new();
    if let Some(l) = tmeta.get("labels") {
        let l = l.as_object().ok_or_else(|| r.err("spec.template.metadata.labels", "expected a mapping"))?;
        for (k, v) in l {
            labels.insert(k.clone(), r.string(v, &format!("spec.template.metadata.labels.{k}"))?);
        }
    }
    let tspec = r.object(
        template.get("spec").unwrap_or(&empty),
        "spec.template.spec",
        &["requirements", "taints", "expireAfter", "terminationGracePeriod", "nodeClassRef"],
    )?;
    let node_class = match tspec.get("nodeClassRef") {
        None => None,
        Some(v) => {
            let f = "spec.template.spec.nodeClassRef";
            let m = r.object(v, f, &["group", "kind", "name"])?;
            let kind = m.get("kind").map(|v| r.string(v, &format!("{f}.kind"))).transpose()?;
            if kind.as_deref().is_some_and(|k| k != "EC2NodeClass") {
                r.ignored.push(format!("{f} (kind {}: fleetsim models EC2NodeClass only)", kind.unwrap_or_default()));
                None
            } else {
                m.get("name").map(|v| r.string(v, &format!("{f}.name"))).transpose()?
            }
        }
    };
    let mut requirements = Vec::new();
    let mut min_values = Vec::new();
    if let Some(reqs) = tspec.get("requirements") {
        let reqs = reqs.as_array().ok_or_else(|| r.err("spec.template.spec.requirements", "expected a list"))?;
        for (i, q) in reqs.iter().enumerate() {
            let p = format!("spec.template.spec.requirements[{i}]");
            let q = r.object(q, &p, &["key", "operator", "values", "minValues"])?;
            let key = r.string(q.get("key").unwrap_or(&null), &format!("{p}.key"))?;
            let op_s = r.string(q.get("operator").unwrap_or(&null), &format!("{p}.operator"))?;
            let operator = SelectorOperator::parse_karpenter(&op_s).ok_or_else(|| {
                r.err(
                    &format!("{p}.operator"),
                    format!("`{op_s}`; expected In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte or Lte"),
                )
            })?;
            let mut values = Vec::new();
            if let Some(vs) = q.get("values") {
                let vs = vs.as_array().ok_or_else(|| r.err(&format!("{p}.values"), "expected a list"))?;
                for (j, v) in vs.iter().enumerate() {
                    values.push(r.string(v, &format!("{p}.values[{j}]"))?);
                }
            }
            // `minValues`: 1..=50, and no more than an `In` requirement's values (the CRD's
            // validation, kubernetes-sigs/karpenter `pkg/apis/v1/nodepool.go` at 22664681).
            if let Some(v) = q.get("minValues") {
                let f = format!("{p}.minValues");
                let n = v
                    .as_u64()
                    .filter(|n| (1..=50).contains(n))
                    .ok_or_else(|| r.err(&f, format!("{v}; expected an integer in 1..=50")))?
                    as u32;
                if operator == SelectorOperator::In && (n as usize) > values.len() {
                    return Err(r.err(
                        &f,
                        format!("{n}, but the requirement lists {} value(s); an `In` requirement with minValues must list at least that many", values.len()),
                    ));
                }
                min_values.push(MinValues { key: key.clone(), min: n });
            }
            let req = Requirement { key, operator, values };
            req.validate().map_err(|m| r.err(&p, m))?;
            requirements.push(req);
        }
    }
    let mut taints = Vec::new();
    if let Some(ts) = tspec.get("taints") {
        let ts = ts.as_array().ok_or_else(|| r.err("spec.template.spec.taints", "expected a list"))?;
        for (i, t) in ts.iter().enumerate() {
            let p = format!("spec.template.spec.taints[{i}]");
            let t = r.object(t, &p, &["key", "value", "effect"])?;
            let key = r.string(t.get("key").unwrap_or(&null), &format!("{p}.key"))?;
            let value = t.get("value").map(|v| r.string(v, &format!("{p}.value"))).transpose()?.unwrap_or_default();
            let eff = r.string(t.get("effect").unwrap_or(&null), &format!("{p}.effect"))?;
            let effect = match eff.as_str() {
                "NoSchedule" => TaintEffect::NoSchedule,
                "NoExecute" => TaintEffect::NoExecute,
                "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
                o => {
                    return Err(r.err(
                        &format!("{p}.effect"),
                        format!("`{o}`; expected NoSchedule, NoExecute or PreferNoSchedule"),
                    ))
                }
            };
            taints.push(Taint { key, value, effect });
        }
    }
    // Karpenter v1 default: 720h.
    let expire_after = match tspec.get("expireAfter") {
        Some(v) => r.duration_or_never(v, "spec.template.spec.expireAfter")?,
        None => Some(SimTime(720 * 3_600_000)),
    };
    let termination_grace = match tspec.get("terminationGracePeriod") {
        Some(v) => r.duration_or_never(v, "spec.template.spec.terminationGracePeriod")?,
        None => None,
    };
    let dis = r.object(
        spec.get("disruption").unwrap_or(&empty),
        "spec.disruption",
        &["consolidationPolicy", "consolidateAfter", "budgets"],
    )?;
    let policy = match dis.get("consolidationPolicy").map(|v| r.string(v, "spec.disruption.consolidationPolicy")) {
        None => ConsolidationPolicy::WhenEmptyOrUnderutilized,
        Some(s) => match s?.as_str() {
            "WhenEmpty" => ConsolidationPolicy::WhenEmpty,
            "WhenEmptyOrUnderutilized" => ConsolidationPolicy::WhenEmptyOrUnderutilized,
            o => {
                return Err(r.err(
                    "spec.disruption.consolidationPolicy",
                    format!("`{o}`; expected WhenEmpty or WhenEmptyOrUnderutilized"),
                ))
            }
        },
    };
    let consolidate_after = match dis.get("consolidateAfter") {
        Some(v) => r.duration_or_never(v, "spec.disruption.consolidateAfter")?,
        None => Some(SimTime::ZERO),
    };
    let mut budgets = Vec::new();
    match dis.get("budgets") {
        None => budgets.push(Budget {
            nodes: BudgetNodes::Percent(10),
            reasons: Vec::new(),
            schedule: None,
            schedule_text: String::new(),
        }),
        Some(bs) => {
            let bs = bs.as_array().ok_or_else(|| r.err("spec.disruption.budgets", "expected a list"))?;
            for (i, b) in bs.iter().enumerate() {
                let p = format!("spec.disruption.budgets[{i}]");
                budgets.push(budget(&mut r, b, &p)?);
            }
        }
    }
    let mut limits = Limits::default();
    if let Some(l) = spec.get("limits") {
        let l = l.as_object().ok_or_else(|| r.err("spec.limits", "expected a mapping"))?;
        for (k, v) in l {
            let p = format!("spec.limits.{k}");
            let s = r.string(v, &p)?;
            match k.as_str() {
                "cpu" => limits.cpu_milli = Some(parse_cpu_milli(&s).map_err(|e| r.err(&p, e.to_string()))?),
                "memory" => limits.memory_mib = Some(parse_memory_mib(&s).map_err(|e| r.err(&p, e.to_string()))?),
                "nvidia.com/gpu" => limits.gpus = Some(parse_count(&s).map_err(|e| r.err(&p, e.to_string()))?),
                "nodes" => limits.nodes = Some(parse_count(&s).map_err(|e| r.err(&p, e.to_string()))?),
                "pods" => limits.pods = Some(parse_count(&s).map_err(|e| r.err(&p, e.to_string()))?),
                _ => r.ignored.push(p),
            }
        }
    }
    let weight = match spec.get("weight") {
        None => 0,
        Some(v) => {
            let w = v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match w {
                Some(w) if (1..=100).contains(&w) => w as u32,
                _ => return Err(r.err("spec.weight", format!("{v}; expected an integer in 1..=100"))),
            }
        }
    };
    // EKS Auto Mode labels other than the instance facts (compute type, ...) restrict nothing here.
    for (i, q) in requirements.iter().enumerate() {
        if q.key.starts_with("eks.amazonaws.com/") && !well_known(&q.key) {
            r.ignored.push(format!(
                "spec.template.spec.requirements[{i}] ({}: an EKS Auto Mode label fleetsim does not model; it restricts nothing)",
                q.key
            ));
        }
    }
    // Requirements on keys offerings do not carry become node labels (a single `In` value).
    for q in &requirements {
        if !well_known(&q.key) && q.operator == SelectorOperator::In && !labels.contains_key(&q.key) {
            labels.insert(q.key.clone(), q.values[0].clone());
        }
    }
    let names_capacity = requirements.iter().any(|q| q.key == "karpenter.sh/capacity-type");
    let mut types = Vec::new();
    let mut offerings = Vec::new();
    for it in catalog.types.values() {
        let ty = types.len();
        let mut any = false;
        for zone in it.on_demand.keys() {
            for cap in [CapacityType::Spot, CapacityType::OnDemand] {
                if cap == CapacityType::Spot && !names_capacity {
                    continue; // Karpenter: on-demand unless the pool allows spot
                }
                let mut l = labels.clone();
                l.extend(offering_labels(it, zone, cap));
                if !requirements.iter().filter(|q| well_known(&q.key)).all(|q| q.matches(&l)) {
                    continue;
                }
                let price = match cap {
                    CapacityType::OnDemand => it.on_demand[zone],
                    CapacityType::Spot => market.spot_price(it, zone).unwrap_or(u64::MAX),
                };
                l.insert("karpenter.sh/nodepool".into(), name.clone());
                offerings.push(Offering { ty, zone: zone.clone(), capacity: cap, price, labels: l });
                any = true;
            }
        }
        if any {
            types.push(it.clone());
        }
    }
    if offerings.is_empty() {
        let (field, message) = excluding_requirement(&requirements, catalog, &labels, names_capacity);
        return Err(r.err(&field, message));
    }
    drop(r);
    Ok(NodePool {
        name,
        weight,
        taints,
        limits,
        node_class,
        kubelet: Kubelet::default(),
        expire_after,
        termination_grace,
        policy,
        consolidate_after,
        budgets,
        types,
        offerings,
        requirements,
        min_values,
        ignored,
    })
}

fn budget(r: &mut Reader<'_>, b: &Value, p: &str) -> Result<Budget, ManifestError> {
    let b = r.object(b, p, &["nodes", "schedule", "duration", "reasons"])?;
    let n = r.string(b.get("nodes").unwrap_or(&Value::String("10%".into())), &format!("{p}.nodes"))?;
    let nodes = match n.strip_suffix('%') {
        Some(pct) => match pct.parse::<u32>() {
            Ok(v) if v <= 100 => BudgetNodes::Percent(v),
            _ => return Err(r.err(&format!("{p}.nodes"), format!("`{n}`; expected a count or a percentage 0%..100%"))),
        },
        None => BudgetNodes::Count(
            n.parse().map_err(|_| r.err(&format!("{p}.nodes"), format!("`{n}`; expected a count or a percentage")))?,
        ),
    };
    let mut reasons = Vec::new();
    if let Some(rs) = b.get("reasons") {
        let rs = rs.as_array().ok_or_else(|| r.err(&format!("{p}.reasons"), "expected a list"))?;
        for (i, x) in rs.iter().enumerate() {
            let f = format!("{p}.reasons[{i}]");
            reasons.push(match r.string(x, &f)?.as_str() {
                "Empty" => Reason::Empty,
                "Underutilized" => Reason::Underutilized,
                "Drifted" => Reason::Drifted,
                o => return Err(r.err(&f, format!("`{o}`; expected Empty, Underutilized or Drifted"))),
            });
        }
    }
    let schedule_text = b.get("schedule").map(|v| r.string(v, &format!("{p}.schedule"))).transpose()?;
    let duration = b.get("duration").map(|v| r.string(v, &format!("{p}.duration"))).transpose()?;
    let schedule = match (schedule_text.as_deref(), duration.as_deref()) {
        (None, None) => None,
        (Some(s), Some(d)) => {
            let c = Cron::parse(s).map_err(|e| r.err(&format!("{p}.schedule"), e))?;
            let d = parse_duration(d).map_err(|e| r.err(&format!("{p}.duration"), e))?;
            Some((c, d))
        }
        (Some(_), None) => return Err(r.err(&format!("{p}.duration"), "a schedule needs a duration (e.g. `10h`)")),
        (None, Some(_)) => return Err(r.err(&format!("{p}.schedule"), "a duration needs a schedule (cron, UTC)")),
    };
    Ok(Budget { nodes, reasons, schedule, schedule_text: schedule_text.unwrap_or_default() })
}

impl NodePool {
    /// The first requirement of the pool a node with `labels` no longer meets: Karpenter's
    /// requirements drift (kubernetes-sigs/karpenter `pkg/controllers/nodeclaim/disruption/drift.go`
    /// `areRequirementsDrifted` at 22664681: the node's labels, each an `In` of its value, must be
    /// compatible with every requirement; a key the node lacks meets only `NotIn` and
    /// `DoesNotExist`).
    pub fn drifted_requirement(&self, labels: &BTreeMap<String, String>) -> Option<&Requirement> {
        self.requirements.iter().find(|q| !q.matches(labels))
    }
}

mod why;
use why::excluding_requirement;

#[cfg(test)]
mod tests;
