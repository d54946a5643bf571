//! Running scenarios: one run, or a sweep's runs in parallel across threads (each run is
//! single-threaded and deterministic; results are written in matrix order, so outputs are
//! byte-identical for any thread count).

use crate::core::{ClusterState, Workload};
use crate::engine::RngStreams;
use crate::metrics::{summarize, Summary};
use crate::scenario::{RunSpec, Scenario};
use crate::sim::{ClusterSpec, EventRow, NodeRow, RunOptions, SimResult, World};
use crate::workload::inflate_to_gpu_pct;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// `--shard I/N`: this process runs the runs whose matrix index is `I` modulo `N` (round-robin,
/// so long and short runs spread evenly); `I` counts from 0, as Kubernetes'
/// `JOB_COMPLETION_INDEX` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let err = || format!("`{s}` is not a shard; expected I/N with 0 <= I < N, e.g. `0/4` .. `3/4`");
        let (i, n) = s.split_once('/').ok_or_else(err)?;
        let index: usize = i.trim().parse().map_err(|_| err())?;
        let count: usize = n.trim().parse().map_err(|_| err())?;
        if count == 0 || index >= count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }

    /// Whether the run at matrix index `i` is this shard's.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count == self.index
    }
}

/// Where a sweep's runs go as they finish (the run store, [`crate::report::store::StoreSink`],
/// is one): called on the worker thread that ran it.
pub trait RunSink<T>: Sync {
    /// Takes the output of `spec`'s run.
    fn accept(&self, spec: &RunSpec, out: RunOutput) -> Result<T, String>;
}

impl<T, F: Fn(&RunSpec, RunOutput) -> Result<T, String> + Sync> RunSink<T> for F {
    fn accept(&self, spec: &RunSpec, out: RunOutput) -> Result<T, String> {
        self(spec, out)
    }
}

/// Everything a run produced, ready to be written.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Run id (the scenario's name for a single run).
    pub run_id: String,
    /// Sweep parameters.
    pub params: Vec<(String, String)>,
    /// Scenario name.
    pub scenario: String,
    /// Workload label.
    pub workload: String,
    /// Policy name.
    pub policy: String,
    /// Seed.
    pub seed: u64,
    /// Hash of the resolved scenario.
    pub scenario_hash: String,
    /// Summary figures.
    pub summary: Summary,
    /// The simulation's record (pods dropped unless `output.pods`).
    pub result: SimResult,
    /// Every node of the run (empty unless `output.nodes` or `output.pods`, which names nodes).
    pub nodes: Vec<NodeRow>,
    /// Kubernetes-style events (autoscaling runs).
    pub events: Vec<EventRow>,
    /// GPU capacity in milli-GPU.
    pub gpu_capacity_milli: u64,
    /// Which outputs to write.
    pub output: crate::scenario::schema::RawOutput,
    /// A fleet's members (empty for a single cluster): the run's rows are theirs, and `result`
    /// and `summary` are the fleet's totals.
    pub members: Vec<MemberOutput>,
}

/// One member cluster of a fleet run.
#[derive(Debug, Clone)]
pub struct MemberOutput {
    /// Cluster name.
    pub name: String,
    /// Region.
    pub region: String,
    /// Its figures.
    pub summary: Summary,
    /// Its pods and samples.
    pub result: SimResult,
    /// Its nodes.
    pub nodes: Vec<NodeRow>,
    /// Its events.
    pub events: Vec<EventRow>,
}

/// FNV-1a 64-bit hash, hex; stable across platforms and versions.
pub fn stable_hash(bytes: &[u8]) -> String {
    format!("{:016x}", crate::engine::rng::fnv1a(bytes))
}

