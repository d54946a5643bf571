//! The seed walkthroughs as tests: each shipped scenario under `scenarios/seeds/` is run by the
//! binary and the behaviour the seed document describes is checked from the output files.

use crate::common::{csv, fleetsim, num, root, run, tmp};

#[test]
fn seed_002_pool_scales_up_on_pending_pods_and_down_after_the_unneeded_time() {
    let f = root().join("scenarios/seeds/002-pool-autoscaler.yaml");
    let out = run(&f, "002");
    let ts = csv(&out, "timeseries.csv");
    let ready_at = |t: f64| ts.iter().rfind(|r| num(r, "t_s") <= t).map(|r| num(r, "nodes_ready")).unwrap();
    // "2 Ready nodes before 30 min, 3 before 60 min".
    assert_eq!(ready_at(29.0 * 60.0), 2.0, "two nodes serve the first two replicas");
    assert_eq!(ready_at(59.0 * 60.0), 3.0, "the third replica brings a third node");
    // "back to 1 once the unneeded time has passed (not before 70 min, soon after)".
    assert_eq!(ready_at(69.0 * 60.0 + 59.0), 3.0, "no node may go before the 10 min unneeded time");
    assert_eq!(ready_at(72.0 * 60.0), 1.0, "the two idle nodes go soon after 70 min");
    assert_eq!(ready_at(120.0 * 60.0), 1.0);
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes.len(), 3);
    let gone: Vec<_> = nodes.iter().filter(|n| !n["terminated_s"].is_empty()).collect();
    assert_eq!(gone.len(), 2);
    for n in &gone {
        let t = num(n, "terminated_s");
        assert!((70.0 * 60.0..71.0 * 60.0).contains(&t), "{} removed at {t} s", n["node"]);
        assert!(n["termination_reason"].contains("scale-down"), "{:?}", n);
    }
    // The events read like the seed's `kubectl describe pod`.
    let ev = csv(&out, "events.csv");
    let msgs: Vec<String> =
        ev.iter().filter(|e| e["reason"] == "TriggeredScaleUp").map(|e| e["message"].clone()).collect();
    assert!(msgs.iter().any(|m| m.contains("gpu-a10 0->2 (max: 10)")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("gpu-a10 2->3 (max: 10)")), "{msgs:?}");
    // Every running replica waited for a node: pending at least the modelled 144 s start-up.
    let pods = csv(&out, "pods.csv");
    for p in &pods {
        assert!(num(p, "pending_s") >= 144.0, "{:?}", p);
    }
    // Billing: cost is positive and equals the sum of the nodes' costs.
    let sum: f64 = nodes.iter().map(|n| num(n, "cost_usd")).sum();
    let summary = csv(&out, "summary.csv");
    assert!((num(&summary[0], "cost_usd") - sum).abs() < 1e-5 && sum > 0.0);
    // And the run is byte-identical run after run.
    let again = run(&f, "002b");
    for file in ["summary.csv", "pods.csv", "nodes.csv", "timeseries.csv", "events.csv"] {
        assert_eq!(std::fs::read(out.join(file)).unwrap(), std::fs::read(again.join(file)).unwrap(), "{file} differs");
    }
}

#[test]
fn seed_000_smart_hosting_provisions_for_a_pending_pod_and_releases_it_3_min_after_idle() {
    let out = run(&root().join("scenarios/seeds/000-smart-hosting.yaml"), "000");
    let ev = csv(&out, "events.csv");
    let first = |reason: &str| ev.iter().position(|e| e["reason"] == reason).unwrap_or(usize::MAX);
    assert!(first("FailedScheduling") < first("ProvisionNode"), "pending first, then a node is provisioned");
    assert!(first("ProvisionNode") < first("Scheduled") && first("Scheduled") < first("Started"));
    let pods = csv(&out, "pods.csv");
    let p = &pods[0];
    // The 11,421,866,941-byte image pulls in about 8m47.7s at the seed-derived bandwidth.
    let pull = num(p, "running_s") - num(p, "scheduled_s");
    assert!((527.0..530.0).contains(&pull), "pull + start took {pull} s");
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes.len(), 1);
    let t = num(&nodes[0], "terminated_s");
    // Deleted at 60 min, gone after the 30 s grace period, released 3 min later.
    assert!((63.0 * 60.0..64.0 * 60.0).contains(&t), "released at {t} s");
    assert!(t >= 60.5 * 60.0 + 180.0, "not before the scale-in delay: {t}");
}

