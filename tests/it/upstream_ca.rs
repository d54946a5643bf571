//! cluster-autoscaler's scale-down and scale-up decisions on the cases of upstream's own tests
//! (kubernetes/autoscaler `cluster-autoscaler/` at commit f7bb0c36), restated as `kubectl` dumps
//! and ACK pools and run through `fleetsim plan`, as a user would.

use crate::common::{fleetsim, tmp};
use serde_json::{json, Value};

/// A 1-CPU node of pool `np`, with extra metadata merged in.
fn node(name: &str, meta: Value, taints: Value) -> Value {
    let mut m = json!({"name": name, "labels": {"fleetsim.io/pool": "np"}});
    if let (Some(m), Some(extra)) = (m.as_object_mut(), meta.as_object()) {
        m.extend(extra.clone());
    }
    json!({"kind": "Node", "metadata": m, "spec": {"taints": taints},
           "status": {"allocatable": {"cpu": "1", "memory": "4Gi"}}})
}

/// A pod on `node` asking for `cpu`, with metadata and spec fields merged in.
fn pod(name: &str, node: &str, cpu: &str, meta: Value, spec: Value) -> Value {
    let mut m = json!({"name": name, "namespace": "default"});
    if let (Some(m), Some(extra)) = (m.as_object_mut(), meta.as_object()) {
        m.extend(extra.clone());
    }
    let mut s = json!({"nodeName": node, "containers": [{"resources": {"requests": {"cpu": cpu, "memory": "100Mi"}}}]});
    if let (Some(s), Some(extra)) = (s.as_object_mut(), spec.as_object()) {
        s.extend(extra.clone());
    }
    json!({"kind": "Pod", "metadata": m, "spec": s, "status": {"phase": "Running"}})
}

fn rs() -> Value {
    json!({"ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d", "controller": true}]})
}

