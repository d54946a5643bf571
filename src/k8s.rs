//! Kubernetes objects as `kubectl get ... -o json` writes them, read into the core's types: a
//! `NodeList` into [`NodeSpec`]s, a `PodList` into bound and pending [`PodSpec`]s.
//!
//! Read leniently, as kubectl's output grows with every Kubernetes version: unknown fields are
//! ignored; a missing field fleetsim needs, a quantity kubectl never writes, or a pod bound to a
//! node that is not in the dump is one error naming the object and the field.
//!
//! What is read:
//! - Node: `metadata.name`, `metadata.labels`, `spec.taints`, `spec.unschedulable` (a cordoned
//!   node takes no pod), `status.allocatable` (`cpu`, `memory`, `nvidia.com/gpu`, `pods`: the
//!   kubelet's maxPods, every pod takes one; absent, no limit). The GPU model
//!   comes from the first of the labels `nvidia.com/gpu.product` (GPU feature discovery),
//!   `karpenter.k8s.aws/instance-gpu-name`, `aliyun.accelerator/nvidia_name`.
//! - Pod: `metadata.name`/`namespace`; the effective request of each resource as the scheduler
//!   computes it ([`crate::core::requests::pod_request`]): the sum over `spec.containers` and the
//!   sidecars (`spec.initContainers` with `restartPolicy: Always`), or the largest init step if
//!   larger, plus `spec.overhead` (a container without `requests` for a resource requests its
//!   `limits`); `tolerations`, `nodeSelector`, required node affinity;
//!   `spec.nodeName` and `status.phase` (Succeeded and Failed pods hold nothing).

pub mod cron;
pub mod drain;
mod kubectl;
pub mod manifest;
pub mod nodeclass;
pub mod nodepool;

use crate::core::quantity::{parse_count, parse_cpu_milli, parse_memory_mib};
use crate::core::requests::{pod_request, InitContainer};
use crate::core::{
    GpuRequest, NodeAffinity, NodeSpec, PodSpec, Requirement, SelectorOperator, Taint, TaintEffect, Toleration,
    TolerationOperator,
};
pub use drain::{drain_rule, Drain};
pub use kubectl::to_kubectl;
use serde_json::Value;
use std::collections::BTreeMap;

/// A snapshot of a cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Schedulable nodes (cordoned ones are left out; see `cordoned`).
    pub nodes: Vec<NodeSpec>,
    /// Cordoned nodes' names.
    pub cordoned: Vec<String>,
    /// Pods bound to a node, with its name.
    pub bound: Vec<(PodSpec, String)>,
    /// Pods waiting for a node, in creation order (the name is `namespace/name`).
    pub pending: Vec<PodSpec>,
    /// Pods annotated `karpenter.sh/do-not-disrupt: "true"` (`namespace/name`, sorted): Karpenter
    /// does not consolidate their nodes.
    pub do_not_disrupt: Vec<String>,
    /// Bound pods that cluster-autoscaler's drain rules do not simply move (`namespace/name`):
    /// DaemonSet and mirror pods, and pods that block their node's removal ([`drain_rule`]).
    pub drain: BTreeMap<String, Drain>,
    /// Nodes annotated `cluster-autoscaler.kubernetes.io/scale-down-disabled: "true"` (sorted).
    pub scale_down_disabled: Vec<String>,
    /// Nodes annotated `karpenter.sh/do-not-disrupt: "true"` (sorted): Karpenter neither
    /// consolidates nor drifts them (only the exact value `true` counts on a node,
    /// kubernetes-sigs/karpenter `pkg/controllers/state/statenode.go` at 22664681).
    pub do_not_disrupt_nodes: Vec<String>,
    /// One bound pod of each DaemonSet (by `namespace/owner`): what a new node will also run,
    /// which Karpenter counts as overhead on the nodes it plans.
    pub daemonsets: Vec<PodSpec>,
    /// Pods bound to nodes the node dump does not hold (`namespace/name`, in dump order), when
    /// [`snapshot_with`] was told to count them as running elsewhere: they take no room here.
    pub elsewhere: Vec<String>,
}

/// What to do with a pod bound to a node the node dump does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingNodes {
    /// An error naming the pod and the node (the default: a partial node dump changes the plan).
    Refuse,
    /// Count the pod as running on a node out of view ([`Snapshot::elsewhere`]).
    Elsewhere,
}

/// What is wrong with a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpError {
    /// The object (`node/gpu-1`, `pod/ml/infer-0`) or the document.
    pub object: String,
    /// Field path.
    pub field: String,
    /// What was found and what was expected.
    pub message: String,
}