/// The hash of a resolved scenario (its raw form after sweep substitution), as outputs record it.
pub fn scenario_hash(s: &Scenario) -> Result<String, String> {
    let json = serde_json::to_string(&s.raw).map_err(|e| e.to_string())?;
    Ok(stable_hash(json.as_bytes()))
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The simulation refused or failed.
    #[error("{0}")]
    Sim(#[from] crate::sim::SimError),
    /// The scenario cannot be run as given (no end time, inflation that cannot reach its target).
    #[error("{0}")]
    Scenario(String),
}

/// Runs one scenario.
pub fn run_scenario(run_id: &str, params: &[(String, String)], s: &Scenario) -> Result<RunOutput, RunError> {
    let streams = RngStreams::new(s.seed);
    let capacity: u64 = s.nodes.iter().map(|(n, _)| n.gpu_count as u64 * crate::core::MILLI_PER_GPU as u64).sum();
    let pods: Arc<Vec<_>> = match s.inflate_gpu_pct {
        Some(p) => Arc::new(
            inflate_to_gpu_pct(&s.pods, capacity, p, &mut streams.stream("workload/inflate"))
                .map_err(RunError::Scenario)?,
        ),
        None => s.pods.clone(),
    };
    // FGD (and the fragmentation figures) measure against the workload's own distribution of
    // task shapes: the pods as the scenario lists them, before inflation.
    let frag_workload = Workload::from_pods(s.pods.iter().map(|p| &p.spec));
    let keep_nodes = s.output.nodes || s.output.pods;
    let mut members = Vec::new();
    let (summary, mut result, nodes, events) = if let Some(f) = &s.fleet {
        let end = s.end.ok_or_else(|| RunError::Scenario("a fleet scenario needs simulation.end".into()))?;
        let timeline = s.autoscale.as_ref().map(|a| &a.cluster.timeline[..]).unwrap_or(&[]);
        let fr = crate::controllers::fleet::run_fleet(f, timeline, s.seed, end, s.sample_interval)?;
        let totals = fr.totals();
        let summary = summarize(&totals.sim, None, &frag_workload, Some(&totals));
        for (name, region, w) in fr.members {
            let mut result = w.sim.clone();
            let summary = summarize(&result, None, &frag_workload, Some(&w));
            if !s.output.pods {
                result.pods = Vec::new();
            }
            let nodes = if keep_nodes { w.nodes } else { Vec::new() };
            members.push(MemberOutput { name, region, summary, result, nodes, events: w.events });
        }
        (summary, totals.sim, Vec::new(), fr.events)
    } else if let Some(a) = &s.autoscale {
        let end = s.end.ok_or_else(|| RunError::Scenario("an autoscaling scenario needs simulation.end".into()))?;
        let opts = RunOptions {
            end: Some(end),
            sample_every: Some(s.sample_interval),
            events: s.output.events,
            departures: s.departures,
            ..RunOptions::default()
        };
        let w = a.world(opts, &s.nodes, s.policy, &frag_workload, &streams).and_then(|w| w.run(&pods))?;
        let summary = summarize(&w.sim, None, &frag_workload, Some(&w));
        (summary, w.sim, if keep_nodes { w.nodes } else { Vec::new() }, w.events)
    } else {
        // The packing experiment's static cluster: pods run the moment they are bound.
        let spec = ClusterSpec { unschedulable: s.unschedulable, ..ClusterSpec::default() };
        let opts = RunOptions {
            end: s.end,
            sample_every: if s.output.timeseries { Some(s.sample_interval) } else { None },
            events: false,
            curve: s.output.allocation_curve.map(|p| (p, frag_workload.clone())),
            departures: s.departures,
            snapshot_at: None,
        };
        let cluster = ClusterState::new(s.policy.cluster_options());
        let policy = s.policy.build(&frag_workload);
        let r = World::new(&spec, opts, cluster, &s.nodes, policy, &streams, Vec::new()).and_then(|w| w.run(&pods))?;
        let summary = summarize(&r.sim, Some(&r.final_state), &frag_workload, None);
        (summary, r.sim, if keep_nodes { r.nodes } else { Vec::new() }, Vec::new())
    };
    if !s.output.pods {
        result.pods = Vec::new();
    }
    Ok(RunOutput {
        run_id: run_id.to_string(),
        params: params.to_vec(),
        scenario: s.name.clone(),
        workload: s.workload_name.clone(),
        policy: s.policy.to_string(),
        seed: s.seed,
        scenario_hash: scenario_hash(s).map_err(RunError::Scenario)?,
        summary,
        result,
        nodes,
        events,
        gpu_capacity_milli: capacity,
        output: s.output.clone(),
        members,
    })
}

/// A run that failed, with its id and parameters.
#[derive(Debug, Clone)]
pub struct RunFailure {
    /// Run id.
    pub run_id: String,
    /// Parameters.
    pub params: Vec<(String, String)>,
    /// What went wrong.
    pub message: String,
}

/// Runs a sweep's runs on `threads` threads; `progress` is called after each run with (done,
/// total). Results come back in matrix order.
pub fn run_all(
    runs: &[RunSpec],
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Result<RunOutput, RunFailure>>, String> {
    let refs: Vec<&RunSpec> = runs.iter().collect();
    run_each(&refs, threads, progress, &|_: &RunSpec, out| Ok(out))
}

/// Runs `runs` on `threads` threads and hands each output to `sink` as soon as its run finishes
/// (on the worker thread: a sweep stores it there, so an interruption loses only runs in
/// flight); `progress` gets (done, total) after each. Results come back in `runs` order.
pub fn run_each<T: Send>(
    runs: &[&RunSpec],
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
    sink: &dyn RunSink<T>,
) -> Result<Vec<Result<T, RunFailure>>, String> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| e.to_string())?;
    let done = AtomicUsize::new(0);
    let total = runs.len();
    Ok(pool.install(|| {
        runs.par_iter()
            .map(|r| {
                let out = r
                    .scenario()
                    .map_err(|e| e.to_string())
                    .and_then(|s| run_scenario(&r.run_id, &r.params, &s).map_err(|e| e.to_string()))
                    .and_then(|o| sink.accept(r, o))
                    .map_err(|message| RunFailure { run_id: r.run_id.clone(), params: r.params.clone(), message });
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                out
            })
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition_the_matrix() {
        assert_eq!(Shard::parse("1/3"), Ok(Shard { index: 1, count: 3 }));
        for bad in ["3/2", "2/2", "0/0", "1", "a/b", "-1/2", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad} accepted");
        }
        let shards: Vec<Shard> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        for run in 0..10 {
            assert_eq!(shards.iter().filter(|s| s.owns(run)).count(), 1, "run {run}");
        }
    }
}
