//! The `fleet:` section: member scenarios, PropagationPolicies, inventory, descheduler.

use super::{Ctx, Loader, Scenario, ScenarioError};
use crate::controllers::fleet::{Descheduler, FleetSpec, MemberSpec, Placement, PropagationPolicy, StockLevel};
use crate::core::fleet::ClusterAffinity;
use crate::core::selector::{Requirement, SelectorOperator};
use crate::engine::time::parse_duration;
use crate::engine::SimTime;
use crate::scenario::schema::{RawFleet, RawScenario};
use crate::sim::{Latency, TimelineOp};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// API versions of a PropagationPolicy fleetsim reads: ACK One's (seed 001) and Karmada's.
const POLICY_APIS: [&str; 2] = ["policy.one.alibabacloud.com/v1alpha1", "policy.karmada.io/v1alpha1"];

/// Validates `raw.fleet` of the fleet scenario `raw`; `timeline` is the fleet's (its Deployments
/// are what the policies propagate). Warnings (policy fields not modelled) go to `warnings`.
pub(super) fn fleet_spec(
    cx: &Ctx<'_>,
    raw: &RawScenario,
    fleet: &RawFleet,
    timeline: &[(SimTime, TimelineOp)],
    loader: &mut Loader,
    warnings: &mut Vec<String>,
) -> Result<FleetSpec, ScenarioError> {
    if !raw.pools.is_empty()
        || !raw.nodepools.is_empty()
        || !raw.cluster.nodes.is_empty()
        || raw.cluster.nodes_csv.is_some()
    {
        return Err(cx.err(
            "fleet",
            "a fleet scenario's clusters are its members: move `pools`, `nodepools` and `cluster` nodes into a member's `scenario`",
        ));
    }
    if fleet.members.is_empty() {
        return Err(cx.err("fleet.members", "expected at least one member cluster"));
    }
    let mut members: Vec<MemberSpec> = Vec::new();
    for (i, m) in fleet.members.iter().enumerate() {
        let f = |k: &str| format!("fleet.members[{i}].{k}");
        if members.iter().any(|o| o.name == m.name) {
            return Err(cx.err(f("name"), format!("member `{}` is listed twice", m.name)));
        }
        let latency = Latency::parse(&m.dispatch_latency).map_err(|e| {
            cx.err(f("dispatch_latency"), format!("{e}; expected a duration (`1s`) or a range (`1s..3s`)"))
        })?;
        let scenario = member_scenario(cx, raw, i, &m.name, &m.scenario, loader)?;
        let Some(setup) = scenario.autoscale.clone().filter(|a| a.grows_nodes()) else {
            return Err(cx.err(f("scenario"), "a member needs node `pools` or Karpenter `nodepools` to run replicas"));
        };
        warnings.extend(scenario.warnings.iter().map(|w| format!("member {}: {w}", m.name)));
        members.push(MemberSpec {
            name: m.name.clone(),
            region: m.region.clone(),
            latency,
            setup,
            nodes: scenario.nodes.clone(),
            policy: scenario.policy,
        });
    }
    let names: Vec<Member> = fleet
        .members
        .iter()
        .map(|m| {
            let fields = [("provider", m.provider.as_ref()), ("region", Some(&m.region)), ("zone", m.zone.as_ref())];
            Member {
                name: &m.name,
                labels: &m.labels,
                fields: fields.iter().filter_map(|(k, v)| Some((k.to_string(), (*v)?.clone()))).collect(),
            }
        })
        .collect();
    let docs = super::manifest_items(
        cx,
        "fleet.propagation_policies",
        &fleet.propagation_policies,
        "a PropagationPolicy manifest",
    )?;
    let mut policies = Vec::new();
    for (origin, doc) in docs.iter().filter(|(_, d)| !d.is_null()) {
        policies.push(policy(origin, doc, &names, warnings)?);
    }
    // Every fleet Deployment is propagated by one policy (the first that selects it).
    for (k, (_, op)) in timeline.iter().enumerate() {
        if let TimelineOp::Apply(d) = op {
            if !policies.iter().any(|p| p.deployments.contains(&d.name)) {
                return Err(cx.err(
                    format!("timeline[{k}]"),
                    format!(
                        "no PropagationPolicy selects Deployment `{}`; add it to a policy's resourceSelectors",
                        d.name
                    ),
                ));
            }
        }
    }
    // A policy applied again replaces the one of its name (Karmada reschedules a binding whose
    // placement changed: `pkg/scheduler/scheduler.go`, "placement changed"). Changing what it
    // selects would move Deployments between policies, which is not modelled.
    let mut policy_updates = Vec::new();
    for (j, u) in fleet.policy_updates.iter().enumerate() {
        let field = format!("fleet.policy_updates[{j}]");
        let at = parse_duration(&u.at).map_err(|e| cx.err(format!("{field}.at"), e))?;
        if let Some(&(before, _, _)) = policy_updates.last() {
            if at < before {
                let said = &fleet.policy_updates[j - 1].at;
                return Err(cx.err(
                    format!("{field}.at"),
                    format!("{}, before the update above it ({said}); expected the updates in time order", u.at),
                ));
            }
        }
        let docs =
            super::manifest_items(cx, &format!("{field}.policies"), &u.policies, "a PropagationPolicy manifest")?;
        for (origin, doc) in docs.iter().filter(|(_, d)| !d.is_null()) {
            let p = policy(origin, doc, &names, warnings)?;
            let Some(k) = policies.iter().position(|o: &PropagationPolicy| o.name == p.name) else {
                let known: Vec<&str> = policies.iter().map(|o| o.name.as_str()).collect();
                return Err(cx.err(
                    format!("{field}.policies"),
                    format!(
                        "PropagationPolicy `{}` is not in fleet.propagation_policies ({}); an update replaces a policy of the same name",
                        p.name,
                        known.join(", ")
                    ),
                ));
            };
            if p.deployments != policies[k].deployments {
                return Err(cx.err(
                    format!("{field}.policies"),
                    format!(
                        "PropagationPolicy `{}` selects {:?}, not {:?} as before; an update may change the placement, not the resourceSelectors",
                        p.name, p.deployments, policies[k].deployments
                    ),
                ));
            }
            policy_updates.push((at, k, p));
        }
    }
    let mut inventory = Vec::new();
    for (i, s) in fleet.inventory.iter().enumerate() {
        let f = |k: &str| format!("fleet.inventory[{i}].{k}");
        let at = parse_duration(&s.at).map_err(|e| cx.err(f("at"), e))?;
        if !members.iter().any(|m| m.region == s.region) {
            let regions: Vec<&str> = members.iter().map(|m| m.region.as_str()).collect();
            return Err(cx.err(
                f("region"),
                format!("no member is in region `{}`; members' regions: {}", s.region, regions.join(", ")),
            ));
        }
        let sold = members.iter().filter(|m| m.region == s.region).any(|m| {
            m.setup.pools().any(|p| p.types.iter().any(|t| t.name == s.instance_type))
                || m.setup.nodepools().any(|p| p.types.iter().any(|t| t.name == s.instance_type))
        });
        if !sold {
            return Err(cx.err(
                f("instance_type"),
                format!("no pool of a member in region `{}` launches `{}`", s.region, s.instance_type),
            ));
        }
        if s.stock < 0 || s.stock > 1_000_000 {
            return Err(cx.err(f("stock"), format!("{}; expected a count of instances, 0..=1000000", s.stock)));
        }
        inventory.push(StockLevel {
            at,
            region: s.region.clone(),
            instance_type: s.instance_type.clone(),
            stock: s.stock as u32,
        });
    }
    inventory.sort_by_key(|l| l.at); // stable: same-time levels keep file order
    let d = &fleet.descheduler;
    let dur = |k: &str, v: &str| -> Result<SimTime, ScenarioError> {
        let t = parse_duration(v).map_err(|e| cx.err(format!("fleet.descheduler.{k}"), e))?;
        if t == SimTime::ZERO {
            return Err(cx.err(format!("fleet.descheduler.{k}"), "expected a positive duration"));
        }
        Ok(t)
    };
    let descheduler = Descheduler {
        enabled: d.enabled,
        interval: dur("descheduling_interval", &d.descheduling_interval)?,
        threshold: dur("unschedulable_threshold", &d.unschedulable_threshold)?,
    };
    Ok(FleetSpec { members, policies, policy_updates, inventory, descheduler })
}