impl std::fmt::Display for DumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: field `{}`: {}", self.object, self.field, self.message)
    }
}

fn err(object: &str, field: &str, message: impl Into<String>) -> DumpError {
    DumpError { object: object.to_string(), field: field.to_string(), message: message.into() }
}

/// The `items` of a `kind: <kind>List` (or a `List` of `kind` items).
fn items<'a>(doc: &'a Value, kind: &str) -> Result<&'a Vec<Value>, DumpError> {
    let what = format!("the {kind}List");
    let k = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    if k != format!("{kind}List") && k != "List" {
        return Err(err(
            &what,
            "kind",
            format!("`{k}`; expected {kind}List (`kubectl get {}s -o json`)", kind.to_lowercase()),
        ));
    }
    let items = match doc.get("items") {
        Some(Value::Array(a)) => a,
        None => return Err(err(&what, "items", "missing; expected a list")),
        Some(Value::Object(_)) => return Err(err(&what, "items", "expected a list, found a mapping")),
        Some(_) => return Err(err(&what, "items", "expected a list")),
    };
    for (i, it) in items.iter().enumerate() {
        let ik = it.get("kind").and_then(Value::as_str).unwrap_or(kind);
        if ik != kind {
            return Err(err(&what, &format!("items[{i}].kind"), format!("`{ik}`; expected {kind}")));
        }
    }
    Ok(items)
}

/// `YYYY-MM-DDTHH:MM:SS` with optional fractional seconds, then `Z` or `±HH:MM`, as the
/// Kubernetes API writes timestamps.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !(digits(0..4) && digits(5..7) && digits(8..10) && digits(11..13) && digits(14..16) && digits(17..19))
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

fn str_map(v: Option<&Value>, object: &str, field: &str) -> Result<BTreeMap<String, String>, DumpError> {
    let mut out = BTreeMap::new();
    let m = match v {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Object(m)) => m,
        Some(Value::Array(_)) => return Err(err(object, field, "expected a mapping of strings, found a list")),
        Some(_) => return Err(err(object, field, "expected a mapping of strings")),
    };
    for (k, v) in m {
        let s = v.as_str().ok_or_else(|| err(object, &format!("{field}.{k}"), "expected a string"))?;
        out.insert(k.clone(), s.to_string());
    }
    Ok(out)
}

fn quantity(v: &Value, object: &str, field: &str) -> Result<String, DumpError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(err(object, field, "expected a quantity")),
    }
}

/// Reads `kubectl get nodes -o json`.
pub fn read_nodes(doc: &Value) -> Result<(Vec<NodeSpec>, Vec<String>), DumpError> {
    let mut nodes = Vec::new();
    let mut cordoned = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, n) in items(doc, "Node")?.iter().enumerate() {
        let name = n.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            return Err(err(&format!("the NodeList: items[{i}]"), "metadata.name", "missing"));
        }
        if !seen.insert(name) {
            return Err(err(
                &format!("the NodeList: items[{i}]"),
                "metadata.name",
                format!("node `{name}` is listed twice; a cluster's node names are unique"),
            ));
        }
        let object = format!("node/{name}");
        let labels = str_map(n.pointer("/metadata/labels"), &object, "metadata.labels")?;
        let alloc = n
            .pointer("/status/allocatable")
            .and_then(Value::as_object)
            .ok_or_else(|| err(&object, "status.allocatable", "missing"))?;
        let get = |k: &str| -> Result<Option<String>, DumpError> {
            alloc.get(k).map(|v| quantity(v, &object, &format!("status.allocatable.{k}"))).transpose()
        };
        let field = |k: &str| format!("status.allocatable.{k}");
        let cpu = get("cpu")?.ok_or_else(|| err(&object, &field("cpu"), "missing"))?;
        let mem = get("memory")?.ok_or_else(|| err(&object, &field("memory"), "missing"))?;
        let cpu_milli = parse_cpu_milli(&cpu).map_err(|e| err(&object, &field("cpu"), e.to_string()))?;
        let memory_mib = parse_memory_mib(&mem).map_err(|e| err(&object, &field("memory"), e.to_string()))?;
        let gpus = match get("nvidia.com/gpu")? {
            None => 0,
            Some(g) => parse_count(&g).map_err(|e| err(&object, &field("nvidia.com/gpu"), e.to_string()))?,
        };
        if gpus > 1024 {
            return Err(err(&object, &field("nvidia.com/gpu"), format!("{gpus} is absurd; expected at most 1024")));
        }
        // The kubelet's maxPods as the node reports it; every pod takes one.
        let max_pods = match get("pods")? {
            None => None,
            Some(p) => Some(
                parse_count(&p)
                    .ok()
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(|| err(&object, &field("pods"), format!("`{p}`; expected a pod count")))?,
            ),
        };
        let gpu_model =
            ["nvidia.com/gpu.product", "karpenter.k8s.aws/instance-gpu-name", "aliyun.accelerator/nvidia_name"]
                .iter()
                .find_map(|k| labels.get(*k).cloned())
                .or_else(|| (gpus > 0).then(|| "GPU".to_string()));
        let mut taints = Vec::new();
        if let Some(ts) = n.pointer("/spec/taints").and_then(Value::as_array) {
            for (j, t) in ts.iter().enumerate() {
                let f = |k: &str| format!("spec.taints[{j}].{k}");
                let key = t.get("key").and_then(Value::as_str).ok_or_else(|| err(&object, &f("key"), "missing"))?;
                let effect = match t.get("effect").and_then(Value::as_str).unwrap_or("") {
                    "NoSchedule" => TaintEffect::NoSchedule,
                    "NoExecute" => TaintEffect::NoExecute,
                    "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
                    o => {
                        return Err(err(
                            &object,
                            &f("effect"),
                            format!("`{o}`; expected NoSchedule, NoExecute or PreferNoSchedule"),
                        ))
                    }
                };
                let value = t.get("value").and_then(Value::as_str).unwrap_or("").to_string();
                taints.push(Taint { key: key.to_string(), value, effect });
            }
        }
        if n.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
            cordoned.push(name.to_string());
            continue;
        }
        nodes.push(NodeSpec {
            name: name.to_string(),
            cpu_milli,
            memory_mib,
            gpu_count: gpus as u32,
            gpu_model: if gpus > 0 { gpu_model } else { None },
            labels,
            taints,
            gpu_share: None,
            max_pods,
        });
    }
    Ok((nodes, cordoned))
}

