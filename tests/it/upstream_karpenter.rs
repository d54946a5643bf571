//! Karpenter's provisioning and disruption decisions on the cases of upstream's own tests
//! (kubernetes-sigs/karpenter at commit 22664681: `pkg/controllers/provisioning/suite_test.go`,
//! `.../scheduling/instance_selection_test.go` (minValues),
//! `.../scheduling/suite_test.go`, `pkg/scheduling/requirement_test.go`,
//! `pkg/controllers/disruption/emptiness_test.go`, `.../consolidation_test.go`,
//! `pkg/utils/nodepool/suite_test.go`), restated as `kubectl` dumps and NodePool manifests and
//! run through `fleetsim plan`, as a user would.
//!
//! Upstream's tests run on a fake cloud provider's catalog (`pkg/cloudprovider/fake`): the same
//! instance types here (`CATALOG`), each priced as upstream prices them (0.1 per CPU, 0.1 per
//! 10^9 bytes of memory, 1 per GPU), allocatable 100m CPU and 10Mi memory below capacity (an
//! EC2NodeClass's `kubeReserved`, no eviction threshold, no VM overhead), 5 pods a node.
//! Upstream's `integer` label is the CPU count: `karpenter.k8s.aws/instance-cpu` here.

use crate::common::{fleetsim, tmp};
use serde_json::{json, Value};

mod drift;

const CATALOG: &str = r#"source: "kubernetes-sigs/karpenter pkg/cloudprovider/fake (commit 22664681), restated"
date: "2026-12"
currency: USD
instance_types:
  - {name: default-instance-type, vcpu: 4, memory: 4Gi, max_pods: 5, offerings: [{zone: test-zone-1, on_demand: 0.829497, spot: 0.829497}, {zone: test-zone-2, on_demand: 0.829497, spot: 0.829497}, {zone: test-zone-3, on_demand: 0.829497}]}
  - {name: small-instance-type, vcpu: 2, memory: 2Gi, max_pods: 5, offerings: [{zone: test-zone-1, on_demand: 0.414748, spot: 0.414748}, {zone: test-zone-2, on_demand: 0.414748, spot: 0.414748}, {zone: test-zone-3, on_demand: 0.414748}]}
  - {name: gpu-vendor-instance-type, vcpu: 4, memory: 4Gi, gpus: 2, gpu_model: A10G, gpu_memory: 24Gi, max_pods: 5, offerings: [{zone: test-zone-1, on_demand: 2.829497, spot: 2.829497}, {zone: test-zone-2, on_demand: 2.829497, spot: 2.829497}, {zone: test-zone-3, on_demand: 2.829497}]}
  - {name: arm-instance-type, vcpu: 16, memory: 128Gi, arch: arm64, max_pods: 5, offerings: [{zone: test-zone-1, on_demand: 15.343895, spot: 15.343895}, {zone: test-zone-2, on_demand: 15.343895, spot: 15.343895}, {zone: test-zone-3, on_demand: 15.343895}]}
  - {name: single-pod-instance-type, vcpu: 4, memory: 4Gi, max_pods: 1, offerings: [{zone: test-zone-1, on_demand: 0.829497, spot: 0.829497}, {zone: test-zone-2, on_demand: 0.829497, spot: 0.829497}, {zone: test-zone-3, on_demand: 0.829497}]}
"#;

/// The fake provider's reservations as an EC2NodeClass users could write.
const NODECLASS: &str = "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: default}\nspec:\n  amiSelectorTerms: [{alias: al2023@latest}]\n  kubelet:\n    kubeReserved: {cpu: 100m, memory: 10Mi}\n    evictionHard: {memory.available: 0Mi}\n";

/// A NodePool `name` on the default EC2NodeClass; `spec` is YAML for `spec.template.spec`
/// fields (indented 6) and `top` for fields of `spec` (indented 2).
fn nodepool(name: &str, template: &str, top: &str) -> String {
    format!(
        "---\napiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {{name: {name}}}\nspec:\n  template:\n    spec:\n      nodeClassRef: {{group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}}\n{template}{top}"
    )
}

/// A pending pod asking for `cpu` and `memory`, with `spec` fields merged in.
fn pending(name: &str, cpu: &str, memory: &str, spec: Value) -> Value {
    let mut req = serde_json::Map::new();
    if !cpu.is_empty() {
        req.insert("cpu".into(), json!(cpu));
    }
    if !memory.is_empty() {
        req.insert("memory".into(), json!(memory));
    }
    let mut s = json!({"containers": [{"name": "c", "resources": {"requests": req}}]});
    if let (Some(s), Some(extra)) = (s.as_object_mut(), spec.as_object()) {
        s.extend(extra.clone());
    }
    json!({"kind": "Pod", "metadata": {"name": name, "namespace": "default", "creationTimestamp": "2026-12-01T00:00:00Z"},
           "spec": s, "status": {"phase": "Pending"}})
}