/// A member's scenario: a mapping completed with the fleet's seed, placement and simulation, or a
/// scenario file (its own relative paths resolve against its directory).
fn member_scenario(
    cx: &Ctx<'_>,
    raw: &RawScenario,
    i: usize,
    name: &str,
    v: &Value,
    loader: &mut Loader,
) -> Result<Scenario, ScenarioError> {
    let field = format!("fleet.members[{i}].scenario");
    let (mut map, file, dir) = match v {
        Value::Object(m) => (m.clone(), cx.file.to_string(), cx.dir.to_path_buf()),
        Value::String(rel) => {
            let path = cx.path(rel);
            let file = path.display().to_string();
            let m = super::Files::get(&cx.files.scenarios, &path.to_path_buf(), || {
                let text =
                    std::fs::read_to_string(&path).map_err(|e| cx.err(&field, format!("cannot read {file}: {e}")))?;
                crate::yaml::from_str(&text)
                    .map_err(|e| ScenarioError::Parse { file: file.clone(), message: e.to_string() })
            })?;
            let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            (Map::clone(&m), file, dir)
        }
        _ => return Err(cx.err(&field, "expected a scenario mapping or the path of a scenario file")),
    };
    for k in ["seed", "placement", "simulation", "fleet"] {
        if map.contains_key(k) {
            return Err(cx.err(format!("{field}.{k}"), "set by the fleet scenario; remove it from the member"));
        }
    }
    map.entry("name").or_insert_with(|| Value::String(name.to_string()));
    map.entry("cluster").or_insert_with(|| serde_json::json!({}));
    map.entry("workload").or_insert_with(|| serde_json::json!({}));
    map.insert("seed".into(), serde_json::json!(raw.seed));
    map.insert("placement".into(), serde_json::to_value(&raw.placement).map_err(|e| cx.err(&field, e.to_string()))?);
    map.insert("simulation".into(), serde_json::to_value(&raw.simulation).map_err(|e| cx.err(&field, e.to_string()))?);
    let inline = v.is_object();
    let member: RawScenario =
        crate::yaml::from_value(Value::Object(map)).map_err(|(path, message)| match (inline, path.is_empty()) {
            (true, true) => ScenarioError::Field { file: file.clone(), field: field.clone(), message },
            (true, false) => ScenarioError::Field { file: file.clone(), field: format!("{field}.{path}"), message },
            (false, true) => ScenarioError::Parse { file: file.clone(), message },
            (false, false) => ScenarioError::Field { file: file.clone(), field: path, message },
        })?;
    // An inline member's fields are the fleet file's: name them from its top.
    super::validate(member, &file, &dir, loader).map_err(|e| match e {
        ScenarioError::Field { file, field: f, message } if inline => {
            ScenarioError::Field { file, field: format!("{field}.{f}"), message }
        }
        other => other,
    })
}

