//! The other commands and their flags: `trace`, `run`, `sweep` (`--shard`, `--threads`), `report`,
//! `merge`, and what clap refuses (exit 2).

use super::{indent, scenario, Case};

/// A sweep of two seeds of [`scenario`].
fn sweep() -> String {
    format!("name: w\nbase:\n{}matrix:\n  seed: [1, 2]\n", indent(&scenario("")))
}

/// A sweep.json manifest of the two runs of [`sweep`] (as `fleetsim sweep --shard` writes it).
fn manifest(name: &str) -> String {
    format!(
        r#"{{"format_version": 1, "fleetsim_version": "0.1.0", "name": "{name}", "axes": ["seed"], "shard": "0/2", "runs": [{{"run_id": "seed=1", "key": "d9f4289bf27abbf7"}}, {{"run_id": "seed=2", "key": "85eaa04dac9e5169"}}]}}"#
    )
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        // trace
        Case {
            name: "trace without --out",
            files: vec![("s.yaml", scenario(""))],
            args: &["trace", "DIR/s.yaml"],
            code: 2,
            says: &["the following required arguments were not provided", "--out <OUT>"],
        },
        Case {
            name: "trace of a sweep without a run named",
            files: vec![("w.yaml", sweep())],
            args: &["trace", "DIR/w.yaml", "--out", "OUT/t.csv"],
            code: 2,
            says: &["w.yaml is a sweep of 2 runs", "name the one whose workload to write with --run", "seed=1, seed=2"],
        },
        Case {
            name: "trace of a sweep run that does not exist",
            files: vec![("w.yaml", sweep())],
            args: &["trace", "DIR/w.yaml", "--run", "seed=3", "--out", "OUT/t.csv"],
            code: 2,
            says: &["--run `seed=3`: no run of", "w.yaml has that id; its runs: seed=1, seed=2"],
        },
        Case {
            name: "trace --variant of a sweep without variants",
            files: vec![("w.yaml", sweep())],
            args: &["trace", "DIR/w.yaml", "--variant", "a", "--out", "OUT/t.csv"],
            code: 2,
            says: &["--variant:", "w.yaml has no `variants`; name a run with --run: seed=1, seed=2"],
        },
        Case {
            name: "trace --run of a single scenario",
            files: vec![("s.yaml", scenario(""))],
            args: &["trace", "DIR/s.yaml", "--run", "seed=1", "--out", "OUT/t.csv"],
            code: 2,
            says: &["--run:", "s.yaml is a single scenario", "leave --run out"],
        },
        Case {
            name: "trace of a timeline-only workload",
            files: vec![(
                "s.yaml",
                scenario("timeline: [{at: 0s, apply: {name: d, replicas: 1, requests: {cpu: '1'}}}]\n").replace(
                    "workload: {pods: [{name: p, requests: {cpu: '1', memory: 1Gi, nvidia.com/gpu: '1'}}]}",
                    "workload: {}",
                ),
            )],
            args: &["trace", "DIR/s.yaml", "--out", "OUT/t.csv"],
            code: 2,
            says: &["s.yaml", "the workload has no pods to write: its pods come from the `timeline`'s Deployments"],
        },
        Case {
            name: "trace of a scenario that does not exist",
            files: vec![],
            args: &["trace", "DIR/nope.yaml", "--out", "OUT/t.csv"],
            code: 2,
            says: &["nope.yaml", "cannot read", "No such file"],
        },
        // run and sweep
        Case {
            name: "sweep of a single scenario",
            files: vec![("s.yaml", scenario(""))],
            args: &["sweep", "DIR/s.yaml", "--out", "OUT"],
            code: 2,
            says: &["s.yaml is a single scenario (no `matrix` or `variants`)", "run it with `fleetsim run"],
        },
        Case {
            name: "--shard 3/2",
            files: vec![("w.yaml", sweep())],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT", "--shard", "3/2"],
            code: 2,
            says: &["invalid value '3/2' for '--shard <I/N>'", "expected I/N with 0 <= I < N"],
        },
        Case {
            name: "--shard 0/0",
            files: vec![("w.yaml", sweep())],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT", "--shard", "0/0"],
            code: 2,
            says: &["invalid value '0/0' for '--shard <I/N>'", "expected I/N with 0 <= I < N"],
        },
        Case {
            name: "--shard a/b",
            files: vec![("w.yaml", sweep())],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT", "--shard", "a/b"],
            code: 2,
            says: &["invalid value 'a/b' for '--shard <I/N>'", "`a/b` is not a shard"],
        },
        Case {
            name: "--shard 1",
            files: vec![("w.yaml", sweep())],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT", "--shard", "1"],
            code: 2,
            says: &["invalid value '1' for '--shard <I/N>'", "expected I/N"],
        },
        Case {
            name: "--shard=-1/2",
            files: vec![("w.yaml", sweep())],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT", "--shard=-1/2"],
            code: 2,
            says: &["invalid value '-1/2' for '--shard <I/N>'", "expected I/N"],
        },
        Case {
            name: "--threads on run",
            files: vec![("s.yaml", scenario(""))],
            args: &["run", "DIR/s.yaml", "--out", "OUT", "--threads", "2"],
            code: 2,
            says: &["unexpected argument '--threads' found"],
        },
        Case {
            name: "a mistyped flag",
            files: vec![("s.yaml", scenario(""))],
            args: &["run", "DIR/s.yaml", "--outt", "OUT"],
            code: 2,
            says: &["unexpected argument '--outt' found", "a similar argument exists: '--out'"],
        },
        Case {
            name: "an unknown command",
            files: vec![],
            args: &["simulate"],
            code: 2,
            says: &["unrecognized subcommand 'simulate'", "Usage: fleetsim <COMMAND>"],
        },
        Case { name: "no command", files: vec![], args: &[], code: 2, says: &["Usage: fleetsim <COMMAND>"] },
        Case {
            name: "validate of two files",
            files: vec![("s.yaml", scenario(""))],
            args: &["validate", "DIR/s.yaml", "DIR/s.yaml"],
            code: 2,
            says: &["unexpected argument", "Usage: fleetsim validate <FILE>"],
        },
        // report
        Case {
            name: "report of a directory that does not exist",
            files: vec![],
            args: &["report", "DIR/nope", "--out", "OUT"],
            code: 2,
            says: &["nope/summary.csv", "cannot read", "give the output directory of `fleetsim run` or `sweep`"],
        },
        Case {
            name: "report of a summary with no runs",
            files: vec![("summary.csv", "run_id,policy,seed\n".into())],
            args: &["report", "DIR", "--out", "OUT"],
            code: 2,
            says: &["summary.csv", "no runs in it"],
        },
        Case {
            name: "report of a summary without cost or pending columns",
            files: vec![("summary.csv", "run_id,scenario,policy,seed\nr1,s,best-fit,1\n".into())],
            args: &["report", "DIR", "--out", "OUT"],
            code: 2,
            says: &["summary.csv", "not a fleetsim summary (no column pods, cost_usd, pending_p95_s)"],
        },
        // merge
        Case {
            name: "merge of a directory with no sweep.json",
            files: vec![("b/sweep.json", manifest("w"))],
            args: &["merge", "DIR/a", "DIR/b", "--out", "OUT"],
            code: 2,
            says: &["a/sweep.json", "cannot read", "the output of `fleetsim sweep`?"],
        },
        Case {
            name: "merge of two different sweeps",
            files: vec![("a/sweep.json", manifest("w")), ("b/sweep.json", manifest("other"))],
            args: &["merge", "DIR/a", "DIR/b", "--out", "OUT"],
            code: 2,
            says: &["/b holds a different sweep than", "/a", "merge only shards of one sweep"],
        },
        Case {
            name: "merge of a sweep.json that is not JSON",
            files: vec![("a/sweep.json", "{".into()), ("b/sweep.json", manifest("w"))],
            args: &["merge", "DIR/a", "DIR/b", "--out", "OUT"],
            code: 2,
            says: &["a/sweep.json", "not a sweep manifest", "line 1 column 1"],
        },
        Case {
            name: "merge of a sweep.json missing fields",
            files: vec![
                ("a/sweep.json", "{\"format_version\": 1, \"name\": \"w\"}".into()),
                ("b/sweep.json", manifest("w")),
            ],
            args: &["merge", "DIR/a", "DIR/b", "--out", "OUT"],
            code: 2,
            says: &["a/sweep.json", "not a sweep manifest", "missing field `fleetsim_version`"],
        },
        Case {
            name: "merge of shards whose runs are missing",
            files: vec![("a/sweep.json", manifest("w")), ("b/sweep.json", manifest("w"))],
            args: &["merge", "DIR/a", "DIR/b", "--out", "OUT"],
            code: 1,
            says: &["2 of 2 runs are in none of the directories", "a shard missing or failed?", "seed=1, seed=2"],
        },
        Case {
            name: "merge without --out",
            files: vec![],
            args: &["merge", "DIR/a"],
            code: 2,
            says: &["the following required arguments were not provided", "--out <OUT>"],
        },
    ]
}
