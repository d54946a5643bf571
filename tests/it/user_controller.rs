//! A controller written outside the crate (`examples/target_utilization.rs`), registered by name,
//! runs a shipped scenario through the library API beside the shipped scalers, deterministically;
//! a scenario can name it in `controllers:`, and a name nobody registered is a load error that
//! lists what there is.

#[allow(dead_code)]
#[path = "../../examples/target_utilization.rs"]
mod example;

use crate::common::{csv, num, root, tmp};

#[test]
fn a_registered_controller_runs_the_quickstart_beside_the_shipped_scalers_byte_for_byte_again() {
    let (a, b) = (tmp("user-a"), tmp("user-b"));
    let file = root().join("scenarios/quickstart.yaml");
    let runs = example::compare(&file, &a, "g5.12xlarge").unwrap();
    example::compare(&file, &b, "g5.12xlarge").unwrap();
    assert_eq!(runs.len(), 4, "three shipped scalers and this one");
    for f in ["summary.csv", "pods.csv", "nodes.csv", "events.csv", "timeseries.csv"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs between runs");
    }
    let rows = csv(&a, "summary.csv");
    let mine = rows.iter().find(|r| r["variant"] == "target-utilization").expect("its row");
    // It bought only its own type, one at a time, and ran the day's pods on them.
    assert!(num(mine, "nodes_launched") >= 1.0 && num(mine, "scale_ups") == num(mine, "nodes_launched"));
    assert!(num(mine, "pods_scheduled") > 0.9 * num(mine, "pods"), "{mine:?}");
    let nodes = csv(&a, "nodes.csv");
    let own: Vec<_> = nodes.iter().filter(|n| n["variant"] == "target-utilization").collect();
    assert!(own.iter().all(|n| n["pool"] == "target-utilization" && n["instance_type"] == "g5.12xlarge"));
    assert_eq!(own.len() as f64, num(mine, "nodes_launched"));
    // The shipped runs are the shipped results, untouched by the comparison.
    let shipped = csv(&root().join("results/quickstart"), "summary.csv");
    for r in rows.iter().filter(|r| r["variant"] != "target-utilization") {
        let s = shipped.iter().find(|s| s["run_id"] == r["run_id"]).expect("a shipped run");
        assert_eq!(r["cost_usd"], s["cost_usd"], "{}", r["run_id"]);
    }
}

#[test]
fn a_scenario_names_a_registered_controller_and_an_unknown_one_is_a_load_error() {
    let dir = tmp("user-scenario");
    let body = |name: &str| {
        format!(
            "name: mine\ncatalog: {}\ncluster: {{}}\nworkload:\n  pods:\n    - {{name: p, count: 6, requests: {{cpu: '4', memory: 16Gi, nvidia.com/gpu: '1'}}, duration: 30m}}\n\
             placement: {{policy: best-fit}}\ncontrollers: [{{name: {name}, instance_type: g5.12xlarge, max: 3}}]\n\
             simulation: {{end: 2h, sample_interval: 10m}}\n",
            root().join("scenarios/catalogs/aws-gpu.yaml").display()
        )
    };
    let f = dir.join("mine.yaml");
    std::fs::write(&f, body("target-utilization")).unwrap();
    let fleetsim::scenario::Loaded::Scenario(s) = fleetsim::scenario::load_file_with(&f, &example::registry()).unwrap()
    else {
        panic!("a scenario")
    };
    let a = fleetsim::experiment::run_scenario("mine", &[], &s).unwrap();
    let b = fleetsim::experiment::run_scenario("mine", &[], &s).unwrap();
    let fig =
        |r: &fleetsim::experiment::RunOutput, k: &str| r.summary.figures.iter().find(|x| x.0 == k).unwrap().1.clone();
    assert_eq!(fig(&a, "pods_scheduled"), "6");
    // Four pods fill the first 4-GPU node, two wait: a second node; then 6 of 8 GPUs (75 %) are
    // above the 70 % target: a third. Once the pods have left, all three go.
    assert_eq!(fig(&a, "nodes_launched"), "3");
    assert_eq!(fig(&a, "scale_downs"), "3");
    assert_eq!(a.summary, b.summary);
    // Without the registry the name is unknown; a built-in's name points at its section.
    let e = fleetsim::scenario::load_file(&f).unwrap_err().to_string();
    assert!(e.contains("controllers[0]") && e.contains("unknown controller `target-utilization`"), "{e}");
    std::fs::write(&f, body("karpenter")).unwrap();
    let e = fleetsim::scenario::load_file(&f).unwrap_err().to_string();
    assert!(e.contains("built in") && e.contains("nodepools"), "{e}");
    std::fs::write(&f, body("target-utilization").replace("max: 3", "mx: 3")).unwrap();
    let e = fleetsim::scenario::load_file_with(&f, &example::registry()).unwrap_err().to_string();
    assert!(e.contains("unknown setting `mx`"), "{e}");
}
