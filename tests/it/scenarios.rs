//! Scenario-level tests: determinism, the packing experiment's protocol, bad input, and the
//! core's invariants under random operation sequences.

use fleetsim::core::{ClusterState, GpuRequest, NodeSpec, PodSpec, PolicyName, RandomSource, Workload, MILLI_PER_GPU};
use fleetsim::experiment::{run_all, run_scenario};
use fleetsim::report::{curve_csv, pods_csv, summary_csv, timeseries_csv};
use fleetsim::scenario::{load_file, Loaded};

use crate::common::{fleetsim, root};
use proptest::prelude::*;
use std::path::PathBuf;

fn scenario(rel: &str) -> fleetsim::scenario::Scenario {
    match load_file(&root().join(rel)).unwrap_or_else(|e| panic!("{e}")) {
        Loaded::Scenario(s) => *s,
        Loaded::Sweep(_) => panic!("{rel} is a sweep"),
    }
}

fn write_tmp(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fleetsim-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn alibaba_replay_is_byte_identical_run_after_run() {
    let s = scenario("scenarios/alibaba-replay.yaml");
    let a = run_scenario("q", &[], &s).unwrap();
    let b = run_scenario("q", &[], &s).unwrap();
    assert_eq!(summary_csv(&[&a], &[]), summary_csv(&[&b], &[]), "summary.csv differs; seed {}", s.seed);
    assert_eq!(pods_csv(&[&a], &[]), pods_csv(&[&b], &[]), "pods.csv differs; seed {}", s.seed);
    assert_eq!(timeseries_csv(&[&a], &[]), timeseries_csv(&[&b], &[]), "timeseries.csv differs; seed {}", s.seed);
    // Every pod of the trace is accounted for exactly once.
    assert_eq!(a.result.pods.len(), s.pods.len());
}

/// A small packing sweep: the first 1,500 pods of two workloads, inflated to 130 % of a
/// 200-node slice of the cluster.
fn small_sweep() -> PathBuf {
    let traces = root().join("traces/alibaba-gpu-v2023");
    write_tmp(
        "small-sweep.yaml",
        &format!(
            r#"
name: small
base:
  cluster:
    nodes:
      - {{ name: g2, count: 60, cpu: "96", memory: 384Gi, gpus: 8, gpu_model: G2 }}
      - {{ name: t4, count: 60, cpu: "104", memory: 512Gi, gpus: 2, gpu_model: T4 }}
      - {{ name: p100, count: 40, cpu: "64", memory: 256Gi, gpus: 2, gpu_model: P100 }}
      - {{ name: cpu, count: 40, cpu: "32", memory: 256Gi }}
  workload:
    trace: {{ pods_csv: {t}/openb_pod_list_default.csv, departures: false, inflate_gpu_pct: 130 }}
  placement: {{ policy: fgd, unschedulable: drop }}
  output: {{ pods: false, nodes: false, timeseries: false, allocation_curve: 130 }}
matrix:
  workload.trace.pods_csv: [{t}/openb_pod_list_default.csv, {t}/openb_pod_list_gpushare100.csv]
  placement.policy: [random, best-fit, fgd]
  seed: {{ from: 42, to: 43 }}
"#,
            t = traces.display()
        ),
    )
}

#[test]
fn sweep_outputs_do_not_depend_on_thread_count() {
    let Loaded::Sweep(sw) = load_file(&small_sweep()).unwrap() else { panic!("not a sweep") };
    assert_eq!(sw.runs.len(), 12);
    let one: Vec<_> = run_all(&sw.runs, 1, &|_, _| {}).unwrap().into_iter().map(Result::unwrap).collect();
    let two: Vec<_> = run_all(&sw.runs, 2, &|_, _| {}).unwrap().into_iter().map(Result::unwrap).collect();
    let r1: Vec<&_> = one.iter().collect();
    let r2: Vec<&_> = two.iter().collect();
    assert_eq!(summary_csv(&r1, &sw.axes), summary_csv(&r2, &sw.axes), "seeds 42..43: summary differs across threads");
    assert_eq!(
        curve_csv(&r1, &sw.axes),
        curve_csv(&r2, &sw.axes),
        "seeds 42..43: allocation curve differs across threads"
    );

    // The packing protocol: 131 points, allocation never decreases (no departures) and never
    // exceeds arrived demand or 100 %.
    for r in &one {
        let c = &r.result.curve;
        assert_eq!(c.len(), 131, "{}", r.run_id);
        for w in c.windows(2) {
            assert!(w[1].gpu_allocated_milli >= w[0].gpu_allocated_milli, "{}", r.run_id);
        }
        for p in c {
            // Point k is taken right after the pod that brought demand to k % or more, so the
            // allocation may exceed k % by at most that pod (8 GPUs at most in the trace).
            assert!(
                p.gpu_allocated_milli * 100 <= r.gpu_capacity_milli * p.arrived_pct as u64 + 8000 * 100,
                "{}",
                r.run_id
            );
            assert!(p.gpu_allocated_milli <= r.gpu_capacity_milli);
        }
    }
    // The paper's finding on this slice: FGD allocates more GPU than random-fit once demand has
    // passed capacity (mean over the two seeds, default workload).
    let at = |policy: &str, pct: usize| -> f64 {
        let v: Vec<f64> = one
            .iter()
            .filter(|r| r.policy == policy && r.workload == "openb_pod_list_default")
            .map(|r| r.result.curve[pct].gpu_allocated_milli as f64)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(at("fgd", 130) > at("random", 130), "fgd {} <= random {}", at("fgd", 130), at("random", 130));
}

#[test]
fn sweep_runs_are_built_on_demand_in_matrix_order() {
    let Loaded::Sweep(sw) = load_file(&small_sweep()).unwrap() else { panic!() };
    assert_eq!(sw.runs.len(), 12);
    // The last axis varies fastest; each run builds the scenario its parameters name, and the
    // hash recorded at load is the built scenario's.
    let ids: Vec<&str> = sw.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids[0], "pods_csv=openb_pod_list_default|policy=random|seed=42");
    assert_eq!(ids[1], "pods_csv=openb_pod_list_default|policy=random|seed=43");
    assert_eq!(ids[2], "pods_csv=openb_pod_list_default|policy=best-fit|seed=42");
    assert_eq!(ids[11], "pods_csv=openb_pod_list_gpushare100|policy=fgd|seed=43");
    for (i, r) in sw.runs.iter().enumerate() {
        let s = r.scenario().unwrap();
        assert_eq!(s.seed, 42 + (i % 2) as u64, "{}", r.run_id);
        assert_eq!(fleetsim::experiment::scenario_hash(&s).unwrap(), r.settings_hash, "{}", r.run_id);
    }
    assert_ne!(sw.runs[0].settings_hash, sw.runs[1].settings_hash);
}

#[test]
fn seeds_change_inflation_but_not_the_trace_prefix() {
    let Loaded::Sweep(sw) = load_file(&small_sweep()).unwrap() else { panic!() };
    let (s0, s1) = (sw.runs[0].scenario().unwrap(), sw.runs[1].scenario().unwrap());
    let a = run_scenario("a", &[], &s0).unwrap();
    let b = run_scenario("b", &[], &s1).unwrap();
    assert_eq!(s0.seed, 42);
    assert_eq!(s1.seed, 43);
    assert_ne!(a.result.curve, b.result.curve, "different seeds should sample different copies");
}

#[test]
fn bad_input_gets_one_clear_error_and_a_nonzero_exit() {
    let traces = root().join("traces/alibaba-gpu-v2023");
    let base = |extra: &str, policy: &str| {
        format!(
            "cluster:\n  nodes_csv: {t}/openb_node_list_gpu_node.csv\nworkload:\n  trace: {{ pods_csv: {t}/openb_pod_list_default.csv }}\nplacement:\n  policy: {policy}\n{extra}",
            t = traces.display()
        )
    };
    let window = |w: &str| {
        format!(
            "cluster:\n  nodes_csv: {t}/openb_node_list_gpu_node.csv\nworkload:\n  trace: {{ pods_csv: {t}/openb_pod_list_default.csv, window: {w} }}\nplacement: {{ policy: fgd }}\n",
            t = traces.display()
        )
    };
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("unknown-field.yaml", base("simulation:\n  sample_intervl: 1h\n", "fgd"), vec!["unknown-field.yaml", "sample_intervl"]),
        ("unknown-policy.yaml", base("", "bestfit"), vec!["placement.policy", "best-fit", "fgd"]),
        ("bad-duration.yaml", base("simulation:\n  end: 10\n", "fgd"), vec!["simulation.end", "unit"]),
        ("empty.yaml", String::new(), vec!["empty"]),
        ("not-yaml.yaml", "cluster: [unclosed\n".into(), vec!["not-yaml.yaml"]),
        (
            "bad-quantity.yaml",
            "cluster:\n  nodes:\n    - { name: a, cpu: \"-4\", memory: 16Gi }\nworkload:\n  pods:\n    - { name: p, requests: { cpu: \"1\" } }\nplacement: { policy: fgd }\n".into(),
            vec!["cluster.nodes[0].cpu", "negative"],
        ),
        (
            "too-many-gpus.yaml",
            "cluster:\n  nodes:\n    - { name: a, cpu: \"4\", memory: 16Gi, gpus: 300, gpu_model: A10 }\nworkload:\n  pods:\n    - { name: p, requests: { cpu: \"1\" } }\nplacement: { policy: fgd }\n".into(),
            vec!["cluster.nodes[0].gpus", "300", "at most 256"],
        ),
        (
            "bad-resource.yaml",
            "cluster:\n  nodes:\n    - { name: a, cpu: \"4\", memory: 16Gi }\nworkload:\n  pods:\n    - { name: p, requests: { nvidia.com/gpus: \"1\" } }\nplacement: { policy: fgd }\n".into(),
            vec!["workload.pods[0].requests.nvidia.com/gpus", "nvidia.com/gpu"],
        ),
        (
            "bad-window.yaml",
            window("{ from: 2d, to: 1d }"),
            vec!["bad-window.yaml", "workload.trace.window", "must be after"],
        ),
        ("empty-window.yaml", window("{ from: 400d, to: 401d }"), vec!["workload.trace.window", "no pod"]),
        ("range-window.yaml", window("147d-148d"), vec!["workload.trace.window", "expected e.g. `147d..148d`"]),
        (
            "bad-variant.yaml",
            format!(
                "base:\n  {}\nvariants:\n  a: {{ placement.policy: best-fit }}\n  b: {{ placement.polcy: fgd }}\n",
                base("", "fgd").replace('\n', "\n  ")
            ),
            vec!["variants.b.placement.polcy", "did you mean `policy`"],
        ),
    ];
    for (name, body, needles) in cases {
        let p = write_tmp(name, &body);
        let (code, _, err) = fleetsim(&["validate", p.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: exit code; stderr: {err}");
        assert!(!err.contains("panicked"), "{name} panicked: {err}");
        for n in needles {
            assert!(err.contains(n), "{name}: `{n}` not in: {err}");
        }
    }
    // A truncated trace row names the file and the line.
    let bad = write_tmp("truncated.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1000,1024,0,0\nb,1000\n");
    let sc = write_tmp(
        "truncated.yaml",
        &format!(
            "cluster:\n  nodes_csv: {}/openb_node_list_gpu_node.csv\nworkload:\n  trace: {{ pods_csv: {} }}\nplacement: {{ policy: fgd }}\n",
            traces.display(),
            bad.display()
        ),
    );
    let (code, _, err) = fleetsim(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        std::env::temp_dir().join("fleetsim-never").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("truncated.csv:3") && err.contains("expected 5"), "{err}");
    // A sweep path that names no field.
    let sw = write_tmp(
        "bad-matrix.yaml",
        &format!(
            "base:\n{}matrix:\n  placement.polcy: [fgd]\n",
            base("", "fgd").lines().map(|l| format!("  {l}\n")).collect::<String>()
        ),
    );
    let (code, _, err) = fleetsim(&["validate", sw.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("names no field") && err.contains("did you mean `policy`"), "{err}");
    let (code, _, err) = fleetsim(&["run", sw.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn wait_mode_retries_when_capacity_frees() {
    let p = write_tmp(
        "wait.yaml",
        r#"
cluster:
  nodes:
    - { name: gpu, count: 1, cpu: "8", memory: 32Gi, gpus: 1, gpu_model: A10, taints: ["nvidia.com/gpu=true:NoSchedule"] }
workload:
  pods:
    - name: first
      requests: { cpu: "1", memory: 1Gi, nvidia.com/gpu: "1" }
      duration: 10m
      tolerations: [{ key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }]
    - name: second
      at: 1m
      requests: { cpu: "1", memory: 1Gi, nvidia.com/gpu: "1" }
      duration: 5m
      tolerations: [{ key: nvidia.com/gpu, operator: Exists }]
    - name: intolerant
      at: 2m
      requests: { cpu: "1", memory: 1Gi }
placement: { policy: best-fit }
simulation: { sample_interval: 1m }
"#,
    );
    let Loaded::Scenario(s) = load_file(&p).unwrap() else { panic!() };
    let r = run_scenario("w", &[], &s).unwrap();
    let pod = |n: &str| r.result.pods.iter().find(|p| p.name == n).unwrap();
    assert_eq!(pod("second-0").scheduled.map(|t| t.0), Some(600_000), "second waits for first to finish at 10m");
    assert_eq!(pod("second-0").finished.map(|t| t.0), Some(900_000));
    assert_eq!(pod("intolerant-0").scheduled, None);
    assert!(pod("intolerant-0").reason.contains("taint"), "{}", pod("intolerant-0").reason);
}

struct Lcg(u64);
impl RandomSource for Lcg {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1);
        self.0 >> 1
    }
}

fn arb_pod() -> impl Strategy<Value = PodSpec> {
    (0u64..40_000, 0u64..200_000, 0u32..4, 1u32..1000).prop_map(|(cpu, mem, kind, milli)| PodSpec {
        name: "p".into(),
        cpu_milli: cpu,
        memory_mib: mem,
        gpu: match kind {
            0 => GpuRequest::None,
            1 => GpuRequest::Shared { milli },
            2 => GpuRequest::Whole { count: 1 + milli % 2 },
            _ => GpuRequest::Whole { count: 1 + milli % 8 },
        },
        ..Default::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// No node is ever over-committed, every pod is bound at most once and accounted for, and
    /// fork/revert restores the state exactly — under every policy.
    #[test]
    fn core_invariants(pods in proptest::collection::vec(arb_pod(), 1..120), policy in 0usize..7, depart in proptest::collection::vec(any::<bool>(), 120)) {
        let name = PolicyName::ALL[policy];
        let mut c = ClusterState::new(name.cluster_options());
        for (i, (cpu, gpus, model)) in [(32_000u64, 8u32, "G2"), (64_000, 2, "T4"), (16_000, 0, ""), (96_000, 4, "V100M16")].iter().enumerate() {
            for k in 0..3 {
                c.add_node(&NodeSpec { name: format!("n{i}-{k}"), cpu_milli: *cpu, memory_mib: 262_144, gpu_count: *gpus,
                    gpu_model: if *gpus > 0 { Some(model.to_string()) } else { None }, ..Default::default() }).unwrap();
            }
        }
        let mut p = name.build(&Workload::from_pods(&pods));
        let mut rng = Lcg(7);
        let mut bound = Vec::new();
        for (i, pod) in pods.iter().enumerate() {
            let before = c.clone();
            let cp = c.fork();
            if let Some(pl) = p.place(&c, pod, &mut rng) {
                c.bind(i as u64, pod, &pl).unwrap();
                bound.push(i as u64);
            }
            c.revert(cp).unwrap();
            prop_assert_eq!(&c, &before);
            if let Some(pl) = p.place(&c, pod, &mut rng) {
                prop_assert!(c.bind(i as u64, pod, &pl).is_ok());
            } else {
                prop_assert!(c.unfit_reason(pod).is_some());
            }
            if depart[i] && !bound.is_empty() {
                let id = bound.remove(0);
                let _ = c.unbind(id);
            }
            for (_, n) in c.nodes() {
                let t = c.template(n.template);
                prop_assert!(n.free_cpu <= t.cpu_milli && n.free_mem <= t.memory_mib);
                prop_assert!(n.gpu_free.iter().all(|&g| g <= MILLI_PER_GPU));
            }
            let used: u64 = c.nodes().map(|(_, n)| n.gpu_free.iter().map(|&g| (MILLI_PER_GPU - g) as u64).sum::<u64>()).sum();
            prop_assert_eq!(used, c.totals().gpu_milli_allocated);
            let pods_on_nodes: u64 = c.nodes().map(|(_, n)| n.pods as u64).sum();
            prop_assert_eq!(pods_on_nodes, c.totals().pods);
        }
    }
}

#[test]
fn shipped_scenarios_validate() {
    for f in [
        "scenarios/quickstart.yaml",
        "scenarios/alibaba-replay.yaml",
        "scenarios/fgd-openb.yaml",
        "scenarios/sweeps/scalers-alibaba.yaml",
        "scenarios/scale/ladder.yaml",
    ] {
        let (code, out, err) = fleetsim(&["validate", root().join(f).to_str().unwrap()]);
        assert_eq!(code, 0, "{f}: {err}");
        assert!(out.starts_with("ok:"), "{out}");
    }
}

#[test]
fn every_command_help_example_names_a_shipped_file_that_works() {
    // `--help` teaches by example: each `fleetsim <cmd> scenarios/...` line names a file the
    // checkout ships, and the trace example runs.
    let mut seen = 0;
    for cmd in ["run", "sweep", "validate", "trace", "report", "plan"] {
        let (code, out, err) = crate::common::fleetsim(&[cmd, "--help"]);
        assert_eq!(code, 0, "{cmd}: {err}");
        for word in out.split_whitespace().filter(|w| w.starts_with("scenarios/") || w.starts_with("examples/")) {
            let path = crate::common::root().join(word.trim_end_matches([',', ')', '.']));
            assert!(path.exists(), "`fleetsim {cmd} --help` names {word}, which is not shipped");
            seen += 1;
        }
    }
    assert!(seen >= 3, "the commands' help names {seen} shipped files");
    let out = crate::common::tmp("help-trace").join("t.csv");
    let scenario = crate::common::root().join("scenarios/alibaba-replay.yaml");
    let (code, _, err) =
        crate::common::fleetsim(&["trace", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}
