//! Scenario YAML: the file itself (syntax, shape, top-level fields) and the sections every scenario
//! has: cluster, workload (inline pods, trace, synthetic), placement, simulation, output.

use super::{scenario, scenario_with, validate, Case};

/// [`scenario`] with its one inline pod group given `extra` fields (`, count: 2`).
fn pod(extra: &str) -> String {
    scenario_with("workload", &format!("{{pods: [{{name: p, requests: {{cpu: '1', memory: 1Gi}}{extra}}}]}}"))
}

/// [`scenario`] with one inline node group `{name: a, ...}` of the given fields.
fn node(fields: &str) -> String {
    scenario_with("cluster", &format!("{{nodes: [{{name: a, {fields}}}]}}"))
}

/// [`scenario`] with one synthetic generator of 60 pods an hour (`extra` adds fields).
fn synthetic(extra: &str) -> String {
    scenario_with(
        "workload",
        &format!("{{synthetic: [{{name: g, rate: 60/h, duration: {{fixed: 1h}}, mix: [{{requests: {{cpu: '1'}}}}]{extra}}}]}}"),
    )
}

/// [`synthetic`] with its `duration` replaced.
fn synthetic_duration(duration: &str) -> String {
    synthetic("").replace("duration: {fixed: 1h}", &format!("duration: {duration}"))
}

/// [`synthetic`] with its `rate` replaced.
fn synthetic_rate(rate: &str) -> String {
    synthetic("").replace("rate: 60/h", &format!("rate: {rate}"))
}

/// [`scenario`] replaying `pods.csv` (written by the row) with `extra` trace fields.
fn trace(extra: &str) -> String {
    scenario_with("workload", &format!("{{trace: {{pods_csv: pods.csv{extra}}}}}"))
}

/// A valid two-pod trace: a GPU pod at 0 s and a CPU pod at 10 s.
pub(super) const PODS_CSV: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time\n\
                                    p0,1000,1024,1,1000,,0,600\np1,1000,1024,0,0,,10,700\n";

