//! Fleets (seed 001): the inventory-aware split, the stock-out, the descheduler's re-placement,
//! the static-weight comparison, outputs per member, and bad fleet files.

use crate::common::{csv, fleetsim, num, root, run, tmp};
use std::collections::BTreeMap;

/// Pods scheduled per member (pods.csv's `cluster`) among those created before `t`.
fn scheduled_by_member(out: &std::path::Path, before: f64) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in csv(out, "pods.csv") {
        if num(&p, "created_s") < before && !p["scheduled_s"].is_empty() && num(&p, "scheduled_s") < before {
            *m.entry(p["cluster"].clone()).or_default() += 1;
        }
    }
    m
}

#[test]
fn seed_001_splits_by_inventory_two_per_member_then_releases_idle_nodes_after_10_min() {
    let f = root().join("scenarios/seeds/001-fleet-inventory.yaml");
    let out = run(&f, "001");
    // All 4 Running before 30 min, 2 per member, although both pools start empty.
    let before = scheduled_by_member(&out, 1800.0);
    assert_eq!(before.into_iter().collect::<Vec<_>>(), [("cluster-beijing".into(), 2), ("cluster-shanghai".into(), 2)]);
    let ev = csv(&out, "events.csv");
    let fleet: Vec<String> = ev.iter().filter(|e| e["cluster"] == "fleet").map(|e| e["message"].clone()).collect();
    assert_eq!(fleet.len(), 2, "{fleet:?}");
    assert!(fleet[0].ends_with("cluster-beijing=2, cluster-shanghai=2"), "{fleet:?}");
    assert!(fleet[1].ends_with("cluster-beijing=1, cluster-shanghai=1"), "{fleet:?}");
    // Scaled to 2 at 30 min: one idle node per member, released once the 10 min unneeded time has
    // passed (the replica goes after its 30 s grace period): about 40 min.
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes.len(), 4);
    let gone: Vec<_> = nodes.iter().filter(|n| !n["terminated_s"].is_empty()).collect();
    assert_eq!(gone.len(), 2);
    let mut clusters: Vec<&str> = gone.iter().map(|n| n["cluster"].as_str()).collect();
    clusters.sort();
    assert_eq!(clusters, ["cluster-beijing", "cluster-shanghai"]);
    for n in &gone {
        let t = num(n, "terminated_s");
        assert!((2400.0..2520.0).contains(&t), "{n:?}");
    }
    // Every row names its cluster; the fleet's totals are the members' sums.
    let members = csv(&out, "members.csv");
    assert_eq!(members.len(), 2);
    let summary = &csv(&out, "summary.csv")[0];
    let sum: f64 = members.iter().map(|m| num(m, "cost_usd")).sum();
    assert!((num(summary, "cost_usd") - sum).abs() < 1e-5 && sum > 0.0);
    let ts = csv(&out, "timeseries.csv");
    assert!(ts.iter().any(|r| r["cluster"] == "fleet") && ts.iter().any(|r| r["cluster"] == "cluster-beijing"));
    let again = run(&f, "001b");
    for file in ["summary.csv", "pods.csv", "nodes.csv", "timeseries.csv", "events.csv", "members.csv"] {
        assert_eq!(std::fs::read(out.join(file)).unwrap(), std::fs::read(again.join(file)).unwrap(), "{file}");
    }
}

#[test]
fn with_no_stock_in_the_second_region_all_four_run_in_the_first() {
    let out = run(&root().join("scenarios/seeds/001-fleet-inventory-stockout.yaml"), "001-so");
    let before = scheduled_by_member(&out, 1800.0);
    assert_eq!(before.into_iter().collect::<Vec<_>>(), [("cluster-beijing".into(), 4)]);
    assert!(csv(&out, "nodes.csv").iter().all(|n| n["cluster"] == "cluster-beijing"));
    assert_eq!(num(&csv(&out, "summary.csv")[0], "provisioning_failures"), 0.0);
}

/// The seed-001 scenario with text edits, written beside a copy of nothing else (paths made
/// absolute).
fn variant(name: &str, file: &str, edits: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(root().join("scenarios/seeds").join(file)).unwrap();
    for (a, b) in edits {
        assert!(text.contains(a), "{a}");
        text = text.replace(a, b);
    }
    text = text.replace("catalog: ../catalogs/", &format!("catalog: {}/scenarios/catalogs/", root().display()));
    let f = tmp(name).join("s.yaml");
    std::fs::write(&f, text).unwrap();
    f
}

