//! Synthetic workloads and `fleetsim trace`: generated pods are reproducible from the seed,
//! written in the pod-list format that reads back to the same pods, and bad generator settings
//! get one clear error.

use crate::common::{fleetsim, root, tmp};
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
    let f = root().join("scenarios/synthetic-batch.yaml");
    let (code, _, err) = fleetsim(&["trace", f.to_str().unwrap(), "--out", "/dev/null"]);
    assert_eq!(code, 2);
    assert!(err.contains("is a sweep of 9 runs") && err.contains("--run"), "{err}");
    // One run's workload, by its id: the generators draw from that run's seed, so two seeds give
    // two pod lists, and one run twice gives the same bytes.
    let dir = tmp("trace-sweep-run");
    let trace = |run: &str, name: &str| {
        let out = dir.join(name);
        let (code, _, err) = fleetsim(&["trace", f.to_str().unwrap(), "--run", run, "--out", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        std::fs::read_to_string(out).unwrap()
    };
    let a = trace("variant=pool-autoscaler|seed=1", "a.csv");
    let b = trace("variant=pool-autoscaler|seed=2", "b.csv");
    assert!(a.lines().count() > 100 && a != b);
    assert_eq!(a, trace("variant=pool-autoscaler|seed=1", "a2.csv"));
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

/// A service on a fixed cluster (so replicas start within a second) with the traffic of `rates`.
fn service_scenario(dir: &Path, name: &str, rates: &str, overload: &str, hpa: &str) -> std::path::PathBuf {
    let csv = dir.join(format!("{name}-rates.csv"));
    std::fs::write(&csv, rates).unwrap();
    let f = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &f,
        format!(
            "name: {name}\ncluster:\n  nodes: [{{name: gpu, count: 8, cpu: '64', memory: 256Gi, gpus: 8, gpu_model: A10G}}]\nworkload: {{}}\nplacement: {{policy: best-fit}}\nservices:\n  - deployment: {{name: svc, replicas: 2, requests: {{cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}}}}\n    traffic: {{rates_csv: {}}}\n    capacity: {{tokens_per_s: 1000}}\n    overload: {overload}\n{hpa}simulation: {{end: 1h, sample_interval: 1m}}\n",
            csv.display()
        ),
    )
    .unwrap();
    f
}

fn summary(out: &Path) -> std::collections::BTreeMap<String, String> {
    crate::common::csv(out, "summary.csv").remove(0)
}

#[test]
fn the_hpa_follows_the_rate_with_the_documented_stabilization() {
    let dir = tmp("hpa");
    // 2,000 tok/s, then 10,000 from 10 min, then 1,000 from 30 min; 1,000 tok/s a replica, 50 %.
    let rates = "t,requests_per_s,tokens_per_s\n0s,2,2000\n10m,10,10000\n30m,1,1000\n";
    let hpa = "    hpa: {minReplicas: 2, maxReplicas: 30, targetUtilization: 50}\n";
    let out = crate::common::run(&service_scenario(&dir, "hpa", rates, "queue", hpa), "hpa-out");
    let ev = crate::common::csv(&out, "events.csv");
    let sizes: Vec<(f64, u32)> = ev
        .iter()
        .filter(|e| e["reason"] == "SuccessfulRescale")
        .map(|e| {
            let n = e["message"].trim_start_matches("New size: ").split(';').next().unwrap().parse().unwrap();
            (crate::common::num(e, "t_s"), n)
        })
        .collect();
    let size_at = |t: f64| sizes.iter().rev().find(|(at, _)| *at <= t).map_or(2, |s| s.1);
    // 2,000 tok/s at 50 % of 1,000: 4 replicas.
    assert_eq!(size_at(9.0 * 60.0), 4, "{sizes:?}");
    // Scale-up: no stabilization, at most 100 % or 4 pods per 15 s: 4 -> 8 -> 16 -> 20.
    let up: Vec<u32> = sizes.iter().filter(|(t, _)| (600.0..700.0).contains(t)).map(|s| s.1).collect();
    assert_eq!(up, [8, 16, 20], "{sizes:?}");
    assert_eq!(size_at(29.0 * 60.0), 20);
    // Scale-down waits for the 300 s window after the last high recommendation (the sync at or
    // just after 30 min still saw the high rate), then goes to 2 at once.
    let down = sizes.iter().find(|(t, n)| *t > 1800.0 && *n < 20).copied().expect("a scale-down");
    assert!((1800.0 + 300.0..=1800.0 + 300.0 + 30.0).contains(&down.0), "scaled down at {}", down.0);
    assert_eq!(down.1, 2);
    // Every token is accounted for: served in time, late, dropped or still queued.
    let s = summary(&out);
    let n = |c: &str| crate::common::num(&s, c);
    let tokens = 2000.0 * 600.0 + 10_000.0 * 1200.0 + 1000.0 * 1800.0;
    assert_eq!(n("svc_tokens"), tokens);
    let in_time = tokens - n("svc_tokens_late") - n("svc_tokens_dropped") - n("svc_tokens_queued_end");
    assert!(in_time > 0.0 && (in_time * 100.0 / tokens - n("svc_tokens_in_time_pct")).abs() < 1e-3, "{s:?}");
    assert!(n("svc_underprovisioned_s") > 0.0, "the step up outruns the new replicas for a while");
}

#[test]
fn overload_drop_loses_what_queue_serves_late() {
    let dir = tmp("overload");
    let rates = "t,requests_per_s,tokens_per_s\n0s,5,5000\n";
    let fixed = ""; // no HPA: 2 replicas, 2,000 tok/s for 5,000 arriving
    let q = summary(&crate::common::run(&service_scenario(&dir, "q", rates, "queue", fixed), "q-out"));
    let d = summary(&crate::common::run(&service_scenario(&dir, "d", rates, "drop", fixed), "d-out"));
    let n = |s: &std::collections::BTreeMap<String, String>, c: &str| crate::common::num(s, c);
    assert_eq!(n(&d, "svc_tokens_late"), 0.0);
    assert!(n(&d, "svc_tokens_dropped") > 0.0);
    assert_eq!(n(&q, "svc_tokens_dropped"), 0.0);
    assert!(n(&q, "svc_tokens_queued_end") > 0.0, "the queue grows: 3,000 tok/s beyond capacity");
    // Dropping keeps serving 2,000 of every 5,000 new tokens in time; a FIFO queue puts new work
    // behind the backlog, so almost nothing is served in its own second.
    let dropped_in_time = n(&d, "svc_tokens_in_time_pct");
    assert!((35.0..=40.0).contains(&dropped_in_time), "{dropped_in_time}");
    assert!(n(&q, "svc_tokens_in_time_pct") < 1.0, "{q:?}");
}

#[test]
fn bad_service_settings_get_one_clear_error() {
    let dir = tmp("svc-bad");
    let rates = "t,requests_per_s,tokens_per_s\n0s,1,100\n";
    let cases = [
        ("    hpa: {minReplicas: 5, maxReplicas: 3, targetUtilization: 50}\n", "hpa", "min <= max"),
        ("    hpa: {maxReplicas: 3, targetUtilization: 50, behavior: {scaleUp: {policies: [{type: Nodes, value: 1, periodSeconds: 15}]}}}\n", "type", "Pods or Percent"),
        ("    hpa: {maxReplicas: 3, targetUtilization: 0}\n", "targetUtilization", "1..=1000"),
    ];
    for (i, (hpa, field, want)) in cases.iter().enumerate() {
        let f = service_scenario(&dir, &format!("bad{i}"), rates, "queue", hpa);
        let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(code, 2, "case {i}: {err}");
        assert!(err.contains(field) && err.contains(want), "case {i}: {err}");
    }
    let f = service_scenario(&dir, "bad-rates", "t,requests_per_s,tokens_per_s\n10m,1,100\n5m,1,100\n", "queue", "");
    let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("line 3") && err.contains("times must increase"), "{err}");
}