pub(super) fn cases() -> Vec<Case> {
    vec![
        // The file itself.
        validate(
            "a YAML syntax error",
            vec![("s.yaml", "name: x\n  bad: indent\n".into())],
            &["s.yaml", "line 2, column 6", "YAML syntax", "mapping values are not allowed"],
        ),
        validate(
            "an unterminated quoted string",
            vec![("s.yaml", "name: \"unterminated\n".into())],
            &["s.yaml", "line 2", "YAML syntax", "quoted scalar"],
        ),
        validate(
            "a tab used for indentation",
            vec![("s.yaml", scenario("output:\n\tpods: true\n"))],
            &["s.yaml", "line 7, column 2", "tabs disallowed"],
        ),
        validate(
            "an empty scenario file",
            vec![("s.yaml", String::new())],
            &["s.yaml", "the file is empty", "expected a scenario (cluster, workload, placement)"],
        ),
        validate(
            "a scenario that is a list",
            vec![("s.yaml", "- a\n- b\n".into())],
            &["s.yaml", "line 1, column 1", "expected a mapping, found a list"],
        ),
        validate(
            "a second YAML document",
            vec![("s.yaml", scenario("---\nname: b\n"))],
            &["s.yaml", "line 7, column 1", "a second YAML document", "holds a single document"],
        ),
        validate(
            "a key written twice",
            vec![("s.yaml", scenario("seed: 1\nseed: 2\n"))],
            &["s.yaml", "line 7, column 1", "`seed` appears twice", "keep one"],
        ),
        validate(
            "a recursive alias",
            vec![("s.yaml", scenario("controllers: &x [*x]\n"))],
            &["s.yaml", "field `controllers`", "refers to an anchor that contains it"],
        ),
        validate(
            "an alias with no anchor",
            vec![("s.yaml", scenario("seed: *x\n"))],
            &["s.yaml", "line 6, column 7", "names no anchor (`&name`)"],
        ),
        validate(
            "lists nested a hundred deep",
            vec![("s.yaml", scenario(&format!("controllers: {}{}\n", "[".repeat(100), "]".repeat(100))))],
            &["s.yaml", "line 6", "more than 64 levels deep"],
        ),
        Case {
            name: "a scenario file that does not exist",
            files: vec![],
            args: &["validate", "DIR/nope.yaml"],
            code: 2,
            says: &["nope.yaml", "cannot read", "No such file"],
        },
        Case {
            name: "a directory given as the scenario",
            files: vec![],
            args: &["run", "DIR", "--out", "OUT"],
            code: 2,
            says: &["cannot read", "Is a directory"],
        },
        validate(
            "an unknown top-level field",
            vec![("s.yaml", scenario("bogus: 1\n"))],
            &["s.yaml", "line 6, column 1", "unknown field `bogus`", "the fields here are `name`, `seed`, `cluster`"],
        ),
        validate(
            "a missing placement section",
            vec![("s.yaml", scenario("").replace("placement: {policy: best-fit}\n", ""))],
            &["s.yaml", "missing field `placement`"],
        ),
        validate(
            "a negative seed",
            vec![("s.yaml", scenario("seed: -1\n"))],
            &["s.yaml", "line 6, column 7", "field `seed`", "expected a whole number (0 or more), found `-1`"],
        ),
        validate(
            "a fractional seed",
            vec![("s.yaml", scenario("seed: 1.5\n"))],
            &["s.yaml", "field `seed`", "expected a whole number (0 or more), found `1.5`"],
        ),
        validate(
            "a name that is a list",
            vec![("s.yaml", scenario_with("name", "[a]"))],
            &["s.yaml", "line 1, column 7", "field `name`", "expected a single value (a string), found a list"],
        ),
        // cluster
        validate(
            "a cluster with no nodes at all",
            vec![("s.yaml", scenario_with("cluster", "{}"))],
            &["s.yaml", "field `cluster`", "no nodes", "give `nodes_csv`"],
        ),
        validate(
            "cluster.nodes as a mapping",
            vec![("s.yaml", scenario_with("cluster", "{nodes: {name: a}}"))],
            &["s.yaml", "line 2, column 18", "field `cluster.nodes`", "expected a list, found a mapping"],
        ),
        validate(
            "node cpu `abc`",
            vec![("s.yaml", node("cpu: abc, memory: 32Gi"))],
            &["s.yaml", "cluster.nodes[0].cpu", "`abc` is not a quantity", "such as `500m`"],
        ),
        validate(
            "node memory `12Zi`",
            vec![("s.yaml", node("cpu: '8', memory: 12Zi"))],
            &["s.yaml", "cluster.nodes[0].memory", "`12Zi` has an unknown suffix", "Ki Mi Gi"],
        ),
        validate(
            "a negative node cpu",
            vec![("s.yaml", node("cpu: '-8', memory: 32Gi"))],
            &["s.yaml", "cluster.nodes[0].cpu", "`-8` is negative", "zero or more"],
        ),
        validate(
            "a node group without memory",
            vec![("s.yaml", node("cpu: '8'"))],
            &["s.yaml", "line 2, column 29", "field `cluster.nodes[0]`", "missing field `memory`"],
        ),
        validate(
            "a mistyped node field",
            vec![("s.yaml", node("cpu: '8', memory: 32Gi, gpu: 1"))],
            &["s.yaml", "field `cluster.nodes[0]`", "unknown field `gpu`", "did you mean `cpu`?"],
        ),
        validate(
            "300 GPUs on a node",
            vec![("s.yaml", node("cpu: '8', memory: 32Gi, gpus: 300, gpu_model: A10"))],
            &["s.yaml", "cluster.nodes[0].gpus", "300; expected at most 256"],
        ),
        validate(
            "GPUs without a gpu_model",
            vec![("s.yaml", node("cpu: '8', memory: 32Gi, gpus: 2"))],
            &["s.yaml", "cluster.nodes[0].gpu_model", "2 GPUs need a gpu_model"],
        ),
        validate(
            "a node group of count 0",
            vec![("s.yaml", node("cpu: '8', memory: 32Gi, count: 0"))],
            &["s.yaml", "cluster.nodes[0].count", "expected at least 1"],
        ),
        validate(
            "a node group of count -1",
            vec![("s.yaml", node("cpu: '8', memory: 32Gi, count: -1"))],
            &["s.yaml", "cluster.nodes[0].count", "expected a whole number from 0 to 4294967295, found `-1`"],
        ),
        validate(
            "a node taint without an effect",
            vec![("s.yaml", node("cpu: '8', memory: 32Gi, taints: [foo]"))],
            &["s.yaml", "cluster.nodes[0].taints[0]", "`foo` is not a taint", "expected `key=value:Effect`"],
        ),
        validate(
            "a node taint with an unknown effect",
            vec![("s.yaml", node("cpu: '8', memory: 32Gi, taints: ['a=b:Never']"))],
            &["s.yaml", "cluster.nodes[0].taints[0]", "`a=b:Never` is not a taint", "NoSchedule, NoExecute"],
        ),
        validate(
            "node labels as a list",
            vec![("s.yaml", node("cpu: '8', memory: 32Gi, labels: [a]"))],
            &["s.yaml", "cluster.nodes[0].labels", "expected a mapping, found a list"],
        ),
        validate(
            "two node groups of one name",
            vec![(
                "s.yaml",
                scenario_with("cluster", "{nodes: [{name: a, cpu: '8', memory: 32Gi}, {name: a, cpu: '8', memory: 32Gi}]}"),
            )],
            &["s.yaml", "field `cluster`", "node name `a-0` is used twice"],
        ),
        // workload.pods
        validate(
            "a workload with no pods",
            vec![("s.yaml", scenario_with("workload", "{}"))],
            &["s.yaml", "field `workload`", "no pods", "give a `trace`"],
        ),
        validate(
            "a pod group without requests",
            vec![("s.yaml", scenario_with("workload", "{pods: [{name: p, count: 1}]}"))],
            &["s.yaml", "line 3, column 29", "field `workload.pods[0]`", "missing field `requests`"],
        ),
        validate(
            "pod cpu `abc`",
            vec![("s.yaml", scenario_with("workload", "{pods: [{name: p, requests: {cpu: abc}}]}"))],
            &["s.yaml", "workload.pods[0].requests.cpu", "`abc` is not a quantity", "such as `500m`"],
        ),
        validate(
            "pod memory `12Zi`",
            vec![("s.yaml", scenario_with("workload", "{pods: [{name: p, requests: {cpu: '1', memory: 12Zi}}]}"))],
            &["s.yaml", "workload.pods[0].requests.memory", "`12Zi` has an unknown suffix", "Ki Mi Gi"],
        ),
        validate(
            "a negative pod cpu",
            vec![("s.yaml", scenario_with("workload", "{pods: [{name: p, requests: {cpu: '-1'}}]}"))],
            &["s.yaml", "workload.pods[0].requests.cpu", "`-1` is negative", "zero or more"],
        ),
        validate(
            "an unknown resource name",
            vec![("s.yaml", scenario_with("workload", "{pods: [{name: p, requests: {cpu: '1', foo.com/bar: '1'}}]}"))],
            &["s.yaml", "workload.pods[0].requests.foo.com/bar", "unknown resource", "expected one of cpu, memory"],
        ),
        validate(
            "half a GPU by nvidia.com/gpu",
            vec![("s.yaml", scenario_with("workload", "{pods: [{name: p, requests: {nvidia.com/gpu: '1.5'}}]}"))],
            &["s.yaml", "workload.pods[0].requests.nvidia.com/gpu", "`1.5` is not a whole number", "whole units"],
        ),
        validate(
            "a GPU share above 999 milli",
            vec![("s.yaml", scenario_with("workload", "{pods: [{name: p, requests: {alibabacloud.com/gpu-milli: '1500'}}]}"))],
            &["s.yaml", "requests.alibabacloud.com/gpu-milli", "1500; expected 1..=999"],
        ),
        validate(
            "pod arrival `10x`",
            vec![("s.yaml", pod(", at: 10x"))],
            &["s.yaml", "workload.pods[0].at", "`10x` has unknown unit `x`", "expected one of ms, s, m, h, d"],
        ),
        validate(
            "pod arrival `-5m`",
            vec![("s.yaml", pod(", at: -5m"))],
            &["s.yaml", "workload.pods[0].at", "`-5m` is not a duration", "no sign, no fraction"],
        ),
        validate(
            "pod duration `5 minutes`",
            vec![("s.yaml", pod(", duration: 5 minutes"))],
            &["s.yaml", "workload.pods[0].duration", "unknown unit ` minutes`", "expected one of ms, s, m, h, d"],
        ),
        validate(
            "pod count `many`",
            vec![("s.yaml", pod(", count: many"))],
            &["s.yaml", "line 3", "workload.pods[0].count", "expected a whole number from 0 to 4294967295, found `many`"],
        ),
        validate(
            "a toleration operator `Maybe`",
            vec![("s.yaml", pod(", tolerations: [{key: a, operator: Maybe}]"))],
            &["s.yaml", "workload.pods[0].tolerations[0].operator", "`Maybe`; expected Equal or Exists"],
        ),
        validate(
            "a toleration effect `Never`",
            vec![("s.yaml", pod(", tolerations: [{key: a, effect: Never}]"))],
            &["s.yaml", "workload.pods[0].tolerations[0].effect", "`Never`; expected NoSchedule, NoExecute"],
        ),
        validate(
            "a node affinity operator `Near`",
            vec![(
                "s.yaml",
                pod(", affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: a, operator: Near, values: [b]}]}]}}}"),
            )],
            &["s.yaml", "nodeSelectorTerms[0].matchExpressions[0].operator", "`Near`; expected In, NotIn"],
        ),
        validate(
            "a node affinity Gt on a word",
            vec![(
                "s.yaml",
                pod(", affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: a, operator: Gt, values: [b]}]}]}}}"),
            )],
            &["s.yaml", "workload.pods[0].affinity.nodeAffinity", "operator Gt on `a` needs exactly one integer value"],
        ),
        validate(
            "a node affinity without its required terms",
            vec![("s.yaml", pod(", affinity: {nodeAffinity: {}}"))],
            &["s.yaml", "workload.pods[0].affinity.nodeAffinity", "missing field `requiredDuringSchedulingIgnoredDuringExecution`"],
        ),
        validate(
            "a nodeSelector as a list",
            vec![("s.yaml", pod(", nodeSelector: [a]"))],
            &["s.yaml", "workload.pods[0].nodeSelector", "expected a mapping, found a list"],
        ),
        validate(
            "a priority `high`",
            vec![("s.yaml", pod(", priority: high"))],
            &["s.yaml", "workload.pods[0].priority", "expected a whole number from -2147483648 to 2147483647, found `high`"],
        ),
        validate(
            "a checkpoint interval of 0s",
            vec![("s.yaml", pod(", checkpoint_interval: 0s"))],
            &["s.yaml", "workload.pods[0].checkpoint_interval", "expected a positive interval"],
        ),
        validate(
            "gpu_models as a single word",
            vec![("s.yaml", pod(", gpu_models: A10"))],
            &["s.yaml", "workload.pods[0].gpu_models", "expected a list, found `A10`"],
        ),
        // workload.trace
        validate(
            "an unknown trace format",
            vec![("pods.csv", PODS_CSV.into()), ("s.yaml", trace(", format: google"))],
            &["s.yaml", "workload.trace.format", "unknown trace format `google`", "expected: alibaba"],
        ),
        validate(
            "a trace class nodeSelector against the trace's",
            vec![
                ("pods.csv", PODS_CSV.into()),
                ("s.yaml", trace(", nodeSelector: {team: ml}, classes: {gpu: {nodeSelector: {team: web}}}")),
            ],
            &["s.yaml", "workload.trace.classes.gpu.nodeSelector.team", "`web`, but workload.trace.nodeSelector gives `ml`"],
        ),
        validate(
            "a trace class that is not a GPU-request class",
            vec![("pods.csv", PODS_CSV.into()), ("s.yaml", trace(", classes: {tpu: {}}"))],
            &["s.yaml", "workload.trace.classes", "unknown field `tpu` (did you mean `cpu`?)", "`gpu`, `shared`, `cpu`"],
        ),
        validate(
            "a trace toleration with an unknown operator",
            vec![("pods.csv", PODS_CSV.into()), ("s.yaml", trace(", tolerations: [{key: nvidia.com/gpu, operator: Maybe}]"))],
            &["s.yaml", "workload.trace.tolerations[0]", "Maybe"],
        ),
        validate(
            "a trace without pods_csv",
            vec![("s.yaml", scenario_with("workload", "{trace: {format: alibaba}}"))],
            &["s.yaml", "field `workload.trace`", "missing field `pods_csv`"],
        ),
        validate(
            "a trace window that ends before it starts",
            vec![("pods.csv", PODS_CSV.into()), ("s.yaml", trace(", window: 1d..0d"))],
            &["s.yaml", "workload.trace.window", "`to` (0d) must be after `from` (1d)"],
        ),
        validate(
            "a trace window `yesterday`",
            vec![("pods.csv", PODS_CSV.into()), ("s.yaml", trace(", window: yesterday"))],
            &["s.yaml", "workload.trace.window", "`yesterday` is not a window", "expected e.g. `147d..148d`"],
        ),
        validate(
            "a trace window with no pod in it",
            vec![("pods.csv", PODS_CSV.into()), ("s.yaml", trace(", window: {from: 5d, to: 6d}"))],
            &["s.yaml", "workload.trace.window", "no pod of pods.csv was created in [5d, 6d)"],
        ),
        validate(
            "a trace limit of 0",
            vec![("pods.csv", PODS_CSV.into()), ("s.yaml", trace(", limit: 0"))],
            &["s.yaml", "workload.trace.limit", "expected at least 1"],
        ),
        validate(
            "a trace inflated to 5000 %",
            vec![("pods.csv", PODS_CSV.into()), ("s.yaml", trace(", inflate_gpu_pct: 5000"))],
            &["s.yaml", "workload.trace.inflate_gpu_pct", "5000 is out of range", "expected 1..=1000"],
        ),
        validate(
            "trace departures `sometimes`",
            vec![("pods.csv", PODS_CSV.into()), ("s.yaml", trace(", departures: sometimes"))],
            &["s.yaml", "workload.trace.departures", "found `sometimes`"],
        ),
        validate(
            "a trace checkpoint interval `1y`",
            vec![("pods.csv", PODS_CSV.into()), ("s.yaml", trace(", checkpoint_interval: 1y"))],
            &["s.yaml", "workload.trace.checkpoint_interval", "`1y` has unknown unit `y`", "expected one of ms, s, m, h, d"],
        ),
        // workload.synthetic
        validate(
            "a synthetic rate `fast`",
            vec![("s.yaml", synthetic_rate("fast"))],
            &["s.yaml", "workload.synthetic[0].rate", "`fast`; expected a rate such as `120/h`"],
        ),
        validate(
            "a synthetic rate per year",
            vec![("s.yaml", synthetic_rate("2/y"))],
            &["s.yaml", "workload.synthetic[0].rate", "`2/y`; expected a rate such as `120/h`"],
        ),
        validate(
            "a negative synthetic rate",
            vec![("s.yaml", synthetic_rate("-2/h"))],
            &["s.yaml", "workload.synthetic[0].rate", "`-2/h`: expected a positive rate"],
        ),
        validate(
            "a synthetic rate of 100000 a second",
            vec![("s.yaml", synthetic_rate("100000/s"))],
            &["s.yaml", "workload.synthetic[0].rate", "at most 1000 pods a second"],
        ),
        validate(
            "an unknown arrival process",
            vec![("s.yaml", synthetic(", process: burst"))],
            &["s.yaml", "workload.synthetic[0].process", "`burst`; expected poisson or gamma"],
        ),
        validate(
            "a negative gamma cv",
            vec![("s.yaml", synthetic(", process: gamma, cv: -1"))],
            &["s.yaml", "workload.synthetic[0].cv", "-1; expected 0.05..=20"],
        ),
        validate(
            "a cv on a Poisson process",
            vec![("s.yaml", synthetic(", cv: 2"))],
            &["s.yaml", "workload.synthetic[0].cv", "only `process: gamma` takes a cv"],
        ),
        validate(
            "a generator that ends before it starts",
            vec![("s.yaml", synthetic(", start: 2h, end: 1h"))],
            &["s.yaml", "workload.synthetic[0].end", "must be after `start`"],
        ),
        validate(
            "a daily cycle of amplitude 1.5",
            vec![("s.yaml", synthetic(", diurnal: {amplitude: 1.5, peak: '14:00'}"))],
            &["s.yaml", "workload.synthetic[0].diurnal.amplitude", "1.5; expected 0 <= a < 1"],
        ),
        validate(
            "a daily peak at 25:00",
            vec![("s.yaml", synthetic(", diurnal: {amplitude: 0.5, peak: '25:00'}"))],
            &["s.yaml", "workload.synthetic[0].diurnal.peak", "`25:00`; expected HH:MM (UTC)"],
        ),
        validate(
            "a negative weekend factor",
            vec![("s.yaml", synthetic(", weekend_factor: -1"))],
            &["s.yaml", "workload.synthetic[0].weekend_factor", "-1; expected a positive factor"],
        ),
        validate(
            "a burst factor of -2",
            vec![("s.yaml", synthetic(", bursts: [{at: 1h, duration: 1h, factor: -2}]"))],
            &["s.yaml", "workload.synthetic[0].bursts[0].factor", "-2; expected a positive factor"],
        ),
        validate(
            "a burst at `xx`",
            vec![("s.yaml", synthetic(", bursts: [{at: xx, duration: 1h, factor: 2}]"))],
            &["s.yaml", "workload.synthetic[0].bursts[0].at", "`xx` is not a duration", "expected e.g. `30s`"],
        ),
        validate(
            "an unknown run-time distribution",
            vec![("s.yaml", synthetic_duration("{weibull: 1h}"))],
            &["s.yaml", "workload.synthetic[0].duration", "unknown value `weibull`", "expected one of `fixed`, `exponential`"],
        ),
        validate(
            "a lognormal sigma of -1",
            vec![("s.yaml", synthetic_duration("{lognormal: {median: 30m, sigma: -1}}"))],
            &["s.yaml", "workload.synthetic[0].duration.lognormal.sigma", "-1; expected 0..=5"],
        ),
        validate(
            "a Pareto alpha of 0",
            vec![("s.yaml", synthetic_duration("{pareto: {min: 10m, alpha: 0}}"))],
            &["s.yaml", "workload.synthetic[0].duration.pareto.alpha", "0; expected 0.5 < alpha <= 10"],
        ),
        validate(
            "an exponential mean of 0s",
            vec![("s.yaml", synthetic_duration("{exponential: {mean: 0s}}"))],
            &["s.yaml", "workload.synthetic[0].duration.exponential.mean", "`0s`; expected at least 1s"],
        ),
        validate(
            "an empty mix",
            vec![("s.yaml", synthetic("").replace("mix: [{requests: {cpu: '1'}}]", "mix: []"))],
            &["s.yaml", "workload.synthetic[0].mix", "expected at least one pod template"],
        ),
        validate(
            "a mix weight of 0",
            vec![("s.yaml", synthetic("").replace("mix: [{requests", "mix: [{weight: 0, requests"))],
            &["s.yaml", "workload.synthetic[0].mix[0].weight", "0; expected 1..=1000000"],
        ),
        validate(
            "mix cpu `x`",
            vec![("s.yaml", synthetic("").replace("cpu: '1'", "cpu: x"))],
            &["s.yaml", "workload.synthetic[0].mix[0].requests.cpu", "`x` is not a quantity"],
        ),
        validate(
            "two generators of one name",
            vec![(
                "s.yaml",
                synthetic("").replace(
                    "}]}\nplacement",
                    "}, {name: g, rate: 60/h, duration: {fixed: 1h}, mix: [{requests: {cpu: '1'}}]}]}\nplacement",
                ),
            )],
            &["s.yaml", "workload.synthetic[1].name", "`g` is used twice"],
        ),
        validate(
            "a generator without a duration",
            vec![("s.yaml", synthetic("").replace("duration: {fixed: 1h}, ", ""))],
            &["s.yaml", "field `workload.synthetic[0]`", "missing field `duration`"],
        ),
        // placement, simulation, output
        validate(
            "an unknown placement policy",
            vec![("s.yaml", scenario_with("placement", "{policy: worst-fit}"))],
            &["s.yaml", "placement.policy", "unknown placement policy `worst-fit`", "expected one of: random"],
        ),
        Case {
            name: "unschedulable `Drop` (the case matters)",
            files: vec![("s.yaml", scenario_with("placement", "{policy: best-fit, unschedulable: Drop}"))],
            args: &["run", "DIR/s.yaml", "--out", "OUT"],
            code: 2,
            says: &["s.yaml", "placement.unschedulable", "`Drop`; expected `wait` or `drop`"],
        },
        validate(
            "placement as a bare word",
            vec![("s.yaml", scenario_with("placement", "best-fit"))],
            &["s.yaml", "line 4, column 12", "field `placement`", "expected a mapping, found `best-fit`"],
        ),
        Case {
            name: "simulation end `10x`",
            files: vec![("s.yaml", scenario_with("simulation", "{end: 10x}"))],
            args: &["run", "DIR/s.yaml", "--out", "OUT"],
            code: 2,
            says: &["s.yaml", "simulation.end", "`10x` has unknown unit `x`", "expected one of ms, s, m, h, d"],
        },
        validate(
            "simulation end `-5m`",
            vec![("s.yaml", scenario_with("simulation", "{end: -5m}"))],
            &["s.yaml", "simulation.end", "`-5m` is not a duration", "no sign, no fraction"],
        ),
        validate(
            "a sample interval of 0s",
            vec![("s.yaml", scenario_with("simulation", "{end: 1h, sample_interval: 0s}"))],
            &["s.yaml", "simulation.sample_interval", "expected a positive duration"],
        ),
        validate(
            "an allocation curve to 0 %",
            vec![("s.yaml", scenario("output: {allocation_curve: 0}\n"))],
            &["s.yaml", "output.allocation_curve", "0 is out of range", "expected 1..=1000"],
        ),
        Case {
            name: "an allocation curve to 2000 %",
            files: vec![("s.yaml", scenario("output: {allocation_curve: 2000}\n"))],
            args: &["trace", "DIR/s.yaml", "--out", "OUT/t.csv"],
            code: 2,
            says: &["s.yaml", "output.allocation_curve", "2000 is out of range", "expected 1..=1000"],
        },
        validate(
            "an unknown output",
            vec![("s.yaml", scenario("output: {csv: true}\n"))],
            &["s.yaml", "field `output`", "unknown field `csv`", "the fields here are `pods`, `nodes`"],
        ),
        validate(
            "a controller without a name",
            vec![("s.yaml", scenario("controllers: [{}]\n"))],
            &["s.yaml", "controllers[0].name", "missing; expected the name the controller is registered under"],
        ),
        validate(
            "controllers as a mapping",
            vec![("s.yaml", scenario("controllers: {a: 1}\n"))],
            &["s.yaml", "field `controllers`", "expected a list, found a mapping"],
        ),
    ]
}
