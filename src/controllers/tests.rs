//! Each controller on a small hand-made cluster: a catalog of two A10 types, one Deployment, and
//! the controller alone.

use super::*;
use crate::core::{GpuRequest, PodSpec};
use crate::engine::SimTime;
use crate::market::cloud::CloudSpec;
use crate::sim::{DeploymentSpec, IntOrPercent, Latency, Lifecycle, Pdb, RunResult, TimelineOp};

fn s(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

const CATALOG: &str = "source: test\ndate: \"2026-11\"\ncurrency: USD\ninstance_types:\n\
  - {name: a10-1, vcpu: 8, memory: 32Gi, gpu_model: A10, gpus: 1, offerings: [{zone: z1, on_demand: 1.0}]}\n\
  - {name: a10-4, vcpu: 32, memory: 128Gi, gpu_model: A10, gpus: 4, offerings: [{zone: z1, on_demand: 3.5}]}\n";

fn catalog() -> Catalog {
    Catalog::from_yaml(CATALOG).unwrap()
}

fn cluster(ops: Vec<(u64, TimelineOp)>, pdbs: Vec<Pdb>) -> ClusterSpec {
    let l = |v| Latency { lo: s(v), hi: s(v) };
    ClusterSpec {
        lifecycle: Some(Lifecycle {
            instance_running: l(30),
            node_ready: l(20),
            gpu_advertised: l(10),
            pull_bytes_per_s: 1 << 30,
            container_start: l(0),
        }),
        timeline: ops.into_iter().map(|(t, op)| (s(t), op)).collect(),
        pdbs,
        cloud: CloudSpec::default(),
        ..ClusterSpec::default()
    }
}

fn web(replicas: u32, cpu: u64) -> TimelineOp {
    TimelineOp::Apply(Box::new(DeploymentSpec {
        name: "web".into(),
        replicas,
        template: PodSpec {
            cpu_milli: cpu * 1000,
            memory_mib: 4096,
            gpu: GpuRequest::Whole { count: 1 },
            ..Default::default()
        },
        image: String::new(),
        image_bytes: 0,
        grace: s(5),
        do_not_disrupt: false,
        labels: [("app".to_string(), "web".to_string())].into(),
    }))
}

fn scale(replicas: u32) -> TimelineOp {
    TimelineOp::Scale { name: "web".into(), replicas }
}

fn pool(name: &str, mode: PoolMode, types: &[&str], min: u32, max: u32) -> PoolSpec {
    let cat = catalog();
    PoolSpec {
        name: name.into(),
        mode,
        types: types.iter().map(|t| cat.types[*t].clone()).collect(),
        zones: vec!["z1".into()],
        min,
        max,
        labels: Default::default(),
        taints: Vec::new(),
        priority: None,
        stock: Default::default(),
        share: None,
    }
}

fn scaler(expander: node_pool::Expander) -> ScalerConfig {
    let expander = node_pool::Expanders::one(expander);
    ScalerConfig {
        scan_interval: s(10),
        unneeded_time: s(600),
        delay_after_add: s(600),
        threshold_permille: 500,
        max_provision_time: s(900),
        backoff: s(300),
        expander,
        scale_in_delay: s(180),
        limits: Default::default(),
        ignore_daemonsets_utilization: false,
        ignore_mirror_pods_utilization: false,
    }
}

fn run(setup: &Setup, end: u64) -> RunResult {
    let opts = RunOptions {
        end: Some(s(end)),
        sample_every: Some(s(60)),
        events: true,
        departures: true,
        ..Default::default()
    };
    let w = setup.world(opts, &[], PolicyName::FirstFit, &Workload::default(), &RngStreams::new(7)).unwrap();
    w.run(&[]).unwrap()
}

fn events<'a>(r: &'a RunResult, kind: &str) -> Vec<&'a str> {
    r.events.iter().filter(|e| e.kind == kind).map(|e| e.message.as_str()).collect()
}

#[test]
fn cluster_autoscaler_grows_the_cheapest_option_then_removes_what_is_unneeded_down_to_min() {
    // Three 1-GPU pods: three a10-1 nodes ($3/h) against one a10-4 ($3.5/h); price picks a10-1.
    let pools =
        vec![pool("one", PoolMode::Autoscaler, &["a10-1"], 1, 5), pool("four", PoolMode::Autoscaler, &["a10-4"], 0, 5)];
    let setup = Setup {
        cluster: cluster(vec![(0, web(3, 2)), (1200, scale(0))], Vec::new()),
        controllers: vec![ControllerSpec::ClusterAutoscaler(pools.into(), scaler(node_pool::Expander::Price))],
    };
    let r = run(&setup, 3600);
    // The pool's min node covers one pod; the other two need two more nodes of it.
    assert_eq!(events(&r, "TriggeredScaleUp"), ["pod triggered scale-up: [{one 1->3 (max: 5)}]"; 2]);
    assert!(r.nodes.iter().all(|n| n.pool == "one"), "{:?}", r.nodes);
    assert_eq!(r.nodes.len(), 3, "the pool's min node, then two for the pods it does not hold");
    // Emptied at 1200 s: unneeded from the next scan, removed 10 min later; the pool's min stays.
    let gone: Vec<SimTime> = r.nodes.iter().filter_map(|n| n.terminated).collect();
    assert_eq!(gone.len(), 2);
    assert!(gone.iter().all(|&t| t >= s(1800) && t <= s(1810)), "{gone:?}");
    assert_eq!(r.figures["scale_downs"], 2);
}