/// A pod bound to `node`, with metadata fields merged in.
fn bound(name: &str, node: &str, cpu: &str, memory: &str, meta: Value, spec: Value) -> Value {
    let mut p = pending(name, cpu, memory, spec);
    p["spec"]["nodeName"] = json!(node);
    p["status"]["phase"] = json!("Running");
    if let (Some(m), Some(extra)) = (p["metadata"].as_object_mut(), meta.as_object()) {
        m.extend(extra.clone());
    }
    p
}

fn owned_by(kind: &str, name: &str) -> Value {
    json!({"ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": name, "controller": true}]})
}

/// A node with `labels`, `annotations`, taints, allocatable cpu/memory/pods.
fn node(name: &str, labels: Value, annotations: Value, taints: Value, alloc: (&str, &str, &str)) -> Value {
    json!({"kind": "Node", "metadata": {"name": name, "labels": labels, "annotations": annotations},
           "spec": {"taints": taints},
           "status": {"allocatable": {"cpu": alloc.0, "memory": alloc.1, "pods": alloc.2}}})
}

/// A node Karpenter launched for pool `pool`, of the fake type `ty` (allocatable as planned).
fn pool_node(name: &str, pool: &str, ty: &str, annotations: Value) -> Value {
    let alloc = match ty {
        "small-instance-type" => ("1900m", "2038Mi", "5"),
        _ => ("3900m", "4086Mi", "5"),
    };
    let labels = json!({"karpenter.sh/nodepool": pool, "node.kubernetes.io/instance-type": ty,
                        "topology.kubernetes.io/zone": "test-zone-1", "karpenter.sh/capacity-type": "on-demand"});
    node(name, labels, annotations, json!([]), alloc)
}

/// A cordoned node outside every pool, where DaemonSet pods of the dump run.
fn system_node() -> Value {
    let mut n = node("system", json!({}), json!({}), json!([]), ("64", "256Gi", "110"));
    n["spec"]["unschedulable"] = json!(true);
    n
}

/// `fleetsim plan --output json` on the dumps with the fake catalog, the EC2NodeClass and
/// `pools` (NodePool documents), no VM memory overhead.
fn plan(name: &str, pools: &str, nodes: Vec<Value>, pods: Vec<Value>) -> Value {
    plan_with(name, pools, nodes, pods, &[])
}

/// [`plan`] with more flags.
fn plan_with(name: &str, pools: &str, nodes: Vec<Value>, pods: Vec<Value>, flags: &[&str]) -> Value {
    let dir = tmp(&format!("kp-up-{name}"));
    std::fs::write(dir.join("catalog.yaml"), CATALOG).unwrap();
    std::fs::write(dir.join("pools.yaml"), format!("{NODECLASS}{pools}")).unwrap();
    std::fs::write(dir.join("nodes.json"), json!({"kind": "List", "items": nodes}).to_string()).unwrap();
    std::fs::write(dir.join("pods.json"), json!({"kind": "List", "items": pods}).to_string()).unwrap();
    let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let args = [
        "plan",
        "--nodes",
        &p("nodes.json"),
        "--pods",
        &p("pods.json"),
        "--pools",
        &p("pools.yaml"),
        "--catalog",
        &p("catalog.yaml"),
        "--vm-memory-overhead-percent",
        "0",
        "--output",
        "json",
    ];
    let args: Vec<&str> = args.iter().chain(flags).copied().collect();
    let (code, out, err) = fleetsim(&args);
    assert_eq!(code, 0, "{name}: {err}");
    serde_json::from_str(&out).unwrap()
}

/// The launches: (nodepool, instance type, pods), in the order the claims opened.
fn launches(v: &Value) -> Vec<(String, String, usize)> {
    v["launches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["nodepool"].as_str().unwrap().to_string(),
                l["instance_type"].as_str().unwrap().to_string(),
                l["pods"].as_array().unwrap().len(),
            )
        })
        .collect()
}

/// Instance types launched, one per node.
fn types(v: &Value) -> Vec<String> {
    launches(v).into_iter().map(|l| l.1).collect()
}

fn unschedulable(v: &Value) -> Vec<String> {
    v["unschedulable"].as_array().unwrap().iter().map(|u| u["pod"].as_str().unwrap().to_string()).collect()
}

fn candidates(v: &Value) -> Vec<String> {
    v["scale_down_candidates"].as_array().unwrap().iter().map(|c| c["node"].as_str().unwrap().to_string()).collect()
}

