//! The run loop: streamed arrivals merged with the event queue, a FIFO pending queue, one
//! scheduling cycle per instant, departures, samples and the allocation curve.

use super::queue::{EventQueue, Phase};
use super::rng::Stream;
use super::time::SimTime;
use crate::core::{
    cluster_fragment_milli, ClusterState, NodeId, PlacementPolicy, PodId, PodSpec, Scheduler, Workload, MILLI_PER_GPU,
};
use std::collections::VecDeque;

/// What happens to a pod that fits no node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unschedulable {
    /// It waits in the pending queue and is retried when capacity frees (Kubernetes' behaviour).
    Wait,
    /// It is dropped and counted (the FGD paper's packing experiment).
    Drop,
}

/// How a run is driven.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Pending-pod rule.
    pub unschedulable: Unschedulable,
    /// Time-series sampling interval; `None` samples only at t = 0 and at the end.
    pub sample_interval: Option<SimTime>,
    /// Stop at this time (pods still running then are recorded as running).
    pub end: Option<SimTime>,
    /// Record the allocation curve up to this percentage of GPU capacity.
    pub curve_max_pct: Option<u32>,
    /// The workload distribution fragmentation is measured against.
    pub frag_workload: Workload,
}

/// A pod arriving at a time, with an optional run time.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// Caller's id, unique in the run.
    pub id: PodId,
    /// Arrival (creation) time.
    pub time: SimTime,
    /// The pod.
    pub spec: PodSpec,
    /// How long it runs once scheduled; `None` runs until the end.
    pub duration: Option<SimTime>,
}

/// How a pod's life ended (as of the end of the run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Ran and finished.
    Completed,
    /// Still running at the end.
    Running,
    /// Never scheduled, still waiting at the end.
    Pending,
    /// Fit no node and was dropped.
    Dropped,
    /// Deleted by the user (or evicted) before it finished.
    Deleted,
}

impl Outcome {
    /// Lower-case name for outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Running => "running",
            Outcome::Pending => "pending",
            Outcome::Dropped => "dropped",
            Outcome::Deleted => "deleted",
        }
    }
}

/// What happened to one pod.
#[derive(Debug, Clone)]
pub struct PodRecord {
    /// Caller's id.
    pub id: PodId,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created: SimTime,
    /// When it was bound.
    pub scheduled: Option<SimTime>,
    /// When its container started (after the image pull); equals `scheduled` in packing runs.
    pub running: Option<SimTime>,
    /// When it finished.
    pub finished: Option<SimTime>,
    /// The node it ran on.
    pub node: Option<NodeId>,
    /// Outcome.
    pub outcome: Outcome,
    /// GPU demand in milli-GPU.
    pub gpu_milli: u64,
    /// Why it could not be placed the last time it was tried (empty if it was placed).
    pub reason: String,
}

/// A time-series sample.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sample {
    /// Time.
    pub t: SimTime,
    /// Nodes ready.
    pub nodes_ready: u64,
    /// GPUs present.
    pub gpus_total: u64,
    /// Milli-GPU allocated.
    pub gpus_allocated_milli: u64,
    /// Pods waiting.
    pub pods_pending: u64,
    /// Pods running.
    pub pods_running: u64,
    /// Nodes launched and not yet Ready.
    pub nodes_launching: u64,
    /// Cost so far, micro-USD.
    pub cost_micro: u64,
}

/// One point of the allocation curve: when arrived GPU demand first reached `arrived_pct` % of
/// the cluster's GPU capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// Arrived GPU demand, whole percent of capacity.
    pub arrived_pct: u32,
    /// Milli-GPU allocated then.
    pub gpu_allocated_milli: u64,
    /// Cluster fragmentation then, milli-GPU.
    pub frag_milli: f64,
    /// Idle milli-GPU then.
    pub idle_milli: u64,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct SimResult {
    /// Per pod, in arrival order.
    pub pods: Vec<PodRecord>,
    /// Samples.
    pub samples: Vec<Sample>,
    /// Allocation curve (empty unless asked for).
    pub curve: Vec<CurvePoint>,
    /// Events processed (arrivals, departures, cycles, samples).
    pub events: u64,
    /// Peak milli-GPU allocated.
    pub peak_gpu_allocated_milli: u64,
    /// Integral of allocated milli-GPU over time, milli-GPU·ms.
    pub gpu_alloc_integral: u128,
    /// Integral of GPU capacity over time, milli-GPU·ms, when capacity changes during the run
    /// (autoscaling); `None` for a static cluster.
    pub gpu_capacity_integral: Option<u128>,
    /// Time the run ended.
    pub end: SimTime,
}