/// The effective request of one resource (milli for cpu, MiB for memory, count for GPUs).
fn effective(
    spec: &Value,
    object: &str,
    resource: &str,
    parse: fn(&str) -> Result<u64, String>,
) -> Result<u64, DumpError> {
    let one = |c: &Value, path: &str| -> Result<u64, DumpError> {
        let res = c.get("resources");
        // A limit with no request is requested at its limit (Kubernetes defaulting); errors name
        // the field the value came from.
        let q = match res.and_then(|r| r.get("requests")).and_then(|q| q.get(resource)) {
            Some(v) => Some((v, "requests")),
            None => res.and_then(|r| r.get("limits")).and_then(|l| l.get(resource)).map(|v| (v, "limits")),
        };
        match q {
            None => Ok(0),
            Some((v, part)) => {
                let field = format!("{path}.resources.{part}.{resource}");
                let s = quantity(v, object, &field)?;
                parse(&s).map_err(|e| err(object, &field, e))
            }
        }
    };
    let mut containers = Vec::new();
    for (i, c) in spec.get("containers").and_then(Value::as_array).into_iter().flatten().enumerate() {
        containers.push(one(c, &format!("spec.containers[{i}]"))?);
    }
    let mut init = Vec::new();
    for (i, c) in spec.get("initContainers").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let path = format!("spec.initContainers[{i}]");
        let sidecar = match c.get("restartPolicy") {
            None => false,
            Some(Value::String(s)) if s == "Always" => true,
            Some(v) => {
                return Err(err(object, &format!("{path}.restartPolicy"), format!("{v}; expected Always or no field")))
            }
        };
        init.push(InitContainer { request: one(c, &path)?, sidecar });
    }
    let overhead = match spec.get("overhead").and_then(|o| o.get(resource)) {
        None => 0,
        Some(v) => {
            let s = quantity(v, object, &format!("spec.overhead.{resource}"))?;
            parse(&s).map_err(|e| err(object, &format!("spec.overhead.{resource}"), e))?
        }
    };
    Ok(pod_request(containers, init, overhead))
}