/// One NodePool `default` with `template` fields, one pod with `spec`: the types launched.
fn one(name: &str, template: &str, pod: Value) -> Value {
    plan(name, &nodepool("default", template, ""), vec![], vec![pod])
}

fn requirement(key: &str, op: &str, values: &str) -> String {
    format!("      requirements:\n        - {{key: {key}, operator: {op}, values: [{values}]}}\n")
}

fn affinity(key: &str, op: &str, values: &[&str]) -> Value {
    let mut ex = json!({"key": key, "operator": op});
    if !values.is_empty() {
        ex["values"] = json!(values);
    }
    json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [ex]}]}}}})
}

#[test]
fn requirement_operators_pick_instance_types_as_upstream() {
    // scheduling/suite_test.go "should schedule compatible requirements with Operator=Gt", "=Lt",
    // "=Gte", "=Lte" (upstream's `integer` label is the CPU count): Gt and Lt are strict, Gte
    // and Lte inclusive (pkg/scheduling/requirement.go holds Gt N as Gte N+1).
    let cpu = "karpenter.k8s.aws/instance-cpu";
    let pod = || pending("p", "", "", json!({}));
    let case = |n: &str, op: &str, v: &str| types(&one(n, &requirement(cpu, op, &format!("'{v}'")), pod()));
    assert_eq!(case("gt", "Gt", "8"), ["arm-instance-type"]);
    assert_eq!(case("lt", "Lt", "8"), ["small-instance-type"], "the cheapest of 2 and 4 CPUs");
    assert_eq!(case("gte", "Gte", "16"), ["arm-instance-type"], "16 itself is included");
    assert_eq!(case("lte", "Lte", "2"), ["small-instance-type"], "2 itself is included");
    assert_eq!(case("gt-edge", "Gt", "4"), ["arm-instance-type"], "4 itself is excluded");
    assert_eq!(case("lt-edge", "Lt", "4"), ["small-instance-type"]);
}

#[test]
fn pod_requirements_against_a_pool_without_the_label() {
    // scheduling/suite_test.go "Scheduling Logic": a pool with no requirement on test-key.
    let case = |n: &str, op: &str, vals: &[&str]| {
        let v = one(n, "", pending("p", "", "", affinity("test-key", op, vals)));
        unschedulable(&v).is_empty()
    };
    assert!(!case("nolabel-in", "In", &["test-value"]), "In needs the label");
    assert!(case("nolabel-notin", "NotIn", &["test-value"]));
    assert!(!case("nolabel-exists", "Exists", &[]));
    assert!(case("nolabel-dne", "DoesNotExist", &[]));
}

#[test]
fn pod_requirements_against_a_pool_that_sets_the_label() {
    // scheduling/suite_test.go "Scheduling Logic": the pool requires test-key In [test-value],
    // so its nodes carry test-key=test-value.
    let pool = requirement("test-key", "In", "test-value");
    let case = |n: &str, op: &str, vals: &[&str]| {
        let v = one(n, &pool, pending("p", "", "", affinity("test-key", op, vals)));
        unschedulable(&v).is_empty()
    };
    assert!(case("label-in", "In", &["test-value"]));
    assert!(!case("label-notin", "NotIn", &["test-value"]));
    assert!(case("label-exists", "Exists", &[]));
    assert!(!case("label-dne", "DoesNotExist", &[]));
    assert!(!case("label-in-other", "In", &["another-value"]));
    assert!(case("label-notin-other", "NotIn", &["another-value"]));
}

