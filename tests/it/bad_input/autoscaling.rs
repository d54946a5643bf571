//! Scenario YAML of node autoscaling: the instance catalog a scenario names, ACK node pools and
//! their scaler, shared GPUs, node and pod start-up latencies, and the timeline of Deployments.

use super::{scenario, validate, with_catalog, Case};

/// A valid scenario of one cluster-autoscaler pool of g5.xlarge (`extra` adds pool fields) and
/// `more` top-level lines.
fn pool(extra: &str, more: &str) -> String {
    with_catalog(&format!(
        "pools: [{{name: g, instance_types: [g5.xlarge], zones: [us-east-1a], max: 3{extra}}}]\n{more}"
    ))
}

/// A valid one-type catalog (`t1`, one T4, us-east-1a) to break.
pub(super) const CATALOG: &str = "source: x\ndate: '2026-01'\ncurrency: USD\ninstance_types:\n  \
    - {name: t1, vcpu: 4, memory: 16Gi, gpu_model: T4, gpus: 1, gpu_memory: 16Gi, offerings: [{zone: us-east-1a, on_demand: 0.5}]}\n";

/// A scenario with a pool of `t1` bought from `c.yaml` (written by the row).
fn own_catalog() -> String {
    scenario("catalog: c.yaml\npools: [{name: g, instance_types: [t1], max: 2}]\n")
}

/// A one-Deployment timeline step `apply: {name: d, ...}` at `at`.
const APPLY: &str = "{at: 0s, apply: {name: d, replicas: 1, requests: {cpu: '1'}}}";