#[test]
fn the_descheduler_moves_replicas_stuck_by_a_stock_out_after_the_division() {
    // The division at t = 0 puts 2 replicas in each member; at 5 s (before the members' first
    // scale-up at 10 s) Shanghai's stock is gone, so its 2 replicas stay Pending. After the 5 min
    // threshold, at the 6 min descheduler pass, they are taken back and placed in Beijing.
    let stock = "  propagation_policies:\n";
    let edits = [(stock, "  inventory:\n    - {at: 5s, region: cn-shanghai, instance_type: ecs.gn7i-c8g1.2xlarge, stock: 0}\n  propagation_policies:\n")];
    let out = run(&variant("fleet-desched", "001-fleet-inventory.yaml", &edits), "desched");
    let ev = csv(&out, "events.csv");
    let d = ev.iter().find(|e| e["reason"] == "Descheduled").expect("a Descheduled event");
    assert_eq!(num(d, "t_s"), 360.0);
    assert!(d["message"].starts_with("2 replicas of qwen3-8b unschedulable in cluster-shanghai"), "{d:?}");
    let after = ev.iter().filter(|e| e["cluster"] == "fleet" && e["reason"] == "Scheduled").nth(1).unwrap();
    assert!(after["message"].ends_with("cluster-beijing=4, cluster-shanghai=0"), "{after:?}");
    assert_eq!(scheduled_by_member(&out, 1800.0).into_iter().collect::<Vec<_>>(), [("cluster-beijing".into(), 4)]);
    // Without the descheduler, the two stay Pending to the end.
    let edits2 =
        [edits[0], ("  propagation_policies:\n", "  descheduler: {enabled: false}\n  propagation_policies:\n")];
    let out = run(&variant("fleet-nodesched", "001-fleet-inventory.yaml", &edits2), "nodesched");
    let pods = csv(&out, "pods.csv");
    let stuck: Vec<_> = pods.iter().filter(|p| p["scheduled_s"].is_empty()).collect();
    assert_eq!(stuck.len(), 2);
    assert!(stuck.iter().all(|p| p["cluster"] == "cluster-shanghai"));
}

#[test]
fn static_weights_ignore_inventory_and_leave_replicas_pending_in_a_stocked_out_region() {
    let policy = "            replicaSchedulingType: Divided\n            weightPreference:\n              dynamicWeight: AvailableReplicas\n";
    let stat = "            replicaSchedulingType: Divided\n            weightPreference:\n              staticWeightList:\n                - {targetCluster: {clusterNames: [cluster-beijing]}, weight: 1}\n                - {targetCluster: {clusterNames: [cluster-shanghai]}, weight: 1}\n";
    let out = run(&variant("fleet-static", "001-fleet-inventory-stockout.yaml", &[(policy, stat)]), "static");
    let summary = &csv(&out, "summary.csv")[0];
    assert_eq!(num(summary, "pods_never_scheduled"), 2.0);
    assert!(num(summary, "provisioning_failures") > 0.0);
    let members = csv(&out, "members.csv");
    let sh = members.iter().find(|m| m["cluster"] == "cluster-shanghai").unwrap();
    assert_eq!((num(sh, "pods_never_scheduled"), num(sh, "cost_usd")), (2.0, 0.0));
    // Without inventory awareness, a dynamic split over empty pools cannot place anything.
    let no = run(
        &variant(
            "fleet-noinv",
            "001-fleet-inventory.yaml",
            &[("          ecsProvision: true", "          ecsProvision: false")],
        ),
        "noinv",
    );
    assert_eq!(num(&csv(&no, "summary.csv")[0], "pods"), 0.0);
    let ev = csv(&no, "events.csv");
    assert!(ev.iter().any(|e| e["reason"] == "FailedScheduling"
        && e["message"]
            .starts_with("clusters resources are not enough to schedule: 4 new replicas, the members can run 0")));
}

#[test]
fn bad_fleet_files_get_one_clear_error() {
    let bad = |name: &str, edits: &[(&str, &str)], want: &str| {
        let f = variant(name, "001-fleet-inventory.yaml", edits);
        let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{want}: {err}");
        assert_eq!(err.lines().filter(|l| l.starts_with("error")).count(), 1, "{err}");
    };
    bad(
        "fleet-unknown",
        &[("            - cluster-shanghai\n", "            - cluster-hangzhou\n")],
        "`cluster-hangzhou` is not a member of the fleet; members: cluster-beijing, cluster-shanghai",
    );
    let inv = "  propagation_policies:\n";
    let level = |ty: &str, stock: i64| {
        format!(
            "  inventory: [{{region: cn-shanghai, instance_type: {ty}, stock: {stock}}}]\n  propagation_policies:\n"
        )
    };
    bad("fleet-neg", &[(inv, &level("ecs.gn7i-c8g1.2xlarge", -1))], "fleet.inventory[0].stock");
    bad("fleet-type", &[(inv, &level("ecs.gn8", 3))], "no pool of a member in region `cn-shanghai` launches `ecs.gn8`");
    bad(
        "fleet-region",
        &[(inv, "  inventory: [{region: us-east-1, instance_type: x, stock: 1}]\n  propagation_policies:\n")],
        "no member is in region `us-east-1`",
    );
    bad(
        "fleet-unselected",
        &[(
            "          name: qwen3-8b\n          namespace: default",
            "          name: other\n          namespace: default",
        )],
        "no PropagationPolicy selects Deployment `qwen3-8b`",
    );
    bad(
        "fleet-kind",
        &[("          kind: Deployment\n", "          kind: StatefulSet\n")],
        "fleetsim propagates Deployments",
    );
    bad(
        "fleet-dup",
        &[("    - name: cluster-shanghai\n", "    - name: cluster-beijing\n")],
        "member `cluster-beijing` is listed twice",
    );
}

