//! Round trips through the writers fleetsim has: a pod list written as `fleetsim trace` writes it
//! reads back to the same pods, and a cluster snapshot written as kubectl JSON (what `plan`
//! exports) reads back to the same snapshot. Property tests: the inputs are generated.

use crate::common::tmp;
use fleetsim::core::{GpuRequest, PodSpec};
use fleetsim::engine::SimTime;
use fleetsim::k8s::{snapshot, to_kubectl};
use fleetsim::workload::{read_pods, write_pods, TracePod};
use proptest::prelude::*;
use serde_json::{json, Value};

fn gpu() -> impl Strategy<Value = GpuRequest> {
    prop_oneof![
        Just(GpuRequest::None),
        (1u32..1000).prop_map(|milli| GpuRequest::Shared { milli }),
        (1u32..=8).prop_map(|count| GpuRequest::Whole { count }),
    ]
}

prop_compose! {
    fn trace_pod()(
        // Names with the characters CSV must quote (comma, quote, newline, carriage return) inside;
        // at the edges the reader trims whitespace, and the writer refuses such names.
        name in "[a-z0-9]([a-z0-9 ,\"\r\n|./_-]{0,10}[a-z0-9])?",
        cpu_milli in 0u64..200_000,
        memory_mib in 0u64..2_000_000,
        gpu in gpu(),
        models in proptest::collection::vec("[A-Z][A-Z0-9-]{0,5}", 0..3),
        created in 0u64..10_000_000,
        life in proptest::option::of(0u64..1_000_000),
    ) -> TracePod {
        TracePod {
            spec: PodSpec { name, cpu_milli, memory_mib, gpu, gpu_models: models, ..Default::default() },
            created: SimTime::from_secs(created),
            deleted: life.map(|l| SimTime::from_secs(created + l)),
            checkpoint: None,
            do_not_disrupt: false,
            gang: None,
            priority: 0,
        }
    }
}

fn quantity_cpu() -> impl Strategy<Value = String> {
    prop_oneof![(1u64..64).prop_map(|c| c.to_string()), (1u64..64_000).prop_map(|m| format!("{m}m"))]
}

fn quantity_memory() -> impl Strategy<Value = String> {
    prop_oneof![(1u64..512).prop_map(|g| format!("{g}Gi")), (1u64..500_000).prop_map(|m| format!("{m}Mi"))]
}

prop_compose! {
    fn node_json(i: usize)(
        cpu in quantity_cpu(),
        memory in quantity_memory(),
        gpus in 0u32..=8,
        model in "(A10G|L4|T4|H100)",
        zone in "(us-east-1a|us-east-1b)",
        tainted in any::<bool>(),
    ) -> Value {
        let mut alloc = json!({"cpu": cpu, "memory": memory});
        let mut labels = json!({"topology.kubernetes.io/zone": zone});
        if gpus > 0 {
            alloc["nvidia.com/gpu"] = json!(gpus.to_string());
            labels["nvidia.com/gpu.product"] = json!(model);
        }
        let taints = if tainted { json!([{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]) } else { json!([]) };
        json!({"metadata": {"name": format!("node-{i}"), "labels": labels}, "spec": {"taints": taints},
               "status": {"allocatable": alloc}})
    }
}

prop_compose! {
    fn pod_json(i: usize, nodes: usize)(
        cpu in quantity_cpu(),
        memory in quantity_memory(),
        gpus in 0u32..=4,
        bound in proptest::option::of(0..nodes.max(1)),
        tolerates in any::<bool>(),
        selector in proptest::option::of("(us-east-1a|us-east-1b)"),
        keep in any::<bool>(),
        minute in 0u32..60,
    ) -> Value {
        let mut requests = json!({"cpu": cpu, "memory": memory});
        if gpus > 0 {
            requests["nvidia.com/gpu"] = json!(gpus.to_string());
        }
        let mut spec = json!({"containers": [{"name": "main", "resources": {"requests": requests}}]});
        if tolerates {
            spec["tolerations"] = json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]);
        }
        if let Some(z) = selector {
            spec["nodeSelector"] = json!({"topology.kubernetes.io/zone": z});
        }
        let phase = match bound.filter(|_| nodes > 0) {
            Some(n) => { spec["nodeName"] = json!(format!("node-{n}")); "Running" }
            None => "Pending",
        };
        let mut meta = json!({"name": format!("pod-{i}"), "namespace": "ml",
                              "creationTimestamp": format!("2026-01-05T10:{minute:02}:00Z")});
        if keep {
            meta["annotations"] = json!({"karpenter.sh/do-not-disrupt": "true"});
        }
        json!({"metadata": meta, "spec": spec, "status": {"phase": phase}})
    }
}

fn dump() -> impl Strategy<Value = (Value, Value)> {
    (1usize..6, 0usize..8).prop_flat_map(|(n, p)| {
        let nodes: Vec<_> = (0..n).map(node_json).collect();
        let pods: Vec<_> = (0..p).map(|i| pod_json(i, n)).collect();
        (nodes, pods).prop_map(|(nodes, pods)| {
            (json!({"kind": "NodeList", "items": nodes}), json!({"kind": "PodList", "items": pods}))
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_pod_list_written_by_trace_reads_back_the_same(mut pods in proptest::collection::vec(trace_pod(), 1..20)) {
        pods.sort_by_key(|p| p.created);
        // A pod list's names are unique (the reader refuses a name twice).
        let mut seen = std::collections::BTreeSet::new();
        pods.retain(|p| seen.insert(p.spec.name.clone()));
        let text = write_pods(&pods).unwrap();
        let f = tmp("roundtrip-pods").join("pods.csv");
        std::fs::write(&f, &text).unwrap();
        let back = read_pods(&f).unwrap();
        prop_assert_eq!(&back, &pods, "written:\n{}", text);
    }

    #[test]
    fn a_name_the_reader_would_trim_is_refused_by_the_writer(pad in "[ \t\r\n]{1,3}", mut pod in trace_pod()) {
        pod.spec.name = format!("{pad}{}", pod.spec.name);
        prop_assert!(write_pods(&[pod]).unwrap_err().contains("leading or trailing whitespace"));
    }

    #[test]
    fn a_snapshot_exported_as_kubectl_json_reads_back_the_same((nodes, pods) in dump()) {
        let Ok(snap) = snapshot(&nodes, &pods) else { return Ok(()) };
        let created: Vec<String> = snap
            .pending
            .iter()
            .map(|p| {
                let name = p.name.rsplit('/').next().unwrap();
                let item = pods["items"].as_array().unwrap().iter().find(|i| i["metadata"]["name"] == name).unwrap();
                item["metadata"]["creationTimestamp"].as_str().unwrap().to_string()
            })
            .collect();
        let (n2, p2) = to_kubectl(&snap, &created).unwrap();
        prop_assert_eq!(snapshot(&n2, &p2).unwrap(), snap);
    }
}
