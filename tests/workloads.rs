//! Synthetic workloads and `fleetsim trace`: generated pods are reproducible from the seed,
//! written in the pod-list format that reads back to the same pods, and bad generator settings
//! get one clear error.

mod common;

use common::{fleetsim, root, tmp};
use std::path::Path;

fn scenario(dir: &Path, name: &str, seed: u64, generator: &str) -> std::path::PathBuf {
    let f = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &f,
        format!(
            "name: {name}\nseed: {seed}\ncluster:\n  nodes: [{{name: n, count: 4, cpu: '64', memory: 256Gi, gpus: 8, gpu_model: A10}}]\nworkload:\n  pods: [{{name: fixed, count: 2, at: 30s, duration: 1h, requests: {{cpu: '1', memory: 1Gi}}}}]\n  synthetic:\n{generator}placement: {{policy: best-fit}}\nsimulation: {{end: 1d, sample_interval: 1h}}\n"
        ),
    )
    .unwrap();
    f
}

const GEN: &str = "    - name: infer\n      rate: 30/h\n      diurnal: {amplitude: 0.5, peak: '14:00'}\n      duration: {pareto: {min: 5m, alpha: 1.5}}\n      mix:\n        - {weight: 3, requests: {cpu: '4', memory: 16Gi, nvidia.com/gpu: '1'}}\n        - {requests: {cpu: '2', memory: 8Gi, alibabacloud.com/gpu-milli: '250'}, gpu_models: [A10]}\n";

fn trace(scenario: &Path, out: &Path) -> String {
    let (code, stdout, err) = fleetsim(&["trace", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("wrote"), "{stdout}");
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn generated_pods_follow_the_seed_and_round_trip_through_the_pod_list_format() {
    let dir = tmp("synthetic");
    let a = trace(&scenario(&dir, "a", 7, GEN), &dir.join("a.csv"));
    let again = trace(&scenario(&dir, "a2", 7, GEN), &dir.join("a2.csv"));
    assert_eq!(a, again, "same seed, same pods");
    let other = trace(&scenario(&dir, "b", 8, GEN), &dir.join("b.csv"));
    assert_ne!(a, other, "another seed, other pods");
    let rows: Vec<&str> = a.lines().skip(1).collect();
    // 30 an hour for a day (about 720) plus the 2 inline pods, in creation order.
    assert!((600..850).contains(&rows.len()), "{} pods", rows.len());
    assert!(rows.iter().any(|r| r.starts_with("fixed-0,")) && rows.iter().any(|r| r.starts_with("infer-0,")));
    let created: Vec<u64> = rows.iter().map(|r| r.split(',').nth(6).unwrap().parse().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]));
    assert!(rows.iter().any(|r| r.contains(",1,250,A10,")), "the GPU-share template with its model");
    // Read back as a trace, the workload writes the same bytes again.
    let f = dir.join("replay.yaml");
    std::fs::write(
        &f,
        format!(
            "name: replay\ncluster:\n  nodes: [{{name: n, count: 4, cpu: '64', memory: 256Gi, gpus: 8, gpu_model: A10}}]\nworkload:\n  trace: {{pods_csv: {}}}\nplacement: {{policy: best-fit}}\n",
            dir.join("a.csv").display()
        ),
    )
    .unwrap();
    assert_eq!(trace(&f, &dir.join("replayed.csv")), a);
}

#[test]
fn the_shipped_synthetic_comparison_validates() {
    let (code, out, err) = fleetsim(&["validate", root().join("scenarios/synthetic-batch.yaml").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("9 runs"), "{out}");
    let (code, _, err) =
        fleetsim(&["trace", root().join("scenarios/synthetic-batch.yaml").to_str().unwrap(), "--out", "/dev/null"]);
    assert_eq!(code, 2);
    assert!(err.contains("is a sweep"), "{err}");
}

#[test]
fn bad_generator_settings_get_one_clear_error() {
    let dir = tmp("synthetic-bad");
    let cases = [
        (GEN.replace("rate: 30/h", "rate: fast"), "workload.synthetic[0].rate", "120/h"),
        (GEN.replace("amplitude: 0.5", "amplitude: 1.2"), "diurnal.amplitude", "0 <= a < 1"),
        (GEN.replace("{pareto: {min: 5m, alpha: 1.5}}", "{weibull: {k: 2}}"), "", "weibull"),
        (GEN.replace("rate: 30/h", "rate: 30/h\n      process: gamma\n      cv: 0"), "cv", "0.05..=20"),
        (GEN.replace("{weight: 3, ", "{weight: 0, "), "mix[0].weight", "1..=1000000"),
        (GEN.replace("alpha: 1.5", "alpha: 0.2"), "duration.pareto.alpha", "0.5 < alpha"),
    ];
    for (i, (generator, field, want)) in cases.iter().enumerate() {
        let f = scenario(&dir, &format!("bad{i}"), 1, generator);
        let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(code, 2, "case {i}: {err}");
        assert!(err.contains(field) && err.contains(want), "case {i}: {err}");
        assert_eq!(err.lines().filter(|l| l.starts_with("error")).count(), 1, "case {i}: {err}");
    }
}
