//! Sweeps past one machine and past interruptions: shards run as separate processes and merged
//! give the unsharded sweep's bytes; a resumed sweep redoes only what is missing; a failing run
//! is reported and the others finish.

use crate::common::{fleetsim, root, tmp};
use std::path::{Path, PathBuf};
use std::process::Command;

/// 8 runs: 2 policies x 2 pod limits x 2 seeds, with every output file on.
fn sweep_file(dir: &Path) -> PathBuf {
    let t = root().join("traces/alibaba-gpu-v2023");
    let body = format!(
        r#"
name: shardable
base:
  cluster:
    nodes:
      - {{ name: g2, count: 12, cpu: "96", memory: 384Gi, gpus: 8, gpu_model: G2 }}
      - {{ name: t4, count: 12, cpu: "104", memory: 512Gi, gpus: 2, gpu_model: T4 }}
  workload:
    trace: {{ pods_csv: {t}/openb_pod_list_default.csv, departures: false, inflate_gpu_pct: 110, limit: 200 }}
  placement: {{ policy: fgd, unschedulable: drop }}
  output: {{ pods: true, nodes: true, timeseries: true, allocation_curve: 110 }}
matrix:
  placement.policy: [best-fit, fgd]
  workload.trace.limit: [100, 200]
  seed: {{ from: 1, to: 2 }}
"#,
        t = t.display()
    );
    let p = dir.join("shardable.yaml");
    std::fs::write(&p, body).unwrap();
    p
}

/// Every file of `a` (but run.json, which records wall time) equals the same file of `b`.
fn same_outputs(a: &Path, b: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n != "run.json")
        .collect();
    names.sort();
    for must in [
        "summary.csv",
        "pods.csv",
        "nodes.csv",
        "timeseries.csv",
        "allocation_curve.csv",
        "allocation_curve.svg",
        "sweep.json",
    ] {
        assert!(names.iter().any(|n| n == must), "{must} missing from {}: {names:?}", a.display());
    }
    for n in &names {
        let x = std::fs::read(a.join(n)).unwrap();
        let y = std::fs::read(b.join(n)).unwrap_or_else(|e| panic!("{n} missing in {}: {e}", b.display()));
        assert!(x == y, "{n} differs between {} and {}", a.display(), b.display());
    }
}

