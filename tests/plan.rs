//! `fleetsim plan` on kubectl-style dumps: one test per decision kind, the JSON document's shape,
//! and bad dumps.

mod common;

use common::{fleetsim, root, tmp};
use serde_json::{json, Value};

fn plan_json(nodes: &str, pods: &str) -> Value {
    let (code, out, err) = fleetsim(&["plan", "--nodes", nodes, "--pods", pods, "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn the_shipped_example_places_refuses_and_finds_a_node_to_remove() {
    let nodes = root().join("examples/plan/nodes.json");
    let pods = root().join("examples/plan/pods.json");
    let p = plan_json(nodes.to_str().unwrap(), pods.to_str().unwrap());
    assert_eq!(p["format_version"], 1);
    // Placement: the pending chat replica goes to the 4-GPU node that tolerates and matches it;
    // the web pod, which tolerates no GPU taint, to the CPU node.
    assert_eq!(
        p["placements"],
        json!([{"pod": "ml-serving/chat-1", "node": "ip-10-0-1-11.ec2.internal"},
               {"pod": "default/web-0", "node": "ip-10-0-2-21.ec2.internal"}])
    );
    // Fits nowhere: 8 GPUs on a cluster whose largest node has 4.
    let u = &p["unschedulable"][0];
    assert_eq!(u["pod"], "ml-training/trainer-0");
    assert!(u["reason"].as_str().unwrap().contains("insufficient nvidia.com/gpu"), "{u}");
    // The 1-GPU node holds only a Succeeded pod: empty, a scale-down candidate.
    assert_eq!(
        p["scale_down_candidates"],
        json!([{"node": "ip-10-0-1-12.ec2.internal", "pods": 0, "reason": "empty"}])
    );
    // The table says the same to a person.
    let (code, out, _) = fleetsim(&["plan", "--nodes", nodes.to_str().unwrap(), "--pods", pods.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("ml-serving/chat-1") && out.contains("scale-down candidates"), "{out}");
}

#[test]
fn a_node_whose_pods_fit_elsewhere_is_a_candidate_and_a_full_one_is_not() {
    let dir = tmp("plan-move");
    let node = |name: &str| json!({"kind": "Node", "metadata": {"name": name, "labels": {}}, "status": {"allocatable": {"cpu": "4", "memory": "16Gi"}}});
    let pod = |name: &str, node: &str, cpu: &str| {
        json!({"kind": "Pod", "metadata": {"name": name, "namespace": "a"},
        "spec": {"nodeName": node, "containers": [{"resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}]}, "status": {"phase": "Running"}})
    };
    let nodes = json!({"kind": "List", "items": [node("n1"), node("n2"), node("n3")]});
    // n1 is nearly full, n2 and n3 hold one small pod each: either small pod fits elsewhere.
    let pods =
        json!({"kind": "List", "items": [pod("big", "n1", "3500m"), pod("s2", "n2", "1"), pod("s3", "n3", "1")]});
    let (nf, pf) = (dir.join("nodes.json"), dir.join("pods.json"));
    std::fs::write(&nf, nodes.to_string()).unwrap();
    std::fs::write(&pf, pods.to_string()).unwrap();
    let p = plan_json(nf.to_str().unwrap(), pf.to_str().unwrap());
    let c: Vec<&str> =
        p["scale_down_candidates"].as_array().unwrap().iter().map(|c| c["node"].as_str().unwrap()).collect();
    assert_eq!(c, ["n2", "n3"], "{p}");
    assert!(p["scale_down_candidates"].as_array().unwrap().iter().all(|c| c["reason"] == "pods fit elsewhere"));
}

#[test]
fn bad_dumps_get_one_clear_error() {
    let dir = tmp("plan-bad");
    let ex = root().join("examples/plan");
    let (code, _, err) = fleetsim(&[
        "plan",
        "--nodes",
        ex.join("pods.json").to_str().unwrap(),
        "--pods",
        ex.join("pods.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("expected Node"), "{err}");
    let orphan = json!({"kind": "PodList", "items": [{"metadata": {"name": "p", "namespace": "x"}, "spec": {"nodeName": "ghost", "containers": []}, "status": {"phase": "Running"}}]});
    let pf = dir.join("orphan.json");
    std::fs::write(&pf, orphan.to_string()).unwrap();
    let (code, _, err) =
        fleetsim(&["plan", "--nodes", ex.join("nodes.json").to_str().unwrap(), "--pods", pf.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("pod/x/p") && err.contains("`ghost` is not in the node dump"), "{err}");
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "not json").unwrap();
    let (code, _, err) = fleetsim(&["plan", "--nodes", junk.to_str().unwrap(), "--pods", pf.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not JSON"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
