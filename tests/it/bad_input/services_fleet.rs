//! Inference services (traffic, capacity, model, HPA) and multi-cluster fleets (members,
//! PropagationPolicies as ACK One and Karmada write them, inventory, descheduler).

use super::{catalog, scenario, Case};

/// [`scenario`] with one service `chat` of rate `20/s` traffic; `extra` adds service fields.
pub(super) fn service(traffic: &str, extra: &str) -> String {
    scenario(&format!(
        "services: [{{deployment: {{name: chat, replicas: 2, requests: {{cpu: '1', memory: 1Gi}}}}, traffic: {{{traffic}}}, capacity: {{tokens_per_s: 2000}}{extra}}}]\n"
    ))
}

/// [`service`] with an HPA of the given fields.
fn hpa(fields: &str) -> String {
    service("rate: 20/s", &format!(", hpa: {{{fields}}}"))
}

fn svc(name: &'static str, text: String, says: &'static [&'static str]) -> Case {
    super::validate(name, vec![("s.yaml", text)], says)
}

/// A valid two-member fleet (ACK One's PropagationPolicy, seed 001) to break: replace `from` by `to`.
fn fleet(from: &str, to: &str) -> String {
    let ali = catalog("alibaba-a10.yaml");
    let text = format!(
        "name: fl
cluster: {{}}
workload: {{}}
placement: {{policy: best-fit}}
fleet:
  members:
    - name: a
      region: cn-beijing
      dispatch_latency: 1s
      scenario: {{catalog: {ali}, pools: [{{name: p, instance_types: [ecs.gn7i-c8g1.2xlarge], zones: [cn-beijing-k], max: 4}}]}}
    - name: b
      region: cn-shanghai
      scenario: {{catalog: {ali}, pools: [{{name: p, instance_types: [ecs.gn7i-c8g1.2xlarge], zones: [cn-shanghai-b], max: 4}}]}}
  propagation_policies:
    - apiVersion: policy.one.alibabacloud.com/v1alpha1
      kind: PropagationPolicy
      metadata: {{name: pp}}
      spec:
        resourceSelectors: [{{apiVersion: apps/v1, kind: Deployment, name: web}}]
        placement:
          replicaScheduling: {{replicaSchedulingType: Divided, weightPreference: {{dynamicWeight: AvailableReplicas}}}}
          clusterAffinity: {{clusterNames: [a, b]}}
  inventory: []
timeline: [{{at: 0s, apply: {{name: web, replicas: 2, requests: {{cpu: '1', nvidia.com/gpu: '1'}}}}}}]
simulation: {{end: 1h}}
"
    );
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1)
}

