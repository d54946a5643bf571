//! The substrate on small hand-made runs: the packing loop, node lifecycle, eviction and requeue,
//! PDB accounting, and how actions and causes are applied and delivered.

use super::*;
use crate::core::{ClusterState, GpuRequest, NodeSpec, PodSpec, PolicyName, RandomSource, Workload};
use crate::engine::{RngStreams, SimTime};
use crate::market::cloud::Ask;
use crate::market::spot::CapacityType;
use crate::workload::TracePod;
use std::sync::{Arc, Mutex};

fn s(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

fn gpu_node(name: &str) -> NodeSpec {
    NodeSpec {
        name: name.into(),
        cpu_milli: 8000,
        memory_mib: 65536,
        gpu_count: 1,
        gpu_model: Some("T4".into()),
        ..Default::default()
    }
}

fn pod(name: &str) -> PodSpec {
    PodSpec {
        name: name.into(),
        cpu_milli: 1000,
        memory_mib: 1024,
        gpu: GpuRequest::Whole { count: 1 },
        ..Default::default()
    }
}

fn job(name: &str, at: u64, runs: Option<u64>) -> TracePod {
    TracePod {
        spec: pod(name),
        created: s(at),
        deleted: runs.map(|r| s(at + r)),
        checkpoint: None,
        do_not_disrupt: false,
        gang: None,
        priority: 0,
    }
}

fn statics(n: usize) -> Vec<(NodeSpec, NodeMeta)> {
    (0..n)
        .map(|i| (gpu_node(&format!("n{i}")), NodeMeta { pool: "static".into(), instance_type: "t4".into() }))
        .collect()
}

/// A packing run on `n` one-GPU nodes.
fn packing(spec: &ClusterSpec, n: usize, opts: RunOptions, jobs: &[TracePod]) -> RunResult {
    let policy = PolicyName::FirstFit.build(&Workload::default());
    let w = World::new(spec, opts, ClusterState::default(), &statics(n), policy, &RngStreams::new(1), Vec::new());
    w.unwrap().run(jobs).unwrap()
}

#[test]
fn a_pending_pod_waits_for_a_departure() {
    // One GPU; pod 1 runs 0..30 s, pod 2 arrives at 5 s and must wait until 30 s.
    let opts = RunOptions { sample_every: Some(s(10)), departures: true, ..Default::default() };
    let r = packing(&ClusterSpec::default(), 1, opts, &[job("p1", 0, Some(30)), job("p2", 5, Some(10))]).sim;
    assert_eq!(r.pods[0].scheduled, Some(s(0)));
    assert_eq!(r.pods[1].scheduled, Some(s(30)), "scheduled when pod 1 leaves");
    assert_eq!((r.pods[1].finished, r.pods[1].outcome), (Some(s(40)), Outcome::Completed));
    // Samples at 0, 10, 20, 30, 40, after each instant: pod 2 is pending at 10 and 20.
    let pend: Vec<u64> = r.samples.iter().map(|x| x.pods_pending).collect();
    assert_eq!(pend, vec![0, 1, 1, 0, 0]);
    assert_eq!(r.gpu_alloc_integral, 1000 * 40_000);
}

#[test]
fn drop_mode_counts_and_moves_on_and_arrivals_out_of_order_are_errors() {
    let spec = ClusterSpec { unschedulable: Unschedulable::Drop, ..Default::default() };
    let r = packing(&spec, 1, RunOptions::default(), &[job("p1", 0, None), job("p2", 0, None)]).sim;
    assert_eq!(
        (r.pods[0].outcome, r.pods[1].outcome),
        (Outcome::Running, Outcome::Dropped),
        "first come, first placed"
    );
    assert_eq!(r.pods[1].reason, "insufficient nvidia.com/gpu");
    let policy = PolicyName::FirstFit.build(&Workload::default());
    let spec = ClusterSpec::default();
    let w = World::new(
        &spec,
        RunOptions::default(),
        ClusterState::default(),
        &statics(1),
        policy,
        &RngStreams::new(1),
        Vec::new(),
    );
    let e = w.unwrap().run(&[job("late", 30, None), job("early", 3, None)]).unwrap_err();
    assert!(e.to_string().contains("creation order"), "{e}");
}

#[test]
fn the_allocation_curve_records_each_percent_once() {
    let spec = ClusterSpec { unschedulable: Unschedulable::Drop, ..Default::default() };
    let opts = RunOptions { curve: Some((130, Workload::default())), ..Default::default() };
    let jobs: Vec<TracePod> = (0..6).map(|i| job(&format!("p{i}"), i, None)).collect();
    let r = packing(&spec, 4, opts, &jobs).sim;
    // 6 one-GPU pods onto 4 GPUs: demand 25, 50, ..., 150 % (capped at 130).
    assert_eq!(r.curve.len(), 131);
    assert_eq!((r.curve[0].gpu_allocated_milli, r.curve[1].gpu_allocated_milli), (0, 1000));
    assert_eq!((r.curve[25].gpu_allocated_milli, r.curve[100].gpu_allocated_milli), (1000, 4000));
    assert_eq!(r.curve[130].gpu_allocated_milli, 4000);
}

/// What a test controller saw and did.
#[derive(Default)]
struct Log {
    causes: Vec<(SimTime, String)>,
}

/// A controller scripted by a closure, logging what it is told.
struct Scripted {
    log: Arc<Mutex<Log>>,
    interests: Interests,
    #[allow(clippy::type_complexity)]
    on: Box<dyn FnMut(Cause, &mut View<'_>) -> Vec<Action> + Send>,
}

impl Controller for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }
    fn interests(&self) -> Interests {
        self.interests
    }
    fn start(&mut self, _view: &mut View<'_>) -> Result<Vec<Action>, SimError> {
        Ok(vec![Action::WakeAt { at: SimTime::ZERO, phase: Phase::Scaler, token: 0 }])
    }
    fn react(
        &mut self,
        cause: Cause,
        view: &mut View<'_>,
        _rng: &mut dyn RandomSource,
    ) -> Result<Vec<Action>, SimError> {
        self.log.lock().unwrap().causes.push((view.now, format!("{cause:?}")));
        Ok((self.on)(cause, view))
    }
}

