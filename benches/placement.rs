//! Placement throughput: 10^5 pods placed onto 10^4 heterogeneous nodes per policy (the Alibaba
//! trace's node mix, repeated; pods sampled from its default pod list), plus the FGD-openb replay
//! of one run. Each bench prints a checksum of its decisions so a speed-up that changes behaviour
//! shows.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use fleetsim::core::{ClusterState, PodSpec, PolicyName, Scheduler, Workload};
use fleetsim::engine::RngStreams;
use fleetsim::workload::{read_nodes, read_pods};
use std::hint::black_box;
use std::path::Path;

fn setup(nodes: usize, pods: usize) -> (Vec<fleetsim::core::NodeSpec>, Vec<PodSpec>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/alibaba-gpu-v2023");
    let base = read_nodes(&dir.join("openb_node_list_all_node.csv")).expect("node list");
    let trace = read_pods(&dir.join("openb_pod_list_default.csv")).expect("pod list");
    let node_specs = (0..nodes)
        .map(|i| {
            let mut n = base[i % base.len()].clone();
            n.name = format!("n{i}");
            n
        })
        .collect();
    let mut rng = RngStreams::new(7).stream("bench/pods");
    let pod_specs = (0..pods).map(|_| trace[rng.below(trace.len() as u64) as usize].spec.clone()).collect();
    (node_specs, pod_specs)
}

/// The empty cluster the pods are placed onto.
fn cluster(nodes: &[fleetsim::core::NodeSpec], policy: PolicyName) -> ClusterState {
    let mut c = ClusterState::new(policy.cluster_options());
    for n in nodes {
        c.add_node(n).expect("unique names");
    }
    c
}

/// Places every pod onto `c` (binding those that fit); returns a checksum of the decisions.
fn place_all(c: &mut ClusterState, pods: &[PodSpec], policy: PolicyName, w: &Workload) -> u64 {
    let mut p = Scheduler::new(policy.build(w));
    let mut rng = RngStreams::new(1).stream("placement");
    let mut sum = 0u64;
    for (i, pod) in pods.iter().enumerate() {
        if let Ok(pl) = p.place(c, pod, &mut rng) {
            sum = sum.wrapping_mul(31).wrapping_add(pl.node as u64 + 1);
            c.bind(i as u64, pod, &pl).expect("fits");
        }
    }
    sum
}

/// Times the placements alone: building the empty cluster (a clone per iteration) and dropping
/// the full one are left out, so the figure is placements (decide and bind) per second.
fn bench_placement(cr: &mut Criterion) {
    let (nodes, pods) = setup(10_000, 100_000);
    let w = Workload::from_pods(&pods);
    let mut g = cr.benchmark_group("place_1e5_pods_on_1e4_nodes");
    g.sample_size(10);
    g.throughput(Throughput::Elements(pods.len() as u64));
    for policy in PolicyName::ALL {
        let empty = cluster(&nodes, policy);
        let sum = place_all(&mut empty.clone(), &pods, policy, &w);
        eprintln!("checksum {policy}: {sum:016x}");
        g.bench_with_input(BenchmarkId::from_parameter(policy), &policy, |b, &policy| {
            b.iter_batched(
                || empty.clone(),
                |mut c| {
                    black_box(place_all(&mut c, &pods, policy, &w));
                    c
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench_placement);
criterion_main!(benches);
