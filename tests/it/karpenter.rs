//! Karpenter-style NodePools (issue #4): the seed 003 strategies as scenarios, and the behaviours
//! the Karpenter docs state, checked from the output files of the binary.

use crate::common::{csv, fleetsim, num, root, run, tmp};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

type Row = BTreeMap<String, String>;

/// Writes a scenario with one NodePool (`pool`, YAML indented as a list item body) and the given
/// extra top-level YAML into `dir`.
fn scenario(dir: &Path, name: &str, pool: &str, extra: &str) -> PathBuf {
    let catalog = root().join("scenarios/catalogs/aws-gpu.yaml");
    let workload = if extra.contains("workload:") { "" } else { "workload: {}\n" };
    let text = format!(
        "name: {name}\nseed: 7\ncatalog: {}\ncluster: {{}}\n{workload}placement: {{policy: best-fit}}\nnodepools:\n  - apiVersion: karpenter.sh/v1\n    kind: NodePool\n    metadata: {{name: gpu}}\n{pool}\n{extra}",
        catalog.display()
    );
    let f = dir.join(format!("{name}.yaml"));
    std::fs::write(&f, text).unwrap();
    f
}

/// A pool of A10G types (`g5.xlarge`, `g5.12xlarge`), on-demand, with the given disruption block.
fn a10g_pool(disruption: &str) -> String {
    format!(
        "    spec:\n      template:\n        spec:\n          requirements:\n            - {{key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge, g5.12xlarge]}}\n      disruption:\n{disruption}"
    )
}

/// A Deployment of `n` one-GPU replicas at t=0, scaled to `m` at `at`.
fn deployment(n: u32, m: u32, at: &str, annotations: &str) -> String {
    format!(
        "timeline:\n  - at: 0s\n    apply:\n      name: infer\n      replicas: {n}\n      requests: {{cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}}\n      annotations: {{{annotations}}}\n  - at: {at}\n    scale: {{deployment: infer, replicas: {m}}}\n"
    )
}

fn live_at(nodes: &[Row], t: f64) -> Vec<&Row> {
    nodes
        .iter()
        .filter(|n| num(n, "launched_s") <= t && (n["terminated_s"].is_empty() || num(n, "terminated_s") > t))
        .collect()
}