fn lifecycle() -> Lifecycle {
    let l = |v| Latency { lo: s(v), hi: s(v) };
    Lifecycle {
        instance_running: l(60),
        node_ready: l(60),
        gpu_advertised: l(24),
        pull_bytes_per_s: 1 << 30,
        container_start: l(1),
    }
}

/// A launch of a one-GPU node named by the view.
fn launch(view: &mut View<'_>) -> Action {
    let grant = view.cloud.take(Ask { group: "g", instance_type: "t4", zone: "z", capacity: CapacityType::OnDemand });
    let node = view.names.new_node("g");
    Action::Launch(Box::new(Launch {
        spec: gpu_node(""),
        node,
        group: 0,
        group_name: "g".into(),
        instance_type: "t4".into(),
        zone: "z".into(),
        capacity: CapacityType::OnDemand,
        price_micro_h: 3_600_000,
        on_demand_micro_h: 3_600_000,
        grant: grant.expect("unlimited"),
    }))
}

fn scripted(
    spec: &ClusterSpec,
    end: u64,
    interests: Interests,
    on: impl FnMut(Cause, &mut View<'_>) -> Vec<Action> + Send + 'static,
) -> (World<'_>, Arc<Mutex<Log>>) {
    let log = Arc::new(Mutex::new(Log::default()));
    let ctl = Scripted { log: log.clone(), interests, on: Box::new(on) };
    let opts = RunOptions { end: Some(s(end)), events: true, departures: true, ..Default::default() };
    let policy = PolicyName::FirstFit.build(&Workload::default());
    let w =
        World::new(spec, opts, ClusterState::default(), &[], policy, &RngStreams::new(1), vec![Box::new(ctl)]).unwrap();
    (w, log)
}

#[test]
fn a_launched_node_joins_after_its_latencies_and_its_owner_is_told() {
    let spec = ClusterSpec { lifecycle: Some(lifecycle()), ..Default::default() };
    let (w, log) =
        scripted(&spec, 600, Interests { unschedulable: true, ..Default::default() }, |cause, view| match cause {
            Cause::Unschedulable(_) => vec![launch(view)],
            _ => Vec::new(),
        });
    let r = w.run(&[job("p", 0, Some(100))]).unwrap();
    // Instance running 60 s, Ready 60 s later, GPUs advertised 24 s later: joined at 144 s; the
    // pod is bound then and starts 1 s later, runs 100 s.
    let n = &r.nodes[0];
    assert_eq!((n.name.as_str(), n.launched, n.ready), ("g-0", s(0), Some(s(120))));
    let p = &r.sim.pods[0];
    assert_eq!((p.scheduled, p.running, p.finished), (Some(s(144)), Some(s(145)), Some(s(245))));
    let seen: Vec<String> = log.lock().unwrap().causes.iter().map(|(t, c)| format!("{}:{c}", t.0 / 1000)).collect();
    // The scheduling cycle (and the cause it raises) comes before the Scaler phase's wake.
    assert_eq!(seen, ["0:Unschedulable(0)", "0:Wake(0)", "144:NodeJoined(0)"], "its own nodes, the cause it asked for");
    let kinds: Vec<&str> = r.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["FailedScheduling", "NodeReady", "GPUAdvertised", "Scheduled", "Started"]);
    assert_eq!(r.cost_micro, 600 * 1000, "billed per second from the launch request");
}