#[test]
fn binpacking_takes_the_smallest_type_that_holds_the_pods_with_allocatable_and_pod_slots() {
    // scheduling/suite_test.go Binpacking.
    let amd64 = json!({"nodeSelector": {"kubernetes.io/arch": "amd64"}});
    // "should schedule a small pod on the smallest instance" (100M), and 2000M still fits
    // small's 2Gi - 10Mi.
    assert_eq!(types(&one("bp-100m", "", pending("p", "", "100M", json!({})))), ["small-instance-type"]);
    assert_eq!(types(&one("bp-2000m", "", pending("p", "", "2000M", json!({})))), ["small-instance-type"]);
    // "should schedule multiple small pods on the smallest possible instance type": 5 pods of
    // 10M take one small node (its 5 pod slots).
    let pods = (0..5).map(|i| pending(&format!("p{i}"), "", "10M", json!({}))).collect();
    let v = plan("bp-five", &nodepool("default", "", ""), vec![], pods);
    assert_eq!(launches(&v), [("default".into(), "small-instance-type".into(), 5)]);
    // "should create new nodes when a node is at capacity": 40 pods of 1.8G, two per node.
    let pods: Vec<Value> = (0..40).map(|i| pending(&format!("p{i:02}"), "", "1.8G", amd64.clone())).collect();
    let v = plan("bp-capacity", &nodepool("default", "", ""), vec![], pods.clone());
    assert_eq!(types(&v), vec!["default-instance-type".to_string(); 20]);
    // "should pack small and large pods together": 20 pods of 400M fill the room the large ones
    // leave, largest first in the queue.
    let mut both = pods;
    both.extend((0..20).map(|i| pending(&format!("q{i:02}"), "", "400M", amd64.clone())));
    let v = plan("bp-mixed", &nodepool("default", "", ""), vec![], both);
    assert_eq!(types(&v), vec!["default-instance-type".to_string(); 20]);
    assert!(launches(&v).iter().all(|l| l.2 == 3), "two large and one small a node");
    // "should create new nodes when a node is at capacity due to pod limits per node": 25 tiny
    // pods, 5 a node.
    let pods = (0..25).map(|i| pending(&format!("p{i:02}"), "1m", "1Mi", amd64.clone())).collect();
    let v = plan("bp-pods", &nodepool("default", "", ""), vec![], pods);
    assert_eq!(types(&v), vec!["small-instance-type".to_string(); 5]);
    // provisioning/suite_test.go "should provision multiple nodes when maxPods is set": a type
    // of one pod slot, three pods, three nodes.
    let only = requirement("node.kubernetes.io/instance-type", "In", "single-pod-instance-type");
    let pods = (0..3).map(|i| pending(&format!("p{i}"), "", "", json!({}))).collect();
    let v = plan("bp-maxpods", &nodepool("default", &only, ""), vec![], pods);
    assert_eq!(types(&v), vec!["single-pod-instance-type".to_string(); 3]);
}

#[test]
fn init_containers_and_overhead_count_in_the_request() {
    // scheduling/suite_test.go "should take into account initContainer resource requests when
    // binpacking": 1 CPU containers, a 2 CPU init container: 2 CPUs, more than small's 1.9.
    let init =
        |mem: &str| json!({"initContainers": [{"name": "i", "resources": {"requests": {"cpu": "2", "memory": mem}}}]});
    let v = one("init", "", pending("p", "1", "1Gi", init("1Gi")));
    assert_eq!(types(&v), ["default-instance-type"]);
    // ... and a 1Ti init container fits no type.
    let v = one("init-huge", "", pending("p", "1", "1Gi", init("1Ti")));
    assert_eq!(unschedulable(&v), ["default/p"]);
    // "should take pod runtime class into consideration": 1 CPU plus 2 CPUs of overhead.
    let v = one("overhead", "", pending("p", "1", "", json!({"overhead": {"cpu": "2"}})));
    assert_eq!(types(&v), ["default-instance-type"]);
}

#[test]
fn nodepools_are_tried_by_weight_then_name_and_selected_by_label() {
    // provisioning/suite_test.go "should schedule to the nodepool with the highest priority
    // always": weights none, 20 and 100; three pods all go to the weight-100 pool.
    let pools = format!(
        "{}{}{}",
        nodepool("plain", "", ""),
        nodepool("twenty", "", "  weight: 20\n"),
        nodepool("hundred", "", "  weight: 100\n")
    );
    let pods: Vec<Value> = (0..3).map(|i| pending(&format!("p{i}"), "", "", json!({}))).collect();
    let v = plan("np-weight", &pools, vec![], pods);
    assert!(launches(&v).iter().all(|l| l.0 == "hundred"), "{:?}", launches(&v));
    // "should schedule to explicitly selected nodepool even if other nodePools are higher
    // priority".
    let pod = pending("p", "", "", json!({"nodeSelector": {"karpenter.sh/nodepool": "plain"}}));
    let v = plan("np-explicit", &pools, vec![], vec![pod]);
    assert_eq!(launches(&v)[0].0, "plain");
    // "should schedule to a NodePool by labels".
    let labelled = "---\napiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: labelled}\nspec:\n  template:\n    metadata: {labels: {foo: bar}}\n    spec:\n      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}\n";
    let pools2 = format!("{}{labelled}", nodepool("zzz-unlabelled", "", ""));
    let pod = pending("p", "", "", json!({"nodeSelector": {"foo": "bar"}}));
    assert_eq!(launches(&plan("np-label", &pools2, vec![], vec![pod]))[0].0, "labelled");
    // pkg/utils/nodepool/suite_test.go "should order the NodePools by name when the weights are
    // the same": later names first.
    let pools3 = format!("{}{}", nodepool("alpha", "", ""), nodepool("beta", "", ""));
    let v = plan("np-name", &pools3, vec![], vec![pending("p", "", "", json!({}))]);
    assert_eq!(launches(&v)[0].0, "beta");
}

