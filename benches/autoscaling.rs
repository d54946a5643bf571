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
    for run in sweep("scenarios/quickstart.yaml") {
        let mut scenario = run.scenario().expect("builds");
        scenario.output.pods = false;
        scenario.output.nodes = false;
        g.throughput(Throughput::Elements(scenario.pods.len() as u64));
        let r = run_scenario(&run.run_id, &run.params, &scenario).expect("runs");
        let fig = |k: &str| r.summary.figures.iter().find(|f| f.0 == k).map(|f| f.1.clone()).unwrap_or_default();
        eprintln!("checksum {}: cost {} events {}", run.run_id, fig("cost_usd"), fig("events"));
        g.bench_with_input(BenchmarkId::from_parameter(&run.run_id), &run, |b, run| {
            b.iter(|| black_box(run_scenario(&run.run_id, &run.params, &scenario).expect("runs").result.events))
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
        let scenario = run.scenario().expect("builds");
        let r = run_scenario(&run.run_id, &run.params, &scenario).expect("runs");
        let fig = |k: &str| r.summary.figures.iter().find(|f| f.0 == k).map(|f| f.1.clone()).unwrap_or_default();
        eprintln!("checksum {}: nodes launched {} scale-ups {}", run.run_id, fig("nodes_launched"), fig("scale_ups"));
        g.bench_with_input(BenchmarkId::from_parameter(&run.run_id), &run, |b, run| {
            b.iter(|| black_box(run_scenario(&run.run_id, &run.params, &scenario).expect("runs").result.events))
        });
    }
    g.finish();
}

/// A synthetic AWS-like catalog of several hundred instance types (GPU families with 1..8 GPUs,
/// CPU families in three generations and five variants, nine sizes), each sold in three zones.
/// Prices are made up but monotone in size; only the decision speed is measured here.
fn big_catalog() -> String {
    let sizes = [
        ("large", 2u32),
        ("xlarge", 4),
        ("2xlarge", 8),
        ("4xlarge", 16),
        ("8xlarge", 32),
        ("12xlarge", 48),
        ("16xlarge", 64),
        ("24xlarge", 96),
        ("48xlarge", 192),
    ];
    let zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
    let mut out = String::from("source: synthetic (bench)\ndate: '2026-01'\ncurrency: USD\ninstance_types:\n");
    let mut push = |name: String, vcpu: u32, mem_gi: u32, gpu: Option<(&str, u32)>, price: f64| {
        let gpu = gpu.map_or(String::new(), |(m, n)| format!(", gpu_model: {m}, gpus: {n}, gpu_memory: 24Gi"));
        let offers: Vec<String> =
            zones.iter().map(|z| format!("{{zone: {z}, on_demand: {price:.4}, spot: {:.4}}}", price * 0.3)).collect();
        out.push_str(&format!(
            "  - {{name: {name}, vcpu: {vcpu}, memory: {mem_gi}Gi{gpu}, offerings: [{}]}}\n",
            offers.join(", ")
        ));
    };
    for (fam, model) in
        [("g4dn", "T4"), ("g5", "A10G"), ("g6", "L4"), ("g6e", "L40S"), ("p3", "V100"), ("p4d", "A100"), ("p5", "H100")]
    {
        for (size, vcpu) in sizes.iter().skip(1) {
            let gpus = match *vcpu {
                v if v >= 192 => 8,
                v if v >= 96 => 8,
                v if v >= 48 => 4,
                _ => 1,
            };
            push(
                format!("{fam}.{size}"),
                *vcpu,
                vcpu * 4,
                Some((model, gpus)),
                0.25 * *vcpu as f64 + 0.5 * gpus as f64,
            );
        }
    }
    for cat in ["m", "c", "r"] {
        for gen in 5..=7 {
            for var in ["", "a", "i", "d", "n"] {
                for (size, vcpu) in sizes {
                    let mem = match cat {
                        "c" => vcpu * 2,
                        "m" => vcpu * 4,
                        _ => vcpu * 8,
                    };
                    push(
                        format!("{cat}{gen}{var}.{size}"),
                        vcpu,
                        mem,
                        None,
                        0.05 * vcpu as f64 * (1.0 + gen as f64 / 20.0),
                    );
                }
            }
        }
    }
    out
}

/// 10^4 pending pods (one-GPU, GPU-share and CPU-only) at t=0, four weighted NodePools over the
/// synthetic catalog; the batch closes at 1 s and one provisioning pass decides every NodeClaim.
const KARPENTER_PENDING: &str = r#"
name: karpenter-pending-10k
seed: 1
catalog: CATALOG
cluster: {}
workload:
  pods:
    - {name: whole, count: 5000, requests: {cpu: "2", memory: 8Gi, nvidia.com/gpu: "1"}}
    - {name: share, count: 3000, requests: {cpu: "1", memory: 4Gi, alibabacloud.com/gpu-milli: "300"}}
    - {name: cpu, count: 2000, requests: {cpu: "2", memory: 4Gi}}
placement: {policy: best-fit}
nodepools:
  - {apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {name: gpu-spot},
     spec: {weight: 100, limits: {nvidia.com/gpu: '400'}, template: {spec: {requirements: [
       {key: karpenter.sh/capacity-type, operator: In, values: [spot]},
       {key: karpenter.k8s.aws/instance-category, operator: In, values: [g]}]}}}}
  - {apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {name: gpu-on-demand},
     spec: {weight: 50, template: {spec: {requirements: [
       {key: karpenter.k8s.aws/instance-gpu-count, operator: Gt, values: ['0']}]}}}}
  - {apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {name: cpu},
     spec: {weight: 10, template: {spec: {requirements: [
       {key: karpenter.k8s.aws/instance-category, operator: In, values: [m, c, r]},
       {key: karpenter.sh/capacity-type, operator: In, values: [spot, on-demand]}]}}}}
  - {apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {name: fallback}, spec: {}}
simulation: {end: 2s, sample_interval: 1s}
output: {pods: false, nodes: false, timeseries: false}
"#;

fn bench_karpenter_pending(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("fleetsim-bench-karpenter-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let catalog = dir.join("catalog.yaml");
    std::fs::write(&catalog, big_catalog()).expect("write the catalog");
    let file = dir.join("scenario.yaml");
    std::fs::write(&file, KARPENTER_PENDING.replace("CATALOG", &catalog.display().to_string()))
        .expect("write the bench scenario");
    let loaded = load_file(&file);
    let _ = std::fs::remove_dir_all(&dir);
    let Ok(Loaded::Scenario(s)) = loaded else { panic!("the Karpenter scenario must load: {loaded:?}") };
    let r = run_scenario(&s.name, &[], &s).expect("runs");
    let fig = |k: &str| r.summary.figures.iter().find(|f| f.0 == k).map(|f| f.1.clone()).unwrap_or_default();
    let types = s.autoscale.as_ref().map_or(0, |a| a.nodepools().map(|p| p.types.len()).max().unwrap_or(0));
    eprintln!("checksum {}: {types} types; nodes launched {} cost {}", s.name, fig("nodes_launched"), fig("cost_usd"));
    let mut g = c.benchmark_group("karpenter_provisioning_10k_pending_pods");
    g.sample_size(10);
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("4_nodepools", |b| {
        b.iter(|| black_box(run_scenario(&s.name, &[], &s).expect("runs").result.events))
    });
    g.finish();
}

/// A week of per-second traffic for 100 inference services, each with its HPA, on a fixed
/// cluster: 60 million service-seconds of fluid serving plus 40,000 HPA syncs per service.
fn bench_services_week(c: &mut Criterion) {
    let mut text = String::from(
        "name: services-100-week\ncluster:\n  nodes: [{name: gpu, count: 200, cpu: '96', memory: 768Gi, gpus: 8, gpu_model: A10G}]\nworkload: {}\nplacement: {policy: best-fit}\nservices:\n",
    );
    for i in 0..100 {
        text.push_str(&format!(
            "  - deployment: {{name: svc-{i}, replicas: 2, requests: {{cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}}}}\n    traffic: {{rate: {}/s, tokens_per_request: 800}}\n    capacity: {{tokens_per_s: 2000}}\n    hpa: {{minReplicas: 1, maxReplicas: 20, targetUtilization: 70}}\n",
            2 + i % 7
        ));
    }
    text.push_str("simulation: {end: 7d, sample_interval: 1h}\noutput: {pods: false, nodes: false, events: false}\n");
    let file = std::env::temp_dir().join(format!("fleetsim-bench-services-{}.yaml", std::process::id()));
    std::fs::write(&file, text).expect("write the bench scenario");
    let loaded = load_file(&file);
    let _ = std::fs::remove_file(&file);
    let Ok(Loaded::Scenario(s)) = loaded else { panic!("the services scenario must load: {loaded:?}") };
    let r = run_scenario(&s.name, &[], &s).expect("runs");
    let fig = |k: &str| r.summary.figures.iter().find(|f| f.0 == k).map(|f| f.1.clone()).unwrap_or_default();
    eprintln!(
        "checksum {}: tokens {} in time {} % rescales {}",
        s.name,
        fig("svc_tokens"),
        fig("svc_tokens_in_time_pct"),
        fig("svc_rescales")
    );
    let mut g = c.benchmark_group("services_100_for_a_week");
    g.sample_size(10);
    g.throughput(Throughput::Elements(100 * 7 * 86_400));
    g.bench_function("per_second_traffic_with_hpa", |b| {
        b.iter(|| black_box(run_scenario(&s.name, &[], &s).expect("runs").result.events))
    });
    g.finish();
}

criterion_group!(benches, bench_day, bench_pending, bench_karpenter_pending, bench_services_week);
criterion_main!(benches);