#[test]
fn a_drain_requeues_a_job_from_its_checkpoint_and_a_deployment_recreates_its_pod() {
    let mut spec = ClusterSpec { lifecycle: Some(lifecycle()), ..Default::default() };
    let d = DeploymentSpec {
        name: "web".into(),
        replicas: 1,
        template: pod(""),
        image: String::new(),
        image_bytes: 0,
        grace: s(5),
        do_not_disrupt: false,
        labels: Default::default(),
    };
    spec.timeline.push((s(0), TimelineOp::Apply(Box::new(d))));
    let mut drained = false;
    let (w, _) = scripted(&spec, 3600, Interests { unschedulable: true, ..Default::default() }, move |cause, view| {
        match cause {
            Cause::Unschedulable(_) if view.objects.nodes().len() < 2 => {
                vec![launch(view), launch(view)]
            }
            // At 1000 s the node running the job is drained; a replacement comes for the requeued pods.
            Cause::Wake(0) if view.now >= s(1000) && !drained => {
                drained = true;
                let n = view.objects.pod(0).node.expect("the job runs");
                vec![
                    Action::Drain { node: n, reason: "test".into(), drain_for: view.objects.drain_time(n, None) },
                    launch(view),
                ]
            }
            Cause::Wake(0) => vec![Action::WakeAt { at: view.now.plus(s(100)), phase: Phase::Scaler, token: 0 }],
            _ => Vec::new(),
        }
    });
    let mut j = job("train", 0, Some(3000));
    j.checkpoint = Some(s(300));
    let r = w.run(&[j]).unwrap();
    let names: Vec<&str> = r.sim.pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["train", "web-0", "train-retry1"]);
    // It ran from 145 s to 1000 s: 855 s, of which 600 s are checkpointed; 255 s of one GPU lost.
    assert_eq!(r.counters.lost_gpu_ms, 255_000);
    assert_eq!(r.counters.evictions, 1);
    assert!(r.sim.pods[0].reason.starts_with("evicted: node g-"), "{}", r.sim.pods[0].reason);
    let retry = &r.sim.pods[2];
    assert_eq!(retry.created, s(1000));
    let ran = retry.finished.unwrap().0 - retry.running.unwrap().0;
    assert_eq!(ran, 3_000_000 - 600_000, "it resumes from its last checkpoint");
    let drained_node = r.nodes.iter().find(|n| n.reason == "test").expect("terminated by the drain");
    assert_eq!(drained_node.terminated, Some(s(1000).plus(s(30))), "after the job's 30 s grace period");
}