#[test]
fn taints_must_be_tolerated_and_prefer_no_schedule_is_relaxed_last() {
    // provisioning/suite_test.go Taints "should schedule pods that tolerate taints".
    let tainted = "      taints: [{key: nvidia.com/gpu, value: 'true', effect: NoSchedule}]\n";
    let tols = [
        json!([{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]),
        json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]),
        json!([{"key": "nvidia.com/gpu", "operator": "Exists"}]),
        json!([{"operator": "Exists"}]),
    ];
    let pods: Vec<Value> =
        tols.iter().enumerate().map(|(i, t)| pending(&format!("p{i}"), "", "", json!({"tolerations": t}))).collect();
    let v = plan("taint-tolerated", &nodepool("default", tainted, ""), vec![], pods);
    assert!(unschedulable(&v).is_empty(), "{v}");
    // ... and a pod with no toleration does not schedule.
    let v = plan("taint-untolerated", &nodepool("default", tainted, ""), vec![], vec![pending("p", "", "", json!({}))]);
    assert_eq!(unschedulable(&v), ["default/p"]);
    // "should not match NodePool with PreferNoSchedule taint when other NodePool match": the
    // tainted pool sorts first by name, the untainted one takes the pod.
    let prefer = "      taints: [{key: foo, value: bar, effect: PreferNoSchedule}]\n";
    let pools = format!("{}{}", nodepool("zeta-prefer", prefer, ""), nodepool("alpha-plain", "", ""));
    let v = plan("taint-prefer", &pools, vec![], vec![pending("p", "", "", json!({}))]);
    assert_eq!(launches(&v)[0].0, "alpha-plain");
    // "should tolerate PreferNoSchedule taint only after trying to relax Affinity terms": with
    // the tainted pool alone, the pod lands there.
    let v =
        plan("taint-prefer-alone", &nodepool("zeta-prefer", prefer, ""), vec![], vec![pending("p", "", "", json!({}))]);
    assert_eq!(launches(&v)[0].0, "zeta-prefer");
}