#[test]
fn replicas_an_hpa_adds_are_scheduled_in_the_same_instant() {
    // Regression: pods created in the scaler phase after that instant's scheduling cycle had run
    // (here: the second HPA syncing at the same time as the first) waited for the next unrelated
    // event before being scheduled.
    let dir = tmp("hpa-same-instant");
    let svc = |name: &str| {
        format!(
            "  - deployment: {{name: {name}, replicas: 2, requests: {{cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}}}}\n    traffic: {{rate: 8/s}}\n    capacity: {{tokens_per_s: 1000}}\n    hpa: {{minReplicas: 2, maxReplicas: 30, targetUtilization: 50}}\n"
        )
    };
    let f = dir.join("two.yaml");
    std::fs::write(
        &f,
        format!(
            "name: two\ncluster:\n  nodes: [{{name: gpu, count: 8, cpu: '64', memory: 256Gi, gpus: 8, gpu_model: A10G}}]\nworkload: {{}}\nplacement: {{policy: best-fit}}\nservices:\n{}{}simulation: {{end: 10m, sample_interval: 1m}}\n",
            svc("a"),
            svc("b")
        ),
    )
    .unwrap();
    let pods = crate::common::csv(&crate::common::run(&f, "two-out"), "pods.csv");
    assert!(pods.iter().filter(|p| p["pod"].starts_with("b-")).count() > 2, "the second HPA added replicas");
    for p in &pods {
        assert_eq!(p["scheduled_s"], p["created_s"], "{p:?}");
    }
}