#[test]
fn cluster_autoscaler_keeps_a_node_whose_pods_a_disruption_budget_protects() {
    // Three static nodes of the pool: n0 (1 GPU), n1 and n2 (4 GPUs). Two replicas land on n0 and
    // n1; n1 is a quarter used and its pod fits on n2: unneeded, unless the budget allows no
    // eviction.
    let cat = catalog();
    let nodes: Vec<(crate::core::NodeSpec, NodeMeta)> = [("n0", "a10-1"), ("n1", "a10-4"), ("n2", "a10-4")]
        .iter()
        .map(|(n, t)| (cat.types[*t].node_spec(n.to_string(), Default::default(), Vec::new()), NodeMeta::default()))
        .collect();
    let verdict = |min_available: u32| {
        let pdb = Pdb {
            name: "web".into(),
            selector: [("app".to_string(), "web".to_string())].into(),
            min_available: Some(IntOrPercent::Int(min_available)),
            max_unavailable: None,
        };
        let spec = cluster(vec![(0, web(2, 2))], vec![pdb]);
        let opts = RunOptions { end: Some(s(60)), ..Default::default() };
        let policy = PolicyName::FirstFit.build(&Workload::default());
        let mut w = World::new(
            &spec,
            opts,
            crate::core::ClusterState::default(),
            &nodes,
            policy,
            &RngStreams::new(1),
            Vec::new(),
        )
        .unwrap();
        for n in 0..3 {
            w.adopt(n, 0, 0);
        }
        w.start(&[]).unwrap();
        w.step(&[], s(30)).unwrap();
        let ca = ClusterAutoscaler::new(
            vec![pool("p", PoolMode::Autoscaler, &["a10-4"], 0, 5)],
            scaler(node_pool::Expander::Price),
            1024,
        );
        w.with_view(0, |v| {
            let pdb = v.objects.pdb_allowed();
            (ca.unneeded(v, 1, &pdb).unwrap(), ca.unneeded(v, 0, &pdb).unwrap())
        })
    };
    assert_eq!(verdict(1), (true, false), "n1 may go; n0 is fully used");
    assert_eq!(verdict(2), (false, false), "the budget allows no eviction");
}

#[test]
fn smart_hosting_provisions_a_node_per_pod_and_releases_it_after_the_scale_in_delay() {
    let pools = vec![pool("gpu", PoolMode::SmartHosting, &["a10-1", "a10-4"], 0, 10)];
    let setup = Setup {
        cluster: cluster(vec![(0, web(2, 2)), (600, scale(0))], Vec::new()),
        controllers: vec![ControllerSpec::SmartHosting(pools.into(), scaler(node_pool::Expander::Random))],
    };
    let r = run(&setup, 1800);
    // One node of the first type that fits, for each pod, at the first scan after they failed.
    assert_eq!(r.nodes.iter().map(|n| n.instance_type.as_str()).collect::<Vec<_>>(), ["a10-1", "a10-1"]);
    assert!(r.nodes.iter().all(|n| n.launched == SimTime::ZERO));
    // Empty from 605 s (the grace period), released 3 min later at the next scan.
    for n in &r.nodes {
        let t = n.terminated.expect("released");
        assert!(t >= s(785) && t <= s(795), "{t}");
        assert_eq!(n.reason, "idle (scale-in delay)");
    }
    assert_eq!((r.figures["scale_ups"], r.figures["scale_downs"]), (2, 2));
}

#[test]
fn karpenter_batches_pods_into_one_claim_and_removes_the_emptied_node() {
    let np = "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: gpu}\nspec:\n  disruption: {consolidationPolicy: WhenEmpty, consolidateAfter: 30s}\n";
    let doc: serde_json::Value = serde_saphyr::from_str(np).unwrap();
    let pool = crate::k8s::nodepool::load_nodepool(&doc, "test", &catalog(), &Default::default()).unwrap();
    let setup = Setup {
        cluster: cluster(vec![(0, web(4, 2)), (600, scale(0))], Vec::new()),
        controllers: vec![ControllerSpec::Karpenter(vec![pool].into(), KarpenterConfig::default())],
    };
    let r = run(&setup, 1200);
    // The four pods of the batch (closed 1 s after the last) fit one a10-4 ($3.5/h) more cheaply
    // than four a10-1 ($4/h).
    assert_eq!(r.nodes.len(), 1);
    assert_eq!((r.nodes[0].instance_type.as_str(), r.nodes[0].launched), ("a10-4", s(1)));
    assert_eq!(events(&r, "Launched").len(), 1);
    // Emptied at 605 s; consolidateAfter 30 s; the next 10 s poll drains it (Empty).
    let t = r.nodes[0].terminated.expect("consolidated");
    assert!(t >= s(635) && t <= s(645), "{t}");
    assert_eq!(r.nodes[0].reason, "consolidation (Empty)");
    assert_eq!(r.figures["disruptions_empty"], 1);
}
