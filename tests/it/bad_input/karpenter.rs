//! Karpenter: NodePool manifests (inline and in files, including the cron schedules of their
//! disruption budgets), the `karpenter` settings, the spot `market` and PodDisruptionBudgets.

use super::{scenario, validate, with_catalog, Case};

/// A valid NodePool manifest file to break: g5.xlarge on-demand or spot, WhenEmpty after 5 min,
/// one node at a time.
pub(super) const NODEPOOL_FILE: &str = "apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: np}
spec:
  template:
    spec:
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge]}
        - {key: karpenter.sh/capacity-type, operator: In, values: [spot, on-demand]}
      expireAfter: 720h
  disruption:
    consolidationPolicy: WhenEmpty
    consolidateAfter: 5m
    budgets:
      - nodes: '1'
";

/// The scenario that reads `np.yaml`.
fn uses_np() -> String {
    with_catalog("nodepools: [np.yaml]\n")
}

/// [`NODEPOOL_FILE`] with `from` replaced by `to`.
fn np(from: &str, to: &str) -> String {
    assert!(NODEPOOL_FILE.contains(from), "{from}");
    NODEPOOL_FILE.replacen(from, to, 1)
}

/// [`NODEPOOL_FILE`] with a second budget `{nodes: '0', ...}` holding `fields`.
fn budget(fields: &str) -> String {
    NODEPOOL_FILE.to_string() + &format!("      - {{nodes: '0', {fields}}}\n")
}

/// An inline NodePool (one line) for `nodepools: [...]`.
const INLINE: &str = "{apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {name: np}, spec: {template: {spec: {requirements: [{key: node.kubernetes.io/instance-type, operator: In, values: [g5.xlarge, g5.2xlarge]}, {key: karpenter.sh/capacity-type, operator: In, values: [spot, on-demand]}]}}}}";

/// A scenario with the inline NodePool and `more` top-level lines.
fn karpenter(more: &str) -> String {
    with_catalog(&format!("nodepools: [{INLINE}]\n{more}"))
}

/// [`karpenter`] with one PodDisruptionBudget whose spec is `spec`.
fn pdb(spec: &str) -> String {
    karpenter(&format!(
        "pod_disruption_budgets: [{{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: b}}, spec: {{{spec}}}}}]\n"
    ))
}

/// Budget cron schedule rows: (name, schedule, what the message must say).
const CRON: &[(&str, &str, &[&str])] = &[
    (
        "a schedule of four fields",
        "0 9 * *",
        &["`0 9 * *` has 4 fields", "expected five (minute hour day-of-month month day-of-week)"],
    ),
    ("minute 61", "61 9 * * *", &["minute field: 61 is outside 0..=59"]),
    ("hour 25", "0 25 * * *", &["hour field: 25 is outside 0..=23"]),
    ("day of month 32", "0 9 32 * *", &["day-of-month field: 32 is outside 1..=31"]),
    ("month 13", "0 9 * 13 *", &["month field: 13 is outside 1..=12"]),
    ("day of week FUNDAY", "0 9 * * FUNDAY", &["day-of-week field: `FUNDAY` is not a number or a name"]),
    ("a range MON-FUN", "0 9 * * MON-FUN", &["day-of-week field: `FUN` is not a number or a name"]),
    ("a step of 0", "*/0 9 * * *", &["minute field: a step of 0"]),
    ("an hour range 17-9", "0 17-9 * * *", &["hour field: range `17-9` is empty"]),
];