#[test]
fn a_gang_starts_all_its_workers_together_or_none_and_priority_orders_the_queue() {
    let dir = tmp("gang");
    let f = dir.join("gang.yaml");
    std::fs::write(
        &f,
        "name: gang\ncluster:\n  nodes: [{name: gpu, count: 2, cpu: '32', memory: 128Gi, gpus: 4, gpu_model: A10G}]\nworkload:\n  pods:\n    - {name: hold, count: 3, at: 0s, duration: 1h, requests: {cpu: '1', memory: 1Gi, nvidia.com/gpu: '1'}}\n    - {name: train, count: 1, parallelism: 6, at: 1m, duration: 30m, requests: {cpu: '1', memory: 1Gi, nvidia.com/gpu: '1'}}\n    - {name: low, count: 1, at: 2m, duration: 10m, requests: {cpu: '1', memory: 1Gi, nvidia.com/gpu: '3'}}\n    - {name: high, count: 1, at: 3m, duration: 10m, priority: 100, requests: {cpu: '1', memory: 1Gi, nvidia.com/gpu: '3'}}\nplacement: {policy: best-fit}\nsimulation: {end: 4h, sample_interval: 10m}\n",
    )
    .unwrap();
    let out = crate::common::run(&f, "gang-out");
    let pods = crate::common::csv(&out, "pods.csv");
    let at = |name: &str| crate::common::num(pods.iter().find(|p| p["pod"] == name).unwrap(), "scheduled_s");
    // 5 GPUs are free at 1 min: not enough for 6 workers, so none starts (no partial gang) ...
    let workers: Vec<f64> = (0..6).map(|j| at(&format!("train-0-w{j}"))).collect();
    assert!(workers.iter().all(|&t| t == workers[0]), "{workers:?}");
    // ... and the 3-GPU pods, which fit, are not held back by the waiting gang.
    assert!(at("low-0") < 3600.0 && at("low-0") >= 120.0, "low at {}", at("low-0"));
    // The gang starts once the holders leave at 1 h, before `high` (created later, waiting for 3 GPUs
    // that the gang now holds), which goes before nothing else: it had priority over `low` only
    // while both waited.
    assert!(workers[0] >= 3600.0, "gang at {}", workers[0]);
    let s = &crate::common::csv(&out, "summary.csv")[0];
    assert_eq!(crate::common::num(s, "jobs"), 1.0);
    assert_eq!(crate::common::num(s, "jobs_completed"), 1.0);
    assert!((crate::common::num(s, "job_queueing_mean_s") - (workers[0] - 60.0 + 1.0)).abs() < 1.5, "{s:?}");

    // Priority: with one GPU, `high` (created last) runs before `low` (created first).
    let f = dir.join("prio.yaml");
    std::fs::write(
        &f,
        "name: prio\ncluster:\n  nodes: [{name: gpu, count: 1, cpu: '32', memory: 128Gi, gpus: 1, gpu_model: A10G}]\nworkload:\n  pods:\n    - {name: hold, at: 0s, duration: 1h, requests: {cpu: '1', memory: 1Gi, nvidia.com/gpu: '1'}}\n    - {name: low, at: 1m, duration: 10m, requests: {cpu: '1', memory: 1Gi, nvidia.com/gpu: '1'}}\n    - {name: high, at: 2m, duration: 10m, priority: 100, requests: {cpu: '1', memory: 1Gi, nvidia.com/gpu: '1'}}\nplacement: {policy: best-fit}\nsimulation: {end: 2h, sample_interval: 10m}\n",
    )
    .unwrap();
    let pods = crate::common::csv(&crate::common::run(&f, "prio-out"), "pods.csv");
    let at = |name: &str| crate::common::num(pods.iter().find(|p| p["pod"] == name).unwrap(), "scheduled_s");
    // `hold` started at 1 s (container start) and leaves at 3,601 s.
    assert_eq!(at("high-0"), 3601.0);
    assert!(at("low-0") > at("high-0"));
}

