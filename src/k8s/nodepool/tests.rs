//! NodePool manifests as the seeds and Karpenter's docs write them, and bad ones.

use super::*;
use crate::market::RawCatalog;

fn catalog() -> Catalog {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/catalogs/aws-gpu.yaml");
    let raw: RawCatalog = serde_saphyr::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    Catalog::from_raw(&raw).unwrap()
}

fn load(yaml: &str) -> Result<NodePool, ManifestError> {
    let v: Value = serde_saphyr::from_str(yaml).unwrap();
    load_nodepool(&v, "test", &catalog(), &SpotMarket::default())
}

const TIER1: &str = r#"
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: gpu-tier1-g5-spot
spec:
  template:
    spec:
      requirements:
        - key: karpenter.sh/capacity-type
          operator: In
          values: ['spot']
        - key: karpenter.k8s.aws/instance-gpu-name
          operator: In
          values: ['a10g']
        - key: karpenter.k8s.aws/instance-category
          operator: In
          values: ['g']
      taints:
        - key: nvidia.com/gpu
          value: 'true'
          effect: NoSchedule
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: gpu-optimized
  weight: 100
  limits:
    nvidia.com/gpu: '20'
"#;

#[test]
fn seed_tier_loads_as_written() {
    let p = load(TIER1).unwrap();
    assert_eq!(p.name, "gpu-tier1-g5-spot");
    assert_eq!(p.weight, 100);
    assert_eq!(p.limits.gpus, Some(20));
    assert_eq!(p.limits.cpu_milli, None);
    assert!(p.ignored.is_empty(), "{:?}", p.ignored);
    assert_eq!(p.node_class.as_deref(), Some("gpu-optimized"));
    assert_eq!(p.policy, ConsolidationPolicy::WhenEmptyOrUnderutilized, "upstream default");
    assert_eq!(p.expire_after, Some(SimTime(720 * 3_600_000)), "upstream default 720h");
    assert_eq!(p.budgets[0].nodes, BudgetNodes::Percent(10));
    assert!(p.offerings.iter().all(|o| o.capacity == CapacityType::Spot));
    let names: Vec<&str> = p.types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["g5.12xlarge", "g5.2xlarge", "g5.48xlarge", "g5.4xlarge", "g5.8xlarge", "g5.xlarge"]);
    // Spot price: the catalog's where given, else 30 % of on-demand.
    let o = |t: &str| p.offerings.iter().find(|o| p.types[o.ty].name == t).unwrap().price;
    assert_eq!(o("g5.xlarge"), 302_000);
    assert_eq!(o("g5.48xlarge"), 16_288_000 * 3 / 10);
    let l = &p.offerings[0].labels;
    assert_eq!(l["karpenter.k8s.aws/instance-family"], "g5");
    assert_eq!(l["karpenter.k8s.aws/instance-generation"], "5");
    assert_eq!(l["karpenter.sh/nodepool"], "gpu-tier1-g5-spot");
}

#[test]
fn capacity_type_defaults_to_on_demand_and_gt_works() {
    let p = load(
            "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: big}\nspec:\n  template:\n    metadata: {labels: {node-type: gpu}}\n    spec:\n      requirements:\n        - {key: karpenter.k8s.aws/instance-gpu-count, operator: Gt, values: ['4']}\n        - {key: team, operator: In, values: [ml]}\n",
        )
        .unwrap();
    assert!(p.offerings.iter().all(|o| o.capacity == CapacityType::OnDemand));
    assert!(p.types.iter().all(|t| t.gpus > 4));
    assert_eq!(p.offerings[0].labels["node-type"], "gpu");
    assert_eq!(p.offerings[0].labels["team"], "ml", "a requirement on a custom key labels the node");
}

#[test]
fn eks_auto_mode_instance_labels_restrict_as_karpenters_do_and_other_eks_labels_are_reported() {
    let yaml = TIER1
        .replace("karpenter.k8s.aws/instance-gpu-name", "eks.amazonaws.com/instance-gpu-name")
        .replace("karpenter.k8s.aws/instance-category", "eks.amazonaws.com/instance-category");
    let p = load(&yaml).unwrap();
    assert!(
        p.types.iter().all(|t| t.name.starts_with("g5.")),
        "{:?}",
        p.types.iter().map(|t| &t.name).collect::<Vec<_>>()
    );
    assert_eq!(p.offerings[0].labels["eks.amazonaws.com/instance-family"], "g5");
    let yaml = TIER1.replace(
            "      taints:",
            "        - key: eks.amazonaws.com/compute-type\n          operator: In\n          values: ['auto']\n      taints:",
        );
    let p = load(&yaml).unwrap();
    assert!(
        p.ignored.iter().any(|f| f.contains("eks.amazonaws.com/compute-type") && f.contains("restricts nothing")),
        "{:?}",
        p.ignored
    );
}

#[test]
fn bad_manifests_name_the_document_and_field() {
    let e = load(&TIER1.replace("weight: 100", "weight: 101")).unwrap_err();
    assert_eq!(e.field, "spec.weight");
    assert!(e.origin.contains("gpu-tier1-g5-spot"), "{e}");
    let e = load(&TIER1.replace("['a10g']", "['tpu']")).unwrap_err();
    // The requirement that leaves nothing is named, with the values the catalog has there.
    assert_eq!(e.field, "spec.template.spec.requirements[1]");
    assert!(e.message.starts_with("`karpenter.k8s.aws/instance-gpu-name In [tpu]` excludes every one of"), "{e}");
    assert!(e.message.ends_with("their `karpenter.k8s.aws/instance-gpu-name`: a100, a10g, h100, l4, t4, v100"), "{e}");
    let e = load(&TIER1.replace(
        "  limits:",
        "  disruption:\n    budgets:\n      - {nodes: '0', schedule: '0 9 * *', duration: 10h}\n  limits:",
    ))
    .unwrap_err();
    assert_eq!(e.field, "spec.disruption.budgets[0].schedule");
    let e = load(&TIER1.replace("key: karpenter.k8s.aws/instance-category", "key: ''")).unwrap_err();
    assert!(e.field.ends_with("requirements[2]") && e.message.contains("`key` is empty"), "{e}");
    let e = load(&TIER1.replace("karpenter.sh/v1", "karpenter.sh/v1beta1")).unwrap_err();
    assert_eq!(e.field, "apiVersion");
    let e =
        load(&TIER1.replace("operator: In\n          values: ['spot']", "operator: Near\n          values: ['spot']"))
            .unwrap_err();
    assert_eq!(e.field, "spec.template.spec.requirements[0].operator");
}
