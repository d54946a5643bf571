//! Drift: kubernetes-sigs/karpenter at 22664681, `pkg/controllers/nodeclaim/disruption/drift_test.go`
//! ("NodeRequirement Drift": whether a NodeClaim whose labels met the old requirements is drifted
//! under the new ones) and `pkg/controllers/disruption/drift_test.go` (which drifted nodes the
//! Drift method takes). In `fleetsim plan` the dump's node carries the labels and the manifest is
//! the NodePool as it is now.

use super::*;

/// The pool `default` with `requirements` (YAML list items), consolidation off, all nodes may go.
fn pool(requirements: &str, budgets: &str) -> String {
    nodepool(
        "default",
        &format!("      requirements:\n{requirements}"),
        &format!("  disruption: {{consolidateAfter: Never, budgets: [{budgets}]}}\n"),
    )
}

/// A node of pool `default` with `labels` (zone test-zone-1, on-demand, default type unless
/// overridden) and `annotations`.
fn labelled(name: &str, labels: Value, annotations: Value) -> Value {
    let mut n = pool_node(name, "default", "default-instance-type", annotations);
    if let (Some(l), Some(extra)) = (n["metadata"]["labels"].as_object_mut(), labels.as_object()) {
        l.extend(extra.clone());
    }
    n
}

/// The plan's candidates as (node, reason).
fn reasons(v: &Value) -> Vec<(String, String)> {
    v["scale_down_candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["node"].as_str().unwrap().to_string(), c["reason"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn a_node_drifts_when_its_labels_no_longer_meet_the_nodepool_requirements() {
    // "NodeRequirement Drift" entries, restated on labels the fake catalog sells. Each node
    // runs one pod (consolidation is off): only drift can make it a candidate.
    let case = |name: &str, req: &str, labels: Value| {
        let nodes = vec![labelled("n", labels, json!({}))];
        let pods = vec![bound("p", "n", "10m", "", owned_by("ReplicaSet", "r"), json!({}))];
        let v = plan(&format!("drift-{name}"), &pool(req, "{nodes: '100%'}"), nodes, pods);
        reasons(&v) == [("n".to_string(), "drifted".to_string())]
    };
    let ct = "karpenter.sh/capacity-type";
    let zone = "topology.kubernetes.io/zone";
    // "should return drifted if the nodePool node requirement is updated": on-demand to spot.
    assert!(case("updated", &format!("        - {{key: {ct}, operator: In, values: [spot]}}\n"), json!({})));
    // "should return drifted if a new node requirement is added": the node lacks the key (a
    // custom one: the well-known labels a dump leaves out come from the node's instance type, as
    // a Karpenter node carries them, so `kubernetes.io/arch In [amd64]` meets an amd64 type).
    assert!(case("added", "        - {key: team, operator: In, values: [ml]}\n", json!({})));
    assert!(!case(
        "added-well-known",
        "        - {key: kubernetes.io/arch, operator: In, values: [amd64]}\n",
        json!({})
    ));
    // "... if a node requirement is reduced" / "should not ... if expanded".
    assert!(case("reduced", &format!("        - {{key: {zone}, operator: In, values: [test-zone-2]}}\n"), json!({})));
    assert!(!case(
        "expanded",
        &format!("        - {{key: {zone}, operator: In, values: [test-zone-1, test-zone-2]}}\n"),
        json!({})
    ));
    // "should not return drifted if a node requirement set to Exists" / "... DoesNotExists".
    assert!(!case("exists", &format!("        - {{key: {zone}, operator: Exists}}\n"), json!({})));
    assert!(case(
        "does-not-exist",
        "        - {key: test-label, operator: DoesNotExist}\n",
        json!({"test-label": "x"})
    ));
    // "... greater then node requirement" (Gt 10 against 5) and "... less then" (Lt 1 against 2):
    // both drifted, whatever the entries' names say.
    assert!(case("gt", "        - {key: test-label, operator: Gt, values: ['10']}\n", json!({"test-label": "5"})));
    assert!(case("lt", "        - {key: test-label, operator: Lt, values: ['1']}\n", json!({"test-label": "2"})));
    assert!(!case("gt-met", "        - {key: test-label, operator: Gt, values: ['2']}\n", json!({"test-label": "5"})));
}

#[test]
fn the_drift_method_takes_drifted_nodes_within_budgets_and_do_not_disrupt() {
    let spot = "        - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}\n";
    let rs = owned_by("ReplicaSet", "r");
    let nodes = |n: usize, ann: Value| (0..n).map(|i| labelled(&format!("n{i}"), json!({}), ann.clone())).collect();
    let pods = |n: usize| {
        (0..n).map(|i| bound(&format!("p{i}"), &format!("n{i}"), "10m", "", rs.clone(), json!({}))).collect::<Vec<_>>()
    };
    // "should only consider 3 nodes allowed to be disrupted because of budgets".
    let v = plan("drift-budget", &pool(spot, "{nodes: '3'}"), nodes(10, json!({})), pods(10));
    assert_eq!(reasons(&v).len(), 3, "{:?}", reasons(&v));
    // A budget for Drifted alone limits it; one for Empty does not.
    let v = plan("drift-budget-reason", &pool(spot, "{nodes: '0', reasons: [Drifted]}"), nodes(2, json!({})), pods(2));
    assert!(reasons(&v).is_empty());
    let v = plan("drift-budget-other", &pool(spot, "{nodes: '0', reasons: [Empty]}"), nodes(2, json!({})), pods(2));
    assert_eq!(reasons(&v).len(), 2);
    // "should ignore nodes with the karpenter.sh/do-not-disrupt annotation set to true" and "should
    // delete drifted nodes with the ... annotation set to false".
    let dnd = |v: &str| json!({"karpenter.sh/do-not-disrupt": v});
    assert!(reasons(&plan("drift-dnd", &pool(spot, "{nodes: '100%'}"), nodes(1, dnd("true")), pods(1))).is_empty());
    assert_eq!(
        reasons(&plan("drift-dnd-false", &pool(spot, "{nodes: '100%'}"), nodes(1, dnd("false")), pods(1))).len(),
        1
    );
    // "should not create replacements for drifted nodes that have pods with the
    // karpenter.sh/do-not-disrupt annotation set to true".
    let meta =
        json!({"ownerReferences": rs["ownerReferences"], "annotations": {"karpenter.sh/do-not-disrupt": "true"}});
    let v = plan(
        "drift-dnd-pod",
        &pool(spot, "{nodes: '100%'}"),
        nodes(1, json!({})),
        vec![bound("p0", "n0", "10m", "", meta, json!({}))],
    );
    assert!(reasons(&v).is_empty());
    // "should delete drifted nodes when they are empty and consolidation is disabled".
    let v = plan("drift-empty", &pool(spot, "{nodes: '100%'}"), nodes(1, json!({})), vec![]);
    assert_eq!(reasons(&v), [("n0".to_string(), "drifted".to_string())]);
    assert_eq!(v["scale_down_candidates"][0]["drift"], "karpenter.sh/capacity-type In [spot]");
    // "should not detect drift if the nodePool does not exist": a node of another pool is no
    // Karpenter node here.
    let mut other = labelled("x", json!({}), json!({}));
    other["metadata"]["labels"]["karpenter.sh/nodepool"] = json!("gone");
    let v = plan(
        "drift-no-pool",
        &pool(spot, "{nodes: '100%'}"),
        vec![other],
        vec![bound("p0", "x", "10m", "", rs.clone(), json!({}))],
    );
    assert!(reasons(&v).iter().all(|(_, r)| r != "drifted"), "{:?}", reasons(&v));
}