#[test]
fn seed_003_tiers_fill_in_weight_order_up_to_their_limits() {
    let out = run(&root().join("scenarios/seeds/003-karpenter-weighted-tiers.yaml"), "003-tiers");
    let nodes = csv(&out, "nodes.csv");
    let mut gpus: BTreeMap<String, (f64, String)> = BTreeMap::new();
    for n in &nodes {
        let e = gpus.entry(n["pool"].clone()).or_insert((0.0, n["capacity_type"].clone()));
        e.0 += num(n, "gpus");
        assert_eq!(e.1, n["capacity_type"], "one capacity type per tier");
    }
    assert_eq!(gpus["gpu-tier1-g5-spot"], (20.0, "spot".to_string()));
    assert_eq!(gpus["gpu-tier2-g4dn-spot"], (20.0, "spot".to_string()));
    assert_eq!(gpus["gpu-tier3-g5-ondemand"], (10.0, "on-demand".to_string()));
    for n in &nodes {
        let ty = &n["instance_type"];
        let want = if n["pool"].contains("g4dn") { "g4dn." } else { "g5." };
        assert!(ty.starts_with(want), "{} launched {ty}", n["pool"]);
    }
    let pods = csv(&out, "pods.csv");
    assert_eq!(pods.len(), 50);
    assert!(pods.iter().all(|p| p["outcome"] == "running"), "every replica runs");
    // The tiers are tried in weight order: launches of tier 1 come before tier 2, before tier 3.
    let ev = csv(&out, "events.csv");
    let launches: Vec<&str> = ev.iter().filter(|e| e["reason"] == "Launched").map(|e| e["object"].as_str()).collect();
    let tier = |o: &str| {
        if o.contains("tier1") {
            1
        } else if o.contains("tier2") {
            2
        } else {
            3
        }
    };
    assert!(launches.windows(2).all(|w| tier(w[0]) <= tier(w[1])), "{launches:?}");
    // The manifests' nodeClassRef is read (the EC2NodeClass it names is not in these
    // manifests, so the provider's default kubelet settings apply), not reported as ignored.
    let (code, _, err) =
        fleetsim(&["validate", root().join("scenarios/seeds/003-karpenter-weighted-tiers.yaml").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!err.contains("nodeClassRef"), "{err}");
}

#[test]
fn underutilized_node_is_replaced_by_a_cheaper_one_unless_a_pod_says_do_not_disrupt() {
    let dir = tmp("kp-consolidate");
    let pool = a10g_pool("        consolidationPolicy: WhenEmptyOrUnderutilized\n        consolidateAfter: 1m\n");
    let sim = "simulation: {end: 2h, sample_interval: 1m}\n";
    // Two replicas share one g5.12xlarge (the cheapest type for both); at 30 min one is left.
    let plain = scenario(&dir, "plain", &pool, &format!("{}{sim}", deployment(2, 1, "30m", "")));
    let out = run(&plain, "kp-consolidate-plain");
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes[0]["instance_type"], "g5.12xlarge", "{nodes:?}");
    let at_20m = live_at(&nodes, 20.0 * 60.0);
    assert_eq!(at_20m.len(), 1);
    let at_end: Vec<&Row> = nodes.iter().filter(|n| n["terminated_s"].is_empty()).collect();
    assert_eq!(at_end.len(), 1);
    assert_eq!(at_end[0]["instance_type"], "g5.xlarge", "replaced by the cheaper single-GPU type");
    let old = &nodes[0];
    assert!(old["termination_reason"].contains("Underutilized"), "{old:?}");
    // Not before consolidateAfter (1 min) after the scale-in, and only once the replacement is up.
    let replacement_ready = num(at_end[0], "ready_s");
    assert!(num(old, "terminated_s") >= replacement_ready && replacement_ready > 31.0 * 60.0);
    let s = &csv(&out, "summary.csv")[0];
    assert_eq!(num(s, "disruptions_underutilized"), 1.0);
    assert_eq!(num(s, "pods_disrupted"), 1.0, "the remaining replica moved");

    // The same with the pods annotated karpenter.sh/do-not-disrupt: the big node stays.
    let dnd = scenario(
        &dir,
        "dnd",
        &pool,
        &format!("{}{sim}", deployment(2, 1, "30m", "karpenter.sh/do-not-disrupt: 'true'")),
    );
    let out = run(&dnd, "kp-consolidate-dnd");
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    assert!(nodes[0]["terminated_s"].is_empty());
    assert_eq!(num(&csv(&out, "summary.csv")[0], "disruptions"), 0.0);

    // WhenEmpty leaves the underutilized node alone, and removes it once empty after consolidateAfter.
    let pool = a10g_pool("        consolidationPolicy: WhenEmpty\n        consolidateAfter: 5m\n");
    let when_empty = scenario(
        &dir,
        "empty",
        &pool,
        &format!("{}  - at: 60m\n    scale: {{deployment: infer, replicas: 0}}\n{sim}", deployment(2, 1, "30m", "")),
    );
    let out = run(&when_empty, "kp-consolidate-empty");
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes.len(), 1, "no replacement under WhenEmpty: {nodes:?}");
    let gone = num(&nodes[0], "terminated_s");
    // The last pod leaves at 60 min + its 30 s grace; the node goes 5 min later (next poll).
    assert!((65.5 * 60.0..=65.5 * 60.0 + 10.0).contains(&gone), "terminated at {gone}");
    assert!(nodes[0]["termination_reason"].contains("Empty"));
}

#[test]
fn a_pod_disruption_budget_holds_consolidation_while_it_allows_no_eviction() {
    let dir = tmp("kp-pdb");
    let pool = a10g_pool("        consolidationPolicy: WhenEmptyOrUnderutilized\n        consolidateAfter: 1m\n");
    let run_with = |min_available: &str, name: &str| {
        let timeline = deployment(2, 1, "30m", "")
            .replace("      annotations: {}\n", "      annotations: {}\n      labels: {app: infer}\n");
        let extra = format!(
            "{timeline}pod_disruption_budgets:\n  - apiVersion: policy/v1\n    kind: PodDisruptionBudget\n    metadata: {{name: infer-pdb, namespace: ml-serving}}\n    spec: {{minAvailable: {min_available}, selector: {{matchLabels: {{app: infer}}}}}}\nsimulation: {{end: 2h, sample_interval: 1m}}\n"
        );
        let f = scenario(&dir, name, &pool, &extra);
        let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        assert!(
            err.contains("infer-pdb") && err.contains("metadata.namespace"),
            "the namespace is reported as ignored: {err}"
        );
        csv(&run(&f, &format!("{name}-out")), "nodes.csv")
    };
    // minAvailable 1 with one replica left: no eviction allowed, the big node stays.
    let held = run_with("1", "held");
    assert_eq!(held.len(), 1, "{held:?}");
    // minAvailable 0: the replica may move, and the node is replaced by a cheaper one.
    let free = run_with("0", "free");
    assert_eq!(free.len(), 2, "{free:?}");
    assert_eq!(free[1]["instance_type"], "g5.xlarge");
}