#[test]
fn smart_hosting_falls_through_to_the_next_zone_when_one_has_no_stock() {
    let src = std::fs::read_to_string(root().join("scenarios/seeds/000-smart-hosting.yaml")).unwrap();
    let cat = root().join("scenarios/catalogs/alibaba-a10.yaml");
    let body = src
        .replace("catalog: ../catalogs/alibaba-a10.yaml", &format!("catalog: {}", cat.display()))
        .replace("    max: 10\n", "    max: 10\n    stock: {cn-beijing-k: 0}\n");
    let dir = tmp("stock");
    let f = dir.join("s.yaml");
    std::fs::write(&f, body).unwrap();
    let out = run(&f, "stock-out");
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["zone"], "cn-beijing-l");
}

#[test]
fn bad_pool_settings_are_load_errors_naming_the_field() {
    let cat = root().join("scenarios/catalogs/alibaba-a10.yaml");
    let dir = tmp("bad");
    let cases = [
        ("min: 5\n    max: 2", "pools[0].min", "above max"),
        ("min: 0\n    max: 10\n    instance_types: [ecs.nope]", "pools[0].instance_types", "not in the catalog"),
    ];
    for (i, (pool, field, msg)) in cases.iter().enumerate() {
        let mut body = format!(
            "catalog: {}\ncluster: {{}}\nworkload: {{}}\nplacement: {{policy: best-fit}}\nsimulation: {{end: 1h}}\npools:\n  - name: p\n    instance_types: [ecs.gn7i-c8g1.2xlarge]\n    {pool}\n",
            cat.display()
        );
        if pool.contains("instance_types") {
            body = body.replace("    instance_types: [ecs.gn7i-c8g1.2xlarge]\n", "");
        }
        let f = dir.join(format!("bad{i}.yaml"));
        std::fs::write(&f, body).unwrap();
        let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(field) && err.contains(msg), "{err}");
    }
    // A negative latency is refused too.
    let f = dir.join("bad-latency.yaml");
    std::fs::write(
        &f,
        format!(
            "catalog: {}\ncluster: {{}}\nworkload: {{}}\nplacement: {{policy: best-fit}}\nsimulation: {{end: 1h}}\nlifecycle: {{node_ready: \"-5s\"}}\npools:\n  - {{name: p, instance_types: [ecs.gn7i-c8g1.2xlarge], max: 3}}\n",
            cat.display()
        ),
    )
    .unwrap();
    let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lifecycle.node_ready"), "{err}");
}

#[test]
fn seed_scenarios_validate() {
    for f in ["scenarios/seeds/000-smart-hosting.yaml", "scenarios/seeds/002-pool-autoscaler.yaml"] {
        let (code, out, err) = fleetsim(&["validate", root().join(f).to_str().unwrap()]);
        assert_eq!(code, 0, "{f}: {err}");
        assert!(out.starts_with("ok:"), "{out}");
    }
}

#[test]
fn a_pod_no_pool_can_run_is_reported_once_by_name_and_the_run_goes_on() {
    let src = std::fs::read_to_string(root().join("scenarios/seeds/002-pool-autoscaler.yaml")).unwrap();
    let cat = root().join("scenarios/catalogs/alibaba-a10.yaml");
    // A second Deployment asking for 2 GPUs: the pool's only type has one.
    let body = src.replace("catalog: ../catalogs/alibaba-a10.yaml", &format!("catalog: {}", cat.display())).replace(
        "  - at: 30m\n",
        "  - at: 0s\n    apply:\n      name: too-big\n      replicas: 1\n      requests: {cpu: \"1\", nvidia.com/gpu: \"2\"}\n      tolerations: [{key: scaler, operator: Equal, value: gpu, effect: NoSchedule}]\n  - at: 30m\n",
    );
    let dir = tmp("nofit");
    let f = dir.join("s.yaml");
    std::fs::write(&f, body).unwrap();
    let out = run(&f, "nofit-out");
    let ev = csv(&out, "events.csv");
    let not: Vec<_> = ev.iter().filter(|e| e["reason"] == "NotTriggerScaleUp").collect();
    assert_eq!(not.len(), 1, "reported once: {not:?}");
    assert_eq!(not[0]["object"], "pod/too-big-0");
    assert!(not[0]["message"].contains("gpu-a10") && not[0]["message"].contains("nvidia.com/gpu"), "{:?}", not[0]);
    // The rest of the walkthrough is unaffected: three nodes at the peak, as before.
    assert_eq!(csv(&out, "nodes.csv").len(), 3);
    let pods = csv(&out, "pods.csv");
    let big = pods.iter().find(|p| p["pod"] == "too-big-0").unwrap();
    assert_eq!(big["outcome"], "pending");
}