/// `fleetsim plan --output json` in `dir` on `nodes` and `pods`, with `catalog.yaml` and
/// `pools.yaml` of the texts given.
fn plan(dir: &std::path::Path, catalog: &str, pools: &str, nodes: Vec<Value>, pods: Vec<Value>) -> Value {
    std::fs::write(dir.join("catalog.yaml"), catalog).unwrap();
    std::fs::write(dir.join("pools.yaml"), pools).unwrap();
    std::fs::write(dir.join("nodes.json"), json!({"kind": "List", "items": nodes}).to_string()).unwrap();
    std::fs::write(dir.join("pods.json"), json!({"kind": "List", "items": pods}).to_string()).unwrap();
    let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let (code, out, err) = fleetsim(&[
        "plan",
        "--nodes",
        &p("nodes.json"),
        "--pods",
        &p("pods.json"),
        "--pools",
        &p("pools.yaml"),
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// `fleetsim plan` on `nodes` and `pods` with one autoscaled pool `np` (min 0): the nodes it
/// would remove.
fn candidates(name: &str, nodes: Vec<Value>, pods: Vec<Value>) -> Vec<String> {
    let catalog = "source: test\ndate: \"2026-12\"\ncurrency: USD\ninstance_types:\n  - {name: c1, vcpu: 1, memory: 4Gi, offerings: [{zone: z, on_demand: 0.05}]}\n";
    let pools = "catalog: catalog.yaml\npools:\n  - {name: np, mode: autoscaler, instance_types: [c1], zones: [z], min: 0, max: 10}\n";
    let v = plan(&tmp(name), catalog, pools, nodes, pods);
    v["scale_down_candidates"].as_array().unwrap().iter().map(|c| c["node"].as_str().unwrap().to_string()).collect()
}

/// The node that takes the moved pods: kept itself by the scale-down-disabled annotation.
fn spare() -> Value {
    node("spare", json!({"annotations": {"cluster-autoscaler.kubernetes.io/scale-down-disabled": "true"}}), json!([]))
}

#[test]
fn eligibility_keeps_nodes_being_deleted_or_annotated() {
    // core/scaledown/eligibility/eligibility_test.go TestFilterOutUnremovable: "regular node
    // stays", "recently deleted node is filtered out", "marked no scale down is filtered out".
    let deleted = json!([{"key": "ToBeDeletedByClusterAutoscaler", "value": "1764650000", "effect": "NoSchedule"}]);
    let nodes = vec![
        node("regular", json!({}), json!([])),
        node("just-deleted", json!({}), deleted),
        node(
            "no-scale-down",
            json!({"annotations": {"cluster-autoscaler.kubernetes.io/scale-down-disabled": "true"}}),
            json!([]),
        ),
    ];
    assert_eq!(candidates("elig-marks", nodes, vec![]), ["regular"]);
    // Only the exact value "true" disables scale-down.
    let nodes = vec![node(
        "maybe",
        json!({"annotations": {"cluster-autoscaler.kubernetes.io/scale-down-disabled": "yes"}}),
        json!([]),
    )];
    assert_eq!(candidates("elig-yes", nodes, vec![]), ["maybe"]);
}

#[test]
fn eligibility_compares_utilization_at_or_below_the_threshold() {
    // TestFilterOutUnremovable: "highly utilized node is filtered out" (600m of 1 CPU),
    // "underutilized node stays" (100m); a node exactly at 0.5 is still a candidate
    // (isNodeAtOrBelowUtilizationThreshold).
    let case = |cpu: &str| {
        let pods = vec![pod("p", "regular", cpu, rs(), json!({}))];
        candidates(&format!("elig-{cpu}"), vec![node("regular", json!({}), json!([])), spare()], pods)
    };
    assert!(case("600m").is_empty(), "0.6 > 0.5");
    assert_eq!(case("100m"), ["regular"]);
    assert_eq!(case("500m"), ["regular"], "exactly at the threshold");
    assert!(case("501m").is_empty());
}

/// Whether node `a` (one pod with `meta` and `spec`) is a candidate, `spare` taking its pod.
fn removable(name: &str, meta: Value, spec: Value) -> bool {
    let pods = vec![pod("p", "a", "100m", meta, spec)];
    candidates(name, vec![node("a", json!({}), json!([])), spare()], pods) == ["a"]
}

#[test]
fn drain_rules_decide_which_pods_block_a_node() {
    // simulator/drainability/rules/*/rule_test.go and simulator/drain_test.go, restated.
    assert!(removable("d-rs", rs(), json!({})), "a ReplicaSet's pod moves");
    // replicated: a pod without a controller blocks (NotReplicated), and so does one whose
    // controller is of a custom kind (--skip-nodes-with-custom-controller-pods).
    assert!(!removable("d-bare", json!({}), json!({})));
    let custom =
        json!({"ownerReferences": [{"apiVersion": "x.io/v1", "kind": "MyJob", "name": "j", "controller": true}]});
    assert!(!removable("d-custom", custom, json!({})));
    let not_controller = json!({"ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r"}]});
    assert!(!removable("d-noctl", not_controller, json!({})), "an owner that is not the controller");
    for kind in ["Job", "StatefulSet", "ReplicationController"] {
        let owner = json!({"ownerReferences": [{"apiVersion": "v1", "kind": kind, "name": "o", "controller": true}]});
        assert!(removable(&format!("d-{kind}"), owner, json!({})), "{kind}");
    }
    // daemonset and mirror: neither moved nor blocking, so the node counts as empty.
    let ds = json!({"ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "controller": true}]});
    assert!(removable("d-ds", ds, json!({})));
    let ds_annotated = json!({"annotations": {"cluster-autoscaler.kubernetes.io/daemonset-pod": "true"}});
    assert!(removable("d-ds-ann", ds_annotated, json!({})));
    assert!(removable("d-mirror", json!({"annotations": {"kubernetes.io/config.mirror": "abc"}}), json!({})));
    // safetoevict / notsafetoevict / oncompletion.
    let ann = |v: &str| {
        let mut m = rs();
        m["annotations"] = json!({"cluster-autoscaler.kubernetes.io/safe-to-evict": v});
        m
    };
    assert!(!removable("d-unsafe", ann("false"), json!({})), "NotSafeToEvictAnnotation");
    assert!(!removable("d-oncompletion", ann("on-completion"), json!({})), "waits for completion");
    let bare_safe = json!({"annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "true"}});
    assert!(removable("d-bare-safe", bare_safe, json!({})), "safe-to-evict: true overrides NotReplicated");
    // localstorage: a disk-backed emptyDir or a hostPath blocks, a memory emptyDir does not, nor
    // a volume named in safe-to-evict-local-volumes.
    assert!(!removable("d-empty", rs(), json!({"volumes": [{"name": "scratch", "emptyDir": {}}]})));
    assert!(!removable("d-host", rs(), json!({"volumes": [{"name": "h", "hostPath": {"path": "/x"}}]})));
    assert!(removable("d-mem", rs(), json!({"volumes": [{"name": "m", "emptyDir": {"medium": "Memory"}}]})));
    let mut listed = rs();
    listed["annotations"] = json!({"cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes": "scratch,cache"});
    assert!(removable("d-listed", listed, json!({"volumes": [{"name": "scratch", "emptyDir": {}}]})));
    let mut unsafe_storage = ann("true");
    unsafe_storage["ownerReferences"] = json!(null);
    assert!(
        removable("d-safe-storage", unsafe_storage, json!({"volumes": [{"name": "scratch", "emptyDir": {}}]})),
        "safe-to-evict: true skips the local-storage rule"
    );
}

#[test]
fn least_waste_scores_cpu_and_memory_through_plan() {
    // expander/waste/waste_test.go TestLeastWaste, three-way: one pending 500m / 1000 MiB pod;
    // balanced 8 CPU / 16000 MiB, highmem 8 / 32000, lowcpu 4 / 16000: lowcpu wastes least.
    let dir = tmp("waste-plan");
    let catalog = "source: test\ndate: \"2026-12\"\ncurrency: USD\ninstance_types:\n  - {name: balanced, vcpu: 8, memory: 16000Mi, offerings: [{zone: z, on_demand: 0.3}]}\n  - {name: highmem, vcpu: 8, memory: 32000Mi, offerings: [{zone: z, on_demand: 0.4}]}\n  - {name: lowcpu, vcpu: 4, memory: 16000Mi, offerings: [{zone: z, on_demand: 0.2}]}\n";
    let pools = "catalog: catalog.yaml\npools:\n  - {name: balanced, mode: autoscaler, instance_types: [balanced], zones: [z], max: 5}\n  - {name: highmem, mode: autoscaler, instance_types: [highmem], zones: [z], max: 5}\n  - {name: lowcpu, mode: autoscaler, instance_types: [lowcpu], zones: [z], max: 5}\n";
    let pending = vec![
        json!({"kind": "Pod", "metadata": {"name": "p", "namespace": "default", "creationTimestamp": "2026-12-01T00:00:00Z"},
        "spec": {"containers": [{"resources": {"requests": {"cpu": "500m", "memory": "1000Mi"}}}]}, "status": {"phase": "Pending"}}),
    ];
    let args = |expander: &str| -> Vec<String> {
        let with = format!("{pools}scaler: {{expander: \"{expander}\"}}\n");
        let v = plan(&dir, catalog, &with, vec![], pending.clone());
        v["scale_up_options"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["picked"] == true)
            .map(|o| o["nodepool"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(args("least-waste"), ["lowcpu"]);
    // most-pods ties all three; least-waste then decides.
    assert_eq!(args("most-pods,least-waste"), ["lowcpu"]);
}

/// The picked option's node count with `scaler` settings, for `pending` 1-CPU pods and one
/// 2-CPU node group (max 20) that already has `existing` nodes in the dump.
fn picked_nodes(name: &str, scaler: &str, existing: usize, pending: usize) -> Option<u64> {
    let catalog = "source: test\ndate: \"2026-12\"\ncurrency: USD\ninstance_types:\n  - {name: c2, vcpu: 2, memory: 8Gi, gpu_model: T4, gpus: 1, gpu_memory: 16Gi, offerings: [{zone: z, on_demand: 0.1}]}\n";
    let pools = format!(
        "catalog: catalog.yaml\npools:\n  - {{name: np, mode: autoscaler, instance_types: [c2], zones: [z], min: 0, max: 20}}\nscaler: {{{scaler}}}\n"
    );
    let nodes: Vec<Value> = (0..existing)
        .map(|i| {
            json!({"kind": "Node", "metadata": {"name": format!("n{i}"), "labels": {"fleetsim.io/pool": "np"}},
                   "status": {"allocatable": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"}}})
        })
        .collect();
    // Each existing node is full (one 2-CPU pod); each pending pod wants a whole node.
    let mut pods: Vec<Value> =
        (0..existing).map(|i| pod(&format!("b{i}"), &format!("n{i}"), "2", rs(), json!({}))).collect();
    for i in 0..pending {
        pods.push(json!({"kind": "Pod", "metadata": {"name": format!("p{i}"), "namespace": "default", "creationTimestamp": "2026-12-01T00:00:00Z"},
            "spec": {"containers": [{"resources": {"requests": {"cpu": "1500m", "memory": "1Gi"}}}]}, "status": {"phase": "Pending"}}));
    }
    let v = plan(&tmp(name), catalog, &pools, nodes, pods);
    v["scale_up_options"].as_array().unwrap().iter().find(|o| o["picked"] == true).map(|o| o["nodes"].as_u64().unwrap())
}

#[test]
fn cluster_wide_limits_cap_the_scale_up_through_plan() {
    // orchestrator.go GetCappedNewNodeCount and the quota tracker's CheckQuota (resourcequotas/
    // tracker.go) at f7bb0c36: five pods want five nodes.
    assert_eq!(picked_nodes("lim-none", "", 1, 5), Some(5));
    // --max-nodes-total 3 with one node: two more.
    assert_eq!(picked_nodes("lim-nodes", "max_nodes_total: 3", 1, 5), Some(2));
    // --cores-total 0:8 with 2 cores used: three 2-core nodes.
    assert_eq!(picked_nodes("lim-cores", "cores_total: '0:8'", 1, 5), Some(3));
    // --memory-total 0:24 (GiB) with 8 used: two 8 GiB nodes.
    assert_eq!(picked_nodes("lim-mem", "memory_total: '0:24'", 1, 5), Some(2));
    // --gpu-total nvidia.com/gpu:0:4 with one GPU: three.
    assert_eq!(picked_nodes("lim-gpu", "gpu_total: ['nvidia.com/gpu:0:4']", 1, 5), Some(3));
    // A limit already reached skips the group: no option is picked.
    assert_eq!(picked_nodes("lim-full", "max_nodes_total: 1", 1, 5), None);
}

#[test]
fn daemonset_and_mirror_pods_count_in_utilization_unless_ignored() {
    // --ignore-daemonsets-utilization / --ignore-mirror-pods-utilization (default false;
    // simulator/utilization/info.go at f7bb0c36): a 1-CPU node whose only pod is a 600m
    // DaemonSet (or mirror) pod is at 0.6, over the 0.5 threshold, unless that pod is left out.
    let ds = || {
        pod(
            "ds-a",
            "a",
            "600m",
            json!({"ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "ds", "controller": true}]}),
            json!({}),
        )
    };
    let mirror =
        || pod("static-a", "a", "600m", json!({"annotations": {"kubernetes.io/config.mirror": "x"}}), json!({}));
    let case = |name: &str, scaler: &str, p: Value| {
        let catalog = "source: test\ndate: \"2026-12\"\ncurrency: USD\ninstance_types:\n  - {name: c1, vcpu: 1, memory: 4Gi, offerings: [{zone: z, on_demand: 0.05}]}\n";
        let pools = format!("catalog: catalog.yaml\npools:\n  - {{name: np, mode: autoscaler, instance_types: [c1], zones: [z], min: 0, max: 10}}\nscaler: {{{scaler}}}\n");
        let v = plan(&tmp(name), catalog, &pools, vec![node("a", json!({}), json!([]))], vec![p]);
        v["scale_down_candidates"].as_array().unwrap().len()
    };
    assert_eq!(case("util-ds", "", ds()), 0);
    assert_eq!(case("util-ds-ignored", "ignore_daemonsets_utilization: true", ds()), 1);
    assert_eq!(case("util-mirror", "ignore_daemonsets_utilization: true", mirror()), 0);
    assert_eq!(case("util-mirror-ignored", "ignore_mirror_pods_utilization: true", mirror()), 1);
}
