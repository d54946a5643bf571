//! Bad input gets one clear error and nothing lost: a table of malformed inputs, each with the
//! command, the exit code, a fragment the message must hold, and a check that no panic happened
//! and no file was left in the output directory. Also closed and full standard output.

use crate::common::{root, tmp};
use std::path::Path;
use std::process::{Command, Stdio};

/// A small valid scenario to break: one GPU node, one pod, best-fit, an hour; `extra` is appended.
fn scenario(extra: &str) -> String {
    format!(
        "name: bad\ncluster: {{nodes: [{{name: a, cpu: '8', memory: 32Gi, gpus: 1, gpu_model: A10G}}]}}\n\
         workload: {{pods: [{{name: p, requests: {{cpu: '1', memory: 1Gi, nvidia.com/gpu: '1'}}}}]}}\n\
         placement: {{policy: best-fit}}\nsimulation: {{end: 1h, sample_interval: 10m}}\n{extra}"
    )
}

const NODEPOOL: &str = "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: np}\nspec:\n  template:\n    spec:\n      requirements:\n        - {key: KEY, operator: In, values: [g5.xlarge]}\n";

mod autoscaling;
mod commands;
mod karpenter;
mod pending;
mod plan_files;
mod scenario_yaml;
mod services_fleet;
mod sweep_files;
mod trace_files;

/// The base scenario of [`scenario`] with the top-level line `key: ...` replaced by `key: value`
/// (or `key: value` added when the base has no such line).
fn scenario_with(key: &str, value: &str) -> String {
    let base = scenario("");
    let mut found = false;
    let mut out = String::new();
    for line in base.lines() {
        if line.split_once(':').is_some_and(|(k, _)| k == key) {
            out.push_str(&format!("{key}: {value}\n"));
            found = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !found {
        out.push_str(&format!("{key}: {value}\n"));
    }
    out
}

/// A shipped catalog by file name (`aws-gpu.yaml`, `alibaba-a10.yaml`), as an absolute path.
fn catalog(file: &str) -> String {
    root().join("scenarios/catalogs").join(file).display().to_string()
}

/// [`scenario`] with `catalog:` pointing at the shipped AWS catalog.
fn with_catalog(extra: &str) -> String {
    scenario(&format!("catalog: {}\n{extra}", catalog("aws-gpu.yaml")))
}

struct Case {
    name: &'static str,
    /// Files to write into the case's directory: (name, contents); a name may hold a directory.
    files: Vec<(&'static str, String)>,
    /// Arguments; `DIR` stands for the case's directory, `OUT` for a fresh output directory.
    args: &'static [&'static str],
    code: i32,
    says: &'static [&'static str],
}

/// `fleetsim validate DIR/s.yaml` of `files`: exit 2 and a message holding every `says`.
fn validate(name: &'static str, files: Vec<(&'static str, String)>, says: &'static [&'static str]) -> Case {
    Case { name, files, args: &["validate", "DIR/s.yaml"], code: 2, says }
}

/// Every row the test runs: each must pass.
fn cases() -> Vec<Case> {
    let mut all = original_cases();
    all.extend(pending::fixed());
    all.extend(scenario_yaml::cases());
    all.extend(autoscaling::cases());
    all.extend(karpenter::cases());
    all.extend(services_fleet::cases());
    all.extend(trace_files::cases());
    all.extend(sweep_files::cases());
    all.extend(plan_files::cases());
    all.extend(commands::cases());
    all
}

/// Rows whose expected behaviour the CLI does not have yet (a wrong exit code, a message that does
/// not name the file or the field, parser jargon, a bad input accepted), each written as the CLI
/// should behave; [`pending_rows_are_still_wrong`] checks that each still fails.
fn pending_cases() -> Vec<Case> {
    pending::cases()
}

