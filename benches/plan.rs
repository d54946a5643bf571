//! `fleetsim plan` speed: reading kubectl dumps of 5,000 nodes and 10^4 pending pods (plus
//! 2·10^4 bound ones) and planning: placements, reasons for the rest, scale-down candidates;
//! and the same with Karpenter NodePools, where the pods that fit no node are packed into
//! NodeClaims over the AWS GPU catalog's offerings, and with ACK node pools (a smart hosting
//! pool, then cluster-autoscaler's options over two types).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};
use std::hint::black_box;

/// The dumps; pending GPU pods ask for `gpus` GPUs each.
fn dumps(gpus: u32) -> (Value, Value) {
    let mut nodes = Vec::new();
    for i in 0..5000 {
        let gpus = [0, 1, 4, 8][i % 4];
        let mut alloc = json!({"cpu": format!("{}", 8 + 8 * (i % 6)), "memory": format!("{}Gi", 32 + 32 * (i % 6))});
        if gpus > 0 {
            alloc["nvidia.com/gpu"] = json!(gpus.to_string());
        }
        let zone = ["a", "b", "c"][i % 3];
        let spec = if gpus > 0 {
            json!({"taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]})
        } else {
            json!({})
        };
        nodes.push(json!({"kind": "Node", "metadata": {"name": format!("node-{i}"), "labels": {"zone": zone}},
            "spec": spec, "status": {"allocatable": alloc}}));
    }
    let mut pods = Vec::new();
    let tol = json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]);
    for i in 0..30_000 {
        // The first 2·10^4 are small CPU pods bound four to a node; the rest pend, a third of
        // them asking for GPUs.
        let bound = i < 20_000;
        let gpu = !bound && i % 3 == 0;
        let mut req = if bound {
            json!({"cpu": "250m", "memory": "256Mi"})
        } else {
            json!({"cpu": format!("{}m", 250 + 250 * (i % 8)), "memory": format!("{}Mi", 512 * (1 + i % 8))})
        };
        if gpu {
            req["nvidia.com/gpu"] = json!(gpus.to_string());
        }
        let mut spec = json!({"containers": [{"resources": {"requests": req}}], "tolerations": tol});
        if bound {
            spec["nodeName"] = json!(format!("node-{}", i % 5000));
        }
        let created = format!("2026-01-05T{:02}:{:02}:{:02}Z", 10 + i / 3600, (i / 60) % 60, i % 60);
        let phase = if i < 20_000 { "Running" } else { "Pending" };
        pods.push(json!({"kind": "Pod", "metadata": {"name": format!("p-{i}"), "namespace": "ns", "creationTimestamp": created},
            "spec": spec, "status": {"phase": phase}}));
    }
    (json!({"kind": "List", "items": nodes}), json!({"kind": "List", "items": pods}))
}

/// Two unlimited NodePools over the shipped AWS GPU catalog: G5/G6 spot and on-demand (weight
/// 10), and every other type on-demand.
fn nodepools() -> Vec<fleetsim::k8s::nodepool::NodePool> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("scenarios/catalogs/aws-gpu.yaml")).expect("catalog");
    let cat = fleetsim::market::Catalog::from_yaml(&text).expect("catalog loads");
    let yaml = "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: g}\nspec:\n  weight: 10\n  template:\n    spec:\n      \
        requirements: [{key: karpenter.k8s.aws/instance-family, operator: In, values: [g5, g6]},\n        \
        {key: karpenter.sh/capacity-type, operator: In, values: [spot, on-demand]}]\n      \
        taints: [{key: nvidia.com/gpu, value: 'true', effect: NoSchedule}]\n---\n\
        apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: rest}\nspec: {}\n";
    let docs = fleetsim::k8s::nodepool::manifest_documents("bench", yaml).expect("manifests parse");
    let market = fleetsim::market::spot::SpotMarket::default();
    fleetsim::k8s::nodepool::load_nodepools(&docs, &cat, &market).expect("NodePools load").0
}