#[test]
fn replica_capacity_follows_the_gpu_model_and_azure_traces_must_be_in_order() {
    let dir = tmp("svc-gpu");
    let run_with = |name: &str, capacity: &str| {
        let f = dir.join(format!("{name}.yaml"));
        std::fs::write(
            &f,
            format!("name: {name}\ncluster:\n  nodes: [{{name: t4, count: 1, cpu: '16', memory: 64Gi, gpus: 1, gpu_model: T4}}]\nworkload: {{}}\nplacement: {{policy: best-fit}}\nservices:\n  - deployment: {{name: s, replicas: 1, requests: {{cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}}}}\n    traffic: {{rate: 1/s, tokens_per_request: 1000}}\n    capacity: {capacity}\nsimulation: {{end: 10m, sample_interval: 1m}}\n"),
        )
        .unwrap();
        crate::common::csv(&crate::common::run(&f, &format!("{name}-out")), "summary.csv").remove(0)
    };
    let fast = run_with("fast", "{tokens_per_s: 2000}");
    let slow = run_with("slow", "{tokens_per_s: 2000, by_gpu_model: {T4: 500}}");
    // Serving starts after the 1 s container start; from then on 2,000 tok/s keep up with 1,000 and
    // a T4 at 500 does not.
    assert!(crate::common::num(&fast, "svc_underprovisioned_s") <= 1.0, "{fast:?}");
    assert!(crate::common::num(&slow, "svc_underprovisioned_s") >= 599.0, "{slow:?}");

    let csv = dir.join("azure.csv");
    std::fs::write(
        &csv,
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:50.0000000,10,5\n2023-11-16 18:15:49.5000000,10,5\n",
    )
    .unwrap();
    let f = dir.join("azure.yaml");
    std::fs::write(&f, format!("name: azure\ncluster:\n  nodes: [{{name: t4, count: 1, cpu: '16', memory: 64Gi, gpus: 1, gpu_model: T4}}]\nworkload: {{}}\nplacement: {{policy: best-fit}}\nservices:\n  - deployment: {{name: s, replicas: 1, requests: {{cpu: '2', memory: 8Gi}}}}\n    traffic: {{azure_csv: {}}}\n    capacity: {{tokens_per_s: 0}}\nsimulation: {{end: 10m}}\n", csv.display())).unwrap();
    let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("line 3") && err.contains("arrival order"), "{err}");
    std::fs::write(&csv, "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:50.0000000,10,5\n").unwrap();
    let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("capacity.tokens_per_s") && err.contains("1..=10^8"), "a capacity of zero: {err}");
}

