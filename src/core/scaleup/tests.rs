//! The scale-up estimate on hand-made cases and on the cases of upstream's estimator tests
//! (kubernetes/autoscaler `cluster-autoscaler/estimator/binpacking_estimator_test.go` and
//! `decreasing_pod_orderer_test.go` at commit f7bb0c36), restated.

use super::*;
use crate::core::{GpuRequest, Taint, TaintEffect};

fn gpu_node(gpus: u32) -> NodeSpec {
    NodeSpec {
        cpu_milli: 8000 * gpus as u64,
        memory_mib: 30_000 * gpus as u64,
        gpu_count: gpus,
        gpu_model: Some("A10".into()),
        ..Default::default()
    }
}

fn pod(name: &str, gpus: u32) -> PodSpec {
    PodSpec {
        name: name.into(),
        cpu_milli: 1000,
        memory_mib: 2048,
        gpu: GpuRequest::Whole { count: gpus },
        ..Default::default()
    }
}

#[test]
fn estimates_within_room_and_skips_what_a_type_cannot_run() {
    // Group "small": 1-GPU nodes, room 2. Five 1-GPU pods need five nodes; room caps it at 2.
    // Group "tainted": 4-GPU nodes with a taint no pod tolerates: no option at all.
    let taint = Taint { key: "dedicated".into(), value: "x".into(), effect: TaintEffect::NoSchedule };
    let groups = vec![
        NodeGroup::new("small", 2, None, vec![GroupType::new("one", gpu_node(1), 1_000_000)]),
        NodeGroup::new(
            "tainted",
            5,
            None,
            vec![GroupType::new("four", NodeSpec { taints: vec![taint], ..gpu_node(4) }, 3_000_000)],
        ),
    ];
    let specs: Vec<PodSpec> = (0..5).map(|i| pod(&format!("p{i}"), 1)).collect();
    let pods: Vec<(PodId, &PodSpec)> = specs.iter().enumerate().map(|(i, p)| (i as PodId, p)).collect();
    let mut c = ClusterState::default();
    let opts = options(&mut c, &groups, &pods).unwrap();
    assert_eq!(opts.len(), 1);
    assert_eq!((opts[0].group, opts[0].nodes, opts[0].pods.clone()), (0, 2, vec![0, 1]));
    assert_eq!(opts[0].on_node, vec![0, 1]);
    assert_eq!(opts[0].price_micro_h, 2_000_000);
    assert_eq!(opts[0].waste_permille, 0);
    assert!(why_no_group(&groups, &specs[0]).contains("tainted: untolerated taint dedicated=x"));
    assert_eq!(c.nodes().count(), 0);
}

#[test]
fn expanders_pick_by_their_rule() {
    // Three 1-GPU pods. "one": 3 nodes, $3/h, no waste. "four": 1 node, $2.5/h, 250 per mille
    // idle (one of four GPUs). "eight" (priority 5): 1 node, $4/h, 625 idle.
    let groups = vec![
        NodeGroup::new("one", 10, Some(0), vec![GroupType::new("one", gpu_node(1), 1_000_000)]),
        NodeGroup::new("four", 10, Some(0), vec![GroupType::new("four", gpu_node(4), 2_500_000)]),
        NodeGroup::new("eight", 10, Some(5), vec![GroupType::new("eight", gpu_node(8), 4_000_000)]),
    ];
    let specs: Vec<PodSpec> = (0..3).map(|i| pod(&format!("p{i}"), 1)).collect();
    let pods: Vec<(PodId, &PodSpec)> = specs.iter().enumerate().map(|(i, p)| (i as PodId, p)).collect();
    let opts = options(&mut ClusterState::default(), &groups, &pods).unwrap();
    let w: Vec<u64> = opts.iter().map(|o| o.waste_permille).collect();
    assert_eq!(w, vec![0, 250, 625]);
    let pick = |e| expand(&opts, &groups, &Expanders::one(e), 1, |_| 0).map(|i| groups[opts[i].group].name.as_str());
    assert_eq!(pick(Expander::LeastWaste), Some("one"));
    assert_eq!(pick(Expander::Price), Some("four"));
    assert_eq!(pick(Expander::Priority), Some("eight"));
    // All help three pods: the tie goes to the random draw (here the first).
    assert_eq!(pick(Expander::MostPods), Some("one"));
    assert_eq!(expand(&opts, &groups, &Expanders::one(Expander::Random), 1, |n| n - 1), Some(2));
    assert_eq!(expand(&[], &groups, &Expanders::one(Expander::Price), 1, |_| 0), None);
}

