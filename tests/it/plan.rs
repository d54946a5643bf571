//! `fleetsim plan` on kubectl-style dumps: one test per decision kind, the JSON document's shape,
//! and bad dumps.

use crate::common::{fleetsim, root, tmp};
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
    // Fits nowhere: the trainers ask for their NodePool's nodes, of which the cluster has none;
    // the llama replica (40 CPUs) finds 39.81 left on the G5 node it may use after chat-1.
    let u = &p["unschedulable"][0];
    assert_eq!(u["pod"], "ml-training/trainer-0");
    assert!(u["reason"].as_str().unwrap().contains("3 nodeSelector karpenter.sh/nodepool=gpu-training"), "{u}");
    let llama = p["unschedulable"].as_array().unwrap().iter().find(|u| u["pod"] == "ml-serving/llama-70b-0").unwrap();
    assert!(
        llama["reason"].as_str().unwrap().contains("2 insufficient cpu, 1 nodeSelector node-type=gpu-inference"),
        "{llama}"
    );
    // The 1-GPU node holds only a Succeeded pod: empty, a scale-down candidate.
    assert_eq!(
        p["scale_down_candidates"],
        json!([{"node": "ip-10-0-1-12.ec2.internal", "pods": 0, "reason": "empty", "nodepool": null, "drift": null}])
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
    assert!(err.contains("--pods-on-missing-nodes"), "the option that allows it: {err}");
    // With it: a warning once, the pod out of view, the plan made.
    let (code, out, err) = fleetsim(&[
        "plan",
        "--nodes",
        ex.join("nodes.json").to_str().unwrap(),
        "--pods",
        pf.to_str().unwrap(),
        "--pods-on-missing-nodes",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.lines().filter(|l| l.contains("x/p")).count(), 1, "{err}");
    assert!(err.contains("1 pod is bound to nodes the node dump does not hold (x/p)"), "{err}");
    assert!(
        out.starts_with("3 nodes (0 cordoned), 0 bound pods, 0 pending pods, 1 pod on nodes out of view;"),
        "{out}"
    );
    // The JSON plan lists them, so a script sees what the plan did not look at.
    let (code, out, err) = fleetsim(&[
        "plan",
        "--nodes",
        ex.join("nodes.json").to_str().unwrap(),
        "--pods",
        pf.to_str().unwrap(),
        "--pods-on-missing-nodes",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["pods_on_nodes_out_of_view"], serde_json::json!(["x/p"]), "{out}");
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "not json").unwrap();
    let (code, _, err) = fleetsim(&["plan", "--nodes", junk.to_str().unwrap(), "--pods", pf.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not JSON"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

fn plan_pools_json(nodes: &str, pods: &str, pools: &str) -> Value {
    let (code, out, err) = fleetsim(&["plan", "--nodes", nodes, "--pods", pods, "--pools", pools, "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn with_nodepools_the_example_launches_within_limits_and_says_why_not() {
    let ex = root().join("examples/plan");
    let p = plan_pools_json(
        ex.join("nodes.json").to_str().unwrap(),
        ex.join("pods.json").to_str().unwrap(),
        ex.join("nodepools.yaml").to_str().unwrap(),
    );
    // The batch in Karpenter's queue order, CPU then memory requested, descending
    // (kubernetes-sigs/karpenter pkg/controllers/provisioning/scheduling/queue.go at 22664681):
    // llama-70b-0 (40 CPUs, 4 GPUs, node-type=gpu-inference), trainer-0 and trainer-1 (16 CPUs,
    // 8 GPUs, nodeSelector karpenter.sh/nodepool=gpu-training), h200-probe.
    // - llama-70b-0: gpu-inference already has 4 + 1 GPUs (its two nodes); a claim reserves
    //   g5.48xlarge (8 GPUs, 13 <= 16) and launches the cheapest G5 holding 4 GPUs and 40 CPUs
    //   in the pool's zones: g5.12xlarge on-demand, $5.672/h (47.81 CPUs allocatable after
    //   kube-reserved).
    // - trainer-0 opens a gpu-training claim: the pool allows spot, so a spot claim, sized as its
    //   largest type (8 GPUs), which uses the pool's whole `nvidia.com/gpu: 8` limit. Its launch is
    //   the cheapest spot offering that fits in the default catalog (the full us-east-1 one, spot
    //   at the Spot Advisor's saving): p4d.24xlarge at (1 - 0.67) x $21.958 = $7.24602/h against
    //   p5's (1 - 0.52) x $55.04; the zones tie on price and us-east-1a sorts first.
    // - trainer-1 fits neither the claim (full) nor a new one (limit): at its limits.
    // - h200-probe asks for a GPU no offering has: incompatible with every NodePool.
    assert_eq!(
        p["launches"],
        json!([
            {"scaler": "karpenter", "nodepool": "gpu-inference", "instance_type": "g5.12xlarge", "capacity_type": "on-demand",
             "zone": "us-east-1a", "hourly_cost_usd": 5.672, "pods": ["ml-serving/llama-70b-0"]},
            {"scaler": "karpenter", "nodepool": "gpu-training", "instance_type": "p4d.24xlarge", "capacity_type": "spot",
             "zone": "us-east-1a", "hourly_cost_usd": 7.24602, "pods": ["ml-training/trainer-0"]}
        ])
    );
    let un = p["unschedulable"].as_array().unwrap();
    let why = |pod: &str| un.iter().find(|u| u["pod"] == pod).map(|u| u["reason"].as_str().unwrap().to_string());
    assert!(why("ml-training/trainer-1").unwrap().ends_with("every NodePool that could run it is at its limits"));
    assert!(why("ml-research/h200-probe").unwrap().contains(
        "incompatible with every NodePool: gpu-inference: nodeSelector karpenter.k8s.aws/instance-gpu-name=h200"
    ));
    assert_eq!(un.len(), 2, "{p}");
    // The empty G5 node is consolidated by its NodePool's rules (budget 10 % of 2 nodes: 1).
    assert_eq!(
        p["scale_down_candidates"],
        json!([{"node": "ip-10-0-1-12.ec2.internal", "pods": 0, "reason": "empty", "nodepool": "gpu-inference", "drift": null}])
    );
}

/// Three Karpenter nodes of one pool holding one small pod each, and the pool's manifest with
/// `policy` and `budget` (and `consolidateAfter`).
fn consolidation_case(dir: &std::path::Path, policy: &str, after: &str, budget: &str, protect: bool) -> Value {
    let node = |name: &str| {
        json!({"kind": "Node", "metadata": {"name": name, "labels": {"karpenter.sh/nodepool": "cpu",
              "node.kubernetes.io/instance-type": "g5.xlarge"}},
               "status": {"allocatable": {"cpu": "4", "memory": "16Gi"}}})
    };
    let pod = |name: &str, node: &str| {
        let mut p = json!({"kind": "Pod", "metadata": {"name": name, "namespace": "a"},
            "spec": {"nodeName": node, "containers": [{"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]},
            "status": {"phase": "Running"}});
        if protect && name == "p1" {
            p["metadata"]["annotations"] = json!({"karpenter.sh/do-not-disrupt": "true"});
        }
        p
    };
    let nodes = json!({"kind": "NodeList", "items": [node("n1"), node("n2"), node("n3")]});
    let pods = json!({"kind": "PodList", "items": [pod("p1", "n1"), pod("p2", "n2"), pod("p3", "n3")]});
    let pools = format!(
        "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {{name: cpu}}\nspec:\n  template:\n    spec:\n      \
         requirements: [{{key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge]}}]\n  \
         disruption:\n    consolidationPolicy: {policy}\n    consolidateAfter: {after}\n    budgets: [{{nodes: '{budget}'}}]\n"
    );
    let (nf, pf, yf) = (dir.join("nodes.json"), dir.join("pods.json"), dir.join("pools.yaml"));
    std::fs::write(&nf, nodes.to_string()).unwrap();
    std::fs::write(&pf, pods.to_string()).unwrap();
    std::fs::write(&yf, pools).unwrap();
    plan_pools_json(nf.to_str().unwrap(), pf.to_str().unwrap(), yf.to_str().unwrap())
}

fn candidates(p: &Value) -> Vec<String> {
    p["scale_down_candidates"].as_array().unwrap().iter().map(|c| c["node"].as_str().unwrap().to_string()).collect()
}

#[test]
fn karpenter_nodes_follow_their_nodepools_disruption_rules() {
    let dir = tmp("plan-rules");
    // Each node's pod fits on the others: under WhenEmptyOrUnderutilized and a 100 % budget all
    // three are candidates (each checked on its own).
    let all = consolidation_case(&dir, "WhenEmptyOrUnderutilized", "0s", "100%", false);
    assert_eq!(candidates(&all), ["n1", "n2", "n3"]);
    assert!(all["scale_down_candidates"].as_array().unwrap().iter().all(|c| c["nodepool"] == "cpu"));
    // A budget of 1 node: only the first.
    assert_eq!(candidates(&consolidation_case(&dir, "WhenEmptyOrUnderutilized", "0s", "1", false)), ["n1"]);
    // WhenEmpty: none of them is empty.
    assert!(candidates(&consolidation_case(&dir, "WhenEmpty", "0s", "100%", false)).is_empty());
    // consolidateAfter: Never disables consolidation.
    assert!(candidates(&consolidation_case(&dir, "WhenEmptyOrUnderutilized", "Never", "100%", false)).is_empty());
    // A do-not-disrupt pod protects its node.
    assert_eq!(candidates(&consolidation_case(&dir, "WhenEmptyOrUnderutilized", "0s", "100%", true)), ["n2", "n3"]);
}

#[test]
fn bad_nodepool_files_get_one_clear_error() {
    let dir = tmp("plan-bad-pools");
    let ex = root().join("examples/plan");
    let (n, p) = (ex.join("nodes.json"), ex.join("pods.json"));
    let run = |yaml: &str| {
        let f = dir.join("pools.yaml");
        std::fs::write(&f, yaml).unwrap();
        fleetsim(&[
            "plan",
            "--nodes",
            n.to_str().unwrap(),
            "--pods",
            p.to_str().unwrap(),
            "--pools",
            f.to_str().unwrap(),
        ])
    };
    let (code, _, err) = run(
        "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: x}\nspec:\n  limits: {nvidia.com/gpu: lots}\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("pools.yaml document 1") && err.contains("spec.limits"), "{err}");
    let (code, _, err) = run("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    assert_eq!(code, 2);
    assert!(err.contains("no NodePool in the file"), "{err}");
    let (code, _, err) = run("kind: NodePool\nspec: [unclosed\n");
    assert_eq!(code, 2);
    assert!(err.contains("pools.yaml"), "{err}");
    let (code, _, err) = fleetsim(&[
        "plan",
        "--nodes",
        n.to_str().unwrap(),
        "--pods",
        p.to_str().unwrap(),
        "--pools",
        ex.join("nodepools.yaml").to_str().unwrap(),
        "--catalog",
        dir.join("missing.yaml").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.yaml: cannot read"), "{err}");
}

/// Runs scenario `s` to its end, recording its state at `at`.
fn simulate_to(s: &fleetsim::scenario::Scenario, at: fleetsim::engine::SimTime) -> fleetsim::sim::RunResult {
    let opts = fleetsim::sim::RunOptions {
        end: s.end,
        sample_every: Some(s.sample_interval),
        events: true,
        departures: true,
        snapshot_at: Some(at),
        ..Default::default()
    };
    let streams = fleetsim::engine::RngStreams::new(s.seed);
    let a = s.autoscale.as_ref().unwrap();
    a.world(opts, &s.nodes, s.policy, &fleetsim::core::Workload::default(), &streams).unwrap().run(&[]).unwrap()
}

/// Fidelity: the simulator runs seed 003's weighted tiers to a state with live Karpenter nodes and
/// a new batch of pending pods; that state, exported as kubectl JSON and planned from with the same
/// NodePool manifests and catalog, gives the launches the simulator's Karpenter then makes.
#[test]
fn the_plan_for_a_simulated_state_is_what_the_simulators_karpenter_launches() {
    use fleetsim::engine::SimTime;
    let dir = tmp("plan-fidelity");
    let tiers = root().join("scenarios/karpenter/seed-003-tiers.yaml");
    let catalog = root().join("scenarios/catalogs/aws-gpu.yaml");
    // 12 one-GPU pods at t=0 (the g5 spot tier, limit 20 GPUs, takes them), then 36 more at 10 min:
    // the g5 tier has room for 8 more GPUs, the rest spill to the g4dn spot tier (limit 20) and the
    // g5 on-demand tier (limit 10). Five 2-GPU pods add a second shape, and a CPU-only pod that
    // tolerates nothing fits no tier (each taints its nodes nvidia.com/gpu).
    let scenario = format!(
        "name: fidelity\nseed: 7\ncatalog: {}\ncluster: {{}}\nworkload: {{}}\nplacement: {{policy: first-fit}}\n\
         nodepools: [{}]\n\
         timeline:\n\
         \x20 - at: 0s\n    apply: {{name: infer, replicas: 12, requests: {{cpu: '4', memory: 16Gi, nvidia.com/gpu: '1'}},\n\
         \x20     tolerations: [{{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}}]}}\n\
         \x20 - at: 10m\n    scale: {{deployment: infer, replicas: 40}}\n\
         \x20 - at: 10m\n    apply: {{name: big, replicas: 5, requests: {{cpu: '8', memory: 32Gi, nvidia.com/gpu: '2'}},\n\
         \x20     tolerations: [{{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}}]}}\n\
         \x20 - at: 10m\n    apply: {{name: web, replicas: 1, requests: {{cpu: '1', memory: 1Gi}}}}\n\
         simulation: {{end: 20m, sample_interval: 1m}}\n",
        catalog.display(),
        tiers.display()
    );
    let file = dir.join("fidelity.yaml");
    std::fs::write(&file, scenario).unwrap();
    let fleetsim::scenario::Loaded::Scenario(s) =
        fleetsim::scenario::load_file(&file).unwrap_or_else(|e| panic!("{e}"))
    else {
        panic!("not a scenario")
    };
    let at = SimTime::from_secs(600);
    let w = simulate_to(&s, at);
    let snap = w.snapshot.as_ref().unwrap();
    // The state is settled: nodes from the first batch have joined and none is on its way, and
    // the new pods wait (the plan does not see nodes that have not registered).
    assert!(!snap.cluster.nodes.is_empty() && snap.cluster.bound.len() == 12);
    assert_eq!(snap.cluster.pending.len(), 28 + 5 + 1);
    assert!(w.nodes.iter().all(|n| n.launched > at || n.ready.is_some_and(|r| r <= at)));
    // The simulator's decision: the nodes its provisioner launched for that batch.
    let batch_end = at.plus(SimTime::from_secs(10));
    let mut sim: Vec<(String, String, String, String)> = w
        .nodes
        .iter()
        .filter(|n| n.launched > at && n.launched <= batch_end)
        .map(|n| (n.pool.clone(), n.instance_type.clone(), n.capacity_type.clone(), n.zone.clone()))
        .collect();
    assert!(sim.len() >= 3, "the batch should spill over several tiers: {sim:?}");
    // The plan, from kubectl-style JSON of that state.
    let (nodes, pods) = fleetsim::k8s::to_kubectl(&snap.cluster, &snap.pending_created).unwrap();
    let (nf, pf) = (dir.join("nodes.json"), dir.join("pods.json"));
    std::fs::write(&nf, nodes.to_string()).unwrap();
    std::fs::write(&pf, pods.to_string()).unwrap();
    let (code, out, err) = fleetsim(&[
        "plan",
        "--nodes",
        nf.to_str().unwrap(),
        "--pods",
        pf.to_str().unwrap(),
        "--pools",
        tiers.to_str().unwrap(),
        "--catalog",
        catalog.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let p: Value = serde_json::from_str(&out).unwrap();
    assert!(p["placements"].as_array().unwrap().is_empty(), "the pending pods fit no live node: {p}");
    let mut plan: Vec<(String, String, String, String)> = p["launches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let f = |k: &str| l[k].as_str().unwrap().to_string();
            (f("nodepool"), f("instance_type"), f("capacity_type"), f("zone"))
        })
        .collect();
    sim.sort();
    plan.sort();
    assert_eq!(plan, sim, "plan vs simulator");
    // What neither launches: the pods over the tiers' limits and the CPU pod no tier admits.
    let launched_pods: usize =
        p["launches"].as_array().unwrap().iter().map(|l| l["pods"].as_array().unwrap().len()).sum();
    let unplaced = p["unschedulable"].as_array().unwrap();
    assert_eq!(launched_pods + unplaced.len(), 34);
    let web = unplaced.iter().find(|u| u["pod"].as_str().unwrap().starts_with("default/web")).expect("web pod");
    assert!(web["reason"].as_str().unwrap().contains("incompatible with every NodePool"), "{web}");
    // The simulator left the same number of pods waiting after its launches.
    let waiting = w.events.iter().filter(|e| e.kind == "FailedProvisioning").count();
    assert_eq!(waiting, 1, "the web pod, reported once as incompatible");
}

#[test]
fn with_ack_pools_the_example_launches_by_smart_hosting_and_the_expanders_pick() {
    let ex = root().join("examples/plan");
    let p = plan_pools_json(
        ex.join("ack-nodes.json").to_str().unwrap(),
        ex.join("ack-pods.json").to_str().unwrap(),
        ex.join("ack-pools.yaml").to_str().unwrap(),
    );
    // embed-batch-0 takes the idle GPU of the smart hosting pool's node; embed-batch-1 finds no
    // room there (one A10 each), so smart hosting launches one node of the pool's only type for
    // it, in its zone, at the catalog's $2.20/h.
    // The three waiting qwen3-8b replicas tolerate scaler=gpu and need gpu-spec=NVIDIA-A10: only
    // np-gpu-a10 admits them. Its two types each need three nodes (one A10 each): no idle GPU
    // either way (waste 0 ‰), so least-waste keeps the first option, the pool's first type
    // ($1.90/h a node; $5.70 against $6.60).
    let la = |scaler: &str, pool: &str, ty: &str, price: f64, pod: &str| {
        json!({"scaler": scaler, "nodepool": pool, "instance_type": ty, "capacity_type": "on-demand",
               "zone": "cn-shanghai-b", "hourly_cost_usd": price, "pods": [pod]})
    };
    let small = "ecs.gn7i-c8g1.2xlarge";
    assert_eq!(
        p["launches"],
        json!([
            la("smart-hosting", "np-batch-smart", "ecs.gn7i-c16g1.4xlarge", 2.2, "batch/embed-batch-1"),
            la("cluster-autoscaler", "np-gpu-a10", small, 1.9, "llm/qwen3-8b-7f6c9d-1"),
            la("cluster-autoscaler", "np-gpu-a10", small, 1.9, "llm/qwen3-8b-7f6c9d-2"),
            la("cluster-autoscaler", "np-gpu-a10", small, 1.9, "llm/qwen3-8b-7f6c9d-3"),
        ])
    );
    let opts = p["scale_up_options"].as_array().unwrap();
    let view: Vec<(String, u64, bool)> = opts
        .iter()
        .map(|o| (o["instance_type"].as_str().unwrap().into(), o["nodes"].as_u64().unwrap(), o["picked"] == true))
        .collect();
    assert_eq!(view, [(small.into(), 3, true), ("ecs.gn7i-c16g1.4xlarge".into(), 3, false)]);
    // The 2-GPU pod: no type of any pool has two GPUs; cluster-autoscaler's NotTriggerScaleUp
    // names each pool's reason.
    let un = p["unschedulable"].as_array().unwrap();
    assert_eq!(un.len(), 1, "{p}");
    assert_eq!(un[0]["pod"], "llm/qwen3-32b-tp2-0");
    assert!(un[0]["reason"].as_str().unwrap().ends_with(
        "pod didn't trigger scale-up: np-gpu-a10: insufficient nvidia.com/gpu; np-batch-smart: node affinity does not match"
    ));
    // The busy A10 node (1000 ‰ used) is no candidate; the system node outside any pool is.
    assert_eq!(candidates(&p), ["cn-shanghai.10.0.1.10"]);
}

/// Nodes of two ACK pools (`ca`: autoscaler, min `min`, threshold 0.5; `sh`: smart hosting),
/// with the pods named on each.
fn ack_case(dir: &std::path::Path, min: u32, pods_on: &[(&str, &str, &str)]) -> Value {
    let node = |name: &str, pool: &str| {
        json!({"kind": "Node", "metadata": {"name": name, "labels": {"alibabacloud.com/nodepool-id": pool}},
               "status": {"allocatable": {"cpu": "8", "memory": "30Gi"}}})
    };
    let pod = |name: &str, node: &str, cpu: &str| {
        json!({"kind": "Pod", "metadata": {"name": name, "namespace": "a",
                 "ownerReferences": [{"kind": "ReplicaSet", "name": "r", "controller": true}]},
            "spec": {"nodeName": node, "containers": [{"resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}]},
            "status": {"phase": "Running"}})
    };
    let nodes = json!({"kind": "NodeList", "items": [node("ca-1", "ca"), node("ca-2", "ca"), node("ca-3", "ca"),
                                                      node("sh-1", "sh"), node("sh-2", "sh")]});
    let pods: Vec<Value> = pods_on.iter().map(|(n, on, cpu)| pod(n, on, cpu)).collect();
    let pools = format!(
        "catalog: {}\npools:\n\
         \x20 - {{name: ca, mode: autoscaler, instance_types: [ecs.gn7i-c8g1.2xlarge], min: {min}, max: 5}}\n\
         \x20 - {{name: sh, mode: smart-hosting, instance_types: [ecs.gn7i-c8g1.2xlarge], max: 5}}\n",
        root().join("scenarios/catalogs/alibaba-a10.yaml").display()
    );
    let (nf, pf, yf) = (dir.join("nodes.json"), dir.join("pods.json"), dir.join("pools.yaml"));
    std::fs::write(&nf, nodes.to_string()).unwrap();
    std::fs::write(&pf, json!({"kind": "PodList", "items": pods}).to_string()).unwrap();
    std::fs::write(&yf, pools).unwrap();
    plan_pools_json(nf.to_str().unwrap(), pf.to_str().unwrap(), yf.to_str().unwrap())
}

#[test]
fn ack_nodes_follow_their_pools_scale_down_rules() {
    let dir = tmp("plan-ack-rules");
    // ca-1 runs 6 of its 8 cores (750 ‰, above the 0.5 threshold): kept. ca-2 runs 1 core (125 ‰)
    // and its pod fits elsewhere: a candidate. ca-3 is empty: a candidate. sh-1 runs a pod that
    // fits elsewhere, but smart hosting releases idle nodes only; sh-2 is idle: a candidate.
    let pods = [("busy", "ca-1", "6"), ("light", "ca-2", "1"), ("batch", "sh-1", "1")];
    let p = ack_case(&dir, 0, &pods);
    assert_eq!(candidates(&p), ["ca-2", "ca-3", "sh-2"]);
    let pools: Vec<&str> =
        p["scale_down_candidates"].as_array().unwrap().iter().map(|c| c["nodepool"].as_str().unwrap()).collect();
    assert_eq!(pools, ["ca", "ca", "sh"]);
    // With min 2 the pool keeps two of its three nodes: one candidate from it.
    assert_eq!(candidates(&ack_case(&dir, 2, &pods)), ["ca-2", "sh-2"]);
    // With min 3, none.
    assert_eq!(candidates(&ack_case(&dir, 3, &pods)), ["sh-2"]);
}

#[test]
fn bad_ack_pool_files_get_one_clear_error() {
    let dir = tmp("plan-ack-bad");
    let ex = root().join("examples/plan");
    let cat = root().join("scenarios/catalogs/alibaba-a10.yaml");
    let case = |yaml: String| {
        let f = dir.join("pools.yaml");
        std::fs::write(&f, yaml).unwrap();
        let nodes = ex.join("ack-nodes.json");
        let pods = ex.join("ack-pods.json");
        let (code, _, err) = fleetsim(&[
            "plan",
            "--nodes",
            nodes.to_str().unwrap(),
            "--pods",
            pods.to_str().unwrap(),
            "--pools",
            f.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        err
    };
    let pool = "pools: [{name: a, instance_types: [ecs.gn7i-c8g1.2xlarge], max: 3}]";
    let err = case(pool.to_string());
    assert!(err.contains("catalog") && err.contains("--catalog"), "{err}");
    let err = case(format!("catalog: {}\npools: [{{name: a, instance_types: [ecs.nope], max: 3}}]", cat.display()));
    assert!(err.contains("pools[0].instance_types[0]") && err.contains("`ecs.nope` is not in the catalog"), "{err}");
    let err = case(format!("catalog: {}\n{pool}\nscaler: {{expander: cheapest}}", cat.display()));
    assert!(err.contains("scaler.expander") && err.contains("least-waste"), "{err}");
    let err = case(format!("catalog: {}\n{pool}\nnodes: 3", cat.display()));
    assert!(err.contains("unknown field `nodes`"), "{err}");
    let err =
        case(format!("catalog: {}\n{pool}\n---\n{}", cat.display(), "apiVersion: karpenter.sh/v1\nkind: NodePool"));
    assert!(err.contains("one node autoscaler"), "{err}");
}

/// Fidelity for ACK pools: the simulator runs two cluster-autoscaler pools (price expander) and a
/// smart hosting pool to a settled state with new pods pending; the plan from that state, with the
/// same pools, launches what the simulator's next scan launches.
#[test]
fn the_plan_for_a_simulated_state_is_what_the_simulators_pool_autoscaler_launches() {
    use fleetsim::engine::SimTime;
    let dir = tmp("plan-fidelity-ack");
    let catalog = root().join("scenarios/catalogs/alibaba-a10.yaml");
    // One replica at t=0: both GPU pools could take it; price picks a10-small ($1.90 against
    // $2.20). At 605 s (between two 10 s scans) the Deployment grows to 6: a10-small has room for
    // 2 more nodes ($3.80), a10-large would add 5 ($11.00); price picks a10-small, and 3 replicas
    // wait for the next loop. Two batch pods select the smart hosting pool (tainted for them
    // alone): one node each. The pools admit disjoint pods, so the order of pods created in the
    // same second (the plan's ties go by name) does not matter.
    let pools = format!(
        "catalog: {}\npools:\n\
         \x20 - {{name: a10-small, instance_types: [ecs.gn7i-c8g1.2xlarge], zones: [cn-shanghai-b], max: 3,\n\
         \x20    taints: ['scaler=gpu:NoSchedule']}}\n\
         \x20 - {{name: a10-large, instance_types: [ecs.gn7i-c16g1.4xlarge], zones: [cn-shanghai-b], max: 10,\n\
         \x20    taints: ['scaler=gpu:NoSchedule']}}\n\
         \x20 - {{name: batch, mode: smart-hosting, instance_types: [ecs.gn7i-c16g1.4xlarge], zones: [cn-shanghai-b],\n\
         \x20    max: 5, labels: {{workload: batch}}, taints: ['workload=batch:NoSchedule']}}\n\
         scaler: {{expander: price}}\n",
        catalog.display()
    );
    let gpu = "requests: {cpu: '4', memory: 16Gi, nvidia.com/gpu: '1'}";
    let scenario = format!(
        "name: fidelity-ack\nseed: 3\ncluster: {{}}\nworkload: {{}}\nplacement: {{policy: first-fit}}\n{pools}\
         timeline:\n\
         \x20 - at: 0s\n    apply: {{name: infer, replicas: 1, {gpu},\n\
         \x20     tolerations: [{{key: scaler, operator: Equal, value: gpu, effect: NoSchedule}}]}}\n\
         \x20 - at: 605s\n    scale: {{deployment: infer, replicas: 6}}\n\
         \x20 - at: 605s\n    apply: {{name: embed, replicas: 2, {gpu}, nodeSelector: {{workload: batch}},\n\
         \x20     tolerations: [{{key: workload, operator: Exists, effect: NoSchedule}}]}}\n\
         simulation: {{end: 15m, sample_interval: 1m}}\n"
    );
    let file = dir.join("fidelity.yaml");
    std::fs::write(&file, &scenario).unwrap();
    let fleetsim::scenario::Loaded::Scenario(s) =
        fleetsim::scenario::load_file(&file).unwrap_or_else(|e| panic!("{e}"))
    else {
        panic!("not a scenario")
    };
    let at = SimTime::from_secs(605);
    let w = simulate_to(&s, at);
    let snap = w.snapshot.as_ref().unwrap();
    assert_eq!((snap.cluster.nodes.len(), snap.cluster.bound.len(), snap.cluster.pending.len()), (1, 1, 7));
    assert!(w.nodes.iter().all(|n| n.launched > at || n.ready.is_some_and(|r| r <= at)));
    // The simulator's next scan (610 s).
    let scan = SimTime::from_secs(610);
    let mut sim: Vec<(String, String, String)> = w
        .nodes
        .iter()
        .filter(|n| n.launched == scan)
        .map(|n| (n.pool.clone(), n.instance_type.clone(), n.zone.clone()))
        .collect();
    let (nodes, pods) = fleetsim::k8s::to_kubectl(&snap.cluster, &snap.pending_created).unwrap();
    let (nf, pf, yf) = (dir.join("nodes.json"), dir.join("pods.json"), dir.join("pools.yaml"));
    std::fs::write(&nf, nodes.to_string()).unwrap();
    std::fs::write(&pf, pods.to_string()).unwrap();
    std::fs::write(&yf, &pools).unwrap();
    let p = plan_pools_json(nf.to_str().unwrap(), pf.to_str().unwrap(), yf.to_str().unwrap());
    let mut plan: Vec<(String, String, String)> = p["launches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let f = |k: &str| l[k].as_str().unwrap().to_string();
            (f("nodepool"), f("instance_type"), f("zone"))
        })
        .collect();
    sim.sort();
    plan.sort();
    let small = ("a10-small".to_string(), "ecs.gn7i-c8g1.2xlarge".to_string(), "cn-shanghai-b".to_string());
    let batch = ("batch".to_string(), "ecs.gn7i-c16g1.4xlarge".to_string(), "cn-shanghai-b".to_string());
    assert_eq!(sim, [small.clone(), small, batch.clone(), batch], "the simulator's scan");
    assert_eq!(plan, sim, "plan vs simulator");
    let waits: Vec<&Value> = p["unschedulable"].as_array().unwrap().iter().collect();
    assert_eq!(waits.len(), 3, "{p}");
    assert!(waits
        .iter()
        .all(|u| u["reason"].as_str().unwrap().ends_with("next loop (it scales one node pool per loop)")));
}

#[test]
fn plan_reads_a_dump_from_standard_input() {
    // `kubectl get nodes -o json | fleetsim plan --nodes - --pods pods.json`: the same plan as
    // from the files; both on standard input is refused with a clear error.
    use std::io::Write;
    let ex = |f: &str| crate::common::root().join("examples/plan").join(f).to_str().unwrap().to_string();
    let args = |nodes: &str| {
        vec![
            "plan".to_string(),
            "--nodes".into(),
            nodes.to_string(),
            "--pods".into(),
            ex("pods.json"),
            "--pools".into(),
            ex("nodepools.yaml"),
            "--output".into(),
            "json".into(),
        ]
    };
    let (code, from_file, err) =
        crate::common::fleetsim(&args(&ex("nodes.json")).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{err}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(args("-"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&std::fs::read(ex("nodes.json")).unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), from_file);
    let (code, _, err) = crate::common::fleetsim(&["plan", "--nodes", "-", "--pods", "-"]);
    assert_eq!(code, 2);
    assert!(err.contains("standard input holds one dump"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn nodepools_as_platform_teams_write_them_plan_on_the_default_catalog() {
    // The kinds of NodePool Karpenter's own examples hold (a general-purpose CPU pool by
    // category and generation, an arm64 pool by hypervisor and CPU manufacturer, a spot pool
    // with minValues on the family, a large-instance pool by Gt on CPU and memory) next to a GPU
    // pool tainted `nvidia.com/gpu`, planned on the shipped full us-east-1 catalog: each pod gets
    // a launch from the pool its selector names, at the cheapest type the pool allows.
    let dir = tmp("plan-user-pools");
    let pool = |name: &str, reqs: &str, extra: &str| {
        format!(
            "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {{name: {name}}}\nspec:\n  template:\n    metadata: {{labels: {{team-pool: {name}}}}}\n    spec:\n{extra}      requirements:\n{reqs}"
        )
    };
    let r = |k: &str, op: &str, v: &str| format!("        - {{key: {k}, operator: {op}, values: [{v}]}}\n");
    let pools = [
        pool(
            "general",
            &(r("karpenter.k8s.aws/instance-category", "In", "c, m, r")
                + &r("karpenter.k8s.aws/instance-generation", "Gt", "'2'")
                + &r("kubernetes.io/arch", "In", "amd64")),
            "",
        ),
        pool(
            "graviton",
            &(r("kubernetes.io/arch", "In", "arm64")
                + &r("karpenter.k8s.aws/instance-hypervisor", "In", "nitro")
                + &r("karpenter.k8s.aws/instance-cpu-manufacturer", "In", "aws")),
            "",
        ),
        pool(
            "spot",
            &(r("karpenter.sh/capacity-type", "In", "spot")
                + &r("kubernetes.io/arch", "In", "amd64")
                + "        - {key: karpenter.k8s.aws/instance-family, operator: Exists, minValues: 5}\n"),
            "",
        ),
        pool(
            "large",
            &(r("karpenter.k8s.aws/instance-cpu", "Gt", "'31'")
                + &r("karpenter.k8s.aws/instance-memory", "Gt", "'131071'")),
            "",
        ),
        pool(
            "gpu",
            &(r("karpenter.k8s.aws/instance-gpu-name", "In", "l4, a10g")
                + &r("karpenter.sh/capacity-type", "In", "on-demand")),
            "      taints: [{key: nvidia.com/gpu, value: 'true', effect: NoSchedule}]\n",
        ),
    ]
    .join("---\n");
    std::fs::write(dir.join("pools.yaml"), pools).unwrap();
    std::fs::write(dir.join("nodes.json"), r#"{"apiVersion":"v1","kind":"List","items":[]}"#).unwrap();
    let pod = |name: &str, pool: &str, req: &str, tolerate: bool| {
        let tol = if tolerate {
            r#","tolerations":[{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}]"#
        } else {
            ""
        };
        format!(
            r#"{{"metadata":{{"name":"{name}","namespace":"default"}},"spec":{{"nodeSelector":{{"team-pool":"{pool}"}}{tol},"containers":[{{"name":"c","resources":{{"requests":{req}}}}}]}},"status":{{"phase":"Pending"}}}}"#
        )
    };
    let pods = [
        pod("web", "general", r#"{"cpu":"1","memory":"2Gi"}"#, false),
        pod("arm", "graviton", r#"{"cpu":"1","memory":"2Gi"}"#, false),
        pod("batch", "spot", r#"{"cpu":"1","memory":"2Gi"}"#, false),
        pod("db", "large", r#"{"cpu":"4","memory":"8Gi"}"#, false),
        pod("llm", "gpu", r#"{"cpu":"4","memory":"16Gi","nvidia.com/gpu":"1"}"#, true),
    ];
    std::fs::write(
        dir.join("pods.json"),
        format!(r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#, pods.join(",")),
    )
    .unwrap();
    let p = plan_pools_json(
        dir.join("nodes.json").to_str().unwrap(),
        dir.join("pods.json").to_str().unwrap(),
        dir.join("pools.yaml").to_str().unwrap(),
    );
    let launches: Vec<(String, String, String)> = p["launches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["nodepool"].as_str().unwrap().to_string(),
                l["instance_type"].as_str().unwrap().to_string(),
                l["capacity_type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(p["unschedulable"], json!([]), "{p}");
    assert_eq!(launches.len(), 5, "{launches:?}");
    let of =
        |pool: &str| launches.iter().find(|l| l.0 == pool).cloned().unwrap_or_else(|| panic!("{pool}: {launches:?}"));
    let family = |t: &str| t.split('.').next().unwrap().to_string();
    let (_, web, cap) = of("general");
    assert!(["c", "m", "r"].iter().any(|c| web.starts_with(c)) && cap == "on-demand", "{web}");
    let (_, arm, _) = of("graviton");
    assert!(family(&arm).contains('g'), "an AWS Graviton type: {arm}");
    assert_eq!(of("spot").2, "spot");
    let (_, db, _) = of("large");
    assert!(!db.ends_with(".large") && !db.ends_with(".xlarge"), "32+ CPUs and 128+ GiB: {db}");
    let (_, llm, _) = of("gpu");
    assert!(llm.starts_with("g6.") || llm.starts_with("g5."), "an L4 or A10G type: {llm}");
}
