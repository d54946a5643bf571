//! `fleetsim plan`: the kubectl dumps (`kubectl get nodes -o json`, `kubectl get pods -A -o json`,
//! as examples/plan/*.json), `--pools` files (Karpenter NodePool manifests, ACK pool files as
//! examples/plan/ack-pools.yaml), `--catalog`, `--policy` and `--output`.

use super::autoscaling::CATALOG;
use super::{catalog, Case};

/// A valid `kubectl get nodes -o json` of one node `n`, with `node` replacing its JSON.
fn node_list(node: &str) -> String {
    format!("{{\"kind\": \"NodeList\", \"items\": [{node}]}}")
}

const NODE: &str = r#"{"metadata": {"name": "n", "labels": {"topology.kubernetes.io/zone": "us-east-1a"}}, "status": {"allocatable": {"cpu": "8", "memory": "32Gi"}}}"#;

/// A valid `kubectl get pods -A -o json` of one pending pod `default/p`, with `pod` replacing its JSON.
fn pod_list(pod: &str) -> String {
    format!("{{\"kind\": \"PodList\", \"items\": [{pod}]}}")
}

const POD: &str = r#"{"metadata": {"name": "p", "namespace": "default", "creationTimestamp": "2026-01-05T09:00:00Z"}, "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}, "status": {"phase": "Pending"}}"#;

/// `fleetsim plan --nodes DIR/nodes.json --pods DIR/pods.json`.
const PLAN: &[&str] = &["plan", "--nodes", "DIR/nodes.json", "--pods", "DIR/pods.json"];
/// [`PLAN`] with `--pools DIR/pools.yaml`.
const PLAN_POOLS: &[&str] =
    &["plan", "--nodes", "DIR/nodes.json", "--pods", "DIR/pods.json", "--pools", "DIR/pools.yaml"];