fn cpu_pod(name: &str, cpu_milli: u64, memory_mib: u64) -> PodSpec {
    PodSpec { name: name.into(), cpu_milli, memory_mib, ..Default::default() }
}

/// The estimate of one group `room` wide for the CPU template `cpu`/`mem`: (nodes, pods helped).
fn estimate_of(cpu: u64, mem: u64, room: u32, specs: &[PodSpec]) -> (u32, Vec<PodId>) {
    let t = NodeSpec { cpu_milli: cpu, memory_mib: mem, ..Default::default() };
    let groups = vec![NodeGroup::new("template", room, None, vec![GroupType::new("t", t, 1)])];
    let pods: Vec<(PodId, &PodSpec)> = specs.iter().enumerate().map(|(i, p)| (i as PodId, p)).collect();
    // `oldnode` of the upstream cases: 100m / 100 MiB, which none of the pods fits.
    let mut c = ClusterState::default();
    c.add_node(&NodeSpec { name: "oldnode".into(), cpu_milli: 100, memory_mib: 100, ..Default::default() }).unwrap();
    let opts = options(&mut c, &groups, &pods).unwrap();
    assert_eq!(c.nodes().count(), 1, "reverted");
    opts.first().map(|o| (o.nodes, o.pods.clone())).unwrap_or((0, Vec::new()))
}

#[test]
fn binpacking_packs_by_resources() {
    // TestBinpackingEstimate "simple resource-based binpacking": ten 350m pods, two to a 1-CPU
    // node: 5 nodes for 10 pods.
    let specs: Vec<PodSpec> = (0..10).map(|i| cpu_pod(&format!("p{i}"), 350, 1)).collect();
    let (nodes, pods) = estimate_of(1000, 2000, 1000, &specs);
    assert_eq!((nodes, pods.len()), (5, 10));
}

#[test]
fn binpacking_stops_at_the_node_limit() {
    // "limiter cuts binpacking": twenty 500m pods, two to a node, at most 5 nodes: 10 pods.
    let specs: Vec<PodSpec> = (0..20).map(|i| cpu_pod(&format!("p{i}"), 500, 1)).collect();
    let (nodes, pods) = estimate_of(1000, 5000, 5, &specs);
    assert_eq!((nodes, pods.len()), (5, 10));
    assert_eq!(pods, (0..10).collect::<Vec<PodId>>(), "in order");
}

#[test]
fn binpacking_takes_the_larger_pods_first() {
    // "decreasing ordered pods are processed first": ten 50m pods listed before ten 500m pods,
    // at most 5 nodes: the 500m pods fill the 5 nodes, the 50m pods find no room and no node.
    let mut specs: Vec<PodSpec> = (0..10).map(|i| cpu_pod(&format!("small{i}"), 50, 1)).collect();
    specs.extend((0..10).map(|i| cpu_pod(&format!("big{i}"), 500, 1)));
    let (nodes, pods) = estimate_of(1000, 5000, 5, &specs);
    assert_eq!(nodes, 5);
    assert_eq!(pods, (10..20).collect::<Vec<PodId>>(), "exactly the large pods");
    // In creation order, as fleetsim packed before: the small pods would have taken a node.
}

#[test]
fn binpacking_fills_earlier_nodes_before_adding_new_ones() {
    // BenchmarkBinpackingEstimate, scaled down by ten: 100 pods of 95m go first (10 to a 1-CPU
    // node, 10 nodes with 50m left each), then 5000 pods of 50m: one on each of the 10 nodes,
    // the other 4990 at 20 a node on 250 more (upstream: 1000 and 50000 pods, 2595 nodes).
    let mut specs: Vec<PodSpec> = (0..5000).map(|i| cpu_pod(&format!("s{i}"), 50, 0)).collect();
    specs.extend((0..100).map(|i| cpu_pod(&format!("b{i}"), 95, 0)));
    let (nodes, pods) = estimate_of(1000, 5000, 3000, &specs);
    assert_eq!((nodes, pods.len()), (260, 5100));
}

#[test]
fn a_pod_that_fits_no_empty_node_ends_its_group_only() {
    // A 1500m pod cannot run on a 1-CPU template: upstream's estimator leaves such groups out
    // (SchedulablePodGroups), and the other pods are still estimated.
    let specs = vec![cpu_pod("huge", 1500, 1), cpu_pod("a", 600, 1), cpu_pod("b", 600, 1)];
    let (nodes, pods) = estimate_of(1000, 5000, 10, &specs);
    assert_eq!((nodes, pods), (2, vec![1, 2]));
}

