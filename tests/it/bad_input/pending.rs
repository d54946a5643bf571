//! Rows the CLI does not pass yet, each written as the CLI should behave. They are not run (see
//! [`super::pending_cases`]); move a row into its section's `cases()` once it passes. The comment
//! above each row says what happens now.

use super::autoscaling::CATALOG;
use super::{catalog, indent, scenario, scenario_with, validate, with_catalog, Case};

/// A one-line inline NodePool of g5.xlarge.
const INLINE_NODEPOOL: &str = "{apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {name: np}, spec: {template: {spec: {requirements: [{key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge]}]}}}}";

fn sweep(axes: &str) -> String {
    format!("name: w\nbase:\n{}{axes}", indent(&scenario("")))
}

fn sw(name: &'static str, text: String, says: &'static [&'static str]) -> Case {
    Case { name, files: vec![("w.yaml", text)], args: &["validate", "DIR/w.yaml"], code: 2, says }
}

const NODE: &str = r#"{"metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "8", "memory": "32Gi"}}}"#;
const POD: &str = r#"{"metadata": {"name": "p", "namespace": "default", "creationTimestamp": "2026-01-05T09:00:00Z"}, "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}, "status": {"phase": "Pending"}}"#;

fn plan(name: &'static str, nodes: String, pods: String, says: &'static [&'static str]) -> Case {
    Case {
        name,
        files: vec![("nodes.json", nodes), ("pods.json", pods)],
        args: &["plan", "--nodes", "DIR/nodes.json", "--pods", "DIR/pods.json"],
        code: 2,
        says,
    }
}

fn nodes(items: &str) -> String {
    format!("{{\"kind\": \"NodeList\", \"items\": [{items}]}}")
}

fn pods(items: &str) -> String {
    format!("{{\"kind\": \"PodList\", \"items\": [{items}]}}")
}

fn ack_pools(name: &'static str, text: String, says: &'static [&'static str]) -> Case {
    Case {
        name,
        files: vec![("nodes.json", nodes(NODE)), ("pods.json", pods(POD)), ("pools.yaml", text)],
        args: &["plan", "--nodes", "DIR/nodes.json", "--pods", "DIR/pods.json", "--pools", "DIR/pools.yaml"],
        code: 2,
        says,
    }
}

fn manifest(format_version: u32) -> String {
    format!(
        r#"{{"format_version": {format_version}, "fleetsim_version": "0.1.0", "name": "w", "axes": ["seed"], "shard": "0/2", "runs": [{{"run_id": "seed=1", "key": "d9f4289bf27abbf7"}}, {{"run_id": "seed=2", "key": "85eaa04dac9e5169"}}]}}"#
    )
}

const AZURE: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n";

fn service(traffic: &str) -> String {
    scenario(&format!(
        "services: [{{deployment: {{name: chat, replicas: 2, requests: {{cpu: '1'}}}}, traffic: {{{traffic}}}, capacity: {{tokens_per_s: 2000}}}}]\n"
    ))
}

/// Rows that pass now (`// Was:` says what happened before the fix).
pub(super) fn fixed() -> Vec<Case> {
    rows().0
}

/// Rows that still fail.
pub(super) fn cases() -> Vec<Case> {
    rows().1
}

fn rows() -> (Vec<Case>, Vec<Case>) {
    let ali = catalog("alibaba-a10.yaml");
    let pdb = |spec: &str| {
        scenario(&format!(
            "pod_disruption_budgets: [{{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: b}}, spec: {{{spec}}}}}]\n"
        ))
    };
    let fixed = vec![
        // Was: the process grows until the kernel kills it (exit 137, no message); do not run it
        // on a shared machine.
        validate(
            "a hundred million inline pods",
            vec![("s.yaml", scenario_with("workload", "{pods: [{name: p, count: 100000000, requests: {cpu: '1'}}]}"))],
            &["s.yaml", "workload.pods[0].count", "100000000", "at most"],
        ),
        // Was: "field `workload.pods[0].parallelism`: Some(0); expected 1..=10000 workers a job".
        validate(
            "parallelism 0",
            vec![("s.yaml", scenario_with("workload", "{pods: [{name: p, parallelism: 0, requests: {cpu: '1'}}]}"))],
            &["s.yaml", "workload.pods[0].parallelism", "`0`; expected 1..=10000"],
        ),
        // Was: "field `workload.trace.window`: data did not match any variant of untagged enum RawWindow".
        validate(
            "a trace window without `to`",
            vec![
                ("pods.csv", super::scenario_yaml::PODS_CSV.into()),
                ("s.yaml", scenario_with("workload", "{trace: {pods_csv: pods.csv, window: {from: 1d}}}")),
            ],
            &["s.yaml", "workload.trace.window", "expected a window `FROM..TO` or `{from: FROM, to: TO}`"],
        ),
        // Was: "field `workload.synthetic[0].duration.fixed`: expected end of mapping after enum
        // variant value at line 3, column 67".
        validate(
            "two run-time distributions",
            vec![(
                "s.yaml",
                scenario_with("workload", "{synthetic: [{name: g, rate: 60/h, duration: {fixed: 1h, exponential: {mean: 1h}}, mix: [{requests: {cpu: '1'}}]}]}"),
            )],
            &["s.yaml", "workload.synthetic[0].duration", "expected one choice here (a single key), found several"],
        ),
        // Was: "expected a value of type boolean, found `yes please`".
        validate(
            "output pods `yes please`",
            vec![("s.yaml", scenario("output: {pods: yes please}\n"))],
            &["s.yaml", "output.pods", "expected `true` or `false`, found `yes please`"],
        ),
        // Was: "expected a value of type floating point, found `high`".
        validate(
            "a scale-down threshold `high`",
            vec![(
                "s.yaml",
                with_catalog("pools: [{name: g, instance_types: [g5.xlarge], max: 3}]\nscaler: {scale_down_utilization_threshold: high}\n"),
            )],
            &["s.yaml", "scaler.scale_down_utilization_threshold", "expected a number, found `high`"],
        ),
        // Was: "field `matrix`: run seed=abc: invalid type: string \"abc\", expected u64".
        sw(
            "a seed `abc` in a matrix",
            sweep("matrix:\n  seed: [1, abc]\n"),
            &["w.yaml", "field `matrix.seed`", "expected a whole number (0 or more), found `abc`"],
        ),
        // Was: "field `matrix`: run count=-2: invalid value: integer `-2`, expected u32".
        sw(
            "a count of -2 in a matrix",
            sweep("matrix:\n  workload.pods[0].count: [1, -2]\n"),
            &["w.yaml", "field `matrix.workload.pods[0].count`", "expected a whole number from 0 to 4294967295, found `-2`"],
        ),
        // Was: "field `matrix`: run variant=a: invalid type: string \"abc\", expected u64".
        sw(
            "a seed `abc` in a variant",
            sweep("variants:\n  a: {seed: abc}\n"),
            &["w.yaml", "field `variants.a.seed`", "expected a whole number (0 or more), found `abc`"],
        ),
        // Was: "run placement=best-fit: invalid type: string \"best-fit\", expected struct RawPlacement".
        sw(
            "a matrix of whole sections given words",
            sweep("matrix:\n  placement: [best-fit]\n"),
            &["w.yaml", "field `matrix.placement`", "expected a mapping, found `best-fit`"],
        ),
        // Was: "field `matrix.seed`: data did not match any variant of untagged enum Axis".
        sw(
            "a range without `to`",
            sweep("matrix:\n  seed: {from: 5}\n"),
            &["w.yaml", "field `matrix.seed`", "expected a list of values (`[a, b]`) or a range"],
        ),
        // Was: "field `matrix.seed`: data did not match any variant of untagged enum Axis".
        sw(
            "a matrix axis of one bare value",
            sweep("matrix:\n  seed: 5\n"),
            &["w.yaml", "line 9", "field `matrix.seed`", "expected a list of values (`[a, b]`) or a range"],
        ),
        // Was: accepted, `step` ignored: five runs 1..=5.
        sw(
            "a range with a step",
            sweep("matrix:\n  seed: {from: 1, to: 5, step: 2}\n"),
            &["w.yaml", "field `matrix.seed`", "or a range of whole numbers (`{from: 1, to: 5}`)"],
        ),
        // Was: "pools.yaml: invalid type: string \"four\", expected u32; expected `pools:` ..." (no
        // field, a Rust type).
        ack_pools(
            "an ACK pool max `four`",
            format!("catalog: {ali}\npools:\n  - {{name: np-a, instance_types: [ecs.gn7i-c8g1.2xlarge], max: four}}\n"),
            &["pools.yaml", "field `pools[0].max`", "expected a whole number from 0 to 4294967295, found `four`"],
        ),
        // Was: "pools.yaml: missing field `max`; expected `pools:` ..." (no field path).
        ack_pools(
            "an ACK pool without max",
            format!("catalog: {ali}\npools:\n  - {{name: np-a, instance_types: [ecs.gn7i-c8g1.2xlarge]}}\n"),
            &["pools.yaml", "field `pools[0]`", "missing field `max`"],
        ),
        // Was: "pools.yaml: unknown field `expandr`, expected one of ..." (no field path, no
        // suggestion).
        ack_pools(
            "an ACK scaler flag with a typo",
            format!("catalog: {ali}\npools:\n  - {{name: np-a, instance_types: [ecs.gn7i-c8g1.2xlarge], max: 4}}\nscaler: {{expandr: price}}\n"),
            &["pools.yaml", "field `scaler`", "unknown field `expandr` (did you mean `expander`?)"],
        ),
        // Was: "DIR/nope.csv: cannot open: No such file ..." (no scenario file, no field).
        validate(
            "a nodes_csv that does not exist",
            vec![("s.yaml", scenario_with("cluster", "{nodes_csv: nope.csv}"))],
            &["s.yaml", "field `cluster.nodes_csv`", "cannot read", "nope.csv"],
        ),
        // Was: "DIR/missing.csv: cannot open: No such file ..." (no scenario file, no field).
        validate(
            "a pods_csv that does not exist",
            vec![("s.yaml", scenario_with("workload", "{trace: {pods_csv: missing.csv}}"))],
            &["s.yaml", "field `workload.trace.pods_csv`", "cannot read", "missing.csv"],
        ),
        // Was: accepted (the node list refuses a node named twice: "node `n0` appears twice").
        validate(
            "a trace pod listed twice",
            vec![
                ("pods.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,1024,1,1000\np0,1000,1024,1,1000\n".into()),
                ("s.yaml", scenario_with("workload", "{trace: {pods_csv: pods.csv}}")),
            ],
            &["pods.csv:3", "pod `p0` appears twice"],
        ),
        // Was: "field `traffic.azure_csv`: cannot read a.csv" (no `services[0].`).
        validate(
            "an Azure trace that does not exist",
            vec![("s.yaml", service("azure_csv: a.csv"))],
            &["s.yaml", "field `services[0].traffic.azure_csv`", "cannot read", "a.csv"],
        ),
        // Was: "field `traffic.rates_csv`: cannot read r.csv" (no `services[0].`).
        validate(
            "a rate table that does not exist",
            vec![("s.yaml", service("rates_csv: r.csv"))],
            &["s.yaml", "field `services[0].traffic.rates_csv`", "cannot read", "r.csv"],
        ),
        // Was: "c.yaml: line 1, column 1: the text ends in the middle of a value".
        Case {
            name: "an empty --catalog",
            files: vec![
                ("nodes.json", nodes(NODE)),
                ("pods.json", pods(POD)),
                ("pools.yaml", "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: np}\nspec: {}\n".into()),
                ("c.yaml", String::new()),
            ],
            args: &["plan", "--nodes", "DIR/nodes.json", "--pods", "DIR/pods.json", "--pools", "DIR/pools.yaml", "--catalog", "DIR/c.yaml"],
            code: 2,
            says: &["c.yaml", "the file is empty; expected an instance catalog"],
        },
        // Was: accepted; the NodePool is blamed: "no instance type of the catalog () satisfies
        // these requirements".
        Case {
            name: "a --catalog of no instance types",
            files: vec![
                ("nodes.json", nodes(NODE)),
                ("pods.json", pods(POD)),
                ("pools.yaml", "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: np}\nspec: {}\n".into()),
                ("c.yaml", CATALOG[..CATALOG.find("instance_types:").unwrap()].to_string() + "instance_types: []\n"),
            ],
            args: &["plan", "--nodes", "DIR/nodes.json", "--pods", "DIR/pods.json", "--pools", "DIR/pools.yaml", "--catalog", "DIR/c.yaml"],
            code: 2,
            says: &["c.yaml", "field `instance_types`", "expected at least one instance type"],
        },
        // Was: accepted (a node named twice is refused: "listed twice").
        plan("a pod listed twice", nodes(NODE), pods(&format!("{POD}, {POD}")), &["pods.json", "pod/default/p", "listed twice"]),
        // Was: accepted.
        plan(
            "a creationTimestamp `yesterday`",
            nodes(NODE),
            pods(&POD.replace("2026-01-05T09:00:00Z", "yesterday")),
            &["pods.json", "pod/default/p", "metadata.creationTimestamp", "`yesterday`"],
        ),
        // Was: accepted (the selector is ignored).
        plan(
            "a pod nodeSelector as a list",
            nodes(NODE),
            pods(&POD.replace(r#""containers""#, r#""nodeSelector": ["a"], "containers""#)),
            &["pods.json", "pod/default/p", "spec.nodeSelector", "expected a mapping"],
        ),
        // Was: exit 1, "error: writing DIR: Is a directory (os error 21)".
        Case {
            name: "trace --out a directory",
            files: vec![("s.yaml", scenario(""))],
            args: &["trace", "DIR/s.yaml", "--out", "DIR"],
            code: 2,
            says: &["--out", "is a directory", "expected the path of a CSV file"],
        },
        // Was: exit 1, "error: writing DIR/f: File exists (os error 17)".
        Case {
            name: "run --out a file",
            files: vec![("s.yaml", scenario("")), ("f", "x".into())],
            args: &["run", "DIR/s.yaml", "--out", "DIR/f"],
            code: 2,
            says: &["--out", "is a file", "expected a directory"],
        },
        // Was: accepted (runs on the default number of threads).
        Case {
            name: "--threads 0",
            files: vec![("w.yaml", sweep("matrix:\n  seed: [1, 2]\n"))],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT", "--threads", "0"],
            code: 2,
            says: &["--threads", "0", "expected at least 1"],
        },
        // Was: "invalid value 'abc' for '--threads <THREADS>': invalid digit found in string".
        Case {
            name: "--threads abc",
            files: vec![("w.yaml", sweep("matrix:\n  seed: [1, 2]\n"))],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT", "--threads", "abc"],
            code: 2,
            says: &["--threads", "abc", "expected a whole number of threads"],
        },
        // Was: exit 1, "2 of 2 runs are in none of the directories" (the directory given twice is
        // not noticed).
        Case {
            name: "merge of one directory twice",
            files: vec![("a/sweep.json", manifest(1))],
            args: &["merge", "DIR/a", "DIR/a", "--out", "OUT"],
            code: 2,
            says: &["/a", "given twice"],
        },
        // Was: accepted (then "2 of 2 runs are in none of the directories", exit 1).
        Case {
            name: "merge of a sweep.json of format 9",
            files: vec![("a/sweep.json", manifest(9)), ("b/sweep.json", manifest(9))],
            args: &["merge", "DIR/a", "DIR/b", "--out", "OUT"],
            code: 2,
            says: &["a/sweep.json", "format_version 9", "expected 1"],
        },
        // Was: "a/sweep.json: not a sweep manifest: invalid type: integer `2`, expected a string at
        // line 1 column 4".
        Case {
            name: "merge of a sweep.json that is a list",
            files: vec![("a/sweep.json", "[1, 2]".into()), ("b/sweep.json", manifest(1))],
            args: &["merge", "DIR/a", "DIR/b", "--out", "OUT"],
            code: 2,
            says: &["a/sweep.json", "not a sweep manifest", "expected a mapping, found a list"],
        },
        // Was: accepted.
        validate(
            "a burst of 0s",
            vec![(
                "s.yaml",
                scenario_with("workload", "{synthetic: [{name: g, rate: 60/h, duration: {fixed: 1h}, mix: [{requests: {cpu: '1'}}], bursts: [{at: 1h, duration: 0s, factor: 2}]}]}"),
            )],
            &["s.yaml", "workload.synthetic[0].bursts[0].duration", "expected a positive duration"],
        ),
        // Was: accepted (start is parsed only when a NodePool or a synthetic generator reads it).
        validate(
            "a simulation start `monday` without NodePools",
            vec![("s.yaml", scenario_with("simulation", "{end: 1h, start: monday}"))],
            &["s.yaml", "simulation.start", "`monday`; expected a UTC time like `2026-01-05T09:00:00Z`"],
        ),
        // Was: accepted (the scaler is checked only when there are pools).
        validate(
            "an expander `cheapest` without pools",
            vec![("s.yaml", scenario("scaler: {expander: cheapest}\n"))],
            &["s.yaml", "scaler.expander", "`cheapest` is not an expander; expected random, most-pods"],
        ),
        // Was: accepted (checked only when a pool shares GPUs).
        validate(
            "a GPU memory unit of 256MiB without sharing pools",
            vec![("s.yaml", scenario("gpu_sharing: {gpuMemoryUnit: 256MiB}\n"))],
            &["s.yaml", "gpu_sharing.gpuMemoryUnit", "`256MiB`; expected 1GiB"],
        ),
        // Was: accepted (lifecycle is checked only when nodes are launched).
        validate(
            "a node start-up `10x` without pools",
            vec![("s.yaml", scenario("lifecycle: {node_ready: 10x}\n"))],
            &["s.yaml", "lifecycle.node_ready", "`10x` has unknown unit `x`"],
        ),
        // Was: accepted (karpenter settings are checked only with NodePools).
        validate(
            "a batch idle duration `10x` without NodePools",
            vec![("s.yaml", scenario("karpenter: {batch_idle_duration: 10x}\n"))],
            &["s.yaml", "karpenter.batch_idle_duration", "`10x` has unknown unit `x`"],
        ),
        // Was: accepted (the market is checked only with NodePools).
        validate(
            "an interruption bucket `often` without NodePools",
            vec![("s.yaml", scenario("market: {interruption: often}\n"))],
            &["s.yaml", "market.interruption", "`often`; expected one of none"],
        ),
        // Was: accepted (PodDisruptionBudgets are checked only with NodePools).
        validate(
            "a PDB with both bounds without NodePools",
            vec![("s.yaml", pdb("minAvailable: 1, maxUnavailable: 1, selector: {matchLabels: {app: a}}"))],
            &["s.yaml", "pod_disruption_budgets[0].spec", "expected exactly one of minAvailable and maxUnavailable"],
        ),
        // Was: accepted.
        validate(
            "two PDBs of one name",
            vec![(
                "s.yaml",
                with_catalog(&format!(
                    "nodepools: [{INLINE_NODEPOOL}]\npod_disruption_budgets: [{{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: b}}, spec: {{minAvailable: 1, selector: {{matchLabels: {{app: a}}}}}}}}, {{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: b}}, spec: {{minAvailable: 1, selector: {{matchLabels: {{app: a}}}}}}}}]\n"
                )),
            )],
            &["s.yaml", "pod_disruption_budgets[1].metadata.name", "`b` is defined twice"],
        ),
        // Was: "field `spec.containers[0].resources.requests.memory`: `lots` is not a quantity" for
        // a value under limits.
        plan(
            "a pod memory limit `lots`",
            nodes(NODE),
            pods(&POD.replace(r#""requests": {"cpu": "1", "memory": "1Gi"}"#, r#""limits": {"memory": "lots"}"#)),
            &["pods.json", "pod/default/p", "spec.containers[0].resources.limits.memory", "`lots` is not a quantity"],
        ),
        // Was: "the NodeList: field `items`: missing; expected a list" for items that are a mapping.
        plan(
            "node items as a mapping",
            "{\"kind\": \"NodeList\", \"items\": {}}".into(),
            pods(POD),
            &["nodes.json", "field `items`", "expected a list, found a mapping"],
        ),
        // Was: "field `pod_disruption_budgets[0].spec.selector.matchLabels`: expected at least one
        // label" for a list.
        validate(
            "PDB matchLabels as a list",
            vec![(
                "s.yaml",
                with_catalog(&format!(
                    "nodepools: [{INLINE_NODEPOOL}]\npod_disruption_budgets: [{{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: b}}, spec: {{minAvailable: 1, selector: {{matchLabels: [a]}}}}}}]\n"
                )),
            )],
            &["s.yaml", "pod_disruption_budgets[0].spec.selector.matchLabels", "expected a mapping of labels, found a list"],
        ),
        // Was: "np.yaml document 1: field ``: expected a mapping".
        validate(
            "a NodePool file holding a list",
            vec![("np.yaml", "[a, b]\n".into()), ("s.yaml", with_catalog("nodepools: [np.yaml]\n"))],
            &["np.yaml document 1", "expected a NodePool manifest (a mapping), found a list"],
        ),
        // Was: "f.yaml: field `pools[0].instance_types[0]`: `nope` is not in the catalog" (no
        // member prefix).
        Case {
            name: "a member pool of a type the catalog lacks",
            files: vec![(
                "f.yaml",
                format!(
                    "name: fl\ncluster: {{}}\nworkload: {{}}\nplacement: {{policy: best-fit}}\nfleet:\n  members:\n    - name: a\n      region: cn-beijing\n      scenario: {{catalog: {ali}, pools: [{{name: p, instance_types: [nope], max: 4}}]}}\n\
                     timeline: [{{at: 0s, apply: {{name: web, replicas: 2}}}}]\nsimulation: {{end: 1h}}\n"
                ),
            )],
            args: &["validate", "DIR/f.yaml"],
            code: 2,
            says: &["f.yaml", "field `fleet.members[0].scenario.pools[0].instance_types[0]`", "`nope` is not in the catalog"],
        },
        // Was: "a.csv: line 2: CSV error: record 1 (line: 2, byte: 40): found record with 2
        // fields, but the previous record has 3 fields".
        validate(
            "a truncated Azure row",
            vec![
                ("a.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374\n".into()),
                ("s.yaml", service("azure_csv: a.csv")),
            ],
            &["a.csv", "line 2", "row has 2 fields, expected 3 like the header"],
        ),
        // Was: "a.csv: line 3: TIMESTAMP `2023-11-16 18:15:xx`: seconds `xx`" (nothing expected).
        validate(
            "an Azure TIMESTAMP with seconds `xx`",
            vec![("a.csv", AZURE.replace("18:15:50.9951690", "18:15:xx")), ("s.yaml", service("azure_csv: a.csv"))],
            &["a.csv", "line 3", "seconds `xx`", "expected `YYYY-MM-DD HH:MM:SS.fffffff`"],
        ),
        // Was: "a.csv: line 2: `2023-11-16T25:15Z`; expected a UTC time like
        // `2026-01-05T09:00:00Z`" (the value rewritten, another format expected).
        validate(
            "an Azure TIMESTAMP at hour 25",
            vec![("a.csv", AZURE.replace("18:15:46", "25:15:46")), ("s.yaml", service("azure_csv: a.csv"))],
            &["a.csv", "line 2", "TIMESTAMP `2023-11-16 25:15:46.6805900`", "expected `YYYY-MM-DD HH:MM:SS.fffffff`"],
        ),
    ];
    let pending = vec![
        // Now: accepted.
        validate(
            "one Deployment applied twice",
            vec![(
                "s.yaml",
                scenario("timeline: [{at: 0s, apply: {name: d, replicas: 1}}, {at: 1m, apply: {name: d, replicas: 1}}]\n"),
            )],
            &["s.yaml", "timeline[1].apply.name", "`d` is already applied"],
        ),
        // Now: accepted (a step is checked against the steps listed before it, not against time).
        validate(
            "a scale at 0s of a Deployment applied at 1h",
            vec![(
                "s.yaml",
                scenario("timeline: [{at: 1h, apply: {name: d, replicas: 1}}, {at: 0s, scale: {deployment: d, replicas: 2}}]\n"),
            )],
            &["s.yaml", "timeline[1]", "0s", "before"],
        ),
        // Now: "DIR/w.yaml: field `placement.policy`: unknown placement policy" (the sweep is
        // named, not the base file the value is in).
        Case {
            name: "a bad policy in a base file",
            files: vec![
                ("base.yaml", scenario("").replace("best-fit", "worst-fit")),
                ("w.yaml", "name: w\nbase_file: base.yaml\nmatrix:\n  seed: [1, 2]\n".into()),
            ],
            args: &["validate", "DIR/w.yaml"],
            code: 2,
            says: &["base.yaml: field `placement.policy`", "unknown placement policy `worst-fit`"],
        },
        // Now: accepted; the report is written with the value dropped.
        Case {
            name: "report of a cost `cheap`",
            files: vec![(
                "summary.csv",
                "run_id,scenario,policy,seed,pods,cost_usd,pending_p95_s\nr1,s,best-fit,1,1,cheap,0\n".into(),
            )],
            args: &["report", "DIR", "--out", "OUT"],
            code: 2,
            says: &["summary.csv", "line 2", "cost_usd", "`cheap`", "expected a number"],
        },
        // Now: "summary.csv: CSV error: record 1 (line: 2, byte: ...): found record with 3 fields,
        // but the previous record has 7 fields".
        Case {
            name: "report of a truncated summary row",
            files: vec![("summary.csv", "run_id,scenario,policy,seed,pods,cost_usd,pending_p95_s\nr1,s,best-fit\n".into())],
            args: &["report", "DIR", "--out", "OUT"],
            code: 2,
            says: &["summary.csv", "line 2", "row has 3 fields, expected 7 like the header"],
        },
    ];
    (fixed, pending)
}