#[test]
fn aggregated_puts_the_replicas_on_the_fewest_members_and_the_largest_rule_weighs() {
    // Karmada's Aggregated division (assignByDynamicStrategy at f8fdd02d): both members can run
    // the 4 replicas (each region has room for more than 4), so one member takes them all; the
    // tie between two equal members goes to the first by name.
    let policy = "            replicaSchedulingType: Divided\n            weightPreference:\n              dynamicWeight: AvailableReplicas\n";
    let agg = "            replicaSchedulingType: Divided\n            replicaDivisionPreference: Aggregated\n";
    let out = run(&variant("fleet-agg", "001-fleet-inventory.yaml", &[(policy, agg)]), "agg");
    assert_eq!(scheduled_by_member(&out, 1800.0).into_iter().collect::<Vec<_>>(), [("cluster-beijing".into(), 4)]);
    // Static weights: a member named by two rules takes the larger weight (3, not the first 1),
    // so 4 replicas split 3:1 where the first rule alone would split them 2:2.
    let stat = "            replicaSchedulingType: Divided\n            weightPreference:\n              staticWeightList:\n                - {targetCluster: {clusterNames: [cluster-beijing]}, weight: 1}\n                - {targetCluster: {clusterNames: [cluster-shanghai]}, weight: 1}\n                - {targetCluster: {clusterNames: [cluster-beijing]}, weight: 3}\n";
    let out = run(&variant("fleet-max-weight", "001-fleet-inventory.yaml", &[(policy, stat)]), "maxw");
    let by = scheduled_by_member(&out, 1800.0);
    assert_eq!(by.into_iter().collect::<Vec<_>>(), [("cluster-beijing".into(), 3), ("cluster-shanghai".into(), 1)]);
}

#[test]
fn a_cluster_spread_constraint_narrows_the_members_first() {
    // spreadConstraints [{spreadByField: cluster, maxGroups: 1}]: the dynamic division runs on
    // one member (the two are alike: the first by name); minGroups 3 of 2 members fails the
    // scheduling, said in a FailedScheduling event.
    let aff = "          clusterAffinity:\n";
    let one = "          spreadConstraints:\n            - {spreadByField: cluster, maxGroups: 1}\n          clusterAffinity:\n";
    let out = run(&variant("fleet-spread", "001-fleet-inventory.yaml", &[(aff, one)]), "spread");
    assert_eq!(scheduled_by_member(&out, 1800.0).into_iter().collect::<Vec<_>>(), [("cluster-beijing".into(), 4)]);
    let three = "          spreadConstraints:\n            - {spreadByField: cluster, maxGroups: 3, minGroups: 3}\n          clusterAffinity:\n";
    let out = run(&variant("fleet-spread-min", "001-fleet-inventory.yaml", &[(aff, three)]), "spread-min");
    let ev = csv(&out, "events.csv");
    assert!(
        ev.iter().any(|e| e["reason"] == "FailedScheduling" && e["message"].contains("less than spreadConstraint.MinGroups")),
        "{ev:?}"
    );
    assert_eq!(num(&csv(&out, "summary.csv")[0], "pods"), 0.0);
    // Spread by region is refused with one clear error.
    let region = "          spreadConstraints:\n            - {spreadByField: region, maxGroups: 1}\n          clusterAffinity:\n";
    let f = variant("fleet-spread-region", "001-fleet-inventory.yaml", &[(aff, region)]);
    let (code, _, err) = crate::common::fleetsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("spreadByField") && err.contains("`region`"), "{err}");
}

#[test]
fn a_spread_constraint_without_a_field_spreads_by_cluster() {
    // propagation_types.go: spreadByField and spreadByLabel both empty mean `cluster`.
    let aff = "          clusterAffinity:\n";
    let bare = "          spreadConstraints:\n            - {maxGroups: 1}\n          clusterAffinity:\n";
    let out = run(&variant("fleet-spread-bare", "001-fleet-inventory.yaml", &[(aff, bare)]), "spread-bare");
    assert_eq!(scheduled_by_member(&out, 1800.0).into_iter().collect::<Vec<_>>(), [("cluster-beijing".into(), 4)]);
}