#[test]
fn a_daily_cycle_of_service_traffic_keeps_the_mean_and_moves_the_hpa() {
    let dir = tmp("svc-diurnal");
    let run_with = |name: &str, diurnal: &str| {
        let f = dir.join(format!("{name}.yaml"));
        std::fs::write(
            &f,
            format!("name: {name}\ncluster:\n  nodes: [{{name: gpu, count: 4, cpu: '64', memory: 256Gi, gpus: 8, gpu_model: A10G}}]\nworkload: {{}}\nplacement: {{policy: best-fit}}\nservices:\n  - deployment: {{name: s, replicas: 2, requests: {{cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}}}}\n    traffic: {{rate: 10/s, tokens_per_request: 1000{diurnal}}}\n    capacity: {{tokens_per_s: 2000}}\n    hpa: {{minReplicas: 1, maxReplicas: 30, targetUtilization: 70}}\nsimulation: {{end: 1d, sample_interval: 1h}}\n"),
        )
        .unwrap();
        crate::common::csv(&crate::common::run(&f, &format!("{name}-out")), "summary.csv").remove(0)
    };
    let flat = run_with("flat", "");
    let daily = run_with("daily", ", diurnal: {amplitude: 0.8, peak: '14:00'}");
    let tokens = |s: &std::collections::BTreeMap<String, String>| crate::common::num(s, "svc_tokens");
    assert!((tokens(&flat) - 864e6).abs() < 1e3, "{}", tokens(&flat));
    assert!((tokens(&daily) / tokens(&flat) - 1.0).abs() < 1e-3, "a full day of the cycle averages to the rate");
    assert!(crate::common::num(&daily, "svc_rescales") > crate::common::num(&flat, "svc_rescales") + 5.0, "{daily:?}");
}