#[test]
fn limits_count_capacity_and_block_the_pool() {
    let pod = |n: &str, cpu: &str| pending(n, cpu, "", json!({}));
    let limited = |l: &str| nodepool("default", "", &format!("  limits: {{{l}}}\n"));
    // provisioning/suite_test.go "should schedule if limits would be met": cpu 2, a 1.75 CPU
    // pod on small (capacity 2, within the limit).
    assert_eq!(types(&plan("lim-met", &limited("cpu: 2"), vec![], vec![pod("p", "1.75")])), ["small-instance-type"]);
    // "should not schedule if limits would be exceeded": 2.1 CPUs need a 4-CPU type.
    assert_eq!(unschedulable(&plan("lim-exceeded", &limited("cpu: 2"), vec![], vec![pod("p", "2.1")])), ["default/p"]);
    // "should not schedule when limits are exceeded": the pool's node already has 100 CPUs.
    let big = node(
        "big",
        json!({"karpenter.sh/nodepool": "default", "node.kubernetes.io/instance-type": "huge"}),
        json!({}),
        json!([]),
        ("100", "100Gi", "110"),
    );
    let busy = bound("hog", "big", "100", "", owned_by("ReplicaSet", "hog"), json!({}));
    let v = plan("lim-existing", &limited("cpu: 20"), vec![big], vec![busy, pod("p", "1")]);
    assert_eq!(unschedulable(&v), ["default/p"]);
    // "should not schedule to a nodepool after a scheduling round if limits would be exceeded":
    // the first round's small node (capacity 2 of the limit 2) holds a 1.75 CPU pod.
    let first = pool_node("small-1", "default", "small-instance-type", json!({}));
    let busy = bound("first", "small-1", "1.75", "", owned_by("ReplicaSet", "r"), json!({}));
    let v = plan("lim-round", &limited("cpu: 2"), vec![first], vec![busy, pod("p", "1.75")]);
    assert_eq!(unschedulable(&v), ["default/p"]);
    // "should partially schedule if limits would be exceeded": cpu 3, two 1.5 CPU pods: the
    // first small node leaves 1 CPU of limit, no type fits in it.
    let v = plan("lim-partial", &limited("cpu: 3"), vec![], vec![pod("a", "1.5"), pod("b", "1.5")]);
    assert_eq!((types(&v).len(), unschedulable(&v).len()), (1, 1));
    // "should not schedule if limits would be exceeded (GPU)": `pods: 1` against the GPU type's
    // 5 pod slots.
    let gpu =
        pending("g", "", "", json!({"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}));
    assert_eq!(unschedulable(&plan("lim-pods", &limited("pods: 1"), vec![], vec![gpu])), ["default/g"]);
    // "... (node)": `nodes: 2` with two nodes in the pool already.
    let nodes = vec![
        pool_node("n1", "default", "small-instance-type", json!({})),
        pool_node("n2", "default", "small-instance-type", json!({})),
    ];
    let fill = |n: &str, on: &str| bound(n, on, "1.5", "", owned_by("ReplicaSet", "r"), json!({}));
    let v =
        plan("lim-nodes", &limited("nodes: 2"), nodes.clone(), vec![fill("a", "n1"), fill("b", "n2"), pod("p", "1.5")]);
    assert_eq!(unschedulable(&v), ["default/p"]);
    // With one node in the pool, nodes planned in the same pass do not count against `nodes`
    // (scheduler.go subtracts instance-type capacity, which holds no `nodes`): two 10-CPU pods,
    // which no type holds together, both launch.
    let v = plan(
        "lim-nodes-pass",
        &limited("nodes: 2"),
        nodes[..1].to_vec(),
        vec![fill("a", "n1"), pod("p", "10"), pod("q", "10")],
    );
    assert_eq!(types(&v), ["arm-instance-type", "arm-instance-type"], "{v}");
}

#[test]
fn daemonset_overhead_counts_where_the_daemonset_would_run() {
    // provisioning/suite_test.go Daemonsets. The DaemonSet's pod runs on a cordoned system node
    // of the dump; its requests count on every new node it would also run on.
    let ds = |spec: Value| bound("ds-x", "system", "2", "2Gi", owned_by("DaemonSet", "ds"), spec);
    let pod = || pending("p", "1", "1Gi", json!({"tolerations": [{"operator": "Exists"}]}));
    let case = |n: &str, template: &str, spec: Value| {
        types(&plan(n, &nodepool("default", template, ""), vec![system_node()], vec![ds(spec), pod()]))
    };
    // "should account for daemonsets": 2+1 CPUs do not fit small.
    assert_eq!(case("ds-count", "", json!({})), ["default-instance-type"]);
    // "should ignore daemonsets without matching tolerations".
    let taint = "      taints: [{key: foo, value: bar, effect: NoSchedule}]\n";
    assert_eq!(case("ds-untolerated", taint, json!({})), ["small-instance-type"]);
    // "should ignore daemonsets with an invalid selector".
    assert_eq!(case("ds-selector", "", json!({"nodeSelector": {"node": "invalid"}})), ["small-instance-type"]);
    // "should account for daemonsets with a custom label nodeSelector that matches the
    // nodepool" (a requirement's single In value labels the node).
    let labelled = requirement("purpose", "In", "monitoring");
    assert_eq!(
        case("ds-label", &labelled, json!({"nodeSelector": {"purpose": "monitoring"}})),
        ["default-instance-type"]
    );
    // "should consider a daemonset schedulable with a PreferNoSchedule taint".
    let prefer = "      taints: [{key: test, value: x, effect: PreferNoSchedule}]\n";
    assert_eq!(case("ds-prefer", prefer, json!({})), ["default-instance-type"]);
    // "should not schedule if daemonset overhead is too large".
    let huge = bound("ds-x", "system", "10000", "", owned_by("DaemonSet", "ds"), json!({}));
    let v =
        plan("ds-huge", &nodepool("default", "", ""), vec![system_node()], vec![huge, pending("p", "", "", json!({}))]);
    assert_eq!(unschedulable(&v), ["default/p"]);
}

#[test]
fn existing_and_in_flight_nodes_take_pods_before_new_claims() {
    // scheduling/suite_test.go "should schedule a pod to an existing node unowned by Karpenter":
    // 100 pods of 10m on a 10-CPU node of 110 pods.
    let own = node("own", json!({}), json!({}), json!([]), ("10", "10Gi", "110"));
    let pods = (0..100).map(|i| pending(&format!("p{i:03}"), "10m", "", json!({}))).collect();
    let v = plan("existing-unowned", &nodepool("default", "", ""), vec![own], pods);
    assert!(launches(&v).is_empty() && unschedulable(&v).is_empty(), "{v}");
    // "should not launch a second node if there is an in-flight node that can support the pod"
    // and its counterpart: a 1001m pod's small node (1.9 allocatable) has no room for 1000m more.
    let small = pool_node("small-1", "default", "small-instance-type", json!({}));
    let first = bound("first", "small-1", "1001m", "", owned_by("ReplicaSet", "r"), json!({}));
    let v = plan(
        "inflight-full",
        &nodepool("default", "", ""),
        vec![small.clone()],
        vec![first.clone(), pending("p", "1000m", "", json!({}))],
    );
    assert_eq!(types(&v), ["small-instance-type"], "a second node");
    let v = plan(
        "inflight-room",
        &nodepool("default", "", ""),
        vec![small],
        vec![first, pending("p", "10m", "", json!({}))],
    );
    assert!(launches(&v).is_empty(), "the same node");
    // A node's allocatable `pods` is a limit of its own: five pods fill a 5-pod node.
    let n = pool_node("full", "default", "default-instance-type", json!({}));
    let mut pods: Vec<Value> =
        (0..5).map(|i| bound(&format!("b{i}"), "full", "10m", "", owned_by("ReplicaSet", "r"), json!({}))).collect();
    pods.push(pending("p", "10m", "", json!({})));
    let v = plan("pods-full", &nodepool("default", "", ""), vec![n], pods);
    assert_eq!(types(&v), ["small-instance-type"], "{v}");
}

#[test]
fn emptiness_and_do_not_disrupt_decide_what_consolidation_removes() {
    let when_empty =
        "  disruption: {consolidationPolicy: WhenEmpty, consolidateAfter: 0s, budgets: [{nodes: '100%'}]}\n";
    let pools = nodepool("default", "", when_empty);
    // disruption/emptiness_test.go "can delete empty nodes".
    let n = |name: &str, ann: Value| pool_node(name, "default", "default-instance-type", ann);
    assert_eq!(candidates(&plan("empty", &pools, vec![n("a", json!({}))], vec![])), ["a"]);
    // "should ignore nodes that have pods".
    let pod = bound("p", "a", "10m", "", owned_by("ReplicaSet", "r"), json!({}));
    assert!(candidates(&plan("empty-pods", &pools, vec![n("a", json!({}))], vec![pod])).is_empty());
    // "will consider a node with a DaemonSet pod as empty".
    let ds = bound("ds-a", "a", "10m", "", owned_by("DaemonSet", "ds"), json!({}));
    assert_eq!(candidates(&plan("empty-ds", &pools, vec![n("a", json!({}))], vec![ds])), ["a"]);
    // "should ignore nodes with the karpenter.sh/do-not-disrupt annotation"; only "true" counts.
    let dnd = |v: &str| json!({"karpenter.sh/do-not-disrupt": v});
    assert!(candidates(&plan("dnd-true", &pools, vec![n("a", dnd("true"))], vec![])).is_empty());
    assert_eq!(candidates(&plan("dnd-false", &pools, vec![n("a", dnd("false"))], vec![])), ["a"]);
}

#[test]
fn budgets_round_percentages_up() {
    // disruption/emptiness_test.go budgets: 10 empty nodes under 100 %, 0 %, 30 %; and
    // "should allow 2 nodes from each nodePool to be deleted": 50 % of 3 rounds up to 2.
    let case = |name: &str, nodes: u32, budget: &str| {
        let pools = nodepool(
            "default",
            "",
            &format!("  disruption: {{consolidationPolicy: WhenEmpty, consolidateAfter: 0s, budgets: [{{nodes: '{budget}'}}]}}\n"),
        );
        let ns =
            (0..nodes).map(|i| pool_node(&format!("n{i}"), "default", "default-instance-type", json!({}))).collect();
        candidates(&plan(name, &pools, ns, vec![])).len()
    };
    assert_eq!(case("budget-100", 10, "100%"), 10);
    assert_eq!(case("budget-0", 10, "0%"), 0);
    assert_eq!(case("budget-30", 10, "30%"), 3);
    assert_eq!(case("budget-50-of-3", 3, "50%"), 2);
    assert_eq!(case("budget-default", 10, "10%"), 1);
}

#[test]
fn consolidation_keeps_nodes_whose_pods_say_do_not_disrupt() {
    // disruption/consolidation_test.go Delete "can delete nodes" and "...considers
    // karpenter.sh/do-not-disrupt set to true on pods": two nodes, the pods of either fit on
    // the other; a do-not-disrupt pod keeps its node.
    let pools = nodepool(
        "default",
        "",
        "  disruption: {consolidationPolicy: WhenEmptyOrUnderutilized, consolidateAfter: 0s, budgets: [{nodes: '100%'}]}\n",
    );
    let nodes = vec![
        pool_node("node0", "default", "default-instance-type", json!({})),
        pool_node("node1", "default", "default-instance-type", json!({})),
    ];
    let rs = owned_by("ReplicaSet", "r");
    let pods = |dnd: bool| {
        let meta = if dnd {
            json!({"ownerReferences": rs["ownerReferences"], "annotations": {"karpenter.sh/do-not-disrupt": "true"}})
        } else {
            rs.clone()
        };
        vec![
            bound("a", "node0", "10m", "", rs.clone(), json!({})),
            bound("b", "node0", "10m", "", rs.clone(), json!({})),
            bound("c", "node1", "10m", "", meta, json!({})),
        ]
    };
    let c = candidates(&plan("cons-delete", &pools, nodes.clone(), pods(false)));
    assert!(c.contains(&"node1".to_string()), "{c:?}");
    let c = candidates(&plan("cons-dnd-pod", &pools, nodes, pods(true)));
    assert!(!c.contains(&"node1".to_string()) && c.contains(&"node0".to_string()), "{c:?}");
}

/// A requirement with `minValues`.
fn min_values(key: &str, op: &str, values: &str, n: u32) -> String {
    format!("      requirements:\n        - {{key: {key}, operator: {op}, values: [{values}], minValues: {n}}}\n")
}

#[test]
fn min_values_keep_a_claim_flexible_and_strict_leaves_pods_pending() {
    // scheduling/instance_selection_test.go "should schedule respecting the minValues from
    // instance-type requirement": two pods that fit together only on the larger type go to two
    // claims, since one claim holding both could launch one type only (minValues 2). Here 1.5
    // CPU each: together only default-instance-type (3900m) holds them, alone small (1900m) does.
    let it = "node.kubernetes.io/instance-type";
    let types2 = "small-instance-type, default-instance-type";
    let two = || vec![pending("a", "1500m", "", json!({})), pending("b", "1500m", "", json!({}))];
    let v = plan("mv-type", &nodepool("default", &min_values(it, "In", types2, 2), ""), vec![], two());
    assert_eq!(
        launches(&v),
        [("default".into(), "small-instance-type".into(), 1), ("default".into(), "small-instance-type".into(), 1)]
    );
    // Without minValues both share the one larger node.
    let v = plan("mv-none", &nodepool("default", &requirement(it, "In", types2), ""), vec![], two());
    assert_eq!(launches(&v), [("default".into(), "default-instance-type".into(), 2)]);

    // "should schedule respecting the minValues in Gt operator": the values counted are the
    // key's (CPU counts 2, 4, 16 here), not the types'. Alone a 1.5-CPU pod fits types of 2, 4
    // and 16 CPUs (3 values); two together only 4 and 16: minValues 3 splits them.
    let cpu = "karpenter.k8s.aws/instance-cpu";
    let v = plan("mv-gt", &nodepool("default", &min_values(cpu, "Gt", "'1'", 3), ""), vec![], two());
    assert_eq!(types(&v), ["small-instance-type", "small-instance-type"]);
    let v = plan("mv-gt-2", &nodepool("default", &min_values(cpu, "Gt", "'1'", 2), ""), vec![], two());
    assert_eq!(types(&v), ["default-instance-type"], "4 and 16 are two values: one claim");

    // "scheduler should fail if the minValues in Gt operator is not satisfied": the pool asks 2
    // values of the key (Exists), the pod's own affinity leaves one (16 CPUs): not scheduled,
    // and the reason says minValues.
    let big = || pending("p", "", "", affinity(cpu, "Gt", &["8"]));
    let pools = nodepool(
        "default",
        &format!("      requirements:\n        - {{key: {cpu}, operator: Exists, minValues: 2}}\n"),
        "",
    );
    let v = plan("mv-fail", &pools, vec![], vec![big()]);
    assert_eq!(unschedulable(&v), ["default/p"]);
    let why = v["unschedulable"][0]["reason"].as_str().unwrap();
    assert!(why.contains("minValues") && why.contains(cpu), "{why}");

    // provisioning/suite_test.go "MinValuesPolicy": three types asked, two exist. Strict: "should
    // not schedule when minValues requirement is not met"; BestEffort: "should schedule even
    // when minValues requirement is not met", on the cheapest.
    let three = "small-instance-type, default-instance-type, no-such-type";
    let pools = nodepool("default", &min_values(it, "In", three, 3), "");
    let pod = || vec![pending("p", "900m", "", json!({}))];
    assert_eq!(unschedulable(&plan("mv-strict", &pools, vec![], pod())), ["default/p"]);
    let v = plan_with("mv-best", &pools, vec![], pod(), &["--min-values-policy", "BestEffort"]);
    assert_eq!(types(&v), ["small-instance-type"]);
    assert!(unschedulable(&v).is_empty());
}