#[test]
fn a_policy_applied_again_reschedules_its_deployments() {
    // The seed scales qwen3-8b to 2 at 30 min (one per member); at 40 min demo-policy is applied
    // again with Shanghai alone: Karmada reschedules a binding whose placement changed, so both
    // replicas go to Shanghai and Beijing's is deleted.
    let update = "  policy_updates:
    - at: 40m
      policies:
        - apiVersion: policy.one.alibabacloud.com/v1alpha1
          kind: PropagationPolicy
          metadata: {name: demo-policy}
          spec:
            autoScaling: {ecsProvision: true}
            resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: qwen3-8b}]
            placement:
              replicaScheduling: {replicaSchedulingType: Divided, weightPreference: {dynamicWeight: AvailableReplicas}}
              clusterAffinity: {clusterNames: [cluster-shanghai]}
timeline:
";
    let out = run(&variant("fleet-policy-update", "001-fleet-inventory.yaml", &[("timeline:\n", update)]), "pu");
    let ev = csv(&out, "events.csv");
    let scheduled: Vec<(f64, &str)> =
        ev.iter().filter(|e| e["reason"] == "Scheduled").map(|e| (num(e, "t_s"), e["message"].as_str())).collect();
    assert!(scheduled.iter().any(|(t, m)| *t == 2400.0 && m.ends_with(": cluster-shanghai=2")), "{scheduled:?}");
    // Every Beijing replica ends soon after the update; Shanghai runs both at the end.
    let pods = csv(&out, "pods.csv");
    let beijing: Vec<_> = pods.iter().filter(|p| p["cluster"] == "cluster-beijing").collect();
    assert!(!beijing.is_empty());
    assert!(beijing.iter().all(|p| !p["finished_s"].is_empty() && num(p, "finished_s") < 2500.0), "{beijing:?}");
    let shanghai_open =
        pods.iter().filter(|p| p["cluster"] == "cluster-shanghai" && p["finished_s"].is_empty()).count();
    assert_eq!(shanghai_open, 2);
}

#[test]
fn cluster_affinities_select_members_by_label_field_and_exclusion() {
    // ClusterMatches: a label selector, a field selector on the member's region and `exclude`
    // pick the members; a static weight rule's targetCluster is the same ClusterAffinity.
    let label = (
        "    - name: cluster-shanghai\n      region: cn-shanghai\n",
        "    - name: cluster-shanghai\n      region: cn-shanghai\n      labels: {tier: spare}\n",
    );
    let one_member = |name: &str, aff: &str| {
        let edit = ("          clusterAffinity:\n            clusterNames:\n            - cluster-beijing\n            - cluster-shanghai\n", aff);
        let out = run(&variant(name, "001-fleet-inventory.yaml", &[label, edit]), &format!("{name}-out"));
        scheduled_by_member(&out, 1800.0).into_iter().collect::<Vec<_>>()
    };
    let by_label = "          clusterAffinity:\n            labelSelector: {matchLabels: {tier: spare}}\n";
    assert_eq!(one_member("aff-label", by_label), [("cluster-shanghai".into(), 4)]);
    let by_field = "          clusterAffinity:\n            fieldSelector:\n              matchExpressions: [{key: region, operator: In, values: [cn-beijing]}]\n";
    assert_eq!(one_member("aff-field", by_field), [("cluster-beijing".into(), 4)]);
    let not_spare = "          clusterAffinity:\n            labelSelector:\n              matchExpressions: [{key: tier, operator: DoesNotExist}]\n";
    assert_eq!(one_member("aff-expr", not_spare), [("cluster-beijing".into(), 4)]);
    let exclude = "          clusterAffinity:\n            exclude: [cluster-beijing]\n";
    assert_eq!(one_member("aff-exclude", exclude), [("cluster-shanghai".into(), 4)]);
    // Static weights 3:1 by label: the spare member takes the 1.
    let dynamic = "            weightPreference:\n              dynamicWeight: AvailableReplicas\n";
    let stat = "            weightPreference:\n              staticWeightList:\n                - {targetCluster: {labelSelector: {matchLabels: {tier: spare}}}, weight: 1}\n                - {targetCluster: {exclude: [cluster-shanghai]}, weight: 3}\n";
    let out = run(&variant("aff-weights", "001-fleet-inventory.yaml", &[label, (dynamic, stat)]), "aff-weights-out");
    let by = scheduled_by_member(&out, 1800.0).into_iter().collect::<Vec<_>>();
    assert_eq!(by, [("cluster-beijing".into(), 3), ("cluster-shanghai".into(), 1)]);
}
