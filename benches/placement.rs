//! Placement throughput: 10^5 pods placed onto 10^4 heterogeneous nodes per policy (the Alibaba
//! trace's node mix, repeated; pods sampled from its default pod list), plus the FGD-openb replay
//! of one run. Each bench prints a checksum of its decisions so a speed-up that changes behaviour
//! shows.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use fleetsim::core::{PolicyName, Workload};
use std::hint::black_box;

mod common;
use common::{cluster, place_all, setup};

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