#[test]
fn a_sidecar_adds_to_the_request_and_a_plain_init_container_does_not() {
    // kubernetes/kubernetes component-helpers/resource/helpers_test.go (restartable init
    // containers): a 7.5-CPU sidecar runs beside the 1-CPU app, 8.5 CPU in all, more than the
    // pool's 8-CPU type; the same container without `restartPolicy: Always` runs first and
    // alone, so the pod asks for 7.5 and fits.
    let src = std::fs::read_to_string(root().join("scenarios/seeds/002-pool-autoscaler.yaml")).unwrap();
    let cat = root().join("scenarios/catalogs/alibaba-a10.yaml");
    let dir = tmp("sidecar");
    let with = |policy: &str, name: &str| {
        let body = src.replace("catalog: ../catalogs/alibaba-a10.yaml", &format!("catalog: {}", cat.display())).replace(
            "      requests: {cpu: \"1\", memory: 2Gi, nvidia.com/gpu: \"1\"}\n",
            &format!("      requests: {{cpu: \"1\", memory: 2Gi, nvidia.com/gpu: \"1\"}}\n      initContainers: [{{name: proxy, requests: {{cpu: 7500m}}{policy}}}]\n"),
        );
        let f = dir.join(format!("{name}.yaml"));
        std::fs::write(&f, body).unwrap();
        run(&f, &format!("sidecar-{name}"))
    };
    let side = with(", restartPolicy: Always", "side");
    let ev = csv(&side, "events.csv");
    let not: Vec<_> = ev.iter().filter(|e| e["reason"] == "NotTriggerScaleUp").collect();
    assert!(!not.is_empty() && not[0]["message"].contains("cpu"), "{not:?}");
    assert_eq!(csv(&side, "nodes.csv").len(), 0, "no type runs an 8.5-CPU pod");
    let plain = with("", "plain");
    assert_eq!(csv(&plain, "nodes.csv").len(), 3, "as the walkthrough without an init container");
}

#[test]
fn stock_for_a_zone_outside_the_pool_is_a_load_error() {
    let cat = root().join("scenarios/catalogs/alibaba-a10.yaml");
    let dir = tmp("bad-stock");
    let f = dir.join("s.yaml");
    std::fs::write(
        &f,
        format!(
            "catalog: {}\ncluster: {{}}\nworkload: {{}}\nplacement: {{policy: best-fit}}\nsimulation: {{end: 1h}}\npools:\n  - {{name: p, instance_types: [ecs.gn7i-c8g1.2xlarge], zones: [cn-beijing-k], max: 3, stock: {{cn-beijing-x: 0}}}}\n",
            cat.display()
        ),
    )
    .unwrap();
    let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pools[0].stock.cn-beijing-x") && err.contains("not one of the pool's zones"), "{err}");
}