fn fl(name: &'static str, from: &str, to: &str, says: &'static [&'static str]) -> Case {
    Case { name, files: vec![("f.yaml", fleet(from, to))], args: &["validate", "DIR/f.yaml"], code: 2, says }
}

const MEMBER_A: &str =
    "{catalog: CAT, pools: [{name: p, instance_types: [ecs.gn7i-c8g1.2xlarge], zones: [cn-beijing-k], max: 4}]}";
const DIVIDED: &str = "{replicaSchedulingType: Divided, weightPreference: {dynamicWeight: AvailableReplicas}}";

pub(super) fn cases() -> Vec<Case> {
    let member_a = MEMBER_A.replace("CAT", &catalog("alibaba-a10.yaml"));
    let ali = catalog("alibaba-a10.yaml");
    vec![
        // services
        svc(
            "a service with no traffic",
            service("", ""),
            &["s.yaml", "field `services[0].traffic`", "expected exactly one of azure_csv, rates_csv and rate"],
        ),
        svc(
            "a service with two kinds of traffic",
            service("rate: 20/s, azure_csv: a.csv", ""),
            &["s.yaml", "field `services[0].traffic`", "expected exactly one of azure_csv, rates_csv and rate"],
        ),
        svc(
            "a traffic rate `fast`",
            service("rate: fast", ""),
            &["s.yaml", "services[0].traffic.rate", "`fast`; expected a rate such as `120/h`"],
        ),
        svc(
            "a traffic scale of 0",
            service("rate: 20/s, scale: 0", ""),
            &["s.yaml", "services[0].traffic.scale", "0; expected a factor in (0, 10000]"],
        ),
        svc(
            "a traffic daily cycle of amplitude 2",
            service("rate: 20/s, diurnal: {amplitude: 2, peak: '14:00'}", ""),
            &["s.yaml", "services[0].traffic.diurnal.amplitude", "2; expected 0 <= a < 1"],
        ),
        Case {
            name: "tokens_per_request on an Azure trace",
            files: vec![
                ("a.csv", super::trace_files::AZURE_CSV.into()),
                ("s.yaml", service("azure_csv: a.csv, tokens_per_request: 5", "")),
            ],
            args: &["run", "DIR/s.yaml", "--out", "OUT"],
            code: 2,
            says: &["s.yaml", "services[0].traffic.tokens_per_request", "only a `rate` takes tokens_per_request"],
        },
        Case {
            name: "a daily cycle on an Azure trace",
            files: vec![
                ("a.csv", super::trace_files::AZURE_CSV.into()),
                ("s.yaml", service("azure_csv: a.csv, diurnal: {amplitude: 0.5, peak: '14:00'}", "")),
            ],
            args: &["validate", "DIR/s.yaml"],
            code: 2,
            says: &["s.yaml", "services[0].traffic.diurnal", "only a `rate` takes a daily cycle"],
        },
        svc(
            "a capacity of 0 tokens a second",
            service("rate: 20/s", "").replace("tokens_per_s: 2000", "tokens_per_s: 0"),
            &["s.yaml", "services[0].capacity.tokens_per_s", "0; expected 1..=10^8"],
        ),
        svc(
            "a GPU model capacity of 0",
            service("rate: 20/s", "").replace("tokens_per_s: 2000", "tokens_per_s: 100, by_gpu_model: {A10G: 0}"),
            &["s.yaml", "services[0].capacity.by_gpu_model.A10G", "0; expected 1..=10^8"],
        ),
        svc(
            "a negative capacity",
            service("rate: 20/s", "").replace("tokens_per_s: 2000", "tokens_per_s: -1"),
            &["s.yaml", "services[0].capacity.tokens_per_s", "expected a whole number (0 or more), found `-1`"],
        ),
        svc(
            "an overload policy `reject`",
            service("rate: 20/s", ", overload: reject"),
            &["s.yaml", "services[0].overload", "`reject`; expected queue or drop"],
        ),
        svc(
            "a model size `big`",
            service("rate: 20/s", ", model: {size: big, load_bandwidth: 1Gi}"),
            &["s.yaml", "services[0].model.size", "`big` is not a quantity"],
        ),
        svc(
            "a model load bandwidth of 0",
            service("rate: 20/s", ", model: {size: 16Gi, load_bandwidth: 0}"),
            &["s.yaml", "services[0].model.load_bandwidth", "expected a positive number of bytes per second"],
        ),
        svc(
            "a model without a load bandwidth",
            service("rate: 20/s", ", model: {size: 16Gi}"),
            &["s.yaml", "field `services[0].model`", "missing field `load_bandwidth`"],
        ),
        svc(
            "an HPA min above max",
            hpa("minReplicas: 5, maxReplicas: 2, targetUtilization: 70"),
            &["s.yaml", "field `services[0].hpa`", "minReplicas 5 / maxReplicas 2", "expected 0 <= min <= max"],
        ),
        svc(
            "an HPA without a target",
            hpa("maxReplicas: 5"),
            &["s.yaml", "field `services[0].hpa`", "expected a target: targetUtilization (percent of capacity), targetAverageValue"],
        ),
        svc(
            "a requests target of 0",
            hpa("maxReplicas: 5, targetRequestsAverageValue: 0"),
            &["s.yaml", "hpa.targetRequestsAverageValue", "0; expected 1..=10^7 requests/s per replica"],
        ),
        svc(
            "a queue-per-replica target of 0",
            hpa("maxReplicas: 5, targetQueueAverageValue: 0"),
            &["s.yaml", "hpa.targetQueueAverageValue", "0; expected 1..=10^9 queued tokens per replica"],
        ),
        svc(
            "a queue Value target of 0",
            hpa("maxReplicas: 5, targetQueueValue: 0"),
            &["s.yaml", "hpa.targetQueueValue", "0; expected 1..=10^12 queued tokens in all"],
        ),
        svc(
            "an Ingress per-replica target above its range",
            hpa("maxReplicas: 5, targetIngressRequestsAverageValue: 20000000"),
            &["s.yaml", "hpa.targetIngressRequestsAverageValue", "20000000; expected 1..=10^7 requests/s per replica"],
        ),
        svc(
            "an HPA update out of time order",
            service(
                "rate: 20/s",
                ", hpa_updates: [{at: 20m, hpa: {maxReplicas: 5, targetUtilization: 70}}, {at: 10m, hpa: {maxReplicas: 6, targetUtilization: 70}}]",
            ),
            &["s.yaml", "services[0].hpa_updates[1].at", "10m, before the update above it (20m); expected the updates in time order"],
        ),
        svc(
            "an HPA update with a bad target",
            service("rate: 20/s", ", hpa_updates: [{at: 10m, hpa: {maxReplicas: 5, targetUtilization: 0}}]"),
            &["s.yaml", "services[0].hpa_updates[0].hpa.targetUtilization", "0; expected 1..=1000 (percent)"],
        ),
        svc(
            "an HPA with two targets",
            hpa("maxReplicas: 5, targetUtilization: 70, targetAverageValue: 100"),
            &["s.yaml", "field `services[0].hpa`", "both target tokens/s; expected one of them"],
        ),
        svc(
            "an HPA target of 0 %",
            hpa("maxReplicas: 5, targetUtilization: 0"),
            &["s.yaml", "services[0].hpa.targetUtilization", "0; expected 1..=1000 (percent)"],
        ),
        svc(
            "an HPA tolerance of 1.5",
            hpa("maxReplicas: 5, targetUtilization: 70, tolerance: 1.5"),
            &["s.yaml", "services[0].hpa.tolerance", "1.5; expected 0 <= tolerance < 1"],
        ),
        svc(
            "an HPA sync period of 0s",
            hpa("maxReplicas: 5, targetUtilization: 70, syncPeriod: 0s"),
            &["s.yaml", "services[0].hpa.syncPeriod", "expected at least 1s"],
        ),
        svc(
            "an HPA selectPolicy `Median`",
            hpa("maxReplicas: 5, targetUtilization: 70, behavior: {scaleUp: {selectPolicy: Median}}"),
            &["s.yaml", "services[0].hpa.behavior.scaleUp.selectPolicy", "`Median`; expected Max, Min or Disabled"],
        ),
        svc(
            "an HPA stabilization window of a day",
            hpa("maxReplicas: 5, targetUtilization: 70, behavior: {scaleDown: {stabilizationWindowSeconds: 99999}}"),
            &["s.yaml", "services[0].hpa.behavior.scaleDown.stabilizationWindowSeconds", "99999; expected 0..=3600"],
        ),
        svc(
            "an HPA policy of type Nodes",
            hpa("maxReplicas: 5, targetUtilization: 70, behavior: {scaleDown: {policies: [{type: Nodes, value: 1, periodSeconds: 60}]}}"),
            &["s.yaml", "services[0].hpa.behavior.scaleDown.policies[0].type", "`Nodes`; expected Pods or Percent"],
        ),
        svc(
            "an HPA policy value of 0",
            hpa("maxReplicas: 5, targetUtilization: 70, behavior: {scaleDown: {policies: [{type: Pods, value: 0, periodSeconds: 60}]}}"),
            &["s.yaml", "services[0].hpa.behavior.scaleDown.policies[0].value", "expected a positive value"],
        ),
        svc(
            "an HPA policy period of an hour",
            hpa("maxReplicas: 5, targetUtilization: 70, behavior: {scaleDown: {policies: [{type: Pods, value: 1, periodSeconds: 3600}]}}"),
            &["s.yaml", "services[0].hpa.behavior.scaleDown.policies[0].periodSeconds", "3600; expected 1..=1800"],
        ),
        svc(
            "an HPA with an empty policy list",
            hpa("maxReplicas: 5, targetUtilization: 70, behavior: {scaleDown: {policies: []}}"),
            &["s.yaml", "services[0].hpa.behavior.scaleDown.policies", "expected at least one policy (or selectPolicy: Disabled)"],
        ),
        svc(
            "an HPA policy without a period",
            hpa("maxReplicas: 5, targetUtilization: 70, behavior: {scaleDown: {policies: [{type: Pods, value: 1}]}}"),
            &["s.yaml", "field `services[0].hpa.behavior.scaleDown.policies[0]`", "missing field `periodSeconds`"],
        ),
        // fleet
        fl("a member listed twice", "- name: b", "- name: a", &["f.yaml", "fleet.members[1].name", "member `a` is listed twice"]),
        fl(
            "a dispatch latency `10x`",
            "dispatch_latency: 1s",
            "dispatch_latency: 10x",
            &["f.yaml", "fleet.members[0].dispatch_latency", "`10x` has unknown unit `x`", "or a range (`1s..3s`)"],
        ),
        fl(
            "a dispatch latency range upside down",
            "dispatch_latency: 1s",
            "dispatch_latency: 3s..1s",
            &["f.yaml", "fleet.members[0].dispatch_latency", "the range is empty"],
        ),
        fl(
            "a member without node pools",
            &member_a,
            &format!("{{catalog: {ali}}}"),
            &["f.yaml", "fleet.members[0].scenario", "a member needs node `pools` or Karpenter `nodepools`"],
        ),
        fl(
            "a member scenario file that does not exist",
            &member_a,
            "member.yaml",
            &["f.yaml", "fleet.members[0].scenario", "cannot read", "member.yaml"],
        ),
        fl(
            "a member scenario that is a number",
            &member_a,
            "42",
            &["f.yaml", "fleet.members[0].scenario", "expected a scenario mapping or the path of a scenario file"],
        ),
        fl(
            "a member with its own seed",
            &member_a,
            &member_a.replace("{catalog", "{seed: 3, catalog"),
            &["f.yaml", "fleet.members[0].scenario.seed", "set by the fleet scenario; remove it from the member"],
        ),
        fl(
            "a mistyped member field",
            &member_a,
            &member_a.replace("pools:", "poolz:"),
            &["f.yaml", "fleet.members[0].scenario", "unknown field `poolz`", "`pools`"],
        ),
        fl(
            "an unknown PropagationPolicy API",
            "apiVersion: policy.one.alibabacloud.com/v1alpha1",
            "apiVersion: policy.karmada.io/v2",
            &["f.yaml", "fleet.propagation_policies[0]", "apiVersion", "`policy.karmada.io/v2`; expected one of policy.one.alibabacloud.com/v1alpha1, policy.karmada.io/v1alpha1"],
        ),
        fl(
            "an OverridePolicy among the PropagationPolicies",
            "kind: PropagationPolicy",
            "kind: OverridePolicy",
            &["f.yaml", "fleet.propagation_policies[0]", "kind", "`OverridePolicy`; expected PropagationPolicy"],
        ),
        fl(
            "a policy selecting a StatefulSet",
            "kind: Deployment",
            "kind: StatefulSet",
            &["f.yaml", "fleet.propagation_policies[0]", "spec.resourceSelectors[0].kind", "`StatefulSet`; fleetsim propagates Deployments"],
        ),
        fl(
            "a Deployment no policy selects",
            "name: web}]",
            "name: other}]",
            &["f.yaml", "field `timeline[0]`", "no PropagationPolicy selects Deployment `web`"],
        ),
        fl(
            "a policy naming a cluster not in the fleet",
            "clusterNames: [a, b]",
            "clusterNames: [a, c]",
            &["f.yaml", "spec.placement.clusterAffinity.clusterNames[1]", "`c` is not a member of the fleet; members: a, b"],
        ),
        fl(
            "a spread constraint with maxGroups below minGroups",
            "clusterAffinity: {clusterNames: [a, b]}",
            "spreadConstraints: [{spreadByField: cluster, maxGroups: 1, minGroups: 2}]\n          clusterAffinity: {clusterNames: [a, b]}",
            &["f.yaml", "spec.placement.spreadConstraints[0].maxGroups", "1, below minGroups 2; expected maxGroups >= minGroups"],
        ),
        fl(
            "a spread constraint without maxGroups",
            "clusterAffinity: {clusterNames: [a, b]}",
            "spreadConstraints: [{minGroups: 1}]\n          clusterAffinity: {clusterNames: [a, b]}",
            &["f.yaml", "spec.placement.spreadConstraints[0].maxGroups", "unset (0): Karmada's scheduler selects no cluster", "expected maxGroups >= 1"],
        ),
        fl(
            "a spread constraint by field and by label",
            "clusterAffinity: {clusterNames: [a, b]}",
            "spreadConstraints: [{spreadByField: cluster, spreadByLabel: tier, maxGroups: 1}]\n          clusterAffinity: {clusterNames: [a, b]}",
            &["f.yaml", "spec.placement.spreadConstraints[0]", "spreadByField `cluster` and spreadByLabel `tier`; expected one of them"],
        ),
        fl(
            "a policy update naming no policy of the fleet",
            "  inventory: []",
            "  policy_updates: [{at: 10m, policies: [{apiVersion: policy.karmada.io/v1alpha1, kind: PropagationPolicy, metadata: {name: other}, spec: {resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}], placement: {clusterAffinity: {clusterNames: [a]}}}}]}]\n  inventory: []",
            &["f.yaml", "fleet.policy_updates[0].policies", "PropagationPolicy `other` is not in fleet.propagation_policies (pp)"],
        ),
        fl(
            "a policy update selecting other Deployments",
            "  inventory: []",
            "  policy_updates: [{at: 10m, policies: [{apiVersion: policy.karmada.io/v1alpha1, kind: PropagationPolicy, metadata: {name: pp}, spec: {resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: api}], placement: {clusterAffinity: {clusterNames: [a]}}}}]}]\n  inventory: []",
            &["f.yaml", "fleet.policy_updates[0].policies", "may change the placement, not the resourceSelectors"],
        ),
        fl(
            "a field selector on a field Karmada does not have",
            "clusterAffinity: {clusterNames: [a, b]}",
            "clusterAffinity: {fieldSelector: {matchExpressions: [{key: cloud, operator: In, values: [x]}]}}",
            &["f.yaml", "spec.placement.clusterAffinity.fieldSelector.matchExpressions[0].key", "`cloud`; expected provider, region or zone"],
        ),
        fl(
            "a field selector with Exists",
            "clusterAffinity: {clusterNames: [a, b]}",
            "clusterAffinity: {fieldSelector: {matchExpressions: [{key: region, operator: Exists}]}}",
            &["f.yaml", "fieldSelector.matchExpressions[0].operator", "`Exists`; a fieldSelector takes In or NotIn"],
        ),
        fl(
            "a label selector with Gt",
            "clusterAffinity: {clusterNames: [a, b]}",
            "clusterAffinity: {labelSelector: {matchExpressions: [{key: gpus, operator: Gt, values: ['3']}]}}",
            &["f.yaml", "labelSelector.matchExpressions[0].operator", "`Gt`; expected In, NotIn, Exists or DoesNotExist"],
        ),
        fl(
            "a replica scheduling type `Spread`",
            DIVIDED,
            "{replicaSchedulingType: Spread}",
            &["f.yaml", "spec.placement.replicaScheduling.replicaSchedulingType", "`Spread`; expected Duplicated or Divided"],
        ),
        fl(
            "a dynamic weight `Capacity`",
            DIVIDED,
            "{replicaSchedulingType: Divided, weightPreference: {dynamicWeight: Capacity}}",
            &["f.yaml", "spec.placement.replicaScheduling.weightPreference.dynamicWeight", "expected AvailableReplicas"],
        ),
        fl(
            "a replica division preference of Balanced",
            DIVIDED,
            "{replicaSchedulingType: Divided, replicaDivisionPreference: Balanced}",
            &["f.yaml", "replicaDivisionPreference", "`Balanced`; expected Weighted or Aggregated"],
        ),
        fl(
            "a static weight of 0",
            DIVIDED,
            "{replicaSchedulingType: Divided, weightPreference: {staticWeightList: [{targetCluster: {clusterNames: [a]}, weight: 0}]}}",
            &["f.yaml", "weightPreference.staticWeightList[0].weight", "expected a positive integer"],
        ),
        fl(
            "a static weight for a cluster not in the fleet",
            DIVIDED,
            "{replicaSchedulingType: Divided, weightPreference: {staticWeightList: [{targetCluster: {clusterNames: [z]}, weight: 1}]}}",
            &["f.yaml", "staticWeightList[0].targetCluster.clusterNames[0]", "`z` is not a member of the fleet"],
        ),
        fl(
            "inventory in a region no member is in",
            "inventory: []",
            "inventory: [{region: mars, instance_type: ecs.gn7i-c8g1.2xlarge, stock: 1}]",
            &["f.yaml", "fleet.inventory[0].region", "no member is in region `mars`; members' regions: cn-beijing, cn-shanghai"],
        ),
        fl(
            "inventory of a type no pool launches",
            "inventory: []",
            "inventory: [{region: cn-beijing, instance_type: g5.xlarge, stock: 1}]",
            &["f.yaml", "fleet.inventory[0].instance_type", "no pool of a member in region `cn-beijing` launches `g5.xlarge`"],
        ),
        fl(
            "negative inventory",
            "inventory: []",
            "inventory: [{region: cn-beijing, instance_type: ecs.gn7i-c8g1.2xlarge, stock: -1}]",
            &["f.yaml", "fleet.inventory[0].stock", "-1; expected a count of instances, 0..=1000000"],
        ),
        fl(
            "an inventory level at `soon`",
            "inventory: []",
            "inventory: [{at: soon, region: cn-beijing, instance_type: ecs.gn7i-c8g1.2xlarge, stock: 1}]",
            &["f.yaml", "fleet.inventory[0].at", "`soon` is not a duration"],
        ),
        fl(
            "a descheduling interval of 0s",
            "inventory: []",
            "inventory: []\n  descheduler: {descheduling_interval: 0s}",
            &["f.yaml", "fleet.descheduler.descheduling_interval", "expected a positive duration"],
        ),
        fl(
            "an unschedulable threshold without a unit",
            "inventory: []",
            "inventory: []\n  descheduler: {unschedulable_threshold: 5}",
            &["f.yaml", "fleet.descheduler.unschedulable_threshold", "`5` lacks a unit"],
        ),
        fl(
            "a fleet without an end time",
            "simulation: {end: 1h}",
            "simulation: {}",
            &["f.yaml", "simulation.end", "needs an end time (e.g. `2h`)"],
        ),
        fl(
            "an unknown fleet field",
            "  members:\n",
            "  members: []\n  old_members:\n",
            &["f.yaml", "field `fleet`", "unknown field `old_members`"],
        ),
        Case {
            name: "a fleet with pools of its own",
            files: vec![(
                "f.yaml",
                fleet(
                    "placement: {policy: best-fit}",
                    &format!("placement: {{policy: best-fit}}\ncatalog: {ali}\npools: [{{name: p, instance_types: [ecs.gn7i-c8g1.2xlarge], max: 3}}]"),
                ),
            )],
            args: &["run", "DIR/f.yaml", "--out", "OUT"],
            code: 2,
            says: &["f.yaml", "field `fleet`", "a fleet scenario's clusters are its members", "move `pools`"],
        },
        Case {
            name: "a fleet with an empty member list",
            files: vec![(
                "f.yaml",
                "name: fl\ncluster: {}\nworkload: {}\nplacement: {policy: best-fit}\nfleet: {members: []}\n\
                 timeline: [{at: 0s, apply: {name: d, replicas: 1}}]\nsimulation: {end: 1h}\n"
                    .into(),
            )],
            args: &["validate", "DIR/f.yaml"],
            code: 2,
            says: &["f.yaml", "field `fleet.members`", "expected at least one member cluster"],
        },
    ]
}