enum Ev {
    Departure(usize),
    Schedule,
    Sample,
}

struct Waiting {
    idx: usize,
    failed_epoch: Option<u64>,
}

/// One run: a cluster, a policy, its random stream and a config.
pub struct Simulation<'a> {
    /// The cluster (after the run: its final state).
    pub cluster: ClusterState,
    scheduler: Scheduler<'a>,
    rng: Stream,
    cfg: SimConfig,
}

impl<'a> Simulation<'a> {
    /// A run on `cluster` with `policy`, drawing from `rng` where the policy needs chance.
    pub fn new(cluster: ClusterState, policy: Box<dyn PlacementPolicy + 'a>, rng: Stream, cfg: SimConfig) -> Self {
        Simulation { cluster, scheduler: Scheduler::new(policy), rng, cfg }
    }

    /// Replays `arrivals` (which must come in non-decreasing time order) to the end.
    pub fn run(&mut self, arrivals: impl IntoIterator<Item = Arrival>) -> Result<SimResult, String> {
        let mut arrivals = arrivals.into_iter().peekable();
        let mut q: EventQueue<Ev> = EventQueue::new();
        let mut pods: Vec<PodRecord> = Vec::new();
        let mut specs: Vec<(PodSpec, Option<SimTime>)> = Vec::new();
        let mut pending: VecDeque<Waiting> = VecDeque::new();
        let mut samples = Vec::new();
        let mut curve = Vec::new();
        let mut events = 0u64;
        let mut schedule_at: Option<SimTime> = None;
        let mut running = 0u64;
        let capacity = self.cluster.totals().gpus * MILLI_PER_GPU as u64;
        let mut arrived_milli = 0u64;
        let mut next_pct = 0u32;
        let mut peak = 0u64;
        let mut integral: u128 = 0;
        let mut last_t = SimTime::ZERO;
        let end = self.cfg.end;

        if let Some(max) = self.cfg.curve_max_pct {
            if capacity == 0 {
                return Err("the allocation curve needs a cluster with GPUs".into());
            }
            self.curve_until(&mut curve, &mut next_pct, 0, max);
        }
        samples.push(self.sample(SimTime::ZERO, 0, 0));
        if let Some(iv) = self.cfg.sample_interval {
            q.push(iv, Phase::Sample, Ev::Sample).map_err(|e| e.to_string())?;
        }

        loop {
            let next_arrival = arrivals.peek().map(|a| (a.time, Phase::Arrival));
            let next_event = q.peek();
            let take_arrival = match (next_arrival, next_event) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(e)) => a <= e,
            };
            let t = if take_arrival { next_arrival.map(|a| a.0) } else { next_event.map(|e| e.0) }.unwrap_or(last_t);
            if end.is_some_and(|e| t > e) {
                break;
            }
            // Pure sample events with nothing else left would run forever.
            // Only the sampler is left and nothing can change any more: stop rather than sample forever.
            if !take_arrival && next_arrival.is_none() && q.len() == 1 && end.is_none() {
                if let Some((_, Phase::Sample)) = next_event {
                    break;
                }
            }
            if t < last_t {
                let name = arrivals.peek().map(|a| a.spec.name.clone()).unwrap_or_default();
                return Err(format!(
                    "arrival of `{name}` at {t} is before the current time {last_t}; arrivals must come in time order"
                ));
            }
            integral += self.cluster.totals().gpu_milli_allocated as u128 * (t.0 - last_t.0) as u128;
            last_t = t;
            events += 1;
            if take_arrival {
                let a = arrivals.next().expect("peeked");
                if a.time < q.now() {
                    return Err(format!(
                        "arrival of `{}` at {} is before the current time {}",
                        a.spec.name,
                        a.time,
                        q.now()
                    ));
                }
                q.advance(a.time);
                let idx = pods.len();
                pods.push(PodRecord {
                    id: a.id,
                    name: a.spec.name.clone(),
                    created: a.time,
                    scheduled: None,
                    running: None,
                    finished: None,
                    node: None,
                    outcome: Outcome::Pending,
                    gpu_milli: a.spec.gpu.total_milli(),
                    reason: String::new(),
                });
                specs.push((a.spec, a.duration));
                pending.push_back(Waiting { idx, failed_epoch: None });
                if schedule_at != Some(a.time) {
                    q.push(a.time, Phase::Schedule, Ev::Schedule).map_err(|e| e.to_string())?;
                    schedule_at = Some(a.time);
                }
                continue;
            }
            let (t, _, ev) = q.pop().expect("peeked");
            match ev {
                Ev::Departure(idx) => {
                    self.cluster.unbind(pods[idx].id).map_err(|e| e.to_string())?;
                    pods[idx].finished = Some(t);
                    pods[idx].outcome = Outcome::Completed;
                    running -= 1;
                    if !pending.is_empty() && schedule_at != Some(t) {
                        q.push(t, Phase::Schedule, Ev::Schedule).map_err(|e| e.to_string())?;
                        schedule_at = Some(t);
                    }
                }
                Ev::Schedule => {
                    let mut still = VecDeque::with_capacity(pending.len());
                    while let Some(mut w) = pending.pop_front() {
                        if w.failed_epoch == Some(self.cluster.capacity_epoch()) {
                            still.push_back(w);
                            continue;
                        }
                        let first_try = w.failed_epoch.is_none();
                        let idx = w.idx;
                        let (spec, duration) = &specs[w.idx];
                        let placed = self.scheduler.place(&self.cluster, spec, &mut self.rng);
                        match placed {
                            Ok(p) => {
                                self.cluster.bind(pods[w.idx].id, spec, &p).map_err(|e| {
                                    format!(
                                        "policy {} chose a node that does not fit `{}`: {e}",
                                        self.scheduler.policy_name(),
                                        spec.name
                                    )
                                })?;
                                let rec = &mut pods[w.idx];
                                rec.scheduled = Some(t);
                                rec.running = Some(t);
                                rec.node = Some(p.node);
                                rec.outcome = Outcome::Running;
                                rec.reason.clear();
                                running += 1;
                                if let Some(d) = duration {
                                    q.push(t.plus(*d), Phase::Departure, Ev::Departure(w.idx))
                                        .map_err(|e| e.to_string())?;
                                }
                            }
                            Err(why) => {
                                if first_try || self.cfg.unschedulable == Unschedulable::Drop {
                                    pods[w.idx].reason = why.to_string();
                                }
                                match self.cfg.unschedulable {
                                    Unschedulable::Drop => pods[w.idx].outcome = Outcome::Dropped,
                                    Unschedulable::Wait => {
                                        w.failed_epoch = Some(self.cluster.capacity_epoch());
                                        still.push_back(w);
                                    }
                                }
                            }
                        }
                        if first_try {
                            arrived_milli += pods[idx].gpu_milli;
                            if let Some(max) = self.cfg.curve_max_pct {
                                let pct = (arrived_milli.saturating_mul(100) / capacity).min(max as u64) as u32;
                                self.curve_until(&mut curve, &mut next_pct, pct, max);
                            }
                        }
                    }
                    pending = still;
                    peak = peak.max(self.cluster.totals().gpu_milli_allocated);
                }
                Ev::Sample => {
                    samples.push(self.sample(t, pending.len() as u64, running));
                    if let Some(iv) = self.cfg.sample_interval {
                        q.push(t.plus(iv), Phase::Sample, Ev::Sample).map_err(|e| e.to_string())?;
                    }
                }
            }
        }
        let end_t = end.unwrap_or(last_t).max(last_t);
        integral += self.cluster.totals().gpu_milli_allocated as u128 * (end_t.0 - last_t.0) as u128;
        if samples.last().map(|s| s.t) != Some(end_t) {
            samples.push(self.sample(end_t, pending.len() as u64, running));
        }
        Ok(SimResult {
            pods,
            samples,
            curve,
            events,
            peak_gpu_allocated_milli: peak,
            gpu_alloc_integral: integral,
            gpu_capacity_integral: None,
            end: end_t,
        })
    }

    fn sample(&self, t: SimTime, pending: u64, running: u64) -> Sample {
        let tot = self.cluster.totals();
        Sample {
            t,
            nodes_ready: tot.nodes,
            gpus_total: tot.gpus,
            gpus_allocated_milli: tot.gpu_milli_allocated,
            pods_pending: pending,
            pods_running: running,
            nodes_launching: 0,
            cost_micro: 0,
        }
    }

    fn curve_until(&self, curve: &mut Vec<CurvePoint>, next_pct: &mut u32, pct: u32, max: u32) {
        while *next_pct <= pct && *next_pct <= max {
            let tot = self.cluster.totals();
            curve.push(CurvePoint {
                arrived_pct: *next_pct,
                gpu_allocated_milli: tot.gpu_milli_allocated,
                frag_milli: cluster_fragment_milli(&self.cluster, &self.cfg.frag_workload),
                idle_milli: tot.gpus * MILLI_PER_GPU as u64 - tot.gpu_milli_allocated,
            });
            *next_pct += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{GpuRequest, NodeSpec, PolicyName};
    use crate::engine::RngStreams;

    fn cluster(n: usize) -> ClusterState {
        let mut c = ClusterState::default();
        for i in 0..n {
            c.add_node(&NodeSpec {
                name: format!("n{i}"),
                cpu_milli: 8000,
                memory_mib: 65536,
                gpu_count: 1,
                gpu_model: Some("T4".into()),
                ..Default::default()
            })
            .unwrap();
        }
        c
    }

    fn arrival(id: u64, t: u64, dur: Option<u64>) -> Arrival {
        Arrival {
            id,
            time: SimTime::from_secs(t),
            spec: PodSpec {
                name: format!("p{id}"),
                cpu_milli: 1000,
                memory_mib: 1024,
                gpu: GpuRequest::Whole { count: 1 },
                ..Default::default()
            },
            duration: dur.map(SimTime::from_secs),
        }
    }

    fn cfg(mode: Unschedulable) -> SimConfig {
        SimConfig {
            unschedulable: mode,
            sample_interval: Some(SimTime::from_secs(10)),
            end: None,
            curve_max_pct: None,
            frag_workload: Workload::default(),
        }
    }

    fn sim(n: usize, mode: Unschedulable) -> Simulation<'static> {
        Simulation::new(
            cluster(n),
            PolicyName::FirstFit.build(&Workload::default()),
            RngStreams::new(1).stream("placement"),
            cfg(mode),
        )
    }

    #[test]
    fn pending_pod_waits_for_a_departure() {
        // One GPU; pod 1 runs 0..30 s, pod 2 arrives at 5 s and must wait until 30 s.
        let r = sim(1, Unschedulable::Wait).run(vec![arrival(1, 0, Some(30)), arrival(2, 5, Some(10))]).unwrap();
        assert_eq!(r.pods[0].scheduled, Some(SimTime::from_secs(0)));
        assert_eq!(r.pods[1].scheduled, Some(SimTime::from_secs(30)), "scheduled when pod 1 leaves");
        assert_eq!(r.pods[1].finished, Some(SimTime::from_secs(40)));
        assert_eq!(r.pods[1].outcome, Outcome::Completed);
        // Samples at 0, 10, 20, 30, 40: pod 2 is pending at 10 and 20.
        let pend: Vec<u64> = r.samples.iter().map(|s| s.pods_pending).collect();
        assert_eq!(pend, vec![0, 1, 1, 0, 0]);
        assert_eq!(r.gpu_alloc_integral, 1000 * 40_000);
    }

    #[test]
    fn drop_mode_counts_and_moves_on() {
        let r = sim(1, Unschedulable::Drop).run(vec![arrival(1, 0, None), arrival(2, 0, None)]).unwrap();
        assert_eq!(r.pods[1].outcome, Outcome::Dropped);
        assert_eq!(r.pods[1].reason, "insufficient nvidia.com/gpu");
        assert_eq!(r.pods[0].outcome, Outcome::Running);
    }

    #[test]
    fn fifo_within_an_instant_and_arrivals_out_of_order_are_errors() {
        let r = sim(1, Unschedulable::Wait).run(vec![arrival(1, 3, None), arrival(2, 3, None)]).unwrap();
        assert_eq!(r.pods[0].outcome, Outcome::Running, "first come, first placed");
        assert_eq!(r.pods[1].outcome, Outcome::Pending);
        let e = sim(1, Unschedulable::Wait).run(vec![arrival(1, 30, None), arrival(2, 3, None)]).unwrap_err();
        assert!(e.contains("before the current time"), "{e}");
    }

    #[test]
    fn allocation_curve_records_each_percent_once() {
        let mut s = sim(4, Unschedulable::Drop);
        s.cfg.curve_max_pct = Some(130);
        s.cfg.sample_interval = None;
        let arrivals: Vec<Arrival> = (0..6).map(|i| arrival(i, i, None)).collect();
        let r = s.run(arrivals).unwrap();
        // 6 one-GPU pods onto 4 GPUs: demand 25, 50, ..., 150 % (capped at 130).
        assert_eq!(r.curve.len(), 131);
        assert_eq!(r.curve[25].gpu_allocated_milli, 1000);
        assert_eq!(r.curve[100].gpu_allocated_milli, 4000);
        assert_eq!(r.curve[130].gpu_allocated_milli, 4000);
        // Point k is taken when arrived demand first reaches k %: points 1..=25 all see the first pod.
        assert_eq!(r.curve[0].gpu_allocated_milli, 0);
        assert_eq!(r.curve[1].gpu_allocated_milli, 1000);
    }
}
