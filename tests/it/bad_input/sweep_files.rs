//! Sweep files: the base (`base`, `base_file`, `base_files`), matrix paths, lists and ranges,
//! and variants.

use super::{indent, scenario, Case};

/// A sweep of [`scenario`] inline with `axes` (`matrix:` and/or `variants:` lines).
fn sweep(axes: &str) -> String {
    format!("name: w\nbase:\n{}{axes}", indent(&scenario("")))
}

fn sw(name: &'static str, text: String, says: &'static [&'static str]) -> Case {
    Case { name, files: vec![("w.yaml", text)], args: &["validate", "DIR/w.yaml"], code: 2, says }
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        sw(
            "a matrix path with a typo",
            sweep("matrix:\n  placement.polcy: [a, b]\n"),
            &["w.yaml", "matrix.placement.polcy", "`polcy` is not a field of `placement` (did you mean `policy`?)", "fields there: policy, unschedulable"],
        ),
        sw(
            "a matrix path into a number",
            sweep("matrix:\n  seed.x: [1]\n"),
            &["w.yaml", "matrix.seed.x", "`seed` is not a mapping, so `seed.x` names no field"],
        ),
        sw(
            "a matrix path past the end of a list",
            sweep("matrix:\n  cluster.nodes[3].count: [1]\n"),
            &["w.yaml", "matrix.cluster.nodes[3].count", "the base has only 1 entries there"],
        ),
        sw(
            "a matrix path indexing a mapping",
            sweep("matrix:\n  placement[0]: [best-fit]\n"),
            &["w.yaml", "matrix.placement[0]", "`placement` is not a list, so `placement[0]` names no field"],
        ),
        sw(
            "a matrix path with an empty step",
            sweep("matrix:\n  a..b: [1]\n"),
            &["w.yaml", "matrix.a..b", "names no field", "fields there: catalog, cluster"],
        ),
        Case {
            name: "a matrix value that is not a policy",
            files: vec![("w.yaml", sweep("matrix:\n  placement.policy: [best-fit, worst-fit]\n"))],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT"],
            code: 2,
            says: &["w.yaml", "placement.policy", "unknown placement policy `worst-fit`", "expected one of: random"],
        },
        sw(
            "a matrix value that is not a quantity",
            sweep("matrix:\n  workload.pods[0].requests.cpu: ['1', abc]\n"),
            &["w.yaml", "workload.pods[0].requests.cpu", "`abc` is not a quantity"],
        ),
        sw(
            "a matrix value that is not a positive interval",
            sweep("matrix:\n  simulation.sample_interval: [10m, 0s]\n"),
            &["w.yaml", "simulation.sample_interval", "expected a positive duration"],
        ),
        sw(
            "an empty matrix list",
            sweep("matrix:\n  seed: []\n"),
            &["w.yaml", "matrix.seed", "no values; expected a non-empty list or {from, to}"],
        ),
        Case {
            name: "a range that counts down",
            files: vec![("w.yaml", sweep("matrix:\n  seed: {from: 5, to: 1}\n"))],
            args: &["run", "DIR/w.yaml", "--out", "OUT"],
            code: 2,
            says: &["w.yaml", "matrix.seed", "no values; expected a non-empty list or {from, to}"],
        },
        sw("a matrix value twice", sweep("matrix:\n  seed: [1, 1]\n"), &["w.yaml", "two runs share the id `seed=1`", "make the matrix values distinct"]),
        sw(
            "an empty matrix",
            sweep("matrix: {}\n"),
            &["w.yaml", "`matrix` and `variants` are empty", "give at least one field path"],
        ),
        sw("a matrix that is a list", sweep("matrix: [seed]\n"), &["w.yaml", "line 8", "field `matrix`", "expected a mapping, found a list"]),
        sw(
            "a mistyped sweep field",
            sweep("matrix:\n  seed: [1]\nmatrx: {}\n"),
            &["w.yaml", "unknown field `matrx` (did you mean `matrix`?)", "the fields here are `name`, `base`"],
        ),
        // The base.
        sw(
            "a sweep without a base",
            "name: w\nmatrix:\n  seed: [1, 2]\n".into(),
            &["w.yaml", "a sweep needs exactly one of `base` (inline scenario), `base_file` or `base_files`"],
        ),
        Case {
            name: "a sweep with base and base_file",
            files: vec![
                ("s.yaml", scenario("")),
                ("w.yaml", format!("name: w\nbase_file: s.yaml\nbase:\n{}matrix:\n  seed: [1, 2]\n", indent(&scenario("")))),
            ],
            args: &["validate", "DIR/w.yaml"],
            code: 2,
            says: &["w.yaml", "a sweep needs exactly one of `base`"],
        },
        sw(
            "a base file that does not exist",
            "name: w\nbase_file: nope.yaml\nmatrix:\n  seed: [1, 2]\n".into(),
            &["w.yaml", "base file `nope.yaml`", "cannot read"],
        ),
        Case {
            name: "a base file with a mistyped field",
            files: vec![
                ("s.yaml", scenario("").replace("cpu: '8'", "cpu: '8', cpus: 1")),
                ("w.yaml", "name: w\nbase_file: s.yaml\nmatrix:\n  seed: [1, 2]\n".into()),
            ],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT"],
            code: 2,
            says: &["s.yaml", "line 2, column 39", "field `cluster.nodes[0]`", "unknown field `cpus` (did you mean `cpu`?)"],
        },
        Case {
            name: "one of two base files missing",
            files: vec![("s.yaml", scenario("")), ("w.yaml", "name: w\nbase_files: [s.yaml, nope.yaml]\n".into())],
            args: &["sweep", "DIR/w.yaml", "--out", "OUT"],
            code: 2,
            says: &["w.yaml", "base file `nope.yaml`", "cannot read"],
        },
        sw(
            "an empty base_files list",
            "name: w\nbase_files: []\nmatrix:\n  seed: [1]\n".into(),
            &["w.yaml", "a sweep needs exactly one of `base`"],
        ),
        Case {
            name: "base_files naming one file twice",
            files: vec![("s.yaml", scenario("")), ("w.yaml", "name: w\nbase_files: [s.yaml, s.yaml]\n".into())],
            args: &["validate", "DIR/w.yaml"],
            code: 2,
            says: &["w.yaml", "two runs share the id `base=s`"],
        },
        sw(
            "base_files as a single name",
            "name: w\nbase_files: s.yaml\n".into(),
            &["w.yaml", "line 2, column 13", "field `base_files`", "expected a list, found `s.yaml`"],
        ),
        sw(
            "an unknown field in the base",
            sweep("matrix:\n  seed: [1]\n").replace("base:\n", "base:\n  bogus: 1\n"),
            &["w.yaml", "field `base`", "unknown field `bogus`", "the fields here are `name`, `seed`"],
        ),
        sw(
            "a base with a bad policy",
            sweep("matrix:\n  seed: [1]\n").replace("best-fit", "worst-fit"),
            &["w.yaml", "placement.policy", "unknown placement policy `worst-fit`"],
        ),
        // variants
        sw(
            "a variant path with a typo",
            sweep("variants:\n  a: {placement.polcy: x}\n"),
            &["w.yaml", "variants.a.placement.polcy", "`polcy` is not a field of `placement` (did you mean `policy`?)"],
        ),
        sw(
            "a variant that is not a policy",
            sweep("variants:\n  a: {placement.policy: worst-fit}\n"),
            &["w.yaml", "placement.policy", "unknown placement policy `worst-fit`"],
        ),
        sw(
            "a variant that is a list",
            sweep("variants:\n  a: [1]\n"),
            &["w.yaml", "line 9, column 6", "field `variants.a`", "expected a mapping, found a list"],
        ),
        sw(
            "variants as a list",
            sweep("variants: [a, b]\n"),
            &["w.yaml", "line 8, column 11", "field `variants`", "expected a mapping, found a list"],
        ),
        Case {
            name: "a comparison file with a bad variant, run with `run`",
            files: vec![("w.yaml", sweep("variants:\n  a: {}\n  b: {scaler.expander: cheapest, pools: [{name: g, instance_types: [g5.xlarge], max: 1}], catalog: nope.yaml}\n"))],
            args: &["run", "DIR/w.yaml", "--out", "OUT"],
            code: 2,
            says: &["w.yaml", "field `catalog`", "cannot read", "nope.yaml"],
        },
    ]
}