fn plan(name: &'static str, nodes: String, pods: String, says: &'static [&'static str]) -> Case {
    Case { name, files: vec![("nodes.json", nodes), ("pods.json", pods)], args: PLAN, code: 2, says }
}

fn bad_node(name: &'static str, from: &str, to: &str, says: &'static [&'static str]) -> Case {
    assert!(NODE.contains(from), "{from}");
    plan(name, node_list(&NODE.replacen(from, to, 1)), pod_list(POD), says)
}

fn bad_pod(name: &'static str, from: &str, to: &str, says: &'static [&'static str]) -> Case {
    assert!(POD.contains(from), "{from}");
    plan(name, node_list(NODE), pod_list(&POD.replacen(from, to, 1)), says)
}

/// A valid Karpenter `--pools` file of one NodePool of G5 instances.
const NODEPOOLS: &str = "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: np}\nspec:\n  template:\n    spec:\n      requirements:\n        - {key: karpenter.k8s.aws/instance-family, operator: In, values: [g5]}\n  disruption: {consolidationPolicy: WhenEmpty, consolidateAfter: 5m}\n";

/// A valid ACK `--pools` file (as examples/plan/ack-pools.yaml) with `CAT` for its catalog.
const ACK: &str = "catalog: CAT\npools:\n  - {name: np-a, instance_types: [ecs.gn7i-c8g1.2xlarge], zones: [cn-shanghai-b], max: 4}\nscaler: {expander: least-waste}\n";

fn pools(name: &'static str, text: String, says: &'static [&'static str]) -> Case {
    Case {
        name,
        files: vec![("nodes.json", node_list(NODE)), ("pods.json", pod_list(POD)), ("pools.yaml", text)],
        args: PLAN_POOLS,
        code: 2,
        says,
    }
}

/// [`pools`] with NODEPOOLS and `--catalog DIR/c.yaml` of `cat`.
fn plan_catalog(name: &'static str, cat: String, says: &'static [&'static str]) -> Case {
    Case {
        name,
        files: vec![
            ("nodes.json", node_list(NODE)),
            ("pods.json", pod_list(POD)),
            (
                "pools.yaml",
                NODEPOOLS.replace(
                    "instance-family, operator: In, values: [g5]",
                    "instance-gpu-count, operator: Gt, values: ['0']",
                ),
            ),
            ("c.yaml", cat),
        ],
        args: &[
            "plan",
            "--nodes",
            "DIR/nodes.json",
            "--pods",
            "DIR/pods.json",
            "--pools",
            "DIR/pools.yaml",
            "--catalog",
            "DIR/c.yaml",
        ],
        code: 2,
        says,
    }
}

pub(super) fn cases() -> Vec<Case> {
    let ack = ACK.replace("CAT", &catalog("alibaba-a10.yaml"));
    vec![
        // plan: the kubectl dumps.
        plan(
            "a node dump that is not JSON",
            "{\"kind\": \"NodeList\", items: []}".into(),
            pod_list(POD),
            &["nodes.json", "not JSON", "line 1 column 22", "expected `kubectl get ... -o json` output"],
        ),
        plan(
            "an empty pod dump",
            node_list(NODE),
            String::new(),
            &["pods.json", "not JSON", "expected `kubectl get ... -o json` output"],
        ),
        plan(
            "a node dump in YAML",
            "kind: NodeList\nitems: []\n".into(),
            pod_list(POD),
            &["nodes.json", "not JSON", "line 1 column 1"],
        ),
        plan(
            "a node list given as the pods",
            node_list(NODE),
            node_list(NODE),
            &["pods.json", "the PodList", "field `kind`", "`NodeList`; expected PodList (`kubectl get pods -o json`)"],
        ),
        plan(
            "a pod list given as the nodes",
            pod_list(POD),
            pod_list(POD),
            &["nodes.json", "the NodeList", "field `kind`", "`PodList`; expected NodeList"],
        ),
        plan(
            "a node dump without items",
            "{\"kind\": \"NodeList\"}".into(),
            pod_list(POD),
            &["nodes.json", "the NodeList", "field `items`", "expected a list"],
        ),
        plan(
            "a Pod in the node list",
            "{\"kind\": \"List\", \"items\": [{\"kind\": \"Pod\"}]}".into(),
            pod_list(POD),
            &["nodes.json", "the NodeList", "field `items[0].kind`", "`Pod`; expected Node"],
        ),
        bad_node(
            "a node without a name",
            r#""name": "n", "#,
            "",
            &["nodes.json", "items[0]", "field `metadata.name`", "missing"],
        ),
        bad_node(
            "a node without allocatable",
            r#""allocatable": {"cpu": "8", "memory": "32Gi"}"#,
            r#""capacity": {}"#,
            &["nodes.json", "node/n", "field `status.allocatable`", "missing"],
        ),
        bad_node(
            "node allocatable cpu `abc`",
            r#""cpu": "8""#,
            r#""cpu": "abc""#,
            &["nodes.json", "node/n", "status.allocatable.cpu", "`abc` is not a quantity"],
        ),
        bad_node(
            "node allocatable memory `12Zi`",
            r#""memory": "32Gi""#,
            r#""memory": "12Zi""#,
            &["nodes.json", "node/n", "status.allocatable.memory", "`12Zi` has an unknown suffix"],
        ),
        bad_node(
            "a negative node cpu",
            r#""cpu": "8""#,
            r#""cpu": "-8""#,
            &["nodes.json", "node/n", "status.allocatable.cpu", "`-8` is negative"],
        ),
        bad_node(
            "node cpu as a list",
            r#""cpu": "8""#,
            r#""cpu": [8]"#,
            &["nodes.json", "node/n", "status.allocatable.cpu", "expected a quantity"],
        ),
        bad_node(
            "a node without memory",
            r#", "memory": "32Gi""#,
            "",
            &["nodes.json", "node/n", "status.allocatable.memory", "missing"],
        ),
        bad_node(
            "a node of 2000 GPUs",
            r#""memory": "32Gi""#,
            r#""memory": "32Gi", "nvidia.com/gpu": "2000""#,
            &["nodes.json", "node/n", "status.allocatable.nvidia.com/gpu", "2000 is absurd; expected at most 1024"],
        ),
        bad_node(
            "a node of 1.5 GPUs",
            r#""memory": "32Gi""#,
            r#""memory": "32Gi", "nvidia.com/gpu": "1.5""#,
            &["nodes.json", "node/n", "status.allocatable.nvidia.com/gpu", "`1.5` is not a whole number"],
        ),
        bad_node(
            "a node taint effect `Never`",
            r#""status""#,
            r#""spec": {"taints": [{"key": "a", "effect": "Never"}]}, "status""#,
            &[
                "nodes.json",
                "node/n",
                "spec.taints[0].effect",
                "`Never`; expected NoSchedule, NoExecute or PreferNoSchedule",
            ],
        ),
        bad_node(
            "a node taint without a key",
            r#""status""#,
            r#""spec": {"taints": [{"effect": "NoSchedule"}]}, "status""#,
            &["nodes.json", "node/n", "spec.taints[0].key", "missing"],
        ),
        bad_pod(
            "a pod without a name",
            r#""name": "p", "#,
            "",
            &["pods.json", "the PodList: items[0]", "field `metadata.name`", "missing"],
        ),
        bad_pod(
            "a pod without a spec",
            r#""spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}, "#,
            "",
            &["pods.json", "pod/default/p", "field `spec`", "missing"],
        ),
        bad_pod(
            "pod cpu `abc`",
            r#""cpu": "1""#,
            r#""cpu": "abc""#,
            &["pods.json", "pod/default/p", "spec.containers[0].resources.requests.cpu", "`abc` is not a quantity"],
        ),
        bad_pod(
            "pod memory `12Zi`",
            r#""memory": "1Gi""#,
            r#""memory": "12Zi""#,
            &[
                "pods.json",
                "pod/default/p",
                "spec.containers[0].resources.requests.memory",
                "`12Zi` has an unknown suffix",
            ],
        ),
        bad_pod(
            "a negative pod cpu",
            r#""cpu": "1""#,
            r#""cpu": "-1""#,
            &["pods.json", "pod/default/p", "spec.containers[0].resources.requests.cpu", "`-1` is negative"],
        ),
        bad_pod(
            "half a GPU",
            r#""cpu": "1""#,
            r#""cpu": "1", "nvidia.com/gpu": "0.5""#,
            &["pods.json", "pod/default/p", "requests.nvidia.com/gpu", "`0.5` is not a whole number"],
        ),
        bad_pod(
            "an init container cpu `x`",
            r#""containers""#,
            r#""initContainers": [{"name": "i", "resources": {"requests": {"cpu": "x"}}}], "containers""#,
            &["pods.json", "pod/default/p", "spec.initContainers[0].resources.requests.cpu", "`x` is not a quantity"],
        ),
        bad_pod(
            "a pod overhead cpu `x`",
            r#""containers""#,
            r#""overhead": {"cpu": "x"}, "containers""#,
            &["pods.json", "pod/default/p", "spec.overhead.cpu", "`x` is not a quantity"],
        ),
        bad_pod(
            "a pod toleration operator `Maybe`",
            r#""containers""#,
            r#""tolerations": [{"key": "a", "operator": "Maybe"}], "containers""#,
            &["pods.json", "pod/default/p", "spec.tolerations[0].operator", "`Maybe`; expected Equal or Exists"],
        ),
        bad_pod(
            "a pod toleration effect `Never`",
            r#""containers""#,
            r#""tolerations": [{"key": "a", "operator": "Exists", "effect": "Never"}], "containers""#,
            &["pods.json", "pod/default/p", "spec.tolerations[0].effect", "`Never`; expected NoSchedule"],
        ),
        bad_pod(
            "a pod affinity operator `Near`",
            r#""containers""#,
            r#""affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "a", "operator": "Near", "values": ["b"]}]}]}}}, "containers""#,
            &[
                "pods.json",
                "pod/default/p",
                "nodeSelectorTerms[0].matchExpressions[0].operator",
                "`Near`; expected In, NotIn",
            ],
        ),
        bad_pod(
            "a pod bound to a node not in the dump",
            r#""containers""#,
            r#""nodeName": "ghost", "containers""#,
            &["pods.json", "pod/default/p", "field `spec.nodeName`", "`ghost` is not in the node dump"],
        ),
        Case {
            name: "a node dump that does not exist",
            files: vec![("pods.json", pod_list(POD))],
            args: PLAN,
            code: 2,
            says: &["nodes.json", "cannot read", "No such file"],
        },
        // plan: flags.
        Case {
            name: "plan --policy worst-fit",
            files: vec![("nodes.json", node_list(NODE)), ("pods.json", pod_list(POD))],
            args: &["plan", "--nodes", "DIR/nodes.json", "--pods", "DIR/pods.json", "--policy", "worst-fit"],
            code: 2,
            says: &["--policy", "unknown placement policy `worst-fit`", "expected one of: random"],
        },
        Case {
            name: "plan --output xml",
            files: vec![("nodes.json", node_list(NODE)), ("pods.json", pod_list(POD))],
            args: &["plan", "--nodes", "DIR/nodes.json", "--pods", "DIR/pods.json", "--output", "xml"],
            code: 2,
            says: &["--output `xml`", "expected table or json"],
        },
        Case {
            name: "plan --catalog without --pools",
            files: vec![("nodes.json", node_list(NODE)), ("pods.json", pod_list(POD))],
            args: &["plan", "--nodes", "DIR/nodes.json", "--pods", "DIR/pods.json", "--catalog", "DIR/c.yaml"],
            code: 2,
            says: &["the following required arguments were not provided", "--pools <POOLS>"],
        },
        Case {
            name: "plan without --nodes",
            files: vec![],
            args: &["plan", "--pods", "DIR/pods.json"],
            code: 2,
            says: &["the following required arguments were not provided", "--nodes <NODES>"],
        },
        Case {
            name: "a --pools file that does not exist",
            files: vec![("nodes.json", node_list(NODE)), ("pods.json", pod_list(POD))],
            args: PLAN_POOLS,
            code: 2,
            says: &["pools.yaml", "cannot read", "No such file"],
        },
        Case {
            name: "a --catalog that does not exist",
            files: vec![
                ("nodes.json", node_list(NODE)),
                ("pods.json", pod_list(POD)),
                ("pools.yaml", NODEPOOLS.into()),
            ],
            args: &[
                "plan",
                "--nodes",
                "DIR/nodes.json",
                "--pods",
                "DIR/pods.json",
                "--pools",
                "DIR/pools.yaml",
                "--catalog",
                "DIR/c.yaml",
            ],
            code: 2,
            says: &["c.yaml", "cannot read", "No such file"],
        },
        // plan --pools: Karpenter NodePools.
        pools(
            "an empty --pools file",
            String::new(),
            &[
                "pools.yaml",
                "no NodePool in the file",
                "expected `kind: NodePool` manifests (karpenter.sh/v1) or ACK `pools:`",
            ],
        ),
        pools(
            "a --pools file of an EC2NodeClass only",
            "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata: {name: x}\n".into(),
            &["pools.yaml", "no NodePool in the file"],
        ),
        pools(
            "a YAML syntax error in a --pools file",
            NODEPOOLS.to_string() + "---\nkind: [\n",
            &["pools.yaml", "line 11, column 7", "YAML syntax: unclosed bracket"],
        ),
        pools(
            "a bad operator in a --pools NodePool",
            NODEPOOLS.replace("operator: In", "operator: Maybe"),
            &[
                "pools.yaml document 1 (NodePool np)",
                "spec.template.spec.requirements[0].operator",
                "`Maybe`; expected In",
            ],
        ),
        pools(
            "a bad second NodePool",
            NODEPOOLS.to_string()
                + "---\n"
                + &NODEPOOLS.replace("name: np", "name: np2").replace("WhenEmpty", "Sometimes"),
            &[
                "pools.yaml document 2 (NodePool np2)",
                "spec.disruption.consolidationPolicy",
                "`Sometimes`; expected WhenEmpty",
            ],
        ),
        pools(
            "one NodePool twice in --pools",
            NODEPOOLS.to_string() + "---\n" + NODEPOOLS,
            &["pools.yaml document 2", "field `metadata.name`", "NodePool `np` is defined twice"],
        ),
        pools(
            "a --pools NodePool no catalog type satisfies",
            NODEPOOLS.replace("values: [g5]", "values: [z9]"),
            &["pools.yaml document 1 (NodePool np)", "spec.template.spec.requirements[", "[z9]` excludes every one of"],
        ),
        pools(
            "a --pools budget schedule MON-FUN",
            NODEPOOLS.replace(
                "consolidateAfter: 5m}",
                "consolidateAfter: 5m, budgets: [{nodes: '0', schedule: '0 9 * * MON-FUN', duration: 8h}]}",
            ),
            &[
                "pools.yaml document 1 (NodePool np)",
                "spec.disruption.budgets[0].schedule",
                "day-of-week field: `FUN` is not a number or a name",
            ],
        ),
        pools(
            "a v1beta1 NodePool in --pools",
            NODEPOOLS.replace("karpenter.sh/v1", "karpenter.sh/v1beta1"),
            &["pools.yaml document 1", "field `apiVersion`", "expected karpenter.sh/v1"],
        ),
        pools(
            "NodePools and ACK pools in one --pools file",
            NODEPOOLS.to_string() + "---\npools: [{name: a, instance_types: [g5.xlarge], max: 1}]\n",
            &["pools.yaml", "both ACK `pools:` and Karpenter manifests", "a cluster runs one node autoscaler"],
        ),
        // plan --pools: ACK pool files.
        pools(
            "an ACK pool file with no pools",
            ack.replace(
                "pools:\n  - {name: np-a, instance_types: [ecs.gn7i-c8g1.2xlarge], zones: [cn-shanghai-b], max: 4}\n",
                "pools: []\n",
            ),
            &["pools.yaml", "field `pools`", "expected at least one pool"],
        ),
        pools(
            "an ACK pool file without a catalog",
            "pools:\n  - {name: np-a, instance_types: [ecs.gn7i-c8g1.2xlarge], max: 4}\n".into(),
            &["pools.yaml", "field `catalog`", "ACK pools need an instance catalog", "or --catalog"],
        ),
        pools(
            "an ACK pool file whose catalog does not exist",
            ACK.replace("CAT", "nope.yaml"),
            &["pools.yaml", "field `catalog`", "cannot read", "nope.yaml"],
        ),
        pools(
            "an ACK pool of a type the catalog lacks",
            ack.replace("ecs.gn7i-c8g1.2xlarge", "g5.xlarge"),
            &[
                "pools.yaml",
                "pools[0].instance_types[0]",
                "`g5.xlarge` is not in the catalog",
                "it has: ecs.gn7i-c16g1.4xlarge",
            ],
        ),
        pools(
            "an ACK expander `cheapest`",
            ack.replace("least-waste", "cheapest"),
            &["pools.yaml", "field `scaler.expander`", "`cheapest` is not an expander; expected random, most-pods"],
        ),
        pools(
            "an ACK pool min above max",
            ack.replace("max: 4", "max: 4, min: 9"),
            &["pools.yaml", "field `pools[0].min`", "min 9 is above max 4"],
        ),
        pools(
            "an unknown section in an ACK pool file",
            ack.clone() + "nodepools: []\n",
            &["pools.yaml", "unknown field `nodepools`", "expected `pools:` (a scenario's node pools)"],
        ),
        Case {
            name: "ACK pools checked against --catalog",
            files: vec![
                ("nodes.json", node_list(NODE)),
                ("pods.json", pod_list(POD)),
                ("pools.yaml", ack.clone()),
                ("aws.yaml", std::fs::read_to_string(catalog("aws-gpu.yaml")).unwrap()),
            ],
            args: &[
                "plan",
                "--nodes",
                "DIR/nodes.json",
                "--pods",
                "DIR/pods.json",
                "--pools",
                "DIR/pools.yaml",
                "--catalog",
                "DIR/aws.yaml",
            ],
            code: 2,
            says: &[
                "pools.yaml",
                "pools[0].instance_types[0]",
                "`ecs.gn7i-c8g1.2xlarge` is not in the catalog",
                "it has: g4dn.12xlarge",
            ],
        },
        // plan --catalog.
        plan_catalog(
            "a --catalog vcpu `four`",
            CATALOG.replace("vcpu: 4", "vcpu: four"),
            &["c.yaml", "line 5, column 22", "instance_types[0].vcpu", "found `four`"],
        ),
        plan_catalog(
            "a --catalog memory `12Zi`",
            CATALOG.replace("memory: 16Gi", "memory: 12Zi"),
            &["c.yaml", "instance_types[0].memory", "`12Zi` has an unknown suffix"],
        ),
        plan_catalog(
            "a --catalog with a negative price",
            CATALOG.replace("on_demand: 0.5", "on_demand: -0.5"),
            &["c.yaml", "instance_types[0].offerings[0].on_demand", "-0.5; expected a price in USD/h"],
        ),
        plan_catalog(
            "a --catalog type of 9999 GPUs",
            CATALOG.replace("gpus: 1", "gpus: 9999"),
            &["c.yaml", "instance_types[0].gpus", "9999; expected at most 256"],
        ),
        plan_catalog(
            "a YAML syntax error in a --catalog",
            CATALOG.to_string() + "  - {name: [\n",
            &["c.yaml", "line 6, column 12", "YAML syntax: unclosed bracket"],
        ),
    ]
}