fn affinity(spec: &Value, object: &str) -> Result<Option<NodeAffinity>, DumpError> {
    let Some(terms) = spec
        .pointer("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
    else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (t, term) in terms.iter().enumerate() {
        let mut reqs = Vec::new();
        for (e, ex) in term.get("matchExpressions").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let field = format!("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{t}].matchExpressions[{e}]");
            let key =
                ex.get("key").and_then(Value::as_str).ok_or_else(|| err(object, &format!("{field}.key"), "missing"))?;
            let op = ex.get("operator").and_then(Value::as_str).unwrap_or("");
            let operator = SelectorOperator::parse(op).ok_or_else(|| {
                err(
                    object,
                    &format!("{field}.operator"),
                    format!("`{op}`; expected In, NotIn, Exists, DoesNotExist, Gt or Lt"),
                )
            })?;
            let values = ex
                .get("values")
                .and_then(Value::as_array)
                .map(|v| v.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            let r = Requirement { key: key.to_string(), operator, values };
            r.validate().map_err(|m| err(object, &field, m))?;
            reqs.push(r);
        }
        out.push(reqs);
    }
    Ok(Some(NodeAffinity { terms: out }))
}

/// Bound pods with their node's name, and pending pods in creation order.
pub type Pods = (Vec<(PodSpec, String)>, Vec<PodSpec>);

/// Reads `kubectl get pods -A -o json` against the nodes of the dump.
pub fn read_pods(doc: &Value, node_names: &[&str]) -> Result<Pods, DumpError> {
    read_pods_with(doc, node_names, MissingNodes::Refuse, &mut Vec::new())
}

/// [`read_pods`], with pods bound to nodes out of the dump refused or put in `elsewhere`.
fn read_pods_with(
    doc: &Value,
    node_names: &[&str],
    missing: MissingNodes,
    elsewhere: &mut Vec<String>,
) -> Result<Pods, DumpError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut bound = Vec::new();
    let mut pending: Vec<(String, PodSpec)> = Vec::new();
    for (i, p) in items(doc, "Pod")?.iter().enumerate() {
        let name = p.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            return Err(err(&format!("the PodList: items[{i}]"), "metadata.name", "missing"));
        }
        let ns = p.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
        let object = format!("pod/{ns}/{name}");
        if !seen.insert(object.clone()) {
            return Err(err(&object, "metadata.name", "listed twice; a namespace's pod names are unique"));
        }
        let phase = p.pointer("/status/phase").and_then(Value::as_str).unwrap_or("Pending");
        if phase == "Succeeded" || phase == "Failed" {
            continue; // holds nothing
        }
        let spec = p.get("spec").ok_or_else(|| err(&object, "spec", "missing"))?;
        let cpu_milli = effective(spec, &object, "cpu", |s| parse_cpu_milli(s).map_err(|e| e.to_string()))?;
        let memory_mib = effective(spec, &object, "memory", |s| parse_memory_mib(s).map_err(|e| e.to_string()))?;
        let gpus = effective(spec, &object, "nvidia.com/gpu", |s| parse_count(s).map_err(|e| e.to_string()))?;
        let gpu = GpuRequest::from_counts(gpus as u32, if gpus > 0 { crate::core::MILLI_PER_GPU } else { 0 })
            .map_err(|m| err(&object, "spec.containers[].resources.requests.nvidia.com/gpu", m))?;
        let mut tolerations = Vec::new();
        for (j, t) in spec.get("tolerations").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let f = |k: &str| format!("spec.tolerations[{j}].{k}");
            let operator = match t.get("operator").and_then(Value::as_str).unwrap_or("Equal") {
                "Equal" => TolerationOperator::Equal,
                "Exists" => TolerationOperator::Exists,
                o => return Err(err(&object, &f("operator"), format!("`{o}`; expected Equal or Exists"))),
            };
            let effect = match t.get("effect").and_then(Value::as_str).unwrap_or("") {
                "" => None,
                "NoSchedule" => Some(TaintEffect::NoSchedule),
                "NoExecute" => Some(TaintEffect::NoExecute),
                "PreferNoSchedule" => Some(TaintEffect::PreferNoSchedule),
                o => {
                    return Err(err(
                        &object,
                        &f("effect"),
                        format!("`{o}`; expected NoSchedule, NoExecute or PreferNoSchedule"),
                    ))
                }
            };
            tolerations.push(Toleration {
                key: t.get("key").and_then(Value::as_str).unwrap_or("").to_string(),
                operator,
                value: t.get("value").and_then(Value::as_str).unwrap_or("").to_string(),
                effect,
            });
        }
        let pod = PodSpec {
            name: format!("{ns}/{name}"),
            cpu_milli,
            memory_mib,
            gpu,
            gpu_models: Vec::new(),
            node_selector: str_map(spec.get("nodeSelector"), &object, "spec.nodeSelector")?,
            affinity: affinity(spec, &object)?,
            tolerations,
        };
        match spec.get("nodeName").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            Some(node) => {
                if !node_names.contains(&node) {
                    if missing == MissingNodes::Elsewhere {
                        elsewhere.push(pod.name);
                        continue;
                    }
                    return Err(err(
                        &object,
                        "spec.nodeName",
                        format!(
                            "`{node}` is not in the node dump; dump every node (kubectl get nodes -o json), or count such pods as running on nodes out of view (plan --pods-on-missing-nodes)"
                        ),
                    ));
                }
                bound.push((pod, node.to_string()));
            }
            None => {
                let created =
                    p.pointer("/metadata/creationTimestamp").and_then(Value::as_str).unwrap_or("").to_string();
                if !created.is_empty() && !is_rfc3339(&created) {
                    return Err(err(
                        &object,
                        "metadata.creationTimestamp",
                        format!("`{created}`; expected an RFC 3339 time such as `2026-01-05T09:00:00Z`"),
                    ));
                }
                pending.push((created, pod));
            }
        }
    }
    // Creation order (RFC 3339 timestamps of one width sort as text), then name.
    pending.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    Ok((bound, pending.into_iter().map(|p| p.1).collect()))
}

