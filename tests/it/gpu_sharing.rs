//! GPU sharing by memory (`aliyun.com/gpu-mem`, seed 004): the seed's StatefulSet at the 128 MiB
//! unit, where node autoscaling does not act, against the default 1 GiB unit; cGPU's per-GPU pod
//! limit; and bad input.

use crate::common::{csv, fleetsim, num, root, run, tmp};
use std::collections::BTreeMap;

/// Pods running on each node at the end (pods.csv rows without a finish time).
fn per_node(out: &std::path::Path) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in csv(out, "pods.csv") {
        if !p["node"].is_empty() && p["finished_s"].is_empty() {
            *m.entry(p["node"].clone()).or_default() += 1;
        }
    }
    m
}

#[test]
fn seed_004_at_128_mib_binpacks_12_pods_an_a10_and_never_scales_up() {
    let out = run(&root().join("scenarios/seeds/004-gpu-mem-sharing.yaml"), "004");
    // 2 GiB pods (16 x 128 MiB) on 24 GiB A10s: 12 a GPU, exactly, on the pool's two nodes.
    let placed = per_node(&out);
    assert_eq!(placed.values().copied().collect::<Vec<_>>(), [12, 12], "{placed:?}");
    let pods = csv(&out, "pods.csv");
    let waiting: Vec<_> = pods.iter().filter(|p| p["scheduled_s"].is_empty()).collect();
    assert_eq!(waiting.len(), 16);
    // The seed's limitation: with a 128 MiB unit, node autoscaling does not trigger although
    // the pool could grow to 10 nodes.
    for p in &waiting {
        assert!(num(p, "created_s") >= 1800.0, "{p:?}");
        assert!(p["reason"].contains("128 MiB: node autoscaling does not scale for aliyun.com/gpu-mem"), "{p:?}");
    }
    assert_eq!(csv(&out, "nodes.csv").len(), 2, "no node beyond the pool's min");
    let ev = csv(&out, "events.csv");
    assert!(ev.iter().all(|e| e["reason"] != "TriggeredScaleUp"));
    assert_eq!(ev.iter().filter(|e| e["reason"] == "NotTriggerScaleUp").count(), 16, "reported once a pod");
    assert!(ev.iter().any(|e| e["message"] == "aliyun.com/gpu-mem: 192 allocatable (1 GPUs)"));
    // The GPUs count as allocated by memory: 12 x floor(1000 x 16 / 192) = 996 milli each.
    let ts = csv(&out, "timeseries.csv");
    assert_eq!(num(ts.last().unwrap(), "gpus_allocated_milli"), 2.0 * 996.0);
}

#[test]
fn at_the_default_1_gib_unit_the_pool_grows_and_every_pod_runs() {
    let lim = run(&root().join("scenarios/seeds/004-gpu-mem-sharing.yaml"), "004-128");
    let out = run(&root().join("scenarios/seeds/004-gpu-mem-sharing-1gi.yaml"), "004-1gi");
    // 40 pods, 12 an A10: cluster-autoscaler adds two nodes at 30 min (12 + 4 pods).
    let placed = per_node(&out);
    assert_eq!(placed.values().sum::<usize>(), 40);
    assert_eq!(placed.values().copied().max(), Some(12));
    let nodes = csv(&out, "nodes.csv");
    assert_eq!(nodes.len(), 4);
    assert!(nodes.iter().filter(|n| num(n, "launched_s") > 0.0).all(|n| num(n, "launched_s") >= 1800.0));
    let ev = csv(&out, "events.csv");
    assert!(ev.iter().any(|e| e["reason"] == "TriggeredScaleUp" && e["message"].contains("gpu-share 2->4 (max: 10)")));
    // The limitation's cost: the 128 MiB cluster pays for fewer nodes and serves 16 fewer pods.
    let (a, b) = (&csv(&lim, "summary.csv")[0], &csv(&out, "summary.csv")[0]);
    assert!(num(a, "cost_usd") < num(b, "cost_usd"));
    assert_eq!((num(a, "pods_never_scheduled"), num(b, "pods_never_scheduled")), (16.0, 0.0));
}

/// The seed-004 scenario text with edits, written to a temporary file.
fn variant(name: &str, edits: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(root().join("scenarios/seeds/004-gpu-mem-sharing.yaml")).unwrap();
    for (a, b) in edits {
        assert!(text.contains(a), "{a}");
        text = text.replace(a, b);
    }
    text = text.replace("catalog: ../catalogs/", &format!("catalog: {}/scenarios/catalogs/", root().display()));
    let dir = tmp(name);
    let f = dir.join("s.yaml");
    std::fs::write(&f, text).unwrap();
    f
}

#[test]
fn cgpu_runs_at_most_16_pods_a_gpu() {
    // 1 GiB pods (8 x 128 MiB): memory would take 24 a GPU, cGPU isolation allows 16.
    let f = variant(
        "gpu-mem-cgpu",
        &[
            ("ack.node.gpu.schedule: share", "ack.node.gpu.schedule: cgpu"),
            ("aliyun.com/gpu-mem: \"16\"", "aliyun.com/gpu-mem: \"8\""),
        ],
    );
    let out = run(&f, "cgpu");
    assert_eq!(per_node(&out).values().copied().collect::<Vec<_>>(), [16, 16]);
    // The same on `share` nodes (no isolation): memory is the only limit, 40 fit on 2 x 24.
    let f = variant("gpu-mem-share", &[("aliyun.com/gpu-mem: \"16\"", "aliyun.com/gpu-mem: \"8\"")]);
    assert_eq!(per_node(&run(&f, "share")).values().sum::<usize>(), 40);
}

#[test]
fn a_pod_larger_than_any_gpu_is_reported_and_bad_settings_are_load_errors() {
    // 1 GiB unit, 30 GiB asked: more than an A10's 24 GiB; cluster-autoscaler names the pool.
    let f = variant(
        "gpu-mem-huge",
        &[
            ("  gpuMemoryUnit: 128MiB", "  gpuMemoryUnit: 1GiB"),
            ("aliyun.com/gpu-mem: \"16\"", "aliyun.com/gpu-mem: \"30\""),
        ],
    );
    let out = run(&f, "huge");
    let pods = csv(&out, "pods.csv");
    assert!(pods.iter().all(|p| p["scheduled_s"].is_empty()));
    assert!(pods[0]["reason"].contains("gpu-share: insufficient aliyun.com/gpu-mem"), "{:?}", pods[0]);
    let bad = |name: &str, edits: &[(&str, &str)], want: &str| {
        let f = variant(name, edits);
        let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{err}");
    };
    bad("gpu-mem-unit", &[("gpuMemoryUnit: 128MiB", "gpuMemoryUnit: 256MiB")], "expected 1GiB (the default) or 128MiB");
    bad(
        "gpu-mem-mixed",
        &[("limits: {aliyun.com/gpu-mem: \"16\"}", "limits: {aliyun.com/gpu-mem: \"16\", nvidia.com/gpu: \"1\"}")],
        "not several",
    );
    bad("gpu-mem-neg", &[("aliyun.com/gpu-mem: \"16\"", "aliyun.com/gpu-mem: \"-2\"")], "limits.aliyun.com/gpu-mem");
}