#[test]
fn quickstart_compares_the_three_scalers_side_by_side_on_a_day_of_the_alibaba_trace() {
    let f = root().join("scenarios/quickstart.yaml");
    let out = tmp("quickstart");
    let (code, stdout, err) = fleetsim(&["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // Side by side: one header line naming the variants, then one line per figure.
    let head = stdout.lines().next().unwrap();
    for v in ["pool-autoscaler", "smart-hosting", "karpenter"] {
        assert!(head.contains(v), "{stdout}");
    }
    // Money to cents, waits in their unit, within 100 columns.
    let cost = stdout.lines().find(|l| l.starts_with("cost ")).unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(
        cost.split_whitespace()
            .skip(1)
            .filter(|c| c.starts_with('$') && c.split('.').nth(1).is_some_and(|d| d.len() == 2))
            .count(),
        3,
        "{cost}"
    );
    assert!(stdout.lines().any(|l| l.starts_with("wait p95") && l.contains(" min")), "{stdout}");
    let table = stdout.lines().take_while(|l| !l.contains(" runs in "));
    assert!(table.into_iter().all(|l| l.chars().count() <= 100), "the table fits 100 columns: {stdout}");
    let pods = csv(&out, "pods.csv");
    let summary = csv(&out, "summary.csv");
    assert_eq!(summary.len(), 3);
    let nodes = csv(&out, "nodes.csv");
    for s in &summary {
        let run = &s["run_id"];
        assert_eq!(s["pods"], "413", "day 147 of the trace has 413 pods");
        // Every pod fits some instance type: a pod still pending at the end of the day was
        // created in its last minutes, while its node was on its way.
        let pending: Vec<_> = pods.iter().filter(|p| &p["run_id"] == run && p["outcome"] == "pending").collect();
        assert_eq!(num(s, "pods_never_scheduled"), pending.len() as f64, "{run}");
        assert!(pending.iter().all(|p| num(p, "created_s") > 86_400.0 - 600.0), "{run}: {pending:?}");
        let mine: Vec<_> = nodes.iter().filter(|n| &n["run_id"] == run).collect();
        assert!(!mine.is_empty(), "{run} launched no node");
        let cost: f64 = mine.iter().map(|n| num(n, "cost_usd")).sum();
        assert!((num(s, "cost_usd") - cost).abs() < 1e-4, "{run}: summary cost {} vs nodes {cost}", s["cost_usd"]);
        let ratio = num(s, "gpu_hours_alloc_ratio");
        assert!(ratio > 0.0 && ratio <= 1.0, "{run}: allocated/provisioned GPU hours {ratio}");
        // One set of names for nodes removed, whatever the model: every node a scaler took away
        // (a termination reason in nodes.csv) is one scale-down, filed under one reason.
        let removed = mine.iter().filter(|n| !n["termination_reason"].is_empty()).count() as f64;
        assert!(removed > 0.0, "{run}: nodes leave after the day's peak");
        assert_eq!(num(s, "scale_downs"), removed, "{run}");
        let reasons: f64 =
            ["scale_downs_empty", "scale_downs_underutilized", "scale_downs_expired"].iter().map(|c| num(s, c)).sum();
        assert_eq!(reasons, removed, "{run}: the reasons split scale_downs");
        // And nodes added: scale_ups counts nodes for every model (the day starts with none);
        // cluster-autoscaler's decisions, each adding one node or more, are counted beside.
        assert_eq!(num(s, "scale_ups"), mine.len() as f64, "{run}");
        assert!(num(s, "scale_up_decisions") >= 1.0 && num(s, "scale_up_decisions") <= num(s, "scale_ups"), "{run}");
        let pools: std::collections::BTreeSet<&str> = mine.iter().map(|n| n["pool"].as_str()).collect();
        if run.contains("smart-hosting") {
            assert_eq!(pools.into_iter().collect::<Vec<_>>(), ["gpu-smart"]);
        } else if run.contains("karpenter") {
            assert_eq!(pools.into_iter().collect::<Vec<_>>(), ["gpu-general"]);
            // WhenEmpty never moves a running pod; nodes go only when empty.
            assert_eq!(num(s, "pods_disrupted"), 0.0);
            assert!(mine
                .iter()
                .all(|n| n["termination_reason"].is_empty() || n["termination_reason"].contains("Empty")));
        } else {
            assert!(pools.iter().all(|p| ["t4", "a10g-1", "a10g-4", "a100-8"].contains(p)), "{pools:?}");
        }
    }
    let again = tmp("quickstart-b");
    let (code, _, err) = fleetsim(&["run", f.to_str().unwrap(), "--out", again.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for file in ["summary.csv", "pods.csv", "nodes.csv", "timeseries.csv", "events.csv"] {
        assert_eq!(std::fs::read(out.join(file)).unwrap(), std::fs::read(again.join(file)).unwrap(), "{file} differs");
    }
}