fn original_cases() -> Vec<Case> {
    let nodes = "{\"kind\": \"NodeList\", \"items\": [\
        {\"metadata\": {\"name\": \"n\"}, \"status\": {\"allocatable\": {\"cpu\": \"8\", \"memory\": \"32Gi\"}}},\
        {\"metadata\": {\"name\": \"n\"}, \"status\": {\"allocatable\": {\"cpu\": \"8\", \"memory\": \"32Gi\"}}}]}";
    let pods = "{\"kind\": \"PodList\", \"items\": []}";
    vec![
        Case {
            name: "a catalog that does not exist",
            files: vec![("s.yaml", scenario("catalog: nowhere.yaml\n"))],
            args: &["validate", "DIR/s.yaml"],
            code: 2,
            says: &["s.yaml", "catalog", "nowhere.yaml", "cannot read"],
        },
        Case {
            name: "a NodePool file holding only ---",
            files: vec![("np.yaml", "---\n---\n".into()), ("s.yaml", with_catalog("nodepools: [np.yaml]\n"))],
            args: &["validate", "DIR/s.yaml"],
            code: 2,
            says: &["s.yaml", "field `nodepools`", "no NodePool", "expected `kind: NodePool`"],
        },
        Case {
            name: "an empty NodePool file",
            files: vec![("np.yaml", String::new()), ("s.yaml", with_catalog("nodepools: [np.yaml]\n"))],
            args: &["run", "DIR/s.yaml", "--out", "OUT"],
            code: 2,
            says: &["s.yaml", "field `nodepools`", "no NodePool", "expected `kind: NodePool`"],
        },
        Case {
            name: "a requirement with an empty key",
            files: vec![("np.yaml", NODEPOOL.replace("KEY", "''")), ("s.yaml", with_catalog("nodepools: [np.yaml]\n"))],
            args: &["validate", "DIR/s.yaml"],
            code: 2,
            says: &["np.yaml", "spec.template.spec.requirements[0]", "`key` is empty"],
        },
        Case {
            name: "a range of a hundred million seeds",
            files: vec![(
                "w.yaml",
                format!("name: w\nbase:\n{}matrix:\n  seed: {{from: 1, to: 100000000}}\n", indent(&scenario(""))),
            )],
            args: &["validate", "DIR/w.yaml"],
            code: 2,
            says: &["w.yaml", "matrix.seed", "100000000 values", "at most 100000 runs"],
        },
        Case {
            name: "a matrix whose product is too large",
            files: vec![(
                "w.yaml",
                format!(
                    "name: w\nbase:\n{}matrix:\n  seed: {{from: 1, to: 2000}}\n  workload.pods[0].count: {{from: 1, to: 100}}\n",
                    indent(&scenario(""))
                ),
            )],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT"],
            code: 2,
            says: &["w.yaml", "more than 100000 runs", "seed: 2000", "workload.pods[0].count: 100"],
        },
        Case {
            name: "a report of a directory whose summary is not fleetsim's",
            files: vec![("summary.csv", "a,b\n1,2\n".into())],
            args: &["report", "DIR", "--out", "OUT"],
            code: 2,
            says: &["summary.csv", "not a fleetsim summary", "run_id"],
        },
        Case {
            name: "a node dump naming a node twice",
            files: vec![("nodes.json", nodes.into()), ("pods.json", pods.into())],
            args: &["plan", "--nodes", "DIR/nodes.json", "--pods", "DIR/pods.json"],
            code: 2,
            says: &["nodes.json", "metadata.name", "listed twice"],
        },
        Case {
            name: "an unknown controller",
            files: vec![("s.yaml", scenario("controllers: [{name: mine}]\n"))],
            args: &["validate", "DIR/s.yaml"],
            code: 2,
            says: &["s.yaml", "field `controllers[0]", "unknown controller `mine`"],
        },
        Case {
            name: "a controller item that is not a mapping",
            files: vec![("s.yaml", scenario("controllers: [mine]\n"))],
            args: &["validate", "DIR/s.yaml"],
            code: 2,
            says: &["s.yaml", "field `controllers[0]`", "expected a mapping"],
        },
        Case {
            name: "a built-in controller named in controllers:",
            files: vec![("s.yaml", scenario("controllers: [{name: cluster-autoscaler}]\n"))],
            args: &["validate", "DIR/s.yaml"],
            code: 2,
            says: &["s.yaml", "controllers[0]", "built in", "`pools:`"],
        },
    ]
}

/// `yaml` indented two spaces (a sweep's `base`).
fn indent(yaml: &str) -> String {
    yaml.lines().map(|l| format!("  {l}\n")).collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// Runs row `i` in a fresh directory: what is wrong with the outcome, if anything.
fn check(i: usize, c: &Case) -> Option<String> {
    let dir = tmp(&format!("bad-{i}"));
    let out = dir.join("out");
    for (name, text) in &c.files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let args: Vec<String> =
        c.args.iter().map(|a| a.replace("DIR", dir.to_str().unwrap()).replace("OUT", out.to_str().unwrap())).collect();
    let o = Command::new(env!("CARGO_BIN_EXE_fleetsim")).args(&args).env("RUST_BACKTRACE", "1").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let code = o.status.code().unwrap_or(-1);
    let mut wrong = Vec::new();
    if code != c.code {
        wrong.push(format!("exit {code}, expected {}", c.code));
    }
    if err.contains("panicked") {
        wrong.push("panicked".into());
    }
    for s in c.says {
        if !err.contains(s) {
            wrong.push(format!("no `{s}` in the message"));
        }
    }
    let left = files_in(&out);
    if !left.is_empty() {
        wrong.push(format!("left {left:?} in the output directory"));
    }
    (!wrong.is_empty()).then(|| format!("{}: {}\n  stderr: {err}", c.name, wrong.join("; ")))
}

#[test]
fn every_bad_input_gets_exit_2_a_message_naming_what_is_wrong_and_leaves_nothing() {
    let failures: Vec<String> = cases().iter().enumerate().filter_map(|(i, c)| check(i, c)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The pending rows are what fleetsim still gets wrong: each must still fail its check, so a fix
/// shows here and its row moves into its section's `cases()`.
#[test]
fn pending_rows_are_still_wrong() {
    let fixed: Vec<&str> = pending_cases()
        .iter()
        .enumerate()
        .filter(|(i, c)| check(10_000 + i, c).is_none())
        .map(|(_, c)| c.name)
        .collect();
    assert!(fixed.is_empty(), "these pending rows pass now; move them into cases(): {fixed:#?}");
}

#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_is_a_clear_error() {
    let ex = root().join("examples/plan");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args([
            "plan",
            "--nodes",
            ex.join("nodes.json").to_str().unwrap(),
            "--pods",
            ex.join("pods.json").to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before anything is read
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    if let Ok(full) = std::fs::File::create("/dev/full") {
        let o = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
            .args(["validate", root().join("scenarios/quickstart.yaml").to_str().unwrap()])
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("writing to standard output") && !err.contains("panicked"), "{err}");
    }
}

#[test]
fn more_threads_than_runs_are_capped_with_a_note() {
    let dir = tmp("threads");
    let f = dir.join("w.yaml");
    std::fs::write(&f, format!("name: w\nbase:\n{}matrix:\n  seed: [1, 2, 3]\n", indent(&scenario("")))).unwrap();
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap(), "--threads", "100000"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("--threads 100000 capped at"), "{err}");
}