/// A member as a policy's cluster affinity sees it.
struct Member<'a> {
    name: &'a str,
    labels: &'a BTreeMap<String, String>,
    /// `provider`, `region`, `zone` where set.
    fields: BTreeMap<String, String>,
}

/// One PropagationPolicy manifest.
fn policy(
    origin: &str,
    doc: &Value,
    members: &[Member<'_>],
    warnings: &mut Vec<String>,
) -> Result<PropagationPolicy, ScenarioError> {
    let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?").to_string();
    let err = |field: &str, message: String| ScenarioError::Field {
        file: origin.to_string(),
        field: format!("PropagationPolicy {name}: {field}"),
        message,
    };
    let api = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if !POLICY_APIS.contains(&api) {
        return Err(err("apiVersion", format!("`{api}`; expected one of {}", POLICY_APIS.join(", "))));
    }
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != "PropagationPolicy" {
        return Err(err("kind", format!("`{kind}`; expected PropagationPolicy")));
    }
    let spec = doc.get("spec").ok_or_else(|| err("spec", "missing".into()))?;
    let known = ["resourceSelectors", "placement", "autoScaling"];
    if let Some(m) = spec.as_object() {
        for k in m.keys().filter(|k| !known.contains(&k.as_str())) {
            warnings.push(format!("{origin}: PropagationPolicy {name}: spec.{k} is not modelled by fleetsim; ignored"));
        }
    }
    let mut deployments = Vec::new();
    let sels = spec
        .get("resourceSelectors")
        .and_then(Value::as_array)
        .ok_or_else(|| err("spec.resourceSelectors", "expected a list of {apiVersion, kind, name} selectors".into()))?;
    for (j, s) in sels.iter().enumerate() {
        let kind = s.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind != "Deployment" {
            return Err(err(
                &format!("spec.resourceSelectors[{j}].kind"),
                format!("`{kind}`; fleetsim propagates Deployments"),
            ));
        }
        let n = s.get("name").and_then(Value::as_str).ok_or_else(|| {
            err(
                &format!("spec.resourceSelectors[{j}].name"),
                "expected the Deployment's name (label selectors are not modelled)".into(),
            )
        })?;
        deployments.push(n.to_string());
    }
    let placement = spec.get("placement").cloned().unwrap_or(Value::Null);
    let listed = |v: Option<&Value>, field: &str| -> Result<Option<Vec<String>>, ScenarioError> {
        let Some(v) = v else { return Ok(None) };
        let list = v.as_array().ok_or_else(|| err(field, "expected a list of member cluster names".into()))?;
        let mut out = Vec::new();
        for (k, x) in list.iter().enumerate() {
            let n = x.as_str().unwrap_or("");
            if !members.iter().any(|m| m.name == n) {
                let all: Vec<&str> = members.iter().map(|m| m.name).collect();
                return Err(err(
                    &format!("{field}[{k}]"),
                    format!("`{n}` is not a member of the fleet; members: {}", all.join(", ")),
                ));
            }
            out.push(n.to_string());
        }
        Ok(Some(out))
    };
    // Warnings of the affinities (a cell: the closure below is called more than once).
    let warnings_here = std::cell::RefCell::new(Vec::new());
    // A `ClusterAffinity` (karmada-io/karmada `pkg/apis/policy/v1alpha1/propagation_types.go`
    // at f8fdd02d), resolved against the members once: they do not change during a run.
    let affinity = |v: Option<&Value>, field: &str| -> Result<Vec<String>, ScenarioError> {
        let Some(v) = v else { return Ok(members.iter().map(|m| m.name.to_string()).collect()) };
        let obj = v.as_object().ok_or_else(|| {
            err(field, "expected a mapping of clusterNames, exclude, labelSelector and fieldSelector".into())
        })?;
        for k in
            obj.keys().filter(|k| !["clusterNames", "exclude", "labelSelector", "fieldSelector"].contains(&k.as_str()))
        {
            warnings_here
                .borrow_mut()
                .push(format!("{origin}: PropagationPolicy {name}: {field}.{k} is not modelled by fleetsim; ignored"));
        }
        let reqs = |v: Option<&Value>, f: &str, fields: bool| -> Result<Vec<Requirement>, ScenarioError> {
            let Some(v) = v else { return Ok(Vec::new()) };
            let list = v.as_array().ok_or_else(|| err(f, "expected a list of {key, operator, values}".into()))?;
            let mut out = Vec::new();
            for (k, e) in list.iter().enumerate() {
                let g = format!("{f}[{k}]");
                let key = e.get("key").and_then(Value::as_str).unwrap_or("").to_string();
                let op = e.get("operator").and_then(Value::as_str).unwrap_or("");
                let operator = SelectorOperator::parse(op)
                    .filter(|o| !matches!(o, SelectorOperator::Gt | SelectorOperator::Lt))
                    .ok_or_else(|| {
                        err(&format!("{g}.operator"), format!("`{op}`; expected In, NotIn, Exists or DoesNotExist"))
                    })?;
                // The webhook's `ValidateClusterAffinity`: fields by provider, region or zone,
                // with In or NotIn.
                if fields && !["provider", "region", "zone"].contains(&key.as_str()) {
                    return Err(err(&format!("{g}.key"), format!("`{key}`; expected provider, region or zone")));
                }
                if fields && !matches!(operator, SelectorOperator::In | SelectorOperator::NotIn) {
                    return Err(err(&format!("{g}.operator"), format!("`{op}`; a fieldSelector takes In or NotIn")));
                }
                let values = match e.get("values") {
                    None => Vec::new(),
                    Some(v) => v
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                        .ok_or_else(|| err(&format!("{g}.values"), "expected a list of strings".into()))?,
                };
                let r = Requirement { key, operator, values };
                r.validate().map_err(|m| err(&g, m))?;
                out.push(r);
            }
            Ok(out)
        };
        let labels = match obj.get("labelSelector") {
            None => None,
            Some(sel) => {
                let f = format!("{field}.labelSelector");
                let mut r = Vec::new();
                if let Some(ml) = sel.get("matchLabels") {
                    let ml = ml
                        .as_object()
                        .ok_or_else(|| err(&format!("{f}.matchLabels"), "expected a mapping of labels".into()))?;
                    for (k, v) in ml {
                        let v = v
                            .as_str()
                            .ok_or_else(|| err(&format!("{f}.matchLabels.{k}"), format!("{v}; expected a string")))?;
                        r.push(Requirement {
                            key: k.clone(),
                            operator: SelectorOperator::In,
                            values: vec![v.to_string()],
                        });
                    }
                }
                r.extend(reqs(sel.get("matchExpressions"), &format!("{f}.matchExpressions"), false)?);
                Some(r)
            }
        };
        let fields = match obj.get("fieldSelector") {
            None => None,
            Some(sel) => {
                Some(reqs(sel.get("matchExpressions"), &format!("{field}.fieldSelector.matchExpressions"), true)?)
            }
        };
        let a = ClusterAffinity {
            names: listed(obj.get("clusterNames"), &format!("{field}.clusterNames"))?.unwrap_or_default(),
            exclude: listed(obj.get("exclude"), &format!("{field}.exclude"))?.unwrap_or_default(),
            labels,
            fields,
        };
        Ok(members.iter().filter(|m| a.matches(m.name, m.labels, &m.fields)).map(|m| m.name.to_string()).collect())
    };
    let candidates = affinity(placement.get("clusterAffinity"), "spec.placement.clusterAffinity")?;
    if candidates.is_empty() {
        warnings_here.borrow_mut().push(format!(
            "{origin}: PropagationPolicy {name}: spec.placement.clusterAffinity matches no member; its Deployments cannot be scheduled"
        ));
    }
    let rs = placement.get("replicaScheduling");
    let ty = rs.and_then(|r| r.get("replicaSchedulingType")).and_then(Value::as_str).unwrap_or("Duplicated");
    let rule = match ty {
        "Duplicated" => Placement::Duplicated,
        "Divided" => {
            let pref =
                rs.and_then(|r| r.get("replicaDivisionPreference")).and_then(Value::as_str).unwrap_or("Weighted");
            let wp = rs.and_then(|r| r.get("weightPreference"));
            match (pref, wp.and_then(|w| w.get("dynamicWeight")), wp.and_then(|w| w.get("staticWeightList"))) {
                ("Aggregated", _, _) => Placement::Aggregated,
                ("Weighted", Some(d), _) => {
                    if d.as_str() != Some("AvailableReplicas") {
                        return Err(err(
                            "spec.placement.replicaScheduling.weightPreference.dynamicWeight",
                            format!("{d}; expected AvailableReplicas"),
                        ));
                    }
                    Placement::AvailableReplicas
                }
                ("Weighted", None, Some(list)) => {
                    let f = "spec.placement.replicaScheduling.weightPreference.staticWeightList";
                    let list = list.as_array().ok_or_else(|| err(f, "expected a list".into()))?;
                    let mut rules = Vec::new();
                    for (k, item) in list.iter().enumerate() {
                        // The CRD's `Minimum=1` (karmada-io/karmada `propagation_types.go`).
                        let w = item.get("weight").and_then(Value::as_u64).filter(|&w| w > 0 && w <= 1_000_000);
                        let w =
                            w.ok_or_else(|| err(&format!("{f}[{k}].weight"), "expected a positive integer".into()))?;
                        let target = item.get("targetCluster").ok_or_else(|| {
                            err(&format!("{f}[{k}].targetCluster"), "missing; expected a ClusterAffinity".into())
                        })?;
                        let names = affinity(Some(target), &format!("{f}[{k}].targetCluster"))?;
                        rules.push((w, names));
                    }
                    Placement::StaticWeights(rules)
                }
                // Divided without weights: evenly (Karmada gives every cluster weight 1).
                ("Weighted", None, None) => Placement::StaticWeights(Vec::new()),
                (o, _, _) => {
                    return Err(err(
                        "spec.placement.replicaScheduling.replicaDivisionPreference",
                        format!("`{o}`; expected Weighted or Aggregated"),
                    ))
                }
            }
        }
        t => {
            return Err(err(
                "spec.placement.replicaScheduling.replicaSchedulingType",
                format!("`{t}`; expected Duplicated or Divided"),
            ))
        }
    };
    let ecs_provision = spec.pointer("/autoScaling/ecsProvision").and_then(Value::as_bool).unwrap_or(false);
    if let Some(m) = placement.as_object() {
        let known = ["clusterAffinity", "replicaScheduling", "spreadConstraints"];
        for k in m.keys().filter(|k| !known.contains(&k.as_str())) {
            warnings.push(format!(
                "{origin}: PropagationPolicy {name}: spec.placement.{k} is not modelled by fleetsim; ignored"
            ));
        }
    }
    let spread = match placement.get("spreadConstraints") {
        None => None,
        Some(v) => {
            let f = "spec.placement.spreadConstraints";
            let list = v.as_array().ok_or_else(|| err(f, "expected a list".into()))?;
            match list.as_slice() {
                [] => None,
                [c] => {
                    // karmada-io/karmada at f8fdd02d: `pkg/apis/policy/v1alpha1/propagation_types.go`
                    // (spreadByField and spreadByLabel both empty default to `cluster`; minGroups
                    // defaults to 1) and the webhook's `ValidateSpreadConstraint`
                    // (`pkg/util/validation/validation.go`: not both fields, no negative counts,
                    // maxGroups, when set, at least minGroups).
                    let by = c.get("spreadByField").and_then(Value::as_str).unwrap_or("");
                    let label = c.get("spreadByLabel").and_then(Value::as_str).unwrap_or("");
                    if !by.is_empty() && !label.is_empty() {
                        return Err(err(
                            &format!("{f}[0]"),
                            format!("spreadByField `{by}` and spreadByLabel `{label}`; expected one of them (spreadByLabel should not co-exist with spreadByField)"),
                        ));
                    }
                    if !label.is_empty() {
                        return Err(err(
                            &format!("{f}[0].spreadByLabel"),
                            format!("`{label}`; fleetsim models spreadByField: cluster (spreading by label is not modelled)"),
                        ));
                    }
                    if !by.is_empty() && by != "cluster" {
                        return Err(err(
                            &format!("{f}[0].spreadByField"),
                            format!("`{by}`; fleetsim models spreadByField: cluster (region, zone and provider are not modelled)"),
                        ));
                    }
                    for k in c.as_object().into_iter().flat_map(|m| m.keys()) {
                        if !["spreadByField", "spreadByLabel", "maxGroups", "minGroups"].contains(&k.as_str()) {
                            warnings.push(format!(
                                "{origin}: PropagationPolicy {name}: {f}[0].{k} is not a SpreadConstraint field; ignored"
                            ));
                        }
                    }
                    let n = |k: &str, default: u64| -> Result<u32, ScenarioError> {
                        match c.get(k) {
                            None => Ok(default as u32),
                            Some(v) => v.as_u64().filter(|&n| n <= 1000).map(|n| n as u32).ok_or_else(|| {
                                err(&format!("{f}[0].{k}"), format!("{v}; expected an integer 0..=1000"))
                            }),
                        }
                    };
                    // An unset maxGroups is 0, and Karmada's scheduler then selects no cluster
                    // (`selectBestClustersByCluster` takes the first maxGroups): every placement
                    // would fail, so the file is refused here rather than run to no purpose.
                    let max = n("maxGroups", 0)?;
                    let min = n("minGroups", 1)?;
                    if max == 0 {
                        return Err(err(
                            &format!("{f}[0].maxGroups"),
                            "unset (0): Karmada's scheduler selects no cluster under a spread constraint without maxGroups; expected maxGroups >= 1".into(),
                        ));
                    }
                    if max < min {
                        return Err(err(
                            &format!("{f}[0].maxGroups"),
                            format!("{max}, below minGroups {min}; expected maxGroups >= minGroups"),
                        ));
                    }
                    Some((max, min))
                }
                _ => {
                    return Err(err(f, format!("{} constraints; fleetsim models one, by cluster", list.len())));
                }
            }
        }
    };
    warnings.extend(warnings_here.into_inner());
    Ok(PropagationPolicy { name, deployments, members: candidates, rule, ecs_provision, spread })
}