/// Reads both dumps into a snapshot; a pod bound to a node the node dump does not hold is an
/// error.
pub fn snapshot(nodes: &Value, pods: &Value) -> Result<Snapshot, DumpError> {
    snapshot_with(nodes, pods, MissingNodes::Refuse)
}

/// Reads both dumps into a snapshot, with pods on nodes out of the dump as `missing` says.
pub fn snapshot_with(nodes: &Value, pods: &Value, missing: MissingNodes) -> Result<Snapshot, DumpError> {
    let nodes_doc = nodes;
    let (nodes, cordoned) = read_nodes(nodes)?;
    let mut names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    names.extend(cordoned.iter().map(String::as_str));
    let mut elsewhere = Vec::new();
    let (bound, pending) = read_pods_with(pods, &names, missing, &mut elsewhere)?;
    let mut do_not_disrupt: Vec<String> = items(pods, "Pod")?
        .iter()
        .filter(|p| {
            p.pointer("/metadata/annotations/karpenter.sh~1do-not-disrupt").and_then(Value::as_str) == Some("true")
        })
        .map(|p| {
            let ns = p.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
            format!("{ns}/{}", p.pointer("/metadata/name").and_then(Value::as_str).unwrap_or(""))
        })
        .collect();
    do_not_disrupt.sort();
    let mut drain = BTreeMap::new();
    // DaemonSet pod -> its DaemonSet (`namespace/owner`).
    let mut ds_owner: BTreeMap<String, String> = BTreeMap::new();
    for p in items(pods, "Pod")? {
        let phase = p.pointer("/status/phase").and_then(Value::as_str).unwrap_or("Pending");
        let bound = p.pointer("/spec/nodeName").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
        if !bound || phase == "Succeeded" || phase == "Failed" {
            continue;
        }
        let rule = drain_rule(p);
        if rule != Drain::Move {
            let ns = p.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
            let name = format!("{ns}/{}", p.pointer("/metadata/name").and_then(Value::as_str).unwrap_or(""));
            if rule == Drain::DaemonSet {
                let owner = p
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|o| o.get("kind").and_then(Value::as_str) == Some("DaemonSet"))
                    .and_then(|o| o.get("name").and_then(Value::as_str));
                ds_owner.insert(name.clone(), owner.map_or_else(|| name.clone(), |o| format!("{ns}/{o}")));
            }
            drain.insert(name, rule);
        }
    }
    // One pod of each DaemonSet (the first by name), by DaemonSet.
    let mut ds: BTreeMap<&str, &PodSpec> = BTreeMap::new();
    for (pod, _) in &bound {
        if let Some(owner) = ds_owner.get(&pod.name) {
            let e = ds.entry(owner.as_str()).or_insert(pod);
            if pod.name < e.name {
                *e = pod;
            }
        }
    }
    let daemonsets: Vec<PodSpec> = ds.into_values().cloned().collect();
    let annotated = |key: &str| -> Result<Vec<String>, DumpError> {
        let mut v: Vec<String> = items(nodes_doc, "Node")?
            .iter()
            .filter(|n| {
                n.get("metadata").and_then(|m| m.get("annotations")).and_then(|a| a.get(key)).and_then(Value::as_str)
                    == Some("true")
            })
            .filter_map(|n| n.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string))
            .collect();
        v.sort();
        Ok(v)
    };
    let scale_down_disabled = annotated("cluster-autoscaler.kubernetes.io/scale-down-disabled")?;
    let do_not_disrupt_nodes = annotated("karpenter.sh/do-not-disrupt")?;
    Ok(Snapshot {
        nodes,
        cordoned,
        bound,
        pending,
        do_not_disrupt,
        drain,
        scale_down_disabled,
        do_not_disrupt_nodes,
        daemonsets,
        elsewhere,
    })
}

#[cfg(test)]
mod tests;