/// ACK pools over the same catalog: smart hosting for up to 100 p4d nodes, and an autoscaler
/// pool of g5.48xlarge or p4d.24xlarge (max 3,000), both tainted for GPU pods.
fn ack_pools() -> fleetsim::plan::Scalers {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("scenarios/catalogs/aws-gpu.yaml")).expect("catalog");
    let cat = fleetsim::market::Catalog::from_yaml(&text).expect("catalog loads");
    let yaml = "pools:\n\
        - {name: smart, mode: smart-hosting, instance_types: [p4d.24xlarge], max: 100, taints: ['nvidia.com/gpu=true:NoSchedule']}\n\
        - {name: gpu, instance_types: [g5.48xlarge, p4d.24xlarge], max: 3000, taints: ['nvidia.com/gpu=true:NoSchedule']}\n\
        scaler: {expander: least-waste}\n";
    let doc: Value = serde_saphyr::from_str(yaml).expect("pools parse");
    let (pools, cfg) = fleetsim::scenario::validate::ack_pools("bench", root, doc, Some(cat)).expect("pools load");
    fleetsim::plan::Scalers { pools, ack: Some(cfg), ..Default::default() }
}

fn bench_plan(c: &mut Criterion) {
    let (nodes, pods) = dumps(1);
    let pools = nodepools();
    let market = fleetsim::market::spot::SpotMarket::default();
    let snap = fleetsim::k8s::snapshot(&nodes, &pods).expect("the dumps read");
    let plan = fleetsim::plan::plan(&snap, fleetsim::core::PolicyName::BestFit).expect("plans");
    eprintln!(
        "checksum: {} nodes, {} bound, {} pending -> {} placed, {} unschedulable, {} candidates",
        snap.nodes.len(),
        snap.bound.len(),
        snap.pending.len(),
        plan.placements.len(),
        plan.unplaced.len(),
        plan.candidates.len()
    );
    let mut g = c.benchmark_group("plan_5000_nodes_10k_pending");
    g.sample_size(10);
    g.throughput(Throughput::Elements(snap.pending.len() as u64));
    g.bench_function("read_and_plan", |b| {
        b.iter(|| {
            let s = fleetsim::k8s::snapshot(&nodes, &pods).expect("reads");
            black_box(fleetsim::plan::plan(&s, fleetsim::core::PolicyName::BestFit).expect("plans").placements.len())
        })
    });
    // With NodePools, pending GPU pods ask for 8 GPUs: the 1,250 8-GPU nodes take some, the rest
    // need new nodes.
    let (nodes, pods) = dumps(8);
    let snap = fleetsim::k8s::snapshot(&nodes, &pods).expect("the dumps read");
    let with = fleetsim::plan::plan_with(&snap, fleetsim::core::PolicyName::BestFit, &pools, &market).expect("plans");
    eprintln!(
        "with NodePools: {} placed, {} launches for {} pods, {} unschedulable",
        with.placements.len(),
        with.launches.len(),
        with.launches.iter().map(|l| l.pods.len()).sum::<usize>(),
        with.unplaced.len()
    );
    g.bench_function("read_and_plan_with_nodepools", |b| {
        b.iter(|| {
            let s = fleetsim::k8s::snapshot(&nodes, &pods).expect("reads");
            let p = fleetsim::plan::plan_with(&s, fleetsim::core::PolicyName::BestFit, &pools, &market).expect("plans");
            black_box(p.launches.len())
        })
    });
    let ack = ack_pools();
    let with = fleetsim::plan::plan_for(&snap, fleetsim::core::PolicyName::BestFit, &ack).expect("plans");
    eprintln!(
        "with ACK pools: {} placed, {} launches for {} pods, {} options, {} unschedulable",
        with.placements.len(),
        with.launches.len(),
        with.launches.iter().map(|l| l.pods.len()).sum::<usize>(),
        with.scale_up_options.len(),
        with.unplaced.len()
    );
    g.bench_function("read_and_plan_with_ack_pools", |b| {
        b.iter(|| {
            let s = fleetsim::k8s::snapshot(&nodes, &pods).expect("reads");
            let p = fleetsim::plan::plan_for(&s, fleetsim::core::PolicyName::BestFit, &ack).expect("plans");
            black_box(p.launches.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_plan);
criterion_main!(benches);