pub(super) fn cases() -> Vec<Case> {
    let mut rows = vec![
        // NodePool manifests in a file.
        validate(
            "a v1beta1 NodePool",
            vec![("np.yaml", np("karpenter.sh/v1", "karpenter.sh/v1beta1")), ("s.yaml", uses_np())],
            &["np.yaml document 1", "field `apiVersion`", "`karpenter.sh/v1beta1`; expected karpenter.sh/v1"],
        ),
        validate(
            "a NodePool file of other kinds only",
            vec![("np.yaml", np("kind: NodePool", "kind: NodeClaim")), ("s.yaml", uses_np())],
            &["s.yaml", "field `nodepools`", "no NodePool in the manifests listed", "expected `kind: NodePool`"],
        ),
        validate(
            "a NodePool file that does not exist",
            vec![("s.yaml", with_catalog("nodepools: [missing.yaml]\n"))],
            &["s.yaml", "field `nodepools[0]`", "cannot read", "missing.yaml"],
        ),
        validate(
            "a YAML syntax error in a NodePool file's second document",
            vec![("np.yaml", NODEPOOL_FILE.to_string() + "---\nkey: [unclosed\n"), ("s.yaml", uses_np())],
            &["np.yaml", "line 17, column 6", "YAML syntax: unclosed bracket"],
        ),
        validate(
            "a requirement operator `Maybe`",
            vec![("np.yaml", np("operator: In, values: [spot", "operator: Maybe, values: [spot")), ("s.yaml", uses_np())],
            &["np.yaml document 1 (NodePool np)", "spec.template.spec.requirements[1].operator", "`Maybe`; expected In, NotIn"],
        ),
        validate(
            "a requirement Gt `one`",
            vec![(
                "np.yaml",
                np("        - {key: karpenter.sh", "        - {key: karpenter.k8s.aws/instance-gpu-count, operator: Gt, values: [one]}\n        - {key: karpenter.sh"),
            ), ("s.yaml", uses_np())],
            &["np.yaml", "spec.template.spec.requirements[1]", "operator Gt on `karpenter.k8s.aws/instance-gpu-count` needs exactly one integer value"],
        ),
        validate(
            "a requirement In with no values",
            vec![("np.yaml", np("values: [spot, on-demand]", "values: []")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.template.spec.requirements[1]", "operator In on `karpenter.sh/capacity-type` needs at least one value"],
        ),
        validate(
            "a requirement's minValues of 0",
            vec![("np.yaml", np("values: [spot, on-demand]}", "values: [spot, on-demand], minValues: 0}")), ("s.yaml", uses_np())],
            &["np.yaml document 1", "requirements[1].minValues", "0; expected an integer in 1..=50"],
        ),
        validate(
            "an In requirement's minValues above its values",
            vec![("np.yaml", np("values: [spot, on-demand]}", "values: [spot, on-demand], minValues: 3}")), ("s.yaml", uses_np())],
            &["np.yaml document 1", "requirements[1].minValues", "3, but the requirement lists 2 value(s)"],
        ),
        validate(
            "a requirement Exists with values",
            vec![("np.yaml", np("operator: In, values: [spot", "operator: Exists, values: [spot")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.template.spec.requirements[1]", "operator Exists on `karpenter.sh/capacity-type` takes no values"],
        ),
        validate(
            "requirement values as a word",
            vec![("np.yaml", np("values: [spot, on-demand]", "values: spot")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.template.spec.requirements[1].values", "expected a list"],
        ),
        validate(
            "a requirement without a key",
            vec![("np.yaml", np("{key: karpenter.sh/capacity-type, ", "{")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.template.spec.requirements[1].key", "expected a string"],
        ),
        validate(
            "requirements as a mapping",
            vec![(
                "np.yaml",
                "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: a}\nspec: {template: {spec: {requirements: {key: a}}}}\n".into(),
            ), ("s.yaml", uses_np())],
            &["np.yaml document 1 (NodePool a)", "field `spec.template.spec.requirements`", "expected a list"],
        ),
        validate(
            "requirements no catalog type satisfies",
            vec![("np.yaml", np("values: [g5.xlarge]", "values: [p9.huge]")), ("s.yaml", uses_np())],
            &[
                "np.yaml",
                "field `spec.template.spec.requirements[0]`",
                "`node.kubernetes.io/instance-type In [p9.huge]` excludes every one of the catalog's offerings (14 of 14 types)",
                "their `node.kubernetes.io/instance-type`: 14 values, such as g4dn.12xlarge",
            ],
        ),
        validate(
            "template labels that are lists",
            vec![(
                "np.yaml",
                np("  template:\n", "  template:\n    metadata: {labels: {team: [a, b]}}\n"),
            ), ("s.yaml", uses_np())],
            &["np.yaml", "spec.template.metadata.labels.team", "expected a string"],
        ),
        validate(
            "a NodePool taint effect `Never`",
            vec![("np.yaml", np("      expireAfter", "      taints: [{key: a, effect: Never}]\n      expireAfter")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.template.spec.taints[0].effect", "`Never`; expected NoSchedule, NoExecute or PreferNoSchedule"],
        ),
        validate(
            "a NodePool taint without an effect",
            vec![("np.yaml", np("      expireAfter", "      taints: [{key: a, value: b}]\n      expireAfter")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.template.spec.taints[0].effect", "expected a string"],
        ),
        validate(
            "expireAfter `10x`",
            vec![("np.yaml", np("expireAfter: 720h", "expireAfter: 10x")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.template.spec.expireAfter", "`10x` has unknown unit `x`", "or `Never`"],
        ),
        Case {
            name: "expireAfter `-5m`",
            files: vec![("np.yaml", np("expireAfter: 720h", "expireAfter: -5m")), ("s.yaml", uses_np())],
            args: &["run", "DIR/s.yaml", "--out", "OUT"],
            code: 2,
            says: &["np.yaml", "spec.template.spec.expireAfter", "`-5m` is not a duration", "or `Never`"],
        },
        validate(
            "terminationGracePeriod in weeks",
            vec![("np.yaml", np("expireAfter: 720h", "expireAfter: 720h\n      terminationGracePeriod: 1w")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.template.spec.terminationGracePeriod", "`1w` has unknown unit `w`"],
        ),
        validate(
            "a consolidation policy `Always`",
            vec![("np.yaml", np("consolidationPolicy: WhenEmpty", "consolidationPolicy: Always")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.disruption.consolidationPolicy", "`Always`; expected WhenEmpty or WhenEmptyOrUnderutilized"],
        ),
        validate(
            "consolidateAfter `soon`",
            vec![("np.yaml", np("consolidateAfter: 5m", "consolidateAfter: soon")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.disruption.consolidateAfter", "`soon` is not a duration", "or `Never`"],
        ),
        validate(
            "a budget of 150% of nodes",
            vec![("np.yaml", np("nodes: '1'", "nodes: '150%'")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.disruption.budgets[0].nodes", "`150%`; expected a count or a percentage 0%..100%"],
        ),
        validate(
            "a budget of `ten` nodes",
            vec![("np.yaml", np("nodes: '1'", "nodes: ten")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.disruption.budgets[0].nodes", "`ten`; expected a count or a percentage"],
        ),
        validate(
            "a budget of -1 nodes",
            vec![("np.yaml", np("nodes: '1'", "nodes: '-1'")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.disruption.budgets[0].nodes", "`-1`; expected a count or a percentage"],
        ),
        validate(
            "budgets as a mapping",
            vec![("np.yaml", np("    budgets:\n      - nodes: '1'\n", "    budgets: {nodes: '1'}\n")), ("s.yaml", uses_np())],
            &["np.yaml", "field `spec.disruption.budgets`", "expected a list"],
        ),
        validate(
            "a budget schedule without a duration",
            vec![("np.yaml", budget("schedule: '0 9 * * MON-FRI'")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.disruption.budgets[1].duration", "a schedule needs a duration (e.g. `10h`)"],
        ),
        validate(
            "a budget duration without a schedule",
            vec![("np.yaml", budget("duration: 10h")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.disruption.budgets[1].schedule", "a duration needs a schedule (cron, UTC)"],
        ),
        validate(
            "a budget duration `10x`",
            vec![("np.yaml", budget("schedule: '0 9 * * MON-FRI', duration: 10x")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.disruption.budgets[1].duration", "`10x` has unknown unit `x`"],
        ),
        validate(
            "a budget reason `Expired`",
            vec![("np.yaml", budget("reasons: [Expired]")), ("s.yaml", uses_np())],
            &["np.yaml", "spec.disruption.budgets[1].reasons[0]", "`Expired`; expected Empty, Underutilized or Drifted"],
        ),
        validate(
            "a NodePool weight of 500",
            vec![("np.yaml", NODEPOOL_FILE.to_string() + "  weight: 500\n"), ("s.yaml", uses_np())],
            &["np.yaml", "field `spec.weight`", "500; expected an integer in 1..=100"],
        ),
        validate(
            "a NodePool weight `heavy`",
            vec![("np.yaml", NODEPOOL_FILE.to_string() + "  weight: heavy\n"), ("s.yaml", uses_np())],
            &["np.yaml", "field `spec.weight`", "expected an integer in 1..=100"],
        ),
        validate(
            "a GPU limit `lots`",
            vec![("np.yaml", NODEPOOL_FILE.to_string() + "  limits: {nvidia.com/gpu: lots}\n"), ("s.yaml", uses_np())],
            &["np.yaml", "spec.limits.nvidia.com/gpu", "`lots` is not a quantity"],
        ),
        validate(
            "a negative cpu limit",
            vec![("np.yaml", NODEPOOL_FILE.to_string() + "  limits: {cpu: '-1'}\n"), ("s.yaml", uses_np())],
            &["np.yaml", "spec.limits.cpu", "`-1` is negative"],
        ),
        validate(
            "a memory limit `12Zi`",
            vec![("np.yaml", NODEPOOL_FILE.to_string() + "  limits: {memory: 12Zi}\n"), ("s.yaml", uses_np())],
            &["np.yaml", "spec.limits.memory", "`12Zi` has an unknown suffix"],
        ),
        validate(
            "limits as a list",
            vec![("np.yaml", NODEPOOL_FILE.to_string() + "  limits: [a]\n"), ("s.yaml", uses_np())],
            &["np.yaml", "field `spec.limits`", "expected a mapping"],
        ),
        // Inline NodePools.
        validate(
            "one NodePool name twice",
            vec![("s.yaml", with_catalog(&format!("nodepools: [{INLINE}, {INLINE}]\n")))],
            &["s.yaml", "nodepools[1]", "field `metadata.name`", "NodePool `np` is defined twice"],
        ),
        validate(
            "a NodePool without metadata",
            vec![("s.yaml", with_catalog("nodepools: [{kind: NodePool, apiVersion: karpenter.sh/v1, spec: {}}]\n"))],
            &["s.yaml", "nodepools[0]", "field `metadata`", "missing; a NodePool needs metadata.name"],
        ),
        validate(
            "a NodePool that is a number",
            vec![("s.yaml", with_catalog("nodepools: [42]\n"))],
            &["s.yaml", "field `nodepools[0]`", "expected a NodePool manifest (a mapping) or the path of a YAML file"],
        ),
        validate(
            "nodepools as a mapping",
            vec![("s.yaml", with_catalog("nodepools: {a: 1}\n"))],
            &["s.yaml", "field `nodepools`", "expected a list, found a mapping"],
        ),
        validate(
            "NodePools without a catalog",
            vec![("s.yaml", scenario(&format!("nodepools: [{INLINE}]\n")))],
            &["s.yaml", "field `catalog`", "need an instance catalog"],
        ),
        // simulation.start, which the budgets' cron schedules read.
        validate(
            "a simulation start `monday`",
            vec![("s.yaml", karpenter("").replace("simulation: {end: 1h, sample_interval: 10m}", "simulation: {end: 1h, start: monday}"))],
            &["s.yaml", "simulation.start", "`monday`; expected a UTC time like `2026-01-05T09:00:00Z`"],
        ),
        validate(
            "a simulation start on February 30",
            vec![(
                "s.yaml",
                karpenter("").replace("simulation: {end: 1h, sample_interval: 10m}", "simulation: {end: 1h, start: '2026-02-30T00:00:00Z'}"),
            )],
            &["s.yaml", "simulation.start", "`2026-02-30T00:00:00Z`: no such day"],
        ),
        validate(
            "a simulation start at 30 seconds past",
            vec![(
                "s.yaml",
                karpenter("").replace("simulation: {end: 1h, sample_interval: 10m}", "simulation: {end: 1h, start: '2026-01-05T00:00:30Z'}"),
            )],
            &["s.yaml", "simulation.start", "seconds must be 00 (schedules work in whole minutes)"],
        ),
        // karpenter
        validate(
            "a batch idle duration `10x`",
            vec![("s.yaml", karpenter("karpenter: {batch_idle_duration: 10x}\n"))],
            &["s.yaml", "karpenter.batch_idle_duration", "`10x` has unknown unit `x`"],
        ),
        validate(
            "a batch max shorter than idle",
            vec![("s.yaml", karpenter("karpenter: {batch_idle_duration: 20s, batch_max_duration: 10s}\n"))],
            &["s.yaml", "karpenter.batch_max_duration", "must not be shorter than batch_idle_duration"],
        ),
        validate(
            "a disruption poll of 0s",
            vec![("s.yaml", karpenter("karpenter: {disruption_poll: 0s}\n"))],
            &["s.yaml", "karpenter.disruption_poll", "expected a positive duration"],
        ),
        validate(
            "an offering TTL `-3m`",
            vec![("s.yaml", karpenter("karpenter: {unavailable_offering_ttl: -3m}\n"))],
            &["s.yaml", "karpenter.unavailable_offering_ttl", "`-3m` is not a duration"],
        ),
        validate(
            "an unknown Karpenter setting",
            vec![("s.yaml", karpenter("karpenter: {spot_to_spot: true}\n"))],
            &["s.yaml", "field `karpenter`", "unknown field `spot_to_spot`", "`spot_to_spot_consolidation`"],
        ),
        validate(
            "a min values policy of Loose",
            vec![("s.yaml", karpenter("karpenter: {min_values_policy: Loose}\n"))],
            &["s.yaml", "karpenter.min_values_policy", "`Loose`; expected Strict or BestEffort"],
        ),
        validate(
            "a VM memory overhead of 1.5",
            vec![("s.yaml", karpenter("karpenter: {vm_memory_overhead_percent: 1.5}\n"))],
            &["s.yaml", "karpenter.vm_memory_overhead_percent", "1.5; expected a fraction 0 <= x < 1"],
        ),
        // market
        validate(
            "a spot price ratio of -0.5",
            vec![("s.yaml", karpenter("market: {spot_price_ratio: -0.5}\n"))],
            &["s.yaml", "market.spot_price_ratio", "-0.5; expected a share in (0, 1]"],
        ),
        validate(
            "a spot price ratio of 2",
            vec![("s.yaml", karpenter("market: {spot_price_ratio: 2}\n"))],
            &["s.yaml", "market.spot_price_ratio", "2; expected a share in (0, 1]"],
        ),
        validate(
            "an interruption bucket `often`",
            vec![("s.yaml", karpenter("market: {interruption: often}\n"))],
            &["s.yaml", "market.interruption", "`often`; expected one of none, <5%, 5-10%"],
        ),
        validate(
            "an offering interruption bucket `50%`",
            vec![("s.yaml", karpenter("market: {interruption_by_offering: {g5.xlarge: '50%'}}\n"))],
            &["s.yaml", "market.interruption_by_offering.g5.xlarge", "`50%`; expected one of none, <5%"],
        ),
        validate(
            "interruptions of a type the catalog lacks",
            vec![("s.yaml", karpenter("market: {interruption_by_offering: {g9.huge: '<5%'}}\n"))],
            &["s.yaml", "market.interruption_by_offering.g9.huge", "`g9.huge` is not in the catalog"],
        ),
        validate(
            "interruptions in a zone the type is not sold in",
            vec![("s.yaml", karpenter("market: {interruption_by_offering: {g5.xlarge/mars-1a: '<5%'}}\n"))],
            &["s.yaml", "market.interruption_by_offering.g5.xlarge/mars-1a", "g5.xlarge is not sold in zone `mars-1a`"],
        ),
        validate(
            "an interruption notice `2 minutes`",
            vec![("s.yaml", karpenter("market: {interruption_notice: 2 minutes}\n"))],
            &["s.yaml", "market.interruption_notice", "unknown unit ` minutes`"],
        ),
        validate(
            "an interruption CSV that does not exist",
            vec![("s.yaml", karpenter("market: {interruptions_csv: nope.csv}\n"))],
            &["s.yaml", "market.interruptions_csv", "cannot read", "nope.csv"],
        ),
        validate(
            "a spot price CSV that does not exist",
            vec![("s.yaml", karpenter("market: {spot_prices_csv: nope.csv}\n"))],
            &["s.yaml", "market.spot_prices_csv", "cannot read", "nope.csv"],
        ),
        validate(
            "stock of a type the catalog lacks",
            vec![("s.yaml", karpenter("market: {stock: {g9.huge: 1}}\n"))],
            &["s.yaml", "market.stock.g9.huge", "`g9.huge` is not in the catalog"],
        ),
        validate(
            "stock of capacity type `reserved`",
            vec![("s.yaml", karpenter("market: {stock: {g5.xlarge/us-east-1a/reserved: 1}}\n"))],
            &["s.yaml", "market.stock.g5.xlarge/us-east-1a/reserved", "expected TYPE, TYPE/ZONE, TYPE/CAPACITY or TYPE/ZONE/CAPACITY"],
        ),
        validate(
            "negative stock",
            vec![("s.yaml", karpenter("market: {stock: {g5.xlarge: -1}}\n"))],
            &["s.yaml", "market.stock.g5.xlarge", "expected a whole number from 0 to 4294967295, found `-1`"],
        ),
        validate(
            "an unknown market field",
            vec![("s.yaml", karpenter("market: {price: 1}\n"))],
            &["s.yaml", "field `market`", "unknown field `price`", "the fields here are `spot_price_ratio`"],
        ),
        // pod_disruption_budgets
        validate(
            "a PDB with both minAvailable and maxUnavailable",
            vec![("s.yaml", pdb("minAvailable: 1, maxUnavailable: 1, selector: {matchLabels: {app: a}}"))],
            &["s.yaml", "pod_disruption_budgets[0].spec", "expected exactly one of minAvailable and maxUnavailable"],
        ),
        validate(
            "a PDB with neither minAvailable nor maxUnavailable",
            vec![("s.yaml", pdb("selector: {matchLabels: {app: a}}"))],
            &["s.yaml", "pod_disruption_budgets[0].spec", "expected exactly one of minAvailable and maxUnavailable"],
        ),
        validate(
            "a PDB without a selector",
            vec![("s.yaml", pdb("minAvailable: 1"))],
            &["s.yaml", "pod_disruption_budgets[0].spec.selector.matchLabels", "expected at least one label"],
        ),
        validate(
            "a PDB of 150%",
            vec![("s.yaml", pdb("minAvailable: '150%', selector: {matchLabels: {app: a}}"))],
            &["s.yaml", "pod_disruption_budgets[0].spec.minAvailable", "expected a count (`2`) or a percentage (`50%`)"],
        ),
        validate(
            "a PDB minAvailable of -1",
            vec![("s.yaml", pdb("minAvailable: -1, selector: {matchLabels: {app: a}}"))],
            &["s.yaml", "pod_disruption_budgets[0].spec.minAvailable", "-1; expected a count (`2`) or a percentage"],
        ),
        validate(
            "a PDB maxUnavailable of 1.5",
            vec![("s.yaml", pdb("maxUnavailable: 1.5, selector: {matchLabels: {app: a}}"))],
            &["s.yaml", "pod_disruption_budgets[0].spec.maxUnavailable", "1.5; expected a count (`2`) or a percentage"],
        ),
        validate(
            "a policy/v1beta1 PDB",
            vec![("s.yaml", pdb("minAvailable: 1, selector: {matchLabels: {app: a}}").replace("policy/v1", "policy/v1beta1"))],
            &["s.yaml", "pod_disruption_budgets[0].apiVersion", "`policy/v1beta1`; expected policy/v1"],
        ),
        validate(
            "a PDB of kind Deployment",
            vec![(
                "s.yaml",
                pdb("minAvailable: 1, selector: {matchLabels: {app: a}}").replace("kind: PodDisruptionBudget", "kind: Deployment"),
            )],
            &["s.yaml", "pod_disruption_budgets[0].kind", "`Deployment`; expected PodDisruptionBudget"],
        ),
        validate(
            "a PDB without a name",
            vec![("s.yaml", pdb("minAvailable: 1, selector: {matchLabels: {app: a}}").replace("metadata: {name: b}, ", ""))],
            &["s.yaml", "pod_disruption_budgets[0].metadata.name", "missing; a PodDisruptionBudget needs a name"],
        ),
        validate(
            "a PDB given as a file name",
            vec![("s.yaml", karpenter("pod_disruption_budgets: [pdb.yaml]\n"))],
            &["s.yaml", "field `pod_disruption_budgets[0]`", "expected a PodDisruptionBudget manifest"],
        ),
    ];
    for (name, schedule, says) in CRON {
        let mut s: Vec<&'static str> = vec!["np.yaml document 1 (NodePool np)", "spec.disruption.budgets[1].schedule"];
        s.extend_from_slice(says);
        rows.push(validate(
            name,
            vec![("np.yaml", budget(&format!("schedule: '{schedule}', duration: 10h"))), ("s.yaml", uses_np())],
            Box::leak(s.into_boxed_slice()),
        ));
    }
    // The scenario's own sections are unchanged by a NodePool: a bad one is still found.
    rows.push(validate(
        "a bad placement next to a valid NodePool",
        vec![("np.yaml", NODEPOOL_FILE.into()), ("s.yaml", uses_np().replace("best-fit", "worst-fit"))],
        &["s.yaml", "placement.policy", "unknown placement policy `worst-fit`"],
    ));
    rows
}