#[test]
fn actions_apply_in_order_a_continuation_sees_them_and_misuse_names_the_controller() {
    let spec = ClusterSpec { lifecycle: Some(lifecycle()), ..Default::default() };
    let (w, log) = scripted(&spec, 100, Interests::default(), |cause, view| match cause {
        Cause::Wake(0) => vec![
            Action::event("First", "x", "a"),
            launch(view),
            Action::event("Second", "x", "b"),
            Action::Continue { token: 1 },
            Action::WakeAt { at: s(101), phase: Phase::Scaler, token: 9 },
        ],
        Cause::Wake(1) => vec![Action::event("Seen", "x", format!("{} on its way", view.objects.upcoming().count()))],
        _ => Vec::new(),
    });
    let r = w.run(&[]).unwrap();
    let ev: Vec<(&str, &str)> = r.events.iter().map(|e| (e.kind, e.message.as_str())).collect();
    assert_eq!(ev, [("First", "a"), ("Second", "b"), ("Seen", "1 on its way")]);
    assert_eq!(log.lock().unwrap().causes.len(), 2, "the wake after the end never comes");
    // A launch under a name the view did not hand out is refused, naming the controller.
    let (w, _) = scripted(&spec, 100, Interests::default(), |cause, view| match cause {
        Cause::Wake(0) => {
            let _skipped = view.names.new_node("g");
            vec![launch(view)]
        }
        _ => Vec::new(),
    });
    let e = w.run(&[]).unwrap_err().to_string();
    assert!(e.starts_with("controller scripted:") && e.contains("out of order"), "{e}");
}

#[test]
fn budgets_count_running_pods_as_healthy_and_pending_ones_as_expected() {
    let pdb = |min| Pdb {
        name: "b".into(),
        selector: Default::default(),
        min_available: Some(IntOrPercent::Int(min)),
        max_unavailable: None,
    };
    assert_eq!(pdb(2).allowed(3, 3), 1);
    assert_eq!(pdb(2).allowed(3, 2), 0, "a pending replica is expected, not healthy");
    let pct = Pdb { min_available: None, max_unavailable: Some(IntOrPercent::Percent(50)), ..pdb(0) };
    assert_eq!(pct.allowed(3, 3), 2, "50 % of 3 rounds up to 2 unavailable");
    // In a run: two replicas on two static nodes, minAvailable 1: one node may go, not both.
    let mut spec = ClusterSpec { pdbs: vec![pdb(1)], ..Default::default() };
    let d = DeploymentSpec {
        name: "web".into(),
        replicas: 2,
        template: pod(""),
        image: String::new(),
        image_bytes: 0,
        grace: s(5),
        do_not_disrupt: false,
        labels: Default::default(),
    };
    spec.timeline.push((s(0), TimelineOp::Apply(Box::new(d))));
    let checks = Arc::new(Mutex::new(Vec::new()));
    let c2 = checks.clone();
    let log = Arc::new(Mutex::new(Log::default()));
    let ctl = Scripted {
        log,
        interests: Interests::default(),
        on: Box::new(move |cause, view| {
            if let Cause::Wake(0) = cause {
                if view.now == SimTime::ZERO {
                    return vec![Action::WakeAt { at: s(1), phase: Phase::Scaler, token: 0 }];
                }
                let a = view.objects.pdb_allowed();
                c2.lock().unwrap().push((
                    a.clone(),
                    view.objects.pdbs_permit(&[0], &a),
                    view.objects.pdbs_permit(&[0, 1], &a),
                ));
            }
            Vec::new()
        }),
    };
    let opts = RunOptions { end: Some(s(10)), ..Default::default() };
    let policy = PolicyName::FirstFit.build(&Workload::default());
    let w =
        World::new(&spec, opts, ClusterState::default(), &statics(2), policy, &RngStreams::new(1), vec![Box::new(ctl)]);
    w.unwrap().run(&[]).unwrap();
    assert_eq!(*checks.lock().unwrap(), [(vec![1], true, false)]);
}