#[test]
fn a_budget_of_zero_nodes_in_business_hours_blocks_consolidation_until_the_window_ends() {
    let dir = tmp("kp-budget");
    // Seed 003: `nodes: '0'` with schedule `0 9 * * MON-FRI`, duration 10h. Time 0 is Monday 08:00 UTC.
    let pool = a10g_pool(
        "        consolidationPolicy: WhenEmptyOrUnderutilized\n        consolidateAfter: 1m\n        budgets:\n          - nodes: '1'\n          - nodes: '0'\n            schedule: '0 9 * * MON-FRI'\n            duration: 10h\n",
    );
    let extra = format!(
        "{}simulation: {{end: 12h, sample_interval: 10m, start: '2026-01-05T08:00:00Z'}}\n",
        deployment(2, 1, "90m", "")
    );
    let out = run(&scenario(&dir, "budget", &pool, &extra), "kp-budget-out");
    let nodes = csv(&out, "nodes.csv");
    let first = &nodes[0];
    assert_eq!(first["instance_type"], "g5.12xlarge");
    let replacement_launch = num(&nodes[1], "launched_s");
    // The window covers 1h..11h of simulated time: nothing moves in it, the replacement comes right after.
    assert!((11.0 * 3600.0..11.0 * 3600.0 + 20.0).contains(&replacement_launch), "replacement at {replacement_launch}");
}

#[test]
fn spot_interruption_gives_notice_reclaims_the_node_and_the_job_loses_at_most_one_checkpoint() {
    let dir = tmp("kp-spot");
    let hist = dir.join("interruptions.csv");
    std::fs::write(&hist, "at,instance_type,zone,count\n50m,g5.xlarge,us-east-1a,1\n").unwrap();
    let pool = "    spec:\n      template:\n        spec:\n          requirements:\n            - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}\n            - {key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge]}\n";
    let extra = format!(
        "workload:\n  pods:\n    - {{name: train, at: 0s, duration: 3h, checkpoint_interval: 20m, requests: {{cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}}}}\nmarket:\n  interruptions_csv: {}\nsimulation: {{end: 5h, sample_interval: 1m}}\n",
        hist.display()
    );
    let out = run(&scenario(&dir, "spot", pool, &extra), "kp-spot-out");
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes.len(), 2, "the interrupted node and its successor: {nodes:?}");
    assert_eq!(nodes[0]["capacity_type"], "spot");
    assert_eq!(nodes[0]["termination_reason"], "spot interruption");
    let t = num(&nodes[0], "terminated_s");
    assert!((50.0 * 60.0..=52.0 * 60.0).contains(&t), "reclaimed within the 2-minute notice: {t}");
    let pods = csv(&out, "pods.csv");
    let first = pods.iter().find(|p| p["pod"] == "train-0").unwrap();
    let retry = pods.iter().find(|p| p["pod"] == "train-0-retry1").expect("the job comes back as a pending pod");
    assert_eq!(num(retry, "created_s"), 50.0 * 60.0);
    assert_eq!(retry["outcome"], "completed");
    let s = &csv(&out, "summary.csv")[0];
    assert_eq!(num(s, "spot_interruptions"), 1.0);
    assert_eq!(num(s, "pods_interrupted"), 1.0);
    // Ran from its start to 50 min: 20 and 40 min checkpoints saved, the last stretch lost.
    let ran_s = 50.0 * 60.0 - num(first, "running_s");
    let lost_h = num(s, "lost_gpu_hours");
    assert!(lost_h > 0.0 && lost_h <= 20.0 / 60.0, "lost {lost_h} h, at most one checkpoint interval");
    assert!((lost_h * 3600.0 - (ran_s % 1200.0)).abs() < 1.0, "lost {lost_h} h after running {ran_s} s");
    // The retry only runs what was not checkpointed: 3 h minus 40 min.
    let retry_run = num(retry, "finished_s") - num(retry, "running_s");
    assert!((retry_run - (3.0 * 3600.0 - 2400.0)).abs() < 1.0, "retry ran {retry_run} s");
}

