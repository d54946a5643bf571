//! Fleet speed: 10 member clusters of 10^3 A10 nodes each (the pools' minimum) replay a day in
//! which a fleet Deployment of one-GPU replicas is rescaled every hour (4,000 to 9,500 replicas
//! over the day), divided by AvailableReplicas with inventory awareness, with the descheduler on.
//! Issue #5's target: a day in seconds.

use criterion::{criterion_group, criterion_main, Criterion};
use fleetsim::experiment::run_scenario;
use fleetsim::scenario::{load_file, Loaded};
use std::fmt::Write;
use std::hint::black_box;

fn scenario() -> fleetsim::scenario::Scenario {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut y = String::new();
    y.push_str("name: fleet-bench\nseed: 1\ncluster: {}\nworkload: {}\nplacement: {policy: best-fit}\n");
    y.push_str("output: {pods: false, nodes: false}\nfleet:\n  members:\n");
    let zones = ["cn-beijing-k", "cn-beijing-l", "cn-shanghai-b", "cn-shanghai-m"];
    let mut names = Vec::new();
    for m in 0..10 {
        let name = format!("member-{m}");
        writeln!(
            y,
            "    - name: {name}\n      region: region-{m}\n      scenario:\n        catalog: {}\n        \
             pools: [{{name: gpu, instance_types: [ecs.gn7i-c8g1.2xlarge], zones: [{}], min: 1000, max: 1200}}]",
            root.join("scenarios/catalogs/alibaba-a10.yaml").display(),
            zones[m % 4]
        )
        .unwrap();
        names.push(name);
    }
    writeln!(
        y,
        "  propagation_policies:\n    - apiVersion: policy.one.alibabacloud.com/v1alpha1\n      kind: PropagationPolicy\n      \
         metadata: {{name: p}}\n      spec:\n        autoScaling: {{ecsProvision: true}}\n        \
         resourceSelectors: [{{apiVersion: apps/v1, kind: Deployment, name: infer}}]\n        placement:\n          \
         replicaScheduling: {{replicaSchedulingType: Divided, weightPreference: {{dynamicWeight: AvailableReplicas}}}}\n          \
         clusterAffinity: {{clusterNames: [{}]}}",
        names.join(", ")
    )
    .unwrap();
    y.push_str("timeline:\n  - at: 10m\n    apply: {name: infer, replicas: 4000, requests: {cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}}\n");
    for h in 1..24u32 {
        // A daily cycle between 4,000 and 9,500 replicas.
        let r = 4000 + (h * 7 % 12) * 500;
        writeln!(y, "  - at: {h}h\n    scale: {{deployment: infer, replicas: {r}}}").unwrap();
    }
    y.push_str("simulation: {end: 24h, sample_interval: 5m}\n");
    let file = std::env::temp_dir().join(format!("fleetsim-fleet-bench-{}.yaml", std::process::id()));
    std::fs::write(&file, y).unwrap();
    let s = match load_file(&file) {
        Ok(Loaded::Scenario(s)) => s,
        Ok(_) => panic!("not a scenario"),
        Err(e) => panic!("{e}"),
    };
    let _ = std::fs::remove_file(&file);
    *s
}

fn bench_fleet(c: &mut Criterion) {
    let s = scenario();
    let r = run_scenario("fleet", &[], &s).expect("runs");
    let fig = |k: &str| r.summary.figures.iter().find(|f| f.0 == k).map(|f| f.1.clone()).unwrap_or_default();
    eprintln!(
        "checksum: {} members, pods {}, never scheduled {}, nodes launched {}, cost {}, events {}",
        r.members.len(),
        fig("pods"),
        fig("pods_never_scheduled"),
        fig("nodes_launched"),
        fig("cost_usd"),
        fig("events")
    );
    let mut g = c.benchmark_group("fleet_10_members_1000_nodes_one_day");
    g.sample_size(10);
    g.bench_function("run", |b| b.iter(|| black_box(run_scenario("fleet", &[], &s).expect("runs").result.events)));
    g.finish();
}

criterion_group!(benches, bench_fleet);
criterion_main!(benches);
