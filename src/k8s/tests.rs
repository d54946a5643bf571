//! The kubectl dump reader and writer on hand-written dumps.

use super::*;
use serde_json::json;

fn node(name: &str, gpus: u32) -> Value {
    json!({"metadata": {"name": name, "labels": {"nvidia.com/gpu.product": "NVIDIA-A10G", "zone": "a"}},
           "spec": {"taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]},
           "status": {"allocatable": {"cpu": "7910m", "memory": "31482Mi", "nvidia.com/gpu": gpus.to_string(), "pods": "58"},
                      "capacity": {"cpu": "8"}}, "someFutureField": 1})
}

#[test]
fn effective_requests_follow_the_scheduler() {
    let nodes = json!({"kind": "NodeList", "items": [node("gpu-1", 1)]});
    let pods = json!({"kind": "PodList", "items": [
        {"metadata": {"name": "p", "namespace": "ml", "creationTimestamp": "2026-01-05T10:00:00Z"},
         "spec": {"initContainers": [{"resources": {"requests": {"cpu": "3", "memory": "1Gi"}}}],
                  "containers": [{"resources": {"requests": {"cpu": "1", "memory": "2Gi"}}},
                                 {"resources": {"limits": {"cpu": "500m", "nvidia.com/gpu": "1"}}}],
                  "overhead": {"cpu": "100m"},
                  "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]},
         "status": {"phase": "Pending"}},
        {"metadata": {"name": "done"}, "spec": {"containers": []}, "status": {"phase": "Succeeded"}}
    ]});
    let s = snapshot(&nodes, &pods).unwrap();
    assert_eq!(s.nodes[0].cpu_milli, 7910);
    assert_eq!(s.nodes[0].gpu_model.as_deref(), Some("NVIDIA-A10G"));
    let p = &s.pending[0];
    // max(init 3, containers 1 + 0.5) + overhead 0.1 = 3.1 CPU; memory 2Gi; GPU from limits.
    assert_eq!((p.cpu_milli, p.memory_mib, p.gpu.gpus()), (3100, 2048, 1));
    assert_eq!(p.name, "ml/p");
    assert_eq!(s.pending.len(), 1, "a Succeeded pod holds nothing");
}

#[test]
fn sidecar_init_containers_run_beside_the_containers() {
    // kubernetes/kubernetes component-helpers/resource/helpers_test.go, "restartable init
    // containers": a 500m log sidecar, then a 2-CPU migration step (which runs beside the
    // sidecar), then the 1-CPU app: 2.5 CPU at the migration's peak, 1.5 later.
    let nodes = json!({"kind": "NodeList", "items": [node("gpu-1", 1)]});
    let pods = json!({"kind": "PodList", "items": [
        {"metadata": {"name": "app", "namespace": "ml"},
         "spec": {"initContainers": [
                     {"name": "log", "restartPolicy": "Always", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}},
                     {"name": "migrate", "resources": {"requests": {"cpu": "2", "memory": "512Mi"}}}],
                  "containers": [{"resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}]},
         "status": {"phase": "Pending"}}
    ]});
    let s = snapshot(&nodes, &pods).unwrap();
    let p = &s.pending[0];
    // CPU: max(1 + 0.5, 2 + 0.5) = 2.5; memory: max(2Gi + 1Gi, 512Mi + 1Gi) = 3Gi.
    assert_eq!((p.cpu_milli, p.memory_mib), (2500, 3072));
    let bad = json!({"kind": "PodList", "items": [
        {"metadata": {"name": "app"}, "spec": {"initContainers": [{"restartPolicy": "OnFailure"}], "containers": []}}
    ]});
    let e = snapshot(&nodes, &bad).unwrap_err().to_string();
    assert!(e.contains("spec.initContainers[0].restartPolicy") && e.contains("expected Always"), "{e}");
}

#[test]
fn bad_dumps_name_the_object_and_field() {
    let nodes = json!({"kind": "NodeList", "items": [node("gpu-1", 1)]});
    let e = snapshot(&json!({"kind": "PodList", "items": []}), &nodes).unwrap_err();
    assert!(e.to_string().contains("expected NodeList"), "{e}");
    let bad_q = json!({"kind": "NodeList", "items": [{"metadata": {"name": "x"}, "status": {"allocatable": {"cpu": "lots", "memory": "1Gi"}}}]});
    let e = read_nodes(&bad_q).unwrap_err();
    assert_eq!((e.object.as_str(), e.field.as_str()), ("node/x", "status.allocatable.cpu"));
    let orphan = json!({"kind": "PodList", "items": [{"metadata": {"name": "p"}, "spec": {"nodeName": "ghost", "containers": []}, "status": {"phase": "Running"}}]});
    let e = snapshot(&nodes, &orphan).unwrap_err();
    assert!(e.to_string().contains("`ghost` is not in the node dump"), "{e}");
    assert!(e.to_string().contains("--pods-on-missing-nodes"), "the error names the option that allows it: {e}");
    // Allowed, the pod counts as running out of view: not bound here, not pending.
    let s = snapshot_with(&nodes, &orphan, MissingNodes::Elsewhere).unwrap();
    assert_eq!((s.bound.len(), s.pending.len(), s.elsewhere.clone()), (0, 0, vec!["default/p".to_string()]));
    let no_alloc = json!({"kind": "NodeList", "items": [{"metadata": {"name": "y"}}]});
    assert_eq!(read_nodes(&no_alloc).unwrap_err().field, "status.allocatable");
}

#[test]
fn a_snapshot_written_as_kubectl_json_reads_back_the_same() {
    let nodes = json!({"kind": "NodeList", "items": [node("gpu-1", 4)]});
    let pods = json!({"kind": "PodList", "items": [
        {"metadata": {"name": "a", "namespace": "ml", "annotations": {"karpenter.sh/do-not-disrupt": "true"}},
         "spec": {"nodeName": "gpu-1", "containers": [{"resources": {"requests": {"cpu": "1500m", "memory": "3Gi", "nvidia.com/gpu": "2"}}}],
                  "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]},
         "status": {"phase": "Running"}},
        {"metadata": {"name": "b", "namespace": "ml", "creationTimestamp": "2026-01-05T10:00:00Z"},
         "spec": {"containers": [{"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}],
                  "nodeSelector": {"zone": "a"},
                  "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                      {"matchExpressions": [{"key": "nvidia.com/gpu.product", "operator": "NotIn", "values": ["T4"]}]}]}}}},
         "status": {"phase": "Pending"}}
    ]});
    let s = snapshot(&nodes, &pods).unwrap();
    assert_eq!(s.do_not_disrupt, ["ml/a"]);
    let (n2, p2) = to_kubectl(&s, &["2026-01-05T10:00:00Z".to_string()]).unwrap();
    assert_eq!(snapshot(&n2, &p2).unwrap(), s);
    // A GPU share has no Kubernetes form: refused, not rounded.
    let mut shared = s.clone();
    shared.pending[0].gpu = GpuRequest::Shared { milli: 500 };
    assert!(to_kubectl(&shared, &["x".to_string()]).unwrap_err().contains("500 milli-GPU"));
}