pub(super) fn cases() -> Vec<Case> {
    vec![
        // The catalog a scenario names.
        validate(
            "pools without a catalog",
            vec![("s.yaml", scenario("pools: [{name: g, instance_types: [g5.xlarge], max: 3}]\n"))],
            &["s.yaml", "field `catalog`", "pools need an instance catalog", "e.g. `catalog: catalogs/alibaba-a10.yaml`"],
        ),
        validate(
            "catalog as a list",
            vec![("s.yaml", scenario("catalog: [a.yaml]\n"))],
            &["s.yaml", "field `catalog`", "expected a single value (a string), found a list"],
        ),
        validate(
            "a catalog vcpu `four`",
            vec![("c.yaml", CATALOG.replace("vcpu: 4", "vcpu: four")), ("s.yaml", own_catalog())],
            &["c.yaml", "line 5", "instance_types[0].vcpu", "expected a whole number from 0 to 4294967295, found `four`"],
        ),
        validate(
            "a catalog vcpu of 0",
            vec![("c.yaml", CATALOG.replace("vcpu: 4", "vcpu: 0")), ("s.yaml", own_catalog())],
            &["c.yaml", "instance_types[0].vcpu", "0; expected 1..=4096"],
        ),
        validate(
            "a catalog memory `12Zi`",
            vec![("c.yaml", CATALOG.replace("memory: 16Gi", "memory: 12Zi")), ("s.yaml", own_catalog())],
            &["c.yaml", "instance_types[0].memory", "`12Zi` has an unknown suffix"],
        ),
        validate(
            "a negative catalog GPU memory",
            vec![("c.yaml", CATALOG.replace("gpu_memory: 16Gi", "gpu_memory: -16Gi")), ("s.yaml", own_catalog())],
            &["c.yaml", "instance_types[0].gpu_memory", "`-16Gi` is negative"],
        ),
        validate(
            "a catalog arch `sparc`",
            vec![("c.yaml", CATALOG.replace("gpus: 1,", "gpus: 1, arch: sparc,")), ("s.yaml", own_catalog())],
            &["c.yaml", "instance_types[0].arch", "`sparc`; expected amd64 or arm64"],
        ),
        validate(
            "a catalog in euros",
            vec![("c.yaml", CATALOG.replace("USD", "EUR")), ("s.yaml", own_catalog())],
            &["c.yaml", "field `currency`", "`EUR`; expected USD"],
        ),
        validate(
            "a catalog without a currency",
            vec![("c.yaml", CATALOG.replace("currency: USD\n", "")), ("s.yaml", own_catalog())],
            &["c.yaml", "line 3, column 1", "missing field `currency`"],
        ),
        validate(
            "a catalog type listed twice",
            vec![
                ("c.yaml", CATALOG.to_string() + &CATALOG[CATALOG.find("  - ").unwrap()..]),
                ("s.yaml", own_catalog()),
            ],
            &["c.yaml", "instance_types[1].name", "instance type `t1` listed twice"],
        ),
        validate(
            "a catalog zone listed twice",
            vec![
                ("c.yaml", CATALOG.replace("on_demand: 0.5}]", "on_demand: 0.5}, {zone: us-east-1a, on_demand: 0.6}]")),
                ("s.yaml", own_catalog()),
            ],
            &["c.yaml", "instance_types[0].offerings[1].zone", "zone `us-east-1a` listed twice"],
        ),
        validate(
            "a negative on-demand price",
            vec![("c.yaml", CATALOG.replace("on_demand: 0.5", "on_demand: -0.5")), ("s.yaml", own_catalog())],
            &["c.yaml", "instance_types[0].offerings[0].on_demand", "-0.5; expected a price in USD/h"],
        ),
        validate(
            "an offering without a price",
            vec![("c.yaml", CATALOG.replace(", on_demand: 0.5", "")), ("s.yaml", own_catalog())],
            &["c.yaml", "field `instance_types[0].offerings[0]`", "missing field `on_demand`"],
        ),
        validate(
            "a type sold nowhere",
            vec![
                ("c.yaml", CATALOG.replace("[{zone: us-east-1a, on_demand: 0.5}]", "[]")),
                ("s.yaml", own_catalog()),
            ],
            &["c.yaml", "instance_types[0].offerings", "expected at least one zone"],
        ),
        validate(
            "catalog GPUs without a model",
            vec![("c.yaml", CATALOG.replace("gpu_model: T4, ", "")), ("s.yaml", own_catalog())],
            &["c.yaml", "instance_types[0].gpu_model", "1 GPUs need a gpu_model"],
        ),
        validate(
            "a catalog spot interruption bucket of 50%",
            vec![("c.yaml", CATALOG.replace("gpus: 1,", "gpus: 1, spot_interruption: '50%',")), ("s.yaml", own_catalog())],
            &["c.yaml", "instance_types[0].spot_interruption", "`50%`; expected a Spot Instance Advisor bucket"],
        ),
        validate(
            "a catalog spot interruption bucket without its source",
            vec![("c.yaml", CATALOG.replace("gpus: 1,", "gpus: 1, spot_interruption: '<5%',")), ("s.yaml", own_catalog())],
            &["c.yaml", "instance_types[0].spot_interruption", "needs the catalog's `spot_interruption_source`"],
        ),
        validate(
            "an unknown catalog field",
            vec![("c.yaml", CATALOG.replace("gpus: 1,", "gpus: 1, price: 3,")), ("s.yaml", own_catalog())],
            &["c.yaml", "field `instance_types[0]`", "unknown field `price`", "the fields here are `name`, `vcpu`"],
        ),
        validate(
            "a catalog that is a list",
            vec![("c.yaml", "- a\n".into()), ("s.yaml", own_catalog())],
            &["c.yaml", "line 1, column 1", "expected a mapping, found a list"],
        ),
        // pools
        validate(
            "a pool defined twice",
            vec![(
                "s.yaml",
                with_catalog("pools: [{name: g, instance_types: [g5.xlarge], max: 3}, {name: g, instance_types: [g5.xlarge], max: 3}]\n"),
            )],
            &["s.yaml", "pools[1].name", "pool `g` is defined twice"],
        ),
        validate(
            "a pool mode `manual`",
            vec![("s.yaml", pool(", mode: manual", ""))],
            &["s.yaml", "pools[0].mode", "`manual`; expected autoscaler or smart-hosting"],
        ),
        validate(
            "a pool with no instance types",
            vec![("s.yaml", with_catalog("pools: [{name: g, instance_types: [], max: 3}]\n"))],
            &["s.yaml", "pools[0].instance_types", "expected at least one instance type"],
        ),
        Case {
            name: "a pool of a type the catalog lacks",
            files: vec![("s.yaml", with_catalog("pools: [{name: g, instance_types: [g9.huge], max: 3}]\n"))],
            args: &["run", "DIR/s.yaml", "--out", "OUT"],
            code: 2,
            says: &["s.yaml", "pools[0].instance_types[0]", "`g9.huge` is not in the catalog", "it has: g4dn.12xlarge"],
        },
        validate(
            "a pool zone where its type is not sold",
            vec![("s.yaml", with_catalog("pools: [{name: g, instance_types: [g5.xlarge], zones: [mars-1a], max: 3}]\n"))],
            &["s.yaml", "pools[0].zones[0]", "no instance type of the pool is sold in zone `mars-1a`"],
        ),
        validate(
            "pool stock in a zone the pool does not use",
            vec![("s.yaml", pool(", stock: {us-east-1b: 1}", ""))],
            &["s.yaml", "pools[0].stock.us-east-1b", "zone `us-east-1b` is not one of the pool's zones (us-east-1a)"],
        ),
        validate(
            "negative pool stock",
            vec![("s.yaml", pool(", stock: {us-east-1a: -1}", ""))],
            &["s.yaml", "pools[0].stock.us-east-1a", "expected a whole number from 0 to 4294967295, found `-1`"],
        ),
        validate(
            "a pool min above its max",
            vec![("s.yaml", pool(", min: 5", ""))],
            &["s.yaml", "pools[0].min", "min 5 is above max 3"],
        ),
        validate(
            "a pool max of 0",
            vec![("s.yaml", with_catalog("pools: [{name: g, instance_types: [g5.xlarge], max: 0}]\n"))],
            &["s.yaml", "pools[0].max", "0; expected 1..=100000"],
        ),
        validate(
            "a pool without a max",
            vec![("s.yaml", with_catalog("pools: [{name: g, instance_types: [g5.xlarge]}]\n"))],
            &["s.yaml", "line 7", "field `pools[0]`", "missing field `max`"],
        ),
        validate(
            "a smart-hosting pool with a min",
            vec![("s.yaml", pool(", mode: smart-hosting, min: 1", ""))],
            &["s.yaml", "pools[0].min", "smart hosting pools have no minimum size; remove `min`"],
        ),
        validate(
            "a pool taint without an effect",
            vec![("s.yaml", pool(", taints: [gpu]", ""))],
            &["s.yaml", "pools[0].taints[0]", "`gpu` is not a taint; expected `key=value:Effect`"],
        ),
        validate(
            "pools as a mapping",
            vec![("s.yaml", with_catalog("pools: {g: 1}\n"))],
            &["s.yaml", "field `pools`", "expected a list, found a mapping"],
        ),
        // scaler
        validate(
            "a scan interval of 0s",
            vec![("s.yaml", pool("", "scaler: {scan_interval: 0s}\n"))],
            &["s.yaml", "scaler.scan_interval", "expected a positive duration"],
        ),
        validate(
            "a scan interval `10x`",
            vec![("s.yaml", pool("", "scaler: {scan_interval: 10x}\n"))],
            &["s.yaml", "scaler.scan_interval", "`10x` has unknown unit `x`"],
        ),
        validate(
            "a scale-down threshold of 1.5",
            vec![("s.yaml", pool("", "scaler: {scale_down_utilization_threshold: 1.5}\n"))],
            &["s.yaml", "scaler.scale_down_utilization_threshold", "1.5; expected 0.0..=1.0"],
        ),
        validate(
            "a cores total that is not MIN:MAX",
            vec![("s.yaml", pool("", "scaler: {cores_total: '320000'}\n"))],
            &["s.yaml", "scaler.cores_total", "`320000`; expected MIN:MAX, two integers"],
        ),
        validate(
            "a memory total with a minimum",
            vec![("s.yaml", pool("", "scaler: {memory_total: '10:100'}\n"))],
            &["s.yaml", "scaler.memory_total", "a minimum above 0 is not modelled", "expected 0:100"],
        ),
        validate(
            "a GPU total of another resource",
            vec![("s.yaml", pool("", "scaler: {gpu_total: ['amd.com/gpu:0:4']}\n"))],
            &["s.yaml", "scaler.gpu_total[0]", "expected nvidia.com/gpu:MIN:MAX"],
        ),
        validate(
            "an unknown expander",
            vec![("s.yaml", pool("", "scaler: {expander: cheapest}\n"))],
            &["s.yaml", "scaler.expander", "`cheapest` is not an expander; expected random, most-pods, least-waste, least-nodes, price, priority"],
        ),
        validate(
            "an expander chain naming one twice",
            vec![("s.yaml", pool("", "scaler: {expander: \"price,least-waste,price\"}\n"))],
            &["s.yaml", "scaler.expander", "`price` is given twice; each expander may appear once"],
        ),
        validate(
            "an expander chain going on after random",
            vec![("s.yaml", pool("", "scaler: {expander: \"random,least-waste\"}\n"))],
            &["s.yaml", "scaler.expander", "`least-waste` comes after `random`", "put `random` last"],
        ),
        validate(
            "an expander chain with a space",
            vec![("s.yaml", pool("", "scaler: {expander: \"priority, least-waste\"}\n"))],
            &["s.yaml", "scaler.expander", "` least-waste` is not an expander"],
        ),
        validate(
            "a backoff of `-5m`",
            vec![("s.yaml", pool("", "scaler: {backoff: -5m}\n"))],
            &["s.yaml", "scaler.backoff", "`-5m` is not a duration"],
        ),
        validate(
            "a provision time without a unit",
            vec![("s.yaml", pool("", "scaler: {max_node_provision_time: 15}\n"))],
            &["s.yaml", "scaler.max_node_provision_time", "`15` lacks a unit", "(e.g. `15s`)"],
        ),
        validate(
            "a mistyped scaler flag",
            vec![("s.yaml", pool("", "scaler: {scale_down_unneded_time: 5m}\n"))],
            &["s.yaml", "field `scaler`", "unknown field `scale_down_unneded_time`", "did you mean `scale_down_unneeded_time`?"],
        ),
        // gpu_sharing
        validate(
            "a GPU memory unit of 256MiB",
            vec![("s.yaml", pool(", labels: {ack.node.gpu.schedule: share}", "gpu_sharing: {gpuMemoryUnit: 256MiB}\n"))],
            &["s.yaml", "gpu_sharing.gpuMemoryUnit", "`256MiB`; expected 1GiB (the default) or 128MiB"],
        ),
        validate(
            "a GPU selection `random`",
            vec![("s.yaml", pool(", labels: {ack.node.gpu.schedule: share}", "gpu_sharing: {gpu_selection: random}\n"))],
            &["s.yaml", "gpu_sharing.gpu_selection", "`random`; expected binpack or spread"],
        ),
        validate(
            "gpu_memory_unit spelt in snake case",
            vec![("s.yaml", pool("", "gpu_sharing: {gpu_memory_unit: 1GiB}\n"))],
            &["s.yaml", "field `gpu_sharing`", "unknown field `gpu_memory_unit`", "did you mean `gpuMemoryUnit`?"],
        ),
        // lifecycle
        validate(
            "an instance start-up `10x`",
            vec![("s.yaml", pool("", "lifecycle: {instance_running: 10x}\n"))],
            &["s.yaml", "lifecycle.instance_running", "`10x` has unknown unit `x`", "or a range (`45s..90s`)"],
        ),
        validate(
            "a start-up range upside down",
            vec![("s.yaml", pool("", "lifecycle: {node_ready: 90s..45s}\n"))],
            &["s.yaml", "lifecycle.node_ready", "the range is empty (lower bound above upper)"],
        ),
        validate(
            "a range without an upper bound",
            vec![("s.yaml", pool("", "lifecycle: {container_start: 1s..}\n"))],
            &["s.yaml", "lifecycle.container_start", "empty duration", "or a range (`45s..90s`)"],
        ),
        validate(
            "an image pull bandwidth of 0",
            vec![("s.yaml", pool("", "lifecycle: {image_pull_bandwidth: 0}\n"))],
            &["s.yaml", "lifecycle.image_pull_bandwidth", "expected a positive number of bytes per second"],
        ),
        validate(
            "an image pull bandwidth `fast`",
            vec![("s.yaml", pool("", "lifecycle: {image_pull_bandwidth: fast}\n"))],
            &["s.yaml", "lifecycle.image_pull_bandwidth", "`fast` is not a quantity"],
        ),
        validate(
            "an unknown lifecycle step",
            vec![("s.yaml", pool("", "lifecycle: {boot: 1s}\n"))],
            &["s.yaml", "field `lifecycle`", "unknown field `boot`", "the fields here are `instance_running`"],
        ),
        // timeline
        validate(
            "a timeline step at `10x`",
            vec![("s.yaml", scenario(&format!("timeline: [{}]\n", APPLY.replace("0s", "10x"))))],
            &["s.yaml", "timeline[0].at", "`10x` has unknown unit `x`"],
        ),
        validate(
            "a timeline step that does nothing",
            vec![("s.yaml", scenario("timeline: [{at: 0s}]\n"))],
            &["s.yaml", "field `timeline[0]`", "expected exactly one of `apply`, `scale`, `delete`"],
        ),
        validate(
            "a timeline step that applies and deletes",
            vec![(
                "s.yaml",
                scenario("timeline: [{at: 0s, apply: {name: d, replicas: 1}, delete: {deployment: d}}]\n"),
            )],
            &["s.yaml", "field `timeline[0]`", "expected exactly one of `apply`, `scale`, `delete`"],
        ),
        validate(
            "scaling a Deployment never applied",
            vec![("s.yaml", scenario("timeline: [{at: 0s, scale: {deployment: nope, replicas: 2}}]\n"))],
            &["s.yaml", "timeline[0].scale.deployment", "no deployment `nope` is applied before this step"],
        ),
        validate(
            "deleting a Deployment never applied",
            vec![("s.yaml", scenario("timeline: [{at: 0s, delete: {deployment: nope}}]\n"))],
            &["s.yaml", "timeline[0].delete.deployment", "no deployment `nope` is applied before this step"],
        ),
        validate(
            "scaling to a million replicas",
            vec![(
                "s.yaml",
                scenario(&format!("timeline: [{APPLY}, {{at: 1m, scale: {{deployment: d, replicas: 1000000}}}}]\n")),
            )],
            &["s.yaml", "timeline[1].scale.replicas", "1000000 is absurd; expected at most 100000"],
        ),
        validate(
            "applying -1 replicas",
            vec![("s.yaml", scenario("timeline: [{at: 0s, apply: {name: d, replicas: -1}}]\n"))],
            &["s.yaml", "timeline[0].apply.replicas", "expected a whole number from 0 to 4294967295, found `-1`"],
        ),
        validate(
            "a Deployment request `lots`",
            vec![("s.yaml", scenario(&format!("timeline: [{}]\n", APPLY.replace("cpu: '1'", "cpu: lots"))))],
            &["s.yaml", "timeline[0].apply.requests.cpu", "`lots` is not a quantity"],
        ),
        validate(
            "a Deployment limit `1Zi`",
            vec![("s.yaml", scenario("timeline: [{at: 0s, apply: {name: d, replicas: 1, limits: {memory: 1Zi}}}]\n"))],
            &["s.yaml", "timeline[0].apply.limits.memory", "`1Zi` has an unknown suffix"],
        ),
        validate(
            "an image size `big`",
            vec![("s.yaml", scenario("timeline: [{at: 0s, apply: {name: d, replicas: 1, image_size: big}}]\n"))],
            &["s.yaml", "timeline[0].apply.image_size", "`big` is not a quantity"],
        ),
        validate(
            "a negative grace period",
            vec![(
                "s.yaml",
                scenario("timeline: [{at: 0s, apply: {name: d, replicas: 1, terminationGracePeriodSeconds: -1}}]\n"),
            )],
            &["s.yaml", "timeline[0].apply.terminationGracePeriodSeconds", "expected a whole number (0 or more), found `-1`"],
        ),
        validate(
            "a Deployment without a name",
            vec![("s.yaml", scenario("timeline: [{at: 0s, apply: {replicas: 1}}]\n"))],
            &["s.yaml", "field `timeline[0].apply`", "missing field `name`"],
        ),
    ]
}