#[test]
fn spot_price_history_changes_the_bill_of_running_nodes_and_the_choice_of_new_ones() {
    let dir = tmp("kp-price");
    let prices = dir.join("prices.csv");
    // g5.xlarge spot doubles at 1 h (0.302 -> 0.604 $/h): dearer than g5.2xlarge spot (0.364).
    std::fs::write(&prices, "at,instance_type,zone,price\n1h,g5.xlarge,us-east-1a,0.604\n").unwrap();
    let pool = "    spec:\n      template:\n        spec:\n          requirements:\n            - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}\n            - {key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge, g5.2xlarge]}\n            - {key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}\n      disruption: {consolidateAfter: Never}\n";
    let extra = format!(
        "workload:\n  pods:\n    - {{name: a, at: 0s, requests: {{cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}}}}\n    - {{name: b, at: 90m, requests: {{cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}}}}\nmarket:\n  interruption: none\n  spot_prices_csv: {}\nsimulation: {{end: 3h, sample_interval: 10m}}\n",
        prices.display()
    );
    let out = run(&scenario(&dir, "price", pool, &extra), "kp-price-out");
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    assert_eq!(nodes[0]["instance_type"], "g5.xlarge", "the cheapest spot offering at t=0");
    assert_eq!(nodes[1]["instance_type"], "g5.2xlarge", "after the change g5.2xlarge is cheaper");
    // Launched at 1 s: 3599 s at 0.302 $/h, then 2 h at 0.604 $/h.
    let want = 0.302 * 3599.0 / 3600.0 + 0.604 * 2.0;
    assert!((num(&nodes[0], "cost_usd") - want).abs() < 1e-5, "{} vs {want}", nodes[0]["cost_usd"]);
}

#[test]
fn capacity_errors_make_the_pool_fall_through_to_the_next_weight() {
    let dir = tmp("kp-ice");
    let tiers = root().join("scenarios/karpenter/seed-003-tiers.yaml");
    let catalog = root().join("scenarios/catalogs/aws-gpu.yaml");
    let stock: String = ["g5.xlarge", "g5.2xlarge", "g5.4xlarge", "g5.8xlarge", "g5.12xlarge", "g5.48xlarge"]
        .iter()
        .map(|t| format!("    {t}/spot: 0\n"))
        .collect();
    let text = format!(
        "name: ice\ncatalog: {}\ncluster: {{}}\nworkload: {{}}\nplacement: {{policy: best-fit}}\nnodepools: [{}]\nmarket:\n  stock:\n{stock}timeline:\n  - at: 0s\n    apply: {{name: a, replicas: 4, requests: {{cpu: '4', memory: 16Gi, nvidia.com/gpu: '1'}}, tolerations: [{{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}}]}}\nsimulation: {{end: 30m, sample_interval: 1m}}\n",
        catalog.display(),
        tiers.display()
    );
    let f = dir.join("ice.yaml");
    std::fs::write(&f, text).unwrap();
    let out = run(&f, "kp-ice-out");
    let nodes = csv(&out, "nodes.csv");
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|n| n["pool"] == "gpu-tier2-g4dn-spot"), "{nodes:?}");
    let ev = csv(&out, "events.csv");
    assert!(ev.iter().any(|e| e["reason"] == "InsufficientCapacityError"));
    assert!(csv(&out, "pods.csv").iter().all(|p| p["outcome"] == "running"));
}

#[test]
fn nodes_expire_after_expire_after_and_their_pods_move() {
    let dir = tmp("kp-expire");
    let pool = "    spec:\n      template:\n        spec:\n          expireAfter: 1h\n          requirements:\n            - {key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge]}\n      disruption: {consolidateAfter: Never}\n";
    let extra = format!("{}simulation: {{end: 150m, sample_interval: 1m}}\n", deployment(1, 1, "1m", ""));
    let out = run(&scenario(&dir, "expire", pool, &extra), "kp-expire-out");
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes.len(), 3, "launched at 0, replaced near 1 h and 2 h: {nodes:?}");
    let gone = num(&nodes[0], "terminated_s");
    // Launched at 1 s: expired at 3601 s, seen by the next 10 s poll, drained for the pod's 30 s grace.
    assert!((3601.0..=3601.0 + 10.0 + 30.0).contains(&gone), "expired at {gone}");
    assert_eq!(nodes[0]["termination_reason"], "expired (expireAfter)");
    assert_eq!(num(&csv(&out, "summary.csv")[0], "disruptions_expired"), 2.0);
}