#[test]
fn shards_in_separate_processes_merge_into_the_unsharded_bytes_and_a_resume_redoes_only_what_is_missing() {
    let dir = tmp("shards");
    let f = sweep_file(&dir);
    let f = f.to_str().unwrap();
    let whole = dir.join("whole");
    let (code, _, err) = fleetsim(&["sweep", f, "--out", whole.to_str().unwrap(), "--threads", "2"]);
    assert_eq!(code, 0, "{err}");
    // Every parameter is a column of every row file.
    let pods = std::fs::read_to_string(whole.join("pods.csv")).unwrap();
    assert!(pods.lines().next().unwrap().ends_with(",placement.policy,workload.trace.limit,seed"), "{pods:.200}");
    assert_eq!(std::fs::read_to_string(whole.join("summary.csv")).unwrap().lines().count(), 9);

    // Three shards, three processes at once.
    let shards: Vec<PathBuf> = (0..3).map(|i| dir.join(format!("shard{i}"))).collect();
    let children: Vec<_> = shards
        .iter()
        .enumerate()
        .map(|(i, d)| {
            Command::new(env!("CARGO_BIN_EXE_fleetsim"))
                .args(["sweep", f, "--out", d.to_str().unwrap(), "--threads", "1", "--shard", &format!("{i}/3")])
                .output()
                .unwrap()
        })
        .collect();
    for (i, c) in children.iter().enumerate() {
        assert!(c.status.success(), "shard {i}: {}", String::from_utf8_lossy(&c.stderr));
    }
    let rows = |d: &Path| std::fs::read_to_string(d.join("summary.csv")).unwrap().lines().count() - 1;
    assert_eq!(shards.iter().map(|d| rows(d)).collect::<Vec<_>>(), [3, 3, 2], "round-robin shares of 8 runs");

    // A merge with a shard missing names what is missing.
    let partial = dir.join("partial");
    let (code, _, err) = fleetsim(&[
        "merge",
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
        "--out",
        partial.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("2 of 8 runs") && err.contains("policy=best-fit|limit=200|seed=1, policy=fgd|limit=100|seed=2"),
        "{err}"
    );

    let merged = dir.join("merged");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|d| d.to_str().unwrap()));
    args.extend(["--out", merged.to_str().unwrap()]);
    let (code, _, err) = fleetsim(&args);
    assert_eq!(code, 0, "{err}");
    same_outputs(&whole, &merged);

    // Interrupted: one run's record and the outputs are gone. The rerun does that run only.
    let runs = whole.join(".runs");
    let victim = std::fs::read_dir(&runs).unwrap().next().unwrap().unwrap().path();
    std::fs::remove_dir_all(&victim).unwrap();
    std::fs::remove_file(whole.join("summary.csv")).unwrap();
    let (code, _, err) = fleetsim(&["sweep", f, "--out", whole.to_str().unwrap(), "--threads", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("7 of 8 runs already finished"), "{err}");
    same_outputs(&merged, &whole);
    // Nothing left to do: nothing runs.
    let (code, _, err) = fleetsim(&["sweep", f, "--out", whole.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("8 of 8 runs already finished") && !err.contains("runs done"), "{err}");
}

#[test]
fn bad_shard_specs_are_refused_before_any_run() {
    let dir = tmp("badshard");
    let f = sweep_file(&dir);
    for bad in ["3/2", "2/2", "0/0", "x"] {
        let out = dir.join(bad.replace('/', "_"));
        let (code, _, err) = fleetsim(&["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap(), "--shard", bad]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("expected I/N"), "{bad}: {err}");
        assert!(!out.join("summary.csv").exists());
    }
    let (code, _, err) = fleetsim(&["merge", dir.to_str().unwrap(), "--out", dir.join("m").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("sweep.json"), "{err}");
}

#[test]
fn a_failing_run_is_reported_with_its_parameters_and_the_others_finish() {
    let dir = tmp("failing");
    // A trace with no GPU pod cannot be inflated to a GPU demand: that run fails when it runs.
    let trace = dir.join("cpu-only.csv");
    std::fs::write(
        &trace,
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time\na,1000,1024,0,0,0\nb,2000,1024,0,0,5\n",
    )
    .unwrap();
    let f = dir.join("failing.yaml");
    std::fs::write(
        &f,
        format!(
            "base:\n  cluster:\n    nodes: [{{ name: n, count: 2, cpu: \"8\", memory: 32Gi, gpus: 1, gpu_model: T4 }}]\n  workload:\n    trace: {{ pods_csv: {} }}\n  placement: {{ policy: best-fit }}\nmatrix:\n  workload.trace.inflate_gpu_pct: [null, 130]\n",
            trace.display()
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let (code, _, err) = fleetsim(&["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("inflate_gpu_pct=130") && err.contains("cannot inflate"), "{err}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 2, "the other run's row is written: {summary}");
}

#[test]
fn the_report_compares_the_quickstart_scalers_in_markdown_and_self_contained_html() {
    let dir = tmp("report");
    let out = dir.join("qs");
    let qs = root().join("scenarios/quickstart.yaml");
    let (code, _, err) = fleetsim(&["run", qs.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let rep = dir.join("rep");
    let (code, _, err) =
        fleetsim(&["report", out.to_str().unwrap(), "--out", rep.to_str().unwrap(), "--baseline", "smart-hosting"]);
    assert_eq!(code, 0, "{err}");
    // The table's delta is the summary's costs, against the chosen baseline.
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(summary.as_bytes());
    let head = rdr.headers().unwrap().clone();
    let col = head.iter().position(|h| h == "cost_usd").unwrap();
    let costs: Vec<f64> = rdr.records().map(|r| r.unwrap()[col].parse().unwrap()).collect();
    let delta = format!("{:+.1} %", (costs[0] - costs[1]) * 100.0 / costs[1]);
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    let line = md.lines().find(|l| l.starts_with("| pool-autoscaler |")).unwrap_or_else(|| panic!("{md}"));
    assert!(line.contains(&delta), "expected {delta} in {line}");
    assert!(md.lines().any(|l| l.starts_with("| smart-hosting |") && l.contains("+0.0 %")), "{md}");
    // Self-contained: charts inline, nothing fetched.
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    let charts = md.matches("![").count();
    assert!(charts >= 4, "{md}");
    assert_eq!(html.matches("<svg").count(), charts, "every chart inline");
    for banned in ["<script", "<link", "<img", "src=\"http", "href=\"http", "@import"] {
        assert!(!html.contains(banned), "report.html contains {banned}");
    }
    assert!(html.contains("<text"), "chart labels are SVG text, not font files");
    // What was compared and the answer come first; the answer names the cheapest with the
    // summary's own cost.
    let cheapest = costs.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(md.contains("**What was compared.** 3 policies (pool-autoscaler, smart-hosting, karpenter)"), "{md}");
    assert!(md.contains(&format!("cheapest: karpenter (${cheapest:.2})")), "{md}");
    // Every point of the cost chart has a hover title with its figures, and its label.
    let cost_svg = std::fs::read_to_string(rep.join("report-1-cost-p95.svg")).unwrap();
    for v in ["pool-autoscaler", "smart-hosting", "karpenter"] {
        assert!(cost_svg.contains(&format!("<title>{v}: cost $")), "{v} hover: {cost_svg}");
        assert!(cost_svg.contains(&format!(">{v}</text>")), "{v} label");
    }
    // Pending pods from exact event times: a step path, not a polyline of samples.
    let pending = std::fs::read_to_string(rep.join("report-1-pending.svg")).unwrap();
    assert!(pending.contains("<path d=\"M") && pending.contains('H') && !pending.contains("<polyline"), "{pending}");
    // A baseline that is no policy of the runs is a clear error.
    let (code, _, err) =
        fleetsim(&["report", out.to_str().unwrap(), "--out", rep.to_str().unwrap(), "--baseline", "fgd"]);
    assert_eq!(code, 2);
    assert!(err.contains("pool-autoscaler, smart-hosting"), "{err}");
}

#[test]
fn a_sweep_over_several_base_files_resolves_each_files_paths_against_its_own_directory() {
    let dir = tmp("bases");
    let seeds = root().join("scenarios/seeds");
    let f = dir.join("bases.yaml");
    std::fs::write(
        &f,
        format!(
            "name: walkthroughs\nbase_files:\n  - {}\n  - {}\nmatrix:\n  seed: [1, 2]\n",
            seeds.join("002-pool-autoscaler.yaml").display(),
            seeds.join("003-karpenter-weighted-tiers.yaml").display()
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let (code, _, err) = fleetsim(&["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let ids: Vec<&str> = summary.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "base=002-pool-autoscaler|seed=1",
            "base=002-pool-autoscaler|seed=2",
            "base=003-karpenter-weighted-tiers|seed=1",
            "base=003-karpenter-weighted-tiers|seed=2"
        ]
    );
    // Each base kept its own catalog (relative to scenarios/seeds/, not to this sweep's directory).
    let nodes = std::fs::read_to_string(out.join("nodes.csv")).unwrap();
    assert!(nodes.contains("ecs.gn7i-c8g1.2xlarge") && nodes.contains("g5.48xlarge"), "{nodes}");
    // A sweep naming both `base` and `base_files` is refused.
    std::fs::write(&f, "base_files: [a.yaml]\nbase_file: b.yaml\nmatrix: {seed: [1]}\n").unwrap();
    let (code, _, err) = fleetsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("exactly one of"), "{err}");
}
