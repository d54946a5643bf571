//! Running scenarios: one run, or a sweep's runs in parallel across threads (each run is
//! single-threaded and deterministic; results are written in matrix order, so outputs are
//! byte-identical for any thread count).

use crate::core::{ClusterState, Workload};
use crate::engine::{Arrival, RngStreams, SimConfig, SimResult, Simulation};
use crate::metrics::{summarize, Summary};
use crate::scalers::world::{EventRow, NodeRow, World};
use crate::scenario::{RunSpec, Scenario};
use crate::workload::inflate_to_gpu_pct;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub mod store;

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

/// Runs one scenario.
pub fn run_scenario(run_id: &str, params: &[(String, String)], s: &Scenario) -> Result<RunOutput, String> {
    let streams = RngStreams::new(s.seed);
    let mut cluster = ClusterState::new(s.policy.cluster_options());
    for (spec, _) in s.nodes.iter() {
        cluster.add_node(spec).map_err(|e| e.to_string())?;
    }
    let capacity = cluster.totals().gpus * crate::core::MILLI_PER_GPU as u64;
    let pods: Arc<Vec<_>> = match s.inflate_gpu_pct {
        Some(p) => Arc::new(inflate_to_gpu_pct(&s.pods, capacity, p, &mut streams.stream("workload/inflate"))?),
        None => s.pods.clone(),
    };
    // FGD (and the fragmentation figures) measure against the workload's own distribution of
    // task shapes: the pods as the scenario lists them, before inflation.
    let frag_workload = Workload::from_pods(s.pods.iter().map(|p| &p.spec));
    let policy = s.policy.build(&frag_workload);
    let keep_nodes = s.output.nodes || s.output.pods;
    let mut members = Vec::new();
    let (summary, mut result, nodes, events) = if let Some(f) = &s.fleet {
        let fr = crate::scalers::fleet::run_fleet(s, f)?;
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
        let end = s.end.ok_or("an autoscaling scenario needs simulation.end")?;
        let w = World::new(a, cluster, policy, &streams).run(&pods, s.departures, end, s.sample_interval)?;
        let summary = summarize(&w.sim, None, &frag_workload, Some(&w));
        (summary, w.sim, if keep_nodes { w.nodes } else { Vec::new() }, w.events)
    } else {
        let cfg = SimConfig {
            unschedulable: s.unschedulable,
            sample_interval: if s.output.timeseries { Some(s.sample_interval) } else { None },
            end: s.end,
            curve_max_pct: s.output.allocation_curve,
            frag_workload: frag_workload.clone(),
        };
        let mut sim = Simulation::new(cluster, policy, streams.stream("placement"), cfg);
        let departures = s.departures;
        let arrivals = pods.iter().enumerate().map(|(i, p)| Arrival {
            id: i as u64,
            time: p.created,
            spec: p.spec.clone(),
            duration: if departures { p.deleted.map(|d| crate::engine::SimTime(d.0 - p.created.0)) } else { None },
        });
        let result = sim.run(arrivals)?;
        let summary = summarize(&result, Some(&sim.cluster), &frag_workload, None);
        let nodes = if keep_nodes { static_rows(s) } else { Vec::new() };
        (summary, result, nodes, Vec::new())
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
        scenario_hash: scenario_hash(s)?,
        summary,
        result,
        nodes,
        events,
        gpu_capacity_milli: capacity,
        output: s.output.clone(),
        members,
    })
}

/// The static cluster's nodes as `nodes.csv` rows: present from t = 0, no price.
fn static_rows(s: &Scenario) -> Vec<NodeRow> {
    s.nodes
        .iter()
        .enumerate()
        .map(|(i, (spec, meta))| NodeRow {
            id: Some(i as crate::core::NodeId),
            name: spec.name.clone(),
            pool: meta.pool.clone(),
            instance_type: meta.instance_type.clone(),
            capacity_type: "on-demand".into(),
            zone: String::new(),
            gpus: spec.gpu_count,
            launched: crate::engine::SimTime::ZERO,
            ready: Some(crate::engine::SimTime::ZERO),
            terminated: None,
            reason: String::new(),
            price_micro_h: 0,
            on_demand_micro_h: 0,
            billed_micro: 0,
            billed_from: crate::engine::SimTime::ZERO,
        })
        .collect()
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
    run_each(&refs, threads, progress, &|_, out| Ok(out))
}

/// Runs `runs` on `threads` threads and hands each output to `each` as soon as its run finishes
/// (on the worker thread: a sweep stores it there, so an interruption loses only runs in
/// flight); `progress` gets (done, total) after each. Results come back in `runs` order.
pub fn run_each<T: Send>(
    runs: &[&RunSpec],
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
    each: &(dyn Fn(&RunSpec, RunOutput) -> Result<T, String> + Sync),
) -> Result<Vec<Result<T, RunFailure>>, String> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| e.to_string())?;
    let done = AtomicUsize::new(0);
    let total = runs.len();
    Ok(pool.install(|| {
        runs.par_iter()
            .map(|r| {
                let out = run_scenario(&r.run_id, &r.params, &r.scenario)
                    .and_then(|o| each(r, o))
                    .map_err(|message| RunFailure { run_id: r.run_id.clone(), params: r.params.clone(), message });
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                out
            })
            .collect()
    }))
}