#[test]
fn the_timeline_may_scale_a_service_but_not_apply_it_again() {
    let dir = tmp("svc-timeline");
    let rates = "t,requests_per_s,tokens_per_s\n0s,1,100\n";
    let base = service_scenario(&dir, "scale", rates, "queue", "");
    let text = std::fs::read_to_string(&base).unwrap();
    let scaled = dir.join("scaled.yaml");
    std::fs::write(
        &scaled,
        text.replace("simulation:", "timeline:\n  - {at: 10m, scale: {deployment: svc, replicas: 4}}\nsimulation:"),
    )
    .unwrap();
    let pods = crate::common::csv(&crate::common::run(&scaled, "scaled-out"), "pods.csv");
    assert_eq!(pods.len(), 4, "2 replicas, then 4 from 10 min");
    let again = dir.join("again.yaml");
    std::fs::write(
        &again,
        text.replace(
            "simulation:",
            "timeline:\n  - {at: 0s, apply: {name: svc, replicas: 1, requests: {cpu: '1', memory: 1Gi}}}\nsimulation:",
        ),
    )
    .unwrap();
    let (code, _, err) = fleetsim(&["validate", again.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("timeline[0].apply.name") && err.contains("service's Deployment"), "{err}");
}

#[test]
fn a_service_started_above_the_hpa_range_goes_to_its_max_at_the_first_sync() {
    // horizontal.go reconcileAutoscaler: "Current number of replicas above Spec.MaxReplicas"
    // sets the count to max at once, whatever the metric (fleetsim used to refuse the file).
    let dir = tmp("hpa-above");
    let rates = "t,requests_per_s,tokens_per_s\n0s,1,1000\n";
    let f = service_scenario(
        &dir,
        "above",
        rates,
        "queue",
        "    hpa: {minReplicas: 1, maxReplicas: 1, targetUtilization: 50}\n",
    );
    let out = crate::common::run(&f, "hpa-above-out");
    let ev = crate::common::csv(&out, "events.csv");
    let first = ev.iter().find(|e| e["reason"] == "SuccessfulRescale").expect("a rescale");
    assert_eq!(crate::common::num(first, "t_s"), 15.0);
    assert!(
        first["message"].starts_with("New size: 1; reason: Current number of replicas above Spec.MaxReplicas"),
        "{first:?}"
    );
}

#[test]
fn an_hpa_with_two_metrics_scales_on_the_larger_proposal() {
    // computeReplicasForMetrics: 2,000 tok/s at 50 % of 1,000 a replica propose 4; 10 requests/s
    // at 1 a replica propose 10 (from 2, at most max(2 x current, 4) a sync): the requests win.
    let dir = tmp("hpa-two");
    let rates = "t,requests_per_s,tokens_per_s\n0s,10,2000\n";
    let hpa = "    hpa: {minReplicas: 1, maxReplicas: 30, targetUtilization: 50, targetRequestsAverageValue: 1}\n";
    let out = crate::common::run(&service_scenario(&dir, "two", rates, "queue", hpa), "hpa-two-out");
    let ev = crate::common::csv(&out, "events.csv");
    let sizes: Vec<&str> = ev
        .iter()
        .filter(|e| e["reason"] == "SuccessfulRescale")
        .map(|e| e["message"].trim_start_matches("New size: ").split(';').next().unwrap())
        .collect();
    assert_eq!(sizes.last(), Some(&"10"), "{sizes:?}");
}

#[test]
fn an_hpa_on_the_queue_scales_a_backlogged_service() {
    // An External metric (the service's queued tokens) with an AverageValue target: 5,000 tok/s
    // on 2 replicas of 1,000 queue 3,000 a second, so the HPA adds replicas beyond the 5 the
    // traffic needs while the backlog lasts.
    let dir = tmp("hpa-queue");
    let rates = "t,requests_per_s,tokens_per_s\n0s,5,5000\n";
    let hpa = "    hpa: {minReplicas: 1, maxReplicas: 30, targetQueueAverageValue: 1000}\n";
    let out = crate::common::run(&service_scenario(&dir, "queue", rates, "queue", hpa), "hpa-queue-out");
    let ev = crate::common::csv(&out, "events.csv");
    // (A queue alone oscillates: drained, it proposes 0 and the service shrinks after the
    // window, as it would upstream; the peak is what the backlog asked for.)
    let peak: u32 = ev
        .iter()
        .filter(|e| e["reason"] == "SuccessfulRescale")
        .map(|e| e["message"].trim_start_matches("New size: ").split(';').next().unwrap().parse().unwrap())
        .max()
        .expect("a rescale");
    assert!(peak > 5, "the queue drove the service to {peak} replicas at most");
}

#[test]
fn an_hpa_on_an_ingress_value_target_grows_the_ready_replicas_by_the_ratio() {
    // GetObjectMetricReplicas: 10 requests/s on the Ingress against a Value of 5 proposes
    // ceil(2 x ready) at every sync; the total does not fall as replicas are added, so the
    // service climbs to maxReplicas (as it would upstream with such a metric). The per-replica
    // form (AverageValue 5) at 30 requests/s settles at ceil(30 / 5) = 6, from 2.
    let dir = tmp("hpa-ingress");
    let sizes = |hpa: &str, name: &str, rps: u32| -> Vec<u32> {
        let rates = format!("t,requests_per_s,tokens_per_s\n0s,{rps},1000\n");
        let out = crate::common::run(&service_scenario(&dir, name, &rates, "queue", hpa), &format!("{name}-out"));
        crate::common::csv(&out, "events.csv")
            .iter()
            .filter(|e| e["reason"] == "SuccessfulRescale")
            .map(|e| e["message"].trim_start_matches("New size: ").split(';').next().unwrap().parse().unwrap())
            .collect()
    };
    let value = sizes("    hpa: {minReplicas: 1, maxReplicas: 8, targetIngressRequestsValue: 5}\n", "value", 10);
    assert_eq!(value.last(), Some(&8), "{value:?}");
    let avg = sizes("    hpa: {minReplicas: 1, maxReplicas: 8, targetIngressRequestsAverageValue: 5}\n", "avg", 30);
    // (At most max(2 x 2, 4) = 4 the first sync: the HPA has no behavior.)
    assert_eq!(avg, [4, 6], "{avg:?}");
}

/// The replica counts of the HPA's rescales, with their times (s).
fn rescales(out: &Path) -> Vec<(f64, u32)> {
    crate::common::csv(out, "events.csv")
        .iter()
        .filter(|e| e["reason"] == "SuccessfulRescale")
        .map(|e| {
            let n = e["message"].trim_start_matches("New size: ").split(';').next().unwrap().parse().unwrap();
            (crate::common::num(e, "t_s"), n)
        })
        .collect()
}

#[test]
fn an_hpa_updated_during_the_run_holds_from_the_next_sync() {
    // 8,000 tok/s at 50 % of 1,000 a replica want 16. At 10m the HPA is applied again with
    // maxReplicas 6: the sync at 10m itself (one falls on each 15 s) reads it and sets 6, "above
    // Spec.MaxReplicas"; then at
    // 20m a behavior that disables scale-down, with the traffic unchanged and the max back at
    // 30: it climbs to 16 again and stays.
    let dir = tmp("hpa-update");
    let rates = "t,requests_per_s,tokens_per_s\n0s,8,8000\n";
    let hpa = "    hpa: {minReplicas: 1, maxReplicas: 30, targetUtilization: 50}
    hpa_updates:
      - {at: 10m, hpa: {minReplicas: 1, maxReplicas: 6, targetUtilization: 50}}
      - {at: 20m, hpa: {minReplicas: 1, maxReplicas: 30, targetUtilization: 50, behavior: {scaleDown: {selectPolicy: Disabled}}}}
";
    let out = crate::common::run(&service_scenario(&dir, "update", rates, "queue", hpa), "hpa-update-out");
    let r = rescales(&out);
    let before: Vec<u32> = r.iter().filter(|(t, _)| *t < 600.0).map(|x| x.1).collect();
    assert_eq!(before.last(), Some(&16), "{r:?}");
    let capped = r.iter().find(|(t, _)| *t >= 600.0).expect("a rescale after the update");
    assert_eq!(*capped, (600.0, 6), "{r:?}");
    assert_eq!(r.iter().filter(|(t, _)| (600.0..1200.0).contains(t)).count(), 1, "{r:?}");
    let last = r.last().unwrap();
    assert!(last.0 >= 1200.0 && last.1 == 16, "{r:?}");
}

#[test]
fn an_update_creates_an_hpa_that_reads_the_last_period_at_once() {
    // No HPA until 5m; then one at 50 % of 1,000 a replica: 4,000 tok/s want 8, from 2 (at most
    // max(2 x 2, 4) = 4 the first sync, at 5m itself).
    let dir = tmp("hpa-create");
    let rates = "t,requests_per_s,tokens_per_s\n0s,4,4000\n";
    let hpa = "    hpa_updates: [{at: 5m, hpa: {minReplicas: 1, maxReplicas: 30, targetUtilization: 50}}]\n";
    let out = crate::common::run(&service_scenario(&dir, "create", rates, "queue", hpa), "hpa-create-out");
    let r = rescales(&out);
    assert_eq!(r.first(), Some(&(300.0, 4)), "{r:?}");
    assert_eq!(r.last().map(|x| x.1), Some(8), "{r:?}");
}