#[test]
fn bad_nodepools_get_one_clear_error_naming_document_and_field() {
    let dir = tmp("kp-bad");
    let cases = [
        ("    spec: {weight: 0}\n", "spec.weight", "1..=100"),
        (
            "    spec:\n      template:\n        spec:\n          requirements: [{key: karpenter.k8s.aws/instance-gpu-name, operator: In, values: [tpu]}]\n",
            "spec.template.spec.requirements[0]",
            "`karpenter.k8s.aws/instance-gpu-name In [tpu]` excludes every one of the catalog's offerings",
        ),
        (
            "    spec:\n      disruption:\n        budgets: [{nodes: '0', schedule: '0 25 * * *', duration: 1h}]\n",
            "spec.disruption.budgets[0].schedule",
            "hour",
        ),
        ("    spec:\n      disruption: {consolidationPolicy: WhenUnderutilized}\n", "consolidationPolicy", "WhenEmpty"),
    ];
    for (i, (pool, field, want)) in cases.iter().enumerate() {
        let f = scenario(&dir, &format!("bad{i}"), pool, "simulation: {end: 1h}\n");
        let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(field) && err.contains(want) && err.contains("NodePool gpu"), "{err}");
        assert_eq!(err.lines().count(), 1, "one message: {err}");
    }
}

/// Rows of `file` for the run whose `variant` column is `v`.
fn of_variant(rows: &[Row], v: &str) -> Vec<Row> {
    rows.iter().filter(|r| r.get("variant").map(String::as_str) == Some(v)).cloned().collect()
}

#[test]
fn shipped_training_comparison_shows_what_the_guide_says_about_checkpoints_and_protection() {
    let out = run(&root().join("scenarios/seeds/003-karpenter-training.yaml"), "003-training");
    let s = csv(&out, "summary.csv");
    let fig = |v: &str, c: &str| num(&of_variant(&s, v)[0], c);
    // On-demand with do-not-disrupt and a zero budget: nothing interrupts or disrupts the jobs.
    assert_eq!(fig("on-demand-protected", "spot_interruptions"), 0.0);
    assert_eq!(fig("on-demand-protected", "pods_disrupted"), 0.0);
    assert_eq!(fig("on-demand-protected", "lost_gpu_hours"), 0.0);
    // On spot, each interruption loses at most one checkpoint interval of a 4-GPU job.
    for (v, interval_h) in [("spot-ckpt-30m", 0.5), ("spot-ckpt-2h", 2.0)] {
        let n = fig(v, "spot_interruptions");
        assert!(n > 0.0, "{v}: the history interrupts the spot nodes");
        let lost = fig(v, "lost_gpu_hours");
        assert!(lost > 0.0 && lost <= n * interval_h * 4.0 + 1e-9, "{v}: lost {lost} GPU-h in {n} interruptions");
    }
    // Longer intervals lose more; no checkpoint loses most; all spot variants cost less.
    assert!(fig("spot-ckpt-30m", "lost_gpu_hours") < fig("spot-ckpt-2h", "lost_gpu_hours"));
    assert!(fig("spot-ckpt-2h", "lost_gpu_hours") < fig("spot-no-ckpt", "lost_gpu_hours"));
    for v in ["spot-ckpt-30m", "spot-ckpt-2h", "spot-no-ckpt"] {
        assert!(fig(v, "cost_usd") < fig("on-demand-protected", "cost_usd"), "{v}");
        assert_eq!(fig(v, "pods_never_scheduled"), 0.0, "{v}: every job and retry ran");
    }
    // Each of the 8 jobs completes once (retries are their own pods), or is still running at the
    // end: without checkpoints a job interrupted late starts its 8 h over.
    let pods = csv(&out, "pods.csv");
    for v in ["on-demand-protected", "spot-ckpt-30m", "spot-ckpt-2h", "spot-no-ckpt"] {
        let rows = of_variant(&pods, v);
        let done = rows.iter().filter(|p| p["outcome"] == "completed").count();
        let running = rows.iter().filter(|p| p["outcome"] == "running").count();
        assert_eq!(done + running, 8, "{v}");
        if v != "spot-no-ckpt" {
            assert_eq!(done, 8, "{v}: checkpoints let every job finish within the 16 h");
        }
    }
}

