//! Autoscaling speed: a day of the Alibaba trace (with departures) under each scaler of the
//! quickstart comparison, and one scaler loop facing 10^4 pending pods.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fleetsim::experiment::run_scenario;
use fleetsim::scenario::{load_file, Loaded, RunSpec};
use std::hint::black_box;
use std::path::Path;

fn sweep(rel: &str) -> Vec<RunSpec> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    match load_file(&path) {
        Ok(Loaded::Sweep(s)) => s.runs,
        Ok(Loaded::Scenario(_)) => panic!("{rel} must be a comparison"),
        Err(e) => panic!("{e}"),
    }
}

fn bench_day(c: &mut Criterion) {
    let mut g = c.benchmark_group("alibaba_day_147_under_each_scaler");
    g.sample_size(10);
    for mut run in sweep("scenarios/quickstart.yaml") {
        run.scenario.output.pods = false;
        run.scenario.output.nodes = false;
        g.throughput(Throughput::Elements(run.scenario.pods.len() as u64));
        let r = run_scenario(&run.run_id, &run.params, &run.scenario).expect("runs");
        let fig = |k: &str| r.summary.figures.iter().find(|f| f.0 == k).map(|f| f.1.clone()).unwrap_or_default();
        eprintln!("checksum {}: cost {} events {}", run.run_id, fig("cost_usd"), fig("events"));
        g.bench_with_input(BenchmarkId::from_parameter(&run.run_id), &run, |b, run| {
            b.iter(|| black_box(run_scenario(&run.run_id, &run.params, &run.scenario).expect("runs").result.events))
        });
    }
    g.finish();
}

/// 10^4 pods of three shapes arrive at t=0 on an empty cluster with three autoscaler pools (and,
/// in the second variant, one smart-hosting pool); the run ends at 1 s, so it holds one scheduling
/// cycle (every pod fails) and one scaler loop that sizes the scale-up by packing all 10^4 pods on
/// forked new nodes.
const PENDING: &str = r#"
name: pending-10k
base:
  seed: 1
  catalog: CATALOG
  cluster: {}
  workload:
    pods:
      - {name: whole, count: 5000, requests: {cpu: "2", memory: 8Gi, nvidia.com/gpu: "1"}}
      - {name: share, count: 3000, requests: {cpu: "1", memory: 4Gi, alibabacloud.com/gpu-milli: "300"}}
      - {name: quad, count: 2000, requests: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "4"}}
  placement: {policy: best-fit}
  scaler: {expander: least-waste}
  simulation: {end: 1s, sample_interval: 1s}
  output: {pods: false, nodes: false, timeseries: false}
variants:
  autoscaler:
    pools:
      - {name: t4, instance_types: [g4dn.xlarge], zones: [us-east-1a], max: 20000}
      - {name: a10g-4, instance_types: [g5.12xlarge], zones: [us-east-1a], max: 20000}
      - {name: a100-8, instance_types: [p4d.24xlarge], zones: [us-east-1a], max: 20000}
  smart-hosting:
    pools:
      - {name: smart, mode: smart-hosting, instance_types: [g4dn.xlarge, g5.12xlarge, p4d.24xlarge],
         zones: [us-east-1a], max: 20000}
"#;

fn bench_pending(c: &mut Criterion) {
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/catalogs/aws-gpu.yaml");
    let file = std::env::temp_dir().join(format!("fleetsim-bench-pending-{}.yaml", std::process::id()));
    std::fs::write(&file, PENDING.replace("CATALOG", &catalog.display().to_string()))
        .expect("write the bench scenario");
    let loaded = load_file(&file);
    let _ = std::fs::remove_file(&file);
    let Ok(Loaded::Sweep(s)) = loaded else { panic!("the pending-pods scenario must load: {loaded:?}") };
    let mut g = c.benchmark_group("scale_up_loop_with_10k_pending_pods");
    g.sample_size(10);
    g.throughput(Throughput::Elements(10_000));
    for run in s.runs {
        let r = run_scenario(&run.run_id, &run.params, &run.scenario).expect("runs");
        let fig = |k: &str| r.summary.figures.iter().find(|f| f.0 == k).map(|f| f.1.clone()).unwrap_or_default();
        eprintln!("checksum {}: nodes launched {} scale-ups {}", run.run_id, fig("nodes_launched"), fig("scale_ups"));
        g.bench_with_input(BenchmarkId::from_parameter(&run.run_id), &run, |b, run| {
            b.iter(|| black_box(run_scenario(&run.run_id, &run.params, &run.scenario).expect("runs").result.events))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_day, bench_pending);
criterion_main!(benches);