#[test]
fn the_orderer_sorts_by_cpu_and_memory_share_largest_first() {
    // decreasing_pod_orderer_test.go TestPodPriorityProcessor: a 4m / 600 MiB node; p1 1m,
    // p2 2m, p3 2m with more memory. [p1, p3, p2] comes out [p3, p2, p1].
    let node = NodeSpec { cpu_milli: 4, memory_mib: 600, ..Default::default() };
    let (p1, p2, p3) = (cpu_pod("p1", 1, 1), cpu_pod("p2", 2, 1), cpu_pod("p3", 2, 100));
    let names = |pods: &[(PodId, &PodSpec)]| -> Vec<String> {
        estimation_order(&node, pods).iter().flatten().map(|(_, p)| p.name.clone()).collect()
    };
    assert_eq!(names(&[(0, &p1)]), ["p1"]);
    assert_eq!(names(&[(2, &p3), (1, &p2), (0, &p1)]), ["p3", "p2", "p1"]);
    assert_eq!(names(&[(0, &p1), (2, &p3), (1, &p2)]), ["p3", "p2", "p1"]);
    assert!(names(&[]).is_empty());
    // Pods of one shape form one group, in their order; equal scores keep the first pod's order.
    let (a, b) = (cpu_pod("a", 2, 1), cpu_pod("b", 2, 1));
    let c = PodSpec { node_selector: [("k".to_string(), "v".to_string())].into(), ..cpu_pod("c", 2, 1) };
    let groups = estimation_order(&node, &[(0, &c), (1, &a), (2, &b)]);
    let ids: Vec<Vec<PodId>> = groups.iter().map(|g| g.iter().map(|(i, _)| *i).collect()).collect();
    assert_eq!(ids, vec![vec![0], vec![1, 2]]);
}

#[test]
fn cluster_wide_limits_cap_the_scale_up_as_the_quota_tracker_does() {
    // resourcequotas/tracker_test.go TestCheckQuota at f7bb0c36, on a 1-core node (upstream's
    // BuildTestNode(1000m, 200)): memory counted here in MiB, the tracker's in bytes; the floor
    // of left / per-node is the same.
    let node = NodeSpec { cpu_milli: 1000, memory_mib: 200, ..Default::default() };
    let lim = |cores: u64, mem_mib: u64, nodes: u64| ClusterLimits {
        max_nodes: nodes,
        max_cores: cores,
        max_memory_gib: mem_mib.div_ceil(1024), // whole GiB: the test below sets memory by `used`
        max_gpus: None,
    };
    let used = |mem_left_mib: u64, max: &ClusterLimits| ClusterTotals {
        memory_mib: max.max_memory_gib * 1024 - mem_left_mib,
        ..Default::default()
    };
    // "delta fits within limits": cpu 10, memory 1000, nodes 5 left; 2 nodes asked, 2 allowed.
    let l = lim(10, 1024, 5);
    assert_eq!(l.cap(2, &node, used(1000, &l)), 2);
    // "delta exceeds one resource limit": 1 core left: 1 node.
    let l = lim(1, 1024, 5);
    assert_eq!(l.cap(2, &node, used(1000, &l)), 1);
    // "delta exceeds multiple resource limits": 1 core and 300 (one node's memory) left: 1 node.
    assert_eq!(l.cap(2, &node, used(300, &l)), 1);
    // A limit already reached allows none: the orchestrator skips the group.
    assert_eq!(l.cap(2, &node, ClusterTotals { cores: 1, ..Default::default() }), 0);
    // Cores are whole: a 1500m node counts 2 (Quantity.Value rounds up).
    let big = NodeSpec { cpu_milli: 1500, ..node.clone() };
    assert_eq!(lim(5, 1 << 20, 0).cap(10, &big, ClusterTotals::default()), 2);
    // orchestrator.go GetCappedNewNodeCount: --max-nodes-total 5 with 4 nodes leaves 1.
    let l = ClusterLimits { max_nodes: 5, ..Default::default() };
    assert_eq!(l.cap(3, &node, ClusterTotals { nodes: 4, ..Default::default() }), 1);
    // No limit on nodes by default; GPUs only when --gpu-total names them.
    let gpu = NodeSpec { gpu_count: 4, ..node.clone() };
    assert_eq!(ClusterLimits::default().cap(7, &gpu, ClusterTotals { nodes: 10_000, ..Default::default() }), 7);
    let l = ClusterLimits { max_gpus: Some(16), ..Default::default() };
    assert_eq!(l.cap(7, &gpu, ClusterTotals { gpus: 8, ..Default::default() }), 2);
}
