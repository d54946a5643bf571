//! cluster-autoscaler's drain rules on a pod as `kubectl` dumps it: which pods block their
//! node's removal, which stay, which move.

use serde_json::Value;

/// How cluster-autoscaler's drain rules treat a pod when its node is considered for removal
/// (kubernetes/autoscaler `simulator/drainability/rules/`, at commit f7bb0c36).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Drain {
    /// Evicted and recreated elsewhere: it must fit on another node.
    #[default]
    Move,
    /// A DaemonSet's pod: neither moved nor blocking (the DaemonSet runs one on every node).
    DaemonSet,
    /// A mirror (static) pod: skipped.
    Mirror,
    /// It blocks the removal, for upstream's reason (`NotReplicated`, `NotSafeToEvictAnnotation`,
    /// `LocalStorageRequested`, `WaitForCompletion`).
    Block(&'static str),
}

/// The drain rule for a pod as `kubectl` dumps it, in upstream's rule order
/// (`rules.Default`, with the default flags `--skip-nodes-with-local-storage` and
/// `--skip-nodes-with-custom-controller-pods`): a mirror pod (`kubernetes.io/config.mirror`) is
/// skipped; a DaemonSet's pod (controller owner `DaemonSet`, or the annotation
/// `cluster-autoscaler.kubernetes.io/daemonset-pod: "true"`) stays; `safe-to-evict: "true"` moves
/// whatever follows; `safe-to-evict: "on-completion"` waits; a pod without a controller of kind
/// ReplicationController, ReplicaSet, Job or StatefulSet blocks (`replicated`);
/// `safe-to-evict: "false"` blocks; a `hostPath` or disk-backed `emptyDir` volume not named in
/// `safe-to-evict-local-volumes` blocks (`localstorage`).
///
/// Not modelled: the `system` rule (a `kube-system` pod without a PodDisruptionBudget blocks for
/// the first hour of its life, `--blocking-system-pod-distruption-timeout`; a dump has no clock,
/// so such pods are moved as they are once an hour old), PodDisruptionBudgets (a dump has none),
/// long-terminating pods and the controllers' replica counts (`replicacount`).
pub fn drain_rule(pod: &Value) -> Drain {
    let ann = |k: &str| pod.pointer("/metadata/annotations").and_then(|a| a.get(k)).and_then(Value::as_str);
    if pod.pointer("/metadata/annotations").and_then(|a| a.get("kubernetes.io/config.mirror")).is_some() {
        return Drain::Mirror;
    }
    let controller = pod
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|o| o.get("kind").and_then(Value::as_str));
    if controller == Some("DaemonSet") || ann("cluster-autoscaler.kubernetes.io/daemonset-pod") == Some("true") {
        return Drain::DaemonSet;
    }
    let safe = ann("cluster-autoscaler.kubernetes.io/safe-to-evict");
    match safe {
        Some("true") => return Drain::Move,
        Some("on-completion") => return Drain::Block("WaitForCompletion"),
        _ => {}
    }
    if !matches!(controller, Some("ReplicationController" | "ReplicaSet" | "Job" | "StatefulSet")) {
        return Drain::Block("NotReplicated");
    }
    if safe == Some("false") {
        return Drain::Block("NotSafeToEvictAnnotation");
    }
    let allowed: Vec<&str> =
        ann("cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes").unwrap_or("").split(',').collect();
    let local = pod.pointer("/spec/volumes").and_then(Value::as_array).into_iter().flatten().any(|v| {
        let name = v.get("name").and_then(Value::as_str).unwrap_or("");
        let disk = v.get("hostPath").is_some()
            || v.get("emptyDir").is_some_and(|e| e.get("medium").and_then(Value::as_str) != Some("Memory"));
        disk && !allowed.contains(&name)
    });
    if local {
        return Drain::Block("LocalStorageRequested");
    }
    Drain::Move
}
