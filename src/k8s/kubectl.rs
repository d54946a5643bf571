//! A snapshot written back as `kubectl` would dump it (the inverse of [`super::snapshot`]).

use super::{Drain, Snapshot};
use crate::core::{GpuRequest, NodeSpec, PodSpec};
use serde_json::Value;

/// Writes `snap` as `kubectl get nodes -o json` and `kubectl get pods -A -o json` would show it:
/// what [`super::snapshot`] reads back to the same snapshot. `pending_created` gives each pending pod's
/// `creationTimestamp` (RFC 3339), in `snap.pending`'s order. Bound pods are `Running`, pending
/// ones `Pending`; a GPU node gets an `nvidia.com/gpu.product` label with its model unless it has
/// one (the label NVIDIA GPU Feature Discovery sets, and the first one [`super::read_nodes`] takes the
/// model from). Pods the Kubernetes API cannot express are refused: GPU shares (milli-GPU of one GPU) and
/// the trace's GPU-model constraint.
pub fn to_kubectl(snap: &Snapshot, pending_created: &[String]) -> Result<(Value, Value), String> {
    use serde_json::json;
    if let Some(c) = snap.cordoned.first() {
        return Err(format!("cordoned node {c}: its shape is not in the snapshot"));
    }
    if pending_created.len() != snap.pending.len() {
        return Err(format!("{} creation times for {} pending pods", pending_created.len(), snap.pending.len()));
    }
    let node = |n: &NodeSpec| {
        let mut labels = n.labels.clone();
        if let (Some(m), true) = (&n.gpu_model, n.gpu_count > 0) {
            labels.entry("nvidia.com/gpu.product".into()).or_insert_with(|| m.clone());
        }
        let mut alloc = json!({"cpu": format!("{}m", n.cpu_milli), "memory": format!("{}Mi", n.memory_mib)});
        if n.gpu_count > 0 {
            alloc["nvidia.com/gpu"] = json!(n.gpu_count.to_string());
        }
        if let Some(p) = n.max_pods {
            alloc["pods"] = json!(p.to_string());
        }
        let taints: Vec<Value> = n
            .taints
            .iter()
            .map(|t| json!({"key": t.key, "value": t.value, "effect": format!("{:?}", t.effect)}))
            .collect();
        let mut annotations = serde_json::Map::new();
        for (set, key) in [
            (&snap.scale_down_disabled, "cluster-autoscaler.kubernetes.io/scale-down-disabled"),
            (&snap.do_not_disrupt_nodes, "karpenter.sh/do-not-disrupt"),
        ] {
            if set.binary_search(&n.name).is_ok() {
                annotations.insert(key.into(), json!("true"));
            }
        }
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n.name, "labels": labels, "annotations": annotations},
               "spec": {"taints": taints},
               "status": {"allocatable": alloc, "capacity": alloc}})
    };
    let nodes: Vec<Value> = snap.nodes.iter().map(node).collect();
    let pod = |p: &PodSpec, node: Option<&str>, created: &str| -> Result<Value, String> {
        let (ns, name) = p.name.split_once('/').unwrap_or(("default", p.name.as_str()));
        let mut requests = json!({"cpu": format!("{}m", p.cpu_milli), "memory": format!("{}Mi", p.memory_mib)});
        let mut limits = json!({});
        match p.gpu {
            GpuRequest::None => {}
            GpuRequest::Whole { count } => {
                requests["nvidia.com/gpu"] = json!(count.to_string());
                limits["nvidia.com/gpu"] = json!(count.to_string());
            }
            GpuRequest::Shared { milli } => {
                return Err(format!("pod {}: a share of {milli} milli-GPU has no Kubernetes form", p.name))
            }
            GpuRequest::Memory { units } => {
                return Err(format!("pod {}: {units} GPU-memory units are not exported (aliyun.com/gpu-mem)", p.name))
            }
        }
        if !p.gpu_models.is_empty() {
            return Err(format!("pod {}: the GPU-model constraint has no Kubernetes form", p.name));
        }
        let tolerations: Vec<Value> = p
            .tolerations
            .iter()
            .map(|t| {
                let mut v = json!({"key": t.key, "operator": format!("{:?}", t.operator)});
                if !t.value.is_empty() {
                    v["value"] = json!(t.value);
                }
                if let Some(e) = t.effect {
                    v["effect"] = json!(format!("{e:?}"));
                }
                v
            })
            .collect();
        let mut spec = json!({"containers": [{"name": "main", "resources": {"requests": requests, "limits": limits}}],
                              "nodeSelector": p.node_selector, "tolerations": tolerations});
        if let Some(a) = &p.affinity {
            let terms: Vec<Value> = a
                .terms
                .iter()
                .map(|t| {
                    let exprs: Vec<Value> = t
                        .iter()
                        .map(|r| json!({"key": r.key, "operator": format!("{:?}", r.operator), "values": r.values}))
                        .collect();
                    json!({"matchExpressions": exprs})
                })
                .collect();
            spec["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}});
        }
        if let Some(n) = node {
            spec["nodeName"] = json!(n);
        }
        let mut meta = json!({"name": name, "namespace": ns, "creationTimestamp": created});
        let mut ann = serde_json::Map::new();
        if snap.do_not_disrupt.binary_search(&p.name).is_ok() {
            ann.insert("karpenter.sh/do-not-disrupt".into(), json!("true"));
        }
        // What the drain rules read back as the pod's rule ([`drain_rule`]).
        let rule = snap.drain.get(&p.name).cloned().unwrap_or_default();
        let owner = |kind: &str| json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "controller": true}]);
        match rule {
            Drain::Move => meta["ownerReferences"] = owner("ReplicaSet"),
            Drain::DaemonSet => meta["ownerReferences"] = owner("DaemonSet"),
            Drain::Mirror => {
                ann.insert("kubernetes.io/config.mirror".into(), json!("fleetsim"));
            }
            Drain::Block("NotSafeToEvictAnnotation") => {
                meta["ownerReferences"] = owner("ReplicaSet");
                ann.insert("cluster-autoscaler.kubernetes.io/safe-to-evict".into(), json!("false"));
            }
            Drain::Block("WaitForCompletion") => {
                ann.insert("cluster-autoscaler.kubernetes.io/safe-to-evict".into(), json!("on-completion"));
            }
            Drain::Block("LocalStorageRequested") => {
                meta["ownerReferences"] = owner("ReplicaSet");
                spec["volumes"] = json!([{"name": "scratch", "emptyDir": {}}]);
            }
            Drain::Block(_) => {}
        }
        if !ann.is_empty() {
            meta["annotations"] = Value::Object(ann);
        }
        Ok(json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
                  "status": {"phase": if node.is_some() { "Running" } else { "Pending" }}}))
    };
    let mut pods = Vec::new();
    for (p, n) in &snap.bound {
        pods.push(pod(p, Some(n), "")?);
    }
    for (p, c) in snap.pending.iter().zip(pending_created) {
        pods.push(pod(p, None, c)?);
    }
    Ok((
        json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": nodes}),
        json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": pods}),
    ))
}