#[test]
fn shipped_business_hours_freeze_disrupts_nothing_inside_its_windows() {
    let out = run(&root().join("scenarios/seeds/003-karpenter-business-hours-budget.yaml"), "003-freeze");
    let nodes = csv(&out, "nodes.csv");
    // Time 0 is Monday 00:00 UTC; the freeze covers 09:00-19:00 Monday to Friday.
    let frozen = |t: f64| {
        let day = (t / 86_400.0).floor();
        let h = (t - day * 86_400.0) / 3600.0;
        day < 5.0 && (9.0..19.0).contains(&h)
    };
    let disrupted = |v: &str| -> Vec<f64> {
        of_variant(&nodes, v)
            .iter()
            .filter(|n| n["termination_reason"].starts_with("consolidation"))
            .map(|n| num(n, "terminated_s"))
            .collect()
    };
    let free = disrupted("no-freeze");
    let held = disrupted("business-hours-freeze");
    assert!(free.iter().any(|&t| frozen(t)), "without the freeze, nodes go during working hours too");
    // A drain lasts at most the pods' 30 s grace: a node terminated at t began draining in
    // [t - 30 s, t], so a termination with both ends inside a window began inside it.
    let inside: Vec<&f64> = held.iter().filter(|&&t| frozen(t) && frozen(t - 30.0)).collect();
    assert!(inside.is_empty(), "disrupted inside the freeze: {inside:?}");
    let s = csv(&out, "summary.csv");
    let cost = |v: &str| num(&of_variant(&s, v)[0], "cost_usd");
    assert!(cost("business-hours-freeze") > cost("no-freeze"), "the freeze keeps empty nodes, at a price");
}

#[test]
fn shipped_spot_inference_comparison_runs_every_scaler_on_the_same_workload() {
    let out = run(&root().join("scenarios/seeds/003-karpenter-spot-inference.yaml"), "003-spot-inference");
    let s = csv(&out, "summary.csv");
    assert_eq!(s.len(), 20, "4 variants x 5 seeds");
    let mean = |v: &str, c: &str| {
        let rows = of_variant(&s, v);
        rows.iter().map(|r| num(r, c)).sum::<f64>() / rows.len() as f64
    };
    assert!(mean("spot-first", "cost_usd") < 0.5 * mean("on-demand", "cost_usd"));
    assert!((mean("spot-first", "savings_vs_on_demand_pct") - 70.0).abs() < 1.0, "spot at 30 % of on-demand");
    assert_eq!(mean("on-demand", "spot_interruptions"), 0.0);
    for v in ["spot-first", "on-demand", "pool-autoscaler", "smart-hosting"] {
        assert_eq!(mean(v, "pods_never_scheduled"), 0.0, "{v}");
        assert!(mean(v, "pending_p95_s") < 200.0, "{v}: replicas wait for a node's start-up only");
    }
}

#[test]
fn every_manifest_of_seed_003_loads_as_written_and_what_is_not_modelled_is_listed() {
    let dir = tmp("kp-seed-manifests");
    let f = dir.join("all.yaml");
    std::fs::write(
        &f,
        format!(
            "name: seed-003-manifests\ncatalog: {}\ncluster: {{}}\nworkload: {{}}\nplacement: {{policy: best-fit}}\nnodepools:\n  - {}\n  - {}\nsimulation: {{end: 1h}}\n",
            root().join("tests/fixtures/catalog-seed-003.yaml").display(),
            root().join("scenarios/karpenter/seed-003-nodepools.yaml").display(),
            root().join("scenarios/karpenter/seed-003-tiers.yaml").display(),
        ),
    )
    .unwrap();
    let (code, out, err) = fleetsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // Ten NodePools (seven in the guide's sections 2-8, three tiers), each with its nodeClassRef
    // read: the one naming an EC2NodeClass the manifests lack is said so.
    assert!(out.contains("10 NodePools ("), "{out}");
    assert!(!err.contains("ignored: spec.template.spec.nodeClassRef"), "{err}");
    assert!(
        err.contains("NodePool multi-arch: spec.template.spec.nodeClassRef.name `default` names no EC2NodeClass"),
        "{err}"
    );
    for pool in [
        "gpu-general",
        "gpu-inference",
        "gpu-training",
        "gpu-spot-inference",
        "multi-arch",
        "inferentia",
        "gpu-training-protected",
        "gpu-tier1-g5-spot",
    ] {
        let listed = out.split_once("NodePools (").map_or("", |(_, l)| l.trim_end().trim_end_matches(')'));
        assert!(listed.split(", ").any(|p| p == pool), "{pool} not loaded: {out}");
    }
    assert!(err.contains("spec.limits.aws.amazon.com/neuron"), "the Neuron limit is reported: {err}");
    // The EC2NodeClasses load (AMI family from the alias); what decides nothing fleetsim models
    // (role, subnets, disks, ...) is listed.
    for class in ["gpu-optimized", "gpu-training"] {
        let line = err.lines().find(|l| l.contains(&format!("EC2NodeClass {class}: fields fleetsim does not model")));
        assert!(line.is_some_and(|l| l.contains("spec.role") && l.contains("spec.blockDeviceMappings")), "{err}");
    }
}

