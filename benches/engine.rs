//! Engine throughput beside a bare `BinaryHeap` loop measured in the same run, and one replay of
//! the default Alibaba trace (with departures, onto its GPU nodes) per policy.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fleetsim::engine::{EventQueue, Phase, SimTime};
use fleetsim::experiment::run_scenario;
use fleetsim::scenario::{load_file, Loaded};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::path::Path;

mod common;

const EVENTS: u64 = 1_000_000;
const LIVE: u64 = 1_000;

/// A hold model: `LIVE` events in flight; each pop pushes one event a pseudo-random delay later.
fn bare_heap() -> u64 {
    let mut h = BinaryHeap::new();
    let mut x = 1u64;
    for i in 0..LIVE {
        h.push(Reverse((i, 0u8, i)));
    }
    let mut seq = LIVE;
    let mut sum = 0u64;
    for _ in 0..EVENTS {
        let Reverse((t, _, s)) = h.pop().expect("non-empty");
        sum = sum.wrapping_add(s);
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seq += 1;
        h.push(Reverse((t + (x >> 54), 0u8, seq)));
    }
    sum
}

fn engine_queue() -> u64 {
    let mut q: EventQueue<u64> = EventQueue::new();
    let mut x = 1u64;
    for i in 0..LIVE {
        q.push(SimTime(i), Phase::Departure, i).expect("future");
    }
    let mut sum = 0u64;
    for i in 0..EVENTS {
        let (t, _, e) = q.pop().expect("non-empty");
        sum = sum.wrapping_add(e);
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        q.push(SimTime(t.0 + (x >> 54)), Phase::Departure, LIVE + i).expect("future");
    }
    sum
}

fn bench_queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_throughput");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    g.bench_function("bare_binary_heap", |b| b.iter(|| black_box(bare_heap())));
    g.bench_function("engine_event_queue", |b| b.iter(|| black_box(engine_queue())));
    g.finish();
}

fn bench_replay(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/alibaba-replay.yaml");
    let Ok(Loaded::Scenario(base)) = load_file(&path) else { panic!("alibaba-replay.yaml must load") };
    let mut g = c.benchmark_group("replay_default_trace_with_departures");
    g.sample_size(10);
    g.throughput(Throughput::Elements(base.pods.len() as u64));
    for policy in ["best-fit", "fgd", "random"] {
        let mut s = (*base).clone();
        s.policy = fleetsim::core::PolicyName::parse(policy).expect("known");
        s.output.pods = false;
        s.output.nodes = false;
        // Where every pod went, and when, hashed (outside the timing, with the pods kept): a
        // changed decision changes it. (The summary cannot see one here: every pod fits and has
        // left by the end, so frag_pct_end was the same for best-fit, FGD and random.)
        let mut kept = s.clone();
        kept.output.pods = true;
        let r = run_scenario("bench", &[], &kept).expect("runs");
        let placed: Vec<String> =
            r.result.pods.iter().map(|p| format!("{}:{:?}:{:?}", p.id, p.node, p.scheduled)).collect();
        eprintln!("checksum {policy}: {:016x}", common::checksum(&placed.join(",")));
        g.bench_with_input(BenchmarkId::from_parameter(policy), &s, |b, s| {
            b.iter(|| black_box(run_scenario("bench", &[], s).expect("runs").result.events))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_queue, bench_replay);
criterion_main!(benches);