#[test]
fn karpenter_runs_are_byte_identical_with_one_or_two_threads() {
    let f = root().join("scenarios/seeds/003-karpenter-training.yaml");
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp(&format!("kp-threads-{threads}"));
        let (code, _, err) =
            fleetsim(&["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap(), "--threads", threads]);
        assert_eq!(code, 0, "{err}");
        outs.push(out);
    }
    for file in ["summary.csv", "pods.csv", "nodes.csv", "timeseries.csv", "events.csv"] {
        let a = std::fs::read(outs[0].join(file)).unwrap();
        assert!(!a.is_empty());
        assert_eq!(a, std::fs::read(outs[1].join(file)).unwrap(), "{file} differs between 1 and 2 threads");
    }
}

#[test]
fn consolidation_replaces_only_when_the_cheaper_types_keep_min_values() {
    // kubernetes-sigs/karpenter `pkg/controllers/disruption/consolidation.go` at 22664681: a
    // replacement's cheaper instance types must still meet the pool's minValues, whatever
    // `--min-values-policy` says (`RemoveInstanceTypeOptionsByPriceAndMinValues`). Under
    // BestEffort the two replicas share one g5.12xlarge (minValues relaxed at provisioning);
    // after the scale-in, g5.xlarge and g5.2xlarge are the cheaper options: two values.
    let dir = tmp("kp-min-values");
    let pool = |n: u32| {
        format!(
            "    spec:\n      template:\n        spec:\n          requirements:\n            - {{key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge, g5.2xlarge, g5.12xlarge], minValues: {n}}}\n      disruption:\n        consolidationPolicy: WhenEmptyOrUnderutilized\n        consolidateAfter: 1m\n"
        )
    };
    let sim = "simulation: {end: 2h, sample_interval: 1m}\n";
    let best_effort = "karpenter: {min_values_policy: BestEffort}\n";
    let case = |name: &str, n: u32, extra: &str| {
        let f = scenario(&dir, name, &pool(n), &format!("{}{sim}{extra}", deployment(2, 1, "30m", "")));
        csv(&run(&f, &format!("kp-mv-{name}")), "nodes.csv")
    };
    let nodes = case("two", 2, best_effort);
    assert_eq!(nodes[0]["instance_type"], "g5.12xlarge", "{nodes:?}");
    let at_end: Vec<&Row> = nodes.iter().filter(|n| n["terminated_s"].is_empty()).collect();
    assert_eq!(at_end.len(), 1);
    assert_eq!(at_end[0]["instance_type"], "g5.xlarge", "two cheaper types meet minValues 2: replaced");
    let nodes = case("three", 3, best_effort);
    assert_eq!(nodes.len(), 1, "two cheaper types cannot meet minValues 3: kept {nodes:?}");
    assert!(nodes[0]["terminated_s"].is_empty());
    // Strict (the default): one claim holding both replicas could only be a g5.12xlarge, so
    // each replica gets its own claim and the cheapest type.
    let nodes = case("strict", 2, "");
    let first: Vec<&str> =
        nodes.iter().filter(|n| num(n, "launched_s") < 60.0).map(|n| n["instance_type"].as_str()).collect();
    assert_eq!(first, ["g5.xlarge", "g5.xlarge"], "{nodes:?}");
}

#[test]
fn unset_interruption_takes_the_catalog_advisor_buckets_and_says_so() {
    // g5.xlarge is `>20%` in the shipped catalog's Spot Instance Advisor column: a month of
    // spot nodes under an unset `market.interruption` sees interruptions, and validate says where
    // the risk comes from; `interruption: none` turns them off, silently.
    let dir = tmp("kp-advisor");
    let pool = "    spec:\n      template:\n        spec:\n          requirements:\n            - {key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge]}\n            - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}\n";
    let sim = "simulation: {end: 30d, sample_interval: 1h}\n";
    let unset = scenario(&dir, "unset", pool, &format!("{}{sim}", deployment(8, 8, "1h", "")));
    let (code, _, err) = fleetsim(&["validate", unset.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("`market.interruption` is not set") && err.contains("g5.xlarge >20%"), "{err}");
    assert!(err.contains("alexei-led/spotinfo at 5eedf20a (2025-06-28)"), "{err}");
    let s = &csv(&run(&unset, "kp-advisor-unset"), "summary.csv")[0];
    assert!(num(s, "spot_interruptions") >= 1.0, "{s:?}");
    let none =
        scenario(&dir, "none", pool, &format!("{}{sim}market: {{interruption: none}}\n", deployment(8, 8, "1h", "")));
    let (code, _, err) = fleetsim(&["validate", none.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!err.contains("interruption"), "{err}");
    let s = &csv(&run(&none, "kp-advisor-none"), "summary.csv")[0];
    assert_eq!(num(s, "spot_interruptions"), 0.0);
}

#[test]
fn trace_pods_take_tolerations_and_the_terminal_says_why_pods_never_ran() {
    // A GPU NodePool with the standard `nvidia.com/gpu` taint, on the Alibaba trace: the trace's
    // pods tolerate nothing, so the GPU ones never schedule, and the terminal says how many and
    // why. With a toleration for the GPU class (and a node selector every pod takes), they run.
    let dir = tmp("kp-trace-tol");
    let trace = root().join("traces/alibaba-gpu-v2023/openb_pod_list_default.csv");
    let pool = "    spec:\n      template:\n        metadata: {labels: {team: ml}}\n        spec:\n          taints: [{key: nvidia.com/gpu, value: 'true', effect: NoSchedule}]\n          requirements:\n            - {key: node.kubernetes.io/instance-type, operator: In, values: [g5.2xlarge, g5.12xlarge]}\n";
    let workload = |extra: &str| {
        format!(
            "workload:\n  trace:\n    pods_csv: {}\n    window: 142d..143d\n    limit: 60\n{extra}simulation: {{end: 1d}}\n",
            trace.display()
        )
    };
    let f = scenario(&dir, "untolerated", pool, &workload(""));
    let (code, out, err) = fleetsim(&["run", f.to_str().unwrap(), "--out", dir.join("o1").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let pods = csv(&dir.join("o1"), "pods.csv");
    let gpu_pods = pods.iter().filter(|p| num(p, "gpu_milli") > 0.0).count();
    let never = pods.iter().filter(|p| p["scheduled_s"].is_empty()).count();
    assert!(gpu_pods > 0 && never >= gpu_pods, "{gpu_pods} GPU pods, {never} never scheduled");
    // (The line wraps at 100 columns: read the words.)
    let flat = out.replace('\n', " ");
    let line = flat.split_once("untolerated: ").map(|x| x.1).unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(&format!("{never} of {} pods never scheduled", pods.len())), "{line}");
    assert!(line.contains("nvidia.com/gpu"), "the taint is named: {line}");
    let summary = csv(&dir.join("o1"), "summary.csv");
    assert!(summary[0]["never_scheduled_reasons"].contains("nvidia.com/gpu"), "{:?}", summary[0]);
    let tolerate = "    nodeSelector: {team: ml}\n    classes:\n      gpu: {tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]}\n      shared: {tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]}\n      cpu: {tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]}\n";
    let f = scenario(&dir, "tolerated", pool, &workload(tolerate));
    let (code, out, err) = fleetsim(&["run", f.to_str().unwrap(), "--out", dir.join("o2").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("never scheduled:"), "{out}");
    let pods = csv(&dir.join("o2"), "pods.csv");
    assert!(pods.iter().all(|p| !p["scheduled_s"].is_empty()), "every pod ran");
}
